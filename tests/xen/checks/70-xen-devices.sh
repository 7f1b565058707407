# 70-xen-devices.sh: dom0's `xen-devices` on the real hypervisor with a PV
# driver domain (vm/driver-role: blkback, `xl devd`, qubes-block, the udev
# helpers). `xen-devices prepare` grants the driver its subtree; the driver
# publishes loop0 (offer.img, holding QXD-OFFER-DATA) under those real
# permissions; dom0 lists it, attaches it to a client through libxl, the
# client reads the bytes, detaches; the refusals; hostile entries; and the
# timings of xen-devices against `xl block-attach` + `xl block-detach`.
#
# One driver and one client for the whole file, tests in order.

DRIVER=qxd-drv70
CLIENT=qxd-cli70
SHARED=/tmp/qxd-70
XD=/usr/sbin/xen-devices
[ -x "$XD" ] || XD=/usr/local/sbin/xen-devices
ROUNDS=${QXD_ROUNDS:-6}

setup_file() {
        local out
        rm -rf "$SHARED"
        mkdir -p "$SHARED"
        cat >"$SHARED/driver.cfg" <<CFG
name = "$DRIVER"
type = "pv"
kernel = "$GUEST_DIR/vmlinuz"
ramdisk = "/qxd/driver-initrd.gz"
extra = "console=hvc0 loglevel=3 qxd.role=driver"
memory = 384
vcpus = 1
driver_domain = 1
CFG
        out=$(timeout 120 xl create "$SHARED/driver.cfg" 2>&1) ||
                { xl destroy "$DRIVER" 2>/dev/null; fail "xl create $DRIVER failed: $out"; }
        make_guest_disk "$SHARED/client.img" "client-70"
        SCRATCH=$SHARED start_guest "$CLIENT" \
                "format=raw,vdev=xvda,access=rw,script=qubes-block,target=$SHARED/client.img"
        QXD_DEFERRED=()
}

teardown_file() {
        ! domid_of "$CLIENT" >/dev/null || timeout 60 xl destroy "$CLIENT"
        ! domid_of "$DRIVER" >/dev/null || timeout 60 xl destroy "$DRIVER"
        free_loops_of "$SHARED/client.img"
}

driver_says() {         # SECONDS TEXT
        wait_console "$DRIVER" "$1" "QXD-DRIVER $2" ||
                { show_console "$DRIVER"; fail "the driver domain did not report '$2'"; }
}

# console_count NAME TEXT: how many lines of NAME's console hold TEXT.
console_count() { grep -cF -- "$2" "$(console_log "$1")" 2>/dev/null || true; }
console_count_above() { [ "$(console_count "$1" "$2")" -gt "$3" ]; }  # NAME TEXT N

# wait_client_line SECONDS TEXT BEFORE: until the client's console holds
# more lines with TEXT than BEFORE.
wait_client_line() {
        wait_until "$1" "'$2' on $CLIENT's console" console_count_above "$CLIENT" "$2" "$3" ||
                { show_console "$CLIENT"; return 1; }
}

# xd ARGS...: xen-devices; output in $SCRATCH/out and err, status in $XD_STATUS.
xd() {
        XD_STATUS=0
        timeout 120 "$XD" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || XD_STATUS=$?
        sed 's/^/  xen-devices: /' "$SCRATCH/err" >&2
}

assert_status() {       # EXPECTED WHAT
        [ "$XD_STATUS" = "$1" ] || fail "$2: status $XD_STATUS, expected $1; stderr: $(cat "$SCRATCH/err"); stdout: $(cat "$SCRATCH/out")"
}

# attached_column DEVICE: the ATTACHED column of the block list line of DEVICE.
attached_column() {
        "$XD" block list "$DRIVER" | awk -v d="$DRIVER:$1" '$1 == d {
                if ($NF == "(rw)" || $NF == "(ro)") print $(NF - 1) " " $NF; else print $NF }'
}

# vbd_gone FRONTEND_DOMID DEVID: neither side of the disk is left.
vbd_gone() {
        ! xs_exists "/local/domain/$1/device/vbd/$2" &&
                ! xs_exists "/local/domain/$(domid_of "$DRIVER")/backend/vbd/$1/$2"
}

test_driver_publishes_under_the_grant_of_xen_devices_prepare() {
        local d
        driver_says 240 "devd running"
        d=$(domid_of "$DRIVER") || fail "$DRIVER is not running"
        xd prepare "$DRIVER"
        assert_status 0 "prepare $DRIVER"
        xenstore-ls -p "/local/domain/$d" | grep -E '^qubes-(block|usb)-devices ' >&2
        xd prepare "$DRIVER"
        assert_status 0 "prepare twice"
        driver_says 60 "granted"
        driver_says 120 "published loop0"
        assert_xs "/local/domain/$d/qubes-block-devices/loop0/desc" /srv/offer.img
}

test_dom0_lists_the_offered_device() {
        xd block list
        assert_status 0 "block list"
        cat "$SCRATCH/out" >&2
        assert_contains "$(tr -s ' ' <"$SCRATCH/out")" "$DRIVER:loop0 /srv/offer.img 8.0 MiB w -"
        xd block list "$DRIVER" --json
        assert_status 0 "block list --json"
        assert_contains "$(cat "$SCRATCH/out")" '"size": 8388608'
}

test_attach_gives_the_client_the_drivers_bytes() {
        local before c
        wait_console "$CLIENT" 180 "QXD-GUEST booted from xvda marker=client-70" ||
                { show_console "$CLIENT"; fail "the client did not boot"; }
        before=$(console_count "$CLIENT" "disk xvdi appeared ro=0 data=QXD-OFFER-DATA")
        xd block attach "$CLIENT" "$DRIVER:loop0"
        assert_status 0 "attach"
        assert_contains "$(cat "$SCRATCH/out")" "as xvdi (read-write)"
        wait_client_line 60 "disk xvdi appeared ro=0 data=QXD-OFFER-DATA" "$before" ||
                fail "the client did not read the driver's bytes from xvdi"
        c=$(domid_of "$CLIENT")
        assert_xs "$(backend_path "$(domid_of "$DRIVER")" "$c" xvdi)/hotplug-status" connected
        assert_eq "$(attached_column loop0)" "$CLIENT:xvdi (rw)" "the list's ATTACHED column"
}

test_refusals_say_why() {
        local d
        d=$(domid_of "$DRIVER")
        xd block attach "$CLIENT" "$DRIVER:loop0"
        assert_status 4 "attaching an attached device"
        assert_contains "$(cat "$SCRATCH/err")" "attached already"
        xd block attach "$CLIENT" "$DRIVER:loop9"
        assert_status 3 "a device not offered"
        assert_contains "$(cat "$SCRATCH/err")" "does not offer a block device loop9"
        xd block attach "$DRIVER" "$DRIVER:loop0"
        assert_status 4 "a device to its own backend"
        assert_contains "$(cat "$SCRATCH/err")" "its own backend"
        xd block attach nosuch "$DRIVER:loop0"
        assert_status 3 "an unknown frontend"
        # an entry offered read-only (written here by dom0 into the subtree)
        xenstore-write "/local/domain/$d/qubes-block-devices/loop7/desc" ro.img \
                "/local/domain/$d/qubes-block-devices/loop7/size" 512 \
                "/local/domain/$d/qubes-block-devices/loop7/mode" r
        defer xenstore-rm "/local/domain/$d/qubes-block-devices/loop7"
        xd block attach "$CLIENT" "$DRIVER:loop7" --rw
        assert_status 4 "--rw of a mode r entry"
        assert_contains "$(cat "$SCRATCH/err")" "read-only (mode r)"
        xd block attach "$CLIENT" "$DRIVER:loop7" --vdev xvda
        assert_status 4 "a busy vdev"
        assert_contains "$(cat "$SCRATCH/err")" "xvda is in use"
}

test_detach_offers_the_device_again() {
        local before c
        c=$(domid_of "$CLIENT")
        before=$(console_count "$CLIENT" "disk xvdi gone")
        xd block detach "$CLIENT" "$DRIVER:loop0"
        assert_status 0 "detach by BACKEND:DEVICE"
        wait_client_line 60 "disk xvdi gone" "$before" || fail "xvdi did not go away in the client"
        wait_until 60 "the vbd to be gone" vbd_gone "$c" 51840
        assert_eq "$(attached_column loop0)" "-" "the list's ATTACHED column after detach"
        xd block detach "$CLIENT" xvdi
        assert_status 3 "detaching what is not attached"
}

test_read_only_attach_gives_a_read_only_disk() {
        local before c
        c=$(domid_of "$CLIENT")
        before=$(console_count "$CLIENT" "disk xvdj appeared ro=1 data=QXD-OFFER-DATA")
        xd block attach "$CLIENT" "$DRIVER:loop0" --ro --vdev xvdj
        assert_status 0 "attach --ro"
        wait_client_line 60 "disk xvdj appeared ro=1 data=QXD-OFFER-DATA" "$before" ||
                fail "the client did not get a read-only xvdj"
        assert_eq "$(attached_column loop0)" "$CLIENT:xvdj (ro)" "the list's ATTACHED column"
        xd block detach "$CLIENT" xvdj
        assert_status 0 "detach by vdev"
        wait_until 60 "the vbd to be gone" vbd_gone "$c" 51856
}

test_hotplug_error_reaches_the_user_and_nothing_is_left() {
        local d c
        d=$(domid_of "$DRIVER")
        c=$(domid_of "$CLIENT")
        # an entry for a loop device the driver does not have bound: the
        # driver's qubes-block cannot open it and says so in hotplug-error
        xenstore-write "/local/domain/$d/qubes-block-devices/loop60/desc" none \
                "/local/domain/$d/qubes-block-devices/loop60/size" 512 \
                "/local/domain/$d/qubes-block-devices/loop60/mode" w
        defer xenstore-rm "/local/domain/$d/qubes-block-devices/loop60"
        xd block attach "$CLIENT" "$DRIVER:loop60"
        assert_status 1 "attach of a device the backend cannot open"
        assert_contains "$(cat "$SCRATCH/err")" "hotplug script failed"
        assert_contains "$(cat "$SCRATCH/err")" "/dev/loop60"
        wait_until 60 "the refused vbd to be removed" vbd_gone "$c" 51840
}

test_hostile_entries_do_not_break_the_listing() {
        local d e
        d=$(domid_of "$DRIVER")
        e=/local/domain/$d/qubes-block-devices
        defer "xenstore-rm $e/BAD; xenstore-rm $e/big; xenstore-rm $e/esc; xenstore-rm $e/nul"
        xenstore-write "$e/BAD/desc" x "$e/BAD/size" 1 "$e/BAD/mode" w
        xenstore-write -R "$e/big/desc" "$(head -c 2000 /dev/zero | tr '\0' a)" "$e/big/size" 1 "$e/big/mode" w
        xenstore-write "$e/esc/desc" 'x\x1b]0;owned\x07\x1b[2J' "$e/esc/size" 1 "$e/esc/mode" w
        xenstore-write "$e/nul/desc" 'a\x00b' "$e/nul/size" 1 "$e/nul/mode" w
        xd block list
        assert_status 0 "block list with hostile entries"
        assert_contains "$(cat "$SCRATCH/out")" "$DRIVER:loop0"
        assert_contains "$(cat "$SCRATCH/out")" "x__0_owned___2J"
        assert_eq "$(grep -c "warning: domain $DRIVER ($d)" "$SCRATCH/err")" 3 "warnings"
        if grep -q "$(printf '\033')" "$SCRATCH/out" "$SCRATCH/err"; then
                fail "an escape character reached the output"
        fi
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

hotplug_connected() {   # BACKEND_PATH
        [ "$(xenstore-read "$1/hotplug-status" 2>/dev/null)" = connected ]
}

# One round: "ATTACH_MS DETACH_MS" of driver:loop0 to the client as xvdi,
# through xen-devices (TOOL xd) or xl; both until the driver's hotplug script
# has connected the disk, which xen-devices waits for by itself.
round_ms() {
        local tool=$1 c d be t0 t1 t2
        c=$(domid_of "$CLIENT")
        d=$(domid_of "$DRIVER")
        be=$(backend_path "$d" "$c" xvdi)
        t0=${EPOCHREALTIME/./}
        if [ "$tool" = xd ]; then
                "$XD" block attach "$CLIENT" "$DRIVER:loop0" >/dev/null || fail "xen-devices attach failed"
        else
                timeout 90 xl block-attach "$CLIENT" \
                        "backend=$DRIVER,format=raw,vdev=xvdi,access=rw,script=qubes-block,target=/dev/loop0" ||
                        fail "xl block-attach failed"
                while ! hotplug_connected "$be"; do sleep 0.01; done
        fi
        t1=${EPOCHREALTIME/./}
        if [ "$tool" = xd ]; then
                "$XD" block detach "$CLIENT" xvdi >/dev/null || fail "xen-devices detach failed"
        else
                timeout 60 xl block-detach "$CLIENT" xvdi || fail "xl block-detach failed"
        fi
        t2=${EPOCHREALTIME/./}
        wait_until 60 "the vbd to be gone" vbd_gone "$c" 51840
        echo "$(((t1 - t0) / 1000)) $(((t2 - t1) / 1000))"
}

report() {              # NAME "A D"...
        local name=$1 r a=() dd=() s=()
        shift
        for r; do
                set -- $r
                a+=("$1"); dd+=("$2"); s+=("$(($1 + $2))")
        done
        echo "TIME $name: attach $(printf '%s\n' "${a[@]}" | median) ms, detach $(printf '%s\n' "${dd[@]}" | median) ms, attach+detach $(printf '%s\n' "${s[@]}" | median) ms (medians of $ROUNDS; sums: ${s[*]})"
}

test_timing_xen_devices_vs_xl_attach_detach() {
        local i xl_runs=() xd_runs=()
        # on its own too (QXD_XEN_ONLY=timing): the driver must offer loop0
        "$XD" prepare "$DRIVER" || fail "prepare $DRIVER failed"
        driver_says 240 "published loop0"
        wait_console "$CLIENT" 180 "QXD-GUEST booted from xvda" || fail "the client did not boot"
        defer "timeout 60 xl block-detach $CLIENT xvdi"
        round_ms xl >/dev/null          # warm the caches
        round_ms xd >/dev/null
        for ((i = 0; i < ROUNDS; i++)); do
                # alternate which goes first, so that a drift hits both alike
                if ((i % 2)); then
                        xd_runs+=("$(round_ms xd)")
                        xl_runs+=("$(round_ms xl)")
                else
                        xl_runs+=("$(round_ms xl)")
                        xd_runs+=("$(round_ms xd)")
                fi
                echo "INFO xen-devices timing round $i: xl ${xl_runs[i]}, xen-devices ${xd_runs[i]} (attach detach, ms)"
        done
        report "xl block-attach/detach (driver domain)" "${xl_runs[@]}"
        report "xen-devices attach/detach (driver domain)" "${xd_runs[@]}"
}
