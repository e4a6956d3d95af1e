//! The drawing behind the figure functions of `plots`: chart set-up, axes and ticks, the
//! raster, line, log-log, histogram and heat-map bodies.

use super::*;

/// Registers the embedded font as plotters' `sans-serif` family, once per
/// process.
pub(super) fn ensure_font() -> Result<()> {
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
pub(super) fn with_root<F>(path: &Path, draw: F) -> Result<()>
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
pub(super) fn plot_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("{e}")
}

/// A text style in the embedded font.
pub(super) fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FontFamily::SansSerif, size).into_font()).color(&BLACK)
}

/// Draws a title and a centred message on an otherwise empty image.
pub(super) fn draw_message(root: &Root<'_>, title: &str, message: &str) -> Result<()> {
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
pub(super) type ValueChart<'a, DB, X, Y> = ChartContext<
    'a,
    DB,
    Cartesian2d<<X as AsRangedCoord>::CoordDescType, <Y as AsRangedCoord>::CoordDescType>,
>;

/// A chart in the house layout (caption, margins, label areas) over f64 axes, with the light
/// grid and tick formatting shared by the line and histogram plots, mesh already drawn.
pub(super) fn value_chart<'a, DB, X, Y>(
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
pub(super) fn draw_legend<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>) -> Result<()>
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

pub(super) fn fmt_tick(v: &f64) -> String {
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
pub(super) fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Widens a degenerate (empty or zero-width) range so it can be drawn.
pub(super) fn padded(lo: f64, hi: f64, frac: f64) -> Range<f64> {
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
pub(super) fn plottable(v: f64) -> bool {
    v.is_finite() && v.abs() <= MAX_ABS
}

/// Minimum and maximum of the plottable values, if any.
pub(super) fn finite_bounds(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
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
pub(super) fn raster_impl(
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
pub(super) fn decimate(x: &[f64], y: &[f64], max_points: usize) -> Vec<(f64, f64)> {
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
pub(super) fn lines_impl(
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
pub(super) fn loglog_impl(
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
pub(super) fn histogram_impl(
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
pub(super) fn centred_range(c: f64, half: f64, bins: usize) -> (f64, f64) {
    let shift = if bins % 2 == 0 {
        half / bins as f64
    } else {
        0.0
    };
    (c - half - shift, c + half - shift)
}

/// `a + (b - a) * f`, computed without overflowing for huge `a`, `b`.
pub(super) fn lerp(a: f64, b: f64, f: f64) -> f64 {
    a * (1.0 - f) + b * f
}

/// The bin (in `0..bins`) of `v` when `[lo, hi]` is cut into `bins` equal
/// bins; `hi` itself falls into the last bin.
pub(super) fn bin_index(v: f64, lo: f64, hi: f64, bins: usize) -> usize {
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
pub(super) fn draw_bars<X>(
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
