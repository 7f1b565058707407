# test-udev-usb-fault-matrix.sh: udev-usb-add-change and udev-usb-remove on
# the hub-stick bed while the store's test server fails one request of the
# event, for each request in turn (the count measured with the server's
# `requests`). xenstore: EIO, EAGAIN or the connection dropped there, and
# commits refused with EAGAIN; after each the store is the clean run's
# (status 0) or untouched (status 1, with a message), no entry is
# half-written, the trigger fired exactly when the entries changed.
# QubesDB: the connection dropped there, the request carried out and its
# reply lost, an ERROR answer, and (on add) a daemon that stalls there;
# after each failed run the next event repairs (fault-lib.sh).
# test-udev-usb-faults.sh has the first such cases (EIO on add and change,
# drops on add); this completes them for every event.
# shellcheck source=tests/lib.sh
source "$TESTS_DIR/lib.sh"
# shellcheck source=tests/usb-lib.sh
source "$TESTS_DIR/usb-lib.sh"
# shellcheck source=tests/invariants-lib.sh
source "$TESTS_DIR/invariants-lib.sh"
# shellcheck source=tests/fault-lib.sh
source "$TESTS_DIR/fault-lib.sh"

ENTRY_ROOT=$USB_ROOT
ENTRY_KEYS="desc interfaces usb-ver "
# (an event's fewest requests: the lock-free read that finds nothing to do)
case $STORE in
xenstore) KINDS=("error EIO" "error EAGAIN" "drop") ;;
qubesdb) KINDS=("drop" "lose" "error") ;;
esac
MIN_REQUESTS=1

ENTRY_OK="store_write $USB_ROOT/2-1_4/desc '$STICK_DESC' $USB_ROOT/2-1_4/usb-ver 2 $USB_ROOT/2-1_4/interfaces :080650:"
ENTRY_OLD="store_write $USB_ROOT/2-1_4/desc '0781:5567 SanDisk Old 1' $USB_ROOT/2-1_4/usb-ver 1 $USB_ROOT/2-1_4/interfaces :080650:"
ENTRY_NONE="store_rm $USB_ROOT/2-1_4"

# Inside the bed: the helper with the device's udev properties, then the
# case's KEY=VALUE (as usb_event does).
# shellcheck disable=SC2016
USB_EXEC='
program=$1 devpath=$2; shift 2
readarray -t props < <(udevadm info --query=property --path="$devpath")
exec env -i PATH="$PATH" LD_PRELOAD="$LD_PRELOAD" UMOCKDEV_DIR="$UMOCKDEV_DIR" "${props[@]}" "$@" "$program"'

# helper_cmd ACTION [KEY=VALUE...]: the stick's event as udev would run it.
helper_cmd() {
        local action=$1 program=udev-usb-add-change
        shift
        [ "$action" != remove ] || program=udev-usb-remove
        # shellcheck disable=SC2046
        HELPER_CMD=(bash -c "$USB_EXEC" - "$BIN/$program" "$STICK" XENSTORED_PATH="$XENSTORED_PATH"
                $(usb_sanitizer_env) ACTION="$action" "$@")
}

in_bed() { usb_in_sys umockdev-run -d "$(usb_bed hub-stick)" -- "$@"; }

matrix_setup() {
        usb_setup
        seed_foreign_usb_entry
}

# matrix SCENARIO SETUP ACTION [KEY=VALUE...]: measure the requests of a
# clean run from SETUP, queue the clean run and every fault of KINDS at
# every request, run them in one instance of the bed, check them.
# MATRIX_STALL=1 on QubesDB adds a daemon stalling at each request (the
# helper gives up after its 10 s).
matrix() {
        local scenario=$1 setup=$2
        local -a kinds=("${KINDS[@]}")
        shift 2
        [ "${MATRIX_STALL:-0}" = 0 ] || [ "$STORE" != qubesdb ] || kinds+=(stall)
        helper_cmd "$@"
        eval "$setup"
        requests_of in_bed "${HELPER_CMD[@]}"
        [ "$REQUESTS" -ge "$MIN_REQUESTS" ] || fail "$scenario: only $REQUESTS requests"
        fault_cases_for "$scenario" "$setup" "$REQUESTS" "${kinds[@]}" -- "${HELPER_CMD[@]}"
        fault_run in_bed
        FAULT_FAILED=0
        fault_check
        echo "  $scenario: $REQUESTS requests x ${#kinds[@]} faults, $FAULT_FAILED runs failed cleanly" >&2
}

test_add_with_a_fault_at_each_request() {
        matrix_setup
        MATRIX_STALL=1 matrix "add" "$ENTRY_NONE" add
}

test_change_of_a_stale_entry_with_a_fault_at_each_request() {
        matrix_setup
        matrix "change, desc and usb-ver differ" "$ENTRY_OLD" change
}

test_change_of_an_equal_entry_with_a_fault_at_each_request() {
        matrix_setup
        matrix "change, nothing differs" "$ENTRY_OK" change
}

test_withdrawal_with_a_fault_at_each_request() {
        matrix_setup
        matrix "change, export disabled now" "$ENTRY_OK" change QUBES_EXPORT_USB_DEVICE=0
}

test_remove_with_a_fault_at_each_request() {
        matrix_setup
        matrix "remove" "$ENTRY_OK" remove
}

test_remove_without_entry_with_a_fault_at_each_request() {
        matrix_setup
        matrix "remove, no entry" "$ENTRY_NONE" remove
}

# Commits refused with EAGAIN K times: retried (with one trigger at the
# end) up to XSC_TRANSACTION_ATTEMPTS (64), then a clean failure.
test_conflicting_commits_are_retried_or_fail_cleanly() {
        store_only xenstore "QubesDB has no transactions"
        matrix_setup
        local k
        helper_cmd add
        fault_case "add" "$ENTRY_NONE" "" "${HELPER_CMD[@]}"
        for k in 1 10 63 64; do
                fault_case "add" "$ENTRY_NONE" "eagain $k" "${HELPER_CMD[@]}"
        done
        helper_cmd remove
        fault_case "remove" "$ENTRY_OK" "" "${HELPER_CMD[@]}"
        for k in 1 10 63 64; do
                fault_case "remove" "$ENTRY_OK" "eagain $k" "${HELPER_CMD[@]}"
        done
        fault_run in_bed
        FAULT_FAILED=0
        fault_check
        assert_eq "$FAULT_FAILED" 2 "runs that gave up (64 conflicts on add and on remove)"
}

run_tests "$@"
