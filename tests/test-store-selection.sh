# test-store-selection.sh: which store the udev helpers publish in. By
# default (`store = auto`) QubesDB when its daemon's socket exists
# (QUBES_QUBESDB_SOCKET), else xenstore; the settings file
# (QUBES_CONFIG_FILE) may say `store = xenstore` or `store = qubesdb`; a
# malformed one is warned about and the defaults are used; qubes-block
# always talks xenstore (libxl's hotplug protocol). Both test servers run
# (QXD_TEST_STORE=qubesdb); the helpers see the socket and the settings
# file of with-test-sys (--config): the block helper on a loop device, the
# USB helper on the hub-stick bed. The udev rules run these same programs.
. "$TESTS_DIR/lib.sh"
. "$TESTS_DIR/block-lib.sh"
. "$TESTS_DIR/usb-lib.sh"
. "$TESTS_DIR/hotplug-lib.sh"

[ "$STORE" = qubesdb ] || { echo "test-store-selection.sh runs with QXD_TEST_STORE=qubesdb" >&2; exit 1; }

SETTINGS=$(build_setting QUBES_CONFIG_FILE)
QDB_SOCKET=$(build_setting QUBES_QUBESDB_SOCKET)

# settings TEXT: the settings file the helpers see (printf's format).
settings() {
        # shellcheck disable=SC2059
        printf "$1" >"$SCRATCH/settings"
        TEST_SETTINGS=$SCRATCH/settings
}

no_socket() { rm -f "$SCRATCH/run/$QDB_SOCKET_NAME"; }

# where_is SUBTREE NAME: the store holding entry NAME: QubesDB, xenstore,
# both or none.
where_is() {
        local q=0 x=0
        qdb-tool read "/$1/$2/desc" >/dev/null 2>&1 && q=1
        xenstore-read "/local/domain/0/$1/$2/desc" >/dev/null 2>&1 && x=1
        case $q$x in
        10) echo QubesDB ;;
        01) echo xenstore ;;
        11) echo both ;;
        *) echo none ;;
        esac
}

# publish: a loop device's add and the stick's add; then where_is for both.
LOOP=
publish() {
        [ -n "$LOOP" ] || LOOP=$(new_loop "$SCRATCH/disk.img" 8M)
        RC=0
        loop_event add "$LOOP" 2>"$SCRATCH/err" || RC=$?
        usb_event hub-stick add "$STICK" 2>"$SCRATCH/usb.err" || RC=$((RC + 10 * $?))
}

# assert_published_in STORE: both entries there and only there.
assert_published_in() {
        assert_eq "$RC" 0 "status of the helpers ($(cat "$SCRATCH/err" "$SCRATCH/usb.err"))"
        assert_eq "$(where_is qubes-block-devices "${LOOP#/dev/}")" "$1" "the block entry's store"
        assert_eq "$(where_is qubes-usb-devices 2-1_4)" "$1" "the USB entry's store"
        if [ "$1" = xenstore ]; then
                assert_eq "$(xenstore-read -R "/local/domain/0/qubes-block-devices/${LOOP#/dev/}/desc")" \
                        "$SCRATCH/disk.img" "the block entry's desc"
                # (nothing may be left for the check after each test)
                xenstore-rm /local/domain/0/qubes-block-devices
                xenstore-rm /local/domain/0/qubes-usb-devices
        else
                assert_store "$BLOCK_ROOT/${LOOP#/dev/}/desc" "$SCRATCH/disk.img"
                assert_store "$USB_ROOT/2-1_4/desc" "$STICK_DESC"
        fi
}

selection_setup() {
        block_setup                     # the socket offered, no settings file
        LOOP=
        TEST_SETTINGS=$SCRATCH/no-settings
}

# ------------------------------------------------------------------ auto

test_no_settings_and_the_socket_there_publish_in_qubesdb() {
        selection_setup
        publish
        assert_published_in QubesDB
}

test_no_settings_and_no_socket_publish_in_xenstore() {
        selection_setup
        no_socket
        publish
        assert_published_in xenstore
}

test_auto_with_comments_and_blanks_is_auto() {
        selection_setup
        settings '# where the entries go\n\n   store   =   auto   \n\tdebug = no\n'
        publish
        assert_published_in QubesDB
        store_rm "$BLOCK_ROOT" "$USB_ROOT"
        no_socket
        publish
        assert_published_in xenstore
        [ ! -s "$SCRATCH/err" ] || fail "a valid settings file gave: $(cat "$SCRATCH/err")"
}

# A daemon that died leaves its socket: that is still a Qubes qube, whose
# dom0 reads QubesDB only. No fallback to xenstore, a clear error.
test_socket_nobody_listens_on_is_an_error_and_not_xenstore() {
        selection_setup
        unreachable_store publish
        assert_eq "$RC" 11 "status of the block and the USB helper"
        assert_contains "$(cat "$SCRATCH/err")" "cannot connect to QubesDB ($QDB_SOCKET): Connection refused"
        assert_contains "$(cat "$SCRATCH/usb.err")" "cannot connect to QubesDB ($QDB_SOCKET): Connection refused"
        assert_eq "$(where_is qubes-block-devices "${LOOP#/dev/}")" none "the block entry's store"
        assert_eq "$(where_is qubes-usb-devices 2-1_4)" none "the USB entry's store"
}

# ------------------------------------------------------------- override

test_store_xenstore_overrides_the_socket() {
        selection_setup
        settings 'store = xenstore\n'
        publish
        assert_published_in xenstore
}

test_store_qubesdb_publishes_in_qubesdb() {
        selection_setup
        settings 'store = qubesdb\n'
        publish
        assert_published_in QubesDB
}

test_store_qubesdb_without_the_socket_is_a_clear_error() {
        selection_setup
        settings 'store = qubesdb\n'
        no_socket
        publish
        assert_eq "$RC" 11 "status of the block and the USB helper"
        assert_contains "$(cat "$SCRATCH/err")" "cannot connect to QubesDB ($QDB_SOCKET): No such file or directory"
        assert_contains "$(cat "$SCRATCH/usb.err")" "cannot connect to QubesDB ($QDB_SOCKET): No such file or directory"
        assert_eq "$(where_is qubes-block-devices "${LOOP#/dev/}")" none "the block entry's store"
        assert_eq "$(where_is qubes-usb-devices 2-1_4)" none "the USB entry's store"
}

# Removes follow the same choice: the entry goes from where it was written.
test_remove_takes_the_entry_from_the_chosen_store() {
        selection_setup
        settings 'store = xenstore\n'
        publish
        loop_event remove "$LOOP"
        usb_remove_event hub-stick "$STICK"
        assert_eq "$(where_is qubes-block-devices "${LOOP#/dev/}")" none "the block entry after remove"
        assert_eq "$(where_is qubes-usb-devices 2-1_4)" none "the USB entry after remove"
        xenstore-rm /local/domain/0/qubes-block-devices
        xenstore-rm /local/domain/0/qubes-usb-devices
}

# ------------------------------------------------------------ malformed

# malformed WHAT TEXT MESSAGE: a settings file that is not understood:
# both helpers warn (naming the file and the line) and go on with the
# defaults: QubesDB, since the socket is there.
malformed() {
        settings "$2"
        publish
        assert_contains "$(cat "$SCRATCH/err")" "warning: $SETTINGS$3" "$1: the block helper's warning"
        assert_contains "$(cat "$SCRATCH/usb.err")" "warning: $SETTINGS$3" "$1: the USB helper's warning"
        assert_published_in QubesDB
        store_rm "$BLOCK_ROOT" "$USB_ROOT"
}

test_malformed_settings_are_warned_about_and_the_defaults_used() {
        selection_setup
        malformed "a value in the wrong case" 'store = QubesDB\n' ":1: 'QubesDB' is no valid value of store"
        malformed "an unknown value" 'store = xenstore,qubesdb\n' ":1: 'xenstore,qubesdb' is no valid value of store"
        malformed "an unknown key" '\n# comment\ncolour = blue\n' ":3: unknown key 'colour'"
        malformed "no '='" 'store xenstore\n' ":1: 'store xenstore' is not key = value"
        malformed "a line of 300 bytes" "store = $(head -c 300 /dev/zero | tr '\0' x)\n" ":1: line longer than 254 bytes"
        malformed "an empty value" 'store =\n' ":1: '' is no valid value of store"
        malformed "bytes that are no text" 'store = \377\001\n' $':1: \'\\xff\\x01\' is no valid value of store'
}

# The lines before a bad one still count (settings.h): a typo in a later
# line does not undo the admin's choice of store.
test_lines_before_a_malformed_one_still_count() {
        selection_setup
        settings 'store = xenstore\ndebug = maybe\n'
        publish
        assert_contains "$(cat "$SCRATCH/err")" "warning: $SETTINGS:2: 'maybe' is no valid value of debug"
        assert_published_in xenstore
}

test_unreadable_settings_are_warned_about_and_the_defaults_used() {
        selection_setup
        mkdir "$SCRATCH/settings-dir"
        TEST_SETTINGS=$SCRATCH/settings-dir
        publish
        # (the cause it gives is EIO: settings.c reports a read error so)
        assert_contains "$(cat "$SCRATCH/err")" "warning: cannot read $SETTINGS: "
        assert_contains "$(cat "$SCRATCH/usb.err")" "warning: cannot read $SETTINGS: "
        assert_published_in QubesDB
}

# ----------------------------------------------------------- qubes-block

# libxl runs the hotplug helper and reads its nodes in xenstore: the store
# setting is the udev helpers' alone.
test_qubes_block_talks_xenstore_whatever_the_settings() {
        selection_setup
        settings 'store = qubesdb\n'
        local img p
        img=$(new_image)
        setup_vbd 5 51712 "$img" w
        p=$(vbd 5 51712)
        RC=0
        in_test_sys env XENBUS_PATH=backend/vbd/5/51712 XENBUS_TYPE=vbd XENBUS_BASE_PATH=backend \
                script=/etc/xen/scripts/qubes-block "$QUBES_BLOCK" add </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
        assert_eq "$RC" 0 "qubes-block add ($(cat "$SCRATCH/err"))"
        assert_eq "$(xenstore-read "$p/hotplug-status")" connected "hotplug-status"
        assert_eq "$(qdb-test-control dump)" "" "QubesDB"
        in_test_sys env XENBUS_PATH=backend/vbd/5/51712 XENBUS_TYPE=vbd XENBUS_BASE_PATH=backend \
                script=/etc/xen/scripts/qubes-block "$QUBES_BLOCK" remove </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
        assert_eq "$RC" 0 "qubes-block remove ($(cat "$SCRATCH/err"))"
        assert_no_loops_in "$SCRATCH"
}

run_tests "$@"
