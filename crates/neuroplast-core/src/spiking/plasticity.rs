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
//! `pre_s = a_plus` and `sd_s −= post_j` (post trace `a_minus·exp(−Δ/τ)` since j's last
//! spike); on a spike of j, `post_j = a_minus` and `sd_s += pre_s` for every incoming s.
//! Every `update_every_ms`: `w = clip(w + bias + sd, w_min, w_max)`, `sd ← decay·sd`.
//! Defaults are spnet's: a_plus 0.1, a_minus 0.12, τ 20 ms, bias 0.01, decay 0.9, every
//! 1000 ms, w ∈ [0, 10].

use serde::{Deserialize, Serialize};

use super::projection::{SpikeRing, Synapses};
use crate::{ensure, Result};

/// A plasticity rule and its parameters, as written in experiment files
/// (`plasticity = { kind = "izhikevich2006", … }`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PlasticitySpec {
    /// Izhikevich 2006 STDP with a slow weight-derivative update (see the module docs).
    Izhikevich2006(Izhikevich2006Params),
}

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
            tau: 20.0,
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
                let every = p.update_every_ms / dt;
                ensure!(
                    every.is_finite()
                        && every >= 1.0
                        && (every - every.round()).abs() < 1e-9 * every,
                    format!("{path}.update_every_ms"),
                    "must be a whole number of steps ≥ 1 (dt = {dt} ms), got {}",
                    p.update_every_ms
                );
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
        }
    }
}

const NEVER: u64 = u64::MAX;

/// The state of a plastic projection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plasticity {
    params: Izhikevich2006Params,
    every: u64,
    /// exp(−k·dt/τ) for k < table length.
    decay_table: Vec<f64>,
    /// The table reaches exp's underflow to 0 (longer gaps decay to exactly 0).
    table_ends_in_zero: bool,
    dt_over_tau: f64,
    /// Weight derivative per synapse.
    pub sd: Vec<f64>,
    last_arrival: Vec<u64>,
    last_post: Vec<u64>,
    /// Transposed index: synapses of post j are `by_post[post_ptr[j]..post_ptr[j + 1]]`.
    post_ptr: Vec<u32>,
    by_post: Vec<u32>,
}

impl Plasticity {
    /// State for `synapses` under rule `spec` (validated).
    pub fn new(spec: &PlasticitySpec, synapses: &mut Synapses, dt: f64) -> Plasticity {
        // plastic weights are per synapse
        synapses.weights_mut();
        let PlasticitySpec::Izhikevich2006(p) = spec;
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
        let dt_over_tau = dt / p.tau;
        // exp(−k·dt/τ) for every k until it underflows to 0 (then the table ends with 0 and
        // longer gaps read 0, exactly what exp would return), at most 2¹⁶ entries
        let mut decay_table = Vec::new();
        loop {
            let x = (-(decay_table.len() as f64) * dt_over_tau).exp();
            decay_table.push(x);
            if x == 0.0 || decay_table.len() >= 1 << 16 {
                break;
            }
        }
        let table_ends_in_zero = decay_table.last() == Some(&0.0);
        Plasticity {
            every: (p.update_every_ms / dt).round() as u64,
            decay_table,
            table_ends_in_zero,
            dt_over_tau,
            params: p.clone(),
            sd: vec![0.0; m],
            last_arrival: vec![NEVER; m],
            last_post: vec![NEVER; n_post],
            post_ptr,
            by_post,
        }
    }

    #[inline]
    fn decay(&self, since: u64, now: u64) -> f64 {
        if since == NEVER {
            return 0.0;
        }
        let k = (now - since) as usize;
        match self.decay_table.get(k) {
            Some(&x) => x,
            None if self.table_ends_in_zero => 0.0,
            None => (-(k as f64) * self.dt_over_tau).exp(),
        }
    }

    /// Deliver the arrivals of step `t` (calling `add(post, w)`) and apply the arrival side of
    /// the rule.
    pub fn deliver(
        &mut self,
        synapses: &Synapses,
        t: u64,
        ring: &SpikeRing,
        mut add: impl FnMut(u32, f64),
    ) {
        let a_minus = self.params.a_minus;
        synapses.arrivals(t, ring, |s, j| {
            add(j, synapses.weight(s));
            let post = a_minus * self.decay(self.last_post[j as usize], t);
            self.sd[s] -= post;
            self.last_arrival[s] = t;
        });
    }

    /// Apply the post-spike side for the spikes of step `t`, then the periodic weight update.
    pub fn after_step(&mut self, synapses: &mut Synapses, t: u64, post_spikes: &[u32]) {
        let a_plus = self.params.a_plus;
        for &j in post_spikes {
            let (a, b) = (
                self.post_ptr[j as usize] as usize,
                self.post_ptr[j as usize + 1] as usize,
            );
            for k in a..b {
                let s = self.by_post[k] as usize;
                self.sd[s] += a_plus * self.decay(self.last_arrival[s], t);
            }
            self.last_post[j as usize] = t;
        }
        if (t + 1) % self.every == 0 {
            let p = &self.params;
            for (w, sd) in synapses.weights_mut().iter_mut().zip(&mut self.sd) {
                *w = (*w + p.bias + *sd).clamp(p.w_min, p.w_max);
                *sd *= p.decay;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One pre→post pair: pre arrives 5 steps before post → sd = +a_plus·e^{−5/20};
    /// then another arrival 3 steps after the post spike → sd −= a_minus·e^{−3/20}.
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
            p.deliver(&syn, t, &ring, |j, w| got.push((t, j, w)));
            let post: &[u32] = if t == 6 { &[0] } else { &[] };
            let pre: &[u32] = if t == 0 || t == 8 { &[0] } else { &[] };
            ring.store(t, pre);
            if t < 19 {
                p.after_step(&mut syn, t, post);
            }
        }
        assert_eq!(got, vec![(1, 0, 6.0), (9, 0, 6.0)]);
        let want = 0.1 * (-5.0f64 / 20.0).exp() - 0.12 * (-3.0f64 / 20.0).exp();
        assert!((p.sd[0] - want).abs() < 1e-15, "{} vs {want}", p.sd[0]);
        p.after_step(&mut syn, 19, &[]);
        assert!((syn.weights()[0] - (6.0 + 0.01 + want)).abs() < 1e-12);
        assert!((p.sd[0] - 0.9 * want).abs() < 1e-15);
    }
}
