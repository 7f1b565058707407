# test-dom0-hostile.sh: what a hostile domain publishes never breaks the
# listing: each malformed entry is skipped with one warning naming its
# domain, nothing reaches the terminal or the JSON unescaped, sizes are bounded.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/dom0-lib.sh"

# evil (6) is prepared and may write what it likes below its subtrees;
# good (5) offers loop0, which must always be listed.
hostile_setup() {
        new_scratch
        reset_domains
        new_domain 5 good
        new_domain 6 evil
        "$XD" prepare good evil || fail "prepare failed"
        offer_block 5 loop0 /srv/offer.img 1048576 w
}

# evil_block NAME DESC SIZE MODE: a block entry written by evil (the
# packaged xenstore-write decodes \xNN in values, so bytes can be given).
evil_block() {
        local e=/local/domain/6/qubes-block-devices/$1
        as_domain 6 xenstore-write "$e/desc" "$2" "$e/size" "$3" "$e/mode" "$4" ||
                fail "evil cannot write $e"
}

# The listing is whole in text and JSON, and every warning names evil.
# EXPECTED_WARNINGS: how many lines stderr must have.
assert_listing_survives() {
        local warnings=$1
        xd_run block list
        assert_eq "$XD_STATUS" 0 "status of block list"
        assert_contains "$(cat "$SCRATCH/out")" "good:loop0"
        assert_terminal_safe "$SCRATCH/out"
        assert_terminal_safe "$SCRATCH/err"
        assert_eq "$(wc -l <"$SCRATCH/err")" "$warnings" "warning lines: $(head -c 3000 "$SCRATCH/err")"
        assert_eq "$(count_lines "$SCRATCH/err" "warning: domain evil (6): ")" "$warnings" "warnings naming evil"
        xd_run block list --json
        assert_eq "$XD_STATUS" 0 "status of block list --json"
        assert_json "$SCRATCH/out" 'any(e["backend"] == "good" and e["device"] == "loop0" for e in d)'
}

test_bad_names_give_one_warning_each() {
        hostile_setup
        evil_block SDA d 1 w
        evil_block nvme0n1p12345 d 1 w
        evil_block a_b d 1 w
        evil_block x@y d 1 w
        evil_block ok1 d 1 w
        assert_listing_survives 4
        assert_contains "$(cat "$SCRATCH/err")" "block entry 'nvme0n1p12345' skipped: the name is not [a-z0-9-]{1,12}"
        assert_json "$SCRATCH/out" '[e["device"] for e in d if e["backend"] == "evil"] == ["ok1"]'
}

test_escape_sequences_in_desc_do_not_reach_the_terminal() {
        hostile_setup
        evil_block sda 'x\x1b]0;owned\x07\x1b[2J\x9b31m\r\n' 1 w
        assert_listing_survives 0
        xd_run block list
        assert_contains "$(tr -s ' ' <"$SCRATCH/out")" "evil:sda x__0_owned___2J_31m__ 1 B w -"
}

test_oversized_desc_is_skipped() {
        hostile_setup
        # the longest a domain may write (xenstored's 2048-byte node quota),
        # then as dom0 the longest a message carries; 10 KiB cannot be stored
        # at all (see test-dom0-entry for the reader's bound)
        evil_block big "$(head -c 2000 /dev/zero | tr '\0' a)" 1 w
        xenstore-write /local/domain/6/qubes-block-devices/huge/desc "$(head -c 4000 /dev/zero | tr '\0' b)" \
                /local/domain/6/qubes-block-devices/huge/size 1 /local/domain/6/qubes-block-devices/huge/mode w
        assert_listing_survives 2
        assert_contains "$(cat "$SCRATCH/err")" "block entry 'big' skipped: desc is 2000 bytes long, more than 256"
}

test_nul_bytes_and_bad_sizes_and_modes_are_skipped() {
        hostile_setup
        evil_block nul 'a\x00b' 1 w
        evil_block size1 d 12x w
        evil_block size2 d 1- w
        evil_block size3 d 99999999999999999999 w
        evil_block size4 d '' w
        evil_block mode1 d 1 rw
        evil_block mode2 d 1 'w\x00'
        as_domain 6 xenstore-write /local/domain/6/qubes-block-devices/nodesc/size 1
        assert_listing_survives 8
        assert_contains "$(cat "$SCRATCH/err")" "block entry 'nul' skipped: desc holds a NUL byte"
        assert_contains "$(cat "$SCRATCH/err")" "block entry 'size1' skipped: size '12x' is not a decimal number"
}

test_thousands_of_entries_are_bounded() {
        local args=() i
        hostile_setup
        for ((i = 0; i < 1500; i++)); do
                args+=("/local/domain/6/qubes-block-devices/d$i/desc" "x" \
                       "/local/domain/6/qubes-block-devices/d$i/size" "1" \
                       "/local/domain/6/qubes-block-devices/d$i/mode" "w")
        done
        xenstore-write "${args[@]}"     # as dom0: a domain's quota stops earlier
        assert_listing_survives 1
        assert_contains "$(cat "$SCRATCH/err")" "1500 entries in qubes-block-devices, only the first 1024 read"
        assert_json "$SCRATCH/out" 'sum(1 for e in d if e["backend"] == "evil") == 1024'
}

test_thousands_of_malformed_entries_warn_once_each() {
        local args=() i
        hostile_setup
        for ((i = 0; i < 600; i++)); do
                args+=("/local/domain/6/qubes-block-devices/BAD$i/desc" "x")
        done
        xenstore-write "${args[@]}"
        assert_listing_survives 600
}

test_lying_backend_nodes_do_not_break_the_listing() {
        hostile_setup
        evil_block sda d 1 w
        fake_vbd 6 5 51840 "$(printf '/dev/sda\033[2J')" xvdi w
        fake_vbd 6 5 51856 /dev/sda "$(printf 'xvd\033')" w
        fake_vbd 6 5 junk /dev/sda xvdk w
        xenstore-write /local/domain/6/backend/vbd/notanumber/1/params /dev/sda
        assert_listing_survives 0
        assert_json "$SCRATCH/out" '[e["attached"] for e in d if e["backend"] == "evil"] ==
                [{"frontend": "good", "frontend_id": 5, "vdev": "", "mode": "w"}]'
}

test_hostile_usb_entries_are_skipped_or_escaped() {
        local u=/local/domain/6/qubes-usb-devices
        hostile_setup
        offer_usb 6 1-1 '0781:5567 Evil\x1b[2J \x9b31m serial\x07' 2 ':080650:'
        offer_usb 6 1-2 '0781:5567 two spaces' 2 ''
        offer_usb 6 1-3 '0781:5567 a b c' 9 ''
        offer_usb 6 1-4 '0781:5567 a b c' 2 ':08065G:'
        offer_usb 6 1-5 '0781:5567 a\x00 b c' 2 ''
        offer_usb 6 2-1_ '0781:5567 a b c' 2 ''
        as_domain 6 xenstore-write -R "$u/1-6/desc" "$(printf '0781:5567 a\033 b c')" "$u/1-6/usb-ver" 2 "$u/1-6/interfaces" ''
        xd_run usb list
        assert_eq "$XD_STATUS" 0 "status"
        assert_terminal_safe "$SCRATCH/out"
        assert_terminal_safe "$SCRATCH/err"
        assert_eq "$(count_lines "$SCRATCH/err" "warning: domain evil (6): USB entry")" 6 "warnings"
        assert_contains "$(tr -s ' ' <"$SCRATCH/out")" 'evil:1-1 0781:5567 2 Evil\x1b[2J \x9b31m serial\x07 080650 -'
        xd_run usb list --json
        assert_json "$SCRATCH/out" 'len(d) == 1 and d[0]["vendor"] == "Evil\x1b[2J" and d[0]["model"] == "\ufffd31m"'
        assert_eq "$(grep -c $'\033' "$SCRATCH/out")" 0 "raw ESC bytes in the JSON"
}

run_tests "$@"
