#!/usr/bin/env bash
# scaling.sh: per-event cost with 1, 64 and 256 loop devices present (each
# published in qubes-block-devices), for a udev change event and for a
# hotplug add+remove; neither may grow with the number of devices.
# Run inside tests/with-xenstore.
set -euo pipefail
: "${BUILD_DIR:?}" "${XENSTORED_PATH:?run me under tests/with-xenstore}"
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d /tmp/qxd-bench.XXXXXX)
loops=()
cleanup() {
        local l
        for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
        rm -rf "$work"
}
trap cleanup EXIT
helper=$BUILD_DIR/bin/udev-block-add-change
qb=$BUILD_DIR/bin/qubes-block

publish() {             # /dev/loopN
        local name=${1#/dev/}
        env ACTION=add SUBSYSTEM=block DEVNAME="$1" DEVPATH=/devices/virtual/block/$name \
            DEVTYPE=disk MAJOR=7 MINOR="${name#loop}" "$helper"
}

grow_to() {             # N: loop devices present (made by us)
        local f
        while [ ${#loops[@]} -lt "$1" ]; do
                f=$work/img.${#loops[@]}
                truncate -s 1M "$f"
                loops+=("$(losetup --find --show "$f")")
                publish "${loops[-1]}"
        done
}

truncate -s 64M "$work/hot.img"
vbd=/local/domain/0/backend/vbd/5/51712
for n in 1 64 256; do
        grow_to "$n"
        probe=${loops[0]} name=${loops[0]#/dev/}
        hyperfine -N --warmup 10 --runs "${SCALING_RUNS:-100}" --export-json "$work/u$n.json" \
                --command-name "udev-block.change@$n" \
                "env ACTION=change SUBSYSTEM=block DEVNAME=$probe DEVPATH=/devices/virtual/block/$name DEVTYPE=disk MAJOR=7 MINOR=${name#loop} $helper" >&2
        hyperfine_medians "$work/u$n.json"
        hyperfine --warmup 2 --runs "${HOTPLUG_RUNS:-20}" --export-json "$work/h$n.json" \
                --prepare "xenstore-rm $vbd 2>/dev/null; xenstore-write $vbd/params $work/hot.img $vbd/mode w" \
                --command-name "qubes-block.add+remove@$n" \
                "XENBUS_PATH=backend/vbd/5/51712 $qb add </dev/null && XENBUS_PATH=backend/vbd/5/51712 $qb remove </dev/null" >&2
        hyperfine_medians "$work/h$n.json"
done
