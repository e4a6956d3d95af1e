//! The one run loop of the bindings, written against [`Engine`]: every `run` from Python
//! (`Sorn.run`, `Network.run`, `Experiment.run`, protocols) goes through [`run_detached`].

use std::time::{Duration, Instant};

use neuroplast_core::engine::{Engine, Kind, Summary};
use neuroplast_core::recording::Recording;
use pyo3::prelude::*;
use serde_json::{json, Value};

use crate::conv::{self, Span};

/// Longest stretch run without the GIL before checking for Ctrl-C (and calling the progress
/// callback): a KeyboardInterrupt arrives within about this time whatever the network size.
pub const SLICE: Duration = Duration::from_millis(50);

/// Advance `engine` by at most `left` steps for about `budget`, in calls sized from the
/// measured time per step (`per_step`, seconds, kept between slices). Returns the steps done
/// (fewer when an engine with its own length reaches its end).
fn advance_for(engine: &mut dyn Engine, left: u64, budget: Duration, per_step: &mut f64) -> u64 {
    let t0 = Instant::now();
    let start = engine.step_count();
    let mut n = 0;
    while n < left {
        let rest = budget.saturating_sub(t0.elapsed()).as_secs_f64();
        if rest <= 0.0 {
            break;
        }
        let mut k = if *per_step > 0.0 {
            ((rest / *per_step) as u64).max(1)
        } else {
            1
        };
        k = k.min(left - n);
        if let Some(r) = engine.remaining() {
            k = k.min(r);
        }
        if k == 0 {
            break;
        }
        let t = Instant::now();
        engine.advance(k);
        let got = engine.step_count() - start - n;
        if got == 0 {
            break;
        }
        *per_step = t.elapsed().as_secs_f64() / got as f64;
        n += got;
    }
    n
}

/// Run `steps` steps of `engine` with the GIL released, in slices of at most [`SLICE`]; after
/// each slice drain the recordings (appended with [`Recording::append`]), check for signals
/// (KeyboardInterrupt) and call `progress(steps done)` if given. An engine with its own length
/// ([`Engine::remaining`]) stops at its end. Returns the steps done and what was recorded.
///
/// On Ctrl-C or an exception from `progress` the engine stops between two steps (a consistent
/// state: it can run on) and the exception carries what was recorded until then as
/// `exc.recording` (the dict of [`conv::recording`]).
pub fn run_detached(
    py: Python<'_>,
    engine: &mut dyn Engine,
    steps: u64,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<(u64, Recording)> {
    let start = engine.step_count();
    let mut rec = Recording::default();
    let mut per_step = 0.0;
    let mut done = 0;
    let outcome = loop {
        if done >= steps || engine.remaining() == Some(0) {
            break Ok(());
        }
        let left = steps - done;
        let n = py.detach(|| {
            let n = advance_for(engine, left, SLICE, &mut per_step);
            rec.append(engine.drain());
            n
        });
        done += n;
        if let Err(e) = py.check_signals() {
            break Err(e);
        }
        if let Some(cb) = progress {
            if let Err(e) = cb.call1((done,)) {
                break Err(e);
            }
        }
        if n == 0 {
            break Ok(());
        }
    };
    // a run of 0 steps still hands over its monitors' chunks (and their t = 0 samples)
    rec.append(engine.drain());
    match outcome {
        Ok(()) => Ok((done, rec)),
        Err(e) => {
            // Best effort: the exception goes on even if the recording cannot be attached.
            if let Ok(d) = conv::recording(py, rec, &Span::of(engine, start)) {
                let _ = e.value(py).setattr("recording", d);
            }
            Err(e)
        }
    }
}

/// Seconds per phase as summary.json's `profile`: {phase: {"seconds", "share"}}, in schedule
/// order (`None` when the engine was not profiling).
pub fn profile(engine: &dyn Engine) -> Option<Value> {
    let phases = engine.profile()?;
    let total: f64 = phases.iter().map(|p| p.1).sum();
    Some(
        phases
            .iter()
            .map(|(name, s)| {
                (
                    name.to_string(),
                    json!({ "seconds": s, "share": s / total.max(1e-300) }),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into(),
    )
}

/// What a run from an experiment file reports: the entries the command line writes into
/// summary.json from the experiment and the engine (kind, seed, steps, spike hash, rates,
/// synapses, …; a protocol's figures under `results`), the run's own counts and times, and
/// `profile` when profiling. Not here: what the command line computes from its files
/// (`analysis`, `readout`) and about its process (`peak_rss_mb`, `config_fingerprint`).
pub fn summary(
    exp: &dyn neuroplast_config::Experiment,
    engine: &dyn Engine,
    first_step: u64,
    seconds: f64,
    activity_first_step: Option<u64>,
) -> PyResult<Value> {
    let done = engine.step_count() - first_step;
    let mut out = json!({
        "neuroplast_version": neuroplast_core::checkpoint::NEUROPLAST_VERSION,
        "threads": engine.threads(),
        "steps_this_run": done,
        "first_step_this_run": first_step,
        "interrupted": false,
        "spike_steps_from": 0,
    });
    merge(&mut out, value(&exp.summary())?);
    if let Kind::Protocol(_) = engine.kind() {
        // as summary.json: a protocol's figures are its `results`
        out["steps"] = json!(engine.step_count());
        out["remaining_steps"] = json!(engine.remaining());
        out["spike_hash"] = json!(format!("{:016x}", engine.spike_hash()));
        out["results"] = value(&engine.summary())?;
    } else {
        merge(&mut out, value(&engine.summary())?);
    }
    if let Some(first) = activity_first_step {
        out["activity_first_step"] = json!(first);
    }
    out["wall_seconds"] = json!(seconds);
    out["us_per_step"] = json!(1e6 * seconds / done.max(1) as f64);
    out["steps_per_second"] = json!(done as f64 / seconds.max(1e-12));
    if let Some(dt) = engine.dt_ms() {
        out["realtime_factor"] = json!((done as f64 * dt / 1000.0) / seconds.max(1e-12));
    }
    if let Some(p) = profile(engine) {
        out["profile"] = p;
    }
    Ok(out)
}

fn merge(out: &mut Value, more: Value) {
    if let (Some(o), Value::Object(m)) = (out.as_object_mut(), more) {
        o.extend(m);
    }
}

/// A summary as a JSON value (for merging, as the command line does).
fn value(s: &Summary) -> PyResult<Value> {
    serde_json::to_value(s)
        .map_err(|e| crate::errors::config_err("", format!("cannot convert the summary: {e}")))
}
