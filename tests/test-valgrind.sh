# test-valgrind.sh: each helper under valgrind's memcheck, on the paths that
# matter: qubes-block add and remove of a file (and a refused add),
# udev-block-add-change and udev-block-remove on a real loop device and on a
# dm test bed (slave cache written, read, removed), a refused block event,
# udev-usb-add-change with udev's properties and on the libusb path,
# udev-usb-remove, a refused USB event. Any memcheck error or definite leak
# fails the run (exit 99). The udev helpers publish in the store the test
# runs on (store-lib.sh; qubes-block always talks xenstore). Needs the
# plain build: ASan and valgrind do not mix (ctest -L valgrind).
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/hotplug-lib.sh"
. "$TESTS_DIR/block-lib.sh"
. "$TESTS_DIR/usb-lib.sh"

VALGRIND=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
          --show-leak-kinds=definite --track-origins=yes)

valgrind_ready() {
        command -v valgrind >/dev/null || skip "valgrind is not installed"
        if ldd "$BIN/qubes-block" | grep -q -e libasan -e libubsan; then
                skip "a sanitizer build: valgrind needs the plain one"
        fi
}

RUNS=0
# checked WHAT WANT-RC CMD...: CMD (which runs a helper under valgrind)
# exits WANT-RC, and valgrind said nothing.
checked() {
        local what=$1 want=$2 rc=0
        shift 2
        "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
        # (valgrind warns about ioctls it has no model of, LOOP_CONFIGURE
        # and LOOP_CTL_GET_FREE: not errors)
        if [ "$rc" -eq 99 ] || grep -qE '^==[0-9]+== +(Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination)|definitely lost' "$SCRATCH/err"; then
                cat "$SCRATCH/err" >&2
                fail "$what: memcheck found errors"
        fi
        assert_eq "$rc" "$want" "$what: exit status ($(head -c 300 "$SCRATCH/err"))"
        RUNS=$((RUNS + 1))
}

vg_hotplug() {          # CMD DOMID DEVID
        env XENBUS_PATH="backend/vbd/$2/$3" XENBUS_TYPE=vbd XENBUS_BASE_PATH=backend \
                script=/etc/xen/scripts/qubes-block "${VALGRIND[@]}" "$QUBES_BLOCK" "$1" </dev/null
}

test_qubes_block_under_memcheck() {
        store_only xenstore "qubes-block talks xenstore whatever the store: checked in the suite valgrind"
        valgrind_ready
        new_scratch
        local img
        img=$(new_image)
        setup_vbd 5 51712 "$img" w
        checked "qubes-block add" 0 vg_hotplug add 5 51712
        assert_xs "$(vbd 5 51712)/hotplug-status" connected
        checked "qubes-block add again" 0 vg_hotplug add 5 51712
        checked "qubes-block remove" 0 vg_hotplug remove 5 51712
        assert_no_loops_in "$SCRATCH"
        setup_vbd 5 51713 "$SCRATCH/missing" w
        checked "qubes-block add refused" 1 vg_hotplug add 5 51713
        setup_vbd 6 51712 "$img" r
        setup_vbd 7 51712 "$img" w
        checked "qubes-block add read-only" 0 vg_hotplug add 6 51712
        checked "qubes-block add busy" 1 vg_hotplug add 7 51712
        assert_xs "$(vbd 7 51712)/hotplug-status" busy
        checked "qubes-block remove read-only" 0 vg_hotplug remove 6 51712
        assert_no_loops_in "$SCRATCH"
        echo "  $RUNS runs" >&2
}

vg_block() {            # PROGRAM ACTION ENV...
        local program=$1 action=$2
        shift 2
        # shellcheck disable=SC2046
        in_test_sys env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" \
                ACTION="$action" SUBSYSTEM=block SEQNUM=1 "$@" "${VALGRIND[@]}" "$BIN/$program"
}

test_udev_block_helpers_under_memcheck() {
        valgrind_ready
        block_setup
        mkdir -p "$SCRATCH/vbd" "$SCRATCH/run"
        local loop
        loop=$(new_loop "$SCRATCH/disk.img")
        # shellcheck disable=SC2046
        checked "loop add" 0 vg_block udev-block-add-change add $(loop_env "$loop")
        assert_store "$BLOCK_ROOT/${loop#/dev/}/mode" w
        # shellcheck disable=SC2046
        checked "loop change, hidden" 0 vg_block udev-block-add-change change $(loop_env "$loop") \
                DM_UDEV_DISABLE_DISK_RULES_FLAG=1
        assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
        # shellcheck disable=SC2046
        checked "loop change, offered" 0 vg_block udev-block-add-change change $(loop_env "$loop")
        # shellcheck disable=SC2046
        checked "refused event" 1 vg_block udev-block-add-change add $(loop_env "$loop") MAJOR=x
        # shellcheck disable=SC2046
        checked "loop remove" 0 vg_block udev-block-remove remove $(loop_env "$loop")
        assert_no_store "$BLOCK_ROOT/${loop#/dev/}"
        losetup -d "$loop"
        echo "  $RUNS runs" >&2
}

# The dm bed: add writes dm-0's slave cache, remove reads it, re-evaluates
# the slave and deletes it.
vg_bed() {              # BED ACTION DEVPATH [--dm-open SPEC]
        local bed=$1 action=$2 devpath=$3 program=udev-block-add-change
        shift 3
        [ "$action" != remove ] || program=udev-block-remove
        QXD_SCRATCH=$SCRATCH in_test_sys umockdev-wrapper "$BIN/block-testbed" "$@" \
                "$TESTS_DIR/testbeds/$bed.umockdev" -- \
                bash -c "$LINK_TESTBED_VBDS"' && exec env -i PATH="$PATH" LD_PRELOAD="$LD_PRELOAD" UMOCKDEV_DIR="$UMOCKDEV_DIR" "$@"' - \
                XENSTORED_PATH="$XENSTORED_PATH" ACTION="$action" SEQNUM=1 DEVPATH="$devpath" \
                $(awk -v p="P: $devpath" '$0 == p { on = 1; next } /^P: / { on = 0 } on && /^E: / { print substr($0, 4) }' \
                        "$TESTS_DIR/testbeds/$bed.umockdev") \
                "${VALGRIND[@]}" "$BIN/$program"
}

test_udev_block_helpers_on_a_dm_bed_under_memcheck() {
        valgrind_ready
        block_setup
        mkdir -p "$SCRATCH/vbd" "$SCRATCH/run"
        checked "dm add" 0 vg_bed dm add /devices/virtual/block/dm-0 --dm-open 253:0=0
        assert_store "$BLOCK_ROOT/dm-0/desc" vg-data
        [ -s "$SCRATCH/run/block-slave-cache-dm-0" ] || fail "no slave cache"
        checked "dm remove" 0 vg_bed dm-released remove /devices/virtual/block/dm-0
        [ ! -e "$SCRATCH/run/block-slave-cache-dm-0" ] || fail "slave cache left"
        assert_store "$BLOCK_ROOT/sdc/desc" "WDC_WD10EZEX ()"
        checked "partition add (its disk first)" 0 vg_bed usb-stick add \
                /devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1.4/2-1.4:1.0/host6/target6:0:0/6:0:0:0/block/sdb/sdb1
        assert_store "$BLOCK_ROOT/sdb1/parent" sdb
        echo "  $RUNS runs" >&2
}

# Inside a USB bed: the helper with the device's udev properties (unless
# BARE=1) and KEY=VALUE, under valgrind.
# shellcheck disable=SC2016
VG_USB_EXEC='
program=$1 devpath=$2; shift 2
props=()
[ "$BARE" = 1 ] || readarray -t props < <(udevadm info --query=property --path="$devpath")
exec env -i PATH="$PATH" LD_PRELOAD="$LD_PRELOAD" UMOCKDEV_DIR="$UMOCKDEV_DIR" "${props[@]}" DEVPATH="$devpath" "$@"'

vg_usb() {              # BED ACTION DEVPATH [KEY=VALUE...]
        local bed=$1 action=$2 devpath=$3 program=udev-usb-add-change
        shift 3
        [ "$action" != remove ] || program=udev-usb-remove
        usb_in_sys umockdev-run -d "$(usb_bed "$bed")" -- env BARE="${BARE:-0}" bash -c "$VG_USB_EXEC" - "$program" "$devpath" \
                XENSTORED_PATH="$XENSTORED_PATH" ACTION="$action" "$@" "${VALGRIND[@]}" "$BIN/$program"
}

test_udev_usb_helpers_under_memcheck() {
        valgrind_ready
        usb_setup
        checked "usb add" 0 vg_usb hub-stick add "$STICK"
        assert_store "$USB_ROOT/2-1_4/desc" "$STICK_DESC"
        checked "usb change, new model" 0 vg_usb hub-stick change "$STICK" 'ID_MODEL_ENC=New\x20Model'
        checked "usb remove" 0 vg_usb hub-stick remove "$STICK"
        assert_no_store "$USB_ROOT/2-1_4"
        BARE=1 checked "usb add on the libusb path" 0 vg_usb bare add /devices/pci0000:00/0000:00:14.0/usb1/1-4
        store_exists "$USB_ROOT/1-4/desc" || fail "no entry from the libusb path"
        checked "usb add of a hub (withdrawn)" 0 vg_usb hub-stick add "$HUB"
        checked "usb add refused" 1 vg_usb hub-stick add "$STICK" ID_USB_INTERFACES=:08065:
        echo "  $RUNS runs" >&2
}

run_tests "$@"
