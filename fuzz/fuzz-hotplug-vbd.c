/* fuzz-hotplug-vbd.c: vbd_parse_path() accepts exactly the vbd backend
 * paths libxl gives in XENBUS_PATH, matched by hand below:
 *   [/local/domain/HOME/]backend/vbd/FRONTEND/DEVID
 * each number in canonical decimal (no leading zero) that fits 32 bits, the
 * whole under 128 bytes. What it accepts comes back whole in `path`,
 * with `root` the part up to "backend/vbd" and the two numbers parsed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "vbd.h"
#include "open-findings.h"

struct expected_vbd {
        size_t root_len;
        unsigned long long frontend, devid;
};

/* A number component at *S ending at TERMINATOR ('/' or '\0'). */
static bool match_number(const char **s, char terminator, unsigned long long *value)
{
        size_t n = strspn(*s, "0123456789");
        /* while F3 is open, the 11 digits hotplug.c takes, zeros in front too */
        size_t max_digits = OPEN_FINDING_VBD_LEADING_ZEROS ? 11 : 10;

        if (n == 0 || n > max_digits || (*s)[n] != terminator)
                return false;
        if (!OPEN_FINDING_VBD_LEADING_ZEROS && n > 1 && (*s)[0] == '0')
                return false;
        *value = strtoull(*s, NULL, 10);
        if (*value > UINT32_MAX)
                return false;
        *s += n + (terminator ? 1 : 0);
        return true;
}

static bool match_vbd_path(const char *path, struct expected_vbd *e)
{
        static const char home[] = "/local/domain/", vbd[] = "backend/vbd/";
        const char *s = path;
        unsigned long long home_domid;

        if (strlen(path) >= 128)
                return false;
        if (strncmp(s, home, strlen(home)) == 0) {
                s += strlen(home);
                if (!match_number(&s, '/', &home_domid))
                        return false;
        }
        if (strncmp(s, vbd, strlen(vbd)) != 0)
                return false;
        e->root_len = (size_t)(s - path) + strlen(vbd) - 1;
        s += strlen(vbd);
        return match_number(&s, '/', &e->frontend) && match_number(&s, '\0', &e->devid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct expected_vbd e = { 0 };
        struct vbd vbd;
        bool expected;
        char *path;
        int r;

        fuzz_begin(data, size);
        path = fuzz_string(data, size);
        if (!path)
                return FUZZ_REJECT;

        memset(&vbd, FUZZ_CANARY, sizeof(vbd));
        expected = match_vbd_path(path, &e);
        r = vbd_parse_path(path, &vbd, NULL);
        if (!expected) {
                FUZZ_CHECK(r == -EINVAL, "'%s' accepted (%d)", path, r);
        } else {
                FUZZ_CHECK(r == 0, "'%s' refused (%d)", path, r);
                FUZZ_CHECK(strcmp(vbd.path, path) == 0, "'%s' kept as '%s'", path, vbd.path);
                FUZZ_CHECK(strlen(vbd.root) == e.root_len &&
                           strncmp(vbd.root, path, e.root_len) == 0,
                           "'%s' gave vbd_root '%s'", path, vbd.root);
                FUZZ_CHECK(vbd.frontend_domid == e.frontend && vbd.devid == e.devid,
                           "'%s' gave %u/%u", path, vbd.frontend_domid, vbd.devid);
        }
        free(path);
        return 0;
}
