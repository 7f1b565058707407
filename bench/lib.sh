# lib.sh: shared by the bench scripts (sourced). Each script prints
#   RESULT <name> <median-ms>     and     RSS <name> <KiB>
# lines that bench/run gathers into one table.

# hyperfine_medians JSON: a RESULT line per command of a hyperfine export,
# named by the --command-name given.
hyperfine_medians() {
        python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("RESULT %s %.3f" % (r["command"], r["median"] * 1000))' "$1"
}

# peak_rss NAME COMMAND...: the command's peak resident set size.
peak_rss() {
        local name=$1 kib
        shift
        kib=$(/usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1)
        echo "RSS $name $kib"
}
