# test-udev-block-loop.sh: udev-block-add-change / udev-block-remove on real
# loop devices, publishing in the store the test runs on (xenstore or
# QubesDB test server, store-lib.sh).
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/block-lib.sh"

test_add_offers_loop_with_backing_file_size_and_mode() {
        block_setup
        local loop name
        loop=$(new_loop "$SCRATCH/images/disk.img" 16M)
        name=${loop#/dev/}
        loop_event add "$loop"
        assert_store "$BLOCK_ROOT/$name/desc" "$SCRATCH/images/disk.img"
        assert_store "$BLOCK_ROOT/$name/size" 16777216
        assert_store "$BLOCK_ROOT/$name/mode" w
        assert_store "$BLOCK_ROOT/$name/parent" ""
}

test_backing_file_with_space_and_utf8_gives_dom0_safe_desc() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/Fotos d'été.img")
        loop_event add "$loop"
        assert_store "$BLOCK_ROOT/${loop#/dev/}/desc" "$SCRATCH/Fotos_d_ete.img"
}

test_readonly_loop_gives_mode_r() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/ro.img" 8M --read-only)
        loop_event add "$loop"
        assert_store "$BLOCK_ROOT/${loop#/dev/}/mode" r
}

test_remove_drops_the_entry_with_one_trigger() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/disk.img")
        loop_event add "$loop"
        start_trigger_watch
        loop_event remove "$loop"
        assert_eq "$(triggers_seen)" 1 "triggers"
        assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
}

test_add_fires_one_trigger_and_an_unchanged_change_none() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/disk.img")
        start_trigger_watch
        loop_event add "$loop"
        assert_eq "$(triggers_seen)" 1 "triggers after add"
        start_trigger_watch
        loop_event change "$loop"
        loop_event change "$loop"
        assert_eq "$(triggers_seen)" 0 "triggers after unchanged change events"
}

test_resized_loop_updates_size_on_change() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/disk.img" 8M)
        loop_event add "$loop"
        truncate -s 12M "$SCRATCH/disk.img"
        losetup --set-capacity "$loop"
        start_trigger_watch
        loop_event change "$loop"
        assert_eq "$(triggers_seen)" 1 "triggers"
        assert_store "$BLOCK_ROOT/${loop#/dev/}/size" 12582912
}

test_detached_loop_loses_its_entry_on_change() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/disk.img")
        loop_event add "$loop"
        losetup -d "$loop"
        # the kernel sends "change" when a loop device loses its file
        if [ -e "/sys/block/${loop#/dev/}/loop" ]; then
                echo "  (another user took ${loop} meanwhile: nothing to check)"
                return 0
        fi
        loop_event change "$loop"
        assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
}

test_exclude_marker_in_ancestor_directory_hides_loop() {
        block_setup
        local loop
        mkdir -p "$SCRATCH/vms/private/deep"
        touch "$SCRATCH/vms/.qubes-exclude-block-devices"
        loop=$(new_loop "$SCRATCH/vms/private/deep/disk.img")
        loop_event add "$loop"
        assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
}

test_exclude_marker_added_later_withdraws_entry() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/vms/disk.img")
        loop_event add "$loop"
        assert_store "$BLOCK_ROOT/${loop#/dev/}/mode" w
        touch "$SCRATCH/vms/.qubes-exclude-block-devices"
        loop_event change "$loop" 2>"$SCRATCH/err"
        assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
        assert_contains "$(cat "$SCRATCH/err")" ".qubes-exclude-block-devices"
}

# A marker in / must not hide every loop device: run the helper in a private
# mount namespace whose / is an overlay of the real one with a marker added.
test_exclude_marker_in_root_directory_is_not_checked() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/disk.img")
        mkdir -p "$SCRATCH/layers"
        # (inside with-test-sys: the runtime dir, with the store's socket, is
        # under /run; the servers' dirs are bound too)
        # shellcheck disable=SC2016,SC2046
        in_test_sys unshare --mount bash -c '
                set -e
                layers=$1; shift
                mount -t tmpfs layers "$layers"
                mkdir "$layers/upper" "$layers/work" "$layers/root"
                touch "$layers/upper/.qubes-exclude-block-devices"
                mount -t overlay overlay -o lowerdir=/,upperdir="$layers/upper",workdir="$layers/work" "$layers/root"
                for d in /proc /sys /dev /run "$(dirname "$XENSTORED_PATH")" ${QDB_TEST_SERVER_DIR:-}; do
                        mount --rbind "$d" "$layers/root$d"
                done
                test -e "$layers/root/.qubes-exclude-block-devices"
                exec chroot "$layers/root" "$@"
        ' - "$SCRATCH/layers" env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" \
                $(sanitizer_env) ACTION=add SUBSYSTEM=block $(loop_env "$loop") "$BIN/udev-block-add-change"
        assert_store "$BLOCK_ROOT/${loop#/dev/}/desc" "$SCRATCH/disk.img"
}

test_mounted_loop_is_hidden_and_offered_again_when_unmounted() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/fs.img" 16M)
        mkfs.ext4 -q "$loop"
        loop_event add "$loop"
        mkdir "$SCRATCH/mnt"
        mount "$loop" "$SCRATCH/mnt"
        loop_event change "$loop" 2>"$SCRATCH/err"
        assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
        assert_contains "$(cat "$SCRATCH/err")" "mounted read-write"
        umount "$SCRATCH/mnt"
        loop_event change "$loop"
        assert_store "$BLOCK_ROOT/${loop#/dev/}/mode" w
}

test_readonly_mount_also_hides_loop() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/fs.img" 16M)
        mkfs.ext4 -q "$loop"
        mkdir "$SCRATCH/mnt"
        mount -o ro "$loop" "$SCRATCH/mnt"
        loop_event add "$loop"
        umount "$SCRATCH/mnt"
        assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
}

test_swap_loop_is_hidden_and_offered_again_after_swapoff() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/swap.img" 16M)
        mkswap "$loop" >/dev/null 2>&1
        loop_event add "$loop"
        assert_store "$BLOCK_ROOT/${loop#/dev/}/mode" w
        swapon "$loop"
        loop_event change "$loop" 2>"$SCRATCH/err" || { swapoff "$loop"; fail "helper failed"; }
        swapoff "$loop"
        assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
        assert_contains "$(cat "$SCRATCH/err")" "swap"
        loop_event change "$loop"
        assert_store "$BLOCK_ROOT/${loop#/dev/}/mode" w
}

test_attached_loop_keeps_its_entry_while_in_use() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/fs.img" 16M)
        mkfs.ext4 -q "$loop"
        loop_event add "$loop"
        attach_as_vbd "$loop"
        mkdir "$SCRATCH/mnt"
        mount "$loop" "$SCRATCH/mnt"
        loop_event change "$loop"
        umount "$SCRATCH/mnt"
        assert_store "$BLOCK_ROOT/${loop#/dev/}/mode" w
}

# `udevadm trigger --action=remove` on a device that is still there: an
# attached one keeps its entry (dom0 would detach it), a free one loses it.
test_remove_event_of_a_present_attached_loop_keeps_its_entry() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/disk.img")
        loop_event add "$loop"
        attach_as_vbd "$loop"
        loop_event remove "$loop" 2>"$SCRATCH/err"
        assert_store "$BLOCK_ROOT/${loop#/dev/}/mode" w
        assert_contains "$(cat "$SCRATCH/err")" "still present and attached"
        rm -r "$SCRATCH/vbd/vbd-5-51712"
        loop_event remove "$loop"
        assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
}

test_dm_disk_rules_flag_hides_unless_export_forced() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/disk.img")
        loop_event add "$loop" DM_UDEV_DISABLE_DISK_RULES_FLAG=1
        assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
        loop_event change "$loop" DM_UDEV_DISABLE_DISK_RULES_FLAG=1 QUBES_EXPORT_BLOCK_DEVICE=1
        assert_store "$BLOCK_ROOT/${loop#/dev/}/mode" w
}

# A domain without udev (busybox's mdev, or no device manager) has neither
# libudev nor udev's database (both hidden here): the partition's disk, judged with it, has no
# udev properties, and both are offered.
test_without_udev_a_partition_event_judges_its_disk() {
        block_setup
        local lib img disk name mm
        lib=$(ldconfig -p | awk '/libudev\.so\.1 /{ print $NF; exit }')
        [ -n "$lib" ] || skip "libudev is not installed here"
        img=$SCRATCH/parts.img
        truncate -s 8M "$img"
        printf 'label: dos\nstart=2048, size=8192, type=83\n' | sfdisk -q "$img" >/dev/null 2>&1 ||
                skip "sfdisk cannot write a partition table"
        disk=$(losetup --find --show --partscan "$img")
        name=${disk#/dev/}
        [ -r "/sys/block/$name/${name}p1/dev" ] || partx -a "$disk" 2>/dev/null || true
        [ -r "/sys/block/$name/${name}p1/dev" ] || skip "no partitions on loop devices here"
        mm=$(cat "/sys/block/$name/${name}p1/dev")
        RC=0
        # libudev hidden (dlopen finds an empty file in its place), and
        # udev's database too where udevd runs
        # shellcheck disable=SC2046,SC2016
        unshare --mount --propagation private bash -c '
                mount --bind /dev/null "$1" && shift &&
                { [ ! -d /run/udev ] || mount -t tmpfs qxd-no-udev /run/udev; } && exec "$@"' - "$lib" \
                "$TESTS_DIR/with-test-sys" "$SCRATCH" env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" \
                $(sanitizer_env) ACTION=add SUBSYSTEM=block SEQNUM=1 DEVNAME="/dev/${name}p1" \
                DEVPATH="/devices/virtual/block/$name/${name}p1" DEVTYPE=partition MAJOR="${mm%:*}" MINOR="${mm#*:}" \
                "$BIN/udev-block-add-change" 2>"$SCRATCH/err" || RC=$?
        assert_eq "$RC" 0 "exit status ($(cat "$SCRATCH/err"))"
        assert_store "$BLOCK_ROOT/${name}p1/parent" "$name"
        assert_store "$BLOCK_ROOT/$name/size" 8388608
}

test_unreachable_store_fails_with_a_message() {
        block_setup
        local loop rc=0
        loop=$(new_loop "$SCRATCH/disk.img")
        unreachable_store loop_event add "$loop" 2>"$SCRATCH/err" || rc=$?
        [ "$rc" -ne 0 ] || fail "helper succeeded without $STORE_NAME"
        assert_contains "$(cat "$SCRATCH/err")" "cannot connect to $STORE_NAME"
        assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
}

# Keys others write into an entry (dom0's busy, the USB proxy's) are left
# alone by a change; the entry goes whole with the device.
test_change_keeps_keys_others_own_and_remove_takes_them() {
        block_setup
        local loop name
        loop=$(new_loop "$SCRATCH/disk.img" 8M)
        name=${loop#/dev/}
        loop_event add "$loop"
        store_write "$BLOCK_ROOT/$name/busy" 1 "$BLOCK_ROOT/$name/x-pid" 4242
        truncate -s 12M "$SCRATCH/disk.img"
        losetup --set-capacity "$loop"
        start_trigger_watch
        loop_event change "$loop"
        assert_eq "$(triggers_seen)" 1 "triggers"
        assert_store "$BLOCK_ROOT/$name/size" 12582912
        assert_store "$BLOCK_ROOT/$name/busy" 1
        assert_store "$BLOCK_ROOT/$name/x-pid" 4242
        loop_event remove "$loop"
        assert_no_store "$BLOCK_ROOT/$name"
}

test_domu_without_writable_subtree_is_told_why() {
        store_only xenstore "a domain's permissions are xenstore's: QubesDB has none"
        block_setup
        local loop rc=0
        loop=$(new_loop "$SCRATCH/disk.img")
        # as libxl leaves a domU's home: owned by dom0, readable by the domain
        xenstore-write /local/domain/5/name test-vm
        xenstore-chmod /local/domain/5 n0 r5
        xenstore-control as-domain 5 >/dev/null
        loop_event add "$loop" 2>"$SCRATCH/err" || rc=$?
        [ "$rc" -ne 0 ] || fail "helper succeeded without permission"
        assert_contains "$(cat "$SCRATCH/err")" "dom0 has to create qubes-block-devices"
        assert_no_store "/local/domain/5/qubes-block-devices"
}

test_domu_with_subtree_made_by_dom0_publishes() {
        store_only xenstore "a domain's permissions are xenstore's: QubesDB has none"
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/disk.img")
        xenstore-write /local/domain/5/name test-vm /local/domain/5/qubes-block-devices ""
        xenstore-chmod /local/domain/5 n0 r5
        xenstore-chmod /local/domain/5/qubes-block-devices n5
        xenstore-control as-domain 5 >/dev/null
        loop_event add "$loop"
        assert_store "/local/domain/5/qubes-block-devices/${loop#/dev/}/mode" w
}

test_connection_lost_mid_event_leaves_no_partial_entry() {
        store_only xenstore "QubesDB has no transactions: test-udev-qdb-faults.sh"
        block_setup
        local loop n rc
        loop=$(new_loop "$SCRATCH/disk.img")
        for n in 2 3 4 5 6 7 8 9 10 11; do
                rc=0
                xenstore-control fault drop "$n" >/dev/null
                loop_event add "$loop" 2>"$SCRATCH/err" || rc=$?
                if [ "$rc" -eq 0 ]; then
                        # dropped after the commit: then the entry is whole
                        assert_store "$BLOCK_ROOT/${loop#/dev/}/parent" ""
                        store_rm "$BLOCK_ROOT"
                        continue
                fi
                assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
                [ -s "$SCRATCH/err" ] || fail "no message when request $n was dropped"
        done
        xenstore-control fault clear >/dev/null
}

test_transaction_conflicts_are_retried() {
        store_only xenstore "QubesDB has no transactions"
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/disk.img")
        xenstore-control fault eagain 3 >/dev/null
        loop_event add "$loop"
        assert_store "$BLOCK_ROOT/${loop#/dev/}/mode" w
}

test_malformed_environment_is_refused() {
        block_setup
        local loop name rc
        loop=$(new_loop "$SCRATCH/disk.img")
        name=${loop#/dev/}
        for bad in "DEVPATH=/devices/../../etc" "MAJOR=seven" "MINOR=" "DEVNAME=loop0" \
                   "DEVPATH=/devices/virtual/block/$name/../../../block/$name"; do
                rc=0
                loop_event add "$loop" "$bad" 2>"$SCRATCH/err" || rc=$?
                [ "$rc" -ne 0 ] || fail "accepted $bad"
                [ -s "$SCRATCH/err" ] || fail "no message for $bad"
        done
        rc=0
        block_helper udev-block-add-change add DEVNAME="$loop" 2>"$SCRATCH/err" || rc=$?
        [ "$rc" -ne 0 ] || fail "accepted an event without DEVPATH"
        rc=0
        block_helper udev-block-add-change bind $(loop_env "$loop") 2>/dev/null || rc=$?
        [ "$rc" -ne 0 ] || fail "accepted ACTION=bind"
        assert_no_store "$BLOCK_ROOT/$name"
}

test_device_number_mismatch_is_refused() {
        block_setup
        local loop rc=0
        loop=$(new_loop "$SCRATCH/disk.img")
        loop_event add "$loop" MINOR=999 2>"$SCRATCH/err" || rc=$?
        [ "$rc" -ne 0 ] || fail "accepted a wrong MINOR"
        assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
}

test_no_loop_leaks() {
        block_setup
        local loop
        loop=$(new_loop "$SCRATCH/disk.img")
        loop_event add "$loop"
        loop_event remove "$loop"
        losetup -d "$loop"
        assert_no_loops_in "$SCRATCH"
}

run_tests "$@"
