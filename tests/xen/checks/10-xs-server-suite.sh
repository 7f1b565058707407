# 10-xs-server-suite.sh: the xenstore test server's own suite
# (tests/test-xs-server.c), run against the real xenstored. Where the suite
# fails here, our test server answers differently from Xen's daemon.

test_xs_server_suite_passes_against_real_xenstored() {
        local out rc=0
        [ -x /qxd/bin/test-xs-server ] || fail "test-xs-server is not in the build tree"
        out=$(XS_TEST_REAL_DAEMON=1 timeout 120 /qxd/bin/test-xs-server 2>&1) || rc=$?
        printf '%s\n' "$out" | grep -E '^(FAIL|  )' >&2 || true
        # One line per difference, for the host's summary.
        printf '%s\n' "$out" | sed -n 's/^FAIL /INFO real xenstored differs: /p'
        printf '%s\n' "$out" | grep -E 'passed|skipped' | sed 's/^/INFO xs suite: /'
        [ "$rc" = 0 ] || fail "test-xs-server exited $rc against the real xenstored"
}
