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
static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
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

mod draw;
use draw::*;

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
