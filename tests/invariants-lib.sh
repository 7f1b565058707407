# invariants-lib.sh: what must hold after any run of a helper, whatever it
# was given or whatever failed under it (sourced after lib.sh). Used by the
# bad-input, fault and stress tests.
#
# A case runs a helper with stdout in $SCRATCH/out and stderr in
# $SCRATCH/err, between two dumps of the whole store (store_dump of
# store-lib.sh: on QubesDB the xenstore tree too); check_case
# then asserts: no crash (signal or sanitizer report), the exit status, a
# message (or the given one) on stderr, nothing on stdout, bounded lines, a
# tree changed only in the entries the case may change, those entries whole,
# and no loop device on the scratch dir but the test's own.
#
# Set by the test file:
#   ENTRY_ROOT    the subtree of the entries (qubes-block-devices, ...)
#   ENTRY_KEYS    an entry's keys, sorted, space-separated
#   entry_forms_ok DUMP NAME   optional: the values' forms (fail when wrong)
#   OWN_LOOPS     the loop devices the test made itself ("/dev/loopN " each)

. "$TESTS_DIR/store-lib.sh"

OWN_LOOPS=
CASES=0

tree_dump() { store_dump "$1"; }

# dump_value DUMP PATH: PATH's value as the dump has it (non-printable bytes
# and '\' escaped), fails when PATH is not in it.
dump_value() {
        P="$2=" awk 'index($0, ENVIRON["P"]) == 1 { print substr($0, length(ENVIRON["P"]) + 1); found = 1; exit }
                     END { exit !found }' "$1"
}

# dump_keys DUMP NAME: the keys of entry NAME, sorted, space-separated.
dump_keys() {
        local prefix="$ENTRY_ROOT/$2/"
        grep -F -- "$prefix" "$1" | while IFS= read -r line; do
                line=${line%%=*}
                [ "${line#"$prefix"}" != "$line" ] || continue
                line=${line#"$prefix"}
                case $line in */*) ;; *) echo "$line" ;; esac
        done | sort | tr '\n' ' '
}

# assert_no_crash WHAT RC: the helper ended by itself and no sanitizer spoke.
assert_no_crash() {
        [ "$2" -lt 128 ] || fail "$1: killed by signal $(($2 - 128)): $(head -c 400 "$SCRATCH/err")"
        if grep -qE 'Sanitizer|runtime error:' "$SCRATCH/err"; then
                fail "$1: sanitizer report: $(grep -m3 -E 'Sanitizer|runtime error:' "$SCRATCH/err")"
        fi
}

# assert_entry_whole WHAT NAME [DUMP]: exactly ENTRY_KEYS, in their forms.
assert_entry_whole() {
        local dump=${3:-$SCRATCH/tree.after}
        assert_eq "$(dump_keys "$dump" "$2")" "$ENTRY_KEYS" "$1: keys of $ENTRY_ROOT/$2"
        if declare -F entry_forms_ok >/dev/null; then
                entry_forms_ok "$dump" "$2" || fail "$1: entry $2 is not in the forms dom0 reads"
        fi
}

# assert_tree_change WHAT NAMES BEFORE AFTER: AFTER is BEFORE apart from the
# entries NAMES (space-separated; "-" for none) and the trigger; "!NAME":
# that entry must be gone, otherwise it must be whole.
assert_tree_change() {
        local what=$1 names=$2 before=$3 after=$4 n
        if [ "$names" = - ]; then
                diff -u "$before" "$after" >&2 || fail "$what: the store changed"
                return 0
        fi
        local plain=${names//!/}
        local keep="^$ENTRY_ROOT(/(${plain// /|})(/[a-z-]+)?)?="
        diff -u <(grep -Ev "$keep" "$before") <(grep -Ev "$keep" "$after") >&2 ||
                fail "$what: nodes other than the entries $plain changed"
        for n in $names; do
                if [[ $n == !* ]]; then
                        ! grep -q -F -- "$ENTRY_ROOT/${n#!}=" "$after" || fail "$what: entry ${n#!} is still there"
                else
                        assert_entry_whole "$what" "$n" "$after"
                fi
        done
}

assert_no_leak() {      # WHAT
        # (both sorted: the numbers the kernel gives need not grow)
        assert_eq "$(loops_backed_by "$SCRATCH" | sort | tr '\n' ' ')" \
                "$(printf '%s\n' $OWN_LOOPS | grep . | sort | tr '\n' ' ')" "$1: loop devices on the scratch dir"
}

# check_case WHAT WANT-RC MESSAGE CHANGE RC [BEFORE AFTER]: the invariants
# after one case. MESSAGE must be on stderr; with "" a failure must still say
# something. CHANGE as for assert_tree_change. BEFORE/AFTER default to
# $SCRATCH/tree.before and a fresh dump.
check_case() {
        local what=$1 want=$2 message=$3 change=$4 rc=$5
        local before=${6:-$SCRATCH/tree.before} after=${7:-$SCRATCH/tree.after}
        [ -n "${7:-}" ] || tree_dump "$after"
        assert_no_crash "$what" "$rc"
        assert_eq "$rc" "$want" "$what: exit status (stderr: $(head -c 300 "$SCRATCH/err"))"
        if [ -n "$message" ]; then
                assert_contains "$(head -c 2000 "$SCRATCH/err")" "$message" "$what: stderr"
        elif [ "$want" -ne 0 ]; then
                [ -s "$SCRATCH/err" ] || fail "$what: failed without a message"
        fi
        [ ! -s "$SCRATCH/out" ] || fail "$what: wrote to stdout: $(head -c 200 "$SCRATCH/out")"
        # messages are bounded (log.c cuts them at 1 KiB), whatever the input
        [ "$(wc -L <"$SCRATCH/err")" -le 1100 ] || fail "$what: a line of $(wc -L <"$SCRATCH/err") bytes on stderr"
        assert_tree_change "$what" "$change" "$before" "$after"
        assert_no_leak "$what"
        CASES=$((CASES + 1))
}

report_cases() { echo "  $CASES cases" >&2; }

# expect_matches WHAT VALUE EXPECTED: VALUE is EXPECTED, or begins with it
# when EXPECTED ends in '*' (compared literally: dumps are full of '\').
expect_matches() {
        local v=$2 e=$3
        if [[ $e == *\* ]]; then
                e=${e%\*}
                [ "${v:0:${#e}}" = "$e" ] || fail "$1 is '${v:0:300}', expected '$e...'"
        else
                [ "$v" = "$e" ] || fail "$1 is '${v:0:300}', expected '$e'"
        fi
}
