# demo-steps.sh: the demo's narration (run by tests/demo inside with-store,
# with a xenstore and a QubesDB test server).
set -euo pipefail
BIN=$BUILD_DIR/bin
work=$(mktemp -d /tmp/qxd-demo.XXXXXX)
cleanup() {
        local f
        for f in /sys/block/loop*/loop/backing_file; do
                case "$(cat "$f" 2>/dev/null)" in
                "$work"/*) f=${f#/sys/block/}; losetup -d "/dev/${f%%/*}" 2>/dev/null || true ;;
                esac
        done
        mountpoint -q "$work/mnt" 2>/dev/null && umount "$work/mnt"
        rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# The udev helpers run in a private mount namespace whose runtime dir
# (/run/qubes) is $work/run: there the demo puts QubesDB's socket, or not.
SCRATCH=$work
source "$TESTS_DIR/lib.sh"
source "$TESTS_DIR/block-lib.sh"
source "$TESTS_DIR/usb-lib.sh"
qdb_socket=$(build_setting QUBES_QUBESDB_SOCKET)
mkdir -p "$work/run"

# helper PROGRAM KEY=VALUE...: a udev helper with the environment udev would
# give it (no udevd here), shown as it runs.
helper() {
        local program=$1
        shift
        printf '$ %s %s\n' "$*" "$program"
        in_test_sys env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" "$@" "$BIN/$program"
}

say "A xenstore server (our test server, real wire protocol) is running at $XENSTORED_PATH"
say "and a QubesDB server (our test server, the daemon's protocol) in $QDB_TEST_SERVER_DIR"

# ---------------------------------------------------------------- hotplug
say "qubes-block: libxl would now attach $work/disk.img to domain 5 as xvda"
truncate -s 64M "$work/disk.img"
vbd=/local/domain/0/backend/vbd/5/51712
xenstore-write "$vbd/params" "$work/disk.img" "$vbd/mode" w "$vbd/frontend-id" 5 \
        "$vbd/online" 1 "$vbd/state" 2 "$vbd/type" phy "$vbd/device-type" disk
run xenstore-ls -f "$vbd"

say "libxl runs: XENBUS_PATH=backend/vbd/5/51712 qubes-block add"
XENBUS_PATH=backend/vbd/5/51712 XENBUS_TYPE=vbd XENBUS_BASE_PATH=backend "$BIN/qubes-block" add </dev/null
run xenstore-ls -f "$vbd"
loop=$(xenstore-read "$vbd/physical-device-path")
run losetup --list --output NAME,BACK-FILE,RO,LOG-SEC "$loop"

say "The same file read-write for domain 6 is refused (Xen's sharing rule)"
xenstore-write /local/domain/0/backend/vbd/6/51712/params "$work/disk.img" \
        /local/domain/0/backend/vbd/6/51712/mode w
XENBUS_PATH=backend/vbd/6/51712 "$BIN/qubes-block" add </dev/null || echo "(exit status $?)"
run xenstore-read /local/domain/0/backend/vbd/6/51712/hotplug-status
run xenstore-read /local/domain/0/backend/vbd/6/51712/hotplug-error

say "Domain 5 shuts down: libxl runs qubes-block remove"
XENBUS_PATH=backend/vbd/5/51712 "$BIN/qubes-block" remove </dev/null
run xenstore-ls -f "$vbd"
echo "(libxl deletes the backend directory afterwards)"
xenstore-rm /local/domain/0/backend/vbd
if losetup "$loop" >/dev/null 2>&1; then echo "$loop is still attached?!"; else echo "$loop released"; fi

# ----------------------------------------------------- udev block helpers
say "udev block helpers on a plain Xen host (no QubesDB socket): a loop device appears"
truncate -s 32M "$work/usb-backup.img"
blk=$(losetup --find --show "$work/usb-backup.img")
blkname=${blk#/dev/}
blkenv=(SUBSYSTEM=block DEVNAME="$blk" DEVPATH="/devices/virtual/block/$blkname" DEVTYPE=disk
        MAJOR=7 MINOR="${blkname#loop}")
helper udev-block-add-change ACTION=add "${blkenv[@]}"
run xenstore-ls -f "/local/domain/0/qubes-block-devices/$blkname"

say "Mounted, it is in use here: the change event withdraws the entry"
mkfs.ext4 -q "$blk"
mkdir "$work/mnt"
mount "$blk" "$work/mnt"
helper udev-block-add-change ACTION=change "${blkenv[@]}"
xenstore-ls -f "/local/domain/0/qubes-block-devices/$blkname" 2>/dev/null || echo "(no entry for $blkname)"
umount "$work/mnt"
helper udev-block-add-change ACTION=change "${blkenv[@]}"
run xenstore-read "/local/domain/0/qubes-block-devices/$blkname/mode"

say "The loop device goes away: udev-block-remove drops the entry"
losetup -d "$blk"
helper udev-block-remove ACTION=remove "${blkenv[@]}"
xenstore-ls -f "/local/domain/0/qubes-block-devices/$blkname" 2>/dev/null || echo "(no entry for $blkname)"

# ------------------------------------------------------------------ QubesDB
say "In a Qubes qube, qubesdb-daemon listens on $qdb_socket: the same helpers publish there"
ln -s "$QDB_TEST_SERVER_DIR/qubesdb.sock" "$work/run/$QDB_SOCKET_NAME"
truncate -s 16M "$work/vault.img"
blk=$(losetup --find --show --read-only "$work/vault.img")
blkname=${blk#/dev/}
blkenv=(SUBSYSTEM=block DEVNAME="$blk" DEVPATH="/devices/virtual/block/$blkname" DEVTYPE=disk
        MAJOR=7 MINOR="${blkname#loop}")
echo "dom0 watches the exact key /qubes-block-devices (the trigger), and rereads the subtree:"
qdb-tool -t 10000 watch -n 1 /qubes-block-devices | sed 's/.*/  (the watch fired: &)/' &
watcher=$!
until [ "$(qdb-test-control watches)" -ge 1 ]; do sleep 0.05; done
helper udev-block-add-change ACTION=add "${blkenv[@]}"
wait "$watcher"
run qdb-tool multiread "/qubes-block-devices/$blkname/"
xenstore-ls -f "/local/domain/0/qubes-block-devices" 2>/dev/null | grep . || echo "(no entries in xenstore)"

say "An admin may choose the store: store = xenstore in $(build_setting QUBES_CONFIG_FILE)"
printf 'store = xenstore\n' >"$work/settings"
TEST_SETTINGS=$work/settings helper udev-block-add-change ACTION=change "${blkenv[@]}"
run xenstore-read "/local/domain/0/qubes-block-devices/$blkname/mode"
TEST_SETTINGS=$work/settings helper udev-block-remove ACTION=remove "${blkenv[@]}"
losetup -d "$blk"
helper udev-block-remove ACTION=remove "${blkenv[@]}"
qdb-tool list /qubes-block-devices/ | grep . || echo "(no entries left in QubesDB)"

# ------------------------------------------------------- udev USB helpers
say "udev-usb: a SanDisk stick (2-1.4) behind a hub, from a umockdev test bed (no USB hardware)"
echo "udev's properties for it (its usb_id builtin reads them from sysfs):"
usb_properties hub-stick "$STICK" | grep -E '^ID_((VENDOR|MODEL)_(ENC|ID)|SERIAL_SHORT|USB_INTERFACES)='

say "udev runs udev-usb-add-change on add (IMPORT{program}: it prints nothing on stdout); QubesDB again"
usb_event hub-stick add "$STICK"
usb_event hub-stick add "$HUB"         # the hub itself is not offered
usb_event hub-stick add "$STICK_IF"    # nor are interfaces
run qdb-tool multiread /qubes-usb-devices/

say "dom0's USB proxy attaches it (connected-to); a change event keeps that key"
qdb-tool write /qubes-usb-devices/2-1_4/connected-to work
usb_event hub-stick change "$STICK"
run qdb-tool multiread /qubes-usb-devices/

say "Unplugged: udev-usb-remove (RM of /qubes-usb-devices/2-1_4/, then the trigger)"
usb_remove_event hub-stick "$STICK"
qdb-tool list /qubes-usb-devices/ | grep . || echo "(no entries left in QubesDB)"

say "Done. What dom0 would see, in xenstore and in QubesDB:"
xenstore-ls -f /local/domain/0 | grep -v '^/local/domain/0/backend/vbd/6' || true
qdb-test-control dump
