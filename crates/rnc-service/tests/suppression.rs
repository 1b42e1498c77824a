//! No published table of the API lets a suppressed count be recovered by
//! difference.
//!
//! The check is independent of the service's suppression code: it takes
//! the JSON the public endpoints return, writes every published number as
//! a linear function of the finest counts (site group × sex × age band ×
//! year × département, every combination an unknown to a reader, zeros
//! included), and checks for each suppressed count whether its function
//! lies in the span of the published ones (Gaussian elimination). Counts and
//! crude and age-specific rates are counts divided by known person-years;
//! an age-standardised rate and the variance behind its interval are sums
//! of age-band counts weighted by w_a / n_a and w_a² / n_a².
//!
//! The same check on primary suppression alone must find a recoverable
//! count, which shows that the check can fail.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::Request;
use rnc_stats::{AGE_BANDS, StandardPopulation};
use serde_json::Value;
use tower::ServiceExt;

const THRESHOLD: f64 = 11.0;
const TOLERANCE: f64 = 1e-8;

/// The finest counts, as the reader's unknowns.
struct Interior {
    sites: Vec<String>,
    departements: Vec<String>,
    years: Vec<i64>,
    counts: Vec<f64>,
}

const SEXES: [&str; 2] = ["female", "male"];

impl Interior {
    fn index(
        &self,
        site: usize,
        sex: usize,
        band: usize,
        year: usize,
        dep: usize,
    ) -> usize {
        ((((site * 2 + sex) * 18 + band) * self.years.len() + year)
            * self.departements.len())
            + dep
    }

    fn len(&self) -> usize {
        self.sites.len() * 2 * 18 * self.years.len() * self.departements.len()
    }

    /// The function of a cell: `None` in a filter means every level.
    fn cell(
        &self,
        site: Option<&str>,
        sex: Option<&str>,
        band: Option<usize>,
        year: Option<i64>,
        dep: Option<&str>,
        weight_by_band: &dyn Fn(usize, usize) -> f64,
    ) -> Vec<f64> {
        let mut row = vec![0.0; self.len()];
        for (s, name) in self.sites.iter().enumerate() {
            if site.is_some_and(|x| x != name) {
                continue;
            }
            for (x, sex_name) in SEXES.iter().enumerate() {
                if sex.is_some_and(|v| v != *sex_name) {
                    continue;
                }
                for b in 0..18 {
                    if band.is_some_and(|v| v != b) {
                        continue;
                    }
                    for (y, &year_value) in self.years.iter().enumerate() {
                        if year.is_some_and(|v| v != year_value) {
                            continue;
                        }
                        for (d, dep_name) in
                            self.departements.iter().enumerate()
                        {
                            if dep.is_some_and(|v| v != dep_name) {
                                continue;
                            }
                            row[self.index(s, x, b, y, d)] =
                                weight_by_band(x, b);
                        }
                    }
                }
            }
        }
        row
    }

    fn value(&self, function: &[f64]) -> f64 {
        function.iter().zip(&self.counts).map(|(a, b)| a * b).sum()
    }
}

fn interior(state: &rnc_service::AppState) -> Interior {
    let facts = &state.published.facts;
    let years: Vec<i64> = common::YEARS.iter().map(|&y| i64::from(y)).collect();
    let sites: Vec<String> =
        common::SITES.iter().map(|s| s.0.to_owned()).collect();
    let mut departements: Vec<String> = common::DEPARTEMENTS
        .iter()
        .map(|d| (*d).to_owned())
        .collect();
    departements.push("unknown".to_owned());
    let mut table = Interior {
        sites,
        departements,
        years,
        counts: Vec::new(),
    };
    table.counts = vec![0.0; table.len()];
    for t in &facts.tumours {
        if t.behaviour != 3 {
            continue;
        }
        let s = table.sites.iter().position(|x| *x == t.site_group).unwrap();
        let x = SEXES.iter().position(|x| *x == t.sex).unwrap();
        let b = rnc_stats::age_band_index(t.age.unwrap() as u16);
        let y = table
            .years
            .iter()
            .position(|y| *y == t.incidence_year)
            .unwrap();
        let dep = t.departement.clone().unwrap_or_else(|| "unknown".into());
        let d = table.departements.iter().position(|x| *x == dep).unwrap();
        let i = table.index(s, x, b, y, d);
        table.counts[i] += 1.0;
    }
    table
}

/// Person-years by sex (0 female, 1 male, 2 both) and band over the
/// whole period and every département.
fn person_years(state: &rnc_service::AppState) -> [[f64; 18]; 3] {
    let mut py = [[0.0; 18]; 3];
    for p in &state.published.facts.population {
        let x = SEXES.iter().position(|s| *s == p.sex).unwrap();
        let b = AGE_BANDS.iter().position(|a| *a == p.age_band).unwrap();
        py[x][b] += p.population;
        py[2][b] += p.population;
    }
    py
}

fn weights() -> [Vec<f64>; 2] {
    let normalise = |w: Vec<f64>| {
        let sum: f64 = w.iter().sum();
        w.into_iter().map(|v| v / sum).collect::<Vec<_>>()
    };
    [
        normalise(StandardPopulation::WorldSegi1960.weights()),
        normalise(StandardPopulation::Europe2013.weights()),
    ]
}

fn filter<'a>(value: &'a Value, all: &str) -> Option<&'a str> {
    value.as_str().filter(|v| *v != all)
}

/// Published functions and suppressed (secret) functions.
#[derive(Default)]
struct Disclosure {
    published: Vec<Vec<f64>>,
    secret: Vec<(String, Vec<f64>)>,
}

async fn get(app: &axum::Router, uri: &str) -> Value {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{uri}: {}",
        response.status()
    );
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn record(
    d: &mut Disclosure,
    table: &Interior,
    label: String,
    cases: &Value,
    function: Vec<f64>,
) {
    match cases.as_f64() {
        Some(shown) => {
            assert!(
                (table.value(&function) - shown).abs() < 1e-9,
                "{label}: published {shown}, data give {}",
                table.value(&function)
            );
            assert!(
                shown == 0.0 || shown >= THRESHOLD,
                "{label}: small count {shown} published"
            );
            d.published.push(function);
        }
        None => d.secret.push((label, function)),
    }
}

async fn published_functions(
    state: &std::sync::Arc<rnc_service::AppState>,
    table: &Interior,
) -> Disclosure {
    let app = rnc_service::router(state.clone())
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 1))));
    let py = person_years(state);
    let weights = weights();
    let mut d = Disclosure::default();
    let one = |_: usize, _: usize| 1.0;

    let incidence = get(&app, "/api/v1/indicators/incidence").await;
    for row in incidence["rows"].as_array().unwrap() {
        let site = filter(&row["site_group"], "all_sites");
        let sex = filter(&row["sex"], "both");
        let label = format!("incidence {site:?} {sex:?}");
        let function = table.cell(site, sex, None, None, None, &one);
        record(&mut d, table, label.clone(), &row["cases"], function);
        if row["cases"].is_null() {
            for rate in ["crude_rate", "asr_world", "asr_europe2013"] {
                assert!(
                    row[rate].is_null(),
                    "{label}: {rate} shown for a suppressed count"
                );
            }
        }
        let sex_index =
            sex.map_or(2, |s| SEXES.iter().position(|x| *x == s).unwrap());
        for (standard, name) in
            weights.iter().zip(["asr_world", "asr_europe2013"])
        {
            if row[name].is_null() {
                continue;
            }
            let rate = |_: usize, b: usize| {
                if py[sex_index][b] > 0.0 {
                    standard[b] / py[sex_index][b]
                } else {
                    0.0
                }
            };
            let variance = |_: usize, b: usize| {
                if py[sex_index][b] > 0.0 {
                    standard[b] * standard[b]
                        / (py[sex_index][b] * py[sex_index][b])
                } else {
                    0.0
                }
            };
            d.published
                .push(table.cell(site, sex, None, None, None, &rate));
            d.published
                .push(table.cell(site, sex, None, None, None, &variance));
        }
        assert!(
            row.get("age_bands").is_none(),
            "{label}: age bands are not published"
        );
    }

    let trends = get(&app, "/api/v1/indicators/trends").await;
    for row in trends["rows"].as_array().unwrap() {
        let site = filter(&row["site_group"], "all_sites");
        let sex = filter(&row["sex"], "both");
        let year = row["year"].as_i64();
        if row["cases"].is_null() {
            assert!(row["crude_rate"].is_null());
        }
        let function = table.cell(site, sex, None, year, None, &one);
        record(
            &mut d,
            table,
            format!("trend {site:?} {sex:?} {year:?}"),
            &row["cases"],
            function,
        );
    }

    let departements = get(&app, "/api/v1/indicators/departements").await;
    for row in departements["rows"].as_array().unwrap() {
        let dep = filter(&row["departement"], "all");
        let sex = filter(&row["sex"], "both");
        if row["cases"].is_null() {
            assert!(row["crude_rate"].is_null());
        }
        let function = table.cell(None, sex, None, None, dep, &one);
        record(
            &mut d,
            table,
            format!("département {dep:?} {sex:?}"),
            &row["cases"],
            function,
        );
    }
    d
}

/// Reduces `rows` to echelon form and returns the pivot rows with their
/// pivot columns.
fn echelon(mut rows: Vec<Vec<f64>>) -> Vec<(usize, Vec<f64>)> {
    for row in &mut rows {
        let largest = row.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        if largest > 0.0 {
            row.iter_mut().for_each(|v| *v /= largest);
        }
    }
    let columns = rows.first().map_or(0, Vec::len);
    let mut basis: Vec<(usize, Vec<f64>)> = Vec::new();
    let mut remaining = rows;
    for j in 0..columns {
        let Some(p) = (0..remaining.len())
            .filter(|&r| remaining[r][j].abs() > TOLERANCE)
            .max_by(|&a, &b| {
                remaining[a][j].abs().total_cmp(&remaining[b][j].abs())
            })
        else {
            continue;
        };
        let mut pivot = remaining.swap_remove(p);
        let scale = pivot[j];
        pivot.iter_mut().for_each(|v| *v /= scale);
        for row in remaining.iter_mut().chain(basis.iter_mut().map(|(_, r)| r))
        {
            let factor = row[j];
            if factor.abs() > TOLERANCE {
                row.iter_mut()
                    .zip(&pivot)
                    .for_each(|(v, p)| *v -= factor * p);
                row[j] = 0.0;
            }
        }
        basis.push((j, pivot));
    }
    basis
}

/// Returns the labels of the secrets that the published functions
/// determine.
fn recoverable(d: &Disclosure) -> Vec<String> {
    let basis = echelon(d.published.clone());
    let mut found = Vec::new();
    for (label, secret) in &d.secret {
        let mut residual = secret.clone();
        for (j, row) in &basis {
            let factor = residual[*j];
            if factor.abs() > TOLERANCE {
                residual
                    .iter_mut()
                    .zip(row)
                    .for_each(|(v, p)| *v -= factor * p);
            }
        }
        let largest = secret.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        if residual
            .iter()
            .all(|v| v.abs() <= TOLERANCE * largest.max(1.0))
        {
            found.push(label.clone());
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_suppressed_count_recoverable() {
    let dir = tempfile::tempdir().unwrap();
    let state = common::state(dir.path());
    let table = interior(&state);
    let d = published_functions(&state, &table).await;
    assert!(
        d.secret.len() > 10,
        "the fixture should have suppressed counts, found {}",
        d.secret.len()
    );
    assert!(
        d.published.len() > 50,
        "too few published counts: {}",
        d.published.len()
    );
    let found = recoverable(&d);
    assert!(found.is_empty(), "recoverable by difference: {found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primary_suppression_alone_leaks() {
    // Publish every count of the same tables except those from 1 to 10,
    // with their standardised rates: the check must find a count given
    // away, or it could not fail.
    let dir = tempfile::tempdir().unwrap();
    let state = common::state(dir.path());
    let table = interior(&state);
    let full = published_functions(&state, &table).await;
    let mut naive = Disclosure::default();
    for function in full
        .published
        .into_iter()
        .chain(full.secret.into_iter().map(|(_, f)| f))
    {
        let value = table.value(&function);
        let is_count = function.iter().all(|v| *v == 0.0 || *v == 1.0);
        if is_count && value > 0.0 && value < THRESHOLD {
            naive.secret.push((format!("count {value}"), function));
        } else {
            naive.published.push(function);
        }
    }
    assert!(
        !recoverable(&naive).is_empty(),
        "primary suppression alone hid everything, so the check proves nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prevalence_hides_small_counts() {
    let dir = tempfile::tempdir().unwrap();
    let state = common::state(dir.path());
    let app = rnc_service::router(state.clone())
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 1))));
    let answer = get(&app, "/api/v1/indicators/prevalence").await;
    let rows = answer["rows"].as_array().unwrap();
    // Unknowns: persons by site group, sex and duration band.
    let sites: Vec<&str> = common::SITES.iter().map(|s| s.0).collect();
    let bands = ["0-1", "1-5", "5+"];
    let index: HashMap<(usize, usize, usize), usize> = (0..sites.len())
        .flat_map(|s| (0..2).flat_map(move |x| (0..3).map(move |b| (s, x, b))))
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();
    let mut d = Disclosure::default();
    for row in rows {
        let site = filter(&row["site_group"], "all_sites");
        let sex = filter(&row["sex"], "both");
        let band = filter(&row["duration"], "all");
        let mut function = vec![0.0; index.len()];
        for (&(s, x, b), &i) in &index {
            if site.is_none_or(|v| v == sites[s])
                && sex.is_none_or(|v| v == SEXES[x])
                && band.is_none_or(|v| v == bands[b])
            {
                function[i] = 1.0;
            }
        }
        match row["persons"].as_f64() {
            Some(n) => {
                assert!(
                    n == 0.0 || n >= THRESHOLD,
                    "small prevalence count {n} published"
                );
                d.published.push(function);
            }
            None => d
                .secret
                .push((format!("{site:?} {sex:?} {band:?}"), function)),
        }
    }
    assert!(!d.published.is_empty());
    let found = recoverable(&d);
    assert!(found.is_empty(), "recoverable by difference: {found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_are_json_integers() {
    // Counts are whole numbers, so the API writes them as JSON integers
    // (`12`), never as decimals (`12.0`) that a client would have to
    // round. The fixture publishes counts in every table checked here.
    let dir = tempfile::tempdir().unwrap();
    let state = common::state(dir.path());
    let app = rnc_service::router(state.clone())
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 1))));
    for (uri, field) in [
        ("/api/v1/indicators/incidence", "cases"),
        ("/api/v1/indicators/trends", "cases"),
        ("/api/v1/indicators/departements", "cases"),
        ("/api/v1/indicators/prevalence", "persons"),
    ] {
        let answer = get(&app, uri).await;
        let rows = answer["rows"].as_array().unwrap();
        let counts: Vec<&Value> = rows
            .iter()
            .map(|row| &row[field])
            .filter(|value| !value.is_null())
            .collect();
        assert!(!counts.is_empty(), "{uri}: no published {field}");
        for value in counts {
            assert!(value.is_u64(), "{uri}: {field} {value} is not an integer");
        }
    }
}
