//! HTML building blocks: escaping, number formats and the report sections.

use std::fmt::Write;

use rnc_stats::{ALL_SITES, CellStatus, IncidenceRow, rate_is_unreliable};

use crate::ReportData;
use rnc_stats::IncidenceSuppression;

/// Style sheet inlined in the report, so that it needs no external file.
pub(crate) const STYLE: &str = "\
body{font-family:sans-serif;margin:2em auto;max-width:70em;color:#222;line-height:1.4}\
h1{font-size:1.6em;margin-bottom:0.2em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:0.6em 0}th,td{border:1px solid #ccc;padding:0.25em 0.6em}\
th{background:#f2f2f2;text-align:left}td.number{text-align:right;font-variant-numeric:tabular-nums}\
td.suppressed{color:#777;text-align:right}caption{caption-side:bottom;text-align:left;font-size:0.9em;color:#555}\
figure{margin:1em 0}figcaption{font-size:0.9em;color:#555}.meta{color:#555}";

/// Escapes text for an HTML element or a quoted attribute value.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Returns the label shown for a site group: "All sites" for the
/// all-sites row, the site group itself otherwise.
pub(crate) fn site_group_label(site_group: &str) -> &str {
    if site_group == ALL_SITES {
        "All sites"
    } else {
        site_group
    }
}

/// Tells whether a count must be hidden: more than 0 and below the
/// threshold.
pub(crate) fn is_small(count: f64, threshold: u64) -> bool {
    count > 0.0 && count < threshold as f64
}

/// Returns the text of a suppressed count, such as "&lt; 11" (escaped).
fn suppressed_count(threshold: u64) -> String {
    escape(&format!("< {threshold}"))
}

/// Writes a table of label-value pairs.
pub(crate) fn write_pairs(
    out: &mut String,
    pairs: &[(String, String)],
    empty: &str,
) {
    if pairs.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", escape(empty));
        return;
    }
    out.push_str("<table>\n");
    for (label, value) in pairs {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            escape(label),
            escape(value)
        );
    }
    out.push_str("</table>\n");
}

/// Writes the incidence table, with counts below the threshold shown as
/// "< threshold", secondary suppressed counts as "suppressed", no rates
/// for either, and a dagger on rates based on few cases.
pub(crate) fn write_incidence(
    out: &mut String,
    data: &ReportData,
    suppression: &IncidenceSuppression,
) {
    if data.incidence.is_empty() {
        out.push_str("<p>No incidence rows in this release.</p>\n");
        return;
    }
    out.push_str(
        "<table class=\"incidence\">\n<thead><tr><th>Site group</th><th>Sex</th>\
         <th>Cases</th><th>Crude rate</th><th>ASR world (95&#160;% CI)</th>\
         <th>ASR Europe 2013 (95&#160;% CI)</th><th>Cumulative risk 0-74 (%)</th>\
         </tr></thead>\n<tbody>\n",
    );
    for row in &data.incidence {
        let status = suppression.row_status(row);
        let unreliable =
            rate_is_unreliable(row.cases, data.unreliable_rate_cases);
        let standardised = suppression.standardised_published(row);
        write_incidence_row(
            out,
            row,
            data.small_cell_threshold,
            (status, standardised),
            unreliable,
        );
    }
    let _ = writeln!(
        out,
        "</tbody>\n<caption>Rates per 100&#160;000 person-years; population: {}. \
         ASR: age-standardised rate. &#8224;: rate based on fewer than {} cases, \
         unreliable.</caption>\n</table>",
        escape(&data.population_label),
        data.unreliable_rate_cases
    );
}

/// Writes one incidence row. `shown` is the status of the row's count and
/// whether its standardised rates and cumulative risk may be shown.
fn write_incidence_row(
    out: &mut String,
    row: &IncidenceRow,
    threshold: u64,
    shown: (CellStatus, bool),
    unreliable: bool,
) {
    let (status, standardised) = shown;
    let _ = write!(
        out,
        "<tr><td>{}</td><td>{}</td>",
        escape(site_group_label(&row.site_group)),
        escape(&row.sex)
    );
    if !status.is_published() {
        let count = if status == CellStatus::PrimarySuppressed {
            suppressed_count(threshold)
        } else {
            "suppressed".to_owned()
        };
        let _ = writeln!(
            out,
            "<td class=\"suppressed\">{count}</td>{}</tr>",
            "<td class=\"suppressed\">suppressed</td>".repeat(4)
        );
        return;
    }
    let mark = if unreliable { "&#8224;" } else { "" };
    if !standardised {
        // The standardised rates, their intervals and the cumulative risk
        // are weighted sums of the bands, which would give a hidden band
        // count back.
        let _ = writeln!(
            out,
            "<td class=\"number\">{:.0}</td><td class=\"number\">{:.1}{mark}</td>{}</tr>",
            row.cases,
            row.crude.value,
            "<td class=\"suppressed\">suppressed</td>".repeat(3)
        );
        return;
    }
    let _ = writeln!(
        out,
        "<td class=\"number\">{:.0}</td><td class=\"number\">{:.1}{mark}</td>\
         <td class=\"number\">{:.1} ({:.1}-{:.1}){mark}</td>\
         <td class=\"number\">{:.1} ({:.1}-{:.1}){mark}</td>\
         <td class=\"number\">{:.2}</td></tr>",
        row.cases,
        row.crude.value,
        row.asr_world.rate,
        row.asr_world.lower,
        row.asr_world.upper,
        row.asr_europe2013.rate,
        row.asr_europe2013.lower,
        row.asr_europe2013.upper,
        row.cumulative_risk_0_74,
    );
}

/// Writes the quality-check summary, one line per rule, with small counts
/// suppressed like those of the incidence table.
pub(crate) fn write_quality(out: &mut String, data: &ReportData) {
    if data.quality.is_empty() {
        out.push_str("<p>No quality check flagged a record.</p>\n");
        return;
    }
    out.push_str(
        "<table>\n<thead><tr><th>Rule</th><th>Severity</th><th>Tumours</th></tr></thead>\n<tbody>\n",
    );
    for (rule_id, severity, count) in &data.quality {
        let count_text = if is_small(*count as f64, data.small_cell_threshold) {
            suppressed_count(data.small_cell_threshold)
        } else {
            count.to_string()
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"number\">{}</td></tr>",
            escape(rule_id),
            escape(severity),
            count_text
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// Writes the methods paragraph and the small-cell note, with the numbers
/// of counts hidden by the primary and the secondary rule.
pub(crate) fn write_methods(
    out: &mut String,
    threshold: u64,
    suppressed: (usize, usize),
) {
    out.push_str(
        "<p>Rates are per 100&#160;000 person-years. Age-standardised rates are \
         computed by the direct method with the Segi (1960) world standard population, \
         as modified by Doll et al. (1966), and with the 2013 European standard \
         population (Eurostat), whose 85-89, 90-94 and 95+ groups are summed into one \
         85+ band. Their 95&#160;% confidence intervals are the gamma intervals of Fay \
         &amp; Feuer (1997); crude rates have exact Poisson intervals. The cumulative \
         risk 0-74 is 100&#160;(1&#160;&#8722;&#160;exp(&#8722;cumulative rate)), with \
         the cumulative rate summed over the five-year bands from 0-4 to 70-74 (IARC). \
         Multiple primary tumours are counted by the IARC/IACR 2004 rules.</p>\n",
    );
    if threshold <= 1 {
        out.push_str(
            "<p>Small cells: no count is suppressed in this report.</p>\n",
        );
        return;
    }
    let _ = writeln!(
        out,
        "<p>Small cells: to protect confidentiality, counts from 1 to {} are shown as \
         &#8220;{}&#8221; and the rates of those rows are suppressed. Secondary \
         suppression hides further counts, shown as &#8220;suppressed&#8221;, so \
         that no hidden count can be recovered by difference from the totals of \
         this report (by site group and sex, over all sites, and by age band). \
         The age-standardised rates and cumulative risk of a row are suppressed \
         where, with the rates of its shown age bands, they would give a hidden \
         band count back. \
         Suppressed rows and age bands are left out of the plots, and so are survival \
         curves of fewer than {} patients and trend points on fewer than {} \
         cases. In the incidence cube of this report (site group, sex and age \
         band, with its totals), {} counts are hidden by the first rule and {} by \
         secondary suppression.</p>",
        threshold.saturating_sub(1),
        suppressed_count(threshold),
        threshold,
        threshold,
        suppressed.0,
        suppressed.1
    );
}
