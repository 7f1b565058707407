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

# hotplug_with_log_dir yes|no CMD DOMID DEVID: the helper in a mount
# namespace whose log directory (of the configured hotplug log) is a fresh
# tmpfs, or absent; the log file, if any, and its mode are copied out to
# $SCRATCH/log and $SCRATCH/log.mode.
hotplug_with_log_dir() {
        local log dir
        log=$(sed -n 's/^QUBES_HOTPLUG_LOG:FILEPATH=//p' "$BUILD_DIR/CMakeCache.txt")
        dir=$(dirname "$log")
        RC=0
        # shellcheck disable=SC2016
        unshare --mount --propagation private bash -c '
                set -e
                make=$1 log=$2 dir=$3 scratch=$4; shift 4
                parent=$(dirname "$dir")
                mkdir -p "$parent"
                mount -t tmpfs qxd-log "$parent"
                [ "$make" = no ] || mkdir "$dir"
                umask 022       # a usual one: the helper asks for 0640
                rc=0
                "$@" || rc=$?
                if [ -e "$log" ]; then cp "$log" "$scratch/log"; stat -c %a "$log" >"$scratch/log.mode"; fi
                [ -e "$dir" ] && echo yes >"$scratch/log.dir" || echo no >"$scratch/log.dir"
                exit $rc
        ' - "$1" "$log" "$dir" "$SCRATCH" env XENBUS_PATH="backend/vbd/$3/$4" XENBUS_TYPE=vbd \
                XENBUS_BASE_PATH=backend script=/etc/xen/scripts/qubes-block "$QUBES_BLOCK" "$2" \
                </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
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

run_tests "$@"
