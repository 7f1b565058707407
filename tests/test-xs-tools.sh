#!/bin/bash
# test-xs-tools.sh: the packaged xenstore tools (xenstore-write, -read, -ls,
# -list, -rm, -exists, -chmod, -watch, -control) against the xenstore test
# server, unchanged. Run by tests/with-xenstore (one server for the file).
source "${TESTS_DIR:?}/lib.sh"

test_write_then_read_shows_value() {
        xenstore-write /a/b c
        assert_eq "$(xenstore-read /a/b)" c "xenstore-read /a/b"
}

test_write_creates_parents() {
        xenstore-write /parents/x/y/z 1
        assert_xs /parents/x ""
        assert_xs /parents/x/y ""
}

test_relative_path_lands_in_dom0_home() {
        xenstore-write relative-node here
        assert_xs /local/domain/0/relative-node here
}

test_ls_shows_subtree() {
        xenstore-write /ls/x 1
        xenstore-write /ls/y/z 2
        local out
        out=$(xenstore-ls /ls)
        assert_contains "$out" 'x = "1"'
        assert_contains "$out" 'y = ""'
        assert_contains "$out" ' z = "2"'
}

test_list_shows_children() {
        xenstore-write /list/one 1
        xenstore-write /list/two 2
        assert_eq "$(xenstore-list /list | sort | tr '\n' ' ')" "one two " "xenstore-list /list"
}

test_rm_removes_subtree() {
        xenstore-write /rm/a/b x
        xenstore-rm /rm/a
        assert_no_xs /rm/a/b
        assert_no_xs /rm/a
        xenstore-exists /rm || fail "/rm was removed with its child"
}

test_exists_fails_for_missing_node() {
        if xenstore-exists /no/such/node 2>/dev/null; then
                fail "xenstore-exists found /no/such/node"
        fi
}

test_chmod_sets_permissions() {
        xenstore-write /perm/node v
        xenstore-chmod /perm/node n0 r5 w6
        assert_contains "$(xenstore-ls -p /perm)" "(n0,r5,w6)"
}

# -R keeps values literal both ways; without it xenstore-write decodes \xNN
# and xenstore-read escapes what is not printable.
test_literal_values_with_backslashes() {
        local value='a\x41\\b'
        xenstore-write -R /literal "$value"
        assert_eq "$(xenstore-read -R /literal)" "$value" "xenstore-read -R /literal"

        xenstore-write /decoded 'a\x41b'
        assert_eq "$(xenstore-read -R /decoded)" aAb "xenstore-read -R /decoded"
}

test_control_dump_shows_escaped_values() {
        xenstore-write -R /dump/k 'x\y'
        xenstore-write /dump/nl 'a\x0ab'
        local out
        out=$(xenstore-control dump)
        assert_eq "$(head -n 1 <<<"$out")" "/=" "first line of the dump"
        assert_contains "$out" '/dump/k=x\\y'
        assert_contains "$out" '/dump/nl=a\x0ab'
}

test_watch_reports_initial_event_and_change() {
        new_scratch
        xenstore-watch -n 2 /watched >"$SCRATCH/events" &
        local watcher=$! i
        # the initial event says the watch is set
        for i in $(seq 50); do
                [ -s "$SCRATCH/events" ] && break
                sleep 0.1
        done
        xenstore-write /watched/x 1
        for i in $(seq 50); do
                kill -0 "$watcher" 2>/dev/null || break
                sleep 0.1
        done
        if kill -0 "$watcher" 2>/dev/null; then
                kill "$watcher"
                fail "xenstore-watch did not see two events: $(cat "$SCRATCH/events")"
        fi
        wait "$watcher" || fail "xenstore-watch failed"
        assert_eq "$(cat "$SCRATCH/events" | tr '\n' ' ')" "/watched /watched/x " "events"
}

test_armed_fault_fails_the_next_tool_only() {
        xenstore-control fault error 1 EACCES >/dev/null
        if xenstore-write /faulted x 2>/dev/null; then
                fail "xenstore-write succeeded despite the armed fault"
        fi
        xenstore-write /faulted y
        assert_xs /faulted y
}

# --arm and XS_TEST_SERVER_ARM arm the first connection of a new server.
test_server_arms_first_connection_from_environment() {
        if XS_TEST_SERVER_ARM='fault error 1 EIO' "$TESTS_DIR/with-xenstore" \
                        xenstore-write /armed x 2>/dev/null; then
                fail "the first connection of a server armed with 'fault error 1 EIO' succeeded"
        fi
        XS_TEST_SERVER_ARM='fault error 1 EIO' "$TESTS_DIR/with-xenstore" \
                bash -c 'xenstore-write /armed x 2>/dev/null; xenstore-write /armed y' ||
                fail "the second connection failed too"
}

run_tests "$@"
