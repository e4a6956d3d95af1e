//! `neuroplast bench`: speed and memory, measured in-process (no timed tests anywhere).

use std::time::Instant;

use anyhow::Result;
use neuroplast_config::Experiment;
use neuroplast_core::checkpoint::NEUROPLAST_VERSION;
use neuroplast_core::sorn::{input::Input, Sorn};
use serde_json::json;

/// What to benchmark.
#[derive(clap::Subcommand)]
pub enum BenchCmd {
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
        /// Untimed steps before timing (lets the network leave its initial transient).
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
    let BenchCmd::Sorn {
        ne,
        preset,
        steps,
        repeats,
        warmup,
        threads,
        set,
        json: as_json,
    } = cmd;
    let steps = steps.unwrap_or((4_000_000 / ne.max(1) as u64).max(50));
    let warmup = warmup.unwrap_or(steps / 2);
    let toml = format!(
        "[simulation]\nsteps = {steps}\n[sorn]\npreset = {preset:?}\nne = {ne}\n[record]\nactivity = false\n"
    );
    let exp = Experiment::from_str(&toml, "bench", ".".as_ref(), &set)?;
    let t0 = Instant::now();
    let mut net = Sorn::new(exp.params.clone(), exp.seed())?;
    net.set_threads(threads)?;
    let init_s = t0.elapsed().as_secs_f64();
    let mut input = Input::None;
    for _ in 0..warmup {
        net.step(&mut input);
    }
    let mut per_step: Vec<f64> = (0..repeats.max(1))
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
    let rss = crate::output::peak_rss_mb();
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
