#!/bin/sh
# Checks that two rnc builds give the same registry from the same feeds:
# it writes `rnc synth --persons PERSONS --years YEARS` once, runs
# `rnc run` on it with each build under one key, and compares the
# persons, tumours and source_records release tables and the review
# queue. It exits 0 when all are identical and 1 when one differs,
# printing the first differing lines.
#
# Usage: scripts/link_equivalence.sh BEFORE AFTER [WORK_DIR]
#   BEFORE, AFTER  the two rnc binaries
#   WORK_DIR       scratch folder (default: a new temporary folder); its
#                  feeds are reused when present
# Environment: PERSONS (default 200000), YEARS (default 2).
set -eu

before=$1
after=$2
work=${3:-$(mktemp -d)}
persons=${PERSONS:-200000}
years=${YEARS:-2}
mkdir -p "$work"
feeds="$work/feeds"
if [ ! -d "$feeds" ]; then
    "$before" --quiet synth --persons "$persons" --years "$years" \
        --out "$feeds" > "$work/synth.log"
fi

# Runs the pipeline with one build; exit code 1 (rows quarantined or
# tumours flagged) is a completed run.
run() {
    status=0
    "$1" --quiet run --feeds "$feeds" --out "$work/$2" \
        > "$work/$2.log" 2> "$work/$2.err" || status=$?
    if [ "$status" -gt 1 ]; then
        echo "link_equivalence.sh: rnc run ($2) failed (exit $status):" >&2
        tail -n 20 "$work/$2.err" >&2
        exit 2
    fi
}

rm -rf "$work/before" "$work/after"
run "$before" before
# The second run reuses the first run's keys, so that pseudonyms agree.
mkdir -p "$work/after"
cp "$work/before/rnc.key" "$work/after/"
if [ -f "$work/before/rnc.provider.key" ]; then
    cp "$work/before/rnc.provider.key" "$work/after/"
fi
run "$after" after

differ=0
for table in persons tumours source_records; do
    for side in before after; do
        # Sorted, because the tables' row order is not part of the result.
        "$after" --registry "$work/$side/registry" sql --csv \
            "SELECT * FROM $table" | sort > "$work/$side-$table.csv"
    done
    rows=$(wc -l < "$work/before-$table.csv")
    if cmp -s "$work/before-$table.csv" "$work/after-$table.csv"; then
        echo "$table: identical ($rows lines)"
    else
        echo "$table: differs"
        diff "$work/before-$table.csv" "$work/after-$table.csv" | head -n 10
        differ=1
    fi
done
queue=registry/work/link/review_queue.json
if cmp -s "$work/before/$queue" "$work/after/$queue"; then
    echo "review queue: identical ($(grep -c record_id_left \
        "$work/before/$queue") pairs)"
else
    echo "review queue: differs"
    diff "$work/before/$queue" "$work/after/$queue" | head -n 10
    differ=1
fi
grep '^link: ' "$work/before.log" "$work/after.log" || true
exit "$differ"
