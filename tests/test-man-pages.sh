# test-man-pages.sh: every program has its man page, built by scdoc from
# man/*.scd; each page renders without a groff warning, carries the project's
# version, and names the same options as the program's --help; the helpers'
# second names open their page through `man`.
. "$TESTS_DIR/lib.sh"

MAN=$BUILD_DIR/man

# program:page, for every installed program (both names of the helpers)
PROGRAMS="qubes-block:qubes-block.8
udev-block-add-change:udev-block-add-change.8
udev-block-remove:udev-block-add-change.8
udev-usb-add-change:udev-usb-add-change.8
udev-usb-remove:udev-usb-add-change.8
qubes-devices-monitor:qubes-devices-monitor.8
xen-devices:xen-devices.1"

need_pages() {
        [ -e "$MAN/xen-devices.1" ] || skip "scdoc built no man page here (man/CMakeLists.txt)"
        command -v man >/dev/null || skip "no man (man-db) to render the pages"
}

# The long options a text names: --word, once each, sorted.
long_options() {
        grep -oE -- '--[a-z][a-z-]*[a-z]' | sort -u
}

test_every_program_has_a_page_that_renders_cleanly() {
        need_pages
        local page warnings
        while IFS=: read -r _ page; do
                [ -s "$MAN/$page" ] || fail "no man page $page"
        done <<<"$PROGRAMS"
        [ -s "$MAN/xen-devices.conf.5" ] || fail "no man page xen-devices.conf.5 (the settings file)"
        for page in "$MAN"/*.[0-9]; do
                grep -q '^\.so ' "$page" && continue
                warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
                [ -z "$warnings" ] || fail "${page##*/}: $warnings"
        done
}

# (every program's --version: test-versions.sh)
test_pages_show_the_projects_version() {
        need_pages
        local version page
        version=$(project_version)
        [ -n "$version" ] || fail "no VERSION in CMakeLists.txt's project()"
        for page in "$MAN"/*.[0-9]; do
                # a .so page is the other page's
                grep -q '^\.so ' "$page" && continue
                grep -q "^\.TH .* \"qubes-xen-devices $version\"" "$page" ||
                        fail "${page##*/} does not carry version $version: $(grep '^\.TH' "$page")"
        done
}

# --help and the page name the same options (SYNOPSIS, OPTIONS, COMMANDS).
test_help_names_the_options_of_the_page() {
        need_pages
        local program page help_opts page_opts
        while IFS=: read -r program page; do
                help_opts=$("$BIN/$program" --help | long_options)
                page_opts=$(long_options <"$MAN/$page.scd")
                [ -n "$help_opts" ] || fail "$program --help names no option"
                [ "$help_opts" = "$page_opts" ] || fail "$program --help and $page differ:
$(diff <(echo "$help_opts") <(echo "$page_opts"))"
        done <<<"$PROGRAMS"
}

test_second_names_open_the_first_names_page() {
        need_pages
        new_scratch
        local name page mandir
        DESTDIR=$SCRATCH/stage cmake --install "$BUILD_DIR" >/dev/null
        mandir=$(find "$SCRATCH/stage" -type d -name man8 -path '*/share/man/*')
        mandir=${mandir%/man8}
        [ -d "$mandir" ] || fail "no man8 installed"
        for name in udev-block-remove:udev-block-add-change udev-usb-remove:udev-usb-add-change; do
                page=${name#*:}
                name=${name%%:*}
                MANWIDTH=80 man -M "$mandir" 8 "$name" 2>"$SCRATCH/err" >"$SCRATCH/out" ||
                        fail "man $name: $(cat "$SCRATCH/err")"
                grep -q "^NAME" "$SCRATCH/out" || fail "man $name shows no page"
                assert_contains "$(cat "$SCRATCH/out")" "$page, $name - "
        done
}

run_tests "$@"
