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
