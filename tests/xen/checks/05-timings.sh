# 05-timings.sh: `xl block-attach` + `xl block-detach` of the same file to
# dom0, with Xen's `block` script and with qubes-block, alternating, on the
# real hypervisor. Prints TIME lines (medians over the rounds) for the host.
# Early in the run: no guest exists yet, and none is being torn down (Xen
# scrubs a destroyed domain's memory in the background, which under
# emulation disturbs the figures).

ROUNDS=${QXD_ROUNDS:-6}   # QXD_XEN_ROUNDS on the host

# attach_detach_ms SCRIPT FILE: one round: "ATTACH_MS DETACH_MS".
attach_detach_ms() {
        local t0 t1 t2 spec="format=raw,vdev=xvdb,access=rw,script=$1,target=$2"
        t0=${EPOCHREALTIME/./}
        timeout 90 xl block-attach 0 "$spec" >&2 || fail "attach with $1 failed"
        t1=${EPOCHREALTIME/./}
        timeout 60 xl block-detach 0 xvdb >&2 || fail "detach with $1 failed"
        t2=${EPOCHREALTIME/./}
        [ -z "$(loops_of "$2")" ] || fail "$1 left a loop device on $2"
        echo "$(((t1 - t0) / 1000)) $(((t2 - t1) / 1000))"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# report NAME "A D" "A D"...: medians of attach, detach and their sum.
report() {
        local name=$1 r a=() d=() s=()
        shift
        for r; do
                set -- $r
                a+=("$1"); d+=("$2"); s+=("$(($1 + $2))")
        done
        echo "TIME $name: attach $(printf '%s\n' "${a[@]}" | median) ms, detach $(printf '%s\n' "${d[@]}" | median) ms, attach+detach $(printf '%s\n' "${s[@]}" | median) ms (medians of $ROUNDS; sums: ${s[*]})"
}

test_timing_attach_detach_block_script_vs_qubes_block() {
        local img=$SCRATCH/timing.img i xen=() ours=()
        new_file "$img" 16
        defer free_loops_of "$img"
        defer "timeout 60 xl block-detach 0 xvdb"
        attach_detach_ms block "$img" >/dev/null        # warm the caches
        for ((i = 0; i < ROUNDS; i++)); do
                xen+=("$(attach_detach_ms block "$img")")
                ours+=("$(attach_detach_ms qubes-block "$img")")
                echo "round $i: block ${xen[i]}, qubes-block ${ours[i]} (attach detach, ms)" >&2
        done
        report "Xen block script" "${xen[@]}"
        report "qubes-block     " "${ours[@]}"
}
