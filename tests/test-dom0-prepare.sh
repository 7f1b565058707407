# test-dom0-prepare.sh: `xen-devices prepare` gives a domain its subtrees.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/dom0-lib.sh"

test_domain_cannot_publish_before_prepare() {
        reset_domains
        new_domain 5 sys-usb
        if as_domain 5 xenstore-write /local/domain/5/qubes-block-devices/loop0/desc x 2>/dev/null; then
                fail "a domain could create nodes in its read-only home"
        fi
}

test_prepare_makes_both_subtrees_owned_by_the_domain() {
        new_scratch
        reset_domains
        new_domain 5 sys-usb
        xd_run prepare sys-usb
        assert_eq "$XD_STATUS" 0 "status"
        for t in qubes-block-devices qubes-usb-devices; do
                assert_eq "$(perms_of "/local/domain/5/$t")" n5 "permissions of $t"
        done
        offer_block 5 loop0 /srv/a.img 1024 w
        offer_usb 5 2-1 "0781:5567 a b c" 2 ":080650:"
        assert_xs /local/domain/5/qubes-block-devices/loop0/desc /srv/a.img
}

test_prepare_does_not_let_another_domain_write() {
        reset_domains
        new_domain 5 sys-usb
        new_domain 6 evil
        "$XD" prepare 5 || fail "prepare 5 failed"
        if as_domain 6 xenstore-write /local/domain/5/qubes-block-devices/loop0/desc x 2>/dev/null; then
                fail "domain 6 could write into domain 5's subtree"
        fi
}

test_prepare_is_idempotent_and_keeps_entries() {
        new_scratch
        reset_domains
        new_domain 5 sys-usb
        "$XD" prepare sys-usb || fail "first prepare failed"
        offer_block 5 loop0 /srv/a.img 1024 w
        xd_run prepare sys-usb 5
        assert_eq "$XD_STATUS" 0 "status of the second prepare"
        assert_xs /local/domain/5/qubes-block-devices/loop0/desc /srv/a.img
        offer_block 5 loop1 /srv/b.img 2048 r
}

test_prepare_of_unknown_domain_fails_and_creates_nothing() {
        new_scratch
        reset_domains
        new_domain 5 sys-usb
        xd_run prepare nosuch 9 sys-usb
        assert_eq "$XD_STATUS" 3 "status"
        assert_contains "$(cat "$SCRATCH/err")" "no running domain is named 'nosuch'"
        assert_contains "$(cat "$SCRATCH/err")" "no running domain has id 9"
        assert_no_xs /local/domain/9
        assert_xs /local/domain/5/qubes-block-devices ""        # the known one is done
}

run_tests "$@"
