//! `check_data_set` against a freshly written data set: every deviation
//! from the targets stays within sampling error, and a damaged set is
//! caught.
//!
//! The targets come from published figures through the generator's
//! calibration (new cancers: Santé publique France, INCa, Francim and HCL,
//! BEH of 4 July 2023, scaled by the set's person-years) and from its
//! configured pathway and noise shares. The tolerance is |z| < 4: with
//! about 80 checked deviations, a correct generator exceeds it with a
//! probability below 1 %.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rnc_synth::check::{CheckReport, check_data_set};
use rnc_synth::{FeedFormats, SynthConfig, write_synthetic};

/// Largest |z| accepted for a deviation. A normal deviate passes 4 in
/// about 1 run in 16 000, so the 65 noise measures and about 70 case
/// counts of the report stay below it together in about 99 % of seeds.
const MAX_Z: f64 = 4.0;

struct DataSet {
    _dir: tempfile::TempDir,
    path: PathBuf,
    report: CheckReport,
}

/// 100 000 persons over 2021-2023, so that tumours of 2021 have the two
/// years of follow-up the stays check needs.
fn data_set() -> &'static DataSet {
    static DATA: OnceLock<DataSet> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let config = SynthConfig {
            persons: 100_000,
            seed: 17,
            first_year: 2021,
            last_year: 2023,
            formats: FeedFormats::plain(),
            ..SynthConfig::default()
        };
        write_synthetic(&config, dir.path()).unwrap();
        let report = check_data_set(dir.path()).unwrap();
        DataSet {
            path: dir.path().to_path_buf(),
            _dir: dir,
            report,
        }
    })
}

#[test]
fn total_cases_within_sampling_error() {
    let total = &data_set().report.total_cases;
    assert!(total.expected > 1_000.0, "expected {}", total.expected);
    assert!(
        total.z().abs() < MAX_Z,
        "{} tumours against {:.0} expected",
        total.observed,
        total.expected
    );
}

#[test]
fn cases_by_site_within_sampling_error() {
    let report = &data_set().report;
    // 23 site groups, prostate and testis for men only, breast and the
    // gynaecological sites for women only: 40 sex-site cells.
    assert_eq!(report.cases_by_site.len(), 40);
    for cell in &report.cases_by_site {
        assert!(
            cell.z().abs() < MAX_Z,
            "sex {} {}: {} observed, {:.1} expected",
            cell.sex,
            cell.site_group.unwrap(),
            cell.observed,
            cell.expected
        );
    }
}

#[test]
fn cases_by_age_within_sampling_error() {
    // The normal approximation of the Poisson law needs about five
    // expected cases, so the bands of children are left out.
    let cells: Vec<_> = data_set()
        .report
        .cases_by_age
        .iter()
        .filter(|cell| cell.expected >= 5.0)
        .collect();
    assert!(cells.len() >= 20, "only {} age bands", cells.len());
    for cell in cells {
        assert!(
            cell.z().abs() < MAX_Z,
            "sex {} age {}: {} observed, {:.1} expected",
            cell.sex,
            cell.age_band.as_deref().unwrap(),
            cell.observed,
            cell.expected
        );
    }
}

#[test]
fn cell_chi_square_within_sampling_error() {
    // The Pearson chi-square over k cells has mean k and standard
    // deviation sqrt(2k). The bound is the mean plus four standard
    // deviations.
    let (chi_square, cells) = data_set().report.cell_chi_square();
    assert!(cells > 50, "only {cells} cells");
    let bound = cells as f64 + MAX_Z * (2.0 * cells as f64).sqrt();
    assert!(
        chi_square < bound,
        "chi-square {chi_square:.1} over {cells}"
    );
}

#[test]
fn stays_per_tumour_match_pathway() {
    let stays = data_set().report.stays.as_ref().expect("2021 tumours");
    assert!(stays.tumours > 200, "{} tumours followed", stays.tumours);
    assert!(
        stays.z().abs() < MAX_Z,
        "{:.2} stays observed, {:.2} expected (standard error {:.3})",
        stays.observed_mean,
        stays.expected_mean,
        stays.standard_error
    );
}

#[test]
fn noise_shares_within_sampling_error() {
    let noise = &data_set().report.noise;
    // Counted in the files: four measures for the six feeds with a first
    // name, three for the long-term illness feed (27). Counted in the
    // truth: NIR of another person, département missing, late and the two
    // duplicate kinds for all seven feeds, name typo and name swap for the
    // six named feeds, unspecified morphology for the registry and
    // pathology feeds (49).
    assert_eq!(noise.len(), 76);
    for deviation in noise {
        assert!(deviation.records > 0, "{} is empty", deviation.feed);
        assert!(
            deviation.z().abs() < MAX_Z,
            "{} {}: {:.4} observed, {:.4} expected over {} records",
            deviation.feed,
            deviation.measure,
            deviation.observed_share(),
            deviation.expected_share,
            deviation.records
        );
    }
}

#[test]
fn screen_detected_and_interval_cancers_exist() {
    let modes = &data_set().report.detection_modes;
    for mode in [
        "screen_detected",
        "interval",
        "non_participant",
        "not_eligible",
    ] {
        let count = modes
            .iter()
            .find(|(name, _)| name == mode)
            .map_or(0, |(_, n)| *n);
        assert!(count > 0, "no {mode} tumour: {modes:?}");
    }
}

/// Copies the data set, keeping only every other hospital stay.
fn copy_without_half_the_stays(from: &Path, to: &Path) {
    for file in [
        "registry_extract.csv",
        "pathology_report.csv",
        "death_record.csv",
        "long_term_illness.csv",
        "screening.csv",
        "treatment.csv",
        "population.csv",
        "truth/tumours.csv",
        "truth/persons.csv",
        "truth/records.csv",
        "truth/noise.toml",
    ] {
        std::fs::create_dir_all(to.join(file).parent().unwrap()).unwrap();
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
    let stays =
        std::fs::read_to_string(from.join("hospital_stay.csv")).unwrap();
    let kept: Vec<&str> = stays
        .lines()
        .enumerate()
        .filter(|(number, _)| number % 2 == 0)
        .map(|(_, line)| line)
        .collect();
    std::fs::write(to.join("hospital_stay.csv"), kept.join("\n") + "\n")
        .unwrap();

    // The truth must describe the damaged feed, as it would if the
    // generator had lost the rows.
    let kept_ids: std::collections::HashSet<String> = kept
        .iter()
        .skip(1)
        .map(|line| {
            format!("hospital_stay/{}", line.split(',').next().unwrap())
        })
        .collect();
    let records =
        std::fs::read_to_string(from.join("truth/records.csv")).unwrap();
    let filtered: Vec<&str> = records
        .lines()
        .filter(|line| {
            !line.starts_with("hospital_stay/")
                || kept_ids.contains(line.split(',').next().unwrap())
        })
        .collect();
    std::fs::write(to.join("truth/records.csv"), filtered.join("\n") + "\n")
        .unwrap();
}

#[test]
fn lost_stays_are_caught() {
    let damaged = tempfile::tempdir().unwrap();
    copy_without_half_the_stays(&data_set().path, damaged.path());
    let report = check_data_set(damaged.path()).unwrap();
    let stays = report.stays.unwrap();
    assert!(
        stays.z() < -MAX_Z,
        "half the stays lost but z is {:.2}",
        stays.z()
    );
}

#[test]
fn missing_file_is_an_error() {
    let empty = tempfile::tempdir().unwrap();
    let error = check_data_set(empty.path()).unwrap_err();
    assert!(error.to_string().contains("population.csv"), "{error}");
}

#[test]
fn truncated_feed_is_caught() {
    // Only the feed loses rows; the truth still lists them, as when a file
    // is cut short in transfer.
    let damaged = tempfile::tempdir().unwrap();
    let original = data_set();
    copy_without_half_the_stays(&original.path, damaged.path());
    std::fs::copy(
        original.path.join("truth/records.csv"),
        damaged.path().join("truth/records.csv"),
    )
    .unwrap();
    let report = check_data_set(damaged.path()).unwrap();
    let stays = report.stays.unwrap();
    assert!(
        stays.z() < -MAX_Z,
        "half the feed lost but z is {:.2}",
        stays.z()
    );
}
