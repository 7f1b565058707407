# 80-monitor.sh: qubes-devices-monitor in dom0, under a real udevd and the
# real xenstored: the resync at start, a mount that makes no uevent, the
# rules' helpers deferring to it, a partition attached through xl (blkback's
# vbd list, the watch on backend/vbd) hiding its disk until the detach, and a
# SIGKILL followed by a restart. (The monitor in a driver domain, under a
# domU's permissions: 60-driver-domain.)
#
# One udevd for the file; each test starts the monitor it needs and its
# cleanup stops it.

BLOCK_ROOT=/local/domain/0/qubes-block-devices
MONITOR=$QXD_HELPERS/qubes-devices-monitor
MONITOR_LOG=/var/log/xen/monitor.log

setup_file() {
        [ -x "$MONITOR" ] || fail "$MONITOR is not installed"
        /usr/lib/systemd/systemd-udevd --daemon --resolve-names=never \
                >/var/log/xen/udevd-80.log 2>&1 || fail "systemd-udevd did not start"
        wait_until 20 "udevd's control socket" test -S /run/udev/control
}

teardown_file() {
        udevadm control --exit 2>/dev/null || kill "$(pidof systemd-udevd)" 2>/dev/null
        xenstore-rm "$BLOCK_ROOT" 2>/dev/null
        true
}

settle() { udevadm settle --timeout=60 || fail "udevadm settle timed out"; }

readies() {
        local n
        n=$(grep -c "ready: the lists are true" "$MONITOR_LOG" 2>/dev/null) || true
        echo "${n:-0}"
}
readies_above() { [ "$(readies)" -gt "$1" ]; }

# monitor_start: the monitor in the background (MON_PID), stopped when the
# test ends; back once it says the lists are true.
monitor_start() {
        local before
        before=$(readies)
        "$MONITOR" >>"$MONITOR_LOG" 2>&1 &
        MON_PID=$!
        defer "kill $MON_PID; wait $MON_PID"
        wait_until 30 "the monitor to be ready" readies_above "$before"
}

new_loop() {            # FILE SIZE_MIB [losetup options]: FILE made if missing
        local f=$1 loop
        [ -e "$f" ] || new_file "$f" "$2"
        shift 2
        loop=$(losetup -f --show "$@" "$f") || fail "losetup $f failed"
        defer "losetup -d $loop"
        echo "$loop"
}

offered() { xs_exists "$BLOCK_ROOT/${1#/dev/}/desc"; }
withdrawn() { ! xs_exists "$BLOCK_ROOT/${1#/dev/}"; }

# mbr_image FILE: a 16 MiB image with one Linux partition from sector 2048
# to the end (what sfdisk would write; there is none in this initramfs).
mbr_image() {
        new_file "$1" 16
        # partition entry 1: type 0x83, LBA 2048, 30720 sectors; then 55 AA
        printf '\x00\x00\x00\x00\x83\x00\x00\x00\x00\x08\x00\x00\x00\x78\x00\x00' |
                dd of="$1" bs=1 seek=446 conv=notrunc 2>/dev/null
        printf '\x55\xaa' | dd of="$1" bs=1 seek=510 conv=notrunc 2>/dev/null
}

test_monitor_resyncs_at_start_on_the_real_xenstore() {
        local loop
        loop=$(new_loop "$SCRATCH/a.img" 8)
        xs_write "$BLOCK_ROOT/sdzz/desc" "stale"
        xs_write "$BLOCK_ROOT/${loop#/dev/}/connected-to" "work"
        settle
        monitor_start
        assert_xs "$BLOCK_ROOT/${loop#/dev/}/desc" "$SCRATCH/a.img"
        assert_xs "$BLOCK_ROOT/${loop#/dev/}/size" 8388608
        assert_xs "$BLOCK_ROOT/${loop#/dev/}/connected-to" "work"
        assert_no_xs "$BLOCK_ROOT/sdzz"
}

test_monitor_follows_a_mount_that_makes_no_uevent() {
        local loop t0 t1
        loop=$(new_loop "$SCRATCH/fs.img" 8)
        mke2fs -q -t ext4 "$loop" || fail "mke2fs failed"
        settle
        monitor_start
        offered "$loop" || fail "$loop is not offered"
        mkdir -p "$SCRATCH/mnt"
        t0=$(uptime_ms)
        mount "$loop" "$SCRATCH/mnt" || fail "mount failed"
        defer "umount $SCRATCH/mnt"
        wait_until 10 "$loop withdrawn after its mount" withdrawn "$loop"
        t1=$(uptime_ms)
        echo "TIME monitor mount-to-withdrawn $((t1 - t0)) ms (real xenstored, emulated CPU)"
        umount "$SCRATCH/mnt"
        wait_until 10 "$loop offered after its unmount" offered "$loop"
}

test_helpers_defer_to_the_running_monitor() {
        local loop out
        loop=$(new_loop "$SCRATCH/b.img" 8)
        settle
        monitor_start
        xenstore-rm "$BLOCK_ROOT/${loop#/dev/}"
        # what udevd runs for the loop, with debug on: it leaves the event
        out=$(env -i QUBES_XEN_DEVICES_DEBUG=1 ACTION=change SUBSYSTEM=block DEVTYPE=disk \
                DEVNAME="$loop" DEVPATH="/devices/virtual/block/${loop#/dev/}" MAJOR=7 \
                MINOR="${loop#/dev/loop}" SEQNUM=1 "$QXD_HELPERS/udev-block-add-change" 2>&1) ||
                fail "the helper failed: $out"
        assert_contains "$out" "the monitor handles this event"
        assert_no_xs "$BLOCK_ROOT/${loop#/dev/}"
        # and the monitor does handle the real event
        echo change >"/sys/block/${loop#/dev/}/uevent"
        wait_until 10 "$loop offered by the monitor" offered "$loop"
}

test_attached_partition_hides_its_disk_until_the_detach() {
        local loop part be out
        mbr_image "$SCRATCH/parted.img"
        loop=$(new_loop "$SCRATCH/parted.img" 16 -P)
        part=${loop}p1
        wait_until 20 "$part" test -b "$part"
        settle
        monitor_start
        offered "$loop" || fail "$loop is not offered"
        offered "$part" || fail "$part is not offered"
        defer "timeout 60 xl block-detach 0 xvdb"
        out=$(timeout 90 xl block-attach 0 "format=raw,vdev=xvdb,access=rw,script=qubes-block,target=$part" 2>&1) ||
                fail "xl block-attach 0 $part failed: $out"
        be=$(backend_path 0 0 xvdb)
        assert_xs "$be/physical-device-path" "$part"
        wait_until 20 "$loop withdrawn (its partition is attached)" withdrawn "$loop"
        offered "$part" || fail "the attached $part lost its entry"
        out=$(timeout 60 xl block-detach 0 xvdb 2>&1) || fail "xl block-detach 0 xvdb failed: $out"
        wait_until 20 "$loop offered again after the detach" offered "$loop"
}

test_sigkill_then_restart_converges() {
        local a b c
        a=$(new_loop "$SCRATCH/a.img" 8)
        b=$(new_loop "$SCRATCH/b.img" 8)
        settle
        monitor_start
        kill -KILL "$MON_PID"
        wait "$MON_PID" 2>/dev/null || true
        # what changed while nobody watched (the helpers defer no more);
        # c first, or it would take b's number
        c=$(new_loop "$SCRATCH/c.img" 8)
        losetup -d "$b"
        xs_write "$BLOCK_ROOT/sdzz/desc" "stale"
        settle
        monitor_start
        offered "$a" || fail "$a is not offered"
        withdrawn "$b" || fail "the detached $b is still offered"
        offered "$c" || fail "$c is not offered"
        assert_no_xs "$BLOCK_ROOT/sdzz"
}
