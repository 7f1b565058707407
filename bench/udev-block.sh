#!/usr/bin/env bash
# udev-block.sh: per-event time of udev-block-add-change on a real loop device
# next to exec'ing /bin/true, in one hyperfine run, and its peak RSS. Run as
# root inside tests/with-xenstore (BUILD_DIR set; a release build is fairer):
#
#   BUILD_DIR=$PWD/build tests/with-xenstore bash bench/udev-block.sh
set -euo pipefail
: "${BUILD_DIR:?}" "${XENSTORED_PATH:?run me under tests/with-xenstore}"
work=$(mktemp -d /tmp/qxd-bench.XXXXXX)
loop=
cleanup() { [ -z "$loop" ] || losetup -d "$loop"; rm -rf "$work"; }
trap cleanup EXIT

truncate -s 64M "$work/disk.img"
loop=$(losetup --find --show "$work/disk.img")
name=${loop#/dev/}
export ACTION=change SUBSYSTEM=block DEVNAME=$loop DEVPATH=/devices/virtual/block/$name \
       DEVTYPE=disk MAJOR=7 MINOR=${name#loop} QUBES_TEST_RUNTIME_DIR=$work/run
helper=$BUILD_DIR/bin/udev-block-add-change
"$helper"       # the entry exists: every measured event is the common "nothing changed"

hyperfine -N --warmup 20 --runs 200 --export-markdown "$work/times.md" --export-json "$work/times.json" \
        /bin/true "$helper" >/dev/null
cat "$work/times.md"
# medians too: a shared machine's outliers pull the means up
python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("median %-50s %.2f ms" % (r["command"], r["median"] * 1000))' "$work/times.json"
/usr/bin/time -v "$helper" 2>&1 | sed -n 's/^\tMaximum resident set size (kbytes): /peak RSS (KiB): /p'
/usr/bin/time -v /bin/true 2>&1 | sed -n 's/^\tMaximum resident set size (kbytes): /peak RSS of \/bin\/true (KiB): /p'
