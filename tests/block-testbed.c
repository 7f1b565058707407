/* block-testbed.c: run a command inside a umockdev test bed of block devices,
 * answering DM_DEV_STATUS on /dev/mapper/control with given open counts
 * (what umockdev-run cannot: dm's ioctl is not in its recording format).
 *
 *   umockdev-wrapper block-testbed [--dm-open MAJ:MIN=COUNT]... BED -- CMD ARGS...
 *
 * BED is a hand-written umockdev description (tests/testbeds/). Exits with
 * CMD's status. A dm device not listed with --dm-open gets ENXIO, as from a
 * kernel that does not know it. */
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/dm-ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <umockdev.h>
#include <unistd.h>

#define DM_OPEN_MAX 16

struct dm_open {
        uint64_t encoded_dev;           /* as the kernel decodes dm_ioctl.dev */
        int32_t count;
};

static struct dm_open dm_opens[DM_OPEN_MAX];
static size_t n_dm_opens;
static GMainLoop *loop;
static int child_status = 1;

static uint64_t dm_encode(unsigned maj, unsigned min)
{
        return (min & 0xffu) | ((uint64_t)maj << 8) | ((uint64_t)(min & ~0xffu) << 12);
}

static gboolean on_ioctl(UMockdevIoctlBase *base, UMockdevIoctlClient *client, gpointer userdata)
{
        UMockdevIoctlData *arg, *data;
        GError *error = NULL;
        struct dm_ioctl dmi;

        if (umockdev_ioctl_client_get_request(client) != DM_DEV_STATUS) {
                umockdev_ioctl_client_complete(client, -1, ENOTTY);
                return TRUE;
        }
        arg = umockdev_ioctl_client_get_arg(client);
        data = umockdev_ioctl_data_resolve(arg, 0, sizeof(dmi), &error);
        if (!data) {
                fprintf(stderr, "block-testbed: cannot read dm_ioctl: %s\n", error->message);
                g_error_free(error);
                umockdev_ioctl_client_complete(client, -1, EFAULT);
                return TRUE;
        }
        memcpy(&dmi, data->data, sizeof(dmi));
        for (size_t i = 0; i < n_dm_opens; i++) {
                if (dm_opens[i].encoded_dev != dmi.dev)
                        continue;
                dmi.open_count = dm_opens[i].count;
                umockdev_ioctl_data_update(data, 0, (guint8 *)&dmi, sizeof(dmi));
                umockdev_ioctl_client_complete(client, 0, 0);
                return TRUE;
        }
        umockdev_ioctl_client_complete(client, -1, ENXIO);
        return TRUE;
}

static void on_child_exit(GPid pid, gint status, gpointer userdata)
{
        child_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        g_spawn_close_pid(pid);
        g_main_loop_quit(loop);
}

static int parse_dm_open(const char *spec)
{
        unsigned maj, min;
        int count, end = 0;

        if (n_dm_opens == DM_OPEN_MAX || sscanf(spec, "%u:%u=%d%n", &maj, &min, &count, &end) != 3 ||
            spec[end] != '\0')
                return -1;
        dm_opens[n_dm_opens++] = (struct dm_open){ dm_encode(maj, min), count };
        return 0;
}

/* umockdev's format has no comments: ours start with '#' and are dropped. */
static int testbed_load(UMockdevTestbed *bed, const char *path)
{
        GError *error = NULL;
        gchar *text = NULL;
        GString *description = g_string_new(NULL);
        gchar **lines;
        int r = 0;

        if (!g_file_get_contents(path, &text, NULL, &error)) {
                fprintf(stderr, "block-testbed: %s\n", error->message);
                g_string_free(description, TRUE);
                g_error_free(error);
                return -1;
        }
        lines = g_strsplit(text, "\n", -1);
        for (gchar **l = lines; *l; l++)
                if (**l != '#')
                        g_string_append_printf(description, "%s\n", *l);
        if (!umockdev_testbed_add_from_string(bed, g_strchug(description->str), &error)) {
                fprintf(stderr, "block-testbed: %s: %s\n", path, error->message);
                g_error_free(error);
                r = -1;
        }
        g_strfreev(lines);
        g_free(text);
        g_string_free(description, TRUE);
        return r;
}

int main(int argc, char *argv[])
{
        UMockdevTestbed *bed;
        UMockdevIoctlBase *dm_control = NULL;
        GError *error = NULL;
        GPid pid;
        int i = 1;

        for (; i + 1 < argc && strcmp(argv[i], "--dm-open") == 0; i += 2)
                if (parse_dm_open(argv[i + 1]) < 0) {
                        fprintf(stderr, "block-testbed: bad --dm-open %s\n", argv[i + 1]);
                        return 2;
                }
        if (i + 2 >= argc || strcmp(argv[i + 1], "--") != 0) {
                fprintf(stderr, "usage: block-testbed [--dm-open MAJ:MIN=COUNT]... BED -- CMD ARGS...\n");
                return 2;
        }

        bed = umockdev_testbed_new();
        if (testbed_load(bed, argv[i]) < 0)
                return 2;
        if (n_dm_opens > 0) {
                dm_control = umockdev_ioctl_base_new();
                g_signal_connect(dm_control, "handle-ioctl", G_CALLBACK(on_ioctl), NULL);
                if (!umockdev_testbed_attach_ioctl(bed, "/dev/mapper/control", dm_control, &error)) {
                        fprintf(stderr, "block-testbed: /dev/mapper/control: %s\n", error->message);
                        return 2;
                }
        }

        loop = g_main_loop_new(NULL, FALSE);
        if (!g_spawn_async(NULL, argv + i + 2, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                           NULL, NULL, &pid, &error)) {
                fprintf(stderr, "block-testbed: cannot run %s: %s\n", argv[i + 2], error->message);
                return 2;
        }
        g_child_watch_add(pid, on_child_exit, NULL);
        g_main_loop_run(loop);

        g_main_loop_unref(loop);
        if (dm_control)
                g_object_unref(dm_control);
        g_object_unref(bed);
        fflush(NULL);
        /* glib's type system keeps its allocations to the end: not our leaks */
        _exit(child_status);
}
