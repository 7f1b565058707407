/* entry.c: the entry reader: dom0's rules for what a domain publishes. */
#include "entry.h"

#include <errno.h>
#include <string.h>

#include "text.h"
#include "util.h"

/* How much of a hostile value a reason shows (escaped). */
#define SHOWN_MAX 24

/* A raw USB desc: the ids and three fields of at most USB_FIELD_MAX bytes,
 * each byte possibly written as \\xNN. */
#define USB_DESC_MAX (9 + 3 * (1 + 4 * USB_FIELD_MAX))


const char *const block_key_names[BLOCK_KEY_COUNT] = {
        [BLOCK_DESC] = "desc", [BLOCK_SIZE] = "size",
        [BLOCK_MODE] = "mode", [BLOCK_PARENT] = "parent",
};

const char *const usb_key_names[USB_KEY_COUNT] = {
        [USB_DESC] = "desc", [USB_VERSION] = "usb-ver",
        [USB_INTERFACES] = "interfaces", [USB_CONNECTED_TO] = "connected-to",
};

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_lower_hex(char c)
{
        return is_digit(c) || (c >= 'a' && c <= 'f');
}

static int hex_value(char c)
{
        if (is_digit(c))
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* A hostile value, escaped, for a reason: about SHOWN_MAX bytes, a longer
 * one cut in the middle ("start...end"), so that it never passes for its
 * own start. */
static const char *shown(const struct raw_value *v, char buf[static SHOWN_MAX * 4 + 4])
{
        return text_show(v->data, v->len, buf, SHOWN_MAX + 4);
}

bool entry_block_name_valid(const char *name, size_t len)
{
        if (len == 0 || len > BLOCK_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];

                if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-'))
                        return false;
        }
        return true;
}

bool entry_usb_name_valid(const char *name, size_t len)
{
        bool need_digit = true;         /* at the start and after '-' or '_' */
        unsigned dashes = 0;

        if (len == 0 || len > USB_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];

                if (is_digit(c)) {
                        need_digit = false;
                        continue;
                }
                if (need_digit)
                        return false;
                if (c == '-' && dashes == 0)
                        dashes++;
                else if (!(c == '_' && dashes == 1))
                        return false;
                need_digit = true;
        }
        return !need_digit && dashes == 1;
}

bool entry_domain_name_valid(const char *name, size_t len)
{
        if (len == 0 || len > DOMAIN_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
                      c == '-' || c == '_' || c == '.'))
                        return false;
        }
        return true;
}

static bool has_nul(const struct raw_value *v)
{
        return memchr(v->data, '\0', v->len) != NULL;
}

/* Checks shared by every key: present, no NUL, at most MAX bytes. */
static int check_value(const struct raw_value *v, const char *key, size_t max,
                       struct reason *why)
{
        if (!v->data)
                return reason_set(why, -EINVAL, "%s is missing", key);
        if (v->len > max)
                return reason_set(why, -EINVAL, "%s is %zu bytes long, more than %zu",
                                  key, v->len, max);
        if (has_nul(v))
                return reason_set(why, -EINVAL, "%s holds a NUL byte", key);
        return 0;
}

/* dom0 keeps [A-Za-z0-9()+,-.:=_/ ] and turns every other byte into '_'. */
static void block_desc_copy(const struct raw_value *v, char *out)
{
        static const char kept[] = "()+,-.:=_/ ";

        for (size_t i = 0; i < v->len; i++) {
                char c = v->data[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
                          (c != '\0' && strchr(kept, c));

                out[i] = ok ? c : '_';
        }
        out[v->len] = '\0';
}

static int parse_size(const struct raw_value *v, uint64_t *out, struct reason *why)
{
        char buf[SHOWN_MAX * 4 + 4];
        uint64_t n = 0;

        if (v->len == 0)
                return reason_set(why, -EINVAL, "size is empty");
        for (size_t i = 0; i < v->len; i++) {
                unsigned d;

                if (!is_digit(v->data[i]))
                        return reason_set(why, -EINVAL, "size '%s' is not a decimal number",
                                          shown(v, buf));
                d = (unsigned)(v->data[i] - '0');
                if (n > (UINT64_MAX - d) / 10)
                        return reason_set(why, -EINVAL, "size '%s' does not fit 64 bits",
                                          shown(v, buf));
                n = n * 10 + d;
        }
        *out = n;
        return 0;
}

static bool parent_char_valid(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
               c == '_' || c == '.' || c == ':' || c == '-';
}

int entry_read_block(const char *name, size_t name_len,
                     const struct raw_value values[BLOCK_KEY_COUNT],
                     struct block_entry *out, struct reason *why)
{
        const struct raw_value *mode = &values[BLOCK_MODE], *parent = &values[BLOCK_PARENT];
        char buf[SHOWN_MAX * 4 + 4];
        int r;

        if (!entry_block_name_valid(name, name_len))
                return reason_set(why, -EINVAL, "the name is not [a-z0-9-]{1,12}");
        memcpy(out->name, name, name_len);
        out->name[name_len] = '\0';

        r = check_value(&values[BLOCK_DESC], "desc", ENTRY_DESC_MAX, why);
        if (r < 0)
                return r;
        block_desc_copy(&values[BLOCK_DESC], out->desc);

        r = check_value(&values[BLOCK_SIZE], "size", ENTRY_SIZE_DIGITS, why);
        if (r < 0)
                return r;
        r = parse_size(&values[BLOCK_SIZE], &out->size, why);
        if (r < 0)
                return r;

        r = check_value(mode, "mode", SHOWN_MAX, why);
        if (r < 0)
                return r;
        if (mode->len != 1 || (mode->data[0] != 'r' && mode->data[0] != 'w'))
                return reason_set(why, -EINVAL, "mode '%s' is neither r nor w", shown(mode, buf));
        out->read_only = mode->data[0] == 'r';

        /* parent is optional: agents before Qubes 4.2 do not write it */
        out->parent[0] = '\0';
        if (parent->data) {
                r = check_value(parent, "parent", ENTRY_PARENT_MAX, why);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < parent->len; i++)
                        if (!parent_char_valid(parent->data[i]))
                                return reason_set(why, -EINVAL,
                                                  "parent '%s' is not a device name",
                                                  shown(parent, buf));
                memcpy(out->parent, parent->data, parent->len);
                out->parent[parent->len] = '\0';
        }
        return 0;
}

int entry_block_device_path(const char *name, char *out, size_t size)
{
        size_t len = strlen(name);

        if (len + sizeof("/dev/") > size)
                return -ENAMETOOLONG;
        memcpy(out, "/dev/", 5);
        for (size_t i = 0; i <= len; i++)
                out[5 + i] = name[i] == '_' ? '/' : name[i];
        return 0;
}

/* One "\xNN"-encoded desc field (no space in it) into OUT, decoded. */
static int usb_field_decode(const char *in, size_t len, const char *what, char *out,
                            struct reason *why)
{
        size_t o = 0;

        for (size_t i = 0; i < len; i++) {
                char c = in[i];

                if (c == '\\') {
                        bool whole = i + 3 < len && in[i + 1] == 'x';
                        int hi = whole ? hex_value(in[i + 2]) : -1;
                        int lo = whole ? hex_value(in[i + 3]) : -1;

                        if (hi < 0 || lo < 0)
                                return reason_set(why, -EINVAL, "the %s in desc has a "
                                                  "backslash that is no \\xNN escape", what);
                        c = (char)(hi * 16 + lo);
                        if (c == '\0')
                                return reason_set(why, -EINVAL, "the %s in desc encodes a NUL",
                                                  what);
                        i += 3;
                } else if ((unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f) {
                        return reason_set(why, -EINVAL, "the %s in desc holds byte 0x%02x, "
                                          "which must be encoded", what, (unsigned char)c);
                }
                if (o == USB_FIELD_MAX)
                        return reason_set(why, -EINVAL, "the %s in desc is longer than %d bytes",
                                          what, USB_FIELD_MAX);
                out[o++] = c;
        }
        out[o] = '\0';
        return 0;
}

static bool usb_id_valid(const char *s, size_t len)
{
        if (len != 9 || s[4] != ':')
                return false;
        for (size_t i = 0; i < 9; i++)
                if (i != 4 && !is_lower_hex(s[i]))
                        return false;
        return true;
}

/* "VID:PID VENDOR MODEL SERIAL": exactly three spaces. */
static int usb_desc_parse(const struct raw_value *v, struct usb_entry *out, struct reason *why)
{
        static const char *const what[] = { "ids", "vendor", "model", "serial" };
        char *fields[] = { NULL, out->vendor, out->model, out->serial };
        size_t start = 0, n = 0;
        int r;

        for (size_t i = 0; i <= v->len; i++) {
                if (i < v->len && v->data[i] != ' ')
                        continue;
                if (n == ARRAY_SIZE(what))
                        return reason_set(why, -EINVAL, "desc has more than three spaces");
                if (n == 0) {
                        if (!usb_id_valid(v->data, i))
                                return reason_set(why, -EINVAL, "desc does not start with "
                                                  "VID:PID in lower-case hex");
                        memcpy(out->vendor_id, v->data, 4);
                        memcpy(out->product_id, v->data + 5, 4);
                        out->vendor_id[4] = out->product_id[4] = '\0';
                } else {
                        r = usb_field_decode(v->data + start, i - start, what[n], fields[n], why);
                        if (r < 0)
                                return r;
                }
                n++;
                start = i + 1;
        }
        if (n != ARRAY_SIZE(what))
                return reason_set(why, -EINVAL, "desc has %zu spaces, not three", n - 1);
        return 0;
}

static int usb_interfaces_parse(const struct raw_value *v, struct usb_entry *out,
                                struct reason *why)
{
        out->n_interfaces = 0;
        if (v->len == 0)
                return 0;
        if (v->data[0] != ':' || (v->len - 1) % 7 != 0)
                return reason_set(why, -EINVAL, "interfaces is not :-separated 6-digit triples");
        if ((v->len - 1) / 7 > USB_INTERFACES_MAX)
                return reason_set(why, -EINVAL, "interfaces lists more than %d triples",
                                  USB_INTERFACES_MAX);
        for (size_t i = 1; i < v->len; i += 7) {
                for (size_t j = 0; j < 6; j++)
                        if (!is_lower_hex(v->data[i + j]))
                                return reason_set(why, -EINVAL, "interfaces has a triple "
                                                  "that is not 6 lower-case hex digits");
                if (v->data[i + 6] != ':')
                        return reason_set(why, -EINVAL, "interfaces is not :-separated "
                                          "6-digit triples");
                memcpy(out->interfaces[out->n_interfaces], v->data + i, 6);
                out->interfaces[out->n_interfaces++][6] = '\0';
        }
        return 0;
}

int entry_read_usb(const char *name, size_t name_len,
                   const struct raw_value values[USB_KEY_COUNT],
                   struct usb_entry *out, struct reason *why)
{
        const struct raw_value *ver = &values[USB_VERSION], *to = &values[USB_CONNECTED_TO];
        char buf[SHOWN_MAX * 4 + 4];
        int r;

        if (!entry_usb_name_valid(name, name_len))
                return reason_set(why, -EINVAL, "the name is not ^[0-9]+-[0-9]+(_[0-9]+)*$");
        memcpy(out->name, name, name_len);
        out->name[name_len] = '\0';

        r = check_value(&values[USB_DESC], "desc", USB_DESC_MAX, why);
        if (r < 0)
                return r;
        r = usb_desc_parse(&values[USB_DESC], out, why);
        if (r < 0)
                return r;

        r = check_value(ver, "usb-ver", SHOWN_MAX, why);
        if (r < 0)
                return r;
        if (ver->len != 1 || ver->data[0] < '1' || ver->data[0] > '3')
                return reason_set(why, -EINVAL, "usb-ver '%s' is not 1, 2 or 3", shown(ver, buf));
        out->usb_version = (unsigned)(ver->data[0] - '0');

        r = check_value(&values[USB_INTERFACES], "interfaces", 1 + 7 * USB_INTERFACES_MAX + 7, why);
        if (r < 0)
                return r;
        r = usb_interfaces_parse(&values[USB_INTERFACES], out, why);
        if (r < 0)
                return r;

        /* connected-to belongs to the USB proxy: optional, a domain name */
        out->connected_to[0] = '\0';
        if (to->data && to->len > 0) {
                if (!entry_domain_name_valid(to->data, to->len))
                        return reason_set(why, -EINVAL, "connected-to '%s' is not a domain name",
                                          shown(to, buf));
                memcpy(out->connected_to, to->data, to->len);
                out->connected_to[to->len] = '\0';
        }
        return 0;
}
