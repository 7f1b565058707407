# test-stress-hotplug.sh: 64 vbds attached and detached through qubes-block
# for 10 rounds by 4 parallel workers, on real loop devices: 48 read-write
# disks on their own images, 16 read-only ones sharing 4 images across
# domains. After each attach phase every vbd has a complete, consistent set
# of nodes and its own loop device on the right file in the right mode;
# after each detach phase no node and no loop device is left.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/hotplug-lib.sh"

VBDS=64
ROUNDS=${STRESS_ROUNDS:-10}
WORKERS=4

# The vbds' facts, computed once (a subshell per vbd and round is slower
# than the attaching): domain, devid, node path, image, mode, read-only.
declare -a DOMID DEVID NODE IMAGE MODE RO
vbd_tables() {
        local i
        for ((i = 0; i < VBDS; i++)); do
                DOMID[i]=$((10 + i % 8))
                DEVID[i]=$((51712 + i))
                NODE[i]=$HOME_PATH/backend/vbd/${DOMID[i]}/${DEVID[i]}
                if [ "$i" -lt 48 ]; then
                        IMAGE[i]=$SCRATCH/img$i MODE[i]=w RO[i]=0
                else
                        IMAGE[i]=$SCRATCH/shared$((i % 4)) MODE[i]=r RO[i]=1
                fi
        done
}

# The backend nodes libxl writes for all 64 vbds, in one xenstore call.
write_all_vbds() {
        local i p
        local -a kv=()
        for ((i = 0; i < VBDS; i++)); do
                p=${NODE[i]}
                kv+=("$p/frontend-id" "${DOMID[i]}" "$p/params" "${IMAGE[i]}" "$p/mode" "${MODE[i]}"
                     "$p/online" 1 "$p/state" 2 "$p/type" phy "$p/device-type" disk "$p/removable" 0)
        done
        xenstore-write -R "${kv[@]}"
}

# worker CMD W: run qubes-block CMD for the vbds i = W mod WORKERS; a
# failure is recorded in $SCRATCH/failed.W with its message.
worker() {
        local cmd=$1 w=$2 i rc
        for ((i = w; i < VBDS; i += WORKERS)); do
                rc=0
                XENBUS_PATH="backend/vbd/${DOMID[i]}/${DEVID[i]}" XENBUS_TYPE=vbd \
                        XENBUS_BASE_PATH=backend script=/etc/xen/scripts/qubes-block \
                        "$QUBES_BLOCK" "$cmd" </dev/null >/dev/null 2>"$SCRATCH/err.$w" || rc=$?
                [ "$rc" -eq 0 ] || echo "$cmd of vbd $i: status $rc: $(cat "$SCRATCH/err.$w")" >>"$SCRATCH/failed.$w"
        done
}

run_workers() {         # CMD
        local w
        # LeakSanitizer's scan at exit doubles an ASan build's time per run;
        # leaks are the business of the other suites (and of valgrind)
        local ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
        export ASAN_OPTIONS
        local -a pids=()
        for ((w = 0; w < WORKERS; w++)); do
                worker "$1" "$w" &
                pids+=($!)
        done
        wait "${pids[@]}"
        if cat "$SCRATCH"/failed.* 2>/dev/null | grep -q .; then
                fail "$(cat "$SCRATCH"/failed.*)"
        fi
}

# loops_backed_by in one process: the loop devices on the scratch dir.
scratch_loops() {
        losetup -l -n -O NAME,BACK-FILE | awk -v d="$SCRATCH/" 'index($2, d) == 1 { print $1 }'
}

# Every vbd attached, consistently, from one dump and one losetup listing
# (a process per vbd would take longer than the attaching).
check_attached() {      # ROUND
        local i bad
        xenstore-control dump "$SCRATCH/dump" >/dev/null
        losetup -l -n -O NAME,MAJ:MIN,BACK-INO,RO >"$SCRATCH/loops"
        for ((i = 0; i < VBDS; i++)); do
                echo "$i ${NODE[i]} ${IMAGE_INODE[${IMAGE[i]}]} ${RO[i]}"
        done >"$SCRATCH/expected"
        bad=$(awk '
                FILENAME == ARGV[1] { want_ino[$2] = $3; want_ro[$2] = $4; vbd[$2] = $1; next }
                FILENAME == ARGV[2] {
                        eq = index($0, "="); path = substr($0, 1, eq - 1); value = substr($0, eq + 1)
                        n = split(path, part, "/"); key = part[n]; dir = substr(path, 1, length(path) - length(key) - 1)
                        if (dir in vbd) node[dir, key] = value
                        next
                }
                { split($2, mm, ":"); loop_dev[$1] = sprintf("%x:%x", mm[1], mm[2]); loop_ino[$1] = $3; loop_ro[$1] = $4 }
                END {
                        for (p in vbd) {
                                d = node[p, "physical-device-path"]
                                if (node[p, "hotplug-status"] != "connected") print "vbd " vbd[p] " is not connected"
                                else if (!(d in loop_dev)) print "vbd " vbd[p] ": " d " is no loop device"
                                else if (node[p, "physical-device"] != loop_dev[d]) print "vbd " vbd[p] ": physical-device " node[p, "physical-device"] ", " d " is " loop_dev[d]
                                else if (loop_ino[d] != want_ino[p]) print "vbd " vbd[p] ": " d " is on inode " loop_ino[d] ", not " want_ino[p]
                                else if (loop_ro[d] != want_ro[p]) print "vbd " vbd[p] ": " d " read-only " loop_ro[d] ", not " want_ro[p]
                                else if (node[p, "diskseq"] !~ /^[0-9a-f]+$/) print "vbd " vbd[p] ": diskseq " node[p, "diskseq"]
                                else if (d in used) print "vbd " vbd[p] ": " d " also serves vbd " used[d]
                                used[d] = vbd[p]
                        }
                }' "$SCRATCH/expected" "$SCRATCH/dump" "$SCRATCH/loops")
        [ -z "$bad" ] || fail "round $1: $bad"
        assert_eq "$(scratch_loops | wc -l)" "$VBDS" "round $1: loop devices on the images"
}

check_detached() {      # ROUND
        xenstore-control dump "$SCRATCH/dump" >/dev/null
        if grep -E "/(physical-device|diskseq|hotplug-error)=" "$SCRATCH/dump" >&2; then
                fail "round $1: nodes left after remove"
        fi
        assert_eq "$(scratch_loops)" "" "round $1: loop devices left"
}

test_64_vbds_attached_and_detached_10_times_by_parallel_workers() {
        new_scratch
        local i round start t0 add_time=0 remove_time=0
        for ((i = 0; i < 48; i++)); do truncate -s 1M "$SCRATCH/img$i"; done
        for ((i = 0; i < 4; i++)); do truncate -s 1M "$SCRATCH/shared$i"; done
        vbd_tables
        declare -gA IMAGE_INODE=()
        for i in "$SCRATCH"/img* "$SCRATCH"/shared*; do IMAGE_INODE[$i]=$(stat -c %i "$i"); done
        start=$SECONDS
        for ((round = 1; round <= ROUNDS; round++)); do
                write_all_vbds
                t0=$(date +%s%N)
                run_workers add
                add_time=$((add_time + $(date +%s%N) - t0))
                check_attached "$round"
                t0=$(date +%s%N)
                run_workers remove
                remove_time=$((remove_time + $(date +%s%N) - t0))
                check_detached "$round"
                # libxl deletes the backend directories after remove
                xenstore-rm "$HOME_PATH/backend"
        done
        echo "  $ROUNDS rounds x $VBDS vbds, $WORKERS workers: $((SECONDS - start)) s;" \
                "adds $((add_time / 1000000 / ROUNDS)) ms, removes $((remove_time / 1000000 / ROUNDS)) ms per round" >&2
}

# ---- SIGKILL at random points (libxl's timeout, the OOM killer)

KILL_RUNS=${STRESS_KILL_RUNS:-150}

# One add's run time in microseconds (kill-after -t), the median of 5, to
# aim the kills.
add_duration_us() {
        local i img
        for i in 1 2 3 4 5; do
                img=$(new_image)
                xenstore-rm "$(vbd 9 1)" 2>/dev/null || true
                setup_vbd 9 1 "$img" w
                env XENBUS_PATH=backend/vbd/9/1 XENBUS_TYPE=vbd \
                        "$BIN/kill-after" -t 10000000 "$QUBES_BLOCK" add 2>&1 </dev/null >/dev/null |
                        sed -n 's/^ran \([0-9]*\) us$/\1/p'
                hotplug remove 9 1
        done | sort -n | sed -n 3p
}

# After a killed run: either physical-device names the device, or no loop
# device is on IMG, or the vbd's pending node says a run died making one
# (what the next add or remove of the vbd looks for). Then remove, libxl's
# next step after a failed add, must succeed and leave no loop device on IMG
# and no node. A loop device on IMG that nothing names is a leak.
check_after_kill() {    # WHAT IMG DOMID DEVID
        local p loops i
        p=$(vbd "$3" "$4")
        if ! xs_exists "$p/physical-device"; then
                loops=$(losetup -j "$2" -n -O NAME)
                [ -z "$loops" ] || xs_exists "$p/qubes-block-pending" ||
                        fail "$1: loop $loops on $2, and no node naming it or saying a run died ($(losetup -l -n $loops))"
        fi
        hotplug remove "$3" "$4"
        assert_eq "$RC" 0 "$1: remove after the kill ($(cat "$SCRATCH/err"))"
        assert_no_xs "$p/physical-device"
        assert_no_xs "$p/qubes-block-pending"
        for i in $(seq 50); do          # the last close ends a detach
                loops=$(losetup -j "$2" -n -O NAME)
                [ -n "$loops" ] || break
                sleep 0.02
        done
        [ -z "$loops" ] || fail "$1: loop $loops on $2 left after remove"
}

test_sigkill_at_random_points_of_add_leaks_nothing() {
        new_scratch
        local span run img delay rc attached=0 killed=0
        span=$(add_duration_us)
        span=$((span * 12 / 10 + 1))
        echo "  an add takes ${span} us (x1.2); $KILL_RUNS kills spread over it" >&2
        # adds that run faster than when they were timed (the machine's load
        # changed) end before more of the kills: more runs, up to twice as
        # many, until a third of KILL_RUNS kills have landed inside an add
        for ((run = 0; run < 2 * KILL_RUNS && (run < KILL_RUNS || killed < KILL_RUNS / 3); run++)); do
                img=$(new_image)
                setup_vbd 10 $((1000 + run)) "$img" w
                delay=$((RANDOM * 32768 + RANDOM))
                delay=$((delay % span))
                rc=0
                env XENBUS_PATH="backend/vbd/10/$((1000 + run))" XENBUS_TYPE=vbd \
                        "$BIN/kill-after" "$delay" "$QUBES_BLOCK" add </dev/null >/dev/null 2>&1 || rc=$?
                [ "$rc" -eq 137 ] && killed=$((killed + 1))
                xs_exists "$(vbd 10 $((1000 + run)))/physical-device" && attached=$((attached + 1))
                check_after_kill "kill after $delay us (status $rc)" "$img" 10 $((1000 + run))
                rm -f "$img"
        done
        echo "  $killed of $run adds killed, $attached left physical-device" >&2
        [ "$killed" -ge $((KILL_RUNS / 3)) ] || fail "only $killed kills landed before the add ended"
}

test_sigkill_at_random_points_of_remove_leaks_nothing() {
        new_scratch
        local span run img delay rc killed=0
        span=$(add_duration_us)
        span=$((span * 12 / 10 + 1))
        for ((run = 0; run < KILL_RUNS; run++)); do
                img=$(new_image)
                setup_vbd 11 $((1000 + run)) "$img" w
                hotplug add 11 $((1000 + run))
                assert_attached_ok 11 $((1000 + run))
                delay=$((RANDOM * 32768 + RANDOM))
                delay=$((delay % span))
                rc=0
                env XENBUS_PATH="backend/vbd/11/$((1000 + run))" XENBUS_TYPE=vbd \
                        "$BIN/kill-after" "$delay" "$QUBES_BLOCK" remove </dev/null >/dev/null 2>&1 || rc=$?
                [ "$rc" -eq 137 ] && killed=$((killed + 1))
                check_after_kill "remove killed after $delay us (status $rc)" "$img" 11 $((1000 + run))
                rm -f "$img"
        done
        echo "  $killed of $KILL_RUNS removes killed" >&2
}

run_tests "$@"
