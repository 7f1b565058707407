/* qubes-block: the Xen block hotplug helper. libxl (or `xl devd` in a backend
 * domain) runs it as `qubes-block add|remove` with XENBUS_PATH set. */
#include <stdio.h>

#include "configure.h"
#include "deadline.h"
#include "hotplug.h"
#include "log.h"
#include "settings.h"
#include "util.h"

/* After a failure, the look for a new connection to say why. */
#define REPORT_BUDGET_MS 5000

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
                "Settings (debug = yes): %s.\n"
                "\n"
                "To debug an attach by hand, in the backend domain:\n"
                "  XENBUS_PATH=backend/vbd/FRONTEND_DOMID/DEVID %s/qubes-block add\n"
                "  xenstore-ls -f /local/domain/$(xenstore-read domid)/backend/vbd/FRONTEND_DOMID/DEVID\n"
                "\n"
                "In a domain configuration:\n"
                "  disk = [ 'format=raw,vdev=xvdb,access=rw,script=qubes-block,target=/srv/disk.img' ]\n",
                QUBES_HOTPLUG_LOG, QUBES_CONFIG_FILE, QUBES_XEN_SCRIPTS_DIR);
}

static void load_config(void)
{
        struct config config;
        struct reason why = REASON_INIT;

        if (config_load(QUBES_CONFIG_FILE, &config, &why) < 0)
                log_reason(LOG_LEVEL_WARNING, &why);
        if (config.debug)
                log_set_debug(true);
}

/* Tell the toolstack why, with a budget of its own; if that fails too, once
 * more on a new connection (within the run's bound). */
static void report(struct xsc *xs, const struct vbd *vbd, int r, const struct reason *why)
{
        const char *status = r == HOTPLUG_BUSY ? "busy" : "error";

        if (xsc_renew(xs, REPORT_BUDGET_MS, NULL) == 0 && hotplug_report_failure(xs, vbd, status, why->text) == 0)
                return;
        if (xsc_reconnect(xs, REPORT_BUDGET_MS, NULL) == 0)
                hotplug_report_failure(xs, vbd, status, why->text);
}

int main(int argc, char **argv)
{
        _cleanup_xsc_ struct xsc *xs = NULL;
        const char *xenbus_path = getenv("XENBUS_PATH"), *xenbus_type = getenv("XENBUS_TYPE");
        int64_t end = deadline_after(XSC_RUN_MAX_MS);   /* libxl kills us at 40 s */
        struct reason why = REASON_INIT;
        struct vbd vbd;
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
        load_config();
        if (xenbus_type && !streq(xenbus_type, "vbd")) {
                log_error(-EINVAL, "XENBUS_TYPE is '%s': qubes-block handles vbd only", xenbus_type);
                return 1;
        }
        if (vbd_parse_path(xenbus_path, &vbd, &why) < 0 || xsc_open(&xs, &why) < 0) {
                log_reason(LOG_LEVEL_ERROR, &why);
                return 1;
        }
        xsc_set_end(xs, end);

        r = add ? hotplug_add(xs, &vbd, &why) : hotplug_remove(xs, &vbd, &why);
        if (r == 0) {
                if (reason_is_set(&why))
                        log_reason(LOG_LEVEL_INFO, &why);
                return 0;
        }
        if (!reason_is_set(&why))
                reason_set_errno(&why, r, "%s of %s failed", argv[1], vbd.path);
        log_reason(LOG_LEVEL_ERROR, &why);
        report(xs, &vbd, r, &why);
        return 1;
}
