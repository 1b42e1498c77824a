//! The care-pathway and screening section: delay distribution, stage by
//! mode of detection and participation by département, as bar charts.

use std::fmt::Write as _;

use plotters::prelude::*;
use plotters::style::Palette99;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::html::escape;
use crate::{Error, ErrorKind};

/// Size of a bar chart in pixels.
const PLOT_SIZE: (u32, u32) = (760, 420);

/// One series of bars: a value per category, `None` where it is
/// suppressed or missing (no bar is drawn).
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    /// Legend label.
    pub label: String,
    /// One value per category.
    pub values: Vec<Option<f64>>,
}

/// A bar chart: categories on the x axis, one bar per series in each.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Title.
    pub title: String,
    /// Caption under the figure.
    pub caption: String,
    /// Category labels, in order.
    pub categories: Vec<String>,
    /// Series drawn side by side within each category.
    pub series: Vec<BarSeries>,
    /// Label of the y axis.
    pub y_label: String,
}

/// Contents of the report's care-pathway section: summary lines, then the
/// charts. The caller applies the publication rules: a suppressed count
/// arrives as `None` and no bar is drawn for it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PathwaySection {
    /// Summary lines (label, value), such as the median delay.
    pub summary: Vec<(String, String)>,
    /// Charts, in order.
    pub charts: Vec<BarChart>,
}

/// Draws a bar chart as an SVG document.
///
/// # Errors
///
/// [`ErrorKind::Plot`] if plotters fails.
pub fn bar_chart_svg(chart: &BarChart) -> Result<String, Error> {
    let mut svg = String::new();
    draw(&mut svg, chart).map_err(|message| ErrorKind::Plot {
        title: chart.title.clone(),
        message,
    })?;
    Ok(svg)
}

fn draw(svg: &mut String, chart: &BarChart) -> Result<(), String> {
    let categories = chart.categories.len().max(1);
    let top = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0_f64, |a, b| a.max(*b));
    let top = if top > 0.0 { top * 1.1 } else { 1.0 };
    let root = SVGBackend::with_string(svg, PLOT_SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut plot = ChartBuilder::on(&root)
        .caption(&chart.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(60)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..categories as f64, 0.0..top)
        .map_err(|e| e.to_string())?;
    plot.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(chart.y_label.as_str())
        .draw()
        .map_err(|e| e.to_string())?;

    // Category labels are written under the centre of each category,
    // because the axis's own labels fall on round numbers.
    let style = ("sans-serif", 12)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (index, label) in chart.categories.iter().enumerate() {
        let (x, y) = plot.backend_coord(&(index as f64 + 0.5, 0.0));
        root.draw(&Text::new(label.clone(), (x, y + 8), style.clone()))
            .map_err(|e| e.to_string())?;
    }

    let width = 0.8 / chart.series.len().max(1) as f64;
    for (index, series) in chart.series.iter().enumerate() {
        let colour = Palette99::pick(index).to_rgba();
        let bars = series.values.iter().enumerate().filter_map(|(c, v)| {
            let left = c as f64 + 0.1 + index as f64 * width;
            v.map(|v| {
                Rectangle::new(
                    [(left, 0.0), (left + width, v)],
                    colour.filled(),
                )
            })
        });
        let drawn = plot.draw_series(bars).map_err(|e| e.to_string())?;
        if chart.series.len() > 1 {
            drawn.label(series.label.clone()).legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled())
            });
        }
    }
    if chart.series.len() > 1 {
        crate::plot::draw_legend(&mut plot, SeriesLabelPosition::UpperRight)?;
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

/// Writes the section: the summary table, then each chart as a figure.
pub(crate) fn write_section(
    out: &mut String,
    section: Option<&PathwaySection>,
) -> Result<(), Error> {
    let Some(section) = section else {
        out.push_str(
            "<p>No care-pathway analysis was given (run <code>rnc pathway</code>).</p>\n",
        );
        return Ok(());
    };
    crate::html::write_pairs(
        out,
        &section.summary,
        "No pathway summary was given.",
    );
    for chart in &section.charts {
        let svg = bar_chart_svg(chart)?;
        let _ = writeln!(
            out,
            "<figure>\n{svg}<figcaption>{}</figcaption>\n</figure>",
            escape(&chart.caption)
        );
    }
    Ok(())
}
