#!/bin/sh
# Benchmark of `write_synthetic` at national scale: writes one year of
# synthetic France (67.8 million persons, about 433 000 new cancers) and
# prints the rows written, the wall-clock time and the peak resident
# memory.
#
# Usage: crates/rnc-synth/benches/france.sh [OUT_DIR] [THREADS]
# OUT_DIR defaults to a temporary directory removed afterwards; THREADS
# (default: all cores) sets RAYON_NUM_THREADS. Needs GNU time at
# /usr/bin/time.
set -eu

root=$(cd "$(dirname "$0")/../../.." && pwd)
out=${1:-}
if [ -n "${2:-}" ]; then
    export RAYON_NUM_THREADS="$2"
fi
log=$(mktemp)
if [ -n "$out" ]; then
    export RNC_BENCH_OUT="$out"
fi

# Build the bench binary in release (bench profile) and find its path.
binary=$(cargo bench --manifest-path "$root/Cargo.toml" -p rnc-synth \
    --bench france --no-run --message-format=json 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
if [ -z "$binary" ]; then
    echo "france.sh: the bench binary did not build; run" \
        "cargo bench -p rnc-synth --bench france --no-run to see why" >&2
    exit 2
fi

/usr/bin/time -v "$binary" --bench 2> "$log"
grep -E "Elapsed \(wall clock\)|Maximum resident set size|Percent of CPU" \
    "$log"
rm -f "$log"
