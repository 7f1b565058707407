# test-hotplug-refused.sh: qubes-block refuses bad input with a clear reason,
# hotplug-error/hotplug-status, a non-zero exit, and nothing left behind.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/hotplug-lib.sh"

refuse_params() {       # PARAMS MODE TEXT
        setup_vbd 5 51712 "$1" "$2"
        hotplug add 5 51712
        assert_refused 5 51712 error "$3"
}

test_missing_params_is_refused() {
        new_scratch
        xs_write "$(vbd 5 51712)/mode" w
        hotplug add 5 51712
        assert_refused 5 51712 error "params is missing"
}

test_empty_params_is_refused()        { new_scratch; refuse_params "" w "params is empty"; }
test_relative_params_is_refused()     { new_scratch; refuse_params "disk.img" w "not an absolute path"; }
test_dot_relative_params_is_refused() { new_scratch; refuse_params "./disk.img" w "not an absolute path"; }
test_missing_file_is_refused()        { new_scratch; refuse_params "$SCRATCH/nope.img" w "No such file or directory"; }
test_directory_is_refused()           { new_scratch; refuse_params "$SCRATCH" w "is a directory"; }
test_character_device_is_refused()    { new_scratch; refuse_params /dev/null w "is a character device"; }
test_loop_control_is_refused()        { new_scratch; refuse_params /dev/loop-control w "is a character device"; }

test_fifo_is_refused_without_blocking() {
        new_scratch
        mkfifo "$SCRATCH/fifo"
        refuse_params "$SCRATCH/fifo" r "is a fifo"
}

test_socket_is_refused() {
        new_scratch
        python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$SCRATCH/sock"
        refuse_params "$SCRATCH/sock" w "is a socket"
}

test_dangling_symlink_is_refused() {
        new_scratch
        ln -s "$SCRATCH/gone" "$SCRATCH/link"
        refuse_params "$SCRATCH/link" w "No such file or directory"
}

test_symlink_loop_is_refused() {
        new_scratch
        ln -s "$SCRATCH/b" "$SCRATCH/a"
        ln -s "$SCRATCH/a" "$SCRATCH/b"
        refuse_params "$SCRATCH/a" w "Too many levels of symbolic links"
}

test_control_character_in_params_is_refused() {
        new_scratch
        local img
        img=$(new_image)
        refuse_params "$img"$'\t' w "control character (0x09)"
}

test_newline_in_params_is_refused() {
        new_scratch
        refuse_params "$SCRATCH/a"$'\n'"b" w "control character (0x0a)"
}

test_escape_in_params_is_refused() {
        new_scratch
        refuse_params "$SCRATCH/a"$'\x1b'"[1m" w "control character (0x1b)"
}

test_overlong_params_is_refused() {
        new_scratch
        # as long as a xenstore value can be with the node's path: 4000 bytes
        refuse_params "$(printf '/a%.0s' $(seq 2000))" w "cannot open /a/a/a"
}

test_path_component_too_long_is_refused() {
        new_scratch
        refuse_params "$SCRATCH/$(head -c 300 /dev/zero | tr '\0' a)" w "File name too long"
}

test_unknown_mode_is_refused() {
        new_scratch
        refuse_params "$(new_image)" rw "mode 'rw' is not r, w or w!"
}

test_empty_mode_is_refused() {
        new_scratch
        refuse_params "$(new_image)" "" "mode '' is not r, w or w!"
}

test_uppercase_mode_is_refused() {
        new_scratch
        refuse_params "$(new_image)" W "mode 'W' is not r, w or w!"
}

test_mode_with_trailing_space_is_refused() {
        new_scratch
        refuse_params "$(new_image)" "w " "is not r, w or w!"
}

test_readonly_block_device_with_mode_w_is_refused() {
        new_scratch
        local dev
        dev=$(losetup --find --show --read-only "$(new_image)")
        setup_vbd 5 51712 "$dev" w
        hotplug add 5 51712
        [ "$RC" -ne 0 ] || fail "a read-only device was attached with mode w"
        assert_contains "$(xs_read "$(vbd 5 51712)/hotplug-error")" "is read-only"
        assert_no_xs "$(vbd 5 51712)/physical-device"
        assert_eq "$(loops_backed_by "$SCRATCH")" "$dev" "loop devices (the test's own)"
}

test_readonly_file_with_mode_w_is_refused() {
        new_scratch
        local img
        img=$(new_image)
        chattr +i "$img" 2>/dev/null || skip "no immutable flag on this file system"
        setup_vbd 5 51712 "$img" w
        hotplug add 5 51712
        chattr -i "$img"
        assert_refused 5 51712 error "for writing"
}

test_mapper_control_is_refused() {
        new_scratch
        refuse_params /dev/mapper/control w "does not name a device-mapper device"
}

test_mapper_dotdot_is_refused() {
        new_scratch
        refuse_params /dev/mapper/.. w "is not a normalized path"
}

test_mapper_empty_name_is_refused() {
        new_scratch
        refuse_params /dev/mapper/ w "is not a normalized path"
}

test_mapper_nested_name_is_refused() {
        new_scratch
        refuse_params /dev/mapper/a/b w "does not name a device-mapper device"
}

# add_through_mapper_link TARGET PARAMS-PREFIX: /dev/mapper/qxd-test-PID made
# a link to TARGET for one add with params PREFIX/dev/mapper/qxd-test-PID.
add_through_mapper_link() {
        mkdir -p /dev/mapper
        ln -sf "$1" /dev/mapper/qxd-test-$$
        setup_vbd 5 51712 "$2/dev/mapper/qxd-test-$$" w
        hotplug add 5 51712
        rm -f /dev/mapper/qxd-test-$$
}

test_mapper_symlink_to_non_dm_device_is_refused() {
        new_scratch
        add_through_mapper_link "$(losetup --find --show "$(new_image)")" ""
        assert_refused 5 51712 error "is not a device-mapper device"
}

test_mapper_symlink_to_a_regular_file_is_refused() {
        new_scratch
        add_through_mapper_link "$(new_image)" ""
        assert_refused 5 51712 error "is a regular file, not a device-mapper device"
}

test_doubled_slash_before_mapper_is_refused() {
        # "//dev/mapper/x" opens the same file but must not skip the dm check
        new_scratch
        local dev
        dev=$(losetup --find --show "$(new_image)")
        add_through_mapper_link "$dev" /
        [ "$RC" -ne 0 ] || fail "//dev/mapper/... bypassed the dm name check"
        assert_contains "$(cat "$SCRATCH/err")" "is not a normalized path"
        assert_eq "$(loops_backed_by "$SCRATCH")" "$dev" "loop devices (the test's own)"
}

test_dot_component_is_refused()     { new_scratch; refuse_params "/dev/./mapper/x" w "is not a normalized path"; }
test_dotdot_component_is_refused()  { new_scratch; refuse_params "$SCRATCH/../x.img" w "is not a normalized path"; }
test_trailing_slash_is_refused()    { new_scratch; refuse_params "$SCRATCH/" w "is not a normalized path"; }

test_newline_in_mode_cannot_forge_a_log_line() {
        new_scratch
        refuse_params "$(new_image)" $'r\nqubes-block: forged' 'mode '"'"'r\x0aqubes-block: forged'"'"
        assert_eq "$(grep -c '^qubes-block: forged' "$SCRATCH/err")" 0 "forged lines on stderr"
}

test_params_with_nul_byte_is_refused() {
        new_scratch
        local img
        img=$(new_image)
        # xenstore-write turns \x00 into a byte
        xenstore-write "$(vbd 5 51712)/params" "$img\\x00/etc/passwd"
        xs_write "$(vbd 5 51712)/mode" w
        hotplug add 5 51712
        assert_refused 5 51712 error "holds a NUL byte"
}

test_xenbus_path_missing_is_refused() {
        new_scratch
        RC=0
        env -u XENBUS_PATH "$QUBES_BLOCK" add </dev/null 2>"$SCRATCH/err" || RC=$?
        [ "$RC" -ne 0 ] || fail "add without XENBUS_PATH succeeded"
        assert_contains "$(cat "$SCRATCH/err")" "XENBUS_PATH is not set"
}

# Without a valid vbd path the helper knows no node to report to: it writes
# nothing at all.
bad_xenbus_path() {     # PATH
        local before
        before=$(xenstore-ls -f / 2>&1)
        RC=0
        XENBUS_PATH="$1" "$QUBES_BLOCK" add </dev/null 2>"$SCRATCH/err" || RC=$?
        assert_eq "$RC" 1 "exit status for XENBUS_PATH '$1'"
        assert_contains "$(cat "$SCRATCH/err")" "is not a vbd backend"
        assert_eq "$(xenstore-ls -f / 2>&1)" "$before" "xenstore after XENBUS_PATH '$1'"
        assert_no_loops_in "$SCRATCH"
}

test_xenbus_path_of_a_vif_is_refused()      { new_scratch; bad_xenbus_path backend/vif/5/0; }
test_xenbus_path_without_devid_is_refused() { new_scratch; bad_xenbus_path backend/vbd/5; }
test_xenbus_path_with_extra_part_is_refused() { new_scratch; bad_xenbus_path backend/vbd/5/51712/x; }
test_xenbus_path_with_dotdot_is_refused()   { new_scratch; bad_xenbus_path backend/vbd/5/../../../x; }
test_xenbus_path_non_numeric_is_refused()   { new_scratch; bad_xenbus_path backend/vbd/five/51712; }
test_xenbus_path_negative_is_refused()      { new_scratch; bad_xenbus_path backend/vbd/-5/51712; }
test_xenbus_path_overflow_is_refused()      { new_scratch; bad_xenbus_path backend/vbd/99999999999/51712; }
test_xenbus_path_bad_home_is_refused()      { new_scratch; bad_xenbus_path /local/domain/x/backend/vbd/5/51712; }
test_xenbus_path_leading_zero_is_refused()  { new_scratch; bad_xenbus_path backend/vbd/005/51712; }

test_xenbus_type_other_than_vbd_is_refused() {
        new_scratch
        RC=0
        XENBUS_TYPE=vif XENBUS_PATH=backend/vbd/5/51712 "$QUBES_BLOCK" add </dev/null 2>"$SCRATCH/err" || RC=$?
        [ "$RC" -ne 0 ] || fail "XENBUS_TYPE=vif was accepted"
        assert_contains "$(cat "$SCRATCH/err")" "handles vbd only"
}

test_unknown_command_is_refused() {
        new_scratch
        RC=0
        XENBUS_PATH=backend/vbd/5/51712 "$QUBES_BLOCK" online </dev/null 2>"$SCRATCH/err" || RC=$?
        assert_eq "$RC" 2 "exit status"
        assert_contains "$(cat "$SCRATCH/err")" "add or remove"
}

test_no_command_is_refused() {
        new_scratch
        RC=0
        "$QUBES_BLOCK" </dev/null 2>"$SCRATCH/err" || RC=$?
        assert_eq "$RC" 2 "exit status"
        assert_contains "$(cat "$SCRATCH/err")" "add or remove"
}

test_two_commands_are_refused() {
        new_scratch
        RC=0
        XENBUS_PATH=backend/vbd/5/51712 "$QUBES_BLOCK" add remove </dev/null 2>"$SCRATCH/err" || RC=$?
        assert_eq "$RC" 2 "exit status"
        assert_contains "$(cat "$SCRATCH/err")" "add or remove"
}

test_help_and_version_work() {
        new_scratch
        "$QUBES_BLOCK" --help | grep -q "XENBUS_PATH=backend/vbd/" || fail "--help does not show a manual run"
        "$QUBES_BLOCK" --version | grep -q "^qubes-block [0-9]" || fail "--version"
}

test_no_xenstore_is_a_clear_error() {
        new_scratch
        RC=0
        XENSTORED_PATH="$SCRATCH/no-such-socket" XENBUS_PATH=backend/vbd/5/51712 \
                "$QUBES_BLOCK" add </dev/null 2>"$SCRATCH/err" || RC=$?
        [ "$RC" -ne 0 ] || fail "add without xenstore succeeded"
        assert_contains "$(cat "$SCRATCH/err")" "cannot connect to xenstore"
}

test_target_replaced_by_a_directory_is_refused() {
        new_scratch
        local img
        img=$(new_image)
        setup_vbd 5 51712 "$img" w
        rm "$img"
        mkdir "$img"
        hotplug add 5 51712
        assert_refused 5 51712 error "is a directory"
}

# A free loop device is a 0-byte disk that LOOP_CTL_GET_FREE keeps handing
# out: a local `losetup -f FILE` would bind a local file into the guest's disk.
test_unbound_loop_device_is_refused() {
        new_scratch
        local free
        free=$(losetup --find)
        [ -b "$free" ] || skip "no free loop device node"
        refuse_params "$free" w "no backing file"
        refuse_params "$free" r "no backing file"
}

# refuse_pseudo PATH MODE TEXT: refuse_params for a file outside the scratch
# dir; a loop a wrong acceptance made on it is detached before judging.
refuse_pseudo() {
        local l
        setup_vbd 5 51712 "$1" "$2"
        hotplug add 5 51712
        for l in $(losetup -j "$(readlink -f "$1")" -n -O NAME 2>/dev/null); do losetup -d "$l"; done
        assert_refused 5 51712 error "$3"
}

# Files of pseudo file systems are kernel interfaces, not images: judged by
# the file system's magic, whatever path leads there.
test_procfs_file_is_refused() {
        new_scratch
        refuse_pseudo /proc/sys/kernel/hostname r "on a proc file system"
        ln -s /proc/sys/kernel/hostname "$SCRATCH/innocent.img"
        refuse_pseudo "$SCRATCH/innocent.img" w "on a proc file system"
}

test_sysfs_file_is_refused() {
        new_scratch
        refuse_pseudo /sys/kernel/uevent_seqnum r "on a sysfs file system"
        refuse_pseudo /sys/power/state w "on a sysfs file system"
}

test_cgroup_files_are_refused() {
        new_scratch
        local f seen=0
        for f in /sys/fs/cgroup/cgroup.controllers /sys/fs/cgroup/*/cgroup.procs; do
                [ -f "$f" ] || continue
                case "$(stat -f -c %T "$f")" in cgroup|cgroup2fs) ;; *) continue ;; esac
                refuse_pseudo "$f" r "on a cgroup"
                seen=$((seen + 1))
        done
        [ "$seen" -gt 0 ] || skip "no cgroup file system mounted"
}

test_debugfs_and_securityfs_files_are_refused() {
        new_scratch
        local f
        mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null || skip "no debugfs"
        f=$(find /sys/kernel/debug -maxdepth 1 -type f 2>/dev/null | head -n 1)
        [ -n "$f" ] || skip "no file in debugfs"
        refuse_pseudo "$f" r "on a debugfs file system"
        mountpoint -q /sys/kernel/security || mount -t securityfs none /sys/kernel/security 2>/dev/null || return 0
        f=$(find /sys/kernel/security -maxdepth 1 -type f 2>/dev/null | head -n 1)
        [ -z "$f" ] || refuse_pseudo "$f" r "on a securityfs file system"
}

run_tests "$@"
