# 30-qubes-block-guest.sh: a PV guest whose root disk is served through
# qubes-block; disks hot-plugged into it and removed again; its destruction
# runs `qubes-block remove` and leaves no loop device behind.
#
# One guest for the whole file (a boot under emulation takes a while): the
# tests run in order and share it.

GUEST=qxd-guest
SHARED=/tmp/qxd-30

setup_file() {
        rm -rf "$SHARED"
        mkdir -p "$SHARED"
        make_guest_disk "$SHARED/root.img" "root-disk-30"
        SCRATCH=$SHARED start_guest "$GUEST" \
                "format=raw,vdev=xvda,access=rw,script=qubes-block,target=$SHARED/root.img"
        # Keep the guest: the tests use it, teardown_file destroys it.
        QXD_DEFERRED=()
}

teardown_file() {
        xl destroy "$GUEST" 2>/dev/null || true
        free_loops_of "$SHARED/root.img"
        free_loops_of "$SHARED/hot.img"
}

test_guest_boots_from_a_qubes_block_disk() {
        local domid be
        domid=$(domid_of "$GUEST") || fail "guest $GUEST is not running"
        be=$(backend_path 0 "$domid" xvda)
        wait_console "$GUEST" 120 "QXD-GUEST booted from xvda marker=root-disk-30" ||
                { show_console "$GUEST"; fail "the guest did not boot from its qubes-block disk"; }
        assert_xs "$be/hotplug-status" connected
        assert_xs "$be/state" 4
        assert_xs "$(frontend_path "$domid" xvda)/state" 4
        [ -n "$(loops_of "$SHARED/root.img")" ] || fail "no loop device backs the guest's disk"
}

test_guest_hot_attach_shows_the_data_read_only() {
        local img=$SHARED/hot.img out
        new_file "$img" 4
        printf 'hot-plugged-disk-data' | dd of="$img" conv=notrunc 2>/dev/null
        out=$(timeout 90 xl block-attach "$GUEST" \
                "format=raw,vdev=xvdb,access=ro,script=qubes-block,target=$img" 2>&1) ||
                fail "xl block-attach $GUEST failed: $out"
        wait_console "$GUEST" 60 "QXD-GUEST disk xvdb appeared ro=1 data=hot-plugged-disk-data" ||
                { show_console "$GUEST"; fail "the guest did not see the hot-plugged disk"; }
}

test_guest_hot_detach_releases_the_loop() {
        local out
        [ -n "$(loops_of "$SHARED/hot.img")" ] || fail "the hot-plugged disk is not attached (previous test)"
        out=$(timeout 60 xl block-detach "$GUEST" xvdb 2>&1) || fail "xl block-detach failed: $out"
        wait_console "$GUEST" 30 "QXD-GUEST disk xvdb gone" ||
                { show_console "$GUEST"; fail "xvdb did not go away in the guest"; }
        wait_until 10 "the loop of hot.img to be released" no_loop_for "$SHARED/hot.img"
}

test_guest_destroy_leaves_no_loop() {
        local domid
        domid=$(domid_of "$GUEST") || fail "guest $GUEST is not running"
        timeout 60 xl destroy "$GUEST" || fail "xl destroy failed"
        wait_until 20 "the loop of the guest's root disk to be released" \
                no_loop_for "$SHARED/root.img"
        assert_no_xs "/local/domain/0/backend/vbd/$domid"
}
