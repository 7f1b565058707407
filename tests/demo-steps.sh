# demo-steps.sh: the demo's narration (run by tests/demo inside with-xenstore).
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
        rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "A xenstore server is running (our test server, real wire protocol) at $XENSTORED_PATH"

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
say "udev block helpers: a loop device appears; udev would run udev-block-add-change"
truncate -s 32M "$work/usb-backup.img"
blk=$(losetup --find --show "$work/usb-backup.img")
blkname=${blk#/dev/}
# no udevd here: the helper gets the environment udev would give it
blkenv=(ACTION=add SUBSYSTEM=block DEVNAME="$blk" DEVPATH="/devices/virtual/block/$blkname"
        DEVTYPE=disk MAJOR=7 MINOR="${blkname#loop}")
run env "${blkenv[@]}" "$BIN/udev-block-add-change"
run xenstore-ls -f "/local/domain/0/qubes-block-devices/$blkname"

say "Mounted, it is in use here: the change event withdraws the entry"
mkfs.ext4 -q "$blk"
mkdir "$work/mnt"
mount "$blk" "$work/mnt"
run env "${blkenv[@]/ACTION=add/ACTION=change}" "$BIN/udev-block-add-change"
xenstore-ls -f "/local/domain/0/qubes-block-devices/$blkname" 2>/dev/null || echo "(no entry for $blkname)"
umount "$work/mnt"
run env "${blkenv[@]/ACTION=add/ACTION=change}" "$BIN/udev-block-add-change"
run xenstore-read "/local/domain/0/qubes-block-devices/$blkname/mode"

say "The loop device goes away: udev-block-remove drops the entry"
losetup -d "$blk"
run env "${blkenv[@]/ACTION=add/ACTION=remove}" "$BIN/udev-block-remove"
xenstore-ls -f "/local/domain/0/qubes-block-devices/$blkname" 2>/dev/null || echo "(no entry for $blkname)"

# ------------------------------------------------------- udev USB helpers
# shellcheck source=tests/usb-lib.sh
source "$TESTS_DIR/lib.sh"; source "$TESTS_DIR/usb-lib.sh"
say "udev-usb: a SanDisk stick (2-1.4) behind a hub, from a umockdev test bed (no USB hardware)"
echo "udev's properties for it (its usb_id builtin reads them from sysfs):"
usb_properties hub-stick "$STICK" | grep -E '^ID_((VENDOR|MODEL)_(ENC|ID)|SERIAL_SHORT|USB_INTERFACES)='

say "udev runs udev-usb-add-change on add (IMPORT{program}: it prints nothing on stdout)"
usb_event hub-stick add "$STICK"
usb_event hub-stick add "$HUB"         # the hub itself is not offered
usb_event hub-stick add "$STICK_IF"    # nor are interfaces
run xenstore-ls -f "$USB_ROOT"

say "dom0's USB proxy attaches it (connected-to); a change event keeps that key"
xenstore-write "$USB_ROOT/2-1_4/connected-to" work
usb_event hub-stick change "$STICK"
run xenstore-ls -f "$USB_ROOT"

say "Unplugged: udev-usb-remove (the entry and the trigger, in one transaction)"
usb_remove_event hub-stick "$STICK"
run xenstore-ls -f "$USB_ROOT"

say "Done. The whole tree as dom0 would see it:"
xenstore-ls -f /local/domain/0 | grep -v '^/local/domain/0/backend/vbd/6' || true
