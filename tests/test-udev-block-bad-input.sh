# test-udev-block-bad-input.sh: udev-block-add-change and udev-block-remove
# given what a broken rule, a hand run or a hostile device can give them: a
# missing or malformed environment, names dom0 rejects, escapes and bytes
# that are no text, absurd sysfs attributes, devices that vanish between the
# event and the helper, huge values. After every case the invariants of
# invariants-lib.sh are checked, not only the exit status.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/block-lib.sh"
. "$TESTS_DIR/invariants-lib.sh"

HUGE=$(head -c 100000 /dev/zero | tr '\0' x)     # near MAX_ARG_STRLEN (128 KiB)
HUGE_DIGITS=$(head -c 100000 /dev/zero | tr '\0' 9)
ABSURD_BED=$TESTS_DIR/testbeds/absurd.umockdev

ENTRY_ROOT=$BLOCK_ROOT
ENTRY_KEYS="desc mode parent size "
# size decimal digits, mode r or w, desc what dom0 keeps
# ([A-Za-z0-9()+,-.:=_/ ], split at the first space) and bounded
entry_forms_ok() {
        local size mode desc
        size=$(dump_value "$1" "$ENTRY_ROOT/$2/size") && mode=$(dump_value "$1" "$ENTRY_ROOT/$2/mode") &&
                desc=$(dump_value "$1" "$ENTRY_ROOT/$2/desc") || return 1
        [[ $size =~ ^[0-9]+$ && $mode =~ ^[rw]$ && $desc =~ ^[-A-Za-z0-9()+,.:=_/\ ]{0,256}$ ]] && return 0
        echo "  $2: size '$size' mode '$mode' desc '${desc:0:300}'" >&2
        return 1
}

# ------------------------------------------------------------ loop cases

# loop_case WHAT WANT-RC MESSAGE CHANGE PROGRAM ACTION ENV...: one case on
# $LOOP (env as udev gives it, then ENV... on top; "-KEY" removes KEY;
# ACTION "-" leaves ACTION unset).
loop_case() {
        local what=$1 want=$2 message=$3 change=$4 program=$5 action=$6 rc=0 kv e
        local -a env=() kept
        shift 6
        read -ra env <<<"$(loop_env "$LOOP")"
        [ "$action" = - ] || env+=("ACTION=$action")
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
        in_test_sys env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(sanitizer_env) \
                SUBSYSTEM=block SEQNUM=1 ${env[@]+"${env[@]}"} "$BIN/$program" \
                >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
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
        tree_dump "$SCRATCH/tree.after"
        assert_entry_whole "setup" "$NAME"
        seed_foreign_entry
}

# ------------------------------------------------------------- bed cases

# A bed takes half a second to set up, so its cases are queued (bed_case,
# bed_expect) and run together in one instance (bed_run), with a dump of the
# tree after each; the invariants are checked afterwards, case by case.
#
# bed_case WHAT WANT-RC MESSAGE CHANGE ACTION DEVPATH [KEY=VALUE...]: a case
# on DEVPATH of bed $BED (tests/testbeds/$BED.umockdev), with the properties
# the bed gives it and KEY=VALUE on top. $BED_PRE, when set, is run inside
# the bed just before (bash; $UMOCKDEV_DIR is the bed's root): what vanishes
# between the event and the helper.
BED=
BED_PRE=
BED_OPTS=()
BED_N=0
bed_case() {
        local what=$1 want=$2 message=$3 change=$4 action=$5 devpath=$6 program=udev-block-add-change q=$SCRATCH/bedq
        shift 6
        [ "$action" != remove ] || program=udev-block-remove
        mkdir -p "$q"
        BED_N=$((BED_N + 1))
        printf '%s\n' "$what" "$want" "$message" "$change" >"$q/$BED_N.meta"
        printf '%s' "$BED_PRE" >"$q/$BED_N.pre"
        : >"$q/$BED_N.expect"
        local -a props
        mapfile -t props < <(bed_props "$BED" "$devpath")
        printf '%s\0' "$program" ACTION="$action" SEQNUM=1 DEVPATH="$devpath" ${props[@]+"${props[@]}"} "$@" \
                >"$q/$BED_N.args"
}

# bed_expect PATH GLOB: after the last queued case, PATH's value (as the dump
# writes it) matches GLOB.
bed_expect() {
        printf '%s\t%s\n' "$1" "$2" >>"$SCRATCH/bedq/$BED_N.expect"
}

# Inside the bed: each case's PRE, the helper, its status and a dump.
# shellcheck disable=SC2016
BED_RUNNER="$STORE_RUNNER_FUNCS"'
q=$1; n=$2; shift 2
'"$LINK_TESTBED_VBDS"'
store_dump "$q/0.tree"
for ((i = 1; i <= n; i++)); do
        [ ! -s "$q/$i.pre" ] || ( eval "$(cat "$q/$i.pre")" )
        mapfile -d "" -t a <"$q/$i.args"
        env -i PATH="$PATH" LD_PRELOAD="$LD_PRELOAD" UMOCKDEV_DIR="$UMOCKDEV_DIR" "$@" "${a[@]:1}" "$BIN/${a[0]}" \
                >"$q/$i.out" 2>"$q/$i.err"
        echo $? >"$q/$i.rc"
        store_dump "$q/$i.tree"
done'

bed_run() {
        local q=$SCRATCH/bedq i path glob v
        local -a meta
        [ "$BED_N" -gt 0 ] || return 0
        # umockdev's preload comes before the sanitizer runtime
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" QXD_SCRATCH=$SCRATCH \
        in_test_sys umockdev-wrapper "$BIN/block-testbed" ${BED_OPTS[@]+"${BED_OPTS[@]}"} "$TESTS_DIR/testbeds/$BED.umockdev" -- \
                env BIN="$BIN" bash -c "$BED_RUNNER" - "$q" "$BED_N" \
                XENSTORED_PATH="$XENSTORED_PATH" $(sanitizer_env) \
                ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
                || fail "the bed $BED did not run"
        for ((i = 1; i <= BED_N; i++)); do
                mapfile -t meta <"$q/$i.meta"
                [ -e "$q/$i.rc" ] || fail "${meta[0]}: not run"
                cp "$q/$i.err" "$SCRATCH/err"
                cp "$q/$i.out" "$SCRATCH/out"
                check_case "${meta[0]}" "${meta[1]}" "${meta[2]}" "${meta[3]}" "$(cat "$q/$i.rc")" \
                        "$q/$((i - 1)).tree" "$q/$i.tree"
                while IFS=$'\t' read -r path glob; do
                        v=$(dump_value "$q/$i.tree" "$path") || fail "${meta[0]}: $path is missing"
                        expect_matches "${meta[0]}: $path" "$v" "$glob"
                done <"$q/$i.expect"
        done
        rm -rf "$q"
        BED_N=0
}

# bed_props BED DEVPATH: udev's properties of DEVPATH in BED, KEY=VALUE lines.
bed_props() {
        awk -v p="P: $2" '$0 == p { on = 1; next } /^P: / { on = 0 } on && /^E: / { print substr($0, 4) }' \
                "$TESTS_DIR/testbeds/$1.umockdev"
}

bed_setup() {           # BED
        block_setup
        BED=$1
        seed_foreign_entry
}

# -------------------------------------------------------------- ACTION

test_bad_action_is_refused_and_touches_nothing() {
        setup_loop
        # unset: a run by hand, judged like a change (the entry is as it was)
        loop_case "ACTION unset" 0 "" - udev-block-add-change -
        loop_case "ACTION=remove to add-change" 1 "ACTION 'remove': this helper handles add and change" - \
                udev-block-add-change remove
        loop_case "ACTION=ADD (upper case)" 1 "ACTION 'ADD': this helper handles add and change" - \
                udev-block-add-change ADD
        loop_case "ACTION empty" 1 "ACTION '': this helper handles add and change" - udev-block-add-change ""
        report_cases
}

# ------------------------------------------------------------- DEVPATH

test_bad_devpath_is_refused_and_touches_nothing() {
        setup_loop
        local dp=/devices/virtual/block/$NAME
        loop_case "DEVPATH unset" 1 "DEVPATH is not set" - udev-block-add-change add -DEVPATH
        loop_case "DEVPATH empty" 1 "DEVPATH is not set" - udev-block-add-change add DEVPATH=
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
        loop_case "DEVPATH of 1100 bytes" 1 "/sys$dp/a/a/a" - \
                udev-block-add-change add "DEVPATH=$dp$(printf '/a%.0s' $(seq 550))"
        loop_case "DEVPATH of 100000 bytes" 1 "DEVPATH is too long" - \
                udev-block-add-change add "DEVPATH=/devices/$HUGE"
        # the same sysfs directory spelled differently: the entry is the same
        # udev never gives an empty component: one rule for every helper
        loop_case "DEVPATH with a trailing /" 1 "is not a sysfs device path" - udev-block-add-change add "DEVPATH=$dp/"
        loop_case "DEVPATH with //" 1 "is not a sysfs device path" - \
                udev-block-add-change add "DEVPATH=/devices/virtual//block/$NAME"
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
        loop_case "MINOR 100000 bytes" 1 "MINOR '999999" - udev-block-add-change add "MINOR=$HUGE_DIGITS"
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
        report_cases
}

# -------------------------------------------------------------- names

# DEVNAME names the entry, and dom0 attaches /dev/NAME: one that is not the
# device's own node would offer another device with this one's facts.
test_devname_of_another_node_is_refused() {
        setup_loop
        local msg="is not the node of /sys/devices/virtual/block/$NAME"
        loop_case "DEVNAME unset" 1 "DEVNAME '' is not a device node" - udev-block-add-change add -DEVNAME
        loop_case "DEVNAME relative" 1 "DEVNAME '$NAME' is not a device node" - udev-block-add-change add "DEVNAME=$NAME"
        loop_case "DEVNAME of another loop" 1 "DEVNAME '/dev/loop9999' $msg" - udev-block-add-change add DEVNAME=/dev/loop9999
        loop_case "DEVNAME /dev/ (empty name)" 1 "$msg" - udev-block-add-change add DEVNAME=/dev/
        loop_case "DEVNAME upper case" 1 "$msg" - udev-block-add-change add DEVNAME=/dev/LOOP$MINOR
        loop_case "DEVNAME with .." 1 "$msg" - udev-block-add-change add "DEVNAME=/dev/../dev/$NAME"
        loop_case "DEVNAME with a trailing space" 1 "$msg" - udev-block-add-change add "DEVNAME=/dev/$NAME "
        loop_case "DEVNAME with UTF-8" 1 "$msg" - udev-block-add-change add "DEVNAME=/dev/lööp$MINOR"
        loop_case "DEVNAME 100000 bytes" 1 "DEVNAME '/dev/xxxx" - udev-block-add-change add "DEVNAME=/dev/$HUGE"
        report_cases
}

test_names_dom0_rejects_are_not_written_and_said_why() {
        bed_setup odd-names
        local msg="dom0 accepts only names" n rc
        bed_case "13 characters" 0 "/dev/nvme100n10000 not offered: $msg" - add \
                /devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme100/nvme100n10000
        bed_case "'_' in the kernel name" 0 "/dev/ubiblock0_1 not offered: $msg" - add \
                /devices/virtual/ubi/ubi0/ubi0_1/block/ubiblock0_1
        bed_case "'/' in the node (would be '_')" 0 "/dev/ida/c0d0 not offered: $msg" - change \
                '/devices/pci0000:00/0000:00:02.0/ida0/ida!c0d0'
        bed_case "upper case" 0 "/dev/Vault0 not offered: $msg" - add /devices/virtual/block/Vault0
        bed_run
        # and their remove events touch nothing either (the device is gone: no bed)
        for n in nvme100n10000 ubiblock0_1 ida/c0d0 Vault0; do
                tree_dump "$SCRATCH/tree.before"
                rc=0
                block_helper udev-block-remove remove "DEVNAME=/dev/$n" >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
                check_case "remove of /dev/$n" 0 "" - "$rc"
        done
        report_cases
}

# ID_MODEL and ID_FS_LABEL are whatever the device's firmware and file
# system say: desc keeps only what dom0 accepts, bounded, whatever comes.
test_escapes_and_bytes_that_are_no_text_give_a_safe_desc() {
        bed_setup usb-stick
        local sdb1=/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1.4/2-1.4:1.0/host6/target6:0:0/6:0:0:0/block/sdb/sdb1
        desc_case() {   # WHAT EXPECTED-DESC-GLOB KEY=VALUE...
                local what=$1 expected=$2
                shift 2
                bed_case "$what" 0 "" sdb1 change "$sdb1" "$@"
                bed_expect "$BLOCK_ROOT/sdb1/desc" "$expected"
        }
        # the partition's disk is evaluated first: both entries appear
        bed_case "valid add first" 0 "" "sdb sdb1" add "$sdb1"
        desc_case "broken \\x escapes" 'A_x4 (_xZZ_x)' 'ID_MODEL=A\x4' 'ID_FS_LABEL=\xZZ\x'
        desc_case "\\x00 written out" '_x00 (a_x00b)' 'ID_MODEL=\x00' 'ID_FS_LABEL=a\x00b'
        desc_case "UTF-8 overlong '/'" '__ (__etc)' ID_MODEL=$'\xc0\xaf' ID_FS_LABEL=$'\xc0\xafetc'
        desc_case "UTF-16 surrogate in UTF-8" '___ (x)' ID_MODEL=$'\xed\xa0\x80' ID_FS_LABEL=x
        desc_case "bytes that are no UTF-8" '__ (__)' ID_MODEL=$'\xff\xfe' ID_FS_LABEL=$'\x80\xbf'
        desc_case "truncated UTF-8 at the end" 'Cl_ (x)' ID_MODEL=$'Cl\xc3' ID_FS_LABEL=x
        desc_case "control characters" '_a_ (_b_)' ID_MODEL=$'\x01a\x7f' ID_FS_LABEL=$'\tb\r'
        desc_case "space and bracket in the model" 'A_B) (c d)' 'ID_MODEL=A B)' 'ID_FS_LABEL=c d'
        desc_case "empty model and label" ' ()' ID_MODEL= ID_FS_LABEL=
        desc_case "100000-byte model" 'xxxx*' "ID_MODEL=$HUGE" ID_FS_LABEL=x
        desc_case "100000-byte label" 'm (xxxx*' ID_MODEL=m "ID_FS_LABEL=$HUGE"
        bed_run
        report_cases
}

# ----------------------------------------------------------- absurd sizes

test_absurd_sysfs_attributes_are_refused_or_exact() {
        bed_setup absurd
        absurd() {      # NAME WANT-RC MESSAGE
                local n=$1 p change=-
                p=$(grep -m1 "^P: .*/block/$n\$" "$ABSURD_BED")
                [ "$2" != 0 ] || change=$n
                bed_case "$n:$(grep -m1 "^# $n:" "$ABSURD_BED" | cut -d: -f2-)" "$2" "$3" "$change" add "${p#P: }"
        }
        absurd vdb 1 "cannot read /sys/devices/pci0000:00/0000:00:05.0/virtio2/block/vdb/size: Value too large"
        absurd vdc 1 "vdc/size: Value too large"
        absurd vdd 0 ""
        bed_expect "$BLOCK_ROOT/vdd/size" 18446744073709551104
        absurd vde 1 "vde/size: Invalid argument"
        absurd vdf 1 "vdf/size: Invalid argument"
        absurd vdg 1 "vdg/size: Invalid argument"
        absurd vdh 1 "vdh/size: File too large"
        absurd vdi 1 "vdi/size: No such file or directory"
        absurd vdj 1 "vdj/ro: Invalid argument"
        absurd vdk 1 "vdk/ro: No such file or directory"
        absurd vdl 0 ""
        bed_expect "$BLOCK_ROOT/vdl/size" 0
        absurd vdm 1 "vdm/size: Invalid argument"
        absurd vdn 1 "vdn/size: Invalid argument"
        bed_run
        report_cases
}

# ------------------------------------------------------------- remove

test_remove_with_bad_environment_removes_nothing() {
        setup_loop
        local rm=udev-block-remove msg=
        # the device is still there: its entry stays (dom0 would detach it)
        loop_case "remove: ACTION=change" 1 "ACTION 'change': this helper handles remove" - $rm change
        loop_case "remove: ACTION=add" 1 "ACTION 'add': this helper handles remove" - $rm add
        loop_case "remove: ACTION empty" 1 "ACTION '': this helper handles remove" - $rm ""
        loop_case "remove: DEVNAME unset" 1 "DEVNAME '' is not a device node" - $rm remove -DEVNAME
        loop_case "remove: DEVNAME relative" 1 "DEVNAME '$NAME' is not" - $rm remove "DEVNAME=$NAME"
        loop_case "remove: DEVNAME /dev/" 0 "$msg" - $rm remove DEVNAME=/dev/
        loop_case "remove: DEVNAME upper case" 0 "$msg" - $rm remove DEVNAME=/dev/LOOP$MINOR
        loop_case "remove: DEVNAME with /" 0 "$msg" - $rm remove "DEVNAME=/dev/mapper/$NAME"
        loop_case "remove: DEVNAME with .." 0 "$msg" - $rm remove "DEVNAME=/dev/../dev/$NAME"
        loop_case "remove: DEVNAME 100000 bytes" 0 "$msg" - $rm remove "DEVNAME=/dev/$HUGE"
        loop_case "remove: no such entry" 0 "$msg" - $rm remove DEVNAME=/dev/loop-none
        loop_case "remove: MAJOR junk" 1 "are not device numbers" - $rm remove MAJOR=7x
        loop_case "remove: MINOR unset" 1 "are not device numbers" - $rm remove -MINOR
        loop_case "remove: MINOR over 20 bits" 1 "are not device numbers" - $rm remove MINOR=1048576
        tree_dump "$SCRATCH/tree.after"
        assert_entry_whole "the loop's entry at the end" "$NAME"
        report_cases
}

# udev's MAJOR/MINOR do not decide which device is meant: DEVNAME and sysfs
# do, and a device that is still there and attached keeps its entry (dom0
# force-detaches a device whose entry disappears).
test_remove_of_an_attached_device_keeps_its_entry_whatever_major_minor_say() {
        setup_loop
        local rm=udev-block-remove other
        other=$(new_loop "$SCRATCH/images/other.img" 8M)
        OWN_LOOPS="$LOOP $other "
        attach_as_vbd "$LOOP"
        loop_case "remove, attached: MAJOR and MINOR unset" 0 "still present and attached" - \
                $rm remove -MAJOR -MINOR
        loop_case "remove, attached: MINOR of another loop" 0 "still present and attached" - \
                $rm remove "MINOR=${other#/dev/loop}"
        loop_case "remove, attached: MAJOR/MINOR of no device" 0 "still present and attached" - \
                $rm remove MAJOR=250 MINOR=999
        tree_dump "$SCRATCH/tree.after"
        assert_entry_whole "the attached loop's entry at the end" "$NAME"
        report_cases
}

# ---------------------------------------- what vanishes before the helper

test_loop_detached_before_its_add_runs_gets_no_entry() {
        setup_loop
        local other
        other=$(new_loop "$SCRATCH/images/other.img" 8M)
        losetup -d "$other"
        [ ! -e "/sys/block/${other#/dev/}/loop" ] || skip "another user took $other meanwhile"
        LOOP=$other loop_case "add after detach" 0 "" - udev-block-add-change add
        [ ! -e "/sys/block/${other#/dev/}/loop" ] || skip "another user took $other meanwhile"
        report_cases
}

# LOOP_CTL_REMOVE: the device itself is gone, sysfs directory and all.
test_loop_device_deleted_before_its_change_runs_is_a_clear_error() {
        setup_loop
        local other
        other=$(new_loop "$SCRATCH/images/other.img" 8M)
        losetup -d "$other"
        python3 -c '
import fcntl, os, sys
fd = os.open("/dev/loop-control", os.O_RDWR)
fcntl.ioctl(fd, 0x4C81, int(sys.argv[1]))      # LOOP_CTL_REMOVE
' "${other#/dev/loop}" 2>/dev/null || skip "$other could not be deleted (in use by another user?)"
        LOOP=$other loop_case "change of a deleted loop" 1 "cannot find /sys/devices/virtual/block/${other#/dev/}" - \
                udev-block-add-change change
        report_cases
}

test_loop_whose_file_was_deleted_is_offered_with_the_kernels_name() {
        setup_loop
        rm "$SCRATCH/images/disk.img"
        loop_case "backing file deleted" 0 "" "$NAME" udev-block-add-change change
        assert_eq "$(dump_value "$SCRATCH/tree.after" "$BLOCK_ROOT/$NAME/desc")" "$SCRATCH/images/disk.img_(deleted)" desc
        report_cases
}

# bury FILE: move FILE's directory down a chain of long names until its path
# is longer than a page, which sysfs cannot show (loop/backing_file gives
# ENAMETOOLONG); unbury moves it back.
bury() {
        python3 - "$1" <<'PY'
import os, sys
path = sys.argv[1]
d, name = os.path.split(path)
os.chdir(d)
long = 'L' * 250
os.mkdir('deep')
os.chdir('deep')
for i in range(18):
    os.mkdir(long)
    os.chdir(long)
os.rename(os.path.join(d, name), name)
PY
}
unbury() {
        local d
        d=$(dirname "$1")
        # shellcheck disable=SC2046
        (cd "$d/deep" && cd $(printf 'L%.0s' $(seq 250))"/" && for _ in $(seq 17); do cd "$(printf 'L%.0s' $(seq 250))"; done &&
                mv "$(basename "$1")" "$1")
}

# Facts that cannot be read leave the device unjudged: its entry is
# withdrawn (it may be mounted by now) and the helper says why.
test_loop_whose_facts_cannot_be_read_is_withdrawn() {
        setup_loop
        echo "$LOOP" >>"$SCRATCH/.detach"
        mkfs.ext4 -q -F "$LOOP" >/dev/null 2>&1 || fail "mkfs.ext4 $LOOP"
        mkdir -p "$SCRATCH/mnt"
        mount "$LOOP" "$SCRATCH/mnt" || fail "mount $LOOP"
        bury "$SCRATCH/images/disk.img"
        cat "/sys/block/$NAME/loop/backing_file" >/dev/null 2>&1 && skip "sysfs shows a path longer than a page here"
        OWN_LOOPS=              # buried: invisible to loops_backed_by
        loop_case "backing path longer than a page" 1 "File name too long" "!$NAME" udev-block-add-change change
        umount "$SCRATCH/mnt"
        unbury "$SCRATCH/images/disk.img"
        report_cases
}

test_attached_loop_whose_facts_cannot_be_read_keeps_its_entry() {
        setup_loop
        echo "$LOOP" >>"$SCRATCH/.detach"
        attach_as_vbd "$LOOP"
        bury "$SCRATCH/images/disk.img"
        OWN_LOOPS=              # buried: invisible to loops_backed_by
        loop_case "attached, backing path longer than a page" 1 "File name too long" - udev-block-add-change change
        unbury "$SCRATCH/images/disk.img"
        report_cases
}

# The resync too: it judges every device, and an entry it has no decision
# for goes as stale; an attached device it cannot read keeps its entry.
test_resync_keeps_the_entry_of_an_attached_loop_whose_facts_cannot_be_read() {
        setup_loop
        local rc=0
        echo "$LOOP" >>"$SCRATCH/.detach"
        attach_as_vbd "$LOOP"
        bury "$SCRATCH/images/disk.img"
        OWN_LOOPS=
        # shellcheck disable=SC2046
        in_test_sys env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(sanitizer_env) \
                "$BIN/qubes-devices-monitor" --resync 2>"$SCRATCH/err" || rc=$?
        unbury "$SCRATCH/images/disk.img"
        assert_eq "$rc" 1 "resync's exit status ($(cat "$SCRATCH/err"))"
        assert_contains "$(cat "$SCRATCH/err")" "File name too long" "resync's stderr"
        tree_dump "$SCRATCH/tree.after"
        assert_entry_whole "the attached loop's entry after the resync" "$NAME"
}

VDD=/devices/pci0000:00/0000:00:07.0/virtio4/block/vdd
test_bed_attributes_that_vanish_mid_run_are_a_clear_error() {
        bed_setup absurd
        local sys='$UMOCKDEV_DIR/sys'
        # one bed each: every case breaks the same device
        BED_PRE="rm $sys$VDD/size" bed_case "size removed" 1 "vdd/size: No such file or directory" - add "$VDD"
        bed_run
        BED_PRE="rm $sys$VDD/ro" bed_case "ro removed" 1 "vdd/ro: No such file or directory" - add "$VDD"
        bed_run
        BED_PRE="echo gone >$sys$VDD/size" bed_case "size rewritten" 1 "vdd/size: Invalid argument" - add "$VDD"
        bed_run
        BED_PRE="rm -r $sys$VDD" bed_case "device removed" 1 "cannot find /sys$VDD" - change "$VDD"
        bed_run
        report_cases
}

test_dm_slaves_that_vanish_or_are_garbage() {
        bed_setup dm
        BED_OPTS=(--dm-open 253:0=0)
        local sys='$UMOCKDEV_DIR/sys' dm0=/devices/virtual/block/dm-0 rc=0
        local sdc=/devices/pci0000:00/0000:00:17.0/ata3/host2/target2:0:0/2:0:0:0/block/sdc
        BED_PRE="rm -r $sys$sdc" bed_case "dm add, its slave gone" 0 "" dm-0 add "$dm0"
        bed_run
        assert_eq "$(cat "$SCRATCH/run/block-slave-cache-dm-0")" sdc "slave cache"
        printf 'sdc\n../../etc\n%s\n' "$(head -c 300 /dev/zero | tr '\0' a)" >"$SCRATCH/run/block-slave-cache-dm-0"
        tree_dump "$SCRATCH/tree.before"
        block_helper udev-block-remove remove DEVNAME=/dev/dm-0 >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
        # the entry goes; the slaves cannot all be judged, so the cache stays
        check_case "dm remove, garbage in its slave cache" 1 "'../../etc' is not a block device name" '!dm-0' "$rc"
        [ -e "$SCRATCH/run/block-slave-cache-dm-0" ] || fail "the slave cache went with an error"
        # the next event of the device says so once, and renews the cache
        bed_case "dm add, garbage in its slave cache" 1 "'../../etc' is not a block device name" - add "$dm0"
        bed_run
        assert_eq "$(cat "$SCRATCH/run/block-slave-cache-dm-0")" sdc "slave cache renewed"
        BED_PRE="printf %0300d 0 >$sys$dm0/dm/name" bed_case "dm/name of 300 bytes" 1 "dm-0/dm/name: File too large" - \
                change "$dm0"
        bed_run
        BED_PRE=
        bed_case "DM_NAME of 100000 bytes" 0 "" dm-0 change "$dm0" "DM_NAME=$HUGE"
        bed_expect "$BLOCK_ROOT/dm-0/desc" 'xxxx*'
        bed_run
        report_cases
}

run_tests "$@"
