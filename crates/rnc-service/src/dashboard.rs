//! The public dashboard: one HTML page with inline CSS and inline SVG,
//! drawn from the published (suppressed) tables only. It loads nothing
//! from another site and runs no script, so it works offline and behind a
//! strict content security policy.

use std::fmt::Write as _;

use rnc_report::{SurvivalSeries, TrendSeries, survival_svg, trend_svg};
use rnc_stats::{ALL_SITES, JoinpointOptions, joinpoint_regression};

use crate::Error;
use crate::indicators::{ALL_DEPARTEMENTS, BOTH_SEXES};
use crate::state::Published;

const STYLE: &str = "body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}\
figure{margin:1.5em 0;border:1px solid #ddd;padding:.5em}\
figcaption{font-size:.9em;color:#555}.meta{color:#555}svg{max-width:100%;height:auto}";

/// Survival curves drawn at most, all sites first.
const MAX_CURVES: usize = 6;

/// Site groups with their own trend line, by decreasing cases.
const TREND_SITES: usize = 3;

/// Renders the dashboard page.
///
/// # Errors
///
/// [`Error::Invalid`] when a plot cannot be drawn.
pub fn render(published: &Published) -> Result<String, Error> {
    let release = &published.facts.release;
    let (first, last) = published.incidence.period;
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Cancer registry indicators</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Cancer registry indicators</h1>\n\
         <p class=\"meta\">Release {} &#183; incidence {first}-{last} &#183; counts from 1 to {} are \
         suppressed, with the counts that would give them back by difference. \
         The same figures are served as JSON under <a href=\"/api/v1/indicators\">/api/v1/indicators</a>.</p>\n",
        escape(&release.release_id),
        published.threshold.saturating_sub(1),
    );
    incidence_figure(&mut page, published);
    trend_figure(&mut page, published)?;
    survival_figure(&mut page, published)?;
    departement_figure(&mut page, published);
    page.push_str("</body>\n</html>\n");
    Ok(page)
}

fn label(code: &str) -> String {
    if code == ALL_SITES {
        return "All sites".to_owned();
    }
    rnc_codes::site_groups()
        .iter()
        .find(|g| g.code == code)
        .map_or_else(|| code.to_owned(), |g| g.label.to_owned())
}

fn figure(page: &mut String, name: &str, svg: &str, caption: &str) {
    let _ = writeln!(
        page,
        "<figure class=\"plot\" data-plot=\"{name}\">\n{svg}<figcaption>{}</figcaption>\n</figure>",
        escape(caption)
    );
}

fn incidence_figure(page: &mut String, published: &Published) {
    page.push_str("<h2>Incidence by site and sex</h2>\n");
    let mut bars = Vec::new();
    for row in &published.incidence.incidence {
        if row.site_group == ALL_SITES || row.sex == BOTH_SEXES {
            continue;
        }
        if let Some(rate) = row.asr_world {
            bars.push((
                format!("{}, {}", label(&row.site_group), row.sex),
                rate.value,
            ));
        }
    }
    bars.sort_by(|a, b| b.1.total_cmp(&a.1));
    figure(
        page,
        "incidence",
        &bar_chart_svg(&bars, "per 100 000 (world standard)"),
        "Age-standardised incidence (Segi 1960 world population) by site group and sex; rows with a suppressed count are not shown.",
    );
}

fn trend_figure(page: &mut String, published: &Published) -> Result<(), Error> {
    page.push_str("<h2>Trends</h2>\n");
    let rows = &published.incidence.trends;
    let mut sites: Vec<(String, f64)> = published
        .incidence
        .incidence
        .iter()
        .filter(|r| r.sex == BOTH_SEXES && r.site_group != ALL_SITES)
        .filter_map(|r| r.cases.map(|c| (r.site_group.clone(), c as f64)))
        .collect();
    sites.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut shown_sites = vec![ALL_SITES.to_owned()];
    shown_sites.extend(sites.into_iter().take(TREND_SITES).map(|(s, _)| s));
    let mut series = Vec::new();
    for site in &shown_sites {
        let points: Vec<_> = rows
            .iter()
            .filter(|r| r.site_group == *site && r.sex == BOTH_SEXES)
            .collect();
        // A fit only on fully published years, so that the line reveals
        // nothing about a hidden count.
        let rates: Option<Vec<f64>> = points
            .iter()
            .map(|r| r.crude_rate.map(|c| c.value).filter(|v| *v > 0.0))
            .collect();
        let Some(rates) = rates else { continue };
        let years: Vec<f64> = points.iter().map(|r| r.year as f64).collect();
        let options = JoinpointOptions {
            max_joinpoints: 0,
            ..JoinpointOptions::default()
        };
        let Ok(fit) = joinpoint_regression(&years, &rates, &options) else {
            continue;
        };
        series.push(TrendSeries {
            label: label(site),
            cases: points
                .iter()
                .map(|r| r.cases.map_or(0.0, |c| c as f64))
                .collect(),
            years,
            rates,
            fit,
        });
    }
    if series.is_empty() {
        page.push_str("<p>No series has every year published.</p>\n");
        return Ok(());
    }
    let svg = trend_svg(
        &series,
        "Crude incidence by year, both sexes",
        published.threshold,
    )
    .map_err(|e| Error::Invalid(e.to_string()))?;
    figure(
        page,
        "trends",
        &svg,
        "Crude incidence per 100 000 by year of incidence, with the log-linear trend (EAPC).",
    );
    Ok(())
}

fn survival_figure(
    page: &mut String,
    published: &Published,
) -> Result<(), Error> {
    page.push_str("<h2>Survival</h2>\n");
    let series: Vec<SurvivalSeries> = published
        .cohorts
        .curves
        .iter()
        .filter(|(site, _)| site == ALL_SITES)
        .chain(
            published
                .cohorts
                .curves
                .iter()
                .filter(|(site, _)| site != ALL_SITES),
        )
        .take(MAX_CURVES)
        .map(|(site, curve)| SurvivalSeries {
            label: label(site),
            curve: curve.clone(),
        })
        .collect();
    if series.is_empty() {
        page.push_str("<p>No cohort is large enough to publish.</p>\n");
        return Ok(());
    }
    let svg = survival_svg(&series, "Observed survival (Kaplan-Meier)")
        .map_err(|e| Error::Invalid(e.to_string()))?;
    figure(
        page,
        "survival",
        &svg,
        "Observed survival by site group, both sexes, with 95 % log-log limits.",
    );
    Ok(())
}

fn departement_figure(page: &mut String, published: &Published) {
    page.push_str("<h2>By département</h2>\n");
    let mut bars: Vec<(String, f64)> = published
        .incidence
        .departements
        .iter()
        .filter(|r| r.sex == BOTH_SEXES && r.departement != ALL_DEPARTEMENTS)
        .filter_map(|r| r.crude_rate.map(|c| (r.departement.clone(), c.value)))
        .collect();
    bars.sort_by(|a, b| b.1.total_cmp(&a.1));
    figure(
        page,
        "departements",
        &bar_chart_svg(&bars, "per 100 000 (crude)"),
        "Crude incidence of all sites by département of residence, both sexes; départements with a suppressed count are not shown.",
    );
}

/// Draws horizontal bars with their values. Written by hand because a
/// bar chart is only rectangles and text, and the workspace builds
/// plotters without its histogram series.
fn bar_chart_svg(bars: &[(String, f64)], unit: &str) -> String {
    let row = 18.0;
    let left = 230.0;
    let width = 760.0;
    let plot = width - left - 70.0;
    let height = row * bars.len().max(1) as f64 + 40.0;
    let largest = bars
        .iter()
        .map(|b| b.1)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\">\n"
    );
    if bars.is_empty() {
        let _ = writeln!(
            svg,
            "<text x=\"10\" y=\"24\" font-size=\"13\">No published value.</text>"
        );
    }
    for (i, (name, value)) in bars.iter().enumerate() {
        let y = 10.0 + row * i as f64;
        let length = plot * value / largest;
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text>\
             <rect x=\"{left}\" y=\"{y}\" width=\"{length:.1}\" height=\"{}\" fill=\"#3b6ea5\"/>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{value:.1}</text>",
            left - 6.0,
            y + 12.0,
            escape(name),
            row - 4.0,
            left + length + 4.0,
            y + 12.0,
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{left}\" y=\"{}\" font-size=\"12\" fill=\"#555\">{}</text>\n</svg>",
        height - 8.0,
        escape(unit)
    );
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
