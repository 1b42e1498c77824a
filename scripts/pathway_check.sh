#!/usr/bin/env bash
# Checks the care-pathway and screening indicators against the synthetic
# truth at a chosen size, with the generator's default noise (unlike
# `rnc demo`, which leaves out the noise beyond identifier errors).
#
#   scripts/pathway_check.sh [PERSONS] [OUT]
#
# Runs rnc synth, ingests every feed (hospital stays in Windows-1252, the
# FHIR pathology deliveries too), links, consolidates, releases, then
# `rnc pathway --truth`, which prints the indicators beside the truth.
# RNC names the binary (default target/debug/rnc).
set -euo pipefail

persons=${1:-1000000}
out=${2:-pathway_check}
rnc=${RNC:-target/debug/rnc}
registry=(--registry "$out/registry" --key "$out/rnc.key" --quiet)

# rnc exits 1 when rows were quarantined or tumours flagged: the run
# still completed.
run() {
    "$rnc" "$@" || [ $? -eq 1 ]
}

rm -rf "$out"
mkdir -p "$out"
run synth --persons "$persons" --out "$out/feeds" --quiet
run ingest "${registry[@]}" --population "$out/feeds/population.csv"
for kind in registry_extract pathology_report death_record \
    long_term_illness screening treatment; do
    files=("$out"/feeds/"$kind"_*.csv)
    if [ "$kind" = pathology_report ]; then
        files+=("$out"/feeds/pathology_report_fhir_*.json)
    fi
    run ingest "${registry[@]}" --source "$kind" "${files[@]}" > /dev/null
done
run ingest "${registry[@]}" --source hospital_stay --encoding windows-1252 \
    "$out"/feeds/hospital_stay_*.csv > /dev/null
run link "${registry[@]}"
run consolidate "${registry[@]}"
run release "${registry[@]}"
run pathway "${registry[@]}" --out "$out/pathway" --truth "$out/feeds" \
    --life-table "$out/feeds/life_table.csv"
