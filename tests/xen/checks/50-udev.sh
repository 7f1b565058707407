# 50-udev.sh: the project's udev rules and block helpers under a real udevd,
# writing to the real xenstored: loop devices are published under
# /local/domain/0/qubes-block-devices, the trigger fires once per change, and
# a loop that qubes-block attached keeps its entry (real /sys/bus/xen-backend).
#
# udevd runs only for this file, so that the other checks see no helper.

BLOCK_ROOT=/local/domain/0/qubes-block-devices

setup_file() {
        ls /usr/lib/udev/rules.d/99-qubes-block.rules >/dev/null ||
                fail "99-qubes-block.rules is not installed"
        /usr/lib/systemd/systemd-udevd --daemon --resolve-names=never \
                >/var/log/xen/udevd.log 2>&1 || fail "systemd-udevd did not start"
        wait_until 20 "udevd's control socket" test -S /run/udev/control
}

teardown_file() {
        udevadm control --exit 2>/dev/null || kill "$(pidof systemd-udevd)" 2>/dev/null
        true
}

settle() { udevadm settle --timeout=60 || fail "udevadm settle timed out"; }

# new_loop FILE [losetup options]: a loop device on FILE (udev sees "change").
new_loop() {
        local f=$1 loop
        shift
        [ -e "$f" ] || new_file "$f" 8
        loop=$(losetup -f --show "$@" "$f") || fail "losetup $f failed"
        defer "losetup -d $loop"
        echo "$loop"
}

# watch_root_events FILE: xenstore-watch on qubes-block-devices (relative to
# dom0's home) in the background, its events in FILE.
watch_root_events() {
        xenstore-watch qubes-block-devices >"$1" 2>&1 &
        defer "kill $!"
        wait_until 10 "the watch's first event" test -s "$1"
}

# Events on the subtree root itself: the trigger readers act on.
root_events() { grep -cx 'qubes-block-devices' "$1" || true; }
root_events_at_least() { [ "$(root_events "$1")" -ge "$2" ]; }    # FILE N

test_udev_publishes_a_loop_device_entry() {
        local loop name
        loop=$(new_loop "$SCRATCH/published.img")
        name=${loop#/dev/}
        settle
        wait_until 10 "$BLOCK_ROOT/$name" xs_exists "$BLOCK_ROOT/$name/desc"
        assert_xs "$BLOCK_ROOT/$name/desc" "$SCRATCH/published.img"
        assert_xs "$BLOCK_ROOT/$name/size" 8388608
        assert_xs "$BLOCK_ROOT/$name/mode" w
        assert_xs "$BLOCK_ROOT/$name/parent" ""
        losetup -d "$loop"
        settle
        assert_no_xs "$BLOCK_ROOT/$name"
}

test_udev_read_only_loop_is_published_mode_r() {
        local loop
        loop=$(new_loop "$SCRATCH/ro.img" --read-only)
        settle
        assert_xs "$BLOCK_ROOT/${loop#/dev/}/mode" r
}

test_udev_trigger_watch_fires_once_per_change() {
        local events=$SCRATCH/events loop
        # A node to hold the watch: dom0's tooling creates the subtree.
        xs_exists qubes-block-devices || xs_write qubes-block-devices ""
        watch_root_events "$events"
        assert_eq "$(root_events "$events")" 1 "events when the watch is set"
        loop=$(new_loop "$SCRATCH/watched.img")
        settle
        wait_until 10 "the trigger of the new entry" root_events_at_least "$events" 2
        sleep 1
        assert_eq "$(root_events "$events")" 2 "root events after one new device"
        # A change event that changes nothing writes nothing.
        udevadm trigger --action=change "/sys/block/${loop#/dev/}"
        settle
        sleep 1
        assert_eq "$(root_events "$events")" 2 "root events after an unchanged change"
        losetup -d "$loop"
        settle
        wait_until 10 "the trigger of the removal" root_events_at_least "$events" 3
        sleep 1
        assert_eq "$(root_events "$events")" 3 "root events after the device went"
}

test_udev_loop_attached_through_qubes_block_keeps_its_entry() {
        local img=$SCRATCH/attached.img loop name out
        new_file "$img" 8
        defer free_loops_of "$img"
        defer "timeout 60 xl block-detach 0 xvdb"
        out=$(timeout 90 xl block-attach 0 \
                "format=raw,vdev=xvdb,access=rw,script=qubes-block,target=$img" 2>&1) ||
                fail "xl block-attach failed: $out"
        wait_until 30 "/dev/xvdb" test -b /dev/xvdb
        settle
        loop=$(loops_of "$img")
        name=${loop#/dev/}
        [ -n "$loop" ] || fail "no loop device backs $img"
        ls /sys/bus/xen-backend/devices/ | grep -q '^vbd-0-51728$' ||
                fail "no vbd-0-51728 under /sys/bus/xen-backend/devices"
        assert_xs "$BLOCK_ROOT/$name/desc" "$img"
        # blkback holds it now; a new event must not withdraw the entry.
        udevadm trigger --action=change "/sys/block/$name"
        settle
        assert_xs "$BLOCK_ROOT/$name/desc" "$img"
        # dom0's own frontend disk is never offered.
        assert_no_xs "$BLOCK_ROOT/xvdb"
        timeout 60 xl block-detach 0 xvdb || fail "xl block-detach failed"
        settle
        assert_no_loop_for "$img"
        wait_until 10 "the entry of the released $name to go" \
                eval "! xs_exists $BLOCK_ROOT/$name"
}
