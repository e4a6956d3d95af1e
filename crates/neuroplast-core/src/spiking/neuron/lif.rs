//! Leaky integrate-and-fire neurons.
//!
//! ## `IF_cond_exp` (PyNN; Vogels & Abbott 2005, Brette et al. 2007 benchmark 1)
//!
//! ```text
//! cm dv/dt = g_leak (v_rest − v) + g_exc (e_rev_E − v) + g_inh (e_rev_I − v) + i_offset + I_ext
//! dg_exc/dt = −g_exc / tau_syn_E        dg_inh/dt = −g_inh / tau_syn_I
//! g_leak = cm / tau_m
//! ```
//!
//! A spike is emitted when `v > v_thresh`; then `v = v_reset` and `v` is held for
//! `tau_refrac` (rounded to whole steps) while the conductances keep decaying. Delivered
//! weights are conductance jumps in µS on receptors `excitatory` and `inhibitory`.
//!
//! Integration (`integrator`):
//! * `euler` (default): explicit Euler for `v` and the conductances, all from the values at
//!   the start of the step — Brian2's and ANNarchy's COBA benchmark scheme.
//! * `exponential_euler`: conductances decay exactly (`g·exp(−dt/τ)`); `v` relaxes exactly
//!   towards its instantaneous steady state with the conductances frozen over the step
//!   (stable for any dt, one `exp` per neuron and step).

use serde::{Deserialize, Serialize};

use super::{steps_round, NeuronModel, Receptor, ReceptorKind};
use crate::{ensure, Result};

/// How a model's ODEs are advanced over one step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Integrator {
    /// Explicit (forward) Euler.
    #[default]
    Euler,
    /// Exact decay of linear parts, exponential relaxation of `v` with inputs frozen.
    ExponentialEuler,
}

/// Parameters of [`IfCondExp`], PyNN names and defaults.
#[allow(non_snake_case)] // reason: PyNN's names (tau_syn_E, e_rev_I) are the public keys
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IfCondExpParams {
    /// Membrane capacitance, nF.
    pub cm: f64,
    /// Membrane time constant, ms.
    pub tau_m: f64,
    /// Refractory period, ms.
    pub tau_refrac: f64,
    /// Excitatory conductance decay time constant, ms.
    pub tau_syn_E: f64,
    /// Inhibitory conductance decay time constant, ms.
    pub tau_syn_I: f64,
    /// Excitatory reversal potential, mV.
    pub e_rev_E: f64,
    /// Inhibitory reversal potential, mV.
    pub e_rev_I: f64,
    /// Spike threshold, mV.
    pub v_thresh: f64,
    /// Reset potential, mV.
    pub v_reset: f64,
    /// Resting potential, mV.
    pub v_rest: f64,
    /// Constant injected current, nA.
    pub i_offset: f64,
    /// Integration scheme.
    pub integrator: Integrator,
}

impl Default for IfCondExpParams {
    fn default() -> Self {
        IfCondExpParams {
            cm: 1.0,
            tau_m: 20.0,
            tau_refrac: 0.1,
            tau_syn_E: 5.0,
            tau_syn_I: 5.0,
            e_rev_E: 0.0,
            e_rev_I: -70.0,
            v_thresh: -50.0,
            v_reset: -65.0,
            v_rest: -65.0,
            i_offset: 0.0,
            integrator: Integrator::Euler,
        }
    }
}

impl IfCondExpParams {
    /// Check ranges; `path` is the key path of the parameter table (e.g.
    /// `populations.exc.params`).
    pub fn validate(&self, path: &str) -> Result<()> {
        for (name, value) in [
            ("cm", self.cm),
            ("tau_m", self.tau_m),
            ("tau_syn_E", self.tau_syn_E),
            ("tau_syn_I", self.tau_syn_I),
        ] {
            ensure!(
                value.is_finite() && value > 0.0,
                format!("{path}.{name}"),
                "must be a finite number > 0, got {value}"
            );
        }
        ensure!(
            self.tau_refrac.is_finite() && self.tau_refrac >= 0.0,
            format!("{path}.tau_refrac"),
            "must be ≥ 0 ms, got {}",
            self.tau_refrac
        );
        for (name, value) in [
            ("e_rev_E", self.e_rev_E),
            ("e_rev_I", self.e_rev_I),
            ("v_thresh", self.v_thresh),
            ("v_reset", self.v_reset),
            ("v_rest", self.v_rest),
            ("i_offset", self.i_offset),
        ] {
            ensure!(
                value.is_finite(),
                format!("{path}.{name}"),
                "must be finite, got {value}"
            );
        }
        ensure!(
            self.v_reset.is_finite() && self.v_reset < self.v_thresh,
            format!("{path}.v_reset"),
            "must be below v_thresh = {} mV, got {} mV",
            self.v_thresh,
            self.v_reset
        );
        Ok(())
    }
}

const COND_RECEPTORS: &[Receptor] = &[
    Receptor {
        name: "excitatory",
        kind: ReceptorKind::Conductance,
        weight_unit: "µS",
    },
    Receptor {
        name: "inhibitory",
        kind: ReceptorKind::Conductance,
        weight_unit: "µS",
    },
];

/// A population of `IF_cond_exp` neurons (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IfCondExp {
    params: IfCondExpParams,
    dt: f64,
    refrac_steps: f64,
    decay_e: f64,
    decay_i: f64,
    g_leak: f64,
    /// Membrane potential, mV.
    pub v: Vec<f64>,
    /// Excitatory conductance, µS.
    pub g_exc: Vec<f64>,
    /// Inhibitory conductance, µS.
    pub g_inh: Vec<f64>,
    /// Remaining refractory steps (whole numbers stored as f64 so the update vectorises).
    refrac: Vec<f64>,
    fired: Vec<bool>,
}

impl IfCondExp {
    /// `n` neurons at rest, time step `dt_ms`.
    pub fn new(params: &IfCondExpParams, n: usize, dt_ms: f64) -> Result<IfCondExp> {
        params.validate("params")?;
        let (decay_e, decay_i) = match params.integrator {
            Integrator::Euler => (
                1.0 - dt_ms / params.tau_syn_E,
                1.0 - dt_ms / params.tau_syn_I,
            ),
            Integrator::ExponentialEuler => (
                (-dt_ms / params.tau_syn_E).exp(),
                (-dt_ms / params.tau_syn_I).exp(),
            ),
        };
        Ok(IfCondExp {
            params: params.clone(),
            dt: dt_ms,
            refrac_steps: steps_round(params.tau_refrac, dt_ms) as f64,
            decay_e,
            decay_i,
            g_leak: params.cm / params.tau_m,
            v: vec![params.v_rest; n],
            g_exc: vec![0.0; n],
            g_inh: vec![0.0; n],
            refrac: vec![0.0; n],
            fired: vec![false; n],
        })
    }

    /// The parameters.
    pub fn params(&self) -> &IfCondExpParams {
        &self.params
    }

    fn update<const EXT: bool>(&mut self, syn: &mut [f64], current: &[f64]) {
        let p = &self.params;
        let n = self.v.len();
        let (gl, el, ee, ei, th, reset) = (
            self.g_leak,
            p.v_rest,
            p.e_rev_E,
            p.e_rev_I,
            p.v_thresh,
            p.v_reset,
        );
        let (de, di, nref) = (self.decay_e, self.decay_i, self.refrac_steps);
        let dt_cm = self.dt / p.cm;
        let offset = p.i_offset;
        let exp_euler = p.integrator == Integrator::ExponentialEuler;
        let syn = &mut syn[..2 * n];
        let current = if EXT { &current[..n] } else { &[][..] };
        let v = &mut self.v[..n];
        let ge = &mut self.g_exc[..n];
        let gi = &mut self.g_inh[..n];
        let refrac = &mut self.refrac[..n];
        let fired = &mut self.fired[..n];
        for i in 0..n {
            let g_e = ge[i] + syn[2 * i];
            let g_i = gi[i] + syn[2 * i + 1];
            syn[2 * i] = 0.0;
            syn[2 * i + 1] = 0.0;
            let v0 = v[i];
            let i_in = if EXT { offset + current[i] } else { offset };
            let v1 = if exp_euler {
                let g_tot = gl + g_e + g_i;
                let v_inf = (gl * el + g_e * ee + g_i * ei + i_in) / g_tot;
                v_inf + (v0 - v_inf) * (-g_tot * dt_cm).exp()
            } else {
                v0 + dt_cm * (gl * (el - v0) + g_e * (ee - v0) + g_i * (ei - v0) + i_in)
            };
            let active = refrac[i] <= 0.0;
            let v1 = if active { v1 } else { v0 };
            let spike = active && v1 > th;
            v[i] = if spike { reset } else { v1 };
            refrac[i] = if spike {
                nref
            } else if active {
                0.0
            } else {
                refrac[i] - 1.0
            };
            fired[i] = spike;
            ge[i] = g_e * de;
            gi[i] = g_i * di;
        }
    }
}

impl NeuronModel for IfCondExp {
    fn len(&self) -> usize {
        self.v.len()
    }

    fn receptors(&self) -> &'static [Receptor] {
        COND_RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        &["v", "g_exc", "g_inh"]
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        match name {
            "v" => Some(&self.v),
            "g_exc" => Some(&self.g_exc),
            "g_inh" => Some(&self.g_inh),
            _ => None,
        }
    }

    fn state_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        match name {
            "v" => Some(&mut self.v),
            "g_exc" => Some(&mut self.g_exc),
            "g_inh" => Some(&mut self.g_inh),
            _ => None,
        }
    }

    fn step(&mut self, syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        if current.is_empty() {
            self.update::<false>(syn, current);
        } else {
            self.update::<true>(syn, current);
        }
        spikes.extend(
            self.fired
                .iter()
                .enumerate()
                .filter(|(_, &f)| f)
                .map(|(i, _)| i as u32),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With a constant suprathreshold current and no synapses, the interspike interval of the
    /// continuous model is τ ln((v∞ − v_reset)/(v∞ − v_thresh)) + τ_ref.
    #[test]
    fn constant_current_isi_matches_closed_form() {
        let params = IfCondExpParams {
            cm: 0.2,
            tau_m: 20.0,
            tau_refrac: 5.0,
            v_rest: -60.0,
            v_reset: -60.0,
            v_thresh: -50.0,
            i_offset: 0.7, // v∞ = −60 + 0.7 / 0.01 = 10 mV
            integrator: Integrator::ExponentialEuler,
            ..Default::default()
        };
        let dt = 0.01;
        let mut lif = IfCondExp::new(&params, 1, dt).unwrap();
        let mut syn = vec![0.0; 2];
        let mut spikes = Vec::new();
        let mut times = Vec::new();
        for t in 0..200_000 {
            spikes.clear();
            lif.step(&mut syn, &[], &mut spikes);
            if !spikes.is_empty() {
                times.push(t);
            }
        }
        let isi = (times[times.len() - 1] - times[1]) as f64 / (times.len() - 2) as f64 * dt;
        let closed = 20.0 * (70.0f64 / 60.0).ln() + 5.0;
        assert!((isi - closed).abs() <= dt, "isi {isi} vs {closed}");
    }

    #[test]
    fn conductance_jump_decays_exactly() {
        let params = IfCondExpParams {
            integrator: Integrator::ExponentialEuler,
            ..Default::default()
        };
        let mut lif = IfCondExp::new(&params, 2, 0.1).unwrap();
        let mut syn = vec![0.01, 0.0, 0.0, 0.02];
        let mut spikes = Vec::new();
        lif.step(&mut syn, &[], &mut spikes);
        assert_eq!(syn, vec![0.0; 4]);
        for _ in 0..49 {
            lif.step(&mut syn, &[], &mut spikes);
        }
        assert!((lif.g_exc[0] - 0.01 * (-1.0f64).exp()).abs() < 1e-15);
        assert!((lif.g_inh[1] - 0.02 * (-1.0f64).exp()).abs() < 1e-15);
        assert!(spikes.is_empty());
    }

    #[test]
    fn bad_parameters_name_the_key() {
        let params = IfCondExpParams {
            tau_m: -1.0,
            ..Default::default()
        };
        let err = params
            .validate("populations.exc.params")
            .unwrap_err()
            .to_string();
        assert!(err.contains("populations.exc.params.tau_m"), "{err}");
    }
}
