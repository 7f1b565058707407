# 60-driver-domain.sh: a PV domU as block driver domain (blkback, `xl devd`,
# qubes-block and the udev helpers inside it, see vm/driver-role). dom0
# creates its qubes-block-devices writable for it; the helper publishes from
# inside under the real permissions; then qubes-devices-monitor takes over
# there (qxd.monitor=1: a stale entry, a loop, its mount and unmount, its
# losetup -d); a disk is served from it to a guest, the monitor watching.
#
# One driver domain and one client for the whole file, tests in order.

DRIVER=qxd-driver
CLIENT=qxd-client
SHARED=/tmp/qxd-60

setup_file() {
        local out
        rm -rf "$SHARED"
        mkdir -p "$SHARED"
        cat >"$SHARED/driver.cfg" <<EOF
name = "$DRIVER"
type = "pv"
kernel = "$GUEST_DIR/vmlinuz"
ramdisk = "/qxd/driver-initrd.gz"
extra = "console=hvc0 loglevel=3 qxd.role=driver qxd.monitor=1"
memory = 384
vcpus = 1
driver_domain = 1
EOF
        out=$(timeout 120 xl create "$SHARED/driver.cfg" 2>&1) ||
                { xl destroy "$DRIVER" 2>/dev/null; fail "xl create $DRIVER failed: $out"; }
}

teardown_file() {
        ! domid_of "$CLIENT" >/dev/null || timeout 60 xl destroy "$CLIENT"
        ! domid_of "$DRIVER" >/dev/null || timeout 60 xl destroy "$DRIVER"
}

driver_says() {         # SECONDS TEXT
        wait_console "$DRIVER" "$1" "QXD-DRIVER $2" ||
                { show_console "$DRIVER"; fail "the driver domain did not report '$2'"; }
}

# The driver's latest count of loop devices on the disk it serves.
driver_loops() {
        grep -F "QXD-DRIVER disk.img loops=" "$(console_log "$DRIVER")" | tail -n 1 |
                sed 's/.*loops=\([0-9]*\).*/\1/'
}

driver_loops_are() { [ "$(driver_loops)" = "$1" ]; }   # N: a predicate

# show_backends: the driver's vbd backends, for a failure message.
show_backends() {
        echo "--- backends of $DRIVER:" >&2
        xenstore-ls -f "/local/domain/$(domid_of "$DRIVER")/backend" >&2 2>&1 || true
}

test_driver_domain_runs_xl_devd() {
        driver_says 240 "devd running"
}

test_driver_helper_without_grant_says_dom0_must_create_the_node() {
        local line
        driver_says 60 "helper-before-grant"
        line=$(grep -F "QXD-DRIVER helper-before-grant" "$(console_log "$DRIVER")")
        echo "$line" >&2
        assert_contains "$line" "rc=1" "the helper's status"
        assert_contains "$line" "qubes-block-devices" "the helper's message"
        assert_contains "$line" "dom0" "the helper's message"
}

test_driver_publishes_after_dom0_grants_the_subtree() {
        local d home
        d=$(domid_of "$DRIVER") || fail "$DRIVER is not running"
        home=/local/domain/$d
        # As dom0's tooling does: the node, owned by the driver domain.
        xs_write "$home/qubes-block-devices" ""
        xenstore-chmod "$home/qubes-block-devices" "n$d" ||
                fail "xenstore-chmod of $home/qubes-block-devices failed"
        driver_says 60 "granted"
        driver_says 120 "published loop0"
        grep -F "QXD-DRIVER published" "$(console_log "$DRIVER")" >&2
        assert_xs "$home/qubes-block-devices/loop0/desc" /srv/offer.img
        assert_xs "$home/qubes-block-devices/loop0/size" 8388608
        assert_xs "$home/qubes-block-devices/loop0/mode" w
}

# The driver's monitor log, as its console relayed it.
driver_monitor_log() { grep -F "QXD-DRIVER monitor log:" "$(console_log "$DRIVER")" || true; }

test_driver_monitor_follows_its_devices_under_domU_permissions() {
        local d log
        d=$(domid_of "$DRIVER") || fail "$DRIVER is not running"
        driver_says 120 "monitor scenario done"
        log=$(grep -F "QXD-DRIVER monitor " "$(console_log "$DRIVER")" | grep -vF "monitor log:")
        echo "$log" >&2
        case $log in *"monitor FAILED"*) fail "a step of the driver's monitor failed" ;; esac
        for step in "ready" "dropped the stale entry" "withdrew loop[0-9]* on its mount" \
                "offered loop[0-9]* after its unmount" "withdrew loop[0-9]* on losetup -d"; do
                echo "$log" | grep -q "monitor $step in " || fail "no report of the step '$step'"
        done
        echo "$log" | sed -n 's/.*monitor withdrew \(loop[0-9]*\) on its mount in \([0-9]*\) ms.*/TIME driver-domain monitor mount-to-withdrawn \2 ms (seen from the domU, emulated CPU)/p'
        assert_no_xs "/local/domain/$d/qubes-block-devices/sdzz"
        assert_xs "/local/domain/$d/qubes-block-devices/loop0/desc" /srv/offer.img
}

test_driver_serves_a_disk_to_a_guest() {
        local d c be
        d=$(domid_of "$DRIVER") || fail "$DRIVER is not running"
        start_guest "$CLIENT" \
                "backend=$DRIVER,format=raw,vdev=xvda,access=rw,script=qubes-block,target=/srv/disk.img"
        QXD_DEFERRED=()         # keep the client for the next test
        wait_console "$CLIENT" 180 "QXD-GUEST booted from xvda marker=driver-disk" ||
                { show_console "$CLIENT"; show_console "$DRIVER"; fail "the client did not boot from the driver's disk"; }
        c=$(domid_of "$CLIENT")
        be=$(backend_path "$d" "$c" xvda)
        assert_xs "$be/hotplug-status" connected
        xs_exists "$be/physical-device" || fail "$be/physical-device is missing"
        wait_until 10 "the driver to count one loop on disk.img" driver_loops_are 1
}

test_driver_releases_the_loop_when_the_guest_is_destroyed() {
        domid_of "$CLIENT" >/dev/null || fail "$CLIENT is not running"
        echo "destroying $CLIENT at $(cut -d' ' -f1 /proc/uptime) s (dom0 uptime)" >&2
        timeout 60 xl destroy "$CLIENT" || fail "xl destroy $CLIENT failed"
        show_backends
        wait_until 60 "the driver to release the loop on disk.img" driver_loops_are 0
        assert_no_xs "/local/domain/$(domid_of "$DRIVER")/backend/vbd"
}

test_driver_monitor_logged_no_error() {
        local errors
        errors=$(driver_monitor_log | grep -iE "error|cannot|denied" || true)
        [ -z "$errors" ] || fail "the driver's monitor logged: $errors"
        driver_monitor_log | grep -q "ready: the lists are true" || fail "the driver's monitor never got ready"
}
