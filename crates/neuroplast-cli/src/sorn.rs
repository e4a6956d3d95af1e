//! The figures of a SORN results directory, drawn from its files (`neuroplast run` and
//! `neuroplast plot DIR` share this code).

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ndarray::Array1;
use ndarray_npy::{NpzReader, ReadableElement};

use serde_json::Value;

use crate::plots::{self, RasterLayer};

fn read<T: ReadableElement + Clone>(npz: &mut NpzReader<File>, name: &str) -> Result<Vec<T>> {
    let a: Array1<T> = npz
        .by_name(name)
        .with_context(|| format!("array {name:?} missing or of the wrong type"))?;
    Ok(a.to_vec())
}

fn npy<T: ReadableElement + Clone>(path: &Path) -> Result<Option<Vec<T>>> {
    if !path.exists() {
        return Ok(None);
    }
    let a: Array1<T> = ndarray_npy::read_npy(path)
        .with_context(|| format!("cannot read {} as a 1-D array", path.display()))?;
    Ok(Some(a.to_vec()))
}

fn open(path: &Path) -> Result<Option<NpzReader<File>>> {
    if !path.exists() {
        return Ok(None);
    }
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Some(NpzReader::new(f).with_context(|| {
        format!("{} is not an .npz file", path.display())
    })?))
}

/// Draw every figure whose data exists in `dir` into `dir/plots` (sizes and the step of the
/// first activity count from `summary`). Returns the files written.
pub fn figures(dir: &Path, summary: &Value, raster_steps: u64) -> Result<Vec<PathBuf>> {
    let size = |k: &str| summary[k].as_u64().unwrap_or(1).max(1) as usize;
    let (ne, ni) = (size("ne"), size("ni"));
    // 0 for runs written since spike steps start at 0; a directory written before has no
    // `spike_steps_from` and counts its first activity from step 1
    let first_step = summary["activity_first_step"].as_u64().unwrap_or(1);
    let out = dir.join("plots");
    std::fs::create_dir_all(&out)?;
    let mut written = Vec::new();

    if let (Some(mut e), Some(mut i)) = (
        open(&dir.join("spikes/e.npz"))?,
        open(&dir.join("spikes/i.npz"))?,
    ) {
        let (es, ei): (Vec<u64>, Vec<u32>) = (read(&mut e, "step")?, read(&mut e, "neuron")?);
        let (is, ii): (Vec<u64>, Vec<u32>) = (read(&mut i, "step")?, read(&mut i, "neuron")?);
        let t1 = es.iter().chain(&is).max().map_or(1, |&t| t + 1);
        let t0 = t1.saturating_sub(raster_steps);
        let window = |s: &[u64], n: &[u32]| -> (Vec<u64>, Vec<u32>) {
            s.iter()
                .zip(n)
                .filter(|(&t, _)| t >= t0)
                .map(|(&t, &k)| (t, k))
                .unzip()
        };
        let (es, ei) = window(&es, &ei);
        let (is, ii) = window(&is, &ii);
        let p = out.join("raster.png");
        plots::raster(
            &p,
            &format!("Raster, steps {t0}–{}", t1 - 1),
            &[
                RasterLayer {
                    name: "E",
                    steps: &es,
                    ids: &ei,
                    n: ne,
                },
                RasterLayer {
                    name: "I",
                    steps: &is,
                    ids: &ii,
                    n: ni,
                },
            ],
            t0,
            t1,
        )?;
        written.push(p);
    }

    if let (Some(e), Some(i)) = (
        npy::<u32>(&dir.join("activity_e.npy"))?,
        npy::<u32>(&dir.join("activity_i.npy"))?,
    ) {
        // Mean per bin: a min/max envelope of 10⁶ noisy steps would hide the trend.
        let bin = e.len().div_ceil(2_000).max(1);
        let x: Vec<f64> = (0..e.len())
            .step_by(bin)
            .map(|k| (first_step + k as u64) as f64)
            .collect();
        let frac = |v: &[u32], n: usize| -> Vec<f64> {
            v.chunks(bin)
                .map(|c| c.iter().map(|&a| a as f64).sum::<f64>() / (c.len() * n) as f64)
                .collect()
        };
        let (fe, fi) = (frac(&e, ne), frac(&i, ni));
        let p = out.join("activity.png");
        let title = if bin > 1 {
            format!("Population activity (mean over bins of {bin} steps)")
        } else {
            "Population activity".to_string()
        };
        plots::lines(
            &p,
            &title,
            "step",
            "fraction of units active",
            &x,
            &[("E", &fe), ("I", &fi)],
        )?;
        written.push(p);
    }

    if let (Some(f), Some(steps)) = (
        npy::<f64>(&dir.join("connection_fraction.npy"))?,
        npy::<u64>(&dir.join("connection_fraction_steps.npy"))?,
    ) {
        let x: Vec<f64> = steps.iter().map(|&s| s as f64).collect();
        let p = out.join("connection_fraction.png");
        plots::lines(
            &p,
            "E→E connection fraction",
            "step",
            "existing / possible synapses",
            &x,
            &[("E→E", &f)],
        )?;
        written.push(p);
    }

    if let Some(mut w) = open(&dir.join("weights/final.npz"))? {
        let ee: Vec<f64> = read(&mut w, "ee_w")?;
        let p = out.join("weights_histogram.png");
        plots::histogram(
            &p,
            &format!("Final E→E weights ({} synapses)", ee.len()),
            "weight (log scale)",
            &ee,
            50,
            true,
        )?;
        written.push(p);
        // Density of ln w with the fitted normal density: a lognormal distribution of w is a
        // straight match here (Zheng 2013, Song et al. 2005).
        if let Ok(fit) = neuroplast_core::analysis::weights::fit_weights(&ee) {
            let ln: Vec<f64> = ee.iter().map(|w| w.ln()).collect();
            let (lo, hi) = ln
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            let bins = 40usize;
            let width = ((hi - lo) / bins as f64).max(1e-12);
            let mut counts = vec![0usize; bins];
            for &v in &ln {
                counts[(((v - lo) / width) as usize).min(bins - 1)] += 1;
            }
            let x: Vec<f64> = (0..bins).map(|b| lo + (b as f64 + 0.5) * width).collect();
            let density: Vec<f64> = counts
                .iter()
                .map(|&c| c as f64 / (ln.len() as f64 * width))
                .collect();
            let (mu, sd) = (fit.lognormal_mu, fit.lognormal_sigma);
            let normal: Vec<f64> = x
                .iter()
                .map(|&v| {
                    (-(v - mu).powi(2) / (2.0 * sd * sd)).exp()
                        / (sd * (2.0 * std::f64::consts::PI).sqrt())
                })
                .collect();
            let p = out.join("weights_lognormal.png");
            let fit_label = format!("lognormal fit: μ = {mu:.2}, σ = {sd:.2}");
            plots::lines(
                &p,
                &format!(
                    "ln of final E→E weights ({} synapses; best fit: {})",
                    ee.len(),
                    format!("{:?}", fit.best).to_lowercase()
                ),
                "ln w",
                "density",
                &x,
                &[("data", &density), (&fit_label, &normal)],
            )?;
            written.push(p);
        }
    }
    Ok(written)
}
