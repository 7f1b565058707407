/* main.c: xen-devices, dom0's command line over the library: parses the
 * arguments, calls one module, prints the result, maps it to an exit code. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include "attach.h"
#include "daemon.h"
#include "domains.h"
#include "inventory.h"
#include "prepare.h"
#include "report.h"
#include "store.h"
#include "toolstack.h"
#include "version.h"

/* Exit codes (documented in xen-devices(1)). */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,        /* xenstore, libxl or the hotplug script failed */
        EXIT_USAGE = 2,         /* bad command line */
        EXIT_NOT_FOUND = 3,     /* unknown domain, device not offered, not attached */
        EXIT_REFUSED = 4,       /* own backend, rw of an r entry, vdev or device busy */
        EXIT_NO_LIBXL = 5,      /* attach/detach without libxenlight */
};

static const char usage_text[] =
        "Usage: xen-devices COMMAND [ARGUMENTS]\n"
        "\n"
        "Discover, attach and detach the block and USB devices that backend domains\n"
        "offer in xenstore (qubes-block-devices/, qubes-usb-devices/).\n"
        "\n"
        "  prepare DOMAIN...                      make the subtrees writable for DOMAIN\n"
        "  daemon                                 prepare new domains, log device changes\n"
        "  block list [DOMAIN] [--json]           offered block devices, where attached\n"
        "  block attach FRONTEND BACKEND:DEVICE [--ro|--rw] [--vdev xvdX]\n"
        "  block detach FRONTEND BACKEND:DEVICE|VDEV\n"
        "  usb list [DOMAIN] [--json]             offered USB devices\n"
        "  --help, --version\n"
        "\n"
        "DOMAIN is a name or an id. Exit status: 0 ok, 1 failed, 2 usage,\n"
        "3 not found, 4 refused, 5 libxenlight unavailable. See xen-devices(1).\n";

static int exit_code(int r)
{
        switch (r) {
        case 0: return EXIT_OK;
        case -EINVAL: return EXIT_USAGE;
        case -ENOENT: return EXIT_NOT_FOUND;
        case -EPERM: case -EBUSY: return EXIT_REFUSED;
        case -ENODEV: return EXIT_NO_LIBXL;
        default: return EXIT_FAILED;
        }
}

static int fail(int r, const char *text)
{
        fprintf(stderr, "xen-devices: %s\n", text && *text ? text : strerror(-r));
        return exit_code(r);
}

static int usage_error(const char *text)
{
        fprintf(stderr, "xen-devices: %s\nTry 'xen-devices --help'.\n", text);
        return EXIT_USAGE;
}

/* The domains, through libxl when a context can be made (TS stays NULL
 * otherwise), else from xenstore. */
static int load_domains(struct xs_handle *h, struct toolstack **ts, struct domain_list *out)
{
        struct reason ignored = REASON_INIT;

        if (!*ts && toolstack_open(ts, &ignored) < 0)
                *ts = NULL;
        if (*ts && toolstack_list_domains(*ts, out) == 0)
                return 0;
        return domains_read_xenstore(h, out);
}

static int open_store(struct xs_handle **h)
{
        int r = store_open(h);

        if (r < 0)
                fprintf(stderr, "xen-devices: cannot connect to xenstore: %s\n", strerror(-r));
        return r;
}

static int cmd_prepare(int argc, char **argv)
{
        _cleanup_store_ struct xs_handle *h = NULL;
        _cleanup_(toolstack_freep) struct toolstack *ts = NULL;
        struct domain_list domains = { 0 };
        int status = EXIT_OK;

        if (argc < 2)
                return usage_error("prepare needs at least one DOMAIN");
        if (open_store(&h) < 0 || load_domains(h, &ts, &domains) < 0)
                return EXIT_FAILED;
        for (int i = 1; i < argc; i++) {
                const struct domain *d;
                struct reason why = REASON_INIT;
                int r = domains_lookup(&domains, argv[i], &d, &why);

                if (r >= 0)
                        r = prepare_domain(h, d->domid, &why);
                if (r < 0)
                        status = fail(r, why.text);
        }
        domain_list_done(&domains);
        return status;
}

static void print_warnings(struct warnings *w)
{
        for (size_t i = 0; i < w->n; i++)
                fprintf(stderr, "xen-devices: warning: %s\n", w->v[i]);
        warnings_done(w);
}

/* Reads the devices of every domain, or of the one named by ONLY. */
static int read_devices(struct xs_handle *h, const struct domain_list *domains, const char *only,
                        unsigned what, struct domain_devices **out, size_t *n)
{
        struct domain_devices *v = calloc(domains->n ? domains->n : 1, sizeof(*v));
        struct warnings warnings = { 0 };
        const struct domain *one = NULL;
        struct reason why = REASON_INIT;
        int r = 0;

        if (!v)
                return fail(-ENOMEM, "out of memory");
        if (only && (r = domains_lookup(domains, only, &one, &why)) < 0) {
                free(v);
                return fail(r, why.text);
        }
        *n = 0;
        for (size_t i = 0; i < domains->n && r >= 0; i++) {
                if (one && one != &domains->v[i])
                        continue;
                r = inventory_read(h, &domains->v[i], what, &v[*n], &warnings);
                if (r >= 0)
                        (*n)++;
        }
        print_warnings(&warnings);
        *out = v;
        if (r < 0)
                fprintf(stderr, "xen-devices: cannot read the devices: %s\n", strerror(-r));
        return r < 0 ? EXIT_FAILED : EXIT_OK;
}

static int cmd_list(int argc, char **argv, bool block)
{
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 },
        };
        _cleanup_store_ struct xs_handle *h = NULL;
        _cleanup_(toolstack_freep) struct toolstack *ts = NULL;
        struct domain_list domains = { 0 };
        struct domain_devices *devices = NULL;
        bool json = false;
        size_t n = 0;
        int c, status;

        while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
                if (c != 'j')
                        return usage_error("list knows only --json");
                json = true;
        }
        if (argc - optind > 1)
                return usage_error("list takes at most one DOMAIN");
        if (open_store(&h) < 0 || load_domains(h, &ts, &domains) < 0)
                return EXIT_FAILED;
        status = read_devices(h, &domains, optind < argc ? argv[optind] : NULL,
                              block ? INVENTORY_BLOCK : INVENTORY_USB, &devices, &n);
        if (status == EXIT_OK && block)
                (json ? report_block_json : report_block_text)(stdout, devices, n, &domains);
        else if (status == EXIT_OK)
                (json ? report_usb_json : report_usb_text)(stdout, devices, n);
        for (size_t i = 0; i < n; i++)
                domain_devices_done(&devices[i]);
        free(devices);
        domain_list_done(&domains);
        return status;
}

/* libxl for attach and detach, with a clear word when there is none. */
static int need_toolstack(struct toolstack **ts)
{
        struct reason why = REASON_INIT;
        int r = toolstack_open(ts, &why);

        if (r < 0) {
                *ts = NULL;
                fprintf(stderr, "xen-devices: attach and detach need libxenlight in dom0 "
                        "(a running Xen hypervisor, /dev/xen/privcmd, root): %s\n", why.text);
                return exit_code(r);
        }
        return EXIT_OK;
}

static int cmd_attach(int argc, char **argv)
{
        static const struct option options[] = {
                { "ro", no_argument, NULL, 'r' }, { "rw", no_argument, NULL, 'w' },
                { "vdev", required_argument, NULL, 'v' }, { NULL, 0, NULL, 0 },
        };
        _cleanup_store_ struct xs_handle *h = NULL;
        _cleanup_(toolstack_freep) struct toolstack *ts = NULL;
        struct attach_request req = { .mode = ATTACH_DEFAULT };
        struct domain_list domains = { 0 };
        struct attach_result res;
        struct reason why = REASON_INIT;
        int c, r, status;

        while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
                if (c == 'v')
                        req.vdev = optarg;
                else if (c == 'r' || c == 'w')
                        req.mode = c == 'r' ? ATTACH_READ_ONLY : ATTACH_READ_WRITE;
                else
                        return usage_error("attach knows --ro, --rw and --vdev xvdX");
        }
        if (argc - optind != 2)
                return usage_error("attach needs FRONTEND and BACKEND:DEVICE");
        req.frontend = argv[optind];
        req.device = argv[optind + 1];
        status = need_toolstack(&ts);
        if (status != EXIT_OK)
                return status;
        if (open_store(&h) < 0 || load_domains(h, &ts, &domains) < 0)
                return EXIT_FAILED;
        r = attach_block(h, ts, &domains, &req, &res, &why);
        domain_list_done(&domains);
        if (r < 0)
                return fail(r, why.text);
        printf("%s attached to %s as %s (%s)\n", req.device, req.frontend, res.vdev,
               res.writable ? "read-write" : "read-only");
        return EXIT_OK;
}

static int cmd_detach(int argc, char **argv)
{
        _cleanup_store_ struct xs_handle *h = NULL;
        _cleanup_(toolstack_freep) struct toolstack *ts = NULL;
        struct domain_list domains = { 0 };
        struct reason why = REASON_INIT;
        char vdev[8];
        int r, status;

        if (argc != 3)
                return usage_error("detach needs FRONTEND and BACKEND:DEVICE or VDEV");
        status = need_toolstack(&ts);
        if (status != EXIT_OK)
                return status;
        if (open_store(&h) < 0 || load_domains(h, &ts, &domains) < 0)
                return EXIT_FAILED;
        r = detach_block(h, ts, &domains, argv[1], argv[2], vdev, &why);
        domain_list_done(&domains);
        if (r < 0)
                return fail(r, why.text);
        printf("%s detached from %s\n", vdev, argv[1]);
        return EXIT_OK;
}

static void daemon_print(void *userdata, enum daemon_level level, const char *text)
{
        static const char *const prefix[] = { "", "warning: ", "error: " };
        static const int syslog_level[] = { 6, 4, 3 };

        /* under systemd, a <N> prefix gives the journal the priority */
        if (getenv("JOURNAL_STREAM"))
                printf("<%d>%s\n", syslog_level[level], text);
        else
                printf("%s%s\n", prefix[level], text);
        fflush(stdout);
}

static int cmd_daemon(int argc, char **argv)
{
        _cleanup_store_ struct xs_handle *h = NULL;
        _cleanup_close_ int stop_fd = -1;
        const struct daemon_sink sink = { .line = daemon_print };
        sigset_t mask;
        int r;

        if (argc != 1)
                return usage_error("daemon takes no arguments");
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        stop_fd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (stop_fd < 0)
                return fail(-errno, "cannot create a signalfd");
        if (open_store(&h) < 0)
                return EXIT_FAILED;
        r = daemon_run(h, stop_fd, &sink);
        if (r < 0) {
                fprintf(stderr, "xen-devices: daemon stopped: %s\n", strerror(-r));
                return EXIT_FAILED;
        }
        return EXIT_OK;
}

int main(int argc, char **argv)
{
        const char *cmd = argc > 1 ? argv[1] : "";
        const char *sub = argc > 2 ? argv[2] : "";

        optind = 0;     /* each command parses its own words with getopt */
        if (streq(cmd, "--help") || streq(cmd, "-h")) {
                fputs(usage_text, stdout);
                return EXIT_OK;
        }
        if (streq(cmd, "--version")) {
                printf("xen-devices " XEN_DEVICES_VERSION "\n");
                return EXIT_OK;
        }
        if (streq(cmd, "prepare"))
                return cmd_prepare(argc - 1, argv + 1);
        if (streq(cmd, "daemon"))
                return cmd_daemon(argc - 1, argv + 1);
        if (streq(cmd, "block") && streq(sub, "list"))
                return cmd_list(argc - 2, argv + 2, true);
        if (streq(cmd, "usb") && streq(sub, "list"))
                return cmd_list(argc - 2, argv + 2, false);
        if (streq(cmd, "block") && streq(sub, "attach"))
                return cmd_attach(argc - 2, argv + 2);
        if (streq(cmd, "block") && streq(sub, "detach"))
                return cmd_detach(argc - 2, argv + 2);
        if (!*cmd)
                return usage_error("no command given");
        return usage_error("unknown command");
}
