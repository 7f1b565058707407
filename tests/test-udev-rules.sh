# test-udev-rules.sh: the generated udev rules under `udevadm test` on real
# loop devices, and the tmpfiles entries under `systemd-tmpfiles --root`.
# udevadm runs in a private mount namespace that sees only our rules (plus a
# test's own earlier rules file) and keeps udev's database, /dev/block links
# and symlinks it would create away from the host.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/block-lib.sh"

RULES_DIR=$BUILD_DIR/udev-rules

# udev_test ACTION /dev/X [EARLIER-RULES-TEXT]: `udevadm test` output; a
# failure of udevadm itself fails the test with its last lines.
udev_test() {
        local out
        out=$(udev_test_run "$@") || fail "udevadm test failed: $(tail -n 5 <<<"$out")"
        printf '%s\n' "$out"
}

# UDEV_DB, when set, is the device's udev database entry (what udevd stored
# at add: on remove, udev matches the rules against those properties).
udev_test_run() {
        local action=$1 dev=$2 earlier=${3:-}
        mkdir -p "$SCRATCH/rules" "$SCRATCH/dev"
        printf '%s' "${UDEV_DB:-}" >"$SCRATCH/db"
        cp "$RULES_DIR"/*.rules "$SCRATCH/rules/"
        [ -z "$earlier" ] || printf '%s\n' "$earlier" >"$SCRATCH/rules/10-test-earlier.rules"
        # shellcheck disable=SC2016
        unshare --mount bash -c '
                set -e
                rules=$1 dev=$2 action=$3
                for d in /etc/udev/rules.d /lib/udev/rules.d /usr/lib/udev/rules.d; do
                        [ -d "$d" ] && mount --bind "$rules" "$d"
                done
                # a /run of its own: udev database and /run/udev/rules.d
                # start empty, also where no udevd ever made /run/udev
                mount -t tmpfs run /run
                mkdir -p /run/udev/data
                [ ! -s "$rules/../db" ] || cp "$rules/../db" "/run/udev/data/b$(cat "/sys/class/block/${dev#/dev/}/dev")"
                # a /dev of its own: links and permissions udev sets stay here
                mount -t tmpfs dev "$rules/../dev"
                cp -a /dev/null "$dev" "$rules/../dev/"
                mount --bind "$rules/../dev" /dev
                exec udevadm test --action="$action" "/sys/class/block/${dev#/dev/}"
        ' - "$SCRATCH/rules" "$dev" "$action" 2>&1
}

# bed_udev_test BED ACTION DEVPATH [EARLIER-RULES-TEXT]: `udevadm test` of a
# device of umockdev test bed BED (tests/testbeds/), in a private mount
# namespace whose /run holds only our rules (and the earlier ones) and whose
# /dev/char, /dev/block and /dev/disk take udev's links. Output in
# $SCRATCH/udevadm.log.
bed_udev_test() {
        local bed=$1 action=$2 devpath=$3 earlier=${4:-}
        # umockdev's preload comes before the sanitizer runtime
        local ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
        export ASAN_OPTIONS
        mkdir -p "$SCRATCH/bed-rules"
        cp "$RULES_DIR"/*.rules "$SCRATCH/bed-rules/"
        [ -z "$earlier" ] || printf '%s\n' "$earlier" >"$SCRATCH/bed-rules/10-test-earlier.rules"
        # shellcheck disable=SC2016
        unshare --mount --propagation private bash -c '
                set -e
                rules=$1 bed=$2 action=$3 devpath=$4 scratch=$5 bin=$6
                for d in /etc/udev/rules.d /lib/udev/rules.d /usr/lib/udev/rules.d; do
                        [ -d "$d" ] && mount --bind "$rules" "$d"
                done
                mount -t tmpfs run /run
                mkdir -p /run/udev
                # a qubes group for GROUP="qubes" to resolve
                cp /etc/group "$scratch/group"
                grep -q "^qubes:" /etc/group || echo "qubes:x:4242:" >>"$scratch/group"
                mount --bind "$scratch/group" /etc/group
                # the links udev makes stay here (umockdev needs the real
                # /dev for its ptys)
                for d in /dev/char /dev/block /dev/disk; do
                        [ -d "$d" ] && mount -t tmpfs udev-links "$d"
                done
                exec umockdev-wrapper "$bin/block-testbed" "$bed" -- udevadm test --action="$action" "/sys$devpath"
        ' - "$SCRATCH/bed-rules" "$TESTS_DIR/testbeds/$bed.umockdev" "$action" "$devpath" "$SCRATCH" "$BIN" \
                >"$SCRATCH/udevadm.log" 2>&1 || fail "udevadm test of $devpath failed: $(tail -n 5 "$SCRATCH/udevadm.log")"
}

# The exclusions of SPEC §2 that live in the rules: for each device of the
# bed, add, change and remove queue no block helper (nor blkback); the
# ordinary disk of the same bed does get its helpers.
test_rules_skip_xen_disks_zram_and_dm_internals() {
        new_scratch
        local dev action
        local names='KERNEL=="dm-3", ENV{DM_NAME}="snapshot-cow"
KERNEL=="dm-4", ENV{DM_NAME}="origin-base"'
        for dev in /devices/vbd-51712/block/xvda /devices/vbd-51744/block/xvdc \
                   /devices/virtual/block/zram0 /devices/virtual/block/dm-3 \
                   /devices/virtual/block/dm-4 /devices/virtual/block/dm-5; do
                for action in add change remove; do
                        bed_udev_test rules-excluded "$action" "$dev" "$names"
                        grep -q "^DEVNAME=/dev/${dev##*/}$" "$SCRATCH/udevadm.log" ||
                                fail "udevadm did not see ${dev##*/}: $(tail -n 5 "$SCRATCH/udevadm.log")"
                        if grep -qE "udev-block-|xen-blkback" "$SCRATCH/udevadm.log"; then
                                fail "${dev##*/} $action reached our helpers: $(grep -E "udev-block-|xen-blkback" "$SCRATCH/udevadm.log")"
                        fi
                done
        done
        bed_udev_test rules-excluded add /devices/virtual/block/dm-3 "$names"
        assert_contains "$(cat "$SCRATCH/udevadm.log")" "DM_NAME=snapshot-cow" "the earlier rule's name"
        bed_udev_test rules-excluded add /devices/pci0000:00/0000:00:05.0/virtio2/block/vdb
        assert_contains "$(cat "$SCRATCH/udevadm.log")" "run: '$(helpers_dir)/udev-block-add-change'"
        assert_contains "$(cat "$SCRATCH/udevadm.log")" "run: 'kmod load xen-blkback'"
        bed_udev_test rules-excluded remove /devices/pci0000:00/0000:00:05.0/virtio2/block/vdb
        assert_contains "$(cat "$SCRATCH/udevadm.log")" "run: '$(helpers_dir)/udev-block-remove'"
}

# 99-qubes-misc.rules: the Xen nodes for the qubes group, nothing else.
test_xen_device_nodes_get_group_qubes_and_mode_0660() {
        new_scratch
        local node gid
        for node in evtchn gntdev privcmd; do
                bed_udev_test xen-misc add "/devices/virtual/misc/xen!$node"
                gid=$(sed -n 's/^qubes:[^:]*:\([0-9]*\):.*/\1/p' "$SCRATCH/group")
                grep -q "^xen/$node: .*99-qubes-misc.rules:[0-9]* GROUP $gid$" "$SCRATCH/udevadm.log" ||
                        fail "xen/$node: no GROUP qubes ($gid): $(grep "xen/$node:" "$SCRATCH/udevadm.log")"
                grep -q "^xen/$node: .*99-qubes-misc.rules:[0-9]* MODE 0660$" "$SCRATCH/udevadm.log" ||
                        fail "xen/$node: no MODE 0660"
        done
        bed_udev_test xen-misc add /devices/virtual/misc/fuse
        if grep -q "^fuse: .*99-qubes-misc" "$SCRATCH/udevadm.log"; then fail "fuse matched 99-qubes-misc.rules"; fi
        grep -q "^DEVNAME=/dev/fuse$" "$SCRATCH/udevadm.log" || fail "udevadm did not see fuse"
}

# Our own disks stay out of the desktop's file dialogs.
test_xvd_system_disks_get_udisks_ignore() {
        new_scratch
        bed_udev_test rules-excluded add /devices/vbd-51712/block/xvda
        grep -qx "UDISKS_IGNORE=1" "$SCRATCH/udevadm.log" || fail "xvda has no UDISKS_IGNORE=1"
        bed_udev_test rules-excluded add /devices/pci0000:00/0000:00:05.0/virtio2/block/vdb
        if grep -qx "UDISKS_IGNORE=1" "$SCRATCH/udevadm.log"; then fail "vdb got UDISKS_IGNORE=1"; fi
}

helpers_dir() { sed -n 's/^QUBES_HELPERS_DIR:PATH=//p' "$BUILD_DIR/CMakeCache.txt"; }

test_loop_add_queues_add_change_helper_and_blkback() {
        new_scratch
        local loop out
        loop=$(new_loop "$SCRATCH/disk.img")
        out=$(udev_test add "$loop")
        assert_contains "$out" "run: '$(helpers_dir)/udev-block-add-change'"
        assert_contains "$out" "run: 'kmod load xen-blkback'"
        assert_contains "$out" "UDISKS_IGNORE=1"
}

test_loop_change_and_remove_queue_their_helpers() {
        new_scratch
        local loop out
        loop=$(new_loop "$SCRATCH/disk.img")
        out=$(udev_test change "$loop")
        assert_contains "$out" "run: '$(helpers_dir)/udev-block-add-change'"
        out=$(udev_test remove "$loop")
        assert_contains "$out" "run: '$(helpers_dir)/udev-block-remove'"
        case "$out" in *udev-block-add-change*) fail "add-change queued on remove" ;; esac
}

# On remove udev matches the properties stored at add, where our own rule
# set UDISKS_IGNORE=1 for a loop device: the entry must go all the same.
test_loop_remove_queues_its_helper_though_its_add_set_udisks_ignore() {
        new_scratch
        local loop out
        loop=$(new_loop "$SCRATCH/disk.img")
        out=$(UDEV_DB=$'I:1000000\nE:UDISKS_IGNORE=1\n' udev_test remove "$loop")
        assert_contains "$out" "UDISKS_IGNORE=1" "udevadm read the stored properties"
        assert_contains "$out" "run: '$(helpers_dir)/udev-block-remove'"
}

assert_no_block_helper() {
        case "$1" in
        *udev-block-*) fail "a block helper is queued for an excluded device: $(grep run: <<<"$1")" ;;
        esac
}

test_export_disabled_loop_queues_nothing() {
        new_scratch
        local loop
        loop=$(new_loop "$SCRATCH/disk.img")
        assert_no_block_helper "$(udev_test add "$loop" \
                "KERNEL==\"${loop#/dev/}\", ENV{QUBES_EXPORT_BLOCK_DEVICE}=\"0\"")"
}

test_udisks_ignored_by_earlier_rules_queues_nothing() {
        new_scratch
        local loop
        loop=$(new_loop "$SCRATCH/disk.img")
        assert_no_block_helper "$(udev_test add "$loop" \
                "KERNEL==\"${loop#/dev/}\", ENV{UDISKS_IGNORE}=\"1\"")"
}

test_dm_disk_rules_flag_queues_nothing_unless_forced() {
        new_scratch
        local loop out
        loop=$(new_loop "$SCRATCH/disk.img")
        assert_no_block_helper "$(udev_test add "$loop" \
                "KERNEL==\"${loop#/dev/}\", ENV{DM_UDEV_DISABLE_DISK_RULES_FLAG}=\"1\"")"
        out=$(udev_test add "$loop" \
                "KERNEL==\"${loop#/dev/}\", ENV{DM_UDEV_DISABLE_DISK_RULES_FLAG}=\"1\", ENV{QUBES_EXPORT_BLOCK_DEVICE}=\"1\"")
        assert_contains "$out" "udev-block-add-change"
}

test_dmroot_link_for_writable_root_partition_only() {
        new_scratch
        local loop ro out
        loop=$(new_loop "$SCRATCH/root.img")
        ro=$(new_loop "$SCRATCH/root-ro.img" 8M --read-only)
        out=$(udev_test add "$loop" 'ENV{ID_PART_ENTRY_NAME}="Root\x20filesystem"')
        assert_contains "$out" "/dev/mapper/dmroot"
        out=$(udev_test add "$ro" 'ENV{ID_PART_ENTRY_NAME}="Root\x20filesystem"')
        case "$out" in *mapper/dmroot*) fail "read-only device got mapper/dmroot" ;; esac
        out=$(udev_test add "$loop" 'ENV{ID_PART_ENTRY_NAME}="Root filesystem"')
        case "$out" in *mapper/dmroot*) fail "decoded name matched: udev gives the encoded form" ;; esac
}

test_tmpfiles_give_xen_nodes_to_group_qubes() {
        new_scratch
        local root=$SCRATCH/root node
        mkdir -p "$root/dev/xen" "$root/etc"
        echo "root:x:0:" >"$root/etc/group"
        echo "qubes:x:4242:" >>"$root/etc/group"
        echo "root:x:0:0::/root:/bin/sh" >"$root/etc/passwd"
        for node in evtchn gntdev gntalloc privcmd xenbus hypercall; do
                install -m 0600 /dev/null "$root/dev/xen/$node"
        done
        systemd-tmpfiles --root="$root" --create "$TESTS_DIR/../tmpfiles/xen-devices-qubes.conf"
        for node in evtchn gntdev gntalloc privcmd xenbus hypercall; do
                assert_eq "$(stat -c '%a %g' "$root/dev/xen/$node")" "660 4242" "/dev/xen/$node"
        done
}

test_tmpfiles_create_nothing_missing() {
        new_scratch
        local root=$SCRATCH/root
        mkdir -p "$root/etc"
        echo "qubes:x:4242:" >"$root/etc/group"
        systemd-tmpfiles --root="$root" --create "$TESTS_DIR/../tmpfiles/xen-devices-qubes.conf" || true
        [ ! -e "$root/dev/xen" ] || fail "type z must only adjust, not create"
}

# The C filter (what the helpers apply to devices that bypass the rules and
# the monitor to every event) and the rules' filters agree: for each case the
# rules queue the block helper exactly when tests/rules-filter-probe, given
# the properties udev ends with, says the device passes; and both give the
# verdict expected. Real loop devices with earlier rules setting properties,
# then the devices of the rules-excluded bed (Xen disks, zram, dm internals).
# agree EXPECTED WHAT LOG: the rules' and the C verdicts on LOG (udevadm test
# output) are both EXPECTED (passes|skipped).
agree() {
        local expected=$1 what=$2 log=$3 rules=skipped c
        grep -q "^run: '.*/udev-block-add-change'" "$log" && rules=passes
        c=$(grep -E '^[A-Z][A-Z0-9_]*=' "$log" | "$BIN/rules-filter-probe") || fail "the probe failed on $what"
        echo "  $what: rules $rules, C $c"
        [ "$rules" = "$c" ] || fail "$what: the rules say $rules, the C filter says $c"
        [ "$rules" = "$expected" ] || fail "$what: both say $rules, expected $expected"
}

test_c_filter_agrees_with_the_rules() {
        new_scratch
        local loop name bed_dev expected earlier
        loop=$(new_loop "$SCRATCH/disk.img")
        name=${loop#/dev/}
        while IFS='|' read -r expected earlier; do
                udev_test add "$loop" "${earlier:+KERNEL==\"$name\", $earlier}" >"$SCRATCH/log"
                agree "$expected" "loop ${earlier:-(no earlier rule)}" "$SCRATCH/log"
        done <<'CASES'
passes|
skipped|ENV{UDISKS_IGNORE}="1"
passes|ENV{UDISKS_IGNORE}="0"
skipped|ENV{UDISKS_IGNORE}="1", ENV{QUBES_EXPORT_BLOCK_DEVICE}="1"
skipped|ENV{QUBES_EXPORT_BLOCK_DEVICE}="0"
passes|ENV{QUBES_EXPORT_BLOCK_DEVICE}="1"
skipped|ENV{DM_UDEV_DISABLE_DISK_RULES_FLAG}="1"
passes|ENV{DM_UDEV_DISABLE_DISK_RULES_FLAG}="1", ENV{QUBES_EXPORT_BLOCK_DEVICE}="1"
skipped|ENV{DM_UDEV_DISABLE_DISK_RULES_FLAG}="1", ENV{QUBES_EXPORT_BLOCK_DEVICE}="0"
CASES
        earlier='KERNEL=="dm-3", ENV{DM_NAME}="snapshot-cow"
KERNEL=="dm-4", ENV{DM_NAME}="origin-base"'
        while read -r expected bed_dev; do
                bed_udev_test rules-excluded add "$bed_dev" "$earlier"
                agree "$expected" "${bed_dev##*/}" "$SCRATCH/udevadm.log"
        done <<'CASES'
skipped /devices/vbd-51712/block/xvda
skipped /devices/vbd-51744/block/xvdc
skipped /devices/virtual/block/zram0
skipped /devices/virtual/block/dm-3
skipped /devices/virtual/block/dm-4
skipped /devices/virtual/block/dm-5
passes /devices/pci0000:00/0000:00:05.0/virtio2/block/vdb
CASES
}

run_tests "$@"
