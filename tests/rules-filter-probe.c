/* rules-filter-probe.c: the C side of the udev rules' block filters, for
 * tests/test-udev-rules.sh. Reads a device's udev properties on stdin, as
 * `udevadm test` lists them after every rule (KEY=VALUE lines; others are
 * ignored), and prints "skipped" when the C filter keeps the device from
 * being offered, as the rules would have, or "passes". That filter is what
 * the helpers apply to devices that bypass the rules and what the monitor
 * applies to every event: block_policy_rules_exclude, and the dm flag of
 * block_policy_decide. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block-policy.h"
#include "parse.h"
#include "util.h"

#define PROPS_MAX 128

static char *keys[PROPS_MAX], *values[PROPS_MAX];
static size_t n_props;

static const char *prop(const char *key)
{
        for (size_t i = 0; i < n_props; i++)
                if (streq(keys[i], key))
                        return values[i];
        return NULL;
}

static bool prop_is(const char *key, const char *value)
{
        const char *v = prop(key);

        return v && streq(v, value);
}

int main(void)
{
        char line[4096];
        const char *devname, *sysname, *reason = NULL;
        struct block_facts f = { 0 };
        uint32_t major;

        while (fgets(line, sizeof(line), stdin) && n_props < PROPS_MAX) {
                char *eq = strchr(line, '=');

                line[strcspn(line, "\n")] = '\0';
                /* udev's property names: upper case, digits, '_' */
                if (!eq || eq == line || strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != (size_t)(eq - line))
                        continue;
                *eq = '\0';
                keys[n_props] = strdup(line);
                values[n_props] = strdup(eq + 1);
                if (!keys[n_props] || !values[n_props])
                        return 2;
                n_props++;
        }
        devname = prop("DEVNAME");
        if (!devname || !prop("MAJOR") || parse_u32(prop("MAJOR"), 10, &major) < 0) {
                fprintf(stderr, "rules-filter-probe: no DEVNAME or MAJOR on stdin\n");
                return 2;
        }
        sysname = strrchr(devname, '/') ? strrchr(devname, '/') + 1 : devname;
        f.rules_excluded = block_policy_rules_exclude(major, sysname,
                                                      startswith(sysname, "dm-") ? (prop("DM_NAME") ?: "") : NULL,
                                                      prop("QUBES_EXPORT_BLOCK_DEVICE"), prop("UDISKS_IGNORE"),
                                                      prop("QUBES_UDISKS_IGNORE_OURS"));
        f.disk_rules_disabled = prop_is("DM_UDEV_DISABLE_DISK_RULES_FLAG", "1");
        f.export_forced = prop_is("QUBES_EXPORT_BLOCK_DEVICE", "1");
        /* every other fact is that of an unused, offerable device */
        block_policy_decide(&f, &reason);
        printf("%s\n", reason ? "skipped" : "passes");
        return 0;
}
