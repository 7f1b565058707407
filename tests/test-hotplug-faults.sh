# test-hotplug-faults.sh: the xenstore server fails, drops the connection,
# loses the reply of a request it carried out, or answers EAGAIN, at each
# request of an add and of a remove in turn; after each, either a whole
# attach (or detach) or nothing: no loop device and no stray node.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/hotplug-lib.sh"

# The tree without the nodes a failure is allowed to leave (the report).
dump_tree() {           # FILE
        xenstore-control dump "$1.raw" >/dev/null
        grep -v -e '/hotplug-error=' -e '/hotplug-status=' "$1.raw" > "$1"
}

# The tree with the values that differ from run to run (which loop, its
# disk sequence number) masked.
dump_masked() {         # FILE
        xenstore-control dump "$1.raw" >/dev/null
        sed -E 's#/(physical-device|physical-device-path|diskseq)=.*#/\1=*#' "$1.raw" > "$1"
}

# requests_of CMD...: how many requests CMD makes to xenstore.
requests_of() {
        local before after
        before=$(xenstore-control requests)
        "$@"
        after=$(xenstore-control requests)
        echo $((after - before - 1))    # the second `requests` counts itself
}

fresh_vbd() {           # IMG
        xenstore-rm "$(vbd 5 51712)" 2>/dev/null || true
        setup_vbd 5 51712 "$1" w
}

no_crash() {            # WHAT
        [ "$RC" -lt 128 ] || fail "$1: killed by signal $((RC - 128)): $(head -c 400 "$SCRATCH/err")"
        if grep -qE 'Sanitizer|runtime error:' "$SCRATCH/err"; then
                fail "$1: sanitizer report: $(grep -m3 -E 'Sanitizer|runtime error:' "$SCRATCH/err")"
        fi
}

# The nodes of a successful add name the loop device it made, on the image.
assert_attached_to_its_loop() {         # WHAT
        local p loop
        p=$(vbd 5 51712)
        assert_xs "$p/hotplug-status" connected
        loop=$(loops_backed_by "$SCRATCH")
        [ -n "$loop" ] && [ "$(wc -w <<<"$loop")" = 1 ] || fail "$1: loop devices '$loop'"
        assert_xs "$p/physical-device-path" "$loop"
        assert_xs "$p/physical-device" "$(devno_hex "$loop")"
        assert_xs "$p/diskseq" "$(printf %x "$(cat "/sys/block/${loop#/dev/}/diskseq")")"
}

# Either the add succeeded as a clean one does, or it failed (status 1) with
# its reason reported and the tree as it was; no loop device either way but
# the one a success holds.
check_faulted_add() {   # WHAT BEFORE-DUMP CLEAN-DUMP
        local p
        p=$(vbd 5 51712)
        no_crash "$1"
        if [ "$RC" -eq 0 ]; then
                assert_attached_to_its_loop "$1"
                dump_masked "$SCRATCH/after"
                diff -u "$3" "$SCRATCH/after" >&2 || fail "$1: succeeded, with a tree unlike a clean add's"
                hotplug remove 5 51712
                assert_eq "$RC" 0 "$1: remove after the add"
        else
                assert_eq "$RC" 1 "$1: exit status"
                [ -s "$SCRATCH/err" ] || fail "$1: no message on stderr"
                assert_xs "$p/hotplug-status" error
                [ -n "$(xs_read "$p/hotplug-error")" ] || fail "$1: empty hotplug-error"
                assert_contains "$(cat "$SCRATCH/err")" "$(xs_read "$p/hotplug-error")" "$1: stderr"
                assert_no_xs "$p/physical-device"
                assert_no_xs "$p/physical-device-path"
                assert_no_xs "$p/diskseq"
                dump_tree "$SCRATCH/after"
                diff -u "$2" "$SCRATCH/after" >&2 || fail "$1: the tree changed"
        fi
        assert_no_loops_in "$SCRATCH"
}

fault_every_add_request() {     # KIND [ERRNO]
        new_scratch
        local img n i ok=0
        img=$(new_image)
        fresh_vbd "$img"
        n=$(requests_of hotplug add 5 51712)
        dump_masked "$SCRATCH/clean"
        hotplug remove 5 51712
        [ "$n" -ge 3 ] || fail "an add made only $n requests"
        for i in $(seq 1 "$n"); do
                fresh_vbd "$img"
                dump_tree "$SCRATCH/before"
                xenstore-control fault "$1" "$i" ${2:+"$2"} >/dev/null
                hotplug add 5 51712
                [ "$RC" -ne 0 ] || ok=$((ok + 1))
                check_faulted_add "$1 at add request $i" "$SCRATCH/before" "$SCRATCH/clean"
        done
        echo "  $1: $n add requests failed in turn, $ok adds succeeded all the same" >&2
        FAULT_ADD_SUCCESSES=$ok
}

test_error_at_each_add_request_leaves_nothing() { fault_every_add_request error EIO; }
test_eacces_at_each_add_request_leaves_nothing() { fault_every_add_request error EACCES; }
test_drop_at_each_add_request_leaves_nothing()  { fault_every_add_request drop; }

# The daemon carries out a request and the connection breaks before the
# reply: for the commit, the attach did happen and must stand.
test_lost_reply_at_each_add_request_leaves_a_whole_attach_or_nothing() {
        fault_every_add_request lose
        [ "$FAULT_ADD_SUCCESSES" -ge 1 ] || fail "no add survived a lost reply (the commit's)"
}

fault_every_remove_request() {  # KIND [ERRNO]
        new_scratch
        local img n i p
        img=$(new_image)
        p=$(vbd 5 51712)
        fresh_vbd "$img"
        hotplug add 5 51712
        n=$(requests_of hotplug remove 5 51712)
        for i in $(seq 1 "$n"); do
                fresh_vbd "$img"
                hotplug add 5 51712
                assert_attached_ok 5 51712
                xenstore-control fault "$1" "$i" ${2:+"$2"} >/dev/null
                hotplug remove 5 51712
                no_crash "$1 at remove request $i"
                if [ "$RC" -eq 0 ]; then
                        # done: the device is released with its nodes
                        assert_no_xs "$p/physical-device"
                        assert_no_loops_in "$SCRATCH"
                else
                        assert_eq "$RC" 1 "$1 at remove request $i: exit status"
                        [ -s "$SCRATCH/err" ] || fail "$1 at remove request $i: no message on stderr"
                        assert_xs "$p/hotplug-status" error
                fi
                # whatever the fault interrupted, a later remove finishes the job
                hotplug remove 5 51712
                assert_eq "$RC" 0 "remove after $1 at request $i"
                assert_no_xs "$p/physical-device"
                assert_no_xs "$p/diskseq"
                assert_no_loops_in "$SCRATCH"
        done
        echo "  $1: $n remove requests failed in turn" >&2
}

test_error_at_each_remove_request_then_remove_again_frees_all() { fault_every_remove_request error EIO; }
test_drop_at_each_remove_request_then_remove_again_frees_all()  { fault_every_remove_request drop; }
test_lost_reply_at_each_remove_request_then_remove_again_frees_all() { fault_every_remove_request lose; }

test_eagain_on_commit_is_retried() {
        new_scratch
        local img
        img=$(new_image)
        fresh_vbd "$img"
        xenstore-control fault eagain 3 >/dev/null
        hotplug add 5 51712
        assert_attached_ok 5 51712
        assert_eq "$(loops_backed_by "$SCRATCH" | wc -l)" 1 "loop devices"
}

test_endless_eagain_fails_cleanly() {
        new_scratch
        local img
        img=$(new_image)
        fresh_vbd "$img"
        dump_tree "$SCRATCH/before"
        xenstore-control fault eagain 1000 >/dev/null
        hotplug add 5 51712
        [ "$RC" -ne 0 ] || fail "add succeeded although every commit failed"
        assert_contains "$(cat "$SCRATCH/err")" "kept conflicting"
        check_faulted_add "endless EAGAIN" "$SCRATCH/before" /dev/null
}

# A hung xenstored: libxl kills the helper after 40 s and says only that it
# timed out. Every wait of ours is bounded well under that, so the helper
# gives up by itself, says why, and leaves no loop device.
STALL_BOUND_S=30

stalled_run() {         # CMD N: run CMD with the Nth request stalled; sets RC, ELAPSED_S
        local t0
        xenstore-control fault stall "$2" >/dev/null
        t0=$(date +%s%N)
        RC=0
        timeout -s KILL 45 env XENBUS_PATH=backend/vbd/5/51712 XENBUS_TYPE=vbd "$QUBES_BLOCK" "$1" \
                </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
        ELAPSED_S=$((($(date +%s%N) - t0) / 1000000000))
}

test_stalled_xenstored_during_add_gives_up_in_bounded_time() {
        new_scratch
        local img n i
        img=$(new_image)
        fresh_vbd "$img"
        n=$(requests_of hotplug add 5 51712)
        hotplug remove 5 51712
        for i in 1 $((n / 2)) "$n"; do
                fresh_vbd "$img"
                stalled_run add "$i"
                no_crash "stall at add request $i"
                assert_eq "$RC" 1 "stall at add request $i: exit status (after ${ELAPSED_S} s)"
                [ "$ELAPSED_S" -lt "$STALL_BOUND_S" ] || fail "stall at add request $i: gave up after $ELAPSED_S s"
                assert_contains "$(cat "$SCRATCH/err")" "xenstore" "stall at add request $i: stderr"
                assert_contains "$(cat "$SCRATCH/err")" "Connection timed out" "stall at add request $i: stderr"
                # the commit itself may have stalled after taking effect; a
                # remove (libxl's next step) settles either case
                hotplug remove 5 51712
                assert_eq "$RC" 0 "remove after the stalled add"
                assert_no_loops_in "$SCRATCH"
        done
}

test_stalled_xenstored_during_remove_gives_up_in_bounded_time() {
        new_scratch
        local img n i
        img=$(new_image)
        fresh_vbd "$img"
        hotplug add 5 51712
        n=$(requests_of hotplug remove 5 51712)
        for i in 1 "$n"; do
                fresh_vbd "$img"
                hotplug add 5 51712
                assert_attached_ok 5 51712
                stalled_run remove "$i"
                no_crash "stall at remove request $i"
                assert_eq "$RC" 1 "stall at remove request $i: exit status (after ${ELAPSED_S} s)"
                [ "$ELAPSED_S" -lt "$STALL_BOUND_S" ] || fail "stall at remove request $i: gave up after $ELAPSED_S s"
                hotplug remove 5 51712
                assert_eq "$RC" 0 "remove after the stalled remove"
                assert_no_xs "$(vbd 5 51712)/physical-device"
                assert_no_loops_in "$SCRATCH"
        done
}

run_tests "$@"
