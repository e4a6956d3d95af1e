//! Spiking experiments: resolve a [`SpikingFile`] (model parameters made explicit, times
//! converted to whole steps) and build a [`Network`] from it.
//!
//! ```
//! use neuroplast_config::spiking::SpikingExperiment;
//! let toml = r#"
//!     [simulation]
//!     dt_ms = 0.1
//!     duration_ms = 50.0
//!     [populations.exc]
//!     model = "IF_cond_exp"
//!     n = 10
//!     params = { i_offset = 2.0 }
//!     [record.exc]
//!     spikes = true
//! "#;
//! let exp = SpikingExperiment::from_str(toml, "inline.toml", &[]).unwrap();
//! assert_eq!(exp.steps(), 500);
//! let mut net = exp.build().unwrap();
//! net.run(exp.steps());
//! assert!(net.population("exc").unwrap().spike_count() > 0);
//! ```

use neuroplast_core::spiking::connector::Value;
use neuroplast_core::spiking::monitor::MonitorSpec;
use neuroplast_core::spiking::network::{
    Action, ModelSpec, Network, NetworkBuilder, ProjectionSpec, SynapseSpec,
};
use neuroplast_core::spiking::neuron::EquationParams;

mod experiment;
mod given;
mod resolve;
mod retune;
pub(crate) mod rules;
mod schema;

use std::path::Path;

use resolve::{resolve_analysis, resolve_number, resolve_number_or, resolve_readout, whole_steps};

use crate::experiment::ReadoutPlan;
use crate::schema::Meta;
use crate::{ConfigError, Result};
pub use given::{ArrayValues, GivenArray};
pub use schema::*;

/// Bytes per recorded spike in memory and on disk (an `u64` step and an `u32` neuron).
pub const BYTES_PER_SPIKE: u64 = 12;

/// Firing rate assumed for the spike estimates of the recording plan, Hz.
pub const PLAN_RATE_HZ: f64 = 10.0;

/// What one monitor of the network records, and under which key path it was configured.
#[derive(Clone, Debug, PartialEq)]
pub struct MonitorEntry {
    /// `record.<pop>.spikes`, `record.<pop>.state.<var>` or `record.<pop>.rate`.
    pub path: String,
    /// The core's specification (times in steps).
    pub spec: MonitorSpec,
    /// Number of recorded neurons (spikes, state) or 0 (rate).
    pub neurons: u64,
}

/// Memory and disk a run will need, before it starts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RecordingPlan {
    /// Steps per chunk: monitors are drained (and streamed to disk) after every chunk.
    pub chunk_steps: u64,
    /// Bytes of state and rate samples for the whole run (exact).
    pub sample_bytes: u64,
    /// Bytes of state and rate samples held for one chunk (exact).
    pub chunk_sample_bytes: u64,
    /// Neurons whose spikes are recorded.
    pub spike_neurons: u64,
    /// Bytes of spikes for the whole run if the recorded neurons fire at [`PLAN_RATE_HZ`].
    pub spike_bytes_estimate: u64,
    /// Bytes of spikes held for one chunk at [`PLAN_RATE_HZ`].
    pub chunk_spike_bytes_estimate: u64,
}

impl RecordingPlan {
    /// Memory the recordings hold at once (one chunk), bytes.
    pub fn buffer_bytes(&self) -> u64 {
        self.chunk_sample_bytes + self.chunk_spike_bytes_estimate
    }
}

/// A parsed, resolved and validated spiking experiment.
#[derive(Clone, Debug)]
pub struct SpikingExperiment {
    /// The file with every model parameter explicit and defaults written out.
    pub file: SpikingFile,
    /// The model of each population, in file order.
    pub models: Vec<ModelSpec>,
    /// Parameters given per neuron: (population, parameter, values), in file order.
    pub per_neuron: Vec<(String, String, NumberOr)>,
    /// `[readout]`, resolved (bins in steps).
    pub readout: Option<ReadoutPlan>,
    /// The monitors, in build order.
    pub monitors: Vec<MonitorEntry>,
    /// Name used in error messages.
    pub name: String,
    steps: u64,
}

impl SpikingExperiment {
    /// Parse TOML text, apply `key.path=value` overrides, resolve and validate (relative
    /// `.npy` paths are resolved against the current directory).
    pub fn from_str(text: &str, name: &str, overrides: &[String]) -> Result<Self> {
        let table = crate::parse_toml(text, name, overrides)?;
        SpikingExperiment::from_table(table, name, Path::new("."))
    }

    /// Resolve a spiking experiment from a parsed TOML table; `base_dir` resolves relative
    /// `.npy` paths.
    pub fn from_table(table: toml::Table, name: &str, base_dir: &Path) -> Result<Self> {
        SpikingExperiment::from_tables(table, Vec::new(), name, base_dir)
    }

    /// [`from_table`](SpikingExperiment::from_table) with numeric arrays given beside the
    /// tables at their key paths (numpy arrays from Python): the same experiment as with the
    /// arrays written into the tables, without reading each value as a TOML value (a
    /// `from_list` projection of 10⁵–10⁶ synapses builds in milliseconds).
    pub fn from_tables(
        mut table: toml::Table,
        arrays: Vec<GivenArray>,
        name: &str,
        base_dir: &Path,
    ) -> Result<Self> {
        let placed = given::place(&mut table, arrays, name)?;
        rules::expand(&mut table, name)?;
        let mut file: SpikingFile = crate::error::deserialize(toml::Value::Table(table), name, "")?;
        given::fill(&mut file, placed, name)?;
        let err = |path: &str, msg: String| ConfigError::new(name, path, msg);
        let sim = &file.simulation;
        let dt = sim.dt_ms;
        if !(dt.is_finite() && dt > 0.0) {
            return Err(err("simulation.dt_ms", format!("must be > 0 ms, got {dt}")));
        }
        let steps = whole_steps(name, "simulation.duration_ms", sim.duration_ms, dt)?;
        if steps == 0 {
            return Err(err(
                "simulation.duration_ms",
                format!(
                    "must be at least one step ({dt} ms), got {}",
                    sim.duration_ms
                ),
            ));
        }
        if sim.threads == 0 {
            return Err(err("simulation.threads", "must be ≥ 1, got 0".into()));
        }
        if file.populations.is_empty() {
            return Err(err(
                "populations",
                "a network needs at least one population".into(),
            ));
        }
        // Models: `model` + `params` through the core's serde enum, so that a new model is
        // one line in the core's list and nothing here; the resolved file lists every
        // parameter. A parameter the model can take per neuron may be a list, a `.npy` path or
        // a value table (`{ kind = "normal", … }`): those become per-neuron values.
        // `[models.<name>]` tables: models written as equations, used by name like a
        // built-in; they may not take a built-in's name.
        for (model_name, _) in &file.models.0 {
            if ModelSpec::NAMES.contains(&model_name.as_str()) {
                return Err(err(
                    &format!("models.{model_name}"),
                    format!("`{model_name}` is a built-in model; give the model table another name (e.g. `{model_name}_eq`)"),
                ));
            }
        }
        let mut models = Vec::new();
        let mut per_neuron = Vec::new();
        let tables = &file.models;
        for (pop_name, pop) in &mut file.populations.0 {
            let path = format!("populations.{pop_name}");
            let model_of = |params: toml::Table| -> Result<ModelSpec> {
                if let Some(source) = tables.get(&pop.model) {
                    let mut p = EquationParams::new(&pop.model, source)
                        .map_err(|e| ConfigError::from_core(name, e))?;
                    for (k, v) in params {
                        let key = format!("{path}.params.{k}");
                        let x = match v {
                            toml::Value::Float(x) => x,
                            toml::Value::Integer(i) => i as f64,
                            other => {
                                use neuroplast_core::spiking::neuron::ParamTable;
                                let why = if p.get(&k).is_some() {
                                    " (a population parameter of the model: one value for every neuron)"
                                } else {
                                    ""
                                };
                                return Err(ConfigError::new(
                                    name,
                                    &key,
                                    format!("must be a number{why}, got {other}"),
                                ));
                            }
                        };
                        p.set_named(&k, x, &key)
                            .map_err(|e| ConfigError::from_core(name, e))?;
                    }
                    return Ok(ModelSpec::equations(p));
                }
                if ModelSpec::default_of(&pop.model).is_none() {
                    return Err(ConfigError::new(
                        name,
                        format!("{path}.model"),
                        format!(
                            "unknown model `{}`; built-in models: {}; or the name of a [models.<name>] table of this file ({})",
                            pop.model,
                            ModelSpec::NAMES.iter().filter(|m| **m != "equations").copied().collect::<Vec<_>>().join(", "),
                            if tables.is_empty() {
                                "this file has none".to_string()
                            } else {
                                tables.iter().map(|(k, _)| k).collect::<Vec<_>>().join(", ")
                            }
                        ),
                    ));
                }
                let mut t = toml::Table::new();
                t.insert("model".into(), toml::Value::String(pop.model.clone()));
                t.insert("params".into(), toml::Value::Table(params));
                crate::error::deserialize(toml::Value::Table(t), name, &path)
                    .map_err(|e| model_error(&path, e))
            };
            let bare = model_of(toml::Table::new())?;
            let names = bare.per_neuron_params();
            let (mut scalars, mut varying) = (toml::Table::new(), Vec::new());
            for (k, v) in &pop.params {
                let per = names.contains(&k.as_str())
                    && matches!(
                        v,
                        toml::Value::Array(_) | toml::Value::Table(_) | toml::Value::String(_)
                    );
                if per {
                    let key = format!("{path}.params.{k}");
                    let value = resolve_number(v.clone(), name, &key, base_dir)?;
                    varying.push((k.clone(), value));
                } else {
                    scalars.insert(k.clone(), v.clone());
                }
            }
            let model = model_of(scalars)?;
            model
                .validate(&format!("{path}.params"))
                .and_then(|()| model.check_precision(pop.precision, &format!("{path}.precision")))
                .map_err(|e| ConfigError::from_core(name, e))?;
            // (an equation model's parameters stay as given: its table holds the others)
            let written = match model {
                ModelSpec::equations(_) => None,
                _ => toml::Value::try_from(&model).ok(),
            };
            if let Some(toml::Value::Table(mut full)) = written {
                if let Some(toml::Value::Table(mut p)) = full.remove("params") {
                    for (k, v) in &varying {
                        let written = toml::Value::try_from(v).expect("values serialise to TOML");
                        p.insert(k.clone(), written);
                    }
                    pop.params = p;
                }
            }
            for (k, v) in varying {
                let key = format!("{path}.params.{k}");
                v.0.validate(&key, pop.n)
                    .map_err(|e| ConfigError::from_core(name, e))?;
                per_neuron.push((pop_name.clone(), k, v));
            }
            models.push(model);
            // NOTE: each initialisation has its own random stream, numbered in order. TOML
            // writes plain values before tables, so the resolved file would reorder a mixed
            // `init`; putting plain values first here makes both files give the same run.
            pop.init.0.sort_by_key(|(_, v)| v.is_table());
            for (var, v) in &mut pop.init.0 {
                let key = format!("{path}.init.{var}");
                *v = resolve_number_or(
                    std::mem::replace(v, NumberOr::of(0.0.into())),
                    name,
                    &key,
                    base_dir,
                )?;
            }
        }
        // Projections: exactly one of receptor / synapse; default delay one step.
        let pop_names: Vec<String> = file
            .populations
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        for (proj_name, p) in &mut file.projections.0 {
            let path = format!("projections.{proj_name}");
            for (key, pop) in [("pre", &p.pre), ("post", &p.post)] {
                if !pop_names.contains(pop) {
                    return Err(err(
                        &format!("{path}.{key}"),
                        format!(
                            "no population named {pop:?}; populations: {}",
                            pop_names.join(", ")
                        ),
                    ));
                }
            }
            let size = |name: &str| file.populations.get(name).map_or(0, |q| q.n);
            p.connector
                .validate(
                    &format!("{path}.connector"),
                    size(&p.pre),
                    size(&p.post),
                    p.pre == p.post,
                )
                .map_err(|e| ConfigError::from_core(name, e))?;
            match (&p.receptor, &p.synapse) {
                (Some(_), Some(_)) => {
                    return Err(err(
                        &path,
                        "give either `receptor` or `synapse`, not both".into(),
                    ))
                }
                (None, None) => {
                    return Err(err(
                        &format!("{path}.receptor"),
                        "missing: name the postsynaptic receptor (e.g. \"excitatory\"), or give `synapse = { kind = \"voltage_jump\" }` / `{ kind = \"double_exponential\", tau, tau_s }`".into(),
                    ))
                }
                _ => {}
            }
            if p.delay_ms.is_none() {
                p.delay_ms = Some(NumberOr::of(Value::Constant { value: dt }));
            }
            let weight = std::mem::replace(&mut p.weight, NumberOr::of(0.0.into()));
            p.weight = resolve_number_or(weight, name, &format!("{path}.weight"), base_dir)?;
            if let Some(d) = p.delay_ms.take() {
                p.delay_ms = Some(resolve_number_or(
                    d,
                    name,
                    &format!("{path}.delay_ms"),
                    base_dir,
                )?);
            }
        }
        // Recording: times in whole steps, populations known.
        let mut monitors = Vec::new();
        if let Some(m) = file.record.max_memory_mb {
            if !(m.is_finite() && m > 0.0) {
                return Err(err("record.max_memory_mb", format!("must be > 0, got {m}")));
            }
        }
        for (pop_name, rec) in &mut file.record.populations {
            let base = format!("record.{pop_name}");
            let Some(pop) = file.populations.get(pop_name) else {
                return Err(err(
                    &base,
                    format!(
                        "no population named {pop_name:?}; populations: {}",
                        file.populations
                            .iter()
                            .map(|(k, _)| k)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            };
            let n = pop.n as u64;
            if let Some(s) = rec.spikes.as_ref().filter(|s| s.enabled) {
                let path = format!("{base}.spikes");
                let start = match s.start_ms {
                    Some(ms) => whole_steps(name, &format!("{path}.start_ms"), ms, dt)?,
                    None => 0,
                };
                let stop = match s.stop_ms {
                    Some(ms) => Some(whole_steps(name, &format!("{path}.stop_ms"), ms, dt)?),
                    None => None,
                };
                if stop.is_some_and(|s| s <= start) {
                    return Err(err(
                        &format!("{path}.stop_ms"),
                        "must be later than start_ms".into(),
                    ));
                }
                let neurons = s.neurons.as_ref().map_or(n, |v| v.len() as u64);
                monitors.push(MonitorEntry {
                    path,
                    spec: MonitorSpec::Spikes {
                        population: pop_name.clone(),
                        neurons: s.neurons.clone(),
                        start_step: start,
                        stop_step: stop,
                    },
                    neurons,
                });
            }
            for (var, st) in &mut rec.state.0 {
                let path = format!("{base}.state.{var}");
                let every_ms = *st.every_ms.get_or_insert(dt);
                let every = whole_steps(name, &format!("{path}.every_ms"), every_ms, dt)?;
                if every == 0 {
                    return Err(err(
                        &format!("{path}.every_ms"),
                        format!("must be at least one step ({dt} ms), got {every_ms}"),
                    ));
                }
                let neurons: Vec<u32> = st
                    .neurons
                    .clone()
                    .unwrap_or_else(|| (0..pop.n as u32).collect());
                monitors.push(MonitorEntry {
                    path,
                    neurons: neurons.len() as u64,
                    spec: MonitorSpec::State {
                        population: pop_name.clone(),
                        variable: var.clone(),
                        neurons,
                        every,
                    },
                });
            }
            if rec.activity {
                monitors.push(MonitorEntry {
                    path: format!("{base}.activity"),
                    spec: MonitorSpec::Activity {
                        population: pop_name.clone(),
                    },
                    neurons: 0,
                });
            }
            if let Some(r) = &rec.rate {
                let path = format!("{base}.rate");
                let bin = whole_steps(name, &format!("{path}.bin_ms"), r.bin_ms, dt)?;
                if bin == 0 {
                    return Err(err(
                        &format!("{path}.bin_ms"),
                        format!("must be at least one step ({dt} ms), got {}", r.bin_ms),
                    ));
                }
                monitors.push(MonitorEntry {
                    path,
                    spec: MonitorSpec::Rate {
                        population: pop_name.clone(),
                        bin,
                    },
                    neurons: 0,
                });
            }
        }
        if !(file.output.raster_ms.is_finite() && file.output.raster_ms > 0.0) {
            return Err(err(
                "output.raster_ms",
                format!("must be > 0 ms, got {}", file.output.raster_ms),
            ));
        }
        if file.sweep.is_some() {
            return Err(err(
                "sweep",
                "a [sweep] section belongs to SORN files; sweep a spiking file from the command \
                 line: neuroplast sweep FILE --param key.path=v1,v2 --seeds 1..5"
                    .into(),
            ));
        }
        resolve_analysis(&mut file, name, dt)?;
        let readout = match &file.readout {
            Some(r) => Some(resolve_readout(r, &file, name, dt, steps)?),
            None => None,
        };
        Ok(SpikingExperiment {
            readout,
            file,
            models,
            per_neuron,
            monitors,
            name: name.to_string(),
            steps,
        })
    }

    /// Steps to run.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Run `steps` steps instead of `simulation.duration_ms` (the resolved configuration
    /// states the new duration).
    pub fn set_steps(&mut self, steps: u64) {
        self.steps = steps;
        self.file.simulation.duration_ms = steps as f64 * self.dt_ms();
    }

    /// Time step, ms.
    pub fn dt_ms(&self) -> f64 {
        self.file.simulation.dt_ms
    }

    fn dt_ms_value(&self) -> f64 {
        self.file.simulation.dt_ms
    }

    /// Master seed.
    pub fn seed(&self) -> u64 {
        self.file.simulation.seed
    }

    /// Steps per chunk of a run: monitors are drained after each (about 1/200 of the run,
    /// between 1 and 10 000 steps).
    pub fn chunk_steps(&self) -> u64 {
        (self.steps / 200).clamp(1, 10_000)
    }

    /// The network builder with every population, initial value, projection, source and
    /// monitor declared (nothing drawn yet). Callers may add monitors before building.
    pub fn builder(&self) -> Result<NetworkBuilder> {
        let core = |e| ConfigError::from_core(&self.name, e);
        let f = &self.file;
        let mut b = NetworkBuilder::new(self.dt_ms(), self.seed());
        for ((pop_name, pop), model) in f.populations.iter().zip(&self.models) {
            b.population(pop_name, pop.n, model.clone()).map_err(core)?;
            b.precision(pop_name, pop.precision).map_err(core)?;
            for (p, param, value) in self.per_neuron.iter().filter(|v| v.0 == pop_name) {
                b.param(p, param, value.0.clone()).map_err(core)?;
            }
            for (var, value) in pop.init.iter() {
                b.init(pop_name, var, value.0.clone()).map_err(core)?;
            }
        }
        for (proj_name, p) in f.projections.iter() {
            let synapse = match (&p.receptor, &p.synapse) {
                (Some(r), _) => SynapseSpec::Receptor { names: r.0.clone() },
                (None, Some(s)) => s.clone(),
                (None, None) => unreachable!("checked when resolving"),
            };
            b.projection(ProjectionSpec {
                name: proj_name.to_string(),
                pre: p.pre.clone(),
                post: p.post.clone(),
                connector: p.connector.clone(),
                weight: p.weight.0.clone(),
                delay: p.delay_ms.as_ref().map_or(
                    Value::Constant {
                        value: self.dt_ms(),
                    },
                    |d| d.0.clone(),
                ),
                delay_rounding: p.delay_rounding,
                synapse,
                plasticity: p.plasticity.clone(),
            })
            .map_err(core)?;
        }
        for (src_name, s) in f.sources.iter() {
            b.current_source(
                src_name,
                &s.population,
                s.neurons.clone(),
                s.waveform.clone(),
            )
            .map_err(core)?;
        }
        for m in &self.monitors {
            b.monitor(m.spec.clone());
        }
        for (k, e) in f.schedule.iter().enumerate() {
            let path = format!("schedule[{k}]");
            let step = whole_steps(&self.name, &format!("{path}.at_ms"), e.at_ms, self.dt_ms())?;
            for (key, list, plastic) in [
                ("freeze", &e.freeze, false),
                ("unfreeze", &e.unfreeze, true),
            ] {
                for (i, name) in list.iter().enumerate() {
                    b.action(
                        step,
                        Action::SetPlastic {
                            projection: name.clone(),
                            plastic,
                        },
                        &format!("{path}.{key}[{i}]"),
                    );
                }
            }
            if let Some(amount) = e.reward {
                b.action(
                    step,
                    Action::Reward {
                        amount,
                        projection: e.reward_projection.clone(),
                    },
                    &format!("{path}.reward"),
                );
            } else if e.reward_projection.is_some() {
                return Err(ConfigError::new(
                    &self.name,
                    format!("{path}.reward_projection"),
                    "is set but `reward` is not (say how much dopamine to add)",
                ));
            }
        }
        Ok(b)
    }

    /// Map a core error of `builder.build()` to the experiment's key paths (monitors are
    /// numbered `record[k]` in the core).
    pub fn build_error(&self, e: neuroplast_core::Error) -> ConfigError {
        let mut c = ConfigError::from_core(&self.name, e);
        if let Some(rest) = c.path.strip_prefix("record[") {
            if let Some((k, tail)) = rest.split_once(']') {
                if let Some(m) = k.parse::<usize>().ok().and_then(|k| self.monitors.get(k)) {
                    let tail = match tail {
                        ".every" => ".every_ms",
                        ".bin" => ".bin_ms",
                        ".variable" | ".population" => "",
                        other => other,
                    };
                    c.path = format!("{}{tail}", m.path);
                }
            }
        }
        c
    }

    /// Build the network (connectivity, weights, delays, initial states drawn), set its
    /// threads, and check `record.max_memory_mb`.
    pub fn build(&self) -> Result<Network> {
        let net = self.builder()?.build().map_err(|e| self.build_error(e))?;
        self.finish(net)
    }

    /// Set threads and check the memory limit of a network built from [`builder`](Self::builder).
    pub fn finish(&self, mut net: Network) -> Result<Network> {
        net.set_threads(self.file.simulation.threads)
            .map_err(|e| ConfigError::from_core(&self.name, e))?;
        if let Some(limit) = self.file.record.max_memory_mb {
            let plan = self.recording_plan();
            let need = (net.state_bytes() as u64 + plan.buffer_bytes()) as f64 / 1048576.0;
            if need > limit {
                return Err(ConfigError::new(
                    &self.name,
                    "record.max_memory_mb",
                    format!(
                        "the run needs about {need:.1} MiB (network {:.1} MiB + recording buffers of one chunk {:.1} MiB, spikes at {PLAN_RATE_HZ} Hz), over the limit of {limit} MiB; record fewer neurons, sample less often, or raise the limit",
                        net.state_bytes() as f64 / 1048576.0,
                        plan.buffer_bytes() as f64 / 1048576.0
                    ),
                ));
            }
        }
        Ok(net)
    }

    /// Memory and disk of the recordings (exact for state and rate samples, estimated at
    /// [`PLAN_RATE_HZ`] for spikes).
    pub fn recording_plan(&self) -> RecordingPlan {
        let steps = self.steps;
        let chunk = self.chunk_steps().min(steps);
        let dt = self.dt_ms();
        let mut p = RecordingPlan {
            chunk_steps: chunk,
            ..Default::default()
        };
        let spikes = |neurons: u64, steps: u64| -> u64 {
            ((neurons as f64 * PLAN_RATE_HZ * steps as f64 * dt / 1000.0).ceil() as u64)
                .saturating_mul(BYTES_PER_SPIKE)
        };
        for m in &self.monitors {
            match &m.spec {
                MonitorSpec::Spikes {
                    start_step,
                    stop_step,
                    ..
                } => {
                    let stop = stop_step.unwrap_or(steps).min(steps);
                    let window = stop.saturating_sub(*start_step);
                    p.spike_neurons += m.neurons;
                    p.spike_bytes_estimate = p
                        .spike_bytes_estimate
                        .saturating_add(spikes(m.neurons, window));
                    p.chunk_spike_bytes_estimate = p
                        .chunk_spike_bytes_estimate
                        .saturating_add(spikes(m.neurons, chunk.min(window)));
                }
                MonitorSpec::State { every, .. } => {
                    let row = 8 * m.neurons + 8;
                    p.sample_bytes = p
                        .sample_bytes
                        .saturating_add(steps.div_ceil(*every).saturating_mul(row));
                    p.chunk_sample_bytes += chunk.div_ceil(*every) * row;
                }
                MonitorSpec::Activity { .. } => {
                    p.sample_bytes = p.sample_bytes.saturating_add(steps.saturating_mul(4));
                    p.chunk_sample_bytes += chunk * 4;
                }
                MonitorSpec::Rate { bin, .. } => {
                    p.sample_bytes = p
                        .sample_bytes
                        .saturating_add((steps / bin).saturating_mul(16));
                    p.chunk_sample_bytes += (chunk / bin + 1) * 16;
                }
            }
        }
        p
    }

    /// The resolved configuration as TOML: every model parameter and default explicit, plus
    /// the neuroplast version. Loading it gives the same run.
    pub fn resolved_toml(&self) -> String {
        let mut f = self.file.clone();
        f.meta = Some(Meta {
            neuroplast_version: neuroplast_core::checkpoint::NEUROPLAST_VERSION.to_string(),
        });
        let mut value = toml::Value::try_from(&f).expect("experiment serialises to TOML");
        // rules written as equations go back to the short form naming their [models] table
        let projections = value.get_mut("projections").and_then(|p| p.as_table_mut());
        for (k, p) in projections.into_iter().flatten() {
            let short = f
                .projections
                .get(k)
                .and_then(|p| p.plasticity.as_ref())
                .and_then(rules::short_form);
            if let (Some(short), Some(t)) = (short, p.as_table_mut()) {
                t.insert("plasticity".into(), toml::Value::Table(short));
            }
        }
        let body = toml::to_string(&value).expect("experiment serialises to TOML");
        format!(
            "# Fully resolved by neuroplast {} from {}.\n# Every model parameter is explicit; \
             `neuroplast run` on this file repeats the run.\n\n{body}",
            neuroplast_core::checkpoint::NEUROPLAST_VERSION,
            self.name
        )
    }
}

/// An unknown model name lists the known ones (serde's message already does, from the core's
/// enum) and is reported at `populations.<pop>.model`; parameter errors name
/// `populations.<pop>.params.<key>`.
fn model_error(path: &str, mut c: ConfigError) -> ConfigError {
    if c.msg.contains("unknown variant") && c.path == path {
        c.path = format!("{path}.model");
    }
    c
}
