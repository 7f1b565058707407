/* sanitize.h: turning udev/sysfs text into names and values dom0 accepts
 * (shared/SPEC.md §1). Each function writes a NUL-terminated result into OUT
 * of SIZE bytes and returns 0, or -EINVAL when the input cannot be made
 * acceptable (the caller says why it skips the device). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Longest desc we publish: dom0 shows it in one line of qvm-block. */
#define SANITIZE_DESC_MAX 128

/* Block entry name: DEVNAME without "/dev/", '/' -> '_'; must then match
 * [a-z0-9-]{1,12}. */
int sanitize_block_name(const char *devname, char *out, size_t size);

/* USB entry name: a sysfs basename BUS-PORT[.PORT...] ("2-1.4") with '.' ->
 * '_' ("2-1_4"), which then matches dom0's ^[0-9]+-[0-9]+(_[0-9]+)*$. A name
 * already holding '_' is refused (it would collide with the dotted one), and
 * so are interfaces ("2-1:1.0") and root hubs ("usb2"). */
int sanitize_usb_name(const char *sysname, char *out, size_t size);

/* Decode udev's \xNN escapes (ID_*_ENC) into bytes; other text is copied.
 * -EINVAL on a malformed escape or an encoded NUL. */
int sanitize_udev_decode(const char *in, char *out, size_t size);

/* A block desc part: UTF-8 transliterated to ASCII where a Latin letter has
 * an obvious base letter, then every byte outside [A-Za-z0-9()+,-.:=_/ ]
 * becomes '_' (and so does a space when SPACES_ALLOWED is false). Longer
 * input is cut at a character boundary at SIZE - 1 bytes: a description, not
 * an identifier, so a shortened one is still right. */
void sanitize_desc_text(const char *in, bool spaces_allowed, char *out, size_t size);

/* A USB desc field: keeps udev's "\xNN" escapes as they are and writes every
 * other byte that is not printable ASCII, or is a space or a lone backslash,
 * as "\xNN", so the field holds no space and dom0 can decode it.
 * -ENAMETOOLONG when the encoded field does not fit. */
int sanitize_usb_field(const char *in, char *out, size_t size);

/* Raw device text (a string descriptor as the kernel caches it in sysfs)
 * encoded the way udev makes ID_VENDOR_ENC and ID_MODEL_ENC: every byte
 * outside [A-Za-z0-9#+-.:=@_] as "\xNN". udev leaves multi-byte UTF-8 as it
 * is; here it is encoded too, as sanitize_usb_field would do to udev's value,
 * so that both give the same field. -ENAMETOOLONG when it does not fit. */
int sanitize_udev_encode(const char *in, char *out, size_t size);

/* Raw device text in udev's plain form (ID_VENDOR, ID_SERIAL_SHORT): leading
 * and trailing whitespace dropped, each inner run of it one '_', then bytes
 * outside [A-Za-z0-9#+-.:=@_] as '_' except valid multi-byte UTF-8 and an
 * "\x" pair, which udev lets through. -ENAMETOOLONG when it does not fit. */
int sanitize_udev_plain(const char *in, char *out, size_t size);
