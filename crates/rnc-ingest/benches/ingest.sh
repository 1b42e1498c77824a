#!/bin/sh
# Benchmark of `rnc ingest` on a large synthetic registry extract: writes a
# feed of ROWS rows (default 5 000 000), ingests it with the release
# binary into a new registry, and prints rows per second, CPU time per
# row, peak resident memory, the CPU share the run got and the load
# average before and after, since other work on the machine slows the
# run.
#
# Usage: crates/rnc-ingest/benches/ingest.sh [ROWS] [WORK_DIR]
# WORK_DIR defaults to a temporary directory removed afterwards. Needs GNU
# time at /usr/bin/time and awk.
#
# The feed is written by make_feed.sh, beside this script: every 1000th
# row has an impossible incidence date, so ROWS / 1000 rows are
# quarantined.
set -eu

root=$(cd "$(dirname "$0")/../../.." && pwd)
rows=${1:-5000000}
work=${2:-}
if [ -z "$work" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

cargo build --release --manifest-path "$root/Cargo.toml" -p rnc-cli \
    >/dev/null 2>&1 || {
    echo "ingest.sh: the release binary did not build; run" \
        "cargo build --release -p rnc-cli to see why" >&2
    exit 2
}
target=${CARGO_TARGET_DIR:-$root/target}
rnc="$target/release/rnc"

feed="$work/registry_extract.csv"
"$root/crates/rnc-ingest/benches/make_feed.sh" "$rows" "$feed"
echo "feed: $rows rows, $(wc -c < "$feed") bytes"

log="$work/time.log"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -v "$rnc" ingest --source registry_extract "$feed" \
    --registry "$work/registry" --key "$work/rnc.key" --quiet \
    > "$work/stdout.txt" 2> "$log" || status=$?
if [ "${status:-0}" -gt 1 ]; then
    cat "$log" >&2
    exit 2
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep '^ingest:' "$work/stdout.txt"
grep -E "Elapsed \(wall clock\)|Maximum resident set size|Percent of CPU" \
    "$log"
cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$log")
awk -v rows="$rows" -v cpu="$cpu" 'BEGIN {
    printf "CPU time (user + system): %.1f s, %.2f microseconds per row\n",
        cpu, cpu * 1e6 / rows
}'
seconds=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' \
    "$log" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
awk -v rows="$rows" -v s="$seconds" \
    'BEGIN { printf "rows/s (wall clock, whole process): %.0f\n", rows / s }'
