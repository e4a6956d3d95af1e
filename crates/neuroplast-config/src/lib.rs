//! # neuroplast-config
//!
//! The TOML experiment schema shared by the command line and Python: parse a file, apply
//! `--set key.path=value` overrides, resolve the SORN preset, validate every value, and build
//! a ready-to-run [`neuroplast_core::simulation::Simulation`].
//!
//! Every problem becomes a [`ConfigError`] naming the file, the key path, the bad value and
//! what is allowed, before anything runs.
//!
//! ```
//! use neuroplast_config::Experiment;
//! let toml = r#"
//!     [simulation]
//!     steps = 100
//!     [sorn]
//!     preset = "delpapa2017"
//!     ne = 50
//! "#;
//! let exp = Experiment::from_str(toml, "inline.toml", ".".as_ref(), &[]).unwrap();
//! assert_eq!(exp.params.ni, 10);
//! let mut sim = exp.build().unwrap();
//! sim.run(exp.steps(), 100, |_| true);
//! assert_eq!(sim.sorn.t(), 100);
//!
//! let bad = toml.replace("ne = 50", "ne = 50\nnoise_sigma = -1.0");
//! let err = Experiment::from_str(&bad, "inline.toml", ".".as_ref(), &[]).unwrap_err();
//! assert_eq!(err.path, "sorn.noise_sigma");
//! ```

mod error;
pub mod overrides;
pub mod protocol;
pub mod schema;
pub mod spiking;
mod spiking_schema;

use std::path::{Path, PathBuf};

use neuroplast_core::monitor::{ReadoutRecord, RecordSpec, SpikeWindow};
use neuroplast_core::readout::{LogisticOptions, Method, ReadoutSpec};
use neuroplast_core::simulation::{RuleEvent, Simulation};
use neuroplast_core::sorn::input::{Input, SymbolSpec};
use neuroplast_core::sorn::{Preset, Rule, Sorn, SornParams};

pub use error::{ConfigError, Result};
use schema::{ExperimentFile, InputSection, Meta, ReadoutMethod};
use spiking::SpikingExperiment;

/// Any kind of experiment file: a SORN experiment (`[sorn]`), a spiking network
/// (`[populations]`) or a protocol experiment (`[protocol]`).
#[derive(Clone, Debug)]
pub enum AnyExperiment {
    /// A file with `[sorn]`.
    Sorn(Box<Experiment>),
    /// A file with `[populations]`.
    Spiking(Box<SpikingExperiment>),
    /// A file with `[protocol]`.
    Protocol(Box<protocol::ProtocolExperiment>),
}

impl AnyExperiment {
    /// Read an experiment file of either kind, applying `overrides` (`key.path=value`).
    pub fn load(path: &Path, overrides: &[String]) -> Result<AnyExperiment> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(&name, "", format!("cannot read file: {e}")))?;
        let base = path.parent().unwrap_or(Path::new("."));
        AnyExperiment::from_str(&text, &name, base, overrides)
    }

    /// Resolve TOML text of either kind (see [`Experiment::from_str`]).
    pub fn from_str(
        text: &str,
        name: &str,
        base_dir: &Path,
        overrides: &[String],
    ) -> Result<AnyExperiment> {
        let table = parse_toml(text, name, overrides)?;
        if is_protocol(&table, name)? {
            Ok(AnyExperiment::Protocol(Box::new(
                protocol::ProtocolExperiment::from_table(table, name)?,
            )))
        } else if is_spiking(&table, name)? {
            Ok(AnyExperiment::Spiking(Box::new(
                SpikingExperiment::from_table(table, name)?,
            )))
        } else if !table.contains_key("sorn") {
            Err(ConfigError::new(
                name,
                "",
                "no network: an experiment file needs a [sorn] section (a SORN network), \
                 [populations] (a spiking network) or [protocol] (a published protocol); \
                 see examples/",
            ))
        } else {
            Ok(AnyExperiment::Sorn(Box::new(Experiment::from_table(
                table, name, base_dir,
            )?)))
        }
    }
}

/// Parse TOML text and apply `key.path=value` overrides (`name` is used in errors).
pub(crate) fn parse_toml(text: &str, name: &str, overrides: &[String]) -> Result<toml::Table> {
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        ConfigError::new(
            name,
            "",
            format!("TOML syntax error: {}", e.to_string().trim()),
        )
    })?;
    for o in overrides {
        overrides::apply(&mut table, o)?;
    }
    Ok(table)
}

/// `true` for a protocol experiment file (`[protocol]`); an error when it also has `[sorn]`
/// or `[populations]`.
pub fn is_protocol(table: &toml::Table, name: &str) -> Result<bool> {
    if !table.contains_key("protocol") {
        return Ok(false);
    }
    for other in ["sorn", "populations"] {
        if table.contains_key(other) {
            return Err(ConfigError::new(
                name,
                other,
                "a protocol file ([protocol]) describes its network itself; it cannot also have [sorn] or [populations]",
            ));
        }
    }
    Ok(true)
}

/// `true` for a spiking network file (`[populations]`); an error when a file has both
/// `[sorn]` and `[populations]`.
pub fn is_spiking(table: &toml::Table, name: &str) -> Result<bool> {
    match (table.contains_key("sorn"), table.contains_key("populations")) {
        (true, true) => Err(ConfigError::new(
            name,
            "populations",
            "a file describes either a SORN experiment ([sorn]) or a spiking network ([populations]), not both",
        )),
        (_, spiking) => Ok(spiking),
    }
}

/// A parsed, resolved and validated experiment.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// The file's content with `[sorn]` fully resolved (every parameter explicit).
    pub file: ExperimentFile,
    /// The SORN parameters (preset + overrides).
    pub params: SornParams,
    /// The preset the parameters started from.
    pub preset: Preset,
    /// Directory against which relative paths (input files) are resolved.
    pub base_dir: PathBuf,
    /// Name used in error messages.
    pub name: String,
}

impl Experiment {
    /// Read and resolve an experiment file, applying `overrides` (`key.path=value`).
    pub fn load(path: &Path, overrides: &[String]) -> Result<Experiment> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(&name, "", format!("cannot read file: {e}")))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Experiment::from_str(&text, &name, base, overrides)
    }

    /// Resolve an experiment from TOML text. `name` is used in errors, `base_dir` resolves
    /// relative input paths.
    pub fn from_str(text: &str, name: &str, base_dir: &Path, overrides: &[String]) -> Result<Self> {
        let table = parse_toml(text, name, overrides)?;
        Experiment::from_table(table, name, base_dir)
    }

    /// Resolve an experiment from a parsed TOML table.
    pub fn from_table(table: toml::Table, name: &str, base_dir: &Path) -> Result<Self> {
        if is_protocol(&table, name)? {
            return Err(ConfigError::new(
                name,
                "protocol",
                "this is a protocol experiment file; it is not a SORN experiment (load it with AnyExperiment or ProtocolExperiment, or `neuroplast run` it)",
            ));
        }
        if is_spiking(&table, name)? {
            return Err(ConfigError::new(
                name,
                "populations",
                "this is a spiking network file; it is not a SORN experiment (load it with AnyExperiment or SpikingExperiment, or `neuroplast run` it)",
            ));
        }
        let mut file: ExperimentFile = error::deserialize(toml::Value::Table(table), name, "")?;
        let (preset, params, resolved) = resolve_sorn(&file.sorn, name)?;
        params.validate().map_err(|e| {
            // A value the file did not set came from the preset (often scaled with ne): say so.
            let mut c = ConfigError::from_core(name, e);
            let key = c.path.strip_prefix("sorn.").and_then(|k| k.split(['.', '[']).next());
            if let Some(key) = key.filter(|k| !file.sorn.contains_key(*k)) {
                c.msg = format!(
                    "{}; this value is the {} preset's for ne = {}: set sorn.{key} yourself or use a larger ne",
                    c.msg,
                    preset.name(),
                    params.ne
                );
            }
            c
        })?;
        file.sorn = resolved;
        let mut exp = Experiment {
            file,
            params,
            preset,
            base_dir: base_dir.to_path_buf(),
            name: name.to_string(),
        };
        exp.validate_rest()?;
        exp.resolve_analysis()?;
        Ok(exp)
    }

    /// Check `[analysis]` and fill in the default avalanche windows, so that the resolved
    /// configuration states them.
    fn resolve_analysis(&mut self) -> Result<()> {
        let ne = self.params.ne;
        let activity = self.file.record.activity;
        let name = self.name.clone();
        let Some(a) = self.file.analysis.avalanches.as_mut() else {
            return Ok(());
        };
        let err = |path: &str, msg: String| ConfigError::new(&name, path, msg);
        if !activity {
            return Err(err(
                "analysis.avalanches",
                "needs the activity series: set record.activity = true".into(),
            ));
        }
        let defaults = neuroplast_core::analysis::report::del_papa_windows(ne);
        for (key, slot, default) in [
            (
                "duration_window",
                &mut a.duration_window,
                defaults.map(|d| d.0),
            ),
            ("size_window", &mut a.size_window, defaults.map(|d| d.1)),
        ] {
            let path = format!("analysis.avalanches.{key}");
            let w = match (*slot, default) {
                (Some(w), _) => w,
                (None, Some(d)) => d,
                (None, None) => {
                    return Err(err(
                        &path,
                        format!("no default window for ne = {ne} (Del Papa 2017 gives them for 50, 100, 200, 400, 800); give [x_min, x_max]"),
                    ))
                }
            };
            if !(1 <= w[0] && w[0] < w[1]) {
                return Err(err(
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

    fn err(&self, path: impl Into<String>, msg: impl Into<String>) -> ConfigError {
        ConfigError::new(&self.name, path, msg)
    }

    fn validate_rest(&self) -> Result<()> {
        let f = &self.file;
        if f.simulation.steps == 0 {
            return Err(self.err("simulation.steps", "must be ≥ 1, got 0"));
        }
        let r = &f.record;
        if let Some(s) = &r.spikes {
            match (s.all, s.last_steps) {
                (true, None) => {}
                (false, Some(k)) if k >= 1 => {}
                (false, Some(k)) => {
                    return Err(
                        self.err("record.spikes.last_steps", format!("must be ≥ 1, got {k}"))
                    )
                }
                _ => {
                    return Err(self.err(
                        "record.spikes",
                        "give exactly one of `all = true` or `last_steps = K`",
                    ))
                }
            }
        }
        for (name, every) in [
            ("connection_fraction", &r.connection_fraction),
            ("thresholds", &r.thresholds),
            ("weights", &r.weights),
        ] {
            if every.as_ref().is_some_and(|e| e.every == 0) {
                return Err(self.err(format!("record.{name}.every"), "must be ≥ 1 step, got 0"));
            }
        }
        if let Some(m) = r.max_memory_mb {
            if !(m > 0.0 && m.is_finite()) {
                return Err(self.err("record.max_memory_mb", format!("must be > 0, got {m}")));
            }
            let est = self.recording_bytes(self.steps()) as f64 / (1024.0 * 1024.0);
            if est > m {
                return Err(self.err(
                    "record.max_memory_mb",
                    format!("recordings need about {est:.1} MiB for {} steps, over the limit of {m} MiB; record less (spikes.last_steps, larger `every`) or raise the limit", self.steps()),
                ));
            }
        }
        self.events()?;
        self.validate_readout()?;
        if let Some(sw) = &f.sweep {
            if sw.params.is_empty() && sw.seeds.is_none() && sw.metric.is_none() {
                return Err(self.err(
                    "sweep",
                    "needs params (key = [values]), seeds and/or a metric",
                ));
            }
            for (k, v) in &sw.params {
                if k == "simulation.seed" {
                    return Err(self.err(
                        format!("sweep.params.{k}"),
                        "the seeds are a sweep's own axis: write `seeds = [1, 2, 5]` or \
                         `seeds = \"1..5\"` in [sweep]",
                    ));
                }
                match v {
                    toml::Value::Array(a) if !a.is_empty() => {}
                    other => {
                        return Err(self.err(
                            format!("sweep.params.{k}"),
                            format!("must be a non-empty list of values, got {other}"),
                        ))
                    }
                }
            }
        }
        if let Some(sp) = &f.analysis.spikes {
            if r.spikes.is_none() {
                return Err(self.err(
                    "analysis.spikes",
                    "needs recorded spikes: set record.spikes = { all = true } or { last_steps = K }",
                ));
            }
            if sp.fano_window == 0 {
                return Err(self.err("analysis.spikes.fano_window", "must be ≥ 1 step, got 0"));
            }
            if sp.autocorrelation_lag == 0 {
                return Err(self.err(
                    "analysis.spikes.autocorrelation_lag",
                    "must be ≥ 1 step, got 0",
                ));
            }
        }
        if f.output.raster_steps == 0 {
            return Err(self.err("output.raster_steps", "must be ≥ 1, got 0"));
        }
        match &f.input {
            InputSection::Matrix {
                units, first_units, ..
            }
            | InputSection::Uniform {
                units, first_units, ..
            } => {
                self.input_units(units, first_units)?;
            }
            InputSection::None | InputSection::Symbols { .. } => {}
        }
        Ok(())
    }

    /// Steps to run.
    pub fn steps(&self) -> u64 {
        self.file.simulation.steps
    }

    /// Master seed.
    pub fn seed(&self) -> u64 {
        self.file.simulation.seed
    }

    /// What to record, as the core understands it.
    pub fn record_spec(&self) -> RecordSpec {
        let r = &self.file.record;
        RecordSpec {
            activity: r.activity,
            spikes: match &r.spikes {
                None => SpikeWindow::None,
                Some(s) if s.all => SpikeWindow::All,
                Some(s) => SpikeWindow::LastSteps(s.last_steps.unwrap_or(1)),
            },
            connection_fraction_every: r.connection_fraction.as_ref().map(|e| e.every),
            thresholds_every: r.thresholds.as_ref().map(|e| e.every),
            weights_every: r.weights.as_ref().map(|e| e.every),
            readout: self.file.readout.as_ref().map(|ro| ReadoutRecord {
                after_step: self.steps().saturating_sub(ro.train_steps + ro.test_steps),
                features: ro.features,
            }),
        }
    }

    /// The `[readout]` section as the core's [`ReadoutSpec`] (`None` without one).
    pub fn readout_spec(&self) -> Option<ReadoutSpec> {
        let ro = self.file.readout.as_ref()?;
        let method = match ro.method {
            ReadoutMethod::Logistic => {
                let d = LogisticOptions::default();
                Method::Logistic(LogisticOptions {
                    c: ro.c.unwrap_or(d.c),
                    intercept: ro.intercept,
                    max_iter: ro.max_iter.unwrap_or(d.max_iter),
                    tol: ro.tol.unwrap_or(d.tol),
                })
            }
            ReadoutMethod::Ridge => Method::Ridge {
                lambda: ro.lambda.unwrap_or(0.0),
                intercept: ro.intercept,
            },
        };
        Some(ReadoutSpec {
            train_steps: ro.train_steps,
            test_steps: ro.test_steps,
            features: ro.features,
            target: ro.target,
            predict_ahead: ro.predict_ahead,
            exclude: ro.exclude.iter().filter_map(|s| s.chars().next()).collect(),
            method,
        })
    }

    fn validate_readout(&self) -> Result<()> {
        let Some(ro) = &self.file.readout else {
            return Ok(());
        };
        if !matches!(self.file.input, InputSection::Symbols { .. }) {
            return Err(self.err(
                "readout",
                "needs symbol input (input.kind = \"symbols\"): its labels are the presented symbols",
            ));
        }
        let k = ro.predict_ahead;
        for (key, v) in [
            ("train_steps", ro.train_steps),
            ("test_steps", ro.test_steps),
        ] {
            if v <= k {
                return Err(self.err(
                    format!("readout.{key}"),
                    format!("must be larger than readout.predict_ahead = {k}, got {v}"),
                ));
            }
        }
        let need = ro.train_steps + ro.test_steps;
        if need > self.steps() {
            return Err(self.err(
                "readout",
                format!(
                    "train_steps + test_steps = {need} is more than simulation.steps = {}",
                    self.steps()
                ),
            ));
        }
        if let Some((i, s)) = ro
            .exclude
            .iter()
            .enumerate()
            .find(|(_, s)| s.chars().count() != 1)
        {
            return Err(self.err(
                format!("readout.exclude[{i}]"),
                format!("must be a single symbol, got {s:?}"),
            ));
        }
        let (wrong, method): (&[(&str, bool)], &str) = match ro.method {
            ReadoutMethod::Logistic => (&[("lambda", ro.lambda.is_some())], "logistic"),
            ReadoutMethod::Ridge => (
                &[
                    ("c", ro.c.is_some()),
                    ("max_iter", ro.max_iter.is_some()),
                    ("tol", ro.tol.is_some()),
                ],
                "ridge",
            ),
        };
        if let Some((key, _)) = wrong.iter().find(|(_, given)| *given) {
            return Err(self.err(
                format!("readout.{key}"),
                format!("does not apply to readout.method = \"{method}\""),
            ));
        }
        // The numbers themselves are checked by the core, with the same key paths.
        if let Some(spec) = self.readout_spec() {
            spec.method
                .validate()
                .map_err(|e| ConfigError::from_core(&self.name, e))?;
        }
        Ok(())
    }

    /// Estimated bytes of recordings for `steps` steps.
    pub fn recording_bytes(&self, steps: u64) -> u64 {
        let p = &self.params;
        let nnz_guess = (p.ne * p.ne / 10).max(p.ne * 20) + p.ne * p.ni / 5;
        self.record_spec()
            .estimate_bytes(steps, p.ne, p.ni, nnz_guess, p.h_ip)
    }

    /// The freeze/unfreeze events, with rule names checked.
    pub fn events(&self) -> Result<Vec<RuleEvent>> {
        let parse = |names: &[String], path: String| -> Result<Vec<Rule>> {
            names
                .iter()
                .enumerate()
                .map(|(k, n)| {
                    Rule::parse(n, &format!("{path}[{k}]"))
                        .map_err(|e| ConfigError::from_core(&self.name, e))
                })
                .collect()
        };
        self.file
            .schedule
            .iter()
            .enumerate()
            .map(|(k, e)| {
                Ok(RuleEvent {
                    step: e.step,
                    freeze: parse(&e.freeze, format!("schedule[{k}].freeze"))?,
                    unfreeze: parse(&e.unfreeze, format!("schedule[{k}].unfreeze"))?,
                })
            })
            .collect()
    }

    fn input_units(&self, units: &Option<Vec<u32>>, first: &Option<usize>) -> Result<Vec<u32>> {
        match (units, first) {
            (Some(u), None) => Ok(u.clone()),
            (None, Some(n)) => {
                if *n == 0 || *n > self.params.ne {
                    return Err(self.err(
                        "input.first_units",
                        format!("must be in [1, ne = {}], got {n}", self.params.ne),
                    ));
                }
                Ok((0..*n as u32).collect())
            }
            _ => Err(self.err(
                "input",
                "give exactly one of `units = [..]` or `first_units = n`",
            )),
        }
    }

    /// Build the network, its input and its recorder. Reads input files; checks that the
    /// input lasts for `simulation.steps`.
    pub fn build(&self) -> Result<Simulation> {
        let core = |e| ConfigError::from_core(&self.name, e);
        let seed = self.seed();
        let ne = self.params.ne;
        let input = match &self.file.input {
            InputSection::None => Input::None,
            InputSection::Symbols {
                units_per_symbol,
                gain,
                overlap,
                sequence,
            } => {
                let spec = SymbolSpec {
                    units_per_symbol: *units_per_symbol,
                    gain: *gain,
                    overlap: *overlap,
                    sequence: sequence.clone(),
                };
                Input::symbols(&spec, ne, seed).map_err(core)?
            }
            InputSection::Matrix {
                file,
                units,
                first_units,
                repeat,
            } => {
                let units = self.input_units(units, first_units)?;
                let path = self.input_path(file);
                let arr: ndarray::Array2<f64> = ndarray_npy::read_npy(&path).map_err(|e| {
                    self.err(
                        "input.file",
                        format!(
                            "cannot read {} as a 2-D float64 .npy array: {e}",
                            path.display()
                        ),
                    )
                })?;
                let shape = [arr.nrows(), arr.ncols()];
                let data = arr.as_standard_layout().iter().copied().collect();
                Input::matrix(units, data, shape, *repeat, ne, "input.file").map_err(core)?
            }
            InputSection::Uniform {
                units,
                first_units,
                low,
                high,
            } => {
                let units = self.input_units(units, first_units)?;
                Input::uniform(units, *low, *high, ne, seed).map_err(core)?
            }
        };
        let mut sorn = Sorn::new(self.params.clone(), seed).map_err(core)?;
        sorn.set_threads(self.file.simulation.threads)
            .map_err(core)?;
        let sim = Simulation::new(sorn, input, self.record_spec(), self.events()?).map_err(core)?;
        sim.check_steps(self.steps()).map_err(core)?;
        Ok(sim)
    }

    fn input_path(&self, file: &Path) -> PathBuf {
        if file.is_absolute() {
            file.to_path_buf()
        } else {
            self.base_dir.join(file)
        }
    }

    /// The fully resolved configuration as TOML: every SORN parameter explicit, the seed,
    /// absolute input paths and the neuroplast version. Loading it gives the same run.
    pub fn resolved_toml(&self) -> String {
        let mut f = self.file.clone();
        f.meta = Some(Meta {
            neuroplast_version: neuroplast_core::checkpoint::NEUROPLAST_VERSION.to_string(),
        });
        if let InputSection::Matrix { file, .. } = &mut f.input {
            let p = self.input_path(file);
            *file = std::fs::canonicalize(&p).unwrap_or(p);
        }
        let body = toml::to_string(&f).expect("experiment serialises to TOML");
        format!(
            "# Fully resolved by neuroplast {} from {}.\n# Every SORN parameter is explicit; \
             `neuroplast run` on this file repeats the run.\n\n{body}",
            neuroplast_core::checkpoint::NEUROPLAST_VERSION,
            self.name
        )
    }
}

/// Apply the `[sorn]` table over its preset: `preset` picks the defaults (computed for the
/// given `ne`); every other key replaces the preset's value, except a table without `kind`,
/// which changes the named fields of the preset's table (`w_ee = { p = 0.2 }`).
fn resolve_sorn(user: &toml::Table, file: &str) -> Result<(Preset, SornParams, toml::Table)> {
    let names = Preset::ALL.map(|p| p.name()).join(", ");
    let preset = match user.get("preset") {
        None => {
            return Err(ConfigError::new(
                file,
                "sorn.preset",
                format!("missing; choose one of: {names}"),
            ))
        }
        Some(toml::Value::String(s)) => Preset::from_name(s).ok_or_else(|| {
            ConfigError::new(
                file,
                "sorn.preset",
                format!("unknown preset {s:?}; choose one of: {names}"),
            )
        })?,
        Some(v) => {
            return Err(ConfigError::new(
                file,
                "sorn.preset",
                format!("must be a string (one of: {names}), got {v}"),
            ))
        }
    };
    let ne = match user.get("ne") {
        None => 200,
        Some(toml::Value::Integer(n)) if *n >= 1 => *n as usize,
        Some(v) => {
            return Err(ConfigError::new(
                file,
                "sorn.ne",
                format!("must be an integer ≥ 1, got {v}"),
            ))
        }
    };
    let base = preset.params(ne);
    let mut merged = toml::Table::try_from(&base).expect("parameters serialise to TOML");
    let allowed: Vec<String> = merged.keys().cloned().collect();
    for (k, v) in user {
        if k == "preset" {
            continue;
        }
        if !merged.contains_key(k) {
            return Err(ConfigError::new(
                file,
                format!("sorn.{k}"),
                format!("unknown key; allowed: preset, {}", allowed.join(", ")),
            ));
        }
        match (merged.get_mut(k), v) {
            // `w_ee = { p = 0.2 }` (or `--set sorn.w_ee.p=0.2`) changes one field of the
            // preset's table; a table with its own `kind` replaces the preset's whole.
            (Some(toml::Value::Table(base)), toml::Value::Table(t)) if !t.contains_key("kind") => {
                merge_into(base, t);
            }
            _ => {
                merged.insert(k.clone(), v.clone());
            }
        }
    }
    let params: SornParams = error::deserialize(toml::Value::Table(merged.clone()), file, "sorn")?;
    // serde ignores extra keys next to a unit variant (`{ kind = "dense", p = 0.2 }`): a field
    // merged into such a table must be one the parameters keep.
    let kept = toml::Table::try_from(&params).expect("parameters serialise to TOML");
    for (k, v) in user {
        let (toml::Value::Table(t), Some(toml::Value::Table(base))) = (v, kept.get(k)) else {
            continue;
        };
        if t.contains_key("kind") {
            continue;
        }
        if let Some(extra) = t.keys().find(|f| !base.contains_key(*f)) {
            let kind = base.get("kind").and_then(|x| x.as_str()).unwrap_or("?");
            let fields: Vec<&str> = base
                .keys()
                .map(String::as_str)
                .filter(|f| *f != "kind")
                .collect();
            return Err(ConfigError::new(
                file,
                format!("sorn.{k}.{extra}"),
                format!(
                    "not a field of the preset's {k} (kind = {kind:?}{}); to change its kind, give the whole table, e.g. {k} = {{ kind = \"bernoulli\", p = 0.1 }}",
                    if fields.is_empty() { ", which has no fields".to_string() } else { format!(", fields: {}", fields.join(", ")) }
                ),
            ));
        }
    }
    let mut resolved = toml::Table::new();
    resolved.insert("preset".into(), toml::Value::String(preset.name().into()));
    resolved.extend(merged);
    Ok((preset, params, resolved))
}

/// Merge `over` into `base` key by key (tables recursively).
fn merge_into(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => merge_into(b, t),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}
