//! `neuroplast bench`: speed and memory, measured in-process (no timed tests anywhere).

use std::time::Instant;

use anyhow::Result;
use neuroplast_config::library::as_equations;
use neuroplast_config::SornExperiment;
use neuroplast_core::checkpoint::NEUROPLAST_VERSION;
use neuroplast_core::sorn::{input::Input, Sorn};
use neuroplast_core::spiking::benchmarks::Benchmark;
use serde_json::json;

/// Options shared by the spiking benchmarks.
#[derive(clap::Args, Clone, Debug)]
pub struct SpikingBench {
    /// Neurons [default: 4000 for coba/cuba, 1000 for izh03/izh06].
    #[arg(long)]
    n: Option<usize>,
    /// Biological time to simulate, seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Threads (results are identical for any number).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Timed repeats (each builds a fresh network); the median is reported.
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Seed (the peers' scripts use 4321).
    #[arg(long, default_value_t = 4321)]
    seed: u64,
    /// Print one line `RESULT {json}` with the peers' fields, as the peers' scripts print it
    /// (`shared/bench/peers/README.md`; `sed -n 's/^RESULT //p'` leaves the JSON).
    #[arg(long)]
    json: bool,
    /// Give parameters of every neuron population one value per neuron (the benchmark's
    /// values, each neuron's made different in the last bits: value·(1 + 10⁻¹²·i)), to
    /// measure what per-neuron parameters cost against one value per population: every
    /// numeric parameter (`--per-neuron`), or those listed (`--per-neuron i_offset,v_thresh`).
    #[arg(long, value_name = "PARAMS", num_args = 0..=1, default_missing_value = "all")]
    per_neuron: Option<String>,
    /// COBA and CUBA only: the neuron model written as equations (the model library's
    /// `IF_cond_exp` / `IF_curr_exp`, `examples/models/`) with the built-in's values, run by
    /// the model language's interpreter; `prep_s` is then its parse + check + lower + compile
    /// time for N neurons.
    #[arg(long)]
    equations: bool,
    /// Precision of the neuron populations' state: `f64` (default) or `f32` (built-in
    /// `IF_cond_exp`, `IF_curr_exp`, `Izhikevich` and equation models: coba, cuba, izh03,
    /// izh06).
    #[arg(long, value_enum, default_value = "f64")]
    precision: PrecisionArg,
}

/// `--precision`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrecisionArg {
    /// 64-bit state.
    F64,
    /// 32-bit state.
    F32,
}

/// Every non-source population of `b` in `precision` (errors name the population and the
/// models that have it).
fn set_precision(
    b: &mut neuroplast_core::spiking::network::NetworkBuilder,
    precision: PrecisionArg,
) -> Result<()> {
    use neuroplast_core::spiking::neuron::Precision;
    if precision == PrecisionArg::F64 {
        return Ok(());
    }
    for (name, _, model) in b.populations() {
        if model.name().starts_with("SpikeSource") {
            continue;
        }
        b.precision(&name, Precision::F32)
            .map_err(|e| anyhow::anyhow!("--precision f32: {e}"))?;
    }
    Ok(())
}

/// What to benchmark.
#[derive(clap::Subcommand)]
pub enum BenchCmd {
    /// COBA (Vogels & Abbott 2005): conductance LIF, 80 % excitatory, p = 80/N, dt 0.1 ms.
    Coba(SpikingBench),
    /// CUBA (Brette et al. 2007 benchmark 2): current LIF, exact integration, dt 0.1 ms.
    Cuba(SpikingBench),
    /// Izhikevich 2003: 1000 neurons all-to-all, noisy thalamic input, dt 1 ms.
    Izh03(SpikingBench),
    /// Izhikevich 2006 polychronization (spnet) with STDP, dt 1 ms.
    Izh06(SpikingBench),
    /// Song, Miller & Abbott 2000: 1000 Poisson inputs → 1 LIF with additive STDP, dt 0.1 ms.
    Stdp00(SpikingBench),
    /// The SORN step with every rule of the preset and noise on, no recording.
    Sorn {
        /// Excitatory units.
        #[arg(long, default_value_t = 200)]
        ne: usize,
        /// Preset.
        #[arg(long, default_value = "delpapa2017")]
        preset: String,
        /// Steps per timed repeat [default: about 4·10⁶ / N_E, at least 50].
        #[arg(long)]
        steps: Option<u64>,
        /// Timed repeats; the median is reported.
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// Untimed steps before timing (lets the network leave its initial transient)
        /// [default: half of --steps].
        #[arg(long)]
        warmup: Option<u64>,
        /// Threads for the row-parallel passes.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Override a SORN value, e.g. `--set sorn.w_ee='{kind="fixed_in_degree",k=20}'`.
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Run a benchmark.
pub fn bench(cmd: BenchCmd) -> Result<()> {
    let (which, opts) = match cmd {
        BenchCmd::Coba(o) => (Benchmark::Coba, o),
        BenchCmd::Cuba(o) => (Benchmark::Cuba, o),
        BenchCmd::Izh03(o) => (Benchmark::Izh03, o),
        BenchCmd::Izh06(o) => (Benchmark::Izh06, o),
        BenchCmd::Stdp00(o) => (Benchmark::Stdp00, o),
        sorn => return bench_sorn(sorn),
    };
    bench_spiking(which, &opts)
}

/// CPU time of the calling thread in seconds (Linux `/proc/thread-self/schedstat`, ns
/// resolution); `None` where unavailable.
fn thread_cpu_s() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns * 1e-9)
}

fn loadavg() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Parameters `which` ("all": every numeric one) of every non-source population as one value
/// per neuron, each a hair different from the next (so those constants are arrays).
fn per_neuron(
    b: &mut neuroplast_core::spiking::network::NetworkBuilder,
    which: &str,
) -> Result<()> {
    use neuroplast_core::spiking::connector::Value;
    for (name, n, model) in b.populations() {
        if name.starts_with("input") || model.name().starts_with("SpikeSource") {
            continue;
        }
        let all = model.per_neuron_params();
        let chosen: Vec<&str> = if which == "all" {
            all.to_vec()
        } else {
            which.split(',').map(str::trim).collect()
        };
        for param in chosen {
            if !all.contains(&param) {
                anyhow::bail!(
                    "--per-neuron: {} has no parameter `{param}`; it has {}",
                    model.name(),
                    all.join(", ")
                );
            }
            let base = model.param(param).expect("a listed parameter");
            let values = (0..n).map(|i| base * (1.0 + 1e-12 * i as f64)).collect();
            b.param(&name, param, Value::Array { values })?;
        }
    }
    Ok(())
}

/// Parse + check + plan the benchmark's equation model, then lower, compile and initialise
/// it for `n` neurons (what an equation model adds to building a network), seconds.
fn equations_prep_s(which: Benchmark, n: usize) -> Result<f64> {
    use neuroplast_core::lang::{NeuronExec, Precision};
    use neuroplast_core::spiking::network::ModelSpec;
    let builtin = which.builder(80, 1)?.populations()[0].2.clone();
    let t0 = Instant::now();
    let ModelSpec::equations(eq) = as_equations(&builtin)? else {
        unreachable!("as_equations makes an equation model")
    };
    let def = eq.def().expect("a parsed model");
    let values: Vec<(&str, Vec<f64>)> = eq
        .values()
        .iter()
        .map(|(k, v)| (k.as_str(), vec![*v]))
        .collect();
    let params: Vec<(&str, &[f64])> = values.iter().map(|(k, v)| (*k, v.as_slice())).collect();
    let rng = neuroplast_core::rng::component(1, neuroplast_core::rng::Stream::Poisson, 0);
    let exec = NeuronExec::with_params(def, n, which.dt_ms(), Precision::F64, rng, &params)?;
    let s = t0.elapsed().as_secs_f64();
    drop(exec);
    Ok(s)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn bench_spiking(which: Benchmark, o: &SpikingBench) -> Result<()> {
    let load = loadavg();
    let n = o.n.unwrap_or(which.default_n());
    let dt = which.dt_ms();
    // COBA and CUBA connect with p = 80/N; every benchmark needs both of its populations.
    let min_n = match which {
        Benchmark::Coba | Benchmark::Cuba => 80,
        Benchmark::Izh03 | Benchmark::Izh06 => 5,
        Benchmark::Stdp00 => 1,
    };
    if n < min_n {
        crate::session::refuse!(
            "--n {n} is too small for {}: at least {min_n}",
            which.name()
        );
    }
    if o.repeats == 0 {
        crate::session::refuse!("--repeats must be ≥ 1");
    }
    let steps = (o.seconds * 1000.0 / dt).round() as u64;
    if !o.seconds.is_finite() {
        crate::session::refuse!("--seconds must be a finite number, got {}", o.seconds);
    }
    if steps == 0 {
        crate::session::refuse!(
            "--seconds {} is shorter than one step ({dt} ms); give at least {}",
            o.seconds,
            dt / 1000.0
        );
    }
    let prep_s = if o.equations {
        if which.equations_builder(n, o.seed, &as_equations).is_none() {
            crate::session::refuse!(
                "--equations: {} has no equation version; coba and cuba have",
                which.name()
            );
        }
        equations_prep_s(which, n)?
    } else {
        0.0
    };
    let (mut builds, mut sims, mut walls, mut cpus) = (vec![], vec![], vec![], vec![]);
    let mut last = None;
    for _ in 0..o.repeats {
        let t0 = Instant::now();
        let mut b = if o.equations {
            which
                .equations_builder(n, o.seed, &as_equations)
                .expect("checked above")?
        } else {
            which.builder(n, o.seed)?
        };
        if let Some(which) = &o.per_neuron {
            per_neuron(&mut b, which)?;
        }
        set_precision(&mut b, o.precision)?;
        let mut net = b.build()?;
        net.set_threads(o.threads)?;
        builds.push(t0.elapsed().as_secs_f64());
        let (w0, c0) = (Instant::now(), thread_cpu_s());
        net.run(steps);
        let wall = w0.elapsed().as_secs_f64();
        let cpu = match (c0, thread_cpu_s()) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        // one thread: CPU time of the loop (robust to time slicing), as the peers report it;
        // more threads: wall time
        let sim = if o.threads == 1 {
            cpu.unwrap_or(wall)
        } else {
            wall
        };
        sims.push(sim);
        walls.push(wall);
        if let Some(c) = cpu {
            cpus.push(c);
        }
        last = Some(net);
    }
    let net = last.expect("at least one repeat");
    let sim_s = median(sims.clone());
    let spikes: u64 = net.populations().iter().map(|p| p.spike_count()).sum();
    let events = net.synaptic_events() as f64;
    let rate = spikes as f64 / n as f64 / o.seconds;
    let mut result = json!({
        "system": "neuroplast",
        "version": NEUROPLAST_VERSION,
        "target": "rust",
        "model": which.name(),
        "N": n,
        "p": if matches!(which, Benchmark::Coba | Benchmark::Cuba) { json!(80.0 / n as f64) } else { json!(null) },
        "T": o.seconds,
        "dt_ms": dt,
        "threads": net.threads(),
        "loadavg_start": load,
        "build_s": median(builds.clone()),
        "prep_s": prep_s,
        "equations": o.equations,
        "precision": if o.precision == PrecisionArg::F32 { "f32" } else { "f64" },
        "sim_s": sim_s,
        "sim_clock": if o.threads == 1 && !cpus.is_empty() { "cpu" } else { "wall" },
        "sim_wall": median(walls),
        "sim_cpu": if cpus.is_empty() { json!(null) } else { json!(median(cpus)) },
        "sim_runs": sims,
        "build_runs": builds,
        "per_neuron_params": o.per_neuron,
        "spikes": spikes,
        "synapses": net.synapse_count(),
        "rate_hz": rate,
        "syn_events": events,
        "events_per_s": events / sim_s,
        "realtime_factor": o.seconds / sim_s,
        "spike_hash": format!("{:016x}", net.spike_hash()),
    });
    for p in net.populations() {
        result[format!("rate_{}_hz", p.name())] =
            json!(p.spike_count() as f64 / p.len() as f64 / o.seconds);
    }
    if which == Benchmark::Stdp00 {
        // the peers report the postsynaptic neuron's rate and weights as fractions of g_max
        let post = net.population("neuron").expect("stdp00 has a neuron");
        result["rate_hz"] = json!(post.spike_count() as f64 / o.seconds);
        let w = net.projections()[0].synapses.weights();
        let g_max = neuroplast_core::spiking::benchmarks::STDP00_G_MAX;
        let frac = |f: &dyn Fn(f64) -> bool| {
            w.iter().filter(|&&x| f(x / g_max)).count() as f64 / w.len() as f64
        };
        result["w_frac_mean"] = json!(w.iter().sum::<f64>() / w.len() as f64 / g_max);
        result["frac_w_near_max"] = json!(frac(&|x| x > 0.9));
        result["frac_w_near_0"] = json!(frac(&|x| x < 0.1));
    }
    if which == Benchmark::Izh06 {
        let w = net.projections()[0].synapses.weights();
        result["w_mean"] = json!(w.iter().sum::<f64>() / w.len() as f64);
        result["frac_w_gt9"] =
            json!(w.iter().filter(|&&x| x > 9.0).count() as f64 / w.len() as f64);
    }
    if o.json {
        println!("RESULT {result}");
    } else {
        let rates: Vec<String> = net
            .populations()
            .iter()
            .map(|p| {
                format!(
                    "{} {:.2} Hz",
                    p.name(),
                    p.spike_count() as f64 / p.len() as f64 / o.seconds
                )
            })
            .collect();
        // A run shorter than the clock's resolution has no meaningful speed.
        let speed = if sim_s > 0.0 {
            format!(
                "{:.1}× real time · {:.1} M synaptic events/s",
                o.seconds / sim_s,
                events / sim_s / 1e6
            )
        } else {
            "too short to time (give more --seconds)".to_string()
        };
        println!(
            "{} · N = {n} · {} s biological · {} thread(s): {:.3} s simulation ({} time, median of {}) · {speed} · {} · build {:.3} s · {} synapses",
            which.name(),
            o.seconds,
            net.threads(),
            sim_s,
            result["sim_clock"].as_str().unwrap_or("wall"),
            result["sim_runs"].as_array().map_or(0, |a| a.len()),
            rates.join(", "),
            result["build_s"].as_f64().unwrap_or(0.0),
            net.synapse_count(),
        );
    }
    Ok(())
}

fn bench_sorn(cmd: BenchCmd) -> Result<()> {
    let BenchCmd::Sorn {
        ne,
        preset,
        steps,
        repeats,
        warmup,
        threads,
        set,
        json: as_json,
    } = cmd
    else {
        unreachable!("spiking benchmarks are dispatched in bench()")
    };
    if repeats == 0 {
        crate::session::refuse!("--repeats must be ≥ 1");
    }
    if steps == Some(0) {
        crate::session::refuse!("--steps must be ≥ 1");
    }
    let steps = steps.unwrap_or((4_000_000 / ne.max(1) as u64).max(50));
    let warmup = warmup.unwrap_or(steps / 2);
    let toml = format!(
        "[simulation]\nsteps = {steps}\n[sorn]\npreset = {preset:?}\nne = {ne}\n[record]\nactivity = false\n"
    );
    let exp = SornExperiment::from_str(&toml, "bench", ".".as_ref(), &set)?;
    let t0 = Instant::now();
    let mut net = Sorn::new(exp.params.clone(), exp.seed())?;
    net.set_threads(threads)?;
    let init_s = t0.elapsed().as_secs_f64();
    let mut input = Input::None;
    for _ in 0..warmup {
        net.step(&mut input);
    }
    let mut per_step: Vec<f64> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..steps {
                net.step(&mut input);
            }
            1e6 * t.elapsed().as_secs_f64() / steps as f64
        })
        .collect();
    let runs = per_step.clone();
    per_step.sort_by(f64::total_cmp);
    let median = per_step[per_step.len() / 2];
    let rss = crate::results::peak_rss_mb();
    let p = net.params();
    let result = json!({
        "benchmark": "sorn",
        "preset": exp.preset.name(),
        "ne": p.ne,
        "ni": p.ni,
        "steps": steps,
        "warmup": warmup,
        "repeats": runs.len(),
        "us_per_step": median,
        "us_per_step_runs": runs,
        "steps_per_s": 1e6 / median,
        "init_s": init_s,
        "peak_rss_mb": rss,
        "synapses": { "ee": net.w_ee().nnz(), "ei": net.w_ei().nnz(), "ie": net.w_ie().nnz() },
        "threads": net.threads(),
        "neuroplast_version": NEUROPLAST_VERSION,
    });
    if as_json {
        println!("{result}");
    } else {
        println!(
            "sorn {} · N_E = {} · N_I = {} · {} thread(s): {:.2} µs/step (median of {}, {} steps each after {} warm-up) · {:.0} steps/s · init {:.2} s · peak RSS {}",
            exp.preset.name(),
            p.ne,
            p.ni,
            net.threads(),
            median,
            runs.len(),
            steps,
            warmup,
            1e6 / median,
            init_s,
            rss.map_or("n/a".into(), |r| format!("{r:.1} MiB"))
        );
    }
    Ok(())
}
