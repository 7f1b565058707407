# test-udev-usb-libusb.sh: without udev's properties (a run by hand, a
# resync) udev-usb-add-change reads the same facts through libusb-1.0 and the
# kernel's strings, and publishes the same entries; the test beds themselves
# agree with what udev's usb_id computes from their sysfs; and the helpers
# run cleanly against this machine's real sysfs.
# shellcheck source=tests/lib.sh
source "$TESTS_DIR/lib.sh"
# shellcheck source=tests/usb-lib.sh
source "$TESTS_DIR/usb-lib.sh"

# usb_entry_values NAME: desc, usb-ver and interfaces, one a line.
usb_entry_values() {
        local key
        for key in desc usb-ver interfaces; do
                store_read "$USB_ROOT/$1/$key" || echo "(no $key)"
        done
}

test_device_without_udev_properties_gets_entry_from_libusb() {
        usb_setup
        usb_watch_start
        usb_event_bare bare add "$BARE_UART"
        assert_triggers 1
        assert_store "$USB_ROOT/1-4/desc" '0403:6001 FTDI FT232R\x20USB\x20UART A50285BI'
        assert_store "$USB_ROOT/1-4/usb-ver" 2
        assert_store "$USB_ROOT/1-4/interfaces" ":ffffff:"
}

test_libusb_path_gives_the_same_entries_as_udev_properties() {
        usb_setup
        local bed_dev bed dev name from_udev
        for bed_dev in hub-stick:$STICK keyboard:$KEYBOARD utf8-escapes:$UTF8_STICK usb3:$USB3_SSD; do
                bed=${bed_dev%%:*} dev=${bed_dev#*:}
                name=$(basename "$dev" | tr . _)
                usb_event "$bed" add "$dev"
                from_udev=$(usb_entry_values "$name")
                store_rm "$USB_ROOT/$name"
                usb_event_bare "$bed" add "$dev"
                assert_eq "$(usb_entry_values "$name")" "$from_udev" "entry of $dev from libusb"
        done
}

# Hubs and QEMU's devices are known by bDeviceClass and the manufacturer string.
test_libusb_path_applies_the_same_policy() {
        usb_setup
        usb_event_bare hub-stick add "$HUB"
        usb_event_bare hub-stick add "$HUB_ROOT"
        usb_event_bare qemu-tablet add "$QEMU_TABLET"
        usb_event_bare vhci add "$VHCI_STICK"
        usb_event_bare keyboard add "$KEYBOARD_IF0"
        assert_eq "$(store_list "$USB_ROOT")" "" "entries"
}

test_libusb_path_change_keeps_connected_to() {
        usb_setup
        usb_event hub-stick add "$STICK"
        store_write "$USB_ROOT/2-1_4/connected-to" "work"
        usb_watch_start
        usb_event_bare hub-stick change "$STICK"
        assert_triggers 0
        assert_store "$USB_ROOT/2-1_4/connected-to" "work"
        assert_store "$USB_ROOT/2-1_4/desc" "$STICK_DESC"
}

test_remove_by_hand_without_sysfs_or_properties_removes_entry() {
        usb_setup
        usb_event hub-stick add "$STICK"
        usb_in_sys env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(usb_sanitizer_env) \
                DEVPATH="$STICK" "$BIN/udev-usb-remove"
        assert_no_store "$USB_ROOT/2-1_4"
}

# The beds are hand-written: check their udev properties against udev's own
# usb_id builtin run on their sysfs (systemd >= 252 names its results ID_USB_*
# when ID_BUS is already set, older ones ID_*).
test_beds_agree_with_udev_usb_id() {
        local keys='(VENDOR|VENDOR_ENC|VENDOR_ID|MODEL_ENC|MODEL_ID|SERIAL_SHORT|USB_INTERFACES)'
        local bed dev computed written
        for bed_dev in hub-stick:$HUB_ROOT hub-stick:$HUB hub-stick:$STICK keyboard:$KEYBOARD \
                       vhci:$VHCI_STICK qemu-tablet:$QEMU_TABLET utf8-escapes:$UTF8_STICK usb3:$USB3_SSD; do
                bed=${bed_dev%%:*} dev=${bed_dev#*:}
                computed=$(umockdev-run -d "$(usb_bed "$bed")" -- udevadm test-builtin usb_id "/sys$dev" 2>/dev/null |
                           sed 's/^ID_USB_\(VENDOR\|MODEL\|SERIAL\)/ID_\1/' | grep -E "^ID_$keys=" | sort -u)
                written=$(usb_properties "$bed" "$dev" | grep -E "^ID_$keys=" | sort)
                assert_eq "$computed" "$written" "usb_id's view of $dev in $bed"
        done
}

# This machine's own USB devices, if it has any, through the libusb path; a
# machine without a USB bus gives a clean no-op. Then devices that are not
# USB, and one that does not exist.
test_helpers_run_cleanly_against_real_sysfs() {
        usb_setup
        local link devpath status
        for link in /sys/bus/usb/devices/*; do
                [ -e "$link" ] || continue
                devpath=$(realpath "$link") devpath=${devpath#/sys}
                status=0
                usb_in_sys env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(usb_sanitizer_env) \
                        ACTION=add DEVPATH="$devpath" "$BIN/udev-usb-add-change" >"$SCRATCH/out" 2>"$SCRATCH/err" ||
                        status=$?
                # a crash is >= 128; a device that cannot be read is a clear failure
                [ "$status" -lt 2 ] || fail "$devpath: exit status $status: $(cat "$SCRATCH/err")"
                assert_eq "$(wc -c <"$SCRATCH/out")" 0 "bytes on stdout for $devpath"
        done
        for devpath in /devices/virtual/mem/null /devices/virtual/misc/cpu_dma_latency; do
                [ -e "/sys$devpath" ] || continue
                usb_in_sys env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(usb_sanitizer_env) \
                        ACTION=add DEVPATH="$devpath" "$BIN/udev-usb-add-change" 2>"$SCRATCH/err" ||
                        fail "not a USB device, yet: $(cat "$SCRATCH/err")"
        done
        if [ ! -e /sys/bus/usb/devices ]; then
                assert_eq "$(store_list "$USB_ROOT")" "" "entries on a machine without USB"
        fi
        status=0
        usb_in_sys env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(usb_sanitizer_env) \
                ACTION=add DEVPATH=/devices/pci0000:00/0000:00:14.0/usb9/9-9 "$BIN/udev-usb-add-change" \
                2>"$SCRATCH/err" || status=$?
        assert_eq "$status" 1 "exit status for a device that does not exist"
        assert_contains "$(cat "$SCRATCH/err")" "cannot open /sys/devices/pci0000:00/0000:00:14.0/usb9/9-9"
        assert_no_store "$USB_ROOT/9-9"
}

run_tests "$@"
