#!/usr/bin/env bash
# udev-block.sh: per-event time of udev-block-add-change on a real loop device
# next to exec'ing /bin/true, in one hyperfine run, and its peak RSS. Two
# events: a change whose entry is already equal (the common case: reads only)
# and an add that writes the entry and the trigger. Run inside
# tests/with-xenstore.
set -euo pipefail
: "${BUILD_DIR:?}" "${XENSTORED_PATH:?run me under tests/with-xenstore}"
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d /tmp/qxd-bench.XXXXXX)
loop=
cleanup() { [ -z "$loop" ] || losetup -d "$loop"; rm -rf "$work"; }
trap cleanup EXIT

truncate -s 64M "$work/disk.img"
loop=$(losetup --find --show "$work/disk.img")
name=${loop#/dev/}
export SUBSYSTEM=block DEVNAME=$loop DEVPATH=/devices/virtual/block/$name \
       DEVTYPE=disk MAJOR=7 MINOR=${name#loop}
helper=$BUILD_DIR/bin/udev-block-add-change
ACTION=add "$helper"    # the entry exists: the change events find it equal

ACTION=change hyperfine -N --warmup 20 --runs "${EVENT_RUNS:-300}" --export-json "$work/t.json" \
        --command-name true /bin/true \
        --command-name udev-block.change "$helper" >&2
hyperfine_medians "$work/t.json"
# the add that writes: the entry is removed before each run (not timed)
ACTION=add hyperfine --warmup 5 --runs "${EVENT_RUNS:-300}" --export-json "$work/a.json" \
        --prepare "xenstore-rm qubes-block-devices/$name" \
        --command-name udev-block.add "$helper" >&2
hyperfine_medians "$work/a.json"
ACTION=change peak_rss udev-block-add-change "$helper"
ACTION=remove peak_rss udev-block-remove "$BUILD_DIR/bin/udev-block-remove"
peak_rss true /bin/true
