//! Indicators of treatment pathways by site group, stage, sex, age band,
//! département and treating establishment: delay from diagnosis to first
//! treatment, modality combinations and first-line sequences, share
//! operated in high-volume establishments and post-operative mortality.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use rnc_stats::{Error, TOTAL};

use crate::modality::Modality;
use crate::publish::{Counts, Cube, PublicationRules};
use crate::summary::{TreatmentStatus, TumourPathway};
use crate::table::{Table, Values};

/// A breakdown of the indicator tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Site group code.
    SiteGroup,
    /// Simplified stage.
    Stage,
    /// Sex.
    Sex,
    /// Five-year age band at incidence.
    AgeBand,
    /// Département of residence at incidence.
    Departement,
    /// Establishment of the first treatment.
    Establishment,
}

impl Dimension {
    /// Every dimension, in table order.
    pub const ALL: [Dimension; 6] = [
        Dimension::SiteGroup,
        Dimension::Stage,
        Dimension::Sex,
        Dimension::AgeBand,
        Dimension::Departement,
        Dimension::Establishment,
    ];

    /// Column name of the dimension.
    pub fn label(self) -> &'static str {
        match self {
            Dimension::SiteGroup => "site_group",
            Dimension::Stage => "stage",
            Dimension::Sex => "sex",
            Dimension::AgeBand => "age_band",
            Dimension::Departement => "departement",
            Dimension::Establishment => "establishment",
        }
    }

    /// Returns the level of a tumour.
    pub fn level(self, pathway: &TumourPathway) -> String {
        match self {
            Dimension::SiteGroup => pathway.site_group.clone(),
            Dimension::Stage => pathway.stage.clone(),
            Dimension::Sex => pathway.sex.clone(),
            Dimension::AgeBand => pathway.age_band.clone(),
            Dimension::Departement => pathway.departement.clone(),
            Dimension::Establishment => pathway.treating_establishment(),
        }
    }
}

/// Returns the `p` quantile of sorted values by linear interpolation
/// between order statistics (Hyndman and Fan 1996 type 7, R's default
/// `quantile`), `None` for no values.
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p;
    let low = h.floor() as usize;
    let high = (low + 1).min(n - 1);
    Some(sorted[low] + (h - low as f64) * (sorted[high] - sorted[low]))
}

/// Delay statistics of a group of treated tumours.
#[derive(Debug, Clone, PartialEq)]
pub struct DelayStatistics {
    /// Treated tumours.
    pub treated: usize,
    /// Median delay in days.
    pub median: Option<f64>,
    /// First quartile.
    pub q1: Option<f64>,
    /// Third quartile.
    pub q3: Option<f64>,
    /// Share treated within 30 days.
    pub within_30: Option<f64>,
    /// Share treated within 60 days.
    pub within_60: Option<f64>,
}

/// Computes the delay statistics of the treated tumours among
/// `pathways`. A treatment before the incidence date counts as a delay
/// of 0 days.
pub fn delay_statistics<'a>(
    pathways: impl IntoIterator<Item = &'a TumourPathway>,
) -> DelayStatistics {
    let mut delays: Vec<f64> = pathways
        .into_iter()
        .filter(|p| p.status.is_treated())
        .filter_map(|p| p.delay_days)
        .map(|d| d.max(0) as f64)
        .collect();
    delays.sort_by(f64::total_cmp);
    let n = delays.len();
    let share = |days: f64| {
        (n > 0).then(|| {
            delays.iter().filter(|d| **d <= days).count() as f64 / n as f64
        })
    };
    DelayStatistics {
        treated: n,
        median: quantile(&delays, 0.5),
        q1: quantile(&delays, 0.25),
        q3: quantile(&delays, 0.75),
        within_30: share(30.0),
        within_60: share(60.0),
    }
}

/// Tells whether a tumour enters the delay indicators: a complete incidence
/// date and not known from the death certificate only.
pub fn in_delay_population(pathway: &TumourPathway) -> bool {
    !matches!(
        pathway.status,
        TreatmentStatus::DeathCertificateOnly
            | TreatmentStatus::IncompleteDiagnosisDate
    )
}

/// Rows of one dimension's level with their tumours.
fn groups<'a>(
    pathways: &[&'a TumourPathway],
    dimension: Dimension,
) -> HashMap<String, Vec<&'a TumourPathway>> {
    let mut groups: HashMap<String, Vec<&TumourPathway>> = HashMap::new();
    for pathway in pathways {
        groups
            .entry(dimension.level(pathway))
            .or_default()
            .push(pathway);
        groups.entry(TOTAL.to_string()).or_default().push(pathway);
    }
    groups
}

/// Columns shared by the tables by dimension.
#[derive(Default)]
struct Rows {
    dimension: Vec<Option<String>>,
    level: Vec<Option<String>>,
    status: Vec<Option<String>>,
    integers: Vec<(&'static str, Vec<Option<i64>>)>,
    numbers: Vec<(&'static str, Vec<Option<f64>>)>,
}

impl Rows {
    fn start(&mut self, dimension: Dimension, level: &str, status: String) {
        self.dimension.push(Some(dimension.label().to_string()));
        self.level.push(Some(level.to_string()));
        self.status.push(Some(status));
    }

    fn integer(&mut self, name: &'static str, value: Option<i64>) {
        match self.integers.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value),
            None => self.integers.push((name, vec![value])),
        }
    }

    fn number(&mut self, name: &'static str, value: Option<f64>) {
        match self.numbers.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value),
            None => self.numbers.push((name, vec![value])),
        }
    }

    fn finish(self, few_cases: Vec<Option<String>>) -> Table {
        let mut table = Table::default();
        table.push("dimension", Values::Text(self.dimension));
        table.push("level", Values::Text(self.level));
        for (name, values) in self.integers {
            table.push(name, Values::Integer(values));
        }
        for (name, values) in self.numbers {
            table.push(name, Values::Number(values));
        }
        table.push("status", Values::Text(self.status));
        table.push("few_cases", Values::Text(few_cases));
        table
    }
}

fn flag(cases: u64, rules: &PublicationRules) -> Option<String> {
    Some(
        if cases > 0 && cases < rules.few_cases {
            "yes"
        } else {
            "no"
        }
        .to_string(),
    )
}

/// Outcome category of a tumour in the delay cube: the delay band of a
/// treated tumour, or whether an untreated one died before treatment.
fn delay_outcome(pathway: &TumourPathway) -> (&'static str, &'static str) {
    if !pathway.status.is_treated() {
        let outcome = if pathway.status == TreatmentStatus::DiedBeforeTreatment
        {
            "died_before_treatment"
        } else {
            "other"
        };
        return ("not_treated", outcome);
    }
    let outcome = match pathway.delay_days.map(|d| d.max(0)) {
        Some(0..=30) => "within_30",
        Some(31..=60) => "days_31_60",
        Some(_) => "after_60",
        None => "unknown_delay",
    };
    ("treated", outcome)
}

/// Builds the delay table: per dimension and level, tumours, treated,
/// not treated (of which died before treatment), and the median,
/// quartiles and shares within 30 and 60 days of the treated.
///
/// Tumours outside [`in_delay_population`] are left out. Each dimension
/// is one cube of level, treatment (`treated`, `not_treated`) and
/// outcome, suppressed by [`PublicationRules`]. The outcome is the delay
/// band (within 30, 31 to 60 or after 60 days) of a treated tumour, and
/// whether an untreated one died before treatment. So every count that
/// the table shows or implies is a cell or margin of the cube.
///
/// The shares within 30 and 60 days times the treated count give the
/// counts of the three delay bands, so the shares are shown only where
/// the treated count and those three counts are all published. The
/// median and quartiles imply no count, so they are withheld only when
/// the treated count is below the small-cell threshold.
///
/// # Errors
///
/// Only when suppression rejects its input, which would be a bug here.
pub fn delay_table(
    pathways: &[TumourPathway],
    rules: &PublicationRules,
) -> Result<Table, Error> {
    let population: Vec<&TumourPathway> =
        pathways.iter().filter(|p| in_delay_population(p)).collect();
    let mut rows = Rows::default();
    let mut few = Vec::new();
    for dimension in Dimension::ALL {
        let cube = Cube::new(
            &[dimension.label(), "treatment", "outcome"],
            population.iter().map(|p| {
                let (treatment, outcome) = delay_outcome(p);
                vec![
                    dimension.level(p),
                    treatment.to_string(),
                    outcome.to_string(),
                ]
            }),
            rules,
        )?;
        let groups = groups(&population, dimension);
        for level in cube.levels() {
            let level = level.as_str();
            let members = groups.get(level).map_or(&[][..], |v| &v[..]);
            let stats = delay_statistics(members.iter().copied());
            let (treated, treated_published) =
                cube.get(&[level, "treated", TOTAL]);
            let bands_published = ["within_30", "days_31_60", "after_60"]
                .iter()
                .all(|band| cube.get(&[level, "treated", band]).1);
            rows.start(dimension, level, cube.status(&[level, TOTAL, TOTAL]));
            rows.integer("tumours", cube.published(&[level, TOTAL, TOTAL]));
            rows.integer("treated", cube.published(&[level, "treated", TOTAL]));
            rows.integer(
                "not_treated",
                cube.published(&[level, "not_treated", TOTAL]),
            );
            rows.integer(
                "died_before_treatment",
                cube.published(&[
                    level,
                    "not_treated",
                    "died_before_treatment",
                ]),
            );
            let quantiles_shown = treated >= rules.small_cell_threshold;
            let shares_shown = treated_published && bands_published;
            let quantile = |x: Option<f64>| x.filter(|_| quantiles_shown);
            let share = |x: Option<f64>| x.filter(|_| shares_shown);
            rows.number("median_days", quantile(stats.median));
            rows.number("q1_days", quantile(stats.q1));
            rows.number("q3_days", quantile(stats.q3));
            rows.number("within_30_days", share(stats.within_30));
            rows.number("within_60_days", share(stats.within_60));
            few.push(flag(treated, rules));
        }
    }
    Ok(rows.finish(few))
}

/// Builds a table of how often each label occurs within each level of
/// each [`Dimension`], with its share of the level's tumours: the
/// modality combinations (`label` = [`TumourPathway::combination`]) or
/// the first-line sequences ([`TumourPathway::sequence_label`]). Each
/// dimension is suppressed as its own two-way table.
///
/// # Errors
///
/// Only when suppression rejects its input, which would be a bug here.
pub fn label_table(
    pathways: &[TumourPathway],
    column: &str,
    label: impl Fn(&TumourPathway) -> String,
    rules: &PublicationRules,
) -> Result<Table, Error> {
    let population: Vec<&TumourPathway> =
        pathways.iter().filter(|p| in_delay_population(p)).collect();
    let mut out = Table::default();
    for dimension in Dimension::ALL {
        let items = population
            .iter()
            .map(|p| (vec![dimension.level(p)], label(p)))
            .collect();
        let block = cross_table(&["level"], column, items, rules)?;
        let mut table = Table::default();
        table.push(
            "dimension",
            Values::Text(vec![
                Some(dimension.label().to_string());
                block.rows()
            ]),
        );
        for (name, values) in block.columns {
            table.push(&name, values);
        }
        out = out.append(table);
    }
    Ok(out)
}

/// Separates the parts of a composite level inside [`cross_table`]; no
/// level contains it.
const LEVEL_SEPARATOR: char = '\u{1f}';

/// Builds a two-way count table: one row per level (one value per column
/// of `level_columns`) and category, with the count and its share of the
/// level, then the rows of the level `total`. Counts follow the
/// publication rules; a share is withheld when its count or the level's
/// total is suppressed. Categories that never occur in a level are left
/// out.
///
/// # Errors
///
/// Only when suppression rejects its input, which would be a bug here.
pub fn cross_table(
    level_columns: &[&str],
    category_column: &str,
    items: Vec<(Vec<String>, String)>,
    rules: &PublicationRules,
) -> Result<Table, Error> {
    let separator = LEVEL_SEPARATOR.to_string();
    let mut categories: Vec<String> =
        items.iter().map(|(_, c)| c.clone()).collect();
    categories.sort();
    categories.dedup();
    let counts = Counts::new(
        "level",
        items
            .into_iter()
            .map(|(level, category)| (level.join(&separator), category)),
        rules,
    )?;
    let mut levels: Vec<Vec<Option<String>>> =
        vec![Vec::new(); level_columns.len()];
    let mut value = Vec::new();
    let mut count_column = Vec::new();
    let mut share = Vec::new();
    let mut few = Vec::new();
    for level in counts.levels() {
        let (total, total_published) = counts.get(&level, TOTAL);
        for name in &categories {
            let (count, published) = counts.get(&level, name);
            if count == 0 {
                continue;
            }
            let parts: Vec<&str> = if level == TOTAL {
                vec![TOTAL; level_columns.len()]
            } else {
                level.split(LEVEL_SEPARATOR).collect()
            };
            for (column, part) in levels.iter_mut().zip(parts) {
                column.push(Some(part.to_string()));
            }
            value.push(Some(name.clone()));
            count_column.push(published.then_some(count as i64));
            share.push(
                (published && total_published && total > 0)
                    .then(|| count as f64 / total as f64),
            );
            few.push(flag(total, rules));
        }
    }
    let mut table = Table::default();
    for (name, values) in level_columns.iter().zip(levels) {
        table.push(name, Values::Text(values));
    }
    table.push(category_column, Values::Text(value));
    table.push("tumours", Values::Integer(count_column));
    table.push("share", Values::Number(share));
    table.push("few_cases", Values::Text(few));
    Ok(table)
}

/// Counts treated tumours by delay in bins of `bin_days` days (a delay
/// before diagnosis counts as 0), with a last open bin from
/// `bins * bin_days` days. Returns each bin's label (`0-6`, …, `84+`)
/// and its count, `None` where the publication rules suppress it.
///
/// # Errors
///
/// Only when suppression rejects its input, which would be a bug here.
pub fn delay_histogram(
    pathways: &[TumourPathway],
    bin_days: i64,
    bins: usize,
    rules: &PublicationRules,
) -> Result<Vec<(String, Option<i64>)>, Error> {
    let label = |bin: usize| {
        let low = bin as i64 * bin_days;
        if bin == bins {
            format!("{low}+")
        } else {
            format!("{low}-{}", low + bin_days - 1)
        }
    };
    let items = pathways
        .iter()
        .filter(|p| p.status.is_treated())
        .filter_map(|p| p.delay_days)
        .map(|d| {
            let bin = ((d.max(0) / bin_days) as usize).min(bins);
            ("treated".to_string(), format!("{bin:04}"))
        });
    let counts = Counts::new("group", items, rules)?;
    Ok((0..=bins)
        .map(|bin| {
            (
                label(bin),
                counts.published("treated", &format!("{bin:04}")),
            )
        })
        .collect())
}

/// Number of first surgeries of each site group in each establishment and
/// calendar year.
pub fn surgical_volumes(
    pathways: &[TumourPathway],
) -> HashMap<(String, String, i32), u64> {
    let mut volumes = HashMap::new();
    for pathway in pathways {
        if let Some(surgery) = &pathway.surgery
            && let Some(establishment) = &surgery.establishment
        {
            *volumes
                .entry((
                    establishment.clone(),
                    pathway.site_group.clone(),
                    surgery.date.year(),
                ))
                .or_default() += 1;
        }
    }
    volumes
}

/// Builds the high-volume table: per dimension and level, operated
/// tumours (a first surgery at a named establishment) and the share
/// operated where the establishment performed at least
/// `threshold` first surgeries of the same site group in that calendar
/// year.
///
/// # Errors
///
/// Only when suppression rejects its input, which would be a bug here.
pub fn high_volume_table(
    pathways: &[TumourPathway],
    threshold: u64,
    rules: &PublicationRules,
) -> Result<Table, Error> {
    let volumes = surgical_volumes(pathways);
    let high = |p: &TumourPathway| {
        let surgery = p.surgery.as_ref()?;
        let establishment = surgery.establishment.as_ref()?;
        let key = (
            establishment.clone(),
            p.site_group.clone(),
            surgery.date.year(),
        );
        Some(volumes.get(&key).copied().unwrap_or(0) >= threshold)
    };
    let operated: Vec<(&TumourPathway, bool)> = pathways
        .iter()
        .filter_map(|p| high(p).map(|h| (p, h)))
        .collect();
    let mut rows = Rows::default();
    let mut few = Vec::new();
    for dimension in Dimension::ALL {
        let counts = Counts::new(
            dimension.label(),
            operated.iter().map(|(p, high)| {
                let category = if *high { "high_volume" } else { "other" };
                (dimension.level(p), category.to_string())
            }),
            rules,
        )?;
        for level in counts.levels() {
            let (total, total_published) = counts.get(&level, TOTAL);
            let (high, high_published) = counts.get(&level, "high_volume");
            rows.start(dimension, &level, counts.status(&level));
            rows.integer("operated", counts.published(&level, TOTAL));
            rows.integer(
                "high_volume",
                counts.published(&level, "high_volume"),
            );
            rows.number(
                "high_volume_share",
                (total_published && high_published && total > 0)
                    .then(|| high as f64 / total as f64),
            );
            few.push(flag(total, rules));
        }
    }
    Ok(rows.finish(few))
}

/// Outcome of one operated tumour at `days` after its first surgery:
/// `None` when follow-up ends before (alive at `closing_date` and
/// operated less than `days` earlier), else whether the person died
/// within `days`.
pub fn died_after_surgery(
    pathway: &TumourPathway,
    days: i64,
    closing_date: NaiveDate,
) -> Option<bool> {
    let surgery = pathway.surgery.as_ref()?.date;
    let horizon = surgery + Duration::days(days);
    match pathway.death {
        Some(death) if death <= horizon && death <= closing_date => Some(true),
        _ if horizon <= closing_date => Some(false),
        _ => None,
    }
}

/// Builds the post-operative mortality table: per dimension and level,
/// for 30 and 90 days, the operated tumours followed that long, the
/// deaths within that time (any cause) and their share.
///
/// # Errors
///
/// Only when suppression rejects its input, which would be a bug here.
pub fn postoperative_table(
    pathways: &[TumourPathway],
    closing_date: NaiveDate,
    rules: &PublicationRules,
) -> Result<Table, Error> {
    let mut rows = Rows::default();
    let mut few = Vec::new();
    for dimension in Dimension::ALL {
        let mut all_counts = Vec::new();
        for days in [30, 90] {
            let items = pathways.iter().filter_map(|p| {
                died_after_surgery(p, days, closing_date).map(|died| {
                    let category = if died { "died" } else { "alive" };
                    (dimension.level(p), category.to_string())
                })
            });
            all_counts.push(Counts::new(dimension.label(), items, rules)?);
        }
        let mut levels = all_counts[0].levels();
        for level in all_counts[1].levels() {
            if !levels.contains(&level) {
                levels.insert(levels.len() - 1, level);
            }
        }
        for level in &levels {
            rows.start(dimension, level, all_counts[0].status(level));
            let mut followed_30 = 0;
            for (counts, (followed, deaths, rate)) in all_counts.iter().zip([
                ("operated_30", "deaths_30", "mortality_30"),
                ("operated_90", "deaths_90", "mortality_90"),
            ]) {
                let (total, total_published) = counts.get(level, TOTAL);
                let (died, died_published) = counts.get(level, "died");
                if followed == "operated_30" {
                    followed_30 = total;
                }
                rows.integer(followed, counts.published(level, TOTAL));
                rows.integer(deaths, counts.published(level, "died"));
                rows.number(
                    rate,
                    (total_published && died_published && total > 0)
                        .then(|| died as f64 / total as f64),
                );
            }
            few.push(flag(followed_30, rules));
        }
    }
    Ok(rows.finish(few))
}

/// Counts tumours by first-treatment modality, for a quick summary.
pub fn first_modality_counts(
    pathways: &[TumourPathway],
) -> Vec<(Modality, usize)> {
    Modality::ALL
        .iter()
        .map(|m| {
            let n = pathways
                .iter()
                .filter(|p| {
                    p.first_treatment.as_ref().is_some_and(|t| t.modality == *m)
                })
                .count();
            (*m, n)
        })
        .collect()
}
