#!/usr/bin/env bash
# udev-usb.sh: per-event time of udev-usb-add-change next to exec'ing
# /bin/true, in one hyperfine run, and its peak RSS. Run inside
# tests/with-xenstore (bench/run does; prints RESULT and RSS lines for it,
# hyperfine's tables on stderr):
#
#   BUILD_DIR=$PWD/build tests/with-xenstore bash bench/udev-usb.sh
#
# The device is the stick of the hub-stick test bed with its udev properties.
# Two events: a change whose entry is already equal (the common case: three
# reads in one transaction) and an add that writes the entry and the trigger.
# The helper reads one sysfs attribute, `version`: a private mount namespace
# mounts a copy of the bed's sysfs directory over /sys/devices, so nothing is
# preloaded. The libusb path (no properties) needs umockdev's preload library,
# which costs more than the helper itself: it is measured next to /bin/true
# under the same preload.
set -euo pipefail
: "${BUILD_DIR:?}" "${XENSTORED_PATH:?run me under tests/with-xenstore}"
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
bed=$top/tests/usb-beds/hub-stick.umockdev
devpath=/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1.4
helper=$BUILD_DIR/bin/udev-usb-add-change
runs=${EVENT_RUNS:-300}
work=$(mktemp -d /tmp/qxd-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

umockdev-run -d "$bed" -- udevadm info --query=property --path="$devpath" >"$work/props"
mkdir -p "$work/sysfs$devpath"
umockdev-run -d "$bed" -- cat "/sys$devpath/version" >"$work/sysfs$devpath/version"

# shellcheck disable=SC2016
unshare --mount bash -c '
        set -euo pipefail
        work=$1 helper=$2 runs=$3 top=$4
        . "$top/bench/lib.sh"
        mount --bind "$work/sysfs/devices" /sys/devices
        readarray -t props <"$work/props"
        export "${props[@]}"
        ACTION=add "$helper"    # the entry exists: the change events find it equal
        ACTION=change hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/c.json" \
                --command-name true /bin/true \
                --command-name udev-usb.change "$helper" >&2
        hyperfine_medians "$work/c.json"
        # the add that writes: the entry is removed before each run (not timed)
        ACTION=add hyperfine --warmup 5 --runs "$runs" --export-json "$work/a.json" \
                --prepare "xenstore-rm qubes-usb-devices/2-1_4" \
                --command-name udev-usb.add "$helper" >&2
        hyperfine_medians "$work/a.json"
        ACTION=change peak_rss udev-usb-add-change "$helper"
        ACTION=remove peak_rss udev-usb-remove "${helper%/*}/udev-usb-remove"
        peak_rss true /bin/true
' - "$work" "$helper" "$runs" "$top"

# shellcheck disable=SC2016
umockdev-run -d "$bed" -- bash -c '
        set -euo pipefail
        work=$1 helper=$2 runs=$3 top=$4 devpath=$5
        . "$top/bench/lib.sh"
        export ACTION=change DEVPATH=$devpath
        hyperfine -N --warmup 10 --runs "$((runs / 3))" --export-json "$work/l.json" \
                --command-name true.umockdev /bin/true \
                --command-name udev-usb.libusb "$helper" >&2
        hyperfine_medians "$work/l.json"
        peak_rss udev-usb-add-change.libusb "$helper"
' - "$work" "$helper" "$runs" "$top" "$devpath"
