#!/usr/bin/env bash
# hotplug.sh: one add+remove of an image file by qubes-block next to Xen's
# own shell `block` script (/etc/xen/scripts/block), same file, same xenstore
# test server, in one hyperfine run. Run inside tests/with-xenstore.
set -euo pipefail
: "${BUILD_DIR:?}" "${XENSTORED_PATH:?run me under tests/with-xenstore}"
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d /tmp/qxd-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
qb=$BUILD_DIR/bin/qubes-block
xen=/etc/xen/scripts/block
img=$work/disk.img
truncate -s 64M "$img"
vbd=/local/domain/0/backend/vbd/5/51712
env="XENBUS_PATH=backend/vbd/5/51712 XENBUS_TYPE=vbd XENBUS_BASE_PATH=backend"

# libxl's nodes before the script runs, fresh for every run (not timed);
# Xen's script wants type=file for an image, ours reads only params and mode
prepare() {
        echo "xenstore-rm $vbd 2>/dev/null; xenstore-write $vbd/params $img $vbd/mode w $vbd/type $1 $vbd/frontend-id 5 $vbd/online 1 $vbd/state 2"
}

runs=${HOTPLUG_RUNS:-20}
hyperfine --warmup 2 --runs "$runs" --export-json "$work/t.json" \
        --prepare "$(prepare phy)" --command-name qubes-block.add+remove \
        "$env $qb add </dev/null && $env $qb remove </dev/null" \
        --prepare "$(prepare file)" --command-name xen-block.add+remove \
        "$env $xen add </dev/null && $env $xen remove </dev/null" >&2
hyperfine_medians "$work/t.json"

# peak RSS of each command of the helper
eval "$(prepare phy)"
peak_rss qubes-block.add env XENBUS_PATH=backend/vbd/5/51712 "$qb" add
peak_rss qubes-block.remove env XENBUS_PATH=backend/vbd/5/51712 "$qb" remove
if losetup -j "$img" | grep -q .; then echo "bench/hotplug.sh: a loop device was left" >&2; exit 1; fi
