# test-versions.sh: one version, CMakeLists.txt's project(... VERSION), and
# the same everywhere it is shown: every program's --version, the Debian
# changelog (a native package: the version as it is), the RPM spec's
# Version and its newest %changelog entry. (The man pages' footers:
# test-man-pages.sh.)
. "$TESTS_DIR/lib.sh"

TOP=$(cd "$TESTS_DIR/.." && pwd)
SPEC=$TOP/rpm/qubes-xen-devices.spec

spec_field() {
        sed -n "s/^$1:[[:space:]]*//p" "$SPEC"
}

test_cmake_project_has_one_version() {
        local version
        version=$(project_version)
        [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "project() VERSION is '$version', expected x.y.z"
}

test_every_program_shows_the_project_version() {
        local version program
        version=$(project_version)
        for program in qubes-block udev-block-add-change udev-block-remove udev-usb-add-change \
                       udev-usb-remove qubes-devices-monitor xen-devices; do
                assert_eq "$("$BIN/$program" --version)" "$program $version" "$program --version"
        done
}

test_debian_changelog_has_the_project_version() {
        local version top
        version=$(project_version)
        top=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
        assert_eq "$top" "$version" "debian/changelog's newest version (3.0 (native): no revision)"
        assert_eq "$(cat "$TOP/debian/source/format")" "3.0 (native)" "debian/source/format"
}

test_rpm_spec_has_the_project_version() {
        local version release entry
        version=$(project_version)
        assert_eq "$(spec_field Version)" "$version" "the spec's Version"
        release=$(spec_field Release)
        release=${release%%%*}          # 1%{?dist} -> 1
        entry=$(sed -n '/^%changelog/,$ { /^\* /{ s/.* - //p; q } }' "$SPEC")
        assert_eq "$entry" "$version-$release" "the spec's newest %changelog entry"
}

run_tests "$@"
