/* fuzz-mountinfo.c: the mount table and swap list reader (backend/mounts.c)
 * on any text, given as /proc/self/mountinfo and /proc/swaps would be. It
 * never crashes or reads past a line, and a block device it reports as
 * mounted is named by a line that a strict reading written here accepts:
 * the third field MAJ:MIN in decimal (12 and 20 bits), or for an anonymous
 * device (major 0) its source that names it, and a separator field "-"
 * followed by three more.
 *
 * Input: the mountinfo text, then (after the first NUL, if any) the swaps
 * text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fuzz-util.h"
#include "mounts.h"
#include "util.h"

static int memfd_with(const uint8_t *data, size_t size, char *path, size_t path_size)
{
        int fd = memfd_create("fuzz-mountinfo", MFD_CLOEXEC);

        if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
                abort();
        snprintf(path, path_size, "/proc/self/fd/%d", fd);
        return fd;
}

/* A decimal number of digits only (leading zeros allowed), that fits. */
static bool number(const char *s, size_t len, unsigned long max, unsigned long *out)
{
        unsigned long v = 0;

        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9' || v > (max - (unsigned long)(s[i] - '0')) / 10)
                        return false;
                v = v * 10 + (unsigned long)(s[i] - '0');
        }
        *out = v;
        return true;
}

/* Whether FIELD, with octal escapes undone, is a path that stat() finds
 * to be block device DEVNO (an anonymous device's source). */
static bool source_is(const char *field, size_t len, dev_t devno)
{
        char path[4096];
        size_t o = 0;
        struct stat st;

        for (size_t i = 0; i < len && o + 1 < sizeof(path); i++) {
                if (field[i] == '\\' && i + 3 < len && field[i + 1] >= '0' && field[i + 1] <= '3' &&
                    field[i + 2] >= '0' && field[i + 2] <= '7' && field[i + 3] >= '0' && field[i + 3] <= '7') {
                        path[o++] = (char)((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
                        i += 3;
                } else {
                        path[o++] = field[i];
                }
        }
        path[o] = '\0';
        return path[0] == '/' && stat(path, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == devno;
}

/* Whether one line of TEXT names DEVNO in its third field, or through its
 * source when that is an anonymous device (0:N), and has the separator
 * field "-" with three fields after it. */
static bool named_by_a_line(const char *text, size_t len, dev_t devno)
{
        for (size_t start = 0; start < len;) {
                const char *line = text + start, *nl = memchr(line, '\n', len - start);
                size_t line_len = nl ? (size_t)(nl - line) : len - start;
                const char *field[64];
                size_t field_len[64], n = 0, dash = 0;
                unsigned long maj, min;

                for (size_t i = 0; i < line_len && n < 64;) {
                        while (i < line_len && line[i] == ' ')
                                i++;
                        if (i == line_len)
                                break;
                        field[n] = line + i;
                        while (i < line_len && line[i] != ' ')
                                i++;
                        field_len[n] = (size_t)(line + i - field[n]);
                        n++;
                }
                for (size_t i = 6; i < n && !dash; i++)
                        if (field_len[i] == 1 && field[i][0] == '-')
                                dash = i;
                if (n >= 3 && dash && n >= dash + 4) {
                        const char *colon = memchr(field[2], ':', field_len[2]);

                        if (colon && number(field[2], (size_t)(colon - field[2]), 0xfff, &maj) &&
                            number(colon + 1, field_len[2] - (size_t)(colon + 1 - field[2]), 0xfffff, &min) &&
                            ((maj == major(devno) && min == minor(devno)) ||
                             (maj == 0 && source_is(field[dash + 2], field_len[dash + 2], devno))))
                                return true;
                }
                start += line_len + 1;
        }
        return false;
}

static int visit(dev_t devno, enum mount_use use, void *userdata)
{
        const struct { const char *text; size_t len; } *in = userdata;

        FUZZ_CHECK(use != MOUNT_UNUSED, "an unused device listed");
        if (use != MOUNT_SWAP)
                FUZZ_CHECK(named_by_a_line(in->text, in->len, devno),
                           "%u:%u reported mounted, named by no line", major(devno), minor(devno));
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *nul = memchr(data, '\0', size);
        size_t info_len = nul ? (size_t)(nul - data) : size;
        char info_path[64], swaps_path[64];
        struct mounts *m = NULL;
        struct { const char *text; size_t len; } in;
        int info_fd, swaps_fd, r;

        fuzz_begin(data, size);
        info_fd = memfd_with(data, info_len, info_path, sizeof(info_path));
        swaps_fd = memfd_with(nul ? nul + 1 : data, nul ? size - info_len - 1 : 0, swaps_path, sizeof(swaps_path));
        r = mounts_load_from(info_path, swaps_path, &m);
        FUZZ_CHECK(r == 0, "the reader failed (%d) on text it can read", r);
        in.text = (const char *)data;
        in.len = info_len;
        mounts_foreach(m, visit, &in);
        mounts_free(m);
        close(info_fd);
        close(swaps_fd);
        return 0;
}
