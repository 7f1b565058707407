#!/usr/bin/env bash
# udev-usb.sh: per-event time of udev-usb-add-change next to exec'ing
# /bin/true, in one hyperfine run, and its peak RSS. Run as root inside
# tests/with-xenstore (BUILD_DIR set; a release build is fairer):
#
#   BUILD_DIR=$PWD/build tests/with-xenstore bash bench/udev-usb.sh
#
# The device is the stick of the hub-stick test bed, with its udev properties,
# as a change event whose entry is already equal (the common case: three
# reads in one transaction). The helper then reads one sysfs attribute,
# `version`: in a private mount namespace a copy of the bed's sysfs directory
# is mounted over /sys/devices, so nothing is preloaded. The libusb path
# (no properties) needs umockdev's preload library, which costs more than the
# helper itself: it is measured in a second run, next to /bin/true under the
# same preload.
set -euo pipefail
: "${BUILD_DIR:?}" "${XENSTORED_PATH:?run me under tests/with-xenstore}"
top=$(cd "$(dirname "$0")/.." && pwd)
bed=$top/tests/usb-beds/hub-stick.umockdev
devpath=/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1.4
helper=$BUILD_DIR/bin/udev-usb-add-change
work=$(mktemp -d /tmp/qxd-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# medians and CPU time too: a shared machine's outliers pull the means up,
# and its load stretches wall time more than the CPU time a process uses
report() {
        cat "$work/times.md"
        python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("%-48s median %.2f ms, min %.2f ms, CPU (user+sys) %.2f ms" % (r["command"],
          r["median"] * 1000, r["min"] * 1000, (r["user"] + r["system"]) * 1000))' "$work/times.json"
}
peak_rss() {            # label command...
        local label=$1
        shift
        /usr/bin/time -v "$@" 2>&1 | sed -n "s|^\tMaximum resident set size (kbytes): |peak RSS, $label (KiB): |p"
}

umockdev-run -d "$bed" -- udevadm info --query=property --path="$devpath" >"$work/props"
mkdir -p "$work/sysfs$devpath"
umockdev-run -d "$bed" -- cat "/sys$devpath/version" >"$work/sysfs$devpath/version"

echo "== udev's properties (the rules' IMPORT{program}), native"
# shellcheck disable=SC2016
unshare --mount bash -c '
        set -euo pipefail
        work=$1 helper=$2
        mount --bind "$work/sysfs/devices" /sys/devices
        readarray -t props <"$work/props"
        export ACTION=change "${props[@]}"
        "$helper"       # the entry exists from here on
        hyperfine -N --warmup 20 --runs 300 --export-markdown "$work/times.md" \
                --export-json "$work/times.json" /bin/true "$helper" >/dev/null
' - "$work" "$helper"
report
(
        readarray -t props <"$work/props"
        export ACTION=change "${props[@]}"
        unshare --mount bash -c 'mount --bind "$1/sysfs/devices" /sys/devices; shift; "$@"' - "$work" \
                bash -c "$(declare -f peak_rss); peak_rss udev-usb-add-change \"$helper\"; peak_rss /bin/true /bin/true"
)

echo
echo "== without properties (libusb path), both under umockdev's preload"
# shellcheck disable=SC2016
umockdev-run -d "$bed" -- bash -c '
        set -euo pipefail
        work=$1 helper=$2 devpath=$3
        export ACTION=change DEVPATH=$devpath
        hyperfine -N --warmup 10 --runs 100 --export-markdown "$work/times.md" \
                --export-json "$work/times.json" /bin/true "$helper" >/dev/null
' - "$work" "$helper" "$devpath"
report
umockdev-run -d "$bed" -- env ACTION=change DEVPATH="$devpath" \
        bash -c "$(declare -f peak_rss); peak_rss 'udev-usb-add-change (libusb)' \"$helper\""
