//! [`NetworkBuilder`]: declare populations, per-neuron values, projections, sources, monitors
//! and scheduled actions; [`build`](NetworkBuilder::build) checks everything and draws
//! connectivity, one function per section (projections in `builder/connect.rs`).

mod connect;

use std::sync::Arc;

use super::kernels::finish_kernel_rings;
use super::spec::{Action, ProjectionSpec};
use super::{Network, Population, Projection, Shard, SHARD};
use crate::distributed::{Comm, Partition};
use crate::exec::Exec;
use crate::hash::Fnv1a;
use crate::rng::{component, Stream};
use crate::spiking::connector::Value;
use crate::spiking::monitor::{
    ActivityMon, CountChunk, MonitorSpec, Monitors, RateChunk, RateMon, SpikeChunk, SpikeMon,
    StateChunk, StateMon,
};
use crate::spiking::neuron::{Build, ModelSpec, NeuronModel, Precision};
use crate::spiking::projection::SpikeRing;
use crate::spiking::source::{CurrentSource, Waveform};
use crate::{ensure, Error, Result};

/// Builds a [`Network`]: declare populations, projections, sources and monitors, then
/// [`build`](NetworkBuilder::build) validates everything and draws connectivity.
///
/// ```
/// use neuroplast_core::spiking::connector::{Connector, Value};
/// use neuroplast_core::spiking::network::{DelayRounding, ModelSpec, NetworkBuilder, ProjectionSpec, SynapseSpec};
/// use neuroplast_core::spiking::neuron::IfCondExpParams;
/// use neuroplast_core::spiking::source::PoissonParams;
///
/// let mut b = NetworkBuilder::new(0.1, 42);
/// b.population("input", 100, ModelSpec::SpikeSourcePoisson(PoissonParams { rate: 20.0, ..Default::default() })).unwrap();
/// b.population("exc", 10, ModelSpec::IF_cond_exp(IfCondExpParams::default())).unwrap();
/// // a bias current that differs between neurons
/// b.param("exc", "i_offset", Value::Uniform { low: 0.0, high: 0.5 }).unwrap();
/// b.projection(ProjectionSpec {
///     name: "in".into(), pre: "input".into(), post: "exc".into(),
///     connector: Connector::AllToAll { allow_self: true },
///     weight: 0.002.into(), delay: 0.1.into(), delay_rounding: DelayRounding::Exact,
///     synapse: SynapseSpec::Receptor { names: vec!["excitatory".into()] },
///     plasticity: None,
/// }).unwrap();
/// let mut net = b.build().unwrap();
/// net.run(1000); // 100 ms
/// assert!(net.population("exc").unwrap().spike_count() > 0);
/// ```
#[derive(Debug)]
pub struct NetworkBuilder {
    dt: f64,
    seed: u64,
    pops: Vec<PopulationDecl>,
    inits: Vec<(usize, String, Value)>,
    projs: Vec<ProjectionSpec>,
    sources: Vec<(String, String, Option<Vec<u32>>, Waveform)>,
    monitors: Vec<MonitorSpec>,
    actions: Vec<(u64, Action, String)>,
}

#[derive(Debug)]
struct PopulationDecl {
    name: String,
    n: usize,
    model: ModelSpec,
    /// Per-neuron parameter values: (parameter, value specification), in call order.
    params: Vec<(String, Value)>,
    /// The precision of the state arrays.
    precision: Precision,
}

impl NetworkBuilder {
    /// A network with time step `dt_ms` and master seed `seed`.
    pub fn new(dt_ms: f64, seed: u64) -> NetworkBuilder {
        NetworkBuilder {
            dt: dt_ms,
            seed,
            pops: Vec::new(),
            inits: Vec::new(),
            projs: Vec::new(),
            sources: Vec::new(),
            monitors: Vec::new(),
            actions: Vec::new(),
        }
    }

    /// Add a population; returns its index.
    pub fn population(&mut self, name: &str, n: usize, model: ModelSpec) -> Result<usize> {
        let path = format!("populations.{name}");
        ensure!(
            !self.pops.iter().any(|p| p.name == name),
            &path,
            "a population of this name already exists"
        );
        ensure!(
            n >= 1 && n < u32::MAX as usize,
            format!("{path}.n"),
            "must be in [1, 2³² − 1), got {n}"
        );
        model.validate(&format!("{path}.params"))?;
        self.pops.push(PopulationDecl {
            name: name.to_string(),
            n,
            model,
            params: Vec::new(),
            precision: Precision::F64,
        });
        Ok(self.pops.len() - 1)
    }

    /// Keep the state of population `pop` in `precision` (default `f64`). `f32` halves the
    /// memory the update streams and doubles the values per vector instruction; parameters
    /// and derived constants are computed in `f64` and rounded once, delivered weights are
    /// rounded to `f32` as they are added, recordings widen the values back to `f64`.
    /// Available for the models listed by [`ModelSpec::names_with_f32`].
    pub fn precision(&mut self, pop: &str, precision: Precision) -> Result<()> {
        let idx = self.pop_index(pop, &format!("populations.{pop}"))?;
        let decl = &mut self.pops[idx];
        decl.model
            .check_precision(precision, &format!("populations.{pop}.precision"))?;
        decl.precision = precision;
        Ok(())
    }

    /// The precision of population `p` (in declaration order).
    pub fn precision_of(&self, p: usize) -> Precision {
        self.pops[p].precision
    }

    /// Give parameter `param` of population `pop` one value per neuron: an array, or draws
    /// from a distribution (each declaration has its own random stream, numbered in call
    /// order). A constant sets the parameter of every neuron, like the model's parameter
    /// table. Checked against the model's parameter ranges at build, neuron by neuron.
    pub fn param(&mut self, pop: &str, param: &str, value: Value) -> Result<()> {
        let idx = self.pop_index(pop, &format!("populations.{pop}"))?;
        let path = format!("populations.{pop}.params.{param}");
        let decl = &mut self.pops[idx];
        let names = decl.model.per_neuron_params();
        if !names.contains(&param) {
            return Err(Error::config(
                &path,
                format!(
                    "{} has no parameter {param:?} that can differ between neurons; it has: {}",
                    decl.model.name(),
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        }
        value.validate(&path, decl.n)?;
        if let Value::Constant { value } = value {
            decl.model.set_param(param, value);
            return decl.model.validate(&format!("populations.{pop}.params"));
        }
        decl.params.retain(|(p, _)| p != param);
        decl.params.push((param.to_string(), value));
        Ok(())
    }

    /// The populations declared so far: (name, size, model), in declaration order.
    pub fn populations(&self) -> Vec<(String, usize, ModelSpec)> {
        self.pops
            .iter()
            .map(|d| (d.name.clone(), d.n, d.model.clone()))
            .collect()
    }

    /// Initialise state variable `var` of population `pop` (applied at build, in call order,
    /// each from the population's own random stream).
    pub fn init(&mut self, pop: &str, var: &str, value: Value) -> Result<()> {
        let idx = self.pop_index(pop, &format!("populations.{pop}"))?;
        value.validate(&format!("populations.{pop}.init.{var}"), self.pops[idx].n)?;
        self.inits.push((idx, var.to_string(), value));
        Ok(())
    }

    /// Add a projection.
    pub fn projection(&mut self, spec: ProjectionSpec) -> Result<()> {
        let path = format!("projections.{}", spec.name);
        ensure!(
            !self.projs.iter().any(|p| p.name == spec.name),
            &path,
            "a projection of this name already exists"
        );
        self.pop_index(&spec.pre, &format!("{path}.pre"))?;
        self.pop_index(&spec.post, &format!("{path}.post"))?;
        self.projs.push(spec);
        Ok(())
    }

    /// Inject a current `waveform` into `neurons` of `pop` (all neurons when `None`).
    pub fn current_source(
        &mut self,
        name: &str,
        pop: &str,
        neurons: Option<Vec<u32>>,
        waveform: Waveform,
    ) -> Result<()> {
        self.pop_index(pop, &format!("sources.{name}.population"))?;
        self.sources
            .push((name.to_string(), pop.to_string(), neurons, waveform));
        Ok(())
    }

    /// Record something.
    pub fn monitor(&mut self, spec: MonitorSpec) {
        self.monitors.push(spec);
    }

    /// Do `action` at the start of step `step` (before anything else of that step); `path` is
    /// the key path that errors name (names and rules are checked at build).
    pub fn action(&mut self, step: u64, action: Action, path: &str) {
        self.actions.push((step, action, path.to_string()));
    }

    fn pop_index(&self, name: &str, path: &str) -> Result<usize> {
        self.pops
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| {
                Error::config(
                    path,
                    format!(
                        "no population named {name:?}; populations: {}",
                        self.pops
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    /// Validate everything, draw connectivity, weights, delays and initial states.
    pub fn build(self) -> Result<Network> {
        self.build_for(None)
    }

    /// Build this rank's part of a network distributed over `comm`'s ranks: every rank checks
    /// and draws everything a one-process build does (so every rank refuses what it refuses),
    /// owns a contiguous block of every population's shards ([`Partition`]) and keeps the
    /// static synapses onto its own neurons. With one rank this is [`build`](Self::build).
    pub fn build_distributed(self, comm: Arc<dyn Comm>) -> Result<Network> {
        if comm.ranks() <= 1 {
            return self.build();
        }
        self.build_for(Some(comm))
    }

    fn build_for(self, comm: Option<Arc<dyn Comm>>) -> Result<Network> {
        let part = comm.as_ref().map(|c| Partition {
            rank: c.rank(),
            ranks: c.ranks(),
        });
        let dt = self.dt;
        ensure!(
            dt.is_finite() && dt > 0.0,
            "simulation.dt_ms",
            "must be > 0 ms, got {dt}"
        );
        ensure!(
            !self.pops.is_empty(),
            "populations",
            "a network needs at least one population"
        );
        let mut pops = self.build_populations()?;
        self.apply_inits(&mut pops)?;
        let mut projs = Vec::with_capacity(self.projs.len());
        let mut max_delay = vec![1u32; pops.len()];
        let mut out_degree: Vec<Vec<u32>> = pops.iter().map(|p| vec![0; p.n]).collect();
        let mut totals = Vec::with_capacity(self.projs.len());
        for (k, spec) in self.projs.iter().enumerate() {
            let (proj, degree) = self.build_projection(k, spec, &mut pops, part)?;
            max_delay[proj.pre] = max_delay[proj.pre].max(proj.synapses.max_delay());
            totals.push(degree.iter().map(|&d| d as usize).sum());
            for (d, k) in out_degree[proj.pre].iter_mut().zip(degree) {
                *d += k;
            }
            projs.push(proj);
        }
        finish_kernel_rings(&mut pops);
        let mut incoming = vec![Vec::new(); pops.len()];
        let mut plastic = Vec::new();
        for (k, p) in projs.iter().enumerate() {
            if p.plasticity.is_some() {
                plastic.push(k);
            } else {
                incoming[p.post].push(k);
            }
        }
        let sources = self.build_sources(&mut pops)?;
        let monitors = self.build_monitors(&pops)?;
        let rings = pops
            .iter()
            .zip(&max_delay)
            .map(|(p, &d)| SpikeRing::new(d as usize + 1, p.n.min(4096)))
            .collect();
        let actions = check_actions(self.actions, &projs)?;
        let mut net = Network {
            actions,
            next_action: 0,
            plastic,
            out_degree,
            events: 0,
            dt,
            seed: self.seed,
            t: 0,
            pops,
            projs,
            incoming,
            rings,
            sources,
            monitors,
            hash: Fnv1a::default(),
            exec: Exec::default(),
            profile: None,
            dist: None,
        };
        if let (Some(comm), Some(part)) = (comm, part) {
            net.check_distributable()?;
            net.attach(comm, part, totals);
        }
        Ok(net)
    }

    /// Every population in shards of at most [`SHARD`] neurons, each shard with its own
    /// random stream and its cut of the per-neuron parameter values.
    fn build_populations(&self) -> Result<Vec<Population>> {
        let mut pops = Vec::with_capacity(self.pops.len());
        for (p, (decl, values)) in self.pops.iter().zip(self.sampled_params()).enumerate() {
            let shards = self.build_shards(p, &decl.model, &values)?;
            pops.push(Population {
                name: decl.name.clone(),
                n: decl.n,
                model: decl.model.name().to_string(),
                spec: decl.model.clone(),
                values,
                shards,
                kernels: Vec::new(),
                spikes: Vec::with_capacity(decl.n),
                spike_count: 0,
            });
        }
        Ok(pops)
    }

    /// The per-neuron parameter values of every population, drawn in declaration order
    /// (each declaration from its own random stream), as `(name, one value per neuron)`.
    pub(super) fn sampled_params(&self) -> Vec<Vec<(String, Vec<f64>)>> {
        let mut draw = 0u64;
        let mut out = Vec::with_capacity(self.pops.len());
        for decl in &self.pops {
            let mut values = Vec::with_capacity(decl.params.len());
            for (name, value) in &decl.params {
                let mut rng = component(self.seed, Stream::ParamInit, draw);
                draw += 1;
                values.push((name.clone(), value.sample(decl.n, &mut rng)));
            }
            out.push(values);
        }
        out
    }

    /// The shards of population `p` with model `model` and per-neuron `values`, at their
    /// initial state (each shard with its own random stream).
    pub(super) fn build_shards(
        &self,
        p: usize,
        model: &ModelSpec,
        values: &[(String, Vec<f64>)],
    ) -> Result<Vec<Shard>> {
        let dt = self.dt;
        let decl = &self.pops[p];
        let mut shards = Vec::new();
        let mut lo = 0;
        while lo < decl.n {
            let hi = (lo + SHARD).min(decl.n);
            let rng = component(
                self.seed,
                Stream::Poisson,
                ((p as u64) << 32) | (lo / SHARD) as u64,
            );
            let cut: Vec<(String, Vec<f64>)> = values
                .iter()
                .map(|(name, v)| (name.clone(), v[lo..hi].to_vec()))
                .collect();
            let ctx = Build {
                dt_ms: dt,
                offset: lo,
                rng,
                per_neuron: &cut,
                precision: decl.precision,
            };
            let mut neurons = model
                .build(hi - lo, ctx)
                .map_err(|e| prefix(e, &format!("populations.{}", decl.name)))?;
            let receptors = neurons.receptors().len();
            // the interleaved buffer only for models that take some receptor through it
            let buffered = (0..receptors).any(|q| neurons.receptor_values(q).is_none());
            shards.push(Shard {
                lo: lo as u32,
                hi: hi as u32,
                neurons,
                receptors,
                syn: if buffered {
                    vec![0.0; receptors * (hi - lo)]
                } else {
                    Vec::new()
                },
                current: Vec::new(),
                kernels: Vec::new(),
                spikes: Vec::with_capacity(hi - lo),
            });
            lo = hi;
        }
        Ok(shards)
    }

    /// Initial states, in declaration order, each from its own random stream; then each
    /// model derives the initial values that depend on the ones given (e.g. Izhikevich's
    /// `u = b·v`).
    fn apply_inits(&self, pops: &mut [Population]) -> Result<()> {
        for (idx, (p, var, value)) in self.inits.iter().enumerate() {
            let pop = &mut pops[*p];
            let mut rng = component(self.seed, Stream::StateInit, idx as u64);
            let values = value.sample(pop.n, &mut rng);
            pop.set_state(var, &values)
                .map_err(|e| rename_state_error(e, &pop.name, var))?;
        }
        for (p, pop) in pops.iter_mut().enumerate() {
            let given: Vec<&str> = self
                .inits
                .iter()
                .filter(|(q, _, _)| *q == p)
                .map(|(_, var, _)| var.as_str())
                .collect();
            for s in &mut pop.shards {
                s.neurons.init_derived(&given);
            }
        }
        Ok(())
    }

    /// Current sources, checked against their populations.
    fn build_sources(&self, pops: &mut [Population]) -> Result<Vec<CurrentSource>> {
        let mut sources = Vec::with_capacity(self.sources.len());
        for k in 0..self.sources.len() {
            let source = self.compile_source(k, pops)?;
            for s in &mut pops[source.population].shards {
                if s.current.is_empty() {
                    s.current = vec![0.0; (s.hi - s.lo) as usize];
                }
            }
            sources.push(source);
        }
        Ok(sources)
    }

    /// Current source `k`, compiled and checked against its population.
    pub(super) fn compile_source(&self, k: usize, pops: &[Population]) -> Result<CurrentSource> {
        let (name, pop, neurons, waveform) = &self.sources[k];
        let path = format!("sources.{name}");
        let p = self.pop_index(pop, &format!("{path}.population"))?;
        let n = pops[p].n;
        ensure!(
            !pops[p].shards[0].neurons.receptors().is_empty(),
            format!("{path}.population"),
            "{} is a spike source and takes no current",
            pops[p].model
        );
        let neurons = neurons.clone().unwrap_or_else(|| (0..n as u32).collect());
        if let Some(&bad) = neurons.iter().find(|&&j| j as usize >= n) {
            return Err(Error::config(
                format!("{path}.neurons"),
                format!("neuron {bad} is outside population {pop} (size {n})"),
            ));
        }
        let rng = component(self.seed, Stream::CurrentNoise, k as u64);
        // the waveform's own keys (start, stop, amplitude, …) sit under `.waveform`
        CurrentSource::new(
            &format!("{path}.waveform"),
            waveform,
            p,
            neurons,
            self.dt,
            rng,
        )
    }

    /// The model (with its parameter table) of population `p`.
    pub(super) fn model_of(&self, p: usize) -> &ModelSpec {
        &self.pops[p].model
    }

    /// The size of population `p`.
    pub(super) fn size_of(&self, p: usize) -> usize {
        self.pops[p].n
    }

    /// Names of the populations and current sources, in declaration order.
    pub(super) fn names(&self) -> (Vec<&str>, Vec<&str>) {
        (
            self.pops.iter().map(|p| p.name.as_str()).collect(),
            self.sources.iter().map(|s| s.0.as_str()).collect(),
        )
    }

    /// Monitors, resolved to populations, neurons and variables (errors name `record[k]`).
    fn build_monitors(&self, pops: &[Population]) -> Result<Monitors> {
        let mut monitors = Monitors {
            specs: self.monitors.clone(),
            ..Default::default()
        };
        for (k, spec) in self.monitors.iter().enumerate() {
            let path = format!("record[{k}]");
            match spec {
                MonitorSpec::Spikes {
                    population,
                    neurons,
                    start_step,
                    stop_step,
                } => {
                    let p = self.pop_index(population, &format!("{path}.population"))?;
                    let n = pops[p].n;
                    let mask = match neurons {
                        Some(list) => {
                            let mut m = vec![false; n];
                            for &j in list {
                                ensure!(
                                    (j as usize) < n,
                                    format!("{path}.neurons"),
                                    "neuron {j} is outside population {population} (size {n})"
                                );
                                m[j as usize] = true;
                            }
                            Some(m)
                        }
                        None => None,
                    };
                    let n_rec = mask
                        .as_ref()
                        .map_or(n as u64, |m| m.iter().filter(|&&b| b).count() as u64);
                    monitors.spikes.push(SpikeMon {
                        pop: p,
                        mask,
                        n_rec,
                        start: *start_step,
                        stop: stop_step.unwrap_or(u64::MAX),
                        out: SpikeChunk {
                            population: population.clone(),
                            ..Default::default()
                        },
                    });
                }
                MonitorSpec::State {
                    population,
                    variable,
                    neurons,
                    every,
                } => {
                    let p = self.pop_index(population, &format!("{path}.population"))?;
                    let pop = &pops[p];
                    ensure!(*every >= 1, format!("{path}.every"), "must be ≥ 1 step");
                    if pop.shards[0].neurons.values(variable).is_none() {
                        return Err(Error::config(
                            format!("{path}.variable"),
                            format!(
                                "{} has no state variable {variable:?}; it has: {}",
                                pop.model,
                                pop.state_names().join(", ")
                            ),
                        ));
                    }
                    let mut at = Vec::with_capacity(neurons.len());
                    for &j in neurons {
                        ensure!(
                            (j as usize) < pop.n,
                            format!("{path}.neurons"),
                            "neuron {j} is outside population {population} (size {})",
                            pop.n
                        );
                        at.push(((j as usize / SHARD) as u32, (j as usize % SHARD) as u32));
                    }
                    monitors.states.push(StateMon {
                        pop: p,
                        at,
                        every: *every,
                        out: StateChunk {
                            population: population.clone(),
                            variable: variable.clone(),
                            neurons: neurons.clone(),
                            ..Default::default()
                        },
                    });
                }
                MonitorSpec::Activity { population } => {
                    let p = self.pop_index(population, &format!("{path}.population"))?;
                    monitors.activity.push(ActivityMon {
                        pop: p,
                        out: CountChunk {
                            population: population.clone(),
                            ..Default::default()
                        },
                    });
                }
                MonitorSpec::Rate { population, bin } => {
                    let p = self.pop_index(population, &format!("{path}.population"))?;
                    ensure!(*bin >= 1, format!("{path}.bin"), "must be ≥ 1 step");
                    let n = pops[p].n;
                    monitors.rates.push(RateMon {
                        pop: p,
                        bin: *bin,
                        count: 0,
                        bin_start: 0,
                        hz_per_spike: 1000.0 / (n as f64 * *bin as f64 * self.dt),
                        out: RateChunk {
                            population: population.clone(),
                            ..Default::default()
                        },
                    });
                }
            }
        }
        Ok(monitors)
    }
}

/// Scheduled actions with their names and rules checked, so that applying them cannot fail;
/// sorted by step.
fn check_actions(
    actions: Vec<(u64, Action, String)>,
    projs: &[Projection],
) -> Result<Vec<(u64, Action)>> {
    let mut out = Vec::with_capacity(actions.len());
    for (step, action, path) in actions {
        let rule = |name: &str| {
            projs
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.plasticity.as_ref())
        };
        match &action {
            Action::SetPlastic { projection, .. } => match rule(projection) {
                None => {
                    return Err(Error::config(
                        &path,
                        format!("no projection named {projection:?}"),
                    ))
                }
                Some(None) => {
                    return Err(Error::config(
                        &path,
                        format!("{projection:?} has static synapses (nothing to freeze)"),
                    ))
                }
                Some(Some(_)) => {}
            },
            Action::Reward { amount, projection } => {
                ensure!(amount.is_finite(), &path, "must be finite, got {amount}");
                let any = projs
                    .iter()
                    .filter(|p| projection.as_ref().is_none_or(|n| *n == p.name))
                    .any(|p| p.plasticity.as_ref().is_some_and(|r| r.takes_reward()));
                ensure!(
                    any,
                    &path,
                    "no projection {}with the reward_stdp rule",
                    projection
                        .as_ref()
                        .map_or(String::new(), |n| format!("named {n:?} "))
                );
            }
        }
        out.push((step, action));
    }
    out.sort_by_key(|a| a.0);
    Ok(out)
}

fn prefix(e: Error, path: &str) -> Error {
    match e {
        Error::Config { path: p, msg } => Error::config(format!("{path}.{p}"), msg),
        other => other,
    }
}

/// A state error of an `init` entry names `populations.<pop>.init.<var>`.
fn rename_state_error(e: Error, pop: &str, var: &str) -> Error {
    match e {
        Error::Config { path, msg } => {
            let from = format!("populations.{pop}.{var}");
            let to = format!("populations.{pop}.init.{var}");
            Error::config(path.replacen(&from, &to, 1), msg)
        }
        other => other,
    }
}
