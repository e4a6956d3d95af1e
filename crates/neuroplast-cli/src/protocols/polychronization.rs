//! Files and figures of the `polychronization` protocol.
//!
//! ```text
//! data/rate_exc_per_s.npy, rate_inh_per_s.npy   mean rate of each second, Hz (f64)
//! data/weights_final.npy                         excitatory weights at the end (f64)
//! data/counts_{first,last}_{exc,inh}.npy         excitatory / inhibitory spikes per ms in the
//!                                                first / last spectrum window (u32)
//! data/raster_{first,last}_{steps,ids}.npy       spikes of the first / last raster window
//! plots/rates.png                                rates per second (exc, inh)
//! plots/weights.png                              histogram of the final excitatory weights
//! plots/spectrum.png                             excitatory-rate spectrum, first and last window
//! plots/spectrum_all.png                         the same for all neurons
//! plots/raster_first.png, raster_last.png        rasters (excitatory below, inhibitory above)
//! ```

use std::path::{Path, PathBuf};

use anyhow::Result;
use neuroplast_core::experiments::polychronization::{sum, Params, Spectrum};

use crate::plots::{self, RasterLayer};
use crate::results::read_npy_vec;

/// Draw the figures into `dir/plots` from the data files.
pub fn plot(dir: &Path, p: &Params) -> Result<Vec<PathBuf>> {
    let (d, out) = (dir.join("data"), dir.join("plots"));
    let mut files = Vec::new();
    let re: Vec<f64> = read_npy_vec(&d.join("rate_exc_per_s.npy"))?;
    let ri: Vec<f64> = read_npy_vec(&d.join("rate_inh_per_s.npy"))?;
    let x: Vec<f64> = (0..re.len()).map(|s| s as f64 + 0.5).collect();
    let f = out.join("rates.png");
    plots::lines(
        &f,
        "Mean rate per second",
        "time (s)",
        "rate (Hz)",
        &x,
        &[("excitatory", &re), ("inhibitory", &ri)],
    )?;
    files.push(f);
    let w: Vec<f64> = read_npy_vec(&d.join("weights_final.npy"))?;
    let f = out.join("weights.png");
    plots::histogram(
        &f,
        &format!("Excitatory weights after {} s", re.len()),
        "weight",
        &w,
        50,
        false,
    )?;
    files.push(f);
    let counts = |name: &str| read_npy_vec::<u32>(&d.join(format!("counts_{name}.npy")));
    let (fe, fi, le, li) = (
        counts("first_exc")?,
        counts("first_inh")?,
        counts("last_exc")?,
        counts("last_inh")?,
    );
    let norm = |s: &Spectrum| -> Vec<f64> {
        let total: f64 = s.power.iter().sum::<f64>().max(1e-300);
        s.power.iter().map(|x| x / total).collect()
    };
    for (file, what, first, last) in [
        ("spectrum.png", "excitatory", fe.clone(), le.clone()),
        (
            "spectrum_all.png",
            "all neurons'",
            sum(&fe, &fi),
            sum(&le, &li),
        ),
    ] {
        let (sf, sl) = (Spectrum::of(&first, 0), Spectrum::of(&last, 0));
        let f = out.join(file);
        plots::lines(
            &f,
            &format!("Spectrum of the {what} rate (share of 0–100 Hz power)"),
            "frequency (Hz)",
            "power share",
            &sf.freq_hz,
            &[
                (&format!("first {} s", p.spectrum_s), &norm(&sf)),
                (&format!("last {} s", p.spectrum_s), &norm(&sl)),
            ],
        )?;
        files.push(f);
    }
    let ne = (0.8 * p.n as f64) as u32;
    for name in ["first", "last"] {
        let steps: Vec<u64> = read_npy_vec(&d.join(format!("raster_{name}_steps.npy")))?;
        let ids: Vec<u32> = read_npy_vec(&d.join(format!("raster_{name}_ids.npy")))?;
        let (mut es, mut ei, mut is, mut ii) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (&t, &i) in steps.iter().zip(&ids) {
            if i < ne {
                es.push(t);
                ei.push(i);
            } else {
                is.push(t);
                ii.push(i - ne);
            }
        }
        let (t0, t1) = match (steps.first(), steps.last()) {
            (Some(&a), Some(&b)) => ((a / 1000) * 1000, (b / 1000 + 1) * 1000),
            _ => (0, 1000),
        };
        let f = out.join(format!("raster_{name}.png"));
        plots::raster(
            &f,
            &format!("Spikes, {name} {} s", p.raster_s),
            &[
                RasterLayer {
                    name: "excitatory",
                    steps: &es,
                    ids: &ei,
                    n: ne as usize,
                },
                RasterLayer {
                    name: "inhibitory",
                    steps: &is,
                    ids: &ii,
                    n: p.n - ne as usize,
                },
            ],
            t0,
            t1,
        )?;
        files.push(f);
    }
    Ok(files)
}
