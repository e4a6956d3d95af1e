//! A spiking file as an [`Experiment`](crate::Experiment): building and restoring its
//! network, what `validate` prints about it, its outputs and analyses.

use std::sync::Arc;

use neuroplast_core::distributed::Comm;
use neuroplast_core::engine::{Engine, Kind, Summary};
use neuroplast_core::spiking::monitor::MonitorSpec;
use neuroplast_core::spiking::network::{ModelSpec, Network};
use neuroplast_core::spiking::plasticity::PlasticitySpec;

use super::{SpikingExperiment, BYTES_PER_SPIKE, PLAN_RATE_HZ};
use crate::experiment::{flag_error, OutputOptions, ReadoutPlan, RestoreError};
use crate::schema::AnalysisSection;
use crate::{ConfigError, Result};

fn mib(bytes: u64) -> String {
    let m = bytes as f64 / 1048576.0;
    if m < 0.1 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{m:.1} MiB")
    }
}

impl SpikingExperiment {
    /// Whether a restored network is the one this file describes (time step, seed,
    /// populations, projections and monitors); `Err` names what differs.
    fn same_network(&self, net: &Network) -> std::result::Result<(), &'static str> {
        if net.dt_ms() != self.dt_ms() {
            return Err("simulation.dt_ms");
        }
        if net.seed() != self.seed() {
            return Err("simulation.seed");
        }
        let pops: Vec<(&str, usize)> = net
            .populations()
            .iter()
            .map(|p| (p.name(), p.len()))
            .collect();
        let want: Vec<(&str, usize)> = self
            .file
            .populations
            .iter()
            .map(|(k, p)| (k, p.n))
            .collect();
        if pops != want {
            return Err("the populations");
        }
        let projs: Vec<(&str, &str, &str)> = net
            .projections()
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    net.populations()[p.pre].name(),
                    net.populations()[p.post].name(),
                )
            })
            .collect();
        let want: Vec<(&str, &str, &str)> = self
            .file
            .projections
            .iter()
            .map(|(k, p)| (k, p.pre.as_str(), p.post.as_str()))
            .collect();
        if projs != want {
            return Err("the projections");
        }
        let specs: Vec<MonitorSpec> = self.monitors.iter().map(|m| m.spec.clone()).collect();
        if net.monitor_specs() != specs.as_slice() {
            return Err("the recordings");
        }
        Ok(())
    }
}

impl crate::Experiment for SpikingExperiment {
    fn kind(&self) -> Kind {
        Kind::Spiking
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

    fn steps(&self) -> u64 {
        self.steps
    }

    fn set_steps(&mut self, steps: u64) -> Result<()> {
        if steps == 0 {
            return Err(flag_error(&self.name, "--steps", "must be ≥ 1, got 0"));
        }
        SpikingExperiment::set_steps(self, steps);
        Ok(())
    }

    fn dt_ms(&self) -> Option<f64> {
        Some(self.file.simulation.dt_ms)
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
        SpikingExperiment::chunk_steps(self)
    }

    fn build(&self) -> Result<Box<dyn Engine>> {
        Ok(Box::new(SpikingExperiment::build(self)?))
    }

    fn restore(&self, bytes: &[u8]) -> std::result::Result<Box<dyn Engine>, RestoreError> {
        Ok(Box::new(self.finish(self.restored(bytes)?)?))
    }

    fn build_distributed(&self, comm: Arc<dyn Comm>) -> Result<Box<dyn Engine>> {
        let net = self
            .builder()?
            .build_distributed(comm)
            .map_err(|e| self.build_error(e))?;
        Ok(Box::new(self.finish(net)?))
    }

    fn restore_distributed(
        &self,
        bytes: &[u8],
        comm: Arc<dyn Comm>,
    ) -> std::result::Result<Box<dyn Engine>, RestoreError> {
        let net = self
            .restored(bytes)?
            .distribute(comm)
            .map_err(|e| RestoreError::Differs(self.build_error(e)))?;
        Ok(Box::new(self.finish(net)?))
    }

    fn resolved_toml(&self) -> String {
        SpikingExperiment::resolved_toml(self)
    }

    fn output(&self) -> OutputOptions {
        let o = &self.file.output;
        OutputOptions {
            checkpoint: o.checkpoint,
            plots: o.plots,
            raster_steps: (o.raster_ms / self.dt_ms_value()).round().max(1.0) as u64,
        }
    }

    fn analysis(&self) -> AnalysisSection {
        self.file.analysis.clone()
    }

    fn readout(&self) -> Option<ReadoutPlan> {
        self.readout.clone()
    }

    fn default_metric(&self) -> String {
        match self.file.populations.0.first() {
            Some((pop, _)) => format!("populations.{pop}.mean_rate_hz"),
            None => "wall_seconds".into(),
        }
    }

    fn recorded_from(&self, population: &str) -> Option<u64> {
        self.monitors.iter().find_map(|m| match &m.spec {
            MonitorSpec::Spikes {
                population: p,
                neurons: None,
                start_step,
                ..
            } if p == population => Some(*start_step),
            _ => None,
        })
    }

    fn warnings(&self) -> Vec<String> {
        let end_ms = self.steps() as f64 * self.dt_ms_value();
        self.file
            .schedule
            .iter()
            .enumerate()
            .filter(|(_, e)| e.at_ms >= end_ms)
            .map(|(i, e)| {
                format!(
                    "warning: schedule[{i}].at_ms = {} is not before the run's end ({end_ms} ms): it \
                     takes effect only in a longer run or a resume",
                    e.at_ms
                )
            })
            .collect()
    }

    fn describe(&self, engine: &dyn Engine) -> String {
        let s = engine.summary();
        let dt = self.dt_ms_value();
        let mut out = String::new();
        let pops = s.get("populations");
        let projs = s.get("projections");
        let n_total: usize = self.file.populations.iter().map(|(_, p)| p.n).sum();
        out += &format!(
            "network: {n_total} neurons in {} population(s), {} synapses, state ≈ {:.1} MiB\n",
            self.file.populations.0.len(),
            s.number("synapses").unwrap_or(f64::NAN),
            s.number("network_mb").unwrap_or(f64::NAN)
        );
        for ((name, p), model) in self.file.populations.iter().zip(&self.models) {
            let varying: Vec<&str> = self
                .per_neuron
                .iter()
                .filter(|v| v.0 == name)
                .map(|v| v.1.as_str())
                .collect();
            out += &format!(
                "  population {name:<12} {:>8} × {}{}\n",
                p.n,
                model.name(),
                if varying.is_empty() {
                    String::new()
                } else {
                    format!(" (per neuron: {})", varying.join(", "))
                }
            );
            // the state as built: initial values given in `init` and those the model
            // defaults or derives (u = b·v, Hodgkin–Huxley gates at rest)
            if let Some(state) = pops
                .as_ref()
                .and_then(|s| s.get(name))
                .and_then(|s| s.get("state"))
            {
                let mut parts = Vec::new();
                for var in model_state_names(model) {
                    if let Some(r) = state.get(var) {
                        let (lo, hi) = (r.index(0), r.index(1));
                        parts.push(match (lo, hi) {
                            (Some(a), Some(b)) if a == b => format!("{var} = {}", fmt_num(a)),
                            (Some(a), Some(b)) => {
                                format!("{var} ∈ [{}, {}]", fmt_num(a), fmt_num(b))
                            }
                            _ => continue,
                        });
                    }
                }
                if !parts.is_empty() {
                    out += &format!("      initial state: {}\n", parts.join(", "));
                }
            }
        }
        for (name, spec) in self.file.projections.iter() {
            let synapse = match (&spec.receptor, &spec.synapse) {
                (Some(r), _) => format!("receptor {}", r.0.join("+")),
                (None, Some(s)) => toml::Value::try_from(s)
                    .ok()
                    .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(String::from))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            let n = projs
                .as_ref()
                .and_then(|p| p.get(name))
                .and_then(|p| p.number("synapses"))
                .unwrap_or(f64::NAN);
            out += &format!(
                "  projection {name:<12} {} → {} · {n} synapses · {synapse}{}\n",
                spec.pre,
                spec.post,
                spec.plasticity.as_ref().map_or(String::new(), |r| match r {
                    PlasticitySpec::Equations(p) => format!(" · plastic ({}, equations)", p.name()),
                    r => format!(" · plastic ({})", r.name()),
                })
            );
        }
        let plan = self.recording_plan();
        out += &format!(
            "recording: {} steps ({} ms) in chunks of {} steps; buffers of one chunk ≈ {}\n",
            self.steps(),
            self.steps() as f64 * dt,
            plan.chunk_steps,
            mib(plan.buffer_bytes())
        );
        out += &format!(
            "  disk: state and rate samples {} (exact); spikes of {} neurons: {BYTES_PER_SPIKE} B per spike, ≈ {} at {PLAN_RATE_HZ} Hz\n",
            mib(plan.sample_bytes),
            plan.spike_neurons,
            mib(plan.spike_bytes_estimate)
        );
        if let Some(m) = self.file.record.max_memory_mb {
            out += &format!("  memory limit {m} MiB (record.max_memory_mb)\n");
        }
        out
    }

    fn summary(&self) -> Summary {
        let mut s = Summary::new();
        s.insert("kind", "spiking").insert("seed", self.seed());
        s
    }

    fn clone_box(&self) -> Box<dyn crate::Experiment> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The state variables of a model, in its own order.
fn model_state_names(model: &ModelSpec) -> Vec<&'static str> {
    use neuroplast_core::spiking::neuron::{Build, NeuronModel};
    let ctx = Build {
        dt_ms: 0.1,
        offset: 0,
        rng: neuroplast_core::rng::component(0, neuroplast_core::rng::Stream::Poisson, 0),
        per_neuron: &[],
        precision: Default::default(),
    };
    model
        .build(1, ctx)
        .map(|m| m.state_names().to_vec())
        .unwrap_or_default()
}

fn fmt_num(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

impl SpikingExperiment {
    /// The network of checkpoint `bytes`, refused when it is not this file's network.
    fn restored(&self, bytes: &[u8]) -> std::result::Result<Network, RestoreError> {
        let net = neuroplast_core::checkpoint::network_from_bytes(bytes)
            .map_err(RestoreError::Unreadable)?;
        if let Err(what) = self.same_network(&net) {
            return Err(RestoreError::Differs(ConfigError::new(
                &self.name,
                "checkpoint",
                format!(
                    "config.toml and the checkpoint disagree on {what}; config.toml must not \
                     be edited before resuming"
                ),
            )));
        }
        Ok(net)
    }
}
