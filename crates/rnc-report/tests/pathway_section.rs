//! The care-pathway section of the report: its summary, its charts, and a
//! note when no analysis was given.

use rnc_report::{
    BarChart, BarSeries, PathwaySection, ReportData, render_report,
};

fn section() -> PathwaySection {
    PathwaySection {
        summary: vec![(
            "Treated within 30 days".to_string(),
            "43.3 %".to_string(),
        )],
        charts: vec![
            BarChart {
                title: "Days from diagnosis to first treatment".to_string(),
                caption: "Treated tumours by week & delay".to_string(),
                categories: vec!["0-6".to_string(), "7-13".to_string()],
                series: vec![BarSeries {
                    label: "tumours".to_string(),
                    values: vec![None, Some(42.0)],
                }],
                y_label: "Tumours".to_string(),
            },
            BarChart {
                title: "Stage at diagnosis by mode of detection".to_string(),
                caption: "Shares".to_string(),
                categories: vec!["I".to_string(), "II".to_string()],
                series: vec![
                    BarSeries {
                        label: "screen detected".to_string(),
                        values: vec![Some(60.0), Some(40.0)],
                    },
                    BarSeries {
                        label: "interval".to_string(),
                        values: vec![Some(30.0), None],
                    },
                ],
                y_label: "Share of the mode (%)".to_string(),
            },
        ],
    }
}

fn pathway_part(html: &str) -> &str {
    let start = html.find("<h2>Care pathways and screening</h2>").unwrap();
    let end = start + html[start..].find("<h2>Quality checks</h2>").unwrap();
    &html[start..end]
}

#[test]
fn section_draws_each_chart() {
    let data = ReportData {
        pathway: Some(section()),
        ..ReportData::default()
    };
    let html = render_report(&data).unwrap();
    let part = pathway_part(&html);
    assert_eq!(part.matches("<svg").count(), 2);
    assert!(part.contains("Treated within 30 days"));
    assert!(part.contains("Treated tumours by week &amp; delay"));
    assert!(part.contains("screen detected"), "legend of grouped bars");
    assert!(part.contains("\n7-13\n"), "category label");
}

#[test]
fn section_without_analysis_says_so() {
    let html = render_report(&ReportData::default()).unwrap();
    let part = pathway_part(&html);
    assert!(part.contains("No care-pathway analysis was given"));
    assert!(!part.contains("<svg"));
}
