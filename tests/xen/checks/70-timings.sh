# 70-timings.sh: `xl block-attach` + `xl block-detach` of the same file to
# dom0, with Xen's `block` script and with qubes-block, alternating, on the
# real hypervisor. Prints TIME lines (medians over the rounds) for the host.

ROUNDS=5

# attach_detach_ms SCRIPT FILE: one round, in milliseconds.
attach_detach_ms() {
        local start end spec="format=raw,vdev=xvdb,access=rw,script=$1,target=$2"
        start=${EPOCHREALTIME/./}
        timeout 90 xl block-attach 0 "$spec" >&2 || fail "attach with $1 failed"
        timeout 60 xl block-detach 0 xvdb >&2 || fail "detach with $1 failed"
        end=${EPOCHREALTIME/./}
        [ -z "$(loops_of "$2")" ] || fail "$1 left a loop device on $2"
        echo $(((end - start) / 1000))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

test_timing_attach_detach_block_script_vs_qubes_block() {
        local img=$SCRATCH/timing.img i xen=() ours=() m_xen m_ours
        new_file "$img" 16
        defer free_loops_of "$img"
        defer "timeout 60 xl block-detach 0 xvdb"
        attach_detach_ms block "$img" >/dev/null        # warm the caches
        for ((i = 0; i < ROUNDS; i++)); do
                xen+=("$(attach_detach_ms block "$img")")
                ours+=("$(attach_detach_ms qubes-block "$img")")
                echo "round $i: block ${xen[i]} ms, qubes-block ${ours[i]} ms" >&2
        done
        m_xen=$(printf '%s\n' "${xen[@]}" | median)
        m_ours=$(printf '%s\n' "${ours[@]}" | median)
        echo "TIME attach+detach, Xen block script: median $m_xen ms over $ROUNDS rounds (${xen[*]})"
        echo "TIME attach+detach, qubes-block:      median $m_ours ms over $ROUNDS rounds (${ours[*]})"
}
