//! Synaptic plasticity of spiking projections.
//!
//! A plastic projection is delivered serially (its per-synapse state may change on every
//! arrival), in its own phase before the population updates; postsynaptic spikes reach the
//! rule through a transposed index (positions of each neuron's incoming synapses in the
//! projection's storage, not copies — Auryn's `DuplexConnection`).
//!
//! A rule is one file and one line in the `rules!` list below (`Variant = "name" => State in
//! file` declares the file's module and re-exports it): a type that implements
//! [`SynapseRule`] — its parameters and their check, its state for a projection, what it does
//! when spikes arrive ([`Arrivals`]: it hands each synapse's delivered amount to the network
//! and may change the weight), after the postsynaptic spikes of a step ([`PostSpikes`]), and
//! optionally on a reward. [`Plasticity`] wraps every rule with what all of them share: the
//! spike history (last arrival per synapse, last spike per postsynaptic neuron), the
//! transposed index and freezing. The rules, their summaries and parameters are listed by
//! [`PlasticitySpec::SUMMARIES`] and in `docs/models.md` (checked against this list by a test).

use serde::{Deserialize, Serialize};

use super::projection::{SpikeRing, Synapses};
use crate::rng::Rng;
use crate::Result;

pub mod homeostatic;
pub mod izhikevich2006;
pub mod neurapse;
pub mod pair_stdp;
mod registry;
pub mod reward;

pub use homeostatic::{HomeostaticStdpParams, HomeostaticStdpState, RateEstimate};
pub use izhikevich2006::{Izhikevich2006Params, Izhikevich2006State, SPNET_TAU};
pub use neurapse::{NeurapseAParams, NeurapseAState, NeurapseBParams, NeurapseBState};
pub use pair_stdp::{PairStdpParams, PairStdpState, TraceMode, WeightDependence};
pub use reward::{RewardStdpParams, RewardStdpState};

use registry::rules;

rules! {
    /// Izhikevich 2006 STDP with a slow weight-derivative update (spnet).
    Izhikevich2006 = "izhikevich2006" => Izhikevich2006State,
    /// Pair-based STDP with traces, additive or multiplicative (Song, Miller & Abbott 2000).
    PairStdp = "pair_stdp" => PairStdpState,
    /// Reward-modulated STDP: eligibility traces gated by dopamine (Izhikevich 2007).
    RewardStdp = "reward_stdp" => RewardStdpState,
    /// STDP with homeostatic scaling towards a target rate (Carlson et al. 2013).
    HomeostaticStdp = "homeostatic_stdp" => HomeostaticStdpState,
    /// Neurapse's PLASTIC_SYNAPSE_A (tempotron-like, clipping quirk).
    NeurapseA = "neurapse_a" => NeurapseAState,
    /// Neurapse's PLASTIC_SYNAPSE_B as DRN_Plastic applies it.
    NeurapseB = "neurapse_b" => NeurapseBState,
    /// Short-term depression and facilitation, delivering w·u·x (Tsodyks & Markram; PyNN `TsodyksMarkramSynapse`).
    TsodyksMarkram = "tsodyks_markram" => TsodyksMarkramState in tsodyks_markram,
    /// A synapse model written as equations (a `[models.<name>]` table; Brian2 or ANNarchy syntax).
    Equations = "equations" => EquationRuleState in equations,
}

/// A plasticity rule: one file, one line in the `rules!` list.
pub trait SynapseRule: Sized {
    /// The parameters, as written in experiment files (serde; `Default` = the published set).
    type Params: Default;

    /// Check the parameters; errors name `{path}.{key}`.
    fn validate(params: &Self::Params, path: &str, dt: f64) -> Result<()>;

    /// The lowest weight the rule can give (a plastic conductance must stay ≥ 0).
    fn w_min(params: &Self::Params) -> f64;

    /// Check the rule against the projection's postsynaptic side: `post` is the population's
    /// model when it is written as equations, `receptors` the receptor names the projection
    /// delivers to. Default: nothing to check.
    fn check_post(
        params: &Self::Params,
        path: &str,
        post: Option<&crate::lang::NeuronModelDef>,
        receptors: &[String],
    ) -> Result<()> {
        let _ = (params, path, post, receptors);
        Ok(())
    }

    /// The neuron values the rule reads (`v_post`, ANNarchy's `pre.x`), in the order it wants
    /// them in [`Arrivals::neurons`] and [`PostSpikes::neurons`]. Default: none.
    fn neuron_reads(params: &Self::Params) -> Vec<NeuronRead> {
        let _ = params;
        Vec::new()
    }

    /// Check the neuron values the rule reads against what the populations have: `pre` and
    /// `post` name the state variables of the pre- and postsynaptic populations. Errors name
    /// `path` (the rule table). Default: the rule reads none.
    fn check_reads(params: &Self::Params, path: &str, pre: &[&str], post: &[&str]) -> Result<()> {
        let _ = (params, path, pre, post);
        Ok(())
    }

    /// The rule's state for the synapses of one projection (parameters validated); `rng` is
    /// the projection's own random stream, for rules that draw numbers.
    fn new(params: &Self::Params, synapses: &mut Synapses, dt: f64, rng: Rng) -> Self;

    /// Spikes arrive at some synapses in step `cx.t`: call `add(post, amount)` for each (the
    /// amount is usually the weight before this step's update), apply the arrival side of the
    /// rule and set `cx.last_arrival` of those synapses to `cx.t`.
    fn on_arrivals(&mut self, cx: Arrivals<'_>, add: &mut impl FnMut(u32, f64));

    /// The postsynaptic spikes of step `cx.t` (set their `cx.last_post` to `cx.t`), then any
    /// periodic update that falls at the end of the step.
    fn after_step(&mut self, cx: PostSpikes<'_>);

    /// Bring lazily computed weights up to step `cx.t` (the rule is about to be frozen, so
    /// reading them must be exact); `cx.spikes` is empty. Default: nothing is lazy.
    fn flush(&mut self, cx: PostSpikes<'_>) {
        let _ = cx;
    }

    /// Add `amount` of reward (dopamine); `false` if the rule takes none.
    fn reward(&mut self, amount: f64) -> bool {
        let _ = amount;
        false
    }

    /// Whether [`reward`](Self::reward) reaches this rule.
    fn takes_reward(&self) -> bool {
        false
    }

    /// Bytes of the rule's own state.
    fn bytes(&self) -> usize;
}

/// What a rule sees when spikes arrive at its synapses.
pub struct Arrivals<'a> {
    /// The step.
    pub t: u64,
    /// The projection's synapses (iterate the arrivals with `arrivals*`; weights may change).
    pub synapses: &'a mut Synapses,
    /// The presynaptic population's spike history.
    pub ring: &'a SpikeRing,
    /// Step of each synapse's last arrival ([`NEVER`] before the first).
    pub last_arrival: &'a mut [u64],
    /// Step of each postsynaptic neuron's last spike ([`NEVER`] before the first).
    pub last_post: &'a [u64],
    /// The neuron values the rule reads ([`SynapseRule::neuron_reads`]), as they are before
    /// this step's neuron update.
    pub neurons: &'a [NeuronRead],
}

/// What a rule sees after the neurons of a step were updated.
pub struct PostSpikes<'a> {
    /// The step.
    pub t: u64,
    /// The projection's synapses.
    pub synapses: &'a mut Synapses,
    /// The postsynaptic neurons that spiked in step `t`, ascending.
    pub spikes: &'a [u32],
    /// Each postsynaptic neuron's incoming synapses.
    pub incoming: &'a PostIndex,
    /// Step of each synapse's last arrival.
    pub last_arrival: &'a [u64],
    /// Step of each postsynaptic neuron's last spike.
    pub last_post: &'a mut [u64],
    /// The neuron values the rule reads ([`SynapseRule::neuron_reads`]), as they are after
    /// this step's neuron update.
    pub neurons: &'a [NeuronRead],
}

/// A neuron value a rule reads: state variable `name` of every neuron of the pre- or
/// postsynaptic population. The network copies it into `values` (population order) before
/// each call of the rule; values the rule computes itself (`from_rule`, e.g. ANNarchy's
/// `post.r` over a rate window) are left empty.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NeuronRead {
    /// Whose value: the presynaptic or the postsynaptic neuron.
    pub side: crate::lang::Side,
    /// The state variable.
    pub name: String,
    /// `true` when the rule provides the value itself (the network does not fill it).
    pub from_rule: bool,
    /// The value of each neuron, refilled before each use (not part of a checkpoint).
    #[serde(skip)]
    pub values: Vec<f64>,
}

/// Two reads are the same read whatever values they hold (those are refilled before use).
impl PartialEq for NeuronRead {
    fn eq(&self, other: &Self) -> bool {
        (self.side, &self.name, self.from_rule) == (other.side, &other.name, other.from_rule)
    }
}

/// The transposed index of a projection: the positions of each postsynaptic neuron's incoming
/// synapses in the projection's storage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostIndex {
    post_ptr: Vec<u32>,
    by_post: Vec<u32>,
}

impl PostIndex {
    fn of(synapses: &Synapses) -> PostIndex {
        let n_post = synapses.n_post();
        let mut post_ptr = vec![0u32; n_post + 1];
        for &j in synapses.posts() {
            post_ptr[j as usize + 1] += 1;
        }
        for j in 0..n_post {
            post_ptr[j + 1] += post_ptr[j];
        }
        let mut fill = post_ptr.clone();
        let mut by_post = vec![0u32; synapses.len()];
        for (s, &j) in synapses.posts().iter().enumerate() {
            by_post[fill[j as usize] as usize] = s as u32;
            fill[j as usize] += 1;
        }
        PostIndex { post_ptr, by_post }
    }

    /// The synapses of postsynaptic neuron `j` (positions in the projection's storage).
    #[inline]
    pub fn of_post(&self, j: usize) -> &[u32] {
        &self.by_post[self.post_ptr[j] as usize..self.post_ptr[j + 1] as usize]
    }

    /// Number of postsynaptic neurons.
    pub fn n_post(&self) -> usize {
        self.post_ptr.len() - 1
    }

    fn bytes(&self) -> usize {
        4 * (self.post_ptr.len() + self.by_post.len())
    }
}

/// "No spike yet" in the spike history.
pub const NEVER: u64 = u64::MAX;

/// exp(−k·dt/τ) by table, for every k until it underflows to 0 (at most 2¹⁶ entries), so
/// event-driven traces cost a lookup and give exactly what `exp` gives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct DecayTable {
    pub(crate) table: Vec<f64>,
    ends_in_zero: bool,
    dt_over_tau: f64,
}

impl DecayTable {
    pub(crate) fn new(dt_over_tau: f64) -> DecayTable {
        let mut table = Vec::new();
        loop {
            let x = (-(table.len() as f64) * dt_over_tau).exp();
            table.push(x);
            if x == 0.0 || table.len() >= 1 << 16 {
                break;
            }
        }
        DecayTable {
            ends_in_zero: table.last() == Some(&0.0),
            table,
            dt_over_tau,
        }
    }

    /// The decay factor from step `since` to step `now` (0 if `since` is [`NEVER`]).
    #[inline]
    pub(crate) fn between(&self, since: u64, now: u64) -> f64 {
        if since == NEVER {
            return 0.0;
        }
        let k = (now - since) as usize;
        match self.table.get(k) {
            Some(&x) => x,
            None if self.ends_in_zero => 0.0,
            None => (-(k as f64) * self.dt_over_tau).exp(),
        }
    }
}

impl crate::affine::Powers for DecayTable {
    #[inline]
    fn pow(&self, k: u64) -> f64 {
        self.between(0, k)
    }
}

/// The state of a plastic projection: the rule's state, the spike history and the transposed
/// index, and whether it is frozen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plasticity {
    /// The rule and its state.
    pub rule: RuleState,
    /// While frozen the projection delivers its weights and nothing else: no trace, weight or
    /// periodic update. Spikes during a freeze are not seen by the rule when it resumes.
    #[serde(default)]
    pub frozen: bool,
    last_arrival: Vec<u64>,
    last_post: Vec<u64>,
    index: PostIndex,
    /// The neuron values the rule reads (empty for most rules).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    reads: Vec<NeuronRead>,
}

impl Plasticity {
    /// State for `synapses` under rule `spec` (validated), with a fixed random stream (use
    /// [`seeded`](Self::seeded) for rules that draw numbers).
    pub fn new(spec: &PlasticitySpec, synapses: &mut Synapses, dt: f64) -> Plasticity {
        Plasticity::seeded(
            spec,
            synapses,
            dt,
            crate::rng::stream(0, crate::rng::Stream::Plasticity),
        )
    }

    /// State for `synapses` under rule `spec` (validated); `rng` is the projection's random
    /// stream.
    pub fn seeded(spec: &PlasticitySpec, synapses: &mut Synapses, dt: f64, rng: Rng) -> Plasticity {
        // plastic weights are per synapse
        synapses.weights_mut();
        let (m, n_post) = (synapses.len(), synapses.n_post());
        Plasticity {
            rule: spec.build(synapses, dt, rng),
            frozen: false,
            last_arrival: vec![NEVER; m],
            last_post: vec![NEVER; n_post],
            index: PostIndex::of(synapses),
            reads: spec.neuron_reads(),
        }
    }

    /// The neuron values the rule reads, for the network to fill before each call; empty
    /// while frozen (nothing reads them then).
    pub(crate) fn reads_mut(&mut self) -> &mut [NeuronRead] {
        if self.frozen {
            &mut []
        } else {
            &mut self.reads
        }
    }

    /// `true` when the rule reads neuron values (`v_post`, `pre.x`).
    pub fn reads_neurons(&self) -> bool {
        self.reads.iter().any(|r| !r.from_rule)
    }

    /// `true` for a rule that [`reward`](Self::reward) reaches (`reward_stdp`).
    pub fn takes_reward(&self) -> bool {
        self.rule.takes_reward()
    }

    /// Add `amount` of reward; `false` (and nothing changes) for a rule that takes none.
    pub fn reward(&mut self, amount: f64) -> bool {
        self.rule.reward(amount)
    }

    /// Bytes of the rule's state, the spike history and the transposed index.
    pub fn bytes(&self) -> usize {
        8 * (self.last_arrival.len() + self.last_post.len())
            + self.index.bytes()
            + self.rule.bytes()
    }

    /// Deliver the arrivals of step `t` (calling `add(post, amount)`) and apply the arrival
    /// side of the rule (nothing but the delivery of the weights while frozen).
    #[inline]
    pub fn deliver(
        &mut self,
        synapses: &mut Synapses,
        t: u64,
        ring: &SpikeRing,
        mut add: impl FnMut(u32, f64),
    ) {
        if self.frozen {
            synapses.arrivals(t, ring, |s, j| add(j, synapses.weight(s)));
            return;
        }
        let cx = Arrivals {
            t,
            synapses,
            ring,
            last_arrival: &mut self.last_arrival,
            last_post: &self.last_post,
            neurons: &self.reads,
        };
        self.rule.on_arrivals(cx, &mut add);
    }

    /// Bring any lazily updated weights up to step `t` (the next step to run), so that
    /// reading them is exact; called when the projection is frozen.
    pub fn flush(&mut self, synapses: &mut Synapses, t: u64) {
        if self.frozen {
            return;
        }
        self.rule.flush(PostSpikes {
            t,
            synapses,
            spikes: &[],
            incoming: &self.index,
            last_arrival: &self.last_arrival,
            last_post: &mut self.last_post,
            neurons: &self.reads,
        });
    }

    /// Apply the post-spike side for the spikes of step `t`, then any periodic weight update.
    #[inline]
    pub fn after_step(&mut self, synapses: &mut Synapses, t: u64, post_spikes: &[u32]) {
        if self.frozen {
            return;
        }
        self.rule.after_step(PostSpikes {
            t,
            synapses,
            spikes: post_spikes,
            incoming: &self.index,
            last_arrival: &self.last_arrival,
            last_post: &mut self.last_post,
            neurons: &self.reads,
        });
    }
}

/// Check that each `(key, value)` is a finite number > 0; errors name `{path}.{key}`.
pub(crate) fn check_time_constants(path: &str, values: &[(&str, f64)]) -> Result<()> {
    for &(k, v) in values {
        crate::ensure!(
            v.is_finite() && v > 0.0,
            format!("{path}.{k}"),
            "must be > 0 ms, got {v}"
        );
    }
    Ok(())
}

/// Check that each `(key, value)` is finite; errors name `{path}.{key}`.
pub(crate) fn check_finite(path: &str, values: &[(&str, f64)]) -> Result<()> {
    for &(k, v) in values {
        crate::ensure!(
            v.is_finite(),
            format!("{path}.{k}"),
            "must be finite, got {v}"
        );
    }
    Ok(())
}
