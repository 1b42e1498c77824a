//! Publication rules in the rendered report: secondary suppression seen
//! from the HTML, and the survival and trend figures.

use std::collections::BTreeMap;

use rnc_report::{ReportData, SurvivalSeries, TrendSeries, render_report};
use rnc_stats::{
    Cell, FollowUp, IntervalScale, JoinpointOptions, incidence_table,
    joinpoint_regression, kaplan_meier,
};

/// Two site groups in two sexes, with 4 female kidney cases: the
/// all-sites female total minus the female liver count would give them
/// back unless a second count is hidden. Person-years: 10 000 per band
/// and sex (synthetic).
fn data() -> ReportData {
    let mut cells = Vec::new();
    for band in 10..16 {
        for (site, sex, cases) in [
            ("liver", "male", 12.0),
            ("liver", "female", 5.0),
            ("lung", "male", 30.0),
            ("lung", "female", 14.0),
        ] {
            cells.push(Cell {
                site_group: site.to_owned(),
                sex: sex.to_owned(),
                age_band: band,
                cases,
                person_years: 0.0,
            });
        }
    }
    cells.push(Cell {
        site_group: "kidney".to_owned(),
        sex: "female".to_owned(),
        age_band: 14,
        cases: 4.0,
        person_years: 0.0,
    });
    let population: Vec<(String, usize, f64)> = ["male", "female"]
        .iter()
        .flat_map(|sex| (0..18).map(move |band| (sex.to_string(), band, 1e4)))
        .collect();
    ReportData {
        title: "Publication test".to_owned(),
        release_id: "test".to_owned(),
        created: "2024-01-01".to_owned(),
        incidence: incidence_table(&cells, &population).unwrap(),
        ..ReportData::default()
    }
}

/// Reads the shown counts of the incidence table: (site group, sex) to
/// `Some(count)`, or `None` when the count cell is suppressed.
fn shown_counts(html: &str) -> BTreeMap<(String, String), Option<f64>> {
    let mut counts = BTreeMap::new();
    for line in html.lines().filter(|l| l.starts_with("<tr><td>")) {
        let cells: Vec<&str> = line
            .split("<td")
            .skip(1)
            .map(|cell| {
                let start = cell.find('>').unwrap() + 1;
                let end = cell.find("</td>").unwrap();
                &cell[start..end]
            })
            .collect();
        if cells.len() < 3 {
            continue;
        }
        let count = cells[2].parse::<f64>().ok();
        counts.insert((cells[0].to_owned(), cells[1].to_owned()), count);
    }
    counts
}

#[test]
fn hidden_counts_not_recoverable_from_table() {
    let html = render_report(&data()).unwrap();
    let counts = shown_counts(&html);
    assert_eq!(counts[&("kidney".into(), "female".into())], None);
    for sex in ["female", "male"] {
        let Some(total) = counts[&("All sites".into(), sex.into())] else {
            continue;
        };
        let sites: Vec<Option<f64>> = counts
            .iter()
            .filter(|((site, s), _)| s == sex && site != "All sites")
            .map(|(_, count)| *count)
            .collect();
        let hidden = sites.iter().filter(|c| c.is_none()).count();
        let shown: f64 = sites.iter().flatten().sum();
        assert_ne!(
            hidden, 1,
            "{sex}: one hidden count = {total} - {shown} by difference"
        );
    }
    assert!(
        html.contains(">suppressed</td>"),
        "no secondary suppression"
    );
}

#[test]
fn unreliable_rates_marked() {
    // Female kidney is hidden; male liver has 72 cases. The dagger marks
    // no row here, because every shown row has at least 20 cases.
    let html = render_report(&data()).unwrap();
    let liver = html
        .lines()
        .find(|l| l.starts_with("<tr><td>liver</td><td>male</td>"))
        .unwrap();
    assert!(!liver.contains("&#8224;"), "{liver}");
    let mut strict = data();
    strict.unreliable_rate_cases = 100;
    let html = render_report(&strict).unwrap();
    let liver = html
        .lines()
        .find(|l| l.starts_with("<tr><td>liver</td><td>male</td>"))
        .unwrap();
    assert!(liver.contains("&#8224;"), "{liver}");
}

fn curve(patients: u32) -> SurvivalSeries {
    let follow_ups: Vec<FollowUp> = (0..patients)
        .map(|i| FollowUp {
            days: 30 + 40 * i,
            died: i % 3 != 0,
        })
        .collect();
    SurvivalSeries {
        label: format!("{patients} patients"),
        curve: kaplan_meier(&follow_ups, 0.95, IntervalScale::LogLog).unwrap(),
    }
}

fn trend() -> TrendSeries {
    let years: Vec<f64> = (2000..=2015).map(f64::from).collect();
    let rates: Vec<f64> = years
        .iter()
        .map(|y| 40.0 * 1.02_f64.powf(y - 2000.0))
        .collect();
    let options = JoinpointOptions {
        max_joinpoints: 0,
        ..JoinpointOptions::default()
    };
    TrendSeries {
        label: "lung, male".to_owned(),
        fit: joinpoint_regression(&years, &rates, &options).unwrap(),
        cases: vec![50.0; years.len()],
        years,
        rates,
    }
}

/// Returns the SVG of the figure after the heading `heading`.
fn figure_after<'a>(html: &'a str, heading: &str) -> Option<&'a str> {
    let section = html.split(heading).nth(1)?;
    let section = section.split("<h2>").next()?;
    let start = section.find("<svg")?;
    let end = section.find("</svg>")?;
    Some(&section[start..end])
}

#[test]
fn survival_and_trend_figures_present() {
    let mut data = data();
    data.survival = vec![curve(40), curve(5)];
    data.trends = vec![trend()];
    let html = render_report(&data).unwrap();

    let survival =
        figure_after(&html, "<h2>Survival</h2>").expect("survival svg");
    assert!(survival.contains("<polyline") || survival.contains("<path"));
    assert!(survival.contains("40 patients"));
    // 5 patients is under the threshold of 11, so that curve is left out.
    assert!(!survival.contains("5 patients"));
    assert!(survival.contains("Years since diagnosis"));

    let trends = figure_after(&html, "<h2>Trends</h2>").expect("trend svg");
    assert!(trends.contains("<polyline") || trends.contains("<path"));
    assert_eq!(trends.matches("<circle").count(), 16);
    assert!(trends.contains("lung, male"));
}

#[test]
fn sections_say_when_empty() {
    let html = render_report(&data()).unwrap();
    assert!(html.contains("No survival curve is given"));
    assert!(html.contains("No incidence trend is given."));
}
