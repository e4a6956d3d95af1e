//! `[analysis]` and `[readout]`: run on a finished run's files (so they work the same for
//! SORN and spiking runs, after `run` and after `resume`); results go into summary.json
//! (`analysis`, `readout`) and `DIR/analysis/`.

use std::path::Path;

use anyhow::Result;
use ndarray::ArrayView1;
use ndarray_npy::NpzWriter;
use neuroplast_config::schema::{AvalancheSpec, SpikeStatsSpec};
use neuroplast_config::{Experiment, ReadoutPlan};
use neuroplast_core::analysis::avalanches::Threshold;
use neuroplast_core::analysis::report::avalanche_report;
use neuroplast_core::analysis::stats::{self, Raster};
use neuroplast_core::analysis::weights::fit_weights;
use neuroplast_core::engine::Kind;
use neuroplast_core::monitor::ReadoutTrace;
use neuroplast_core::readout::ReadoutSpec;
use serde_json::{json, Value};

use crate::results::{read_npy_vec, read_npz, read_spikes};

/// Units of population `pop` and steps of the run, from summary.json.
fn size_of(summary: &Value, kind: Kind, pop: &str) -> usize {
    let n = match kind {
        Kind::Sorn => summary[if pop == "i" { "ni" } else { "ne" }].as_u64(),
        _ => summary["populations"][pop]["n"].as_u64(),
    };
    n.unwrap_or(0) as usize
}

/// Run the analyses `exp` asks for on the files of `dir`; write their data files into
/// `dir/analysis/`.
pub fn analyse(exp: &dyn Experiment, dir: &Path, summary: &Value) -> Result<Value> {
    let mut out = serde_json::Map::new();
    let spec = exp.analysis();
    if let Some(a) = &spec.avalanches {
        out.insert("avalanches".into(), avalanches(exp, a, dir, summary)?);
    }
    if spec.weights {
        let w = read_npz::<f64>(&dir.join("weights/final.npz"), &["ee_w"])?
            .and_then(|mut v| v.pop())
            .unwrap_or_default();
        let value = match fit_weights(&w) {
            Ok(f) => json!({
                "synapses": f.n,
                "best": format!("{:?}", f.best).to_lowercase(),
                "lognormal": { "mu": f.lognormal_mu, "sigma": f.lognormal_sigma, "loglik": f.lognormal_loglik },
                "normal": { "mean": f.normal_mean, "sd": f.normal_sd, "loglik": f.normal_loglik },
                "exponential": { "rate": f.exponential_rate, "loglik": f.exponential_loglik },
                "skewness_of_log_w": f.log_skewness,
            }),
            Err(e) => json!({ "error": e.to_string() }),
        };
        out.insert("weights_ee".into(), value);
    }
    if let Some(sp) = &spec.spikes {
        out.insert("spikes".into(), spike_statistics(exp, sp, dir, summary)?);
    }
    Ok(Value::Object(out))
}

/// The activity series of population `pop` in bins of `bin` steps, and the step of its first
/// bin: the recorded activity counts when there are (bins of one step), else counted from
/// the recorded spikes.
fn activity(
    exp: &dyn Experiment,
    pop: &str,
    bin: u64,
    dir: &Path,
    summary: &Value,
) -> Result<Option<(Vec<u32>, u64)>> {
    let counts = dir.join(format!("activity_{pop}.npy"));
    if bin == 1 && counts.exists() {
        let first = summary["activity_first_step"].as_u64().unwrap_or(0);
        return Ok(Some((read_npy_vec(&counts)?, first)));
    }
    let Some((steps, _)) = read_spikes(dir, pop)? else {
        return Ok(None);
    };
    let first = exp.recorded_from(pop).unwrap_or(0);
    let last = summary["steps"].as_u64().unwrap_or(0);
    let bins = last.saturating_sub(first).div_ceil(bin) as usize;
    let mut out = vec![0u32; bins];
    for s in steps {
        if s >= first {
            if let Some(c) = out.get_mut(((s - first) / bin) as usize) {
                *c += 1;
            }
        }
    }
    Ok(Some((out, first)))
}

fn avalanches(
    exp: &dyn Experiment,
    a: &AvalancheSpec,
    dir: &Path,
    summary: &Value,
) -> Result<Value> {
    let pop = a.population.as_deref().unwrap_or("e");
    let bin = a.bin_steps.unwrap_or(1).max(1);
    let Some((series, first)) = activity(exp, pop, bin, dir, summary)? else {
        return Ok(json!({ "skipped": format!("no activity or spikes of {pop:?} recorded") }));
    };
    // keep the bins that start at or after `discard_steps`
    let skip = usize::try_from(a.discard_steps.saturating_sub(first).div_ceil(bin))
        .unwrap_or(usize::MAX)
        .min(series.len());
    let series = &series[skip..];
    if series.is_empty() {
        return Ok(json!({ "skipped": format!(
            "no recorded steps after discard_steps = {} (the run has {} steps)",
            a.discard_steps, summary["steps"]
        ) }));
    }
    let threshold = a.threshold.map_or(Threshold::HalfMean, Threshold::Fixed);
    // windows were filled in when the experiment was resolved
    let (dw, sw) = (
        a.duration_window.unwrap_or([1, 2]),
        a.size_window.unwrap_or([1, 2]),
    );
    Ok(match avalanche_report(series, threshold, dw, sw) {
        Ok((av, report)) => {
            std::fs::create_dir_all(dir.join("analysis"))?;
            let f = std::fs::File::create(dir.join("analysis/avalanches.npz"))?;
            let mut w = NpzWriter::new(std::io::BufWriter::new(f));
            w.add_array("duration", &ArrayView1::from(&av.durations))?;
            w.add_array("size", &ArrayView1::from(&av.sizes))?;
            w.finish()?;
            let mut v = serde_json::to_value(&report)?;
            v["population"] = json!(pop);
            v["bin_steps"] = json!(bin);
            v["bins_analysed"] = json!(series.len());
            v["steps_analysed"] = json!(series.len() as u64 * bin);
            v
        }
        Err(e) => json!({ "error": e.to_string() }),
    })
}

/// Statistics of the recorded spikes of one population over the steps its monitor covers.
fn spike_statistics(
    exp: &dyn Experiment,
    sp: &SpikeStatsSpec,
    dir: &Path,
    summary: &Value,
) -> Result<Value> {
    let pop = sp.population.as_deref().unwrap_or("e");
    let Some((steps, ids)) = read_spikes(dir, pop)? else {
        return Ok(json!({ "skipped": format!("no spikes of {pop:?} recorded") }));
    };
    let first = exp.recorded_from(pop).unwrap_or(0);
    let last = summary["steps"].as_u64().unwrap_or(0);
    if last <= first {
        return Ok(json!({ "skipped": "no steps recorded" }));
    }
    let n_steps = (last - first) as usize;
    let n = size_of(summary, exp.kind(), pop);
    if n_steps.saturating_mul(n) > 1 << 31 {
        return Ok(json!({ "skipped": format!(
            "a raster of {n_steps} steps × {n} units would need {} MiB; record a shorter spike window",
            n_steps.saturating_mul(n) >> 20
        ) }));
    }
    let r = match Raster::from_events(&steps, &ids, first, n_steps, n) {
        Ok(r) => r,
        Err(e) => return Ok(json!({ "error": e.to_string() })),
    };
    // rates per step; in Hz when the step has a length
    let hz = exp.dt_ms().map_or(1.0, |dt| 1000.0 / dt);
    let rates: Vec<f64> = stats::firing_rates(&r).iter().map(|x| x * hz).collect();
    let cv: Vec<f64> = stats::isi_cv(&r)
        .into_iter()
        .map(|c| c.unwrap_or(f64::NAN))
        .collect();
    let fano: Vec<f64> = (0..r.units())
        .map(|i| {
            stats::fano_factor(&r, i, sp.fano_window)
                .ok()
                .and_then(|f| f.fano)
                .unwrap_or(f64::NAN)
        })
        .collect();
    let activity: Vec<f64> = stats::network_activity(&r)
        .into_iter()
        .map(f64::from)
        .collect();
    let finite_mean = |v: &[f64]| {
        let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        (!f.is_empty()).then(|| f.iter().sum::<f64>() / f.len() as f64)
    };
    std::fs::create_dir_all(dir.join("analysis"))?;
    let f = std::fs::File::create(dir.join("analysis/spike_statistics.npz"))?;
    let mut w = NpzWriter::new(std::io::BufWriter::new(f));
    w.add_array("rate", &ArrayView1::from(&rates))?;
    w.add_array("isi_cv", &ArrayView1::from(&cv))?;
    w.add_array("fano_factor", &ArrayView1::from(&fano))?;
    w.finish()?;
    Ok(json!({
        "population": pop,
        "first_step": first,
        "steps": n_steps,
        "units": r.units(),
        "rate_unit": if exp.dt_ms().is_some() { "Hz" } else { "spikes per step" },
        "network_rate": stats::network_firing_rate(&r) * hz,
        "silent_units": rates.iter().filter(|&&x| x == 0.0).count(),
        "rate_min": rates.iter().copied().fold(f64::INFINITY, f64::min),
        "rate_max": rates.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "isi_cv_mean": finite_mean(&cv),
        "fano_window": sp.fano_window,
        "fano_factor_mean": finite_mean(&fano),
        // K(K−1)/2 co-spike counters: limited to 10 000 units (200 MB).
        "mean_pairwise_correlation": (n <= 10_000).then(|| stats::mean_pairwise_correlation(&r)).flatten(),
        "spike_source_entropy": stats::spike_source_entropy(&r),
        "activity_smoothness": stats::smoothness(&activity),
        "activity_autocorrelation_lag": sp.autocorrelation_lag,
        "activity_autocorrelation": stats::autocorrelation(&activity, sp.autocorrelation_lag),
    }))
}

/// Train and test the `[readout]` on the files of `dir`; `None` without a readout.
pub fn readout(exp: &dyn Experiment, dir: &Path, summary: &Value) -> Result<Option<Value>> {
    let Some(plan) = exp.readout() else {
        return Ok(None);
    };
    let t0 = std::time::Instant::now();
    let prepared = match &plan {
        ReadoutPlan::Symbols(spec) => symbol_trace(dir).map(|t| t.map(|(tr, a)| (tr, a, spec))),
        ReadoutPlan::Bins {
            spec,
            population,
            bin_steps,
            label_population,
            groups,
        } => bin_trace(
            exp,
            dir,
            summary,
            spec,
            population,
            *bin_steps,
            label_population,
            *groups,
        )
        .map(|t| t.map(|(tr, a)| (tr, a, spec))),
    };
    let value = match prepared {
        Err(e) => json!({ "error": crate::session::chain(&e) }),
        Ok(None) => json!({ "error": "no readout data was recorded (was the run stopped early?)" }),
        Ok(Some((trace, alphabet, spec))) => {
            match neuroplast_core::readout::evaluate(&trace, &alphabet, spec) {
                Ok(report) => {
                    let mut v = serde_json::to_value(&report).unwrap_or(Value::Null);
                    v["per_symbol"] = report
                        .per_symbol
                        .iter()
                        .map(|s| (s.symbol.to_string(), json!(s.accuracy)))
                        .collect::<serde_json::Map<_, _>>()
                        .into();
                    v["fit_seconds"] = json!(t0.elapsed().as_secs_f64());
                    v
                }
                Err(e) => json!({ "error": e.to_string() }),
            }
        }
    };
    Ok(Some(value))
}

/// The SORN readout trace the engine wrote (`readout/trace.npz`) and its alphabet.
fn symbol_trace(dir: &Path) -> Result<Option<(ReadoutTrace, Vec<char>)>> {
    let path = dir.join("readout/trace.npz");
    let Some(states) = read_npz::<u8>(&path, &["states"])? else {
        return Ok(None);
    };
    let ints =
        read_npz::<u32>(&path, &["symbols", "positions", "alphabet"])?.expect("the file exists");
    let first = read_npz::<u64>(&path, &["first_step"])?.expect("the file exists");
    let states = states.into_iter().next().unwrap_or_default();
    let (symbols, positions, alphabet) = (&ints[0], &ints[1], &ints[2]);
    let width = states.len() / symbols.len().max(1);
    let trace = ReadoutTrace {
        first_step: first[0].first().copied().unwrap_or(0),
        width,
        states,
        symbols: symbols.iter().map(|&s| s as u16).collect(),
        positions: positions.clone(),
    };
    let alphabet = alphabet.iter().filter_map(|&c| char::from_u32(c)).collect();
    Ok(Some((trace, alphabet)))
}

/// Spike counts of `population` in the run's last `train + test` bins as features, each bin
/// labelled by the group of `label_population` that spiked most in it (labels `0`, `1`, …).
#[allow(clippy::too_many_arguments)] // reason: the fields of ReadoutPlan::Bins
fn bin_trace(
    exp: &dyn Experiment,
    dir: &Path,
    summary: &Value,
    spec: &ReadoutSpec,
    population: &str,
    bin: u64,
    label_population: &str,
    groups: usize,
) -> Result<Option<(ReadoutTrace, Vec<char>)>> {
    let (Some((f_steps, f_ids)), Some((l_steps, l_ids))) = (
        read_spikes(dir, population)?,
        read_spikes(dir, label_population)?,
    ) else {
        return Ok(None);
    };
    let last = summary["steps"].as_u64().unwrap_or(0);
    let bins = spec.train_steps + spec.test_steps;
    let first = last.saturating_sub(bins * bin);
    let (n, m) = (
        size_of(summary, exp.kind(), population),
        size_of(summary, exp.kind(), label_population),
    );
    let nb = bins as usize;
    let mut counts = vec![0u8; nb * n];
    for (&s, &i) in f_steps.iter().zip(&f_ids) {
        if s >= first && s < last && (i as usize) < n {
            let b = ((s - first) / bin) as usize;
            let c = &mut counts[b * n + i as usize];
            *c = c.saturating_add(1);
        }
    }
    let per_group = m.div_ceil(groups).max(1);
    let mut votes = vec![0u32; nb * groups];
    for (&s, &i) in l_steps.iter().zip(&l_ids) {
        if s >= first && s < last {
            let b = ((s - first) / bin) as usize;
            let g = (i as usize / per_group).min(groups - 1);
            votes[b * groups + g] += 1;
        }
    }
    let labels: Vec<u16> = votes
        .chunks(groups)
        .map(|v| {
            let best = v.iter().copied().max().unwrap_or(0);
            v.iter().position(|&x| x == best).unwrap_or(0) as u16
        })
        .collect();
    let alphabet: Vec<char> = (0..groups)
        .map(|g| char::from_digit(g as u32 % 36, 36).unwrap_or('?'))
        .collect();
    Ok(Some((
        ReadoutTrace {
            first_step: first,
            width: n,
            states: counts,
            positions: vec![0; nb],
            symbols: labels,
        },
        alphabet,
    )))
}
