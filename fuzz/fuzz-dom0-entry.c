/* fuzz-dom0-entry.c: xen-devices' entry reader on hostile entries. Whatever
 * a domain writes, the reader accepts only what dom0's rules allow (names,
 * desc characters, bounded decimal size, mode r|w, USB desc with ids and
 * three \xNN-encoded fields, usb-ver, interface triples), or refuses with a
 * reason that is safe to print; and what it accepts, once escaped for the
 * terminal or written as JSON, holds no control character and is valid
 * UTF-8. Input: one byte (bit 0: USB instead of block; bits 1-4: which keys
 * are missing), then NAME and the four values separated by 0xfe bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "fuzz-util.h"
#include "text.h"

#define SEPARATOR 0xfe

static void check_printable(const char *s, const char *what)
{
        for (const char *p = s; *p; p++)
                FUZZ_CHECK(*p >= 0x20 && *p < 0x7f, "%s holds byte 0x%02x", what, (unsigned char)*p);
}

/* TEXT escaped for a terminal is printable ASCII; as JSON, valid UTF-8
 * without control characters. */
static void check_rendering(const char *text)
{
        char escaped[TEXT_ESCAPED_SIZE(USB_FIELD_MAX + 1)];
        char *json = NULL;
        size_t len = 0;
        FILE *f;

        text_show(text, strlen(text), escaped, sizeof(escaped));
        check_printable(escaped, "an escaped field");
        f = open_memstream(&json, &len);
        if (!f)
                abort();
        json_write_string(f, text, strlen(text));
        fclose(f);
        for (size_t i = 0; i < len;) {
                size_t n = fuzz_utf8_length((const unsigned char *)json + i, false);

                FUZZ_CHECK(n > 0, "JSON of a field is not UTF-8 at %zu", i);
                FUZZ_CHECK((unsigned char)json[i] >= 0x20 && json[i] != 0x7f,
                           "JSON of a field holds byte 0x%02x", (unsigned char)json[i]);
                i += n;
        }
        free(json);
}

static void check_block(const struct block_entry *e, const struct raw_value *v)
{
        static const char kept[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789()+,-.:=_/ ";
        unsigned long long size = 0;

        FUZZ_CHECK(entry_block_name_valid(e->name, strlen(e->name)), "name '%s'", e->name);
        FUZZ_CHECK(strspn(e->desc, kept) == strlen(e->desc), "desc '%s'", e->desc);
        FUZZ_CHECK(strlen(e->desc) == v[BLOCK_DESC].len, "desc length changed");
        for (size_t i = 0; i < v[BLOCK_SIZE].len; i++) {
                FUZZ_CHECK(v[BLOCK_SIZE].data[i] >= '0' && v[BLOCK_SIZE].data[i] <= '9', "size digit");
                size = size * 10 + (unsigned long long)(v[BLOCK_SIZE].data[i] - '0');
        }
        FUZZ_CHECK(v[BLOCK_SIZE].len > 0 && size == e->size, "size %llu", size);
        FUZZ_CHECK(v[BLOCK_MODE].len == 1 && e->read_only == (v[BLOCK_MODE].data[0] == 'r'), "mode");
        check_printable(e->parent, "parent");
}

static void check_usb(const struct usb_entry *u)
{
        FUZZ_CHECK(entry_usb_name_valid(u->name, strlen(u->name)), "name '%s'", u->name);
        FUZZ_CHECK(strlen(u->vendor_id) == 4 && strlen(u->product_id) == 4, "ids");
        FUZZ_CHECK(u->usb_version >= 1 && u->usb_version <= 3, "usb-ver %u", u->usb_version);
        FUZZ_CHECK(u->n_interfaces <= USB_INTERFACES_MAX, "%u interfaces", u->n_interfaces);
        for (unsigned i = 0; i < u->n_interfaces; i++)
                FUZZ_CHECK(strlen(u->interfaces[i]) == 6, "interface %u", i);
        FUZZ_CHECK(!u->connected_to[0] || entry_domain_name_valid(u->connected_to,
                   strlen(u->connected_to)), "connected-to");
        check_rendering(u->vendor);
        check_rendering(u->model);
        check_rendering(u->serial);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *fields[5] = { 0 };
        size_t lens[5] = { 0 }, n = 0;
        struct raw_value v[4];
        struct block_entry e;
        struct usb_entry u;
        struct reason why = REASON_INIT;
        char *copy;
        int r;

        fuzz_begin(data, size);
        if (size < 1)
                return FUZZ_REJECT;
        /* a copy of exactly the input's size: reading past a value is caught */
        copy = malloc(size);
        if (!copy)
                abort();
        memcpy(copy, data, size);
        fields[0] = copy + 1;
        for (size_t i = 1; i < size && n < 4; i++)
                if ((unsigned char)copy[i] == SEPARATOR) {
                        lens[n] = (size_t)(copy + i - fields[n]);
                        fields[++n] = copy + i + 1;
                }
        lens[n] = (size_t)(copy + size - fields[n]);
        for (size_t k = 0; k < 4; k++) {
                bool missing = (data[0] >> (k + 1)) & 1 || k + 1 > n;

                v[k] = (struct raw_value) { .data = missing ? NULL : fields[k + 1],
                                            .len = missing ? 0 : lens[k + 1] };
        }
        memset(why.text, 0, sizeof(why.text));
        if (data[0] & 1) {
                r = entry_read_usb(fields[0], lens[0], v, &u, &why);
                if (r == 0)
                        check_usb(&u);
        } else {
                r = entry_read_block(fields[0], lens[0], v, &e, &why);
                if (r == 0)
                        check_block(&e, v);
        }
        FUZZ_CHECK(r == 0 || r == -22, "result %d", r);
        if (r < 0) {
                FUZZ_CHECK(why.text[0], "refused without a reason");
                check_printable(why.text, "the reason");
        }
        free(copy);
        return 0;
}
