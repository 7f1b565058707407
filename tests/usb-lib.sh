# usb-lib.sh: helpers for the USB udev helper scenarios (sourced after lib.sh).
#
# The devices are umockdev test beds written by hand (tests/usb-beds/): sysfs
# as the kernel shows it (attributes, `descriptors`) and the properties udev's
# rules leave in its database. A helper runs inside `umockdev-run` with the
# environment udev would give it and nothing else of ours: no udevd runs here.
# It publishes in the store the test runs on (store-lib.sh), from a private
# mount namespace whose runtime dir is $SCRATCH/run (tests/with-test-sys
# --run-only: the bed redirects /sys by itself).

. "$TESTS_DIR/store-lib.sh"

USB_ROOT=$STORE_HOME/qubes-usb-devices
USB_BEDS=$TESTS_DIR/usb-beds

# usb_in_sys CMD...: CMD with the runtime dir (locks, the QubesDB socket)
# of the test, and $TEST_SETTINGS as the settings file when set.
usb_in_sys() { "$TESTS_DIR/with-test-sys" --run-only ${TEST_SETTINGS:+--config "$TEST_SETTINGS"} "$SCRATCH" "$@"; }

# Sanitizer options survive `env -i`; ASan accepts umockdev's preload library
# ahead of its own runtime.
usb_sanitizer_env() {
        local v
        for v in UBSAN_OPTIONS LSAN_OPTIONS; do
                [ -z "${!v:-}" ] || echo "$v=${!v}"
        done
        echo "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
}

# usb_bed NAME: the bed's file.
usb_bed() { echo "$USB_BEDS/$1.umockdev"; }

# usb_properties BED DEVPATH: the device's udev properties, one KEY=VALUE a line.
usb_properties() {
        umockdev-run -d "$(usb_bed "$1")" -- udevadm info --query=property --path="$2"
}

# usb_event BED ACTION DEVPATH [KEY=VALUE...]: run the helper for ACTION
# (add/change: udev-usb-add-change, remove: udev-usb-remove) as udev would,
# with the device's properties plus (overriding them) KEY=VALUE.
usb_event() {
        local bed=$1 action=$2 devpath=$3 program=udev-usb-add-change
        shift 3
        [ "$action" != remove ] || program=udev-usb-remove
        # shellcheck disable=SC2016,SC2046
        usb_in_sys umockdev-run -d "$(usb_bed "$bed")" -- bash -c '
                set -e
                readarray -t props < <(udevadm info --query=property --path="$1")
                program=$2; shift 2
                exec env -i PATH="$PATH" LD_PRELOAD="$LD_PRELOAD" UMOCKDEV_DIR="$UMOCKDEV_DIR" \
                        "${props[@]}" "$@" "$program"
        ' - "$devpath" "$BIN/$program" XENSTORED_PATH="$XENSTORED_PATH" $(usb_sanitizer_env) \
                ACTION="$action" "$@"
}

# usb_event_bare BED ACTION DEVPATH [KEY=VALUE...]: the same as a run by hand:
# DEVPATH and ACTION only, no udev properties (the libusb path).
usb_event_bare() {
        local bed=$1 action=$2 devpath=$3 program=udev-usb-add-change
        shift 3
        [ "$action" != remove ] || program=udev-usb-remove
        # shellcheck disable=SC2016,SC2046
        usb_in_sys umockdev-run -d "$(usb_bed "$bed")" -- bash -c '
                program=$1; shift
                exec env -i PATH="$PATH" LD_PRELOAD="$LD_PRELOAD" UMOCKDEV_DIR="$UMOCKDEV_DIR" "$@" "$program"
        ' - "$BIN/$program" XENSTORED_PATH="$XENSTORED_PATH" $(usb_sanitizer_env) \
                ACTION="$action" DEVPATH="$devpath" "$@"
}

# usb_remove_event BED DEVPATH [KEY=VALUE...]: udev-usb-remove as udev runs it
# once the device is gone: the properties from its database, no sysfs.
usb_remove_event() {
        local bed=$1 devpath=$2 props
        shift 2
        readarray -t props < <(usb_properties "$bed" "$devpath")
        [ "${#props[@]}" -gt 0 ] || fail "no properties for $devpath in $bed"
        # shellcheck disable=SC2046
        usb_in_sys env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(usb_sanitizer_env) \
                "${props[@]}" ACTION=remove "$@" "$BIN/udev-usb-remove"
}

# Count the triggers of the subtree (store-lib.sh).
usb_watch_start() { store_watch_start "$USB_ROOT"; }
usb_triggers_seen() { store_triggers_seen; }

assert_triggers() {     # expected
        assert_eq "$(usb_triggers_seen)" "$1" "triggers fired"
}

# usb_setup: a scratch dir, no entries left by an earlier test, the store's
# socket offered.
usb_setup() {
        new_scratch
        store_rm "$USB_ROOT"
        xenstore-rm /local/domain/5 2>/dev/null || true
        store_offer_socket
}

# usb_keys NAME: the entry's keys, sorted, on one line.
usb_keys() {
        store_list "$USB_ROOT/$1" | sort | tr '\n' ' '
}

# seed_foreign_usb_entry: a whole entry of another device (9-9), which no
# event of the test may touch.
seed_foreign_usb_entry() {
        store_write "$USB_ROOT/9-9/desc" "1234:5678 Other Thing 1" "$USB_ROOT/9-9/usb-ver" 2 \
                "$USB_ROOT/9-9/interfaces" ":030101:"
}

# The devices of the beds.
HUB_ROOT=/devices/pci0000:00/0000:00:14.0/usb2
HUB=$HUB_ROOT/2-1
STICK=$HUB/2-1.4
STICK_IF=$STICK/2-1.4:1.0
KEYBOARD=/devices/pci0000:00/0000:00:14.0/usb1/1-2
KEYBOARD_IF0=$KEYBOARD/1-2:1.0
VHCI_STICK=/devices/platform/vhci_hcd.0/usb3/3-1
QEMU_TABLET=/devices/pci0000:00/0000:00:01.2/usb1/1-1
UTF8_STICK=/devices/pci0000:00/0000:00:14.0/usb1/1-3
USB3_SSD=/devices/pci0000:00/0000:00:14.0/usb4/4-2
BARE_UART=/devices/pci0000:00/0000:00:14.0/usb1/1-4
NO_VERSION=/devices/pci0000:00/0000:00:14.0/usb1/1-5
BAD_VERSION=/devices/pci0000:00/0000:00:14.0/usb1/1-6
NO_NODE=/devices/pci0000:00/0000:00:14.0/usb1/1-7
DEEP_NAME=/devices/pci0000:00/0000:00:14.0/usb1/1-1.2.3.4.5.6.7.8.9.10.11.12.13.14

STICK_DESC='0781:5567 SanDisk Cruzer\x20Blade 4C530001230915105341'
