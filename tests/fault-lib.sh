# fault-lib.sh: a helper run again and again with the store's test server
# failing one request at a time (sourced after lib.sh and invariants-lib.sh).
#
# fault_case queues a case: a scenario name, a setup (shell code that puts
# the store in the state before the event), a fault to arm (xenstore:
# "error N ERRNO", "drop N", "eagain K"; QubesDB: "drop N", "lose N",
# "error N", "stall N"; "" for a clean run) and the command. fault_run runs
# the queue in one go (optionally inside a wrapper such as umockdev-run)
# with a dump of the store (store_dump) before and after each case, and
# fault_check then asserts, case by case:
#   - no crash, and a message on stderr when the status is not 0;
#   - status 0: the store is the one the scenario's clean run left;
#   - every entry under ENTRY_ROOT has exactly ENTRY_KEYS (none half-written);
#   - no loop device on the scratch dir but OWN_LOOPS.
# On xenstore (entry and trigger in one transaction) also:
#   - status 1: the store is the one before the case;
#   - the trigger (a write of ENTRY_ROOT itself) fired once if the entries
#     changed and never otherwise; with FAULT_NO_TRIGGER=1 no check of it.
# On QubesDB, which has no transactions, a failed run may have written
# some of the leaves, and the next event has to finish the work: each
# failed case is followed by a clean run of the same command (the repair).
#   - status 1: every node holds its value from before or the one the clean
#     run gives it, and nothing else changed (xenstore neither);
#   - a trigger fired by the failed run found its entries whole;
#   - the repair succeeds and leaves the clean run's store, every entry
#     whole; if either run wrote or removed anything below ENTRY_ROOT, the
#     last event of the two is a trigger (dom0 has seen the end state); the
#     repair fires at most one, the two together at most two (one when
#     nothing was written: a request lost with its connection may have
#     changed something, so a trigger is owed for it).
# A watch records the events (xenstore: all, on /; QubesDB: ENTRY_ROOT,
# ENTRY_ROOT/ and the markers); markers written after the setup, after the
# case and after the repair delimit what each did.
#
# requests_of CMD...: how many requests CMD makes (sets REQUESTS).

FAULT_N=0
FAULT_NO_TRIGGER=${FAULT_NO_TRIGGER:-0}
FAULT_STORE=${STORE:-xenstore}
case $FAULT_STORE in
xenstore) FAULT_MARK=/tool/qxd- ;;
qubesdb) FAULT_MARK=/qxd- ;;
esac
# dump lines that are not compared (the markers; a test may add its own)
FAULT_IGNORE="^$FAULT_MARK"

requests_of() {
        local before after
        if [ "$FAULT_STORE" = qubesdb ]; then
                # control connections are not counted
                before=$(qdb-test-control requests)
                "$@"
                after=$(qdb-test-control requests)
                REQUESTS=$((after - before))
                return 0
        fi
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

# In the runner: a marker (a, b, c) of case I, arming and disarming.
fault_mark() {
        case $FAULT_STORE in
        xenstore) xenstore-write "$FAULT_MARK$1" "$2" ;;
        qubesdb) qdb-tool write "$FAULT_MARK$1" "$2" ;;
        esac
}
fault_arm() {
        # shellcheck disable=SC2086   # the fault's words
        case $FAULT_STORE in
        xenstore) xenstore-control fault $1 >/dev/null ;;
        qubesdb) qdb-test-control fault $1 >/dev/null ;;
        esac
}

# shellcheck disable=SC2016
FAULT_RUNNER="$STORE_RUNNER_FUNCS
$(declare -f fault_mark fault_arm)"'
q=$1; n=$2
for ((i = 1; i <= n; i++)); do
        ( eval "$(cat "$q/$i.setup")" ) >"$q/$i.setup.log" 2>&1 || echo failed >"$q/$i.setup.failed"
        fault_mark a "$i"
        store_dump "$q/$i.before"
        [ ! -s "$q/$i.arm" ] || fault_arm "$(cat "$q/$i.arm")"
        mapfile -d "" -t c <"$q/$i.cmd"
        "${c[@]}" >"$q/$i.out" 2>"$q/$i.err" </dev/null
        rc=$?
        echo $rc >"$q/$i.rc"
        fault_arm clear
        store_dump "$q/$i.after"
        fault_mark b "$i"
        # QubesDB: the next event finishes what a failed one left
        if [ "$FAULT_STORE" = qubesdb ] && [ "$rc" -ne 0 ]; then
                "${c[@]}" >"$q/$i.repair.out" 2>"$q/$i.repair.err" </dev/null
                echo $? >"$q/$i.repair.rc"
                store_dump "$q/$i.repaired"
                fault_mark c "$i"
        fi
done'

# fault_run [WRAPPER...]: run the queue (inside WRAPPER when given).
fault_run() {
        local q=$SCRATCH/fq i
        : >"$SCRATCH/events"
        case $FAULT_STORE in
        xenstore)
                xenstore-watch / >>"$SCRATCH/events" 2>/dev/null &
                FAULT_WATCH=$!
                for i in $(seq 50); do
                        [ -s "$SCRATCH/events" ] && break
                        sleep 0.1
                done
                ;;
        qubesdb)
                qdb-tool -t 2147483647 watch -n 4294967295 "$ENTRY_ROOT" "$ENTRY_ROOT/" \
                        "${FAULT_MARK}s" "${FAULT_MARK}a" "${FAULT_MARK}b" "${FAULT_MARK}c" \
                        >>"$SCRATCH/events" 2>/dev/null &
                FAULT_WATCH=$!
                # set when a marker written comes back (no event when set)
                for i in $(seq 50); do
                        fault_mark s ""
                        grep -qx "${FAULT_MARK}s" "$SCRATCH/events" && break
                        sleep 0.1
                done
                grep -qx "${FAULT_MARK}s" "$SCRATCH/events" || fail "qdb-tool watch did not start"
                ;;
        esac
        FAULT_STORE=$FAULT_STORE FAULT_MARK=$FAULT_MARK "$@" bash -c "$FAULT_RUNNER" - "$q" "$FAULT_N" ||
                fail "the fault runner failed"
        for i in $(seq 100); do
                [ "$(grep -cx "${FAULT_MARK}b" "$SCRATCH/events")" -ge "$FAULT_N" ] && break
                sleep 0.1
        done
        kill "$FAULT_WATCH" 2>/dev/null
        wait "$FAULT_WATCH" 2>/dev/null || true
}

# fault_events_of I [repair]: the events of case I (between its markers a
# and b), or of its repair (between b and c): the paths, one a line.
fault_events_of() {
        awk -v m="$FAULT_MARK" -v i="$1" -v part="${2:-case}" '
                $0 == m "a" { a++; on = (part == "case" && a == i); next }
                $0 == m "b" { b++; on = (part == "repair" && b == i); next }
                $0 == m "c" || $0 == m "s" { on = 0; next }
                on { print }' "$SCRATCH/events"
}

# The triggers of case I: events on ENTRY_ROOT itself.
fault_triggers_of() {
        fault_events_of "$@" | grep -cx -- "$ENTRY_ROOT" || true
}

# assert_entries_whole WHAT DUMP: every entry under ENTRY_ROOT has ENTRY_KEYS
# (an entry is a node of its own on xenstore; on QubesDB only its keys).
assert_entries_whole() {
        local name
        for name in $(grep -oE "^$ENTRY_ROOT/[^/=]*[=/]" "$2" | sed -E "s|^$ENTRY_ROOT/||; s|[=/]\$||" | sort -u); do
                assert_entry_whole "$1" "$name" "$2"
        done
}

# assert_only_towards WHAT BEFORE AFTER REF: every node of AFTER holds its
# value of BEFORE or that of REF (a node missing counts as a value).
assert_only_towards() {
        local bad
        bad=$(awk -F= '
                FILENAME == ARGV[1] { before[$1] = $0; keys[$1] = 1; next }
                FILENAME == ARGV[2] { ref[$1] = $0; keys[$1] = 1; next }
                { after[$1] = $0; keys[$1] = 1 }
                END {
                        for (k in keys)
                                if (after[k] != before[k] && after[k] != ref[k])
                                        printf "%s: before \"%s\", clean run \"%s\", now \"%s\"\n", k, before[k], ref[k], after[k]
                }' "$2" "$4" "$3")
        [ -z "$bad" ] || fail "$1: nodes hold what neither the state before nor the clean run gives: $bad"
}

# The QubesDB checks of a failed case and its repair (see the head).
fault_check_qubesdb_failure() {
        local what=$1 q=$SCRATCH/fq i=$2 ref=$3 ignore=$4 leaf last
        assert_only_towards "$what" "$q/$i.b" "$q/$i.a" "$ref"
        if [ "$(fault_triggers_of "$i")" -gt 0 ]; then
                assert_entries_whole "$what (a trigger fired)" "$q/$i.after"
        fi
        [ -e "$q/$i.repair.rc" ] || fail "$what: no repair run"
        cp "$q/$i.repair.err" "$SCRATCH/err"
        assert_no_crash "$what, the repair" "$(cat "$q/$i.repair.rc")"
        assert_eq "$(cat "$q/$i.repair.rc")" 0 "$what: the repair's status ($(head -c 300 "$q/$i.repair.err"))"
        [ ! -s "$q/$i.repair.out" ] || fail "$what: the repair wrote to stdout"
        grep -Ev "$ignore" "$q/$i.repaired" >"$q/$i.r" || true
        diff -u "$ref" "$q/$i.r" >&2 || fail "$what: the repair did not give the clean run's store"
        assert_entries_whole "$what, repaired" "$q/$i.repaired"
        [ "$FAULT_NO_TRIGGER" != 1 ] || return 0
        leaf=$( { fault_events_of "$i"; fault_events_of "$i" repair; } | grep -c -- "^$ENTRY_ROOT/" || true)
        last=$( { fault_events_of "$i"; fault_events_of "$i" repair; } | tail -n 1)
        if [ "$leaf" -gt 0 ]; then
                assert_eq "$last" "$ENTRY_ROOT" "$what: the last event after the failed run and its repair (dom0 sees a change only with a trigger)"
        fi
        # a change request whose fate is unknown (lost with its connection)
        # may earn one trigger too many, never more
        [ "$(( $(fault_triggers_of "$i") + $(fault_triggers_of "$i" repair) ))" -le $((leaf > 0 ? 2 : 1)) ] ||
                fail "$what: $(fault_triggers_of "$i") triggers from the failed run, $(fault_triggers_of "$i" repair) from its repair"
        [ "$(fault_triggers_of "$i" repair)" -le 1 ] || fail "$what: the repair fired $(fault_triggers_of "$i" repair) triggers"
}

fault_check() {
        local q=$SCRATCH/fq i rc what scenario arm ref triggers changed ignore=$FAULT_IGNORE
        local -A reference=()
        local -a meta
        # QubesDB: the trigger's key is there once a trigger was written
        # (the triggers are counted from the events)
        [ "$FAULT_STORE" != qubesdb ] || ignore+="|^$ENTRY_ROOT=\$"
        for ((i = 1; i <= FAULT_N; i++)); do
                mapfile -t meta <"$q/$i.meta"
                scenario=${meta[0]} arm=${meta[1]}
                what="$scenario, $arm"
                [ ! -e "$q/$i.setup.failed" ] || fail "$what: setup failed: $(cat "$q/$i.setup.log")"
                [ -e "$q/$i.rc" ] || fail "$what: not run"
                rc=$(cat "$q/$i.rc")
                cp "$q/$i.err" "$SCRATCH/err"
                assert_no_crash "$what" "$rc"
                grep -Ev "$ignore" "$q/$i.before" >"$q/$i.b" || true
                grep -Ev "$ignore" "$q/$i.after" >"$q/$i.a" || true
                if [ "$arm" = clean ]; then
                        assert_eq "$rc" 0 "$what: status ($(head -c 300 "$q/$i.err"))"
                        reference[$scenario]=$q/$i.a
                fi
                ref=${reference[$scenario]:-}
                [ -n "$ref" ] || fail "$what: no clean run before it"
                changed=0
                cmp -s <(grep "^$ENTRY_ROOT/" "$q/$i.b") <(grep "^$ENTRY_ROOT/" "$q/$i.a") || changed=1
                triggers=$(fault_triggers_of "$i")
                if [ "$rc" -eq 0 ]; then
                        diff -u "$ref" "$q/$i.a" >&2 || fail "$what: succeeded, but not with the clean run's store"
                        [ "$FAULT_NO_TRIGGER" = 1 ] ||
                                assert_eq "$triggers" "$changed" "$what: triggers (entries changed: $changed)"
                else
                        assert_eq "$rc" 1 "$what: status"
                        [ -s "$q/$i.err" ] || fail "$what: failed without a message"
                        if [ "$FAULT_STORE" = qubesdb ]; then
                                fault_check_qubesdb_failure "$what" "$i" "$ref" "$ignore"
                        else
                                diff -u "$q/$i.b" "$q/$i.a" >&2 || fail "$what: failed, but the store changed"
                                [ "$FAULT_NO_TRIGGER" = 1 ] || assert_eq "$triggers" 0 "$what: triggers"
                        fi
                fi
                [ ! -s "$q/$i.out" ] || fail "$what: wrote to stdout"
                [ "$FAULT_STORE" = qubesdb ] && [ "$rc" -ne 0 ] || assert_entries_whole "$what" "$q/$i.after"
                assert_no_leak "$what"
                FAULT_FAILED=$((${FAULT_FAILED:-0} + (rc != 0)))
                CASES=$((CASES + 1))
        done
        rm -rf "$q"
        FAULT_N=0
}
