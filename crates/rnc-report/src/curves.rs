//! Survival curves with their confidence limits, and incidence trends with
//! their fitted lines, drawn as inline SVG with plotters.

use std::fmt::Write as _;

use plotters::prelude::*;
use plotters::style::Palette99;
use rnc_stats::{JoinpointFit, SurvivalCurve, YEAR_DAYS};

use crate::{Error, ErrorKind};

/// Size of a plot in pixels.
const PLOT_SIZE: (u32, u32) = (760, 440);

/// A survival curve to draw, with its legend label.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalSeries {
    /// Legend label, such as `colorectum, net (Pohar-Perme)`.
    pub label: String,
    /// The curve, with its limits.
    pub curve: SurvivalCurve,
}

/// Observed rates of one series over calendar years, with the fitted
/// log-linear or joinpoint trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendSeries {
    /// Legend label, such as `colorectum, male`.
    pub label: String,
    /// Calendar years of the observed rates.
    pub years: Vec<f64>,
    /// Observed rates per 100 000, one per year.
    pub rates: Vec<f64>,
    /// The fit drawn as a line: joinpoint, or a single segment for the
    /// EAPC.
    pub fit: JoinpointFit,
    /// Cases behind each rate, so that a rate on a small count is left
    /// out of the plot.
    pub cases: Vec<f64>,
}

/// Draws survival curves as step functions over years since diagnosis,
/// each with its confidence limits as thinner lines of the same colour.
///
/// The y axis runs from 0 to 1. A step without limits (R gives NA, for
/// example at survival 1 on the log-log scale) breaks the limit lines
/// there.
///
/// # Errors
///
/// [`ErrorKind::Plot`] if plotters fails.
pub fn survival_svg(
    series: &[SurvivalSeries],
    title: &str,
) -> Result<String, Error> {
    let mut svg = String::new();
    draw_survival(&mut svg, series, title).map_err(|message| {
        ErrorKind::Plot {
            title: title.to_owned(),
            message,
        }
    })?;
    Ok(svg)
}

/// Returns the points of a step function through `(x, y)` values that
/// start at `start`.
fn steps(start: (f64, f64), points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = vec![start];
    let mut last_y = start.1;
    for &(x, y) in points {
        out.push((x, last_y));
        out.push((x, y));
        last_y = y;
    }
    out
}

/// Splits the limit values of a curve into runs of steps that have one.
fn limit_runs(
    curve: &SurvivalCurve,
    pick: impl Fn(&rnc_stats::SurvivalStep) -> Option<f64>,
) -> Vec<Vec<(f64, f64)>> {
    let mut runs = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for step in &curve.steps {
        match pick(step) {
            Some(value) => current.push((years(step.day), value)),
            None => {
                if !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

fn years(day: u32) -> f64 {
    f64::from(day) / YEAR_DAYS
}

fn draw_survival(
    svg: &mut String,
    series: &[SurvivalSeries],
    title: &str,
) -> Result<(), String> {
    let last_year = series
        .iter()
        .filter_map(|s| s.curve.steps.last())
        .map(|step| years(step.day))
        .fold(1.0_f64, f64::max);
    let root = SVGBackend::with_string(svg, PLOT_SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..last_year, 0.0..1.0)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("Years since diagnosis")
        .y_desc("Survival")
        .draw()
        .map_err(|e| e.to_string())?;

    for (index, one) in series.iter().enumerate() {
        let colour = Palette99::pick(index).to_rgba();
        let points: Vec<(f64, f64)> = one
            .curve
            .steps
            .iter()
            .map(|step| (years(step.day), step.survival))
            .collect();
        chart
            .draw_series(LineSeries::new(
                steps((0.0, 1.0), &points),
                colour.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(one.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + 20, y)],
                    colour.stroke_width(2),
                )
            });
        for run in limit_runs(&one.curve, |s| s.lower)
            .into_iter()
            .chain(limit_runs(&one.curve, |s| s.upper))
        {
            let start = run[0];
            chart
                .draw_series(LineSeries::new(
                    steps(start, &run[1..]),
                    colour.mix(0.45).stroke_width(1),
                ))
                .map_err(|e| e.to_string())?;
        }
    }
    crate::plot::draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

/// Draws observed rates as points and the fitted trend as a line, one
/// colour per series, on a log scale because a constant annual percent
/// change is a straight line there.
///
/// Rates on fewer than `threshold` cases are left out, because the rate
/// times the published population would give the count back.
///
/// # Errors
///
/// [`ErrorKind::Plot`] if plotters fails.
pub fn trend_svg(
    series: &[TrendSeries],
    title: &str,
    threshold: u64,
) -> Result<String, Error> {
    let mut svg = String::new();
    draw_trend(&mut svg, series, title, threshold).map_err(|message| {
        ErrorKind::Plot {
            title: title.to_owned(),
            message,
        }
    })?;
    Ok(svg)
}

/// Returns the points of a series that may be shown: positive rates on at
/// least `threshold` cases, or on no case count when none was given.
fn shown_points(series: &TrendSeries, threshold: u64) -> Vec<(f64, f64)> {
    series
        .years
        .iter()
        .zip(&series.rates)
        .enumerate()
        .filter(|(i, (_, rate))| {
            let cases = series.cases.get(*i).copied().unwrap_or(f64::MAX);
            **rate > 0.0 && rate.is_finite() && cases >= threshold as f64
        })
        .map(|(_, (&year, &rate))| (year, rate))
        .collect()
}

fn draw_trend(
    svg: &mut String,
    series: &[TrendSeries],
    title: &str,
    threshold: u64,
) -> Result<(), String> {
    let all_years = series.iter().flat_map(|s| s.years.iter().copied());
    let (first, last) = all_years
        .fold((f64::MAX, f64::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let (first, last) = if first <= last {
        (first - 0.5, last + 0.5)
    } else {
        (0.0, 1.0)
    };
    let rates = series.iter().flat_map(|s| {
        let fitted = s.years.iter().map(|&y| s.fit.fitted_rate(y));
        shown_points(s, threshold)
            .into_iter()
            .map(|(_, r)| r)
            .chain(fitted)
            .collect::<Vec<_>>()
    });
    let (low, high) = rates
        .filter(|r| *r > 0.0 && r.is_finite())
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), r| {
            (lo.min(r), hi.max(r))
        });
    let (low, high) = if high > 0.0 {
        (
            10f64.powf(low.log10().floor()),
            10f64
                .powf(high.log10().ceil())
                .max(10f64.powf(low.log10().floor()) * 10.0),
        )
    } else {
        (0.1, 100.0)
    };

    let root = SVGBackend::with_string(svg, PLOT_SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(first..last, (low..high).log_scale())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("Year")
        .y_desc("Rate per 100 000 (log scale)")
        // Only whole years are labelled: plotters may put ticks at half
        // years on a short range, and rounding those repeated a year.
        .x_labels(((last - first).ceil() as usize + 1).min(12))
        .x_label_formatter(&|year| {
            if year.fract() == 0.0 {
                format!("{year:.0}")
            } else {
                String::new()
            }
        })
        .draw()
        .map_err(|e| e.to_string())?;

    for (index, one) in series.iter().enumerate() {
        let colour = Palette99::pick(index).to_rgba();
        chart
            .draw_series(PointSeries::of_element(
                shown_points(one, threshold),
                3,
                colour.filled(),
                &|point, size, style| Circle::new(point, size, style),
            ))
            .map_err(|e| e.to_string())?;
        let (start, end) = one
            .years
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), &y| (lo.min(y), hi.max(y)));
        // Twenty points per year draw the bends at the joinpoints.
        let count = ((end - start) * 20.0).max(1.0) as usize;
        let line: Vec<(f64, f64)> = (0..=count)
            .map(|k| {
                let year = start + (end - start) * k as f64 / count as f64;
                (year, one.fit.fitted_rate(year))
            })
            .collect();
        chart
            .draw_series(LineSeries::new(line, colour.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(one.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + 20, y)],
                    colour.stroke_width(2),
                )
            });
    }
    crate::plot::draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

/// Writes the survival figure, or a sentence when no curve may be shown.
/// Curves of fewer patients than the small-cell threshold are left out.
pub(crate) fn write_survival_section(
    out: &mut String,
    data: &crate::ReportData,
) -> Result<(), Error> {
    let drawn: Vec<SurvivalSeries> = data
        .survival
        .iter()
        .filter(|s| s.curve.patients >= data.small_cell_threshold)
        .cloned()
        .collect();
    if drawn.is_empty() {
        out.push_str(
            "<p>No survival curve is given or large enough to plot.</p>\n",
        );
        return Ok(());
    }
    let title = "Survival by years since diagnosis";
    let svg = survival_svg(&drawn, title)?;
    let confidence = drawn[0].curve.confidence * 100.0;
    let _ = writeln!(
        out,
        "<figure>\n{svg}<figcaption>{title}: estimates (thick lines) with their \
         {confidence:.0}&#160;% confidence limits (thin lines).</figcaption>\n</figure>"
    );
    Ok(())
}

/// Writes the trends figure, or a sentence when no trend is given.
pub(crate) fn write_trend_section(
    out: &mut String,
    data: &crate::ReportData,
) -> Result<(), Error> {
    if data.trends.is_empty() {
        out.push_str("<p>No incidence trend is given.</p>\n");
        return Ok(());
    }
    let title = "Incidence trends";
    let svg = trend_svg(&data.trends, title, data.small_cell_threshold)?;
    let _ = writeln!(
        out,
        "<figure>\n{svg}<figcaption>{title}: observed rates per 100&#160;000 (points) \
         and the fitted log-linear or joinpoint trend (lines), log scale.\
         </figcaption>\n</figure>"
    );
    Ok(())
}
