//! Synaptic plasticity of spiking projections.
//!
//! A plastic projection is delivered serially (its per-synapse state changes on every
//! arrival), in its own phase before the population updates; post-synaptic spikes reach the
//! rule through a transposed index (positions of each neuron's incoming synapses in the
//! projection's storage, not copies — Auryn's `DuplexConnection`).
//!
//! ## `izhikevich2006` (spnet, Izhikevich 2006)
//!
//! Traces decay with `tau`: on the arrival of a presynaptic spike at synapse s (post j),
//! `pre_s = a_plus` and `sd_s −= post_j`; on a spike of j, `post_j = a_minus` and
//! `sd_s += pre_s` for every incoming s (nearest-neighbour traces, as spnet's `LTP`/`LTD`).
//! Every `update_every_ms`: `w = clip(w + bias + sd, w_min, w_max)`, `sd ← decay·sd`.
//! Timing is spnet's to the step: a spike of j in step t (v crossed threshold during t) is
//! seen by spnet at the start of step t + 1, so an arrival k ≥ 1 steps later sees the post
//! trace `a_minus·exp(−(k − 1)·dt/τ)`, and a post spike k ≥ 0 steps after an arrival adds
//! `a_plus·exp(−k·dt/τ)` (an arrival in the post spike's own step counts as before it).
//! Defaults are spnet's: a_plus 0.1, a_minus 0.12, τ = −1 ms / ln 0.95 ≈ 19.50 ms (×0.95 per
//! ms), bias 0.01, decay 0.9, every 1000 ms, w ∈ [0, 10].
//!
//! ## `pair_stdp` (Song, Miller & Abbott 2000; Brian2's STDP example)
//!
//! A presynaptic trace per synapse (decay `tau_plus`) and a postsynaptic trace per neuron
//! (decay `tau_minus`). On an arrival at synapse s: the weight is delivered, then
//! `pre_s ← pre_s + a_plus` (`all_to_all`) or `pre_s ← a_plus` (`nearest`), and
//! `w_s ← clip(w_s + f₋(w_s)·post_j)`. On a spike of j: `post_j ← post_j + a_minus` (or
//! `a_minus`), and `w_s ← clip(w_s + f₊(w_s)·pre_s)` for every incoming s. Weight dependence:
//! `additive` f± = 1; `multiplicative` f₊ = (w_max − w)/(w_max − w_min), f₋ = (w − w_min)/(w_max −
//! w_min). `a_minus` is negative for depression (Brian2's `dApost`). Defaults are Song 2000 as
//! in Brian2's example for g_max = 0.01: τ± 20 ms, a_plus 1e−4, a_minus −1.05e−4, w ∈ [0, 0.01].
//!
//! ## `homeostatic_stdp` (Carlson et al. 2013, ANNarchy's SORF notebook)
//!
//! Nearest-neighbour STDP evaluated every step plus homeostatic scaling towards a target
//! rate, computed in closed form between events; see [`homeostatic`].
//! ## `neurapse_a`, `neurapse_b` (Neurapse's `PLASTIC_SYNAPSE_A` / `_B`)
//!
//! Multiplicative rules of the Neurapse course library, `_B` as `DRN_Plastic` applies it
//! (with its pairing bugs by default); see [`neurapse`].

use serde::{Deserialize, Serialize};

use super::projection::{SpikeRing, Synapses};
use crate::{ensure, Result};

pub mod reward;
pub use reward::RewardStdpParams;
pub mod homeostatic;
pub use homeostatic::{HomeostaticStdpParams, HomeostaticStdpState, RateEstimate};
pub mod neurapse;
pub use neurapse::{NeurapseAParams, NeurapseBParams};

/// A plasticity rule and its parameters, as written in experiment files
/// (`plasticity = { kind = "izhikevich2006", … }`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PlasticitySpec {
    /// Izhikevich 2006 STDP with a slow weight-derivative update (see the module docs).
    Izhikevich2006(Izhikevich2006Params),
    /// Pair-based STDP with traces, additive or multiplicative (see the module docs).
    PairStdp(PairStdpParams),
    /// Reward-modulated STDP, Izhikevich 2007 (see [`reward`]).
    RewardStdp(RewardStdpParams),
    /// STDP with homeostatic scaling, Carlson et al. 2013 (see [`homeostatic`]).
    HomeostaticStdp(HomeostaticStdpParams),
    /// Neurapse's `PLASTIC_SYNAPSE_A` (tempotron-like, clipping quirk).
    NeurapseA(NeurapseAParams),
    /// Neurapse's `PLASTIC_SYNAPSE_B` as `DRN_Plastic` applies it.
    NeurapseB(NeurapseBParams),
}

/// How the weight change of `pair_stdp` depends on the weight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightDependence {
    /// The same change at any weight (then clipped).
    #[default]
    Additive,
    /// Potentiation ∝ w_max − w, depression ∝ w − w_min.
    Multiplicative,
}

/// Which spike pairs `pair_stdp` counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceMode {
    /// Every pair: traces add up.
    #[default]
    AllToAll,
    /// Nearest neighbour: traces are reset to their amplitude.
    Nearest,
}

/// Parameters of the `pair_stdp` rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PairStdpParams {
    /// Presynaptic trace time constant, ms.
    pub tau_plus: f64,
    /// Postsynaptic trace time constant, ms.
    pub tau_minus: f64,
    /// Presynaptic trace increment (potentiation amplitude), weight units.
    pub a_plus: f64,
    /// Postsynaptic trace increment (negative: depression), weight units.
    pub a_minus: f64,
    /// Lower weight bound.
    pub w_min: f64,
    /// Upper weight bound.
    pub w_max: f64,
    /// Additive or multiplicative.
    pub weight_dependence: WeightDependence,
    /// All-to-all or nearest-neighbour pairing.
    pub traces: TraceMode,
}

impl Default for PairStdpParams {
    fn default() -> Self {
        PairStdpParams {
            tau_plus: 20.0,
            tau_minus: 20.0,
            a_plus: 1e-4,
            a_minus: -1.05e-4,
            w_min: 0.0,
            w_max: 0.01,
            weight_dependence: WeightDependence::Additive,
            traces: TraceMode::AllToAll,
        }
    }
}

/// spnet's trace time constant: its traces decay by ×0.95 per 1 ms step, τ = −1 ms / ln 0.95
/// = 19.4957 ms.
pub const SPNET_TAU: f64 = 19.495_725_746_223_673;

/// Parameters of the `izhikevich2006` rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Izhikevich2006Params {
    /// Presynaptic trace value set on arrival.
    pub a_plus: f64,
    /// Postsynaptic trace value set on a post spike.
    pub a_minus: f64,
    /// Trace time constant, ms.
    pub tau: f64,
    /// Added to every weight at each update.
    pub bias: f64,
    /// Factor applied to the derivative after each update.
    pub decay: f64,
    /// Interval between weight updates, ms.
    pub update_every_ms: f64,
    /// Lower weight bound.
    pub w_min: f64,
    /// Upper weight bound.
    pub w_max: f64,
}

impl Default for Izhikevich2006Params {
    fn default() -> Self {
        Izhikevich2006Params {
            a_plus: 0.1,
            a_minus: 0.12,
            tau: SPNET_TAU,
            bias: 0.01,
            decay: 0.9,
            update_every_ms: 1000.0,
            w_min: 0.0,
            w_max: 10.0,
        }
    }
}

impl PlasticitySpec {
    /// Check the parameters; `path` is the key path of the rule table.
    pub fn validate(&self, path: &str, dt: f64) -> Result<()> {
        match self {
            PlasticitySpec::Izhikevich2006(p) => {
                ensure!(
                    p.tau.is_finite() && p.tau > 0.0,
                    format!("{path}.tau"),
                    "must be > 0 ms, got {}",
                    p.tau
                );
                ensure!(
                    p.w_min.is_finite() && p.w_max.is_finite() && p.w_min <= p.w_max,
                    format!("{path}.w_max"),
                    "needs w_min ≤ w_max, got [{}, {}]",
                    p.w_min,
                    p.w_max
                );
                let key = format!("{path}.update_every_ms");
                let every = super::source::whole_steps(&key, p.update_every_ms, dt)?;
                ensure!(every >= 1, key, "must be at least one step (dt = {dt} ms)");
                for (k, v) in [
                    ("a_plus", p.a_plus),
                    ("a_minus", p.a_minus),
                    ("bias", p.bias),
                    ("decay", p.decay),
                ] {
                    ensure!(
                        v.is_finite(),
                        format!("{path}.{k}"),
                        "must be finite, got {v}"
                    );
                }
                Ok(())
            }
            PlasticitySpec::PairStdp(p) => {
                for (k, v) in [("tau_plus", p.tau_plus), ("tau_minus", p.tau_minus)] {
                    ensure!(
                        v.is_finite() && v > 0.0,
                        format!("{path}.{k}"),
                        "must be > 0 ms, got {v}"
                    );
                }
                for (k, v) in [("a_plus", p.a_plus), ("a_minus", p.a_minus)] {
                    ensure!(
                        v.is_finite(),
                        format!("{path}.{k}"),
                        "must be finite, got {v}"
                    );
                }
                ensure!(
                    p.w_min.is_finite() && p.w_max.is_finite() && p.w_min < p.w_max,
                    format!("{path}.w_max"),
                    "needs w_min < w_max, got [{}, {}]",
                    p.w_min,
                    p.w_max
                );
                Ok(())
            }
            PlasticitySpec::RewardStdp(p) => p.validate(path, dt),
            PlasticitySpec::HomeostaticStdp(p) => p.validate(path, dt),
            PlasticitySpec::NeurapseA(p) => p.validate(path),
            PlasticitySpec::NeurapseB(p) => p.validate(path),
        }
    }
}

impl PlasticitySpec {
    /// The lower weight bound of the rule.
    pub fn w_min(&self) -> f64 {
        match self {
            PlasticitySpec::Izhikevich2006(p) => p.w_min,
            PlasticitySpec::PairStdp(p) => p.w_min,
            PlasticitySpec::RewardStdp(p) => p.w_min,
            PlasticitySpec::HomeostaticStdp(p) => p.w_min,
            PlasticitySpec::NeurapseA(p) => p.w_min(),
            PlasticitySpec::NeurapseB(p) => p.w_min(),
        }
    }
}

const NEVER: u64 = u64::MAX;

/// exp(−k·dt/τ) by table, for every k until it underflows to 0 (at most 2¹⁶ entries), so
/// event-driven traces cost a lookup and give exactly what `exp` gives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct DecayTable {
    table: Vec<f64>,
    ends_in_zero: bool,
    dt_over_tau: f64,
}

impl DecayTable {
    fn new(dt_over_tau: f64) -> DecayTable {
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
    fn between(&self, since: u64, now: u64) -> f64 {
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

/// State of a `pair_stdp` projection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairStdpState {
    params: PairStdpParams,
    plus: DecayTable,
    minus: DecayTable,
    /// Presynaptic trace of each synapse at its last arrival.
    pre: Vec<f64>,
    /// Postsynaptic trace of each neuron at its last spike.
    post: Vec<f64>,
}

/// State of an `izhikevich2006` projection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Izhikevich2006State {
    params: Izhikevich2006Params,
    every: u64,
    decay: DecayTable,
    /// Weight derivative per synapse (the eligibility trace of `reward_stdp`).
    pub sd: Vec<f64>,
    /// `reward_stdp`: the dopamine that gates the weight updates (`None`: `izhikevich2006`).
    #[serde(default)]
    pub dopamine: Option<reward::Dopamine>,
}

/// The rule-specific part of a plastic projection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RuleState {
    /// `izhikevich2006`, and `reward_stdp` (with dopamine).
    Izhikevich2006(Izhikevich2006State),
    /// `pair_stdp`.
    PairStdp(PairStdpState),
    /// `homeostatic_stdp`.
    HomeostaticStdp(Box<HomeostaticStdpState>),
    /// `neurapse_a`.
    NeurapseA(neurapse::NeurapseAState),
    /// `neurapse_b`.
    NeurapseB(neurapse::NeurapseBState),
}

/// The state of a plastic projection: the rule's state, each synapse's last arrival, each
/// postsynaptic neuron's last spike, and the transposed index.
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
    /// Transposed index: synapses of post j are `by_post[post_ptr[j]..post_ptr[j + 1]]`.
    post_ptr: Vec<u32>,
    by_post: Vec<u32>,
}

#[inline]
fn clip(w: f64, lo: f64, hi: f64) -> f64 {
    w.clamp(lo, hi)
}

impl Plasticity {
    /// `true` for a `reward_stdp` rule (one that [`reward`](Self::reward) reaches).
    pub fn takes_reward(&self) -> bool {
        matches!(
            &self.rule,
            RuleState::Izhikevich2006(Izhikevich2006State {
                dopamine: Some(_),
                ..
            })
        )
    }

    /// Add `amount` to the dopamine of a `reward_stdp` rule; `false` (and nothing changes) for
    /// other rules.
    pub fn reward(&mut self, amount: f64) -> bool {
        match &mut self.rule {
            RuleState::Izhikevich2006(Izhikevich2006State {
                dopamine: Some(da), ..
            }) => {
                da.level += amount;
                true
            }
            _ => false,
        }
    }

    /// State for `synapses` under rule `spec` (validated).
    pub fn new(spec: &PlasticitySpec, synapses: &mut Synapses, dt: f64) -> Plasticity {
        // plastic weights are per synapse
        synapses.weights_mut();
        let m = synapses.len();
        let n_post = synapses.n_post();
        let mut post_ptr = vec![0u32; n_post + 1];
        for &j in synapses.posts() {
            post_ptr[j as usize + 1] += 1;
        }
        for j in 0..n_post {
            post_ptr[j + 1] += post_ptr[j];
        }
        let mut fill = post_ptr.clone();
        let mut by_post = vec![0u32; m];
        for (s, &j) in synapses.posts().iter().enumerate() {
            by_post[fill[j as usize] as usize] = s as u32;
            fill[j as usize] += 1;
        }
        let rule = match spec {
            PlasticitySpec::Izhikevich2006(p) => RuleState::Izhikevich2006(Izhikevich2006State {
                every: (p.update_every_ms / dt).round() as u64,
                decay: DecayTable::new(dt / p.tau),
                params: p.clone(),
                sd: vec![0.0; m],
                dopamine: None,
            }),
            PlasticitySpec::RewardStdp(r) => {
                let p = r.stdp_part();
                RuleState::Izhikevich2006(Izhikevich2006State {
                    every: (p.update_every_ms / dt).round() as u64,
                    decay: DecayTable::new(dt / p.tau),
                    params: p,
                    sd: vec![0.0; m],
                    dopamine: Some(reward::Dopamine::new(r, dt)),
                })
            }
            PlasticitySpec::PairStdp(p) => RuleState::PairStdp(PairStdpState {
                plus: DecayTable::new(dt / p.tau_plus),
                minus: DecayTable::new(dt / p.tau_minus),
                params: p.clone(),
                pre: vec![0.0; m],
                post: vec![0.0; n_post],
            }),
            PlasticitySpec::HomeostaticStdp(p) => {
                RuleState::HomeostaticStdp(Box::new(HomeostaticStdpState::new(p, synapses, dt)))
            }
            PlasticitySpec::NeurapseA(p) => {
                RuleState::NeurapseA(neurapse::NeurapseAState::new(p, m, dt))
            }
            PlasticitySpec::NeurapseB(p) => {
                RuleState::NeurapseB(neurapse::NeurapseBState::new(p, m, n_post, dt))
            }
        };
        Plasticity {
            rule,
            frozen: false,
            last_arrival: vec![NEVER; m],
            last_post: vec![NEVER; n_post],
            post_ptr,
            by_post,
        }
    }

    /// Bytes of the rule's state (per synapse and per postsynaptic neuron, plus tables).
    pub fn bytes(&self) -> usize {
        let m = self.last_arrival.len();
        let n = self.last_post.len();
        let common = 8 * m + 8 * n + 4 * self.post_ptr.len() + 4 * self.by_post.len();
        common
            + match &self.rule {
                RuleState::Izhikevich2006(st) => 8 * st.sd.len() + 8 * st.decay.table.len(),
                RuleState::PairStdp(st) => {
                    8 * (st.pre.len() + st.post.len() + st.plus.table.len() + st.minus.table.len())
                }
                RuleState::HomeostaticStdp(st) => st.bytes(),
                RuleState::NeurapseA(st) => st.bytes(),
                RuleState::NeurapseB(st) => st.bytes(),
            }
    }

    /// Deliver the arrivals of step `t` (calling `add(post, w)` with the weight before the
    /// update) and apply the arrival side of the rule.
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
        let (last_arrival, last_post) = (&mut self.last_arrival, &self.last_post);
        if let RuleState::HomeostaticStdp(st) = &mut self.rule {
            return st.deliver(synapses, t, ring, last_arrival, last_post, add);
        }
        match &mut self.rule {
            RuleState::Izhikevich2006(st) => {
                let a_minus = st.params.a_minus;
                synapses.arrivals(t, ring, |s, j| {
                    add(j, synapses.weight(s));
                    // spnet registers a spike at the start of the step after v crossed 30 and
                    // sets LTD = A− then: the post trace is A− on the first step after ours
                    let since = match last_post[j as usize] {
                        NEVER => NEVER,
                        tp => tp + 1,
                    };
                    st.sd[s] -= a_minus * st.decay.between(since, t);
                    last_arrival[s] = t;
                });
            }
            RuleState::PairStdp(st) => {
                let p = st.params.clone();
                let span = p.w_max - p.w_min;
                synapses.arrivals_mut(t, ring, |s, j, w| {
                    add(j, *w);
                    let decayed = st.pre[s] * st.plus.between(last_arrival[s], t);
                    st.pre[s] = match p.traces {
                        TraceMode::AllToAll => decayed + p.a_plus,
                        TraceMode::Nearest => p.a_plus,
                    };
                    last_arrival[s] = t;
                    let post = st.post[j as usize] * st.minus.between(last_post[j as usize], t);
                    let f = match p.weight_dependence {
                        WeightDependence::Additive => 1.0,
                        WeightDependence::Multiplicative => (*w - p.w_min) / span,
                    };
                    *w = clip(*w + f * post, p.w_min, p.w_max);
                });
            }
            RuleState::NeurapseA(st) => st.deliver(synapses, t, ring, last_arrival, add),
            RuleState::NeurapseB(st) => {
                st.deliver(synapses, t, ring, last_arrival, last_post, add);
            }
            RuleState::HomeostaticStdp(_) => unreachable!("handled above"),
        }
    }

    /// Bring any lazily updated weights up to step `t` (the next step to run), so that
    /// reading them is exact; called when the projection is frozen.
    pub fn flush(&mut self, synapses: &mut Synapses, t: u64) {
        if self.frozen {
            return;
        }
        if let RuleState::HomeostaticStdp(st) = &mut self.rule {
            st.flush(
                synapses,
                t,
                &self.last_arrival,
                &self.last_post,
                &self.post_ptr,
                &self.by_post,
            );
        }
    }

    /// Apply the post-spike side for the spikes of step `t`, then any periodic weight update.
    pub fn after_step(&mut self, synapses: &mut Synapses, t: u64, post_spikes: &[u32]) {
        if self.frozen {
            return;
        }
        let (post_ptr, by_post) = (&self.post_ptr, &self.by_post);
        let (last_arrival, last_post) = (&self.last_arrival, &mut self.last_post);
        match &mut self.rule {
            RuleState::HomeostaticStdp(st) => {
                st.after_step(
                    synapses,
                    t,
                    post_spikes,
                    last_arrival,
                    last_post,
                    post_ptr,
                    by_post,
                );
            }
            RuleState::Izhikevich2006(st) => {
                let a_plus = st.params.a_plus;
                for &j in post_spikes {
                    let (a, b) = (
                        post_ptr[j as usize] as usize,
                        post_ptr[j as usize + 1] as usize,
                    );
                    for &s in &by_post[a..b] {
                        let s = s as usize;
                        st.sd[s] += a_plus * st.decay.between(last_arrival[s], t);
                    }
                    last_post[j as usize] = t;
                }
                if let Some(da) = &mut st.dopamine {
                    da.step();
                }
                if (t + 1) % st.every == 0 {
                    let p = &st.params;
                    // izhikevich2006: w + bias + sd; reward_stdp: w + (tonic + d)·sd (the
                    // factor 1 and bias 0 leave the other form bit-exact)
                    let (bias, f) = st
                        .dopamine
                        .as_ref()
                        .map_or((p.bias, 1.0), |da| (0.0, da.factor()));
                    for (w, sd) in synapses.weights_mut().iter_mut().zip(&mut st.sd) {
                        *w = (*w + bias + f * *sd).clamp(p.w_min, p.w_max);
                        *sd *= p.decay;
                    }
                }
            }
            RuleState::PairStdp(st) => {
                if post_spikes.is_empty() {
                    return;
                }
                let p = st.params.clone();
                let span = p.w_max - p.w_min;
                let weights = synapses.weights_mut();
                for &j in post_spikes {
                    let j = j as usize;
                    let decayed = st.post[j] * st.minus.between(last_post[j], t);
                    st.post[j] = match p.traces {
                        TraceMode::AllToAll => decayed + p.a_minus,
                        TraceMode::Nearest => p.a_minus,
                    };
                    last_post[j] = t;
                    let (a, b) = (post_ptr[j] as usize, post_ptr[j + 1] as usize);
                    for &s in &by_post[a..b] {
                        let s = s as usize;
                        let pre = st.pre[s] * st.plus.between(last_arrival[s], t);
                        let w = &mut weights[s];
                        let f = match p.weight_dependence {
                            WeightDependence::Additive => 1.0,
                            WeightDependence::Multiplicative => (p.w_max - *w) / span,
                        };
                        *w = clip(*w + f * pre, p.w_min, p.w_max);
                    }
                }
            }
            RuleState::NeurapseA(st) => {
                let w = synapses.weights_mut();
                st.after_step(
                    w,
                    t,
                    post_spikes,
                    post_ptr,
                    by_post,
                    last_arrival,
                    last_post,
                );
            }
            RuleState::NeurapseB(st) => {
                let w = synapses.weights_mut();
                st.after_step(
                    w,
                    t,
                    post_spikes,
                    post_ptr,
                    by_post,
                    last_arrival,
                    last_post,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sd(p: &Plasticity) -> f64 {
        match &p.rule {
            RuleState::Izhikevich2006(st) => st.sd[0],
            _ => unreachable!(),
        }
    }

    /// Pair STDP, one synapse: the weight change of a pre→post pair Δt apart is
    /// a_plus·e^{−Δt/τ+} (pre first) or a_minus·e^{−Δt/τ−} (post first), additive, clipped;
    /// multiplicative scales potentiation by (w_max − w)/(w_max − w_min).
    #[test]
    fn pair_stdp_window() {
        let run = |pre_step: u64, post_step: u64, dep: WeightDependence, w0: f64| -> f64 {
            let mut syn = Synapses::new(1, 1, &[0], &[0], &[w0], &[1]);
            let spec = PlasticitySpec::PairStdp(PairStdpParams {
                a_plus: 0.01,
                a_minus: -0.012,
                w_max: 1.0,
                weight_dependence: dep,
                ..Default::default()
            });
            let mut p = Plasticity::new(&spec, &mut syn, 1.0);
            let mut ring = SpikeRing::new(2, 1);
            for t in 0..60u64 {
                p.deliver(&mut syn, t, &ring, |_, _| {});
                // a spike emitted at step e arrives at e + 1 (delay 1)
                let pre: &[u32] = if t + 1 == pre_step { &[0] } else { &[] };
                ring.store(t, pre);
                let post: &[u32] = if t == post_step { &[0] } else { &[] };
                p.after_step(&mut syn, t, post);
            }
            syn.weights()[0] - w0
        };
        let add = WeightDependence::Additive;
        let dw = run(10, 15, add, 0.5);
        assert!((dw - 0.01 * (-5.0f64 / 20.0).exp()).abs() < 1e-15, "{dw}");
        let dw = run(15, 10, add, 0.5);
        assert!((dw + 0.012 * (-5.0f64 / 20.0).exp()).abs() < 1e-15, "{dw}");
        // simultaneous arrival and post spike count as pre first (arrivals come before the
        // neuron's update in a step)
        let dw = run(12, 12, add, 0.5);
        assert!((dw - 0.01).abs() < 1e-15, "{dw}");
        // clipping at w_max
        assert!((run(10, 11, add, 0.999) - 0.001).abs() < 1e-15);
        // multiplicative: potentiation scaled by (1 − w)
        let dw = run(10, 15, WeightDependence::Multiplicative, 0.75);
        assert!(
            (dw - 0.25 * 0.01 * (-5.0f64 / 20.0).exp()).abs() < 1e-15,
            "{dw}"
        );
    }

    /// Pair STDP on one synapse driven by given arrival and post-spike steps; returns Δw.
    fn pair_run(arrivals: &[u64], posts: &[u64], traces: TraceMode) -> f64 {
        let mut syn = Synapses::new(1, 1, &[0], &[0], &[0.5], &[1]);
        let spec = PlasticitySpec::PairStdp(PairStdpParams {
            a_plus: 0.01,
            a_minus: -0.012,
            w_max: 1.0,
            traces,
            ..Default::default()
        });
        let mut p = Plasticity::new(&spec, &mut syn, 1.0);
        let mut ring = SpikeRing::new(2, 1);
        for t in 0..200u64 {
            p.deliver(&mut syn, t, &ring, |_, _| {});
            let pre: &[u32] = if arrivals.contains(&(t + 1)) {
                &[0]
            } else {
                &[]
            };
            ring.store(t, pre);
            let post: &[u32] = if posts.contains(&t) { &[0] } else { &[] };
            p.after_step(&mut syn, t, post);
        }
        syn.weights()[0] - 0.5
    }

    /// The window at several Δt = t_post − t_pre: a_plus·e^{−Δt/τ+} for Δt ≥ 0,
    /// a_minus·e^{Δt/τ−} for Δt < 0, for both trace modes (one pair each).
    #[test]
    fn pair_stdp_window_shape() {
        for traces in [TraceMode::AllToAll, TraceMode::Nearest] {
            for dt in [0i64, 1, 2, 5, 10, 20, 40, -1, -2, -5, -10, -20, -40] {
                let (pre, post) = (100u64, (100 + dt) as u64);
                let got = pair_run(&[pre], &[post], traces);
                let want = if dt >= 0 {
                    0.01 * (-(dt as f64) / 20.0).exp()
                } else {
                    -0.012 * (dt as f64 / 20.0).exp()
                };
                assert!((got - want).abs() < 1e-15, "Δt {dt}: {got} vs {want}");
            }
        }
    }

    /// A triplet pre, pre, post (arrivals at 100 and 110, post at 115): all-to-all counts both
    /// pairs, nearest only the later one; post, post, pre (posts at 100 and 110, arrival at
    /// 115) likewise for depression.
    #[test]
    fn nearest_vs_all_to_all_on_a_triplet() {
        let e = |k: f64| (-k / 20.0).exp();
        let all = pair_run(&[100, 110], &[115], TraceMode::AllToAll);
        let nearest = pair_run(&[100, 110], &[115], TraceMode::Nearest);
        // the arrival at 110 also meets no post trace yet; both pairs potentiate
        assert!((all - 0.01 * (e(15.0) + e(5.0))).abs() < 1e-15, "{all}");
        assert!((nearest - 0.01 * e(5.0)).abs() < 1e-15, "{nearest}");
        let all = pair_run(&[116], &[100, 110], TraceMode::AllToAll);
        let nearest = pair_run(&[116], &[100, 110], TraceMode::Nearest);
        assert!((all + 0.012 * (e(16.0) + e(6.0))).abs() < 1e-15, "{all}");
        assert!((nearest + 0.012 * e(6.0)).abs() < 1e-15, "{nearest}");
    }

    /// Reward-modulated STDP, one synapse: a pre→post pair 5 steps apart makes the eligibility
    /// trace 0.1·0.95⁵; without reward the weight never changes; a reward of 0.5 given after
    /// step 100 changes it at the update after step 109 by 0.5·0.995⁹ × (eligibility after 10
    /// updates ×0.99).
    #[test]
    fn reward_stdp_needs_reward() {
        let run = |reward_after: Option<u64>, steps: u64| -> (f64, f64) {
            let mut syn = Synapses::new(1, 1, &[0], &[0], &[1.0], &[1]);
            let spec = PlasticitySpec::RewardStdp(RewardStdpParams::default());
            spec.validate("p", 1.0).unwrap();
            let mut p = Plasticity::new(&spec, &mut syn, 1.0);
            assert!(p.takes_reward());
            let mut ring = SpikeRing::new(2, 1);
            for t in 0..steps {
                p.deliver(&mut syn, t, &ring, |_, _| {});
                let pre: &[u32] = if t == 0 { &[0] } else { &[] };
                ring.store(t, pre);
                let post: &[u32] = if t == 6 { &[0] } else { &[] };
                p.after_step(&mut syn, t, post);
                if reward_after == Some(t) {
                    assert!(p.reward(0.5));
                }
            }
            (syn.weights()[0], sd(&p))
        };
        let sd0 = 0.1 * (-5.0f64 / SPNET_TAU).exp();
        let (w, c) = run(None, 2000);
        assert_eq!(w, 1.0, "no reward, no change");
        assert!((c - sd0 * 0.99f64.powi(200)).abs() < 1e-15, "{c}");
        let (w, _) = run(Some(100), 109);
        assert_eq!(w, 1.0, "no update between the reward and step 109");
        let (w, _) = run(Some(100), 110);
        let d = 0.5 * (-9.0f64 / reward::DASPNET_TAU_DOPAMINE).exp();
        let want = 1.0 + d * sd0 * 0.99f64.powi(10);
        assert!((w - want).abs() < 1e-15, "{w} vs {want}");
        assert!((d - 0.5 * 0.995f64.powi(9)).abs() < 1e-12);
    }

    /// One pre→post pair: pre arrives 5 steps before post → sd = +a_plus·0.95⁵; then another
    /// arrival 3 steps after the post spike → sd −= a_minus·0.95² (spnet's timing).
    #[test]
    fn pair_window_and_update() {
        let syn = Synapses::new(1, 1, &[0], &[0], &[6.0], &[1]);
        let spec = PlasticitySpec::Izhikevich2006(Izhikevich2006Params {
            update_every_ms: 20.0,
            ..Default::default()
        });
        let mut syn = syn;
        let mut p = Plasticity::new(&spec, &mut syn, 1.0);
        let mut ring = SpikeRing::new(2, 1);
        let mut got = Vec::new();
        for t in 0..20u64 {
            p.deliver(&mut syn, t, &ring, |j, w| got.push((t, j, w)));
            let post: &[u32] = if t == 6 { &[0] } else { &[] };
            let pre: &[u32] = if t == 0 || t == 8 { &[0] } else { &[] };
            ring.store(t, pre);
            if t < 19 {
                p.after_step(&mut syn, t, post);
            }
        }
        assert_eq!(got, vec![(1, 0, 6.0), (9, 0, 6.0)]);
        // spnet: the post spike of step 6 is seen at step 7, so the arrival at step 9 is 2
        // steps after it; spnet's traces decay ×0.95 per ms
        let want = 0.1 * (-5.0f64 / SPNET_TAU).exp() - 0.12 * (-2.0f64 / SPNET_TAU).exp();
        assert!((sd(&p) - want).abs() < 1e-15, "{} vs {want}", sd(&p));
        assert!((want - (0.1 * 0.95f64.powi(5) - 0.12 * 0.95f64.powi(2))).abs() < 1e-15);
        p.after_step(&mut syn, 19, &[]);
        assert!((syn.weights()[0] - (6.0 + 0.01 + want)).abs() < 1e-12);
        assert!((sd(&p) - 0.9 * want).abs() < 1e-15);
    }
}
