# test-udev-usb-faults.sh: a bad environment, unreadable sysfs, a store
# that cannot be reached, xenstore errors and EACCES give a clear message
# and a non-zero exit, and never a half-written entry. (QubesDB's own
# faults: test-udev-qdb-faults.sh.)
# shellcheck source=tests/lib.sh
source "$TESTS_DIR/lib.sh"
# shellcheck source=tests/usb-lib.sh
source "$TESTS_DIR/usb-lib.sh"

# expect_failure MESSAGE CMD...: CMD exits 1 and says MESSAGE on stderr.
expect_failure() {
        local message=$1 rc=0
        shift
        "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
        assert_eq "$rc" 1 "exit status of $*"
        assert_contains "$(cat "$SCRATCH/err")" "$message"
        assert_eq "$(wc -c <"$SCRATCH/out")" 0 "bytes on stdout"
}

# The stick's entry is either complete and right, or not there at all.
assert_stick_entry_whole_or_absent() {
        store_exists "$USB_ROOT/2-1_4" || return 0
        assert_store "$USB_ROOT/2-1_4/desc" "$STICK_DESC"
        assert_store "$USB_ROOT/2-1_4/usb-ver" 2
        assert_store "$USB_ROOT/2-1_4/interfaces" ":080650:"
}

test_missing_devpath_is_refused() {
        usb_setup
        expect_failure "DEVPATH is not set" env -i XENSTORED_PATH="$XENSTORED_PATH" ACTION=add \
                $(usb_sanitizer_env) "$BIN/udev-usb-add-change"
        expect_failure "DEVPATH is not set" env -i XENSTORED_PATH="$XENSTORED_PATH" ACTION=remove \
                $(usb_sanitizer_env) "$BIN/udev-usb-remove"
}

test_malformed_environment_is_refused() {
        usb_setup
        local bad
        for bad in "DEVPATH=2-1.4" "DEVPATH=/sys$STICK" "DEVPATH=/devices/../devices/2-1.4" \
                   "DEVPATH=$STICK/" "DEVPATH=$HUB//2-1.4" "ACTION=remove" "ACTION=bind" \
                   "TYPE=nine" "ID_VENDOR_ID=781" "ID_MODEL_ID=55G7" "ID_USB_INTERFACES=080650" \
                   "ID_MODEL_ENC=$(printf '%02000d' 0)"; do
                expect_failure "" usb_event hub-stick add "$STICK" "$bad"
                [ -s "$SCRATCH/err" ] || fail "no message for $bad"
                assert_no_store "$USB_ROOT/2-1_4"
        done
        expect_failure "ACTION 'add': this helper handles remove" usb_remove_event hub-stick "$STICK" ACTION=add
}

test_malformed_values_on_change_leave_the_old_entry_whole() {
        usb_setup
        usb_event hub-stick add "$STICK"
        store_write "$USB_ROOT/2-1_4/connected-to" "work"
        expect_failure "interfaces ':08065:' are not :ccsspp: triples" \
                usb_event hub-stick change "$STICK" ID_USB_INTERFACES=:08065: 'ID_MODEL_ENC=New\x20Model'
        assert_stick_entry_whole_or_absent
        assert_store "$USB_ROOT/2-1_4/connected-to" "work"
}

test_arguments_and_unknown_program_names_are_refused() {
        usb_setup
        local rc=0
        "$BIN/udev-usb-add-change" add 2>"$SCRATCH/err" || rc=$?
        assert_eq "$rc" 2 "exit status with an argument"
        assert_contains "$(cat "$SCRATCH/err")" "takes no arguments"
        ln -s "$BIN/udev-usb-add-change" "$SCRATCH/udev-usb-frobnicate"
        expect_failure "must be called udev-usb-add-change or udev-usb-remove" \
                env -i ACTION=add DEVPATH="$STICK" $(usb_sanitizer_env) "$SCRATCH/udev-usb-frobnicate"
}

test_missing_version_attribute_is_a_clear_failure() {
        usb_setup
        expect_failure "cannot read /sys$NO_VERSION/version: No such file or directory" \
                usb_event broken add "$NO_VERSION"
        assert_no_store "$USB_ROOT/1-5"
}

test_malformed_version_attribute_is_refused() {
        usb_setup
        expect_failure "1-6: USB version 'x.yz' is not MAJOR.MINOR" usb_event broken add "$BAD_VERSION"
        assert_no_store "$USB_ROOT/1-6"
}

test_device_gone_from_sysfs_is_a_clear_failure() {
        usb_setup
        expect_failure "cannot open /sys$HUB/2-1.7: No such file or directory" \
                usb_event hub-stick add "$STICK" DEVPATH="$HUB/2-1.7"
        assert_no_store "$USB_ROOT/2-1_7"
}

# libusb finds a device by its usbfs node: a device without one (and without
# descriptors) has no libusb view.
test_device_libusb_cannot_list_is_a_clear_failure() {
        usb_setup
        expect_failure "libusb does not list USB device 1-7" usb_event_bare broken add "$NO_NODE"
        assert_no_store "$USB_ROOT/1-7"
}

test_unreachable_store_is_a_clear_failure() {
        usb_setup
        expect_failure "cannot connect to $STORE_NAME" unreachable_store usb_event hub-stick add "$STICK"
        expect_failure "cannot connect to $STORE_NAME" unreachable_store usb_remove_event hub-stick "$STICK"
}

# The entry and the trigger are one transaction: an error at any request of
# the helper's connection leaves the entry whole or absent.
test_xenstore_error_at_any_request_leaves_no_half_entry() {
        store_only xenstore "xenstore test server faults: test-udev-qdb-faults.sh has QubesDB's"
        usb_setup
        local n rc failures=0
        for n in $(seq 1 12); do
                store_rm "$USB_ROOT"
                xenstore-control fault error "$n" EIO >/dev/null
                rc=0
                usb_event hub-stick add "$STICK" 2>"$SCRATCH/err" || rc=$?
                assert_stick_entry_whole_or_absent
                if [ "$rc" -ne 0 ]; then
                        failures=$((failures + 1))
                        assert_eq "$rc" 1 "exit status with EIO at request $n"
                        assert_contains "$(cat "$SCRATCH/err")" "Input/output error"
                        assert_no_store "$USB_ROOT/2-1_4"
                else
                        store_exists "$USB_ROOT/2-1_4" || fail "success without an entry (EIO at $n)"
                fi
        done
        xenstore-control fault clear >/dev/null
        # start, 3 x (read, write), trigger, commit: nine requests that all matter
        [ "$failures" -ge 9 ] || fail "only $failures of 12 faults made the helper fail"
}

test_xenstore_error_on_change_keeps_the_old_entry() {
        store_only xenstore "xenstore test server faults: test-udev-qdb-faults.sh has QubesDB's"
        usb_setup
        usb_event hub-stick add "$STICK"
        store_write "$USB_ROOT/2-1_4/connected-to" "work"
        local n
        # start, read desc, write desc, read usb-ver, read interfaces, trigger, commit
        for n in $(seq 1 7); do
                xenstore-control fault error "$n" EIO >/dev/null
                expect_failure "Input/output error" \
                        usb_event hub-stick change "$STICK" 'ID_MODEL_ENC=New\x20Model' ID_SERIAL_SHORT=X
                assert_stick_entry_whole_or_absent
                assert_store "$USB_ROOT/2-1_4/connected-to" "work"
        done
}

test_dropped_connection_leaves_no_half_entry() {
        store_only xenstore "the entry and its trigger in one transaction: test-udev-qdb-faults.sh has QubesDB's"
        usb_setup
        local n rc
        for n in $(seq 1 9); do
                store_rm "$USB_ROOT"
                xenstore-control fault drop "$n" >/dev/null
                rc=0
                usb_event hub-stick add "$STICK" 2>"$SCRATCH/err" || rc=$?
                [ "$rc" -eq 1 ] || fail "exit status $rc with the connection dropped at request $n"
                [ -s "$SCRATCH/err" ] || fail "no message with the connection dropped at request $n"
                assert_no_store "$USB_ROOT/2-1_4"
        done
}

test_conflicting_commits_are_retried_with_one_trigger() {
        store_only xenstore "QubesDB has no transactions"
        usb_setup
        usb_watch_start
        xenstore-control fault eagain 3 >/dev/null
        usb_event hub-stick add "$STICK"
        assert_triggers 1
        assert_stick_entry_whole_or_absent
        store_exists "$USB_ROOT/2-1_4" || fail "no entry after retried commits"
}

test_xenstore_error_on_remove_keeps_the_entry() {
        store_only xenstore "xenstore test server faults: test-udev-qdb-faults.sh has QubesDB's"
        usb_setup
        usb_event hub-stick add "$STICK"
        xenstore-control fault error 3 EIO >/dev/null
        expect_failure "Input/output error" usb_remove_event hub-stick "$STICK"
        assert_stick_entry_whole_or_absent
        store_exists "$USB_ROOT/2-1_4" || fail "entry half-removed"
}

# As libxl leaves a domU's home: owned by dom0, only readable by the domain.
test_domu_without_writable_subtree_is_told_why() {
        store_only xenstore "a domain's permissions are xenstore's: QubesDB has none"
        usb_setup
        xenstore-write /local/domain/5/name test-vm
        xenstore-chmod /local/domain/5 n0 r5
        xenstore-control as-domain 5 >/dev/null
        expect_failure "dom0 has to create qubes-usb-devices there, writable by this domain" \
                usb_event hub-stick add "$STICK"
        assert_no_store /local/domain/5/qubes-usb-devices
}

test_domu_remove_without_permission_is_told_why() {
        store_only xenstore "a domain's permissions are xenstore's: QubesDB has none"
        usb_setup
        xenstore-write /local/domain/5/name test-vm /local/domain/5/qubes-usb-devices/2-1_4/desc x
        xenstore-chmod -r /local/domain/5 n0 r5
        xenstore-control as-domain 5 >/dev/null
        expect_failure "dom0 has to create qubes-usb-devices" usb_remove_event hub-stick "$STICK"
        assert_store /local/domain/5/qubes-usb-devices/2-1_4/desc x
}

test_domu_with_subtree_made_by_dom0_publishes() {
        store_only xenstore "a domain's permissions are xenstore's: QubesDB has none"
        usb_setup
        xenstore-write /local/domain/5/name test-vm /local/domain/5/qubes-usb-devices ""
        xenstore-chmod /local/domain/5 n0 r5
        xenstore-chmod /local/domain/5/qubes-usb-devices n5
        xenstore-control as-domain 5 >/dev/null
        usb_event hub-stick add "$STICK"
        assert_store /local/domain/5/qubes-usb-devices/2-1_4/desc "$STICK_DESC"
        assert_no_store "$USB_ROOT/2-1_4"
}

run_tests "$@"
