# dom0-lib.sh: helpers for xen-devices' tests against the xenstore test
# server (sourced after lib.sh). Domains are made the way libxl makes them:
# a home owned by dom0 that the domain may read, with a name node.

XD=$BIN/xen-devices

# Each test starts with dom0 alone.
reset_domains() {
        local d
        for d in $(xenstore-list /local/domain); do
                [ "$d" = 0 ] || xenstore-rm "/local/domain/$d"
        done
}

new_domain() {          # DOMID NAME
        xenstore-write "/local/domain/$1/name" "$2"
        xenstore-chmod "/local/domain/$1" n0 "r$1"
        xenstore-chmod "/local/domain/$1/name" n0 "r$1"
}

# as_domain DOMID CMD...: CMD's (first) xenstore connection is domain DOMID.
as_domain() {
        local d=$1
        shift
        xenstore-control as-domain "$d" >/dev/null || fail "cannot arm as-domain $d"
        "$@"
}

# offer_block DOMID NAME DESC SIZE MODE: the entry, written by the domain
# itself (literal values) in one connection.
offer_block() {
        local e=/local/domain/$1/qubes-block-devices/$2
        as_domain "$1" xenstore-write -R "$e/desc" "$3" "$e/size" "$4" "$e/mode" "$5" "$e/parent" "" ||
                fail "domain $1 cannot write $e"
}

# offer_usb DOMID NAME DESC VER INTERFACES
offer_usb() {
        local e=/local/domain/$1/qubes-usb-devices/$2
        as_domain "$1" xenstore-write -R "$e/desc" "$3" "$e/usb-ver" "$4" "$e/interfaces" "$5" ||
                fail "domain $1 cannot write $e"
}

# fake_vbd BACKEND FRONTEND DEVID PARAMS DEV MODE: what libxl and blkback
# leave in the backend's home for an attached disk.
fake_vbd() {
        local b=/local/domain/$1/backend/vbd/$2/$3
        xenstore-write -R "$b/params" "$4" "$b/dev" "$5" "$b/mode" "$6" "$b/frontend-id" "$2"
}

# perms_of PATH: its permissions as xenstore-ls -p shows them ("n5", "n0 r5").
perms_of() {
        xenstore-ls -p "${1%/*}" | sed -n "s/^${1##*/} = .*  (\(.*\))\$/\1/p"
}

# xd_run ARGS...: runs xen-devices; its stdout, stderr and status in
# $SCRATCH/out, $SCRATCH/err and $XD_STATUS.
xd_run() {
        XD_STATUS=0
        "$XD" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || XD_STATUS=$?
}

# Fails when the file holds a byte that would drive a terminal (ESC, other
# controls but newline, DEL).
assert_terminal_safe() {        # FILE
        if LC_ALL=C grep -q "[$(printf '\001-\011\013-\037\177')]" "$1"; then
                fail "$1 holds control characters: $(od -c "$1" | head -n 5)"
        fi
}

# assert_json FILE PYTHON_EXPR: FILE is valid JSON and EXPR (on `d`) is true.
assert_json() {
        python3 - "$1" "$2" <<'PY' || fail "JSON check '$2' failed on $(head -c 2000 "$1")"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)
PY
}

count_lines() {         # FILE PATTERN
        grep -c -- "$2" "$1" || true
}
