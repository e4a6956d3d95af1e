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

use super::lanes::LaneSet;
use super::{
    check_finite, check_positive, push_fresh, push_fresh_lanes, refractory_steps, NeuronModel,
    Receptor, ReceptorKind, BLOCK,
};
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
        check_positive(
            path,
            &[
                ("cm", self.cm),
                ("tau_m", self.tau_m),
                ("tau_syn_E", self.tau_syn_E),
                ("tau_syn_I", self.tau_syn_I),
            ],
        )?;
        ensure!(
            self.tau_refrac.is_finite() && self.tau_refrac >= 0.0,
            format!("{path}.tau_refrac"),
            "must be ≥ 0 ms, got {}",
            self.tau_refrac
        );
        check_finite(
            path,
            &[
                ("e_rev_E", self.e_rev_E),
                ("e_rev_I", self.e_rev_I),
                ("v_thresh", self.v_thresh),
                ("v_reset", self.v_reset),
                ("v_rest", self.v_rest),
                ("i_offset", self.i_offset),
            ],
        )?;
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

crate::lanes! {
    /// Constants of the `IF_cond_exp` update, derived from one neuron's parameters.
    CondConsts, CondLanes, CondBlock, CondAccess {
        g_leak, v_rest, e_rev_E, e_rev_I, v_thresh, v_reset, decay_e, decay_i, nref, dt_cm,
        i_offset,
    }
}

impl CondConsts {
    fn of(p: &IfCondExpParams, dt_ms: f64) -> Result<CondConsts> {
        let (decay_e, decay_i) = match p.integrator {
            Integrator::Euler => (1.0 - dt_ms / p.tau_syn_E, 1.0 - dt_ms / p.tau_syn_I),
            Integrator::ExponentialEuler => {
                ((-dt_ms / p.tau_syn_E).exp(), (-dt_ms / p.tau_syn_I).exp())
            }
        };
        Ok(CondConsts {
            g_leak: p.cm / p.tau_m,
            v_rest: p.v_rest,
            e_rev_E: p.e_rev_E,
            e_rev_I: p.e_rev_I,
            v_thresh: p.v_thresh,
            v_reset: p.v_reset,
            decay_e,
            decay_i,
            nref: refractory_steps(p.tau_refrac, dt_ms)? as f64 + 1.0,
            dt_cm: dt_ms / p.cm,
            i_offset: p.i_offset,
        })
    }
}

/// A population of `IF_cond_exp` neurons (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IfCondExp {
    params: IfCondExpParams,
    dt: f64,
    /// The update's constants when every neuron has the same parameters.
    c: CondConsts,
    /// Per-neuron constants when some parameter differs between neurons.
    lanes: Option<CondLanes>,
    /// Membrane potential, mV.
    pub v: Vec<f64>,
    /// Excitatory conductance, µS.
    pub g_exc: Vec<f64>,
    /// Inhibitory conductance, µS.
    pub g_inh: Vec<f64>,
    /// Refractory counter: set to `nref` = round(tau_refrac/dt) + 1 on a spike, decremented
    /// every step; the neuron integrates when it is ≤ 1. A counter equal to `nref` marks a
    /// spike of this step (whole numbers stored as f64 so the update vectorises).
    refrac: Vec<f64>,
}

impl IfCondExp {
    /// `n` neurons at rest, time step `dt_ms`.
    pub fn new(params: &IfCondExpParams, n: usize, dt_ms: f64) -> Result<IfCondExp> {
        params.validate("params")?;
        Ok(IfCondExp {
            params: params.clone(),
            dt: dt_ms,
            c: CondConsts::of(params, dt_ms)?,
            lanes: None,
            v: vec![params.v_rest; n],
            g_exc: vec![0.0; n],
            g_inh: vec![0.0; n],
            refrac: vec![0.0; n],
        })
    }

    /// The parameters (those of every neuron, before per-neuron values).
    pub fn params(&self) -> &IfCondExpParams {
        &self.params
    }

    #[inline(always)]
    fn update<const EXT: bool, const EXP: bool, L>(
        &mut self,
        lanes: &L,
        current: &[f64],
        spikes: &mut Vec<u32>,
    ) where
        L: LaneSet,
        for<'a> L::Block<'a>: CondAccess,
    {
        let n = self.v.len();
        let current = if EXT { &current[..n] } else { &[][..] };
        let mut base = 0;
        while base < n {
            let end = (base + BLOCK).min(n);
            let c = lanes.block(base, end);
            let v = &mut self.v[base..end];
            let ge = &mut self.g_exc[base..end];
            let gi = &mut self.g_inh[base..end];
            let refrac = &mut self.refrac[base..end];
            for k in 0..v.len() {
                let (gl, el, ee, ei) = (c.g_leak(k), c.v_rest(k), c.e_rev_E(k), c.e_rev_I(k));
                let (g_e, g_i, v0) = (ge[k], gi[k], v[k]);
                let i_in = if EXT {
                    c.i_offset(k) + current[base + k]
                } else {
                    c.i_offset(k)
                };
                let v1 = if EXP {
                    let g_tot = gl + g_e + g_i;
                    let v_inf = (gl * el + g_e * ee + g_i * ei + i_in) / g_tot;
                    v_inf + (v0 - v_inf) * (-g_tot * c.dt_cm(k)).exp()
                } else {
                    v0 + c.dt_cm(k) * (gl * (el - v0) + g_e * (ee - v0) + g_i * (ei - v0) + i_in)
                };
                let r = refrac[k];
                let active = r <= 1.0;
                let v1 = if active { v1 } else { v0 };
                let spike = active & (v1 > c.v_thresh(k));
                v[k] = if spike { c.v_reset(k) } else { v1 };
                refrac[k] = if spike { c.nref(k) } else { (r - 1.0).max(0.0) };
                ge[k] = g_e * c.decay_e(k);
                gi[k] = g_i * c.decay_i(k);
            }
            if <L::Block<'_> as CondAccess>::UNIFORM {
                // a separate OR-reduction vectorises; accumulating it in the loop above does not
                let nref = c.nref(0);
                if refrac.iter().fold(false, |a, &r| a | (r == nref)) {
                    push_fresh(refrac, nref, base, spikes);
                }
            } else {
                push_fresh_lanes(refrac, |k| c.nref(k), base, spikes);
            }
            base = end;
        }
    }
}

crate::param_table!(IfCondExpParams {
    cm,
    tau_m,
    tau_refrac,
    tau_syn_E,
    tau_syn_I,
    e_rev_E,
    e_rev_I,
    v_thresh,
    v_reset,
    v_rest,
    i_offset
});

impl super::BuiltinModel for IfCondExp {
    type Params = IfCondExpParams;

    fn validate(params: &IfCondExpParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &IfCondExpParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        let mut m = IfCondExp::new(params, n, ctx.dt_ms)?;
        if !ctx.per_neuron.is_empty() {
            let each = super::per_neuron(params, n, &ctx, "params", IfCondExpParams::validate)?;
            let consts = each
                .iter()
                .map(|p| CondConsts::of(p, ctx.dt_ms))
                .collect::<Result<Vec<_>>>()?;
            m.v = each.iter().map(|p| p.v_rest).collect();
            m.lanes = Some(CondLanes::of(&consts));
        }
        Ok(m)
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

    fn step(&mut self, _syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        let exp = self.params.integrator == Integrator::ExponentialEuler;
        match self.lanes.take() {
            None => {
                let c = self.c;
                crate::spiking::simd::dispatch(
                    #[inline(always)]
                    || match (current.is_empty(), exp) {
                        (true, false) => self.update::<false, false, _>(&c, current, spikes),
                        (false, false) => self.update::<true, false, _>(&c, current, spikes),
                        (true, true) => self.update::<false, true, _>(&c, current, spikes),
                        (false, true) => self.update::<true, true, _>(&c, current, spikes),
                    },
                );
            }
            Some(lanes) => {
                crate::spiking::simd::dispatch(
                    #[inline(always)]
                    || match (current.is_empty(), exp) {
                        (true, false) => self.update::<false, false, _>(&lanes, current, spikes),
                        (false, false) => self.update::<true, false, _>(&lanes, current, spikes),
                        (true, true) => self.update::<false, true, _>(&lanes, current, spikes),
                        (false, true) => self.update::<true, true, _>(&lanes, current, spikes),
                    },
                );
                self.lanes = Some(lanes);
            }
        }
    }

    fn receptor_state(&mut self, r: usize) -> Option<&mut [f64]> {
        match r {
            0 => Some(&mut self.g_exc),
            1 => Some(&mut self.g_inh),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// IF_curr_exp
// ---------------------------------------------------------------------------------------------

/// Parameters of [`IfCurrExp`] (`IF_curr_exp`), PyNN names and defaults.
#[allow(non_snake_case)] // reason: PyNN's names (tau_syn_E, tau_syn_I) are the public keys
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IfCurrExpParams {
    /// Membrane capacitance, nF.
    pub cm: f64,
    /// Membrane time constant, ms.
    pub tau_m: f64,
    /// Refractory period, ms (rounded to whole steps).
    pub tau_refrac: f64,
    /// Excitatory synaptic current decay time constant, ms.
    pub tau_syn_E: f64,
    /// Inhibitory synaptic current decay time constant, ms.
    pub tau_syn_I: f64,
    /// Resting potential, mV.
    pub v_rest: f64,
    /// Reset potential, mV.
    pub v_reset: f64,
    /// Spike threshold, mV (a spike when `v > v_thresh`).
    pub v_thresh: f64,
    /// Constant injected current, nA.
    pub i_offset: f64,
}

impl Default for IfCurrExpParams {
    fn default() -> Self {
        IfCurrExpParams {
            cm: 1.0,
            tau_m: 20.0,
            tau_refrac: 0.1,
            tau_syn_E: 5.0,
            tau_syn_I: 5.0,
            v_rest: -65.0,
            v_reset: -65.0,
            v_thresh: -50.0,
            i_offset: 0.0,
        }
    }
}

impl IfCurrExpParams {
    /// Check ranges; `path` is the key path of the parameter table.
    pub fn validate(&self, path: &str) -> Result<()> {
        check_positive(
            path,
            &[
                ("cm", self.cm),
                ("tau_m", self.tau_m),
                ("tau_syn_E", self.tau_syn_E),
                ("tau_syn_I", self.tau_syn_I),
            ],
        )?;
        ensure!(
            self.tau_refrac.is_finite() && self.tau_refrac >= 0.0,
            format!("{path}.tau_refrac"),
            "must be ≥ 0 ms, got {}",
            self.tau_refrac
        );
        check_finite(
            path,
            &[
                ("v_rest", self.v_rest),
                ("v_reset", self.v_reset),
                ("v_thresh", self.v_thresh),
                ("i_offset", self.i_offset),
            ],
        )?;
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

const CURR_RECEPTORS: &[Receptor] = &[
    Receptor {
        name: "excitatory",
        kind: ReceptorKind::Current,
        weight_unit: "nA",
    },
    Receptor {
        name: "inhibitory",
        kind: ReceptorKind::Current,
        weight_unit: "nA",
    },
];

/// Exact propagator from an exponentially decaying current (time constant `tau_s`) into the
/// membrane potential over one step `h`: `∫₀ʰ e^{−(h−s)/τm} e^{−s/τs} ds / cm`, i.e.
/// `τm τs / (cm (τm − τs)) · (e^{−h/τm} − e^{−h/τs})`, and its limit `h e^{−h/τ} / cm` when
/// `τs = τm` (NEST `iaf_psc_exp`, Rotter & Diesmann 1999). Written with `expm1` so nearly equal
/// time constants lose no precision.
fn psc_exp_propagator(tau_m: f64, tau_s: f64, cm: f64, h: f64) -> f64 {
    let k = 1.0 / tau_s - 1.0 / tau_m; // rate difference, 1/ms
    if (k * h).abs() < 1e-12 {
        // τs = τm (to rounding): second-order expansion of the general formula.
        return h / cm * (-h / tau_m).exp() * (1.0 - 0.5 * k * h);
    }
    // τm τs / (τm − τs) = 1 / k
    -(-h / tau_m).exp() * (-k * h).exp_m1() / (k * cm)
}

/// A population of `IF_curr_exp` neurons: leaky integrate-and-fire with exponentially decaying
/// synaptic currents, integrated exactly.
///
/// ```text
/// cm dv/dt = cm (v_rest − v) / tau_m + i_exc + i_inh + i_offset + I_ext
/// di_exc/dt = −i_exc / tau_syn_E        di_inh/dt = −i_inh / tau_syn_I
/// ```
///
/// The linear system (`v`, `i_exc`, `i_inh`) is advanced with its exact propagator (NEST
/// `iaf_psc_exp`, Rotter & Diesmann 1999; `tau_syn == tau_m` handled), with `i_offset` and
/// the external current held constant over the step. Weights delivered in a step are added to
/// the synaptic currents at the start of that step (so they act on `v` within the step). A
/// spike is emitted when `v > v_thresh` (strictly, as in Brian2's CUBA benchmark); then
/// `v = v_reset` and `v` is held for `round(tau_refrac / dt)` steps while the currents keep
/// decaying.
///
/// Brian2's CUBA (`τm dv/dt = (ge + gi) − (v − E_L)`, `ge`, `gi` in mV) maps onto this model
/// with `w(nA) = w(mV) · cm / tau_m`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IfCurrExp {
    params: IfCurrExpParams,
    dt: f64,
    refrac_steps: f64,
    /// `exp(−dt/tau_m)`.
    p22: f64,
    /// Constant current → v: `tau_m/cm · (1 − exp(−dt/tau_m))`.
    p20: f64,
    /// Excitatory current → v.
    p21_e: f64,
    /// Inhibitory current → v.
    p21_i: f64,
    /// `exp(−dt/tau_syn_E)`.
    p11_e: f64,
    /// `exp(−dt/tau_syn_I)`.
    p11_i: f64,
    /// Membrane potential, mV.
    pub v: Vec<f64>,
    /// Excitatory synaptic current, nA.
    pub i_exc: Vec<f64>,
    /// Inhibitory synaptic current, nA.
    pub i_inh: Vec<f64>,
    /// Refractory counter: set to `refrac_steps` = round(tau_refrac/dt) + 1 on a spike,
    /// decremented every step; the neuron integrates when it is ≤ 1. A counter equal to
    /// `refrac_steps` marks a spike of this step (whole numbers stored as f64 so the update
    /// vectorises).
    refrac: Vec<f64>,
}

impl IfCurrExp {
    /// `n` neurons at rest, time step `dt_ms`.
    pub fn new(params: &IfCurrExpParams, n: usize, dt_ms: f64) -> Result<IfCurrExp> {
        params.validate("params")?;
        ensure!(
            dt_ms.is_finite() && dt_ms > 0.0,
            "dt",
            "must be a finite number > 0 ms, got {dt_ms}"
        );
        let p = params;
        Ok(IfCurrExp {
            params: p.clone(),
            dt: dt_ms,
            refrac_steps: refractory_steps(p.tau_refrac, dt_ms)? as f64 + 1.0,
            p22: (-dt_ms / p.tau_m).exp(),
            p20: -p.tau_m / p.cm * (-dt_ms / p.tau_m).exp_m1(),
            p21_e: psc_exp_propagator(p.tau_m, p.tau_syn_E, p.cm, dt_ms),
            p21_i: psc_exp_propagator(p.tau_m, p.tau_syn_I, p.cm, dt_ms),
            p11_e: (-dt_ms / p.tau_syn_E).exp(),
            p11_i: (-dt_ms / p.tau_syn_I).exp(),
            v: vec![p.v_rest; n],
            i_exc: vec![0.0; n],
            i_inh: vec![0.0; n],
            refrac: vec![0.0; n],
        })
    }

    /// The parameters.
    pub fn params(&self) -> &IfCurrExpParams {
        &self.params
    }

    /// The time step, ms.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    #[inline(always)]
    fn update<const EXT: bool>(&mut self, current: &[f64], spikes: &mut Vec<u32>) {
        let p = &self.params;
        let n = self.v.len();
        let (el, th, reset, offset) = (p.v_rest, p.v_thresh, p.v_reset, p.i_offset);
        let (p22, p20, p21e, p21i, p11e, p11i) = (
            self.p22, self.p20, self.p21_e, self.p21_i, self.p11_e, self.p11_i,
        );
        let nref = self.refrac_steps;
        let current = if EXT { &current[..n] } else { &[][..] };
        let mut base = 0;
        while base < n {
            let end = (base + BLOCK).min(n);
            let v = &mut self.v[base..end];
            let ie = &mut self.i_exc[base..end];
            let ii = &mut self.i_inh[base..end];
            let refrac = &mut self.refrac[base..end];
            for k in 0..v.len() {
                let (i_e, i_i, v0) = (ie[k], ii[k], v[k]);
                let i_in = if EXT {
                    offset + current[base + k]
                } else {
                    offset
                };
                let v1 = el + (v0 - el) * p22 + i_e * p21e + i_i * p21i + i_in * p20;
                let r = refrac[k];
                let active = r <= 1.0;
                let v1 = if active { v1 } else { v0 };
                let spike = active & (v1 > th);
                v[k] = if spike { reset } else { v1 };
                refrac[k] = if spike { nref } else { (r - 1.0).max(0.0) };
                ie[k] = i_e * p11e;
                ii[k] = i_i * p11i;
            }
            // a separate OR-reduction vectorises; accumulating it in the loop above does not
            if refrac.iter().fold(false, |a, &r| a | (r == nref)) {
                push_fresh(refrac, nref, base, spikes);
            }
            base = end;
        }
    }
}

crate::param_table!(IfCurrExpParams {
    cm,
    tau_m,
    tau_refrac,
    tau_syn_E,
    tau_syn_I,
    v_rest,
    v_reset,
    v_thresh,
    i_offset
});

impl super::BuiltinModel for IfCurrExp {
    type Params = IfCurrExpParams;

    fn validate(params: &IfCurrExpParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &IfCurrExpParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        super::no_per_neuron(&ctx, "IfCurrExp")?;
        IfCurrExp::new(params, n, ctx.dt_ms)
    }
}

impl NeuronModel for IfCurrExp {
    fn len(&self) -> usize {
        self.v.len()
    }

    fn receptors(&self) -> &'static [Receptor] {
        CURR_RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        &["v", "i_exc", "i_inh"]
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        match name {
            "v" => Some(&self.v),
            "i_exc" => Some(&self.i_exc),
            "i_inh" => Some(&self.i_inh),
            _ => None,
        }
    }

    fn state_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        match name {
            "v" => Some(&mut self.v),
            "i_exc" => Some(&mut self.i_exc),
            "i_inh" => Some(&mut self.i_inh),
            _ => None,
        }
    }

    fn step(&mut self, _syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        crate::spiking::simd::dispatch(
            #[inline(always)]
            || {
                if current.is_empty() {
                    self.update::<false>(current, spikes);
                } else {
                    self.update::<true>(current, spikes);
                }
            },
        );
    }

    fn receptor_state(&mut self, r: usize) -> Option<&mut [f64]> {
        match r {
            0 => Some(&mut self.i_exc),
            1 => Some(&mut self.i_inh),
            _ => None,
        }
    }
}

/// Append the indices of the `true` entries of `fired` to `spikes`, in increasing order.
fn collect_spikes(fired: &[bool], spikes: &mut Vec<u32>) {
    spikes.extend(
        fired
            .iter()
            .enumerate()
            .filter(|(_, &f)| f)
            .map(|(i, _)| i as u32),
    );
}

// ---------------------------------------------------------------------------------------------
// Neurapse LIF
// ---------------------------------------------------------------------------------------------

/// Parameters of [`LifNeurapse`] (`LIF_neurapse`): Neurapse's names, PyNN's units. Defaults
/// are the values of the EE746 problem sets (C = 300 pF, gL = 30 nS, V_T = 20 mV,
/// EL = −70 mV, Rp = 2 ms).
#[allow(non_snake_case)] // reason: Neurapse's names (C, gL, EL, Rp) are the public keys
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifNeurapseParams {
    /// Membrane capacitance, nF.
    pub C: f64,
    /// Leak conductance, µS.
    pub gL: f64,
    /// Spike threshold, mV (a spike when the updated `v ≥ V_thresh`).
    pub V_thresh: f64,
    /// Leak reversal = reset potential = initial potential, mV.
    pub EL: f64,
    /// Refractory period, ms; `int(Rp / dt)` steps, truncated as upstream.
    pub Rp: f64,
    /// Constant injected current, nA (added to the external current; 0 in Neurapse).
    pub i_offset: f64,
}

impl Default for LifNeurapseParams {
    fn default() -> Self {
        LifNeurapseParams {
            C: 0.3,
            gL: 0.03,
            V_thresh: 20.0,
            EL: -70.0,
            Rp: 2.0,
            i_offset: 0.0,
        }
    }
}

impl LifNeurapseParams {
    /// Check ranges; `path` is the key path of the parameter table.
    pub fn validate(&self, path: &str) -> Result<()> {
        check_positive(path, &[("C", self.C), ("gL", self.gL)])?;
        ensure!(
            self.Rp.is_finite() && self.Rp >= 0.0,
            format!("{path}.Rp"),
            "must be ≥ 0 ms, got {}",
            self.Rp
        );
        check_finite(
            path,
            &[
                ("V_thresh", self.V_thresh),
                ("EL", self.EL),
                ("i_offset", self.i_offset),
            ],
        )?;
        ensure!(
            self.EL.is_finite() && self.EL < self.V_thresh,
            format!("{path}.EL"),
            "must be below V_thresh = {} mV, got {} mV",
            self.V_thresh,
            self.EL
        );
        Ok(())
    }
}

const INSTANT_RECEPTORS: &[Receptor] = &[Receptor {
    name: "current",
    kind: ReceptorKind::Instant,
    weight_unit: "nA",
}];

/// A population of Neurapse LIF neurons (`Neurapse.Neurons.LIF`, udion/Neurapse `0dc82ed`),
/// step-exact with upstream.
///
/// ```text
/// C dV/dt = −gL (V − EL) + I
/// V' = V + [−gL·V/C + gL·EL/C + I/C] · (dt − gL·dt²/(2C))      (Heun form, I held over the step)
/// ```
///
/// * Spike step: if `V' ≥ V_thresh`, `v` is set to the marker `10·V_thresh` (200 mV with the
///   defaults) and the neuron is reported as spiking.
/// * The following `max(int(Rp/dt), 1)` steps: `v = EL` (the marker is replaced by the reset
///   on the next step even when `Rp = 0`); integration from `EL` resumes on the step after.
///   Input arriving in those steps has no effect.
/// * `I = i_offset + current[i] + syn[i]`: receptor `current` (kind `Instant`) adds a delivered
///   weight in nA to `I` of this step only; the network feeds Neurapse's double-exponential
///   kernel synapses through the `current` slice.
///
/// **Step-index convention.** Upstream `compute` returns a trace whose column 0 is the
/// initial state; column `c ≥ 1` is computed from column `c − 1`. Our step `s` (the `s`-th
/// call of [`step`](NeuronModel::step), counting from 0) computes column `s + 1`, so a spike
/// reported by step `s` is Neurapse's marker in column `s + 1`, at time `(s + 1)·dt`.
///
/// **Units.** The update is evaluated in ms, mV, nA, nF, µS with the same operation order as
/// upstream's SI expression. For the reference runs (spiking.md §1.8) this gives the same
/// marker columns as the SI computation, so no SI path is needed. The refractory count
/// `int(Rp/dt)` is truncated like upstream (computed in ms: 2 ms / 0.1 ms = 20).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LifNeurapse {
    params: LifNeurapseParams,
    dt: f64,
    /// Steps held at `EL` after a spike step, `max(int(Rp/dt), 1)`.
    hold_steps: f64,
    /// `gL·EL/C`, mV/ms.
    gl_el_c: f64,
    /// `dt − gL·dt²/(2C)`, ms.
    h: f64,
    /// Membrane potential, mV (the marker `10·V_thresh` on a spike step).
    pub v: Vec<f64>,
    /// Remaining steps at `EL` (whole numbers stored as f64 so the update vectorises).
    refrac: Vec<f64>,
    fired: Vec<bool>,
}

impl LifNeurapse {
    /// `n` neurons at `V = EL`, time step `dt_ms`.
    pub fn new(params: &LifNeurapseParams, n: usize, dt_ms: f64) -> Result<LifNeurapse> {
        params.validate("params")?;
        ensure!(
            dt_ms.is_finite() && dt_ms > 0.0,
            "dt",
            "must be a finite number > 0 ms, got {dt_ms}"
        );
        let p = params;
        let n_rp = (p.Rp / dt_ms).trunc();
        Ok(LifNeurapse {
            params: p.clone(),
            dt: dt_ms,
            hold_steps: n_rp.max(1.0),
            gl_el_c: p.gL * p.EL / p.C,
            h: dt_ms - p.gL * dt_ms * dt_ms / (2.0 * p.C),
            v: vec![p.EL; n],
            refrac: vec![0.0; n],
            fired: vec![false; n],
        })
    }

    /// The parameters.
    pub fn params(&self) -> &LifNeurapseParams {
        &self.params
    }

    /// The time step, ms.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    fn update<const EXT: bool>(&mut self, syn: &mut [f64], current: &[f64]) {
        let p = &self.params;
        let n = self.v.len();
        let (c, gl, el, th, offset) = (p.C, p.gL, p.EL, p.V_thresh, p.i_offset);
        let marker = 10.0 * th;
        let (gl_el_c, h, hold) = (self.gl_el_c, self.h, self.hold_steps);
        let syn = &mut syn[..n];
        let current = if EXT { &current[..n] } else { &[][..] };
        let v = &mut self.v[..n];
        let refrac = &mut self.refrac[..n];
        let fired = &mut self.fired[..n];
        for i in 0..n {
            let i_in = if EXT {
                offset + current[i] + syn[i]
            } else {
                offset + syn[i]
            };
            syn[i] = 0.0;
            let v0 = v[i];
            let v1 = v0 + (-gl * v0 / c + gl_el_c + i_in / c) * h;
            let active = refrac[i] <= 0.0;
            let spike = active && v1 >= th;
            v[i] = if spike {
                marker
            } else if active {
                v1
            } else {
                el
            };
            refrac[i] = if spike {
                hold
            } else if active {
                0.0
            } else {
                refrac[i] - 1.0
            };
            fired[i] = spike;
        }
    }
}

crate::param_table!(LifNeurapseParams {
    C,
    gL,
    V_thresh,
    EL,
    Rp,
    i_offset
});

impl super::BuiltinModel for LifNeurapse {
    type Params = LifNeurapseParams;

    fn validate(params: &LifNeurapseParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &LifNeurapseParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        super::no_per_neuron(&ctx, "LifNeurapse")?;
        LifNeurapse::new(params, n, ctx.dt_ms)
    }
}

impl NeuronModel for LifNeurapse {
    fn len(&self) -> usize {
        self.v.len()
    }

    fn receptors(&self) -> &'static [Receptor] {
        INSTANT_RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        &["v"]
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        match name {
            "v" => Some(&self.v),
            _ => None,
        }
    }

    fn state_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        match name {
            "v" => Some(&mut self.v),
            _ => None,
        }
    }

    fn step(&mut self, syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        if current.is_empty() {
            self.update::<false>(syn, current);
        } else {
            self.update::<true>(syn, current);
        }
        collect_spikes(&self.fired, spikes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX-512 copies that `step` runs where the CPU has them give the same results as
    /// the AVX2 bodies (on a CPU without AVX-512 both sides run the same code).
    #[test]
    fn avx512_copies_are_bit_identical() {
        use rand::{Rng as _, SeedableRng as _};
        let mut rng = crate::rng::Rng::seed_from_u64(11);
        let n = 1037; // several blocks and a remainder
        for integrator in [Integrator::Euler, Integrator::ExponentialEuler] {
            let p = IfCondExpParams {
                integrator,
                ..Default::default()
            };
            let mut a = IfCondExp::new(&p, n, 0.1).unwrap();
            let mut b = a.clone();
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            for _ in 0..300 {
                let current: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..1.6)).collect();
                let ge: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..0.004)).collect();
                for m in [&mut a, &mut b] {
                    m.g_exc.iter_mut().zip(&ge).for_each(|(g, x)| *g += x);
                }
                a.step(&mut [], &current, &mut sa);
                let c = b.c;
                match integrator {
                    Integrator::Euler => b.update::<true, false, _>(&c, &current, &mut sb),
                    Integrator::ExponentialEuler => {
                        b.update::<true, true, _>(&c, &current, &mut sb)
                    }
                }
            }
            assert_eq!(sa, sb, "{integrator:?}");
            assert!(sa.len() > 1000, "{integrator:?}: {} spikes", sa.len());
            assert!(a == b, "{integrator:?}");
        }
        let mut a = IfCurrExp::new(&IfCurrExpParams::default(), n, 0.1).unwrap();
        let mut b = a.clone();
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        for _ in 0..300 {
            let current: Vec<f64> = (0..n).map(|_| rng.random_range(1.0..4.0)).collect();
            a.step(&mut [], &current, &mut sa);
            b.update::<true>(&current, &mut sb);
        }
        assert_eq!(sa, sb);
        assert!(sa.len() > 1000, "{} spikes", sa.len());
        assert!(a == b);
    }

    /// Per-neuron parameters: a population whose neurons differ in `v_thresh`, `tau_m` and
    /// `i_offset` gives each neuron the bits of a one-neuron population with that neuron's
    /// parameters; per-neuron values that are all equal give the bits of the plain model.
    #[test]
    fn per_neuron_parameters_equal_separate_populations() {
        use crate::spiking::neuron::{Build, BuiltinModel};
        let n = 150;
        let base = IfCondExpParams {
            i_offset: 1.5,
            ..Default::default()
        };
        let build = |per: Vec<(String, Vec<f64>)>| {
            let ctx = Build {
                dt_ms: 0.1,
                offset: 0,
                rng: crate::rng::component(1, crate::rng::Stream::Poisson, 0),
                per_neuron: &per,
            };
            IfCondExp::build(&base, n, ctx).unwrap()
        };
        let th: Vec<f64> = (0..n).map(|i| -52.0 + 0.02 * i as f64).collect();
        let tau: Vec<f64> = (0..n).map(|i| 10.0 + 0.1 * i as f64).collect();
        let off: Vec<f64> = (0..n).map(|i| 1.0 + 0.01 * i as f64).collect();
        let mut many = build(vec![
            ("v_thresh".into(), th.clone()),
            ("tau_m".into(), tau.clone()),
            ("i_offset".into(), off.clone()),
        ]);
        let mut ones: Vec<IfCondExp> = (0..n)
            .map(|i| {
                let p = IfCondExpParams {
                    v_thresh: th[i],
                    tau_m: tau[i],
                    i_offset: off[i],
                    ..base.clone()
                };
                IfCondExp::new(&p, 1, 0.1).unwrap()
            })
            .collect();
        let (mut s_many, mut s_ones) = (Vec::new(), Vec::new());
        for t in 0..3000u32 {
            let mut s = Vec::new();
            many.step(&mut [], &[], &mut s);
            s_many.extend(s.iter().map(|&i| (t, i)));
            for (i, m) in ones.iter_mut().enumerate() {
                let mut s = Vec::new();
                m.step(&mut [], &[], &mut s);
                s_ones.extend(s.iter().map(|_| (t, i as u32)));
            }
        }
        s_ones.sort_unstable();
        assert_eq!(s_many, s_ones);
        assert!(s_many.len() > 1000, "{} spikes", s_many.len());
        for (i, m) in ones.iter().enumerate() {
            assert_eq!(m.v[0].to_bits(), many.v[i].to_bits(), "neuron {i}");
        }
        // equal per-neuron values run through the lanes and give the plain model's bits
        let mut plain = IfCondExp::new(&base, n, 0.1).unwrap();
        let mut lanes = build(vec![("i_offset".into(), vec![1.5; n])]);
        assert!(lanes.lanes.is_some());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..3000 {
            plain.step(&mut [], &[], &mut a);
            lanes.step(&mut [], &[], &mut b);
        }
        assert_eq!(a, b);
        assert_eq!(plain.v, lanes.v);
    }

    /// What the network does: weights for receptors with a `receptor_state` go there, the
    /// rest through `syn`; then one step.
    fn step_with(
        model: &mut (impl NeuronModel + ?Sized),
        syn: &mut [f64],
        current: &[f64],
        spikes: &mut Vec<u32>,
    ) {
        let r_n = model.receptors().len();
        for r in 0..r_n {
            if let Some(g) = model.receptor_state(r) {
                for (i, x) in g.iter_mut().enumerate() {
                    *x += syn[i * r_n + r];
                    syn[i * r_n + r] = 0.0;
                }
            }
        }
        model.step(syn, current, spikes);
    }

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
            step_with(&mut lif, &mut syn, &[], &mut spikes);
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
        step_with(&mut lif, &mut syn, &[], &mut spikes);
        assert_eq!(syn, vec![0.0; 4]);
        for _ in 0..49 {
            step_with(&mut lif, &mut syn, &[], &mut spikes);
        }
        assert!((lif.g_exc[0] - 0.01 * (-1.0f64).exp()).abs() < 1e-15);
        assert!((lif.g_inh[1] - 0.02 * (-1.0f64).exp()).abs() < 1e-15);
        assert!(spikes.is_empty());
    }

    #[test]
    fn refractory_period_that_rounds_to_zero_steps_is_an_error() {
        // PyNN's default tau_refrac = 0.1 ms at dt = 1 ms would be no refractory period at all
        let err = IfCondExp::new(&IfCondExpParams::default(), 1, 1.0)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("params.tau_refrac") && err.contains("0 steps"),
            "{err}"
        );
        let p = IfCondExpParams {
            tau_refrac: 0.0,
            ..Default::default()
        };
        assert!(IfCondExp::new(&p, 1, 1.0).is_ok());
        assert!(IfCondExp::new(&IfCondExpParams::default(), 1, 0.1).is_ok());
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

    // ---- IF_curr_exp -------------------------------------------------------------------------

    /// Run `steps` steps of a one-neuron model without input and return the spike steps.
    fn spike_steps(model: &mut dyn NeuronModel, steps: usize) -> Vec<usize> {
        let mut syn = vec![0.0; model.len() * model.receptors().len()];
        let mut spikes = Vec::new();
        let mut out = Vec::new();
        for s in 0..steps {
            spikes.clear();
            step_with(model, &mut syn, &[], &mut spikes);
            if !spikes.is_empty() {
                out.push(s);
            }
        }
        out
    }

    /// Exact integration: with a constant current the membrane reaches threshold at the first
    /// step after the continuous crossing time T = τ ln((v∞ − v_reset)/(v∞ − θ)), so every ISI
    /// is exactly round(τ_ref/dt) + ceil(T/dt) steps.
    #[test]
    fn curr_exp_constant_current_isi_matches_closed_form() {
        let params = IfCurrExpParams {
            cm: 0.25,
            tau_m: 10.0,
            tau_refrac: 2.0,
            v_rest: -65.0,
            v_reset: -70.0,
            v_thresh: -50.0,
            i_offset: 0.5, // v∞ = −65 + 0.5 · 10 / 0.25 = −45 mV
            ..Default::default()
        };
        let dt = 0.1;
        let mut lif = IfCurrExp::new(&params, 1, dt).unwrap();
        lif.v[0] = params.v_reset;
        let times = spike_steps(&mut lif, 10_000);
        let t_cross = 10.0 * (25.0f64 / 5.0).ln(); // 16.094 ms
        let isi_steps = 20 + (t_cross / dt).ceil() as usize;
        assert_eq!(times[0] + 1, (t_cross / dt).ceil() as usize);
        assert!(times.len() > 10);
        for w in times.windows(2) {
            assert_eq!(w[1] - w[0], isi_steps);
        }
    }

    #[test]
    fn curr_exp_current_jump_decays_exactly() {
        let params = IfCurrExpParams {
            tau_syn_E: 5.0,
            tau_syn_I: 10.0,
            ..Default::default()
        };
        let mut lif = IfCurrExp::new(&params, 2, 0.1).unwrap();
        let mut syn = vec![0.3, 0.0, 0.0, -0.2];
        let mut spikes = Vec::new();
        step_with(&mut lif, &mut syn, &[], &mut spikes);
        assert_eq!(syn, vec![0.0; 4]);
        for _ in 0..49 {
            step_with(&mut lif, &mut syn, &[], &mut spikes);
        }
        assert!((lif.i_exc[0] - 0.3 * (-1.0f64).exp()).abs() < 1e-15);
        assert!((lif.i_inh[1] + 0.2 * (-0.5f64).exp()).abs() < 1e-15);
        assert!(spikes.is_empty());
    }

    /// The PSP of one current jump w at rest, v(t) − v_rest = w/cm · τmτs/(τm − τs) ·
    /// (e^{−t/τm} − e^{−t/τs}) (or w t e^{−t/τ}/cm when τs = τm), is reproduced at every step
    /// to rounding, and its sampled peak matches the closed-form peak.
    #[test]
    fn curr_exp_psp_matches_closed_form() {
        for (tau_m, tau_s) in [(20.0, 5.0), (10.0, 10.0), (5.0, 8.0)] {
            let params = IfCurrExpParams {
                tau_m,
                tau_syn_E: tau_s,
                cm: 0.5,
                ..Default::default()
            };
            let (w, dt) = (0.2, 0.01);
            let mut lif = IfCurrExp::new(&params, 1, dt).unwrap();
            let mut syn = vec![w, 0.0];
            let mut spikes = Vec::new();
            let psp = |t: f64| {
                if tau_m == tau_s {
                    w / 0.5 * t * (-t / tau_m).exp()
                } else {
                    w / 0.5 * tau_m * tau_s / (tau_m - tau_s)
                        * ((-t / tau_m).exp() - (-t / tau_s).exp())
                }
            };
            let mut peak: f64 = 0.0;
            for k in 1..=10_000 {
                step_with(&mut lif, &mut syn, &[], &mut spikes);
                let dv = lif.v[0] - params.v_rest;
                assert!(
                    (dv - psp(k as f64 * dt)).abs() < 1e-12,
                    "τm {tau_m} τs {tau_s} k {k}"
                );
                peak = peak.max(dv);
            }
            let t_peak = if tau_m == tau_s {
                tau_m
            } else {
                tau_m * tau_s / (tau_m - tau_s) * (tau_m / tau_s).ln()
            };
            // the peak is flat: sampling within dt/2 of t_peak costs O(dt²)
            assert!(
                (peak - psp(t_peak)).abs() < 1e-6,
                "{peak} vs {}",
                psp(t_peak)
            );
            assert!(spikes.is_empty());
        }
    }

    #[test]
    fn curr_exp_refractory_holds_v_while_currents_decay() {
        let params = IfCurrExpParams {
            tau_refrac: 0.5,
            ..Default::default()
        };
        let mut lif = IfCurrExp::new(&params, 1, 0.1).unwrap();
        let mut spikes = Vec::new();
        lif.v[0] = -49.0;
        lif.step(&mut [0.0, 0.0], &[0.75], &mut spikes);
        assert_eq!(spikes, vec![0]);
        for _ in 0..5 {
            spikes.clear();
            step_with(&mut lif, &mut [5.0, 0.0], &[0.0], &mut spikes);
            assert_eq!(lif.v[0], -65.0);
        }
        lif.step(&mut [0.0, 0.0], &[0.0], &mut spikes);
        assert!(lif.v[0] > -65.0);
    }

    // ---- Neurapse LIF ------------------------------------------------------------------------

    // spiking.md §1.8, data/neurapse_reference_numbers.json key `lif` (`Rp=0ms`, `Rp=2ms`).
    const LIF_COUNTS_RP0: [usize; 10] = [20, 27, 33, 39, 45, 50, 55, 60, 65, 70];
    const LIF_ISI_RP0: [f64; 10] = [24.1, 18.1, 14.8, 12.7, 11.1, 10.0, 9.0, 8.3, 7.6, 7.1];
    const LIF_COUNTS_RP2: [usize; 10] = [19, 25, 30, 34, 38, 42, 46, 49, 52, 55];
    const LIF_ISI_RP2: [f64; 10] = [26.0, 20.0, 16.7, 14.6, 13.0, 11.9, 10.9, 10.2, 9.5, 9.0];

    /// HW1 P1: 10 neurons, I_k = (1 + 0.1 k)·Ic, Ic = gL (V_T − EL) = 2.7 nA, 500 ms at 0.1 ms.
    fn neurapse_lif_run(rp: f64) -> Vec<Vec<usize>> {
        let params = LifNeurapseParams {
            Rp: rp,
            ..Default::default()
        };
        let ic = params.gL * (params.V_thresh - params.EL);
        let current: Vec<f64> = (1..=10).map(|k| (1.0 + 0.1 * k as f64) * ic).collect();
        let mut lif = LifNeurapse::new(&params, 10, 0.1).unwrap();
        let mut syn = vec![0.0; 10];
        let mut spikes = Vec::new();
        let mut trains = vec![Vec::new(); 10];
        for s in 0..5000 {
            spikes.clear();
            step_with(&mut lif, &mut syn, &current, &mut spikes);
            for &i in &spikes {
                trains[i as usize].push(s + 1); // Neurapse trace column
                assert_eq!(lif.v[i as usize], 200.0);
            }
        }
        trains
    }

    #[test]
    fn neurapse_lif_reference_counts_and_isis() {
        for (rp, counts, isis) in [
            (0.0, LIF_COUNTS_RP0, LIF_ISI_RP0),
            (2.0, LIF_COUNTS_RP2, LIF_ISI_RP2),
        ] {
            let trains = neurapse_lif_run(rp);
            for k in 0..10 {
                let t = &trains[k];
                assert_eq!(t.len(), counts[k], "Rp {rp} neuron {k}");
                let isi = (t[t.len() - 1] - t[0]) as f64 * 0.1 / (t.len() - 1) as f64;
                // within one step as required; in fact equal to rounding
                assert!(
                    (isi - isis[k]).abs() < 1e-9,
                    "Rp {rp} k {k}: {isi} vs {}",
                    isis[k]
                );
            }
        }
    }

    #[test]
    fn neurapse_lif_marker_and_reset_semantics() {
        // Rp = 0: marker on the spike step, EL on the next step, integration after that.
        let params = LifNeurapseParams {
            Rp: 0.0,
            ..Default::default()
        };
        let mut lif = LifNeurapse::new(&params, 1, 0.1).unwrap();
        let mut spikes = Vec::new();
        lif.v[0] = 19.99;
        lif.step(&mut [0.0], &[10.0], &mut spikes);
        assert_eq!((spikes.as_slice(), lif.v[0]), (&[0u32][..], 200.0));
        spikes.clear();
        lif.step(&mut [0.0], &[10.0], &mut spikes);
        assert_eq!((spikes.len(), lif.v[0]), (0, -70.0));
        lif.step(&mut [0.0], &[10.0], &mut spikes);
        assert!(lif.v[0] > -70.0);
        // Rp = 2 ms: EL on the 20 steps after the spike step; instant input is ignored there.
        let mut lif = LifNeurapse::new(&LifNeurapseParams::default(), 1, 0.1).unwrap();
        lif.v[0] = 19.99;
        lif.step(&mut [100.0], &[], &mut spikes);
        for _ in 0..20 {
            let mut syn = [100.0];
            step_with(&mut lif, &mut syn, &[], &mut spikes);
            assert_eq!((syn[0], lif.v[0]), (0.0, -70.0));
        }
        lif.step(&mut [0.3], &[], &mut spikes);
        assert!(lif.v[0] > -70.0);
    }
}
