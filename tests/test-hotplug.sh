# test-hotplug.sh: qubes-block add/remove on real loop devices.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/hotplug-lib.sh"

test_add_file_rw_gives_rw_loop() {
        new_scratch
        local img loop n
        img=$(new_image)
        setup_vbd 5 51712 "$img" w
        hotplug add 5 51712
        assert_attached_ok 5 51712
        loop=$(loop_of 5 51712)
        n=${loop#/dev/}
        assert_eq "$(cat /sys/block/$n/loop/backing_file)" "$img" "backing file"
        assert_eq "$(cat /sys/block/$n/ro)" 0 "ro"
        assert_xs "$(vbd 5 51712)/physical-device" "$(devno_hex "$loop")"
        assert_xs "$(vbd 5 51712)/diskseq" "$(printf '%x' "$(cat /sys/block/$n/diskseq)")"
}

test_add_readonly_file_gives_ro_loop() {
        new_scratch
        local img
        img=$(new_image)
        setup_vbd 5 51712 "$img" r
        hotplug add 5 51712
        assert_attached_ok 5 51712
        assert_eq "$(cat /sys/block/$(loop_of 5 51712 | sed 's|/dev/||')/ro)" 1 "ro"
}

test_missing_mode_means_readonly() {
        new_scratch
        local img
        img=$(new_image)
        setup_vbd 5 51712 "$img" -
        hotplug add 5 51712
        assert_attached_ok 5 51712
        assert_eq "$(cat /sys/block/$(loop_of 5 51712 | sed 's|/dev/||')/ro)" 1 "ro"
}

test_loop_uses_512_byte_blocks() {
        new_scratch
        local img
        img=$(new_image)
        setup_vbd 5 51712 "$img" w
        hotplug add 5 51712
        assert_attached_ok 5 51712
        assert_eq "$(cat /sys/block/$(loop_of 5 51712 | sed 's|/dev/||')/queue/logical_block_size)" 512
}

test_second_add_is_noop() {
        new_scratch
        local img first
        img=$(new_image)
        setup_vbd 5 51712 "$img" w
        hotplug add 5 51712
        first=$(loop_of 5 51712)
        hotplug add 5 51712
        assert_attached_ok 5 51712
        assert_eq "$(loop_of 5 51712)" "$first" "physical-device-path"
        assert_eq "$(loops_backed_by "$SCRATCH" | wc -l)" 1 "loop devices for the image"
}

test_absolute_xenbus_path_works() {
        new_scratch
        local img
        img=$(new_image)
        setup_vbd 5 51712 "$img" w
        RC=0
        XENBUS_PATH=$(vbd 5 51712) "$QUBES_BLOCK" add </dev/null 2>"$SCRATCH/err" || RC=$?
        assert_attached_ok 5 51712
}

test_add_existing_block_device_uses_it_as_given() {
        new_scratch
        local img dev
        img=$(new_image)
        dev=$(losetup --find --show "$img")
        setup_vbd 5 51712 "$dev" w
        hotplug add 5 51712
        assert_attached_ok 5 51712
        assert_xs "$(vbd 5 51712)/physical-device" "$(devno_hex "$dev")"
        assert_xs "$(vbd 5 51712)/physical-device-path" "$dev"
        assert_eq "$(loops_backed_by "$SCRATCH")" "$dev" "loop devices for the image"
}

test_by_id_symlink_resolves_to_its_block_device() {
        new_scratch
        local img dev
        img=$(new_image)
        dev=$(losetup --find --show "$img")
        ln -s "$dev" "$SCRATCH/by-id-link"
        setup_vbd 5 51712 "$SCRATCH/by-id-link" w
        hotplug add 5 51712
        assert_attached_ok 5 51712
        assert_xs "$(vbd 5 51712)/physical-device" "$(devno_hex "$dev")"
        assert_xs "$(vbd 5 51712)/physical-device-path" "$SCRATCH/by-id-link"
}

test_remove_frees_exactly_what_add_created() {
        new_scratch
        local img other keep
        img=$(new_image)
        other=$(new_image)
        keep=$(losetup --find --show "$other")
        setup_vbd 5 51712 "$img" w
        hotplug add 5 51712
        assert_attached_ok 5 51712
        hotplug remove 5 51712
        assert_eq "$RC" 0 "remove status"
        assert_no_xs "$(vbd 5 51712)/physical-device"
        assert_no_xs "$(vbd 5 51712)/diskseq"
        assert_eq "$(loops_backed_by "$SCRATCH")" "$keep" "remaining loop devices"
}

test_exported_loop_given_as_params_is_not_released() {
        new_scratch
        local img dev
        img=$(new_image)
        dev=$(losetup --find --show "$img")
        setup_vbd 5 51712 "$dev" w
        hotplug add 5 51712
        hotplug remove 5 51712
        assert_eq "$RC" 0 "remove status"
        assert_eq "$(loops_backed_by "$SCRATCH")" "$dev" "loop devices for the image"
}

test_remove_with_changed_diskseq_keeps_device() {
        new_scratch
        local img other loop
        img=$(new_image)
        other=$(new_image)
        setup_vbd 5 51712 "$img" w
        hotplug add 5 51712
        loop=$(loop_of 5 51712)
        # someone detaches it and reuses the same device for another file
        losetup -d "$loop"
        losetup "$loop" "$other"
        hotplug remove 5 51712
        assert_eq "$RC" 0 "remove status"
        assert_eq "$(cat /sys/block/${loop#/dev/}/loop/backing_file)" "$other" "backing file of $loop"
        assert_contains "$(cat "$SCRATCH/err")" "reused"
}

# Someone mounted the loop device after the attach: remove does not pull it
# from under the mount, and it does not outlive the mount either.
test_remove_of_a_loop_mounted_here_releases_it_at_unmount() {
        new_scratch
        local img loop
        img=$(new_image 4096)
        mkfs.ext4 -q -F "$img" >/dev/null 2>&1 || fail "mkfs.ext4 $img"
        setup_vbd 5 51712 "$img" w
        hotplug add 5 51712
        assert_attached_ok 5 51712
        loop=$(loop_of 5 51712)
        mkdir -p "$SCRATCH/mnt"
        mount "$loop" "$SCRATCH/mnt" || fail "mount $loop"
        hotplug remove 5 51712
        assert_eq "$RC" 0 "remove's exit status ($(cat "$SCRATCH/err"))"
        assert_contains "$(cat "$SCRATCH/err")" "$loop is in use here"
        echo data >"$SCRATCH/mnt/file" || fail "the mount broke"
        assert_eq "$(loops_backed_by "$SCRATCH")" "$loop" "loop devices while mounted"
        umount "$SCRATCH/mnt"
        # the kernel may finish an autoclear after the last close returned
        for _ in $(seq 50); do [ -n "$(loops_backed_by "$SCRATCH")" ] || break; sleep 0.05; done
        assert_no_loops_in "$SCRATCH"
}

test_remove_twice_succeeds_quietly() {
        new_scratch
        local img
        img=$(new_image)
        setup_vbd 5 51712 "$img" w
        hotplug add 5 51712
        hotplug remove 5 51712
        hotplug remove 5 51712
        assert_eq "$RC" 0 "second remove status"
        assert_eq "$(cat "$SCRATCH/err")" "" "second remove stderr"
        assert_no_loops_in "$SCRATCH"
}

test_remove_after_failed_add_succeeds_quietly() {
        new_scratch
        setup_vbd 5 51712 "$SCRATCH/missing" w
        hotplug add 5 51712
        [ "$RC" -ne 0 ] || fail "add of a missing file succeeded"
        hotplug remove 5 51712
        assert_eq "$RC" 0 "remove status"
        assert_eq "$(cat "$SCRATCH/err")" "" "remove stderr"
}

test_remove_of_bad_physical_device_touches_nothing() {
        new_scratch
        local img dev
        img=$(new_image)
        dev=$(losetup --find --show "$img")
        setup_vbd 5 51712 "$img" w
        xs_write "$(vbd 5 51712)/physical-device" "07:zz"
        xs_write "$(vbd 5 51712)/physical-device-path" "$dev"
        hotplug remove 5 51712
        [ "$RC" -ne 0 ] || fail "remove accepted a malformed physical-device"
        assert_contains "$(cat "$SCRATCH/err")" "is not MAJOR:MINOR"
        assert_eq "$(loops_backed_by "$SCRATCH")" "$dev" "loop devices for the image"
}

test_failure_is_appended_to_the_hotplug_log() {
        new_scratch
        setup_vbd 5 51712 "$SCRATCH/missing-for-log" w
        hotplug_with_log_dir yes add 5 51712
        assert_eq "$RC" 1 "exit status"
        grep -q "backend/vbd/5/51712: cannot open $SCRATCH/missing-for-log" "$SCRATCH/log" ||
                fail "no failure line in the hotplug log: $(cat "$SCRATCH/log" 2>/dev/null)"
        assert_eq "$(cat "$SCRATCH/log.mode")" 640 "mode of the log file it created"
}

test_log_dir_missing_means_no_log_file() {
        new_scratch
        setup_vbd 5 51712 "$SCRATCH/missing" w
        hotplug_with_log_dir no add 5 51712
        assert_eq "$RC" 1 "exit status"
        assert_eq "$(cat "$SCRATCH/log.dir")" no "log directory after the run"
        assert_contains "$(cat "$SCRATCH/err")" "cannot open $SCRATCH/missing"
}

# libxl gives /dev/null; a helper started with stdin closed must not be
# confused when its first open() gets fd 0.
test_add_and_remove_with_stdin_closed() {
        new_scratch
        local img
        img=$(new_image)
        setup_vbd 5 51712 "$img" w
        RC=0
        env XENBUS_PATH=backend/vbd/5/51712 "$QUBES_BLOCK" add <&- >"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
        assert_attached_ok 5 51712
        assert_xs "$(vbd 5 51712)/physical-device" "$(devno_hex "$(loop_of 5 51712)")"
        env XENBUS_PATH=backend/vbd/5/51712 "$QUBES_BLOCK" remove <&- 2>"$SCRATCH/err" ||
                fail "remove with stdin closed: $(cat "$SCRATCH/err")"
        assert_no_loops_in "$SCRATCH"
}

test_loop_uses_direct_io_where_the_file_system_allows_it() {
        new_scratch
        local img dio=0
        img=$(new_image)
        dd if=/dev/zero of="$img" bs=4096 count=1 oflag=direct conv=notrunc 2>/dev/null && dio=1
        setup_vbd 5 51712 "$img" w
        hotplug add 5 51712
        assert_attached_ok 5 51712
        assert_eq "$(cat /sys/block/$(loop_of 5 51712 | sed 's|/dev/||')/loop/dio)" "$dio" "loop/dio"
}

test_parallel_adds_get_their_own_loops() {
        new_scratch
        local i pids=""
        for i in $(seq 1 16); do
                setup_vbd 5 $((51712 + i * 16)) "$(new_image 256)" w
        done
        for i in $(seq 1 16); do
                ( hotplug add 5 $((51712 + i * 16)); exit "$RC" ) & pids="$pids $!"
        done
        for i in $pids; do wait "$i" || fail "a parallel add failed"; done
        assert_eq "$(loops_backed_by "$SCRATCH" | wc -l)" 16 "loop devices"
        assert_eq "$(for i in $(seq 1 16); do loop_of 5 $((51712 + i * 16)); echo; done | sort -u | wc -l)" 16 \
                "distinct physical-device-path values"
        # sixteen loops: some minors are past 9, so their hex has letters
        for i in $(seq 1 16); do
                assert_xs "$(vbd 5 $((51712 + i * 16)))/physical-device" \
                        "$(devno_hex "$(loop_of 5 $((51712 + i * 16)))")"
        done
        pids=""
        for i in $(seq 1 16); do
                ( hotplug remove 5 $((51712 + i * 16)); exit "$RC" ) & pids="$pids $!"
        done
        for i in $pids; do wait "$i" || fail "a parallel remove failed"; done
        assert_no_loops_in "$SCRATCH"
}

# libxl logs hotplug-error whenever it is there: a success must not carry
# the reason of an earlier failure of the same vbd.
test_successful_add_after_a_failed_one_clears_hotplug_error() {
        new_scratch
        local img
        img=$(new_image)
        setup_vbd 5 51712 "$SCRATCH/not-yet.img" w
        hotplug add 5 51712
        assert_eq "$RC" 1 "first add's exit status"
        assert_xs "$(vbd 5 51712)/hotplug-status" error
        mv "$img" "$SCRATCH/not-yet.img"
        hotplug add 5 51712
        assert_attached_ok 5 51712
        assert_no_xs "$(vbd 5 51712)/hotplug-error"
}

# A loop detached by hand under a vbd (no blkback holds it here) goes back
# to the free pool; the next attach may get the same number. The old vbd's
# diskseq no longer matches: it holds nothing, and remove leaves the new
# owner's device alone.
test_loop_reused_after_a_local_detach_is_not_taken_for_the_old_vbd() {
        new_scratch
        local one two loop
        one=$(new_image)
        two=$(new_image)
        setup_vbd 5 51712 "$one" w
        hotplug add 5 51712
        assert_attached_ok 5 51712
        loop=$(loop_of 5 51712)
        losetup -d "$loop"
        setup_vbd 6 51712 "$two" w
        hotplug add 6 51712
        assert_attached_ok 6 51712
        [ "$(loop_of 6 51712)" = "$loop" ] || skip "the kernel handed out another loop device"
        hotplug remove 5 51712
        assert_eq "$RC" 0 "remove of the stale vbd"
        assert_eq "$(cat "/sys/block/${loop#/dev/}/loop/backing_file")" "$two" "the file of $loop"
}

# A run of add killed between making its loop device and committing leaves
# the device tagged for the vbd and the pending node: the next add or
# remove of that vbd releases it.
test_add_after_a_killed_add_releases_what_it_left() {
        new_scratch
        local img left seq
        img=$(new_image)
        setup_vbd 5 51712 "$img" w
        left=$(leftover_of_killed_add 5 51712 "$img")
        seq=$(printf %x "$(cat "/sys/block/${left#/dev/}/diskseq")")
        hotplug add 5 51712
        assert_attached_ok 5 51712
        assert_no_xs "$(vbd 5 51712)/qubes-block-pending"
        assert_eq "$(loops_backed_by "$SCRATCH")" "$(loop_of 5 51712)" "loop devices on the image"
        # a device number may come back; its disk sequence number does not
        [ "$(xs_read "$(vbd 5 51712)/diskseq")" != "$seq" ] || fail "the leftover $left serves the vbd"
}

test_remove_after_a_killed_add_releases_what_it_left() {
        new_scratch
        local img
        img=$(new_image)
        setup_vbd 5 51712 "$img" w
        leftover_of_killed_add 5 51712 "$img" >/dev/null
        hotplug remove 5 51712
        assert_eq "$RC" 0 "remove's exit status ($(cat "$SCRATCH/err"))"
        assert_no_xs "$(vbd 5 51712)/qubes-block-pending"
        assert_no_loops_in "$SCRATCH"
}

# The pending node of a run still going (a concurrent add of the same
# vbd) is no death: its device is not touched.
test_pending_node_of_a_live_run_is_left_alone() {
        new_scratch
        local img left start
        img=$(new_image)
        setup_vbd 5 51712 "$img" r
        start=$(awk '{ sub(/^.*\) /, ""); print $20 }' /proc/$$/stat)
        left=$(leftover_of_killed_add 5 51712 "$img" $$ "$start")
        hotplug remove 5 51712
        assert_eq "$RC" 0 "remove's exit status"
        [ -e "/sys/block/${left#/dev/}/loop" ] || fail "the device of a live run ($left) was released"
}

run_tests "$@"
