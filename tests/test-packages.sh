# test-packages.sh: the Debian packages (debian/) and the RPM spec (rpm/), as
# a packager builds them from a copy of this tree. The .debs must build
# without a compiler warning, pass lintian without an error or a warning,
# hold exactly the files of README's install table, split by where they run,
# and depend on the libraries the helpers load. Installed with dpkg into a
# fresh root (never into this machine: dpkg --root, the maintainer scripts
# run with DPKG_ROOT), every file is where the table says, every program
# runs, the man pages open under every name, the units verify, tmpfiles
# applies, the udev rules load and run the installed helpers (`udevadm test`
# in a private mount namespace that sees the root's files), and a purge
# leaves nothing behind. The RPM spec is built with Debian's rpmbuild as far
# as the build and the file list go (--nodeps, tests/rpm-macros).
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/block-lib.sh"
. "$TESTS_DIR/usb-lib.sh"

TOP=$(cd "$TESTS_DIR/.." && pwd)
VERSION=$(project_version)
BACKEND=qubes-xen-devices-backend
DOM0=qubes-xen-devices-dom0

# README's install table, for this machine: the directories come from udev.pc
# and systemd.pc as CMake takes them (bash-completion.pc, when present, is
# /usr/share/bash-completion/completions as well).
UDEV_RULES=$(pkg-config --variable=udevdir udev)/rules.d
UNITS=$(pkg-config --variable=systemdsystemunitdir systemd)
TMPFILES=$(pkg-config --variable=tmpfilesdir systemd)
COMPLETIONS=/usr/share/bash-completion/completions
HELPERS=/usr/lib/qubes

expected_deb_files() {
        case $1 in
        "$BACKEND") printf '%s\n' \
                /etc/xen/scripts/qubes-block \
                "$HELPERS/qubes-block" "$HELPERS/qubes-devices-monitor" \
                "$HELPERS/udev-block-add-change" "$HELPERS/udev-block-remove" \
                "$HELPERS/udev-usb-add-change" "$HELPERS/udev-usb-remove" \
                "$UDEV_RULES/90-qubes-dmroot.rules" "$UDEV_RULES/99-qubes-block.rules" \
                "$UDEV_RULES/99-qubes-misc.rules" "$UDEV_RULES/99-qubes-usb.rules" \
                "$TMPFILES/xen-devices-qubes.conf" \
                "$UNITS/qubes-devices-monitor.service" "$UNITS/qubes-devices-resync.service" \
                /usr/share/doc/$BACKEND/changelog.gz /usr/share/doc/$BACKEND/copyright \
                /usr/share/man/man5/xen-devices.conf.5.gz \
                /usr/share/man/man8/qubes-block.8.gz /usr/share/man/man8/qubes-devices-monitor.8.gz \
                /usr/share/man/man8/udev-block-add-change.8.gz /usr/share/man/man8/udev-block-remove.8.gz \
                /usr/share/man/man8/udev-usb-add-change.8.gz /usr/share/man/man8/udev-usb-remove.8.gz ;;
        "$DOM0") printf '%s\n' \
                /usr/sbin/xen-devices "$UNITS/xen-devices.service" "$COMPLETIONS/xen-devices" \
                /usr/share/doc/$DOM0/changelog.gz /usr/share/doc/$DOM0/copyright \
                /usr/share/man/man1/xen-devices.1.gz ;;
        esac | sort
}

# The same split in the RPMs, on Fedora's paths (tests/rpm-macros).
expected_rpm_files() {
        case $1 in
        "$BACKEND") printf '%s\n' \
                /etc/xen /etc/xen/scripts /etc/xen/scripts/qubes-block \
                /usr/lib/qubes /usr/lib/qubes/qubes-block /usr/lib/qubes/qubes-devices-monitor \
                /usr/lib/qubes/udev-block-add-change /usr/lib/qubes/udev-block-remove \
                /usr/lib/qubes/udev-usb-add-change /usr/lib/qubes/udev-usb-remove \
                /usr/lib/udev/rules.d/90-qubes-dmroot.rules /usr/lib/udev/rules.d/99-qubes-block.rules \
                /usr/lib/udev/rules.d/99-qubes-misc.rules /usr/lib/udev/rules.d/99-qubes-usb.rules \
                /usr/lib/tmpfiles.d/xen-devices-qubes.conf \
                /usr/lib/systemd/system/qubes-devices-monitor.service \
                /usr/lib/systemd/system/qubes-devices-resync.service \
                /usr/lib/systemd/system-preset/75-qubes-xen-devices.preset \
                /usr/share/man/man5/xen-devices.conf.5 \
                /usr/share/man/man8/qubes-block.8 /usr/share/man/man8/qubes-devices-monitor.8 \
                /usr/share/man/man8/udev-block-add-change.8 /usr/share/man/man8/udev-block-remove.8 \
                /usr/share/man/man8/udev-usb-add-change.8 /usr/share/man/man8/udev-usb-remove.8 ;;
        "$DOM0") printf '%s\n' \
                /usr/sbin/xen-devices /usr/lib/systemd/system/xen-devices.service \
                /usr/share/bash-completion/completions/xen-devices /usr/share/man/man1/xen-devices.1 ;;
        esac | sort
}

# ---------------------------------------------------------------- building
# Once for all tests: the .debs with dpkg-buildpackage, the RPMs with
# rpmbuild, each from a copy of this tree (without build trees or .git).

WORK=$(mktemp -d "${TMPDIR:-/tmp}/qxd-packages.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

copy_tree() {
        mkdir -p "$1"
        tar -C "$TOP" --exclude='./build*' --exclude=./.git --exclude='./obj-*' -cf - . | tar -C "$1" -xf -
}

build_debs() {
        copy_tree "$WORK/deb/src"
        (cd "$WORK/deb/src" && dpkg-buildpackage -us -uc -b)
}

# --nodeps: the spec's BuildRequires are Fedora's names, which dpkg's
# database here does not know. tests/rpm-macros stands in for the Fedora
# macros the spec uses.
build_rpms() {
        copy_tree "$WORK/rpm/src/qubes-xen-devices-$VERSION"
        mkdir -p "$WORK/rpm/top/SOURCES"
        tar -C "$WORK/rpm/src" -czf "$WORK/rpm/top/SOURCES/qubes-xen-devices-$VERSION.tar.gz" \
                "qubes-xen-devices-$VERSION"
        rpmbuild --load "$TESTS_DIR/rpm-macros" --define "_topdir $WORK/rpm/top" --nodeps \
                -bb "$TOP/rpm/qubes-xen-devices.spec"
}

echo "building the Debian packages and the RPMs in $WORK"
DEB_RC=0
build_debs >"$WORK/deb-build.log" 2>&1 || DEB_RC=$?
RPM_RC=0
build_rpms >"$WORK/rpm-build.log" 2>&1 || RPM_RC=$?

deb_of() { echo "$WORK/deb/${1}_${VERSION}_$(dpkg --print-architecture).deb"; }
rpm_of() { echo "$WORK/rpm/top/RPMS/$(uname -m)/$1-$VERSION-1.$(uname -m).rpm"; }

need_debs() {
        [ "$DEB_RC" -eq 0 ] || fail "dpkg-buildpackage failed ($DEB_RC): $(tail -n 20 "$WORK/deb-build.log")"
}

need_rpms() {
        [ "$RPM_RC" -eq 0 ] || fail "rpmbuild failed ($RPM_RC): $(tail -n 20 "$WORK/rpm-build.log")"
}

# ------------------------------------------------------- a fresh root
# new_root: $SCRATCH/root with a dpkg database that knows, as installed, only
# the packages our Depends name (as this machine has them, without their
# files): dpkg checks the Depends against them. Beside it the directories a
# Debian system has and nothing of ours; $SCRATCH/root.before lists it all.
new_root() {
        local root=$SCRATCH/root dep deps
        mkdir -p "$root"/var/lib/dpkg/{info,updates,triggers} "$root"/etc/systemd/system \
                "$root"/var/lib/systemd
        touch "$root/var/lib/dpkg/available"
        # the names in Depends: no versions, the first of alternatives
        mapfile -t deps < <({ dpkg-deb -f "$(deb_of $BACKEND)" Depends; echo ,
                              dpkg-deb -f "$(deb_of $DOM0)" Depends; } |
                            tr ',' '\n' | sed 's/|.*//; s/(.*//; s/[[:space:]]//g' | grep . | sort -u)
        dpkg-query --status "${deps[@]}" >"$root/var/lib/dpkg/status" 2>"$SCRATCH/query.err" ||
                fail "a dependency is not installed here: $(cat "$SCRATCH/query.err")"
        for dep in $(dpkg-query -W -f='${binary:Package}\n' "${deps[@]}"); do
                : >"$root/var/lib/dpkg/info/$dep.list"
        done
        (cd "$root" && find . | sort) >"$SCRATCH/root.before"
}

root_dpkg() {
        dpkg --root="$SCRATCH/root" --force-script-chrootless "$@" >>"$SCRATCH/dpkg.log" 2>&1 ||
                fail "dpkg $*: $(tail -n 15 "$SCRATCH/dpkg.log")"
}

install_both() {
        new_scratch
        new_root
        root_dpkg -i "$(deb_of $BACKEND)" "$(deb_of $DOM0)"
}

# root_program PATH: how to run program PATH of the root: an absolute link
# (/etc/xen/scripts/qubes-block) is followed inside the root; a relative one
# (udev-block-remove) is run as it is, for the name it gives the program.
root_program() {
        case $(readlink "$SCRATCH/root$1") in
        /*) in_root "$1" ;;
        *) echo "$SCRATCH/root$1" ;;
        esac
}

# in_root PATH: the file PATH of the root, symbolic links followed inside it.
in_root() {
        local path=$1 target hops=0
        while [ -L "$SCRATCH/root$path" ] && [ $hops -lt 10 ]; do
                target=$(readlink "$SCRATCH/root$path")
                case $target in
                /*) path=$target ;;
                *) path=$(dirname "$path")/$target ;;
                esac
                hops=$((hops + 1))
        done
        echo "$SCRATCH/root$path"
}

# in_installed_namespace SCRIPT ARGS...: bash -c SCRIPT in a private mount
# namespace where the root's /usr/lib and /lib (one directory on merged-/usr
# Debian), /usr/sbin and /usr/share lie over the host's, /etc/udev/rules.d
# and /run are empty, /etc/group has a qubes group, and /dev takes udev's
# writes in an overlay. The root's files are then where the packages put
# them, for udevadm and systemd-analyze, and nothing reaches the host.
in_installed_namespace() {
        local script=$1
        shift
        cp /etc/group "$SCRATCH/group"
        grep -q '^qubes:' "$SCRATCH/group" || echo 'qubes:x:4242:' >>"$SCRATCH/group"
        # shellcheck disable=SC2016
        unshare --mount --propagation private bash -c '
                set -e
                root=$1 scratch=$2 script=$3
                shift 3
                if [ -L /lib ]; then
                        mount -t overlay qxd-pkg -o lowerdir="$root/usr/lib:$root/lib:/usr/lib" /usr/lib
                else
                        mount -t overlay qxd-pkg -o lowerdir="$root/usr/lib:/usr/lib" /usr/lib
                        mount -t overlay qxd-pkg -o lowerdir="$root/lib:/lib" /lib
                fi
                for d in usr/sbin usr/share; do
                        mount -t overlay qxd-pkg -o lowerdir="$root/$d:/$d" "/$d"
                done
                mount -t tmpfs qxd-rules /etc/udev/rules.d
                mount --bind "$scratch/group" /etc/group
                mount -t tmpfs qxd-run /run
                mkdir -p /run/udev/rules.d /run/udev/data
                mkdir -p "$scratch/ns"
                mount -t tmpfs qxd-ns "$scratch/ns"
                mkdir "$scratch/ns/dev" "$scratch/ns/upper" "$scratch/ns/work"
                mount --rbind /dev "$scratch/ns/dev"
                mount -t overlay qxd-dev -o lowerdir="$scratch/ns/dev",upperdir="$scratch/ns/upper",workdir="$scratch/ns/work" /dev
                mount --bind "$scratch/ns/dev/pts" /dev/pts
                eval "$script"
        ' - "$SCRATCH/root" "$SCRATCH" "$script" "$@"
}

# The programs in the root's helpers directory, as paths inside the root.
installed_helpers() {
        local f
        for f in "$SCRATCH/root$HELPERS"/*; do
                echo "$HELPERS/${f##*/}"
        done
}

# The host's unit enablement and deb-systemd-helper's state of our units.
host_unit_state() {
        find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
                \( -name 'qubes-devices-*' -o -name 'xen-devices.service*' \) 2>/dev/null | sort
}

# Lines in which udev complains about one of our rules files while reading
# it ("FILE:LINE ..." with no device in front).
rules_complaints() {
        grep -E '^/[^ ]*/(90|99)-qubes-[a-z]+\.rules:[0-9]+ ' "$1" || true
}

# ---------------------------------------------------------------- tests

test_debs_build_without_a_compiler_warning() {
        need_debs
        local warnings
        # the compiler's, CMake's, debhelper's and dpkg's: none is expected
        warnings=$(grep -iE 'warning' "$WORK/deb-build.log" || true)
        [ -z "$warnings" ] || fail "the package build warns: $warnings"
        grep -q -- '-DBUILD_TESTING=OFF' "$WORK/deb-build.log" ||
                fail "the package build configured the tests (they need root and loop devices)"
        if [ ! -e "$(deb_of $BACKEND)" ] || [ ! -e "$(deb_of $DOM0)" ]; then
                fail "no .deb: $(ls "$WORK/deb")"
        fi
}

test_lintian_finds_no_error_and_no_warning() {
        need_debs
        local changes
        changes=$(ls "$WORK"/deb/*.changes)
        lintian --fail-on error,warning --display-level '>=warning' "$changes" >"$WORK/lintian.log" 2>&1 ||
                fail "lintian: $(cat "$WORK/lintian.log")"
        if grep -E '^[EW]: ' "$WORK/lintian.log"; then
                fail "lintian: $(cat "$WORK/lintian.log")"
        fi
        # an override must say why: a comment on the line above it
        local f bad
        for f in "$TOP"/debian/*lintian-overrides "$TOP"/debian/source/lintian-overrides; do
                [ -e "$f" ] || continue
                bad=$(awk '!/^#/ && NF && prev !~ /^#/ { print } { prev = $0 }' "$f")
                [ -z "$bad" ] || fail "$f: an override without its reason above it: $bad"
        done
}

test_debs_hold_exactly_the_install_table_split_by_where_it_runs() {
        need_debs
        local pkg actual both
        for pkg in $BACKEND $DOM0; do
                actual=$(dpkg-deb --fsys-tarfile "$(deb_of "$pkg")" | tar -t | sed 's|^\.||' | grep -v '/$' | sort)
                [ "$actual" = "$(expected_deb_files "$pkg")" ] || fail "$pkg holds other files:
$(diff <(expected_deb_files "$pkg") <(echo "$actual"))"
        done
        both=$(comm -12 <(expected_deb_files $BACKEND) <(expected_deb_files $DOM0))
        [ -z "$both" ] || fail "in both packages: $both"
        # no conffile: the hotplug helper in /etc is a link to the program
        for pkg in $BACKEND $DOM0; do
                if dpkg-deb --ctrl-tarfile "$(deb_of "$pkg")" | tar -t | grep -q conffiles; then
                        fail "$pkg has conffiles: $(dpkg-deb -I "$(deb_of "$pkg")" conffiles)"
                fi
        done
}

test_debs_depend_on_the_libraries_the_helpers_load() {
        need_debs
        local depends
        depends=$(dpkg-deb -f "$(deb_of $BACKEND)" Depends)
        assert_contains "$depends" "libudev1" "$BACKEND's Depends (libudev.so.1, dlopen)"
        assert_contains "$depends" "libusb-1.0-0" "$BACKEND's Depends (libusb-1.0.so.0, dlopen)"
        assert_contains "$depends" "udev" "$BACKEND's Depends"
        assert_contains "$depends" "libc6" "$BACKEND's Depends (shlibs)"
        assert_eq "$(dpkg-deb -f "$(deb_of $BACKEND)" Conflicts)" "qubes-utils" "$BACKEND's Conflicts"
        depends=$(dpkg-deb -f "$(deb_of $DOM0)" Depends)
        assert_contains "$depends" "libxenstore" "$DOM0's Depends (shlibs)"
        assert_contains "$depends" "libxentoollog" "$DOM0's Depends (shlibs)"
        assert_contains "$depends" "libxenmisc" "$DOM0's Depends (shlibs: libxenlight)"
        assert_eq "$(dpkg-deb -f "$(deb_of $DOM0)" Recommends)" "$BACKEND" "$DOM0's Recommends"
        assert_eq "$(dpkg-deb -f "$(deb_of $DOM0)" Version)" "$VERSION" "the packages' version"
}

test_installed_files_are_where_the_table_says_and_units_enabled_as_decided() {
        need_debs
        local path real host_before host_after
        host_before=$(host_unit_state)
        install_both
        for path in $(expected_deb_files $BACKEND) $(expected_deb_files $DOM0); do
                real=$(in_root "$path")
                [ -f "$real" ] || fail "$path is missing in the root (or a dangling link)"
        done
        for path in /etc/xen/scripts/qubes-block $(installed_helpers) /usr/sbin/xen-devices; do
                [ -x "$(in_root "$path")" ] || fail "$path is not executable"
        done
        assert_eq "$(in_root /etc/xen/scripts/qubes-block)" "$SCRATCH/root$HELPERS/qubes-block" \
                "what /etc/xen/scripts/qubes-block runs"
        # the boot resync is enabled; the monitor and dom0's daemon are not
        [ -L "$SCRATCH/root/etc/systemd/system/multi-user.target.wants/qubes-devices-resync.service" ] ||
                fail "qubes-devices-resync.service is not enabled"
        for path in qubes-devices-monitor.service xen-devices.service; do
                if find "$SCRATCH/root/etc/systemd" -name "$path" | grep -q .; then
                        fail "$path is enabled"
                fi
        done
        # and nothing outside the root: DPKG_ROOT reached every script
        host_after=$(host_unit_state)
        [ "$host_after" = "$host_before" ] || fail "the install changed the host: $host_after"
}

test_installed_programs_answer_version_and_help() {
        need_debs
        install_both
        local path name
        for path in /etc/xen/scripts/qubes-block $(installed_helpers) /usr/sbin/xen-devices; do
                name=${path##*/}
                assert_eq "$("$(root_program "$path")" --version 2>&1)" "$name $VERSION" "$path --version"
                "$(root_program "$path")" --help >"$SCRATCH/help" 2>&1 ||
                        fail "$path --help failed: $(cat "$SCRATCH/help")"
                grep -q "^Usage: " "$SCRATCH/help" || fail "$path --help shows no usage: $(cat "$SCRATCH/help")"
        done
        # the helpers run under their own name only (what the links give them)
        for name in udev-block-remove udev-usb-remove; do
                [ "$(readlink "$SCRATCH/root$HELPERS/$name")" = "${name%-remove}-add-change" ] ||
                        fail "$name is not a link to ${name%-remove}-add-change"
        done
        bash -c ". '$SCRATCH/root$COMPLETIONS/xen-devices' && complete -p xen-devices" >/dev/null ||
                fail "the bash completion defines no completion for xen-devices"
}

test_installed_man_pages_open_under_every_name() {
        need_debs
        install_both
        local name section
        for name in qubes-block:8 udev-block-add-change:8 udev-block-remove:8 udev-usb-add-change:8 \
                    udev-usb-remove:8 qubes-devices-monitor:8 xen-devices:1 xen-devices.conf:5; do
                section=${name#*:}
                name=${name%:*}
                MANWIDTH=80 man -M "$SCRATCH/root/usr/share/man" "$section" "$name" >"$SCRATCH/page" 2>&1 ||
                        fail "man $section $name: $(cat "$SCRATCH/page")"
                grep -q "$VERSION" "$SCRATCH/page" || fail "man $section $name does not show version $VERSION"
                grep -q "$name" "$SCRATCH/page" || fail "man $section $name is another page"
        done
}

test_installed_units_verify() {
        need_debs
        install_both
        # shellcheck disable=SC2016
        in_installed_namespace '
                for unit in qubes-devices-resync qubes-devices-monitor xen-devices; do
                        systemd-analyze verify "$1/$unit.service"
                done
        ' "$UNITS" >"$SCRATCH/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$SCRATCH/verify.log")"
        [ ! -s "$SCRATCH/verify.log" ] || fail "systemd-analyze verify: $(cat "$SCRATCH/verify.log")"
}

test_installed_tmpfiles_give_the_xen_nodes_to_group_qubes() {
        need_debs
        install_both
        local root=$SCRATCH/root node
        # what the nodes look like before: root's, 0600; a qubes group exists
        mkdir -p "$root/dev/xen"
        for node in evtchn gntdev gntalloc privcmd xenbus hypercall; do
                install -m 0600 /dev/null "$root/dev/xen/$node"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
        printf 'root:x:0:\nqubes:x:4242:\n' >"$root/etc/group"
        # as the postinst runs it, the file found in the root's tmpfiles.d
        [ -f "$root$TMPFILES/xen-devices-qubes.conf" ] || fail "no $TMPFILES/xen-devices-qubes.conf"
        systemd-tmpfiles --create --root="$root" xen-devices-qubes.conf >"$SCRATCH/tmpfiles.log" 2>&1 ||
                fail "systemd-tmpfiles: $(cat "$SCRATCH/tmpfiles.log")"
        for node in evtchn gntdev gntalloc privcmd xenbus hypercall; do
                assert_eq "$(stat -c '%a %u %g' "$root/dev/xen/$node")" "660 0 4242" "/dev/xen/$node"
        done
}

test_installed_block_rules_load_and_queue_the_installed_helpers() {
        need_debs
        install_both
        local loop name
        loop=$(new_loop "$SCRATCH/disk.img")
        echo "$loop" >>"$SCRATCH/.detach"
        name=${loop#/dev/}
        # shellcheck disable=SC2016
        in_installed_namespace 'exec udevadm test --action=add "/sys/class/block/$1"' "$name" \
                >"$SCRATCH/udevadm.log" 2>&1 || fail "udevadm test: $(tail -n 5 "$SCRATCH/udevadm.log")"
        for name in 90-qubes-dmroot 99-qubes-block 99-qubes-misc 99-qubes-usb; do
                grep -q "^Reading rules file: .*/$name.rules$" "$SCRATCH/udevadm.log" ||
                        fail "udev did not read $name.rules: $(grep 'rules file' "$SCRATCH/udevadm.log")"
        done
        [ -z "$(rules_complaints "$SCRATCH/udevadm.log")" ] ||
                fail "udev complains about our rules: $(rules_complaints "$SCRATCH/udevadm.log")"
        # `udevadm test` lists the RUN programs without running them
        assert_contains "$(cat "$SCRATCH/udevadm.log")" "run: '$HELPERS/udev-block-add-change'"
        assert_contains "$(cat "$SCRATCH/udevadm.log")" "run: 'kmod load xen-blkback'"
        # so the installed helper runs here as udev would run it
        xenstore-rm "$BLOCK_ROOT" 2>/dev/null || true
        # shellcheck disable=SC2046
        in_test_sys env -i XENSTORED_PATH="$XENSTORED_PATH" ACTION=add SUBSYSTEM=block $(loop_env "$loop") \
                "$SCRATCH/root$HELPERS/udev-block-add-change" 2>"$SCRATCH/helper.err" ||
                fail "the installed udev-block-add-change failed: $(cat "$SCRATCH/helper.err")"
        assert_xs "$BLOCK_ROOT/${loop#/dev/}/desc" "$SCRATCH/disk.img"
        xenstore-rm "$BLOCK_ROOT" 2>/dev/null || true
}

test_installed_usb_rules_run_the_installed_helper() {
        need_debs
        install_both
        xenstore-rm "$USB_ROOT" 2>/dev/null || true
        # udev passes a program only the device's properties: an earlier
        # rule hands the installed helper the test's xenstore and umockdev
        # shellcheck disable=SC2016
        in_installed_namespace '
                exec umockdev-run -d "$1" -- bash -c "
                        printf \"ENV{%s}=\\\"%s\\\"\\n\" XENSTORED_PATH \"\$XENSTORED_PATH\" \
                                LD_PRELOAD \"\$LD_PRELOAD\" UMOCKDEV_DIR \"\$UMOCKDEV_DIR\" \
                                >/run/udev/rules.d/00-qxd-package-test.rules
                        exec udevadm test --action=add /sys$2
                "
        ' "$(usb_bed bare)" "$BARE_UART" >"$SCRATCH/udevadm.log" 2>&1 ||
                fail "udevadm test: $(tail -n 5 "$SCRATCH/udevadm.log")"
        [ -z "$(rules_complaints "$SCRATCH/udevadm.log")" ] ||
                fail "udev complains about our rules: $(rules_complaints "$SCRATCH/udevadm.log")"
        grep -q "Process '$HELPERS/udev-usb-add-change' succeeded" "$SCRATCH/udevadm.log" ||
                fail "the installed add helper did not run: $(grep -iE 'qubes|usb-add' "$SCRATCH/udevadm.log")"
        assert_xs "$USB_ROOT/1-4/desc" '0403:6001 FTDI FT232R\x20USB\x20UART A50285BI'
        assert_contains "$(cat "$SCRATCH/udevadm.log")" "run: 'kmod load xen-usbback'"
        xenstore-rm "$USB_ROOT" 2>/dev/null || true
}

test_purge_leaves_nothing_behind() {
        need_debs
        install_both
        local pkg
        root_dpkg --purge $DOM0 $BACKEND
        for pkg in $BACKEND $DOM0; do
                if dpkg --root="$SCRATCH/root" -L "$pkg" >"$SCRATCH/list" 2>&1; then
                        fail "dpkg still lists $pkg: $(cat "$SCRATCH/list")"
                fi
                if dpkg-query --admindir="$SCRATCH/root/var/lib/dpkg" -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null |
                        grep -q '[a-z]'; then
                        fail "$pkg is still known: $(dpkg-query --admindir="$SCRATCH/root/var/lib/dpkg" -s "$pkg")"
                fi
        done
        # the root as it was, but for dpkg's own database
        (cd "$SCRATCH/root" && find . | sort) >"$SCRATCH/root.after"
        diff "$SCRATCH/root.before" "$SCRATCH/root.after" | grep '^[<>]' | grep -v '^> \./var/lib/dpkg/' \
                >"$SCRATCH/left" || true
        [ ! -s "$SCRATCH/left" ] || fail "the purge left: $(cat "$SCRATCH/left")"
}

test_rpms_build_with_the_same_split() {
        need_rpms
        local pkg actual version
        for pkg in $BACKEND $DOM0; do
                [ -e "$(rpm_of "$pkg")" ] || fail "no $(rpm_of "$pkg"): $(find "$WORK/rpm/top/RPMS")"
                actual=$(rpm -qlp --nosignature --nodigest "$(rpm_of "$pkg")" 2>/dev/null |
                         grep -v '^/usr/lib/\.build-id' | sort)
                [ "$actual" = "$(expected_rpm_files "$pkg")" ] || fail "$pkg.rpm holds other files:
$(diff <(expected_rpm_files "$pkg") <(echo "$actual"))"
                version=$(rpm -qp --nosignature --nodigest --qf '%{VERSION}' "$(rpm_of "$pkg")" 2>/dev/null)
                assert_eq "$version" "$VERSION" "$pkg.rpm's version"
        done
        actual=$(rpm -qp --requires --nosignature --nodigest "$(rpm_of $BACKEND)" 2>/dev/null)
        assert_contains "$actual" "libusb1" "$BACKEND.rpm's Requires (libusb-1.0.so.0, dlopen)"
        assert_contains "$actual" "systemd-libs" "$BACKEND.rpm's Requires (libudev.so.1, dlopen)"
        actual=$(rpm -qp --requires --nosignature --nodigest "$(rpm_of $DOM0)" 2>/dev/null)
        assert_contains "$actual" "libxenlight" "$DOM0.rpm's Requires"
        # what the RPM holds runs
        new_scratch
        mkdir "$SCRATCH/rpm"
        (cd "$SCRATCH/rpm" && rpm2cpio "$(rpm_of $BACKEND)" | cpio -idm --quiet) || fail "cannot unpack $BACKEND.rpm"
        assert_eq "$(readlink "$SCRATCH/rpm/etc/xen/scripts/qubes-block")" /usr/lib/qubes/qubes-block \
                "/etc/xen/scripts/qubes-block in the RPM"
        assert_eq "$("$SCRATCH/rpm/usr/lib/qubes/qubes-block" --version)" "qubes-block $VERSION" \
                "qubes-block --version from the RPM"
}

run_tests "$@"
