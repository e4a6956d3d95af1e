//! Neurapse's plastic synapses (udion/Neurapse `0dc82ed`: `Synapses.py`, and `Networks.py`
//! `DRN_Plastic`, which applies the second one). Both are multiplicative: a change is a
//! fraction of the current weight. Steps are ours: a spike of our step `s` is Neurapse's
//! marker in trace column `s + 1` (see `neuron/lif.rs`).
//!
//! ## `neurapse_a`: `PLASTIC_SYNAPSE_A` (EE746 HW2 problems 3–4, tempotron-like)
//!
//! `weight_update(gamma, Δt, upd_coeff)`, with `s = exp(−Δt/tau) − exp(−Δt/tau_s)`:
//! `w ← w + upd_coeff·w·gamma·s`. **Clipping quirk** (kept): a decrease (`upd_coeff = −1`) of a
//! weight that is already `≤ w_floor` sets it to `w_floor` instead of decreasing it, and an
//! increase of a weight already `≥ w_cap` sets it to `w_cap`; the update itself is never
//! clipped, so a weight can step past a bound and is pulled back only by the next update in
//! the same direction (and a weight below the floor still increases normally). Upstream's
//! bounds are the literals 1 and 500, in units of I0 (the HW text says floor 10, cap 500).
//!
//! Upstream calls it from a training loop (`HW2_4.py`): at each postsynaptic spike, the
//! synapse whose last presynaptic spike is nearest before it (strictly) is updated with
//! `Δt = t_post − t_pre`. Here the same happens online at every postsynaptic spike of step
//! `t`, with Δt counted from the last arrival strictly before `t` (`t − a` steps;
//! `nearest_only = false` updates every incoming synapse that has had an arrival). Ties go
//! to the first synapse in storage order (lowest presynaptic index), like upstream's `argmin`.
//! Upstream's HW2 synapses have no delay, so there arrival = spike.
//!
//! ## `neurapse_b`: `PLASTIC_SYNAPSE_B` as `DRN_Plastic` applies it (HW3 problems 4–5)
//!
//! "Upstream" (potentiation) at a spike of the postsynaptic neuron, for every incoming
//! synapse: `w ← w + w·A_up·gamma·exp(−Δ·dt/tau_l)`, Δ in steps since the synapse's last
//! arrival. "Downstream" (depression, `A_dn < 0`) for a presynaptic spike:
//! `w ← w + w·A_dn·gamma·exp(−Δ·dt/tau_l)`, Δ since a postsynaptic spike. No bounds.
//! Defaults are `example_DRN.py`'s (`A_up = 0.01`, `A_dn = −0.07`, `tau_l = 20` ms; HW3 gives
//! `A_down = −0.02`), `gamma = 1` (`DRN_Plastic` passes the network's γ, 0.4 in the example).
//!
//! `upstream_bugs = true` (default) reproduces `DRN_Plastic`'s pairing step for step:
//! * potentiation at a postsynaptic spike of step `t` pairs with the last arrival `a ≤ t − 2`
//!   and uses `Δ = t − a − 1`: upstream compares its loop index `t` with trace columns (one
//!   ahead) and its slice `V[:t − d]` stops one column short;
//! * depression pairs with the **first** spike ever of the postsynaptic neuron, `s₁`, instead
//!   of its last, and uses `delayed_t = e + int(τd // τd) = e + 1` instead of `e + delay`
//!   (`e`: the emission step; only spikes `s₁ ≤ e − 2` count): `Δ = e − s₁`. Since `Δ` only
//!   grows after a neuron's first spike, depression fades within ~`5·tau_l` of it and the
//!   weights drift upward.
//!
//! `upstream_bugs = false`: potentiation with the last arrival `a ≤ t`, `Δ = t − a`
//! (simultaneous counts as pre before post, as for the other rules); depression when the
//! spike arrives (step `a`), with the last postsynaptic spike before it, `Δ = a − s_last`.
//!
//! Differences that remain with `upstream_bugs = true`: the depression of a spike is applied
//! when it arrives (upstream: when it is emitted; the pairing is computed from the emission
//! step, only its effect waits for the delay); in the first `delay` steps of a run upstream's
//! slice `V[:t − d]` has a negative end and wraps around, pairing a post spike with
//! presynaptic spikes that have not arrived yet (Δ < 0), which is not reproduced; and a
//! presynaptic neuron that arrives at both `t − 1` and `t` (impossible with a refractory
//! neuron) is paired with neither.

use serde::{Deserialize, Serialize};

use super::{Arrivals, DecayTable, PostSpikes, SynapseRule, NEVER};
use crate::spiking::projection::Synapses;
use crate::{ensure, Result};

/// Parameters of the `neurapse_a` rule (`PLASTIC_SYNAPSE_A`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NeurapseAParams {
    /// Slow time constant of the update window, ms.
    pub tau: f64,
    /// Fast time constant of the update window, ms.
    pub tau_s: f64,
    /// Learning rate (upstream's `gamma` argument).
    pub gamma: f64,
    /// +1: increase (HW2 problem 3), −1: decrease (problem 4, the default: the use driven by
    /// postsynaptic spikes).
    pub upd_coeff: i32,
    /// A decrease of a weight already at or below this sets it to this (upstream: 1).
    pub w_floor: f64,
    /// An increase of a weight already at or above this sets it to this (upstream: 500).
    pub w_cap: f64,
    /// Update only the synapse with the latest arrival before the postsynaptic spike
    /// (upstream's training loop); `false`: every incoming synapse with an arrival.
    pub nearest_only: bool,
}

impl Default for NeurapseAParams {
    fn default() -> Self {
        NeurapseAParams {
            tau: 15.0,
            tau_s: 3.75,
            gamma: 1.0,
            upd_coeff: -1,
            w_floor: 1.0,
            w_cap: 500.0,
            nearest_only: true,
        }
    }
}

impl NeurapseAParams {
    /// Check the parameters; `path` is the key path of the rule table.
    pub fn validate(&self, path: &str) -> Result<()> {
        for (k, v) in [("tau", self.tau), ("tau_s", self.tau_s)] {
            ensure!(
                v.is_finite() && v > 0.0,
                format!("{path}.{k}"),
                "must be > 0 ms, got {v}"
            );
        }
        ensure!(
            self.gamma.is_finite(),
            format!("{path}.gamma"),
            "must be finite, got {}",
            self.gamma
        );
        ensure!(
            self.upd_coeff == 1 || self.upd_coeff == -1,
            format!("{path}.upd_coeff"),
            "bad value {}; allowed: 1 (increase) or -1 (decrease)",
            self.upd_coeff
        );
        ensure!(
            self.w_floor.is_finite() && self.w_cap.is_finite() && self.w_floor <= self.w_cap,
            format!("{path}.w_cap"),
            "needs w_floor ≤ w_cap, got [{}, {}]",
            self.w_floor,
            self.w_cap
        );
        Ok(())
    }

    /// A lower bound of the weights the rule can produce from weights ≥ 0: 0 when an update
    /// cannot change a weight's sign (`|gamma| < 1`, as `|s| < 1`), else −∞.
    pub fn w_min(&self) -> f64 {
        if self.gamma.abs() < 1.0 {
            0.0
        } else {
            f64::NEG_INFINITY
        }
    }
}

/// Upstream's `PLASTIC_SYNAPSE_A.weight_update`: the new weight for window value `s`
/// (`exp(−Δt/τ) − exp(−Δt/τs)`), with the clipping quirk.
pub fn weight_update_a(w: f64, gamma: f64, s: f64, upd_coeff: i32, floor: f64, cap: f64) -> f64 {
    if upd_coeff < 0 {
        if w <= floor {
            floor
        } else {
            w - w * gamma * s
        }
    } else if w >= cap {
        cap
    } else {
        w + w * gamma * s
    }
}

/// Parameters of the `neurapse_b` rule (`PLASTIC_SYNAPSE_B` as `DRN_Plastic` uses it).
#[allow(non_snake_case)] // reason: upstream's names (A_up, A_dn) are the public keys
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NeurapseBParams {
    /// Potentiation amplitude (fraction of the weight).
    pub A_up: f64,
    /// Depression amplitude (fraction of the weight, negative for depression).
    pub A_dn: f64,
    /// Time constant of the pairing window, ms.
    pub tau_l: f64,
    /// Factor on both amplitudes (`DRN_Plastic`'s γ).
    pub gamma: f64,
    /// Reproduce `DRN_Plastic`'s pairing bugs (see the module docs); `false` pairs each
    /// postsynaptic spike with the last arrival and each arrival with the last postsynaptic
    /// spike.
    pub upstream_bugs: bool,
}

impl Default for NeurapseBParams {
    fn default() -> Self {
        NeurapseBParams {
            A_up: 0.01,
            A_dn: -0.07,
            tau_l: 20.0,
            gamma: 1.0,
            upstream_bugs: true,
        }
    }
}

impl NeurapseBParams {
    /// Check the parameters; `path` is the key path of the rule table.
    pub fn validate(&self, path: &str) -> Result<()> {
        ensure!(
            self.tau_l.is_finite() && self.tau_l > 0.0,
            format!("{path}.tau_l"),
            "must be > 0 ms, got {}",
            self.tau_l
        );
        for (k, v) in [
            ("A_up", self.A_up),
            ("A_dn", self.A_dn),
            ("gamma", self.gamma),
        ] {
            ensure!(
                v.is_finite(),
                format!("{path}.{k}"),
                "must be finite, got {v}"
            );
        }
        Ok(())
    }

    /// A lower bound of the weights the rule can produce from weights ≥ 0: 0 when no update
    /// can change a weight's sign (`|A·gamma| < 1`; the window factor is ≤ 1), else −∞. There
    /// are no bounds otherwise.
    pub fn w_min(&self) -> f64 {
        if (self.A_up * self.gamma).abs() < 1.0 && (self.A_dn * self.gamma).abs() < 1.0 {
            0.0
        } else {
            f64::NEG_INFINITY
        }
    }
}

/// The later of a synapse's last two arrivals that is at most `limit` ([`NEVER`] if none).
#[inline]
fn arrival_at_most(last: u64, prev: u64, limit: u64) -> u64 {
    if last != NEVER && last <= limit {
        last
    } else if prev != NEVER && prev <= limit {
        prev
    } else {
        NEVER
    }
}

/// State of a `neurapse_a` projection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeurapseAState {
    params: NeurapseAParams,
    slow: DecayTable,
    fast: DecayTable,
    /// The arrival before each synapse's last one (a post spike pairs with arrivals strictly
    /// before it, and the last arrival may be in the same step).
    prev_arrival: Vec<u64>,
}

impl SynapseRule for NeurapseAState {
    type Params = NeurapseAParams;

    fn validate(p: &NeurapseAParams, path: &str, _dt: f64) -> Result<()> {
        p.validate(path)
    }

    fn w_min(p: &NeurapseAParams) -> f64 {
        p.w_min()
    }

    fn new(
        p: &NeurapseAParams,
        synapses: &mut Synapses,
        dt: f64,
        _rng: crate::rng::Rng,
    ) -> NeurapseAState {
        NeurapseAState {
            params: p.clone(),
            slow: DecayTable::new(dt / p.tau),
            fast: DecayTable::new(dt / p.tau_s),
            prev_arrival: vec![NEVER; synapses.len()],
        }
    }

    fn bytes(&self) -> usize {
        8 * (self.prev_arrival.len() + self.slow.table.len() + self.fast.table.len())
    }

    /// Arrivals: deliver, remember the arrival.
    fn on_arrivals(&mut self, cx: Arrivals<'_>, add: &mut impl FnMut(u32, f64)) {
        let (t, prev, last_arrival) = (cx.t, &mut self.prev_arrival, cx.last_arrival);
        let synapses = &*cx.synapses;
        synapses.arrivals(t, cx.ring, |s, j| {
            add(j, synapses.weight(s));
            prev[s] = last_arrival[s];
            last_arrival[s] = t;
        });
    }

    /// Postsynaptic spikes of step `t`: update the nearest (or every) synapse with an arrival
    /// strictly before `t`.
    fn after_step(&mut self, cx: PostSpikes<'_>) {
        let p = &self.params;
        let t = cx.t;
        let weights = cx.synapses.weights_mut();
        for &j in cx.spikes {
            let j = j as usize;
            cx.last_post[j] = t;
            let Some(limit) = t.checked_sub(1) else {
                continue;
            };
            let syns = cx.incoming.of_post(j);
            let mut update = |s: usize, a: u64| {
                let win = self.slow.between(a, t) - self.fast.between(a, t);
                weights[s] =
                    weight_update_a(weights[s], p.gamma, win, p.upd_coeff, p.w_floor, p.w_cap);
            };
            let arrival =
                |s: usize| arrival_at_most(cx.last_arrival[s], self.prev_arrival[s], limit);
            if p.nearest_only {
                let mut best: Option<(usize, u64)> = None;
                for &s in syns {
                    let a = arrival(s as usize);
                    if a != NEVER && best.is_none_or(|(_, b)| a > b) {
                        best = Some((s as usize, a));
                    }
                }
                if let Some((s, a)) = best {
                    update(s, a);
                }
            } else {
                for &s in syns {
                    let a = arrival(s as usize);
                    if a != NEVER {
                        update(s as usize, a);
                    }
                }
            }
        }
    }
}

/// State of a `neurapse_b` projection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeurapseBState {
    params: NeurapseBParams,
    decay: DecayTable,
    /// The arrival before each synapse's last one (upstream pairs with arrivals ≤ t − 2).
    prev_arrival: Vec<u64>,
    /// Each postsynaptic neuron's first spike (upstream's depression uses it).
    first_post: Vec<u64>,
}

impl SynapseRule for NeurapseBState {
    type Params = NeurapseBParams;

    fn validate(p: &NeurapseBParams, path: &str, _dt: f64) -> Result<()> {
        p.validate(path)
    }

    fn w_min(p: &NeurapseBParams) -> f64 {
        p.w_min()
    }

    fn new(p: &NeurapseBParams, synapses: &mut Synapses, dt: f64, _rng: crate::rng::Rng) -> Self {
        NeurapseBState {
            params: p.clone(),
            decay: DecayTable::new(dt / p.tau_l),
            prev_arrival: vec![NEVER; synapses.len()],
            first_post: vec![NEVER; synapses.n_post()],
        }
    }

    fn bytes(&self) -> usize {
        8 * (self.prev_arrival.len() + self.first_post.len() + self.decay.table.len())
    }

    /// Arrivals: deliver, then depression (see the module docs for the pairing).
    fn on_arrivals(&mut self, cx: Arrivals<'_>, add: &mut impl FnMut(u32, f64)) {
        let a_dn = self.params.A_dn * self.params.gamma;
        let bugs = self.params.upstream_bugs;
        let (t, last_arrival, last_post) = (cx.t, cx.last_arrival, cx.last_post);
        let (decay, prev, first) = (&self.decay, &mut self.prev_arrival, &self.first_post);
        cx.synapses.arrivals_delayed_mut(t, cx.ring, |s, j, d, w| {
            add(j, *w);
            let j = j as usize;
            let pair = if bugs {
                // emitted at e; Δ = (e + 1) − (s₁ + 1) with s₁ the first spike, column ≤ e − 1
                let e = t - u64::from(d);
                (first[j] != NEVER && first[j] + 2 <= e).then(|| decay.between(first[j], e))
            } else {
                (last_post[j] != NEVER).then(|| decay.between(last_post[j], t))
            };
            if let Some(f) = pair {
                *w += *w * a_dn * f;
            }
            prev[s] = last_arrival[s];
            last_arrival[s] = t;
        });
    }

    /// Postsynaptic spikes of step `t`: potentiation of every incoming synapse that has had
    /// an arrival (see the module docs for the pairing).
    fn after_step(&mut self, cx: PostSpikes<'_>) {
        let a_up = self.params.A_up * self.params.gamma;
        let bugs = self.params.upstream_bugs;
        let t = cx.t;
        let weights = cx.synapses.weights_mut();
        for &j in cx.spikes {
            let j = j as usize;
            if self.first_post[j] == NEVER {
                self.first_post[j] = t;
            }
            cx.last_post[j] = t;
            for &s in cx.incoming.of_post(j) {
                let s = s as usize;
                let f = if bugs {
                    // last arrival a ≤ t − 2 (column a + 1 < t − d + d), Δ = t − (a + 1)
                    match t.checked_sub(2) {
                        Some(limit) => {
                            let a =
                                arrival_at_most(cx.last_arrival[s], self.prev_arrival[s], limit);
                            if a == NEVER {
                                continue;
                            }
                            self.decay.between(a + 1, t)
                        }
                        None => continue,
                    }
                } else {
                    if cx.last_arrival[s] == NEVER {
                        continue;
                    }
                    self.decay.between(cx.last_arrival[s], t)
                };
                weights[s] += weights[s] * a_up * f;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Plasticity, PlasticitySpec};
    use super::*;
    use crate::spiking::projection::SpikeRing;

    /// One synapse (delay `delay` steps) with presynaptic spikes emitted at `pre` and
    /// postsynaptic spikes at `post`; returns the weight after `steps` steps.
    fn run(
        spec: PlasticitySpec,
        w0: f64,
        delay: u32,
        pre: &[u64],
        post: &[u64],
        steps: u64,
    ) -> f64 {
        let mut syn = Synapses::new(1, 1, &[0], &[0], &[w0], &[delay]);
        let mut p = Plasticity::new(&spec, &mut syn, 0.1);
        let mut ring = SpikeRing::new(delay as usize + 1, 1);
        for t in 0..steps {
            p.deliver(&mut syn, t, &ring, |_, _| {});
            let fired: &[u32] = if pre.contains(&t) { &[0] } else { &[] };
            ring.store(t, fired);
            let spiked: &[u32] = if post.contains(&t) { &[0] } else { &[] };
            p.after_step(&mut syn, t, spiked);
        }
        syn.weights()[0]
    }

    fn b(bugs: bool) -> PlasticitySpec {
        PlasticitySpec::NeurapseB(NeurapseBParams {
            gamma: 0.4,
            upstream_bugs: bugs,
            ..Default::default()
        })
    }

    fn close(got: f64, want: f64) {
        assert!((got - want).abs() <= 1e-12 * want.abs(), "{got} vs {want}");
    }

    /// `neurapse_b` corrected: potentiation `w·A_up·γ·e^{−Δ·dt/τL}` with Δ = post − arrival
    /// (≥ 0), depression `w·A_dn·γ·e^{−Δ·dt/τL}` with Δ = arrival − last post.
    #[test]
    fn neurapse_b_corrected_pairs() {
        let (a_up, a_dn, g) = (0.01, -0.07, 0.4);
        let k = |steps: f64| (-steps * 0.1 / 20.0f64).exp();
        // spike at 10, delay 5 → arrival 15; post at 15 + Δ
        for delta in [0u64, 1, 7, 50, 300] {
            let w = run(b(false), 1200.0, 5, &[10], &[15 + delta], 400);
            close(w, 1200.0 * (1.0 + a_up * g * k(delta as f64)));
        }
        // post at 20, spike at 30, delay 5 → arrival 35: depression with Δ = 15
        let w = run(b(false), 1200.0, 5, &[30], &[20], 400);
        close(w, 1200.0 * (1.0 + a_dn * g * k(15.0)));
        // both: post 20, arrival 35 (depression), post 60 (potentiation, Δ = 25)
        let w = run(b(false), 1200.0, 5, &[30], &[20, 60], 400);
        close(
            w,
            1200.0 * (1.0 + a_dn * g * k(15.0)) * (1.0 + a_up * g * k(25.0)),
        );
    }

    /// `neurapse_b` with upstream's bugs, hand-computed from `DRN_Plastic`:
    /// potentiation with the last arrival a ≤ t − 2 and Δ = t − a − 1; depression with the
    /// first post spike s₁ ≤ e − 2 and Δ = e − s₁ (e = emission step, not the arrival).
    #[test]
    fn neurapse_b_upstream_pairs() {
        let (a_up, a_dn, g) = (0.01, -0.07, 0.4);
        let k = |steps: f64| (-steps * 0.1 / 20.0f64).exp();
        // spike 10, delay 5, arrival 15: a post spike at 15 or 16 does not see it
        for post in [15u64, 16] {
            assert_eq!(run(b(true), 1200.0, 5, &[10], &[post], 400), 1200.0);
        }
        for delta in [2u64, 3, 40] {
            let w = run(b(true), 1200.0, 5, &[10], &[15 + delta], 400);
            close(w, 1200.0 * (1.0 + a_up * g * k(delta as f64 - 1.0)));
        }
        // a second arrival one step before the post spike: paired with the first one
        let w = run(b(true), 1200.0, 5, &[10, 50], &[56], 400);
        close(w, 1200.0 * (1.0 + a_up * g * k(56.0 - 15.0 - 1.0)));
        // depression: first post spike 20, later post 28; spike at 30 (delay 5):
        // Δ = 30 − 20 from the *first* post spike and the emission step
        let w = run(b(true), 1200.0, 5, &[30], &[20, 28], 400);
        close(w, 1200.0 * (1.0 + a_dn * g * k(10.0)));
        // a post spike at e − 1 is too late to count
        assert_eq!(run(b(true), 1200.0, 5, &[30], &[29], 400), 1200.0);
        close(
            run(b(true), 1200.0, 5, &[30], &[28], 400),
            1200.0 * (1.0 + a_dn * g * k(2.0)),
        );
    }

    /// No bounds: repeated pairings multiply the weight without limit (and a negative weight
    /// grows in magnitude).
    #[test]
    fn neurapse_b_has_no_bounds() {
        let spec = PlasticitySpec::NeurapseB(NeurapseBParams {
            A_up: 0.5,
            A_dn: 0.0,
            upstream_bugs: false,
            ..Default::default()
        });
        let pre: Vec<u64> = (0..40).map(|i| 100 * i).collect();
        let post: Vec<u64> = pre.iter().map(|t| t + 1).collect();
        let w = run(spec.clone(), 10.0, 1, &pre, &post, 4000);
        close(w, 10.0 * 1.5f64.powi(40));
        assert!(w > 1e7);
        let w = run(spec, -10.0, 1, &pre, &post, 4000);
        close(w, -10.0 * 1.5f64.powi(40));
    }

    fn a(upd_coeff: i32, nearest_only: bool) -> PlasticitySpec {
        PlasticitySpec::NeurapseA(NeurapseAParams {
            upd_coeff,
            nearest_only,
            ..Default::default()
        })
    }

    /// `neurapse_a`: Δw = ±w·γ·(e^{−Δt/τ} − e^{−Δt/τs}) with Δt = post − arrival > 0.
    #[test]
    fn neurapse_a_window() {
        let s = |steps: f64| (-steps * 0.1 / 15.0f64).exp() - (-steps * 0.1 / 3.75f64).exp();
        for delta in [1u64, 10, 69, 200] {
            // spike at 10, delay 1 → arrival 11
            let w = run(a(-1, true), 100.0, 1, &[10], &[11 + delta], 400);
            close(w, 100.0 * (1.0 - s(delta as f64)));
            let w = run(a(1, true), 100.0, 1, &[10], &[11 + delta], 400);
            close(w, 100.0 * (1.0 + s(delta as f64)));
        }
        // arrival in the same step as the post spike: not before it, no change
        assert_eq!(run(a(-1, true), 100.0, 1, &[10], &[11], 400), 100.0);
    }

    /// The clipping quirk: a decrease of w ≤ 1 sets w = 1, an increase of w ≥ 500 sets
    /// w = 500, but a single update can overshoot either bound.
    #[test]
    fn neurapse_a_clipping_quirk() {
        assert_eq!(weight_update_a(0.5, 1.0, 0.3, -1, 1.0, 500.0), 1.0);
        assert_eq!(weight_update_a(1.0, 1.0, 0.3, -1, 1.0, 500.0), 1.0);
        assert_eq!(weight_update_a(600.0, 1.0, 0.3, 1, 1.0, 500.0), 500.0);
        // below the floor an increase is an ordinary update, above the cap a decrease too
        close(weight_update_a(0.5, 1.0, 0.2, 1, 1.0, 500.0), 0.6);
        assert_eq!(weight_update_a(600.0, 1.0, 0.5, -1, 1.0, 500.0), 300.0);
        // overshoot: 1.2 → 1.2·(1 − 0.9) = 0.12 < 1, then the next decrease resets to 1
        let w = weight_update_a(1.2, 1.0, 0.9, -1, 1.0, 500.0);
        assert!((w - 0.12).abs() < 1e-15);
        assert_eq!(weight_update_a(w, 1.0, 0.9, -1, 1.0, 500.0), 1.0);
        let w = weight_update_a(499.0, 1.0, 0.4, 1, 1.0, 500.0);
        assert!((w - 698.6).abs() < 1e-9);
        assert_eq!(weight_update_a(w, 1.0, 0.4, 1, 1.0, 500.0), 500.0);
        // in a run: post spikes right after arrivals push a weight of 1.05 down twice
        let pre: Vec<u64> = vec![10, 100];
        let post: Vec<u64> = vec![11 + 69, 101 + 69];
        let peak = (-6.9 / 15.0f64).exp() - (-6.9 / 3.75f64).exp();
        let once = 1.05 * (1.0 - peak);
        assert!(once < 1.0);
        close(run(a(-1, true), 1.05, 1, &pre, &post[..1], 400), once);
        assert_eq!(run(a(-1, true), 1.05, 1, &pre, &post, 400), 1.0);
    }

    /// `nearest_only` picks the synapse with the latest arrival; otherwise all are updated.
    #[test]
    fn neurapse_a_nearest_synapse() {
        let go = |nearest: bool| {
            let mut syn = Synapses::new(2, 1, &[0, 1], &[0, 0], &[100.0, 100.0], &[1, 1]);
            let mut p = Plasticity::new(&a(-1, nearest), &mut syn, 0.1);
            let mut ring = SpikeRing::new(2, 2);
            for t in 0..100u64 {
                p.deliver(&mut syn, t, &ring, |_, _| {});
                let fired: &[u32] = match t {
                    10 => &[0],
                    20 => &[1],
                    _ => &[],
                };
                ring.store(t, fired);
                let spiked: &[u32] = if t == 40 { &[0] } else { &[] };
                p.after_step(&mut syn, t, spiked);
            }
            syn.weights().to_vec()
        };
        let s = |steps: f64| (-steps * 0.1 / 15.0f64).exp() - (-steps * 0.1 / 3.75f64).exp();
        let (near, all) = (go(true), go(false));
        assert_eq!(near[0], 100.0);
        close(near[1], 100.0 * (1.0 - s(19.0)));
        close(all[0], 100.0 * (1.0 - s(29.0)));
        close(all[1], 100.0 * (1.0 - s(19.0)));
    }
}
