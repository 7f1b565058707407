# test-udev-usb.sh: udev-usb-add-change and udev-usb-remove keep
# qubes-usb-devices/ equal to the USB devices this domain may offer
# (shared/SPEC.md §1, §3), on umockdev test beds with udev's properties.
# shellcheck source=tests/lib.sh
source "$TESTS_DIR/lib.sh"
# shellcheck source=tests/usb-lib.sh
source "$TESTS_DIR/usb-lib.sh"

test_stick_behind_hub_gets_exact_entry_and_one_trigger() {
        usb_setup
        usb_watch_start
        usb_event hub-stick add "$STICK"
        assert_triggers 1
        assert_store "$USB_ROOT/2-1_4/desc" "$STICK_DESC"
        assert_store "$USB_ROOT/2-1_4/usb-ver" 2
        assert_store "$USB_ROOT/2-1_4/interfaces" ":080650:"
        assert_eq "$(usb_keys 2-1_4)" "desc interfaces usb-ver " "keys of the entry"
}

test_dotted_name_becomes_underscored_key_dom0_accepts() {
        usb_setup
        usb_event hub-stick add "$STICK"
        assert_eq "$(store_list "$USB_ROOT")" "2-1_4" "entries"
        [[ $(store_list "$USB_ROOT") =~ ^[0-9]+-[0-9]+(_[0-9]+)*$ ]] || fail "dom0 rejects the name"
}

test_desc_has_exactly_three_spaces() {
        usb_setup
        usb_event hub-stick add "$STICK"
        local spaces
        spaces=$(store_read "$USB_ROOT/2-1_4/desc" | tr -cd ' ')
        assert_eq "${#spaces}" 3 "spaces in desc"
}

test_hub_itself_is_not_offered() {
        usb_setup
        usb_watch_start
        usb_event hub-stick add "$HUB"
        assert_triggers 0
        assert_no_store "$USB_ROOT/2-1"
        assert_eq "$(store_list "$USB_ROOT")" "" "entries"
}

test_root_hub_is_not_offered() {
        usb_setup
        usb_event hub-stick add "$HUB_ROOT"
        assert_eq "$(store_list "$USB_ROOT")" "" "entries"
}

# A hub plugged into the port of a device whose remove was missed.
test_hub_takes_a_stale_entry_of_its_port_away() {
        usb_setup
        store_write "$USB_ROOT/2-1/desc" "0781:5567 Old Stick 1"
        usb_watch_start
        usb_event hub-stick change "$HUB" 2>"$SCRATCH/err"
        assert_triggers 1
        assert_no_store "$USB_ROOT/2-1"
        assert_contains "$(cat "$SCRATCH/err")" "2-1 withdrawn: a hub"
}

test_keyboard_lists_both_interface_classes() {
        usb_setup
        usb_event keyboard add "$KEYBOARD"
        assert_store "$USB_ROOT/1-2/interfaces" ":030101:030000:"
        assert_store "$USB_ROOT/1-2/usb-ver" 1
}

test_empty_serial_leaves_trailing_space() {
        usb_setup
        usb_event keyboard add "$KEYBOARD"
        assert_store "$USB_ROOT/1-2/desc" '046d:c31c Logitech USB\x20Keyboard '
}

test_device_under_vhci_is_not_offered() {
        usb_setup
        usb_watch_start
        usb_event vhci add "$VHCI_STICK"
        assert_triggers 0
        assert_no_store "$USB_ROOT/3-1"
}

test_qemu_tablet_is_not_offered() {
        usb_setup
        usb_watch_start
        usb_event qemu-tablet add "$QEMU_TABLET"
        assert_triggers 0
        assert_no_store "$USB_ROOT/1-1"
}

test_escapes_kept_and_utf8_encoded_for_dom0() {
        usb_setup
        usb_event utf8-escapes add "$UTF8_STICK"
        assert_store "$USB_ROOT/1-3/desc" \
                '1a2b:3c4d M\xc3\xbcller\x20\x26\x20S\xc3\xb6hne Stick\x2f2\x20\x2864GB\x29 SN_0042'
}

test_usb3_device_has_usb_ver_3_and_both_alternate_classes() {
        usb_setup
        usb_event usb3 add "$USB3_SSD"
        assert_store "$USB_ROOT/4-2/usb-ver" 3
        assert_store "$USB_ROOT/4-2/interfaces" ":080650:080662:"
        assert_store "$USB_ROOT/4-2/desc" "04e8:4001 Samsung PSSD\\x20T7 S5T2NS0R123456A"
}

test_interface_add_event_is_ignored() {
        usb_setup
        usb_watch_start
        usb_event keyboard add "$KEYBOARD_IF0" >"$SCRATCH/out" 2>"$SCRATCH/err"
        assert_triggers 0
        assert_eq "$(store_list "$USB_ROOT")" "" "entries"
        assert_eq "$(cat "$SCRATCH/out" "$SCRATCH/err")" "" "output"
}

test_interface_remove_event_is_ignored() {
        usb_setup
        usb_event hub-stick add "$STICK"
        usb_watch_start
        usb_remove_event hub-stick "$STICK_IF"
        assert_triggers 0
        assert_store "$USB_ROOT/2-1_4/desc" "$STICK_DESC"
}

# connected-to and x-pid belong to the USB proxy, busy to dom0 (newer Qubes)
test_change_keeps_proxy_keys_and_fires_no_trigger_when_equal() {
        usb_setup
        usb_event hub-stick add "$STICK"
        store_write "$USB_ROOT/2-1_4/connected-to" "work"
        store_write "$USB_ROOT/2-1_4/x-pid" "4242"
        store_write "$USB_ROOT/2-1_4/busy" "1"
        usb_watch_start
        usb_event hub-stick change "$STICK"
        assert_triggers 0
        assert_store "$USB_ROOT/2-1_4/connected-to" "work"
        assert_store "$USB_ROOT/2-1_4/x-pid" "4242"
        assert_store "$USB_ROOT/2-1_4/busy" "1"
        assert_store "$USB_ROOT/2-1_4/desc" "$STICK_DESC"
}

test_change_with_new_values_updates_them_keeps_connected_to_and_triggers_once() {
        usb_setup
        usb_event hub-stick add "$STICK"
        store_write "$USB_ROOT/2-1_4/connected-to" "work"
        usb_watch_start
        usb_event hub-stick change "$STICK" 'ID_MODEL_ENC=Cruzer\x20Blade\x20II' \
                ID_USB_INTERFACES=:080650:080662:
        assert_triggers 1
        assert_store "$USB_ROOT/2-1_4/desc" '0781:5567 SanDisk Cruzer\x20Blade\x20II 4C530001230915105341'
        assert_store "$USB_ROOT/2-1_4/interfaces" ":080650:080662:"
        assert_store "$USB_ROOT/2-1_4/connected-to" "work"
}

test_remove_deletes_entry_with_one_trigger() {
        usb_setup
        usb_event hub-stick add "$STICK"
        store_write "$USB_ROOT/2-1_4/connected-to" "work" "$USB_ROOT/2-1_4/x-pid" "4242" \
                "$USB_ROOT/2-1_4/busy" "1"
        usb_watch_start
        usb_remove_event hub-stick "$STICK"
        assert_triggers 1
        assert_no_store "$USB_ROOT/2-1_4"
}

test_remove_of_device_without_entry_fires_no_trigger() {
        usb_setup
        usb_watch_start
        usb_remove_event keyboard "$KEYBOARD"
        assert_triggers 0
}

test_export_disabled_on_change_withdraws_entry() {
        usb_setup
        usb_event hub-stick add "$STICK"
        usb_watch_start
        usb_event hub-stick change "$STICK" QUBES_EXPORT_USB_DEVICE=0 2>"$SCRATCH/err"
        assert_triggers 1
        assert_no_store "$USB_ROOT/2-1_4"
        assert_contains "$(cat "$SCRATCH/err")" "QUBES_EXPORT_USB_DEVICE=0"
}

test_export_disabled_device_is_not_offered_on_add() {
        usb_setup
        usb_event hub-stick add "$STICK" QUBES_EXPORT_USB_DEVICE=0
        assert_no_store "$USB_ROOT/2-1_4"
        usb_event hub-stick add "$STICK" QUBES_EXPORT_USB_DEVICE=1
        assert_store "$USB_ROOT/2-1_4/desc" "$STICK_DESC"
}

# SPEC §3: QEMU's devices and QUBES_EXPORT_USB_DEVICE=0 are skipped on remove too.
test_remove_leaves_entries_of_export_disabled_and_qemu_devices_alone() {
        usb_setup
        store_write "$USB_ROOT/2-1_4/desc" "written by someone else"
        store_write "$USB_ROOT/1-1/desc" "written by someone else"
        usb_watch_start
        usb_remove_event hub-stick "$STICK" QUBES_EXPORT_USB_DEVICE=0
        usb_remove_event qemu-tablet "$QEMU_TABLET"
        assert_triggers 0
        assert_store "$USB_ROOT/2-1_4/desc" "written by someone else"
        assert_store "$USB_ROOT/1-1/desc" "written by someone else"
}

# A name the kernel never makes (hubs nest seven tiers at most), as a broken
# or hostile sysfs may show it: the entry's interfaces key is a QubesDB path
# of 64 bytes, past QubesDB's limit and well within xenstore's. On QubesDB
# the device is not offered, said why, and nothing of its entry written
# (its desc would fit); xenstore takes it.
test_entry_too_long_for_qubesdb_is_skipped_whole_there() {
        usb_setup
        local name=1-1_2_3_4_5_6_7_8_9_10_11_12_13_14
        usb_watch_start
        usb_event deep-name add "$DEEP_NAME" 2>"$SCRATCH/err"
        case $STORE in
        xenstore)
                assert_triggers 1
                assert_store "$USB_ROOT/$name/interfaces" ":080650:"
                assert_eq "$(usb_keys "$name")" "desc interfaces usb-ver " "keys of the entry"
                ;;
        qubesdb)
                assert_triggers 0
                assert_contains "$(cat "$SCRATCH/err")" "${DEEP_NAME##*/} not offered: QubesDB cannot hold path $USB_ROOT/$name/interfaces"
                assert_no_store "$USB_ROOT/$name"
                ;;
        esac
}

# The resync (qubes-devices-monitor --resync: at boot, when the store comes
# back) judges every USB device of the bed with the properties udev keeps:
# the stick offered, an entry of a device that is gone dropped, the proxy's
# keys kept, one trigger.
test_resync_offers_the_stick_drops_a_stale_entry_and_keeps_proxy_keys() {
        usb_setup
        store_write "$USB_ROOT/2-1_4/connected-to" work "$USB_ROOT/9-8/desc" "1234:5678 Gone Thing 1"
        usb_watch_start
        # shellcheck disable=SC2016,SC2046
        usb_in_sys umockdev-run -d "$(usb_bed hub-stick)" -- bash -c '
                exec env -i PATH="$PATH" LD_PRELOAD="$LD_PRELOAD" UMOCKDEV_DIR="$UMOCKDEV_DIR" "$@"
        ' - XENSTORED_PATH="$XENSTORED_PATH" $(usb_sanitizer_env) "$BIN/qubes-devices-monitor" --resync \
                2>"$SCRATCH/err" || fail "the resync failed: $(cat "$SCRATCH/err")"
        assert_triggers 1
        assert_store "$USB_ROOT/2-1_4/desc" "$STICK_DESC"
        assert_store "$USB_ROOT/2-1_4/connected-to" work
        assert_no_store "$USB_ROOT/9-8"
        assert_eq "$(store_list "$USB_ROOT")" "2-1_4" "entries"
}

# udev runs the add helper through IMPORT{program} and reads its stdout as
# KEY=value lines: it has to stay empty, whatever happens.
test_add_change_prints_nothing_on_stdout() {
        usb_setup
        local bed dev
        for bed_dev in hub-stick:$STICK hub-stick:$HUB hub-stick:$STICK_IF keyboard:$KEYBOARD \
                       qemu-tablet:$QEMU_TABLET broken:$NO_VERSION; do
                bed=${bed_dev%%:*} dev=${bed_dev#*:}
                usb_event "$bed" add "$dev" >"$SCRATCH/out" 2>/dev/null || true
                assert_eq "$(wc -c <"$SCRATCH/out")" 0 "bytes on stdout for $dev"
                usb_event_bare "$bed" change "$dev" >"$SCRATCH/out" 2>/dev/null || true
                assert_eq "$(wc -c <"$SCRATCH/out")" 0 "bytes on stdout for $dev (libusb)"
        done
}

run_tests "$@"
