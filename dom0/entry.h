/* entry.h: the entry reader. Checks what a domain published under
 * qubes-block-devices/NAME/ and qubes-usb-devices/NAME/ with the rules
 * dom0's Qubes parsers apply (shared/SPEC.md §1) and turns it into plain
 * values. Pure: no I/O, every input is bytes with a length (xenstore values
 * may hold NULs), every output bounded, so that it can be fuzzed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reason.h"

#define BLOCK_NAME_MAX     12   /* dom0's [a-z0-9-]{1,12} */
#define USB_NAME_MAX       31   /* BUS-PORT[_PORT]... : USB has at most 7 tiers */
#define ENTRY_DESC_MAX     256  /* longer is malformed: our helpers write at most 128 */
#define ENTRY_PARENT_MAX   64
#define ENTRY_SIZE_DIGITS  20   /* UINT64_MAX has 20 digits */
#define USB_FIELD_MAX      128  /* a decoded vendor, model or serial */
#define USB_INTERFACES_MAX 32   /* a USB configuration has at most 32 interfaces */
#define DOMAIN_NAME_MAX    64   /* libxl's names; connected-to names one */

/* One raw value as read from the store; DATA NULL: the key is missing. */
struct raw_value {
        const char *data;
        size_t len;
};

enum block_key { BLOCK_DESC, BLOCK_SIZE, BLOCK_MODE, BLOCK_PARENT, BLOCK_KEY_COUNT };
enum usb_key { USB_DESC, USB_VERSION, USB_INTERFACES, USB_CONNECTED_TO, USB_KEY_COUNT };

/* The key names under an entry, indexed by the enums above. */
extern const char *const block_key_names[BLOCK_KEY_COUNT];
extern const char *const usb_key_names[USB_KEY_COUNT];

struct block_entry {
        char name[BLOCK_NAME_MAX + 1];
        char desc[ENTRY_DESC_MAX + 1];  /* only dom0's characters [A-Za-z0-9()+,-.:=_/ ] */
        uint64_t size;                  /* bytes */
        bool read_only;                 /* mode r */
        char parent[ENTRY_PARENT_MAX + 1];  /* [A-Za-z0-9_.:-]*, empty when none */
};

struct usb_entry {
        char name[USB_NAME_MAX + 1];
        char vendor_id[5], product_id[5];       /* four lower-case hex digits each */
        /* decoded from \xNN: any byte but NUL, not yet safe to print */
        char vendor[USB_FIELD_MAX + 1], model[USB_FIELD_MAX + 1], serial[USB_FIELD_MAX + 1];
        unsigned usb_version;                   /* 1, 2 or 3 */
        unsigned n_interfaces;
        char interfaces[USB_INTERFACES_MAX][7]; /* "080650": class, subclass, protocol */
        char connected_to[DOMAIN_NAME_MAX + 1]; /* empty when not connected */
};

/* NAME (a directory entry, LEN bytes) is a block entry name dom0 accepts. */
bool entry_block_name_valid(const char *name, size_t len);
/* ... a USB entry name: ^[0-9]+-[0-9]+(_[0-9]+)*$. */
bool entry_usb_name_valid(const char *name, size_t len);
/* ... a domain name as libxl allows them in xenstore's name node. */
bool entry_domain_name_valid(const char *name, size_t len);

/* Read one entry. 0 and *OUT filled, or -EINVAL with WHY saying what is
 * wrong (hostile bytes shown escaped and cut, so the text is safe to print). */
int entry_read_block(const char *name, size_t name_len,
                     const struct raw_value values[BLOCK_KEY_COUNT],
                     struct block_entry *out, struct reason *why);
int entry_read_usb(const char *name, size_t name_len,
                   const struct raw_value values[USB_KEY_COUNT],
                   struct usb_entry *out, struct reason *why);

/* The device node dom0 attaches for a block entry: "/dev/" + NAME with '_'
 * as '/'. -ENAMETOOLONG when SIZE is too small. */
int entry_block_device_path(const char *name, char *out, size_t size);
