# 20-qubes-block-dom0.sh: qubes-block run by libxl itself, attaching disks to
# dom0 through its own blkfront (`xl block-attach 0`): a file rw and ro, an
# existing block device; data through /dev/xvdb reaches the file; detach
# releases exactly the loop device qubes-block created.

# attach_to_dom0 SPEC: xl block-attach 0 SPEC, then wait for /dev/xvdb.
attach_to_dom0() {
        local out
        defer "timeout 60 xl block-detach 0 xvdb"
        out=$(timeout 90 xl block-attach 0 "$1" 2>&1) ||
                fail "xl block-attach 0 '$1' failed: $out"
        wait_until 30 "/dev/xvdb" test -b /dev/xvdb
}

detach_from_dom0() {
        local out
        out=$(timeout 60 xl block-detach 0 xvdb 2>&1) || fail "xl block-detach 0 xvdb failed: $out"
        wait_until 30 "/dev/xvdb to go" test ! -e /dev/xvdb
}

# The major:minor of a device node in qubes-block's notation (hex, no padding).
hex_majmin() {
        printf '%x:%x' "0x$(stat -L -c %t "$1")" "0x$(stat -L -c %T "$1")"
}

test_qubes_block_attaches_file_rw_and_data_reaches_the_file() {
        local img=$SCRATCH/rw.img be loop
        new_file "$img" 16
        defer free_loops_of "$img"
        attach_to_dom0 "format=raw,vdev=xvdb,access=rw,script=qubes-block,target=$img"
        be=$(backend_path 0 0 xvdb)
        loop=$(loops_of "$img")
        [ -n "$loop" ] || fail "no loop device backs $img"
        assert_xs "$be/physical-device" "$(hex_majmin "$loop")"
        assert_xs "$be/physical-device-path" "$loop"
        assert_xs "$be/hotplug-status" connected
        xs_exists "$be/diskseq" || fail "$be/diskseq is missing"
        assert_eq "$(cat /sys/block/xvdb/ro)" 0 "xvdb's ro flag"
        assert_eq "$(cat /sys/block/xvdb/size)" 32768 "xvdb's size in sectors"

        write_block /dev/xvdb 1048576 "qubes-block-rw-data"
        sync
        assert_eq "$(dd if="$img" bs=512 skip=2048 count=1 2>/dev/null | head -c 19)" \
                "qubes-block-rw-data" "the file at 1 MiB"

        detach_from_dom0
        assert_no_xs "$be"
        assert_no_loop_for "$img"
}

test_qubes_block_attaches_file_ro_and_the_frontend_is_read_only() {
        local img=$SCRATCH/ro.img loop
        new_file "$img" 8
        printf 'read-only-content' | dd of="$img" conv=notrunc 2>/dev/null
        defer free_loops_of "$img"
        attach_to_dom0 "format=raw,vdev=xvdb,access=ro,script=qubes-block,target=$img"
        loop=$(loops_of "$img")
        [ -n "$loop" ] || fail "no loop device backs $img"
        assert_eq "$(cat "/sys/block/${loop#/dev/}/ro")" 1 "$loop's ro flag"
        assert_eq "$(cat /sys/block/xvdb/ro)" 1 "xvdb's ro flag"
        assert_eq "$(read_bytes /dev/xvdb 0 17)" "read-only-content" "xvdb's first bytes"
        if write_block /dev/xvdb 0 "must-not-land" 2>/dev/null; then
                fail "writing to the read-only xvdb succeeded"
        fi
        assert_eq "$(head -c 17 "$img")" "read-only-content" "the file after a refused write"
        detach_from_dom0
        assert_no_loop_for "$img"
}

test_qubes_block_attaches_an_existing_block_device_and_leaves_it() {
        local img=$SCRATCH/dev.img loop be
        new_file "$img" 8
        loop=$(losetup -f --show "$img") || fail "losetup failed"
        defer "losetup -d $loop"
        attach_to_dom0 "format=raw,vdev=xvdb,access=rw,script=qubes-block,target=$loop"
        be=$(backend_path 0 0 xvdb)
        assert_xs "$be/physical-device" "$(hex_majmin "$loop")"
        assert_xs "$be/physical-device-path" "$loop"
        write_block /dev/xvdb 0 "through-an-existing-loop"
        sync
        assert_eq "$(head -c 24 "$img")" "through-an-existing-loop" "the file's first bytes"
        detach_from_dom0
        # Not created by qubes-block: still there, still bound to the file.
        assert_eq "$(cat "/sys/block/${loop#/dev/}/loop/backing_file")" "$img" "$loop's backing file"
}

test_qubes_block_remove_runs_and_logs_nothing_unexpected() {
        local img=$SCRATCH/log.img
        new_file "$img" 4
        defer free_loops_of "$img"
        : >/var/log/xen/xen-hotplug.log
        attach_to_dom0 "format=raw,vdev=xvdb,access=rw,script=qubes-block,target=$img"
        detach_from_dom0
        assert_no_loop_for "$img"
        # A clean add and remove leave no error in the hotplug log.
        if grep -i 'error\|cannot' /var/log/xen/xen-hotplug.log >&2; then
                fail "qubes-block logged errors for a clean attach/detach"
        fi
}
