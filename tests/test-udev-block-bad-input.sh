# test-udev-block-bad-input.sh: udev-block-add-change and udev-block-remove
# given what a broken rule, a hand run or a hostile device can give them: a
# missing or malformed environment, names dom0 rejects, escapes and bytes
# that are no text, absurd sysfs attributes, devices that vanish between the
# event and the helper, huge values. After every case the invariants are
# checked, not only the exit status: a message on stderr, nothing on stdout,
# no crash (signal or sanitizer report), the xenstore tree unchanged except
# for the one entry the case may write, and no loop device left over.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/block-lib.sh"

HUGE=$(head -c 100000 /dev/zero | tr '\0' x)     # near MAX_ARG_STRLEN (128 KiB)
ABSURD_BED=$TESTS_DIR/testbeds/absurd.umockdev

# ------------------------------------------------------------ invariants

tree_dump() { xenstore-control dump "$1" >/dev/null; }

# assert_no_crash WHAT RC: the helper ended by itself and no sanitizer spoke.
assert_no_crash() {
        [ "$2" -lt 128 ] || fail "$1: killed by signal $(($2 - 128)): $(head -c 400 "$SCRATCH/err")"
        if grep -qE 'Sanitizer|runtime error:' "$SCRATCH/err"; then
                fail "$1: sanitizer report: $(grep -m3 -E 'Sanitizer|runtime error:' "$SCRATCH/err")"
        fi
}

# assert_tree_change WHAT NAME: the tree is the one dumped before the case,
# apart from entry NAME and the trigger when NAME is not "-".
assert_tree_change() {
        tree_dump "$SCRATCH/tree.after"
        if [ "$2" = - ]; then
                diff -u "$SCRATCH/tree.before" "$SCRATCH/tree.after" >&2 ||
                        fail "$1: the xenstore tree changed"
                return 0
        fi
        local keep="^$BLOCK_ROOT(/$2(/[a-z]+)?)?="
        diff -u <(grep -Ev "$keep" "$SCRATCH/tree.before") <(grep -Ev "$keep" "$SCRATCH/tree.after") >&2 ||
                fail "$1: nodes other than $BLOCK_ROOT/$2 changed"
        assert_entry_whole "$1" "$2"
}

# assert_entry_whole WHAT NAME: exactly the four keys, in the forms dom0 reads.
assert_entry_whole() {
        local p=$BLOCK_ROOT/$2
        assert_eq "$(xenstore-list "$p" 2>/dev/null | sort | tr '\n' ' ')" "desc mode parent size " "$1: keys of $2"
        [[ "$(xs_read "$p/size")" =~ ^[0-9]+$ ]] || fail "$1: size '$(xs_read "$p/size")' is not decimal digits"
        [[ "$(xs_read "$p/mode")" =~ ^[rw]$ ]] || fail "$1: mode '$(xs_read "$p/mode")'"
        # dom0 keeps [A-Za-z0-9()+,-.:=_/ ] and splits at the first space
        [[ "$(xs_read "$p/desc")" =~ ^[-A-Za-z0-9()+,.:=_/\ ]{0,256}$ ]] ||
                fail "$1: desc '$(xs_read "$p/desc" | head -c 300)' is not dom0-safe and bounded"
}

# The loop devices the test made itself; a case must leave exactly these.
OWN_LOOPS=
assert_no_leak() {
        assert_eq "$(loops_backed_by "$SCRATCH" | sort | tr '\n' ' ')" "$OWN_LOOPS" "$1: loop devices on the scratch dir"
}

# check_case WHAT WANT-RC MESSAGE CHANGE RC: the invariants after one case.
# MESSAGE must be on stderr ("" for none expected, then stderr may be empty
# only if the case succeeded); CHANGE is "-" or the entry name that may change.
CASES=0
check_case() {
        local what=$1 want=$2 message=$3 change=$4 rc=$5
        assert_no_crash "$what" "$rc"
        assert_eq "$rc" "$want" "$what: exit status (stderr: $(head -c 300 "$SCRATCH/err"))"
        if [ -n "$message" ]; then
                assert_contains "$(head -c 2000 "$SCRATCH/err")" "$message" "$what: stderr"
        elif [ "$want" -ne 0 ]; then
                [ -s "$SCRATCH/err" ] || fail "$what: failed without a message"
        fi
        [ ! -s "$SCRATCH/out" ] || fail "$what: wrote to stdout: $(head -c 200 "$SCRATCH/out")"
        # messages are bounded (log.c cuts them at 1 KiB), whatever the input
        [ "$(wc -L <"$SCRATCH/err")" -le 1100 ] || fail "$what: a line of $(wc -L <"$SCRATCH/err") bytes on stderr"
        assert_tree_change "$what" "$change"
        assert_no_leak "$what"
        CASES=$((CASES + 1))
}

# loop_case WHAT WANT-RC MESSAGE CHANGE PROGRAM ACTION ENV...: one case on
# the test's loop device (env as udev gives it, then ENV... on top; "-KEY"
# removes KEY).
loop_case() {
        local what=$1 want=$2 message=$3 change=$4 program=$5 action=$6 rc=0 kv e
        local -a env=() kept
        shift 6
        read -ra env <<<"$(loop_env "$LOOP")"
        for kv in "$@"; do
                if [[ $kv == -* ]]; then
                        kept=()
                        for e in "${env[@]}"; do
                                [[ $e == "${kv#-}="* ]] || kept+=("$e")
                        done
                        env=("${kept[@]}")
                else
                        env+=("$kv")
                fi
        done
        tree_dump "$SCRATCH/tree.before"
        if [ "$action" = - ]; then
                mkdir -p "$SCRATCH/vbd" "$SCRATCH/run"
                env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(sanitizer_env) \
                        QUBES_TEST_VBD_DIR="$SCRATCH/vbd" QUBES_TEST_RUNTIME_DIR="$SCRATCH/run" \
                        SUBSYSTEM=block ${env[@]+"${env[@]}"} "$BIN/$program" \
                        >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
        else
                block_helper "$program" "$action" ${env[@]+"${env[@]}"} >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
        fi
        check_case "$what" "$want" "$message" "$change" "$rc"
}

# A loop device with its entry published, and a foreign entry beside it:
# a case that removes or rewrites the wrong entry shows in the tree.
setup_loop() {
        block_setup
        LOOP=$(new_loop "$SCRATCH/images/disk.img" 8M)
        NAME=${LOOP#/dev/}
        MINOR=${NAME#loop}
        OWN_LOOPS="$LOOP "
        loop_event add "$LOOP" || fail "the valid add failed"
        assert_entry_whole "setup" "$NAME"
        xenstore-write "$BLOCK_ROOT/sdz/desc" "Other_disk ()" "$BLOCK_ROOT/sdz/size" 512 \
                "$BLOCK_ROOT/sdz/mode" w "$BLOCK_ROOT/sdz/parent" ""
}

report_cases() { echo "  $CASES cases" >&2; }

# -------------------------------------------------------------- ACTION

test_bad_action_is_refused_and_touches_nothing() {
        setup_loop
        loop_case "ACTION unset" 1 "ACTION '' is neither add nor change" - udev-block-add-change -
        loop_case "ACTION=remove to add-change" 1 "ACTION 'remove' is neither" - udev-block-add-change remove
        loop_case "ACTION=ADD (upper case)" 1 "ACTION 'ADD' is neither" - udev-block-add-change ADD
        loop_case "ACTION empty" 1 "ACTION '' is neither" - udev-block-add-change ""
        report_cases
}

# ------------------------------------------------------------- DEVPATH

test_bad_devpath_is_refused_and_touches_nothing() {
        setup_loop
        local dp=/devices/virtual/block/$NAME
        loop_case "DEVPATH unset" 1 "DEVPATH '' is not a sysfs device path" - udev-block-add-change add -DEVPATH
        loop_case "DEVPATH empty" 1 "DEVPATH '' is not" - udev-block-add-change add DEVPATH=
        loop_case "DEVPATH relative" 1 "is not a sysfs device path" - udev-block-add-change add "DEVPATH=virtual/block/$NAME"
        loop_case "DEVPATH with /sys" 1 "is not a sysfs device path" - udev-block-add-change add "DEVPATH=/sys$dp"
        loop_case "DEVPATH ending in /." 1 "is not a sysfs device path" - udev-block-add-change add "DEVPATH=$dp/."
        loop_case "DEVPATH ending in /.." 1 "is not a sysfs device path" - udev-block-add-change add "DEVPATH=$dp/.."
        loop_case "DEVPATH of no device" 1 "cannot find /sys/devices/virtual/block/loop-none" - \
                udev-block-add-change add DEVPATH=/devices/virtual/block/loop-none
        loop_case "DEVPATH of a directory that is no device" 1 "cannot find /sys$dp/queue" - \
                udev-block-add-change add "DEVPATH=$dp/queue"
        loop_case "DEVPATH of a character device" 1 "/sys/devices/virtual/mem/null" - \
                udev-block-add-change add DEVPATH=/devices/virtual/mem/null DEVNAME=/dev/null MAJOR=1 MINOR=3
        loop_case "DEVPATH of 1100 bytes" 1 "DEVPATH '$dp/a/a/a" - \
                udev-block-add-change add "DEVPATH=$dp$(printf '/a%.0s' $(seq 550))"
        loop_case "DEVPATH of 100000 bytes" 1 "DEVPATH '/devices/xxxx" - \
                udev-block-add-change add "DEVPATH=/devices/$HUGE"
        # the same sysfs directory spelled differently: the entry is the same
        loop_case "DEVPATH with a trailing /" 0 "" - udev-block-add-change add "DEVPATH=$dp/"
        loop_case "DEVPATH with //" 0 "" - udev-block-add-change add "DEVPATH=/devices/virtual//block/$NAME"
        report_cases
}

# ------------------------------------------------------ MAJOR and MINOR

test_bad_device_numbers_are_refused_and_touch_nothing() {
        setup_loop
        loop_case "MAJOR unset" 1 "MAJOR '' / MINOR '$MINOR' are not device numbers" - udev-block-add-change add -MAJOR
        loop_case "MINOR unset" 1 "are not device numbers" - udev-block-add-change add -MINOR
        loop_case "MAJOR empty" 1 "are not device numbers" - udev-block-add-change add MAJOR=
        loop_case "MAJOR negative" 1 "MAJOR '-7'" - udev-block-add-change add MAJOR=-7
        loop_case "MAJOR hex" 1 "MAJOR '0x7'" - udev-block-add-change add MAJOR=0x7
        loop_case "MINOR with a leading space" 1 "MINOR ' $MINOR'" - udev-block-add-change add "MINOR= $MINOR"
        loop_case "MINOR with a trailing newline" 1 "are not device numbers" - udev-block-add-change add "MINOR=$MINOR"$'\n'
        loop_case "MAJOR 2^32+7 (7 after truncation)" 1 "MAJOR '4294967303'" - udev-block-add-change add MAJOR=4294967303
        loop_case "MINOR past 2^64" 1 "are not device numbers" - udev-block-add-change add MINOR=18446744073709551616
        loop_case "MAJOR of another device" 1 "in sysfs, not MAJOR:MINOR 8:$MINOR" - udev-block-add-change add MAJOR=8
        loop_case "MINOR 100000 bytes" 1 "MINOR '999999" - udev-block-add-change add "MINOR=${HUGE//x/9}"
        report_cases
}

# ----------------------------------------------- SUBSYSTEM and DEVTYPE

# The rules pick block devices; the helper judges the device by sysfs, so a
# wrong SUBSYSTEM or DEVTYPE changes nothing.
test_subsystem_and_devtype_do_not_change_the_verdict() {
        setup_loop
        loop_case "SUBSYSTEM unset" 0 "" - udev-block-add-change add -SUBSYSTEM
        loop_case "SUBSYSTEM=net" 0 "" - udev-block-add-change add SUBSYSTEM=net
        loop_case "DEVTYPE=partition on a disk" 0 "" - udev-block-add-change add DEVTYPE=partition
        loop_case "DEVTYPE 100000 bytes" 0 "" - udev-block-add-change add "DEVTYPE=$HUGE"
        assert_xs "$BLOCK_ROOT/$NAME/parent" ""
        report_cases
}

# -------------------------------------------------------------- names

test_names_dom0_rejects_are_not_written_and_said_why() {
        setup_loop
        local dp=/devices/virtual/block/$NAME msg="dom0 accepts only names"
        loop_case "DEVNAME unset" 1 "DEVNAME '' is not a device node" - udev-block-add-change add -DEVNAME
        loop_case "DEVNAME relative" 1 "DEVNAME '$NAME' is not a device node" - udev-block-add-change add "DEVNAME=$NAME"
        loop_case "DEVNAME /dev/ (empty name)" 0 "$msg" - udev-block-add-change add DEVNAME=/dev/
        loop_case "DEVNAME upper case" 0 "$msg" - udev-block-add-change add DEVNAME=/dev/LOOP$MINOR
        loop_case "DEVNAME of 13 characters" 0 "$msg" - udev-block-add-change add DEVNAME=/dev/loop123456789
        loop_case "DEVNAME with / (would be _)" 0 "$msg" - udev-block-add-change add DEVNAME=/dev/mapper/x
        loop_case "DEVNAME with .." 0 "$msg" - udev-block-add-change add "DEVNAME=/dev/../dev/$NAME"
        loop_case "DEVNAME with a space" 0 "$msg" - udev-block-add-change add "DEVNAME=/dev/loop $MINOR"
        loop_case "DEVNAME with UTF-8" 0 "$msg" - udev-block-add-change add "DEVNAME=/dev/lööp$MINOR"
        loop_case "DEVNAME 100000 bytes" 0 "/dev/xxxx" - udev-block-add-change add "DEVNAME=/dev/$HUGE"
        report_cases
}

# ------------------------------------------------------------- remove

test_remove_with_bad_devname_removes_nothing() {
        setup_loop
        local rm=udev-block-remove msg=
        loop_case "remove: DEVNAME unset" 1 "DEVNAME '' is not a device node" - $rm remove -DEVNAME
        loop_case "remove: DEVNAME relative" 1 "DEVNAME '$NAME' is not" - $rm remove "DEVNAME=$NAME"
        loop_case "remove: DEVNAME /dev/" 0 "$msg" - $rm remove DEVNAME=/dev/
        loop_case "remove: DEVNAME upper case" 0 "$msg" - $rm remove DEVNAME=/dev/LOOP$MINOR
        loop_case "remove: DEVNAME with /" 0 "$msg" - $rm remove "DEVNAME=/dev/mapper/$NAME"
        loop_case "remove: DEVNAME with .." 0 "$msg" - $rm remove "DEVNAME=/dev/../dev/$NAME"
        loop_case "remove: DEVNAME 100000 bytes" 0 "$msg" - $rm remove "DEVNAME=/dev/$HUGE"
        loop_case "remove: no such entry" 0 "$msg" - $rm remove DEVNAME=/dev/loop-none
        assert_entry_whole "the loop's entry at the end" "$NAME"
        report_cases
}

run_tests "$@"
