# test-hotplug-fault-eagain.sh: qubes-block add and remove with EAGAIN as
# the answer to each request in turn, and remove with its commit refused K
# times (test-hotplug-faults.sh has EIO, EACCES and dropped connections at
# each request, and add's refused commits). After each: a failed add leaves
# only its report (hotplug-error, hotplug-status) and no loop device; a
# successful one has a consistent, complete set of nodes; a failed remove is
# finished by the next one, and nothing leaks.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/hotplug-lib.sh"
. "$TESTS_DIR/invariants-lib.sh"
. "$TESTS_DIR/fault-lib.sh"

V=$(vbd 5 51712)

# The tree without what a failure may leave (its report).
report_free_dump() {    # FILE
        tree_dump "$1.raw"
        grep -v -e "^$V/hotplug-error=" -e "^$V/hotplug-status=" "$1.raw" >"$1" || true
}

fresh_vbd() {           # IMG
        xenstore-rm "$V" 2>/dev/null || true
        setup_vbd 5 51712 "$1" w
}

# assert_attached_consistently WHAT IMG: the nodes of a successful add agree
# with each other and with the loop device the kernel has.
assert_attached_consistently() {
        local loop
        loop=$(xs_read "$V/physical-device-path")
        assert_eq "$(xs_read "$V/physical-device")" "$(devno_hex "$loop")" "$1: physical-device"
        assert_eq "$(losetup -n -O BACK-INO "$loop")" "$(stat -c %i "$2")" "$1: the loop's file"
        [[ "$(xs_read "$V/diskseq")" =~ ^[0-9a-f]+$ ]] || fail "$1: diskseq '$(xs_read "$V/diskseq")'"
        assert_eq "$(loops_backed_by "$SCRATCH")" "$loop" "$1: loop devices"
}

test_eagain_at_each_add_request() {
        new_scratch
        local img n i ok=0
        img=$(new_image)
        fresh_vbd "$img"
        requests_of hotplug add 5 51712
        n=$REQUESTS
        hotplug remove 5 51712
        [ "$n" -ge 5 ] || fail "an add made only $n requests"
        for ((i = 1; i <= n; i++)); do
                fresh_vbd "$img"
                report_free_dump "$SCRATCH/before"
                xenstore-control fault error "$i" EAGAIN >/dev/null
                hotplug add 5 51712
                xenstore-control fault clear >/dev/null
                assert_no_crash "EAGAIN at add request $i" "$RC"
                if [ "$RC" -eq 0 ]; then
                        # inside the transaction EAGAIN means "start again"
                        ok=$((ok + 1))
                        assert_xs "$V/hotplug-status" connected
                        assert_attached_consistently "EAGAIN at add request $i" "$img"
                        hotplug remove 5 51712
                        assert_eq "$RC" 0 "remove after EAGAIN at add request $i"
                else
                        assert_eq "$RC" 1 "status with EAGAIN at add request $i"
                        assert_contains "$(cat "$SCRATCH/err")" "Resource temporarily unavailable"
                        report_free_dump "$SCRATCH/after"
                        diff -u "$SCRATCH/before" "$SCRATCH/after" >&2 || fail "EAGAIN at add request $i: nodes changed"
                        assert_xs "$V/hotplug-status" error
                fi
                assert_no_leak "EAGAIN at add request $i"
                CASES=$((CASES + 1))
        done
        echo "  $n add requests, EAGAIN at each: $ok retried to success, $((n - ok)) failed cleanly" >&2
        [ "$ok" -gt 0 ] || fail "no EAGAIN was retried"
}

# remove_then_again WHAT: the remove just run failed or not; a second one
# leaves nothing.
remove_then_again() {
        assert_no_crash "$1" "$RC"
        [ "$RC" -eq 0 ] || [ -s "$SCRATCH/err" ] || fail "$1: failed without a message"
        hotplug remove 5 51712
        assert_eq "$RC" 0 "$1: the remove after it"
        assert_no_xs "$V/physical-device"
        assert_no_xs "$V/diskseq"
        assert_no_leak "$1"
        CASES=$((CASES + 1))
}

test_eagain_at_each_remove_request() {
        new_scratch
        local img n i
        img=$(new_image)
        fresh_vbd "$img"
        hotplug add 5 51712
        requests_of hotplug remove 5 51712
        n=$REQUESTS
        for ((i = 1; i <= n; i++)); do
                fresh_vbd "$img"
                hotplug add 5 51712
                assert_attached_ok 5 51712
                xenstore-control fault error "$i" EAGAIN >/dev/null
                hotplug remove 5 51712
                xenstore-control fault clear >/dev/null
                remove_then_again "EAGAIN at remove request $i"
        done
        echo "  $n remove requests, EAGAIN at each" >&2
}

test_remove_with_refused_commits() {
        new_scratch
        local img k
        img=$(new_image)
        for k in 1 10 63 64 1000; do
                fresh_vbd "$img"
                hotplug add 5 51712
                assert_attached_ok 5 51712
                xenstore-control fault eagain "$k" >/dev/null
                hotplug remove 5 51712
                xenstore-control fault clear >/dev/null
                if [ "$k" -lt 64 ]; then
                        assert_eq "$RC" 0 "remove with $k refused commits"
                else
                        assert_eq "$RC" 1 "remove with $k refused commits"
                        assert_contains "$(cat "$SCRATCH/err")" "kept conflicting after 64 attempts"
                        # nothing was committed: the device is still recorded
                        # (hotplug-status says error: the remove failed), but
                        # it was let go before the commit (so that no kill in
                        # between can leak it), and only we held it: it is gone
                        assert_xs "$V/hotplug-status" error
                        [[ "$(xs_read "$V/physical-device")" =~ ^7:[0-9a-f]+$ ]] ||
                                fail "remove with $k refused commits: physical-device"
                        assert_no_leak "remove with $k refused commits"
                fi
                remove_then_again "remove with $k refused commits"
        done
}

run_tests "$@"
