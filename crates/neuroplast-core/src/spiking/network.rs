//! The spiking network: populations, projections, current sources and monitors, built once
//! by [`NetworkBuilder`] and advanced by [`Network::run`].
//!
//! ## One step (the schedule, see [`SCHEDULE`])
//!
//! 0. scheduled actions of step `t` ([`Action`]: freeze/unfreeze a projection's plasticity,
//!    give a reward);
//! 1. current sources add their current of step `t` to their target neurons;
//! 2. plastic projections deliver their arrivals serially (the arrival side of their rule);
//!    then for each population, shard by shard (in parallel when threads > 1):
//!    deliver every incoming projection's spikes that arrive now (emitted at `t − d`),
//!    add the double-exponential kernel currents, then integrate the neurons, threshold and
//!    reset (the model's `step`);
//! 3. the spikes of step `t` go into each population's spike ring, the monitors and the
//!    spike hash; plastic rules see the post spikes (and do periodic weight updates);
//!    `t ← t + 1`.
//!
//! A spike emitted at step `t` therefore acts at step `t + d`, `d ≥ 1` — Brian2's order
//! (state update, threshold, `on_pre`) with its one-step effective latency.
//!
//! ## Shards and threads
//!
//! A population is stored as shards of at most [`SHARD`] neurons, each with its own model
//! state, input buffers and random stream. Shard boundaries do not depend on the thread count,
//! and within a shard everything happens in a fixed order, so results are bit-identical for
//! any number of threads.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::connector::{Connector, Value};
use super::monitor::{
    MonitorPlan, MonitorSpec, Monitors, RateChunk, RateMon, Recordings, SpikeChunk, SpikeMon,
    StateChunk, StateMon,
};
use super::neuron::{
    AdEx, AdExParams, HhCondExp, HhCondExpParams, HodgkinHuxley, HodgkinHuxleyParams, IfCondExp,
    IfCondExpParams, IfCurrExp, IfCurrExpParams, Izhikevich, Izhikevich2007, Izhikevich2007Params,
    IzhikevichParams, LifNeurapse, LifNeurapseParams, NeuronModel, Receptor, ReceptorKind, Sorf,
    SorfParams,
};
use super::plasticity::{Plasticity, PlasticitySpec};
use super::projection::{Delivery, SpikeRing, Synapses};
use super::source::{
    CurrentSource, PoissonParams, PoissonSource, SpikeArrayParams, SpikeArraySource, Waveform,
};
use crate::exec::Exec;
use crate::hash::Fnv1a;
use crate::rng::{component, Stream};
use crate::{ensure, Error, Result};

/// Largest number of neurons in one shard.
pub const SHARD: usize = 1024;

/// The phase order of one step, printable (`neuroplast validate` shows it).
pub const SCHEDULE: &[&str] = &[
    "0. scheduled actions of step t (freeze/unfreeze plasticity, rewards)",
    "1. current sources → external current of step t",
    "2a. plastic projections (serially): deliver spikes arriving now, arrival side of the rule",
    "2b. per population, per shard: deliver static projections' spikes arriving now (emitted at t − delay, delay ≥ 1 step) → kernel currents → integrate, threshold, reset",
    "3. spikes of step t → spike rings, spike hash; post-spike side of plasticity (and periodic weight updates); monitors; t ← t + 1",
];

/// A neuron model with its parameters: what a population is made of. In experiment files,
/// `model = "<name>"` and `params = { … }` (serde: adjacently tagged).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", content = "params", deny_unknown_fields)]
#[allow(non_camel_case_types)] // reason: the variants are PyNN's model names
pub enum ModelSpec {
    /// Conductance-based LIF (PyNN `IF_cond_exp`).
    IF_cond_exp(IfCondExpParams),
    /// Current-based LIF with exponential synaptic currents (PyNN `IF_curr_exp`).
    IF_curr_exp(IfCurrExpParams),
    /// The LIF of the Neurapse course library (Heun update, marker value, refractory reset).
    LIF_neurapse(LifNeurapseParams),
    /// Adaptive exponential integrate-and-fire (PyNN `EIF_cond_exp_isfa_ista`).
    EIF_cond_exp_isfa_ista(AdExParams),
    /// Izhikevich 2003 "simple model" (PyNN `Izhikevich`), per-neuron a, b, c, d.
    Izhikevich(IzhikevichParams),
    /// Izhikevich 2007 form (C, k, v_r, v_t, v_peak, a, b, c, d) with Neurapse's semantics.
    Izhikevich2007(Izhikevich2007Params),
    /// Classic Hodgkin–Huxley squid axon.
    HH_squid(HodgkinHuxleyParams),
    /// Traub-style Hodgkin–Huxley with exponential conductances (PyNN `HH_cond_exp`).
    HH_cond_exp(HhCondExpParams),
    /// Carlson et al. 2013 SORF neuron: conductance Izhikevich with AMPA, NMDA, GABA_A, GABA_B.
    SORF(SorfParams),
    /// Poisson spike trains (PyNN `SpikeSourcePoisson`).
    SpikeSourcePoisson(PoissonParams),
    /// Explicit spike times (PyNN `SpikeSourceArray`).
    SpikeSourceArray(SpikeArrayParams),
}

impl ModelSpec {
    /// The model's name as written in experiment files.
    pub fn name(&self) -> &'static str {
        match self {
            ModelSpec::IF_cond_exp(_) => "IF_cond_exp",
            ModelSpec::IF_curr_exp(_) => "IF_curr_exp",
            ModelSpec::LIF_neurapse(_) => "LIF_neurapse",
            ModelSpec::EIF_cond_exp_isfa_ista(_) => "EIF_cond_exp_isfa_ista",
            ModelSpec::Izhikevich(_) => "Izhikevich",
            ModelSpec::Izhikevich2007(_) => "Izhikevich2007",
            ModelSpec::HH_squid(_) => "HH_squid",
            ModelSpec::HH_cond_exp(_) => "HH_cond_exp",
            ModelSpec::SORF(_) => "SORF",
            ModelSpec::SpikeSourcePoisson(_) => "SpikeSourcePoisson",
            ModelSpec::SpikeSourceArray(_) => "SpikeSourceArray",
        }
    }

    /// Every model name, for error messages.
    pub const NAMES: &'static [&'static str] =
        &["IF_cond_exp", "SpikeSourcePoisson", "SpikeSourceArray"];

    /// Check the parameters; `path` is the parameter table's key path.
    pub fn validate(&self, path: &str) -> Result<()> {
        match self {
            ModelSpec::IF_cond_exp(p) => p.validate(path),
            ModelSpec::IF_curr_exp(p) => p.validate(path),
            ModelSpec::LIF_neurapse(p) => p.validate(path),
            ModelSpec::EIF_cond_exp_isfa_ista(p) => p.validate(path),
            ModelSpec::Izhikevich(p) => p.validate(path),
            ModelSpec::Izhikevich2007(p) => p.validate(path),
            ModelSpec::HH_squid(p) => p.validate(path),
            ModelSpec::HH_cond_exp(p) => p.validate(path),
            ModelSpec::SORF(p) => p.validate(path),
            ModelSpec::SpikeSourcePoisson(p) => p.validate(path),
            ModelSpec::SpikeSourceArray(_) => Ok(()),
        }
    }

    fn build(&self, offset: usize, n: usize, dt: f64, rng: crate::rng::Rng) -> Result<Neurons> {
        Ok(match self {
            ModelSpec::IF_cond_exp(p) => Neurons::IfCondExp(IfCondExp::new(p, n, dt)?),
            ModelSpec::IF_curr_exp(p) => Neurons::IfCurrExp(IfCurrExp::new(p, n, dt)?),
            ModelSpec::LIF_neurapse(p) => Neurons::LifNeurapse(LifNeurapse::new(p, n, dt)?),
            ModelSpec::EIF_cond_exp_isfa_ista(p) => Neurons::AdEx(AdEx::new(p, n, dt)?),
            ModelSpec::Izhikevich(p) => Neurons::Izhikevich(Izhikevich::new(p, n, dt)?),
            ModelSpec::Izhikevich2007(p) => Neurons::Izhikevich2007(Izhikevich2007::new(p, n, dt)?),
            ModelSpec::HH_squid(p) => Neurons::HodgkinHuxley(HodgkinHuxley::new(p, n, dt)?),
            ModelSpec::HH_cond_exp(p) => Neurons::HhCondExp(HhCondExp::new(p, n, dt)?),
            ModelSpec::SORF(p) => Neurons::Sorf(Sorf::new(p, n, dt)?),
            ModelSpec::SpikeSourcePoisson(p) => {
                Neurons::Poisson(PoissonSource::new(p, n, dt, rng)?)
            }
            ModelSpec::SpikeSourceArray(p) => {
                Neurons::SpikeArray(SpikeArraySource::new(p, offset, n, dt)?)
            }
        })
    }
}

/// The models of one shard; one `match` per shard and step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Neurons {
    /// `IF_cond_exp`.
    IfCondExp(IfCondExp),
    /// `IF_curr_exp`.
    IfCurrExp(IfCurrExp),
    /// `LIF_neurapse`.
    LifNeurapse(LifNeurapse),
    /// `EIF_cond_exp_isfa_ista`.
    AdEx(AdEx),
    /// `Izhikevich`.
    Izhikevich(Izhikevich),
    /// `Izhikevich2007`.
    Izhikevich2007(Izhikevich2007),
    /// `HH_squid`.
    HodgkinHuxley(HodgkinHuxley),
    /// `HH_cond_exp`.
    HhCondExp(HhCondExp),
    /// `SORF`.
    Sorf(Sorf),
    /// `SpikeSourcePoisson`.
    Poisson(PoissonSource),
    /// `SpikeSourceArray`.
    SpikeArray(SpikeArraySource),
}

macro_rules! dispatch {
    ($self:expr, $m:ident => $e:expr) => {
        match $self {
            Neurons::IfCondExp($m) => $e,
            Neurons::IfCurrExp($m) => $e,
            Neurons::LifNeurapse($m) => $e,
            Neurons::AdEx($m) => $e,
            Neurons::Izhikevich($m) => $e,
            Neurons::Izhikevich2007($m) => $e,
            Neurons::HodgkinHuxley($m) => $e,
            Neurons::HhCondExp($m) => $e,
            Neurons::Sorf($m) => $e,
            Neurons::Poisson($m) => $e,
            Neurons::SpikeArray($m) => $e,
        }
    };
}

impl NeuronModel for Neurons {
    fn len(&self) -> usize {
        dispatch!(self, m => m.len())
    }
    fn receptors(&self) -> &'static [Receptor] {
        dispatch!(self, m => m.receptors())
    }
    fn state_names(&self) -> &'static [&'static str] {
        dispatch!(self, m => m.state_names())
    }
    fn state(&self, name: &str) -> Option<&[f64]> {
        dispatch!(self, m => m.state(name))
    }
    fn state_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        dispatch!(self, m => m.state_mut(name))
    }
    fn state_min(&self, name: &str) -> Option<f64> {
        dispatch!(self, m => m.state_min(name))
    }
    fn step(&mut self, syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        dispatch!(self, m => m.step(syn, current, spikes))
    }
    fn receptor_state(&mut self, r: usize) -> Option<&mut [f64]> {
        dispatch!(self, m => m.receptor_state(r))
    }
}

/// How delays given in ms become whole steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelayRounding {
    /// Every delay must be a whole number of steps (default; anything else is an error).
    #[default]
    Exact,
    /// Round to the nearest step (for delays drawn from continuous distributions).
    Round,
    /// Neurapse's timing: its constant synapse starts at the first step at or after the delay,
    /// so a delay on the time grid is used as is (the same as `exact`: 1 ms at 0.1 ms is 10
    /// steps, whatever the float division gives) and one between grid points is rounded up.
    Neurapse,
}

impl DelayRounding {
    fn steps(self, path: &str, ms: f64, dt: f64) -> Result<u32> {
        ensure!(
            ms.is_finite() && ms > 0.0,
            path,
            "delays must be > 0 ms, got {ms}"
        );
        let steps = match self {
            DelayRounding::Exact => {
                let s = ms / dt;
                let r = s.round();
                ensure!(
                    (s - r).abs().is_finite() && (s - r).abs() <= 1e-9 * r.max(1.0),
                    path,
                    "delay {ms} ms is not a whole number of steps (dt = {dt} ms); set delay_rounding = \"round\" to round it"
                );
                r
            }
            DelayRounding::Round => (ms / dt).round(),
            DelayRounding::Neurapse => {
                let s = ms / dt;
                let r = s.round();
                if (s - r).abs() <= 1e-9 * r.max(1.0) {
                    r
                } else {
                    s.ceil()
                }
            }
        };
        ensure!(
            (1.0..=f64::from(u16::MAX)).contains(&steps),
            path,
            "delay {ms} ms is {steps} steps; allowed: 1 to {} steps (dt = {dt} ms)",
            u16::MAX
        );
        Ok(steps as u32)
    }
}

/// What a projection's spikes do at the postsynaptic side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SynapseSpec {
    /// Add the weight to one receptor of the model (or to two, e.g. `["ampa", "nmda"]`).
    Receptor {
        /// Receptor names (one or two).
        names: Vec<String>,
    },
    /// Add the weight (mV) to the membrane potential.
    VoltageJump,
    /// Neurapse's constant synapse: each spike adds the current
    /// `w·[exp(−Δ/tau) − exp(−Δ/tau_s)]` (nA), Δ = time since arrival (ms), optionally cut
    /// off after `truncate_ms`.
    DoubleExponential {
        /// Slow time constant, ms.
        tau: f64,
        /// Fast time constant, ms.
        tau_s: f64,
        /// Kernel length, ms (a whole number of steps): the current of a spike is 0 from
        /// `truncate_ms` after its arrival (or emission, see `truncate_from`) on. `None`: never
        /// cut. Neurapse's `DRN_*` networks cut their kernels after `3·int(τ // dt)` steps.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        truncate_ms: Option<f64>,
        /// Where `truncate_ms` is counted from.
        #[serde(default, skip_serializing_if = "TruncateFrom::is_arrival")]
        truncate_from: TruncateFrom,
    },
}

/// Where the length of a truncated double-exponential kernel is counted from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TruncateFrom {
    /// The kernel lasts `truncate_ms` from the spike's arrival.
    #[default]
    Arrival,
    /// The kernel ends `truncate_ms` after the presynaptic spike, so a delay `d` shortens it
    /// to `truncate_ms − d` (Neurapse's `DRN_Const` / `DRN_Plastic`, whose window ends at
    /// `t + int(τd) + 3·int(τ // dt)` with `int(τd) = 0` for a delay in seconds).
    Emission,
}

impl TruncateFrom {
    fn is_arrival(&self) -> bool {
        *self == TruncateFrom::Arrival
    }
}

/// One projection to build.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectionSpec {
    /// Name (used in key paths `projections.<name>`).
    pub name: String,
    /// Presynaptic population.
    pub pre: String,
    /// Postsynaptic population.
    pub post: String,
    /// Which pairs are connected.
    pub connector: Connector,
    /// Weight of each synapse (unit: the receptor's).
    pub weight: Value,
    /// Delay of each synapse, ms.
    pub delay: Value,
    /// How delays become steps.
    pub delay_rounding: DelayRounding,
    /// What a spike does.
    pub synapse: SynapseSpec,
    /// Synaptic plasticity (`None`: static synapses).
    pub plasticity: Option<PlasticitySpec>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct KernelParams {
    decay_slow: f64,
    decay_fast: f64,
    /// Length of the cancellation ring of truncated kernels (0: no projection truncates).
    #[serde(default)]
    ring: usize,
    /// `decay_slow^k`, `decay_fast^k` for `k < ring` (by repeated multiplication, as the
    /// traces decay).
    #[serde(default)]
    pow_slow: Vec<f64>,
    #[serde(default)]
    pow_fast: Vec<f64>,
}

/// The two traces of a kernel channel (current = slow − fast). A truncated kernel is the
/// untruncated one minus the same kernel started `len` steps later: on delivery the weight is
/// added to the traces and its decayed value `w·decay^len` is booked in the cancellation ring
/// for step `t + len`, where it is subtracted before that step's current.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Kernel {
    slow: Vec<f64>,
    fast: Vec<f64>,
    /// Cancellations, `ring` slots of one value per neuron (slot-major).
    #[serde(default)]
    cut_slow: Vec<f64>,
    #[serde(default)]
    cut_fast: Vec<f64>,
}

impl Kernel {
    /// Weight `w` arriving at step `t` at neuron `l`, lasting `len` steps (`None`: for ever).
    #[inline]
    fn add(&mut self, kp: &KernelParams, l: usize, w: f64, t: u64, len: Option<u32>) {
        match len {
            None => {}
            Some(0) => return,
            Some(len) => {
                let len = len as usize;
                let m = self.slow.len();
                let slot = ((t + len as u64) % kp.ring as u64) as usize * m + l;
                self.cut_slow[slot] += w * kp.pow_slow[len];
                self.cut_fast[slot] += w * kp.pow_fast[len];
            }
        }
        self.slow[l] += w;
        self.fast[l] += w;
    }
}

/// How long a kernel delivery through `delivery` lasts for a synapse of delay `d` steps.
#[inline]
fn kernel_len(delivery: Delivery, d: u32) -> Option<u32> {
    match delivery {
        Delivery::KernelCut {
            steps,
            from_emission,
            ..
        } => Some(if from_emission {
            steps.saturating_sub(d)
        } else {
            steps
        }),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Shard {
    lo: u32,
    hi: u32,
    neurons: Neurons,
    receptors: usize,
    syn: Vec<f64>,
    current: Vec<f64>,
    kernels: Vec<Kernel>,
    spikes: Vec<u32>,
}

/// A population of the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Population {
    name: String,
    n: usize,
    model: String,
    shards: Vec<Shard>,
    kernels: Vec<KernelParams>,
    spikes: Vec<u32>,
    spike_count: u64,
}

impl Population {
    /// Name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.n
    }
    /// `true` for an empty population.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    /// Model name.
    pub fn model(&self) -> &str {
        &self.model
    }
    /// Spikes of the last step (population-local indices, ascending).
    pub fn last_spikes(&self) -> &[u32] {
        &self.spikes
    }
    /// Total number of spikes so far.
    pub fn spike_count(&self) -> u64 {
        self.spike_count
    }
    /// A state variable of every neuron, copied out of the shards.
    pub fn state(&self, name: &str) -> Option<Vec<f64>> {
        let mut out = Vec::with_capacity(self.n);
        for s in &self.shards {
            out.extend_from_slice(s.neurons.state(name)?);
        }
        Some(out)
    }
    /// Overwrite a state variable of every neuron (`values.len()` must be the population size;
    /// every value finite and at least the model's `state_min`, e.g. Poisson rates ≥ 0).
    pub fn set_state(&mut self, name: &str, values: &[f64]) -> Result<()> {
        ensure!(
            values.len() == self.n,
            format!("populations.{}.{name}", self.name),
            "needs {} values, got {}",
            self.n,
            values.len()
        );
        let model = &self.shards[0].neurons; // every population has ≥ 1 neuron
        if model.state(name).is_none() {
            return Err(unknown_state(
                &self.name,
                &self.model,
                name,
                model.state_names(),
            ));
        }
        let min = model.state_min(name);
        if let Some((i, v)) = values
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite() || min.is_some_and(|m| **v < m))
        {
            let allowed = match min {
                Some(m) => format!("finite values ≥ {m}"),
                None => "finite values".to_string(),
            };
            return Err(Error::config(
                format!("populations.{}.{name}[{i}]", self.name),
                format!("bad value {v}; allowed: {allowed}"),
            ));
        }
        for s in &mut self.shards {
            let dst = s
                .neurons
                .state_mut(name)
                .expect("checked above: same model");
            dst.copy_from_slice(&values[s.lo as usize..s.hi as usize]);
        }
        Ok(())
    }
    /// Names of the state variables.
    pub fn state_names(&self) -> &'static [&'static str] {
        self.shards.first().map_or(&[], |s| s.neurons.state_names())
    }
}

fn unknown_state(pop: &str, model: &str, name: &str, names: &[&str]) -> Error {
    Error::config(
        format!("populations.{pop}.init.{name}"),
        format!(
            "{model} has no state variable {name:?}; it has: {}",
            names.join(", ")
        ),
    )
}

/// One built projection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// Name.
    pub name: String,
    /// Presynaptic population index.
    pub pre: usize,
    /// Postsynaptic population index.
    pub post: usize,
    delivery: Delivery,
    /// The synapses.
    pub synapses: Synapses,
    /// Plasticity state (`None`: static).
    pub plasticity: Option<Plasticity>,
}

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
    pops: Vec<(String, usize, ModelSpec)>,
    inits: Vec<(usize, String, Value)>,
    projs: Vec<ProjectionSpec>,
    sources: Vec<(String, String, Option<Vec<u32>>, Waveform)>,
    monitors: Vec<MonitorSpec>,
    actions: Vec<(u64, Action, String)>,
}

/// Something the network does at the start of a given step (an experiment file's
/// `[[schedule]]` entries): freeze or unfreeze a projection's plasticity, give a reward.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// [`Network::set_plastic`].
    SetPlastic {
        /// Projection name.
        projection: String,
        /// `false` freezes, `true` unfreezes.
        plastic: bool,
    },
    /// [`Network::reward`].
    Reward {
        /// Dopamine added.
        amount: f64,
        /// Only this projection (default: every `reward_stdp` projection).
        projection: Option<String>,
    },
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
            !self.pops.iter().any(|p| p.0 == name),
            &path,
            "a population of this name already exists"
        );
        ensure!(
            n >= 1 && n < u32::MAX as usize,
            format!("{path}.n"),
            "must be in [1, 2³² − 1), got {n}"
        );
        model.validate(&format!("{path}.params"))?;
        self.pops.push((name.to_string(), n, model));
        Ok(self.pops.len() - 1)
    }

    /// Initialise state variable `var` of population `pop` (applied at build, in call order,
    /// each from the population's own random stream).
    pub fn init(&mut self, pop: &str, var: &str, value: Value) -> Result<()> {
        let idx = self.pop_index(pop, &format!("populations.{pop}"))?;
        value.validate(&format!("populations.{pop}.init.{var}"), self.pops[idx].1)?;
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
        self.pops.iter().position(|p| p.0 == name).ok_or_else(|| {
            Error::config(
                path,
                format!(
                    "no population named {name:?}; populations: {}",
                    self.pops
                        .iter()
                        .map(|p| p.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }

    /// Validate everything, draw connectivity, weights, delays and initial states.
    pub fn build(self) -> Result<Network> {
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
        // populations, sharded
        let mut pops: Vec<Population> = Vec::with_capacity(self.pops.len());
        for (p, (name, n, model)) in self.pops.iter().enumerate() {
            let mut shards = Vec::new();
            let mut lo = 0;
            while lo < *n {
                let hi = (lo + SHARD).min(*n);
                let rng = component(
                    self.seed,
                    Stream::Poisson,
                    ((p as u64) << 32) | (lo / SHARD) as u64,
                );
                let neurons = model
                    .build(lo, hi - lo, dt, rng)
                    .map_err(|e| prefix(e, &format!("populations.{name}")))?;
                let mut neurons = neurons;
                let receptors = neurons.receptors().len();
                // the interleaved buffer only for models that take some receptor through it
                let buffered = (0..receptors).any(|q| neurons.receptor_state(q).is_none());
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
            pops.push(Population {
                name: name.clone(),
                n: *n,
                model: model.name().to_string(),
                shards,
                kernels: Vec::new(),
                spikes: Vec::with_capacity(*n),
                spike_count: 0,
            });
        }
        // initial states
        for (idx, (p, var, value)) in self.inits.iter().enumerate() {
            let pop = &mut pops[*p];
            let mut rng = component(self.seed, Stream::StateInit, idx as u64);
            let values = value.sample(pop.n, &mut rng);
            pop.set_state(var, &values)?;
        }
        // projections
        let mut projs = Vec::with_capacity(self.projs.len());
        let mut max_delay = vec![1u32; pops.len()];
        for (k, spec) in self.projs.iter().enumerate() {
            let path = format!("projections.{}", spec.name);
            let pre = self.pop_index(&spec.pre, &format!("{path}.pre"))?;
            let post = self.pop_index(&spec.post, &format!("{path}.post"))?;
            let (n_pre, n_post) = (pops[pre].n, pops[post].n);
            let receptors = pops[post].shards[0].neurons.receptors();
            let delivery = match &spec.synapse {
                SynapseSpec::Receptor { names } => {
                    ensure!(
                        (1..=2).contains(&names.len()),
                        format!("{path}.receptor"),
                        "give one receptor name or two (e.g. [\"ampa\", \"nmda\"]), got {}",
                        names.len()
                    );
                    let mut idx = Vec::new();
                    for name in names {
                        let r = receptors
                            .iter()
                            .position(|r| r.name == name)
                            .ok_or_else(|| {
                                Error::config(
                                    format!("{path}.receptor"),
                                    format!(
                                        "{} has no receptor {name:?}; it has: {}",
                                        pops[post].model,
                                        if receptors.is_empty() {
                                            "none (a spike source cannot receive synapses)"
                                                .to_string()
                                        } else {
                                            receptors
                                                .iter()
                                                .map(|r| r.name)
                                                .collect::<Vec<_>>()
                                                .join(", ")
                                        }
                                    ),
                                )
                            })?;
                        if receptors[r].kind == ReceptorKind::Conductance {
                            let (lo, _) = spec.weight.bounds();
                            ensure!(
                                lo.is_finite() && lo >= 0.0,
                                format!("{path}.weight"),
                                "conductance weights (µS) must be ≥ 0, got values down to {lo}; the receptor's reversal potential sets the sign"
                            );
                        }
                        idx.push(r as u8);
                    }
                    if idx.len() == 1 {
                        Delivery::Receptor(idx[0])
                    } else {
                        Delivery::Receptors2(idx[0], idx[1])
                    }
                }
                SynapseSpec::VoltageJump => {
                    ensure!(
                        pops[post].shards[0].neurons.state("v").is_some(),
                        format!("{path}.synapse"),
                        "{} has no membrane potential v",
                        pops[post].model
                    );
                    Delivery::VoltageJump
                }
                SynapseSpec::DoubleExponential {
                    tau,
                    tau_s,
                    truncate_ms,
                    truncate_from,
                } => {
                    ensure!(
                        tau.is_finite() && tau_s.is_finite() && *tau > 0.0 && *tau_s > 0.0,
                        format!("{path}.synapse"),
                        "tau and tau_s must be > 0 ms, got {tau}, {tau_s}"
                    );
                    ensure!(
                        pops[post].shards[0].neurons.len() > 0 && !receptors.is_empty(),
                        format!("{path}.post"),
                        "a spike source cannot receive synapses"
                    );
                    let (decay_slow, decay_fast) = ((-dt / tau).exp(), (-dt / tau_s).exp());
                    let steps = match truncate_ms {
                        Some(ms) => {
                            let key = format!("{path}.synapse.truncate_ms");
                            let steps = super::source::whole_steps(&key, *ms, dt)?;
                            ensure!(
                                (1..=u64::from(u16::MAX)).contains(&steps),
                                key,
                                "must be 1 to {} steps (dt = {dt} ms), got {steps}",
                                u16::MAX
                            );
                            Some(steps as u32)
                        }
                        None => None,
                    };
                    let pop = &mut pops[post];
                    let c = match pop
                        .kernels
                        .iter()
                        .position(|x| x.decay_slow == decay_slow && x.decay_fast == decay_fast)
                    {
                        Some(c) => c,
                        None => {
                            pop.kernels.push(KernelParams {
                                decay_slow,
                                decay_fast,
                                ring: 0,
                                pow_slow: Vec::new(),
                                pow_fast: Vec::new(),
                            });
                            for s in &mut pop.shards {
                                let m = (s.hi - s.lo) as usize;
                                s.kernels.push(Kernel {
                                    slow: vec![0.0; m],
                                    fast: vec![0.0; m],
                                    cut_slow: Vec::new(),
                                    cut_fast: Vec::new(),
                                });
                            }
                            pop.kernels.len() - 1
                        }
                    };
                    if let Some(steps) = steps {
                        let kp = &mut pop.kernels[c];
                        kp.ring = kp.ring.max(steps as usize + 1);
                    }
                    for s in &mut pops[post].shards {
                        if s.current.is_empty() {
                            s.current = vec![0.0; (s.hi - s.lo) as usize];
                        }
                    }
                    match steps {
                        Some(steps) => Delivery::KernelCut {
                            channel: c as u16,
                            steps,
                            from_emission: *truncate_from == TruncateFrom::Emission,
                        },
                        None => Delivery::Kernel(c as u16),
                    }
                }
            };
            spec.connector
                .validate(&format!("{path}.connector"), n_pre, n_post, pre == post)?;
            let most = spec.connector.max_synapses(n_pre, n_post);
            ensure!(
                most.is_finite() && most < f64::from(u32::MAX),
                format!("{path}.connector"),
                "would make up to {most:.3e} synapses; one projection holds fewer than 2³² (split it, or lower p / k)"
            );
            let mut rng = component(self.seed, Stream::Connect, k as u64);
            let pairs = spec.connector.pairs(n_pre, n_post, pre == post, &mut rng);
            let m = pairs.len();
            spec.weight.validate(&format!("{path}.weight"), m)?;
            spec.delay.validate(&format!("{path}.delay_ms"), m)?;
            let weights = spec.weight.sample(m, &mut rng);
            let delays_ms = spec.delay.sample(m, &mut rng);
            let mut delays = Vec::with_capacity(m);
            // constant delays convert once
            if let Value::Constant { value } = spec.delay {
                let d = spec
                    .delay_rounding
                    .steps(&format!("{path}.delay_ms"), value, dt)?;
                delays.resize(m, d);
            } else {
                for &ms in &delays_ms {
                    delays.push(
                        spec.delay_rounding
                            .steps(&format!("{path}.delay_ms"), ms, dt)?,
                    );
                }
            }
            let pre_idx: Vec<u32> = pairs.iter().map(|p| p.0).collect();
            let post_idx: Vec<u32> = pairs.iter().map(|p| p.1).collect();
            drop(pairs);
            let mut synapses = Synapses::new(n_pre, n_post, &pre_idx, &post_idx, &weights, &delays);
            max_delay[pre] = max_delay[pre].max(synapses.max_delay());
            let plasticity = match &spec.plasticity {
                Some(rule) => {
                    rule.validate(&format!("{path}.plasticity"), dt)?;
                    let conductance = match &spec.synapse {
                        SynapseSpec::Receptor { names } => names.iter().any(|n| {
                            receptors
                                .iter()
                                .any(|r| r.name == n && r.kind == ReceptorKind::Conductance)
                        }),
                        _ => false,
                    };
                    ensure!(
                        !conductance || rule.w_min() >= 0.0,
                        format!("{path}.plasticity.w_min"),
                        "a plastic conductance (µS) cannot go below 0, got w_min = {}",
                        rule.w_min()
                    );
                    ensure!(
                        delivery != Delivery::VoltageJump,
                        format!("{path}.plasticity"),
                        "plastic projections must target receptors or double-exponential synapses (not voltage jumps)"
                    );
                    Some(Plasticity::new(rule, &mut synapses, dt))
                }
                None => None,
            };
            projs.push(Projection {
                name: spec.name.clone(),
                pre,
                post,
                delivery,
                synapses,
                plasticity,
            });
        }
        // cancellation rings of truncated kernels, now that their lengths are known
        for pop in &mut pops {
            for (c, kp) in pop.kernels.iter_mut().enumerate() {
                if kp.ring == 0 {
                    continue;
                }
                let (mut a, mut b) = (1.0, 1.0);
                for _ in 0..kp.ring {
                    kp.pow_slow.push(a);
                    kp.pow_fast.push(b);
                    a *= kp.decay_slow;
                    b *= kp.decay_fast;
                }
                for s in &mut pop.shards {
                    let m = (s.hi - s.lo) as usize;
                    s.kernels[c].cut_slow = vec![0.0; kp.ring * m];
                    s.kernels[c].cut_fast = vec![0.0; kp.ring * m];
                }
            }
        }
        let mut incoming = vec![Vec::new(); pops.len()];
        let mut plastic = Vec::new();
        for (k, p) in projs.iter().enumerate() {
            if p.plasticity.is_some() {
                plastic.push(k);
            } else {
                incoming[p.post].push(k);
            }
        }
        // current sources
        let mut sources = Vec::new();
        for (k, (name, pop, neurons, waveform)) in self.sources.iter().enumerate() {
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
            sources.push(CurrentSource::new(&path, waveform, p, neurons, dt, rng)?);
            for s in &mut pops[p].shards {
                if s.current.is_empty() {
                    s.current = vec![0.0; (s.hi - s.lo) as usize];
                }
            }
        }
        // monitors
        let mut monitors = Monitors::default();
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
                    if pop.shards[0].neurons.state(variable).is_none() {
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
                MonitorSpec::Rate { population, bin } => {
                    let p = self.pop_index(population, &format!("{path}.population"))?;
                    ensure!(*bin >= 1, format!("{path}.bin"), "must be ≥ 1 step");
                    let n = pops[p].n;
                    monitors.rates.push(RateMon {
                        pop: p,
                        bin: *bin,
                        count: 0,
                        bin_start: 0,
                        hz_per_spike: 1000.0 / (n as f64 * *bin as f64 * dt),
                        out: RateChunk {
                            population: population.clone(),
                            ..Default::default()
                        },
                    });
                }
            }
        }
        let rings = pops
            .iter()
            .zip(&max_delay)
            .map(|(p, &d)| SpikeRing::new(d as usize + 1, p.n.min(4096)))
            .collect();
        let mut out_degree: Vec<Vec<u32>> = pops.iter().map(|p| vec![0; p.n]).collect();
        for p in &projs {
            for (d, k) in out_degree[p.pre].iter_mut().zip(p.synapses.out_degrees()) {
                *d += k;
            }
        }
        // scheduled actions: names and rules checked now, so applying them cannot fail
        let mut actions = Vec::with_capacity(self.actions.len());
        for (step, action, path) in self.actions {
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
            actions.push((step, action));
        }
        actions.sort_by_key(|a| a.0);
        Ok(Network {
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
        })
    }
}

fn prefix(e: Error, path: &str) -> Error {
    match e {
        Error::Config { path: p, msg } => Error::config(format!("{path}.{p}"), msg),
        other => other,
    }
}

/// A built spiking network (see the module docs for the step).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Network {
    dt: f64,
    seed: u64,
    t: u64,
    pops: Vec<Population>,
    projs: Vec<Projection>,
    /// Static projections by postsynaptic population (delivered shard by shard).
    incoming: Vec<Vec<usize>>,
    /// Plastic projections (delivered serially before the populations).
    plastic: Vec<usize>,
    rings: Vec<SpikeRing>,
    sources: Vec<CurrentSource>,
    monitors: Monitors,
    hash: Fnv1a,
    /// Per population: Σ over outgoing projections of each neuron's out-degree.
    out_degree: Vec<Vec<u32>>,
    events: u64,
    /// Scheduled actions (step, action), by step.
    #[serde(default)]
    actions: Vec<(u64, Action)>,
    /// The first action not yet done.
    #[serde(default)]
    next_action: usize,
    #[serde(skip)]
    exec: Exec,
}

impl Network {
    /// Synaptic events so far: Σ over spikes of the spiking neuron's out-degree (the peers'
    /// definition).
    pub fn synaptic_events(&self) -> u64 {
        self.events
    }
    /// Time step, ms.
    pub fn dt_ms(&self) -> f64 {
        self.dt
    }
    /// Master seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Steps simulated so far.
    pub fn step_count(&self) -> u64 {
        self.t
    }
    /// Populations, in declaration order.
    pub fn populations(&self) -> &[Population] {
        &self.pops
    }
    /// A population by name.
    pub fn population(&self, name: &str) -> Option<&Population> {
        self.pops.iter().find(|p| p.name == name)
    }
    /// A population by name, mutable (state edits, rates of Poisson sources).
    pub fn population_mut(&mut self, name: &str) -> Option<&mut Population> {
        self.pops.iter_mut().find(|p| p.name == name)
    }
    /// Projections, in declaration order.
    pub fn projections(&self) -> &[Projection] {
        &self.projs
    }
    /// The projection named `name`.
    pub fn projection(&self, name: &str) -> Option<&Projection> {
        self.projs.iter().find(|p| p.name == name)
    }
    /// Total number of synapses.
    pub fn synapse_count(&self) -> usize {
        self.projs.iter().map(|p| p.synapses.len()).sum()
    }
    /// FNV-1a hash over every spike (step, population, neuron) so far: a run's fingerprint.
    pub fn spike_hash(&self) -> u64 {
        self.hash.finish()
    }
    /// Freeze (`plastic = false`) or unfreeze the plasticity of projection `name` from the next
    /// step on. While frozen it delivers its current weights and its rule does nothing.
    pub fn set_plastic(&mut self, name: &str, plastic: bool) -> Result<()> {
        let Some(proj) = self.projs.iter_mut().find(|p| p.name == name) else {
            let names: Vec<&str> = self.projs.iter().map(|p| p.name.as_str()).collect();
            return Err(crate::Error::config(
                name,
                format!("no projection of that name; the projections are {names:?}"),
            ));
        };
        let Some(rule) = proj.plasticity.as_mut() else {
            return Err(crate::Error::config(
                name,
                "this projection has static synapses (no plasticity to freeze or unfreeze)",
            ));
        };
        if !plastic {
            rule.flush(&mut proj.synapses, self.t);
        }
        rule.frozen = !plastic;
        Ok(())
    }

    /// Give a reward: add `amount` to the dopamine of every `reward_stdp` projection (or only
    /// of `projection`). It acts from the next weight update on. Returns how many projections
    /// received it; an error if none has the rule.
    pub fn reward(&mut self, amount: f64, projection: Option<&str>) -> Result<usize> {
        crate::ensure!(
            amount.is_finite(),
            "reward",
            "the amount must be finite, got {amount}"
        );
        let mut n = 0;
        for p in &mut self.projs {
            if projection.is_some_and(|name| name != p.name) {
                continue;
            }
            if let Some(rule) = p.plasticity.as_mut() {
                n += usize::from(rule.reward(amount));
            }
        }
        crate::ensure!(
            n > 0,
            projection.unwrap_or("reward"),
            "no projection with the reward_stdp rule {}",
            projection.map_or("in this network".to_string(), |p| format!("named {p:?}"))
        );
        Ok(n)
    }

    /// Use `threads` threads (results do not depend on it).
    pub fn set_threads(&mut self, threads: usize) -> Result<()> {
        self.exec = Exec::new(threads)?;
        Ok(())
    }
    /// Threads in use.
    pub fn threads(&self) -> usize {
        self.exec.threads()
    }
    /// Memory and disk the monitors need for `steps` more steps.
    pub fn monitor_plan(&self, steps: u64) -> MonitorPlan {
        self.monitors.plan(self.t, steps)
    }
    /// Take what the monitors recorded since the last drain.
    pub fn drain(&mut self) -> Recordings {
        self.monitors.drain()
    }
    /// Bytes of the network's own state (synapses, rings, buffers), approximately.
    pub fn state_bytes(&self) -> usize {
        let syn: usize = self
            .projs
            .iter()
            .map(|p| p.synapses.bytes() + p.plasticity.as_ref().map_or(0, |r| r.bytes()))
            .sum();
        let neurons: usize = self
            .pops
            .iter()
            .map(|p| {
                let cut: usize = p.kernels.iter().map(|k| 16 * k.ring).sum();
                p.n * (8 * (4 + p.state_names().len()) + cut)
            })
            .sum();
        let rings: usize = self
            .rings
            .iter()
            .zip(&self.pops)
            .map(|(r, p)| r.len() * p.n.min(4096) * 4)
            .sum();
        syn + neurons + rings
    }

    /// Advance `steps` steps.
    pub fn run(&mut self, steps: u64) {
        let exec = self.exec.clone();
        let threads = exec.threads();
        exec.install(|| {
            for _ in 0..steps {
                self.step_once(threads);
            }
        });
    }

    fn step_once(&mut self, threads: usize) {
        let t = self.t;
        // 0. scheduled actions (checked at build)
        if self.actions.get(self.next_action).is_some_and(|a| a.0 <= t) {
            let actions = std::mem::take(&mut self.actions);
            while let Some((at, action)) = actions.get(self.next_action) {
                if *at > t {
                    break;
                }
                self.next_action += 1;
                match action {
                    Action::SetPlastic {
                        projection,
                        plastic,
                    } => self.set_plastic(projection, *plastic).ok(),
                    Action::Reward { amount, projection } => {
                        self.reward(*amount, projection.as_deref()).ok().map(|_| ())
                    }
                };
            }
            self.actions = actions;
        }
        // 1. current sources
        for src in &mut self.sources {
            let pop = &mut self.pops[src.population];
            src.apply(t, |j, a| {
                let s = &mut pop.shards[j as usize / SHARD];
                s.current[j as usize % SHARD] += a;
            });
        }
        // 2a. plastic projections, serially
        for &k in &self.plastic {
            let proj = &mut self.projs[k];
            let pop = &mut self.pops[proj.post];
            let ring = &self.rings[proj.pre];
            let rule = proj.plasticity.as_mut().expect("plastic projection");
            let (a, b) = match proj.delivery {
                Delivery::Receptor(q) => (q as usize, None),
                Delivery::Receptors2(q, r) => (q as usize, Some(r as usize)),
                Delivery::Kernel(c) | Delivery::KernelCut { channel: c, .. } => {
                    // kernel currents from the weights before this step's arrival-side update
                    // (what `deliver` hands to `add`), then the rule
                    let (c, delivery) = (c as usize, proj.delivery);
                    let (kp, n) = (&pop.kernels[c], pop.n as u32);
                    proj.synapses.deliver_delayed(t, ring, 0, n, |j, w, d| {
                        let sh = &mut pop.shards[j / SHARD];
                        sh.kernels[c].add(kp, j % SHARD, w, t, kernel_len(delivery, d));
                    });
                    rule.deliver(&mut proj.synapses, t, ring, |_, _| {});
                    continue;
                }
                Delivery::VoltageJump => unreachable!("checked at build"),
            };
            rule.deliver(&mut proj.synapses, t, ring, |j, w| {
                let sh = &mut pop.shards[j as usize / SHARD];
                let l = j as usize % SHARD;
                for q in std::iter::once(a).chain(b) {
                    match sh.neurons.receptor_state(q) {
                        Some(g) => g[l] += w,
                        None => sh.syn[l * sh.receptors + q] += w,
                    }
                }
            });
        }
        // 2b. populations, shard by shard
        for (p, pop) in self.pops.iter_mut().enumerate() {
            let ctx = Ctx {
                t,
                projs: &self.projs,
                incoming: &self.incoming[p],
                rings: &self.rings,
                kernels: &pop.kernels,
            };
            let groups = threads.min(pop.shards.len());
            if groups > 1 {
                let per = pop.shards.len().div_ceil(groups);
                pop.shards
                    .par_chunks_mut(per)
                    .for_each(|g| advance_group(g, &ctx));
            } else {
                advance_group(&mut pop.shards, &ctx);
            }
            pop.spikes.clear();
            for s in &pop.shards {
                let lo = s.lo;
                pop.spikes.extend(s.spikes.iter().map(|&i| i + lo));
            }
            pop.spike_count += pop.spikes.len() as u64;
        }
        // 3. rings, monitors, hash
        for (p, pop) in self.pops.iter().enumerate() {
            self.rings[p].store(t, &pop.spikes);
            let deg = &self.out_degree[p];
            for &i in &pop.spikes {
                self.events += u64::from(deg[i as usize]);
                self.hash.write_u64(t);
                self.hash.write_u64(((p as u64) << 32) | u64::from(i));
            }
        }
        for &k in &self.plastic {
            let proj = &mut self.projs[k];
            let rule = proj.plasticity.as_mut().expect("plastic projection");
            rule.after_step(&mut proj.synapses, t, &self.pops[proj.post].spikes);
        }
        if !self.monitors.is_empty() {
            self.record(t);
        }
        self.t += 1;
    }

    fn record(&mut self, t: u64) {
        for m in &mut self.monitors.spikes {
            if t < m.start || t >= m.stop {
                continue;
            }
            for &i in &self.pops[m.pop].spikes {
                if m.mask.as_ref().is_none_or(|mask| mask[i as usize]) {
                    m.out.steps.push(t);
                    m.out.ids.push(i);
                }
            }
        }
        for m in &mut self.monitors.states {
            if t % m.every != 0 {
                continue;
            }
            let pop = &self.pops[m.pop];
            m.out.steps.push(t);
            // one lookup of the variable per shard, not per neuron
            let (mut cur, mut values): (u32, &[f64]) = (u32::MAX, &[]);
            for &(s, l) in &m.at {
                if s != cur {
                    cur = s;
                    values = pop.shards[s as usize]
                        .neurons
                        .state(&m.out.variable)
                        .expect("checked at build");
                }
                m.out.values.push(values[l as usize]);
            }
        }
        for m in &mut self.monitors.rates {
            m.count += self.pops[m.pop].spikes.len() as u64;
            if (t + 1 - m.bin_start) == m.bin {
                m.out.steps.push(m.bin_start);
                m.out.rates.push(m.count as f64 * m.hz_per_spike);
                m.count = 0;
                m.bin_start = t + 1;
            }
        }
    }
}

struct Ctx<'a> {
    t: u64,
    projs: &'a [Projection],
    incoming: &'a [usize],
    rings: &'a [SpikeRing],
    kernels: &'a [KernelParams],
}

/// Largest number of shards delivered through one lookup table (beyond that, shard by shard).
const MAX_TABLE: usize = 256;
const SHARD_BITS: u32 = SHARD.trailing_zeros();

/// One array a delivery pass adds into, per shard.
#[derive(Clone, Copy)]
enum Target {
    /// The model's receptor state (`receptor_state(q)`).
    State(usize),
    /// Receptor `q` of the interleaved `syn` buffer.
    Syn(usize),
    /// The slow trace of kernel channel `c`.
    KernelSlow(usize),
    /// The fast trace of kernel channel `c`.
    KernelFast(usize),
    /// The membrane potential.
    V,
}

impl Target {
    /// The targets a delivery writes, in order (at most two).
    fn of(delivery: Delivery, shard: &mut Shard) -> [Option<Target>; 2] {
        let mut receptor = |q: u8| {
            let q = q as usize;
            if shard.neurons.receptor_state(q).is_some() {
                Target::State(q)
            } else {
                Target::Syn(q)
            }
        };
        match delivery {
            Delivery::Receptor(q) => [Some(receptor(q)), None],
            Delivery::Receptors2(a, b) => [Some(receptor(a)), Some(receptor(b))],
            Delivery::Kernel(c) | Delivery::KernelCut { channel: c, .. } => [
                Some(Target::KernelSlow(c as usize)),
                Some(Target::KernelFast(c as usize)),
            ],
            Delivery::VoltageJump => [Some(Target::V), None],
        }
    }

    /// The array, its stride and offset in `shard`.
    fn pick(self, shard: &mut Shard) -> (&mut [f64], usize, usize) {
        let r = shard.receptors;
        match self {
            Target::State(q) => (
                shard
                    .neurons
                    .receptor_state(q)
                    .expect("checked by Target::of"),
                1,
                0,
            ),
            Target::Syn(q) => (&mut shard.syn, r, q),
            Target::KernelSlow(c) => (&mut shard.kernels[c].slow, 1, 0),
            Target::KernelFast(c) => (&mut shard.kernels[c].fast, 1, 0),
            Target::V => (
                shard.neurons.state_mut("v").expect("checked at build"),
                1,
                0,
            ),
        }
    }
}

/// Deliver `proj`'s arrivals of step `t` into a group of consecutive shards. Every neuron
/// receives its inputs in the same order however the shards are grouped (projection, delay,
/// spike, synapse order), so results do not depend on the grouping (= the thread count).
fn deliver_group(
    shards: &mut [Shard],
    t: u64,
    proj: &Projection,
    ring: &SpikeRing,
    kernels: &[KernelParams],
) {
    if !proj.synapses.has_arrivals(t, ring) {
        return;
    }
    if let Delivery::KernelCut { channel, .. } = proj.delivery {
        // per shard: the length of each delivery depends on its delay
        let (c, delivery) = (channel as usize, proj.delivery);
        for s in shards.iter_mut() {
            let (lo, hi, kern) = (s.lo, s.hi, &mut s.kernels[c]);
            proj.synapses.deliver_delayed(t, ring, lo, hi, |l, w, d| {
                kern.add(&kernels[c], l, w, t, kernel_len(delivery, d));
            });
        }
        return;
    }
    let lo = shards[0].lo;
    let hi = shards[shards.len() - 1].hi;
    let targets = Target::of(proj.delivery, &mut shards[0]);
    for target in targets.into_iter().flatten() {
        if shards.len() > MAX_TABLE {
            // very large groups: tables of at most MAX_TABLE shards each
            for sub in shards.chunks_mut(MAX_TABLE) {
                let (slo, shi) = (sub[0].lo, sub[sub.len() - 1].hi);
                deliver_table::<MAX_TABLE>(sub, target, t, proj, ring, slo, shi);
            }
            continue;
        }
        if shards.len() == 1 {
            for s in shards.iter_mut() {
                let (slo, shi) = (s.lo, s.hi);
                let (g, stride, off) = target.pick(s);
                proj.synapses
                    .deliver(t, ring, slo, shi, |j, w| g[j * stride + off] += w);
            }
            continue;
        }
        if shards.len() <= 16 {
            deliver_table::<16>(shards, target, t, proj, ring, lo, hi);
        } else {
            deliver_table::<MAX_TABLE>(shards, target, t, proj, ring, lo, hi);
        }
    }
}

/// Delivery into up to `N` shards through a table of their arrays (`N` small for small
/// groups: the table is rebuilt every step).
fn deliver_table<const N: usize>(
    shards: &mut [Shard],
    target: Target,
    t: u64,
    proj: &Projection,
    ring: &SpikeRing,
    lo: u32,
    hi: u32,
) {
    let mut table: [&mut [f64]; N] = std::array::from_fn(|_| Default::default());
    let mut layout = (1, 0);
    for (slot, s) in table.iter_mut().zip(shards.iter_mut()) {
        let (g, stride, off) = target.pick(s);
        *slot = g;
        layout = (stride, off);
    }
    let (stride, off) = layout;
    let mask = SHARD - 1;
    proj.synapses.deliver(t, ring, lo, hi, |j, w| {
        table[j >> SHARD_BITS][(j & mask) * stride + off] += w;
    });
}

/// One step of a group of consecutive shards of a population: deliver, then integrate.
fn advance_group(shards: &mut [Shard], ctx: &Ctx<'_>) {
    for &k in ctx.incoming {
        let proj = &ctx.projs[k];
        deliver_group(shards, ctx.t, proj, &ctx.rings[proj.pre], ctx.kernels);
    }
    for s in shards {
        s.integrate(ctx.t, ctx.kernels);
    }
}

impl Shard {
    /// Kernel currents (after the cancellations of truncated kernels due at step `t`), then
    /// the model's step.
    fn integrate(&mut self, t: u64, kernels: &[KernelParams]) {
        for (kern, kp) in self.kernels.iter_mut().zip(kernels) {
            if kp.ring > 0 {
                let m = kern.slow.len();
                let slot = (t % kp.ring as u64) as usize * m;
                let cut_slow = &mut kern.cut_slow[slot..slot + m];
                let cut_fast = &mut kern.cut_fast[slot..slot + m];
                for ((s, f), (cs, cf)) in kern
                    .slow
                    .iter_mut()
                    .zip(&mut kern.fast)
                    .zip(cut_slow.iter_mut().zip(cut_fast.iter_mut()))
                {
                    *s -= *cs;
                    *f -= *cf;
                    *cs = 0.0;
                    *cf = 0.0;
                }
            }
            for ((c, s), f) in self
                .current
                .iter_mut()
                .zip(&mut kern.slow)
                .zip(&mut kern.fast)
            {
                *c += *s - *f;
                *s *= kp.decay_slow;
                *f *= kp.decay_fast;
            }
        }
        self.spikes.clear();
        self.neurons
            .step(&mut self.syn, &self.current, &mut self.spikes);
        if !self.current.is_empty() {
            self.current.fill(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `set_state` refuses values a model cannot take, naming the entry, and changes nothing.
    #[test]
    fn set_state_checks_values() {
        let mut b = NetworkBuilder::new(0.1, 1);
        b.population(
            "inp",
            3,
            ModelSpec::SpikeSourcePoisson(PoissonParams::default()),
        )
        .unwrap();
        b.population("cells", 3, ModelSpec::IF_cond_exp(Default::default()))
            .unwrap();
        let mut net = b.build().unwrap();
        let inp = net.population_mut("inp").unwrap();
        let before = inp.state("rate").unwrap();
        let err = inp
            .set_state("rate", &[5.0, -1.0, 2.0])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("populations.inp.rate[1]") && err.contains("-1") && err.contains("≥ 0"),
            "{err}"
        );
        assert_eq!(inp.state("rate").unwrap(), before);
        inp.set_state("rate", &[5.0, 0.0, 2.0]).unwrap();
        let cells = net.population_mut("cells").unwrap();
        let err = cells
            .set_state("v", &[-65.0, f64::NAN, -60.0])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("populations.cells.v[1]") && err.contains("finite"),
            "{err}"
        );
        let err = cells.set_state("w", &[0.0; 3]).unwrap_err().to_string();
        assert!(err.contains("no state variable"), "{err}");
    }

    #[test]
    fn delay_rounding_modes() {
        for (ms, dt, steps) in [
            (1.0, 0.1, 10),
            (0.1, 0.1, 1),
            (5.0, 0.1, 50),
            (2.0, 1.0, 2),
            (1.0, 0.25, 4),
        ] {
            assert_eq!(DelayRounding::Exact.steps("d", ms, dt).unwrap(), steps);
            assert_eq!(
                DelayRounding::Neurapse.steps("d", ms, dt).unwrap(),
                steps,
                "{ms} at {dt}"
            );
        }
        assert_eq!(DelayRounding::Neurapse.steps("d", 1.05, 0.1).unwrap(), 11);
        assert_eq!(DelayRounding::Round.steps("d", 1.04, 0.1).unwrap(), 10);
        let err = DelayRounding::Exact
            .steps("projections.p.delay_ms", 0.15, 0.1)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("projections.p.delay_ms") && err.contains("round"),
            "{err}"
        );
        assert!(
            DelayRounding::Round.steps("d", 0.04, 0.1).is_err(),
            "0 steps is not a delay"
        );
    }

    /// The current of one spike through a truncated double-exponential kernel, read off the
    /// voltage of a leak-free LIF with a huge capacitance (ΔV = I·h/C): w·[e^{−k·dt/τ} −
    /// e^{−k·dt/τs}] for k = 0 … len − 1 steps after the arrival, 0 from then on, with len =
    /// truncate steps (`arrival`) or truncate steps − delay (`emission`); and the same through a
    /// plastic projection (delivered in phase 2a) and without truncation.
    #[test]
    fn truncated_kernel_current() {
        use crate::spiking::plasticity::{NeurapseBParams, PlasticitySpec};
        use crate::spiking::source::SpikeArrayParams;
        let (dt, tau, tau_s, w, delay, emit) = (0.1, 15.0, 3.75, 2.0, 12u64, 5u64);
        let current = |truncate: Option<(f64, TruncateFrom)>, plastic: bool| -> Vec<f64> {
            let mut b = NetworkBuilder::new(dt, 1);
            let src = SpikeArrayParams {
                spike_times: vec![vec![emit as f64 * dt]],
            };
            b.population("pre", 1, ModelSpec::SpikeSourceArray(src))
                .unwrap();
            let lif = LifNeurapseParams {
                C: 1e6,
                gL: 1e-12,
                V_thresh: 1e9,
                ..Default::default()
            };
            b.population("post", 1, ModelSpec::LIF_neurapse(lif))
                .unwrap();
            b.projection(ProjectionSpec {
                name: "p".into(),
                pre: "pre".into(),
                post: "post".into(),
                connector: Connector::AllToAll { allow_self: true },
                weight: w.into(),
                delay: (delay as f64 * dt).into(),
                delay_rounding: DelayRounding::Exact,
                synapse: SynapseSpec::DoubleExponential {
                    tau,
                    tau_s,
                    truncate_ms: truncate.map(|t| t.0),
                    truncate_from: truncate.map_or(TruncateFrom::Arrival, |t| t.1),
                },
                // no pairing ever happens (the post neuron never spikes)
                plasticity: plastic.then(|| PlasticitySpec::NeurapseB(NeurapseBParams::default())),
            })
            .unwrap();
            let mut net = b.build().unwrap();
            let mut v = net.population("post").unwrap().state("v").unwrap()[0];
            let mut out = Vec::new();
            for _ in 0..600 {
                net.run(1);
                let v1 = net.population("post").unwrap().state("v").unwrap()[0];
                // the leak (gL·(v − EL)/C ≈ 1e−16 mV per step) is far below the tolerance
                out.push((v1 - v) * 1e6 / dt);
                v = v1;
            }
            out
        };
        let kernel =
            |k: u64| w * ((-(k as f64) * dt / tau).exp() - (-(k as f64) * dt / tau_s).exp());
        let arrival = emit + delay;
        for (truncate, len) in [
            (None, u64::MAX),
            (Some((30.0, TruncateFrom::Arrival)), 300),
            (Some((30.0, TruncateFrom::Emission)), 300 - delay),
            (Some((1.0, TruncateFrom::Emission)), 0),
        ] {
            for plastic in [false, true] {
                let got = current(truncate, plastic);
                for (t, &i) in got.iter().enumerate() {
                    let t = t as u64;
                    let want = if t >= arrival && t - arrival < len {
                        kernel(t - arrival)
                    } else {
                        0.0
                    };
                    assert!(
                        (i - want).abs() < 1e-6,
                        "{truncate:?} plastic {plastic}: step {t}: {i} vs {want}"
                    );
                }
            }
        }
    }

    /// Review findings stay fixed: a projection too large for one CSR is a config error
    /// naming the connector, a plastic conductance cannot go negative, tiny pulse
    /// probabilities pulse (almost) nobody.
    #[test]
    fn size_sign_and_tiny_probability_guards() {
        use crate::spiking::plasticity::{PairStdpParams, PlasticitySpec};
        let lif = || ModelSpec::IF_cond_exp(IfCondExpParams::default());
        let proj = |connector, plasticity| ProjectionSpec {
            name: "p".into(),
            pre: "a".into(),
            post: "a".into(),
            connector,
            weight: 0.001.into(),
            delay: 0.1.into(),
            delay_rounding: DelayRounding::Exact,
            synapse: SynapseSpec::Receptor {
                names: vec!["excitatory".into()],
            },
            plasticity,
        };
        let mut b = NetworkBuilder::new(0.1, 1);
        b.population("a", 70_000, lif()).unwrap();
        b.projection(proj(Connector::AllToAll { allow_self: true }, None))
            .unwrap();
        let err = b.build().unwrap_err().to_string();
        assert!(
            err.contains("projections.p.connector") && err.contains("2³²"),
            "{err}"
        );

        let mut b = NetworkBuilder::new(0.1, 1);
        b.population("a", 10, lif()).unwrap();
        let rule = PlasticitySpec::PairStdp(PairStdpParams {
            w_min: -0.01,
            ..Default::default()
        });
        b.projection(proj(Connector::OneToOne, Some(rule))).unwrap();
        let err = b.build().unwrap_err().to_string();
        assert!(err.contains("projections.p.plasticity.w_min"), "{err}");

        let mut b = NetworkBuilder::new(0.1, 1);
        b.population("a", 100, lif()).unwrap();
        b.current_source(
            "kick",
            "a",
            None,
            Waveform::RandomPulses {
                amplitude: 100.0,
                probability: 1e-18,
                start: 0.0,
                stop: None,
            },
        )
        .unwrap();
        let mut net = b.build().unwrap();
        net.run(100);
        assert_eq!(net.population("a").unwrap().spike_count(), 0);
    }
}
