//! The parts of a spiking file that are resolved against the rest of it: `[analysis]` and
//! `[readout]` (populations recorded, windows and bins), and numbers given as `.npy` paths.

use std::path::Path;

use neuroplast_core::readout::{ReadoutSpec, Target};
use neuroplast_core::spiking::connector::Value;

use super::schema::{NumberOr, SpikingFile, SpikingReadout};
use crate::experiment::ReadoutPlan;
use crate::{ConfigError, Result};

/// `ms` as a whole number of steps of `dt` ms; `path` names the key in errors.
pub(super) fn whole_steps(file: &str, path: &str, ms: f64, dt: f64) -> Result<u64> {
    if !(ms.is_finite() && ms >= 0.0) {
        return Err(ConfigError::new(
            file,
            path,
            format!("must be a time ≥ 0 ms, got {ms}"),
        ));
    }
    let s = ms / dt;
    let r = s.round();
    if (s - r).abs() > 1e-9 * r.max(1.0) {
        return Err(ConfigError::new(
            file,
            path,
            format!("{ms} ms is not a whole number of time steps (dt = {dt} ms)"),
        ));
    }
    Ok(r as u64)
}

/// The first population whose spikes are recorded (the analyses' default).
fn first_recorded(file: &SpikingFile) -> Option<&str> {
    file.record
        .populations
        .iter()
        .find(|(_, r)| r.spikes.as_ref().is_some_and(|s| s.enabled))
        .map(|(k, _)| k.as_str())
}

/// Whether the spikes of population `pop` are recorded (all neurons, from the start).
fn records_spikes(file: &SpikingFile, pop: &str) -> bool {
    file.record
        .populations
        .iter()
        .find(|(k, _)| k == pop)
        .and_then(|(_, r)| r.spikes.as_ref())
        .is_some_and(|s| s.enabled && s.neurons.is_none())
}

/// `[analysis]` of a spiking file: populations named and recorded, avalanche windows
/// resolved (so the resolved file states them).
pub(super) fn resolve_analysis(file: &mut SpikingFile, name: &str, dt: f64) -> Result<()> {
    let _ = dt;
    if file.analysis.weights {
        return Err(ConfigError::new(
            name,
            "analysis.weights",
            "fits the E→E weights of a SORN network; a spiking file has no [sorn] (read a projection's weights in Python instead)",
        ));
    }
    let default = first_recorded(file).map(str::to_string);
    let check = |file: &SpikingFile, key: &str, pop: &Option<String>| -> Result<String> {
        let pop = match pop.clone().or_else(|| default.clone()) {
            Some(p) => p,
            None => {
                return Err(ConfigError::new(
                    name,
                    key,
                    "needs recorded spikes: add `[record.<population>] spikes = true`",
                ))
            }
        };
        if file.populations.get(&pop).is_none() {
            return Err(ConfigError::new(
                name,
                key,
                format!(
                    "no population named {pop:?}; populations: {}",
                    file.populations
                        .iter()
                        .map(|(k, _)| k)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if !records_spikes(file, &pop) {
            return Err(ConfigError::new(
                name,
                key,
                format!(
                    "needs the spikes of every neuron of {pop:?}: set [record.{pop}] spikes = true"
                ),
            ));
        }
        Ok(pop)
    };
    if let Some(sp) = file.analysis.spikes.clone() {
        let pop = check(file, "analysis.spikes.population", &sp.population)?;
        if sp.fano_window == 0 || sp.autocorrelation_lag == 0 {
            let key = if sp.fano_window == 0 {
                "fano_window"
            } else {
                "autocorrelation_lag"
            };
            return Err(ConfigError::new(
                name,
                format!("analysis.spikes.{key}"),
                "must be ≥ 1 step, got 0",
            ));
        }
        file.analysis.spikes.as_mut().expect("checked").population = Some(pop);
    }
    if let Some(av) = file.analysis.avalanches.clone() {
        let pop = check(file, "analysis.avalanches.population", &av.population)?;
        if av.bin_steps == Some(0) {
            return Err(ConfigError::new(
                name,
                "analysis.avalanches.bin_steps",
                "must be ≥ 1 step, got 0",
            ));
        }
        let n = file.populations.get(&pop).map_or(0, |p| p.n);
        let a = file.analysis.avalanches.as_mut().expect("checked");
        a.population = Some(pop.clone());
        a.bin_steps = Some(av.bin_steps.unwrap_or(1));
        a.resolve_windows(n, &format!("population {pop:?} of {n} neurons"), name)?;
    }
    Ok(())
}

/// `[readout]` of a spiking file as the plan the front end runs after the run.
pub(super) fn resolve_readout(
    r: &SpikingReadout,
    file: &SpikingFile,
    name: &str,
    dt: f64,
    steps: u64,
) -> Result<ReadoutPlan> {
    let err = |key: &str, msg: String| ConfigError::new(name, format!("readout.{key}"), msg);
    for (key, pop) in [
        ("population", &r.population),
        ("labels.population", &r.labels.population),
    ] {
        let Some(p) = file.populations.get(pop) else {
            return Err(err(key, format!("no population named {pop:?}")));
        };
        if !records_spikes(file, pop) {
            return Err(err(
                key,
                format!(
                    "needs the spikes of every neuron of {pop:?}: set [record.{pop}] spikes = true"
                ),
            ));
        }
        if key == "labels.population" && (r.labels.groups < 2 || r.labels.groups > p.n) {
            return Err(err(
                "labels.groups",
                format!(
                    "must be from 2 to the population's size {}, got {}",
                    p.n, r.labels.groups
                ),
            ));
        }
    }
    let bin = whole_steps(name, "readout.bin_ms", r.bin_ms, dt)?;
    if bin == 0 {
        return Err(err(
            "bin_ms",
            format!("must be at least one step ({dt} ms), got {}", r.bin_ms),
        ));
    }
    let k = r.predict_ahead;
    for (key, v) in [("train_bins", r.train_bins), ("test_bins", r.test_bins)] {
        if v <= k {
            return Err(err(
                key,
                format!("must be larger than readout.predict_ahead = {k}, got {v}"),
            ));
        }
    }
    let need = (r.train_bins + r.test_bins).saturating_mul(bin);
    if need > steps {
        return Err(err(
            "train_bins",
            format!(
                "train_bins + test_bins = {} bins of {bin} steps need {need} steps, more than the run's {steps}",
                r.train_bins + r.test_bins
            ),
        ));
    }
    let method = r
        .fit
        .method("readout.fit")
        .map_err(|e| ConfigError::from_core(name, e))?;
    Ok(ReadoutPlan::Bins {
        spec: ReadoutSpec {
            train_steps: r.train_bins,
            test_steps: r.test_bins,
            features: Default::default(),
            target: Target::Symbol,
            predict_ahead: k,
            exclude: Vec::new(),
            method,
        },
        population: r.population.clone(),
        bin_steps: bin,
        label_population: r.labels.population.clone(),
        groups: r.labels.groups,
    })
}

/// A number, list, value table or `.npy` path read from a TOML value; a `.npy` path is read
/// now (relative to `base_dir`) and kept, absolute, for the resolved file.
pub(super) fn resolve_number(
    v: toml::Value,
    file: &str,
    key: &str,
    base_dir: &Path,
) -> Result<NumberOr> {
    let n: NumberOr = crate::error::deserialize(v, file, key)?;
    resolve_number_or(n, file, key, base_dir)
}

pub(super) fn resolve_number_or(
    n: NumberOr,
    file: &str,
    key: &str,
    base_dir: &Path,
) -> Result<NumberOr> {
    let Some(rel) = n.1 else {
        return Ok(n);
    };
    let path = if rel.is_absolute() {
        rel
    } else {
        base_dir.join(rel)
    };
    let a: ndarray::Array1<f64> = ndarray_npy::read_npy(&path).map_err(|e| {
        ConfigError::new(
            file,
            key,
            format!(
                "cannot read {} as a one-dimensional float64 .npy array: {e}",
                path.display()
            ),
        )
    })?;
    let abs = std::fs::canonicalize(&path).unwrap_or(path);
    Ok(NumberOr(Value::Array { values: a.to_vec() }, Some(abs)))
}
