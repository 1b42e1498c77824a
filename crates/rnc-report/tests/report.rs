//! The HTML report: content, small-cell suppression and escaping.

use rnc_report::{ReportData, age_specific_svg, render_report};
use rnc_stats::{Cell, IncidenceRow, incidence_table};

/// Liver cancer, males, Calvados 2007 (Rcan `csu_registry_data_1`, CI5-XII):
/// 82 cases; its ASR world is 13.41 per 100 000 (Rcan csu_asr_test1).
const LIVER_CASES: [f64; 18] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 6.0, 8.0, 9.0, 4.0, 20.0,
    21.0, 9.0, 3.0,
];
const MALE_PERSON_YEARS: [f64; 18] = [
    21117.0, 21213.0, 21006.0, 21997.0, 23063.0, 21571.0, 22521.0, 23121.0,
    22536.0, 22448.0, 23117.0, 22616.0, 15935.0, 11848.0, 11307.0, 9329.0,
    6459.0, 3651.0,
];

/// Liver cells of both sexes (women given the men's person-years and a
/// third of their cases, synthetic) and one small site group of 4 cases.
fn rows(small_site: &str) -> Vec<IncidenceRow> {
    let mut cells = Vec::new();
    for (band, &cases) in LIVER_CASES.iter().enumerate() {
        for (sex, count) in [("male", cases), ("female", (cases / 3.0).floor())]
        {
            cells.push(Cell {
                site_group: "liver".to_owned(),
                sex: sex.to_owned(),
                age_band: band,
                cases: count,
                person_years: 0.0,
            });
        }
    }
    cells.push(Cell {
        site_group: small_site.to_owned(),
        sex: "female".to_owned(),
        age_band: 14,
        cases: 4.0,
        person_years: 0.0,
    });
    let population: Vec<(String, usize, f64)> = ["male", "female"]
        .iter()
        .flat_map(|sex| {
            MALE_PERSON_YEARS
                .iter()
                .enumerate()
                .map(move |(band, &py)| (sex.to_string(), band, py))
        })
        .collect();
    incidence_table(&cells, &population).unwrap()
}

fn report(small_site: &str) -> ReportData {
    ReportData {
        title: "Cancer incidence, Calvados 2007".to_owned(),
        release_id: "test-release".to_owned(),
        created: "2024-01-01T00:00:00Z".to_owned(),
        summary: vec![
            ("records".to_owned(), "1234".to_owned()),
            ("tumours".to_owned(), "200".to_owned()),
        ],
        incidence: rows(small_site),
        population_label: "synthetic population".to_owned(),
        quality: vec![
            ("IARC-age-site".to_owned(), "warning".to_owned(), 25),
            ("IARC-sex-site".to_owned(), "error".to_owned(), 3),
        ],
        linkage: vec![("persons".to_owned(), "180".to_owned())],
        ..ReportData::default()
    }
}

#[test]
fn report_contains_table_and_plots() {
    let html = render_report(&report("kidney")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<h1>Cancer incidence, Calvados 2007</h1>"));
    assert!(html.contains("<th scope=\"row\">records</th><td>1234</td>"));
    // The liver row of men: 82 cases, ASR world 13.4 per 100 000 (Rcan).
    assert!(
        html.contains(
            "<tr><td>liver</td><td>male</td><td class=\"number\">82</td>"
        ),
        "{html}"
    );
    assert!(html.contains("<td class=\"number\">13.4 (10.5-"), "{html}");
    assert!(html.contains("<td>All sites</td><td>male</td>"));
    // All sites by sex, then liver; kidney is below the threshold.
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(html.contains("<text"));
    assert!(html.contains("Fay"));
    assert!(html.contains("IARC/IACR 2004"));
    assert!(html.contains("<th scope=\"row\">persons</th><td>180</td>"));
}

#[test]
fn report_has_no_external_resource() {
    let html = render_report(&report("kidney")).unwrap();
    let without_namespace =
        html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_namespace.contains("http"), "{without_namespace}");
    assert!(!html.contains("<script"));
    assert!(!html.contains("<link"));
}

#[test]
fn small_cells_suppressed() {
    let html = render_report(&report("kidney")).unwrap();
    let kidney = html
        .lines()
        .find(|line| line.contains("<td>kidney</td>"))
        .expect("kidney row");
    assert!(kidney.contains("&lt; 11"), "{kidney}");
    assert!(!kidney.contains(">4<"), "{kidney}");
    assert!(kidney.contains("suppressed"), "{kidney}");
    // The quality rule that flagged 3 records is suppressed too, 25 is not.
    assert!(html.contains(
        "<td>IARC-sex-site</td><td>error</td><td class=\"number\">&lt; 11</td>"
    ));
    assert!(html.contains("<td class=\"number\">25</td>"));
    // No table cell anywhere contains a count of 1 to 10.
    for count in 1..=10 {
        let cell = format!("<td class=\"number\">{count}</td>");
        assert!(!html.contains(&cell), "count {count} shown");
    }
}

#[test]
fn threshold_is_configurable() {
    let data = ReportData {
        small_cell_threshold: 1,
        ..report("kidney")
    };
    let html = render_report(&data).unwrap();
    let kidney = html
        .lines()
        .find(|line| line.contains("<td>kidney</td>"))
        .expect("kidney row");
    assert!(kidney.contains("<td class=\"number\">4</td>"), "{kidney}");
}

#[test]
fn hostile_label_escaped() {
    let hostile = "<script>alert('x')</script>&\"";
    let mut data = report(hostile);
    data.title = hostile.to_owned();
    data.summary.push((hostile.to_owned(), hostile.to_owned()));
    data.linkage.push((hostile.to_owned(), hostile.to_owned()));
    data.quality
        .push((hostile.to_owned(), hostile.to_owned(), 40));
    data.population_label = hostile.to_owned();
    data.small_cell_threshold = 0;
    let html = render_report(&data).unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains(
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
    ));
}

#[test]
fn svg_has_text_without_fonts() {
    let rows = rows("kidney");
    let liver: Vec<&IncidenceRow> =
        rows.iter().filter(|r| r.site_group == "liver").collect();
    let svg = age_specific_svg(&liver, "Liver <by sex>").unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
    assert!(svg.contains("<text"));
    assert!(svg.contains("Liver &lt;by sex&gt;"));
    // plotters writes each text on its own line inside <text>.
    assert!(svg.contains("\n85+\n"));
    assert!(svg.contains("\nfemale\n"));
    assert!(svg.contains("\nmale\n"));
    assert!(svg.contains("<polyline") || svg.contains("<path"));
}

#[test]
fn svg_rejects_short_rows() {
    let mut rows = rows("kidney");
    rows[0].age_specific.pop();
    let first: Vec<&IncidenceRow> = rows.iter().take(1).collect();
    assert!(age_specific_svg(&first, "short").is_err());
}

#[test]
fn small_bands_left_out_of_plots() {
    // Male liver has 82 cases, but only bands 70-74 (20 cases) and 75-79
    // (21) reach 11; every female band has fewer than 11. With the all-sites
    // rows (the same cells plus one small site), two figures draw two points
    // each.
    let html = render_report(&report("small_site")).unwrap();
    assert_eq!(html.matches("<circle").count(), 4, "{html}");
}
