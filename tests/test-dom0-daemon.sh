# test-dom0-daemon.sh: `xen-devices daemon` against the test server:
# domains introduced (@introduceDomain, fired with `xenstore-control fire`)
# are prepared, devices appearing, disappearing, attached and detached are
# logged, dying domains are survived, SIGTERM ends it cleanly.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/dom0-lib.sh"

start_daemon() {
        new_scratch
        reset_domains
        "$XD" daemon >"$SCRATCH/log" 2>&1 &
        DAEMON=$!
        trap 'kill $DAEMON 2>/dev/null || true; cleanup_scratch' EXIT
        wait_log "watching for domains"
}

# wait_log TEXT: until the daemon's log has a line containing TEXT (10 s).
wait_log() {
        for _ in $(seq 100); do
                grep -qF -- "$1" "$SCRATCH/log" && return 0
                kill -0 "$DAEMON" 2>/dev/null || fail "the daemon died: $(cat "$SCRATCH/log")"
                sleep 0.1
        done
        fail "the daemon did not log '$1': $(cat "$SCRATCH/log")"
}

introduce() {           # DOMID NAME
        new_domain "$1" "$2"
        xenstore-control fire @introduceDomain >/dev/null
}

release() {             # DOMID
        xenstore-rm "/local/domain/$1"
        xenstore-control fire @releaseDomain >/dev/null
}

# stop_daemon: SIGTERM; it must exit 0 within 5 s.
stop_daemon() {
        local status=0
        kill -TERM "$DAEMON"
        for _ in $(seq 50); do kill -0 "$DAEMON" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$DAEMON" 2>/dev/null && fail "the daemon did not stop on SIGTERM"
        wait "$DAEMON" || status=$?
        assert_eq "$status" 0 "the daemon's status after SIGTERM"
}

test_daemon_prepares_an_introduced_domain() {
        start_daemon
        introduce 5 sys-usb
        wait_log "domain sys-usb (5) prepared"
        assert_eq "$(perms_of /local/domain/5/qubes-block-devices)" n5
        assert_eq "$(perms_of /local/domain/5/qubes-usb-devices)" n5
        offer_block 5 loop0 /srv/a.img 1024 w   # the domain can publish now
        stop_daemon
}

test_daemon_prepares_domains_running_at_start() {
        new_scratch
        reset_domains
        new_domain 8 early
        "$XD" daemon >"$SCRATCH/log" 2>&1 &
        DAEMON=$!
        trap 'kill $DAEMON 2>/dev/null || true; cleanup_scratch' EXIT
        wait_log "domain early (8) prepared"
        assert_eq "$(perms_of /local/domain/8/qubes-block-devices)" n8
        stop_daemon
}

test_daemon_logs_devices_appearing_attached_detached_disappearing() {
        start_daemon
        introduce 5 sys-usb
        introduce 7 work
        wait_log "domain work (7) prepared"
        offer_block 5 loop0 /srv/a.img 1024 w
        wait_log "block device sys-usb:loop0 appeared: /srv/a.img, 1024 bytes, mode w"
        fake_vbd 5 7 51840 /dev/loop0 xvdi w
        wait_log "block device sys-usb:loop0 attached to domain 7 as xvdi (rw)"
        xenstore-rm /local/domain/5/backend/vbd/7/51840
        wait_log "block device sys-usb:loop0 detached from domain 7 (xvdi)"
        offer_usb 5 2-1 '0781:5567 a b c' 2 ':080650:'
        wait_log "USB device sys-usb:2-1 appeared: 0781:5567"
        xenstore-write /local/domain/5/qubes-usb-devices/2-1/connected-to work
        wait_log "USB device sys-usb:2-1 attached to work"
        as_domain 5 xenstore-rm /local/domain/5/qubes-block-devices/loop0
        wait_log "block device sys-usb:loop0 disappeared"
        stop_daemon
}

test_daemon_warns_once_per_malformed_entry() {
        start_daemon
        introduce 6 evil
        wait_log "domain evil (6) prepared"
        as_domain 6 xenstore-write /local/domain/6/qubes-block-devices/BAD/desc x
        wait_log "block entry 'BAD' skipped"
        offer_block 6 loop1 /x 1 w
        wait_log "block device evil:loop1 appeared"
        offer_block 6 loop2 /x 1 w
        wait_log "block device evil:loop2 appeared"
        assert_eq "$(count_lines "$SCRATCH/log" "block entry 'BAD' skipped")" 1 "warnings about BAD"
        assert_terminal_safe "$SCRATCH/log"
        stop_daemon
}

test_daemon_survives_a_domain_dying_with_devices() {
        start_daemon
        introduce 5 sys-usb
        wait_log "domain sys-usb (5) prepared"
        offer_block 5 loop0 /srv/a.img 1024 w
        wait_log "block device sys-usb:loop0 appeared"
        release 5
        wait_log "block device sys-usb:loop0 disappeared"
        wait_log "domain sys-usb is gone"
        introduce 9 next
        wait_log "domain next (9) prepared"
        stop_daemon
}

test_daemon_does_not_resurrect_a_domain_that_died_before_prepare() {
        start_daemon
        new_domain 5 brief
        xenstore-rm /local/domain/5
        xenstore-control fire @introduceDomain >/dev/null
        introduce 9 marker      # once this is done, the first event was handled
        wait_log "domain marker (9) prepared"
        assert_no_xs /local/domain/5
        stop_daemon
}

test_daemon_survives_domains_dying_during_a_storm() {
        local i
        start_daemon
        for ((i = 10; i < 40; i++)); do
                introduce "$i" "d$i"
                xenstore-write "/local/domain/$i/qubes-block-devices/loop0/desc" x \
                        "/local/domain/$i/qubes-block-devices/loop0/size" 1 \
                        "/local/domain/$i/qubes-block-devices/loop0/mode" w 2>/dev/null || true
                release "$i"
        done
        introduce 9 after-storm
        wait_log "domain after-storm (9) prepared"
        for ((i = 10; i < 40; i++)); do assert_no_xs "/local/domain/$i"; done
        stop_daemon
}

run_tests "$@"
