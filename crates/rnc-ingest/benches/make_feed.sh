#!/bin/sh
# Writes a synthetic registry extract of ROWS rows (default 5 000 000) to
# FILE, for the ingestion benchmarks (ingest.sh and the ingest_throughput
# example).
#
# Usage: crates/rnc-ingest/benches/make_feed.sh ROWS FILE
#
# Every row is synthetic: names are drawn from short fixed lists, NIRs are
# built from the row number with a valid key, and every 1000th row has an
# impossible incidence date (30 February), so ROWS / 1000 rows are
# quarantined.
set -eu

rows=${1:-5000000}
feed=${2:?usage: make_feed.sh ROWS FILE}
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
