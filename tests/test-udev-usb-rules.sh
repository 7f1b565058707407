# test-udev-usb-rules.sh: 99-qubes-usb.rules as generated, and as udev runs
# it: `udevadm test` on umockdev test beds, with the system's own rules
# before it (usb_id computes the properties), runs the add helper through
# IMPORT{program} and lists the remove helper and the kmod builtin.
# shellcheck source=tests/lib.sh
source "$TESTS_DIR/lib.sh"
# shellcheck source=tests/usb-lib.sh
source "$TESTS_DIR/usb-lib.sh"

RULES=$BUILD_DIR/udev-rules/99-qubes-usb.rules

configured_helpers_dir() {
        sed -n 's/^QUBES_HELPERS_DIR:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt"
}

# usb_udevadm_test BED ACTION DEVPATH [RULE]: `udevadm test` of the device,
# output in $SCRATCH/udevadm.log. It runs in a private mount namespace whose
# /run and /dev take its writes (udev's database, /dev/char links), with our
# rules pointing at the built helpers, and RULE (if given) in a file of its
# own before them. udev gives a program the device's properties as its only
# environment: an earlier rule adds what the helper needs here (the xenstore
# socket, umockdev's preload library and directory, sanitizer options). On
# QubesDB its socket is in the runtime dir of that /run (unless
# NO_QDB_SOCKET=1): the helper udev runs finds it there.
usb_udevadm_test() {
        local bed=$1 action=$2 devpath=$3 rule=${4:-} socket=
        if [ "$STORE" = qubesdb ] && [ "${NO_QDB_SOCKET:-0}" != 1 ]; then
                socket=$(realpath -m "$(build_setting QUBES_RUNTIME_DIR)")/$QDB_SOCKET_NAME
        fi
        # shellcheck disable=SC2016
        unshare --mount bash -c '
                set -e
                scratch=$1 rules=$2 bin=$3 helpers=$4 bed=$5 action=$6 devpath=$7 rule=$8 socket=$9
                mkdir -p "$scratch/ns"
                mount -t tmpfs ns "$scratch/ns"
                mkdir "$scratch/ns/dev" "$scratch/ns/upper" "$scratch/ns/work"
                mount --rbind /dev "$scratch/ns/dev"
                mount -t overlay dev -o lowerdir="$scratch/ns/dev",upperdir="$scratch/ns/upper",workdir="$scratch/ns/work" /dev
                mount --bind "$scratch/ns/dev/pts" /dev/pts
                mount -t tmpfs run /run
                mkdir -p /run/udev/rules.d
                sed "s|$helpers/|$bin/|" "$rules" >/run/udev/rules.d/99-qubes-usb.rules
                [ -z "$rule" ] || echo "$rule" >/run/udev/rules.d/98-qubes-usb-test.rules
                if [ -n "$socket" ]; then
                        mkdir -p "${socket%/*}"
                        ln -s "$QDB_TEST_SERVER_DIR/qubesdb.sock" "$socket"
                fi
                umockdev-run -d "$bed" -- bash -c "
                        {
                                printf \"ENV{%s}=\\\"%s\\\"\\n\" XENSTORED_PATH \"\$XENSTORED_PATH\" \
                                        LD_PRELOAD \"\$LD_PRELOAD\" UMOCKDEV_DIR \"\$UMOCKDEV_DIR\" \
                                        ASAN_OPTIONS \"\$ASAN_OPTIONS\"
                        } >/run/udev/rules.d/00-qubes-usb-test.rules
                        exec udevadm test --action=$action /sys$devpath
                "
        ' - "$SCRATCH" "$RULES" "$BIN" "$(configured_helpers_dir)" "$(usb_bed "$bed")" "$action" \
                "$devpath" "$rule" "$socket" >"$SCRATCH/udevadm.log" 2>&1 ||
                fail "udevadm test failed: $(tail -5 "$SCRATCH/udevadm.log")"
}

# Whether the log shows our add helper was run.
add_helper_ran() {
        grep -q "Starting '$BIN/udev-usb-add-change'" "$SCRATCH/udevadm.log"
}

test_generated_rules_name_the_configured_helpers() {
        local dir
        dir=$(configured_helpers_dir)
        [ -n "$dir" ] || fail "no QUBES_HELPERS_DIR in the CMake cache"
        assert_contains "$(cat "$RULES")" "IMPORT{program}=\"$dir/udev-usb-add-change\""
        assert_contains "$(cat "$RULES")" "RUN+=\"$dir/udev-usb-remove\""
        assert_contains "$(cat "$RULES")" 'RUN{builtin}+="kmod load xen-usbback"'
        if grep -q '@' "$RULES"; then fail "unreplaced @VARIABLE@ in $RULES"; fi
}

test_udev_runs_add_helper_with_usb_id_properties() {
        usb_setup
        export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
        usb_udevadm_test bare add "$BARE_UART"
        add_helper_ran || fail "the add helper did not run: $(grep -i qubes "$SCRATCH/udevadm.log")"
        grep -q "Process '$BIN/udev-usb-add-change' succeeded" "$SCRATCH/udevadm.log" ||
                fail "the add helper failed: $(grep -A3 udev-usb "$SCRATCH/udevadm.log")"
        assert_store "$USB_ROOT/1-4/desc" '0403:6001 FTDI FT232R\x20USB\x20UART A50285BI'
        assert_store "$USB_ROOT/1-4/interfaces" ":ffffff:"
        assert_contains "$(cat "$SCRATCH/udevadm.log")" "run: 'kmod load xen-usbback'"
}

# IMPORT{program} takes every stdout line as a property: udev logs each one.
test_udev_imports_nothing_from_add_helper() {
        usb_setup
        export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
        usb_udevadm_test hub-stick change "$STICK"
        add_helper_ran || fail "the add helper did not run"
        if grep -q "udev-usb-add-change'(out)" "$SCRATCH/udevadm.log"; then
                fail "the add helper printed: $(grep "(out)" "$SCRATCH/udevadm.log")"
        fi
        assert_store "$USB_ROOT/2-1_4/desc" "$STICK_DESC"
        if grep -q "kmod load" "$SCRATCH/udevadm.log"; then fail "module loaded on change"; fi
}

test_udev_lists_remove_helper_on_remove() {
        usb_setup
        usb_udevadm_test hub-stick remove "$STICK"
        assert_contains "$(cat "$SCRATCH/udevadm.log")" "run: '$BIN/udev-usb-remove'"
        if add_helper_ran; then fail "the add helper ran on remove"; fi
}

test_rules_skip_interfaces_and_qemu_devices() {
        usb_setup
        local bed_dev action
        for bed_dev in hub-stick:$STICK_IF qemu-tablet:$QEMU_TABLET; do
                for action in add remove; do
                        usb_udevadm_test "${bed_dev%%:*}" "$action" "${bed_dev#*:}"
                        if grep -qE "udev-usb-|xen-usbback" "$SCRATCH/udevadm.log"; then
                                fail "${bed_dev#*:} $action reached our helpers"
                        fi
                done
        done
        assert_eq "$(store_list "$USB_ROOT")" "" "entries"
}

test_export_disabled_device_skipped_on_remove_but_withdrawn_on_change() {
        usb_setup
        export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
        usb_event hub-stick add "$STICK"
        usb_udevadm_test hub-stick remove "$STICK" 'ENV{QUBES_EXPORT_USB_DEVICE}="0"'
        if grep -q "udev-usb-remove" "$SCRATCH/udevadm.log"; then fail "remove helper listed"; fi
        usb_udevadm_test hub-stick change "$STICK" 'ENV{QUBES_EXPORT_USB_DEVICE}="0"'
        add_helper_ran || fail "the add helper did not run"
        assert_no_store "$USB_ROOT/2-1_4"
}

# The rules and the programs are the same whichever store the helper
# publishes in: `udevadm test` logs the same with QubesDB's socket there as
# without it (xenstore), apart from pids, times and the bed's directory.
test_udev_sees_the_same_with_either_store() {
        store_only qubesdb "compares a run with QubesDB's socket to one without"
        usb_setup
        export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
        local volatile='^(Successfully forked off|UMOCKDEV_DIR=|USEC_INITIALIZED=)'
        usb_udevadm_test hub-stick change "$STICK"
        grep -Ev "$volatile" "$SCRATCH/udevadm.log" >"$SCRATCH/qubesdb.log"
        assert_store "$USB_ROOT/2-1_4/desc" "$STICK_DESC"
        NO_QDB_SOCKET=1 usb_udevadm_test hub-stick change "$STICK"
        grep -Ev "$volatile" "$SCRATCH/udevadm.log" >"$SCRATCH/xenstore.log"
        diff -u "$SCRATCH/qubesdb.log" "$SCRATCH/xenstore.log" >&2 || fail "udevadm test differs with the other store"
        assert_eq "$(xenstore-read -R /local/domain/0/qubes-usb-devices/2-1_4/desc)" "$STICK_DESC" "xenstore's entry"
        xenstore-rm /local/domain/0/qubes-usb-devices
}

run_tests "$@"
