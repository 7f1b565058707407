# test-dom0-list.sh: `xen-devices block list` and `usb list`, text and JSON.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/dom0-lib.sh"

# sys-usb (5) offers loop0 (attached to work, 7, as xvdi) and sda1 (ro);
# work offers nothing; dom0 offers loop3.
two_backends() {
        reset_domains
        new_domain 5 sys-usb
        new_domain 7 work
        "$XD" prepare sys-usb work || fail "prepare failed"
        offer_block 5 loop0 /srv/offer.img 8388608 w
        offer_block 5 sda1 "SanDisk_Cruzer (DATA)" 16013942784 r
        fake_vbd 5 7 51840 /dev/loop0 xvdi w
        xenstore-write /local/domain/0/qubes-block-devices/loop3/desc /var/x.img \
                /local/domain/0/qubes-block-devices/loop3/size 512 \
                /local/domain/0/qubes-block-devices/loop3/mode w
}

test_block_list_shows_every_entry_and_where_it_is_attached() {
        new_scratch
        two_backends
        xd_run block list
        assert_eq "$XD_STATUS" 0 "status"
        assert_eq "$(cat "$SCRATCH/err")" "" "stderr"
        assert_eq "$(sed -n 1p "$SCRATCH/out" | tr -s ' ')" "BACKEND:DEVICE DESCRIPTION SIZE MODE ATTACHED"
        assert_eq "$(sed -n 2p "$SCRATCH/out" | tr -s ' ')" "0:loop3 /var/x.img 512 B w -"
        assert_eq "$(sed -n 3p "$SCRATCH/out" | tr -s ' ')" "sys-usb:loop0 /srv/offer.img 8.0 MiB w work:xvdi (rw)"
        assert_eq "$(sed -n 4p "$SCRATCH/out" | tr -s ' ')" "sys-usb:sda1 SanDisk_Cruzer (DATA) 14.9 GiB r -"
        assert_eq "$(wc -l <"$SCRATCH/out")" 4 "lines"
}

test_block_list_of_one_domain() {
        new_scratch
        two_backends
        xd_run block list sys-usb
        assert_eq "$XD_STATUS" 0 "status"
        assert_eq "$(wc -l <"$SCRATCH/out")" 3 "lines (header and two entries)"
        xd_run block list 5
        assert_eq "$(wc -l <"$SCRATCH/out")" 3 "lines by id"
        xd_run block list work
        assert_eq "$(wc -l <"$SCRATCH/out")" 1 "lines of a domain without entries"
        xd_run block list nosuch
        assert_eq "$XD_STATUS" 3 "status for an unknown domain"
        assert_contains "$(cat "$SCRATCH/err")" "nosuch"
}

test_block_list_json_has_bytes_and_attachment() {
        new_scratch
        two_backends
        xd_run block list --json
        assert_eq "$XD_STATUS" 0 "status"
        python3 -m json.tool "$SCRATCH/out" >/dev/null || fail "not JSON: $(cat "$SCRATCH/out")"
        assert_json "$SCRATCH/out" 'len(d) == 3'
        assert_json "$SCRATCH/out" 'd[1] == {"backend": "sys-usb", "backend_id": 5, "device": "loop0",
                "description": "/srv/offer.img", "size": 8388608, "size_human": "8.0 MiB",
                "mode": "w", "parent": "", "attached": {"frontend": "work", "frontend_id": 7,
                "vdev": "xvdi", "mode": "w"}}'
        assert_json "$SCRATCH/out" 'd[2]["size"] == 16013942784 and d[2]["attached"] is None and d[2]["mode"] == "r"'
}

test_block_list_json_of_nothing_is_an_empty_array() {
        new_scratch
        reset_domains
        xd_run block list --json
        assert_eq "$XD_STATUS" 0 "status"
        assert_json "$SCRATCH/out" 'd == []'
}

test_attachment_of_another_device_is_not_taken() {
        new_scratch
        two_backends
        fake_vbd 5 7 51856 /dev/loop01 xvdj w   # a prefix of the name is no match
        fake_vbd 5 7 51872 loop0 xvdk w
        xd_run block list --json sys-usb
        assert_json "$SCRATCH/out" 'd[0]["attached"]["vdev"] == "xvdi" and d[1]["attached"] is None'
}

test_usb_list_decodes_vendor_and_model() {
        new_scratch
        two_backends
        offer_usb 5 2-1_4 '0781:5567 SanDisk\x20Corp Cruzer\x20Blade 4C530001' 2 ':080650:'
        offer_usb 5 3-2 '046d:c52b Logitech USB\x20Receiver ' 1 ':030101:030102:'
        xenstore-write /local/domain/5/qubes-usb-devices/3-2/connected-to work
        xd_run usb list
        assert_eq "$XD_STATUS" 0 "status"
        assert_eq "$(sed -n 2p "$SCRATCH/out" | tr -s ' ')" \
                "sys-usb:2-1_4 0781:5567 2 SanDisk Corp Cruzer Blade 4C530001 080650 -"
        assert_eq "$(sed -n 3p "$SCRATCH/out" | tr -s ' ')" \
                "sys-usb:3-2 046d:c52b 1 Logitech USB Receiver - 030101,030102 work"
        xd_run usb list --json
        assert_json "$SCRATCH/out" 'd[0]["vendor"] == "SanDisk Corp" and d[0]["model"] == "Cruzer Blade"
                and d[0]["serial"] == "4C530001" and d[0]["interfaces"] == ["080650"]
                and d[0]["connected_to"] is None and d[0]["usb_version"] == 2'
        assert_json "$SCRATCH/out" 'd[1]["connected_to"] == "work" and d[1]["serial"] == ""
                and d[1]["vendor_id"] == "046d" and d[1]["product_id"] == "c52b"'
}

test_list_reads_a_domain_without_name_by_id() {
        new_scratch
        reset_domains
        xenstore-write /local/domain/12/qubes-block-devices/sdb/desc d \
                /local/domain/12/qubes-block-devices/sdb/size 1 /local/domain/12/qubes-block-devices/sdb/mode w
        xd_run block list --json
        assert_json "$SCRATCH/out" 'd[0]["backend"] == "" and d[0]["backend_id"] == 12'
        xd_run block list
        assert_contains "$(cat "$SCRATCH/out")" "12:sdb"
}

run_tests "$@"
