//! Files and figures of the `sorf` protocol.
//!
//! ```text
//! data/w_on_initial.npy, w_off_initial.npy, w_on_final.npy, w_off_final.npy
//!                          (n_exc, 32, 32) buffer → Exc weights, pixel = row·32 + col
//! data/exc_rates.npy, inh_rates.npy   (epochs, n_exc) rate per epoch and neuron, Hz
//! data/tuning.npy, inh_tuning.npy     (orientations, n_exc) test rates, Hz (θ = π·k/K)
//! data/weights_epochs.npy             (epochs, 2, n_exc, 32, 32) when record_epoch_weights
//! plots/receptive_fields.png          ON, OFF, ON − OFF per Exc neuron, before and after
//! plots/rates.png                     Exc and Inh rate per epoch
//! plots/tuning.png                    test tuning curves
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ndarray::{Array, IxDyn};
use ndarray_npy::read_npy;
use neuroplast_core::experiments::sorf::{Params, SIDE};

use crate::plots::{heatmaps, lines, Panel};

fn load(dir: &Path, name: &str) -> Result<(Vec<usize>, Vec<f64>)> {
    let path = dir.join("data").join(name);
    let a: Array<f64, IxDyn> =
        read_npy(&path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok((a.shape().to_vec(), a.iter().copied().collect()))
}

/// Draw the figures into `dir/plots` from the data files.
pub fn plot(dir: &Path, p: &Params) -> Result<Vec<PathBuf>> {
    let plots = dir.join("plots");
    let mut out = Vec::new();
    // receptive fields: rows = Exc neurons; columns ON, OFF, ON − OFF, before | after
    let mut mats = Vec::new();
    for stage in ["initial", "final"] {
        let (shape, on) = load(dir, &format!("w_on_{stage}.npy"))?;
        let (_, off) = load(dir, &format!("w_off_{stage}.npy"))?;
        let diff: Vec<f64> = on.iter().zip(&off).map(|(a, b)| a - b).collect();
        mats.push((stage, shape[0], on, off, diff));
    }
    let px = SIDE * SIDE;
    let n = mats[0].1;
    let mut titles = Vec::new();
    for e in 0..n {
        for (stage, ..) in &mats {
            for what in ["ON", "OFF", "ON−OFF"] {
                titles.push(format!("exc {e} {what} ({stage})"));
            }
        }
    }
    // ON/OFF magnitudes are not comparable to ON − OFF: one figure per kind keeps the
    // diverging scale meaningful
    for (k, what) in ["on", "off", "on_minus_off"].iter().enumerate() {
        let mut panels = Vec::new();
        let mut names = Vec::new();
        for e in 0..n {
            for (stage, ..) in &mats {
                names.push(format!("exc {e} ({stage})"));
            }
        }
        let mut idx = 0;
        for e in 0..n {
            for (_, _, on, off, diff) in &mats {
                let m = [on, off, diff][k];
                panels.push(Panel {
                    title: &names[idx],
                    rows: SIDE,
                    cols: SIDE,
                    values: &m[e * px..(e + 1) * px],
                });
                idx += 1;
            }
        }
        let path = plots.join(format!("receptive_fields_{what}.png"));
        heatmaps(
            &path,
            &format!("buffer → Exc weights, {what} (left: before, right: after)"),
            &panels,
            2 * mats.len().min(2),
            *what == "on_minus_off",
        )?;
        out.push(path);
    }
    let _ = titles;
    // rates per epoch
    let (shape, exc) = load(dir, "exc_rates.npy")?;
    let (_, inh) = load(dir, "inh_rates.npy")?;
    let (epochs, n) = (shape[0], shape[1]);
    let x: Vec<f64> = (1..=epochs).map(|e| e as f64).collect();
    let col = |v: &[f64], j: usize| -> Vec<f64> { (0..epochs).map(|e| v[e * n + j]).collect() };
    let mut series_data = Vec::new();
    for j in 0..n {
        series_data.push((format!("exc {j}"), col(&exc, j)));
    }
    for j in 0..n {
        series_data.push((format!("inh {j}"), col(&inh, j)));
    }
    let series: Vec<(&str, &[f64])> = series_data
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_slice()))
        .collect();
    let path = plots.join("rates.png");
    lines(&path, "rate per epoch", "epoch", "rate (Hz)", &x, &series)?;
    out.push(path);
    if p.test {
        let (shape, t) = load(dir, "tuning.npy")?;
        let (k, n) = (shape[0], shape[1]);
        let x: Vec<f64> = (0..k).map(|i| 180.0 * i as f64 / k as f64).collect();
        let data: Vec<(String, Vec<f64>)> = (0..n)
            .map(|j| (format!("exc {j}"), (0..k).map(|i| t[i * n + j]).collect()))
            .collect();
        let series: Vec<(&str, &[f64])> = data
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_slice()))
            .collect();
        let path = plots.join("tuning.png");
        lines(
            &path,
            "test tuning curves",
            "orientation (deg)",
            "rate (Hz)",
            &x,
            &series,
        )?;
        out.push(path);
    }
    Ok(out)
}
