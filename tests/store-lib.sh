# store-lib.sh: the store the udev helpers publish in, for the scenario
# tests that run on both (sourced after lib.sh).
#
# QXD_TEST_STORE (set by ctest, see tests/with-store) is `xenstore` or
# `qubesdb`. On xenstore the entries live under the dom0 home
# (/local/domain/0/qubes-block-devices/NAME/KEY), on QubesDB at absolute
# paths (/qubes-block-devices/NAME/KEY): BLOCK_ROOT and USB_ROOT (block-lib.sh,
# usb-lib.sh) are spelled for the store, and the functions below read,
# write, list, dump and watch whichever it is. On QubesDB a xenstore test
# server runs too, and the dumps hold its tree (lines `xenstore:PATH=...`):
# a helper that wrote to the wrong store changes the dump.
#
# The helpers choose QubesDB when its socket exists (QUBES_QUBESDB_SOCKET,
# in the runtime dir): tests run them under with-test-sys, where the runtime
# dir is $SCRATCH/run, and store_offer_socket puts the socket there.

STORE=${QXD_TEST_STORE:-xenstore}
export STORE
case $STORE in
xenstore)
        STORE_HOME=/local/domain/0
        STORE_NAME=xenstore                     # as the helpers' messages name it
        ;;
qubesdb)
        : "${QDB_TEST_SERVER_DIR:?QDB_TEST_SERVER_DIR must be set: run under tests/with-store}"
        STORE_HOME=
        STORE_NAME=QubesDB
        ;;
*)
        echo "store-lib.sh: QXD_TEST_STORE '$STORE' is neither xenstore nor qubesdb" >&2
        exit 1
        ;;
esac

build_setting() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD_DIR/CMakeCache.txt"; }

# The socket's name in the runtime dir (/var/run/qubes/qubesdb.sock is
# /run/qubes/qubesdb.sock: /var/run is /run).
qdb_socket_name() {
        local socket runtime
        socket=$(realpath -m "$(build_setting QUBES_QUBESDB_SOCKET)")
        runtime=$(realpath -m "$(build_setting QUBES_RUNTIME_DIR)")
        [ "${socket%/*}" = "$runtime" ] ||
                { echo "store-lib.sh: QUBES_QUBESDB_SOCKET ($socket) is not in QUBES_RUNTIME_DIR ($runtime)" >&2; return 1; }
        echo "${socket##*/}"
}
QDB_SOCKET_NAME=$(qdb_socket_name) || exit 1

# store_offer_socket: on QubesDB, the test server's socket where the
# helpers look for the daemon's ($SCRATCH/run, the runtime dir under
# with-test-sys). On xenstore nothing: no socket, so they take xenstore.
store_offer_socket() {
        [ "$STORE" = qubesdb ] || return 0
        mkdir -p "$SCRATCH/run"
        ln -sfn "$QDB_TEST_SERVER_DIR/qubesdb.sock" "$SCRATCH/run/$QDB_SOCKET_NAME"
}

# store_only STORE WHY: the test is about STORE alone; a SKIP on the other.
store_only() {
        [ "$STORE" = "$1" ] || skip "$1 only: $2"
}

# store_read PATH: the literal value (no escaping), fails if missing.
store_read() {
        case $STORE in
        xenstore) xenstore-read -R "$1" ;;
        qubesdb) qdb-tool read "$1" ;;
        esac
}

# store_exists PATH: PATH has a value, or something below it has.
store_exists() {
        case $STORE in
        xenstore) xenstore-read -R "$1" >/dev/null 2>&1 ;;
        qubesdb) qdb-tool read "$1" >/dev/null 2>&1 || [ -n "$(qdb-tool list "$1/" 2>/dev/null)" ] ;;
        esac
}

# store_write PATH VALUE [PATH VALUE...]: literal values.
store_write() {
        case $STORE in
        xenstore) xenstore-write -R "$@" ;;
        qubesdb)
                while [ $# -ge 2 ]; do
                        qdb-tool write "$1" "$2" || return 1
                        shift 2
                done
                ;;
        esac
}

# store_rm PATH...: PATH and everything below it; a missing one is fine.
store_rm() {
        local p
        for p in "$@"; do
                case $STORE in
                xenstore) xenstore-rm "$p" 2>/dev/null || true ;;
                qubesdb)
                        qdb-tool rm "$p/" 2>/dev/null || true
                        qdb-tool rm "$p" 2>/dev/null || true
                        ;;
                esac
        done
}

# store_list PATH: the names of the children of PATH, one a line, in byte
# order (none when PATH has none).
store_list() {
        case $STORE in
        xenstore) xenstore-list "$1" 2>/dev/null || true ;;
        qubesdb)
                qdb-tool list "$1/" 2>/dev/null | P="$1/" awk '{ print substr($0, length(ENVIRON["P"]) + 1) }' |
                        sed 's|/.*||' | LC_ALL=C sort -u
                ;;
        esac
}

assert_store() {        # PATH EXPECTED
        local v
        v=$(store_read "$1" 2>/dev/null) || fail "$STORE_NAME: $1 is missing"
        [ "$v" = "$2" ] || fail "$STORE_NAME: $1 is '$v', expected '$2'"
}

assert_no_store() {     # PATH: no value there, nothing below
        if store_exists "$1"; then
                fail "$STORE_NAME: $1 exists, expected nothing there ($(store_list "$1" | tr '\n' ' '))"
        fi
}

# store_dump FILE: every node of the store, one `PATH=VALUE` line each in
# byte order, values escaped as the servers' dumps escape them (`\` as
# `\\`, bytes outside 0x20..0x7e as `\xNN`). On QubesDB, the xenstore
# tree follows, each line prefixed `xenstore:`.
store_dump() {
        case $STORE in
        xenstore) xenstore-control dump "$1" >/dev/null ;;
        qubesdb)
                qdb-test-control dump >"$1" || return 1
                xenstore-control dump "$1.xs" >/dev/null || return 1
                sed 's/^/xenstore:/' "$1.xs" >>"$1"
                rm -f "$1.xs"
                ;;
        esac
}

# The queued runners of the bad-input and fault tests are bash of their own
# (inside a test bed, past umockdev-wrapper's /bin/sh, which drops exported
# functions): they begin with these definitions. There umockdev's preload
# library comes first, which the tools of an ASan build accept only so.
# shellcheck disable=SC2016
STORE_RUNNER_FUNCS='export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
'"$(declare -f store_dump store_write store_rm)"

# store_reset: the store as a fresh server has it (run before each test).
store_reset() {
        case $STORE in
        xenstore) xs_reset_home ;;
        qubesdb)
                xs_reset_home
                qdb-tool rm / 2>/dev/null || true
                ;;
        esac
}

# after_each_test (run_tests): on QubesDB, nothing reached xenstore's
# subtrees; the helpers chose the store the test offered.
after_each_test() {
        local sub
        [ "$STORE" = qubesdb ] || return 0
        for sub in qubes-block-devices qubes-usb-devices; do
                if xenstore-read "/local/domain/0/$sub" >/dev/null 2>&1; then
                        echo "  FAILED: a helper published in xenstore: $(xenstore-ls "/local/domain/0/$sub" | head -5 | tr '\n' ' ')" >&2
                        return 1
                fi
        done
}

# unreachable_store CMD...: CMD while the store's daemon is gone: xenstore's
# socket missing; on QubesDB its socket there, but nobody listening on it
# (the daemon died): with no socket at all the helpers take xenstore.
unreachable_store() {
        local rc=0
        case $STORE in
        xenstore) XENSTORED_PATH=$SCRATCH/no-such-socket "$@" || rc=$? ;;
        qubesdb)
                rm -f "$SCRATCH/dead.sock"
                python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SCRATCH/dead.sock"
                ln -sfn "$SCRATCH/dead.sock" "$SCRATCH/run/$QDB_SOCKET_NAME"
                "$@" || rc=$?
                store_offer_socket
                ;;
        esac
        return "$rc"
}

# ------------------------------------------------------------- triggers

# store_watch_start ROOT: count ROOT's triggers from now on: the events on
# ROOT itself (writes below it have their own paths; on QubesDB a watch on
# exactly ROOT does not even see them).
store_watch_start() {
        WATCH_ROOT=$1
        : >"$SCRATCH/watch.log"
        case $STORE in
        xenstore)
                xenstore-write "$1" "" 2>/dev/null || true
                xenstore-watch "$1" >>"$SCRATCH/watch.log" 2>/dev/null &
                WATCH_PID=$!
                # the registration event tells the watch is in place
                for _ in $(seq 50); do
                        grep -qx "$1" "$SCRATCH/watch.log" 2>/dev/null && return 0
                        sleep 0.1
                done
                fail "xenstore-watch did not start"
                ;;
        qubesdb)
                qdb-tool -t 2147483647 watch -n 4294967295 "$1" /qxd-marker >>"$SCRATCH/watch.log" 2>/dev/null &
                WATCH_PID=$!
                # a QubesDB watch fires nothing when set: markers until one is seen
                for _ in $(seq 50); do
                        qdb-tool write /qxd-marker ""
                        grep -qx /qxd-marker "$SCRATCH/watch.log" 2>/dev/null && return 0
                        sleep 0.1
                done
                fail "qdb-tool watch did not start"
                ;;
        esac
}

# store_triggers_seen: ROOT's triggers since store_watch_start, up to a
# marker written now (events come in order: every trigger of the helpers
# that have finished is in the log before it). Stops the watch.
store_triggers_seen() {
        local n
        case $STORE in
        xenstore)
                watch_until_marker "$WATCH_ROOT" "$WATCH_PID"
                # less the registration event
                echo $(($(grep -cx "$WATCH_ROOT" "$SCRATCH/watch.log") - 1))
                ;;
        qubesdb)
                n=$(grep -cx /qxd-marker "$SCRATCH/watch.log")
                qdb-tool write /qxd-marker "" || fail "cannot write /qxd-marker"
                for _ in $(seq 100); do
                        [ "$(grep -cx /qxd-marker "$SCRATCH/watch.log")" -gt "$n" ] && break
                        sleep 0.05
                done
                kill "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null || true
                qdb-tool rm /qxd-marker
                [ "$(grep -cx /qxd-marker "$SCRATCH/watch.log")" -gt "$n" ] || fail "the watch never reported /qxd-marker"
                # between the first marker and the last
                awk -v root="$WATCH_ROOT" '
                        $0 == "/qxd-marker" { on = 1; n += pending; pending = 0; next }
                        on && $0 == root { pending++ }
                        END { print n + 0 }' "$SCRATCH/watch.log"
                ;;
        esac
}
