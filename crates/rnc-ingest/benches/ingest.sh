#!/bin/sh
# Benchmark of `rnc ingest` on a large synthetic registry extract: writes a
# feed of ROWS rows (default 5 000 000), ingests it with the release
# binary into a new registry, and prints rows per second, peak resident
# memory and the CPU share the run got.
#
# Usage: crates/rnc-ingest/benches/ingest.sh [ROWS] [WORK_DIR]
# WORK_DIR defaults to a temporary directory removed afterwards. Needs GNU
# time at /usr/bin/time and awk.
#
# Every row is synthetic: names are drawn from short fixed lists, NIRs are
# built from the row number with a valid key, and every 1000th row has an
# impossible incidence date (30 February), so ROWS / 1000 rows are
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
awk -v rows="$rows" 'BEGIN {
    split("MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL LEFEBVRE LEROY ROUX DAVID BERTRAND MOREL FOURNIER GIRARD", last, " ");
    split("MARIE JEAN ANNE PIERRE JEANNE PAUL LOUISE JACQUES CLAIRE MICHEL SYLVIE ALAIN MONIQUE ANDRE NICOLE BERNARD", first, " ");
    split("C61.9 C50.4 C34.1 C18.7 C44.3 C67.9 C73.9 C16.0", site, " ");
    split("8140 8500 8070 8140 8090 8120 8260 8140", morph, " ");
    print "tumour_ref,registry,nir,birth_name,usage_name,first_name,sex,birth_date,departement,incidence_date,topography,morphology,behaviour,grade,basis_of_diagnosis,death_date,last_contact_date";
    for (i = 0; i < rows; i++) {
        sex = 1 + i % 2;
        year = 1930 + i % 70;
        month = 1 + i % 12;
        day = 1 + i % 28;
        departement = 21 + i % 70;
        nir13 = sprintf("%d%02d%02d%02d%03d%03d", sex, year % 100, month,
            departement, 1 + i % 900, i % 1000);
        key = 97 - (nir13 % 97);
        incidence_day = (i % 1000 == 999) ? 30 : 1 + i % 28;
        k = 1 + i % 8;
        printf "T%d,REG14,%s%02d,%s%d,,%s,%d,%d-%02d-%02d,%02d,2021-02-%02d,%s,%s,3,,7,,\n",
            i, nir13, key, last[1 + i % 20], i % 997, first[1 + int(i / 20) % 16],
            sex, year, month, day, departement, incidence_day, site[k], morph[k];
    }
}' > "$feed"
echo "feed: $rows rows, $(wc -c < "$feed") bytes"

log="$work/time.log"
/usr/bin/time -v "$rnc" ingest --source registry_extract "$feed" \
    --registry "$work/registry" --key "$work/rnc.key" --quiet \
    > "$work/stdout.txt" 2> "$log" || status=$?
if [ "${status:-0}" -gt 1 ]; then
    cat "$log" >&2
    exit 2
fi
grep '^ingest:' "$work/stdout.txt"
grep -E "Elapsed \(wall clock\)|Maximum resident set size|Percent of CPU" \
    "$log"
seconds=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' \
    "$log" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
awk -v rows="$rows" -v s="$seconds" \
    'BEGIN { printf "rows/s (wall clock, whole process): %.0f\n", rows / s }'
