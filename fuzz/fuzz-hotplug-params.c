/* fuzz-hotplug-params.c: the checks qubes-block makes on the vbd's nodes
 * before it touches anything (shared/SPEC.md §4), against the rules written
 * out by hand below.
 *   params: non-empty, under 4096 bytes, no control character (below 0x20,
 *           or 0x7f), absolute; /dev/mapper/NAME with NAME not empty, ".",
 *           "..", "control", nor holding a '/'.
 *   mode:   exactly "r", "w" or "w!" (missing is "r").
 * The same input goes through both. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "vbd.h"

static bool params_allowed(const char *params)
{
        static const char mapper[] = "/dev/mapper/";
        const char *name;
        size_t len = strlen(params);

        if (len == 0 || len >= 4096 || params[0] != '/')
                return false;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)params[i] < 0x20 || params[i] == 0x7f)
                        return false;
        /* one spelling per path: no empty, "." or ".." component, no trailing '/' */
        for (const char *c = params + 1;; ) {
                const char *end = strchr(c, '/');
                size_t n = end ? (size_t)(end - c) : strlen(c);

                if ((n == 0 && (end || len > 1)) || (n == 1 && c[0] == '.') ||
                    (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                if (!end)
                        break;
                c = end + 1;
        }
        if (strncmp(params, mapper, strlen(mapper)) != 0)
                return true;
        name = params + strlen(mapper);
        return *name && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
               strcmp(name, "control") != 0 && !strchr(name, '/');
}

static void check_mode(const char *mode)
{
        enum access_mode got = (enum access_mode)99, want;
        bool valid = true;
        int r;

        if (!mode || strcmp(mode, "r") == 0)
                want = ACCESS_READ;
        else if (strcmp(mode, "w") == 0)
                want = ACCESS_WRITE;
        else if (strcmp(mode, "w!") == 0)
                want = ACCESS_WRITE_UNCHECKED;
        else
                valid = false;

        r = vbd_parse_mode(mode, &got, NULL);
        if (valid)
                FUZZ_CHECK(r == 0 && got == want, "mode '%s': %d, %d", mode ? mode : "(missing)", r, got);
        else
                FUZZ_CHECK(r == -EINVAL && got == (enum access_mode)99, "mode '%s' accepted (%d)", mode, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s;
        int r;

        fuzz_begin(data, size);
        s = fuzz_string(data, size);
        if (!s)
                return FUZZ_REJECT;

        r = vbd_check_params(s, NULL);
        if (params_allowed(s))
                FUZZ_CHECK(r == 0, "params '%.200s' refused (%d)", s, r);
        else
                FUZZ_CHECK(r == -EINVAL || r == -ENAMETOOLONG, "params '%.200s': %d", s, r);

        check_mode(s);
        check_mode(NULL);
        free(s);
        return 0;
}
