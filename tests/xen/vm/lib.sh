# lib.sh: helpers for the checks that run inside dom0 (sourced by bash).
#
# Each test runs in its own bash with `set -e`; `fail` ends it. Cleanups
# registered with `defer` run in reverse order when the test ends, whatever
# the outcome, so a failing test does not leave domains or loops behind.

QUBES_BLOCK=/etc/xen/scripts/qubes-block
GUEST_DIR=/qxd/guest

# The udev helpers' directory: /usr/lib/qubes by default, but it follows the
# build's configured prefix (cmake --install --prefix does not move it).
for QXD_HELPERS in /usr/lib/qubes /usr/local/lib/qubes; do
        [ -d "$QXD_HELPERS" ] && break
done

fail() {
        echo "FAILED: $*" >&2
        exit 1
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

xs_read() { xenstore-read -R "$1"; }
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

# --- cleanup and scratch ----------------------------------------------------

QXD_DEFERRED=()
defer() { QXD_DEFERRED+=("$*"); }

qxd_run_deferred() {
        local i
        set +e
        for ((i = ${#QXD_DEFERRED[@]} - 1; i >= 0; i--)); do
                eval "${QXD_DEFERRED[$i]}" >/dev/null 2>&1
        done
}

qxd_begin_test() {      # NAME: called by run-checks before the test
        SCRATCH=/tmp/qxd-$1
        rm -rf "$SCRATCH"
        mkdir -p "$SCRATCH"
        trap qxd_run_deferred EXIT
}

# wait_until SECONDS WHAT COMMAND...: poll COMMAND every 0.2 s; fail with WHAT.
# COMMAND is run again each time, but its arguments are expanded once, by the
# caller: pass a predicate function, never "$(...)" as an argument.
# Bounded by the clock, not by a count: a fork is slow under emulation.
wait_until() {
        local deadline=$((SECONDS + $1)) what=$2
        shift 2
        while [ "$SECONDS" -lt "$deadline" ]; do
                "$@" && return 0
                sleep 0.2
        done
        "$@" && return 0
        fail "timed out waiting for $what"
}

# uptime_ms: milliseconds since boot, to 10 ms (busybox's date has no %N).
uptime_ms() {
        local s
        read -r s _ </proc/uptime
        echo $((${s%.*} * 1000 + 10#${s#*.} * 10))
}

# --- files and loop devices ---------------------------------------------------

# new_file PATH SIZE_MIB: a regular file full of zeros.
new_file() {
        dd if=/dev/zero of="$1" bs=1M count="$2" 2>/dev/null
}

# loops_of FILE: loop devices whose backing file is FILE.
loops_of() {
        local f b
        for f in /sys/block/loop*/loop/backing_file; do
                [ -r "$f" ] || continue
                b=$(cat "$f" 2>/dev/null) || continue
                [ "$b" = "$1" ] || [ "$b" = "$1 (deleted)" ] || continue
                f=${f#/sys/block/}
                echo "/dev/${f%%/*}"
        done
}

assert_no_loop_for() {  # FILE
        local l
        l=$(loops_of "$1")
        [ -z "$l" ] || fail "loop devices still hold $1: $l"
}

no_loop_for() { [ -z "$(loops_of "$1")" ]; }        # FILE: a predicate

free_loops_of() {       # FILE: last-resort cleanup
        local l
        for l in $(loops_of "$1"); do losetup -d "$l"; done
}

# read_bytes DEV OFFSET COUNT: COUNT bytes at OFFSET as text (no caching).
read_bytes() {
        dd if="$1" iflag=direct bs=512 skip=$(($2 / 512)) count=1 2>/dev/null |
                head -c "$3"
}

# write_block DEV OFFSET TEXT: TEXT padded to one 512-byte block, O_DIRECT.
write_block() {
        local tmp=$SCRATCH/.block
        { printf '%s' "$3"; head -c $((512 - ${#3})) /dev/zero; } >"$tmp"
        dd if="$tmp" of="$1" oflag=direct bs=512 seek=$(($2 / 512)) count=1 conv=notrunc 2>/dev/null
}

# --- xenstore paths of virtual disks --------------------------------------------

# vdev_devid NAME: Xen's device number of xvdNAME (xvdb -> 51728).
vdev_devid() {
        local letter=${1#xvd}
        local n
        n=$(printf '%d' "'$letter")
        echo $((202 * 256 + (n - 97) * 16))
}

backend_path() {        # BACKEND_DOMID FRONTEND_DOMID VDEV
        echo "/local/domain/$1/backend/vbd/$2/$(vdev_devid "$3")"
}

frontend_path() {       # FRONTEND_DOMID VDEV
        echo "/local/domain/$1/device/vbd/$(vdev_devid "$2")"
}

domid_of() { xl domid "$1" 2>/dev/null; }

# --- guests -------------------------------------------------------------------

console_log() { echo "/var/log/xen/console/guest-$1.log"; }

# wait_console NAME SECONDS TEXT: until the guest's console shows TEXT.
wait_console() {
        local log
        log=$(console_log "$1")
        if ! wait_until "$2" "'$3' on $1's console" grep -qF -- "$3" "$log" 2>/dev/null; then
                return 1
        fi
}

show_console() {        # NAME: the guest's console, for a failure message
        echo "--- console of $1:" >&2
        tail -n 30 "$(console_log "$1")" >&2 2>/dev/null || true
}

# make_guest_disk IMAGE MARKER: an ext4 image with the guest's root file
# system; /marker holds MARKER so the check knows which disk booted.
make_guest_disk() {
        local tree=$SCRATCH/rootfs
        rm -rf "$tree"
        cp -a "$GUEST_DIR/rootfs" "$tree"
        echo "$2" >"$tree/marker"
        mke2fs -q -F -t ext4 -O ^has_journal -d "$tree" "$1" 24M >/dev/null ||
                fail "mke2fs of $1 failed"
        rm -rf "$tree"
}

# start_guest NAME DISK_SPEC [MEMORY_MIB]: create a PV guest (tiny busybox
# initramfs that boots from its xvda) and register its destruction.
start_guest() {
        local cfg=$SCRATCH/$1.cfg out
        cat >"$cfg" <<EOF
name = "$1"
type = "pv"
kernel = "$GUEST_DIR/vmlinuz"
ramdisk = "$GUEST_DIR/initrd.gz"
extra = "console=hvc0 loglevel=3"
memory = ${3:-160}
vcpus = 1
on_crash = "preserve"
disk = [ '$2' ]
EOF
        defer "xl destroy $1"
        out=$(timeout 120 xl create "$cfg" 2>&1) || fail "xl create $1 failed: $out"
}
