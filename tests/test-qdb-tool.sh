#!/bin/bash
# test-qdb-tool.sh: qdb-tool, the client module on the command line, against
# the QubesDB test server: raw values, exit codes (0, 1 with a reason, 2 for
# usage), watches, a refusal before sending, a stalled daemon. Run by
# tests/with-qubesdb (one server for the file; each test under its own path).
source "${TESTS_DIR:?}/lib.sh"

# run_tool ARGS...: qdb-tool's stdout, stderr and status in OUT, ERR, RC.
run_tool() {
        local e
        e=$(mktemp)
        RC=0
        OUT=$(qdb-tool "$@" 2>"$e") || RC=$?
        ERR=$(cat "$e")
        rm -f "$e"
}

test_write_then_read_prints_value_raw() {
        qdb-tool write /raw/v 'back\slash  two  spaces \x41 $HOME'
        assert_eq "$(qdb-tool read /raw/v)" 'back\slash  two  spaces \x41 $HOME' "read /raw/v"
}

test_read_of_missing_path_fails_with_reason() {
        run_tool read /raw/missing
        assert_eq "$RC" 1 "status"
        assert_eq "$OUT" "" "stdout"
        assert_contains "$ERR" "/raw/missing: No such file or directory"
}

test_list_and_multiread_print_entries_in_order() {
        qdb-tool write /ls/b 2
        qdb-tool write /ls/a 'one = 1'
        assert_eq "$(qdb-tool list /ls/ | tr '\n' ' ')" "/ls/a /ls/b " "list /ls/"
        assert_eq "$(qdb-tool multiread /ls/ | tr '\n' '|')" "/ls/a=one = 1|/ls/b=2|" "multiread"
}

test_rm_of_subtree_and_of_nothing() {
        qdb-tool write /rm/a 1
        qdb-tool write /rm/b/c 2
        qdb-tool rm /rm/
        assert_eq "$(qdb-tool list /rm/)" "" "entries left"
        run_tool rm /rm/
        assert_eq "$RC" 1 "status of rm of an empty subtree"
}

test_write_to_path_ending_in_slash_is_refused_before_sending() {
        local before
        before=$(qdb-test-control requests)
        run_tool write /dir/ x
        assert_eq "$RC" 1 "status"
        assert_contains "$ERR" "/dir/: Invalid argument"
        assert_eq "$(qdb-test-control requests)" "$before" "requests served"
}

test_read_only_socket_refuses_write() {
        run_tool -s "$QDB_TEST_SERVER_DIR/qubesdb.ro.sock" write /ro x
        assert_eq "$RC" 1 "status"
        assert_contains "$ERR" "Remote I/O error"
}

test_usage_errors_exit_2() {
        local args
        for args in "" "frob /x" "read" "read /a /b" "write /a" "-t x read /a" "-t 0 read /a" \
                    "watch" "watch -n 0 /a"; do
                # shellcheck disable=SC2086   # the words on purpose
                run_tool $args
                assert_eq "$RC" 2 "status of 'qdb-tool $args'"
        done
}

test_watch_prints_each_event() {
        local out=$QDB_TEST_SERVER_DIR/watch.out before pid
        before=$(qdb-test-control watches)
        qdb-tool watch -n 3 /w/trigger /w/dir/ >"$out" &
        pid=$!
        for _ in $(seq 100); do
                [ "$(qdb-test-control watches)" -ge $((before + 2)) ] && break
                sleep 0.05
        done
        qdb-tool write /w/trigger ""
        qdb-tool write /w/dir/x 1
        qdb-tool rm /w/dir/
        wait "$pid" || fail "qdb-tool watch failed"
        assert_eq "$(tr '\n' ' ' <"$out")" "/w/trigger /w/dir/x /w/dir/ " "events"
}

test_stalled_daemon_times_out() {
        qdb-test-control fault stall 1 >/dev/null
        run_tool -t 300 read /stalled
        assert_eq "$RC" 1 "status"
        assert_contains "$ERR" "timed out"
}

test_no_daemon_fails() {
        run_tool -s "$QDB_TEST_SERVER_DIR/none.sock" read /x
        assert_eq "$RC" 1 "status"
        assert_contains "$ERR" "cannot connect to $QDB_TEST_SERVER_DIR/none.sock"
}

run_tests "$@"
