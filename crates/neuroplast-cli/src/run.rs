//! `run`, `resume`, `validate` and `plot`, written once for every kind of experiment file
//! against [`neuroplast_config::Experiment`] and [`neuroplast_core::engine::Engine`].
//!
//! A run builds the engine (or restores it from `checkpoint.bin`) and hands it to
//! [`simulate`], which advances it in chunks, streams the recordings into the staged results
//! directory and writes the rest. `resume DIR` continues in place: the continuation's
//! recordings are appended to DIR's, so a results directory always covers its run from
//! step 0.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use neuroplast_config::{Experiment, RestoreError};
use neuroplast_core::checkpoint::NEUROPLAST_VERSION;
use neuroplast_core::engine::Engine;
use serde_json::Value;

use crate::cluster;
use crate::session::{self, check_out, refuse, Outcome};
use crate::simulate::{follow, simulate, RunOptions};

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
        return crate::sweep_report::replot(dir);
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
