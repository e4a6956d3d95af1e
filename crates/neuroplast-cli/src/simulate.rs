//! One run of an engine into a results directory, for `run`, `resume` and every point of a
//! `sweep`: advance in chunks of [`Experiment::chunk_steps`], stream each drained
//! [`Recording`](neuroplast_core::recording::Recording) into the staged directory
//! ([`Sinks`]), then write what the run ends with, the checkpoint, `config.toml`,
//! `summary.json`, the analyses and the figures, and rename the directory into place
//! ([`simulate`]). The other ranks of a distributed run take part in the same collectives
//! without writing ([`follow`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use neuroplast_config::Experiment;
use neuroplast_core::checkpoint::NEUROPLAST_VERSION;
use neuroplast_core::engine::{Engine, Kind};
use serde_json::{json, Value};

use crate::cluster;
use crate::results::{Sinks, StagedDir};
use crate::session::{self, config_fingerprint, Outcome};

/// How a run reports and where it came from.
pub struct RunOptions<'a> {
    /// Steps to run now (a protocol's engine may stop earlier at its end).
    pub steps: u64,
    /// No progress bar or messages.
    pub quiet: bool,
    /// Print the "wrote …" line (and the resume hint after Ctrl-C).
    pub announce: bool,
    /// Seconds spent building (or loading) the engine.
    pub build_s: f64,
    /// The results directory this run continues.
    pub resumed_from: Option<&'a Path>,
}

/// What a finished (or interrupted) run wrote.
pub struct Written {
    /// The results directory.
    pub path: PathBuf,
    /// Steps run by this call.
    pub done: u64,
    /// Steps asked for.
    pub steps: u64,
    /// The run's summary.json content.
    pub summary: Value,
}

impl Written {
    /// Finished or interrupted.
    pub fn outcome(&self) -> Outcome {
        if self.done < self.steps {
            Outcome::Interrupted
        } else {
            Outcome::Finished
        }
    }
}

/// What a rank other than 0 does during a distributed run: the same collectives as
/// [`simulate`] (summary, chunks and their drains, the agreed stop, checkpoint, summary), in
/// the same order, writing nothing.
pub fn follow(exp: &dyn Experiment, mut engine: Box<dyn Engine>, steps: u64) -> Result<Outcome> {
    cluster::in_run(true);
    let start_t = engine.step_count();
    engine.summary();
    let chunk = exp.chunk_steps().max(1);
    let mut done = 0;
    while done < steps {
        engine.advance(chunk.min(steps - done));
        done = engine.step_count() - start_t;
        engine.drain();
        if cluster::stop_requested() || engine.remaining() == Some(0) {
            break;
        }
    }
    let interrupted = done < steps && engine.remaining() != Some(0);
    engine.finish();
    if exp.output().checkpoint || interrupted {
        engine.checkpoint(&mut std::io::sink())?;
    }
    engine.summary();
    cluster::in_run(false);
    Ok(if interrupted {
        Outcome::Interrupted
    } else {
        Outcome::Finished
    })
}

/// Run `opts.steps` steps of `engine` in chunks, streaming the recordings, then write the
/// results directory atomically (with `checkpoint.bin` if `[output] checkpoint` or when
/// interrupted). Ctrl-C stops at the next chunk and still writes everything.
pub fn simulate(
    exp: &dyn Experiment,
    mut engine: Box<dyn Engine>,
    out: &Path,
    opts: &RunOptions<'_>,
) -> Result<Written> {
    // from here to the final summary every rank of a distributed run takes part ([`follow`])
    cluster::in_run(true);
    let start_t = engine.step_count();
    let before = serde_json::to_value(engine.summary())?;
    let steps = opts.steps;
    let staged = StagedDir::new(out)?;
    let dir = staged.path().to_path_buf();
    let mut sinks = Sinks::new(&dir, opts.resumed_from);
    let pb = session::progress(steps, opts.quiet);
    crate::session::stop_requested();
    let chunk = exp.chunk_steps().max(1);
    let t0 = Instant::now();
    let mut sim_s = 0.0;
    let mut done = 0;
    while done < steps {
        let c = chunk.min(steps - done);
        let t = Instant::now();
        engine.advance(c);
        sim_s += t.elapsed().as_secs_f64();
        done = engine.step_count() - start_t;
        sinks.write(engine.drain())?;
        pb.set_position(done);
        if cluster::stop_requested() || engine.remaining() == Some(0) {
            break;
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    pb.finish_and_clear();
    let interrupted = done < steps && engine.remaining() != Some(0);
    sinks.write(engine.finish())?;
    let recorded = sinks.finish()?;
    if let Some(prev) = opts.resumed_from {
        crate::results::copy_missing(prev, &dir)?;
    }
    if exp.output().checkpoint || interrupted {
        let path = dir.join("checkpoint.bin");
        let f = std::fs::File::create(&path).context("cannot create checkpoint.bin")?;
        let mut w = std::io::BufWriter::new(f);
        engine
            .checkpoint(&mut w)
            .context("cannot write checkpoint.bin")?;
        std::io::Write::flush(&mut w).context("cannot write checkpoint.bin")?;
    }
    let resolved_toml = exp.resolved_toml();
    std::fs::write(dir.join("config.toml"), &resolved_toml)?;

    let mut summary = json!({
        "neuroplast_version": NEUROPLAST_VERSION,
        "config_fingerprint": config_fingerprint(&resolved_toml),
        "threads": engine.threads(),
        "steps_this_run": done,
        "first_step_this_run": start_t,
        "resumed_from": opts.resumed_from.map(|d| d.display().to_string()),
        "interrupted": interrupted,
        "spike_steps_from": 0,
    });
    merge(&mut summary, serde_json::to_value(exp.summary())?);
    if let Kind::Protocol(_) = engine.kind() {
        // a protocol's figures are its `results`
        summary["steps"] = json!(engine.step_count());
        summary["remaining_steps"] = json!(engine.remaining());
        summary["spike_hash"] = json!(format!("{:016x}", engine.spike_hash()));
        summary["results"] = serde_json::to_value(engine.summary())?;
    } else {
        merge(&mut summary, serde_json::to_value(engine.summary())?);
    }
    cluster::in_run(false);
    this_run(&mut summary, &before);
    if let Some(first) = recorded.activity_first_step {
        summary["activity_first_step"] = json!(first);
    }
    if !recorded.spikes.is_empty() {
        summary["recorded_spikes"] = recorded
            .spikes
            .iter()
            .map(|(p, n)| (p.clone(), json!(n)))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    summary["build_seconds"] = json!(opts.build_s);
    summary["wall_seconds"] = json!(sim_s);
    summary["us_per_step"] = json!(1e6 * sim_s / done.max(1) as f64);
    summary["steps_per_second"] = json!(done as f64 / sim_s.max(1e-12));
    if let Some(dt) = engine.dt_ms() {
        // the peers' definition (shared/bench/peers/README.md): simulated / wall time, above
        // 1 is faster than real time — the same as `neuroplast bench`
        summary["realtime_factor"] = json!((done as f64 * dt / 1000.0) / sim_s.max(1e-12));
    }
    if let Some(profile) = engine.profile() {
        let total: f64 = profile.iter().map(|p| p.1).sum();
        summary["profile"] = profile
            .iter()
            .map(|(name, s)| {
                (
                    name.to_string(),
                    json!({ "seconds": s, "share": s / total.max(1e-300) }),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    drop(engine);
    let t_analysis = Instant::now();
    let analysis = crate::analysis::analyse(exp, &dir, &summary)?;
    if analysis.as_object().is_some_and(|o| !o.is_empty()) {
        summary["analysis"] = analysis;
        summary["analysis_seconds"] = json!(t_analysis.elapsed().as_secs_f64());
    }
    if let Some(r) = crate::analysis::readout(exp, &dir, &summary)? {
        summary["readout"] = r;
    }
    summary["peak_rss_mb"] = json!(crate::results::peak_rss_mb());
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_string_pretty(&summary)? + "\n",
    )?;
    if exp.output().plots {
        crate::figures::draw(&dir, exp, &summary)?;
    }
    let path = staged.commit()?;
    let w = Written {
        path,
        done,
        steps,
        summary,
    };
    if opts.announce {
        announce(&w, wall, exp.kind());
    }
    Ok(w)
}

/// What this run added to the engine's counts (spikes per population, synaptic events):
/// `<count>_this_run` beside each count of `summary` that `before` (the engine's summary at
/// the start of the run) also has.
fn this_run(summary: &mut Value, before: &Value) {
    let delta = |now: &Value, then: &Value| -> Option<Value> {
        Some(json!(now.as_u64()?.checked_sub(then.as_u64()?)?))
    };
    if let Some(d) = delta(&summary["synaptic_events"], &before["synaptic_events"]) {
        summary["synaptic_events_this_run"] = d;
    }
    let names: Vec<String> = summary["populations"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for p in names {
        if let Some(d) = delta(
            &summary["populations"][&p]["spikes"],
            &before["populations"][&p]["spikes"],
        ) {
            summary["populations"][&p]["spikes_this_run"] = d;
        }
    }
}

/// Add the entries of `more` (an object) to `summary`.
fn merge(summary: &mut Value, more: Value) {
    if let (Some(s), Value::Object(m)) = (summary.as_object_mut(), more) {
        for (k, v) in m {
            s.insert(k, v);
        }
    }
}

/// The "wrote …" line, the readout's result, and after Ctrl-C how to continue.
fn announce(w: &Written, wall: f64, kind: Kind) {
    let s = &w.summary;
    let speed = match s["realtime_factor"].as_f64() {
        Some(r) => format!("{r:.2}× real time"),
        None => format!(
            "{:.2} µs/step",
            s["us_per_step"].as_f64().unwrap_or(f64::NAN)
        ),
    };
    println!(
        "wrote {} ({} steps in {wall:.2} s; {speed}; spike hash {})",
        w.path.display(),
        w.done,
        s["spike_hash"].as_str().unwrap_or("?")
    );
    if let Some(acc) = s["readout"]["accuracy"].as_f64() {
        println!(
            "readout: test accuracy {acc:.4} on {} samples (training {:.4})",
            s["readout"]["scored_samples"],
            s["readout"]["train_accuracy"].as_f64().unwrap_or(f64::NAN)
        );
    } else if let Some(e) = s["readout"]["error"].as_str() {
        eprintln!("readout: {e}");
    }
    if w.done < w.steps {
        eprintln!(
            "interrupted after {} of {} steps; results and checkpoint written",
            w.done, w.steps
        );
        let more = if matches!(kind, Kind::Protocol(_)) {
            String::new()
        } else {
            format!(" --steps {}", w.steps - w.done)
        };
        eprintln!(
            "continue with: neuroplast resume {}{more}",
            w.path.display()
        );
    }
}
