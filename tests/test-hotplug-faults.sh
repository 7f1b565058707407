# test-hotplug-faults.sh: the xenstore server fails, drops the connection or
# answers EAGAIN at each request of an add and of a remove in turn; after
# each, no loop device and no stray node remain.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/hotplug-lib.sh"

# The tree without the nodes a failure is allowed to leave (the report).
dump_tree() {           # FILE
        xenstore-control dump "$1.raw" >/dev/null
        grep -v -e '/hotplug-error=' -e '/hotplug-status=' "$1.raw" > "$1"
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

add_requests() {        # IMG: request count of one clean add + remove cleanup
        local n
        fresh_vbd "$1"
        n=$(requests_of hotplug add 5 51712)
        hotplug remove 5 51712
        echo "$n"
}

check_failed_add_left_nothing() {       # N KIND BEFORE-DUMP
        local p
        p=$(vbd 5 51712)
        if [ "$RC" -eq 0 ]; then
                # the fault hit a request whose failure was retried (EAGAIN)
                assert_xs "$p/hotplug-status" connected
                hotplug remove 5 51712
        else
                [ -s "$SCRATCH/err" ] || fail "$2 at request $1: no message on stderr"
                assert_no_xs "$p/physical-device"
                assert_no_xs "$p/physical-device-path"
                assert_no_xs "$p/diskseq"
                dump_tree "$SCRATCH/after"
                diff -u "$3" "$SCRATCH/after" >&2 || fail "$2 at request $1: the tree changed"
        fi
        assert_no_loops_in "$SCRATCH"
}

fault_every_add_request() {     # KIND [ERRNO]
        new_scratch
        local img n i
        img=$(new_image)
        n=$(add_requests "$img")
        [ "$n" -ge 3 ] || fail "an add made only $n requests"
        for i in $(seq 1 "$n"); do
                fresh_vbd "$img"
                dump_tree "$SCRATCH/before"
                xenstore-control fault "$1" "$i" ${2:+"$2"} >/dev/null
                hotplug add 5 51712
                check_failed_add_left_nothing "$i" "$1" "$SCRATCH/before"
        done
        echo "  $1: $n add requests failed in turn" >&2
}

test_error_at_each_add_request_leaves_nothing() { fault_every_add_request error EIO; }
test_eacces_at_each_add_request_leaves_nothing() { fault_every_add_request error EACCES; }
test_drop_at_each_add_request_leaves_nothing()  { fault_every_add_request drop; }

fault_every_remove_request() {  # KIND [ERRNO]
        new_scratch
        local img n i before after
        img=$(new_image)
        fresh_vbd "$img"
        hotplug add 5 51712
        n=$(requests_of hotplug remove 5 51712)
        for i in $(seq 1 "$n"); do
                fresh_vbd "$img"
                hotplug add 5 51712
                assert_attached_ok 5 51712
                xenstore-control fault "$1" "$i" ${2:+"$2"} >/dev/null
                hotplug remove 5 51712
                # whatever the fault interrupted, a later remove finishes the job
                hotplug remove 5 51712
                assert_eq "$RC" 0 "remove after $1 at request $i"
                assert_no_xs "$(vbd 5 51712)/physical-device"
                assert_no_loops_in "$SCRATCH"
        done
        echo "  $1: $n remove requests failed in turn" >&2
}

test_error_at_each_remove_request_then_remove_again_frees_all() { fault_every_remove_request error EIO; }
test_drop_at_each_remove_request_then_remove_again_frees_all()  { fault_every_remove_request drop; }

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
        check_failed_add_left_nothing 0 eagain "$SCRATCH/before"
}

run_tests "$@"
