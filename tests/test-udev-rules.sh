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

run_tests "$@"
