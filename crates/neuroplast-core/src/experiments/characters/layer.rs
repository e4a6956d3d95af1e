//! The output layer of the characters protocol: its own small simulator (structure of arrays,
//! synapse index j·15 + i), stepped by the protocol's `Run`.

use serde::{Deserialize, Serialize};

use super::{
    resistance, stdp_delta_w, stdp_new_weight, tau_d, DendriteTau, Inhibition, Params, N_PIXELS,
};

/// The output layer: structure of arrays, synapse index j·15 + i.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Layer {
    pub(super) n: usize,
    pub(super) w: Vec<f64>,
    /// e^{−1/τd} per synapse.
    pub(super) decay_d: Vec<f64>,
    /// R_d·(1 − e^{−1/τd}) per synapse: the current added per unit weight by one pre spike.
    pub(super) gain_d: Vec<f64>,
    pub(super) i_d: Vec<f64>,
    pub(super) i_s: Vec<f64>,
    pub(super) p: Vec<f64>,
    /// First step at which the neuron integrates and may fire again.
    pub(super) active_from: Vec<i64>,
    pub(super) last_post: Vec<i64>,
    pub(super) last_pre: [i64; N_PIXELS],
    pub(super) fired: Vec<bool>,
    pub(super) any_fired: bool,
    pub(super) decay_m: f64,
    pub(super) decay_s: f64,
}

pub(super) const NEVER: i64 = i64::MIN / 4;

/// e^{−1/τd} and R_d·(1 − e^{−1/τd}) of every synapse from the weights `from`.
pub(super) fn set_dendrites(
    decay_d: &mut [f64],
    gain_d: &mut [f64],
    from: &[f64],
    p: &Params,
    r: fn(f64, &Params) -> f64,
) {
    for ((dec, gain), &w) in decay_d.iter_mut().zip(gain_d.iter_mut()).zip(from) {
        let td = tau_d(w, p);
        *dec = (-1.0 / td).exp();
        *gain = r(td, p) * (1.0 - *dec);
    }
}

impl Layer {
    pub(super) fn new(n: usize, w: Vec<f64>, p: &Params) -> Self {
        let mut l = Layer {
            n,
            w,
            decay_d: vec![0.0; n * N_PIXELS],
            gain_d: vec![0.0; n * N_PIXELS],
            i_d: vec![0.0; n * N_PIXELS],
            i_s: vec![0.0; n],
            p: vec![0.0; n],
            active_from: vec![NEVER; n],
            last_post: vec![NEVER; n],
            last_pre: [NEVER; N_PIXELS],
            fired: vec![false; n],
            any_fired: false,
            decay_m: (-1.0 / p.tau_m_ms).exp(),
            decay_s: (-1.0 / p.tau_s_ms).exp(),
        };
        set_dendrites(&mut l.decay_d, &mut l.gain_d, &l.w, p, resistance);
        l
    }

    /// Fresh dynamic state (weights and dendrite constants kept).
    pub(super) fn reset_state(&mut self) {
        self.i_d.fill(0.0);
        self.i_s.fill(0.0);
        self.p.fill(0.0);
        self.active_from.fill(NEVER);
        self.last_post.fill(NEVER);
        self.last_pre = [NEVER; N_PIXELS];
        self.fired.fill(false);
        self.any_fired = false;
    }

    /// One 1-ms step at step index `t` with the pre spikes `input`; the index of the neuron
    /// that fired, if any.
    pub(super) fn step(&mut self, t: i64, input: &[usize], p: &Params) -> Option<usize> {
        // Soma: integrate the currents of the previous step.
        let r_m = p.r_m;
        for j in 0..self.n {
            if t < self.active_from[j] {
                continue;
            }
            let row = &self.i_d[j * N_PIXELS..(j + 1) * N_PIXELS];
            let u_inf = r_m * (row.iter().sum::<f64>() + self.i_s[j]);
            self.p[j] = u_inf + (self.p[j] - u_inf) * self.decay_m;
        }
        // Winner-take-all: the largest P fires if ≥ θ and not refractory.
        let mut spike = None;
        let locked = p.inhibition == Inhibition::Interval && self.any_fired;
        if !locked {
            let mut m = 0;
            for j in 1..self.n {
                if self.p[j] > self.p[m] {
                    m = j;
                }
            }
            if self.p[m] >= p.threshold_mv && t >= self.active_from[m] {
                spike = Some(m);
                self.fired[m] = true;
                self.any_fired = true;
                self.last_post[m] = t;
                self.active_from[m] = t + i64::from(p.refractory_ms).max(1);
                if p.reset_on_spike {
                    self.p[m] = p.reset_mv;
                }
            }
        }
        // Currents: decay, then this step's pre spikes (exact for a 1-step pulse).
        for (i, d) in self.i_d.iter_mut().zip(&self.decay_d) {
            *i *= d;
        }
        for i in self.i_s.iter_mut() {
            *i *= self.decay_s;
        }
        let gain_s = 1.0 - self.decay_s;
        for &i in input {
            self.last_pre[i] = t;
            for j in 0..self.n {
                let k = j * N_PIXELS + i;
                self.i_d[k] += self.gain_d[k] * self.w[k];
                self.i_s[j] += gain_s * self.w[k];
            }
        }
        spike
    }

    /// Steps `steps` (offsets within an interval that starts at step `t0`, the pixels `input`
    /// spiking at its offset 0): `spiked(offset, neuron)` for each spike. Here, beside
    /// [`Layer::step`], so that the step inlines into the loop.
    pub(super) fn run(
        &mut self,
        t0: i64,
        steps: std::ops::Range<u64>,
        input: &[usize],
        p: &Params,
        mut spiked: impl FnMut(u64, usize),
    ) {
        for s in steps {
            let inp: &[usize] = if s == 0 { input } else { &[] };
            if let Some(j) = self.step(t0 + s as i64, inp, p) {
                spiked(s, j);
            }
        }
    }

    /// End of an interval whose last step is `t`: STDP for the neurons that fired (if
    /// `learn`), then clear the per-interval flags.
    pub(super) fn end_interval(&mut self, t: i64, learn: bool, p: &Params) {
        if learn {
            for j in 0..self.n {
                if !self.fired[j] {
                    continue;
                }
                let post = self.last_post[j];
                let post_found = post > NEVER && post >= t - i64::from(p.post_window_ms);
                for i in 0..N_PIXELS {
                    let pre = self.last_pre[i];
                    let pre_found = pre > NEVER && pre > t - i64::from(p.pre_window_ms);
                    let dt = if pre_found && post_found {
                        (pre - post) as f64
                    } else {
                        1.0
                    };
                    let k = j * N_PIXELS + i;
                    let dw = stdp_delta_w(dt, p);
                    self.w[k] = stdp_new_weight(self.w[k], dw, dt, p);
                }
            }
            if p.dendrite_tau == DendriteTau::Current {
                set_dendrites(&mut self.decay_d, &mut self.gain_d, &self.w, p, resistance);
            }
        }
        self.fired.fill(false);
        self.any_fired = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::characters::active_pixels;

    #[test]
    fn wta_at_most_one_spike_per_step() {
        // Identical weights: every neuron gets the same drive; only one may fire per step,
        // and with the interval lock only one per interval.
        for inhibition in [Inhibition::Interval, Inhibition::Step] {
            let p = Params {
                inhibition,
                ..Params::default()
            };
            let n = 4;
            let mut l = Layer::new(n, vec![0.9; n * N_PIXELS], &p);
            let input = active_pixels('C').unwrap();
            let mut per_interval = 0;
            for t in 0..100 {
                let inp: &[usize] = if t == 0 { &input } else { &[] };
                let before = l.fired.iter().filter(|&&f| f).count();
                let s = l.step(t, inp, &p);
                let after = l.fired.iter().filter(|&&f| f).count();
                assert!(after - before <= 1);
                per_interval += usize::from(s.is_some());
            }
            assert!(per_interval >= 1, "strong input must fire");
            if inhibition == Inhibition::Interval {
                assert_eq!(per_interval, 1);
                assert_eq!(l.fired, vec![true, false, false, false]); // ties: lowest index
            }
        }
    }
}
