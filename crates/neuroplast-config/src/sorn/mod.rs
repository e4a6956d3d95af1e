//! SORN experiment files (`[sorn]`): resolve the preset and overrides, validate every value,
//! and build a [`Simulation`].
//!
//! ```
//! use neuroplast_config::SornExperiment;
//! let toml = r#"
//!     [simulation]
//!     steps = 100
//!     [sorn]
//!     preset = "delpapa2017"
//!     ne = 50
//! "#;
//! let exp = SornExperiment::from_str(toml, "inline.toml", ".".as_ref(), &[]).unwrap();
//! assert_eq!(exp.params.ni, 10);
//! let mut sim = exp.build_simulation().unwrap();
//! sim.run(exp.steps(), 100, |_| true);
//! assert_eq!(sim.sorn.t(), 100);
//!
//! let bad = toml.replace("ne = 50", "ne = 50\nnoise_sigma = -1.0");
//! let err = SornExperiment::from_str(&bad, "inline.toml", ".".as_ref(), &[]).unwrap_err();
//! assert_eq!(err.path, "sorn.noise_sigma");
//! ```

use std::path::{Path, PathBuf};

use neuroplast_core::monitor::{ReadoutRecord, RecordSpec, SpikeWindow};
use neuroplast_core::readout::ReadoutSpec;
use neuroplast_core::simulation::{RuleEvent, Simulation};
use neuroplast_core::sorn::input::{Input, SymbolSpec};
use neuroplast_core::sorn::{Preset, Rule, Sorn, SornParams};

use crate::error;

mod experiment;
mod resolve;

use crate::schema::{ExperimentFile, InputSection, Meta};
use crate::{is_protocol, is_spiking, parse_toml, ConfigError, Result};
use resolve::resolve_sorn;

/// A parsed, resolved and validated experiment.
#[derive(Clone, Debug)]
pub struct SornExperiment {
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

impl SornExperiment {
    /// Read and resolve an experiment file, applying `overrides` (`key.path=value`).
    pub fn load(path: &Path, overrides: &[String]) -> Result<SornExperiment> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(&name, "", format!("cannot read file: {e}")))?;
        let base = path.parent().unwrap_or(Path::new("."));
        SornExperiment::from_str(&text, &name, base, overrides)
    }

    /// Resolve an experiment from TOML text. `name` is used in errors, `base_dir` resolves
    /// relative input paths.
    pub fn from_str(text: &str, name: &str, base_dir: &Path, overrides: &[String]) -> Result<Self> {
        let table = parse_toml(text, name, overrides)?;
        SornExperiment::from_table(table, name, base_dir)
    }

    /// A network without input or recordings from typed parts (Python's `Sorn(...)`): the
    /// `[sorn]` table (preset, `ne` and any parameter, resolved and validated as a file's,
    /// errors naming `sorn.<key>`), the master seed (any `u64`: it never passes through a
    /// TOML integer) and the threads. Its length is one step; callers run it as they like.
    ///
    /// ```
    /// use neuroplast_config::SornExperiment;
    /// let mut sorn = toml::Table::new();
    /// sorn.insert("preset".into(), "lazar2009".into());
    /// sorn.insert("ne".into(), 40.into());
    /// let exp = SornExperiment::from_parts(sorn.clone(), u64::MAX, 1, "Sorn()").unwrap();
    /// assert_eq!(exp.seed(), u64::MAX);
    /// sorn.insert("eta_ip".into(), (-1.0).into());
    /// let err = SornExperiment::from_parts(sorn, 1, 1, "Sorn()").unwrap_err();
    /// assert_eq!(err.path, "sorn.eta_ip");
    /// ```
    pub fn from_parts(sorn: toml::Table, seed: u64, threads: usize, name: &str) -> Result<Self> {
        let threads = i64::try_from(threads).map_err(|_| {
            ConfigError::new(
                name,
                "simulation.threads",
                format!("must be ≤ {}, got {threads}", i64::MAX),
            )
        })?;
        let mut simulation = toml::Table::new();
        simulation.insert("steps".into(), toml::Value::Integer(1));
        simulation.insert("threads".into(), toml::Value::Integer(threads));
        let mut table = toml::Table::new();
        table.insert("simulation".into(), toml::Value::Table(simulation));
        table.insert("sorn".into(), toml::Value::Table(sorn));
        let mut exp = SornExperiment::from_table(table, name, Path::new("."))?;
        exp.file.simulation.seed = seed;
        Ok(exp)
    }

    /// Resolve an experiment from a parsed TOML table.
    pub fn from_table(table: toml::Table, name: &str, base_dir: &Path) -> Result<Self> {
        if is_protocol(&table, name)? {
            return Err(ConfigError::new(
                name,
                "protocol",
                "this is a protocol experiment file; it is not a SORN experiment (load it with neuroplast_config::load, or `neuroplast run` it)",
            ));
        }
        if is_spiking(&table, name)? {
            return Err(ConfigError::new(
                name,
                "populations",
                "this is a spiking network file; it is not a SORN experiment (load it with neuroplast_config::load, or `neuroplast run` it)",
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
        let mut exp = SornExperiment {
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
        let a = &mut self.file.analysis;
        for (key, pop) in [
            (
                "analysis.avalanches.population",
                a.avalanches.as_ref().and_then(|x| x.population.as_deref()),
            ),
            (
                "analysis.spikes.population",
                a.spikes.as_ref().and_then(|x| x.population.as_deref()),
            ),
        ] {
            if let Some(p) = pop.filter(|p| *p != "e" && *p != "i") {
                return Err(ConfigError::new(
                    &name,
                    key,
                    format!("a SORN network has the populations \"e\" and \"i\", got {p:?}"),
                ));
            }
        }
        let Some(av) = a.avalanches.as_mut() else {
            return Ok(());
        };
        if !activity {
            return Err(ConfigError::new(
                &name,
                "analysis.avalanches",
                "needs the activity series: set record.activity = true",
            ));
        }
        if av.bin_steps.is_some_and(|b| b != 1) {
            return Err(ConfigError::new(
                &name,
                "analysis.avalanches.bin_steps",
                "a SORN file's activity is counted per step: leave bin_steps out (or 1)",
            ));
        }
        av.resolve_windows(ne, &format!("ne = {ne}"), &name)
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
                // the last K steps of the run as planned (a resume records on after them)
                Some(s) => {
                    SpikeWindow::From(self.steps().saturating_sub(s.last_steps.unwrap_or(1)))
                }
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

    /// The `[readout]` section as the core's [`ReadoutSpec`] (`None` without one, or when
    /// its fitting options are invalid: `validate` refuses those).
    pub fn readout_spec(&self) -> Option<ReadoutSpec> {
        let ro = self.file.readout.as_ref()?;
        Some(ReadoutSpec {
            train_steps: ro.train_steps,
            test_steps: ro.test_steps,
            features: ro.features,
            target: ro.target,
            predict_ahead: ro.predict_ahead,
            exclude: ro.exclude.iter().filter_map(|s| s.chars().next()).collect(),
            method: Self::fit(ro).method("readout").ok()?,
        })
    }

    fn fit(ro: &crate::schema::ReadoutSection) -> crate::schema::ReadoutFit {
        crate::schema::ReadoutFit {
            method: ro.method,
            c: ro.c,
            max_iter: ro.max_iter,
            tol: ro.tol,
            lambda: ro.lambda,
            intercept: ro.intercept,
        }
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
        // the fitting options (and the numbers, with the core's key paths)
        Self::fit(ro)
            .method("readout")
            .map_err(|e| ConfigError::from_core(&self.name, e))?;
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
    pub fn build_simulation(&self) -> Result<Simulation> {
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
