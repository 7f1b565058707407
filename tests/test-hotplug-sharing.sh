# test-hotplug-sharing.sh: Xen's sharing rule for qubes-block (SPEC §4).
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/hotplug-lib.sh"

attach() {              # DOMID DEVID PARAMS MODE
        setup_vbd "$1" "$2" "$3" "$4"
        hotplug add "$1" "$2"
}

test_rw_plus_rw_is_refused() {
        new_scratch
        local img
        img=$(new_image)
        attach 5 51712 "$img" w
        assert_attached_ok 5 51712
        attach 6 51712 "$img" w
        assert_refused_busy 6 51712 "already attached read-write to domain 5"
}

# Many vbds in many domains (a dom0 serving every qube's disks): they are
# looked at in batches, and a holder past the first batch still counts.
test_a_holder_among_many_vbds_of_many_domains_is_found() {
        new_scratch
        local img d args=()
        img=$(new_image)
        # 70 domains with 2 vbds each, on devices that are not the target
        for ((d = 100; d < 170; d++)); do
                args+=("$(vbd "$d" 51712)/physical-device" "fe:$d" "$(vbd "$d" 51712)/mode" w
                       "$(vbd "$d" 51728)/physical-device" "fe:$((d + 100))" "$(vbd "$d" 51728)/mode" w)
        done
        xenstore-write "${args[@]}"
        # the holder: domain 200, listed after them all
        attach 200 51712 "$img" w
        assert_attached_ok 200 51712
        attach 6 51712 "$img" w
        assert_refused_busy 6 51712 "already attached read-write to domain 200"
        hotplug remove 200 51712
        for ((d = 100; d < 170; d++)); do xenstore-rm "$HOME_PATH/backend/vbd/$d"; done
}

test_ro_plus_ro_is_allowed() {
        new_scratch
        local img
        img=$(new_image)
        attach 5 51712 "$img" r
        assert_attached_ok 5 51712
        attach 6 51712 "$img" r
        assert_attached_ok 6 51712
}

test_rw_then_ro_is_refused() {
        new_scratch
        local img
        img=$(new_image)
        attach 5 51712 "$img" w
        assert_attached_ok 5 51712
        attach 6 51712 "$img" r
        assert_refused_busy 6 51712 "already attached read-write to domain 5"
}

test_ro_then_rw_is_refused() {
        new_scratch
        local img
        img=$(new_image)
        attach 5 51712 "$img" r
        assert_attached_ok 5 51712
        attach 6 51712 "$img" w
        assert_refused_busy 6 51712 "already attached read-only to domain 5"
}

test_same_domain_is_exempt() {
        new_scratch
        local img
        img=$(new_image)
        attach 5 51712 "$img" w
        assert_attached_ok 5 51712
        attach 5 51728 "$img" w
        assert_attached_ok 5 51728
}

test_mode_w_bang_skips_the_check() {
        new_scratch
        local img
        img=$(new_image)
        attach 5 51712 "$img" w
        assert_attached_ok 5 51712
        attach 6 51712 "$img" 'w!'
        assert_attached_ok 6 51712
}

# Xen's canonicalise_mode: another domain's "w!" is "trust me", not "w", and
# keeps no reader out.
test_ro_add_shares_with_another_domains_w_bang() {
        new_scratch
        local img
        img=$(new_image)
        attach 5 51712 "$img" 'w!'
        assert_attached_ok 5 51712
        attach 6 51712 "$img" r
        assert_attached_ok 6 51712
        attach 7 51712 "$img" w
        assert_refused_busy 7 51712 "already attached read-write (w!, unchecked) to domain 5"
}

test_files_compare_by_inode_not_path() {
        new_scratch
        local img
        img=$(new_image)
        ln "$img" "$SCRATCH/hardlink.img"
        attach 5 51712 "$img" w
        assert_attached_ok 5 51712
        attach 6 51712 "$SCRATCH/hardlink.img" w
        assert_refused_busy 6 51712 "already attached read-write to domain 5"
}

# The kernel knows a loop's file by identity; the path it shows in sysfs ends
# in " (deleted)" once that name is unlinked, though the inode lives on.
test_file_whose_first_name_was_unlinked_is_still_refused_rw() {
        new_scratch
        local img
        img=$(new_image)
        ln "$img" "$SCRATCH/second-name.img"
        attach 5 51712 "$img" w
        assert_attached_ok 5 51712
        rm "$img"
        attach 6 51712 "$SCRATCH/second-name.img" w
        assert_refused_busy 6 51712 "already attached read-write to domain 5"
}

test_block_device_shared_rw_is_refused() {
        new_scratch
        local dev
        dev=$(losetup --find --show "$(new_image)")
        attach 5 51712 "$dev" w
        assert_attached_ok 5 51712
        attach 6 51712 "$dev" w
        assert_refused_busy 6 51712 "already attached read-write to domain 5"
}

test_detached_vbd_no_longer_counts() {
        new_scratch
        local img
        img=$(new_image)
        attach 5 51712 "$img" w
        assert_attached_ok 5 51712
        hotplug remove 5 51712
        assert_eq "$RC" 0 "remove's exit status"
        attach 6 51712 "$img" w
        assert_attached_ok 6 51712
}

mount_loop() {          # DEV OPTIONS
        mkfs.ext4 -q -F "$1" >/dev/null 2>&1 || fail "mkfs.ext4 $1"
        mkdir -p "$SCRATCH/mnt"
        mount -o "$2" "$1" "$SCRATCH/mnt" || fail "mount $1"
}

test_locally_mounted_device_is_refused_rw() {
        new_scratch
        local dev
        dev=$(losetup --find --show "$(new_image 4096)")
        mount_loop "$dev" rw
        attach 5 51712 "$dev" w
        umount "$SCRATCH/mnt"
        assert_refused_busy 5 51712 "mounted read-write in this domain"
}

test_locally_mounted_ro_device_is_allowed_ro() {
        new_scratch
        local dev
        dev=$(losetup --find --show "$(new_image 4096)")
        mount_loop "$dev" ro
        attach 5 51712 "$dev" r
        umount "$SCRATCH/mnt"
        assert_attached_ok 5 51712
}

test_locally_mounted_ro_device_is_refused_rw() {
        new_scratch
        local dev
        dev=$(losetup --find --show "$(new_image 4096)")
        mount_loop "$dev" ro
        attach 5 51712 "$dev" w
        umount "$SCRATCH/mnt"
        assert_refused_busy 5 51712 "mounted read-only in this domain"
}

# btrfs reports an anonymous 0:N device in mountinfo: the mount's source
# names the real one.
test_btrfs_mounted_device_is_refused_rw() {
        new_scratch
        local dev
        command -v mkfs.btrfs >/dev/null || skip "mkfs.btrfs is not installed"
        grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null || skip "no btrfs in this kernel"
        dev=$(losetup --find --show "$(new_image 131072)")
        mkfs.btrfs -q -f "$dev" >/dev/null 2>&1 || fail "mkfs.btrfs $dev"
        mkdir -p "$SCRATCH/mnt"
        mount "$dev" "$SCRATCH/mnt" || fail "mount $dev"
        attach 5 51712 "$dev" w
        assert_refused_busy 5 51712 "mounted read-write in this domain"
        attach 6 51712 "$dev" r
        assert_refused_busy 6 51712 "mounted read-write in this domain"
        umount "$SCRATCH/mnt"
}

test_file_whose_loop_is_mounted_is_refused_rw() {
        new_scratch
        local img dev
        img=$(new_image 4096)
        dev=$(losetup --find --show "$img")
        mount_loop "$dev" rw
        attach 5 51712 "$img" w
        umount "$SCRATCH/mnt"
        assert_refused_busy 5 51712 "mounted read-write in this domain"
        assert_eq "$(loops_backed_by "$SCRATCH")" "$dev" "loop devices (only the test's own)"
}

test_swap_device_is_refused() {
        new_scratch
        local dev
        dev=$(losetup --find --show "$(new_image 4096)")
        mkswap "$dev" >/dev/null 2>&1
        swapon "$dev" 2>/dev/null || skip "swapon is not permitted here"
        attach 5 51712 "$dev" r
        swapoff "$dev"
        assert_refused_busy 5 51712 "in use as swap"
}

test_disk_with_a_mounted_partition_is_refused_rw() {
        new_scratch
        partitioned_loop
        mount_loop "$SCRATCH/p1" rw
        attach 5 51712 "$DISK" w
        umount "$SCRATCH/mnt"
        assert_refused_busy 5 51712 "mounted read-write in this domain"
}

test_parallel_rw_adds_of_one_file_to_two_domains_admit_one() {
        new_scratch
        local img round ok
        img=$(new_image)
        for round in 1 2 3 4 5; do
                setup_vbd 5 $((51712 + round)) "$img" w
                setup_vbd 6 $((51712 + round)) "$img" w
                ( hotplug add 5 $((51712 + round)); exit "$RC" ) & local a=$!
                ( hotplug add 6 $((51712 + round)); exit "$RC" ) & local b=$!
                ok=0
                wait $a && ok=$((ok + 1))
                wait $b && ok=$((ok + 1))
                assert_eq "$ok" 1 "adds admitted in round $round"
                hotplug remove 5 $((51712 + round))
                hotplug remove 6 $((51712 + round))
        done
        assert_no_loops_in "$SCRATCH"
}

# ---- related block devices: a disk and its partitions hold the same blocks

test_disk_rw_then_its_partition_rw_to_another_domain_is_refused() {
        new_scratch
        partitioned_loop
        attach 5 51712 "$DISK" w
        assert_attached_ok 5 51712
        attach 6 51712 "$SCRATCH/p1" w
        assert_refused_busy 6 51712 "already attached read-write to domain 5"
}

test_partition_rw_then_its_disk_rw_to_another_domain_is_refused() {
        new_scratch
        partitioned_loop
        attach 5 51712 "$SCRATCH/p2" w
        assert_attached_ok 5 51712
        attach 6 51712 "$DISK" w
        assert_refused_busy 6 51712 "already attached read-write to domain 5"
}

test_partition_rw_then_its_disk_ro_to_another_domain_is_refused() {
        new_scratch
        partitioned_loop
        attach 5 51712 "$SCRATCH/p1" w
        assert_attached_ok 5 51712
        attach 6 51712 "$DISK" r
        assert_refused_busy 6 51712 "already attached read-write to domain 5"
}

test_disk_ro_and_its_partition_ro_in_two_domains_share() {
        new_scratch
        partitioned_loop
        attach 5 51712 "$DISK" r
        assert_attached_ok 5 51712
        attach 6 51712 "$SCRATCH/p1" r
        assert_attached_ok 6 51712
}

test_two_partitions_of_one_disk_rw_to_two_domains_are_allowed() {
        new_scratch
        partitioned_loop
        attach 5 51712 "$SCRATCH/p1" w
        assert_attached_ok 5 51712
        attach 6 51712 "$SCRATCH/p2" w
        assert_attached_ok 6 51712
}

test_disk_whose_partition_has_holders_is_refused_rw() {
        new_scratch
        partitioned_loop
        local part_sys
        part_sys=$(readlink -f "/sys/block/${DISK#/dev/}/${DISK#/dev/}p1")
        setup_vbd 5 51712 "$DISK" w
        hotplug_with_holder "$part_sys" add 5 51712
        assert_refused_busy 5 51712 "in use by another block device"
        setup_vbd 6 51712 "$SCRATCH/p1" w
        hotplug_with_holder "$part_sys" add 6 51712
        assert_refused_busy 6 51712 "in use by another block device"
}

test_disk_whose_partition_has_holders_is_allowed_ro() {
        new_scratch
        partitioned_loop
        setup_vbd 5 51712 "$DISK" r
        hotplug_with_holder "$(readlink -f "/sys/block/${DISK#/dev/}/${DISK#/dev/}p1")" add 5 51712
        assert_attached_ok 5 51712
}

# ---- loop devices given as block devices: compared by the file they hold

test_second_loop_on_the_same_file_is_refused_rw() {
        new_scratch
        local img a b
        img=$(new_image)
        a=$(losetup --find --show "$img")
        b=$(losetup --find --show "$img")
        attach 5 51712 "$a" w
        assert_attached_ok 5 51712
        attach 6 51712 "$b" w
        assert_refused_busy 6 51712 "already attached read-write to domain 5"
        attach 7 51712 "$b" r
        assert_refused_busy 7 51712 "already attached read-write to domain 5"
}

test_file_then_a_loop_on_the_same_file_is_refused_rw() {
        new_scratch
        local img b
        img=$(new_image)
        attach 5 51712 "$img" w
        assert_attached_ok 5 51712
        b=$(losetup --find --show "$img")
        attach 6 51712 "$b" w
        assert_refused_busy 6 51712 "already attached read-write to domain 5"
}

test_loop_then_its_file_is_refused_rw() {
        new_scratch
        local img a
        img=$(new_image)
        a=$(losetup --find --show "$img")
        attach 5 51712 "$a" w
        assert_attached_ok 5 51712
        attach 6 51712 "$img" w
        assert_refused_busy 6 51712 "already attached read-write to domain 5"
}

test_loop_on_a_file_mounted_through_another_loop_is_refused_rw() {
        new_scratch
        local img a b
        img=$(new_image 4096)
        a=$(losetup --find --show "$img")
        mount_loop "$a" rw
        b=$(losetup --find --show "$img")
        attach 5 51712 "$b" w
        umount "$SCRATCH/mnt"
        assert_refused_busy 5 51712 "mounted read-write in this domain"
}

test_two_loops_on_one_file_ro_in_two_domains_share() {
        new_scratch
        local img a b
        img=$(new_image)
        a=$(losetup --find --show "$img")
        b=$(losetup --find --show "$img")
        attach 5 51712 "$a" r
        assert_attached_ok 5 51712
        attach 6 51712 "$b" r
        assert_attached_ok 6 51712
}

# ---- swap files: a guest must not read or write the backend's swapped memory

swap_file() {           # FILE: an active swap file, or skip
        fallocate -l 8M "$1" 2>/dev/null || truncate -s 8M "$1"
        chmod 600 "$1"
        mkswap "$1" >/dev/null 2>&1 || skip "mkswap failed"
        swapon "$1" 2>/dev/null || skip "swapon of a file is not permitted here"
}

test_active_swap_file_is_refused_rw_and_ro() {
        new_scratch
        local m
        swap_file "$SCRATCH/swapfile"
        for m in w r; do
                xenstore-rm "$(vbd 5 51712)" 2>/dev/null || true
                attach 5 51712 "$SCRATCH/swapfile" "$m"
                assert_refused_busy 5 51712 "in use as swap"
        done
}

test_loop_on_an_active_swap_file_is_refused() {
        new_scratch
        local b
        swap_file "$SCRATCH/swapfile"
        b=$(losetup --find --show --read-only "$SCRATCH/swapfile")
        attach 5 51712 "$b" r
        assert_refused_busy 5 51712 "in use as swap"
}

run_tests "$@"
