//! `pair_stdp` (Song, Miller & Abbott 2000; Brian2's STDP example).
//!
//! A presynaptic trace per synapse (decay `tau_plus`) and a postsynaptic trace per neuron
//! (decay `tau_minus`). On an arrival at synapse s: the weight is delivered, then
//! `pre_s ← pre_s + a_plus` (`all_to_all`) or `pre_s ← a_plus` (`nearest`), and
//! `w_s ← clip(w_s + f₋(w_s)·post_j)`. On a spike of j: `post_j ← post_j + a_minus` (or
//! `a_minus`), and `w_s ← clip(w_s + f₊(w_s)·pre_s)` for every incoming s. Weight dependence:
//! `additive` f± = 1; `multiplicative` f₊ = (w_max − w)/(w_max − w_min), f₋ = (w − w_min)/(w_max −
//! w_min). `a_minus` is negative for depression (Brian2's `dApost`). Defaults are Song 2000 as
//! in Brian2's example for g_max = 0.01: τ± 20 ms, a_plus 1e−4, a_minus −1.05e−4, w ∈ [0, 0.01].

use serde::{Deserialize, Serialize};

use super::{Arrivals, DecayTable, PostSpikes, SynapseRule};
use crate::spiking::projection::Synapses;
use crate::{ensure, Result};

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

impl SynapseRule for PairStdpState {
    type Params = PairStdpParams;

    fn validate(p: &PairStdpParams, path: &str, _dt: f64) -> Result<()> {
        super::check_time_constants(
            path,
            &[("tau_plus", p.tau_plus), ("tau_minus", p.tau_minus)],
        )?;
        super::check_finite(path, &[("a_plus", p.a_plus), ("a_minus", p.a_minus)])?;
        ensure!(
            p.w_min.is_finite() && p.w_max.is_finite() && p.w_min < p.w_max,
            format!("{path}.w_max"),
            "needs w_min < w_max, got [{}, {}]",
            p.w_min,
            p.w_max
        );
        Ok(())
    }

    fn w_min(p: &PairStdpParams) -> f64 {
        p.w_min
    }

    fn new(p: &PairStdpParams, synapses: &mut Synapses, dt: f64, _rng: crate::rng::Rng) -> Self {
        PairStdpState {
            plus: DecayTable::new(dt / p.tau_plus),
            minus: DecayTable::new(dt / p.tau_minus),
            params: p.clone(),
            pre: vec![0.0; synapses.len()],
            post: vec![0.0; synapses.n_post()],
        }
    }

    fn on_arrivals(&mut self, cx: Arrivals<'_>, add: &mut impl FnMut(u32, f64)) {
        let p = &self.params;
        let span = p.w_max - p.w_min;
        let (t, last_arrival, last_post) = (cx.t, cx.last_arrival, cx.last_post);
        let (pre, post, plus, minus) = (&mut self.pre, &self.post, &self.plus, &self.minus);
        cx.synapses.arrivals_mut(t, cx.ring, |s, j, w| {
            add(j, *w);
            let decayed = pre[s] * plus.between(last_arrival[s], t);
            pre[s] = match p.traces {
                TraceMode::AllToAll => decayed + p.a_plus,
                TraceMode::Nearest => p.a_plus,
            };
            last_arrival[s] = t;
            let post = post[j as usize] * minus.between(last_post[j as usize], t);
            let f = match p.weight_dependence {
                WeightDependence::Additive => 1.0,
                WeightDependence::Multiplicative => (*w - p.w_min) / span,
            };
            *w = (*w + f * post).clamp(p.w_min, p.w_max);
        });
    }

    fn after_step(&mut self, cx: PostSpikes<'_>) {
        if cx.spikes.is_empty() {
            return;
        }
        let p = &self.params;
        let span = p.w_max - p.w_min;
        let weights = cx.synapses.weights_mut();
        for &j in cx.spikes {
            let j = j as usize;
            let decayed = self.post[j] * self.minus.between(cx.last_post[j], cx.t);
            self.post[j] = match p.traces {
                TraceMode::AllToAll => decayed + p.a_minus,
                TraceMode::Nearest => p.a_minus,
            };
            cx.last_post[j] = cx.t;
            for &s in cx.incoming.of_post(j) {
                let s = s as usize;
                let pre = self.pre[s] * self.plus.between(cx.last_arrival[s], cx.t);
                let w = &mut weights[s];
                let f = match p.weight_dependence {
                    WeightDependence::Additive => 1.0,
                    WeightDependence::Multiplicative => (p.w_max - *w) / span,
                };
                *w = (*w + f * pre).clamp(p.w_min, p.w_max);
            }
        }
    }

    fn bytes(&self) -> usize {
        8 * (self.pre.len() + self.post.len() + self.plus.table.len() + self.minus.table.len())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Plasticity, PlasticitySpec};
    use super::*;
    use crate::spiking::projection::SpikeRing;

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
}
