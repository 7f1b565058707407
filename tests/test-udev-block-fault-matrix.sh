# test-udev-block-fault-matrix.sh: udev-block-add-change and
# udev-block-remove on a real loop device while the xenstore test server
# answers one request with EIO, with EAGAIN, or drops the connection there,
# for each request of the event in turn (the count measured with
# `xenstore-control requests`), and while it refuses commits with EAGAIN.
# After each: the tree is the clean run's (status 0) or untouched (status
# 1, with a message), no entry is half-written, the trigger fired exactly
# when the entries changed, no loop device leaked (fault-lib.sh).
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/block-lib.sh"
. "$TESTS_DIR/invariants-lib.sh"
. "$TESTS_DIR/fault-lib.sh"

ENTRY_ROOT=$BLOCK_ROOT
ENTRY_KEYS="desc mode parent size "
KINDS=("error EIO" "error EAGAIN" "drop")

matrix_setup() {
        block_setup
        LOOP=$(new_loop "$SCRATCH/disk.img" 8M)
        NAME=${LOOP#/dev/}
        OWN_LOOPS="$LOOP "
        mkdir -p "$SCRATCH/vbd" "$SCRATCH/run"
        # an entry of another device beside ours, which nothing may touch
        xenstore-write "$BLOCK_ROOT/sdz/desc" "Other_disk ()" "$BLOCK_ROOT/sdz/size" 512 \
                "$BLOCK_ROOT/sdz/mode" w "$BLOCK_ROOT/sdz/parent" ""
        ENTRY_OK="xenstore-write -R $BLOCK_ROOT/$NAME/desc $SCRATCH/disk.img $BLOCK_ROOT/$NAME/size 8388608 \
                $BLOCK_ROOT/$NAME/mode w $BLOCK_ROOT/$NAME/parent ''"
        ENTRY_OLD="xenstore-write -R $BLOCK_ROOT/$NAME/desc $SCRATCH/disk.img $BLOCK_ROOT/$NAME/size 4096 \
                $BLOCK_ROOT/$NAME/mode w $BLOCK_ROOT/$NAME/parent ''"
        ENTRY_NONE="xenstore-rm $BLOCK_ROOT/$NAME 2>/dev/null || true"
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
# every request, run them, check them.
matrix() {
        local scenario=$1 setup=$2
        shift 2
        helper_cmd "$@"
        eval "$setup"
        requests_of "${HELPER_CMD[@]}"
        [ "$REQUESTS" -ge 3 ] || fail "$scenario: only $REQUESTS requests"
        fault_cases_for "$scenario" "$setup" "$REQUESTS" "${KINDS[@]}" -- "${HELPER_CMD[@]}"
        fault_run
        FAULT_FAILED=0
        fault_check
        echo "  $scenario: $REQUESTS requests x ${#KINDS[@]} faults, $FAULT_FAILED runs failed cleanly" >&2
}

test_add_with_a_fault_at_each_request() {
        matrix_setup
        matrix "add" "$ENTRY_NONE" udev-block-add-change add
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
