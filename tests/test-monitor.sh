# test-monitor.sh: qubes-devices-monitor on real loop devices, publishing
# in the store of the run (xenstore or QubesDB, store-lib.sh): the resync at
# start and its no-change rerun, what makes no uevent (mount, swap),
# losetup -d, attach and detach through qubes-block (the vbds are always
# xenstore's), the hand-off with the rules' helpers, udevd's events, a
# SIGKILL in a storm, the store gone and back, and a queue of 10,000 events.
#
# Each test keeps a private mount namespace (tests/with-test-sys: blkback's
# vbd list and the runtime dir are the scratch dir's) alive with a holder
# process; the monitor, its mounts and the helpers run in it (nsenter), so
# that a mount outlives a killed monitor. No udevd runs here: the monitor
# listens to the kernel's events.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/block-lib.sh"
. "$TESTS_DIR/hotplug-lib.sh"

MONITOR=$BIN/qubes-devices-monitor
USB_ROOT=$STORE_HOME/qubes-usb-devices

# ns_start: the test's namespace, held by a sleeping process (NS_PID).
ns_start() {
        new_scratch
        store_offer_socket
        "$TESTS_DIR/with-test-sys" "$SCRATCH" sleep 3600 &
        NS_PID=$!
        echo "$NS_PID" >>"$SCRATCH/.kill"
        for _ in $(seq 100); do
                nsenter -t "$NS_PID" -m test -L /sys/bus/xen-backend/drivers/vbd 2>/dev/null && return 0
                sleep 0.05
        done
        fail "the test namespace did not come up"
}

in_ns() { nsenter -t "$NS_PID" -m "$@"; }

# readies_above N: the monitor's log says "ready" more than N times.
readies() {
        local n
        n=$(grep -c "ready: the lists are true" "$SCRATCH/monitor.log" 2>/dev/null) || true
        echo "${n:-0}"
}
readies_above() { [ "$(readies)" -gt "$1" ]; }

# monitor_start: the monitor in the namespace (MON_PID), back when it says
# the lists are true.
monitor_start() {
        local before
        before=$(readies)
        # nsenter itself, not a shell function: $! is then the monitor (exec'd)
        nsenter -t "$NS_PID" -m env -i PATH="$PATH" XENSTORED_PATH="${MON_XENSTORED_PATH:-$XENSTORED_PATH}" \
                $(sanitizer_env) "$MONITOR" >>"$SCRATCH/monitor.log" 2>&1 &
        MON_PID=$!
        echo "$MON_PID" >>"$SCRATCH/.kill"
        wait_for "the monitor to be ready" readies_above "$before"
}

monitor_stop() {
        kill -TERM "$MON_PID" 2>/dev/null
        wait "$MON_PID" 2>/dev/null || true
}

# wait_for WHAT CMD...: CMD succeeds within 5 s, else the test fails.
wait_for() {
        local what=$1 i
        shift
        for i in $(seq 250); do
                "$@" 2>/dev/null && return 0
                sleep 0.02
        done
        cp "$SCRATCH/monitor.log" /tmp/last-monitor.log 2>/dev/null
        fail "$what: not within 5 s ($(tail -n 5 "$SCRATCH/monitor.log" 2>/dev/null))"
}

offered() { store_exists "$BLOCK_ROOT/${1#/dev/}/desc"; }
withdrawn() { ! store_exists "$BLOCK_ROOT/${1#/dev/}"; }

test_resync_at_start_offers_what_is_there_drops_stale_and_keeps_foreign_keys() {
        ns_start
        local loop
        loop=$(new_loop "$SCRATCH/img/a.img" 8M)
        store_write "$BLOCK_ROOT/${loop#/dev/}/connected-to" work
        store_write "$BLOCK_ROOT/sdzz/desc" "gone_disk"
        monitor_start
        assert_store "$BLOCK_ROOT/${loop#/dev/}/desc" "$SCRATCH/img/a.img"
        assert_store "$BLOCK_ROOT/${loop#/dev/}/size" 8388608
        assert_store "$BLOCK_ROOT/${loop#/dev/}/connected-to" work
        assert_no_store "$BLOCK_ROOT/sdzz"
}

resync() {
        local rc=0 line name ours
        in_ns env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(sanitizer_env) "$MONITOR" --resync \
                2>"$SCRATCH/err" || rc=$?
        [ "$rc" -ne 0 ] || return 0
        # under ctest -j2 another suite's loop device may not be judgeable
        # at that moment (its backing path buried, say): only ours count
        ours=" $(loops_backed_by "$SCRATCH" | tr '\n' ' ') "
        while IFS= read -r line; do
                case $line in *"resync: "*) continue ;; esac
                name=$(grep -oE 'loop[0-9]+' <<<"$line" | head -n 1)
                [ -n "$name" ] && [[ $ours != *" /dev/$name "* ]] && continue
                fail "resync failed: $(cat "$SCRATCH/err")"
        done <"$SCRATCH/err"
}

# Loop devices are the machine's: another test may bind or free one between
# two resyncs. Run until one says it changed nothing (at most 5), and that
# one must fire no trigger either.
test_resync_with_nothing_changed_writes_nothing() {
        ns_start
        local loop i
        loop=$(new_loop "$SCRATCH/img/a.img" 8M)
        resync
        offered "$loop" || fail "$loop not offered by the resync"
        for i in 1 2 3 4 5; do
                start_trigger_watch
                resync
                if grep -q "0 block entries written, 0 dropped; 0 USB entries written, 0 dropped" "$SCRATCH/err"; then
                        assert_eq "$(triggers_seen)" 0 "triggers of a resync that changed nothing"
                        return 0
                fi
                triggers_seen >/dev/null
        done
        fail "every rerun wrote something: $(cat "$SCRATCH/err")"
}

# Mounting makes no uevent: the monitor sees the mount table change.
test_mount_without_uevent_withdraws_and_unmount_offers_again() {
        ns_start
        local loop
        loop=$(new_loop "$SCRATCH/img/fs.img" 16M)
        mkfs.ext4 -q "$loop"
        monitor_start
        offered "$loop" || fail "$loop not offered at start"
        in_ns mkdir -p "$SCRATCH/mnt"
        in_ns mount "$loop" "$SCRATCH/mnt"
        wait_for "$loop withdrawn after its mount" withdrawn "$loop"
        in_ns umount "$SCRATCH/mnt"
        wait_for "$loop offered again after its unmount" offered "$loop"
}

test_swapon_withdraws_and_swapoff_offers_again() {
        ns_start
        local loop
        loop=$(new_loop "$SCRATCH/img/swap.img" 16M)
        mkswap "$loop" >/dev/null 2>&1 || skip "mkswap failed"
        monitor_start
        offered "$loop" || fail "$loop not offered at start"
        in_ns swapon "$loop" 2>/dev/null || skip "swapon is not permitted here"
        wait_for "$loop withdrawn after swapon" withdrawn "$loop"
        in_ns swapoff "$loop"
        wait_for "$loop offered again after swapoff" offered "$loop"
}

# `losetup -d` makes a change event, not a remove: the entry goes all the same.
test_losetup_d_withdraws_the_entry() {
        ns_start
        local loop
        loop=$(new_loop "$SCRATCH/img/a.img" 8M)
        monitor_start
        offered "$loop" || fail "$loop not offered at start"
        losetup -d "$loop"
        wait_for "$loop withdrawn after losetup -d" withdrawn "$loop"
}

test_new_loop_is_offered() {
        ns_start
        local loop
        monitor_start
        loop=$(new_loop "$SCRATCH/img/new.img" 8M)
        wait_for "$loop offered when bound" offered "$loop"
}

# Qubes' agent leaves a disk hidden after its partition's detach: the
# monitor judges the disk and its partitions again on attach and detach.
test_partition_attach_hides_the_disk_and_detach_offers_it_again() {
        ns_start
        local hex
        partitioned_loop
        monitor_start
        offered "$DISK" || fail "$DISK not offered at start"
        hex=$(printf '%x:%x' "$((0x$(stat -c %t "$SCRATCH/p1")))" "$((0x$(stat -c %T "$SCRATCH/p1")))")
        # as blkback does when it serves the vbd, then qubes-block's nodes
        mkdir -p "$SCRATCH/vbd/vbd-5-51712"
        echo "$hex" >"$SCRATCH/vbd/vbd-5-51712/physical_device"
        setup_vbd 5 51712 "$SCRATCH/p1" w
        hotplug add 5 51712
        assert_attached_ok 5 51712
        wait_for "$DISK withdrawn while its partition is attached" withdrawn "$DISK"
        rm -r "$SCRATCH/vbd/vbd-5-51712"
        hotplug remove 5 51712
        assert_eq "$RC" 0 "remove's exit status"
        wait_for "$DISK offered again after the detach" offered "$DISK"
}

# Each helper asks whether the monitor runs by taking its lock shared for a
# moment: a monitor starting then must wait for it, not give up; a second
# monitor must give up, saying why.
test_monitor_starts_while_a_helper_probes_its_lock_and_a_second_one_refuses() {
        ns_start
        local lock rc=0
        lock=$(build_setting QUBES_RUNTIME_DIR)/devices-monitor.lock
        in_ns sh -c 'mkdir -p "$(dirname "$1")" && exec flock -s "$1" sleep 0.4' - "$lock" &
        echo $! >>"$SCRATCH/.kill"
        sleep 0.1
        monitor_start
        # shellcheck disable=SC2046
        timeout 10 nsenter -t "$NS_PID" -m env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(sanitizer_env) \
                "$MONITOR" 2>"$SCRATCH/err" || rc=$?
        assert_eq "$rc" 1 "a second monitor's exit status"
        assert_contains "$(cat "$SCRATCH/err")" "another monitor runs" "a second monitor's stderr"
}

test_helpers_leave_events_to_the_running_monitor() {
        ns_start
        local loop rc=0
        loop=$(new_loop "$SCRATCH/img/a.img" 8M)
        monitor_start
        # shellcheck disable=SC2046
        in_ns env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(sanitizer_env) QUBES_XEN_DEVICES_DEBUG=1 \
                ACTION=change SUBSYSTEM=block $(loop_env "$loop") "$BIN/udev-block-add-change" \
                2>"$SCRATCH/err" || rc=$?
        assert_eq "$rc" 0 "helper's exit status"
        assert_contains "$(cat "$SCRATCH/err")" "the monitor handles this event"
        monitor_stop
        store_rm "$BLOCK_ROOT/${loop#/dev/}"
        # shellcheck disable=SC2046
        in_ns env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(sanitizer_env) \
                ACTION=change SUBSYSTEM=block $(loop_env "$loop") "$BIN/udev-block-add-change" \
                2>"$SCRATCH/err" || fail "helper without the monitor: $(cat "$SCRATCH/err")"
        offered "$loop" || fail "the helper did not publish $loop once the monitor was gone"
}

# Where udevd runs, the monitor hears udevd's events, properties and all:
# a flag the rules would act on (QUBES_EXPORT_BLOCK_DEVICE=0) withdraws the
# device, an event without it offers it again. Here no udevd runs: the
# namespace gets a /run with udevd's control file, and tests/uevent-send
# speaks for udevd.
test_udev_events_and_their_properties_are_heard() {
        ns_start
        local loop name runtime
        runtime=$(sed -n 's/^QUBES_RUNTIME_DIR:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
        loop=$(new_loop "$SCRATCH/img/a.img" 8M)
        name=${loop#/dev/}
        in_ns sh -c "mount -t tmpfs qxd-test-run /run && mkdir -p /run/udev $runtime &&
                     touch /run/udev/control && mount --bind $SCRATCH/run $runtime"
        monitor_start
        grep -q "listening to udev events" "$SCRATCH/monitor.log" || fail "not listening to udev: $(cat "$SCRATCH/monitor.log")"
        offered "$loop" || fail "$loop not offered by the resync"
        udev_says() {
                "$BIN/uevent-send" ACTION=change "DEVPATH=/devices/virtual/block/$name" SUBSYSTEM=block \
                        "DEVNAME=$loop" DEVTYPE=disk MAJOR=7 "MINOR=${name#loop}" SEQNUM=7 "$@"
        }
        udev_says QUBES_EXPORT_BLOCK_DEVICE=0
        wait_for "$loop withdrawn on udev's QUBES_EXPORT_BLOCK_DEVICE=0" withdrawn "$loop"
        # the kernel's own events are not heard: udevd passes them on
        echo change >"/sys/block/$name/uevent"
        sleep 0.3
        withdrawn "$loop" || fail "a kernel event was taken for udevd's"
        udev_says
        wait_for "$loop offered again" offered "$loop"
}

# Killed in the middle of a storm, restarted: the lists come out true.
test_sigkill_in_a_storm_then_restart_converges() {
        ns_start
        local a b c i
        a=$(new_loop "$SCRATCH/img/a.img" 16M)
        b=$(new_loop "$SCRATCH/img/b.img" 8M)
        c=$(new_loop "$SCRATCH/img/c.img" 8M)
        mkfs.ext4 -q "$a"
        monitor_start
        for i in $(seq 300); do
                echo change >"/sys/block/${a#/dev/}/uevent"
                echo change >"/sys/block/${b#/dev/}/uevent"
                [ "$i" -ne 150 ] || kill -KILL "$MON_PID"
        done
        wait "$MON_PID" 2>/dev/null || true
        # what changed while nobody watched
        in_ns mkdir -p "$SCRATCH/mnt"
        in_ns mount "$a" "$SCRATCH/mnt"
        losetup -d "$c"
        store_write "$BLOCK_ROOT/sdzz/desc" stale
        monitor_start
        withdrawn "$a" || fail "$a is mounted, yet offered"
        offered "$b" || fail "$b not offered"
        # its name may be another suite's new loop by now (ctest -j2): only
        # an entry of our file would be wrong
        withdrawn "$c" || [ "$(store_read "$BLOCK_ROOT/${c#/dev/}/desc")" != "$SCRATCH/img/c.img" ] ||
                fail "$c is detached, yet offered"
        assert_no_store "$BLOCK_ROOT/sdzz"
        in_ns umount "$SCRATCH/mnt"
        wait_for "$a offered after its unmount" offered "$a"
}

# store_server_start: a server of the store of the test's own (the suite's
# must stay), its pid in SERVER_PID; the monitor finds it through
# MON_XENSTORED_PATH (xenstore) or the socket in the runtime dir (QubesDB).
store_server_start() {
        case $STORE in
        xenstore)
                rm -f "$SCRATCH/xenstored"
                "$BIN/xs-test-server" --socket "$SCRATCH/xenstored" 2>>"$SCRATCH/server.log" &
                SERVER_PID=$!
                MON_XENSTORED_PATH=$SCRATCH/xenstored
                wait_for "a xenstore server" test -S "$SCRATCH/xenstored"
                ;;
        qubesdb)
                mkdir -p "$SCRATCH/qdb"
                rm -f "$SCRATCH/qdb/"*.sock
                "$BIN/qdb-test-server" --dir "$SCRATCH/qdb" 2>>"$SCRATCH/server.log" &
                SERVER_PID=$!
                ln -sfn "$SCRATCH/qdb/qubesdb.sock" "$SCRATCH/run/$QDB_SOCKET_NAME"
                wait_for "a QubesDB server" test -S "$SCRATCH/qdb/qubesdb.sock"
                ;;
        esac
        echo "$SERVER_PID" >>"$SCRATCH/.kill"
}

# offered_in_own_server /dev/loopN: in the test's own server.
offered_in_own_server() {
        case $STORE in
        xenstore) XENSTORED_PATH=$SCRATCH/xenstored xenstore-read "$BLOCK_ROOT/${1#/dev/}/desc" >/dev/null 2>&1 ;;
        qubesdb) QDB_TEST_SERVER_DIR=$SCRATCH/qdb qdb-tool read "$BLOCK_ROOT/${1#/dev/}/desc" >/dev/null 2>&1 ;;
        esac
}

# The store restarted empty: the monitor reconnects and resyncs.
test_store_gone_and_back_is_resynced() {
        ns_start
        local loop
        loop=$(new_loop "$SCRATCH/img/a.img" 8M)
        store_server_start
        monitor_start
        offered_in_own_server "$loop" || fail "$loop not offered at start"
        kill -KILL "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
        store_server_start
        for _ in $(seq 100); do
                offered_in_own_server "$loop" && break
                sleep 0.1
        done
        offered_in_own_server "$loop" ||
                fail "$loop not offered in the new store ($(tail -n 3 "$SCRATCH/monitor.log"))"
        case $STORE in
        xenstore) assert_contains "$(cat "$SCRATCH/monitor.log")" "lost the xenstore store" ;;
        qubesdb) assert_contains "$(cat "$SCRATCH/monitor.log")" "lost the QubesDB store" ;;
        esac
}

# 10,000 events queued while it is stopped: its memory stays bounded (the
# queue is one entry per device) and the lists come out true.
test_ten_thousand_queued_events_keep_memory_bounded() {
        ns_start
        local a b i hwm start
        a=$(new_loop "$SCRATCH/img/a.img" 8M)
        b=$(new_loop "$SCRATCH/img/b.img" 8M)
        # ASan keeps what is freed in quarantine (256 MiB by default) to
        # catch a use after free: memory of ASan's, not of the queue
        local ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
        monitor_start
        start=$(awk '/^VmHWM:/ { print $2 }' "/proc/$MON_PID/status")
        kill -STOP "$MON_PID"
        for ((i = 0; i < 5000; i++)); do
                echo change >"/sys/block/${a#/dev/}/uevent"
                echo change >"/sys/block/${b#/dev/}/uevent"
        done
        losetup -d "$b"
        kill -CONT "$MON_PID"
        wait_for "$b withdrawn after the queue" withdrawn "$b"
        offered "$a" || fail "$a not offered after the queue"
        hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$MON_PID/status")
        echo "  peak RSS: $start KiB when ready, $hwm KiB after 10,000 events" >&2
        [ -n "$start" ] && [ -n "$hwm" ] || fail "no VmHWM for the monitor"
        # what the queue may cost: the growth (the whole is bench/'s)
        [ $((hwm - start)) -lt 4096 ] || fail "peak RSS grew by $((hwm - start)) KiB"
}

# The resync's USB half, on a umockdev bed (no USB bus here): the stick
# udev described is offered, the hub is not.
test_resync_offers_usb_devices_udev_knows() {
        new_scratch
        local bed=$TESTS_DIR/usb-beds/hub-stick.umockdev
        store_offer_socket
        # env -i first: inside the bed it would drop umockdev's preload
        "$TESTS_DIR/with-test-sys" --run-only "$SCRATCH" env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" \
                $(sanitizer_env | sed '/^ASAN_OPTIONS=/d') ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
                umockdev-run -d "$bed" -- "$MONITOR" --resync 2>"$SCRATCH/err" ||
                fail "resync in the bed: $(cat "$SCRATCH/err")"
        assert_store "$USB_ROOT/2-1_4/usb-ver" 2
        store_exists "$USB_ROOT/2-1_4/desc" || fail "the stick has no desc"
        assert_no_store "$USB_ROOT/2-1"
}

# A USB device the resync cannot judge (udev says TYPE=junk): what it
# judged is written, but no entry is dropped, as it may be that device's.
test_usb_resync_that_cannot_judge_a_device_drops_nothing() {
        new_scratch
        local bed=$SCRATCH/broken.umockdev
        store_offer_socket
        awk '/^P: / { stick = ($0 ~ /\/2-1\.4$/) } stick && /^E: TYPE=/ { $0 = "E: TYPE=junk" } { print }' \
                "$TESTS_DIR/usb-beds/hub-stick.umockdev" >"$bed"
        grep -qx 'E: TYPE=junk' "$bed" || fail "the bed was not broken"
        store_write "$USB_ROOT/3-9/desc" "Other_device" "$USB_ROOT/3-9/usb-ver" 2 "$USB_ROOT/3-9/interfaces" ""
        store_write "$USB_ROOT/2-1_4/desc" "SanDisk_Cruzer_Blade" "$USB_ROOT/2-1_4/usb-ver" 2 \
                "$USB_ROOT/2-1_4/interfaces" ":080650:"
        RC=0
        # shellcheck disable=SC2046
        "$TESTS_DIR/with-test-sys" --run-only "$SCRATCH" env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" \
                $(sanitizer_env | sed '/^ASAN_OPTIONS=/d') ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
                umockdev-run -d "$bed" -- "$MONITOR" --resync 2>"$SCRATCH/err" || RC=$?
        assert_eq "$RC" 1 "resync's exit status ($(cat "$SCRATCH/err"))"
        assert_contains "$(cat "$SCRATCH/err")" "TYPE 'junk'" "resync's stderr"
        assert_store "$USB_ROOT/3-9/desc" "Other_device"
        assert_store "$USB_ROOT/2-1_4/desc" "SanDisk_Cruzer_Blade"
}

run_tests "$@"
