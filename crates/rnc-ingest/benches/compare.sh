#!/bin/sh
# Compares builds of the ingestion benchmark on one feed: runs each
# `ingest_throughput` binary ROUNDS times, the binaries in turn, and prints
# each one's CPU time per row (lowest, median and every run).
#
# Usage: [KIND=kind] crates/rnc-ingest/benches/compare.sh FEED ROUNDS BINARY...
#
# KIND is the feed's source kind (default registry_extract, the kind of
# make_feed.sh's feeds); `rnc synth` writes hospital_stay and others.
#
# Keep a copy of `target/release/examples/ingest_throughput` for each
# build to compare. The runs alternate because the speed of a shared
# machine drifts by a fifth or more within minutes, so that two builds
# run one after the other can differ by more than the change measured.
# The lowest CPU time per row is the figure least affected by other work.
set -eu

if [ $# -lt 3 ]; then
    echo "usage: $0 FEED ROUNDS BINARY..." >&2
    exit 2
fi
kind=${KIND:-registry_extract}
feed=$1
rounds=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

round=1
while [ "$round" -le "$rounds" ]; do
    index=0
    for binary in "$@"; do
        index=$((index + 1))
        rm -rf "$work/out"
        # The summary line ends with "..., N µs CPU per row (S s CPU)".
        cpu=$("$binary" "$kind" "$feed" "$work/out" 2>&1 |
            tail -n 1 | sed -n 's/.* \([0-9.]*\) µs CPU per row.*/\1/p')
        if [ -z "$cpu" ]; then
            echo "compare.sh: $binary printed no CPU time per row;" \
                "run it alone to see its error" >&2
            exit 1
        fi
        echo "$index $cpu" >> "$work/runs"
    done
    echo "compare.sh: round $round of $rounds done" >&2
    round=$((round + 1))
done

index=0
for binary in "$@"; do
    index=$((index + 1))
    awk -v index_="$index" '$1 == index_ { print $2 }' "$work/runs" |
        sort -n | tr '\n' ' ' |
        awk -v name="$binary" '{
            printf "%s: lowest %s, median %s µs CPU per row (runs: %s)\n",
                name, $1, $(int((NF + 1) / 2)), $0
        }'
done
