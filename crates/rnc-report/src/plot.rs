//! Age-specific incidence curves drawn as inline SVG with plotters.

use plotters::prelude::*;
use plotters::style::Palette99;
use rnc_stats::{AGE_BANDS, IncidenceRow};

use crate::{Error, ErrorKind};

/// Size of a plot in pixels.
const PLOT_SIZE: (u32, u32) = (760, 440);

/// Rate range on the y axis when no row has a positive rate.
const EMPTY_RANGE: (f64, f64) = (0.1, 100.0);

/// Draws the age-specific rates of `rows` as an SVG document, one line per
/// row.
///
/// The x axis shows the 18 age bands and the y axis the rate per 100 000
/// on a log scale, because incidence rises over several orders of
/// magnitude with age. Bands with a zero or missing rate cannot sit on a
/// log axis, so the line breaks there. Lines are labelled by sex when all
/// rows share a site group, by site group when they share a sex, and by
/// both otherwise. Text is written as SVG `<text>` elements, so no font
/// is needed to draw it.
///
/// # Errors
///
/// [`ErrorKind::AgeSpecificLength`] when a row has not 18 age-specific
/// rates, and [`ErrorKind::Plot`] if plotters fails.
pub fn age_specific_svg(
    rows: &[&IncidenceRow],
    title: &str,
) -> Result<String, Error> {
    for row in rows {
        if row.age_specific.len() != AGE_BANDS.len() {
            return Err(ErrorKind::AgeSpecificLength {
                site_group: row.site_group.clone(),
                sex: row.sex.clone(),
                found: row.age_specific.len(),
            }
            .into());
        }
    }

    let mut svg = String::new();
    draw(&mut svg, rows, title).map_err(|message| ErrorKind::Plot {
        title: title.to_owned(),
        message,
    })?;
    tracing::debug!(
        rows = rows.len(),
        bytes = svg.len(),
        "drew age-specific plot"
    );
    Ok(svg)
}

fn draw(
    svg: &mut String,
    rows: &[&IncidenceRow],
    title: &str,
) -> Result<(), String> {
    let (low, high) = rate_range(rows);
    let root = SVGBackend::with_string(svg, PLOT_SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;

    let last_band = AGE_BANDS.len() as i32 - 1;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0..last_band, (low..high).log_scale())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_labels(AGE_BANDS.len())
        .x_label_formatter(&|band| {
            usize::try_from(*band)
                .ok()
                .and_then(|band| AGE_BANDS.get(band))
                .map_or_else(String::new, |label| (*label).to_owned())
        })
        .y_label_formatter(&|rate| format_axis_rate(*rate))
        .x_desc("Age band (years)")
        .y_desc("Rate per 100 000 (log scale)")
        .draw()
        .map_err(|e| e.to_string())?;

    let labels = series_labels(rows);
    // One site by sex keeps one colour per sex across every figure.
    let by_sex = rows
        .windows(2)
        .all(|pair| pair[0].site_group == pair[1].site_group);
    for (index, (row, label)) in rows.iter().zip(labels).enumerate() {
        let colour = match row.sex.as_str() {
            "male" if by_sex => RGBColor(31, 119, 180).to_rgba(),
            "female" if by_sex => RGBColor(214, 39, 40).to_rgba(),
            _ => Palette99::pick(index).to_rgba(),
        };
        let mut labelled = false;
        for segment in positive_segments(row) {
            let series = chart
                .draw_series(LineSeries::new(
                    segment.clone(),
                    colour.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?;
            if !labelled {
                series.label(label.clone()).legend(move |(x, y)| {
                    PathElement::new(
                        vec![(x, y), (x + 20, y)],
                        colour.stroke_width(2),
                    )
                });
                labelled = true;
            }
            chart
                .draw_series(PointSeries::of_element(
                    segment,
                    3,
                    colour.filled(),
                    &|point, size, style| Circle::new(point, size, style),
                ))
                .map_err(|e| e.to_string())?;
        }
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

/// Returns the y range: whole powers of ten around the positive rates.
fn rate_range(rows: &[&IncidenceRow]) -> (f64, f64) {
    let positive = rows
        .iter()
        .flat_map(|row| row.age_specific.iter().flatten())
        .copied()
        .filter(|rate| *rate > 0.0 && rate.is_finite());
    let (min, max) = positive
        .fold((f64::INFINITY, 0.0_f64), |(min, max), rate| {
            (min.min(rate), max.max(rate))
        });
    if max == 0.0 {
        return EMPTY_RANGE;
    }
    let low = 10f64.powf(min.log10().floor());
    let mut high = 10f64.powf(max.log10().ceil());
    if high <= low {
        high = low * 10.0;
    }
    (low, high)
}

/// Splits a row's rates into runs of consecutive bands with a positive
/// rate.
fn positive_segments(row: &IncidenceRow) -> Vec<Vec<(i32, f64)>> {
    let mut segments = Vec::new();
    let mut current = Vec::new();
    for (band, rate) in (0_i32..).zip(&row.age_specific) {
        match rate {
            Some(rate) if *rate > 0.0 && rate.is_finite() => {
                current.push((band, *rate))
            }
            _ => {
                if !current.is_empty() {
                    segments.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        segments.push(current);
    }
    segments
}

fn series_labels(rows: &[&IncidenceRow]) -> Vec<String> {
    let same_site = rows
        .windows(2)
        .all(|pair| pair[0].site_group == pair[1].site_group);
    let same_sex = rows.windows(2).all(|pair| pair[0].sex == pair[1].sex);
    rows.iter()
        .map(|row| {
            if same_site {
                row.sex.clone()
            } else if same_sex {
                crate::html::site_group_label(&row.site_group).to_owned()
            } else {
                format!(
                    "{}, {}",
                    crate::html::site_group_label(&row.site_group),
                    row.sex
                )
            }
        })
        .collect()
}

/// Formats an axis rate with as many decimals as its magnitude needs (0.1,
/// 0.02, 5, 300), hiding binary rounding such as 0.30000000000000004.
fn format_axis_rate(rate: f64) -> String {
    let decimals = if rate > 0.0 && rate < 1.0 {
        (-rate.log10().floor()) as usize
    } else {
        0
    };
    format!("{rate:.decimals$}")
}

/// Draws the legend box of a chart at `position`.
pub(crate) fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}
