/* qubes-devices-monitor: the resident device monitor of a backend domain
 * (monitor.h), and with --resync a single resynchronisation of the lists
 * (run at boot). */
#include <getopt.h>
#include <stdio.h>

#include "configure.h"
#include "log.h"
#include "monitor.h"
#include "parse.h"
#include "settings.h"
#include "util.h"

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: qubes-devices-monitor [--resync [--wait SECONDS]]\n"
                "       qubes-devices-monitor --help | --version\n"
                "\n"
                "Keeps qubes-block-devices and qubes-usb-devices equal to the devices this\n"
                "domain may offer: udev's events handled in process, mounts and swap\n"
                "followed (they make no uevent), this domain's vbds watched (an attach\n"
                "hides a disk's partitions, a detach offers them again), both lists\n"
                "resynchronized at start, on SIGHUP and whenever the store comes back.\n"
                "While it runs, the udev rules' helpers leave the events to it.\n"
                "\n"
                "  --resync        resynchronize both lists once and exit\n"
                "  --wait SECONDS  with --resync: wait that long for the store (default 60)\n"
                "\n"
                "Settings (store = auto|xenstore|qubesdb, debug = yes): %s\n",
                QUBES_CONFIG_FILE);
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "resync", no_argument, NULL, 'r' },
                { "wait", required_argument, NULL, 'w' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        struct monitor_options opts = MONITOR_OPTIONS_DEFAULT;
        struct reason why = REASON_INIT;
        struct config config;
        bool once = false;
        uint32_t wait_s = 60;
        int c, r;

        log_init(argv[0]);
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case 'r':
                        once = true;
                        break;
                case 'w':
                        if (parse_u32(optarg, 10, &wait_s) < 0 || wait_s > 3600) {
                                log_error(-EINVAL, "--wait takes seconds, 0 to 3600, not '%s'", optarg);
                                return 2;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("qubes-devices-monitor %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                log_error(-EINVAL, "unexpected argument '%s' (see --help)", argv[optind]);
                return 2;
        }
        if (config_load(QUBES_CONFIG_FILE, &config, &why) < 0) {
                log_reason(LOG_LEVEL_WARNING, &why);
                reason_clear(&why);
        }
        log_set_debug(config.debug || log_debug_enabled());
        opts.store = config.store;
        r = once ? monitor_resync_once(config.store, (int)wait_s, &why) : monitor_run(&opts, &why);
        if (r < 0) {
                log_reason(LOG_LEVEL_ERROR, &why);
                return 1;
        }
        return 0;
}
