# hotplug-lib.sh: fixtures for the qubes-block scenario tests (sourced after lib.sh).

QUBES_BLOCK="$BIN/qubes-block"
HOME_PATH=/local/domain/0

# new_image [SIZE_KIB]: a fresh image file in the scratch dir; prints its path.
new_image() {
        local f
        f=$(mktemp "$SCRATCH/img.XXXXXX")
        truncate -s "${1:-1024}K" "$f"
        echo "$f"
}

# setup_vbd DOMID DEVID PARAMS [MODE]: the backend nodes libxl writes before
# it runs the hotplug script (no mode node when MODE is "-").
setup_vbd() {
        local p=$HOME_PATH/backend/vbd/$1/$2
        xs_write "$p/frontend-id" "$1"
        xs_write "$p/params" "$3"
        [ "${4-w}" = - ] || xs_write "$p/mode" "${4-w}"
        xs_write "$p/online" 1
        xs_write "$p/state" 2
        xs_write "$p/type" phy
        xs_write "$p/device-type" disk
        xs_write "$p/removable" 0
        xs_write "$p/script" /etc/xen/scripts/qubes-block
}

# hotplug CMD DOMID DEVID: run the helper as libxl does; sets RC, and the
# helper's stderr is in $SCRATCH/err; LOOPS_BEFORE is the scratch dir's loop
# devices before it ran.
hotplug() {
        RC=0
        LOOPS_BEFORE=$(loops_backed_by "$SCRATCH")
        env XENBUS_PATH="backend/vbd/$2/$3" XENBUS_TYPE=vbd XENBUS_BASE_PATH=backend \
            script=/etc/xen/scripts/qubes-block \
            "$QUBES_BLOCK" "$1" </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
}

vbd() { echo "$HOME_PATH/backend/vbd/$1/$2"; }

# loop_of DOMID DEVID: the /dev/loopN recorded for a vbd.
loop_of() { xs_read "$(vbd "$1" "$2")/physical-device-path"; }

# devno_hex /dev/X: "maj:min" in lower-case hex, as physical-device holds it.
devno_hex() { printf '%x:%x' "$((0x$(stat -L -c %t "$1")))" "$((0x$(stat -L -c %T "$1")))"; }

assert_attached_ok() {  # DOMID DEVID
        [ "$RC" -eq 0 ] || fail "add failed ($RC): $(cat "$SCRATCH/err")"
        assert_xs "$(vbd "$1" "$2")/hotplug-status" connected
}

# The failure contract: exit status 1 (no crash), nothing on stdout, the
# message on stderr and in hotplug-error, hotplug-status, no device nodes, and
# the loop devices as they were before the run.
assert_refused() {      # DOMID DEVID STATUS TEXT
        local p
        p=$(vbd "$1" "$2")
        [ "$RC" -ne 0 ] || fail "expected a failure, the helper succeeded"
        assert_eq "$RC" 1 "exit status ($(head -c 300 "$SCRATCH/err"))"
        [ ! -s "$SCRATCH/out" ] || fail "output on stdout: $(head -c 300 "$SCRATCH/out")"
        assert_contains "$(cat "$SCRATCH/err")" "$4" "stderr"
        assert_contains "$(xs_read "$p/hotplug-error")" "$4" "hotplug-error"
        assert_xs "$p/hotplug-status" "$3"
        assert_no_xs "$p/physical-device"
        assert_no_xs "$p/physical-device-path"
        assert_no_xs "$p/diskseq"
        assert_eq "$(loops_backed_by "$SCRATCH")" "$LOOPS_BEFORE" "loop devices after the refused add"
}

assert_refused_busy() { # DOMID DEVID TEXT
        assert_refused "$1" "$2" busy "$3"
}

# partitioned_loop: DISK, a loop device on a fresh image with two partitions,
# and block nodes for them at $SCRATCH/p1 and $SCRATCH/p2. The kernel does not
# scan loop partitions by itself here (partx adds them) and no udevd makes
# their /dev nodes.
partitioned_loop() {
        local img n sys mm
        img=$(new_image 16384)
        printf 'label: dos\nstart=2048, size=8192, type=83\nstart=10240, size=8192, type=83\n' |
                sfdisk -q "$img" >/dev/null 2>&1 || skip "sfdisk cannot write a partition table"
        DISK=$(losetup --find --show --partscan "$img")
        [ -e "/sys/block/${DISK#/dev/}/${DISK#/dev/}p1" ] || partx -a "$DISK" 2>/dev/null || true
        for n in 1 2; do
                sys=/sys/block/${DISK#/dev/}/${DISK#/dev/}p$n
                [ -r "$sys/dev" ] || skip "no partitions on loop devices here"
                mm=$(cat "$sys/dev")
                mknod "$SCRATCH/p$n" b "${mm%:*}" "${mm#*:}"
        done
}

# hotplug_with_holder SYSDIR CMD DOMID DEVID: hotplug, in a mount namespace
# where the block device at SYSDIR (under /sys/devices) has a holder, as if
# LVM or LUKS were stacked on it (this machine has no device-mapper).
hotplug_with_holder() {
        local sysdir=$1
        shift
        RC=0
        LOOPS_BEFORE=$(loops_backed_by "$SCRATCH")
        # shellcheck disable=SC2016
        unshare --mount --propagation private bash -c '
                set -e
                mount -t tmpfs qxd-holders "$1/holders"
                touch "$1/holders/dm-0"
                shift
                exec "$@"
        ' - "$sysdir" env XENBUS_PATH="backend/vbd/$2/$3" XENBUS_TYPE=vbd XENBUS_BASE_PATH=backend \
                script=/etc/xen/scripts/qubes-block "$QUBES_BLOCK" "$1" \
                </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
}

# hotplug_with_log_dir yes|no CMD DOMID DEVID: the helper in a mount
# namespace whose log directory (of the configured hotplug log) is a fresh
# tmpfs, or absent; the log file, if any, and its mode are copied out to
# $SCRATCH/log and $SCRATCH/log.mode.
hotplug_with_log_dir() {
        hotplug_path_with_log_dir "$1" "$2" "backend/vbd/$3/$4"
}

# hotplug_path_with_log_dir yes|no CMD XENBUS_PATH: the same with any XENBUS_PATH.
hotplug_path_with_log_dir() {
        local log dir
        log=$(sed -n 's/^QUBES_HOTPLUG_LOG:FILEPATH=//p' "$BUILD_DIR/CMakeCache.txt")
        dir=$(dirname "$log")
        RC=0
        # shellcheck disable=SC2016
        unshare --mount --propagation private bash -c '
                set -e
                make=$1 log=$2 dir=$3 scratch=$4; shift 4
                parent=$(dirname "$dir")
                mkdir -p "$parent"
                mount -t tmpfs qxd-log "$parent"
                [ "$make" = no ] || mkdir "$dir"
                umask 022       # a usual one: the helper asks for 0640
                rc=0
                "$@" || rc=$?
                if [ -e "$log" ]; then cp "$log" "$scratch/log"; stat -c %a "$log" >"$scratch/log.mode"; fi
                [ -e "$dir" ] && echo yes >"$scratch/log.dir" || echo no >"$scratch/log.dir"
                exit $rc
        ' - "$1" "$log" "$dir" "$SCRATCH" env XENBUS_PATH="$3" XENBUS_TYPE=vbd \
                XENBUS_BASE_PATH=backend script=/etc/xen/scripts/qubes-block "$QUBES_BLOCK" "$2" \
                </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
}

# leftover_of_killed_add DOMID DEVID IMG [PID START]: the state a run of add
# killed after making its loop device leaves: a loop device on IMG tagged
# for the vbd (lo_file_name, set with LOOP_SET_STATUS64) and the vbd's
# pending node naming the run (by default a process that does not exist).
# Prints the loop device.
leftover_of_killed_add() {
        local loop
        loop=$(losetup --find --show "$3")
        python3 - "$loop" "qubes-block:vbd/$1/$2" <<'PY'
import fcntl, os, sys
LOOP_SET_STATUS64, LOOP_GET_STATUS64 = 0x4C04, 0x4C05
fd = os.open(sys.argv[1], os.O_RDWR)
info = bytearray(232)
fcntl.ioctl(fd, LOOP_GET_STATUS64, info)
name = sys.argv[2].encode()
info[56:56 + 64] = name + bytes(64 - len(name))     # lo_file_name
fcntl.ioctl(fd, LOOP_SET_STATUS64, info)
PY
        xs_write "$(vbd "$1" "$2")/qubes-block-pending" "${4:-2147483646} ${5:-1}"
        echo "$loop"
}
