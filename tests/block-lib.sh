# block-lib.sh: helpers for the block udev helper scenarios (sourced after
# lib.sh). The helpers run with the environment udev would give them, and
# nothing else of ours: no udevd runs here. They publish in the store the
# test runs on (store-lib.sh).

. "$TESTS_DIR/store-lib.sh"

BLOCK_ROOT=$STORE_HOME/qubes-block-devices

# The sanitizer options survive `env -i`, so the helpers are checked too.
sanitizer_env() {
        local v
        for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
                [ -z "${!v:-}" ] || echo "$v=${!v}"
        done
}

# in_test_sys CMD...: CMD where blkback's vbd list is $SCRATCH/vbd and the
# runtime dir is $SCRATCH/run (tests/with-test-sys); the settings file is
# $TEST_SETTINGS when set (a missing one: none).
in_test_sys() { "$TESTS_DIR/with-test-sys" ${TEST_SETTINGS:+--config "$TEST_SETTINGS"} "$SCRATCH" "$@"; }

# LINK_TESTBED_VBDS: inside umockdev (UMOCKDEV_DIR set), the same vbd list
# for the test bed's /sys. Shell code, for the bash -c that runs in the bed.
# shellcheck disable=SC2016
LINK_TESTBED_VBDS='mkdir -p "$UMOCKDEV_DIR/sys/bus/xen-backend/drivers" && ln -sfn "$QXD_SCRATCH/vbd" "$UMOCKDEV_DIR/sys/bus/xen-backend/drivers/vbd"'

# block_helper PROGRAM ACTION DEVICE-ENV...: run a helper as udev would.
block_helper() {
        local program=$1 action=$2
        shift 2
        in_test_sys env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(sanitizer_env) \
                ACTION="$action" SUBSYSTEM=block SEQNUM=1 "$@" "$BIN/$program"
}

# loop_env /dev/loopN: udev's environment for a loop device.
loop_env() {
        local name=${1#/dev/}
        echo "DEVNAME=$1 DEVPATH=/devices/virtual/block/$name DEVTYPE=disk MAJOR=7 MINOR=${name#loop}"
}

# loop_event ACTION /dev/loopN [KEY=VALUE...]: the add/change or remove helper.
loop_event() {
        local action=$1 loop=$2 program=udev-block-add-change
        shift 2
        [ "$action" != remove ] || program=udev-block-remove
        # shellcheck disable=SC2046
        block_helper "$program" "$action" $(loop_env "$loop") "$@"
}

# new_loop FILE [SIZE] [--read-only]: a loop device on FILE (in SCRATCH).
new_loop() {
        local file=$1 size=${2:-8M}
        shift 2 || shift $#
        mkdir -p "$(dirname "$file")"
        truncate -s "$size" "$file"
        losetup --find --show "$@" "$file"
}

# attach_as_vbd /dev/X: pretend blkback serves X (the fake vbd list).
attach_as_vbd() {
        local hex
        hex=$(stat -L -c '%t:%T' "$1")
        mkdir -p "$SCRATCH/vbd/vbd-5-51712"
        echo "$hex" >"$SCRATCH/vbd/vbd-5-51712/physical_device"
}

# Count the triggers of the subtree (store-lib.sh).
start_trigger_watch() { store_watch_start "$BLOCK_ROOT"; }
triggers_seen() { store_triggers_seen; }

# block_setup: a scratch dir, no entries left by an earlier test (the same
# loop device numbers come back), the store's socket offered.
block_setup() {
        new_scratch
        store_rm "$BLOCK_ROOT"
        xenstore-rm /local/domain/5 2>/dev/null || true
        store_offer_socket
}

# seed_foreign_entry [NAME]: a whole entry of another device (sdz), which
# no event of the test may touch.
seed_foreign_entry() {
        local n=${1:-sdz}
        store_write "$BLOCK_ROOT/$n/desc" "Other_disk ()" "$BLOCK_ROOT/$n/size" 512 \
                "$BLOCK_ROOT/$n/mode" w "$BLOCK_ROOT/$n/parent" ""
}
