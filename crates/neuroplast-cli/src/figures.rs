//! The figures of a results directory: the kind's own (SORN in `sorn.rs`, spiking in
//! `spiking.rs`, each protocol in `protocols/`) plus those every kind shares (the avalanche
//! size and duration distributions with their power-law fits, when `[analysis] avalanches`
//! ran). Drawn from the files only, so `neuroplast run` and `neuroplast plot DIR` give the
//! same figures.

use std::path::{Path, PathBuf};

use anyhow::Result;
use neuroplast_config::protocol::ProtocolExperiment;
use neuroplast_config::spiking::SpikingExperiment;
use neuroplast_config::Experiment;
use neuroplast_core::analysis::report::{log_binned_pmf, pooled_report, Fit, PowerLawReport};
use neuroplast_core::engine::Kind;
use serde_json::Value;

use crate::plots::{self, LogSeries};

/// Draw every figure of `dir` (experiment `exp`, its `summary.json` content `summary`) into
/// `dir/plots`; the files written.
pub fn draw(dir: &Path, exp: &dyn Experiment, summary: &Value) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir.join("plots"))?;
    let mut files = match exp.kind() {
        Kind::Sorn => crate::sorn::figures(dir, summary, exp.output().raster_steps)?,
        Kind::Spiking => {
            let e = exp
                .as_any()
                .downcast_ref::<SpikingExperiment>()
                .expect("a spiking file is a SpikingExperiment");
            let steps = summary["steps"].as_u64().unwrap_or(e.steps());
            crate::spiking::figures(dir, e, steps)?
        }
        Kind::Protocol(_) => {
            let e = exp
                .as_any()
                .downcast_ref::<ProtocolExperiment>()
                .expect("a protocol file is a ProtocolExperiment");
            crate::protocols::plot_dir(dir, e)?
        }
    };
    files.extend(avalanches(dir, exp)?);
    Ok(files)
}

/// The avalanche duration and size distributions of one run with their power-law fits
/// (`plots/avalanche_duration.png`, `plots/avalanche_size.png`), if `[analysis] avalanches`
/// wrote `analysis/avalanches.npz`.
fn avalanches(dir: &Path, exp: &dyn Experiment) -> Result<Vec<PathBuf>> {
    let Some(spec) = exp.analysis().avalanches else {
        return Ok(Vec::new());
    };
    let path = dir.join("analysis/avalanches.npz");
    let Some(arrays) = crate::results::read_npz::<u64>(&path, &["duration", "size"])? else {
        return Ok(Vec::new());
    };
    let (d, s) = (&arrays[0], &arrays[1]);
    if d.is_empty() {
        return Ok(Vec::new());
    }
    let (dw, sw) = (
        spec.duration_window.unwrap_or([1, 2]),
        spec.size_window.unwrap_or([1, 2]),
    );
    let rep = pooled_report(d, s, 1, dw, sw);
    let mut out = Vec::new();
    for (what, data, fit, unit) in [
        ("duration", d, &rep.duration, "steps"),
        ("size", s, &rep.size, "spikes"),
    ] {
        let p = dir.join("plots").join(format!("avalanche_{what}.png"));
        distribution_plot(
            &p,
            &format!("Avalanche {what}s ({} avalanches)", data.len()),
            &format!("{what} ({unit})"),
            (data, "this run"),
            fit,
        )?;
        out.push(p);
    }
    Ok(out)
}

/// An avalanche distribution (log bins: one run's, or pooled over a sweep point's seeds by
/// `pooled`) and the fitted power law over its window, scaled to the fraction of data inside
/// the window.
pub(crate) fn distribution_plot(
    path: &Path,
    title: &str,
    what: &str,
    (data, data_label): (&[u64], &str),
    fit: &Fit<PowerLawReport>,
) -> Result<()> {
    let (x, p) = log_binned_pmf(data, 10);
    let mut series = vec![LogSeries {
        name: data_label,
        x: &x,
        y: &p,
        line: false,
    }];
    let (fx, fy, label);
    if let Fit::Done(r) = fit {
        let [lo, hi] = r.window;
        let norm: f64 = (lo..=hi).map(|k| (k as f64).powf(-r.exponent)).sum();
        let frac = r.n_in_window as f64 / data.len().max(1) as f64;
        fx = (lo..=hi).map(|k| k as f64).collect::<Vec<_>>();
        fy = fx
            .iter()
            .map(|&k| frac * k.powf(-r.exponent) / norm)
            .collect::<Vec<_>>();
        label = format!("power law, exponent {:.2} on [{lo}, {hi}]", r.exponent);
        series.push(LogSeries {
            name: &label,
            x: &fx,
            y: &fy,
            line: true,
        });
    }
    plots::loglog(path, title, what, "probability", &series)
}
