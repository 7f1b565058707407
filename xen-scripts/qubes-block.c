/* qubes-block: the Xen block hotplug helper. libxl (or `xl devd` in a backend
 * domain) runs it as `qubes-block add|remove` with XENBUS_PATH set. */
#include <stdio.h>

#include "config.h"
#include "hotplug.h"
#include "log.h"
#include "util.h"

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: qubes-block add|remove\n"
                "       qubes-block --help | --version\n"
                "\n"
                "Xen block hotplug helper: attaches the file or block device named by\n"
                "XENBUS_PATH/params (a loop device for a regular file), writes\n"
                "physical-device, physical-device-path and diskseq, and on remove releases\n"
                "only the loop device it created. Errors go to stderr, to xenstore\n"
                "hotplug-error, and to %s.\n"
                "\n"
                "To debug an attach by hand, in the backend domain:\n"
                "  XENBUS_PATH=backend/vbd/FRONTEND_DOMID/DEVID %s/qubes-block add\n"
                "  xenstore-ls -f /local/domain/$(xenstore-read domid)/backend/vbd/FRONTEND_DOMID/DEVID\n"
                "\n"
                "In a domain configuration:\n"
                "  disk = [ 'format=raw,vdev=xvdb,access=rw,script=qubes-block,target=/srv/disk.img' ]\n",
                QUBES_HOTPLUG_LOG, QUBES_XEN_SCRIPTS_DIR);
}

int main(int argc, char **argv)
{
        _cleanup_xsc_ struct xsc *xs = NULL;
        const char *xenbus_path = getenv("XENBUS_PATH");
        const char *xenbus_type = getenv("XENBUS_TYPE");
        struct hotplug_vbd vbd;
        bool add;
        int r;

        log_init(argv[0]);
        if (argc == 2 && streq(argv[1], "--help")) {
                usage(stdout);
                return 0;
        }
        if (argc == 2 && streq(argv[1], "--version")) {
                printf("qubes-block %s\n", PACKAGE_VERSION);
                return 0;
        }
        if (argc != 2 || (!streq(argv[1], "add") && !streq(argv[1], "remove"))) {
                log_error(-EINVAL, "expected one command, add or remove (see --help)");
                return 2;
        }
        add = streq(argv[1], "add");

        log_open_file(QUBES_HOTPLUG_LOG);
        log_set_context(xenbus_path);
        if (xenbus_type && !streq(xenbus_type, "vbd")) {
                log_error(-EINVAL, "XENBUS_TYPE is '%s': qubes-block handles vbd only", xenbus_type);
                return 1;
        }
        if (hotplug_parse_vbd(xenbus_path, &vbd) < 0 || xsc_open(&xs) < 0)
                return 1;

        r = add ? hotplug_add(xs, &vbd) : hotplug_remove(xs, &vbd);
        if (r == 0)
                return 0;

        /* Tell the toolstack why; if the connection is what failed, a new one
         * may still carry the message. */
        const char *status = r == HOTPLUG_BUSY ? "busy" : "error";
        char message[1024];

        snprintf(message, sizeof(message), "%s", log_last_error());
        if (hotplug_report_failure(xs, &vbd, status, message) < 0 && xsc_reconnect(xs) == 0)
                hotplug_report_failure(xs, &vbd, status, message);
        return 1;
}
