# test-udev-block-fault-matrix.sh: udev-block-add-change and
# udev-block-remove on a real loop device while the store's test server
# fails one request of the event, for each request in turn (the count
# measured with the server's `requests`). xenstore: EIO, EAGAIN or the
# connection dropped there, and commits refused with EAGAIN; after each the
# store is the clean run's (status 0) or untouched (status 1, with a
# message), no entry is half-written, the trigger fired exactly when the
# entries changed. QubesDB: the connection dropped there, the request
# carried out and its reply lost, an ERROR answer, and (on add) a daemon
# that stalls there; after each failed run the next event repairs (see
# fault-lib.sh). No loop device leaks.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/block-lib.sh"
. "$TESTS_DIR/invariants-lib.sh"
. "$TESTS_DIR/fault-lib.sh"

ENTRY_ROOT=$BLOCK_ROOT
ENTRY_KEYS="desc mode parent size "
# (an event's fewest requests: the lock-free read that finds nothing to do)
case $STORE in
xenstore) KINDS=("error EIO" "error EAGAIN" "drop") ;;
qubesdb) KINDS=("drop" "lose" "error") ;;
esac
MIN_REQUESTS=1

matrix_setup() {
        block_setup
        LOOP=$(new_loop "$SCRATCH/disk.img" 8M)
        NAME=${LOOP#/dev/}
        OWN_LOOPS="$LOOP "
        mkdir -p "$SCRATCH/vbd" "$SCRATCH/run"
        # an entry of another device beside ours, which nothing may touch
        seed_foreign_entry
        ENTRY_OK="store_write $BLOCK_ROOT/$NAME/desc $SCRATCH/disk.img $BLOCK_ROOT/$NAME/size 8388608 \
                $BLOCK_ROOT/$NAME/mode w $BLOCK_ROOT/$NAME/parent ''"
        ENTRY_OLD="store_write $BLOCK_ROOT/$NAME/desc $SCRATCH/disk.img $BLOCK_ROOT/$NAME/size 4096 \
                $BLOCK_ROOT/$NAME/mode w $BLOCK_ROOT/$NAME/parent ''"
        ENTRY_NONE="store_rm $BLOCK_ROOT/$NAME"
}

# helper_cmd PROGRAM ACTION [KEY=VALUE...]: the command line udev would run.
helper_cmd() {
        local program=$1 action=$2
        shift 2
        # shellcheck disable=SC2046
        HELPER_CMD=("$TESTS_DIR/with-test-sys" "$SCRATCH"
                env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(sanitizer_env)
                ACTION="$action" SUBSYSTEM=block SEQNUM=1 $(loop_env "$LOOP") "$@" "$BIN/$program")
}

# matrix SCENARIO SETUP PROGRAM ACTION [KEY=VALUE...]: measure the requests
# of a clean run from SETUP, queue the clean run and every fault of KINDS at
# every request, run them, check them. MATRIX_STALL=1 on QubesDB adds a
# daemon stalling at each request (the helper gives up after its 10 s).
matrix() {
        local scenario=$1 setup=$2
        local -a kinds=("${KINDS[@]}")
        shift 2
        [ "${MATRIX_STALL:-0}" = 0 ] || [ "$STORE" != qubesdb ] || kinds+=(stall)
        helper_cmd "$@"
        eval "$setup"
        requests_of "${HELPER_CMD[@]}"
        [ "$REQUESTS" -ge "$MIN_REQUESTS" ] || fail "$scenario: only $REQUESTS requests"
        fault_cases_for "$scenario" "$setup" "$REQUESTS" "${kinds[@]}" -- "${HELPER_CMD[@]}"
        fault_run
        FAULT_FAILED=0
        fault_check
        echo "  $scenario: $REQUESTS requests x ${#kinds[@]} faults, $FAULT_FAILED runs failed cleanly" >&2
}

test_add_with_a_fault_at_each_request() {
        matrix_setup
        MATRIX_STALL=1 matrix "add" "$ENTRY_NONE" udev-block-add-change add
}

test_change_of_a_stale_entry_with_a_fault_at_each_request() {
        matrix_setup
        matrix "change, size differs" "$ENTRY_OLD" udev-block-add-change change
}

test_change_of_an_equal_entry_with_a_fault_at_each_request() {
        matrix_setup
        matrix "change, nothing differs" "$ENTRY_OK" udev-block-add-change change
}

test_withdrawal_with_a_fault_at_each_request() {
        matrix_setup
        matrix "change, hidden now" "$ENTRY_OK" udev-block-add-change change DM_UDEV_DISABLE_DISK_RULES_FLAG=1
}

test_remove_with_a_fault_at_each_request() {
        matrix_setup
        matrix "remove" "$ENTRY_OK" udev-block-remove remove
}

test_remove_without_entry_with_a_fault_at_each_request() {
        matrix_setup
        matrix "remove, no entry" "$ENTRY_NONE" udev-block-remove remove
}

# Commits refused with EAGAIN K times: retried (with one trigger at the
# end) up to XSC_TRANSACTION_ATTEMPTS (64), then a clean failure.
test_conflicting_commits_are_retried_or_fail_cleanly() {
        store_only xenstore "QubesDB has no transactions"
        matrix_setup
        local k
        helper_cmd udev-block-add-change add
        fault_case "add" "$ENTRY_NONE" "" "${HELPER_CMD[@]}"
        for k in 1 2 10 63 64 1000; do
                fault_case "add" "$ENTRY_NONE" "eagain $k" "${HELPER_CMD[@]}"
        done
        helper_cmd udev-block-remove remove
        fault_case "remove" "$ENTRY_OK" "" "${HELPER_CMD[@]}"
        for k in 1 10 63 64; do
                fault_case "remove" "$ENTRY_OK" "eagain $k" "${HELPER_CMD[@]}"
        done
        fault_run
        FAULT_FAILED=0
        fault_check
        assert_eq "$FAULT_FAILED" 3 "runs that gave up (64 and 1000 conflicts on add, 64 on remove)"
}

run_tests "$@"
