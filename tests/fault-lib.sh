# fault-lib.sh: a helper run again and again with the xenstore test server
# failing one request at a time (sourced after lib.sh and invariants-lib.sh).
#
# fault_case queues a case: a scenario name, a setup (shell code that puts
# the tree in the state before the event), a fault to arm ("error N ERRNO",
# "drop N", "eagain K", or "" for a clean run) and the command. fault_run
# runs the queue in one go (optionally inside a wrapper such as umockdev-run)
# with a dump of the tree before and after each case, and fault_check then
# asserts, case by case:
#   - no crash, and a message on stderr when the status is not 0;
#   - status 0: the tree is the one the scenario's clean run left;
#     otherwise (status 1): the tree is the one before the case;
#   - every entry under ENTRY_ROOT has exactly ENTRY_KEYS (none half-written);
#   - the trigger (a write of ENTRY_ROOT itself) fired once if the entries
#     changed and never otherwise; with FAULT_NO_TRIGGER=1 no check of it;
#   - no loop device on the scratch dir but OWN_LOOPS.
# A watch on / records every event; markers written after the setup and
# after the case delimit what the case did.
#
# requests_of CMD...: how many requests CMD makes (sets REQUESTS).

FAULT_N=0
FAULT_NO_TRIGGER=${FAULT_NO_TRIGGER:-0}
# dump lines that are not compared (the markers; a test may add its own)
FAULT_IGNORE='^/tool/qxd-'

requests_of() {
        local before after
        before=$(xenstore-control requests)
        "$@"
        after=$(xenstore-control requests)
        REQUESTS=$((after - before - 1))    # the second `requests` counts itself
}

# fault_case SCENARIO SETUP ARM CMD...
fault_case() {
        local q=$SCRATCH/fq
        mkdir -p "$q"
        FAULT_N=$((FAULT_N + 1))
        printf '%s\n%s\n' "$1" "${3:-clean}" >"$q/$FAULT_N.meta"
        printf '%s' "$2" >"$q/$FAULT_N.setup"
        printf '%s' "$3" >"$q/$FAULT_N.arm"
        shift 3
        printf '%s\0' "$@" >"$q/$FAULT_N.cmd"
}

# fault_cases_for SCENARIO SETUP N KIND... CMD...: a clean run, then for each
# KIND ("error EIO", "drop", "error EAGAIN", ...) the fault at request 1..N.
# The command follows the kinds after a "--".
fault_cases_for() {
        local scenario=$1 setup=$2 n=$3 kind i
        local -a kinds=()
        shift 3
        while [ "$1" != -- ]; do kinds+=("$1"); shift; done
        shift
        fault_case "$scenario" "$setup" "" "$@"
        for kind in "${kinds[@]}"; do
                for ((i = 1; i <= n; i++)); do
                        fault_case "$scenario" "$setup" "${kind%% *} $i${kind#"${kind%% *}"}" "$@"
                done
        done
}

# shellcheck disable=SC2016
FAULT_RUNNER='
q=$1; n=$2
for ((i = 1; i <= n; i++)); do
        ( eval "$(cat "$q/$i.setup")" ) >"$q/$i.setup.log" 2>&1 || echo failed >"$q/$i.setup.failed"
        xenstore-write /tool/qxd-a "$i"
        xenstore-control dump "$q/$i.before" >/dev/null
        [ ! -s "$q/$i.arm" ] || xenstore-control fault $(cat "$q/$i.arm") >/dev/null
        mapfile -d "" -t c <"$q/$i.cmd"
        "${c[@]}" >"$q/$i.out" 2>"$q/$i.err" </dev/null
        echo $? >"$q/$i.rc"
        xenstore-control fault clear >/dev/null
        xenstore-control dump "$q/$i.after" >/dev/null
        xenstore-write /tool/qxd-b "$i"
done'

# fault_run [WRAPPER...]: run the queue (inside WRAPPER when given).
fault_run() {
        local q=$SCRATCH/fq i
        xenstore-watch / >"$SCRATCH/events" 2>/dev/null &
        FAULT_WATCH=$!
        for i in $(seq 50); do
                [ -s "$SCRATCH/events" ] && break
                sleep 0.1
        done
        "$@" bash -c "$FAULT_RUNNER" - "$q" "$FAULT_N" || fail "the fault runner failed"
        for i in $(seq 100); do
                [ "$(grep -cx /tool/qxd-b "$SCRATCH/events")" -ge "$FAULT_N" ] && break
                sleep 0.1
        done
        kill "$FAULT_WATCH" 2>/dev/null
        wait "$FAULT_WATCH" 2>/dev/null || true
}

# The triggers of case I: events on ENTRY_ROOT itself between the I-th
# marker a and the I-th marker b.
fault_triggers_of() {
        awk -v root="$ENTRY_ROOT" -v i="$1" '
                $0 == "/tool/qxd-a" { a++; on = (a == i); next }
                $0 == "/tool/qxd-b" { on = 0; next }
                on && $0 == root { n++ }
                END { print n + 0 }' "$SCRATCH/events"
}

# assert_entries_whole WHAT DUMP: every entry under ENTRY_ROOT has ENTRY_KEYS.
assert_entries_whole() {
        local name
        for name in $(grep -o "^$ENTRY_ROOT/[^/=]*=" "$2" | sed "s|^$ENTRY_ROOT/||; s|=\$||"); do
                assert_entry_whole "$1" "$name" "$2"
        done
}

fault_check() {
        local q=$SCRATCH/fq i rc what scenario arm ref triggers changed
        local -A reference=()
        local -a meta
        for ((i = 1; i <= FAULT_N; i++)); do
                mapfile -t meta <"$q/$i.meta"
                scenario=${meta[0]} arm=${meta[1]}
                what="$scenario, $arm"
                [ ! -e "$q/$i.setup.failed" ] || fail "$what: setup failed: $(cat "$q/$i.setup.log")"
                [ -e "$q/$i.rc" ] || fail "$what: not run"
                rc=$(cat "$q/$i.rc")
                cp "$q/$i.err" "$SCRATCH/err"
                assert_no_crash "$what" "$rc"
                grep -Ev "$FAULT_IGNORE" "$q/$i.before" >"$q/$i.b" || true
                grep -Ev "$FAULT_IGNORE" "$q/$i.after" >"$q/$i.a" || true
                if [ "$arm" = clean ]; then
                        assert_eq "$rc" 0 "$what: status ($(head -c 300 "$q/$i.err"))"
                        reference[$scenario]=$q/$i.a
                fi
                ref=${reference[$scenario]:-}
                [ -n "$ref" ] || fail "$what: no clean run before it"
                if [ "$rc" -eq 0 ]; then
                        diff -u "$ref" "$q/$i.a" >&2 || fail "$what: succeeded, but not with the clean run's tree"
                else
                        assert_eq "$rc" 1 "$what: status"
                        [ -s "$q/$i.err" ] || fail "$what: failed without a message"
                        diff -u "$q/$i.b" "$q/$i.a" >&2 || fail "$what: failed, but the tree changed"
                fi
                [ ! -s "$q/$i.out" ] || fail "$what: wrote to stdout"
                assert_entries_whole "$what" "$q/$i.after"
                if [ "$FAULT_NO_TRIGGER" != 1 ]; then
                        changed=0
                        cmp -s <(grep "^$ENTRY_ROOT/" "$q/$i.b") <(grep "^$ENTRY_ROOT/" "$q/$i.a") || changed=1
                        triggers=$(fault_triggers_of "$i")
                        assert_eq "$triggers" "$changed" "$what: triggers (entries changed: $changed)"
                fi
                assert_no_leak "$what"
                FAULT_FAILED=$((${FAULT_FAILED:-0} + (rc != 0)))
                CASES=$((CASES + 1))
        done
        rm -rf "$q"
        FAULT_N=0
}
