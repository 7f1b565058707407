# test-udev-usb-bad-input.sh: udev-usb-add-change and udev-usb-remove given
# what a broken rule, a hand run or a hostile device can give them: a
# malformed environment, ids and interface lists that are no ids, escapes
# and bytes that are no text in the _ENC values and the serial, huge values,
# sysfs attributes that vanish or lie between the event and the helper. After
# every case the invariants of invariants-lib.sh are checked, not only the
# exit status. (test-udev-usb-faults.sh has the earlier cases: DEVPATH not
# under /devices, with "..", "//" or a trailing "/", ACTION remove/bind,
# TYPE=nine, ids 781 and 55G7, interfaces 080650 and :08065:, a 2000-byte
# ID_MODEL_ENC, arguments, unknown program names, missing and malformed
# version, a device gone from sysfs, one libusb cannot list.)
# shellcheck source=tests/lib.sh
source "$TESTS_DIR/lib.sh"
# shellcheck source=tests/usb-lib.sh
source "$TESTS_DIR/usb-lib.sh"
# shellcheck source=tests/invariants-lib.sh
source "$TESTS_DIR/invariants-lib.sh"

HUGE=$(head -c 100000 /dev/zero | tr '\0' x)     # near MAX_ARG_STRLEN (128 KiB)

ENTRY_ROOT=$USB_ROOT
ENTRY_KEYS="desc interfaces usb-ver "
# desc: VID:PID and three fields, exactly three spaces, no raw byte outside
# printable ASCII (the dump would show it as \xNN, a literal '\' as '\\':
# udev's and our escapes are \xNN, so only "\\x" may appear); usb-ver digits;
# interfaces :ccsspp: triples or empty
entry_forms_ok() {
        local desc ver ifs rest
        desc=$(dump_value "$1" "$ENTRY_ROOT/$2/desc") && ver=$(dump_value "$1" "$ENTRY_ROOT/$2/usb-ver") &&
                ifs=$(dump_value "$1" "$ENTRY_ROOT/$2/interfaces") || return 1
        rest=${desc//\\\\x/}
        [[ $desc =~ ^[0-9a-f]{4}:[0-9a-f]{4}\ [^\ ]*\ [^\ ]*\ [^\ ]*$ && $rest != *\\* && ${#desc} -le 3100 &&
           $ver =~ ^[0-9]+$ && $ifs =~ ^(:([0-9a-f]{6}:)+)?$ ]] && return 0
        echo "  $2: desc '${desc:0:300}' usb-ver '$ver' interfaces '$ifs'" >&2
        return 1
}

# ------------------------------------------------------------- cases

# Cases are queued (usb_case, usb_expect) and run together in one instance of
# a bed (usb_run, umockdev-run is slow to start), with a dump of the tree
# after each; the invariants are checked afterwards, case by case.
#
# usb_case WHAT WANT-RC MESSAGE CHANGE ACTION DEVPATH [KEY=VALUE|-KEY...]:
# the helper for ACTION (remove: udev-usb-remove) on DEVPATH of bed $BED,
# with the properties udev has for it, then KEY=VALUE on top ("-KEY" drops
# KEY; "-*" drops them all: a run by hand). $PRE, when set, runs inside the
# bed just before (bash; $UMOCKDEV_DIR is the bed's root); $PROGRAM runs
# another helper. The values go through a file, so they may hold any byte
# but NUL (umockdev-run's command line takes UTF-8 only).
BED=
PRE=
USB_N=0
usb_case() {
        local what=$1 want=$2 message=$3 change=$4 action=$5 devpath=$6 program=${PROGRAM:-udev-usb-add-change}
        local q=$SCRATCH/usbq
        shift 6
        [ "$action" != remove ] || program=udev-usb-remove
        mkdir -p "$q"
        USB_N=$((USB_N + 1))
        printf '%s\n' "$what" "$want" "$message" "$change" >"$q/$USB_N.meta"
        printf '%s' "$PRE" >"$q/$USB_N.pre"
        : >"$q/$USB_N.expect"
        local -a set_action=("ACTION=$action")
        [ "$action" != - ] || set_action=()
        printf '%s\0' "$program" "$devpath" ${set_action[@]+"${set_action[@]}"} "$@" >"$q/$USB_N.args"
}

usb_expect() {          # PATH GLOB: after the last queued case
        printf '%s\t%s\n' "$1" "$2" >>"$SCRATCH/usbq/$USB_N.expect"
}

# Inside the bed: each case's PRE, the helper with the device's properties
# plus the case's, its status, and a dump.
# shellcheck disable=SC2016
USB_RUNNER="$STORE_RUNNER_FUNCS"'
q=$1; n=$2; shift 2
store_dump "$q/0.tree"
for ((i = 1; i <= n; i++)); do
        [ ! -s "$q/$i.pre" ] || ( eval "$(cat "$q/$i.pre")" )
        mapfile -d "" -t a <"$q/$i.args"
        program=${a[0]} devpath=${a[1]}
        env=()
        mapfile -t env < <(udevadm info --query=property --path="$devpath" 2>/dev/null)
        env+=("DEVPATH=$devpath")
        for kv in "${a[@]:2}"; do
                if [ "$kv" = "-*" ]; then
                        env=("DEVPATH=$devpath")
                elif [[ $kv == -* ]]; then
                        kept=()
                        for e in "${env[@]}"; do [[ $e == "${kv#-}="* ]] || kept+=("$e"); done
                        env=("${kept[@]}")
                else
                        env+=("$kv")
                fi
        done
        env -i PATH="$PATH" LD_PRELOAD="$LD_PRELOAD" UMOCKDEV_DIR="$UMOCKDEV_DIR" "$@" "${env[@]}" "$BIN/$program" \
                >"$q/$i.out" 2>"$q/$i.err"
        echo $? >"$q/$i.rc"
        store_dump "$q/$i.tree"
done'

usb_run() {
        local q=$SCRATCH/usbq i path glob v
        local -a meta
        [ "$USB_N" -gt 0 ] || return 0
        # shellcheck disable=SC2046
        usb_in_sys umockdev-run -d "$(usb_bed "$BED")" -- env BIN="$BIN" bash -c "$USB_RUNNER" - "$q" "$USB_N" \
                XENSTORED_PATH="$XENSTORED_PATH" $(usb_sanitizer_env) || fail "the bed $BED did not run"
        for ((i = 1; i <= USB_N; i++)); do
                mapfile -t meta <"$q/$i.meta"
                [ -e "$q/$i.rc" ] || fail "${meta[0]}: not run"
                cp "$q/$i.err" "$SCRATCH/err"
                cp "$q/$i.out" "$SCRATCH/out"
                check_case "${meta[0]}" "${meta[1]}" "${meta[2]}" "${meta[3]}" "$(cat "$q/$i.rc")" \
                        "$q/$((i - 1)).tree" "$q/$i.tree"
                while IFS=$'\t' read -r path glob; do
                        v=$(dump_value "$q/$i.tree" "$path") || fail "${meta[0]}: $path is missing"
                        expect_matches "${meta[0]}: $path" "$v" "$glob"
                done <"$q/$i.expect"
        done
        rm -rf "$q"
        USB_N=0
}

# The stick's entry as a valid add writes it, and a foreign entry beside it:
# a case that removes or rewrites the wrong entry shows in the tree.
usb_bad_setup() {       # BED
        usb_setup
        BED=$1
        seed_foreign_usb_entry
}

seed_stick() {
        usb_case "valid add first" 0 "" 2-1_4 add "$STICK"
}

STICK_SERIAL=4C530001230915105341

# ------------------------------------------------------------ environment

test_malformed_environment_is_refused_and_touches_nothing() {
        usb_bad_setup hub-stick
        seed_stick
        usb_case "ACTION empty" 1 "ACTION '': this helper handles add and change" - "" "$STICK"
        usb_case "ACTION=ADD" 1 "ACTION 'ADD': this helper handles add and change" - ADD "$STICK"
        usb_case "DEVPATH empty" 1 "DEVPATH is not set" - add "$STICK" DEVPATH=
        usb_case "DEVPATH ending in /." 1 "is not a sysfs device path" - add "$STICK" "DEVPATH=$STICK/."
        usb_case "DEVPATH with /./" 1 "is not a sysfs device path" - add "$STICK" "DEVPATH=$HUB/./2-1.4"
        usb_case "DEVPATH of 5000 bytes" 1 "DEVPATH is too long" - add "$STICK" \
                "DEVPATH=/devices/$(head -c 5000 /dev/zero | tr '\0' a)"
        usb_case "DEVPATH of 100000 bytes" 1 "DEVPATH is too long" - add "$STICK" "DEVPATH=/devices/$HUGE"
        usb_case "device name of 300 bytes" 1 "device name in DEVPATH" - add "$STICK" \
                "DEVPATH=$HUB/$(head -c 300 /dev/zero | tr '\0' 1)"
        usb_case "DEVTYPE of 100000 bytes" 1 "DEVTYPE of 2-1.4 is too long (100000 bytes)" - add "$STICK" "DEVTYPE=$HUGE"
        usb_case "TYPE without '/'" 1 "TYPE '9' of 2-1.4 is not class/subclass/protocol" - add "$STICK" TYPE=9
        usb_case "TYPE class 256" 1 "TYPE '256/0/0'" - add "$STICK" TYPE=256/0/0
        usb_case "TYPE class negative" 1 "TYPE '-1/0/0'" - add "$STICK" TYPE=-1/0/0
        usb_case "TYPE of 100000 bytes" 1 "TYPE of 2-1.4 is too long" - add "$STICK" "TYPE=$HUGE"
        usb_case "ID_VENDOR of 100000 bytes" 1 "ID_VENDOR of 2-1.4 is too long (100000 bytes)" - add "$STICK" "ID_VENDOR=$HUGE"
        # what udev leaves out is read from sysfs or taken as empty
        usb_case "TYPE empty (read from sysfs)" 0 "" - add "$STICK" TYPE=
        usb_case "DEVTYPE empty (read from sysfs)" 0 "" - add "$STICK" DEVTYPE=
        usb_case "DEVTYPE of an interface" 0 "" - add "$STICK" DEVTYPE=usb_interface
        usb_case "QUBES_EXPORT_USB_DEVICE neither 0 nor 1" 0 "" - add "$STICK" QUBES_EXPORT_USB_DEVICE=maybe
        usb_run
        report_cases
}

test_ids_and_interfaces_that_are_none_are_refused() {
        usb_bad_setup hub-stick
        seed_stick
        usb_case "vendor id empty" 1 "vendor/product id ':5567' is not two 4-digit hex numbers" - add "$STICK" ID_VENDOR_ID=
        usb_case "vendor id of 5 digits" 1 "id '07810:5567'" - add "$STICK" ID_VENDOR_ID=07810
        usb_case "vendor id upper case" 1 "id 'ABCD:5567'" - add "$STICK" ID_VENDOR_ID=ABCD
        usb_case "product id with a space" 1 "id '0781:55 7'" - add "$STICK" "ID_MODEL_ID=55 7"
        usb_case "product id of 100000 bytes" 1 "ID_MODEL_ID of 2-1.4 is too long" - add "$STICK" "ID_MODEL_ID=$HUGE"
        usb_case "interfaces not hex" 1 "interfaces ':08065g:' are not :ccsspp: triples" - add "$STICK" ID_USB_INTERFACES=:08065g:
        usb_case "interfaces without the closing ':'" 1 "interfaces ':080650'" - add "$STICK" ID_USB_INTERFACES=:080650
        usb_case "interfaces upper case" 1 "interfaces ':08065A:'" - add "$STICK" ID_USB_INTERFACES=:08065A:
        usb_case "interfaces with a newline" 1 "are not :ccsspp: triples" - add "$STICK" ID_USB_INTERFACES=$':080650:\n'
        usb_case "interfaces of 100000 bytes" 1 "ID_USB_INTERFACES of 2-1.4 is too long" - add "$STICK" "ID_USB_INTERFACES=$HUGE"
        # udev leaves ID_USB_INTERFACES out for a device without interfaces
        usb_case "interfaces empty" 0 "" 2-1_4 add "$STICK" ID_USB_INTERFACES=
        usb_expect "$USB_ROOT/2-1_4/interfaces" ""
        usb_run
        report_cases
}

# ---------------------------------------------------------------- escapes

# The _ENC values keep udev's \xNN; anything else that is not printable
# ASCII or is a space or '\' becomes \xNN, so dom0's decoder gets back the
# bytes the device gave, and the desc keeps its three spaces.
test_escapes_and_bytes_that_are_no_text_are_encoded() {
        usb_bad_setup hub-stick
        local m='0781:5567 SanDisk'
        esc() {         # WHAT EXPECTED-DESC KEY=VALUE...
                local what=$1 expected=$2
                shift 2
                usb_case "$what" 0 "" 2-1_4 change "$STICK" "$@"
                usb_expect "$USB_ROOT/2-1_4/desc" "$expected"
        }
        seed_stick
        esc "vendor: escape cut short" '0781:5567 San\\x5cx4 Cruzer\\x20Blade '$STICK_SERIAL 'ID_VENDOR_ENC=San\x4'
        esc "model: escape with no hex" "$m "'\\x5cxZZ '$STICK_SERIAL 'ID_MODEL_ENC=\xZZ'
        esc "model: \\x00 is kept (dom0 decodes it)" "$m "'\\x00 '$STICK_SERIAL 'ID_MODEL_ENC=\x00'
        esc "model: overlong UTF-8" "$m "'\\xc0\\xaf '$STICK_SERIAL ID_MODEL_ENC=$'\xc0\xaf'
        esc "model: bytes that are no UTF-8" "$m "'\\xff\\xfe '$STICK_SERIAL ID_MODEL_ENC=$'\xff\xfe'
        esc "model: raw space and tab" "$m "'a\\x20b\\x09c '$STICK_SERIAL ID_MODEL_ENC=$'a b\tc'
        esc "model: lone backslash at the end" "$m "'a\\x5c '$STICK_SERIAL 'ID_MODEL_ENC=a\'
        esc "serial: invalid byte, space, backslash" "$m "'Cruzer\\x20Blade \\xff\\x20a\\x5c' ID_SERIAL_SHORT=$'\xff a\\'
        esc "serial: escape cut short" "$m "'Cruzer\\x20Blade \\x5cx' 'ID_SERIAL_SHORT=\x'
        esc "serial: DEL and ESC" "$m "'Cruzer\\x20Blade \\x7f\\x1b' ID_SERIAL_SHORT=$'\x7f\x1b'
        esc "all three empty" '0781:5567   ' ID_VENDOR_ENC= ID_MODEL_ENC= ID_SERIAL_SHORT=
        usb_case "serial of 100000 bytes" 1 "ID_SERIAL_SHORT of 2-1.4 is too long (100000 bytes)" - change "$STICK" \
                "ID_SERIAL_SHORT=$HUGE"
        usb_case "vendor of 100000 bytes" 1 "ID_VENDOR_ENC of 2-1.4 is too long" - change "$STICK" "ID_VENDOR_ENC=$HUGE"
        # each of 300 bytes takes four when encoded: past what a field may hold (1 KiB)
        usb_case "model that encodes past the bound" 1 "model of 2-1.4 is too long to publish" - change "$STICK" \
                "ID_MODEL_ENC=$(head -c 300 /dev/zero | tr '\0' '\377')"
        usb_run
        report_cases
}

# ------------------------------------------------------------------ remove

test_remove_with_bad_environment_removes_nothing() {
        usb_bad_setup hub-stick
        seed_stick
        PROGRAM=udev-usb-remove usb_case "remove: ACTION=change" 1 "ACTION 'change': this helper handles remove" - \
                change "$STICK"
        usb_case "remove: DEVPATH empty" 1 "DEVPATH is not set" - remove "$STICK" DEVPATH=
        usb_case "remove: DEVPATH with .." 1 "is not a sysfs device path" - remove "$STICK" "DEVPATH=$HUB/../2-1/2-1.4"
        usb_case "remove: DEVPATH of 100000 bytes" 1 "DEVPATH is too long" - remove "$STICK" "DEVPATH=/devices/$HUGE"
        usb_case "remove: DEVTYPE of 100000 bytes" 1 "DEVTYPE of 2-1.4 is too long" - remove "$STICK" "DEVTYPE=$HUGE"
        usb_case "remove: TYPE malformed" 1 "TYPE 'x/y/z' of 2-1.4" - remove "$STICK" TYPE=x/y/z
        # nothing to remove for what never had an entry
        usb_case "remove: root hub" 0 "" - remove "$HUB_ROOT"
        usb_case "remove: no such device, no entry" 0 "" - remove "$HUB/2-1.9" "-*" DEVTYPE=usb_device
        usb_case "remove: name dom0 rejects" 0 "" - remove "$HUB/2-x" "-*" DEVTYPE=usb_device
        usb_run
        report_cases
}

# ----------------------------------------- what vanishes or lies in sysfs

# A change whose device is gone before the helper reads sysfs keeps the old
# entry whole (the remove event follows); a hand run (the libusb path) on a
# device whose strings or descriptors are broken fails with a message.
test_sysfs_that_vanishes_or_lies_mid_run() {
        usb_bad_setup hub-stick
        local sys='$UMOCKDEV_DIR/sys'
        seed_stick
        PRE="rm $sys$STICK/version" usb_case "version removed" 1 "cannot read /sys$STICK/version: No such file" - \
                change "$STICK"
        PRE="rm -r $sys$STICK" usb_case "device removed" 1 "cannot open /sys$STICK: No such file" - change "$STICK"
        usb_run
        BED=bare
        local uart=/devices/pci0000:00/0000:00:14.0/usb1/1-4
        PRE="head -c 8 $sys$uart/descriptors >\$UMOCKDEV_DIR/d; cat \$UMOCKDEV_DIR/d >$sys$uart/descriptors" \
                usb_case "hand run, descriptors cut short" 1 "" - add "$uart" "-*"
        usb_run
        PRE="head -c 2000 /dev/zero | tr '\\0' M >$sys$uart/manufacturer" \
                usb_case "hand run, manufacturer of 2000 bytes" 1 "cannot read /sys$uart/manufacturer: File too large" - \
                add "$uart" "-*"
        usb_run
        PRE="printf '\\377 \\300\\257 x' >$sys$uart/manufacturer; printf 'S\\001N' >$sys$uart/serial" \
                usb_case "hand run, manufacturer and serial no text" 0 "" 1-4 add "$uart" "-*"
        usb_expect "$USB_ROOT/1-4/desc" '0403:6001 \\xff\\x20\\xc0\\xaf\\x20x FT232R\\x20USB\\x20UART '
        usb_run
        PRE="rm $sys$uart/uevent" usb_case "hand run, no uevent" 1 "libusb does not list USB device 1-4" - add "$uart" "-*"
        usb_run
        report_cases
}

run_tests "$@"
