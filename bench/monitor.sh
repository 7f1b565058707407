#!/usr/bin/env bash
# monitor.sh: qubes-devices-monitor against the exec of a helper per event.
#   - CPU per event: change events on a loop device, paced 20 ms apart so
#     that none is coalesced with another, the monitor's CPU time (utime +
#     stime from /proc) over the events it handled, next to the user+sys time
#     of one exec of udev-block-add-change for the same event (hyperfine);
#     then the same events as a storm (back to back), which it coalesces;
#     and the floor: a listener that only receives them (netlink-floor.c);
#   - mount to entry withdrawn: `mount` of an ext4 loop device (no uevent)
#     until xenstore-watch reports the entry gone, and unmount to offered;
#   - resync with 256 loop devices present: from an empty subtree (writes
#     every entry) and with nothing changed (writes nothing);
#   - the monitor's peak RSS.
# Run inside tests/with-xenstore. It re-runs itself in a private mount
# namespace with its own /run/qubes: the monitor's lock, which makes the
# udev helpers defer, stays out of the rest of the machine.
set -euo pipefail
: "${BUILD_DIR:?}" "${XENSTORED_PATH:?run me under tests/with-xenstore}"
if [ -z "${QXD_BENCH_NS:-}" ]; then
        exec env QXD_BENCH_NS=1 unshare --mount --propagation private bash "$0" "$@"
fi
mount -t tmpfs qxd-bench-run /run/qubes 2>/dev/null || { mkdir -p /run/qubes; mount -t tmpfs qxd-bench-run /run/qubes; }
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d /tmp/qxd-bench.XXXXXX)
loops=()
mon=
cleanup() {
        local l
        [ -z "$mon" ] || { kill "$mon" 2>/dev/null; wait "$mon" 2>/dev/null || true; }
        mountpoint -q "$work/mnt" && umount "$work/mnt"
        for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
        rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM
monitor=$BUILD_DIR/bin/qubes-devices-monitor
helper=$BUILD_DIR/bin/udev-block-add-change
root=/local/domain/0/qubes-block-devices

new_loop() {            # FILE SIZE
        truncate -s "$2" "$1"
        loops+=("$(losetup --find --show "$1")")
}

monitor_start() {
        "$monitor" >"$work/monitor.log" 2>&1 &
        mon=$!
        for _ in $(seq 500); do
                grep -q "ready: the lists are true" "$work/monitor.log" && return 0
                sleep 0.01
        done
        echo "bench/monitor.sh: the monitor did not get ready: $(tail -n 3 "$work/monitor.log")" >&2
        exit 1
}

# cpu_ns PID: the nanoseconds PID has run on a CPU (the scheduler's count)
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }

# --- CPU per event -------------------------------------------------------
# Every event the monitor handles counts (other processes' too, on a busy
# machine): its CPU time over the window divided by the events and batches
# it says it handled when it stops.
new_loop "$work/a.img" 64M
new_loop "$work/b.img" 64M
mkfs.ext4 -q "${loops[1]}"
probe=${loops[0]} name=${loops[0]#/dev/}
events=${MONITOR_EVENTS:-300}
per_event() {           # NAME PACE: events on the probe, PACE seconds apart
        local before after counts
        monitor_start
        before=$(cpu_ns "$mon")
        for _ in $(seq "$events"); do
                echo change >"/sys/block/$name/uevent"
                [ "$2" = 0 ] || sleep "$2"
        done
        sleep 0.5
        after=$(cpu_ns "$mon")
        kill "$mon"; wait "$mon" 2>/dev/null || true; mon=
        counts=$(sed -n 's/.*stopping after \([0-9]*\) events in \([0-9]*\) batches.*/\1 \2/p' "$work/monitor.log")
        python3 -c 'import sys
ns, ev, ba = int(sys.argv[2]) - int(sys.argv[1]), int(sys.argv[3]), int(sys.argv[4])
print("RESULT %s %.4f" % (sys.argv[5], ns / 1e6 / max(ev, 1)))
print("COUNT %s %d events in %d batches" % (sys.argv[5], ev, ba))' "$before" "$after" $counts "$1"
}
per_event monitor.cpu-per-event 0.02
per_event monitor.cpu-per-event-storm 0

# the floor: a listener that only receives each event (netlink-floor.c),
# the same paced events
"$BUILD_DIR/bin/netlink-floor" 2>"$work/floor.log" &
mon=$!
sleep 0.2
before=$(cpu_ns "$mon")
for _ in $(seq "$events"); do
        echo change >"/sys/block/$name/uevent"
        sleep 0.02
done
sleep 0.5
after=$(cpu_ns "$mon")
kill "$mon"; wait "$mon" 2>/dev/null || true; mon=
python3 -c 'import sys
ns, ev = int(sys.argv[2]) - int(sys.argv[1]), int(sys.argv[3])
print("RESULT netlink-floor.cpu-per-event %.4f" % (ns / 1e6 / max(ev, 1)))' \
        "$before" "$after" "$(sed -n 's/^received \([0-9]*\) events$/\1/p' "$work/floor.log")"

# the same event through an exec of the helper: hyperfine's user + system
ACTION=change SUBSYSTEM=block DEVNAME=$probe DEVPATH=/devices/virtual/block/$name DEVTYPE=disk \
        MAJOR=7 MINOR=${name#loop} hyperfine -N --warmup 20 --runs "$events" --export-json "$work/h.json" \
        --command-name helper.change "$helper" >&2
python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))["results"][0]
print("RESULT helper.cpu-per-event %.4f" % ((r["user"] + r["system"]) * 1000))' "$work/h.json"

# --- mount to withdrawn, unmount to offered -------------------------------
monitor_start
mkdir -p "$work/mnt"
python3 - "${loops[1]}" "$work/mnt" "$root/${loops[1]#/dev/}" "${MOUNT_ROUNDS:-20}" <<'PY'
import atexit, statistics, subprocess, sys, threading, time
dev, mnt, entry, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# one watch on the entry; each event is timed as it arrives (and the watch
# goes with this script, whatever ends it: it would spin on a dead server)
watch = subprocess.Popen(["xenstore-watch", entry], stdout=subprocess.PIPE, text=True)
atexit.register(watch.kill)
seen, cond = [], threading.Condition()
def reader():
    for line in watch.stdout:
        with cond:
            seen.append(time.monotonic())
            cond.notify_all()
threading.Thread(target=reader, daemon=True).start()
def exists():
    return subprocess.run(["xenstore-read", entry + "/desc"], capture_output=True).returncode == 0
def wait_until(want):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if exists() == want:
            return time.monotonic()
        with cond:
            cond.wait(0.005)
    sys.exit("bench/monitor.sh: %s not %s within 5 s" % (entry, "offered" if want else "withdrawn"))
def timed(cmd, want):
    with cond:
        n = len(seen)
    t0 = time.monotonic()
    subprocess.run(cmd, check=True)
    wait_until(want)
    with cond:                  # the watch event that changed it
        t1 = next((t for t in seen[n:] if t >= t0), time.monotonic())
    return (t1 - t0) * 1000
time.sleep(0.2)
wait_until(True)
down, up = [], []
for _ in range(rounds):
    down.append(timed(["mount", dev, mnt], False))
    up.append(timed(["umount", mnt], True))
print("RESULT monitor.mount-to-withdrawn %.3f" % statistics.median(down))
print("RESULT monitor.unmount-to-offered %.3f" % statistics.median(up))
print("RESULT monitor.mount-to-withdrawn.max %.3f" % max(down))
PY
peak=$(awk '/VmHWM/ { print $2 }' "/proc/$mon/status")
echo "RSS qubes-devices-monitor $peak"
kill "$mon"; wait "$mon" 2>/dev/null || true; mon=

# --- resync with 256 loop devices -----------------------------------------
while [ ${#loops[@]} -lt 256 ]; do new_loop "$work/img.${#loops[@]}" 1M; done
hyperfine --runs "${RESYNC_RUNS:-10}" --export-json "$work/r.json" \
        --prepare "xenstore-rm $root 2>/dev/null || true" --command-name resync.256-from-empty "$monitor --resync" \
        --prepare true --command-name resync.256-no-change "$monitor --resync" >&2
hyperfine_medians "$work/r.json"
"$monitor" --resync 2>&1 | sed 's/^/  /' >&2
echo "ENTRIES resync.256 $(xenstore-list "$root" | wc -l)"
