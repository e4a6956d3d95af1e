//! The experiment file schema. Every table rejects unknown keys; enums are tagged by `kind`.
//! The `[sorn]` table is kept as raw TOML here and resolved against its preset when the file
//! is read (`SornExperiment`).

use std::path::PathBuf;

use neuroplast_core::monitor::StateFeatures;
use neuroplast_core::readout::Target;
use neuroplast_core::sorn::input::SequenceSpec;
use serde::{Deserialize, Serialize};

/// A whole experiment file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentFile {
    /// Written by neuroplast into resolved configurations; ignored on input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Length and seed.
    pub simulation: SimulationSection,
    /// `preset = "…"` plus any field of the SORN parameters.
    pub sorn: toml::Table,
    /// External input.
    #[serde(default)]
    pub input: InputSection,
    /// What to record.
    #[serde(default)]
    pub record: RecordSection,
    /// Freeze/unfreeze events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<ScheduleEntry>,
    /// What to write.
    #[serde(default)]
    pub output: OutputSection,
    /// Analyses run after the simulation (results in summary.json and `analysis/`).
    #[serde(default)]
    pub analysis: AnalysisSection,
    /// A readout trained and tested on the last `train_steps + test_steps` steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readout: Option<ReadoutSection>,
    /// The grid `neuroplast sweep` runs for this file (ignored by `run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepSection>,
}

/// `[sweep]`: a parameter grid × seeds, so that a published sweep is one file. Command-line
/// `--param`, `--seeds` and `--metric` replace the corresponding entries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSection {
    /// Swept key paths and their value lists, e.g. `"sorn.noise_sigma" = [0.07, 0.22]`; the
    /// grid is the product, the first key varying slowest. Empty: seeds only.
    #[serde(default)]
    pub params: toml::Table,
    /// Seeds: a list `[1, 2, 5]` or an inclusive range `"1..5"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds: Option<Seeds>,
    /// summary.json value plotted and averaged per point (a dotted path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
}

/// Seeds of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a list of seeds such as [1, 2, 3] or a range such as \"1..10\""
)]
pub enum Seeds {
    /// Explicit seeds.
    List(Vec<u64>),
    /// A range `"a..b"` (inclusive).
    Range(String),
}

/// `[readout]`: a linear readout trained on the states of the run's last
/// `train_steps + test_steps` steps (train first, then test), labelled by the input symbols.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadoutSection {
    /// Steps whose states train the readout.
    pub train_steps: u64,
    /// Steps whose states test it (the run's last steps).
    pub test_steps: u64,
    /// `"x"` (state after the step), `"internal"` (thresholded recurrent drive before the
    /// input) or `"both"`.
    #[serde(default)]
    pub features: StateFeatures,
    /// `"position"` (in the word) or `"symbol"`.
    #[serde(default)]
    pub target: Target,
    /// Steps between a state and its label.
    #[serde(default = "one_step")]
    pub predict_ahead: u64,
    /// Symbols whose test samples are not scored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// `"logistic"` or `"ridge"`.
    #[serde(default)]
    pub method: ReadoutMethod,
    /// Logistic: inverse regularisation strength (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c: Option<f64>,
    /// Logistic: most L-BFGS iterations (default 2000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iter: Option<u64>,
    /// Logistic: gradient-norm tolerance (default 1e-4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tol: Option<f64>,
    /// Ridge: λ ≥ 0 (default 0, the pseudo-inverse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<f64>,
    /// Fit an intercept (default true).
    #[serde(default = "yes")]
    pub intercept: bool,
}

/// How a readout is fitted, as a table of its own (`[readout] fit = { … }` of spiking files).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadoutFit {
    /// `"logistic"` or `"ridge"`.
    #[serde(default)]
    pub method: ReadoutMethod,
    /// Logistic: inverse regularisation strength (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c: Option<f64>,
    /// Logistic: most L-BFGS iterations (default 2000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iter: Option<u64>,
    /// Logistic: gradient-norm tolerance (default 1e-4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tol: Option<f64>,
    /// Ridge: λ ≥ 0 (default 0, the pseudo-inverse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<f64>,
    /// Fit an intercept (default true).
    #[serde(default = "yes")]
    pub intercept: bool,
}

impl Default for ReadoutFit {
    fn default() -> Self {
        ReadoutFit {
            method: ReadoutMethod::Logistic,
            c: None,
            max_iter: None,
            tol: None,
            lambda: None,
            intercept: true,
        }
    }
}

impl ReadoutFit {
    /// The core's fitting method; `path` names the table in errors (options that do not
    /// apply to the method are refused).
    pub fn method(&self, path: &str) -> neuroplast_core::Result<neuroplast_core::readout::Method> {
        use neuroplast_core::readout::{LogisticOptions, Method};
        let (wrong, method): (&[(&str, bool)], &str) = match self.method {
            ReadoutMethod::Logistic => (&[("lambda", self.lambda.is_some())], "logistic"),
            ReadoutMethod::Ridge => (
                &[
                    ("c", self.c.is_some()),
                    ("max_iter", self.max_iter.is_some()),
                    ("tol", self.tol.is_some()),
                ],
                "ridge",
            ),
        };
        if let Some((key, _)) = wrong.iter().find(|(_, given)| *given) {
            return Err(neuroplast_core::Error::config(
                format!("{path}.{key}"),
                format!("does not apply to method = \"{method}\""),
            ));
        }
        let m = match self.method {
            ReadoutMethod::Logistic => {
                let d = LogisticOptions::default();
                Method::Logistic(LogisticOptions {
                    c: self.c.unwrap_or(d.c),
                    intercept: self.intercept,
                    max_iter: self.max_iter.unwrap_or(d.max_iter),
                    tol: self.tol.unwrap_or(d.tol),
                })
            }
            ReadoutMethod::Ridge => Method::Ridge {
                lambda: self.lambda.unwrap_or(0.0),
                intercept: self.intercept,
            },
        };
        m.validate().map_err(|e| match e {
            neuroplast_core::Error::Config { path: p, msg } => {
                let key = p.rsplit('.').next().unwrap_or(&p).to_string();
                neuroplast_core::Error::config(format!("{path}.{key}"), msg)
            }
            other => other,
        })?;
        Ok(m)
    }
}

/// How a readout is fitted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadoutMethod {
    /// Multinomial logistic regression (scikit-learn's default classifier).
    #[default]
    Logistic,
    /// Ridge regression onto one-hot labels (λ = 0: pseudo-inverse).
    Ridge,
}

fn one_step() -> u64 {
    1
}

/// `[analysis]`: analyses of a finished run's recordings (SORN and spiking files).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSection {
    /// Neuronal avalanches of a population's activity with power-law fits (Del Papa 2017).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avalanches: Option<AvalancheSpec>,
    /// Lognormal / normal / exponential fits of the final E→E weights (SORN files).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub weights: bool,
    /// Spike statistics of the recorded E spikes (the `sorn` package's Statistics, done
    /// correctly): rates, ISI CV, Fano factor, pairwise correlation, spike-source entropy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spikes: Option<SpikeStatsSpec>,
}

impl AnalysisSection {
    /// Nothing to analyse.
    pub fn is_empty(&self) -> bool {
        self.avalanches.is_none() && !self.weights && self.spikes.is_none()
    }
}

/// `[analysis] spikes = { ... }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeStatsSpec {
    /// Whose recorded spikes (default: `"e"` in SORN files; in spiking files the first
    /// population whose spikes are recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<String>,
    /// Fano factor window length in steps.
    #[serde(default = "fano_window")]
    pub fano_window: usize,
    /// Lag (steps) of the autocorrelation of the network activity.
    #[serde(default = "one_lag")]
    pub autocorrelation_lag: usize,
}

fn fano_window() -> usize {
    100
}

fn one_lag() -> usize {
    1
}

/// `[analysis] avalanches = { … }`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvalancheSpec {
    /// Whose activity (default: `"e"` in SORN files, the recorded activity; in spiking files
    /// the first population whose spikes are recorded, counted per bin from its spikes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<String>,
    /// Steps per activity bin (spiking files; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin_steps: Option<u64>,
    /// Steps at the start of the run left out (the transient; Del Papa: 2·10⁶).
    #[serde(default)]
    pub discard_steps: u64,
    /// Fixed threshold θ in active units (default ⌊⟨a⟩/2⌋).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u32>,
    /// Duration fit window [T_min, T_max] (default: Del Papa's for N_E = 50…800).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_window: Option<[u64; 2]>,
    /// Size fit window [S_min, S_max] (default: Del Papa's for N_E = 50…800).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_window: Option<[u64; 2]>,
}

impl AvalancheSpec {
    /// Fill in the default fit windows (Del Papa 2017's for a population of `n` = 50, 100,
    /// 200, 400 or 800 units; `what` names the population in errors, e.g. `ne = 40`) and
    /// check them; errors name `analysis.avalanches.<key>`.
    pub fn resolve_windows(&mut self, n: usize, what: &str, file: &str) -> crate::Result<()> {
        let defaults = neuroplast_core::analysis::report::del_papa_windows(n);
        for (key, slot, default) in [
            (
                "duration_window",
                &mut self.duration_window,
                defaults.map(|d| d.0),
            ),
            ("size_window", &mut self.size_window, defaults.map(|d| d.1)),
        ] {
            let path = format!("analysis.avalanches.{key}");
            let w = match (*slot, default) {
                (Some(w), _) => w,
                (None, Some(d)) => d,
                (None, None) => {
                    return Err(crate::ConfigError::new(
                        file,
                        &path,
                        format!("no default window for {what} (Del Papa 2017 gives them for 50, 100, 200, 400, 800 units); give [x_min, x_max]"),
                    ))
                }
            };
            if !(1 <= w[0] && w[0] < w[1]) {
                return Err(crate::ConfigError::new(
                    file,
                    &path,
                    format!(
                        "must be [x_min, x_max] with 1 ≤ x_min < x_max, got [{}, {}]",
                        w[0], w[1]
                    ),
                ));
            }
            *slot = Some(w);
        }
        Ok(())
    }
}

/// Provenance written into resolved configurations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// neuroplast version that resolved the file.
    pub neuroplast_version: String,
}

/// `[simulation]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSection {
    /// Number of steps to run (≥ 1).
    pub steps: u64,
    /// Master seed of every random stream.
    #[serde(default = "default_seed", with = "crate::seed")]
    pub seed: u64,
    /// Threads for the row-parallel plasticity passes (results are identical for any value).
    #[serde(default = "default_threads")]
    pub threads: usize,
}

fn default_threads() -> usize {
    1
}

fn default_seed() -> u64 {
    1
}

/// `[input]`, tagged by `kind`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum InputSection {
    /// No input (spontaneous activity).
    #[default]
    None,
    /// Symbol pools: every symbol drives `units_per_symbol` random E units with weight `gain`.
    Symbols {
        /// N_U.
        units_per_symbol: usize,
        /// Input weight (lab code `input_gain`).
        #[serde(default = "one")]
        gain: f64,
        /// Allow pools to share units.
        #[serde(default)]
        overlap: bool,
        /// Symbol order: `{ kind = "random", alphabet = "ABCD" }`, `{ kind = "cycle",
        /// text = "ABCD" }` or `{ kind = "words", words = ["ABBC", "DEEF"] }`.
        sequence: SequenceSpec,
    },
    /// Real values from a `.npy` file of shape (units, T), added to the chosen units.
    Matrix {
        /// Path, relative to the experiment file.
        file: PathBuf,
        /// Receiving E units (or use `first_units`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        units: Option<Vec<u32>>,
        /// Receive on E units 0 … n−1 (the `sorn` package's way).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first_units: Option<usize>,
        /// Start over after the last column instead of refusing to run longer.
        #[serde(default)]
        repeat: bool,
    },
    /// Fresh U(low, high) values each step on the chosen units.
    Uniform {
        /// Receiving E units (or use `first_units`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        units: Option<Vec<u32>>,
        /// Receive on E units 0 … n−1.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first_units: Option<usize>,
        /// Lower bound.
        #[serde(default)]
        low: f64,
        /// Upper bound.
        #[serde(default = "one")]
        high: f64,
    },
}

fn one() -> f64 {
    1.0
}

/// `[record]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSection {
    /// Active E and I counts per step (8 bytes per step).
    #[serde(default = "yes")]
    pub activity: bool,
    /// Spikes: `{ last_steps = 10_000 }` or `{ all = true }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spikes: Option<SpikesSpec>,
    /// `{ every = k }`: E→E connection fraction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_fraction: Option<Every>,
    /// `{ every = k }`: T_E snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Every>,
    /// `{ every = k }`: E→E and I→E weight snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Every>,
    /// Refuse to start if recordings would exceed this many MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_memory_mb: Option<f64>,
}

impl Default for RecordSection {
    fn default() -> Self {
        RecordSection {
            activity: true,
            spikes: None,
            connection_fraction: None,
            thresholds: None,
            weights: None,
            max_memory_mb: None,
        }
    }
}

fn yes() -> bool {
    true
}

/// Which spikes to record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikesSpec {
    /// Every spike of the run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
    /// Only the last K steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_steps: Option<u64>,
}

/// A sampling interval in steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Every {
    /// Sample when t % every == 0 (≥ 1).
    pub every: u64,
}

/// One `[[schedule]]` entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEntry {
    /// Applies once this many steps have run.
    pub step: u64,
    /// Rules to stop: any of stdp, ip, sn, istdp, sp.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub freeze: Vec<String>,
    /// Rules to restart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unfreeze: Vec<String>,
}

/// `[output]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    /// Draw PNG plots.
    #[serde(default = "yes")]
    pub plots: bool,
    /// Steps shown in the raster plot (the last ones recorded).
    #[serde(default = "raster_steps")]
    pub raster_steps: u64,
    /// Write `checkpoint.bin` so that `neuroplast resume` can continue the run.
    #[serde(default = "yes")]
    pub checkpoint: bool,
}

impl Default for OutputSection {
    fn default() -> Self {
        OutputSection {
            plots: true,
            raster_steps: raster_steps(),
            checkpoint: true,
        }
    }
}

fn raster_steps() -> u64 {
    1_000
}
