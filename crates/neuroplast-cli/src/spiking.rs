//! `run`, `validate` and `plot` for spiking experiment files (`[populations]`).
//!
//! ```text
//! DIR/config.toml                      resolved configuration (every model parameter explicit)
//! DIR/summary.json                     per population n, spikes, mean rate; synapses, synaptic
//!                                      events, build and simulation wall time, realtime factor
//!                                      (simulated / wall time, above 1 = faster than real time),
//!                                      spike hash, threads, seed, dt
//! DIR/spikes/<pop>.npz                 step (u64), neuron (u32): one entry per recorded spike
//! DIR/state/<pop>_<var>.npy            samples × recorded neurons (f64)
//! DIR/state/<pop>_<var>_steps.npy      step after which each sample was taken (u64)
//! DIR/rate/<pop>.npy, <pop>_steps.npy  rate in Hz per bin (f64), first step of each bin (u64)
//! DIR/plots/raster.png, state_<pop>_<var>.png, rate.png
//! DIR/checkpoint.bin                   the whole network, for `neuroplast resume` (if
//!                                      output.checkpoint, or interrupted)
//! ```
//! A resumed run ([`resume`]) writes the same files; its recordings are those of the new
//! steps (step numbers go on from the checkpoint), its summary.json states totals,
//! `steps_this_run`, `first_step_this_run` and `resumed_from`.
//! The run goes in chunks ([`SpikingExperiment::chunk_steps`]); after each, the monitors are
//! drained and appended to the files ([`crate::npy::NpyAppender`]), so memory holds one chunk.
//! Spikes stream into `.npy` files that are packed into the `.npz` at the end. Everything is
//! written into the staged directory of [`crate::output::StagedDir`].

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ndarray::{Array1, Array2};
use ndarray_npy::{NpzReader, ReadableElement};
use neuroplast_config::spiking::{SpikingExperiment, BYTES_PER_SPIKE, PLAN_RATE_HZ};
use neuroplast_core::checkpoint::{self, NEUROPLAST_VERSION};
use neuroplast_core::spiking::monitor::{MonitorSpec, Recordings};
use neuroplast_core::spiking::network::{Network, PHASES};
use serde_json::json;

use crate::npy::{pack_npz, NpyAppender};
use crate::output::{self, StagedDir};
use crate::plots::{self, RasterLayer};
use crate::run::{stop_requested, Outcome};

fn mib(bytes: u64) -> String {
    let m = bytes as f64 / 1048576.0;
    if m < 0.1 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{m:.1} MiB")
    }
}

/// The network and the recording plan, as `run` and `validate` print them.
fn describe(exp: &SpikingExperiment, net: &Network) -> String {
    let mut s = String::new();
    let dt = exp.dt_ms();
    s += &format!(
        "network: {} neurons in {} population(s), {} synapses, state ≈ {}\n",
        net.populations().iter().map(|p| p.len()).sum::<usize>(),
        net.populations().len(),
        net.synapse_count(),
        mib(net.state_bytes() as u64)
    );
    for p in net.populations() {
        s += &format!(
            "  population {:<12} {:>8} × {}\n",
            p.name(),
            p.len(),
            p.model()
        );
    }
    for (proj, (_, spec)) in net.projections().iter().zip(exp.file.projections.iter()) {
        let synapse = match (&spec.receptor, &spec.synapse) {
            (Some(r), _) => format!("receptor {}", r.0.join("+")),
            (None, Some(s)) => toml::Value::try_from(s)
                .ok()
                .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(String::from))
                .unwrap_or_default(),
            _ => String::new(),
        };
        s += &format!(
            "  projection {:<12} {} → {} · {} synapses · {} · max delay {} steps\n",
            proj.name,
            net.populations()[proj.pre].name(),
            net.populations()[proj.post].name(),
            proj.synapses.len(),
            synapse,
            proj.synapses.max_delay()
        );
    }
    let plan = exp.recording_plan();
    s += &format!(
        "recording: {} steps ({} ms) in chunks of {} steps; buffers of one chunk ≈ {}\n",
        exp.steps(),
        exp.steps() as f64 * dt,
        plan.chunk_steps,
        mib(plan.buffer_bytes())
    );
    s += &format!(
        "  disk: state and rate samples {} (exact); spikes of {} neurons: {BYTES_PER_SPIKE} B per spike, ≈ {} at {PLAN_RATE_HZ} Hz\n",
        mib(plan.sample_bytes),
        plan.spike_neurons,
        mib(plan.spike_bytes_estimate)
    );
    if let Some(m) = exp.file.record.max_memory_mb {
        s += &format!("  memory limit {m} MiB (record.max_memory_mb)\n");
    }
    s
}

/// `neuroplast validate` on a spiking file.
pub fn validate(exp_path: &Path, exp: &SpikingExperiment) -> Result<()> {
    let net = exp.build()?;
    println!("{}: ok\n", exp_path.display());
    for w in late_schedule(exp) {
        println!("{w}\n");
    }
    println!("{}", exp.resolved_toml());
    print!("{}", describe(exp, &net));
    println!(
        "\nstep schedule (dt = {} ms, seed {}, {} thread(s)):",
        exp.dt_ms(),
        exp.seed(),
        net.threads()
    );
    for (k, phase) in PHASES.iter().enumerate() {
        println!("  {k}. {:<16} {}", phase.name(), phase.describe());
    }
    Ok(())
}

/// Warnings for `[[schedule]]` entries at or after the end of the run (they take effect only
/// in a longer run or a resume).
fn late_schedule(exp: &SpikingExperiment) -> Vec<String> {
    let end_ms = exp.steps() as f64 * exp.dt_ms();
    exp.file
        .schedule
        .iter()
        .enumerate()
        .filter(|(_, e)| e.at_ms >= end_ms)
        .map(|(i, e)| {
            format!(
                "warning: schedule[{i}].at_ms = {} is not before the run's end ({end_ms} ms): it \
                 takes effect only in a longer run or a resume",
                e.at_ms
            )
        })
        .collect()
}

/// Where one monitor's chunks go.
enum Sink {
    Spikes {
        pop: String,
        steps: NpyAppender<u64>,
        ids: NpyAppender<u32>,
    },
    State {
        values: NpyAppender<f64>,
        steps: NpyAppender<u64>,
    },
    Rate {
        values: NpyAppender<f64>,
        steps: NpyAppender<u64>,
    },
}

struct Writers {
    spikes: Vec<Sink>,
    states: Vec<Sink>,
    rates: Vec<Sink>,
    recorded_spikes: Vec<(String, u64)>,
}

impl Writers {
    /// Append a drained chunk.
    fn write(&mut self, rec: &Recordings) -> Result<()> {
        for (k, chunk) in rec.spikes.iter().enumerate() {
            if let Some(Sink::Spikes { steps, ids, .. }) = self.spikes.get_mut(k) {
                steps.append(&chunk.steps)?;
                ids.append(&chunk.ids)?;
            }
        }
        for (sink, chunk) in self.states.iter_mut().zip(&rec.states) {
            if let Sink::State { values, steps } = sink {
                values.append(&chunk.values)?;
                steps.append(&chunk.steps)?;
            }
        }
        for (sink, chunk) in self.rates.iter_mut().zip(&rec.rates) {
            if let Sink::Rate { values, steps } = sink {
                values.append(&chunk.rates)?;
                steps.append(&chunk.steps)?;
            }
        }
        Ok(())
    }

    fn finish(self, dir: &Path) -> Result<Vec<(String, u64)>> {
        let mut recorded = self.recorded_spikes;
        for sink in self.spikes {
            if let Sink::Spikes { pop, steps, ids } = sink {
                recorded.push((pop.clone(), steps.len()));
                let s = steps.finish()?;
                let i = ids.finish()?;
                pack_npz(
                    &dir.join("spikes").join(format!("{pop}.npz")),
                    &[("step", s), ("neuron", i)],
                )?;
            }
        }
        for sink in self.states.into_iter().chain(self.rates) {
            if let Sink::State { values, steps } | Sink::Rate { values, steps } = sink {
                values.finish()?;
                steps.finish()?;
            }
        }
        Ok(recorded)
    }
}

/// How a run came to its network.
struct Origin<'a> {
    /// Seconds spent building (or loading) the network.
    build_s: f64,
    /// The results directory whose checkpoint was loaded.
    resumed_from: Option<&'a Path>,
    /// Recordings the checkpoint held undrained (written first, not counted again).
    pending: Option<Recordings>,
    /// Print the "wrote …" line (and the resume hint after Ctrl-C).
    announce: bool,
}

/// `neuroplast run` on a spiking file: build, print the plan, run in chunks streaming the
/// recordings, write the results directory atomically.
pub fn run(exp: &SpikingExperiment, out: &Path, quiet: bool) -> Result<Outcome> {
    run_with(exp, out, quiet, true)
}

/// One point of `neuroplast sweep`: [`run`] without any output (not even the "wrote" line).
pub fn run_point(exp: &SpikingExperiment, out: &Path) -> Result<Outcome> {
    run_with(exp, out, true, false)
}

fn run_with(exp: &SpikingExperiment, out: &Path, quiet: bool, announce: bool) -> Result<Outcome> {
    let t_build = Instant::now();
    let net = exp.build()?;
    let build_s = t_build.elapsed().as_secs_f64();
    if !quiet {
        eprintln!(
            "neuroplast {NEUROPLAST_VERSION} · spiking network · {} steps of {} ms · seed {} · {} thread(s) · built in {build_s:.2} s",
            exp.steps(),
            exp.dt_ms(),
            exp.seed(),
            net.threads()
        );
        eprint!("{}", describe(exp, &net));
        for w in late_schedule(exp) {
            eprintln!("{w}");
        }
    }
    simulate(
        exp,
        net,
        out,
        quiet,
        Origin {
            build_s,
            resumed_from: None,
            pending: None,
            announce,
        },
    )
}

/// `neuroplast resume` on a spiking results directory: load `dir/checkpoint.bin` (`exp` is
/// `dir/config.toml`), run `steps` more steps and write the results (the recordings of the
/// new steps) to `out` as [`run`] does.
pub fn resume(
    mut exp: SpikingExperiment,
    dir: &Path,
    steps: u64,
    out: &Path,
    threads: Option<usize>,
    quiet: bool,
) -> Result<Outcome> {
    if steps == 0 {
        crate::run::refuse!("--steps must be ≥ 1");
    }
    let cfg = dir.join("config.toml");
    let ck = dir.join("checkpoint.bin");
    let t_load = Instant::now();
    let bytes = std::fs::read(&ck).with_context(|| {
        format!(
            "cannot read {} (was the run written with output.checkpoint = false?)",
            ck.display()
        )
    })?;
    let mut net =
        checkpoint::network_from_bytes(&bytes).with_context(|| format!("{}", ck.display()))?;
    crate::run::check_unedited(dir)?;
    drop(bytes);
    let t0 = net.step_count();
    if exp.steps() != t0 {
        crate::run::refuse!(
            "{} says {} steps but {} is at step {t0}; config.toml must not be edited before resuming",
            cfg.display(),
            exp.steps(),
            ck.display()
        );
    }
    if t0.checked_add(steps).is_none() {
        crate::run::refuse!("--steps {steps} is too many: step {t0} + {steps} overflows");
    }
    exp.set_steps(steps);
    let pending = net.drain();
    if let Err(what) = same_network(&exp, &net, &pending) {
        crate::run::refuse!(
            "{} and {} disagree on {what}; config.toml must not be edited before resuming",
            cfg.display(),
            ck.display()
        );
    }
    let mut net = exp.finish(net)?;
    if let Some(t) = threads {
        net.set_threads(t)
            .map_err(|e| neuroplast_config::ConfigError::from_core("--threads", e))?;
    }
    let build_s = t_load.elapsed().as_secs_f64();
    if !quiet {
        eprintln!(
            "resuming {} at step {t0} for {steps} more steps · {} thread(s) · loaded in {build_s:.2} s",
            dir.display(),
            net.threads()
        );
        if out == dir {
            eprintln!(
                "note: {} is replaced; its recordings (steps before {t0}) give way to those of steps {t0}–{}; pass --out to keep both",
                dir.display(),
                t0 + steps - 1
            );
        }
    }
    simulate(
        &exp,
        net,
        out,
        quiet,
        Origin {
            build_s,
            resumed_from: Some(dir),
            pending: Some(pending),
            announce: true,
        },
    )
}

/// Whether a loaded network is the one `exp` describes (time step, seed, populations,
/// projections and monitors); `Err` names what differs.
fn same_network(
    exp: &SpikingExperiment,
    net: &Network,
    rec: &Recordings,
) -> std::result::Result<(), &'static str> {
    if net.dt_ms() != exp.dt_ms() {
        return Err("simulation.dt_ms");
    }
    if net.seed() != exp.seed() {
        return Err("simulation.seed");
    }
    let pops: Vec<(&str, usize)> = net
        .populations()
        .iter()
        .map(|p| (p.name(), p.len()))
        .collect();
    let want: Vec<(&str, usize)> = exp.file.populations.iter().map(|(k, p)| (k, p.n)).collect();
    if pops != want {
        return Err("the populations");
    }
    let projs: Vec<(&str, &str, &str)> = net
        .projections()
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                net.populations()[p.pre].name(),
                net.populations()[p.post].name(),
            )
        })
        .collect();
    let want: Vec<(&str, &str, &str)> = exp
        .file
        .projections
        .iter()
        .map(|(k, p)| (k, p.pre.as_str(), p.post.as_str()))
        .collect();
    if projs != want {
        return Err("the projections");
    }
    let spikes: Vec<&str> = rec.spikes.iter().map(|s| s.population.as_str()).collect();
    let mut states = Vec::new();
    let mut rates = Vec::new();
    for m in &exp.monitors {
        match &m.spec {
            MonitorSpec::Spikes { .. } => {}
            MonitorSpec::State {
                population,
                variable,
                neurons,
                ..
            } => states.push((population.as_str(), variable.as_str(), neurons.as_slice())),
            MonitorSpec::Rate { population, .. } => rates.push(population.as_str()),
        }
    }
    let got_states: Vec<(&str, &str, &[u32])> = rec
        .states
        .iter()
        .map(|s| {
            (
                s.population.as_str(),
                s.variable.as_str(),
                s.neurons.as_slice(),
            )
        })
        .collect();
    let got_rates: Vec<&str> = rec.rates.iter().map(|r| r.population.as_str()).collect();
    let want_spikes: Vec<&str> = exp
        .monitors
        .iter()
        .filter_map(|m| match &m.spec {
            MonitorSpec::Spikes { population, .. } => Some(population.as_str()),
            _ => None,
        })
        .collect();
    if spikes != want_spikes || got_states != states || got_rates != rates {
        return Err("the recordings");
    }
    Ok(())
}

/// Open the files of every monitor of `exp` in `dir`.
fn writers(exp: &SpikingExperiment, dir: &Path) -> Result<Writers> {
    let mut w = Writers {
        spikes: Vec::new(),
        states: Vec::new(),
        rates: Vec::new(),
        recorded_spikes: Vec::new(),
    };
    for m in &exp.monitors {
        match &m.spec {
            MonitorSpec::Spikes { population, .. } => {
                let d = dir.join("spikes");
                w.spikes.push(Sink::Spikes {
                    pop: population.clone(),
                    steps: NpyAppender::new(&d.join(format!(".{population}_step.npy")))?,
                    ids: NpyAppender::new(&d.join(format!(".{population}_neuron.npy")))?,
                });
            }
            MonitorSpec::State {
                population,
                variable,
                neurons,
                ..
            } => {
                let d = dir.join("state");
                w.states.push(Sink::State {
                    values: NpyAppender::with_cols(
                        &d.join(format!("{population}_{variable}.npy")),
                        neurons.len(),
                    )?,
                    steps: NpyAppender::new(&d.join(format!("{population}_{variable}_steps.npy")))?,
                });
            }
            MonitorSpec::Rate { population, .. } => {
                let d = dir.join("rate");
                w.rates.push(Sink::Rate {
                    values: NpyAppender::new(&d.join(format!("{population}.npy")))?,
                    steps: NpyAppender::new(&d.join(format!("{population}_steps.npy")))?,
                });
            }
        }
    }
    Ok(w)
}

/// Run `exp.steps()` steps of `net` in chunks, streaming the recordings, then write the
/// results directory (with `checkpoint.bin` if `output.checkpoint` or interrupted) atomically.
fn simulate(
    exp: &SpikingExperiment,
    mut net: Network,
    out: &Path,
    quiet: bool,
    origin: Origin<'_>,
) -> Result<Outcome> {
    let start_t = net.step_count();
    let start_spikes: Vec<u64> = net.populations().iter().map(|p| p.spike_count()).collect();
    let start_events = net.synaptic_events();
    let staged = StagedDir::new(out)?;
    let dir = staged.path().to_path_buf();
    let mut w = writers(exp, &dir)?;
    if let Some(pending) = &origin.pending {
        w.write(pending)?;
    }

    let steps = exp.steps();
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
    stop_requested();
    let chunk = exp.chunk_steps();
    let t0 = Instant::now();
    let mut sim_s = 0.0;
    let mut done = 0;
    while done < steps {
        let c = chunk.min(steps - done);
        let t = Instant::now();
        net.run(c);
        sim_s += t.elapsed().as_secs_f64();
        done += c;
        w.write(&net.drain())?;
        pb.set_position(done);
        if stop_requested() {
            break;
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    pb.finish_and_clear();
    let interrupted = done < steps;
    let total = net.step_count();

    // Synaptic events of this run: the network counts Σ spikes × out-degree as it goes.
    let events_this_run: u64 = net.synaptic_events() - start_events;
    let recorded = w.finish(&dir)?;
    if exp.file.output.checkpoint || interrupted {
        let f = File::create(dir.join("checkpoint.bin")).context("cannot create checkpoint.bin")?;
        let mut bw = std::io::BufWriter::new(f);
        checkpoint::write_network(&net, &mut bw).context("cannot write checkpoint.bin")?;
        std::io::Write::flush(&mut bw).context("cannot write checkpoint.bin")?;
    }

    // The resolved configuration states the whole run so far (what resume continues).
    let mut resolved = exp.clone();
    resolved.set_steps(total);
    let resolved_toml = resolved.resolved_toml();
    std::fs::write(dir.join("config.toml"), &resolved_toml)?;
    let dt = exp.dt_ms();
    let total_ms = total as f64 * dt;
    let run_ms = done as f64 * dt;
    let mut populations = serde_json::Map::new();
    for (p, start) in net.populations().iter().zip(&start_spikes) {
        populations.insert(
            p.name().to_string(),
            json!({
                "n": p.len(),
                "model": p.model(),
                "spikes": p.spike_count(),
                "spikes_this_run": p.spike_count() - start,
                "mean_rate_hz": p.spike_count() as f64 / p.len() as f64 / (total_ms / 1000.0),
            }),
        );
    }
    let mut projections = serde_json::Map::new();
    for pr in net.projections() {
        projections.insert(
            pr.name.clone(),
            json!({
                "pre": net.populations()[pr.pre].name(),
                "post": net.populations()[pr.post].name(),
                "synapses": pr.synapses.len(),
            }),
        );
    }
    let summary = json!({
        "neuroplast_version": NEUROPLAST_VERSION,
        "kind": "spiking",
        "seed": exp.seed(),
        "config_fingerprint": crate::run::config_fingerprint(&resolved_toml),
        "threads": net.threads(),
        "dt_ms": dt,
        "steps": total,
        "duration_ms": total_ms,
        "steps_this_run": done,
        "first_step_this_run": start_t,
        "resumed_from": origin.resumed_from.map(|d| d.display().to_string()),
        "interrupted": interrupted,
        "populations": populations,
        "projections": projections,
        "synapses": net.synapse_count(),
        "synaptic_events": net.synaptic_events(),
        "synaptic_events_this_run": events_this_run,
        "recorded_spikes": recorded.iter().map(|(p, n)| (p.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "build_seconds": origin.build_s,
        "wall_seconds": sim_s,
        "us_per_step": 1e6 * sim_s / done.max(1) as f64,
        // the peers' definition (shared/bench/peers/README.md): simulated / wall time, above 1
        // is faster than real time — the same as `neuroplast bench`
        "realtime_factor": (run_ms / 1000.0) / sim_s.max(1e-12),
        "spike_hash": format!("{:016x}", net.spike_hash()),
        "network_mb": net.state_bytes() as f64 / 1048576.0,
        "peak_rss_mb": output::peak_rss_mb(),
    });
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_string_pretty(&summary)? + "\n",
    )?;
    drop(net);
    if exp.file.output.plots {
        plot_dir(&dir, &resolved)?;
    }
    let path = staged.commit()?;
    if !origin.announce {
        return Ok(if interrupted {
            Outcome::Interrupted
        } else {
            Outcome::Finished
        });
    }
    println!(
        "wrote {} ({} steps in {:.2} s; {:.2}× real time; {} synaptic events; spike hash {})",
        path.display(),
        done,
        wall,
        summary["realtime_factor"].as_f64().unwrap_or(f64::NAN),
        events_this_run,
        summary["spike_hash"].as_str().unwrap_or("?")
    );
    if interrupted {
        eprintln!("interrupted after {done} of {steps} steps; results and checkpoint written");
        eprintln!(
            "continue with: neuroplast resume {} --steps {}",
            path.display(),
            steps - done
        );
        return Ok(Outcome::Interrupted);
    }
    Ok(Outcome::Finished)
}

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

/// Draw the figures of a spiking results directory from its files into `dir/plots`.
pub fn plot_dir(dir: &Path, exp: &SpikingExperiment) -> Result<Vec<PathBuf>> {
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
        let t1 = exp.steps().max(1);
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
