//! `run`, `resume`, `validate` and `plot`, written once for every kind of experiment file
//! against [`neuroplast_config::Experiment`] and [`neuroplast_core::engine::Engine`].
//!
//! A run builds the engine (or restores it from `checkpoint.bin`), advances it in chunks of
//! [`Experiment::chunk_steps`], streams each drained [`Recording`](neuroplast_core::recording::Recording) into the staged results
//! directory ([`Sinks`]), then writes what the run ends with, the checkpoint,
//! `config.toml`, `summary.json`, the analyses and the figures, and renames the directory into
//! place. `resume DIR` continues in place: the continuation's recordings are appended to
//! DIR's, so a results directory always covers its run from step 0.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use neuroplast_config::{Experiment, RestoreError};
use neuroplast_core::checkpoint::NEUROPLAST_VERSION;
use neuroplast_core::engine::{Engine, Kind};
use serde_json::{json, Value};

use crate::cluster;
use crate::results::{Sinks, StagedDir};
use crate::session::{self, check_out, config_fingerprint, refuse, Outcome};

/// Arguments of `neuroplast run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Experiment file (TOML).
    exp: PathBuf,
    /// Results directory (default: `results/<experiment name>`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Master seed (instead of simulation.seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Steps to run (instead of simulation.steps, or a spiking file's duration).
    #[arg(long)]
    steps: Option<u64>,
    /// Threads (instead of simulation.threads; results are identical for any value).
    #[arg(long)]
    threads: Option<usize>,
    /// Override a value, e.g. `--set sorn.noise_sigma=0.1` (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    set: Vec<String>,
    /// Time every phase of the step and write the times to summary.json (`profile`).
    #[arg(long)]
    profile: bool,
    /// Replace the results directory if it exists.
    #[arg(long)]
    force: bool,
    /// No progress bar or messages on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// Arguments of `neuroplast resume`.
#[derive(clap::Args)]
pub struct ResumeArgs {
    /// Results directory with config.toml and checkpoint.bin.
    dir: PathBuf,
    /// Further steps to run (default for a protocol: the rest of its phases).
    #[arg(long)]
    steps: Option<u64>,
    /// Write the continuation (the whole run so far) to this directory instead of updating
    /// DIR in place.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    /// Threads (default: simulation.threads of the run; results are identical for any value).
    #[arg(long)]
    threads: Option<usize>,
    /// Time every phase of the step and write the times to summary.json (`profile`).
    #[arg(long)]
    profile: bool,
    /// No progress bar or messages on stderr.
    #[arg(long, short)]
    quiet: bool,
}

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

/// Load an experiment file and apply the command line's `--seed`, `--threads`, `--steps`.
pub fn load(
    exp: &Path,
    set: &[String],
    seed: Option<u64>,
    threads: Option<usize>,
    steps: Option<u64>,
) -> Result<Box<dyn Experiment>> {
    let mut e = neuroplast_config::load(exp, set)?;
    if let Some(s) = seed {
        e.set_seed(s)?;
    }
    if let Some(t) = threads {
        e.set_threads(t)?;
    }
    if let Some(s) = steps {
        e.set_steps(s)?;
    }
    Ok(e)
}

/// Steps a fresh engine of `exp` runs: the file's length, or the protocol's.
fn planned(exp: &dyn Experiment, engine: &dyn Engine) -> u64 {
    engine.remaining().unwrap_or(exp.steps())
}

/// `neuroplast run`.
pub fn run(a: RunArgs) -> Result<Outcome> {
    let exp = cluster::agree(load(&a.exp, &a.set, a.seed, a.threads, a.steps))?;
    let out = a.out.clone().unwrap_or_else(|| {
        let stem = a.exp.file_stem().unwrap_or_default().to_string_lossy();
        PathBuf::from("results").join(stem.as_ref())
    });
    cluster::agree(if cluster::lead() {
        check_out(&out, a.force, "choose another --out")
    } else {
        Ok(())
    })?;
    if a.profile && cluster::ranks() > 1 {
        refuse!("--profile times the phases of one process; run it without mpirun");
    }
    let t_build = Instant::now();
    let mut engine = cluster::agree(match cluster::comm() {
        Some(comm) => exp.build_distributed(comm).map_err(Into::into),
        None => exp.build().map_err(Into::into),
    })?;
    let build_s = t_build.elapsed().as_secs_f64();
    engine.set_profile(a.profile);
    let steps = planned(&*exp, &*engine);
    if !a.quiet {
        // describing the network reads its summary: a collective on every rank
        let description = exp.describe(&*engine);
        if cluster::lead() {
            eprintln!(
                "neuroplast {NEUROPLAST_VERSION} · {} · {steps} steps{} · seed {} · {}{} thread(s) · built in {build_s:.2} s",
                exp.name(),
                engine
                    .dt_ms()
                    .map_or(String::new(), |dt| format!(" of {dt} ms")),
                exp.seed(),
                ranks_times(),
                engine.threads(),
            );
            eprint!("{description}");
            for w in exp.warnings() {
                eprintln!("{w}");
            }
        }
    }
    if !cluster::lead() {
        return follow(&*exp, engine, steps);
    }
    let opts = RunOptions {
        steps,
        quiet: a.quiet,
        announce: true,
        build_s,
        resumed_from: None,
    };
    let w = simulate(&*exp, engine, &out, &opts)?;
    Ok(w.outcome())
}

/// `"K ranks × "` in a distributed run.
fn ranks_times() -> String {
    match cluster::ranks() {
        1 => String::new(),
        k => format!("{k} ranks × "),
    }
}

/// What a rank other than 0 does during a distributed run: the same collectives as
/// [`simulate`] (summary, chunks and their drains, the agreed stop, checkpoint, summary), in
/// the same order, writing nothing.
fn follow(exp: &dyn Experiment, mut engine: Box<dyn Engine>, steps: u64) -> Result<Outcome> {
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

/// `neuroplast resume`.
pub fn resume(a: ResumeArgs) -> Result<Outcome> {
    let cfg = a.dir.join("config.toml");
    cluster::agree(if cfg.is_file() {
        Ok(())
    } else {
        Err(anyhow::Error::new(session::Refused(format!(
            "{} is not a results directory (no config.toml); `neuroplast resume` continues \
             what `neuroplast run` wrote",
            a.dir.display()
        ))))
    })?;
    let out = cluster::agree(resume_out(&a))?;
    if a.steps == Some(0) {
        refuse!("--steps must be ≥ 1");
    }
    if a.profile && cluster::ranks() > 1 {
        refuse!("--profile times the phases of one process; run it without mpirun");
    }
    let mut exp = cluster::agree(load(&cfg, &[], None, a.threads, None))?;
    cluster::agree(session::check_unedited(&a.dir))?;
    let ck = a.dir.join("checkpoint.bin");
    let t_load = Instant::now();
    let mut engine = cluster::agree(restore(&*exp, &ck))?;
    let build_s = t_load.elapsed().as_secs_f64();
    engine.set_profile(a.profile);
    let t0 = engine.step_count();
    let steps = match (a.steps, engine.remaining()) {
        (_, Some(0)) => refuse!(
            "{} is complete: its protocol has no steps left (run it again with other \
             parameters instead)",
            a.dir.display()
        ),
        (Some(s), Some(left)) => s.min(left),
        (Some(s), None) => s,
        (None, Some(left)) => left,
        (None, None) => refuse!("give --steps N: how many more steps to run"),
    };
    if t0.checked_add(steps).is_none() {
        refuse!("--steps {steps} is too many: step {t0} + {steps} overflows");
    }
    if engine.remaining().is_none() {
        exp.set_steps(t0 + steps)?;
    }
    if !cluster::lead() {
        return follow(&*exp, engine, steps);
    }
    if !a.quiet {
        eprintln!(
            "resuming {} at step {t0} for {steps} more steps · {}{} thread(s) · loaded in {build_s:.2} s",
            a.dir.display(),
            ranks_times(),
            engine.threads()
        );
    }
    let opts = RunOptions {
        steps,
        quiet: a.quiet,
        announce: true,
        build_s,
        resumed_from: Some(&a.dir),
    };
    let w = simulate(&*exp, engine, &out, &opts)?;
    Ok(w.outcome())
}

/// Where `resume` writes (checked on rank 0 only: the other ranks write nothing).
fn resume_out(a: &ResumeArgs) -> Result<PathBuf> {
    Ok(match &a.out {
        None => a.dir.clone(),
        Some(o) if !cluster::lead() => o.clone(),
        Some(o) => {
            let same = o == &a.dir
                || matches!((o.canonicalize(), a.dir.canonicalize()), (Ok(x), Ok(y)) if x == y);
            check_out(
                o,
                same || a.force,
                &format!(
                    "choose another --out (without --out the run continues in {})",
                    a.dir.display()
                ),
            )?;
            o.clone()
        }
    })
}

/// The engine of checkpoint `ck` (this rank's part of it in a distributed run).
fn restore(exp: &dyn Experiment, ck: &Path) -> Result<Box<dyn Engine>> {
    let bytes = std::fs::read(ck).with_context(|| {
        format!(
            "cannot read {} (was the run written with output.checkpoint = false?)",
            ck.display()
        )
    })?;
    let restored = match cluster::comm() {
        Some(comm) => exp.restore_distributed(&bytes, comm),
        None => exp.restore(&bytes),
    };
    match restored {
        Ok(e) => Ok(e),
        // a checkpoint of another network: a refusal (exit 2)
        Err(RestoreError::Differs(mut e)) => {
            e.file = ck.display().to_string();
            Err(e.into())
        }
        // damaged or of another format version: a failure (exit 1)
        Err(RestoreError::Unreadable(e)) => {
            Err(anyhow::Error::new(e).context(ck.display().to_string()))
        }
    }
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

/// `neuroplast validate`.
pub fn validate(path: &Path, set: &[String]) -> Result<()> {
    let exp = neuroplast_config::load(path, set)?;
    let engine = exp.build()?;
    println!("{}: ok\n", path.display());
    for w in exp.warnings() {
        println!("{w}\n");
    }
    print!("{}", exp.describe(&*engine));
    println!(
        "\nstep schedule ({}seed {}, {} thread(s)):",
        engine
            .dt_ms()
            .map_or(String::new(), |dt| format!("dt = {dt} ms, ")),
        exp.seed(),
        engine.threads()
    );
    for (k, phase) in engine.schedule().iter().enumerate() {
        println!("  {k}. {:<16} {}", phase.name, phase.describe);
    }
    println!("\nresolved configuration:\n\n{}", exp.resolved_toml());
    Ok(())
}

/// `neuroplast plot`.
pub fn plot(dir: &Path) -> Result<()> {
    if dir.join("sweep.json").is_file() {
        return crate::sweep::replot(dir);
    }
    if !dir.join("config.toml").is_file() {
        refuse!(
            "{} is not a results directory (it has neither config.toml nor sweep.json); \
             `neuroplast plot` redraws what `neuroplast run`, `resume` or `sweep` wrote",
            dir.display()
        );
    }
    let before = pngs(&dir.join("plots"));
    let exp = neuroplast_config::load(&dir.join("config.toml"), &[])?;
    let summary: Value = std::fs::read_to_string(dir.join("summary.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let files = crate::figures::draw(dir, &*exp, &summary)?;
    for f in &files {
        println!("{}", f.display());
    }
    if files.is_empty() {
        println!("nothing to plot in {}", dir.display());
    }
    // A figure whose data file is gone is not redrawn: say that the one on disk is older.
    for old in before.iter().filter(|p| !files.contains(p)) {
        eprintln!(
            "note: {} was not redrawn (its data is missing); it is from an earlier drawing",
            old.display()
        );
    }
    Ok(())
}

/// The PNG files in `dir` (none if it does not exist).
fn pngs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    v.sort();
    v
}
