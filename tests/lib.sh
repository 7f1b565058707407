# lib.sh: scenario test harness for the shell tests (sourced, bash).
#
# A test file defines functions named test_*; `run_tests` runs each in a
# subshell with `set -e`, prints PASS/FAIL per test and ends with
# "N passed, M failed". Helpers below fail the current test with a message.
#
# Environment (set by ctest, see tests/CMakeLists.txt):
#   BUILD_DIR   the build tree (programs are in $BUILD_DIR/bin)
#   TESTS_DIR   this directory

set -u
: "${BUILD_DIR:?BUILD_DIR must be set}"
: "${TESTS_DIR:?TESTS_DIR must be set}"
BIN="$BUILD_DIR/bin"

fail() {
        echo "  FAILED: $*" >&2
        exit 1
}

# skip REASON: this machine cannot show the behaviour; reported as SKIP (and
# counted) rather than passing unseen.
skip() {
        echo "  SKIPPED: $*" >&2
        exit 77
}

assert_eq() {           # actual expected [what]
        [ "$1" = "$2" ] || fail "${3:-value} is '$1', expected '$2'"
}

assert_contains() {     # haystack needle [what]
        case "$1" in
        *"$2"*) ;;
        *) fail "${3:-output} '$1' does not contain '$2'" ;;
        esac
}

# xs_read PATH: the literal value (no escaping, no newline added), fails if missing.
xs_read() { xenstore-read -R "$1"; }
# xs_exists PATH: status only.
xs_exists() { xenstore-read -R "$1" >/dev/null 2>&1; }
xs_write() { xenstore-write -R "$1" "$2"; }
assert_xs() {           # path expected
        local v
        v=$(xenstore-read -R "$1" 2>/dev/null) || fail "xenstore node $1 is missing"
        [ "$v" = "$2" ] || fail "xenstore $1 is '$v', expected '$2'"
}
assert_no_xs() {        # path
        if xenstore-read -R "$1" >/dev/null 2>&1; then
                fail "xenstore node $1 exists ('$(xenstore-read -R "$1")'), expected none"
        fi
}

# watch_until_marker ROOT PID: write ROOT/qxd-marker, wait for the watch PID
# (on ROOT, logging to $SCRATCH/watch.log) to report it, stop the watch and
# remove the marker.
watch_until_marker() {
        xenstore-write "$1/qxd-marker" "" || fail "cannot write $1/qxd-marker"
        for _ in $(seq 100); do
                grep -qx "$1/qxd-marker" "$SCRATCH/watch.log" 2>/dev/null && break
                sleep 0.05
        done
        kill "$2" 2>/dev/null; wait "$2" 2>/dev/null || true
        xenstore-rm "$1/qxd-marker"
        grep -qx "$1/qxd-marker" "$SCRATCH/watch.log" || fail "the watch never reported $1/qxd-marker"
}

# project_version: the one version, from CMakeLists.txt's project().
project_version() {
        sed -n 's/^project(qubes-xen-devices VERSION \([0-9][0-9.]*\)$/\1/p' "$TESTS_DIR/../CMakeLists.txt"
}

# Per-test scratch directory, removed after the test. Loop devices whose
# backing file lives in it are detached afterwards and count as leaks.
new_scratch() {
        SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/qxd-test.XXXXXX")
}

# loops_backed_by DIR: loop devices whose backing file is under DIR.
loops_backed_by() {
        local d=$1 f
        for f in /sys/block/loop*/loop/backing_file; do
                [ -r "$f" ] || continue
                case "$(cat "$f" 2>/dev/null)" in
                "$d"/*) f=${f#/sys/block/}; echo "/dev/${f%%/*}" ;;
                esac
        done
}

assert_no_loops_in() {  # dir
        local l
        l=$(loops_backed_by "$1")
        [ -z "$l" ] || fail "leaked loop devices: $l"
}

cleanup_scratch() {
        local l
        [ -n "${SCRATCH:-}" ] || return 0
        # processes a test started in the background (listed in .kill), first
        for l in $(cat "$SCRATCH/.kill" 2>/dev/null); do
                kill -KILL "$l" 2>/dev/null || continue
                wait "$l" 2>/dev/null || true
        done
        # a swap file a test turned on must not outlive it
        for l in $(awk -v d="$SCRATCH/" 'index($1, d) == 1 { print $1 }' /proc/swaps 2>/dev/null); do
                swapoff "$l" 2>/dev/null || true
        done
        # and the loops a test listed itself (their backing path may be unreadable)
        for l in $(loops_backed_by "$SCRATCH") $(cat "$SCRATCH/.detach" 2>/dev/null); do
                losetup -d "$l" 2>/dev/null || true
        done
        mountpoint -q "$SCRATCH/mnt" 2>/dev/null && umount "$SCRATCH/mnt"
        rm -rf "$SCRATCH"
}

# Give each test the tree a fresh server has: every node under the dom0 home
# that an earlier test made is removed.
xs_reset_home() {
        local child
        [ -n "${XENSTORED_PATH:-}" ] || return 0
        for child in $(xenstore-list /local/domain/0 2>/dev/null); do
                xenstore-rm "/local/domain/0/$child"
        done
}

run_tests() {
        local passed=0 failed=0 skipped=0 rc t only="${1:-}"
        for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
                [ -z "$only" ] || [ "$t" = "$only" ] || continue
                # Not inside `if`: bash ignores set -e in a condition.
                if declare -F store_reset >/dev/null; then store_reset; else xs_reset_home; fi
                ( set -e; SCRATCH=; trap cleanup_scratch EXIT; "$t" )
                rc=$?
                # what must hold after every test of the file (store-lib.sh)
                if [ $rc -eq 0 ] && declare -F after_each_test >/dev/null; then
                        after_each_test || rc=1
                fi
                if [ $rc -eq 0 ]; then
                        echo "PASS $t"; passed=$((passed + 1))
                elif [ $rc -eq 77 ]; then
                        echo "SKIP $t"; skipped=$((skipped + 1))
                else
                        echo "FAIL $t"; failed=$((failed + 1))
                fi
        done
        echo "$passed passed, $failed failed, $skipped skipped"
        [ "$failed" -eq 0 ]
}
