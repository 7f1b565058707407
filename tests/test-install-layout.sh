# test-install-layout.sh: `cmake --install` into a staging dir gives exactly
# the files of shared/SPEC.md §5 (plus the monitor, its units and xen-devices),
# at the configured directories, and the
# installed rules run the helpers where they were installed.
. "$TESTS_DIR/lib.sh"

cache_var() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD_DIR/CMakeCache.txt"; }

test_install_gives_exactly_the_spec_layout() {
        new_scratch
        local helpers rules tmpfiles scripts units expected actual prefix completions page man=()
        prefix=$(cache_var CMAKE_INSTALL_PREFIX)
        completions=$(cache_var QUBES_BASH_COMPLETION_DIR)
        case $completions in /*) ;; *) completions=$prefix/$completions ;; esac
        # the man pages only where scdoc built them (man/CMakeLists.txt):
        # one for every program and the settings file, and a .so page for
        # each helper's second name
        if [ -e "$BUILD_DIR/man/xen-devices.1" ]; then
                for page in man1/xen-devices.1 man5/xen-devices.conf.5 man8/qubes-block.8 \
                            man8/udev-block-add-change.8 man8/udev-block-remove.8 \
                            man8/udev-usb-add-change.8 man8/udev-usb-remove.8 \
                            man8/qubes-devices-monitor.8; do
                        man+=("$prefix/share/man/$page")
                done
        fi
        helpers=$(cache_var QUBES_HELPERS_DIR)
        rules=$(cache_var QUBES_UDEV_RULES_DIR)
        tmpfiles=$(cache_var QUBES_TMPFILES_DIR)
        scripts=$(cache_var QUBES_XEN_SCRIPTS_DIR)
        units=$(cache_var QUBES_SYSTEMD_UNIT_DIR)
        DESTDIR=$SCRATCH/stage cmake --install "$BUILD_DIR" >/dev/null
        expected=$(printf '%s\n' \
                "$scripts/qubes-block" \
                "$helpers/udev-block-add-change" "$helpers/udev-block-remove" \
                "$helpers/udev-usb-add-change" "$helpers/udev-usb-remove" \
                "$rules/99-qubes-block.rules" "$rules/99-qubes-usb.rules" \
                "$rules/99-qubes-misc.rules" "$rules/90-qubes-dmroot.rules" \
                "$tmpfiles/xen-devices-qubes.conf" \
                "$helpers/qubes-devices-monitor" "$units/qubes-devices-monitor.service" \
                "$units/qubes-devices-resync.service" \
                "$prefix/sbin/xen-devices" "$units/xen-devices.service" \
                "$completions/xen-devices" "${man[@]}" | sort)
        actual=$(cd "$SCRATCH/stage" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort)
        [ "$actual" = "$expected" ] || fail "installed files differ from SPEC §5:
$(diff <(echo "$expected") <(echo "$actual"))"
        [ "$scripts" = /etc/xen/scripts ] || fail "hotplug helper default is $scripts"
}

test_installed_helpers_run_under_both_names() {
        new_scratch
        local helpers rc=0
        helpers=$(cache_var QUBES_HELPERS_DIR)
        DESTDIR=$SCRATCH/stage cmake --install "$BUILD_DIR" >/dev/null
        env -i "$SCRATCH/stage$helpers/udev-block-remove" 2>"$SCRATCH/err" || rc=$?
        assert_contains "$(cat "$SCRATCH/err")" "udev-block-remove: DEVNAME"
        [ "$rc" -ne 0 ] || fail "remove without DEVNAME succeeded"
        env -i "$SCRATCH/stage$helpers/udev-block-add-change" 2>"$SCRATCH/err" || true
        assert_contains "$(cat "$SCRATCH/err")" "udev-block-add-change: DEVPATH is not set"
}

test_rules_name_the_configured_helper_paths() {
        new_scratch
        local helpers rules
        helpers=$(cache_var QUBES_HELPERS_DIR)
        rules=$(cache_var QUBES_UDEV_RULES_DIR)
        DESTDIR=$SCRATCH/stage cmake --install "$BUILD_DIR" >/dev/null
        grep -q "RUN+=\"$helpers/udev-block-add-change\"" "$SCRATCH/stage$rules/99-qubes-block.rules" ||
                fail "99-qubes-block.rules does not run $helpers/udev-block-add-change"
        grep -q "RUN+=\"$helpers/udev-block-remove\"" "$SCRATCH/stage$rules/99-qubes-block.rules" ||
                fail "99-qubes-block.rules does not run $helpers/udev-block-remove"
        if grep -q '@' "$SCRATCH/stage$rules/"*.rules; then
                fail "an unconfigured @VARIABLE@ is left in the rules"
        fi
}

run_tests "$@"
