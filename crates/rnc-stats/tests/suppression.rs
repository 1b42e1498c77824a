//! Small-cell suppression attacked the way a reader of the published
//! tables would: by subtracting published counts along every margin,
//! repeating with each count recovered, until nothing more comes out.
//!
//! The rule under test is the French registries' publication rule: counts
//! from 1 to 10 are hidden (threshold 11), and enough further counts are
//! hidden that none of them can be computed back.

use std::collections::BTreeMap;

use rnc_stats::{CellStatus, SuppressedTable, TOTAL, suppress_counts};

/// Recovers hidden counts by difference: in any relation `margin = Σ
/// parts` with one unknown left, the unknown is the difference of the
/// known ones. Repeats until a pass recovers nothing, and returns the
/// recovered counts by cell index.
fn recover_by_difference(table: &SuppressedTable) -> BTreeMap<usize, f64> {
    let mut known: Vec<Option<f64>> = table
        .cells
        .iter()
        .map(|cell| cell.status.is_published().then_some(cell.count))
        .collect();
    let mut recovered = BTreeMap::new();
    let relations = table.relations();
    loop {
        let mut progress = false;
        for (margin, parts) in &relations {
            let unknown: Vec<usize> = std::iter::once(*margin)
                .chain(parts.iter().copied())
                .filter(|&c| known[c].is_none())
                .collect();
            if unknown.len() != 1 {
                continue;
            }
            let parts_sum: f64 = parts.iter().filter_map(|&p| known[p]).sum();
            let value = if unknown[0] == *margin {
                parts_sum
            } else {
                known[*margin].unwrap() - parts_sum
            };
            known[unknown[0]] = Some(value);
            recovered.insert(unknown[0], value);
            progress = true;
        }
        if !progress {
            // An unpublished margin computed along the way is no leak.
            recovered.retain(|&c, _| table.cells[c].status.is_suppressed());
            return recovered;
        }
    }
}

/// Recovers hidden counts from two relations at once. When the hidden
/// parts of one relation are those of another plus one cell, the
/// difference of their two sums of hidden parts is that cell.
fn recover_by_paired_difference(
    table: &SuppressedTable,
) -> BTreeMap<usize, f64> {
    let hidden = |c: usize| !table.cells[c].status.is_published();
    let known_sum = |cells: &[usize]| -> f64 {
        cells
            .iter()
            .filter(|&&c| !hidden(c))
            .map(|&c| table.cells[c].count)
            .sum()
    };
    let relations = table.relations();
    let mut recovered = BTreeMap::new();
    for (margin_a, parts_a) in &relations {
        for (margin_b, parts_b) in &relations {
            if hidden(*margin_a) || hidden(*margin_b) {
                continue;
            }
            let unknown_a: Vec<usize> =
                parts_a.iter().copied().filter(|&c| hidden(c)).collect();
            let unknown_b: Vec<usize> =
                parts_b.iter().copied().filter(|&c| hidden(c)).collect();
            let extra: Vec<usize> = unknown_a
                .iter()
                .copied()
                .filter(|c| !unknown_b.contains(c))
                .collect();
            let all_b_in_a = unknown_b.iter().all(|c| unknown_a.contains(c));
            if extra.len() == 1
                && all_b_in_a
                && table.cells[extra[0]].status.is_suppressed()
            {
                let hidden_a =
                    table.cells[*margin_a].count - known_sum(parts_a);
                let hidden_b =
                    table.cells[*margin_b].count - known_sum(parts_b);
                recovered.insert(extra[0], hidden_a - hidden_b);
            }
        }
    }
    recovered
}

fn key(levels: &[&str]) -> Vec<String> {
    levels.iter().map(|&l| l.to_owned()).collect()
}

/// Builds a registry-like cube: 6 site groups, 2 sexes, 18 age bands, with the
/// counts of a steep age gradient so that young bands hold small counts.
/// The counts come from a fixed formula, not from a random generator, so
/// the test is the same on every run.
fn registry_cube() -> Vec<(Vec<String>, f64)> {
    let sites = ["colon", "lung", "breast", "prostate", "melanoma", "brain"];
    let mut cells = Vec::new();
    for (s, site) in sites.iter().enumerate() {
        for sex in ["female", "male"] {
            for band in 0..18_u32 {
                let structural_zero = (*site == "prostate" && sex == "female")
                    || (*site == "breast" && sex == "male" && band < 6);
                let base = f64::from(band * band) * (s as f64 + 1.0) / 7.0;
                let wobble = f64::from((band * 7 + s as u32 * 3) % 5);
                let count = if structural_zero {
                    0.0
                } else {
                    (base + wobble).floor()
                };
                cells.push((key(&[site, sex, &band.to_string()]), count));
            }
        }
    }
    cells
}

/// Suppresses the registry cube with the French publication rule
/// (threshold 11).
fn registry_table() -> SuppressedTable {
    suppress_counts(&["site_group", "sex", "age_band"], &registry_cube(), 11)
        .unwrap()
}

#[test]
fn registry_cube_resists_difference_attack() {
    let table = registry_table();
    let counts = table.status_counts();
    assert!(counts[&CellStatus::PrimarySuppressed] > 20, "{counts:?}");
    assert!(counts[&CellStatus::SecondarySuppressed] > 0, "{counts:?}");

    let recovered = recover_by_difference(&table);
    let leaked: Vec<&Vec<String>> =
        recovered.keys().map(|&c| &table.cells[c].key).collect();
    assert!(leaked.is_empty(), "recovered by difference: {leaked:?}");

    let paired = recover_by_paired_difference(&table);
    let leaked: Vec<&Vec<String>> =
        paired.keys().map(|&c| &table.cells[c].key).collect();
    assert!(leaked.is_empty(), "recovered from two margins: {leaked:?}");
}

#[test]
fn attack_succeeds_without_secondary_suppression() {
    // The attack itself must work: with only the primary counts hidden, it
    // recovers each one exactly. Threshold 11 on a 2 x 2 table with a 4.
    let cells = vec![
        (key(&["colon", "female"]), 4.0),
        (key(&["colon", "male"]), 25.0),
        (key(&["lung", "female"]), 31.0),
        (key(&["lung", "male"]), 52.0),
    ];
    let mut table = suppress_counts(&["site", "sex"], &cells, 11).unwrap();
    for cell in &mut table.cells {
        if cell.status == CellStatus::SecondarySuppressed {
            cell.status = CellStatus::Published;
        }
    }
    let recovered = recover_by_difference(&table);
    let small = table
        .cells
        .iter()
        .position(|cell| cell.key == key(&["colon", "female"]))
        .unwrap();
    assert_eq!(recovered.get(&small), Some(&4.0));
}

#[test]
fn margins_by_sex_and_by_age_are_consistent() {
    // The totals by sex and the totals by age band are margins of the same
    // cube, so publishing them together is safe.
    let table = registry_table();
    let by_sex: f64 = ["female", "male"]
        .iter()
        .map(|sex| table.cell(&[TOTAL, sex, TOTAL]).unwrap().count)
        .sum();
    let by_age: f64 = (0..18)
        .map(|band| {
            table
                .cell(&[TOTAL, TOTAL, &band.to_string()])
                .unwrap()
                .count
        })
        .sum();
    let total = table.cell(&[TOTAL, TOTAL, TOTAL]).unwrap().count;
    assert_eq!(by_sex, total);
    assert_eq!(by_age, total);
    let interior: f64 = registry_cube().iter().map(|(_, n)| n).sum();
    assert_eq!(total, interior);
}

#[test]
fn no_published_count_below_threshold() {
    let table = registry_table();
    for cell in &table.cells {
        if cell.status.is_published() {
            assert!(
                cell.count == 0.0 || cell.count >= 11.0,
                "{:?} published with count {}",
                cell.key,
                cell.count
            );
        }
    }
}

#[test]
fn unpublished_margin_resists_attack_and_hides_less() {
    // A report that shows no both-sexes total: the reader does not know
    // the sex margins, so fewer complements are needed, and the attack
    // still recovers nothing.
    let table = rnc_stats::suppress_counts_with_unpublished(
        &["site_group", "sex", "age_band"],
        &registry_cube(),
        11,
        &["sex"],
    )
    .unwrap();
    assert!(recover_by_difference(&table).is_empty());
    assert!(recover_by_paired_difference(&table).is_empty());

    let secondary = |table: &SuppressedTable| {
        table.status_counts()[&CellStatus::SecondarySuppressed]
    };
    assert!(
        secondary(&table) < secondary(&registry_table()),
        "{} vs {}",
        secondary(&table),
        secondary(&registry_table())
    );
    assert_eq!(table.published(&[TOTAL, TOTAL, TOTAL]), None);
}

/// Incidence of two site groups, and 4 female kidney cases, on 10 000
/// person-years per band and sex (synthetic).
fn incidence_rows() -> Vec<rnc_stats::IncidenceRow> {
    let mut cells = Vec::new();
    for band in 10..16 {
        for (site, sex, cases) in [
            ("liver", "male", 12.0),
            ("liver", "female", 5.0),
            ("lung", "male", 30.0),
            ("lung", "female", 14.0),
        ] {
            cells.push(rnc_stats::Cell {
                site_group: site.to_owned(),
                sex: sex.to_owned(),
                age_band: band,
                cases,
                person_years: 0.0,
            });
        }
    }
    cells.push(rnc_stats::Cell {
        site_group: "kidney".to_owned(),
        sex: "female".to_owned(),
        age_band: 14,
        cases: 4.0,
        person_years: 0.0,
    });
    let population: Vec<(String, usize, f64)> = ["male", "female"]
        .iter()
        .flat_map(|sex| (0..18).map(move |band| (sex.to_string(), band, 1e4)))
        .collect();
    rnc_stats::incidence_table(&cells, &population).unwrap()
}

#[test]
fn published_csv_resists_difference_by_sex() {
    let csv =
        rnc_stats::published_incidence_csv(&incidence_rows(), 11, 20).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (site, sex, status, cases) = (
        column("site_group"),
        column("sex"),
        column("status"),
        column("cases"),
    );
    let mut by_sex: BTreeMap<String, (Option<f64>, f64, usize)> =
        BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let count: Option<f64> = record[cases].parse().ok();
        assert_eq!(count.is_some(), &record[status] == "published");
        if let Some(count) = count {
            assert!(count == 0.0 || count >= 11.0, "{record:?}");
        }
        let entry = by_sex.entry(record[sex].to_owned()).or_default();
        if &record[site] == "all_sites" {
            entry.0 = count;
        } else {
            match count {
                Some(count) => entry.1 += count,
                None => entry.2 += 1,
            }
        }
    }
    // One hidden site group under a shown all-sites total would be the
    // total minus the shown ones.
    for (sex, (total, _, hidden)) in &by_sex {
        assert!(total.is_none() || *hidden != 1, "{sex}: {by_sex:?}");
    }
    assert!(csv.contains(",secondary,"), "{csv}");
    assert!(csv.contains("kidney,female,primary,"), "{csv}");
}

#[test]
fn published_csv_hides_standardised_rates_giving_bands() {
    // Lung, men: 40 cases at 60-64, 5 at 65-69 and 50 at 70-74; lung,
    // women: 30 at 60-64 and 30 at 70-74; 10 000 person-years in every
    // band. The 5 is hidden, and 40 with it, else 95 - 50 would give
    // 45 = 40 + 5 back. With the other bands' rates shown, the cases give
    // c1 + c2 = 45 and the world standardised rate gives
    // w1 c1 + w2 c2 (Segi weights 4 000 and 3 000), two independent
    // equations: the rate, its interval and the cumulative risk of the
    // men's row must go. The women's row hides no band and keeps them.
    let mut cells = Vec::new();
    for (sex, band, cases) in [
        ("male", 12, 40.0),
        ("male", 13, 5.0),
        ("male", 14, 50.0),
        ("female", 12, 30.0),
        ("female", 14, 30.0),
    ] {
        cells.push(rnc_stats::Cell {
            site_group: "lung".to_owned(),
            sex: sex.to_owned(),
            age_band: band,
            cases,
            person_years: 0.0,
        });
    }
    let population: Vec<(String, usize, f64)> = ["male", "female"]
        .iter()
        .flat_map(|sex| (0..18).map(move |band| (sex.to_string(), band, 1e4)))
        .collect();
    let rows = rnc_stats::incidence_table(&cells, &population).unwrap();
    let csv = rnc_stats::published_incidence_csv(&rows, 11, 20).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> =
        reader.records().map(Result::unwrap).collect();
    let row = |sex: &str| {
        records
            .iter()
            .find(|r| {
                &r[column("site_group")] == "lung" && &r[column("sex")] == sex
            })
            .unwrap()
    };
    let lung = row("male");
    assert_eq!(&lung[column("status")], "published", "{csv}");
    assert_eq!(&lung[column("rate_65_69")], "", "{csv}");
    assert_eq!(&lung[column("cases")], "95", "{csv}");
    assert_ne!(&lung[column("crude_rate")], "", "{csv}");
    for name in [
        "asr_world",
        "asr_world_lower",
        "asr_europe2013_upper",
        "cumulative_risk_0_74",
    ] {
        assert_eq!(&lung[column(name)], "", "{name}: {csv}");
    }
    let women = row("female");
    assert_ne!(&women[column("asr_world")], "", "{csv}");
    assert_ne!(&women[column("cumulative_risk_0_74")], "", "{csv}");
}
