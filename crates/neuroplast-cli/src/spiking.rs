//! The figures of a spiking results directory (`[populations]` files), drawn from its files:
//! a raster of every recorded population, the recorded state variables, the population
//! rates and activities.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ndarray::{Array1, Array2};
use ndarray_npy::{NpzReader, ReadableElement};
use neuroplast_config::spiking::SpikingExperiment;
use neuroplast_core::spiking::monitor::MonitorSpec;

use crate::plots::{self, RasterLayer};

fn read_npz<T: ReadableElement + Clone>(npz: &mut NpzReader<File>, name: &str) -> Result<Vec<T>> {
    let a: Array1<T> = npz
        .by_name(name)
        .with_context(|| format!("array {name:?} missing or of the wrong type"))?;
    Ok(a.to_vec())
}

fn read_npy<T: ReadableElement + Clone>(path: &Path) -> Result<Vec<T>> {
    let a: Array1<T> = ndarray_npy::read_npy(path)
        .with_context(|| format!("cannot read {} as a 1-D array", path.display()))?;
    Ok(a.to_vec())
}

fn unit_of(var: &str) -> &'static str {
    match var {
        "v" => "mV",
        v if v.starts_with("g_") => "µS",
        "w" | "i_syn_exc" | "i_syn_inh" => "nA",
        _ => "",
    }
}

/// Draw the figures of a spiking results directory from its files into `dir/plots`; `steps`
/// is the run's length so far.
pub fn figures(dir: &Path, exp: &SpikingExperiment, steps: u64) -> Result<Vec<PathBuf>> {
    let out = dir.join("plots");
    std::fs::create_dir_all(&out)?;
    let dt = exp.dt_ms();
    let mut written = Vec::new();

    // Raster: every recorded population, stacked, in file order; the last raster_ms.
    let mut data: Vec<(String, usize, Vec<u64>, Vec<u32>)> = Vec::new();
    for (name, pop) in exp.file.populations.iter() {
        let p = dir.join("spikes").join(format!("{name}.npz"));
        if !p.exists() {
            continue;
        }
        let f = File::open(&p).with_context(|| format!("cannot open {}", p.display()))?;
        let mut z = NpzReader::new(f).with_context(|| format!("{} is not .npz", p.display()))?;
        data.push((
            name.to_string(),
            pop.n,
            read_npz(&mut z, "step")?,
            read_npz(&mut z, "neuron")?,
        ));
    }
    if !data.is_empty() {
        let t1 = steps.max(1);
        let window = (exp.file.output.raster_ms / dt).round() as u64;
        let t0 = t1.saturating_sub(window.max(1));
        let layers: Vec<RasterLayer<'_>> = data
            .iter()
            .map(|(name, n, s, i)| RasterLayer {
                name,
                steps: s,
                ids: i,
                n: *n,
            })
            .collect();
        let p = out.join("raster.png");
        plots::raster(
            &p,
            &format!(
                "Raster, {:.1}–{:.1} ms (dt = {dt} ms)",
                t0 as f64 * dt,
                t1 as f64 * dt
            ),
            &layers,
            t0,
            t1,
        )?;
        written.push(p);
    }

    // State traces, in ms.
    for m in &exp.monitors {
        let MonitorSpec::State {
            population,
            variable,
            neurons,
            ..
        } = &m.spec
        else {
            continue;
        };
        let vp = dir
            .join("state")
            .join(format!("{population}_{variable}.npy"));
        let sp = dir
            .join("state")
            .join(format!("{population}_{variable}_steps.npy"));
        if !vp.exists() || !sp.exists() {
            continue;
        }
        let values: Array2<f64> = ndarray_npy::read_npy(&vp)
            .with_context(|| format!("cannot read {} as a 2-D array", vp.display()))?;
        let steps: Vec<u64> = read_npy(&sp)?;
        let x: Vec<f64> = steps.iter().map(|&s| (s + 1) as f64 * dt).collect();
        let shown = neurons.len().min(10);
        let cols: Vec<(String, Vec<f64>)> = (0..shown)
            .map(|c| (format!("neuron {}", neurons[c]), values.column(c).to_vec()))
            .collect();
        let series: Vec<(&str, &[f64])> = cols
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let p = out.join(format!("state_{population}_{variable}.png"));
        let unit = unit_of(variable);
        plots::lines(
            &p,
            &format!(
                "{population}: {variable}{}",
                if shown < neurons.len() {
                    format!(" (first {shown} of {} recorded neurons)", neurons.len())
                } else {
                    String::new()
                }
            ),
            "time (ms)",
            &if unit.is_empty() {
                variable.clone()
            } else {
                format!("{variable} ({unit})")
            },
            &x,
            &series,
        )?;
        written.push(p);
    }

    // Rates: populations with the same bins share rate.png; others get rate_<pop>.png.
    let mut rates: Vec<(String, Vec<u64>, Vec<f64>)> = Vec::new();
    for m in &exp.monitors {
        if let MonitorSpec::Rate { population, .. } = &m.spec {
            let vp = dir.join("rate").join(format!("{population}.npy"));
            let sp = dir.join("rate").join(format!("{population}_steps.npy"));
            if vp.exists() && sp.exists() {
                rates.push((population.clone(), read_npy(&sp)?, read_npy(&vp)?));
            }
        }
    }
    if let Some((_, steps0, _)) = rates.first() {
        let steps0 = steps0.clone();
        let x: Vec<f64> = steps0.iter().map(|&s| s as f64 * dt).collect();
        let (same, other): (Vec<_>, Vec<_>) = rates.iter().partition(|r| r.1 == steps0);
        let series: Vec<(&str, &[f64])> = same
            .iter()
            .map(|r| (r.0.as_str(), r.2.as_slice()))
            .collect();
        let p = out.join("rate.png");
        plots::lines(&p, "Population rate", "time (ms)", "rate (Hz)", &x, &series)?;
        written.push(p);
        for r in other {
            let x: Vec<f64> = r.1.iter().map(|&s| s as f64 * dt).collect();
            let p = out.join(format!("rate_{}.png", r.0));
            plots::lines(
                &p,
                &format!("Population rate: {}", r.0),
                "time (ms)",
                "rate (Hz)",
                &x,
                &[(r.0.as_str(), r.2.as_slice())],
            )?;
            written.push(p);
        }
    }
    Ok(written)
}
