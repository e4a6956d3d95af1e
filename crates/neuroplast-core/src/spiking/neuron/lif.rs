//! Conductance-based leaky integrate-and-fire neurons.
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

use super::lanes::{LaneSet, Step};
use super::single::{arrays, Arrays, Either, Single};
use super::{
    check_finite, check_positive, push_fresh, push_fresh_chunks, push_fresh_lanes, NeuronModel,
    Precision, Receptor, ReceptorKind, RefractoryRule, BLOCK,
};
use crate::lang::Float;
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
    /// When the neuron integrates again after a spike: `"nest"` (default) or `"brian2"`
    /// (one step sooner); see [`RefractoryRule`].
    pub refractory: RefractoryRule,
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
            refractory: RefractoryRule::Nest,
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
    CondConsts, CondLanes, CondBlock, CondAccess, CondVisit {
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
            nref: p.refractory.counter(p.tau_refrac, dt_ms)?,
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
    /// The state in `f32` for a population built with `precision = "f32"` (the four arrays
    /// above are then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    single: Option<Box<Single>>,
}

/// The names of the state arrays.
const COND_STATE: &[&str; 3] = &["v", "g_exc", "g_inh"];

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
            single: None,
        })
    }

    /// The same neurons with their state in `f32` (each value rounded once).
    fn into_f32(mut self) -> IfCondExp {
        let arrays = [&mut self.v, &mut self.g_exc, &mut self.g_inh];
        self.single = Some(Single::take(arrays, &mut self.refrac));
        self
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
        let wide = [&mut self.v, &mut self.g_exc, &mut self.g_inh];
        match arrays(self.single.as_deref_mut(), wide, &mut self.refrac) {
            Either::F64(a) => update::<EXT, EXP, L, f64>(a, lanes, current, spikes),
            Either::F32(a) => update::<EXT, EXP, L, f32>(a, lanes, current, spikes),
        }
    }
}

/// One step of `IF_cond_exp` over state arrays of precision `F`; the constants are `f64`,
/// rounded to `F` where they are used (once per step for uniform constants).
#[inline(always)]
fn update<const EXT: bool, const EXP: bool, L, F: Float>(
    mut s: Arrays<'_, F>,
    lanes: &L,
    current: &[f64],
    spikes: &mut Vec<u32>,
) where
    L: LaneSet,
    for<'a> L::Block<'a>: CondAccess,
{
    let f = F::from_f64;
    let n = s.v.len();
    let current = if EXT { &current[..n] } else { &[][..] };
    // with one refractory period for all, a spike is a counter equal to it
    let same_nref = <L::Block<'_> as CondAccess>::same_for_all("nref");
    let mut base = 0;
    while base < n {
        // full lanes: blocks of `BLOCK` neurons; uniform constants or one differing
        // constant: one loop over the population (per block, the runtime alias checks of
        // a column cost as much as the block's update)
        let end = if <L::Block<'_> as CondAccess>::BLOCKED {
            (base + BLOCK).min(n)
        } else {
            n
        };
        let c = lanes.block(base, end);
        c.check_len(end - base);
        let [ge, gi] = &mut s.syn;
        let v = &mut s.v[base..end];
        let ge = &mut ge[base..end];
        let gi = &mut gi[base..end];
        let refrac = &mut s.refrac[base..end];
        let n = v.len();
        let (ge, gi, refrac) = (&mut ge[..n], &mut gi[..n], &mut refrac[..n]);
        // spikes of the block, counted only on the per-neuron path (an integer sum keeps
        // the loop vectorised; the uniform path finds them by one compare per neuron)
        let mut fired = 0u32;
        let one = F::ONE;
        for k in 0..n {
            let (gl, el, ee, ei) = (
                f(c.g_leak(k)),
                f(c.v_rest(k)),
                f(c.e_rev_E(k)),
                f(c.e_rev_I(k)),
            );
            let (g_e, g_i, v0) = (ge[k], gi[k], v[k]);
            let i_in = if EXT {
                f(c.i_offset(k)) + f(current[base + k])
            } else {
                f(c.i_offset(k))
            };
            let v1 = if EXP {
                let g_tot = gl + g_e + g_i;
                let v_inf = (gl * el + g_e * ee + g_i * ei + i_in) / g_tot;
                v_inf + (v0 - v_inf) * (-g_tot * f(c.dt_cm(k))).exp()
            } else {
                v0 + f(c.dt_cm(k)) * (gl * (el - v0) + g_e * (ee - v0) + g_i * (ei - v0) + i_in)
            };
            let r = refrac[k];
            let active = r <= one;
            let v1 = if active { v1 } else { v0 };
            let spike = active & (v1 > f(c.v_thresh(k)));
            if !same_nref && <L::Block<'_> as CondAccess>::BLOCKED {
                fired += u32::from(spike);
            }
            v[k] = if spike { f(c.v_reset(k)) } else { v1 };
            refrac[k] = if spike {
                f(c.nref(k))
            } else {
                (r - one).max(F::ZERO)
            };
            ge[k] = g_e * f(c.decay_e(k));
            gi[k] = g_i * f(c.decay_i(k));
        }
        if !<L::Block<'_> as CondAccess>::BLOCKED {
            // one loop over the population: look for spikes 64 neurons at a time
            push_fresh_chunks(refrac, |k| f(c.nref(k)), base, spikes);
        } else if same_nref {
            // a separate OR-reduction vectorises; accumulating it in the loop above does not
            let nref = f(c.nref(0));
            if refrac.iter().fold(false, |a, &r| a | (r == nref)) {
                push_fresh(refrac, nref, base, spikes);
            }
        } else if fired > 0 {
            push_fresh_lanes(refrac, |k| f(c.nref(k)), base, spikes);
        }
        base = end;
    }
}

/// One step of the update, over uniform constants or any lanes.
impl CondVisit for Step<'_, IfCondExp> {
    type Out = ();
    #[inline(always)]
    fn visit<S>(self, set: &S)
    where
        S: LaneSet,
        for<'a> S::Block<'a>: CondAccess,
    {
        let Step { m, current, spikes } = self;
        let exp = m.params.integrator == Integrator::ExponentialEuler;
        crate::simd::dispatch(
            #[inline(always)]
            || match (current.is_empty(), exp) {
                (true, false) => m.update::<false, false, _>(set, current, spikes),
                (false, false) => m.update::<true, false, _>(set, current, spikes),
                (true, true) => m.update::<false, true, _>(set, current, spikes),
                (false, true) => m.update::<true, true, _>(set, current, spikes),
            },
        );
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

    const F32: bool = true;

    fn carry_from(&mut self, old: &Self) {
        super::carry_named(self, old);
        self.refrac.clone_from(&old.refrac);
        if let (Some(new), Some(old)) = (self.single.as_deref_mut(), old.single.as_deref()) {
            new.refrac.clone_from(&old.refrac);
        }
    }

    fn validate(params: &IfCondExpParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &IfCondExpParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        let mut m = IfCondExp::new(params, n, ctx.dt_ms)?;
        if !ctx.per_neuron.is_empty() {
            let each = super::per_neuron_consts(
                params,
                n,
                &ctx,
                "params",
                IfCondExpParams::validate,
                |p| CondConsts::of(p, ctx.dt_ms),
            )?;
            m.v = each.iter().map(|(p, _)| p.v_rest).collect();
            let consts: Vec<CondConsts> = each.into_iter().map(|(_, c)| c).collect();
            m.lanes = Some(CondLanes::of(&consts));
        }
        Ok(match ctx.precision {
            Precision::F64 => m,
            Precision::F32 => m.into_f32(),
        })
    }
}

impl NeuronModel for IfCondExp {
    fn len(&self) -> usize {
        match &self.single {
            None => self.v.len(),
            Some(s) => s.len(),
        }
    }

    fn receptors(&self) -> &'static [Receptor] {
        COND_RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        COND_STATE
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        if self.single.is_some() {
            return None; // `values`
        }
        match name {
            "v" => Some(&self.v),
            "g_exc" => Some(&self.g_exc),
            "g_inh" => Some(&self.g_inh),
            _ => None,
        }
    }

    fn state_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        if self.single.is_some() {
            return None; // `values_mut`
        }
        match name {
            "v" => Some(&mut self.v),
            "g_exc" => Some(&mut self.g_exc),
            "g_inh" => Some(&mut self.g_inh),
            _ => None,
        }
    }

    fn step(&mut self, _syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        let lanes = self.lanes.take();
        let c = self.c;
        let step = Step {
            m: self,
            current,
            spikes,
        };
        match lanes {
            None => step.visit(&c),
            Some(lanes) => self.lanes = Some(lanes.visit(step).0),
        }
    }

    fn receptor_state(&mut self, r: usize) -> Option<&mut [f64]> {
        if self.single.is_some() {
            return None;
        }
        match r {
            0 => Some(&mut self.g_exc),
            1 => Some(&mut self.g_inh),
            _ => None,
        }
    }

    super::single::f32_state_access!(COND_STATE);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spiking::neuron::lanes::index_of;
    use crate::spiking::neuron::testing::step_with;
    use crate::spiking::neuron::StateRef;

    /// `f32` state runs the same update in `f32`: every value equals a scalar `f32` replay of
    /// the module's equations (constants computed in `f64`, rounded once), both integrators,
    /// with inputs, spikes and refractoriness; and it stays within single precision of the
    /// `f64` population until the first spike.
    #[test]
    fn f32_state_is_the_update_in_single_precision() {
        use rand::{Rng as _, SeedableRng as _};
        let mut rng = crate::rng::Rng::seed_from_u64(3);
        let (n, dt) = (203, 0.1);
        for integrator in [Integrator::Euler, Integrator::ExponentialEuler] {
            let p = IfCondExpParams {
                integrator,
                tau_refrac: 2.0,
                ..Default::default()
            };
            let c = CondConsts::of(&p, dt).unwrap();
            let f = |x: f64| x as f32;
            let mut m = IfCondExp::new(&p, n, dt).unwrap().into_f32();
            let mut wide = IfCondExp::new(&p, n, dt).unwrap();
            assert_eq!(m.precision(), Precision::F32);
            assert!(m.state("v").is_none() && m.receptor_state(0).is_none());
            let mut v = vec![f(p.v_rest); n];
            let (mut ge, mut gi, mut refrac) = (vec![0f32; n], vec![0f32; n], vec![0f32; n]);
            let (mut spikes, mut wide_spikes, mut first_spike) = (Vec::new(), Vec::new(), None);
            let mut total = 0;
            for step in 0..400 {
                let current: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..2.5)).collect();
                let w: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..0.004)).collect();
                for (i, &w) in w.iter().enumerate() {
                    m.receptor_values(0).unwrap().add(i, w);
                    m.receptor_values(1).unwrap().add(i, w / 2.0);
                    wide.g_exc[i] += w;
                    wide.g_inh[i] += w / 2.0;
                    ge[i] += f(w);
                    gi[i] += f(w / 2.0);
                }
                spikes.clear();
                m.step(&mut [], &current, &mut spikes);
                wide.step(&mut [], &current, &mut wide_spikes);
                let mut expected = Vec::new();
                for i in 0..n {
                    let (gl, el, ee, ei) = (f(c.g_leak), f(c.v_rest), f(c.e_rev_E), f(c.e_rev_I));
                    let i_in = f(c.i_offset) + f(current[i]);
                    let v0 = v[i];
                    let v1 = match integrator {
                        Integrator::Euler => {
                            v0 + f(c.dt_cm)
                                * (gl * (el - v0) + ge[i] * (ee - v0) + gi[i] * (ei - v0) + i_in)
                        }
                        Integrator::ExponentialEuler => {
                            let g_tot = gl + ge[i] + gi[i];
                            let v_inf = (gl * el + ge[i] * ee + gi[i] * ei + i_in) / g_tot;
                            v_inf + (v0 - v_inf) * (-g_tot * f(c.dt_cm)).exp()
                        }
                    };
                    let active = refrac[i] <= 1.0;
                    let v1 = if active { v1 } else { v0 };
                    if active && v1 > f(c.v_thresh) {
                        v[i] = f(c.v_reset);
                        refrac[i] = f(c.nref);
                        expected.push(i as u32);
                    } else {
                        v[i] = v1;
                        refrac[i] = (refrac[i] - 1.0).max(0.0);
                    }
                    ge[i] *= f(c.decay_e);
                    gi[i] *= f(c.decay_i);
                }
                assert_eq!(spikes, expected, "{integrator:?}, step {step}");
                total += spikes.len();
                let Some(StateRef::F32(mv)) = m.values("v") else {
                    panic!("f32 v")
                };
                assert_eq!(mv, &v[..], "{integrator:?}, step {step}");
                if first_spike.is_none() && !wide_spikes.is_empty() {
                    first_spike = Some(step);
                }
                if first_spike.is_none() {
                    for (a, b) in mv.iter().zip(&wide.v) {
                        assert!((f64::from(*a) - b).abs() < 1e-4, "{a} against {b}");
                    }
                }
            }
            assert!(
                first_spike.is_some_and(|s| s > 0) && total > n,
                "{total} spikes"
            );
            // the state round-trips through serde with its precision
            let back: IfCondExp =
                serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
            assert_eq!(back, m);
            assert_eq!(back.precision(), Precision::F32);
        }
    }

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
            // per-neuron constants (the lanes instantiation)
            let tau: Vec<f64> = (0..n).map(|i| 15.0 + 0.01 * i as f64).collect();
            let per = [("tau_m".to_string(), tau)];
            let spec = crate::spiking::neuron::ModelSpec::IF_cond_exp(p.clone());
            let crate::spiking::neuron::Neurons::IF_cond_exp(mut a) =
                crate::spiking::neuron::testing::build(&spec, n, 0.1, &per)
            else {
                unreachable!()
            };
            let mut b = a.clone();
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            for _ in 0..300 {
                let current: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..1.6)).collect();
                let ge: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..0.004)).collect();
                for m in [&mut a, &mut b] {
                    m.g_exc.iter_mut().zip(&ge).for_each(|(g, x)| *g += x);
                }
                a.step(&mut [], &current, &mut sa);
                let lanes = b.lanes.take().unwrap();
                match integrator {
                    Integrator::Euler => b.update::<true, false, _>(&lanes, &current, &mut sb),
                    Integrator::ExponentialEuler => {
                        b.update::<true, true, _>(&lanes, &current, &mut sb)
                    }
                }
                b.lanes = Some(lanes);
            }
            assert_eq!(sa, sb, "{integrator:?}");
            assert!(sa.len() > 1000, "{integrator:?}: {} spikes", sa.len());
            assert!(a == b, "{integrator:?}");
        }
    }

    /// Per-neuron parameters: a population whose neurons differ in `v_thresh`, `tau_m` and
    /// `i_offset` gives each neuron the bits of a one-neuron population with that neuron's
    /// parameters; per-neuron values that are all equal give the bits of the plain model.
    /// One per-neuron parameter (one differing constant) runs the one-column update: the
    /// same spikes and state as the full lanes and as one population per neuron; the mask
    /// is found again after a checkpoint (serde) round trip; equal values run the uniform one.
    #[test]
    fn one_differing_constant_runs_the_column_update() {
        use crate::spiking::neuron::{Build, BuiltinModel};
        let n = 150;
        let base = IfCondExpParams {
            i_offset: 1.2,
            ..Default::default()
        };
        let build = |per: Vec<(String, Vec<f64>)>| {
            let ctx = Build {
                dt_ms: 0.1,
                offset: 0,
                rng: crate::rng::component(1, crate::rng::Stream::Poisson, 0),
                per_neuron: &per,
                precision: Default::default(),
            };
            IfCondExp::build(&base, n, ctx).unwrap()
        };
        type Case = (&'static str, fn(usize) -> f64, &'static str);
        let cases: [Case; 4] = [
            ("i_offset", |i| 1.0 + 0.01 * i as f64, "i_offset"),
            ("v_thresh", |i| -52.0 + 0.02 * i as f64, "v_thresh"),
            ("tau_m", |i| 10.0 + 0.1 * i as f64, "g_leak"),
            ("tau_refrac", |i| 1.0 + 0.05 * i as f64, "nref"),
        ];
        for (param, value, constant) in cases {
            let values: Vec<f64> = (0..n).map(value).collect();
            let mut column = build(vec![(param.into(), values.clone())]);
            let lanes = column.lanes.as_ref().expect("per-neuron lanes");
            let bit = 1 << index_of(CondLanes::NAMES, constant);
            assert_eq!(lanes.mask, bit, "{param}");
            let json = serde_json::to_string(lanes).unwrap();
            let back: CondLanes = serde_json::from_str(&json).unwrap();
            assert!(
                &back == lanes,
                "{param}: mask and column after a round trip"
            );
            let mut full = column.clone();
            let mut ones: Vec<IfCondExp> = (0..n)
                .map(|i| {
                    let mut p = base.clone();
                    assert!(crate::spiking::neuron::ParamTable::set(
                        &mut p, param, values[i]
                    ));
                    IfCondExp::new(&p, 1, 0.1).unwrap()
                })
                .collect();
            let (mut s_col, mut s_full, mut s_ones) = (Vec::new(), Vec::new(), Vec::new());
            for t in 0..3000u32 {
                let mut s = Vec::new();
                column.step(&mut [], &[], &mut s);
                s_col.extend(s.iter().map(|&i| (t, i)));
                let lanes = full.lanes.take().unwrap();
                s.clear();
                full.update::<false, false, _>(&lanes, &[], &mut s);
                full.lanes = Some(lanes);
                s_full.extend(s.iter().map(|&i| (t, i)));
                for (i, m) in ones.iter_mut().enumerate() {
                    s.clear();
                    m.step(&mut [], &[], &mut s);
                    s_ones.extend(s.iter().map(|_| (t, i as u32)));
                }
            }
            assert!(s_col.len() > 1000, "{param}: {} spikes", s_col.len());
            assert_eq!(s_col, s_full, "{param}");
            assert_eq!(s_col, s_ones, "{param}");
            assert!(
                column.v == full.v && column.refrac == full.refrac,
                "{param}"
            );
        }
        // equal values: mask 0, the uniform update
        let same = build(vec![("i_offset".into(), vec![1.2; n])]);
        assert_eq!(same.lanes.as_ref().unwrap().mask, 0);
    }

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
                precision: Default::default(),
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
}
