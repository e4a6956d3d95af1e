//! PNG plots for the `neuroplast` command line: spike rasters, line plots of
//! time series, histograms and heatmaps.
//!
//! Every plot is a 1000x600 PNG on a white background, drawn with
//! [`plotters`]' bitmap backend. Text is rendered with an embedded copy of
//! DejaVu Sans (`assets/DejaVuSans.ttf`, licence in
//! `assets/DejaVuSans-LICENSE.txt`) registered through plotters' `ab_glyph`
//! support, so no system fonts are needed at run time.
//!
//! The functions are forgiving about their data: NaN and infinite values
//! (and absurd magnitudes beyond 1e300, which plotters cannot lay out) are
//! skipped, empty or all-invalid input still produces a PNG (saying "no
//! data"), and constant data gets a padded axis range. Missing parent
//! directories of the output file are created. Errors (an unwritable
//! path, mismatched array lengths, a non-`.png` file name) are returned as
//! [`anyhow::Error`]; the functions do not panic.

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use anyhow::{anyhow, bail, ensure, Context, Result};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of every image, in pixels.
const WIDTH: u32 = 1000;
/// Height of every image, in pixels.
const HEIGHT: u32 = 600;
/// Most points drawn per line series; longer series are decimated.
const MAX_DRAWN_POINTS: usize = 4000;
/// Most histogram bins (more would be narrower than a pixel anyway).
const MAX_BINS: usize = 10_000;
/// Largest magnitude plotted on a linear axis; larger values are skipped like
/// NaN (plotters cannot lay out ticks on a range wider than `f64::MAX`).
const MAX_ABS: f64 = 1e300;
/// Smallest and largest value on a log axis; values outside are skipped (the
/// ratio of the ends of a log axis must stay finite).
const LOG_RANGE: (f64, f64) = (1e-150, 1e150);

/// Font size of plot titles, in pixels.
const TITLE_SIZE: f64 = 26.0;
/// Font size of axis descriptions, in pixels.
const AXIS_DESC_SIZE: f64 = 20.0;
/// Font size of tick labels and legend entries, in pixels.
const LABEL_SIZE: f64 = 16.0;

/// The embedded font (DejaVu Sans).
static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// Guards the one-time font registration.
static FONT_INIT: Once = Once::new();
/// Whether the one-time font registration succeeded.
static FONT_OK: AtomicBool = AtomicBool::new(false);

/// Line colours (the "tab10" palette), used in order and then repeated.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// One population's spikes for a raster: parallel arrays of step index and neuron id.
///
/// `steps[k]` is the time step of the k-th spike and `ids[k]` the index of the
/// neuron (within this population, `0..n`) that fired it; both slices must
/// have the same length. Spikes with `ids[k] >= n` are ignored.
#[derive(Debug, Clone, Copy)]
pub struct RasterLayer<'a> {
    /// Population name shown in the legend, e.g. `"E"` or `"I"`.
    pub name: &'a str,
    /// Time step of each spike.
    pub steps: &'a [u64],
    /// Neuron index (within this population) of each spike.
    pub ids: &'a [u32],
    /// Number of neurons in this population (its height in the raster).
    pub n: usize,
}

/// Raster plot of spikes: x = time step over `[t0, t1)`, y = neuron index.
///
/// The layers are stacked vertically, the first at the bottom (e.g. `"E"`
/// then `"I"`), each in its own colour and named in a legend (a layer with an
/// empty name gets no legend entry); a thin grey line separates them.
///
/// Only spikes with `t0 <= step < t1` are drawn. Neuron `i` of a layer occupies
/// the band `[offset + i, offset + i + 1)` on the y axis, where `offset` is the
/// total size of the layers below it. Each spike is drawn at least one pixel
/// large, and spikes falling on the same pixel are drawn once, so millions of
/// spikes stay cheap to draw. If `t1 <= t0` the range is widened to one step.
///
/// # Errors
/// If a layer's `steps` and `ids` differ in length, if `path` does not end in
/// `.png`, or if the image cannot be drawn or written.
pub fn raster(
    path: &Path,
    title: &str,
    layers: &[RasterLayer<'_>],
    t0: u64,
    t1: u64,
) -> anyhow::Result<()> {
    for layer in layers {
        ensure!(
            layer.steps.len() == layer.ids.len(),
            "raster layer {:?}: {} steps but {} ids (they must be parallel arrays)",
            layer.name,
            layer.steps.len(),
            layer.ids.len()
        );
    }
    with_root(path, |root| raster_impl(root, title, layers, t0, t1))
}

/// Line plot of one or more series sharing the x values `x`, each in its own
/// colour, with a legend.
///
/// Each entry of `series` is a legend name (an empty name gets no legend
/// entry) and its y values; `y[k]` is plotted at `x[k]`. A point whose x or y
/// is NaN, infinite or larger than 1e300 in magnitude is skipped. Long series
/// (e.g. 10^7 points) are decimated to at most 4000 drawn points: the indices
/// are cut into 2000 equal buckets and each bucket's minimum and maximum are
/// drawn, in their original order, so isolated spikes stay visible. A series
/// with a single valid point is drawn as a dot. With no valid point at all
/// (empty input, all NaN, no series) the PNG is still written and says
/// "no data".
///
/// # Errors
/// If a series' length differs from `x.len()`, if `path` does not end in
/// `.png`, or if the image cannot be drawn or written.
pub fn lines(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    x: &[f64],
    series: &[(&str, &[f64])],
) -> anyhow::Result<()> {
    for (name, ys) in series {
        ensure!(
            ys.len() == x.len(),
            "line series {name:?} has {} values but x has {}",
            ys.len(),
            x.len()
        );
    }
    let colours: Vec<usize> = (0..series.len()).collect();
    with_root(path, |root| {
        lines_impl(root, title, x_label, y_label, x, series, &colours)
    })
}

/// [`lines`] with the colour chosen per series: series with the same `group` share a colour
/// (e.g. the seeds of one sweep point); give a legend name to one series per group.
///
/// # Errors
/// As [`lines`], and if `groups` and `series` differ in length.
pub fn lines_grouped(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    x: &[f64],
    series: &[(&str, &[f64])],
    groups: &[usize],
) -> anyhow::Result<()> {
    ensure!(
        groups.len() == series.len(),
        "{} groups for {} series",
        groups.len(),
        series.len()
    );
    for (name, ys) in series {
        ensure!(
            ys.len() == x.len(),
            "line series {name:?} has {} values but x has {}",
            ys.len(),
            x.len()
        );
    }
    with_root(path, |root| {
        lines_impl(root, title, x_label, y_label, x, series, groups)
    })
}

/// Histogram of `values` in `bins` bins, y = count per bin.
///
/// If `log_x` the bins are logarithmically spaced over the positive values
/// (values <= 0 are ignored) and the x axis is log-scaled.
///
/// NaN and infinite values are skipped, as are magnitudes beyond 1e300 (and,
/// with `log_x`, positive values outside `[1e-150, 1e150]`, so that the
/// axis' decade count stays finite). The bins span the smallest to the
/// largest (valid) value; `bins` is clamped to `1..=10_000`. If all values are
/// equal the range is widened around that value. With no valid value the PNG
/// is still written and says "no data".
///
/// # Errors
/// If `path` does not end in `.png`, or if the image cannot be drawn or
/// written.
pub fn histogram(
    path: &Path,
    title: &str,
    x_label: &str,
    values: &[f64],
    bins: usize,
    log_x: bool,
) -> anyhow::Result<()> {
    with_root(path, |root| {
        histogram_impl(root, title, x_label, values, bins, log_x)
    })
}

/// One series of a [`loglog`] plot: a legend name, x and y values, and whether it is drawn as
/// dots (data) or a line (a fit).
#[derive(Debug, Clone, Copy)]
pub struct LogSeries<'a> {
    /// Legend entry (empty: none).
    pub name: &'a str,
    /// x values.
    pub x: &'a [f64],
    /// y values, parallel to `x`.
    pub y: &'a [f64],
    /// Draw as a line instead of dots.
    pub line: bool,
}

/// Scatter and line series on log–log axes (distributions and their power-law fits). Points
/// with a non-positive or non-finite coordinate are skipped; with none left the PNG says
/// "no data".
///
/// # Errors
/// If a series' `x` and `y` differ in length, if `path` does not end in `.png`, or if the
/// image cannot be drawn or written.
pub fn loglog(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[LogSeries<'_>],
) -> anyhow::Result<()> {
    for s in series {
        ensure!(
            s.x.len() == s.y.len(),
            "log-log series {:?} has {} x values but {} y values",
            s.name,
            s.x.len(),
            s.y.len()
        );
    }
    with_root(path, |root| {
        loglog_impl(root, title, x_label, y_label, series)
    })
}

// ---------------------------------------------------------------------------
// Shared plumbing
// ---------------------------------------------------------------------------

/// The drawing area every plot draws on.
type Root<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// One matrix of [`heatmaps`]: `values` row-major, `rows × cols`.
pub struct Panel<'a> {
    /// Caption above the panel.
    pub title: &'a str,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Row-major values (`rows * cols`).
    pub values: &'a [f64],
}

/// Matrices as coloured grids (receptive fields, weight or response matrices), `columns`
/// panels per row of the image. `diverging`: blue (negative) – white (0) – red (positive),
/// scaled by the largest |value| of all panels; otherwise white (minimum) – dark red
/// (maximum). Non-finite values are grey.
pub fn heatmaps(
    path: &Path,
    title: &str,
    panels: &[Panel<'_>],
    columns: usize,
    diverging: bool,
) -> Result<()> {
    for p in panels {
        ensure!(
            p.values.len() == p.rows * p.cols,
            "heatmap {:?}: {} values for {}×{}",
            p.title,
            p.values.len(),
            p.rows,
            p.cols
        );
    }
    with_root(path, |root| {
        if panels.is_empty() {
            return draw_message(root, title, "no data");
        }
        let all = panels
            .iter()
            .flat_map(|p| p.values.iter().copied())
            .filter(|v| v.is_finite());
        let (lo, hi) = finite_bounds(all).unwrap_or((0.0, 1.0));
        let scale = lo.abs().max(hi.abs()).max(1e-300);
        let colour = |v: f64| -> RGBColor {
            if !v.is_finite() {
                return RGBColor(160, 160, 160);
            }
            let mix = |a: (f64, f64, f64), f: f64| {
                let f = f.clamp(0.0, 1.0);
                RGBColor(
                    (255.0 + (a.0 - 255.0) * f) as u8,
                    (255.0 + (a.1 - 255.0) * f) as u8,
                    (255.0 + (a.2 - 255.0) * f) as u8,
                )
            };
            if diverging {
                if v >= 0.0 {
                    mix((178.0, 24.0, 43.0), v / scale)
                } else {
                    mix((33.0, 102.0, 172.0), -v / scale)
                }
            } else {
                let f = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                mix((120.0, 0.0, 0.0), f)
            }
        };
        let area = root.titled(title, font(TITLE_SIZE)).map_err(plot_err)?;
        let columns = columns.clamp(1, panels.len());
        let rows = panels.len().div_ceil(columns);
        let cells = area.split_evenly((rows, columns));
        for (p, cell) in panels.iter().zip(cells.iter()) {
            let inner = cell.titled(p.title, font(LABEL_SIZE)).map_err(plot_err)?;
            let (w, h) = inner.dim_in_pixel();
            let side = ((w as f64 - 8.0) / p.cols.max(1) as f64)
                .min((h as f64 - 8.0) / p.rows.max(1) as f64)
                .max(1.0);
            let x0 = (w as f64 - side * p.cols as f64) / 2.0;
            let y0 = (h as f64 - side * p.rows as f64) / 2.0;
            for r in 0..p.rows {
                for c in 0..p.cols {
                    let (xa, ya) = (x0 + side * c as f64, y0 + side * r as f64);
                    inner
                        .draw(&Rectangle::new(
                            [
                                (xa as i32, ya as i32),
                                ((xa + side).ceil() as i32, (ya + side).ceil() as i32),
                            ],
                            colour(p.values[r * p.cols + c]).filled(),
                        ))
                        .map_err(plot_err)?;
                }
            }
        }
        Ok(())
    })
}

/// Registers the embedded font as plotters' `sans-serif` family, once per
/// process.
fn ensure_font() -> Result<()> {
    FONT_INIT.call_once(|| {
        let ok =
            plotters::style::register_font("sans-serif", FontStyle::Normal, FONT_BYTES).is_ok();
        FONT_OK.store(ok, Ordering::SeqCst);
    });
    if FONT_OK.load(Ordering::SeqCst) {
        Ok(())
    } else {
        bail!("the embedded plot font (DejaVu Sans) could not be loaded")
    }
}

/// Checks the path, creates its parent directory, opens a white 1000x600
/// bitmap on it, runs `draw` and writes the PNG. A panic inside plotters is
/// turned into an error.
fn with_root<F>(path: &Path, draw: F) -> Result<()>
where
    F: FnOnce(&Root<'_>) -> Result<()>,
{
    let is_png = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    ensure!(
        is_png,
        "plot file {} must have a .png extension",
        path.display()
    );
    ensure_font()?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating directory {}", parent.display()))?;
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<()> {
        let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        draw(&root)?;
        root.present().map_err(plot_err)?;
        Ok(())
    }));
    match outcome {
        Ok(result) => result.with_context(|| format!("drawing plot {}", path.display())),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(anyhow!(
                "plotting library panicked while drawing {}: {msg}",
                path.display()
            ))
        }
    }
}

/// Converts a plotters error (which is not always `Send + Sync`) into an
/// [`anyhow::Error`].
fn plot_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("{e}")
}

/// A text style in the embedded font.
fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FontFamily::SansSerif, size).into_font()).color(&BLACK)
}

/// Draws a title and a centred message on an otherwise empty image.
fn draw_message(root: &Root<'_>, title: &str, message: &str) -> Result<()> {
    let (w, h) = root.dim_in_pixel();
    let centred = Pos::new(HPos::Center, VPos::Center);
    let title_style = font(TITLE_SIZE).pos(centred);
    root.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 30),
        title_style,
    ))
    .map_err(plot_err)?;
    let style = font(32.0).color(&RGBColor(110, 110, 110)).pos(centred);
    root.draw(&Text::new(
        message.to_string(),
        (w as i32 / 2, h as i32 / 2),
        style,
    ))
    .map_err(plot_err)?;
    Ok(())
}

/// Formats an axis tick value compactly: at most 4 significant digits,
/// scientific notation for very large or small magnitudes.
/// The chart [`value_chart`] returns.
type ValueChart<'a, DB, X, Y> = ChartContext<
    'a,
    DB,
    Cartesian2d<<X as AsRangedCoord>::CoordDescType, <Y as AsRangedCoord>::CoordDescType>,
>;

/// A chart in the house layout (caption, margins, label areas) over f64 axes, with the light
/// grid and tick formatting shared by the line and histogram plots, mesh already drawn.
fn value_chart<'a, DB, X, Y>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    x: X,
    y: Y,
    x_label: &str,
    y_label: &str,
) -> Result<ValueChart<'a, DB, X, Y>>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(title, font(TITLE_SIZE))
        .margin(15)
        .margin_right(30)
        .x_label_area_size(55)
        .y_label_area_size(85)
        .build_cartesian_2d(x, y)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style(font(AXIS_DESC_SIZE))
        .label_style(font(LABEL_SIZE))
        .x_label_formatter(&fmt_tick)
        .y_label_formatter(&fmt_tick)
        .x_labels(8)
        .y_labels(8)
        .max_light_lines(1)
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(plot_err)?;
    Ok(chart)
}

/// The legend box of every plot: upper right, white, framed.
fn draw_legend<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>) -> Result<()>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(font(LABEL_SIZE))
        .draw()
        .map_err(plot_err)?;
    Ok(())
}

fn fmt_tick(v: &f64) -> String {
    let v = *v;
    if !v.is_finite() {
        return format!("{v}");
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{v:.3e}");
        return match s.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim_zeros(mantissa)),
            None => s,
        };
    }
    // Decimals needed for 4 significant digits; `a` is in [1e-3, 1e6).
    let magnitude = a.log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 6) as usize;
    let s = format!("{v:.decimals$}");
    let s = trim_zeros(&s);
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// Removes trailing zeros after a decimal point, and the point if nothing is
/// left after it.
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Widens a degenerate (empty or zero-width) range so it can be drawn.
fn padded(lo: f64, hi: f64, frac: f64) -> Range<f64> {
    if hi > lo {
        let pad = (hi - lo) * frac;
        let (a, b) = (lo - pad, hi + pad);
        if a.is_finite() && b.is_finite() {
            a..b
        } else {
            lo..hi
        }
    } else {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - d)..(hi + d)
    }
}

/// Whether `v` can be drawn on a linear axis: finite and at most [`MAX_ABS`]
/// in magnitude.
fn plottable(v: f64) -> bool {
    v.is_finite() && v.abs() <= MAX_ABS
}

/// Minimum and maximum of the plottable values, if any.
fn finite_bounds(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|&v| plottable(v))
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

// ---------------------------------------------------------------------------
// Raster
// ---------------------------------------------------------------------------

/// Draws a raster; see [`raster`].
fn raster_impl(
    root: &Root<'_>,
    title: &str,
    layers: &[RasterLayer<'_>],
    t0: u64,
    t1: u64,
) -> Result<()> {
    let total: u64 = layers
        .iter()
        .fold(0u64, |acc, l| acc.saturating_add(l.n as u64));
    if total == 0 {
        return draw_message(root, title, "no data");
    }
    let t1 = if t1 > t0 { t1 } else { t0.saturating_add(1) };
    let t0 = t0.min(t1 - 1);

    let mut chart = ChartBuilder::on(root)
        .caption(title, font(TITLE_SIZE))
        .margin(15)
        .margin_right(30)
        .x_label_area_size(55)
        .y_label_area_size(85)
        .build_cartesian_2d(t0..t1, 0.0..total as f64)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time step")
        .y_desc("neuron index")
        .axis_desc_style(font(AXIS_DESC_SIZE))
        .label_style(font(LABEL_SIZE))
        .y_label_formatter(&fmt_tick)
        .x_labels(8)
        .y_labels(8)
        .draw()
        .map_err(plot_err)?;

    // One flag per backend pixel, to draw each pixel of a layer at most once.
    let mut seen = vec![false; (WIDTH as usize) * (HEIGHT as usize)];
    let mut offset = 0u64;
    let mut any_spike = false;
    for (li, layer) in layers.iter().enumerate() {
        let colour = PALETTE[li % PALETTE.len()];
        seen.iter_mut().for_each(|s| *s = false);
        let base = offset as f64;
        let mut rects: Vec<Rectangle<(u64, f64)>> = Vec::new();
        for (&step, &id) in layer.steps.iter().zip(layer.ids) {
            if step < t0 || step >= t1 || id as usize >= layer.n {
                continue;
            }
            let y0 = base + f64::from(id) + 0.1;
            let y1 = base + f64::from(id) + 0.9;
            let (px, py) = chart.backend_coord(&(step, y1));
            if px >= 0 && py >= 0 && (px as u32) < WIDTH && (py as u32) < HEIGHT {
                let idx = py as usize * WIDTH as usize + px as usize;
                if seen[idx] {
                    continue;
                }
                seen[idx] = true;
            }
            rects.push(Rectangle::new(
                [(step, y0), (step + 1, y1)],
                colour.filled(),
            ));
        }
        any_spike |= !rects.is_empty();
        let anno = chart.draw_series(rects).map_err(plot_err)?;
        if !layer.name.is_empty() {
            anno.label(layer.name).legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled())
            });
        }
        offset = offset.saturating_add(layer.n as u64);
        // A thin grey line between populations.
        if li + 1 < layers.len() {
            let y = offset as f64;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(t0, y), (t1, y)],
                    RGBColor(150, 150, 150).stroke_width(1),
                )))
                .map_err(plot_err)?;
        }
    }
    if layers.iter().any(|l| !l.name.is_empty()) {
        draw_legend(&mut chart)?;
    }
    if !any_spike {
        let area = chart.plotting_area().strip_coord_spec();
        let (w, h) = area.dim_in_pixel();
        let style = font(28.0)
            .color(&RGBColor(110, 110, 110))
            .pos(Pos::new(HPos::Center, VPos::Center));
        area.draw(&Text::new(
            "no spikes in range",
            (w as i32 / 2, h as i32 / 2),
            style,
        ))
        .map_err(plot_err)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------

/// Reduces `(x[k], y[k])` (skipping non-finite points) to at most about
/// `max_points` points: when there are more, the index range is cut into
/// `max_points / 2` equal buckets and each bucket keeps its minimum and
/// maximum y, in index order.
fn decimate(x: &[f64], y: &[f64], max_points: usize) -> Vec<(f64, f64)> {
    let n = x.len().min(y.len());
    let valid = |k: usize| plottable(x[k]) && plottable(y[k]);
    if n <= max_points {
        return (0..n).filter(|&k| valid(k)).map(|k| (x[k], y[k])).collect();
    }
    let buckets = (max_points / 2).max(1);
    let mut out = Vec::with_capacity(2 * buckets);
    for b in 0..buckets {
        let start = (b as u128 * n as u128 / buckets as u128) as usize;
        let end = ((b as u128 + 1) * n as u128 / buckets as u128) as usize;
        let mut lo: Option<usize> = None;
        let mut hi: Option<usize> = None;
        for k in start..end {
            if !valid(k) {
                continue;
            }
            if lo.is_none_or(|j| y[k] < y[j]) {
                lo = Some(k);
            }
            if hi.is_none_or(|j| y[k] > y[j]) {
                hi = Some(k);
            }
        }
        match (lo, hi) {
            (Some(a), Some(b)) if a == b => out.push((x[a], y[a])),
            (Some(a), Some(b)) => {
                let (first, second) = if a < b { (a, b) } else { (b, a) };
                out.push((x[first], y[first]));
                out.push((x[second], y[second]));
            }
            _ => {}
        }
    }
    out
}

/// Draws a line plot; see [`lines`].
fn lines_impl(
    root: &Root<'_>,
    title: &str,
    x_label: &str,
    y_label: &str,
    x: &[f64],
    series: &[(&str, &[f64])],
    colours: &[usize],
) -> Result<()> {
    let decimated: Vec<(&str, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(name, ys)| (*name, decimate(x, ys, MAX_DRAWN_POINTS)))
        .collect();
    let all_points = || decimated.iter().flat_map(|(_, pts)| pts.iter().copied());
    let (Some((x_lo, x_hi)), Some((y_lo, y_hi))) = (
        finite_bounds(all_points().map(|p| p.0)),
        finite_bounds(all_points().map(|p| p.1)),
    ) else {
        return draw_message(root, title, "no data");
    };
    let x_range = padded(x_lo, x_hi, 0.0);
    let y_range = padded(y_lo, y_hi, 0.05);

    let mut chart = value_chart(root, title, x_range, y_range, x_label, y_label)?;

    let mut labelled = false;
    for (i, (name, pts)) in decimated.into_iter().enumerate() {
        let colour = PALETTE[colours[i] % PALETTE.len()];
        let width = if pts.len() > 1000 { 1 } else { 2 };
        let dot = pts.len() == 1;
        let anno = if dot {
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 4, colour.filled())))
                .map_err(plot_err)?
        } else {
            chart
                .draw_series(LineSeries::new(pts, colour.stroke_width(width)))
                .map_err(plot_err)?
        };
        if !name.is_empty() {
            labelled = true;
            anno.label(name)
                .legend(move |(x, y)| -> DynElement<'static, _, _> {
                    if dot {
                        Circle::new((x + 10, y), 4, colour.filled()).into_dyn()
                    } else {
                        PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                            .into_dyn()
                    }
                });
        }
    }
    if labelled {
        draw_legend(&mut chart)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Log–log plot
// ---------------------------------------------------------------------------

/// Draws a log–log plot; see [`loglog`].
fn loglog_impl(
    root: &Root<'_>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[LogSeries<'_>],
) -> Result<()> {
    let usable = |v: f64| (LOG_RANGE.0..=LOG_RANGE.1).contains(&v);
    let kept: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| {
            s.x.iter()
                .zip(s.y)
                .filter(|(&x, &y)| usable(x) && usable(y))
                .map(|(&x, &y)| (x, y))
                .collect()
        })
        .collect();
    let all = || kept.iter().flatten().copied();
    let (Some((x_lo, x_hi)), Some((y_lo, y_hi))) = (
        finite_bounds(all().map(|p| p.0)),
        finite_bounds(all().map(|p| p.1)),
    ) else {
        return draw_message(root, title, "no data");
    };
    // Half a decade of room on each side (and a real range for a single point).
    let (x_lo, x_hi) = (x_lo / 1.5, x_hi * 1.5);
    let (y_lo, y_hi) = (y_lo / 3.0, y_hi * 3.0);
    let mut chart = value_chart(
        root,
        title,
        (x_lo..x_hi).log_scale(),
        (y_lo..y_hi).log_scale(),
        x_label,
        y_label,
    )?;
    let mut labelled = false;
    for (i, (s, pts)) in series.iter().zip(kept).enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let line = s.line;
        let anno = if line {
            chart
                .draw_series(LineSeries::new(pts, colour.stroke_width(2)))
                .map_err(plot_err)?
        } else {
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, colour.filled())))
                .map_err(plot_err)?
        };
        if !s.name.is_empty() {
            labelled = true;
            anno.label(s.name)
                .legend(move |(x, y)| -> DynElement<'static, _, _> {
                    if line {
                        PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                            .into_dyn()
                    } else {
                        Circle::new((x + 10, y), 4, colour.filled()).into_dyn()
                    }
                });
        }
    }
    if labelled {
        draw_legend(&mut chart)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Histogram
// ---------------------------------------------------------------------------

/// Draws a histogram; see [`histogram`].
fn histogram_impl(
    root: &Root<'_>,
    title: &str,
    x_label: &str,
    values: &[f64],
    bins: usize,
    log_x: bool,
) -> Result<()> {
    let bins = bins.clamp(1, MAX_BINS);
    let usable = |v: f64| {
        if log_x {
            (LOG_RANGE.0..=LOG_RANGE.1).contains(&v)
        } else {
            plottable(v)
        }
    };
    let Some((lo, hi)) = finite_bounds(values.iter().copied().filter(|&v| usable(v))) else {
        let msg = if log_x {
            "no data (no positive values)"
        } else {
            "no data"
        };
        return draw_message(root, title, msg);
    };

    let mut counts = vec![0u64; bins];
    let bars: Vec<(f64, f64, f64)>;
    if log_x {
        // Work in log10 space; constant data gets a decade around the value.
        let (l0, l1) = (lo.log10(), hi.log10());
        let (l0, l1) = if l1 > l0 {
            (l0, l1)
        } else {
            centred_range(l0, 0.5, bins)
        };
        for &v in values.iter().filter(|&&v| usable(v)) {
            counts[bin_index(v.log10(), l0, l1, bins)] += 1;
        }
        bars = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let e0 = 10f64.powf(lerp(l0, l1, i as f64 / bins as f64));
                let e1 = 10f64.powf(lerp(l0, l1, (i + 1) as f64 / bins as f64));
                (e0, e1, c as f64)
            })
            .collect();
        let x_axis: LogCoord<f64> = (bars[0].0..bars[bins - 1].1).log_scale().into();
        draw_bars(root, title, x_label, x_axis, &bars)
    } else {
        let (l0, l1) = if hi > lo {
            (lo, hi)
        } else {
            centred_range(lo, if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 }, bins)
        };
        for &v in values.iter().filter(|&&v| usable(v)) {
            counts[bin_index(v, l0, l1, bins)] += 1;
        }
        bars = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let e0 = lerp(l0, l1, i as f64 / bins as f64);
                let e1 = lerp(l0, l1, (i + 1) as f64 / bins as f64);
                (e0, e1, c as f64)
            })
            .collect();
        let x_axis: RangedCoordf64 = (l0..l1).into();
        draw_bars(root, title, x_label, x_axis, &bars)
    }
}

/// A range of width `2 * half` around `c`, shifted by half a bin when `bins`
/// is even so that `c` lies in the middle of a bin (not on a bin edge).
fn centred_range(c: f64, half: f64, bins: usize) -> (f64, f64) {
    let shift = if bins % 2 == 0 {
        half / bins as f64
    } else {
        0.0
    };
    (c - half - shift, c + half - shift)
}

/// `a + (b - a) * f`, computed without overflowing for huge `a`, `b`.
fn lerp(a: f64, b: f64, f: f64) -> f64 {
    a * (1.0 - f) + b * f
}

/// The bin (in `0..bins`) of `v` when `[lo, hi]` is cut into `bins` equal
/// bins; `hi` itself falls into the last bin.
fn bin_index(v: f64, lo: f64, hi: f64, bins: usize) -> usize {
    // Halved to stay finite even when `hi - lo` overflows.
    let f = (v / 2.0 - lo / 2.0) / (hi / 2.0 - lo / 2.0);
    let i = (f * bins as f64).floor();
    if i.is_nan() || i < 0.0 {
        0
    } else {
        (i as usize).min(bins - 1)
    }
}

/// Draws histogram bars `(left edge, right edge, count)` on the given x axis.
fn draw_bars<X>(
    root: &Root<'_>,
    title: &str,
    x_label: &str,
    x_axis: X,
    bars: &[(f64, f64, f64)],
) -> Result<()>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let max_count = bars.iter().map(|b| b.2).fold(0.0, f64::max).max(1.0);
    let mut chart = value_chart(root, title, x_axis, 0.0..max_count * 1.05, x_label, "count")?;
    let fill = PALETTE[0];
    chart
        .draw_series(
            bars.iter()
                .filter(|b| b.2 > 0.0)
                .map(|&(e0, e1, c)| Rectangle::new([(e0, 0.0), (e1, c)], fill.mix(0.75).filled())),
        )
        .map_err(plot_err)?;
    // Outlines only while bars are wide enough for them not to hide the fill.
    if bars.len() <= 200 {
        chart
            .draw_series(
                bars.iter()
                    .filter(|b| b.2 > 0.0)
                    .map(|&(e0, e1, c)| Rectangle::new([(e0, 0.0), (e1, c)], fill.stroke_width(1))),
            )
            .map_err(plot_err)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const PNG_MAGIC: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

    fn tmp() -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix("neuroplast-plots-")
            .tempdir_in(std::env::temp_dir())
            .expect("create temp dir")
    }

    fn assert_png(path: &Path) {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            bytes.len() > PNG_MAGIC.len(),
            "{} is too short",
            path.display()
        );
        assert_eq!(bytes[..8], PNG_MAGIC, "{} is not a PNG", path.display());
    }

    fn file(dir: &tempfile::TempDir, name: &str) -> PathBuf {
        dir.path().join(name)
    }

    #[test]
    fn raster_two_layers() {
        let dir = tmp();
        let steps_e: Vec<u64> = (0..5000).map(|k| k % 1000).collect();
        let ids_e: Vec<u32> = (0..5000).map(|k| (k * 7 % 200) as u32).collect();
        let steps_i: Vec<u64> = (0..1000).map(|k| (k * 3) % 1000).collect();
        let ids_i: Vec<u32> = (0..1000).map(|k| (k % 40) as u32).collect();
        let layers = [
            RasterLayer {
                name: "E",
                steps: &steps_e,
                ids: &ids_e,
                n: 200,
            },
            RasterLayer {
                name: "I",
                steps: &steps_i,
                ids: &ids_i,
                n: 40,
            },
        ];
        let p = file(&dir, "raster.png");
        raster(&p, "Spike raster", &layers, 0, 1000).unwrap();
        assert_png(&p);
    }

    #[test]
    fn raster_edge_cases() {
        let dir = tmp();
        // No layers at all.
        let p = file(&dir, "none.png");
        raster(&p, "empty", &[], 0, 100).unwrap();
        assert_png(&p);
        // Layers without spikes, an empty time range, and out-of-range spikes.
        let steps = [5u64, 50, 500];
        let ids = [0u32, 3, 99];
        let layers = [
            RasterLayer {
                name: "E",
                steps: &[],
                ids: &[],
                n: 10,
            },
            RasterLayer {
                name: "I",
                steps: &steps,
                ids: &ids,
                n: 4,
            },
        ];
        for (i, (t0, t1)) in [(0u64, 0u64), (10, 5), (0, 100), (u64::MAX - 1, u64::MAX)]
            .into_iter()
            .enumerate()
        {
            let p = file(&dir, &format!("edge{i}.png"));
            raster(&p, "edge", &layers, t0, t1).unwrap();
            assert_png(&p);
        }
        // Zero-sized populations.
        let p = file(&dir, "zero.png");
        raster(
            &p,
            "zero",
            &[RasterLayer {
                name: "E",
                steps: &[1],
                ids: &[0],
                n: 0,
            }],
            0,
            10,
        )
        .unwrap();
        assert_png(&p);
        // Mismatched parallel arrays are an error, not a panic.
        let bad = [RasterLayer {
            name: "E",
            steps: &[1, 2],
            ids: &[0],
            n: 3,
        }];
        assert!(raster(&file(&dir, "bad.png"), "bad", &bad, 0, 10).is_err());
    }

    #[test]
    fn raster_many_spikes() {
        let dir = tmp();
        let n = 1_000_000u64;
        let steps: Vec<u64> = (0..n).map(|k| k / 100).collect();
        let ids: Vec<u32> = (0..n).map(|k| ((k * 2_654_435_761) % 400) as u32).collect();
        let layers = [RasterLayer {
            name: "E",
            steps: &steps,
            ids: &ids,
            n: 400,
        }];
        let p = file(&dir, "dense.png");
        raster(&p, "dense", &layers, 0, n / 100).unwrap();
        assert_png(&p);
    }

    #[test]
    fn lines_basic_and_million_points() {
        let dir = tmp();
        let x: Vec<f64> = (0..200).map(f64::from).collect();
        let a: Vec<f64> = x.iter().map(|v| (v / 10.0).sin()).collect();
        let b: Vec<f64> = x.iter().map(|v| (v / 10.0).cos() * 0.5).collect();
        let p = file(&dir, "lines.png");
        lines(
            &p,
            "two series",
            "step",
            "value",
            &x,
            &[("sin", &a), ("cos", &b)],
        )
        .unwrap();
        assert_png(&p);

        let n = 1_000_000;
        let x: Vec<f64> = (0..n).map(|k| k as f64).collect();
        let mut y: Vec<f64> = (0..n).map(|k| (k as f64 / 5e4).sin()).collect();
        y[123_457] = 10.0; // a single spike must survive decimation
        let p = file(&dir, "long.png");
        lines(&p, "long", "step", "value", &x, &[("signal", &y)]).unwrap();
        assert_png(&p);
    }

    #[test]
    fn lines_edge_cases() {
        let dir = tmp();
        let cases: Vec<(&str, Vec<f64>, Vec<f64>)> = vec![
            ("empty", vec![], vec![]),
            ("single", vec![3.0], vec![7.0]),
            ("constant", vec![0.0, 1.0, 2.0], vec![5.0, 5.0, 5.0]),
            ("zeros", vec![0.0, 0.0], vec![0.0, 0.0]),
            ("all_nan", vec![0.0, 1.0], vec![f64::NAN, f64::NAN]),
            (
                "some_nan",
                vec![0.0, f64::NAN, 2.0, 3.0],
                vec![1.0, 2.0, f64::NAN, f64::INFINITY],
            ),
            ("huge", vec![-1e308, 1e308], vec![-1e308, 1e308]),
            ("big", vec![-1e300, 1e300], vec![-1e300, 1e300]),
            ("tiny_span", vec![0.0, 1e-20], vec![1e16, 1e16 + 2.0]),
        ];
        for (name, x, y) in &cases {
            let p = file(&dir, &format!("{name}.png"));
            lines(&p, name, "x", "y", x, &[(name, y)]).unwrap();
            assert_png(&p);
        }
        // No series at all, and an unnamed series.
        let p = file(&dir, "no_series.png");
        lines(&p, "none", "x", "y", &[1.0, 2.0], &[]).unwrap();
        assert_png(&p);
        let p = file(&dir, "unnamed.png");
        lines(&p, "unnamed", "x", "y", &[1.0, 2.0], &[("", &[1.0, 2.0])]).unwrap();
        assert_png(&p);
        // Length mismatch and a non-PNG path are errors.
        assert!(lines(
            &file(&dir, "bad.png"),
            "t",
            "x",
            "y",
            &[1.0],
            &[("a", &[1.0, 2.0])]
        )
        .is_err());
        assert!(lines(
            &file(&dir, "bad.svg"),
            "t",
            "x",
            "y",
            &[1.0],
            &[("a", &[1.0])]
        )
        .is_err());
    }

    #[test]
    fn decimation_keeps_extremes_and_bounds_size() {
        let n = 10_000_000;
        let x: Vec<f64> = (0..n).map(|k| k as f64).collect();
        let mut y = vec![0.0; n];
        y[4_321_987] = 42.0;
        y[9_999_999] = -3.0;
        let d = decimate(&x, &y, MAX_DRAWN_POINTS);
        assert!(d.len() <= MAX_DRAWN_POINTS, "{} points", d.len());
        assert!(d.contains(&(4_321_987.0, 42.0)));
        assert!(d.contains(&(9_999_999.0, -3.0)));
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0), "order preserved");
        // Short input is only filtered.
        let d = decimate(&[0.0, 1.0, 2.0], &[1.0, f64::NAN, 3.0], MAX_DRAWN_POINTS);
        assert_eq!(d, vec![(0.0, 1.0), (2.0, 3.0)]);
    }

    #[test]
    fn histogram_linear_and_log() {
        let dir = tmp();
        let values: Vec<f64> = (1..=10_000).map(|k| (k as f64 * 0.001).exp()).collect();
        let p = file(&dir, "hist.png");
        histogram(&p, "linear", "weight", &values, 50, false).unwrap();
        assert_png(&p);
        let p = file(&dir, "hist_log.png");
        histogram(&p, "log", "weight", &values, 50, true).unwrap();
        assert_png(&p);
    }

    #[test]
    fn histogram_edge_cases() {
        let dir = tmp();
        let cases: Vec<(&str, Vec<f64>)> = vec![
            ("empty", vec![]),
            ("single", vec![2.5]),
            ("constant", vec![4.0; 100]),
            ("zeros", vec![0.0; 10]),
            ("nan", vec![f64::NAN, 1.0, f64::NAN, 2.0, f64::NEG_INFINITY]),
            ("all_nan", vec![f64::NAN; 5]),
            ("negative", vec![-3.0, -1.0, 0.0]),
            ("huge", vec![-1e308, 1e308]),
            ("big", vec![-1e300, 1e300, 1e-300, 1e150, 1e-150]),
            ("tiny", vec![1e-320, 1e-200, 1e-10, 1.0]),
        ];
        for (name, values) in &cases {
            for log_x in [false, true] {
                for bins in [0, 30] {
                    let p = file(&dir, &format!("{name}_{log_x}_{bins}.png"));
                    histogram(&p, name, "value", values, bins, log_x).unwrap();
                    assert_png(&p);
                }
            }
        }
    }

    #[test]
    fn bin_index_is_clamped() {
        assert_eq!(bin_index(0.0, 0.0, 1.0, 10), 0);
        assert_eq!(bin_index(0.55, 0.0, 1.0, 10), 5);
        assert_eq!(bin_index(1.0, 0.0, 1.0, 10), 9);
        assert_eq!(bin_index(-1e308, -1e308, 1e308, 4), 0);
        assert_eq!(bin_index(1e308, -1e308, 1e308, 4), 3);
    }

    #[test]
    fn constant_values_sit_mid_bin() {
        for bins in [1, 2, 7, 20] {
            let (lo, hi) = centred_range(4.0, 0.4, bins);
            let i = bin_index(4.0, lo, hi, bins);
            let w = (hi - lo) / bins as f64;
            let mid = lo + (i as f64 + 0.5) * w;
            assert!((mid - 4.0).abs() < 1e-9, "bins {bins}: mid {mid}");
        }
    }

    #[test]
    fn tick_format() {
        assert_eq!(fmt_tick(&0.0), "0");
        assert_eq!(fmt_tick(&-0.0), "0");
        assert_eq!(fmt_tick(&1.5), "1.5");
        assert_eq!(fmt_tick(&1000.0), "1000");
        assert_eq!(fmt_tick(&0.0012), "0.0012");
        assert_eq!(fmt_tick(&2_000_000.0), "2e6");
        assert_eq!(fmt_tick(&2.5e-5), "2.5e-5");
    }

    #[test]
    fn creates_missing_directories() {
        let dir = tmp();
        let p = dir.path().join("a").join("b").join("plot.png");
        histogram(&p, "nested", "v", &[1.0, 2.0, 3.0], 3, false).unwrap();
        assert_png(&p);
    }
}
