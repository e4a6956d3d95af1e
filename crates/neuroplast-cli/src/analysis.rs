//! `[analysis]`: analyses run on a finished run's recordings; results go into summary.json
//! (`analysis`) and `DIR/analysis/`.

use std::path::Path;

use anyhow::Result;
use ndarray::ArrayView1;
use ndarray_npy::NpzWriter;
use neuroplast_config::schema::SpikeStatsSpec;
use neuroplast_config::Experiment;
use neuroplast_core::analysis::avalanches::Threshold;
use neuroplast_core::analysis::report::avalanche_report;
use neuroplast_core::analysis::stats::{self, Raster};
use neuroplast_core::analysis::weights::fit_weights;
use neuroplast_core::monitor::SpikeWindow;
use neuroplast_core::simulation::Simulation;
use serde_json::{json, Value};

/// Run the analyses `exp` asks for; write their data files into `dir/analysis/`.
pub fn analyse(sim: &Simulation, exp: &Experiment, dir: &Path) -> Result<Value> {
    let mut out = serde_json::Map::new();
    let spec = &exp.file.analysis;
    if let Some(a) = &spec.avalanches {
        let rec = &sim.recorder;
        // activity_e[k] is step first + k; keep the steps after `discard_steps`.
        let skip = a
            .discard_steps
            .saturating_sub(rec.activity_first_step.saturating_sub(1));
        let skip = usize::try_from(skip)
            .unwrap_or(usize::MAX)
            .min(rec.activity_e.len());
        let activity = &rec.activity_e[skip..];
        let value = if activity.is_empty() {
            json!({ "skipped": format!(
                "no recorded steps after discard_steps = {} (the run has {} steps)",
                a.discard_steps, sim.sorn.t()
            ) })
        } else {
            let threshold = a.threshold.map_or(Threshold::HalfMean, Threshold::Fixed);
            // Windows were filled in when the experiment was resolved.
            let (dw, sw) = (
                a.duration_window.unwrap_or([1, 2]),
                a.size_window.unwrap_or([1, 2]),
            );
            match avalanche_report(activity, threshold, dw, sw) {
                Ok((av, report)) => {
                    std::fs::create_dir_all(dir.join("analysis"))?;
                    let f = std::fs::File::create(dir.join("analysis/avalanches.npz"))?;
                    let mut w = NpzWriter::new(std::io::BufWriter::new(f));
                    w.add_array("duration", &ArrayView1::from(&av.durations))?;
                    w.add_array("size", &ArrayView1::from(&av.sizes))?;
                    w.finish()?;
                    let mut v = serde_json::to_value(&report)?;
                    v["steps_analysed"] = json!(activity.len());
                    v
                }
                Err(e) => json!({ "error": e.to_string() }),
            }
        };
        out.insert("avalanches".into(), value);
    }
    if spec.weights {
        let w: Vec<f64> = sim.sorn.w_ee().triplets().map(|(_, _, w)| w).collect();
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
        out.insert("spikes".into(), spike_statistics(sim, sp, dir)?);
    }
    Ok(Value::Object(out))
}

/// Statistics of the recorded E spikes over the steps the spike monitor covers.
fn spike_statistics(sim: &Simulation, sp: &SpikeStatsSpec, dir: &Path) -> Result<Value> {
    let ev = &sim.recorder.spikes_e;
    let last = sim.sorn.t();
    let first = match sim.recorder.spec.spikes {
        SpikeWindow::LastSteps(k) => (last + 1).saturating_sub(k).max(1),
        _ => sim.recorder.activity_first_step.max(1),
    };
    if last < first {
        return Ok(json!({ "skipped": "no steps recorded" }));
    }
    let (steps, ids): (Vec<u64>, Vec<u32>) = (
        ev.steps.iter().copied().collect(),
        ev.ids.iter().copied().collect(),
    );
    let n_steps = (last - first + 1) as usize;
    let ne = sim.sorn.params().ne;
    if n_steps.saturating_mul(ne) > 1 << 31 {
        return Ok(json!({ "skipped": format!(
            "a raster of {n_steps} steps × {ne} units would need {} MiB; record a shorter spike window (record.spikes.last_steps)",
            n_steps.saturating_mul(ne) >> 20
        ) }));
    }
    let r = match Raster::from_events(&steps, &ids, first, n_steps, ne) {
        Ok(r) => r,
        Err(e) => return Ok(json!({ "error": e.to_string() })),
    };
    let rates = stats::firing_rates(&r);
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
        "first_step": first,
        "steps": n_steps,
        "units": r.units(),
        "network_rate": stats::network_firing_rate(&r),
        "silent_units": rates.iter().filter(|&&x| x == 0.0).count(),
        "rate_min": rates.iter().copied().fold(f64::INFINITY, f64::min),
        "rate_max": rates.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "isi_cv_mean": finite_mean(&cv),
        "fano_window": sp.fano_window,
        "fano_factor_mean": finite_mean(&fano),
        // K(K−1)/2 co-spike counters: limited to 10 000 units (200 MB).
        "mean_pairwise_correlation": (ne <= 10_000).then(|| stats::mean_pairwise_correlation(&r)).flatten(),
        "spike_source_entropy": stats::spike_source_entropy(&r),
        "activity_smoothness": stats::smoothness(&activity),
        "activity_autocorrelation_lag": sp.autocorrelation_lag,
        "activity_autocorrelation": stats::autocorrelation(&activity, sp.autocorrelation_lag),
    }))
}

/// Train and test the `[readout]` on the recorded states; `None` without a readout section.
pub fn readout(sim: &Simulation, exp: &Experiment) -> Option<Value> {
    let spec = exp.readout_spec()?;
    let trace = &sim.recorder.readout;
    let t0 = std::time::Instant::now();
    let value = match neuroplast_core::readout::evaluate(trace, sim.input.alphabet(), &spec) {
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
    };
    Some(value)
}
