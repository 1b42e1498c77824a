//! Self-contained HTML report of a registry release.
//!
//! [`render_report`] turns a [`ReportData`] (release summary, the incidence
//! table of `rnc_stats`, quality-check and linkage summaries) into one HTML
//! page with inline CSS and inline SVG plots drawn by
//! [`age_specific_svg`]. The page loads nothing from the network and runs
//! no script, so it can be archived and opened offline. Counts from 1 to
//! [`ReportData::small_cell_threshold`] - 1 never appear in it.
//!
//! # Example
//!
//! ```
//! use rnc_report::{ReportData, render_report};
//!
//! let data = ReportData {
//!     title: "Cancer incidence 2021".to_owned(),
//!     release_id: "r2021-1".to_owned(),
//!     created: "2024-03-01".to_owned(),
//!     ..ReportData::default()
//! };
//! let html = render_report(&data).unwrap();
//! assert!(html.contains("<h1>Cancer incidence 2021</h1>"));
//! ```

#![deny(missing_docs)]

mod curves;
mod error;
mod html;
mod pathway;
mod plot;
mod quality;

use std::fmt::Write;

use rnc_stats::{ALL_SITES, IncidenceRow};

use rnc_stats::IncidenceSuppression;

pub use curves::{SurvivalSeries, TrendSeries, survival_svg, trend_svg};
pub use error::{Error, ErrorKind};
pub use pathway::{BarChart, BarSeries, PathwaySection, bar_chart_svg};
pub use plot::age_specific_svg;
pub use quality::{
    CheckFinding, IndicatorLine, PUBLISHED_INDICATOR_COLUMNS,
    PublishedIndicator, check_report_csv, check_totals, publish_indicators,
    published_indicators_csv, render_check_report,
};

/// Small-cell threshold of French registry publications: counts below 11
/// are not shown.
pub const DEFAULT_SMALL_CELL_THRESHOLD: u64 = 11;

/// Number of site groups, by decreasing number of cases, that get their
/// own age-specific plot.
const MAJOR_SITE_GROUPS: usize = 5;

/// Everything the release report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportData {
    /// Title of the page.
    pub title: String,
    /// Identifier of the release the report describes.
    pub release_id: String,
    /// Creation time as text, given by the caller so that the report is
    /// reproducible.
    pub created: String,
    /// Summary lines (label, value) such as records, persons, tumours and
    /// quarantined records, shown as given.
    pub summary: Vec<(String, String)>,
    /// Incidence rows from `rnc_stats::incidence_table`, shown in this
    /// order.
    pub incidence: Vec<IncidenceRow>,
    /// Description of the population at risk, such as "INSEE population
    /// estimates 2021".
    pub population_label: String,
    /// Quality-check results: rule id, severity and number of tumours
    /// flagged.
    pub quality: Vec<(String, String, u64)>,
    /// Linkage summary lines (label, value), shown as given.
    pub linkage: Vec<(String, String)>,
    /// Registry quality indicators by site group and period, shown in
    /// this order.
    pub indicators: Vec<IndicatorLine>,
    /// Where the registration dates of the median delay come from, shown
    /// under the indicator table.
    pub registration_date_note: String,
    /// Counts from 1 to this value - 1 are shown as "< threshold" and their
    /// rates suppressed, with secondary suppression of the counts that
    /// would give them back; 0 or 1 suppresses nothing.
    pub small_cell_threshold: u64,
    /// Rates on fewer cases than this are marked as unreliable.
    pub unreliable_rate_cases: u64,
    /// Survival curves, drawn in the survival section. A curve of fewer
    /// patients than the small-cell threshold is left out.
    pub survival: Vec<SurvivalSeries>,
    /// Incidence trends, drawn in the trends section.
    pub trends: Vec<TrendSeries>,
    /// Care pathways and screening, drawn in their section when given.
    pub pathway: Option<PathwaySection>,
}

impl Default for ReportData {
    fn default() -> ReportData {
        ReportData {
            title: String::new(),
            release_id: String::new(),
            created: String::new(),
            summary: Vec::new(),
            incidence: Vec::new(),
            population_label: String::new(),
            quality: Vec::new(),
            linkage: Vec::new(),
            indicators: Vec::new(),
            registration_date_note: String::new(),
            small_cell_threshold: DEFAULT_SMALL_CELL_THRESHOLD,
            unreliable_rate_cases: rnc_stats::DEFAULT_UNRELIABLE_RATE_CASES,
            survival: Vec::new(),
            trends: Vec::new(),
            pathway: None,
        }
    }
}

/// Renders the report as one self-contained HTML page.
///
/// The page contains the title, the summary, the incidence table, age-specific
/// plots (all sites by sex, then each of the five site groups with the most
/// cases), survival and trends, the care-pathway and screening section
/// ([`PathwaySection`]), the quality-check and linkage summaries and a
/// methods note.
/// Every string from `data` is HTML-escaped. Rows with 1 to threshold - 1
/// cases show "< threshold" in place of the count and no rates, and are
/// left out of the plots.
///
/// # Errors
///
/// The errors of [`age_specific_svg`].
pub fn render_report(data: &ReportData) -> Result<String, Error> {
    let title = html::escape(&data.title);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>{}</style>\n</head>\n<body>\n<h1>{title}</h1>\n\
         <p class=\"meta\">Release {} &#183; created {}</p>\n",
        html::STYLE,
        html::escape(&data.release_id),
        html::escape(&data.created),
    );

    out.push_str("<h2>Summary</h2>\n");
    html::write_pairs(&mut out, &data.summary, "No summary was given.");

    let suppression =
        IncidenceSuppression::new(&data.incidence, data.small_cell_threshold)
            .map_err(ErrorKind::Suppression)?;
    out.push_str("<h2>Incidence</h2>\n");
    html::write_incidence(&mut out, data, &suppression);

    out.push_str("<h2>Age-specific incidence</h2>\n");
    write_plots(&mut out, data, &suppression)?;

    out.push_str("<h2>Survival</h2>\n");
    curves::write_survival_section(&mut out, data)?;

    out.push_str("<h2>Trends</h2>\n");
    curves::write_trend_section(&mut out, data)?;

    out.push_str("<h2>Care pathways and screening</h2>\n");
    pathway::write_section(&mut out, data.pathway.as_ref())?;

    out.push_str("<h2>Quality checks</h2>\n");
    html::write_quality(&mut out, data);

    out.push_str("<h2>Quality indicators</h2>\n");
    quality::write_indicators(
        &mut out,
        &data.indicators,
        &data.registration_date_note,
        data.small_cell_threshold,
    )?;

    out.push_str("<h2>Record linkage</h2>\n");
    html::write_pairs(&mut out, &data.linkage, "No linkage summary was given.");

    out.push_str("<h2>Methods</h2>\n");
    html::write_methods(
        &mut out,
        data.small_cell_threshold,
        suppression.suppressed_counts(),
    );
    out.push_str("</body>\n</html>\n");

    tracing::info!(
        bytes = out.len(),
        rows = data.incidence.len(),
        "rendered release report"
    );
    Ok(out)
}

/// Writes one figure for all sites by sex and one per major site group.
fn write_plots(
    out: &mut String,
    data: &ReportData,
    suppression: &IncidenceSuppression,
) -> Result<(), Error> {
    // A band whose count is suppressed is left out of the curve, because
    // its rate times the population would give the count back.
    let masked: Vec<IncidenceRow> = data
        .incidence
        .iter()
        .filter(|row| suppression.row_status(row).is_published())
        .map(|row| {
            let mut row = row.clone();
            for band in 0..row.age_specific.len() {
                if !suppression.band_published(&row, band) {
                    row.age_specific[band] = None;
                }
            }
            row
        })
        .collect();
    let shown: Vec<&IncidenceRow> = masked.iter().collect();

    let mut figures = 0;
    let all_sites: Vec<&IncidenceRow> = shown
        .iter()
        .copied()
        .filter(|row| row.site_group == ALL_SITES)
        .collect();
    if !all_sites.is_empty() {
        write_figure(out, &all_sites, "All sites, by sex")?;
        figures += 1;
    }
    for site_group in major_site_groups(&shown) {
        let rows: Vec<&IncidenceRow> = shown
            .iter()
            .copied()
            .filter(|row| row.site_group == site_group)
            .collect();
        write_figure(out, &rows, &format!("{site_group}, by sex"))?;
        figures += 1;
    }
    if figures == 0 {
        out.push_str("<p>No incidence row is large enough to plot.</p>\n");
    }
    Ok(())
}

fn write_figure(
    out: &mut String,
    rows: &[&IncidenceRow],
    title: &str,
) -> Result<(), Error> {
    let svg = age_specific_svg(rows, title)?;
    let _ = writeln!(
        out,
        "<figure>\n{svg}<figcaption>{}: age-specific rates per 100&#160;000 \
         person-years (log scale).</figcaption>\n</figure>",
        html::escape(title)
    );
    Ok(())
}

/// Returns the site groups other than all sites with the most cases over
/// both sexes, largest first, at most [`MAJOR_SITE_GROUPS`].
fn major_site_groups(rows: &[&IncidenceRow]) -> Vec<String> {
    let mut totals: Vec<(String, f64)> = Vec::new();
    for row in rows.iter().filter(|row| row.site_group != ALL_SITES) {
        match totals.iter_mut().find(|(site, _)| *site == row.site_group) {
            Some((_, total)) => *total += row.cases,
            None => totals.push((row.site_group.clone(), row.cases)),
        }
    }
    totals.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    totals
        .into_iter()
        .take(MAJOR_SITE_GROUPS)
        .map(|(site, _)| site)
        .collect()
}
