#!/bin/sh
# Whole-pipeline scaling run. For each number of national years, it writes
# `rnc synth --scale france --years N` and runs `rnc run` on it (ingest,
# link, consolidate, release, statistics, report) in a release build under
# GNU time. It prints each size's median wall time, its ratio to the
# first size's, and its peak resident memory. Each run's per-stage table
# (rows, wall time, peak RSS) is printed as `rnc run` writes it.
#
# Usage: scripts/scale.sh [WORK_DIR] [YEARS...]
#   WORK_DIR  scratch folder (default: a new temporary folder). The feeds
#             of every size are written first and kept until the last
#             round: 1, 2 and 4 years take 1.2 GB at a tenth of France,
#             so about 12 GB at national scale. Each run's registry is
#             deleted once measured. KEEP=1 keeps the feeds and the last
#             round's registries.
#   YEARS     numbers of years to run (default: 1 2 4).
# Environment:
#   PERSONS           writes a population of that size (`rnc synth
#                     --persons PERSONS --years N`) instead of the national
#                     one, for a machine too busy for a national year.
#   RNC               the rnc binary to run instead of a fresh release build.
#   RNC_ENGINE        passed as --engine (default: local).
#   RNC_MEMORY_LIMIT  passed as --memory-limit, when set.
#   ROUNDS            runs of each size (default 1). The sizes are run in
#                     turn, round after round (1 2 4 1 2 4 ...), so a
#                     machine whose speed drifts slows every size alike.
#                     The summary gives each size's median and the ratios
#                     of the medians, then each round's ratios.
# Needs GNU time at /usr/bin/time. Run it on an idle machine: the figures
# of a shared one say more about the other processes than about rnc.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-}
if [ -n "$work" ]; then
    shift
    mkdir -p "$work"
else
    work=$(mktemp -d)
fi
years=${*:-1 2 4}
engine=${RNC_ENGINE:-local}

if [ -n "${RNC:-}" ]; then
    rnc=$RNC
else
    cargo build --release --manifest-path "$root/Cargo.toml" -p rnc-cli
    target=${CARGO_TARGET_DIR:-$root/target}
    rnc="$target/release/rnc"
fi

summary="$work/summary.txt"
: > "$summary"
rounds=${ROUNDS:-1}

for n in $years; do
    feeds="$work/feeds-$n"
    rm -rf "$feeds"
    echo "scale.sh: writing $n year(s) to $feeds" >&2
    if [ -n "${PERSONS:-}" ]; then
        population="--persons $PERSONS"
    else
        population="--scale france"
    fi
    # shellcheck disable=SC2086 # $population is two words
    "$rnc" --quiet synth $population --years "$n" --out "$feeds" \
        > "$work/synth-$n.log"
done

for round in $(seq 1 "$rounds"); do
    for n in $years; do
        feeds="$work/feeds-$n"
        run="$work/run-$n"
        rm -rf "$run"
        echo "scale.sh: round $round of $rounds, running the pipeline on $n year(s)" >&2
        memory=""
        if [ -n "${RNC_MEMORY_LIMIT:-}" ]; then
            memory="--memory-limit $RNC_MEMORY_LIMIT"
        fi
        # Exit code 1 (rows quarantined or tumours flagged) is a completed run.
        status=0
        # shellcheck disable=SC2086 # $memory is empty or two words
        /usr/bin/time -v "$rnc" --quiet --engine "$engine" $memory \
            run --feeds "$feeds" --out "$run" \
            > "$work/run-$n.log" 2> "$work/time-$n.log" || status=$?
        if [ "$status" -gt 1 ]; then
            echo "scale.sh: rnc run on $n year(s) failed (exit $status):" >&2
            tail -n 20 "$work/time-$n.log" >&2
            exit 2
        fi
        sed -n '/^stage /,/^total /p' "$work/run-$n.log"
        grep '^run: ' "$work/run-$n.log"
        wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$work/time-$n.log")
        # The run's peak is the largest stage peak (the table's total line, in
        # MiB). GNU time's maximum RSS is not, because rnc resets the kernel's
        # peak counter at each stage, which getrusage also reads.
        rss=$(awk '/^total / { print $NF * 1024 }' "$work/run-$n.log")
        cpu=$(sed -n 's/.*Percent of CPU this job got: //p' "$work/time-$n.log")
        seconds=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
        echo "$n $round $seconds $rss $cpu" >> "$summary"
        if [ "${KEEP:-0}" != 1 ]; then
            rm -rf "$run"
        fi
    done
done
if [ "${KEEP:-0}" != 1 ]; then
    for n in $years; do
        rm -rf "$work/feeds-$n"
    done
fi

echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
# Median wall time of each size (the lower middle value of an even
# count), the largest peak RSS of its runs, and the ratio of medians.
first=$(echo "$years" | awk '{ print $1 }')
for n in $years; do
    median=$(awk -v n="$n" '$1 == n { print $3 }' "$summary" | sort -n \
        | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    walls=$(awk -v n="$n" '$1 == n { printf "%s%s", sep, $3; sep = ", " }' "$summary")
    rss=$(awk -v n="$n" '$1 == n && $4 > m { m = $4 } END { print m }' "$summary")
    echo "$n $median $rss $walls"
done > "$work/medians.txt"
awk 'NR == 1 { base = $2 }
     { walls = $4; for (i = 5; i <= NF; i++) walls = walls " " $i
       printf "%d year(s): median wall %.1f s, %.2f x the first size, peak RSS %.0f MiB (runs: %s s)\n",
              $1, $2, $2 / base, $3 / 1024, walls }' "$work/medians.txt"
if [ "$rounds" -gt 1 ]; then
    awk -v first="$first" '
        $1 == first { base[$2] = $3 }
        { line[$2] = line[$2] sprintf(" %d year(s) %.2f x", $1, $3 / base[$2]) }
        END { for (r = 1; r in line; r++) printf "round %d:%s\n", r, line[r] }' "$summary"
fi
