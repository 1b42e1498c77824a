//! The per-release check report (every failed IARC/IACR check by
//! tumour) and the registry quality-indicator table of the main report.

use std::collections::BTreeMap;
use std::fmt::Write;

use rnc_stats::{CellStatus, TOTAL, suppress_counts_with_unpublished};

use crate::html;
use crate::{Error, ErrorKind};

/// One failed check of one tumour, as the check report lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFinding {
    /// Pseudonymous tumour id, `{person_id}-T{n}`.
    pub tumour_id: String,
    /// Rule id, e.g. `sex_site`.
    pub rule_id: String,
    /// Severity label: `invalid`, `rare` or `query`.
    pub severity: String,
    /// Message of the check, which names codes and never an identifier.
    pub message: String,
}

/// Quality indicators of one site group and period, as the report shows
/// them. Percentages are 0-100.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndicatorLine {
    /// Site group label.
    pub site_group: String,
    /// One year or a span of years, e.g. `2021` or `2019-2023`.
    pub period: String,
    /// Malignant tumours of the period.
    pub tumours: u64,
    /// Microscopically verified, %.
    pub microscopically_verified_percent: Option<f64>,
    /// Death certificate only, %.
    pub death_certificate_only_percent: Option<f64>,
    /// Mortality-to-incidence ratio.
    pub mortality_incidence_ratio: Option<f64>,
    /// Primary site unknown (C80.9), %.
    pub unknown_primary_percent: Option<f64>,
    /// Unspecified morphology (8000-8005), %.
    pub unspecified_morphology_percent: Option<f64>,
    /// Median days from incidence to registration.
    pub median_registration_delay_days: Option<f64>,
    /// Whether this is the row over every site group of its period (all
    /// sites but C44), which the report treats as the margin of the site
    /// group rows when it suppresses small counts.
    pub all_sites: bool,
}

/// Counts findings by rule and severity, sorted by rule then severity.
pub fn check_totals(findings: &[CheckFinding]) -> Vec<(String, String, u64)> {
    let mut totals: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for finding in findings {
        *totals
            .entry((finding.rule_id.as_str(), finding.severity.as_str()))
            .or_default() += 1;
    }
    totals
        .into_iter()
        .map(|((rule, severity), n)| {
            (rule.to_string(), severity.to_string(), n)
        })
        .collect()
}

/// Writes the check report as CSV: a header `tumour_id,rule_id,severity,
/// message`, one row per finding in the given order, and no totals
/// (compute them with [`check_totals`]).
///
/// # Panics
///
/// Never in practice: the writer writes to memory, which cannot fail.
pub fn check_report_csv(findings: &[CheckFinding]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let rows = std::iter::once(["tumour_id", "rule_id", "severity", "message"])
        .chain(findings.iter().map(|f| {
            [
                f.tumour_id.as_str(),
                f.rule_id.as_str(),
                f.severity.as_str(),
                f.message.as_str(),
            ]
        }));
    for row in rows {
        writer.write_record(row).expect("writing CSV to memory");
    }
    let bytes = writer.into_inner().expect("flushing CSV to memory");
    String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
}

/// Renders a check report as one self-contained HTML page titled
/// `title`: totals by rule and severity, then every finding by tumour.
///
/// The page lists pseudonymous tumour ids and codes only, and no counts
/// are suppressed, because it is meant for the registry's reviewers and
/// not for publication.
pub fn render_check_report(
    title: &str,
    created: &str,
    findings: &[CheckFinding],
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>{}</style>\n</head>\n<body>\n<h1>{title}</h1>\n\
         <p class=\"meta\">Created {} &#183; {} findings. For the registry's \
         reviewers only: not for publication.</p>\n",
        html::STYLE,
        html::escape(created),
        findings.len(),
        title = html::escape(title),
    );

    out.push_str("<h2>Totals by rule</h2>\n");
    let totals = check_totals(findings);
    if totals.is_empty() {
        out.push_str("<p>Every tumour passed every check.</p>\n");
    } else {
        out.push_str("<table>\n<tr><th>Rule</th><th>Severity</th><th>Tumours</th></tr>\n");
        for (rule, severity, n) in &totals {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"number\">{n}</td></tr>",
                html::escape(rule),
                html::escape(severity)
            );
        }
        out.push_str("</table>\n");
    }

    if !findings.is_empty() {
        out.push_str("<h2>Findings</h2>\n<table>\n<tr><th>Tumour</th><th>Rule</th><th>Severity</th><th>Message</th></tr>\n");
        for finding in findings {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                html::escape(&finding.tumour_id),
                html::escape(&finding.rule_id),
                html::escape(&finding.severity),
                html::escape(&finding.message)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body>\n</html>\n");
    tracing::info!(findings = findings.len(), "rendered check report");
    out
}

/// Tells whether a period is a span of years (`2019-2023`), the margin of
/// its single years, rather than one year.
fn is_span(period: &str) -> bool {
    period.contains('-')
}

/// Suppresses the tumour counts of the indicator rows as one cube of site
/// group and year, whose margins are the span rows (over years) and the
/// all-sites rows (over site groups), and returns the status of each row.
///
/// The all-sites row leaves out C44, so it may be below the sum of the
/// site groups. A margin of which no row is given is left unpublished. A margin assumed known where a reader lacks part of it
/// only hides more. A row whose own count is from 1 to threshold - 1 is
/// primary suppressed even if its cube margin differs.
fn indicator_statuses(
    lines: &[IndicatorLine],
    threshold: u64,
) -> Result<Vec<CellStatus>, rnc_stats::Error> {
    let key = |line: &IndicatorLine| {
        let site = if line.all_sites {
            TOTAL.to_owned()
        } else {
            line.site_group.clone()
        };
        let period = if is_span(&line.period) {
            TOTAL.to_owned()
        } else {
            line.period.clone()
        };
        vec![site, period]
    };
    let interior: Vec<(Vec<String>, f64)> = lines
        .iter()
        .map(|line| (key(line), line.tumours as f64))
        .filter(|(key, _)| key.iter().all(|level| level != TOTAL))
        .collect();
    // A margin that no line shows is unknown to a reader, which leaves
    // more counts published.
    let mut unpublished = Vec::new();
    if !lines.iter().any(|line| line.all_sites) {
        unpublished.push("site_group");
    }
    if !lines.iter().any(|line| is_span(&line.period)) {
        unpublished.push("year");
    }
    let table = suppress_counts_with_unpublished(
        &["site_group", "year"],
        &interior,
        threshold,
        &unpublished,
    )?;
    let statuses = lines
        .iter()
        .map(|line| {
            if html::is_small(line.tumours as f64, threshold) {
                return CellStatus::PrimarySuppressed;
            }
            let key = key(line);
            let key: Vec<&str> = key.iter().map(String::as_str).collect();
            table
                .cell(&key)
                .map_or(CellStatus::Published, |cell| cell.status)
        })
        .collect();
    Ok(statuses)
}

/// Tells whether a percentage of `tumours` may be shown: its numerator
/// and the rest of the tumours, which the percentage and the published
/// count give back, must each be 0 or at least `threshold`.
fn percent_shown(percent: f64, tumours: u64, threshold: u64) -> bool {
    let part = (percent / 100.0 * tumours as f64).round();
    let rest = tumours as f64 - part;
    !html::is_small(part, threshold) && !html::is_small(rest, threshold)
}

/// One row of the quality-indicator table as it may be published: every
/// value as text, empty where it is withheld.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedIndicator {
    /// Site group label.
    pub site_group: String,
    /// One year or a span of years.
    pub period: String,
    /// The tumour count, "< threshold" or "suppressed".
    pub tumours: String,
    /// Whether the row's count is hidden, and with it every value.
    pub suppressed: bool,
    /// MV %, DCO %, M:I, C80.9 %, unspecified morphology % and median
    /// delay in days, in [`PUBLISHED_INDICATOR_COLUMNS`] order.
    pub values: [String; 6],
}

/// Names of [`PublishedIndicator::values`], as CSV columns.
pub const PUBLISHED_INDICATOR_COLUMNS: [&str; 6] = [
    "microscopically_verified_percent",
    "death_certificate_only_percent",
    "mortality_incidence_ratio",
    "unknown_primary_percent",
    "unspecified_morphology_percent",
    "median_registration_delay_days",
];

/// Returns the indicator rows as they may be published.
///
/// Tumour counts from 1 to threshold - 1 show as "< threshold", and the
/// counts that would give them back from the span and all-sites rows as
/// "suppressed", as in the incidence table. A percentage or ratio times
/// the published count gives its numerator back. So a percentage is left
/// empty where its numerator or the rest of the row's tumours is from 1
/// to threshold - 1, and the M:I ratio where the deaths are.
///
/// # Errors
///
/// [`ErrorKind::Suppression`] when a site group or period is named
/// `total`, the key reserved for margins.
// NOTE: the percentages are checked row by row. A numerator hidden in a
// year row can still be the difference between the span row's numerator
// and those of the other years; a cube per indicator would close that.
pub fn publish_indicators(
    lines: &[IndicatorLine],
    threshold: u64,
) -> Result<Vec<PublishedIndicator>, Error> {
    let statuses =
        indicator_statuses(lines, threshold).map_err(ErrorKind::Suppression)?;
    let rows = lines
        .iter()
        .zip(statuses)
        .map(|(line, status)| {
            let mut row = PublishedIndicator {
                site_group: line.site_group.clone(),
                period: line.period.clone(),
                tumours: line.tumours.to_string(),
                suppressed: status.is_suppressed(),
                values: Default::default(),
            };
            if row.suppressed {
                row.tumours = if status == CellStatus::PrimarySuppressed {
                    format!("< {threshold}")
                } else {
                    "suppressed".to_owned()
                };
                return row;
            }

            let percent = |value: Option<f64>| {
                value.filter(|&v| percent_shown(v, line.tumours, threshold))
            };
            let ratio = line.mortality_incidence_ratio.filter(|&ratio| {
                let deaths = (ratio * line.tumours as f64).round();
                !html::is_small(deaths, threshold)
            });
            let shown = [
                (percent(line.microscopically_verified_percent), 1),
                (percent(line.death_certificate_only_percent), 1),
                (ratio, 2),
                (percent(line.unknown_primary_percent), 1),
                (percent(line.unspecified_morphology_percent), 1),
                (line.median_registration_delay_days, 0),
            ];
            for (text, (value, decimals)) in row.values.iter_mut().zip(shown) {
                *text = value
                    .map_or_else(String::new, |v| format!("{v:.decimals$}"));
            }
            row
        })
        .collect();
    Ok(rows)
}

/// Writes published indicator rows as CSV: site group, period, tumours
/// and the [`PUBLISHED_INDICATOR_COLUMNS`], then `registration_date_source`.
pub fn published_indicators_csv(
    rows: &[PublishedIndicator],
    registration_date_source: &str,
) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["site_group", "period", "tumours"];
    header.extend(PUBLISHED_INDICATOR_COLUMNS);
    header.push("registration_date_source");
    writer.write_record(header).expect("writing CSV to memory");
    for row in rows {
        let mut record =
            vec![row.site_group.as_str(), &row.period, &row.tumours];
        record.extend(row.values.iter().map(String::as_str));
        record.push(registration_date_source);
        writer.write_record(record).expect("writing CSV to memory");
    }
    let bytes = writer.into_inner().expect("flushing CSV to memory");
    String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
}

/// Writes the quality-indicator table of the main report, with the
/// values of [`publish_indicators`].
///
/// # Errors
///
/// As [`publish_indicators`].
pub(crate) fn write_indicators(
    out: &mut String,
    lines: &[IndicatorLine],
    registration_note: &str,
    threshold: u64,
) -> Result<(), Error> {
    if lines.is_empty() {
        out.push_str("<p>No quality indicators were computed.</p>\n");
        return Ok(());
    }
    let rows = publish_indicators(lines, threshold)?;
    out.push_str(
        "<table>\n<tr><th>Site group</th><th>Period</th><th>Tumours</th>\
         <th>MV %</th><th>DCO %</th><th>M:I</th><th>C80.9 %</th>\
         <th>Unspecified morphology %</th><th>Median delay (days)</th></tr>\n",
    );
    for row in &rows {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td>",
            html::escape(&row.site_group),
            html::escape(&row.period)
        );
        if row.suppressed {
            let _ = writeln!(
                out,
                "<td class=\"suppressed\" colspan=\"7\">{}</td></tr>",
                html::escape(&row.tumours)
            );
            continue;
        }
        let _ = write!(out, "<td class=\"number\">{}</td>", row.tumours);
        for text in &row.values {
            let _ = write!(out, "<td class=\"number\">{text}</td>");
        }
        out.push_str("</tr>\n");
    }
    let _ = writeln!(
        out,
        "</table>\n<p>MV: microscopically verified (basis of diagnosis 5-8). \
         DCO: death certificate only. M:I: cancer deaths over tumours. \
         Unspecified morphology: ICD-O-3 8000-8005. {}</p>",
        html::escape(registration_note)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(tumour: &str, rule: &str, severity: &str) -> CheckFinding {
        CheckFinding {
            tumour_id: tumour.to_string(),
            rule_id: rule.to_string(),
            severity: severity.to_string(),
            message: format!(
                "tumour {tumour}: {rule}: site C61.9, \"male\" <sex>"
            ),
        }
    }

    #[test]
    fn totals_by_rule_and_severity() {
        let findings = [
            finding("P1-T1", "sex_site", "invalid"),
            finding("P2-T1", "sex_site", "invalid"),
            finding("P2-T1", "age_site", "rare"),
        ];
        let totals = check_totals(&findings);
        assert_eq!(
            totals,
            vec![
                ("age_site".to_string(), "rare".to_string(), 1),
                ("sex_site".to_string(), "invalid".to_string(), 2),
            ]
        );
    }

    #[test]
    fn csv_quotes_messages() {
        let csv = check_report_csv(&[finding("P1-T1", "sex_site", "invalid")]);
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("tumour_id,rule_id,severity,message"));
        assert_eq!(
            lines.next(),
            Some(
                "P1-T1,sex_site,invalid,\"tumour P1-T1: sex_site: site C61.9, \"\"male\"\" <sex>\""
            )
        );
        assert_eq!(lines.next(), None);
    }

    #[test]
    fn html_escapes_and_totals() {
        let html = render_check_report(
            "Checks <r1>",
            "2026-01-01",
            &[finding("P1-T1", "sex_site", "invalid")],
        );
        assert!(html.contains(
            "<td>sex_site</td><td>invalid</td><td class=\"number\">1</td>"
        ));
        assert!(html.contains("&lt;sex&gt;"));
        assert!(html.contains("<h1>Checks &lt;r1&gt;</h1>"));
        assert!(!html.contains("<sex>"));
        let empty = render_check_report("Checks", "2026-01-01", &[]);
        assert!(empty.contains("Every tumour passed every check."));
    }

    #[test]
    fn small_indicator_rows_suppressed() {
        let lines = [
            IndicatorLine {
                site_group: "Breast".into(),
                period: "2021".into(),
                tumours: 120,
                microscopically_verified_percent: Some(90.0),
                mortality_incidence_ratio: Some(0.25),
                ..IndicatorLine::default()
            },
            IndicatorLine {
                site_group: "Eye".into(),
                period: "2021".into(),
                tumours: 3,
                microscopically_verified_percent: Some(100.0),
                ..IndicatorLine::default()
            },
        ];
        let mut out = String::new();
        write_indicators(
            &mut out,
            &lines,
            "Registration dates: report dates.",
            11,
        )
        .unwrap();
        assert!(out.contains(
            "<td class=\"number\">120</td><td class=\"number\">90.0</td>"
        ));
        assert!(out.contains("<td class=\"number\">0.25</td>"));
        assert!(out.contains("colspan=\"7\">&lt; 11</td>"));
        assert!(!out.contains("100.0"));
        assert!(out.contains("Registration dates: report dates."));
    }

    /// Returns the cells of the table row of `site` in `period`.
    fn row_cells(html: &str, site: &str, period: &str) -> String {
        let start = format!("<tr><td>{site}</td><td>{period}</td>");
        let from = html.find(&start).expect("row present");
        let to = from + html[from..].find("</tr>").expect("row ends");
        html[from + start.len()..to].to_owned()
    }

    /// 40 lung tumours of 2021 with every indicator.
    fn lung_2021() -> IndicatorLine {
        IndicatorLine {
            site_group: "Lung".into(),
            period: "2021".into(),
            tumours: 40,
            microscopically_verified_percent: Some(90.0),
            death_certificate_only_percent: Some(10.0),
            mortality_incidence_ratio: Some(0.075),
            unknown_primary_percent: Some(0.0),
            unspecified_morphology_percent: Some(50.0),
            median_registration_delay_days: Some(12.0),
            all_sites: false,
        }
    }

    #[test]
    fn published_csv_withholds_small_values() {
        // The row of indicator_percent_hides_small_parts, and a row of 4
        // tumours, below 11, which hides the row's values too.
        let lung = lung_2021();
        let bone = IndicatorLine {
            site_group: "Bone, cartilage".into(),
            tumours: 4,
            ..lung.clone()
        };

        let rows = publish_indicators(&[lung, bone], 11).unwrap();
        let csv = published_indicators_csv(&rows, "stated");

        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "site_group,period,tumours,microscopically_verified_percent,\
             death_certificate_only_percent,mortality_incidence_ratio,\
             unknown_primary_percent,unspecified_morphology_percent,\
             median_registration_delay_days,registration_date_source"
        );
        assert_eq!(lines[1], "Lung,2021,40,,,,0.0,50.0,12,stated");
        assert_eq!(lines[2], "\"Bone, cartilage\",2021,< 11,,,,,,,stated");
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn indicator_percent_hides_small_parts() {
        // 40 tumours, 36 microscopically verified (90 %), 4 DCO (10 %)
        // and 3 cancer deaths (M:I 0.075). 90 % x 40 gives the 4 tumours
        // not verified, 10 % x 40 the 4 DCO and 0.075 x 40 the 3 deaths,
        // so those three values are withheld. C80.9 0 % and
        // unspecified morphology 50 % (20 and 20) show.
        let lines = [lung_2021()];
        let mut out = String::new();
        write_indicators(&mut out, &lines, "", 11).unwrap();
        let number = |text: &str| format!("<td class=\"number\">{text}</td>");
        let expected = [
            number("40"),
            number(""),
            number(""),
            number(""),
            number("0.0"),
            number("50.0"),
            number("12"),
        ]
        .concat();
        assert_eq!(row_cells(&out, "Lung", "2021"), expected);
    }

    #[test]
    fn indicator_totals_protect_small_rows() {
        // Eye: 3 tumours in 2021 and 20 in 2022, 23 over 2021-2022. The 3
        // is primary suppressed; without a complement 23 - 20 gives it
        // back, so the smallest count of its relations (20 in 2022, or
        // 23) is hidden as well. Lung has 30 and 40, and all sites 33
        // and 60 (93 over both years).
        let line =
            |site: &str, period: &str, tumours: u64, all: bool| IndicatorLine {
                site_group: site.into(),
                period: period.into(),
                tumours,
                all_sites: all,
                ..IndicatorLine::default()
            };
        let lines = [
            line("Eye", "2021", 3, false),
            line("Eye", "2022", 20, false),
            line("Eye", "2021-2022", 23, false),
            line("Lung", "2021", 30, false),
            line("Lung", "2022", 40, false),
            line("Lung", "2021-2022", 70, false),
            line("All sites", "2021", 33, true),
            line("All sites", "2022", 60, true),
            line("All sites", "2021-2022", 93, true),
        ];
        let mut out = String::new();
        write_indicators(&mut out, &lines, "", 11).unwrap();
        assert!(row_cells(&out, "Eye", "2021").contains("&lt; 11"));
        let hidden = ["2022", "2021-2022"]
            .iter()
            .filter(|period| {
                row_cells(&out, "Eye", period).contains("suppressed")
            })
            .count();
        assert!(hidden >= 1, "{out}");
        // The all-sites row of 2021 minus lung 2021 also gives the 3.
        let all_2021 = row_cells(&out, "All sites", "2021");
        let lung_2021 = row_cells(&out, "Lung", "2021");
        assert!(
            all_2021.contains("suppressed") || lung_2021.contains("suppressed"),
            "{out}"
        );
    }
}
