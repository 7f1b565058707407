#!/usr/bin/env bash
# hotplug.sh: one add+remove of an image file by qubes-block, next to its
# floor (bench/floor-helper.c: a C helper that only makes the loop and writes
# the nodes, as Qubes' own helper does, with no check at all), Xen's shell
# `block` script and exec'ing /bin/true, same file, same xenstore test
# server, in one hyperfine run. Then, for qubes-block and the floor: the
# syscalls of an add and of a remove (strace -c) and the shared libraries
# each maps (every .so it opens, dlopen included). Run inside
# tests/with-xenstore.
set -euo pipefail
: "${BUILD_DIR:?}" "${XENSTORED_PATH:?run me under tests/with-xenstore}"
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d /tmp/qxd-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
qb=$BUILD_DIR/bin/qubes-block
floor=$BUILD_DIR/bin/floor-helper
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
        --prepare "$(prepare phy)" --command-name hotplug.true "/bin/true && /bin/true" \
        --prepare "$(prepare phy)" --command-name floor.add+remove \
        "$env $floor add </dev/null && $env $floor remove </dev/null" \
        --prepare "$(prepare phy)" --command-name qubes-block.add+remove \
        "$env $qb add </dev/null && $env $qb remove </dev/null" \
        --prepare "$(prepare file)" --command-name xen-block.add+remove \
        "$env $xen add </dev/null && $env $xen remove </dev/null" >&2
hyperfine_medians "$work/t.json"

# syscalls and libraries of one add and one remove
for prog in qubes-block floor; do
        path=$qb
        [ "$prog" = floor ] && path=$floor
        eval "$(prepare phy)"
        for cmd in add remove; do
                env XENBUS_PATH=backend/vbd/5/51712 strace -f -qq -c -o "$work/$prog.$cmd.sc" "$path" "$cmd" </dev/null
        done
        eval "$(prepare phy)"
        env XENBUS_PATH=backend/vbd/5/51712 strace -f -qq -e trace=openat -o "$work/$prog.open" "$path" add </dev/null
        env XENBUS_PATH=backend/vbd/5/51712 "$path" remove </dev/null
        echo "SYSCALLS $prog.add+remove $(awk '$NF == "total" { n += $(NF-2) } END { print n }' \
                "$work/$prog.add.sc" "$work/$prog.remove.sc")"
        echo "LIBS $prog $(grep -v '= -1 ' "$work/$prog.open" | grep -oE '"[^"]*\.so[^"]*"' |
                sed 's|.*/||; s|"||g' | grep -v '^ld.so.cache$' | sort -u | tr '\n' ' ')"
done
syscalls_true=$(strace -f -qq -c -o "$work/true.sc" /bin/true; awk '$NF == "total" { print $(NF-2) }' "$work/true.sc")
echo "SYSCALLS true $syscalls_true"

# peak RSS of each command of the helper
eval "$(prepare phy)"
peak_rss qubes-block.add env XENBUS_PATH=backend/vbd/5/51712 "$qb" add
peak_rss qubes-block.remove env XENBUS_PATH=backend/vbd/5/51712 "$qb" remove
if losetup -j "$img" | grep -q .; then echo "bench/hotplug.sh: a loop device was left" >&2; exit 1; fi
