# test-udev-block-testbeds.sh: the block helpers on umockdev test beds of
# what this machine cannot create (partitions, dm, CD drives, nbd, SCSI and
# USB parents), written by hand in tests/testbeds/.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/block-lib.sh"

SATA=/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda
USB=/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1.4/2-1.4:1.0/host6/target6:0:0/6:0:0:0/block/sdb
CD=/devices/pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0/block/sr0
SDC=/devices/pci0000:00/0000:00:17.0/ata3/host2/target2:0:0/2:0:0:0/block/sdc
SDD=/devices/pci0000:00/0000:00:17.0/ata4/host3/target3:0:0/3:0:0:0/block/sdd
SDE=/devices/pci0000:00/0000:00:17.0/ata5/host4/target4:0:0/4:0:0:0/block/sde

# Options of block-testbed for the next bed_event (--dm-open MAJ:MIN=N).
BED_OPTS=()

# bed_props BED DEVPATH: udev's properties of DEVPATH in BED, KEY=VALUE lines.
bed_props() {
        awk -v p="P: $2" '$0 == p { on = 1; next } /^P: / { on = 0 } on && /^E: / { print substr($0, 4) }' \
                "$TESTS_DIR/testbeds/$1.umockdev"
}

# bed_event BED ACTION DEVPATH [KEY=VALUE...]: run the helper for DEVPATH
# inside BED with the environment udev would give it.
bed_event() {
        local bed=$1 action=$2 devpath=$3 program=udev-block-add-change
        shift 3
        [ "$action" != remove ] || program=udev-block-remove
        # umockdev's preload comes before the sanitizer runtime
        local ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
        export ASAN_OPTIONS
        QXD_SCRATCH=$SCRATCH in_test_sys umockdev-wrapper "$BIN/block-testbed" "${BED_OPTS[@]}" \
                "$TESTS_DIR/testbeds/$bed.umockdev" -- \
                bash -c "$LINK_TESTBED_VBDS"' && exec env -i PATH="$PATH" LD_PRELOAD="$LD_PRELOAD" UMOCKDEV_DIR="$UMOCKDEV_DIR" "$@"' - \
                XENSTORED_PATH="$XENSTORED_PATH" $(sanitizer_env) \
                ACTION="$action" SEQNUM=1 DEVPATH="$devpath" $(bed_props "$bed" "$devpath") "$@" \
                "$BIN/$program"
}

# bed_resync BED: qubes-devices-monitor --resync inside BED (both subtrees
# made equal to what the bed's devices allow).
bed_resync() {
        local bed=$1
        local ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
        export ASAN_OPTIONS
        QXD_SCRATCH=$SCRATCH in_test_sys umockdev-wrapper "$BIN/block-testbed" "${BED_OPTS[@]}" \
                "$TESTS_DIR/testbeds/$bed.umockdev" -- \
                bash -c "$LINK_TESTBED_VBDS"' && exec env -i PATH="$PATH" LD_PRELOAD="$LD_PRELOAD" UMOCKDEV_DIR="$UMOCKDEV_DIR" "$@"' - \
                XENSTORED_PATH="$XENSTORED_PATH" $(sanitizer_env) "$BIN/qubes-devices-monitor" --resync
}

attach_devno() {        # MAJ:MIN in hex, as blkback's physical_device
        mkdir -p "$SCRATCH/vbd/vbd-7-${1/:/-}"
        echo "$1" >"$SCRATCH/vbd/vbd-7-${1/:/-}/physical_device"
}

test_usb_disk_parent_is_its_interface_and_ata_drive_its_port() {
        block_setup
        bed_event usb-stick add "$USB"
        bed_event cdrom add "$CD" ID_CDROM_MEDIA=1
        assert_store "$BLOCK_ROOT/sdb/parent" "2-1.4:1.0"
        assert_store "$BLOCK_ROOT/sr0/parent" "ata2"
}

test_partition_parent_is_its_disk_and_desc_model_label() {
        block_setup
        bed_event usb-stick add "$USB/sdb1"
        assert_store "$BLOCK_ROOT/sdb1/parent" sdb
        assert_store "$BLOCK_ROOT/sdb1/desc" "Cruzer_Blade (BACKUP)"
        assert_store "$BLOCK_ROOT/sdb1/size" $((30029824 * 512))
        assert_store "$BLOCK_ROOT/sdb1/mode" w
}

test_partition_event_evaluates_its_disk_first() {
        block_setup
        bed_event usb-stick add "$USB/sdb1"
        assert_store "$BLOCK_ROOT/sdb/desc" "Cruzer_Blade ()"
        assert_store "$BLOCK_ROOT/sdb/parent" "2-1.4:1.0"
}

test_partition_of_attached_disk_is_withdrawn_and_disk_kept() {
        block_setup
        bed_event usb-stick add "$USB/sdb1"
        attach_devno 8:10
        bed_event usb-stick change "$USB/sdb1"
        assert_no_store "$BLOCK_ROOT/sdb1"
        assert_store "$BLOCK_ROOT/sdb/mode" w
}

test_disk_with_attached_partition_is_withdrawn() {
        block_setup
        bed_event usb-stick add "$USB"
        assert_store "$BLOCK_ROOT/sdb/mode" w
        attach_devno 8:11
        bed_event usb-stick change "$USB/sdb1"
        assert_no_store "$BLOCK_ROOT/sdb"
        assert_store "$BLOCK_ROOT/sdb1/parent" sdb
}

test_partition_with_holder_is_hidden_and_so_is_its_disk() {
        block_setup
        store_write "$BLOCK_ROOT/sda/desc" old "$BLOCK_ROOT/sda2/desc" old
        bed_event sata-disk change "$SATA/sda2"
        assert_no_store "$BLOCK_ROOT/sda2"
        assert_no_store "$BLOCK_ROOT/sda"
        bed_event sata-disk add "$SATA/sda1"
        assert_store "$BLOCK_ROOT/sda1/desc" "Samsung_SSD_860 (Fotos_ete)"
        assert_no_store "$BLOCK_ROOT/sda"
}

test_attached_disk_keeps_entry_though_a_partition_is_busy() {
        block_setup
        store_write "$BLOCK_ROOT/sda/desc" kept
        attach_devno 8:0
        bed_event sata-disk change "$SATA"
        assert_store "$BLOCK_ROOT/sda/desc" kept
}

test_resync_offers_disk_and_partition_with_their_parents() {
        block_setup
        store_write "$BLOCK_ROOT/sdq/desc" stale
        bed_resync usb-stick
        assert_store "$BLOCK_ROOT/sdb/parent" "2-1.4:1.0"
        assert_store "$BLOCK_ROOT/sdb1/parent" sdb
        assert_store "$BLOCK_ROOT/sdb1/desc" "Cruzer_Blade (BACKUP)"
        assert_no_store "$BLOCK_ROOT/sdq"
}

test_resync_hides_the_disk_of_an_attached_partition_and_offers_it_after_detach() {
        block_setup
        attach_devno 8:11
        bed_resync usb-stick
        assert_no_store "$BLOCK_ROOT/sdb"
        assert_store "$BLOCK_ROOT/sdb1/parent" sdb
        rm -r "$SCRATCH/vbd/vbd-7-8-11"
        bed_resync usb-stick
        assert_store "$BLOCK_ROOT/sdb/parent" "2-1.4:1.0"
}

test_resync_hides_a_held_partition_and_its_disk_but_offers_the_sibling() {
        block_setup
        bed_resync sata-disk
        assert_no_store "$BLOCK_ROOT/sda2"
        assert_no_store "$BLOCK_ROOT/sda"
        assert_store "$BLOCK_ROOT/sda1/desc" "Samsung_SSD_860 (Fotos_ete)"
}

test_resync_hides_the_slaves_of_an_open_dm_device() {
        block_setup
        BED_OPTS=(--dm-open 253:0=1 --dm-open 253:1=0)
        bed_resync dm
        assert_no_store "$BLOCK_ROOT/dm-0"
        assert_no_store "$BLOCK_ROOT/sdc"
        assert_store "$BLOCK_ROOT/dm-1/desc" vg-home
        assert_no_store "$BLOCK_ROOT/sdd1"
        assert_no_store "$BLOCK_ROOT/sdd"
}

test_desc_from_utf8_and_control_characters() {
        block_setup
        bed_event usb-stick add "$USB/sdb1" ID_MODEL="Clé_USB" ID_FS_LABEL=$'Fotos\x01 d\xe2\x80\x99\xc3\xa9t\xc3\xa9\x1b[0m'
        assert_store "$BLOCK_ROOT/sdb1/desc" "Cle_USB (Fotos_ d_ete__0m)"
}

test_cd_without_media_is_hidden_and_with_media_read_only() {
        block_setup
        bed_event cdrom add "$CD"
        assert_no_store "$BLOCK_ROOT/sr0"
        bed_event cdrom change "$CD" ID_CDROM_MEDIA=1 ID_FS_LABEL=DEBIAN_12
        assert_store "$BLOCK_ROOT/sr0/mode" r
        assert_store "$BLOCK_ROOT/sr0/desc" "DVD-RW_DH16ABSH (DEBIAN_12)"
        bed_event cdrom change "$CD" ID_CDROM_MEDIA=0
        assert_no_store "$BLOCK_ROOT/sr0"
}

test_nbd_without_server_is_hidden() {
        block_setup
        bed_event nbd add /devices/virtual/block/nbd0
        bed_event nbd add /devices/virtual/block/nbd1
        assert_no_store "$BLOCK_ROOT/nbd0"
        assert_store "$BLOCK_ROOT/nbd1/size" $((2097152 * 512))
}

test_name_dom0_rejects_is_not_written_and_said_why() {
        block_setup
        bed_event cciss add "/devices/pci0000:00/0000:00:01.0/0000:03:00.0/cciss0/c0d0/block/cciss!c0d0" \
                2>"$SCRATCH/err"
        assert_contains "$(cat "$SCRATCH/err")" "dom0 accepts only names"
        assert_eq "$(store_list "$BLOCK_ROOT")" "" "entries"
}

test_dm_desc_is_dm_name_and_its_slave_withdrawn() {
        block_setup
        BED_OPTS=(--dm-open 253:0=0)
        store_write "$BLOCK_ROOT/sdc/desc" old
        bed_event dm add /devices/virtual/block/dm-0
        assert_store "$BLOCK_ROOT/dm-0/desc" vg-data
        assert_store "$BLOCK_ROOT/dm-0/parent" ""
        assert_no_store "$BLOCK_ROOT/sdc"
        assert_eq "$(cat "$SCRATCH/run/block-slave-cache-dm-0")" sdc "slave cache"
        # a change with the same slaves leaves the cache as it is
        local inode
        inode=$(stat -c %i "$SCRATCH/run/block-slave-cache-dm-0")
        bed_event dm change /devices/virtual/block/dm-0
        assert_eq "$(stat -c %i "$SCRATCH/run/block-slave-cache-dm-0")" "$inode" "the slave cache's inode"
}

test_open_dm_device_is_hidden() {
        block_setup
        BED_OPTS=(--dm-open 253:0=2)
        bed_event dm add /devices/virtual/block/dm-0 2>"$SCRATCH/err"
        assert_no_store "$BLOCK_ROOT/dm-0"
        BED_OPTS=(--dm-open 253:0=0)
        bed_event dm change /devices/virtual/block/dm-0
        assert_store "$BLOCK_ROOT/dm-0/desc" vg-data
}

test_dm_on_partition_withdraws_partition_and_its_disk() {
        block_setup
        BED_OPTS=(--dm-open 253:1=0)
        store_write "$BLOCK_ROOT/sdd/desc" old "$BLOCK_ROOT/sdd1/desc" old
        bed_event dm add /devices/virtual/block/dm-1
        assert_no_store "$BLOCK_ROOT/sdd1"
        assert_no_store "$BLOCK_ROOT/sdd"
        assert_store "$BLOCK_ROOT/dm-1/desc" vg-home
}

test_dm_disk_rules_flag_hides_dm_device() {
        block_setup
        BED_OPTS=(--dm-open 253:0=0)
        bed_event dm add /devices/virtual/block/dm-0 DM_UDEV_DISABLE_DISK_RULES_FLAG=1
        assert_no_store "$BLOCK_ROOT/dm-0"
        bed_event dm change /devices/virtual/block/dm-0 DM_UDEV_DISABLE_DISK_RULES_FLAG=1 \
                QUBES_EXPORT_BLOCK_DEVICE=1
        assert_store "$BLOCK_ROOT/dm-0/desc" vg-data
}

test_dm_remove_offers_its_slaves_again_and_drops_cache() {
        block_setup
        BED_OPTS=(--dm-open 253:0=0 --dm-open 253:1=0)
        bed_event dm add /devices/virtual/block/dm-0
        bed_event dm add /devices/virtual/block/dm-1
        assert_no_store "$BLOCK_ROOT/sdc"
        BED_OPTS=()
        start_trigger_watch
        bed_event dm-released remove /devices/virtual/block/dm-0
        # one update: dm-0 removed and sdc offered together, one trigger
        assert_eq "$(triggers_seen)" 1 "triggers (dm-0 removed, sdc offered)"
        assert_no_store "$BLOCK_ROOT/dm-0"
        assert_store "$BLOCK_ROOT/sdc/desc" "WDC_WD10EZEX ()"
        [ ! -e "$SCRATCH/run/block-slave-cache-dm-0" ] || fail "cache of dm-0 left behind"
        # a slave that is a partition brings its disk back too
        bed_event dm-released remove /devices/virtual/block/dm-1 DEVNAME=/dev/dm-1 MAJOR=253 MINOR=1
        assert_store "$BLOCK_ROOT/sdd1/parent" sdd
        assert_store "$BLOCK_ROOT/sdd/desc" "WDC_WD20EZRZ ()"
}

test_dm_reload_frees_old_slaves_and_takes_new_ones() {
        block_setup
        BED_OPTS=(--dm-open 253:0=0)
        bed_event dm add /devices/virtual/block/dm-0
        store_write "$BLOCK_ROOT/sde/desc" old
        bed_event dm-released change /devices/virtual/block/dm-0
        assert_store "$BLOCK_ROOT/sdc/desc" "WDC_WD10EZEX ()"
        assert_no_store "$BLOCK_ROOT/sde"
        assert_eq "$(cat "$SCRATCH/run/block-slave-cache-dm-0")" sde "slave cache"
}

test_unanswered_dm_status_is_an_error_without_entry() {
        block_setup
        BED_OPTS=()
        local rc=0
        bed_event dm add /devices/virtual/block/dm-0 2>"$SCRATCH/err" || rc=$?
        [ "$rc" -ne 0 ] || fail "helper succeeded without the dm open count"
        assert_contains "$(cat "$SCRATCH/err")" "status of dm device dm-0"
        assert_no_store "$BLOCK_ROOT/dm-0"
}

run_tests "$@"
