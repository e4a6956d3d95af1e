//! [`Experiment`]: what every kind of experiment file offers a front end, and the types its
//! methods share ([`OutputOptions`], [`RestoreError`], [`ReadoutPlan`]). Each kind implements
//! it in its own module (`sorn`, `spiking`, `protocol`); the crate's `load` and `from_str`
//! read a file of any kind into one.
//!
//! The command line's `run`, `resume`, `validate`, `sweep` and `plot` and Python's
//! `load_experiment` are written once against this trait and the core's
//! [`Engine`]; the kinds differ only inside their `impl`s.

use std::sync::Arc;

use neuroplast_core::distributed::Comm;
use neuroplast_core::engine::{Engine, Kind, Summary};
use neuroplast_core::readout::ReadoutSpec;

use crate::schema::AnalysisSection;
use crate::{ConfigError, Result};

/// What a run writes besides its recordings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OutputOptions {
    /// Write `checkpoint.bin` at the end (always written when a run is interrupted).
    pub checkpoint: bool,
    /// Draw the PNG figures.
    pub plots: bool,
    /// Steps shown in the raster figure (the last ones of the run).
    pub raster_steps: u64,
}

/// Why checkpoint bytes could not continue a run of an experiment file.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The bytes are not a checkpoint this build can read (damaged, truncated, another format
    /// version).
    #[error(transparent)]
    Unreadable(neuroplast_core::Error),
    /// The checkpoint holds another network than the file describes.
    #[error(transparent)]
    Differs(ConfigError),
}

impl From<ConfigError> for RestoreError {
    fn from(e: ConfigError) -> Self {
        RestoreError::Differs(e)
    }
}

/// A `[readout]`: what trains on what, after the run, from the files it wrote.
#[derive(Clone, Debug, PartialEq)]
pub enum ReadoutPlan {
    /// SORN: the binary states of the run's last `train + test` steps (the engine writes them
    /// to `readout/trace.npz`), labelled by the input symbols.
    Symbols(ReadoutSpec),
    /// Spiking: the spike counts of `population`'s neurons in bins of `bin_steps` steps over
    /// the run's last `train + test` bins (from `spikes/<population>.npz`), each bin labelled
    /// by the group of `label_population` (its neurons in `groups` equal consecutive blocks)
    /// that spiked most in it. `spec.train_steps` / `test_steps` / `predict_ahead` count bins.
    Bins {
        /// Method, phases (in bins), exclusions; `target` is the label.
        spec: ReadoutSpec,
        /// Whose spike counts are the features.
        population: String,
        /// Steps per bin.
        bin_steps: u64,
        /// Whose activity gives the labels.
        label_population: String,
        /// Number of label groups.
        groups: usize,
    },
}

/// A parsed, resolved and validated experiment file of any kind. See the module docs.
pub trait Experiment: Send + Sync + std::fmt::Debug {
    /// The kind of run the file describes.
    fn kind(&self) -> Kind;

    /// The file's name (used in errors and messages).
    fn name(&self) -> &str;

    /// The master seed.
    fn seed(&self) -> u64;

    /// Use seed `seed` instead of the file's (`--seed`).
    fn set_seed(&mut self, seed: u64) -> Result<()>;

    /// Steps of one run as the file states them (`simulation.steps`, `duration_ms / dt_ms`,
    /// or the protocol's phases).
    fn steps(&self) -> u64;

    /// Run `steps` steps instead (`--steps`); refused by protocols, whose phases set the
    /// length. The resolved configuration states the new length.
    fn set_steps(&mut self, steps: u64) -> Result<()>;

    /// The step in ms (`None`: SORN's dimensionless steps).
    fn dt_ms(&self) -> Option<f64>;

    /// Threads the file asks for.
    fn threads(&self) -> usize;

    /// Use `threads` threads (`--threads`; results do not depend on it).
    fn set_threads(&mut self, threads: usize) -> Result<()>;

    /// Steps per chunk of a run: the front end drains the recordings after each.
    fn chunk_steps(&self) -> u64;

    /// Build the engine: connectivity, initial state, monitors.
    fn build(&self) -> Result<Box<dyn Engine>>;

    /// An engine from checkpoint bytes written by a run of this file: unreadable bytes are
    /// a [`RestoreError::Unreadable`], a checkpoint of another network is refused naming what
    /// differs ([`RestoreError::Differs`]).
    fn restore(&self, bytes: &[u8]) -> std::result::Result<Box<dyn Engine>, RestoreError>;

    /// This rank's part of the engine of a run over `comm`'s ranks (`mpirun -np K neuroplast
    /// run`): bit-identical to [`build`](Experiment::build)'s run for any number of ranks.
    /// Only spiking experiment files are distributed; the other kinds refuse, naming `kind`.
    fn build_distributed(&self, comm: Arc<dyn Comm>) -> Result<Box<dyn Engine>> {
        let _ = comm;
        Err(self.not_distributed())
    }

    /// [`restore`](Experiment::restore), then this rank's part of the engine over `comm`'s
    /// ranks (a checkpoint of any number of ranks resumes on any number).
    fn restore_distributed(
        &self,
        bytes: &[u8],
        comm: Arc<dyn Comm>,
    ) -> std::result::Result<Box<dyn Engine>, RestoreError> {
        let _ = (bytes, comm);
        Err(RestoreError::Differs(self.not_distributed()))
    }

    /// The refusal of a kind that runs on one process only.
    fn not_distributed(&self) -> ConfigError {
        ConfigError::new(
            self.name(),
            "kind",
            format!(
                "a {} experiment runs in one process; `mpirun -np K neuroplast run` distributes \
                 spiking experiment files only (run this one without mpirun)",
                self.kind().name()
            ),
        )
    }

    /// The configuration with every value explicit (what `config.toml` holds); loading it
    /// gives the same run.
    fn resolved_toml(&self) -> String;

    /// Checkpoint, figures.
    fn output(&self) -> OutputOptions;

    /// `[analysis]` (empty: nothing to analyse).
    fn analysis(&self) -> AnalysisSection {
        AnalysisSection::default()
    }

    /// The first step whose spikes of `population` are recorded (`None`: they are not, or
    /// not for every neuron).
    fn recorded_from(&self, population: &str) -> Option<u64> {
        let _ = population;
        None
    }

    /// `[readout]` (`None`: no readout).
    fn readout(&self) -> Option<ReadoutPlan> {
        None
    }

    /// The file's `[sweep]` section (SORN files; others sweep from the command line).
    fn sweep(&self) -> Option<crate::schema::SweepSection> {
        None
    }

    /// The summary.json value a sweep plots when none is named (a dotted path).
    fn default_metric(&self) -> String;

    /// Warnings to show before a run (e.g. `[[schedule]]` entries after its end).
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }

    /// What `validate` and `run` print about the experiment and the engine built from it
    /// (sizes, memory, recording plan).
    fn describe(&self, engine: &dyn Engine) -> String;

    /// Summary entries the file knows and the engine does not (kind, preset, protocol).
    fn summary(&self) -> Summary;

    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn Experiment>;

    /// The concrete type, for what only one kind has (a protocol's parameters for its
    /// figures, a SORN file's `[sweep]`).
    fn as_any(&self) -> &dyn std::any::Any;
}

impl Clone for Box<dyn Experiment> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// `Err` naming a command-line flag (not a file key) with what is allowed.
pub(crate) fn flag_error(file: &str, flag: &str, msg: impl Into<String>) -> ConfigError {
    ConfigError::new(file, flag, msg)
}
