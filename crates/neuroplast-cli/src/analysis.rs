//! `[analysis]`: analyses run on a finished run's recordings; results go into summary.json
//! (`analysis`) and `DIR/analysis/`.

use std::path::Path;

use anyhow::Result;
use ndarray::ArrayView1;
use ndarray_npy::NpzWriter;
use neuroplast_config::Experiment;
use neuroplast_core::analysis::avalanches::Threshold;
use neuroplast_core::analysis::report::avalanche_report;
use neuroplast_core::analysis::weights::fit_weights;
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
    Ok(Value::Object(out))
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
