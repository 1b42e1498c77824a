//! The care-pathway section of `rnc report`.

use rnc_model::ScreeningProgramme;
use rnc_pathway::indicators::{cross_table, delay_histogram, delay_table};
use rnc_pathway::screening::{ScreeningSettings, participation_table};
use rnc_pathway::table::Table;
use rnc_pathway::{PathwaySettings, PublicationRules};
use rnc_report::{BarChart, BarSeries, PathwaySection};
use rnc_store::Registry;

use super::{analyse, read_release, read_screening_ages, target_population};

/// Stages in the order of the stage chart.
const STAGES: [&str; 6] = ["0", "I", "II", "III", "IV", "unknown"];

/// Builds the section from the release: delay summary and distribution,
/// stage by mode of detection, breast and colorectal participation by
/// département, all under the publication rules.
pub(crate) fn report_section(
    registry: &Registry,
    release_id: &str,
    small_cell_threshold: u64,
) -> anyhow::Result<PathwaySection> {
    let data = read_release(&registry.release_dir(release_id))?;
    let screening = ScreeningSettings::default();
    let ages = read_screening_ages(registry)?;
    let analysis =
        analyse(&data, &PathwaySettings::default(), &screening, &ages);
    let rules = PublicationRules {
        small_cell_threshold,
        ..PublicationRules::default()
    };
    // The summary repeats the total row of pathway_delays, so that it
    // hides what that table hides. A share of the treated computed here
    // again could give a small count back with a published count.
    let delays = delay_table(&analysis.pathways, &rules)?;
    let total_row = (0..delays.rows()).find(|&row| {
        delays.cell("dimension", row).as_deref() == Some("site_group")
            && delays.cell("level", row).as_deref() == Some("total")
    });
    let value = |column: &str| {
        total_row
            .and_then(|row| delays.cell(column, row))
            .and_then(|text| text.parse::<f64>().ok())
    };
    let days = |column: &str| {
        value(column)
            .map_or_else(|| "suppressed".to_string(), |x| format!("{x:.0}"))
    };
    let percent = |x: Option<f64>| {
        x.map_or_else(
            || "suppressed".to_string(),
            |x| format!("{:.1} %", 100.0 * x),
        )
    };
    let tumours = value("tumours");
    let treated_share = tumours
        .zip(value("treated"))
        .filter(|(tumours, _)| *tumours > 0.0)
        .map(|(tumours, treated)| treated / tumours);
    let summary = vec![
        (
            "Tumours with a complete incidence date".to_string(),
            tumours.map_or_else(
                || "suppressed".to_string(),
                |n| format!("{n:.0}"),
            ),
        ),
        ("Treated".to_string(), percent(treated_share)),
        (
            "Median days from diagnosis to first treatment (quartiles)"
                .to_string(),
            format!(
                "{} ({} to {})",
                days("median_days"),
                days("q1_days"),
                days("q3_days")
            ),
        ),
        (
            "Treated within 30 days".to_string(),
            percent(value("within_30_days")),
        ),
        (
            "Treated within 60 days".to_string(),
            percent(value("within_60_days")),
        ),
    ];

    let histogram = delay_histogram(&analysis.pathways, 7, 13, &rules)?;
    let mut charts = vec![BarChart {
        title: "Days from diagnosis to first treatment".to_string(),
        caption: "Treated tumours by week of delay from the incidence date to the first surgery, chemotherapy, radiotherapy or hormone therapy; a suppressed count has no bar.".to_string(),
        categories: histogram.iter().map(|(label, _)| label.clone()).collect(),
        series: vec![BarSeries {
            label: "tumours".to_string(),
            values: histogram.iter().map(|(_, n)| n.map(|n| n as f64)).collect(),
        }],
        y_label: "Tumours".to_string(),
    }];

    let mut detected: Vec<_> = analysis.detections.iter().collect();
    detected.sort_by_key(|(i, _)| **i);
    let items = detected
        .iter()
        .map(|(i, d)| {
            (
                vec![d.mode.label().to_string()],
                analysis.pathways[**i].stage.clone(),
            )
        })
        .collect();
    let stage_table = cross_table(&["detection_mode"], "stage", items, &rules)?;
    charts.push(stage_chart(&stage_table));

    let closing_date = data
        .last_event
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut series = Vec::new();
    let mut departements: Vec<String> = Vec::new();
    let mut tables = Vec::new();
    for programme in
        [ScreeningProgramme::Breast, ScreeningProgramme::Colorectal]
    {
        let interval = screening.interval_days(match programme {
            ScreeningProgramme::Breast => rnc_model::ScreeningTest::Mammography,
            _ => rnc_model::ScreeningTest::Fit,
        });
        let start = closing_date - chrono::Duration::days(interval);
        let target = target_population(
            &data.population,
            programme,
            chrono::Datelike::year(&start)
                ..=chrono::Datelike::year(&closing_date),
        );
        let table = participation_table(
            programme,
            &analysis.screened,
            &target,
            interval,
            closing_date,
            &rules,
        )?;
        for row in 0..table.rows() {
            let departement =
                table.cell("departement", row).unwrap_or_default();
            if table.cell("age_band", row).as_deref() == Some("total")
                && !departements.contains(&departement)
            {
                departements.push(departement);
            }
        }
        tables.push((programme, table));
    }
    departements.sort();
    for (programme, table) in &tables {
        let values = departements
            .iter()
            .map(|d| {
                (0..table.rows())
                    .find(|&r| {
                        table.cell("departement", r).as_ref() == Some(d)
                            && table.cell("age_band", r).as_deref()
                                == Some("total")
                    })
                    .and_then(|r| table.cell("participation", r))
                    .and_then(|text| text.parse::<f64>().ok())
                    .map(|share| 100.0 * share)
            })
            .collect();
        series.push(BarSeries {
            label: programme.label().to_string(),
            values,
        });
    }
    charts.push(BarChart {
        title: "Screening participation by département".to_string(),
        caption: "Share of the target population (women 50-74 for breast, persons 50-74 for colorectal) tested in the last round of 24 months, in the départements of the screening feed.".to_string(),
        categories: departements,
        series,
        y_label: "Participation (%)".to_string(),
    });
    Ok(PathwaySection { summary, charts })
}

/// Builds the chart of stage shares by mode of detection from the
/// `cross_table` of modes by stage.
fn stage_chart(table: &Table) -> BarChart {
    let mut modes: Vec<String> = Vec::new();
    for row in 0..table.rows() {
        let mode = table.cell("detection_mode", row).unwrap_or_default();
        if mode != "total" && !modes.contains(&mode) {
            modes.push(mode);
        }
    }
    let series = modes
        .iter()
        .map(|mode| BarSeries {
            label: mode.replace('_', " "),
            values: STAGES
                .iter()
                .map(|stage| {
                    (0..table.rows())
                        .find(|&r| {
                            table.cell("detection_mode", r).as_ref()
                                == Some(mode)
                                && table.cell("stage", r).as_deref()
                                    == Some(*stage)
                        })
                        .and_then(|r| table.cell("share", r))
                        .and_then(|text| text.parse::<f64>().ok())
                        .map(|share| 100.0 * share)
                })
                .collect(),
        })
        .collect();
    BarChart {
        title: "Stage at diagnosis by mode of detection".to_string(),
        caption: "Breast, colorectal and cervical tumours of the départements of the screening feed: share of each stage within each mode of detection; a suppressed count has no bar.".to_string(),
        categories: STAGES.iter().map(|s| s.to_string()).collect(),
        series,
        y_label: "Share of the mode (%)".to_string(),
    }
}
