# test-dom0-cli.sh: xen-devices' command line: help, version, usage errors
# and their exit codes, attach and detach without libxenlight (this host
# has no hypervisor: libxl_ctx_alloc fails for want of /dev/xen/privcmd).
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/dom0-lib.sh"

test_help_lists_the_commands() {
        new_scratch
        xd_run --help
        assert_eq "$XD_STATUS" 0 "status"
        for c in "prepare DOMAIN" "daemon" "block list" "block attach" "block detach" "usb list"; do
                assert_contains "$(cat "$SCRATCH/out")" "$c"
        done
}

test_version_is_the_projects() {
        local version
        new_scratch
        version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD_DIR/CMakeCache.txt")
        [ -n "$version" ] || version=$(sed -n 's/^qubes-xen-devices_VERSION:STATIC=//p' "$BUILD_DIR/CMakeCache.txt")
        xd_run --version
        assert_eq "$XD_STATUS" 0 "status"
        assert_eq "$(cat "$SCRATCH/out")" "xen-devices $version"
}

test_usage_errors_exit_2() {
        new_scratch
        for args in "" "bogus" "block" "block list --bogus" "block list a b" "prepare" \
                    "usb attach x y" "daemon extra" "block attach onlyone" "block detach a"; do
                # shellcheck disable=SC2086
                xd_run $args
                assert_eq "$XD_STATUS" 2 "status of 'xen-devices $args'"
                assert_contains "$(cat "$SCRATCH/err")" "xen-devices: "
        done
}

test_attach_and_detach_without_libxl_exit_5_and_say_why() {
        new_scratch
        [ ! -e /dev/xen/privcmd ] || skip "this host has /dev/xen/privcmd"
        xd_run block attach work sys-usb:loop0
        assert_eq "$XD_STATUS" 5 "status of attach"
        assert_contains "$(cat "$SCRATCH/err")" "attach and detach need libxenlight"
        xd_run block detach work xvdi
        assert_eq "$XD_STATUS" 5 "status of detach"
}

test_list_without_xenstore_fails_1() {
        new_scratch
        XENSTORED_PATH=$SCRATCH/none xd_run block list
        assert_eq "$XD_STATUS" 1 "status"
        assert_contains "$(cat "$SCRATCH/err")" "cannot connect to xenstore"
}

run_tests "$@"
