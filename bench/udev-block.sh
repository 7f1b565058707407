#!/usr/bin/env bash
# udev-block.sh: per-event time of udev-block-add-change on a real loop device
# publishing through xenstore and through QubesDB, next to exec'ing
# /bin/true and the floor (event-floor.c: the facts every entry needs and
# one xenstore request, nothing checked), in one hyperfine run, and its peak
# RSS. Two events: a change whose entry is already equal (the common case:
# reads only) and an add that writes the entry and the trigger. Run inside
# tests/with-store with QXD_TEST_STORE=qubesdb (both test servers). The
# helper runs in a mount namespace whose runtime dir (/run/qubes, on tmpfs
# as on a real system) holds QubesDB's socket before each QubesDB run and
# not before each xenstore one (hyperfine's --prepare, not timed): the
# choice is the helper's own, as in a Qubes qube and on a plain Xen host.
set -euo pipefail
: "${BUILD_DIR:?}" "${TESTS_DIR:?}" "${XENSTORED_PATH:?run me under tests/with-store}"
: "${QDB_TEST_SERVER_DIR:?run me under QXD_TEST_STORE=qubesdb tests/with-store}"
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d /tmp/qxd-bench.XXXXXX)
run=$(mktemp -d /dev/shm/qxd-bench-run.XXXXXX)
loop=
cleanup() { [ -z "$loop" ] || losetup -d "$loop"; rm -rf "$work" "$run"; }
trap cleanup EXIT

setting() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD_DIR/CMakeCache.txt"; }
socket=$(realpath -m "$(setting QUBES_QUBESDB_SOCKET)")
[ "${socket%/*}" = "$(realpath -m "$(setting QUBES_RUNTIME_DIR)")" ] ||
        { echo "udev-block.sh: QUBES_QUBESDB_SOCKET is not in QUBES_RUNTIME_DIR" >&2; exit 1; }
ln -s "$run" "$work/run"
offer="ln -sfn $QDB_TEST_SERVER_DIR/qubesdb.sock $run/${socket##*/}"
withdraw="rm -f $run/${socket##*/}"
# in_ns CMD...: CMD with $work/run as the runtime dir (and /sys as it is)
in_ns() { "$TESTS_DIR/with-test-sys" --run-only "$work" "$@"; }

truncate -s 64M "$work/disk.img"
loop=$(losetup --find --show "$work/disk.img")
name=${loop#/dev/}
export SUBSYSTEM=block DEVNAME=$loop DEVPATH=/devices/virtual/block/$name \
       DEVTYPE=disk MAJOR=7 MINOR=${name#loop}
helper=$BUILD_DIR/bin/udev-block-add-change
# the entry exists in both stores: the change events find it equal
ACTION=add in_ns sh -c "$withdraw && $helper && $offer && $helper"

ACTION=change in_ns hyperfine -N --warmup 20 --runs "${EVENT_RUNS:-300}" --export-json "$work/t.json" \
        --prepare "$withdraw" --command-name true /bin/true \
        --prepare "$withdraw" --command-name event-floor "$BUILD_DIR/bin/event-floor" \
        --prepare "$withdraw" --command-name udev-block.change "$helper" \
        --prepare "$offer" --command-name udev-block.change.qubesdb "$helper" >&2
hyperfine_medians "$work/t.json"
# the add that writes: the entry is removed before each run (not timed)
ACTION=add in_ns hyperfine -N --warmup 5 --runs "${EVENT_RUNS:-300}" --export-json "$work/a.json" \
        --prepare "sh -c '$withdraw && xenstore-rm qubes-block-devices/$name'" \
        --command-name udev-block.add "$helper" \
        --prepare "sh -c '$offer && qdb-tool rm /qubes-block-devices/$name/'" \
        --command-name udev-block.add.qubesdb "$helper" >&2
hyperfine_medians "$work/a.json"
# peak_rss_ns NAME PREPARE COMMAND...: peak_rss, in the namespace
peak_rss_ns() {
        local name=$1 prepare=$2 kib
        shift 2
        kib=$(in_ns sh -c "$prepare && exec /usr/bin/time -f %M \"\$@\"" - "$@" 2>&1 >/dev/null | tail -n 1)
        echo "RSS $name $kib"
}
ACTION=change peak_rss_ns udev-block-add-change "$withdraw" "$helper"
ACTION=change peak_rss_ns udev-block-add-change.qubesdb "$offer" "$helper"
ACTION=remove peak_rss_ns udev-block-remove "$withdraw" "$BUILD_DIR/bin/udev-block-remove"
peak_rss true /bin/true
