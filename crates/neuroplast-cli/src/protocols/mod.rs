//! `run`, `validate` and `plot` for protocol experiment files (`[protocol] kind = …`).
//!
//! ```text
//! DIR/config.toml     the file with every parameter written out
//! DIR/summary.json    seed, wall time and the protocol's acceptance figures (`results`)
//! DIR/data/*.npy      what the figures are drawn from (per protocol, see its module)
//! DIR/plots/*.png     the protocol's figures (`neuroplast plot DIR` redraws them)
//! ```
//! Each protocol has a module here with `write` (data files and the `results` part of
//! summary.json, from the core's `Outcome`) and `plot` (figures from the data files). The
//! directory is staged and renamed when complete, so an interrupted or failed run leaves
//! nothing behind.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use neuroplast_config::protocol::ProtocolExperiment;
use neuroplast_core::checkpoint::NEUROPLAST_VERSION;
use neuroplast_core::experiments::{self as ex, ProtocolSpec};
use serde_json::json;

use crate::output::{self, StagedDir};
use crate::run::{stop_requested, Outcome};

mod characters;
mod drn;
mod polychronization;
mod sorf;

/// `neuroplast run` on a protocol file.
pub fn run(exp: &ProtocolExperiment, out: &Path, quiet: bool) -> Result<Outcome> {
    run_with(exp, out, quiet, true)
}

/// One point of `neuroplast sweep`: [`run`] without any output (not even the "wrote" line).
pub fn run_point(exp: &ProtocolExperiment, out: &Path) -> Result<Outcome> {
    run_with(exp, out, true, false)
}

fn run_with(exp: &ProtocolExperiment, out: &Path, quiet: bool, announce: bool) -> Result<Outcome> {
    let seed = exp.seed();
    if !quiet {
        eprintln!(
            "neuroplast {NEUROPLAST_VERSION} · protocol {} · seed {seed}",
            exp.kind()
        );
    }
    let pb = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stderr())
    };
    pb.set_style(
        ProgressStyle::with_template("{bar:40} {percent:>3}% · {elapsed} · ETA {eta}")
            .expect("valid template"),
    );
    let mut progress = |f: f64| {
        pb.set_position((f.clamp(0.0, 1.0) * 1000.0) as u64);
        !stop_requested()
    };
    let staged = StagedDir::new(out)?;
    let dir = staged.path().to_path_buf();
    std::fs::create_dir_all(dir.join("data"))?;
    std::fs::write(dir.join("config.toml"), exp.resolved_toml())?;
    let t0 = Instant::now();
    let core_err =
        |e| -> anyhow::Error { neuroplast_config::ConfigError::from_core(&exp.name, e).into() };
    let results = match &exp.file.protocol {
        ProtocolSpec::Polychronization(p) => ex::polychronization::run(p, seed, &mut progress)
            .map_err(core_err)
            .and_then(|o| polychronization::write(&o, p, &dir)),
        ProtocolSpec::Sorf(p) => ex::sorf::run(p, seed, &mut progress)
            .map_err(core_err)
            .and_then(|o| sorf::write(&o, p, &dir)),
        ProtocolSpec::Characters(p) => ex::characters::run(p, seed, &mut progress)
            .map_err(core_err)
            .and_then(|o| characters::write(&o, p, &dir)),
        ProtocolSpec::Drn(p) => ex::drn::run(p, seed, &mut progress)
            .map_err(core_err)
            .and_then(|o| drn::write(&o, p, &dir)),
    };
    pb.finish_and_clear();
    if stop_requested() {
        // the staged directory is removed when `staged` drops
        if announce {
            eprintln!("interrupted; a protocol run cannot be resumed, so nothing was written");
        }
        return Ok(Outcome::Interrupted);
    }
    let results = results?;
    let wall = t0.elapsed().as_secs_f64();
    let summary = json!({
        "neuroplast_version": NEUROPLAST_VERSION,
        "kind": "protocol",
        "protocol": exp.kind(),
        "seed": seed,
        "wall_seconds": wall,
        "peak_rss_mb": output::peak_rss_mb(),
        "results": results,
    });
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_string_pretty(&summary)? + "\n",
    )?;
    if exp.file.output.plots {
        plot_dir(&dir, exp)?;
    }
    let path = staged.commit()?;
    if announce {
        println!("wrote {} ({} in {wall:.2} s)", path.display(), exp.kind());
    }
    Ok(Outcome::Finished)
}

/// `neuroplast validate` on a protocol file.
pub fn validate(exp_path: &Path, exp: &ProtocolExperiment) -> Result<()> {
    println!(
        "{}: valid protocol experiment `{}` (seed {})",
        exp_path.display(),
        exp.kind(),
        exp.seed()
    );
    Ok(())
}

/// Draw the figures of a protocol results directory from its data files.
pub fn plot_dir(dir: &Path, exp: &ProtocolExperiment) -> Result<Vec<PathBuf>> {
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots)
        .with_context(|| format!("cannot create {}", plots.display()))?;
    match &exp.file.protocol {
        ProtocolSpec::Polychronization(p) => polychronization::plot(dir, p),
        ProtocolSpec::Sorf(p) => sorf::plot(dir, p),
        ProtocolSpec::Characters(p) => characters::plot(dir, p),
        ProtocolSpec::Drn(p) => drn::plot(dir, p),
    }
}
