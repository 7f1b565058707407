# test-hotplug-hostile.sh: qubes-block against a target swapped between its
# checks, xenstore nodes with odd contents, and a read-only file system.
# (test-hotplug-refused.sh has the params, mode, XENBUS_PATH and command
# line cases.) After every case: a message, the exit status, no crash, no
# loop device but the test's own, and no node written but the ones the
# outcome allows (hotplug-error and hotplug-status for a refusal).
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/hotplug-lib.sh"
. "$TESTS_DIR/invariants-lib.sh"

V=$(vbd 5 51712)

# The tree without what a refusal writes (its report).
report_free_dump() {    # FILE
        tree_dump "$1.raw"
        grep -v -e "^$V/hotplug-error=" -e "^$V/hotplug-status=" "$1.raw" >"$1" || true
}

# refused_case WHAT MESSAGE: the add just run was refused, with MESSAGE, and
# left only its report.
refused_case() {
        assert_no_crash "$1" "$RC"
        [ "$RC" -ne 0 ] || fail "$1: accepted"
        [ "$RC" -lt 128 ] || fail "$1: exit status $RC"
        assert_contains "$(head -c 2000 "$SCRATCH/err")" "$2" "$1: stderr"
        assert_contains "$(xs_read "$V/hotplug-error")" "$2" "$1: hotplug-error"
        assert_xs "$V/hotplug-status" error
        [ "$(wc -L <"$SCRATCH/err")" -le 1100 ] || fail "$1: a line of $(wc -L <"$SCRATCH/err") bytes on stderr"
        report_free_dump "$SCRATCH/tree.after"
        diff -u "$SCRATCH/tree.before" "$SCRATCH/tree.after" >&2 || fail "$1: nodes other than the report changed"
        assert_no_leak "$1"
        CASES=$((CASES + 1))
}

# add_refused WHAT MESSAGE: run add on the prepared vbd, expect a refusal.
add_refused() {
        report_free_dump "$SCRATCH/tree.before"
        hotplug add 5 51712
        refused_case "$@"
}

# ------------------------------------------------------------ the race

# A background process keeps exchanging the params path with a regular file,
# another regular file, a directory, a fifo, and symlinks to a file, to
# /dev/null and to a block device (renameat2 RENAME_EXCHANGE), and now and
# then removes it for a moment, while adds and removes run. Each add must either attach what a
# regular file or a block device gives (a loop on exactly one of the two
# files, read-only for mode r; the block device as given), or refuse cleanly;
# never a loop on anything else, never a leak.
test_target_swapped_between_checks_attaches_right_or_refuses() {
        new_scratch
        local pool=$SCRATCH/pool rounds=0 files=0 blocks=0 refused=0 vanished=0 blk ino1 ino2 swapper mode loop ino end
        mkdir -p "$pool/dir"
        truncate -s 1M "$pool/img1" "$pool/img2" "$SCRATCH/blk.img"
        mkfifo "$pool/fifo"
        blk=$(losetup --find --show "$SCRATCH/blk.img")
        OWN_LOOPS="$blk "
        ln -s "$pool/img2" "$pool/link-img"
        ln -s /dev/null "$pool/link-null"
        ln -s "$blk" "$pool/link-blk"
        cp -a "$pool/link-null" "$pool/target"
        ino1=$(stat -c %i "$pool/img1")
        ino2=$(stat -c %i "$pool/img2")
        python3 - "$pool" <<'EOF' &
import ctypes, os, random, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
pool = sys.argv[1]
names = ["img1", "img2", "dir", "fifo", "link-img", "link-null", "link-blk"]
target = os.path.join(pool, "target").encode()
away = os.path.join(pool, "away").encode()
while True:
    if random.randrange(8) == 0:
        # the path vanishes for a moment: removed, then back
        os.rename(target, away)
        time.sleep(0.0005)
        os.rename(away, target)
        continue
    other = os.path.join(pool, random.choice(names)).encode()
    if libc.renameat2(AT_FDCWD, target, AT_FDCWD, other, RENAME_EXCHANGE) != 0:
        sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))
    time.sleep(0.0005)      # a thousand a second, and the adds still get a CPU
EOF
        swapper=$!
        end=$((SECONDS + 12))
        while [ $SECONDS -lt $end ] && [ $rounds -lt 150 ]; do
                rounds=$((rounds + 1))
                mode=w
                [ $((rounds % 2)) -eq 0 ] || mode=r
                # setup_vbd's nodes in one go: every process counts here
                xenstore-rm "$V" 2>/dev/null || true
                xenstore-write -R "$V/frontend-id" 5 "$V/params" "$pool/target" "$V/mode" "$mode" \
                        "$V/online" 1 "$V/state" 2 "$V/type" phy "$V/device-type" disk
                hotplug add 5 51712
                assert_no_crash "round $rounds" "$RC"
                if [ "$RC" -eq 0 ]; then
                        assert_xs "$V/hotplug-status" connected
                        loop=$(xs_read "$V/physical-device-path")
                        if [ "$loop" = "$pool/target" ]; then
                                # given as a block device: it can only be ours
                                blocks=$((blocks + 1))
                                assert_eq "$(xs_read "$V/physical-device")" "$(devno_hex "$blk")" "round $rounds: device"
                        else
                                files=$((files + 1))
                                assert_eq "$(xs_read "$V/physical-device")" "$(devno_hex "$loop")" "round $rounds: device"
                                ino=$(losetup -n -O BACK-INO "$loop")
                                [ "$ino" = "$ino1" ] || [ "$ino" = "$ino2" ] ||
                                        fail "round $rounds: $loop is on inode $ino, none of the regular files"
                                assert_eq "$(losetup -n -O RO "$loop" | tr -d ' ')" "$([ $mode = r ] && echo 1 || echo 0)" \
                                        "round $rounds: $loop read-only"
                        fi
                else
                        refused=$((refused + 1))
                        assert_xs "$V/hotplug-status" error
                        assert_no_xs "$V/physical-device"
                        case "$(cat "$SCRATCH/err")" in
                        *"is a directory"* | *"is a fifo"* | *"is a character device"*) ;;
                        *"cannot open $pool/target: No such file or directory"*) vanished=$((vanished + 1)) ;;
                        *) fail "round $rounds: refused for an unexpected reason: $(cat "$SCRATCH/err")" ;;
                        esac
                fi
                hotplug remove 5 51712
                assert_eq "$RC" 0 "round $rounds: remove ($(cat "$SCRATCH/err"))"
                assert_no_leak "round $rounds"
        done
        kill "$swapper" 2>/dev/null || fail "the swapper died early"
        wait "$swapper" 2>/dev/null || true
        echo "  $rounds rounds: $files files and $blocks block devices attached, $refused refused" \
             "($vanished while the path was gone)" >&2
        [ $((files + blocks)) -gt 0 ] && [ "$refused" -gt 0 ] || fail "the race never gave both outcomes"
}

# --------------------------------------------------- xenstore node contents

test_params_with_escaped_bytes() {
        new_scratch
        local img
        img=$(new_image)
        # xenstore-write turns \xNN into a byte
        for b in 01 1f 7f; do
                xenstore-rm "$V" 2>/dev/null || true
                setup_vbd 5 51712 x w
                xenstore-write "$V/params" "$img\\x$b"
                add_refused "params byte 0x$b" "params holds a control character (0x$b)"
        done
        # bytes past ASCII are a name like any other
        local b esc name
        for b in ff c3a9 c0af; do
                xenstore-rm "$V" 2>/dev/null || true
                esc=$(sed 's/\(..\)/\\x\1/g' <<<"$b")       # c3a9 -> \xc3\xa9
                name=$(printf '%s/img-%b' "$SCRATCH" "$esc")
                cp "$img" "$name"
                setup_vbd 5 51712 x w
                xenstore-write "$V/params" "$SCRATCH/img-$esc"
                hotplug add 5 51712
                assert_attached_ok 5 51712
                assert_eq "$(losetup -n -O BACK-INO "$(loop_of 5 51712)")" "$(stat -c %i "$name")" "file with byte(s) $b"
                hotplug remove 5 51712
                assert_eq "$RC" 0 "remove of the file with byte(s) $b"
                assert_no_leak "file with byte(s) $b"
                CASES=$((CASES + 1))
        done
        report_cases
}

test_odd_mode_values_are_refused() {
        new_scratch
        local img
        img=$(new_image)
        odd_mode() {    # WHAT ESCAPED-VALUE MESSAGE
                xenstore-rm "$V" 2>/dev/null || true
                setup_vbd 5 51712 "$img" -
                xenstore-write "$V/mode" "$2"
                add_refused "$1" "$3"
        }
        odd_mode "mode of 4000 bytes" "$(head -c 4000 /dev/zero | tr '\0' w)" "mode 'wwww"
        odd_mode "mode w then NUL" 'w\x00' "holds a NUL byte"
        odd_mode "mode with a newline" 'w\x0a' "is not r, w or w!"
        odd_mode "mode w!!" 'w!!' "mode 'w!!' is not r, w or w!"
        odd_mode "mode r!" 'r!' "mode 'r!' is not r, w or w!"
        odd_mode "mode UTF-8" 'w\xc3\xa9' "is not r, w or w!"
        report_cases
}

# An add that finds physical-device set does nothing, whatever it holds
# (SPEC: libxl may run add twice): no loop, no node changed.
test_add_with_physical_device_already_there_does_nothing() {
        new_scratch
        local img value
        img=$(new_image)
        for value in "" zz "7:" "fe:0:1" "$(head -c 3000 /dev/zero | tr '\0' 7)"; do
                xenstore-rm "$V" 2>/dev/null || true
                setup_vbd 5 51712 "$img" w
                xs_write "$V/physical-device" "$value"
                tree_dump "$SCRATCH/tree.before"
                hotplug add 5 51712
                assert_no_crash "physical-device '${value:0:20}'" "$RC"
                assert_eq "$RC" 0 "add with physical-device '${value:0:20}'"
                tree_dump "$SCRATCH/tree.after"
                diff -u "$SCRATCH/tree.before" "$SCRATCH/tree.after" >&2 || fail "physical-device '${value:0:20}': the tree changed"
                assert_no_leak "physical-device '${value:0:20}'"
                CASES=$((CASES + 1))
        done
        report_cases
}

# attach_then VALUE-OF-KEY...: a clean attach, then xenstore tampered with.
attach_then_tamper() {  # KEY VALUE (escaped for xenstore-write)
        xenstore-rm "$V" 2>/dev/null || true
        setup_vbd 5 51712 "$IMG" w
        hotplug add 5 51712
        assert_attached_ok 5 51712
        LOOP=$(loop_of 5 51712)
        xenstore-write -- "$V/$1" "$2"
}

# remove_keeps_loop WHAT RC MESSAGE: the remove just run did not release
# the loop (it cannot prove the device is the one it made); it removed
# physical-device and diskseq all the same (read and removed first).
remove_keeps_loop() {
        assert_no_crash "$1" "$RC"
        assert_eq "$RC" "$2" "$1: exit status ($(cat "$SCRATCH/err"))"
        assert_contains "$(cat "$SCRATCH/err")" "$3" "$1: stderr"
        assert_no_xs "$V/physical-device"
        assert_no_xs "$V/diskseq"
        [ -e "/sys/block/${LOOP#/dev/}/loop" ] || fail "$1: $LOOP was released"
        losetup -d "$LOOP"
        assert_no_leak "$1"
        CASES=$((CASES + 1))
}

test_remove_with_malformed_diskseq_releases_nothing() {
        new_scratch
        IMG=$(new_image)
        local value
        for value in xyz "" -1 0x5 " 5" 5g 5A 05 1ffffffffffffffff "$(head -c 3000 /dev/zero | tr '\0' 5)"; do
                attach_then_tamper diskseq "$value"
                hotplug remove 5 51712
                remove_keeps_loop "diskseq '${value:0:20}'" 1 "diskseq '${value:0:10}"
        done
        attach_then_tamper diskseq x
        xenstore-rm "$V/diskseq"
        hotplug remove 5 51712
        remove_keeps_loop "diskseq missing" 1 "diskseq '(missing)' is not a hex number: $LOOP not released"
        report_cases
}

test_remove_with_malformed_physical_device_releases_nothing() {
        new_scratch
        IMG=$(new_image)
        local value
        for value in "7:A" "07:1" "7" "7:1:1" ":" "1000:0" "7:100000" "$(head -c 3000 /dev/zero | tr '\0' 7)"; do
                attach_then_tamper physical-device "$value"
                hotplug remove 5 51712
                remove_keeps_loop "physical-device '${value:0:20}'" 1 "physical-device '${value:0:10}"
        done
        report_cases
}

# physical-device-path names what remove opens: pointed elsewhere, the
# device found there is checked (block device, same number, same disk
# sequence) and nothing else is released.
test_remove_with_physical_device_path_pointed_elsewhere_releases_nothing() {
        new_scratch
        IMG=$(new_image)
        local other
        other=$(losetup --find --show "$(new_image)")
        OWN_LOOPS="$other "
        attach_then_tamper physical-device-path /dev/loop-control
        hotplug remove 5 51712
        remove_keeps_loop "path of a character device" 0 "not releasing /dev/loop-control"
        attach_then_tamper physical-device-path "$other"
        hotplug remove 5 51712
        remove_keeps_loop "path of another loop" 0 "not releasing $other"
        attach_then_tamper physical-device-path /dev/loop999999
        hotplug remove 5 51712
        remove_keeps_loop "path of no device" 0 ""
        attach_then_tamper physical-device-path "/dev/loop\\x01"
        hotplug remove 5 51712
        remove_keeps_loop "path with a control byte" 0 "not releasing /dev/loop\\x01"
        attach_then_tamper physical-device-path "${LOOP}/../null"
        hotplug remove 5 51712
        remove_keeps_loop "path through the loop's node" 0 "it is no loop device's node"
        [ -e "/sys/block/${other#/dev/}/loop" ] || fail "the other loop $other was released"
        report_cases
}

# ------------------------------------------------------------ permissions

# Root ignores file modes, but not a read-only mount: mode w of an image
# there is refused at open, mode r gets a read-only loop.
test_image_on_a_read_only_mount() {
        new_scratch
        mkdir "$SCRATCH/src" "$SCRATCH/mnt"
        truncate -s 1M "$SCRATCH/src/disk.img"
        mount --bind "$SCRATCH/src" "$SCRATCH/mnt" || skip "no bind mount here"
        mount -o remount,bind,ro "$SCRATCH/mnt" || { umount "$SCRATCH/mnt"; skip "no read-only remount here"; }
        local m
        for m in w 'w!'; do
                xenstore-rm "$V" 2>/dev/null || true
                setup_vbd 5 51712 "$SCRATCH/mnt/disk.img" "$m"
                add_refused "mode $m on a read-only mount" "cannot open $SCRATCH/mnt/disk.img for writing: Read-only file system"
        done
        xenstore-rm "$V" 2>/dev/null || true
        setup_vbd 5 51712 "$SCRATCH/mnt/disk.img" r
        hotplug add 5 51712
        assert_attached_ok 5 51712
        assert_eq "$(losetup -n -O RO "$(loop_of 5 51712)" | tr -d ' ')" 1 "read-only loop"
        hotplug remove 5 51712
        assert_eq "$RC" 0 "remove"
        assert_no_leak "mode r on a read-only mount"
        umount "$SCRATCH/mnt"
        CASES=$((CASES + 1))
        report_cases
}

# ------------------------------------------------------------ messages

# Only printable ASCII reaches the log, stderr and hotplug-error.
assert_printable() {    # WHAT FILE
        if LC_ALL=C grep -q '[^ -~]' "$2"; then
                fail "$1: a byte outside printable ASCII: $(LC_ALL=C grep -m1 '[^ -~]' "$2" | od -c | head -n 3)"
        fi
}

test_log_context_with_a_newline_cannot_forge_a_log_line() {
        new_scratch
        hotplug_path_with_log_dir yes add $'backend/vbd/5/51712\n2026-01-01 00:00:00 qubes-block[1] forged: fine'
        assert_eq "$RC" 1 "exit status"
        assert_eq "$(wc -l <"$SCRATCH/log")" 1 "lines in the log ($(cat "$SCRATCH/log"))"
        assert_contains "$(cat "$SCRATCH/log")" '\x0a2026-01-01' "the log line"
        assert_printable "the log" "$SCRATCH/log"
        assert_printable "stderr" "$SCRATCH/err"
}

test_log_context_of_100k_is_bounded() {
        new_scratch
        hotplug_path_with_log_dir yes add "backend/vbd/5/51712$(head -c 100000 /dev/zero | tr '\0' x)"
        assert_eq "$RC" 1 "exit status"
        [ "$(wc -L <"$SCRATCH/log")" -le 1400 ] || fail "a log line of $(wc -L <"$SCRATCH/log") bytes"
        [ "$(wc -L <"$SCRATCH/err")" -le 1400 ] || fail "a stderr line of $(wc -L <"$SCRATCH/err") bytes"
        assert_eq "$(wc -l <"$SCRATCH/log")" 1 "lines in the log"
}

# C1 controls (0x80-0x9f; 0x9b is a terminal's CSI) and every other byte
# past ASCII are escaped like C0 controls.
test_bytes_past_ascii_are_escaped_in_log_stderr_and_hotplug_error() {
        new_scratch
        setup_vbd 5 51712 "$SCRATCH/a"$'\x9b'"31mred"$'\xc3\xa9' w
        hotplug_with_log_dir yes add 5 51712
        assert_eq "$RC" 1 "exit status"
        xs_read "$V/hotplug-error" >"$SCRATCH/hotplug-error"
        assert_contains "$(cat "$SCRATCH/hotplug-error")" '\x9b31mred\xc3\xa9' "hotplug-error"
        assert_printable "hotplug-error" "$SCRATCH/hotplug-error"
        assert_printable "the log" "$SCRATCH/log"
        assert_printable "stderr" "$SCRATCH/err"
        assert_contains "$(cat "$SCRATCH/log")" '\x9b31mred' "the log"
}

# A message too long for its line is cut in the middle: the object at its
# start and the reason at its end both stay.
test_message_cut_at_the_cap_keeps_its_cause() {
        new_scratch
        local deep
        deep="$SCRATCH/$(printf 'abcdefghij/%.0s' $(seq 300))missing.img"
        setup_vbd 5 51712 "$deep" w
        hotplug add 5 51712
        assert_eq "$RC" 1 "exit status"
        assert_contains "$(cat "$SCRATCH/err")" "No such file or directory" "stderr"
        assert_contains "$(xs_read "$V/hotplug-error")" "No such file or directory" "hotplug-error"
        assert_contains "$(xs_read "$V/hotplug-error")" "cannot open $SCRATCH/abcdefghij/" "hotplug-error"
        [ "$(wc -L <"$SCRATCH/err")" -le 1100 ] || fail "a stderr line of $(wc -L <"$SCRATCH/err") bytes"
}

run_tests "$@"
