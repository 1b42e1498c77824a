//! `rnc stats --by ... --mortality` and `rnc report` on the release of a
//! small demo: the rates by stratum add up to the counts that SQL gives on
//! the same release, a region sums its départements, the published file
//! hides small counts, prevalence matches a count in SQL, and the report
//! draws survival curves and trends.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{arg, rnc_expect};

/// Reads a CSV into its header and rows.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|row| row.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// Sums the cases column of a rates file and of the file of its strata
/// without a rate.
fn total_cases(stats: &Path, stem: &str) -> f64 {
    let mut total = 0.0;
    for name in [format!("{stem}.csv"), format!("{stem}_not_estimable.csv")] {
        let (header, rows) = read_csv(&stats.join(name));
        let column = header.iter().position(|h| h == "cases").unwrap();
        total += rows
            .iter()
            .map(|r| r[column].parse::<f64>().unwrap())
            .sum::<f64>();
    }
    total
}

/// Runs `rnc sql --csv` and returns the single number it prints.
fn sql_count(registry: &[&str], query: &str) -> f64 {
    let mut args = registry.to_vec();
    args.extend(["sql", "--csv", query]);
    let output = rnc_expect(&args, 0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout.lines().nth(1).unwrap().trim().parse().unwrap()
}

#[test]
fn release_strata_mortality_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    rnc_expect(
        &["demo", "--out", arg(&out), "--persons", "20000", "--quiet"],
        0,
    );
    let registry_dir = out.join("registry");
    let key = out.join("rnc.key");
    let registry = ["--registry", arg(&registry_dir), "--key", arg(&key)];
    let stats = dir.path().join("stats");
    let mut args = registry.to_vec();
    args.extend([
        "stats",
        "--by",
        "sex,departement",
        "--mortality",
        "--out",
        arg(&stats),
    ]);
    let output = rnc_expect(&args, 0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("mortality: "), "{stdout}");

    // Incidence: every malignant tumour of known age and sex in the
    // population's years is in one stratum, unless its residence is
    // unknown (printed).
    let (header, rows) =
        read_csv(&stats.join("incidence_by_sex_departement.csv"));
    assert_eq!(header[..3], ["sex", "departement", "cases"]);
    let cases = total_cases(&stats, "incidence_by_sex_departement");
    let counted = sql_count(
        &registry,
        "SELECT COUNT(*) FROM tumours WHERE behaviour = 3 \
         AND incidence_year BETWEEN (SELECT MIN(year) FROM population) \
         AND (SELECT MAX(year) FROM population) \
         AND age_at_incidence IS NOT NULL AND sex IN ('male', 'female') \
         AND departement IS NOT NULL AND departement <> '99'",
    );
    assert_eq!(cases, counted);

    // Mortality: persons whose death record gives a C00-C97 cause.
    let died = total_cases(&stats, "mortality_by_sex_departement");
    let counted = sql_count(
        &registry,
        "SELECT COUNT(*) FROM persons WHERE underlying_cause LIKE 'C%' \
         AND CAST(SUBSTR(underlying_cause, 2, 2) AS INT) <= 97 \
         AND age_at_death IS NOT NULL AND sex IN ('male', 'female') \
         AND CAST(SUBSTR(death_date, 1, 4) AS INT) BETWEEN \
             (SELECT MIN(year) FROM population) AND (SELECT MAX(year) FROM population) \
         AND departement IS NOT NULL AND departement <> '99'",
    );
    assert!(died > 0.0, "no cancer death in the demo");
    assert_eq!(died, counted);

    // A region's cases and person-years are the sums of its départements:
    // Auvergne-Rhône-Alpes (84) has the INSEE départements 01, 03, 07, 15,
    // 26, 38, 42, 43, 63, 69, 73 and 74.
    let mut args = registry.to_vec();
    let by_region = dir.path().join("by_region");
    args.extend(["stats", "--by", "region", "--out", arg(&by_region)]);
    rnc_expect(&args, 0);
    let (_, regions) = read_csv(&by_region.join("incidence_by_region.csv"));
    let region_84 = regions.iter().find(|r| r[0] == "84").unwrap();
    let auvergne_rhone_alpes = [
        "01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74",
    ];
    let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
    for row in rows
        .iter()
        .filter(|r| auvergne_rhone_alpes.contains(&r[1].as_str()))
    {
        *sums.entry("cases").or_default() += row[2].parse::<f64>().unwrap();
        *sums.entry("person_years").or_default() +=
            row[3].parse::<f64>().unwrap();
    }
    assert_eq!(region_84[1].parse::<f64>().unwrap(), sums["cases"]);
    assert_eq!(region_84[2].parse::<f64>().unwrap(), sums["person_years"]);

    // Published: no count from 1 to 10 is shown.
    let (header, published) =
        read_csv(&stats.join("incidence_by_sex_departement_published.csv"));
    assert_eq!(header[2..5], ["status", "unreliable", "cases"]);
    for row in &published {
        if let Ok(count) = row[4].parse::<f64>() {
            assert!(count == 0.0 || count >= 11.0, "{row:?}");
        }
    }
    assert!(published.iter().any(|r| r[2] == "primary"));

    // Prevalence at an index date: persons whose first eligible malignant
    // tumour (full incidence date, not from a death certificate only) is
    // on or before it and who are not dead by then.
    let mut args = registry.to_vec();
    let prevalence = dir.path().join("prevalence");
    args.extend([
        "stats",
        "--index-date",
        "2022-12-31",
        "--out",
        arg(&prevalence),
        "--format",
        "json",
    ]);
    rnc_expect(&args, 0);
    let (header, rows) = read_csv(&prevalence.join("prevalence.csv"));
    assert_eq!(header[..4], ["site_group", "sex", "index_date", "complete"]);
    let complete: f64 = rows
        .iter()
        .filter(|r| r[0] == "all_sites")
        .map(|r| r[3].parse::<f64>().unwrap())
        .sum();
    let counted = sql_count(
        &registry,
        "SELECT COUNT(*) FROM (SELECT person_id, MIN(incidence_date) AS first \
           FROM tumours WHERE behaviour = 3 AND NOT death_certificate_only \
             AND LENGTH(incidence_date) = 10 GROUP BY person_id) f \
         JOIN persons p ON f.person_id = p.person_id \
         WHERE f.first <= '2022-12-31' AND (p.death_date IS NULL \
           OR LENGTH(p.death_date) < 10 OR p.death_date > '2022-12-31')",
    );
    assert!(complete > 0.0, "no prevalent person");
    assert_eq!(complete, counted);

    // The published prevalence shows the analyst counts or nothing, never
    // a count from 1 to 10, and hides some (the demo has rare sites).
    let (published_header, published) =
        read_csv(&prevalence.join("prevalence_published.csv"));
    assert_eq!(
        published_header[..5],
        ["site_group", "sex", "index_date", "status", "complete"]
    );
    assert_eq!(published.len(), rows.len());
    let mut hidden = 0;
    for (shown, analyst) in published.iter().zip(&rows) {
        assert_eq!(shown[..3], analyst[..3]);
        for (value, truth) in shown[4..].iter().zip(&analyst[3..]) {
            if value.is_empty() {
                hidden += 1;
                continue;
            }
            assert_eq!(value, truth, "{shown:?}");
            let count: u64 = value.parse().unwrap();
            assert!(count == 0 || count >= 11, "{shown:?}");
        }
    }
    assert!(hidden > 0, "nothing suppressed in the published prevalence");

    // An index date after the latest death record is rejected before any
    // table is written.
    let mut args = registry.to_vec();
    let late = dir.path().join("late");
    args.extend(["stats", "--index-date", "2099-12-31", "--out", arg(&late)]);
    rnc_expect(&args, 2);
    assert!(!late.exists(), "tables written before the index date check");

    // --format json writes each table again as JSON objects, with nulls
    // where the CSV is empty.
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(prevalence.join("prevalence_published.json"))
            .unwrap(),
    )
    .unwrap();
    let objects = json.as_array().unwrap();
    assert_eq!(objects.len(), published.len());
    for (object, row) in objects.iter().zip(&published) {
        assert_eq!(object["site_group"], row[0].as_str());
        match row[4].as_str() {
            "" => assert!(object["complete"].is_null()),
            count => {
                assert_eq!(object["complete"], count.parse::<u64>().unwrap())
            }
        }
    }
    for name in ["incidence", "incidence_published", "quality_indicators"] {
        let path = prevalence.join(format!("{name}.json"));
        assert!(path.exists(), "{} missing", path.display());
    }

    let mut args = registry.to_vec();
    let report = dir.path().join("report");
    args.extend(["report", "--out", arg(&report)]);
    rnc_expect(&args, 0);
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(
        html.contains("<h2>Survival</h2>\n<figure>"),
        "no survival plot"
    );
    assert!(
        html.contains("observed (Kaplan-Meier)"),
        "no survival legend"
    );
    assert!(html.contains("<h2>Trends</h2>\n<figure>"), "no trend plot");
}
