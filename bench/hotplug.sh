#!/usr/bin/env bash
# hotplug.sh: qubes-block's add and remove of an image file, each timed on
# its own (no shell in the measure), in alternation with its floor
# (bench/floor-helper.c: a C helper that only makes the loop and writes the
# nodes, as Qubes' own helper does, with no check at all) and /bin/true;
# then add+remove through a shell next to Xen's shell `block` script. Same
# file, same xenstore test server. Then, for qubes-block and the floor: the
# syscalls of an add and a remove (strace -c) and the shared libraries each
# maps (every .so it opens, dlopen included). Run inside tests/with-xenstore.
set -euo pipefail
: "${BUILD_DIR:?}" "${XENSTORED_PATH:?run me under tests/with-xenstore}"
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d /tmp/qxd-bench.XXXXXX)
cleanup() {
        local l
        for l in $(losetup -j "$work/disk.img" 2>/dev/null | cut -d: -f1); do losetup -d "$l"; done
        rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM
qb=$BUILD_DIR/bin/qubes-block
floor=$BUILD_DIR/bin/floor-helper
xen=/etc/xen/scripts/block
img=$work/disk.img
truncate -s 64M "$img"
vbd=/local/domain/0/backend/vbd/5/51712
export XENBUS_PATH=backend/vbd/5/51712 XENBUS_TYPE=vbd XENBUS_BASE_PATH=backend

# libxl's nodes before the script runs (Xen's script wants type=file for
# an image, ours reads only params and mode)
nodes() {
        echo "xenstore-rm $vbd 2>/dev/null; xenstore-write $vbd/params $img $vbd/mode w $vbd/type $1 $vbd/frontend-id 5 $vbd/online 1 $vbd/state 2"
}
# before an add: the previous run's device removed by PROGRAM, fresh nodes
before_add() { echo "$1 remove </dev/null >/dev/null 2>&1; $(nodes phy)"; }
# before a remove: the previous run's device removed (an add's, when the
# add runs came just before), fresh nodes and PROGRAM's add
before_remove() { echo "$1 remove </dev/null >/dev/null 2>&1; $(nodes phy) && $1 add </dev/null"; }

# in alternation (bench/alternate.c): the two programs differ by less than
# the machine drifts over a run of one of them
"$BUILD_DIR/bin/alternate" "${HOTPLUG_RUNS:-300}" \
        hotplug.true true /bin/true \
        floor.add "$(before_add "$floor")" "$floor add" \
        floor.remove "$(before_remove "$floor")" "$floor remove" \
        qubes-block.add "$(before_add "$qb")" "$qb add" \
        qubes-block.remove "$(before_remove "$qb")" "$qb remove"
"$qb" remove </dev/null
# the last qubes-block remove left nothing; Xen's script, through a shell as
# libxl runs it, with qubes-block the same way
hyperfine --warmup 2 --runs "${XEN_BLOCK_RUNS:-20}" --export-json "$work/x.json" \
        --prepare "$(nodes phy)" --command-name qubes-block.add+remove "$qb add </dev/null && $qb remove </dev/null" \
        --prepare "$(nodes file)" --command-name xen-block.add+remove "$xen add </dev/null && $xen remove </dev/null" >&2
hyperfine_medians "$work/x.json"

# syscalls and libraries of one add and one remove
for prog in qubes-block floor; do
        path=$qb
        [ "$prog" = floor ] && path=$floor
        eval "$(nodes phy)"
        for cmd in add remove; do
                strace -f -qq -c -o "$work/$prog.$cmd.sc" "$path" "$cmd" </dev/null
        done
        eval "$(nodes phy)"
        strace -f -qq -e trace=openat -o "$work/$prog.open" "$path" add </dev/null
        "$path" remove </dev/null
        echo "SYSCALLS $prog.add+remove $(awk '$NF == "total" { n += $(NF-2) } END { print n }' \
                "$work/$prog.add.sc" "$work/$prog.remove.sc")"
        echo "LIBS $prog $(grep -v '= -1 ' "$work/$prog.open" | grep -oE '"[^"]*\.so[^"]*"' |
                sed 's|.*/||; s|"||g' | grep -v '^ld.so.cache$' | sort -u | tr '\n' ' ')"
done
strace -f -qq -c -o "$work/true.sc" /bin/true
echo "SYSCALLS true $(awk '$NF == "total" { print $(NF-2) }' "$work/true.sc")"
strace -f -qq -e trace=openat -o "$work/true.open" /bin/true
echo "LIBS true $(grep -v '= -1 ' "$work/true.open" | grep -oE '"[^"]*\.so[^"]*"' | sed 's|.*/||; s|"||g' |
        grep -v '^ld.so.cache$' | sort -u | tr '\n' ' ')"

# peak RSS of each command of the helper
eval "$(nodes phy)"
peak_rss qubes-block.add "$qb" add
peak_rss qubes-block.remove "$qb" remove
if losetup -j "$img" | grep -q .; then echo "bench/hotplug.sh: a loop device was left" >&2; exit 1; fi
