#!/usr/bin/env bash
# xen-devices.sh: `xen-devices block list` over 64 domains x 16 block entries
# (each with a vbd backend, so the attachment matching runs too) next to
# `xenstore-ls -f` of the same tree, in one hyperfine run, and its peak RSS.
# Run inside tests/with-xenstore (bench/run does; RESULT and RSS lines for
# it, hyperfine's tables on stderr):
#
#   BUILD_DIR=$PWD/build tests/with-xenstore bash bench/xen-devices.sh
#
# No hypervisor here, so the domain names come from xenstore, as they do on a
# dom0 without libxl. The attach/detach timings need the real hypervisor:
# tests/xen/checks/70-xen-devices.sh prints them as TIME lines.
set -euo pipefail
: "${BUILD_DIR:?}" "${XENSTORED_PATH:?run me under tests/with-xenstore}"
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
xd=$BUILD_DIR/bin/xen-devices
runs=${LIST_RUNS:-50}
domains=${LIST_DOMAINS:-64}
entries=${LIST_ENTRIES:-16}

# The tree: every domain's name and entries in one xenstore-write per domain.
for ((d = 1; d <= domains; d++)); do
        args=("/local/domain/$d/name" "vm$d")
        for ((e = 0; e < entries; e++)); do
                p=/local/domain/$d/qubes-block-devices/loop$e
                args+=("$p/desc" "/srv/images/vm$d-disk$e.img" "$p/size" "$((e + 1))048576"
                       "$p/mode" w "$p/parent" "")
        done
        # one of them attached to the next domain
        args+=("/local/domain/$d/backend/vbd/$((d % domains + 1))/51840/params" /dev/loop0
               "/local/domain/$d/backend/vbd/$((d % domains + 1))/51840/dev" xvdi
               "/local/domain/$d/backend/vbd/$((d % domains + 1))/51840/mode" w)
        xenstore-write "${args[@]}"
done
lines=$("$xd" block list | wc -l)
[ "$lines" = $((domains * entries + 1)) ] || { echo "xen-devices listed $lines lines" >&2; exit 1; }

hyperfine -N --warmup 5 --runs "$runs" --export-json /tmp/qxd-bench-xd.$$.json \
        --command-name xenstore-ls.64x16 "xenstore-ls -f /local/domain" \
        --command-name xen-devices.list.64x16 "$xd block list" \
        --command-name xen-devices.list-json.64x16 "$xd block list --json" >&2
hyperfine_medians /tmp/qxd-bench-xd.$$.json
rm -f /tmp/qxd-bench-xd.$$.json
peak_rss xen-devices.list "$xd" block list
