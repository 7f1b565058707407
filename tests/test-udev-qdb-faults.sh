# test-udev-qdb-faults.sh: the udev helpers when QubesDB fails them: the
# daemon gone (its socket there, nobody listening), the connection cut
# between the leaves and the trigger, a reply lost after the request was
# carried out, a daemon that stops answering, a malformed reply, and watch
# events between a request and its reply. A failure is a clear message,
# status 1, within the helper's bound (10 s for a daemon that stalls), and
# what it left unfinished is finished by the next event of the subtree: the
# missing leaves written and the trigger fired, since dom0 sees a change
# only with it. Block helpers on a real loop device, USB helpers on the
# hub-stick bed. (udev-*-fault-matrix-qubesdb fail every request in turn;
# here each failure is spelled out.)
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/block-lib.sh"
. "$TESTS_DIR/usb-lib.sh"
. "$TESTS_DIR/invariants-lib.sh"
. "$TESTS_DIR/fault-lib.sh"

[ "$STORE" = qubesdb ] || { echo "test-udev-qdb-faults.sh runs with QXD_TEST_STORE=qubesdb" >&2; exit 1; }

# timed CMD...: CMD's status in RC, its stderr in $SCRATCH/err, its
# duration in ELAPSED_MS.
timed() {
        local start=${EPOCHREALTIME/./}
        RC=0
        "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
        ELAPSED_MS=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
}

# assert_failed WHAT MESSAGE MAX-MS: the last timed run failed (status 1),
# said MESSAGE, printed nothing on stdout and took at most MAX-MS.
assert_failed() {
        assert_no_crash "$1" "$RC"
        assert_eq "$RC" 1 "$1: status ($(head -c 300 "$SCRATCH/err"))"
        assert_contains "$(cat "$SCRATCH/err")" "$2" "$1: stderr"
        [ ! -s "$SCRATCH/out" ] || fail "$1: wrote to stdout"
        [ "$ELAPSED_MS" -le "$3" ] || fail "$1: took $ELAPSED_MS ms, more than $3"
}

# arm FAULT...: for the helper's connection (the next one the server
# accepts: a trigger watch is started before).
arm() { qdb-test-control fault "$@" >/dev/null; }
disarm() { qdb-test-control fault clear >/dev/null; }

# ------------------------------------------------------------------ block

LOOP=
NAME=
block_fault_setup() {
        block_setup
        LOOP=$(new_loop "$SCRATCH/disk.img" 8M)
        NAME=${LOOP#/dev/}
        seed_foreign_entry
}

assert_loop_entry_whole() {     # WHAT
        local dump=$SCRATCH/whole.dump
        store_dump "$dump"
        ENTRY_ROOT=$BLOCK_ROOT ENTRY_KEYS="desc mode parent size " assert_entries_whole "$1" "$dump"
        assert_store "$BLOCK_ROOT/$NAME/desc" "$SCRATCH/disk.img"
        assert_store "$BLOCK_ROOT/$NAME/size" 8388608
        assert_store "$BLOCK_ROOT/$NAME/mode" w
        assert_store "$BLOCK_ROOT/$NAME/parent" ""
}

# The requests of an add that writes the whole entry: the probe's MULTIREAD
# of the entry (lock-free: it finds the entry missing), then under the lock
# the MULTIREAD again, a write of each of the four keys, and the trigger
# (the last).
add_requests() {
        requests_of loop_event add "$LOOP"
        store_rm "$BLOCK_ROOT/$NAME"
        [ "$REQUESTS" -eq 7 ] || fail "an add made $REQUESTS requests, expected 7"
}

test_block_daemon_gone_fails_at_once_and_the_next_event_publishes() {
        block_fault_setup
        timed unreachable_store loop_event add "$LOOP"
        assert_failed "add, daemon gone" "cannot connect to QubesDB (" 3000
        assert_contains "$(cat "$SCRATCH/err")" "Connection refused"
        assert_no_store "$BLOCK_ROOT/$NAME"
        start_trigger_watch
        loop_event change "$LOOP"
        assert_eq "$(triggers_seen)" 1 "triggers of the next event"
        assert_loop_entry_whole "the next event"
}

test_block_connection_cut_before_the_trigger_is_finished_by_the_next_event() {
        block_fault_setup
        add_requests
        start_trigger_watch
        arm drop "$REQUESTS"
        timed loop_event add "$LOOP"
        disarm
        assert_failed "add, cut before the trigger" "cannot write QubesDB $BLOCK_ROOT:" 3000
        # the leaves are there, but dom0 was not told
        assert_loop_entry_whole "the leaves"
        assert_eq "$(triggers_seen)" 0 "triggers of the failed add"
        start_trigger_watch
        loop_event change "$LOOP"
        assert_eq "$(triggers_seen)" 1 "triggers of the next event (nothing left to write)"
        # and only once: the trigger owed is paid
        start_trigger_watch
        loop_event change "$LOOP"
        assert_eq "$(triggers_seen)" 0 "triggers of the event after"
}

# Another device's event pays the trigger too: it is the subtree's.
test_block_trigger_owed_is_fired_by_another_devices_event() {
        block_fault_setup
        local other
        other=$(new_loop "$SCRATCH/other.img" 8M)
        loop_event add "$LOOP"
        loop_event add "$other"
        start_trigger_watch
        arm drop 3                      # remove: the probe's LIST, RM, then the trigger
        timed loop_event remove "$LOOP"
        disarm
        assert_failed "remove, cut before the trigger" "cannot write QubesDB $BLOCK_ROOT:" 3000
        assert_no_store "$BLOCK_ROOT/$NAME"
        loop_event change "$other"
        assert_eq "$(triggers_seen)" 1 "triggers (the other device's entry is unchanged)"
        assert_store "$BLOCK_ROOT/${other#/dev/}/mode" w
}

test_block_reply_lost_mid_entry_is_never_triggered_half() {
        block_fault_setup
        start_trigger_watch
        arm lose 4                      # write size (after two MULTIREADs and desc): carried out, reply lost
        timed loop_event add "$LOOP"
        disarm
        assert_failed "add, reply of a leaf lost" "cannot write QubesDB $BLOCK_ROOT/$NAME/size" 3000
        assert_store "$BLOCK_ROOT/$NAME/desc" "$SCRATCH/disk.img"
        assert_store "$BLOCK_ROOT/$NAME/size" 8388608
        assert_no_store "$BLOCK_ROOT/$NAME/mode"
        assert_eq "$(triggers_seen)" 0 "triggers while the entry is half-written"
        start_trigger_watch
        loop_event change "$LOOP"
        assert_eq "$(triggers_seen)" 1 "triggers of the next event"
        assert_loop_entry_whole "the next event"
}

test_block_stalled_daemon_is_given_up_within_the_bound() {
        block_fault_setup
        start_trigger_watch
        arm stall 1
        timed loop_event add "$LOOP"
        disarm
        assert_failed "add, daemon stalled at the first request" "Connection timed out" 15000
        [ "$ELAPSED_MS" -ge 9000 ] || fail "gave up after $ELAPSED_MS ms: before the 10 s the daemon is given"
        assert_no_store "$BLOCK_ROOT/$NAME"
        # the lock went with the helper: the next event does not wait for it
        timed loop_event change "$LOOP"
        assert_eq "$RC" 0 "the next event's status ($(cat "$SCRATCH/err"))"
        [ "$ELAPSED_MS" -le 3000 ] || fail "the next event took $ELAPSED_MS ms"
        assert_eq "$(triggers_seen)" 1 "triggers"
        assert_loop_entry_whole "the next event"
}

test_block_daemon_stalled_at_the_trigger_is_finished_by_the_next_event() {
        block_fault_setup
        add_requests
        start_trigger_watch
        arm stall "$REQUESTS"           # the trigger
        timed loop_event add "$LOOP"
        disarm
        assert_failed "add, daemon stalled at the trigger" "cannot write QubesDB $BLOCK_ROOT: Connection timed out" 15000
        assert_eq "$(triggers_seen)" 0 "triggers of the stalled add"
        start_trigger_watch
        loop_event change "$LOOP"
        assert_eq "$(triggers_seen)" 1 "triggers of the next event"
        assert_loop_entry_whole "the next event"
}

test_block_malformed_reply_is_a_clear_error() {
        block_fault_setup
        local kind
        for kind in type path length echo reply; do
                store_rm "$BLOCK_ROOT/$NAME"
                arm corrupt 1 "$kind"
                timed loop_event add "$LOOP"
                disarm
                assert_failed "add, reply of the first read corrupt ($kind)" "cannot read QubesDB $BLOCK_ROOT/$NAME/:" 3000
                assert_no_store "$BLOCK_ROOT/$NAME"
        done
}

# SPEC §6: a watch event may come between a request and its reply.
test_block_watch_events_amid_replies_are_not_taken_for_them() {
        block_fault_setup
        local n
        add_requests
        for ((n = 1; n <= REQUESTS; n++)); do
                store_rm "$BLOCK_ROOT/$NAME"
                start_trigger_watch
                arm watch-before-reply "$n"
                timed loop_event add "$LOOP"
                disarm
                assert_eq "$RC" 0 "add with an event before reply $n ($(cat "$SCRATCH/err"))"
                assert_eq "$(triggers_seen)" 1 "triggers (event before reply $n)"
                assert_loop_entry_whole "event before reply $n"
        done
}

# -------------------------------------------------------------------- USB

usb_fault_setup() {
        usb_setup
        seed_foreign_usb_entry
}

assert_stick_entry() {          # WHAT: our three keys (others may have theirs)
        assert_store "$USB_ROOT/2-1_4/desc" "$STICK_DESC"
        assert_store "$USB_ROOT/2-1_4/usb-ver" 2
        assert_store "$USB_ROOT/2-1_4/interfaces" ":080650:"
}

test_usb_daemon_gone_fails_at_once_and_the_next_event_publishes() {
        usb_fault_setup
        timed unreachable_store usb_event hub-stick add "$STICK"
        assert_failed "add, daemon gone" "cannot connect to QubesDB (" 5000
        assert_no_store "$USB_ROOT/2-1_4"
        timed unreachable_store usb_remove_event hub-stick "$STICK"
        assert_failed "remove, daemon gone" "cannot connect to QubesDB (" 5000
        usb_watch_start
        usb_event hub-stick change "$STICK"
        assert_triggers 1
        assert_stick_entry "the next event"
}

test_usb_connection_cut_before_the_trigger_is_finished_by_the_next_event() {
        usb_fault_setup
        usb_event hub-stick add "$STICK"
        store_write "$USB_ROOT/2-1_4/connected-to" work "$USB_ROOT/2-1_4/desc" "0781:5567 SanDisk Old 1"
        # the trigger is the last request of a change that writes desc
        requests_of usb_event hub-stick change "$STICK"
        store_write "$USB_ROOT/2-1_4/desc" "0781:5567 SanDisk Old 1"
        usb_watch_start
        arm drop "$REQUESTS"
        timed usb_event hub-stick change "$STICK"
        disarm
        assert_failed "change, cut before the trigger" "cannot write QubesDB $USB_ROOT:" 5000
        assert_store "$USB_ROOT/2-1_4/desc" "$STICK_DESC"
        assert_triggers 0
        usb_watch_start
        usb_event hub-stick change "$STICK"
        assert_triggers 1
        assert_stick_entry "the next event"
        assert_store "$USB_ROOT/2-1_4/connected-to" work
}

test_usb_reply_lost_on_remove_is_finished_by_the_next_event() {
        usb_fault_setup
        usb_event hub-stick add "$STICK"
        usb_event keyboard add "$KEYBOARD"
        usb_watch_start
        arm lose 2                      # the RM (after the probe's LIST): carried out, reply lost
        timed usb_remove_event hub-stick "$STICK"
        disarm
        assert_failed "remove, reply of the RM lost" "cannot remove QubesDB $USB_ROOT/2-1_4/" 5000
        assert_no_store "$USB_ROOT/2-1_4"
        assert_triggers 0
        # the device is gone: the next event of the subtree is another's,
        # which finds its own entry equal
        usb_watch_start
        usb_event keyboard change "$KEYBOARD"
        assert_triggers 1
        assert_store "$USB_ROOT/1-2/usb-ver" 1
}

test_usb_stalled_daemon_is_given_up_within_the_bound() {
        usb_fault_setup
        usb_event hub-stick add "$STICK"
        usb_watch_start
        arm stall 3                     # the write of the new desc (after two MULTIREADs)
        timed usb_event hub-stick change "$STICK" 'ID_MODEL_ENC=New\x20Model'
        disarm
        assert_failed "change, daemon stalled" "Connection timed out" 16000
        [ "$ELAPSED_MS" -ge 9000 ] || fail "gave up after $ELAPSED_MS ms: before the 10 s the daemon is given"
        assert_triggers 0
        assert_stick_entry "the stalled change left the entry as it was"
}

run_tests "$@"
