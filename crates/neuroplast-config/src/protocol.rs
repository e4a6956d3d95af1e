//! Protocol experiment files: `[protocol] kind = "polychronization" | "sorf" | "characters" |
//! "drn"` plus the protocol's parameters, `[simulation]` (seed) and `[output]`. The protocol
//! itself (network, stimulus schedule, phases, analyses) is written in Rust in
//! `neuroplast_core::experiments`; the file only sets its parameters, and every parameter it
//! leaves out takes the published value.
//!
//! ```
//! use neuroplast_config::protocol::ProtocolExperiment;
//! let exp = ProtocolExperiment::from_str(
//!     "[simulation]\nseed = 2\n[protocol]\nkind = \"polychronization\"\n",
//!     "inline.toml",
//!     &[],
//! )
//! .unwrap();
//! assert_eq!(exp.kind(), "polychronization");
//! assert_eq!(exp.seed(), 2);
//! ```

use neuroplast_core::experiments::ProtocolSpec;
use serde::{Deserialize, Serialize};

use neuroplast_core::engine::{Engine, Kind, Summary};

use crate::experiment::{flag_error, OutputOptions, RestoreError};
use crate::schema::Meta;
use crate::{ConfigError, Result};

/// A whole protocol experiment file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolFile {
    /// Written by neuroplast into resolved configurations; ignored on input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// `[simulation]`: the seed.
    #[serde(default)]
    pub simulation: ProtocolSimulation,
    /// `[protocol]`: `kind` and the protocol's parameters.
    pub protocol: ProtocolSpec,
    /// `[models.<name>]`: models written as equations, named by the protocol's parameters
    /// (`sorf`'s `[protocol.equations]`).
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub models: toml::Table,
    /// `[output]`.
    #[serde(default)]
    pub output: ProtocolOutput,
}

/// `[simulation]` of a protocol file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolSimulation {
    /// Master seed of every random stream.
    #[serde(with = "crate::seed")]
    pub seed: u64,
    /// Threads (results are identical for any value).
    #[serde(default = "one_thread")]
    pub threads: usize,
}

fn one_thread() -> usize {
    1
}

impl Default for ProtocolSimulation {
    fn default() -> Self {
        ProtocolSimulation {
            seed: 1,
            threads: 1,
        }
    }
}

/// `[output]` of a protocol file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolOutput {
    /// Draw the PNG figures after the run.
    pub plots: bool,
}

impl Default for ProtocolOutput {
    fn default() -> Self {
        ProtocolOutput { plots: true }
    }
}

/// A parsed and validated protocol experiment.
#[derive(Clone, Debug)]
pub struct ProtocolExperiment {
    /// The file with every parameter written out.
    pub file: ProtocolFile,
    /// Name used in error messages.
    pub name: String,
}

impl ProtocolExperiment {
    /// Parse TOML text, apply `key.path=value` overrides and validate.
    pub fn from_str(text: &str, name: &str, overrides: &[String]) -> Result<Self> {
        let table = crate::parse_toml(text, name, overrides)?;
        ProtocolExperiment::from_table(table, name)
    }

    /// Validate a parsed TOML table.
    pub fn from_table(mut table: toml::Table, name: &str) -> Result<Self> {
        expand_models(&mut table, name)?;
        let file: ProtocolFile = crate::error::deserialize(toml::Value::Table(table), name, "")?;
        file.protocol
            .validate("protocol")
            .map_err(|e| ConfigError::from_core(name, e))?;
        Ok(ProtocolExperiment {
            file,
            name: name.to_string(),
        })
    }

    /// The protocol's `kind`.
    pub fn kind(&self) -> &'static str {
        self.file.protocol.kind()
    }

    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.file.simulation.seed
    }

    /// The file with every parameter written out (what `config.toml` in a results directory
    /// holds).
    pub fn resolved_toml(&self) -> String {
        let mut file = self.file.clone();
        file.meta = Some(Meta {
            neuroplast_version: neuroplast_core::checkpoint::NEUROPLAST_VERSION.to_string(),
        });
        let body = toml::to_string(&file).expect("a protocol file serialises to TOML");
        format!(
            "# Fully resolved by neuroplast {} from {}.\n# Every parameter is explicit; \
             `neuroplast run` on this file repeats the run.\n\n{body}",
            neuroplast_core::checkpoint::NEUROPLAST_VERSION,
            self.name
        )
    }
}

impl crate::Experiment for ProtocolExperiment {
    fn kind(&self) -> Kind {
        Kind::Protocol(self.file.protocol.kind())
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn seed(&self) -> u64 {
        self.file.simulation.seed
    }

    fn set_seed(&mut self, seed: u64) -> Result<()> {
        self.file.simulation.seed = seed;
        Ok(())
    }

    /// Protocols set their own length: 0 here; the engine's `remaining()` says how many
    /// steps are left.
    fn steps(&self) -> u64 {
        0
    }

    fn set_steps(&mut self, _steps: u64) -> Result<()> {
        Err(flag_error(
            &self.name,
            "--steps",
            "does not apply to a protocol file; its phases set the length (change them with --set protocol.<key>=…)",
        ))
    }

    fn dt_ms(&self) -> Option<f64> {
        None
    }

    fn threads(&self) -> usize {
        self.file.simulation.threads
    }

    fn set_threads(&mut self, threads: usize) -> Result<()> {
        if threads == 0 {
            return Err(flag_error(&self.name, "--threads", "must be ≥ 1, got 0"));
        }
        self.file.simulation.threads = threads;
        Ok(())
    }

    fn chunk_steps(&self) -> u64 {
        10_000
    }

    fn build(&self) -> Result<Box<dyn Engine>> {
        let core = |e| ConfigError::from_core(&self.name, e);
        let mut engine = self.file.protocol.build(self.seed()).map_err(core)?;
        engine.set_threads(self.threads()).map_err(core)?;
        Ok(engine)
    }

    fn restore(&self, bytes: &[u8]) -> std::result::Result<Box<dyn Engine>, RestoreError> {
        let mut engine =
            neuroplast_core::checkpoint::restore(bytes).map_err(RestoreError::Unreadable)?;
        if engine.kind() != crate::Experiment::kind(self) {
            return Err(RestoreError::Differs(ConfigError::new(
                &self.name,
                "checkpoint",
                format!(
                    "the checkpoint holds a {} run, not this file's protocol {}",
                    engine.kind().name(),
                    self.kind()
                ),
            )));
        }
        engine
            .set_threads(self.threads())
            .map_err(RestoreError::Unreadable)?;
        Ok(engine)
    }

    fn resolved_toml(&self) -> String {
        ProtocolExperiment::resolved_toml(self)
    }

    fn output(&self) -> OutputOptions {
        OutputOptions {
            checkpoint: true,
            plots: self.file.output.plots,
            raster_steps: 0,
        }
    }

    fn default_metric(&self) -> String {
        match self.kind() {
            "polychronization" => "results.spectrum_last.share_25_50",
            "sorf" => "results.distinct_orientations",
            "characters" => "results.score.total_correct",
            "drn" => "results.exc_rate_hz",
            _ => "wall_seconds",
        }
        .into()
    }

    fn describe(&self, engine: &dyn Engine) -> String {
        format!(
            "protocol {} · seed {} · {} steps\n",
            self.kind(),
            self.seed(),
            engine.remaining().unwrap_or(0)
        )
    }

    fn summary(&self) -> Summary {
        let mut s = Summary::new();
        s.insert("kind", "protocol")
            .insert("protocol", self.kind())
            .insert("seed", self.seed());
        s
    }

    fn clone_box(&self) -> Box<dyn crate::Experiment> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `sorf`'s `[protocol.equations]`: `neuron = "<name>"` and the rules' `kind = "<name>"` name
/// `[models.<name>]` tables of the file; they become the core's equation model and rules (a
/// resolved file writes them out whole).
fn expand_models(table: &mut toml::Table, file: &str) -> Result<()> {
    use crate::spiking::rules::{expand_neuron, expand_rule};
    let models = table
        .get("models")
        .and_then(|m| m.as_table())
        .cloned()
        .unwrap_or_default();
    let eq = table
        .get_mut("protocol")
        .and_then(|p| p.as_table_mut())
        .and_then(|p| p.get_mut("equations"))
        .and_then(|e| e.as_table_mut());
    let Some(eq) = eq else {
        return Ok(());
    };
    if let Some(neuron) = eq.get_mut("neuron") {
        expand_neuron(neuron, &models, "protocol.equations.neuron", file)?;
    }
    for key in ["buffer_exc", "exc_inh"] {
        if let Some(rule) = eq.get_mut(key).and_then(|r| r.as_table_mut()) {
            expand_rule(rule, &models, &format!("protocol.equations.{key}"), file)?;
        }
    }
    Ok(())
}
