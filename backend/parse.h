/* parse.h: strict parsing of numbers and device numbers from untrusted text
 * (xenstore values, udev properties, sysfs attributes). */
#pragma once

#include <stdint.h>
#include <stddef.h>

/* Parse an unsigned number in base 10 or 16 (no prefix, no sign, no spaces).
 * -EINVAL on an empty string or any character that is not a digit of the base,
 * -ERANGE when it does not fit in uint64_t. */
int parse_u64(const char *s, unsigned base, uint64_t *out);
int parse_u32(const char *s, unsigned base, uint32_t *out);

/* A hex number as %x writes it: lower case, no padding ("0", "1a"), as the
 * hotplug helper writes diskseq. -EINVAL for any other spelling. */
int parse_hex_canonical(const char *s, uint64_t *out);

/* "MAJ:MIN" with lower-case hex numbers and no padding, as physical-device is
 * written by Xen's scripts and by us ("7:3", "fe:0"). */
int parse_majmin_hex(const char *s, unsigned *major, unsigned *minor);

/* "MAJ:MIN" in decimal, as sysfs `dev` and udev's MAJOR/MINOR give them. */
int parse_majmin_dec(const char *s, unsigned *major, unsigned *minor);

/* Copy SRC into DST of SIZE bytes; -ENAMETOOLONG (and DST untouched) when it
 * does not fit, so nothing is truncated silently. */
int str_copy(char *dst, size_t size, const char *src);
