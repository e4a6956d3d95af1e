//! `neuroplast`: run, validate, resume, plot and benchmark experiments described in TOML.
//!
//! Exit status: 0 on success, 2 when the experiment file or arguments are invalid or the
//! output directory is in the way (nothing was run or written), 130 when Ctrl-C stopped a run
//! (it writes its results and a checkpoint, so `neuroplast resume` can continue it), 1 for any
//! other failure.
//!
//! Under `mpirun -np K` (built with `--features mpi`) `run` and `resume` distribute a spiking
//! network over the ranks; rank 0 writes the results (`cluster`).
//!
//! Modules: `session` (what every command shares), `cluster` (runs over several processes),
//! `run` (run, resume, validate, plot for every kind), `simulate` (one run into a results
//! directory: `run`, `resume` and every sweep point), `results` (the results directory),
//! `analysis` (`[analysis]`, `[readout]`), `figures` (which figures, shared ones) with `sorn`,
//! `spiking` and `protocols` (each kind's figures), `sweep` (the grid and its points) with
//! `sweep_report` (the sweep's tables and figures) and `pooled`, `bench`, and the drawing and
//! file primitives `plots`, `npy`. Command modules share the lower ones and never use each
//! other.

mod analysis;
mod bench;
mod cluster;
mod figures;
mod npy;
mod plots;
mod pooled;
mod protocols;
mod results;
mod run;
mod session;
mod simulate;
mod sorn;
mod spiking;
mod sweep;
mod sweep_report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Simulator for self-organizing recurrent networks and plastic spiking networks.
#[derive(Parser)]
#[command(name = "neuroplast", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run an experiment file and write a results directory.
    Run(run::RunArgs),
    /// Check an experiment file (and build its network) without running it.
    Validate {
        /// Experiment file.
        exp: PathBuf,
        /// Override a value, e.g. `--set sorn.ne=400` (repeatable).
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
    },
    /// Continue a run from its results directory (bit-exact with an uninterrupted run).
    Resume(run::ResumeArgs),
    /// Run a grid of parameter values × seeds of any experiment file in parallel jobs (one
    /// results directory per point, plus sweep.csv and a summary plot).
    Sweep(sweep::SweepArgs),
    /// Redraw the figures of a results directory from its data files.
    Plot {
        /// Results directory written by `neuroplast run`.
        dir: PathBuf,
    },
    /// Print every built-in neuron model and plasticity rule with its parameters and
    /// defaults, as Markdown (the text of docs/models.md).
    Models,
    /// Measure speed and memory.
    Bench {
        #[command(subcommand)]
        what: bench::BenchCmd,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _mpi = match cluster::init() {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if cluster::ranks() > 1 && !matches!(cli.cmd, Cmd::Run(_) | Cmd::Resume(_)) {
        if cluster::lead() {
            eprintln!(
                "error: under mpirun only `neuroplast run` and `neuroplast resume` are \
                 distributed; run this command without mpirun"
            );
        }
        return ExitCode::from(2);
    }
    let finished = |r: anyhow::Result<()>| r.map(|()| session::Outcome::Finished);
    let result = match cli.cmd {
        Cmd::Run(a) => run::run(a),
        Cmd::Validate { exp, set } => finished(run::validate(&exp, &set)),
        Cmd::Resume(a) => run::resume(a),
        Cmd::Sweep(a) => sweep::sweep(a),
        Cmd::Plot { dir } => finished(run::plot(&dir)),
        Cmd::Models => {
            print!("{}", neuroplast_config::catalogue::markdown());
            Ok(session::Outcome::Finished)
        }
        Cmd::Bench { what } => finished(bench::bench(what)),
    };
    match result {
        Ok(session::Outcome::Finished) => ExitCode::SUCCESS,
        Ok(session::Outcome::Interrupted) => ExitCode::from(130),
        Err(e) => {
            // during a distributed run's collectives: name the rank and stop every rank
            cluster::fail(&session::chain(&e));
            // before them every rank has the error (`cluster::agree`); rank 0 prints it
            if cluster::lead() {
                if let Some(c) = e.downcast_ref::<neuroplast_config::ConfigError>() {
                    eprintln!("error: {c}");
                } else if let Some(r) = e.downcast_ref::<session::Refused>() {
                    eprintln!("error: {r}");
                } else {
                    eprintln!("error: {}", session::chain(&e));
                }
            }
            exit_status(&e)
        }
    }
}

/// 2 for a refusal (nothing ran or was written), 1 for any other failure.
fn exit_status(e: &anyhow::Error) -> ExitCode {
    if e.downcast_ref::<neuroplast_config::ConfigError>().is_some()
        || e.downcast_ref::<session::Refused>().is_some()
    {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}
