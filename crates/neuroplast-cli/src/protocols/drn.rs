//! Files and figures of the `drn` protocol (Neurapse `DRN_Const` / `DRN_Plastic`).
//!
//! ```text
//! data/spike_steps.npy       u64, step of every spike (ascending)
//! data/spike_ids.npy         u32, neuron of every spike (excitatory 0..n_exc, then inhibitory)
//! data/mean_exc_weight.npy   f64, mean excitatory weight (units of I0) after each step (plastic)
//! plots/raster.png           the whole run, excitatory below, inhibitory above
//! plots/rate.png             excitatory and inhibitory population rates in 10-ms bins
//! plots/weights.png          the mean excitatory weight (plastic)
//! ```

use std::path::{Path, PathBuf};

use anyhow::Result;
use neuroplast_core::experiments::drn::Params;

use crate::plots::{self, RasterLayer};
use crate::results::read_npy_vec as load;

/// Draw the figures into `dir/plots` from the data files.
pub fn plot(dir: &Path, p: &Params) -> Result<Vec<PathBuf>> {
    let (data, plots_dir) = (dir.join("data"), dir.join("plots"));
    let steps: Vec<u64> = load(&data.join("spike_steps.npy"))?;
    let ids: Vec<u32> = load(&data.join("spike_ids.npy"))?;
    let (n, n_exc) = (p.n, p.n_exc());
    let mut out = Vec::new();

    // raster: excitatory and inhibitory layers
    let (mut es, mut ei, mut is, mut ii) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (&t, &i) in steps.iter().zip(&ids) {
        if (i as usize) < n_exc {
            es.push(t);
            ei.push(i);
        } else {
            is.push(t);
            ii.push(i - n_exc as u32);
        }
    }
    let path = plots_dir.join("raster.png");
    let title = format!(
        "DRN {:?}, N = {n}, γ = {} (step = {} ms)",
        p.variant, p.gamma, p.dt_ms
    );
    plots::raster(
        &path,
        &title,
        &[
            RasterLayer {
                name: "exc",
                steps: &es,
                ids: &ei,
                n: n_exc,
            },
            RasterLayer {
                name: "inh",
                steps: &is,
                ids: &ii,
                n: n - n_exc,
            },
        ],
        0,
        p.steps,
    )?;
    out.push(path);

    // population rates in 10-ms bins
    let bin = (10.0 / p.dt_ms).round().max(1.0) as u64;
    let nb = p.steps.div_ceil(bin) as usize;
    let (mut re, mut ri) = (vec![0.0; nb], vec![0.0; nb]);
    for (&t, &i) in steps.iter().zip(&ids) {
        let b = (t / bin) as usize;
        if (i as usize) < n_exc {
            re[b] += 1.0;
        } else {
            ri[b] += 1.0;
        }
    }
    let seconds = bin as f64 * p.dt_ms / 1000.0;
    for v in &mut re {
        *v /= n_exc as f64 * seconds;
    }
    for v in &mut ri {
        *v /= (n - n_exc).max(1) as f64 * seconds;
    }
    let x: Vec<f64> = (0..nb).map(|b| b as f64 * bin as f64 * p.dt_ms).collect();
    let path = plots_dir.join("rate.png");
    plots::lines(
        &path,
        "Population rate (10-ms bins)",
        "time (ms)",
        "rate (Hz)",
        &x,
        &[("exc", &re), ("inh", &ri)],
    )?;
    out.push(path);

    let wpath = data.join("mean_exc_weight.npy");
    if wpath.exists() {
        let w: Vec<f64> = load(&wpath)?;
        let x: Vec<f64> = (1..=w.len()).map(|k| k as f64 * p.dt_ms / 1000.0).collect();
        let path = plots_dir.join("weights.png");
        plots::lines(
            &path,
            "Mean excitatory weight",
            "time (s)",
            "w (units of I0)",
            &x,
            &[("", &w)],
        )?;
        out.push(path);
    }
    Ok(out)
}
