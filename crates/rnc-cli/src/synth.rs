//! `rnc synth`: write a synthetic data set, or compare one with its
//! targets and print the deviations.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use rnc_synth::check::{CaseDeviation, CheckReport, check_data_set};
use rnc_synth::{FeedFormats, NoiseConfig, ScreeningScope};

use crate::cli::SynthArgs;
use crate::commands::Outcome;

/// |z| above which a deviation is marked, about three standard deviations.
const MARK_Z: f64 = 3.0;

/// Runs `rnc synth`: `--check DIR` compares, otherwise writes to `--out`.
pub fn synth(args: &SynthArgs) -> anyhow::Result<Outcome> {
    if let Some(dir) = &args.check {
        return check(dir);
    }
    let Some(out) = &args.out else {
        bail!(
            "no output directory: give --out DIR, or --check DIR to compare a written set"
        );
    };
    let started = Instant::now();
    let first_year = match args.years {
        Some(0) => bail!("--years 0 is invalid: give 1 or more years"),
        Some(years) => args.last_year - years as i32 + 1,
        None => args.first_year,
    };
    let mut config = match args.scale.as_deref() {
        Some("france") => rnc_synth::SynthConfig::france(
            args.seed,
            first_year,
            args.last_year,
        ),
        Some(other) => {
            bail!("--scale {other} is unknown: the accepted scale is france")
        }
        None => rnc_synth::SynthConfig {
            persons: args.persons,
            seed: args.seed,
            first_year,
            last_year: args.last_year,
            ..rnc_synth::SynthConfig::default()
        },
    };
    config.formats = match args.feed_format.as_str() {
        "plain" => FeedFormats::plain(),
        _ => FeedFormats::native(),
    };
    config.screening_scope = match args.screening_scope.as_str() {
        "national" => ScreeningScope::National,
        _ => ScreeningScope::RegistryAreas,
    };
    if let Some(path) = &args.noise {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!("reading the noise settings {}", path.display())
        })?;
        config.noise = NoiseConfig::from_toml(&text)
            .with_context(|| format!("in {}", path.display()))?;
    }
    let summary =
        rnc_synth::write_synthetic(&config, out).with_context(|| {
            format!("writing the synthetic data set to {}", out.display())
        })?;
    for (feed, rows) in &summary.records_by_feed {
        println!("{:<18} {rows:>10} rows", feed.name());
    }
    let records: u64 = summary.records_by_feed.iter().map(|(_, n)| n).sum();
    println!(
        "synth: {} persons, {} tumours, {records} source records, {} population rows written to {} in {:.1} s",
        summary.persons,
        summary.tumours,
        summary.population_rows,
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Clean)
}

fn check(dir: &Path) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let report = check_data_set(dir).with_context(|| {
        format!("checking the synthetic data set in {}", dir.display())
    })?;
    print_report(&report);
    let marked = count_marked(&report);
    println!(
        "synth check: {} tumours against {:.0} expected ({:+.1} %), {marked} deviations with |z| > {MARK_Z} in {:.1} s",
        report.total_cases.observed,
        report.total_cases.expected,
        100.0 * report.total_cases.relative(),
        started.elapsed().as_secs_f64()
    );
    Ok(if marked == 0 {
        Outcome::Clean
    } else {
        Outcome::Flagged
    })
}

/// Deviations beyond [`MARK_Z`] among sites, age bands, stays and noise
/// (cells are summarised by their chi-square and not counted).
fn count_marked(report: &CheckReport) -> usize {
    let cases = report
        .cases_by_site
        .iter()
        .chain(&report.cases_by_age)
        .filter(|c| c.expected >= 5.0 && c.z().abs() > MARK_Z)
        .count();
    let stays = report
        .stays
        .as_ref()
        .filter(|s| s.z().abs() > MARK_Z)
        .iter()
        .count();
    let noise = report
        .noise
        .iter()
        .filter(|n| n.records > 0 && n.z().abs() > MARK_Z)
        .count();
    cases + stays + noise
}

fn mark(z: f64) -> &'static str {
    if z.abs() > MARK_Z { "  *" } else { "" }
}

fn sex_label(sex: u8) -> &'static str {
    if sex == 1 { "men" } else { "women" }
}

fn print_cases(title: &str, rows: &[CaseDeviation]) {
    println!("{title}");
    println!(
        "{:<6} {:<22} {:<7} {:>9} {:>11} {:>8} {:>7}",
        "sex", "site group", "age", "observed", "expected", "dev %", "z"
    );
    for row in rows {
        println!(
            "{:<6} {:<22} {:<7} {:>9} {:>11.1} {:>+8.1} {:>+7.2}{}",
            sex_label(row.sex),
            row.site_group.unwrap_or("all"),
            row.age_band.as_deref().unwrap_or("all"),
            row.observed,
            row.expected,
            100.0 * row.relative(),
            row.z(),
            mark(row.z())
        );
    }
    println!();
}

fn print_report(report: &CheckReport) {
    println!(
        "synthetic data set of {} to {} against its targets (* marks |z| > {MARK_Z})",
        report.years.0, report.years.1
    );
    println!();
    print_cases(
        "new cancers by sex and site group (expected: calibrated 2023 national rates x person-years)",
        &report.cases_by_site,
    );
    print_cases("new cancers by sex and age band", &report.cases_by_age);
    let (chi_square, cells) = report.cell_chi_square();
    println!(
        "sex x site group x age band: chi-square {chi_square:.1} over {cells} cells expecting 5 or more cases"
    );
    println!();

    match &report.stays {
        Some(stays) => println!(
            "hospital stays per tumour with two years of follow-up: {:.2} observed, {:.2} expected over {} tumours (z {:+.2}){}",
            stays.observed_mean,
            stays.expected_mean,
            stays.tumours,
            stays.z(),
            mark(stays.z())
        ),
        None => println!(
            "hospital stays per tumour: no tumour has two years of follow-up (write at least 3 years to check them)"
        ),
    }
    println!();

    println!("noise shares");
    println!(
        "{:<18} {:<26} {:>10} {:>9} {:>9} {:>7}",
        "feed", "measure", "records", "observed", "expected", "z"
    );
    for noise in &report.noise {
        println!(
            "{:<18} {:<26} {:>10} {:>8.2}% {:>8.2}% {:>+7.2}{}",
            noise.feed,
            noise.measure,
            noise.records,
            100.0 * noise.observed_share(),
            100.0 * noise.expected_share,
            noise.z(),
            mark(noise.z())
        );
    }
    println!();
    println!("detection mode of breast, colorectal and cervical tumours");
    for (mode, count) in &report.detection_modes {
        println!("{mode:<18} {count:>10}");
    }
    println!();
}
