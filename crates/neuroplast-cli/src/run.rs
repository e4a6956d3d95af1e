//! `run`, `resume`, `validate` and `plot`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use neuroplast_config::schema::Seeds;
use neuroplast_config::{AnyExperiment, Experiment};
use neuroplast_core::checkpoint;
use neuroplast_core::monitor::StateFeatures;
use neuroplast_core::readout::{Method, Target};
use neuroplast_core::simulation::Simulation;
use serde_json::json;

use crate::output::{self, StagedDir};

/// Arguments of `neuroplast run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Experiment file (TOML).
    exp: PathBuf,
    /// Results directory (default: `results/<experiment name>`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Master seed (overrides simulation.seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Steps to run (overrides simulation.steps).
    #[arg(long)]
    steps: Option<u64>,
    /// Threads (overrides simulation.threads; results are identical for any value).
    #[arg(long)]
    threads: Option<usize>,
    /// Override a value, e.g. `--set sorn.noise_sigma=0.1` (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    set: Vec<String>,
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
    /// Further steps to run.
    #[arg(long)]
    steps: u64,
    /// Results directory of the continuation. Default: a SORN run replaces DIR (its
    /// recordings cover the whole run); a spiking run writes DIR-resumed beside it (its
    /// recordings cover only the new steps). `--out DIR` replaces DIR in either case.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the --out (or DIR-resumed) directory if it exists.
    #[arg(long)]
    force: bool,
    /// Threads (default: simulation.threads of the run; results are identical for any value).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar or messages on stderr.
    #[arg(long, short)]
    quiet: bool,
}

fn load(exp: &Path, set: &[String]) -> Result<Experiment> {
    Ok(Experiment::load(exp, set)?)
}

/// A refusal before anything ran or was written (bad arguments, a directory in the way, an
/// edited configuration): exit status 2, like a [`neuroplast_config::ConfigError`].
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Return early with a [`Refused`] error (`format!` arguments).
macro_rules! refuse {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new($crate::run::Refused(format!($($arg)*))))
    };
}
pub(crate) use refuse;

/// What a run command ended with.
pub enum Outcome {
    /// All steps ran.
    Finished,
    /// Ctrl-C stopped it early; results and a checkpoint were written.
    Interrupted,
}

/// Warnings for `[[schedule]]` entries that fall after the run's last step (they take effect
/// only in a longer run or a resume).
pub fn late_schedule(exp: &Experiment) -> Vec<String> {
    let steps = exp.steps();
    exp.file
        .schedule
        .iter()
        .enumerate()
        .filter(|(_, e)| e.step >= steps)
        .map(|(i, e)| {
            format!(
                "warning: schedule[{i}].step = {} is not before the run's end ({steps} steps): \
                 it takes effect only in a longer run or a resume",
                e.step
            )
        })
        .collect()
}

/// `neuroplast run`.
pub fn run(a: RunArgs) -> Result<Outcome> {
    let mut set = a.set.clone();
    if let Some(s) = a.seed {
        set.push(format!("simulation.seed={s}"));
    }
    if let Some(t) = a.threads {
        set.push(format!("simulation.threads={t}"));
    }
    let exp = match AnyExperiment::load(&a.exp, &set)? {
        AnyExperiment::Spiking(mut exp) => {
            if let Some(s) = a.steps {
                if s == 0 {
                    refuse!("--steps must be ≥ 1");
                }
                exp.set_steps(s);
            }
            let out = out_dir(&a)?;
            return crate::spiking::run(&exp, &out, a.quiet);
        }
        AnyExperiment::Protocol(exp) => {
            if a.steps.is_some() {
                refuse!("--steps does not apply to a protocol file; its phases set the length (change them with --set protocol.<key>=…)");
            }
            let out = out_dir(&a)?;
            return crate::protocols::run(&exp, &out, a.quiet);
        }
        AnyExperiment::Sorn(exp) => match a.steps {
            Some(s) => {
                set.push(format!("simulation.steps={s}"));
                load(&a.exp, &set)?
            }
            None => *exp,
        },
    };
    let out = out_dir(&a)?;
    let sim = exp.build()?;
    if !a.quiet {
        for w in late_schedule(&exp) {
            eprintln!("{w}");
        }
        eprintln!(
            "neuroplast {} · {} · N_E = {}, N_I = {} · {} steps · seed {} · {} thread(s) · recordings ≈ {:.1} MiB",
            checkpoint::NEUROPLAST_VERSION,
            exp.preset.name(),
            exp.params.ne,
            exp.params.ni,
            exp.steps(),
            exp.seed(),
            sim.sorn.threads(),
            exp.recording_bytes(exp.steps()) as f64 / 1048576.0
        );
    }
    execute(sim, &exp, exp.steps(), &out, a.quiet)
}

/// The results directory of `run`; refuses an existing one without `--force`.
fn out_dir(a: &RunArgs) -> Result<PathBuf> {
    let out = a.out.clone().unwrap_or_else(|| {
        let stem = a.exp.file_stem().unwrap_or_default().to_string_lossy();
        PathBuf::from("results").join(stem.as_ref())
    });
    check_out(&out, a.force, "choose another --out")?;
    Ok(out)
}

/// Refuse an output path that is a file, or an existing directory that may not be replaced
/// (`replace`: `--force`, or the run continuing in place); `hint` says what to do instead.
pub fn check_out(out: &Path, replace: bool, hint: &str) -> Result<()> {
    if out.exists() && !out.is_dir() {
        refuse!(
            "{} is a file, not a results directory; {hint}",
            out.display()
        );
    }
    if out.exists() && !replace {
        refuse!(
            "{} exists; pass --force to replace it, or {hint}",
            out.display()
        );
    }
    Ok(())
}

/// An explicit `resume --out` other than DIR itself must not silently replace another run.
fn resume_out(a: &ResumeArgs) -> Result<Option<PathBuf>> {
    let Some(o) = &a.out else { return Ok(None) };
    let same =
        o == &a.dir || matches!((o.canonicalize(), a.dir.canonicalize()), (Ok(x), Ok(y)) if x == y);
    check_out(
        o,
        same || a.force,
        &format!(
            "choose another --out (--out {} continues in place)",
            a.dir.display()
        ),
    )?;
    Ok(Some(o.clone()))
}

/// `neuroplast resume`.
pub fn resume(a: ResumeArgs) -> Result<Outcome> {
    let cfg = a.dir.join("config.toml");
    if !cfg.is_file() {
        refuse!(
            "{} is not a results directory (no config.toml); `neuroplast resume` continues \
             what `neuroplast run` wrote",
            a.dir.display()
        );
    }
    let explicit_out = resume_out(&a)?;
    let exp = match AnyExperiment::load(&cfg, &[])? {
        AnyExperiment::Spiking(exp) => {
            // A spiking checkpoint holds no recordings (they were streamed to disk), so the
            // continuation goes next to DIR by default instead of replacing its files.
            let out = match &explicit_out {
                Some(o) => o.clone(),
                None => {
                    let mut name = a.dir.file_name().unwrap_or_default().to_os_string();
                    name.push("-resumed");
                    let out = a.dir.with_file_name(name);
                    check_out(
                        &out,
                        a.force,
                        &format!(
                            "pass --out to choose the directory of the continuation (--out {} \
                             replaces the original run's recordings)",
                            a.dir.display()
                        ),
                    )?;
                    out
                }
            };
            return crate::spiking::resume(*exp, &a.dir, a.steps, &out, a.threads, a.quiet);
        }
        AnyExperiment::Protocol(_) => {
            refuse!("{} is a protocol run; protocols write no checkpoint (run it again with another length instead)", a.dir.display())
        }
        AnyExperiment::Sorn(exp) => *exp,
    };
    let ck = a.dir.join("checkpoint.bin");
    let bytes = std::fs::read(&ck).with_context(|| {
        format!(
            "cannot read {} (was the run written with output.checkpoint = false?)",
            ck.display()
        )
    })?;
    let mut sim = checkpoint::from_bytes(&bytes).with_context(|| format!("{}", ck.display()))?;
    check_unedited(&a.dir)?;
    let threads = a.threads.unwrap_or(exp.file.simulation.threads);
    sim.sorn
        .set_threads(threads)
        .map_err(|e| neuroplast_config::ConfigError::from_core("--threads", e))?;
    if sim.sorn.params() != &exp.params {
        refuse!(
            "{} and {} disagree on the SORN parameters; config.toml must not be edited before resuming",
            cfg.display(),
            ck.display()
        );
    }
    if a.steps == 0 {
        refuse!("--steps must be ≥ 1");
    }
    sim.check_steps(a.steps)
        .map_err(|e| neuroplast_config::ConfigError::from_core(&cfg.display().to_string(), e))?;
    let out = explicit_out.unwrap_or_else(|| a.dir.clone());
    if !a.quiet {
        eprintln!(
            "resuming {} at step {} for {} more steps",
            a.dir.display(),
            sim.sorn.t(),
            a.steps
        );
    }
    execute(sim, &exp, a.steps, &out, a.quiet)
}

/// Fingerprint of a resolved configuration (`config.toml` as neuroplast writes it): the parts
/// a continuation must agree on with its checkpoint. Left out: the run's length and thread
/// count (they change between run and resume), what to write and analyse afterwards
/// (`[output]`, `[analysis]`, `[readout]`, `[sweep]`) and the version note.
pub fn config_fingerprint(resolved_toml: &str) -> String {
    let mut table: toml::Table = match resolved_toml.parse() {
        Ok(t) => t,
        Err(_) => return String::new(),
    };
    for k in ["meta", "output", "analysis", "readout", "sweep"] {
        table.remove(k);
    }
    if let Some(toml::Value::Table(sim)) = table.get_mut("simulation") {
        for k in ["steps", "duration_ms", "threads"] {
            sim.remove(k);
        }
    }
    let text = toml::to_string(&table).unwrap_or_default();
    let mut h = neuroplast_core::hash::Fnv1a::default();
    for b in text.bytes() {
        h.write_u64(u64::from(b));
    }
    format!("{:016x}", h.finish())
}

/// Refuse to resume from `dir` if its `config.toml` is not the file the run wrote
/// (`config_fingerprint` in its summary.json; the file itself is hashed, not a re-resolution of
/// it, so a newer neuroplast agrees with an older one's fingerprint). A summary without a
/// fingerprint (written before neuroplast recorded one) is not checked.
pub fn check_unedited(dir: &Path) -> Result<()> {
    let Ok(config) = std::fs::read_to_string(dir.join("config.toml")) else {
        return Ok(());
    };
    let Ok(text) = std::fs::read_to_string(dir.join("summary.json")) else {
        return Ok(());
    };
    let Ok(summary) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok(());
    };
    let Some(recorded) = summary["config_fingerprint"].as_str() else {
        return Ok(());
    };
    if recorded != config_fingerprint(&config) {
        refuse!(
            "{}/config.toml was edited after the run (it no longer matches config_fingerprint \
             {recorded} in summary.json); a continuation runs the checkpoint's network, so the \
             configuration must stay as it was (only [output], [analysis], [readout] and \
             [sweep] may change): undo the edit, or `neuroplast run` the edited file",
            dir.display()
        );
    }
    Ok(())
}

/// Set by Ctrl-C: every run in this process stops at its next chunk and writes its results.
static STOP: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C was pressed; installs the handler on first use.
pub fn stop_requested() -> bool {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // If another handler exists already, Ctrl-C keeps its default action.
        ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst)).ok();
    });
    STOP.load(Ordering::SeqCst)
}

/// What a finished (or interrupted) run wrote.
pub struct Written {
    /// The results directory.
    pub path: PathBuf,
    /// Steps run by this call.
    pub done: u64,
    /// Steps asked for.
    pub steps: u64,
    /// Wall time of the steps, seconds.
    pub wall: f64,
    /// The run's summary.json content.
    pub summary: serde_json::Value,
}

/// Run `steps` steps (reporting to `pb`), then write the results directory atomically.
/// Ctrl-C stops at the next chunk and still writes results and a checkpoint.
pub fn simulate_and_write(
    mut sim: Simulation,
    exp: &Experiment,
    steps: u64,
    out: &Path,
    pb: &ProgressBar,
) -> Result<Written> {
    stop_requested();
    let start_t = sim.sorn.t();
    let chunk = (steps / 500).clamp(1, 20_000);
    let t0 = Instant::now();
    let done = sim.run(steps, chunk, |d| {
        pb.set_position(d);
        !stop_requested()
    });
    let wall = t0.elapsed().as_secs_f64();
    let interrupted = done < steps;

    let staged = StagedDir::new(out)?;
    let dir = staged.path();
    let mut resolved = exp.clone();
    resolved.file.simulation.steps = sim.sorn.t();
    let resolved_toml = resolved.resolved_toml();
    std::fs::write(dir.join("config.toml"), &resolved_toml)?;
    output::write_recordings(dir, &sim.recorder, &sim.sorn)?;
    if exp.file.output.checkpoint || interrupted {
        let f = std::fs::File::create(dir.join("checkpoint.bin"))?;
        let mut w = std::io::BufWriter::new(f);
        checkpoint::write(&sim, &mut w).context("cannot write checkpoint.bin")?;
        std::io::Write::flush(&mut w)?;
    }
    let mut summary = summary(&sim, exp, done, start_t, wall, interrupted);
    summary["config_fingerprint"] = json!(config_fingerprint(&resolved_toml));
    let t_analysis = Instant::now();
    let analysis = crate::analysis::analyse(&sim, exp, dir)?;
    if analysis.as_object().is_some_and(|o| !o.is_empty()) {
        summary["analysis"] = analysis;
        summary["analysis_seconds"] = json!(t_analysis.elapsed().as_secs_f64());
    }
    if let Some(r) = crate::analysis::readout(&sim, exp) {
        summary["readout"] = r;
    }
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_string_pretty(&summary)? + "\n",
    )?;
    let first_step = sim.recorder.activity_first_step;
    // The figures are drawn from the files just written; free the recordings first so that
    // the two never sit in memory together.
    drop(sim);
    if exp.file.output.plots {
        crate::figures::plot_dir(dir, exp, first_step)?;
    }
    let path = staged.commit()?;
    Ok(Written {
        path,
        done,
        steps,
        wall,
        summary,
    })
}

/// [`simulate_and_write`] with a progress bar on a terminal and the messages of `run`.
fn execute(
    sim: Simulation,
    exp: &Experiment,
    steps: u64,
    out: &Path,
    quiet: bool,
) -> Result<Outcome> {
    let pb = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr())
    };
    pb.set_style(
        ProgressStyle::with_template(
            "{bar:40} {human_pos}/{human_len} steps · {per_sec} · ETA {eta}",
        )
        .expect("valid template"),
    );
    let w = simulate_and_write(sim, exp, steps, out, &pb)?;
    pb.finish_and_clear();
    println!(
        "wrote {} ({} steps in {:.2} s, {:.2} µs/step, spike hash {})",
        w.path.display(),
        w.done,
        w.wall,
        1e6 * w.wall / w.done.max(1) as f64,
        w.summary["spike_hash"].as_str().unwrap_or("?")
    );
    if let Some(acc) = w.summary["readout"]["accuracy"].as_f64() {
        println!(
            "readout: test accuracy {acc:.4} on {} samples (training {:.4})",
            w.summary["readout"]["scored_samples"],
            w.summary["readout"]["train_accuracy"]
                .as_f64()
                .unwrap_or(f64::NAN)
        );
    } else if let Some(e) = w.summary["readout"]["error"].as_str() {
        eprintln!("readout: {e}");
    }
    if w.done < w.steps {
        eprintln!(
            "interrupted after {} of {} steps; results and checkpoint written",
            w.done, w.steps
        );
        eprintln!(
            "continue with: neuroplast resume {} --steps {}",
            w.path.display(),
            w.steps - w.done
        );
        return Ok(Outcome::Interrupted);
    }
    Ok(Outcome::Finished)
}

fn summary(
    sim: &Simulation,
    exp: &Experiment,
    done: u64,
    start_t: u64,
    wall: f64,
    interrupted: bool,
) -> serde_json::Value {
    let net = &sim.sorn;
    let rec = &sim.recorder;
    let mean = |v: &[u32], n: usize| -> Option<f64> {
        (!v.is_empty())
            .then(|| v.iter().map(|&a| a as f64).sum::<f64>() / v.len() as f64 / n as f64)
    };
    let p = net.params();
    json!({
        "neuroplast_version": checkpoint::NEUROPLAST_VERSION,
        "preset": exp.preset.name(),
        "ne": p.ne,
        "ni": p.ni,
        "seed": exp.seed(),
        "threads": net.threads(),
        "steps": net.t(),
        "steps_this_run": done,
        "first_step_this_run": start_t + 1,
        "activity_first_step": rec.activity_first_step,
        "interrupted": interrupted,
        "wall_seconds": wall,
        "us_per_step": 1e6 * wall / done.max(1) as f64,
        "steps_per_second": done as f64 / wall.max(1e-12),
        "spike_hash": format!("{:016x}", net.spike_hash()),
        "mean_rate_e": mean(&rec.activity_e, p.ne),
        "mean_rate_i": mean(&rec.activity_i, p.ni),
        "connection_fraction_ee": net.connection_fraction(),
        "synapses": { "ee": net.w_ee().nnz(), "ei": net.w_ei().nnz(), "ie": net.w_ie().nnz() },
        "mean_threshold_e": net.te().iter().sum::<f64>() / p.ne as f64,
        "active_rules": net.active_rules().iter().map(|r| r.name()).collect::<Vec<_>>(),
        "peak_rss_mb": output::peak_rss_mb(),
    })
}

/// `neuroplast validate`.
pub fn validate(exp_path: &Path, set: &[String]) -> Result<()> {
    let exp = match AnyExperiment::load(exp_path, set)? {
        AnyExperiment::Spiking(exp) => return crate::spiking::validate(exp_path, &exp),
        AnyExperiment::Protocol(exp) => return crate::protocols::validate(exp_path, &exp),
        AnyExperiment::Sorn(exp) => *exp,
    };
    let sim = exp.build()?;
    let net = &sim.sorn;
    for w in late_schedule(&exp) {
        println!("{w}");
    }
    println!(
        "{}: ok\n  preset {} · N_E = {} · N_I = {} · seed {} · {} steps\n  synapses: E→E {}, I→E {}, E→I {} · network memory {:.1} MiB · recordings ≈ {:.1} MiB\n  rules at start: {}\n  schedule events: {}\n\nstep schedule:\n{}",
        exp_path.display(),
        exp.preset.name(),
        exp.params.ne,
        exp.params.ni,
        exp.seed(),
        exp.steps(),
        net.w_ee().nnz(),
        net.w_ei().nnz(),
        net.w_ie().nnz(),
        net.heap_bytes() as f64 / 1048576.0,
        exp.recording_bytes(exp.steps()) as f64 / 1048576.0,
        net.active_rules().iter().map(|r| r.name()).collect::<Vec<_>>().join(", "),
        sim.events().len(),
        neuroplast_core::schedule::sorn_schedule_summary()
    );
    if let Some(ro) = exp.readout_spec() {
        let first = exp.steps() - ro.train_steps - ro.test_steps;
        let method = match &ro.method {
            Method::Logistic(o) => format!("logistic regression (C = {})", o.c),
            Method::Ridge { lambda, .. } if *lambda == 0.0 => "pseudo-inverse".to_string(),
            Method::Ridge { lambda, .. } => format!("ridge (λ = {lambda})"),
        };
        let features = match ro.features {
            StateFeatures::X => "x(t)",
            StateFeatures::Internal => "the drive before input",
            StateFeatures::Both => "x(t) and the drive before input",
        };
        let target = match ro.target {
            Target::Position => "position in the word",
            Target::Symbol => "symbol",
        };
        println!(
            "\nreadout: {method} on {features} → {target} at t + {}; trains on steps {}–{}, tests on {}–{}",
            ro.predict_ahead,
            first + 1,
            first + ro.train_steps,
            first + ro.train_steps + 1,
            exp.steps()
        );
    }
    if let Some(sw) = exp.file.sweep.as_ref().filter(|s| s.params.is_empty()) {
        match &sw.seeds {
            Some(Seeds::Range(r)) => println!("sweep: seeds {r} (no swept parameters)"),
            Some(Seeds::List(l)) => println!("sweep: seeds {l:?} (no swept parameters)"),
            None => println!("sweep: nothing to sweep yet (give --param or --seeds)"),
        }
    } else if let Some(sw) = &exp.file.sweep {
        let points: usize = sw
            .params
            .values()
            .map(|v| v.as_array().map_or(1, Vec::len))
            .product();
        println!(
            "sweep: {} value combination(s) of {}{}",
            points,
            sw.params.keys().cloned().collect::<Vec<_>>().join(", "),
            match &sw.seeds {
                Some(Seeds::Range(r)) => format!(" × seeds {r}"),
                Some(Seeds::List(l)) => format!(" × seeds {l:?}"),
                None => String::new(),
            }
        );
    }
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
    let files = draw(dir)?;
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

/// Draw the figures of results directory `dir`; the files written.
fn draw(dir: &Path) -> Result<Vec<PathBuf>> {
    let exp = match AnyExperiment::load(&dir.join("config.toml"), &[])? {
        AnyExperiment::Spiking(exp) => return crate::spiking::plot_dir(dir, &exp),
        AnyExperiment::Protocol(exp) => return crate::protocols::plot_dir(dir, &exp),
        AnyExperiment::Sorn(exp) => *exp,
    };
    // The step of the first activity sample is in summary.json (1 for a fresh run).
    let first_step = std::fs::read_to_string(dir.join("summary.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["activity_first_step"].as_u64())
        .unwrap_or(1);
    crate::figures::plot_dir(dir, &exp, first_step)
}
