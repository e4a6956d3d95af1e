//! `izhikevich2006` (spnet, Izhikevich 2006).
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
//! The same state with a dopamine level is [`reward_stdp`](super::reward).

use serde::{Deserialize, Serialize};

use super::{reward, Arrivals, DecayTable, PostSpikes, SynapseRule, NEVER};
use crate::spiking::projection::Synapses;
use crate::{ensure, Result};

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

/// State of an `izhikevich2006` projection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Izhikevich2006State {
    pub(super) params: Izhikevich2006Params,
    pub(super) every: u64,
    pub(super) decay: DecayTable,
    /// Weight derivative per synapse (the eligibility trace of `reward_stdp`).
    pub sd: Vec<f64>,
    /// `reward_stdp`: the dopamine that gates the weight updates (`None`: `izhikevich2006`).
    #[serde(default)]
    pub dopamine: Option<reward::Dopamine>,
}

impl Izhikevich2006State {
    /// The state for `m` synapses (with dopamine: `reward_stdp`).
    pub(super) fn with(
        p: &Izhikevich2006Params,
        m: usize,
        dt: f64,
        dopamine: Option<reward::Dopamine>,
    ) -> Self {
        Izhikevich2006State {
            every: (p.update_every_ms / dt).round() as u64,
            decay: DecayTable::new(dt / p.tau),
            params: p.clone(),
            sd: vec![0.0; m],
            dopamine,
        }
    }
}

impl SynapseRule for Izhikevich2006State {
    type Params = Izhikevich2006Params;

    fn validate(p: &Izhikevich2006Params, path: &str, dt: f64) -> Result<()> {
        super::check_time_constants(path, &[("tau", p.tau)])?;
        ensure!(
            p.w_min.is_finite() && p.w_max.is_finite() && p.w_min <= p.w_max,
            format!("{path}.w_max"),
            "needs w_min ≤ w_max, got [{}, {}]",
            p.w_min,
            p.w_max
        );
        let key = format!("{path}.update_every_ms");
        let every = crate::spiking::source::whole_steps(&key, p.update_every_ms, dt)?;
        ensure!(every >= 1, key, "must be at least one step (dt = {dt} ms)");
        super::check_finite(
            path,
            &[
                ("a_plus", p.a_plus),
                ("a_minus", p.a_minus),
                ("bias", p.bias),
                ("decay", p.decay),
            ],
        )
    }

    fn w_min(p: &Izhikevich2006Params) -> f64 {
        p.w_min
    }

    fn new(
        p: &Izhikevich2006Params,
        synapses: &mut Synapses,
        dt: f64,
        _rng: crate::rng::Rng,
    ) -> Self {
        Izhikevich2006State::with(p, synapses.len(), dt, None)
    }

    fn on_arrivals(&mut self, cx: Arrivals<'_>, add: &mut impl FnMut(u32, f64)) {
        let a_minus = self.params.a_minus;
        let (t, last_arrival, last_post) = (cx.t, cx.last_arrival, cx.last_post);
        let (sd, decay) = (&mut self.sd, &self.decay);
        let synapses = &*cx.synapses;
        synapses.arrivals(t, cx.ring, |s, j| {
            add(j, synapses.weight(s));
            // spnet registers a spike at the start of the step after v crossed 30 and sets
            // LTD = A− then: the post trace is A− on the first step after ours
            let since = match last_post[j as usize] {
                NEVER => NEVER,
                tp => tp + 1,
            };
            sd[s] -= a_minus * decay.between(since, t);
            last_arrival[s] = t;
        });
    }

    fn after_step(&mut self, cx: PostSpikes<'_>) {
        let a_plus = self.params.a_plus;
        for &j in cx.spikes {
            for &s in cx.incoming.of_post(j as usize) {
                let s = s as usize;
                self.sd[s] += a_plus * self.decay.between(cx.last_arrival[s], cx.t);
            }
            cx.last_post[j as usize] = cx.t;
        }
        if let Some(da) = &mut self.dopamine {
            da.step();
        }
        if (cx.t + 1) % self.every == 0 {
            let p = &self.params;
            // izhikevich2006: w + bias + sd; reward_stdp: w + (tonic + d)·sd (the factor 1
            // and bias 0 leave the other form bit-exact)
            let (bias, f) = self
                .dopamine
                .as_ref()
                .map_or((p.bias, 1.0), |da| (0.0, da.factor()));
            for (w, sd) in cx.synapses.weights_mut().iter_mut().zip(&mut self.sd) {
                *w = (*w + bias + f * *sd).clamp(p.w_min, p.w_max);
                *sd *= p.decay;
            }
        }
    }

    fn reward(&mut self, amount: f64) -> bool {
        match &mut self.dopamine {
            Some(da) => {
                da.level += amount;
                true
            }
            None => false,
        }
    }

    fn takes_reward(&self) -> bool {
        self.dopamine.is_some()
    }

    fn bytes(&self) -> usize {
        8 * (self.sd.len() + self.decay.table.len())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{reward, Plasticity, PlasticitySpec, RewardStdpParams, RuleState};
    use super::*;
    use crate::spiking::projection::SpikeRing;

    fn sd(p: &Plasticity) -> f64 {
        match &p.rule {
            RuleState::Izhikevich2006(st) => st.sd[0],
            RuleState::RewardStdp(st) => st.0.sd[0],
            _ => unreachable!(),
        }
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
