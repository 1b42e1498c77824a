//! The per-release check report (every failed IARC/IACR check by
//! tumour) and the registry quality-indicator table of the main report.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::html;

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

/// Writes the quality-indicator table of the main report. Rows with 1 to
/// threshold - 1 tumours show the count as "< threshold" and no
/// percentages, as the incidence table does.
pub(crate) fn write_indicators(
    out: &mut String,
    lines: &[IndicatorLine],
    registration_note: &str,
    threshold: u64,
) {
    if lines.is_empty() {
        out.push_str("<p>No quality indicators were computed.</p>\n");
        return;
    }
    out.push_str(
        "<table>\n<tr><th>Site group</th><th>Period</th><th>Tumours</th>\
         <th>MV %</th><th>DCO %</th><th>M:I</th><th>C80.9 %</th>\
         <th>Unspecified morphology %</th><th>Median delay (days)</th></tr>\n",
    );
    for line in lines {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td>",
            html::escape(&line.site_group),
            html::escape(&line.period)
        );
        if html::is_small(line.tumours as f64, threshold) {
            let _ = writeln!(
                out,
                "<td class=\"suppressed\" colspan=\"7\">{}</td></tr>",
                html::escape(&format!("< {threshold}"))
            );
            continue;
        }
        let _ = write!(out, "<td class=\"number\">{}</td>", line.tumours);
        for (value, decimals) in [
            (line.microscopically_verified_percent, 1),
            (line.death_certificate_only_percent, 1),
            (line.mortality_incidence_ratio, 2),
            (line.unknown_primary_percent, 1),
            (line.unspecified_morphology_percent, 1),
            (line.median_registration_delay_days, 0),
        ] {
            let text =
                value.map_or_else(String::new, |v| format!("{v:.decimals$}"));
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
                microscopically_verified_percent: Some(95.0),
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
        );
        assert!(out.contains(
            "<td class=\"number\">120</td><td class=\"number\">95.0</td>"
        ));
        assert!(out.contains("<td class=\"number\">0.25</td>"));
        assert!(out.contains("colspan=\"7\">&lt; 11</td>"));
        assert!(!out.contains("100.0"));
        assert!(out.contains("Registration dates: report dates."));
    }
}
