# test-stress-udev-block.sh: a storm of loop device events through the udev
# block helpers, run as udev would run them: 4 workers, each creating loop
# devices of its own (LOOP_CTL_ADD, at numbers nobody else uses), attaching
# files to them (some read-only), resizing, detaching and deleting them, and
# running udev-block-add-change or udev-block-remove after each kernel
# change, for a bounded time. Events of one device are serial (udevd
# serializes them too); the workers' events race on the same subtree and
# trigger. After every event the device's entry is what its state says;
# when the storm stops each worker leaves one device attached, and the
# subtree holds exactly their entries (and an unrelated one from before);
# after the teardown no entry, no loop device and no device of the test is
# left.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/block-lib.sh"

WORKERS=4
STORM_SECONDS=${STORM_SECONDS:-20}

# LOOP_CTL_ADD a free number in 3000..8999 (prints it) or LOOP_CTL_REMOVE N
# (perl: python takes ten times longer to start).
loopctl() {
        perl -e '
use Errno;
open(my $ctl, "+<", "/dev/loop-control") or die "/dev/loop-control: $!\n";
if ($ARGV[0] eq "add") {
        for (1 .. 100) {
                my $n = ioctl($ctl, 0x4C80, 3000 + int(rand(6000)));
                if (defined $n) { print $n + 0, "\n"; exit 0; }
                die "LOOP_CTL_ADD: $!\n" unless $!{EEXIST};
        }
        die "no free loop number\n";
}
ioctl($ctl, 0x4C81, $ARGV[1] + 0) or die "LOOP_CTL_REMOVE $ARGV[1]: $!\n";
' "$@"
}

# event ACTION N: the helper udev runs for loopN's event.
event() {
        local program=udev-block-add-change
        [ "$1" != remove ] || program=udev-block-remove
        echo >>"$SCRATCH/events.$W"
        # shellcheck disable=SC2046
        in_test_sys env -i PATH="$PATH" XENSTORED_PATH="$XENSTORED_PATH" $(sanitizer_env) \
                ACTION="$1" SUBSYSTEM=block SEQNUM=1 DEVNAME="/dev/loop$2" DEVPATH="/devices/virtual/block/loop$2" \
                DEVTYPE=disk MAJOR=7 MINOR="$2" "$BIN/$program" 2>>"$SCRATCH/helpers.log" ||
                { echo "$1 event of loop$2 failed" >>"$SCRATCH/failed.$W"; return 1; }
}

# expect_entry N [DESC SIZE MODE]: loopN's entry right now (none without DESC).
expect_entry() {
        local n=$1 got key
        if [ $# -eq 1 ]; then
                ! store_exists "$BLOCK_ROOT/loop$n" ||
                        { echo "loop$n has an entry: $(store_list "$BLOCK_ROOT/loop$n" | tr '\n' ' ')" >>"$SCRATCH/failed.$W"; return 1; }
                return 0
        fi
        got=
        for key in desc size mode parent; do
                got+="$(store_read "$BLOCK_ROOT/loop$n/$key" 2>&1)|"
        done
        [ "$got" = "$2|$3|$4||" ] ||
                { echo "loop$n: entry '$got', expected '$2|$3|$4||'" >>"$SCRATCH/failed.$W"; return 1; }
}

# One device's life: created, attached (an entry), maybe resized, detached
# (no entry), deleted. With LAST set it stays attached. Fails the worker on
# the first wrong state.
device_life() {
        local n file mode=w size=4 ro=()
        n=$(loopctl add) || { echo "cannot create a loop device" >>"$SCRATCH/failed.$W"; return 1; }
        echo "$n" >>"$SCRATCH/devices"
        event add "$n" && expect_entry "$n" || return 1
        file=$SCRATCH/w$W/img$n-$RANDOM
        truncate -s ${size}M "$file"
        if [ $((RANDOM % 3)) -eq 0 ]; then mode=r ro=(--read-only); fi
        losetup "${ro[@]}" "/dev/loop$n" "$file" || { echo "cannot attach loop$n" >>"$SCRATCH/failed.$W"; return 1; }
        event change "$n" && expect_entry "$n" "$file" $((size << 20)) $mode || return 1
        if [ $((RANDOM % 2)) -eq 0 ]; then
                size=6
                truncate -s ${size}M "$file"
                losetup -c "/dev/loop$n"
                event change "$n" && expect_entry "$n" "$file" $((size << 20)) $mode || return 1
        fi
        [ -z "${LAST:-}" ] || { echo "$n $file $((size << 20)) $mode" >>"$SCRATCH/left"; return 0; }
        losetup -d "/dev/loop$n"
        event change "$n" && expect_entry "$n" || return 1
        loopctl remove "$n" || { echo "cannot delete loop$n" >>"$SCRATCH/failed.$W"; return 1; }
        event remove "$n" && expect_entry "$n" || return 1
        echo x >>"$SCRATCH/cycles.$W"
}

storm_worker() {        # W END
        W=$1
        mkdir -p "$SCRATCH/w$W"
        while [ "$SECONDS" -lt "$2" ]; do
                device_life || return 0
        done
        LAST=1 device_life
}

# Whatever happens, the test's devices go (detached, deleted).
storm_cleanup() {
        local n
        [ -e "$SCRATCH/devices" ] || return 0
        while read -r n; do
                [ -e "/sys/block/loop$n" ] || continue
                losetup -d "/dev/loop$n" 2>/dev/null
                loopctl remove "$n" 2>/dev/null
        done <"$SCRATCH/devices"
}

test_storm_of_loop_events_leaves_the_store_equal_to_the_devices() {
        block_setup
        trap 'storm_cleanup; cleanup_scratch' EXIT
        mkdir -p "$SCRATCH/vbd" "$SCRATCH/run"
        local w end n file size mode cycles want got
        local -a pids=()
        seed_foreign_entry
        end=$((SECONDS + STORM_SECONDS))
        for ((w = 0; w < WORKERS; w++)); do
                storm_worker "$w" "$end" &
                pids+=($!)
        done
        wait "${pids[@]}"
        if cat "$SCRATCH"/failed.* 2>/dev/null | grep -q .; then
                fail "$(cat "$SCRATCH"/failed.*)"
        fi
        cycles=$(cat "$SCRATCH"/cycles.* 2>/dev/null | wc -l)
        [ "$cycles" -ge "$WORKERS" ] || fail "only $cycles device lives in $STORM_SECONDS s"

        # the subtree is the devices present: the four left attached, and sdz
        want="sdz"
        while read -r n file size mode; do
                want+=" loop$n"
                assert_store "$BLOCK_ROOT/loop$n/desc" "$file"
                assert_store "$BLOCK_ROOT/loop$n/size" "$size"
                assert_store "$BLOCK_ROOT/loop$n/mode" "$mode"
                assert_store "$BLOCK_ROOT/loop$n/parent" ""
        done <"$SCRATCH/left"
        got=$(store_list "$BLOCK_ROOT" | sort | tr '\n' ' ')
        assert_eq "$got" "$(tr ' ' '\n' <<<"$want" | sort | tr '\n' ' ')" "entries after the storm"
        assert_eq "$(loops_backed_by "$SCRATCH" | wc -l)" "$WORKERS" "loop devices left attached"

        # teardown, as the kernel and udev would do it
        W=teardown
        while read -r n file size mode; do
                losetup -d "/dev/loop$n"
                event change "$n"
                loopctl remove "$n"
                event remove "$n"
        done <"$SCRATCH/left"
        [ ! -s "$SCRATCH/failed.teardown" ] || fail "$(cat "$SCRATCH/failed.teardown")"
        assert_eq "$(store_list "$BLOCK_ROOT" | tr '\n' ' ')" "sdz " "entries after the teardown"
        assert_no_loops_in "$SCRATCH"
        while read -r n; do
                [ ! -e "/sys/block/loop$n" ] || fail "loop$n of the test is still there"
        done <"$SCRATCH/devices"
        echo "  $WORKERS workers, $STORM_SECONDS s: $(wc -l <"$SCRATCH/devices") loop devices created," \
                "$cycles deleted during the storm, $(cat "$SCRATCH"/events.* | wc -l) helper runs" >&2
}

run_tests "$@"
