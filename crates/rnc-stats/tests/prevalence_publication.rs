//! Published prevalence attacked by linear algebra. Every count shown is
//! a sum of interval counts (time since diagnosis): complete prevalence
//! sums them all, partial prevalence over N years those under N years.
//! A hidden interval count can be recovered exactly when its unit vector
//! lies in the span of the sums shown, which Gaussian elimination tests.
//!
//! Threshold 11 is the French registries' rule: counts from 1 to 10 are
//! hidden.

use chrono::NaiveDate;
use rnc_stats::{
    ALL_SITES, Prevalence, PrevalenceRow, published_prevalence_csv,
};

const THRESHOLD: u64 = 11;
const DURATIONS: [u32; 3] = [1, 3, 5];

/// Builds a row from its interval counts (under 1 year, 1-3, 3-5, over 5).
fn row(site: &str, sex: &str, intervals: [u64; 4]) -> PrevalenceRow {
    let mut partial = Vec::new();
    let mut cumulative = 0;
    for (years, count) in DURATIONS.iter().zip(intervals) {
        cumulative += count;
        partial.push((*years, cumulative));
    }
    PrevalenceRow {
        site_group: site.to_owned(),
        sex: sex.to_owned(),
        prevalence: Prevalence {
            index_date: NaiveDate::from_ymd_opt(2024, 12, 31).unwrap(),
            complete: intervals.iter().sum(),
            partial,
            lost_to_follow_up: 0,
            dead: 0,
            diagnosed_after: 0,
        },
    }
}

/// Three site groups by two sexes. The small intervals sit where a naive
/// table would give them away: 1-3 years of colon in men is 2, which is
/// partial 3 years minus partial 1 year (both large).
fn rows() -> Vec<PrevalenceRow> {
    vec![
        row("colon", "male", [40, 2, 35, 120]),
        row("colon", "female", [38, 25, 30, 110]),
        row("lung", "male", [55, 31, 4, 60]),
        row("lung", "female", [22, 19, 18, 7]),
        row("melanoma", "male", [3, 14, 12, 50]),
        row("melanoma", "female", [16, 17, 15, 48]),
        row(ALL_SITES, "male", [96, 45, 50, 225]),
        row(ALL_SITES, "female", [75, 60, 62, 160]),
    ]
}

/// Reads the published CSV back: for each row, the shown values of
/// `complete` and each `partial_N_years`, `None` where hidden.
fn published_values(csv: &str) -> Vec<Vec<Option<u64>>> {
    csv.lines()
        .skip(1)
        .map(|line| {
            line.split(',')
                .skip(4)
                .map(|field| field.parse().ok())
                .collect()
        })
        .collect()
}

/// Returns the linear forms a reader can form, over one unknown per interval count
/// (row-major: row, then interval). `shown[r][0]` is complete prevalence
/// (every interval), `shown[r][k]` partial prevalence over the k shortest
/// intervals.
fn known_forms(shown: &[Vec<Option<u64>>]) -> Vec<Vec<f64>> {
    let intervals = DURATIONS.len() + 1;
    let width = shown.len() * intervals;
    let mut forms = Vec::new();
    for (r, values) in shown.iter().enumerate() {
        for (column, value) in values.iter().enumerate() {
            if value.is_none() {
                continue;
            }
            let covered = if column == 0 { intervals } else { column };
            let mut form = vec![0.0; width];
            for interval in 0..covered {
                form[r * intervals + interval] = 1.0;
            }
            forms.push(form);
        }
    }
    forms
}

/// Computes the rank of a set of vectors by Gaussian elimination with
/// partial pivots. It is written here rather than taken from rnc-stats, so
/// that the attack shares no code with the suppression it tests.
fn rank(mut rows: Vec<Vec<f64>>) -> usize {
    let width = rows.first().map_or(0, Vec::len);
    let mut rank = 0;
    for column in 0..width {
        let Some(pivot) = (rank..rows.len())
            .max_by(|&a, &b| {
                rows[a][column].abs().total_cmp(&rows[b][column].abs())
            })
            .filter(|&p| rows[p][column].abs() > 1e-9)
        else {
            continue;
        };
        rows.swap(rank, pivot);
        let pivot_row = rows[rank].clone();
        for (index, row) in rows.iter_mut().enumerate() {
            let factor = row[column] / pivot_row[column];
            if index == rank || factor == 0.0 {
                continue;
            }
            for (value, pivot_value) in row.iter_mut().zip(&pivot_row) {
                *value -= factor * pivot_value;
            }
        }
        rank += 1;
    }
    rank
}

/// Lists the small interval counts (1 to threshold - 1) that the forms
/// determine.
fn recoverable_small_cells(
    forms: &[Vec<f64>],
    rows: &[PrevalenceRow],
) -> Vec<String> {
    let intervals = DURATIONS.len() + 1;
    let base = rank(forms.to_vec());
    let mut leaks = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let mut below = 0;
        for interval in 0..intervals {
            let cumulative = row
                .prevalence
                .partial
                .get(interval)
                .map_or(row.prevalence.complete, |(_, count)| *count);
            let count = cumulative - below;
            below = cumulative;
            if count == 0 || count >= THRESHOLD {
                continue;
            }
            let mut unit = vec![0.0; rows.len() * intervals];
            unit[r * intervals + interval] = 1.0;
            let mut extended = forms.to_vec();
            extended.push(unit);
            if rank(extended) == base {
                leaks.push(format!(
                    "{} {} interval {interval}",
                    row.site_group, row.sex
                ));
            }
        }
    }
    leaks
}

#[test]
fn no_small_interval_count_can_be_recovered() {
    let rows = rows();
    let csv = published_prevalence_csv(&rows, THRESHOLD).unwrap();
    let shown = published_values(&csv);
    let leaks = recoverable_small_cells(&known_forms(&shown), &rows);
    assert!(leaks.is_empty(), "recoverable: {leaks:?}\n{csv}");
}

#[test]
fn naive_publication_gives_small_counts_away() {
    // The same rows with every count shown: the attack must find the
    // small intervals, or the test above proves nothing.
    let rows = rows();
    let everything: Vec<Vec<Option<u64>>> = rows
        .iter()
        .map(|row| {
            std::iter::once(Some(row.prevalence.complete))
                .chain(row.prevalence.partial.iter().map(|(_, c)| Some(*c)))
                .collect()
        })
        .collect();
    let leaks = recoverable_small_cells(&known_forms(&everything), &rows);
    assert!(
        leaks.contains(&"colon male interval 1".to_owned()),
        "{leaks:?}"
    );
    assert!(leaks.len() >= 4, "{leaks:?}");
}

#[test]
fn shown_counts_are_the_true_counts() {
    let rows = rows();
    let csv = published_prevalence_csv(&rows, THRESHOLD).unwrap();
    let shown = published_values(&csv);
    let mut visible = 0;
    for (row, values) in rows.iter().zip(&shown) {
        let truth: Vec<u64> = std::iter::once(row.prevalence.complete)
            .chain(row.prevalence.partial.iter().map(|(_, c)| *c))
            .collect();
        for (value, expected) in values.iter().zip(truth) {
            if let Some(value) = value {
                assert_eq!(*value, expected);
                visible += 1;
            }
        }
    }
    assert!(visible >= 16, "only {visible} counts shown:\n{csv}");
}

#[test]
fn unsorted_durations_are_rejected() {
    let mut bad = row("colon", "male", [40, 20, 35, 120]);
    bad.prevalence.partial.reverse();
    assert!(published_prevalence_csv(&[bad], THRESHOLD).is_err());
}
