# 00-sanity.sh: the test bed itself works: a real xenstored answers, and
# libxl attaches a file to dom0 through Xen's own `block` script, with the
# data going through blkfront -> blkback -> loop -> the file.

test_sanity_real_xenstored_reads_back_a_write() {
        xs_write /qxd-sanity/key "value with spaces"
        defer xenstore-rm /qxd-sanity
        assert_xs /qxd-sanity/key "value with spaces"
        # The daemon is Xen's, reached through the kernel's xenbus device.
        assert_contains "$(xs_read /local/domain/0/name)" "Domain-0" "dom0's name"
        pidof xenstored >/dev/null || fail "xenstored is not running"
}

test_sanity_xen_block_script_attaches_a_file_to_dom0() {
        local img=$SCRATCH/disk.img be
        new_file "$img" 8
        defer free_loops_of "$img"
        defer "xl block-detach 0 xvdb"
        timeout 90 xl block-attach 0 "format=raw,vdev=xvdb,access=rw,target=$img" ||
                fail "xl block-attach with Xen's block script failed"
        be=$(backend_path 0 0 xvdb)
        wait_until 30 "/dev/xvdb" test -b /dev/xvdb
        assert_xs "$be/hotplug-status" connected
        [ -n "$(loops_of "$img")" ] || fail "no loop device backs $img"

        write_block /dev/xvdb 4096 "written-through-blkfront"
        sync
        assert_eq "$(dd if="$img" bs=512 skip=8 count=1 2>/dev/null | head -c 24)" \
                "written-through-blkfront" "the file's block 8"

        timeout 60 xl block-detach 0 xvdb || fail "xl block-detach failed"
        wait_until 30 "/dev/xvdb to go" test ! -e /dev/xvdb
        assert_no_xs "$be"
        assert_no_loop_for "$img"
}
