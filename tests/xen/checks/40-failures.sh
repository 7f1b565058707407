# 40-failures.sh: failures as a user sees them from `xl`: qubes-block's
# reason reaches libxl's message, and the sharing rule refuses a file that
# another domain has writable.

test_missing_file_fails_attach_with_our_reason() {
        local img=$SCRATCH/no-such-dir/missing.img out be
        defer "timeout 60 xl block-detach 0 xvdb"
        if out=$(timeout 90 xl block-attach 0 \
                "format=raw,vdev=xvdb,access=rw,script=qubes-block,target=$img" 2>&1); then
                fail "xl block-attach of a missing file succeeded: $out"
        fi
        echo "$out" >&2
        # libxl logs hotplug-error as "script: <text>".
        assert_contains "$out" "script: " "xl's message"
        assert_contains "$out" "cannot open $img" "xl's message"
        assert_contains "$out" "No such file or directory" "xl's message"
        [ ! -e /dev/xvdb ] || fail "/dev/xvdb exists after a failed attach"
        # libxl leaves the failed backend until `xl block-detach` (it does
        # so with Xen's block script too): what qubes-block wrote is there.
        be=$(backend_path 0 0 xvdb)
        assert_xs "$be/hotplug-status" error
        assert_contains "$(xs_read "$be/hotplug-error")" "cannot open $img" "hotplug-error"
        assert_no_xs "$be/physical-device"
}

# A second domain (created paused: its disks are set up all the same) holds
# the file; dom0 asks for it too.
hold_file_in_paused_domain() {  # NAME FILE ACCESS
        local cfg=$SCRATCH/$1.cfg out
        cat >"$cfg" <<EOC
name = "$1"
type = "pv"
kernel = "$GUEST_DIR/vmlinuz"
ramdisk = "$GUEST_DIR/initrd.gz"
memory = 128
disk = [ 'format=raw,vdev=xvda,access=$3,script=qubes-block,target=$2' ]
EOC
        defer "xl destroy $1"
        out=$(timeout 120 xl create -p "$cfg" 2>&1) || fail "xl create -p $1 failed: $out"
        [ -n "$(loops_of "$2")" ] || fail "the paused domain's disk has no loop device"
}

test_file_rw_in_another_domain_is_refused_rw() {
        local img=$SCRATCH/shared.img out holder
        new_file "$img" 4
        defer free_loops_of "$img"
        hold_file_in_paused_domain qxd-holder "$img" rw
        holder=$(domid_of qxd-holder)
        defer "timeout 60 xl block-detach 0 xvdb"
        if out=$(timeout 90 xl block-attach 0 \
                "format=raw,vdev=xvdb,access=rw,script=qubes-block,target=$img" 2>&1); then
                fail "a second rw attach of $img succeeded: $out"
        fi
        echo "$out" >&2
        assert_contains "$out" "script: " "xl's message"
        assert_contains "$out" "domain $holder" "xl's message (who holds it)"
        assert_eq "$(loops_of "$img" | wc -l)" 1 "loop devices on $img"
}

test_file_rw_in_another_domain_is_refused_ro() {
        local img=$SCRATCH/shared-ro.img out
        new_file "$img" 4
        defer free_loops_of "$img"
        hold_file_in_paused_domain qxd-holder "$img" rw
        defer "timeout 60 xl block-detach 0 xvdb"
        if out=$(timeout 90 xl block-attach 0 \
                "format=raw,vdev=xvdb,access=ro,script=qubes-block,target=$img" 2>&1); then
                fail "an ro attach of $img, rw elsewhere, succeeded: $out"
        fi
        echo "$out" >&2
        assert_contains "$out" "script: " "xl's message"
        assert_eq "$(loops_of "$img" | wc -l)" 1 "loop devices on $img"
}

test_file_ro_in_another_domain_may_be_shared_ro() {
        local img=$SCRATCH/shared-ok.img out
        new_file "$img" 4
        defer free_loops_of "$img"
        hold_file_in_paused_domain qxd-reader "$img" ro
        defer "timeout 60 xl block-detach 0 xvdb"
        out=$(timeout 90 xl block-attach 0 \
                "format=raw,vdev=xvdb,access=ro,script=qubes-block,target=$img" 2>&1) ||
                fail "a second ro attach of $img was refused: $out"
        wait_until 30 "/dev/xvdb" test -b /dev/xvdb
}

test_destroying_the_holder_frees_the_file_for_rw() {
        local img=$SCRATCH/freed.img out
        new_file "$img" 4
        defer free_loops_of "$img"
        hold_file_in_paused_domain qxd-holder "$img" rw
        timeout 60 xl destroy qxd-holder || fail "xl destroy failed"
        wait_until 20 "the holder's loop to go" no_loop_for "$img"
        defer "timeout 60 xl block-detach 0 xvdb"
        out=$(timeout 90 xl block-attach 0 \
                "format=raw,vdev=xvdb,access=rw,script=qubes-block,target=$img" 2>&1) ||
                fail "rw attach after the holder was destroyed failed: $out"
        wait_until 30 "/dev/xvdb" test -b /dev/xvdb
}
