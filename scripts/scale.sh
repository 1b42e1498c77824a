#!/bin/sh
# Whole-pipeline scaling run. For each number of national years, it writes
# `rnc synth --scale france --years N` and runs `rnc run` on it (ingest,
# link, consolidate, release, statistics, report) in a release build under
# GNU time. It prints each run's wall time, its ratio to the first run, and
# its peak resident memory. Each run's per-stage table (rows, wall time,
# peak RSS) is printed as `rnc run` writes it.
#
# Usage: scripts/scale.sh [WORK_DIR] [YEARS...]
#   WORK_DIR  scratch folder (default: a new temporary folder); each run's
#             feeds and registry are deleted once measured, unless
#             KEEP=1 is set, because four national years take several GB.
#   YEARS     numbers of years to run (default: 1 2 4).
# Environment:
#   PERSONS           writes a population of that size (`rnc synth
#                     --persons PERSONS --years N`) instead of the national
#                     one, for a machine too busy for a national year.
#   RNC               the rnc binary to run instead of a fresh release build.
#   RNC_ENGINE        passed as --engine (default: local).
#   RNC_MEMORY_LIMIT  passed as --memory-limit, when set.
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
for n in $years; do
    feeds="$work/feeds-$n"
    run="$work/run-$n"
    rm -rf "$feeds" "$run"
    echo "scale.sh: writing $n year(s) to $feeds" >&2
    if [ -n "${PERSONS:-}" ]; then
        population="--persons $PERSONS"
    else
        population="--scale france"
    fi
    # shellcheck disable=SC2086 # $population is two words
    "$rnc" --quiet synth $population --years "$n" --out "$feeds" \
        > "$work/synth-$n.log"
    echo "scale.sh: running the pipeline on $n year(s)" >&2
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
    echo "$n $seconds $rss $cpu" >> "$summary"
    if [ "${KEEP:-0}" != 1 ]; then
        rm -rf "$feeds" "$run"
    fi
done

echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
awk 'NR == 1 { base = $2 }
     { printf "%d year(s): wall %.1f s, %.2f x the first run, peak RSS %.0f MiB, CPU %s\n",
              $1, $2, $2 / base, $3 / 1024, $4 }' "$summary"
