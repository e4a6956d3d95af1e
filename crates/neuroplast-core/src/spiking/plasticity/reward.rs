//! Reward-modulated STDP: Izhikevich 2007, "Solving the distal reward problem through linkage
//! of STDP and dopamine signaling" (Cerebral Cortex 17:2443), as in his `daspnet.m`.
//!
//! The STDP part is spnet's (`izhikevich2006`, nearest-neighbour traces, spnet's timing): it
//! does not change weights but an eligibility trace `c` per synapse (spnet's `sd`). A
//! dopamine level `d` decays with `tau_dopamine` and jumps by each reward
//! (`Network::reward` during a run, or `[[schedule]]` entries of an experiment file, which
//! give it at the start of their step). Every `update_every_ms`:
//! `w ← clip(w + (tonic_dopamine + d)·c, w_min, w_max)` and `c ← eligibility_decay·c`.
//!
//! daspnet's values are the defaults: a_plus 0.1, a_minus 0.15 (1.5 × 0.1), traces ×0.95 per
//! ms, update every 10 ms, c ×0.99 per update (τ_c ≈ 1 s), d ×0.995 per ms (τ_d ≈ 200 ms),
//! reward +0.5, w ∈ [0, 4] — except `tonic_dopamine`, 0 here (daspnet: 0.002), so that
//! without a reward nothing changes.

use serde::{Deserialize, Serialize};

use super::{
    Arrivals, Izhikevich2006Params, Izhikevich2006State, PostSpikes, SynapseRule, SPNET_TAU,
};
use crate::spiking::projection::Synapses;
use crate::{ensure, Result};

/// Parameters of the `reward_stdp` rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RewardStdpParams {
    /// Presynaptic trace value set on arrival (potentiation of the eligibility trace).
    pub a_plus: f64,
    /// Postsynaptic trace value set on a post spike (depression of the eligibility trace).
    pub a_minus: f64,
    /// STDP trace time constant, ms.
    pub tau: f64,
    /// Factor applied to the eligibility trace after each weight update.
    pub eligibility_decay: f64,
    /// Interval between weight updates, ms.
    pub update_every_ms: f64,
    /// Dopamine time constant, ms.
    pub tau_dopamine: f64,
    /// Dopamine added to `d` in every weight update (daspnet: 0.002).
    pub tonic_dopamine: f64,
    /// Lower weight bound.
    pub w_min: f64,
    /// Upper weight bound.
    pub w_max: f64,
}

/// daspnet's dopamine time constant: ×0.995 per 1 ms step.
pub const DASPNET_TAU_DOPAMINE: f64 = 199.499_582_288_356_12;

impl Default for RewardStdpParams {
    fn default() -> Self {
        RewardStdpParams {
            a_plus: 0.1,
            a_minus: 0.15,
            tau: SPNET_TAU,
            eligibility_decay: 0.99,
            update_every_ms: 10.0,
            tau_dopamine: DASPNET_TAU_DOPAMINE,
            tonic_dopamine: 0.0,
            w_min: 0.0,
            w_max: 4.0,
        }
    }
}

impl RewardStdpParams {
    /// Check the parameters; `path` is the key path of the rule table.
    pub fn validate(&self, path: &str, dt: f64) -> Result<()> {
        super::PlasticitySpec::Izhikevich2006(self.stdp_part()).validate(path, dt)?;
        ensure!(
            self.tau_dopamine.is_finite() && self.tau_dopamine > 0.0,
            format!("{path}.tau_dopamine"),
            "must be > 0 ms, got {}",
            self.tau_dopamine
        );
        ensure!(
            self.tonic_dopamine.is_finite(),
            format!("{path}.tonic_dopamine"),
            "must be finite, got {}",
            self.tonic_dopamine
        );
        Ok(())
    }

    /// The STDP and update part, as `izhikevich2006` parameters (`bias` unused).
    pub(super) fn stdp_part(&self) -> Izhikevich2006Params {
        Izhikevich2006Params {
            a_plus: self.a_plus,
            a_minus: self.a_minus,
            tau: self.tau,
            bias: 0.0,
            decay: self.eligibility_decay,
            update_every_ms: self.update_every_ms,
            w_min: self.w_min,
            w_max: self.w_max,
        }
    }
}

/// The dopamine level of a `reward_stdp` projection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dopamine {
    /// Current level (above the tonic level).
    pub level: f64,
    /// Added in every weight update.
    pub tonic: f64,
    per_step: f64,
}

impl Dopamine {
    /// The dopamine of validated parameters `p` at time step `dt`.
    pub(super) fn new(p: &RewardStdpParams, dt: f64) -> Dopamine {
        Dopamine {
            level: 0.0,
            tonic: p.tonic_dopamine,
            per_step: (-dt / p.tau_dopamine).exp(),
        }
    }

    /// End of a step: decay.
    #[inline]
    pub(super) fn step(&mut self) {
        self.level *= self.per_step;
    }

    /// The factor of the eligibility trace in a weight update.
    #[inline]
    pub(super) fn factor(&self) -> f64 {
        self.tonic + self.level
    }
}

/// State of a `reward_stdp` projection: spnet's STDP state whose weight updates are gated by
/// a dopamine level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RewardStdpState(pub Izhikevich2006State);

impl SynapseRule for RewardStdpState {
    type Params = RewardStdpParams;

    fn validate(p: &RewardStdpParams, path: &str, dt: f64) -> Result<()> {
        p.validate(path, dt)
    }

    fn w_min(p: &RewardStdpParams) -> f64 {
        p.w_min
    }

    fn new(p: &RewardStdpParams, synapses: &mut Synapses, dt: f64, _rng: crate::rng::Rng) -> Self {
        let da = Dopamine::new(p, dt);
        RewardStdpState(Izhikevich2006State::with(
            &p.stdp_part(),
            synapses.len(),
            dt,
            Some(da),
        ))
    }

    fn on_arrivals(&mut self, cx: Arrivals<'_>, add: &mut impl FnMut(u32, f64)) {
        self.0.on_arrivals(cx, add);
    }

    fn after_step(&mut self, cx: PostSpikes<'_>) {
        self.0.after_step(cx);
    }

    fn reward(&mut self, amount: f64) -> bool {
        self.0.reward(amount)
    }

    fn takes_reward(&self) -> bool {
        true
    }

    fn bytes(&self) -> usize {
        self.0.bytes()
    }
}
