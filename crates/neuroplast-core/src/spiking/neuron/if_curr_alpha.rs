//! `IF_curr_alpha` (PyNN): leaky integrate-and-fire with alpha-shaped synaptic currents,
//! integrated exactly (NEST `iaf_psc_alpha`; Rotter & Diesmann 1999).
//!
//! ```text
//! cm dv/dt = cm (v_rest − v) / tau_m + i_exc + i_inh + i_offset + I_ext
//! i_exc(t) = Σ_spikes w · (t − t_s)/tau_syn_E · exp(1 − (t − t_s)/tau_syn_E)   (i_inh likewise)
//! ```
//!
//! **Normalisation.** A spike of weight `w` (nA) gives a current that starts at 0, peaks at
//! exactly `w` after `tau_syn`, and carries the charge `e·w·tau_syn`: NEST's `iaf_psc_alpha`
//! normalisation (its kernel is scaled by `e/tau_syn` so that the weight is the PSC's peak),
//! which PyNN's NEST backend uses for `IF_curr_alpha` (weights in nA there, pA in NEST).
//! Parameter names, units and defaults are PyNN 0.13's (`pyNN/standardmodels/cells.py`:
//! `tau_syn_E = tau_syn_I = 0.5` ms).
//!
//! **As ODEs.** Each receptor has a rise variable `x` (nA, the `x_exc` / `x_inh` state) and the
//! current `i`:
//!
//! ```text
//! dx/dt = −x / tau_syn        di/dt = (e / tau_syn) x − i / tau_syn
//! ```
//!
//! A weight delivered in a step is added to `x` at the start of that step (receptors
//! `excitatory` / `inhibitory`, [`ReceptorKind::Current`]), so it acts on `v` within the step,
//! as in [`IF_curr_exp`](super::IfCurrExp); from `x = w`, `i = 0` the current is then exactly
//! the kernel above.
//!
//! **Exact integration.** Between spikes `(x, i, v)` is linear with constant coefficients, so
//! one step `h` is its exact propagator (input `i_offset + I_ext` held over the step):
//!
//! ```text
//! x ← E x                          E = exp(−h/tau_syn)
//! i ← E i + (e/tau_syn) h E x
//! v ← v_rest + (v − v_rest) P22 + i P21 + x P2x + (i_offset + I_ext) P20
//! P22 = exp(−h/tau_m)        P20 = tau_m/cm · (1 − exp(−h/tau_m))
//! P21 = the IF_curr_exp propagator of an exponential current (tau_syn, tau_m)
//! P2x = e / (tau_syn cm) · exp(−h/tau_m) · h² φ(κh),  κ = 1/tau_syn − 1/tau_m,
//! φ(z) = (1 − e^{−z}(1 + z)) / z²   (a series near z = 0, so tau_syn = tau_m is exact too)
//! ```
//!
//! The PSP of one weight therefore matches its closed form to rounding at every step (tested
//! to 1e-9 relative with the peak on a grid point).
//!
//! **Spike and refractoriness** as in the other LIFs: a spike when `v > v_thresh`; then
//! `v = v_reset`, held for `round(tau_refrac/dt)` steps while the synaptic currents keep
//! evolving. Initial state: `v = v_rest` (each neuron's own with per-neuron values), currents 0.

use serde::{Deserialize, Serialize};

use super::if_curr_exp::psc_exp_propagator;
use super::lanes::LaneSet;
use super::single::Single;
use super::{
    check_finite, check_positive, push_fresh, push_fresh_lanes, NeuronModel, Precision,
    RefractoryRule, Receptor, ReceptorKind, BLOCK,
};
use crate::lang::Float;
use crate::{ensure, Result};

/// Parameters of [`IfCurrAlpha`] (`IF_curr_alpha`), PyNN's names, units and defaults.
#[allow(non_snake_case)] // reason: PyNN's names (tau_syn_E, tau_syn_I) are the public keys
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IfCurrAlphaParams {
    /// Membrane capacitance, nF.
    pub cm: f64,
    /// Membrane time constant, ms.
    pub tau_m: f64,
    /// Refractory period, ms (rounded to whole steps).
    pub tau_refrac: f64,
    /// When the neuron integrates again after a spike: `"nest"` (default) or `"brian2"`
    /// (one step sooner); see [`RefractoryRule`].
    pub refractory: RefractoryRule,
    /// Rise time of the excitatory alpha current (its peak time), ms.
    pub tau_syn_E: f64,
    /// Rise time of the inhibitory alpha current (its peak time), ms.
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

impl Default for IfCurrAlphaParams {
    /// PyNN 0.13's `IF_curr_alpha.default_parameters`.
    fn default() -> Self {
        IfCurrAlphaParams {
            cm: 1.0,
            tau_m: 20.0,
            tau_refrac: 0.1,
            refractory: RefractoryRule::Nest,
            tau_syn_E: 0.5,
            tau_syn_I: 0.5,
            v_rest: -65.0,
            v_reset: -65.0,
            v_thresh: -50.0,
            i_offset: 0.0,
        }
    }
}

impl IfCurrAlphaParams {
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

crate::param_table!(IfCurrAlphaParams {
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

const RECEPTORS: &[Receptor] = &[
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

/// `φ(z) = (1 − e^{−z}(1 + z)) / z²`, so that `∫₀ʰ s e^{−κs} ds = h² φ(κh)`; below |z| = 0.05
/// (where the closed form cancels) its Taylor series `Σ_{n≥2} (−1)ⁿ (n − 1) z^{n−2} / n!`,
/// truncated after the z⁸ term (the next is below 10⁻¹⁸ relative).
pub(crate) fn phi(z: f64) -> f64 {
    /// (−1)ⁿ (n − 1)/n! for n = 2 … 10: the coefficients of z⁰ … z⁸.
    const SERIES: [f64; 9] = [
        1.0 / 2.0,
        -1.0 / 3.0,
        1.0 / 8.0,
        -1.0 / 30.0,
        1.0 / 144.0,
        -1.0 / 840.0,
        1.0 / 5760.0,
        -1.0 / 45360.0,
        1.0 / 403200.0,
    ];
    if z.abs() < 0.05 {
        SERIES.iter().rev().fold(0.0, |acc, &c| acc * z + c)
    } else {
        (-(-z).exp_m1() - z * (-z).exp()) / (z * z)
    }
}

/// Exact propagator from the rise variable `x` of an alpha current (time constant `tau_s`,
/// with `i = 0`) into the membrane potential over one step `h`:
/// `e/(tau_s cm) · e^{−h/tau_m} · h² φ((1/tau_s − 1/tau_m) h)`.
pub(crate) fn psc_alpha_propagator(tau_m: f64, tau_s: f64, cm: f64, h: f64) -> f64 {
    let kappa = 1.0 / tau_s - 1.0 / tau_m;
    std::f64::consts::E / (tau_s * cm) * (-h / tau_m).exp() * h * h * phi(kappa * h)
}

crate::lanes! {
    /// Constants of the `IF_curr_alpha` update (its exact propagators), derived from one
    /// neuron's parameters.
    AlphaConsts, AlphaLanes, AlphaBlock, AlphaAccess, AlphaVisit {
        v_rest, v_thresh, v_reset, i_offset, p22, p20, p21_e, p21_i, p2x_e, p2x_i, p11_e,
        p11_i, pxi_e, pxi_i, nref,
    }
}

impl AlphaConsts {
    /// The propagators of the module docs: `p11_* = E`, `pxi_* = (e/tau_syn) h E` (x → i),
    /// `p21_*` (i → v), `p2x_*` (x → v), `p22`, `p20`.
    fn of(p: &IfCurrAlphaParams, h: f64) -> Result<AlphaConsts> {
        let e = std::f64::consts::E;
        let (p11_e, p11_i) = ((-h / p.tau_syn_E).exp(), (-h / p.tau_syn_I).exp());
        Ok(AlphaConsts {
            v_rest: p.v_rest,
            v_thresh: p.v_thresh,
            v_reset: p.v_reset,
            i_offset: p.i_offset,
            p22: (-h / p.tau_m).exp(),
            p20: -p.tau_m / p.cm * (-h / p.tau_m).exp_m1(),
            p21_e: psc_exp_propagator(p.tau_m, p.tau_syn_E, p.cm, h),
            p21_i: psc_exp_propagator(p.tau_m, p.tau_syn_I, p.cm, h),
            p2x_e: psc_alpha_propagator(p.tau_m, p.tau_syn_E, p.cm, h),
            p2x_i: psc_alpha_propagator(p.tau_m, p.tau_syn_I, p.cm, h),
            p11_e,
            p11_i,
            pxi_e: e / p.tau_syn_E * h * p11_e,
            pxi_i: e / p.tau_syn_I * h * p11_i,
            nref: p.refractory.counter(p.tau_refrac, h)?,
        })
    }
}

/// A population of `IF_curr_alpha` neurons (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IfCurrAlpha {
    params: IfCurrAlphaParams,
    dt: f64,
    /// The update's constants when every neuron has the same parameters.
    c: AlphaConsts,
    /// Per-neuron constants when some parameter differs between neurons.
    lanes: Option<AlphaLanes>,
    /// Membrane potential, mV.
    pub v: Vec<f64>,
    /// Excitatory synaptic current, nA.
    pub i_exc: Vec<f64>,
    /// Inhibitory synaptic current, nA.
    pub i_inh: Vec<f64>,
    /// Excitatory rise variable, nA (delivered weights land here).
    pub x_exc: Vec<f64>,
    /// Inhibitory rise variable, nA.
    pub x_inh: Vec<f64>,
    /// Refractory counter: `nref` = round(tau_refrac/dt) + 1 on a spike, decremented every
    /// step; the neuron integrates when it is ≤ 1; equal to `nref` in the spike's step.
    refrac: Vec<f64>,
    /// The state in `f32` for a population built with `precision = "f32"` (the arrays above
    /// are then empty), in the order of [`ALPHA_F32`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    single: Option<Box<Single>>,
}

/// The names of the state arrays.
const ALPHA_STATE: &[&str; 5] = &["v", "i_exc", "i_inh", "x_exc", "x_inh"];

/// The order of the `f32` arrays: the receptors' arrays (`x_exc`, `x_inh`) right after `v`,
/// as [`f32_state_access!`](super::single::f32_state_access) expects.
const ALPHA_F32: &[&str; 5] = &["v", "x_exc", "x_inh", "i_exc", "i_inh"];

/// The arrays one step runs over, of precision `F`.
struct AlphaArrays<'a, F> {
    v: &'a mut [F],
    x: [&'a mut [F]; 2],
    i: [&'a mut [F]; 2],
    refrac: &'a mut [F],
}

impl IfCurrAlpha {
    /// `n` neurons at rest, time step `dt_ms`.
    pub fn new(params: &IfCurrAlphaParams, n: usize, dt_ms: f64) -> Result<IfCurrAlpha> {
        params.validate("params")?;
        ensure!(
            dt_ms.is_finite() && dt_ms > 0.0,
            "dt",
            "must be a finite number > 0 ms, got {dt_ms}"
        );
        Ok(IfCurrAlpha {
            params: params.clone(),
            dt: dt_ms,
            c: AlphaConsts::of(params, dt_ms)?,
            lanes: None,
            v: vec![params.v_rest; n],
            i_exc: vec![0.0; n],
            i_inh: vec![0.0; n],
            x_exc: vec![0.0; n],
            x_inh: vec![0.0; n],
            refrac: vec![0.0; n],
            single: None,
        })
    }

    /// The same neurons with their state in `f32` (each value rounded once).
    fn into_f32(mut self) -> IfCurrAlpha {
        let arrays = [
            &mut self.v,
            &mut self.x_exc,
            &mut self.x_inh,
            &mut self.i_exc,
            &mut self.i_inh,
        ];
        self.single = Some(Single::take(arrays, &mut self.refrac));
        self
    }

    /// The parameters (those of every neuron, before per-neuron values).
    pub fn params(&self) -> &IfCurrAlphaParams {
        &self.params
    }

    /// The time step, ms.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// One step at the state's precision.
    #[inline(always)]
    fn update<const EXT: bool, L>(&mut self, lanes: &L, current: &[f64], spikes: &mut Vec<u32>)
    where
        L: LaneSet,
        for<'a> L::Block<'a>: AlphaAccess,
    {
        match self.single.as_deref_mut() {
            None => {
                let s = AlphaArrays {
                    v: &mut self.v,
                    x: [&mut self.x_exc, &mut self.x_inh],
                    i: [&mut self.i_exc, &mut self.i_inh],
                    refrac: &mut self.refrac,
                };
                update::<EXT, L, f64>(s, lanes, current, spikes)
            }
            Some(single) => match single.arrays.as_mut_slice() {
                [v, xe, xi, ie, ii] => {
                    let s = AlphaArrays {
                        v,
                        x: [xe, xi],
                        i: [ie, ii],
                        refrac: &mut single.refrac,
                    };
                    update::<EXT, L, f32>(s, lanes, current, spikes)
                }
                _ => unreachable!("the f32 state has five arrays"),
            },
        }
    }

    fn run<L>(&mut self, lanes: &L, current: &[f64], spikes: &mut Vec<u32>)
    where
        L: LaneSet,
        for<'a> L::Block<'a>: AlphaAccess,
    {
        crate::simd::dispatch(
            #[inline(always)]
            || {
                if current.is_empty() {
                    self.update::<false, _>(lanes, current, spikes);
                } else {
                    self.update::<true, _>(lanes, current, spikes);
                }
            },
        );
    }
}

/// One step of `IF_curr_alpha` over state arrays of precision `F`; the propagators are `f64`,
/// rounded to `F` where they are used (once per step for uniform constants).
#[inline(always)]
fn update<const EXT: bool, L, F: Float>(
    s: AlphaArrays<'_, F>,
    lanes: &L,
    current: &[f64],
    spikes: &mut Vec<u32>,
) where
    L: LaneSet,
    for<'a> L::Block<'a>: AlphaAccess,
{
    let f = F::from_f64;
    let one = F::ONE;
    let n = s.v.len();
    let current = if EXT { &current[..n] } else { &[][..] };
    let [xe_all, xi_all] = s.x;
    let [ie_all, ii_all] = s.i;
    let mut base = 0;
    while base < n {
        let end = (base + BLOCK).min(n);
        let c = lanes.block(base, end);
        c.check_len(end - base);
        let v = &mut s.v[base..end];
        let ie = &mut ie_all[base..end];
        let ii = &mut ii_all[base..end];
        let xe = &mut xe_all[base..end];
        let xi = &mut xi_all[base..end];
        let refrac = &mut s.refrac[base..end];
        // spikes of the block, counted only on the per-neuron path (an integer sum keeps
        // the loop vectorised; the uniform path finds them by one compare per neuron)
        let mut fired = 0u32;
        for k in 0..v.len() {
            let (x_e, x_i, i_e, i_i, v0) = (xe[k], xi[k], ie[k], ii[k], v[k]);
            let el = f(c.v_rest(k));
            let i_in = if EXT {
                f(c.i_offset(k)) + f(current[base + k])
            } else {
                f(c.i_offset(k))
            };
            let v1 = el
                + (v0 - el) * f(c.p22(k))
                + x_e * f(c.p2x_e(k))
                + i_e * f(c.p21_e(k))
                + x_i * f(c.p2x_i(k))
                + i_i * f(c.p21_i(k))
                + i_in * f(c.p20(k));
            let r = refrac[k];
            let active = r <= one;
            let v1 = if active { v1 } else { v0 };
            let spike = active & (v1 > f(c.v_thresh(k)));
            if !<L::Block<'_> as AlphaAccess>::UNIFORM {
                fired += u32::from(spike);
            }
            v[k] = if spike { f(c.v_reset(k)) } else { v1 };
            refrac[k] = if spike {
                f(c.nref(k))
            } else {
                (r - one).max(F::ZERO)
            };
            ie[k] = i_e * f(c.p11_e(k)) + x_e * f(c.pxi_e(k));
            ii[k] = i_i * f(c.p11_i(k)) + x_i * f(c.pxi_i(k));
            xe[k] = x_e * f(c.p11_e(k));
            xi[k] = x_i * f(c.p11_i(k));
        }
        if <L::Block<'_> as AlphaAccess>::UNIFORM {
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

impl super::BuiltinModel for IfCurrAlpha {
    type Params = IfCurrAlphaParams;

    const F32: bool = true;

    fn carry_from(&mut self, old: &Self) {
        super::carry_named(self, old);
        self.refrac.clone_from(&old.refrac);
        if let (Some(new), Some(old)) = (self.single.as_deref_mut(), old.single.as_deref()) {
            new.refrac.clone_from(&old.refrac);
        }
    }

    fn validate(params: &IfCurrAlphaParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &IfCurrAlphaParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        let mut m = IfCurrAlpha::new(params, n, ctx.dt_ms)?;
        if !ctx.per_neuron.is_empty() {
            let each = super::per_neuron_consts(
                params,
                n,
                &ctx,
                "params",
                IfCurrAlphaParams::validate,
                |p| AlphaConsts::of(p, ctx.dt_ms),
            )?;
            m.v = each.iter().map(|(p, _)| p.v_rest).collect();
            let consts: Vec<AlphaConsts> = each.into_iter().map(|(_, c)| c).collect();
            m.lanes = Some(AlphaLanes::of(&consts));
        }
        Ok(match ctx.precision {
            Precision::F64 => m,
            Precision::F32 => m.into_f32(),
        })
    }
}

impl NeuronModel for IfCurrAlpha {
    fn len(&self) -> usize {
        match &self.single {
            None => self.v.len(),
            Some(s) => s.len(),
        }
    }

    fn receptors(&self) -> &'static [Receptor] {
        RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        ALPHA_STATE
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        if self.single.is_some() {
            return None; // `values`
        }
        match name {
            "v" => Some(&self.v),
            "i_exc" => Some(&self.i_exc),
            "i_inh" => Some(&self.i_inh),
            "x_exc" => Some(&self.x_exc),
            "x_inh" => Some(&self.x_inh),
            _ => None,
        }
    }

    fn state_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        if self.single.is_some() {
            return None; // `values_mut`
        }
        match name {
            "v" => Some(&mut self.v),
            "i_exc" => Some(&mut self.i_exc),
            "i_inh" => Some(&mut self.i_inh),
            "x_exc" => Some(&mut self.x_exc),
            "x_inh" => Some(&mut self.x_inh),
            _ => None,
        }
    }

    fn step(&mut self, _syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        match self.lanes.take() {
            None => {
                let c = self.c;
                self.run(&c, current, spikes);
            }
            Some(lanes) => {
                self.run(&lanes, current, spikes);
                self.lanes = Some(lanes);
            }
        }
    }

    fn receptor_state(&mut self, r: usize) -> Option<&mut [f64]> {
        if self.single.is_some() {
            return None; // `receptor_values`
        }
        match r {
            0 => Some(&mut self.x_exc),
            1 => Some(&mut self.x_inh),
            _ => None,
        }
    }

    super::single::f32_state_access!(ALPHA_F32);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spiking::neuron::testing::step_with;

    /// `f32` state runs the same update in `f32`: every value and spike equals a scalar `f32`
    /// replay of the propagators (each rounded once), with weights added to `x_exc` / `x_inh`
    /// through `receptor_values`, an external current and refractoriness, for uniform and
    /// per-neuron constants; within 1e-3 mV of the `f64` population until its first spike;
    /// serde keeps the precision.
    #[test]
    fn f32_state_is_the_update_in_single_precision() {
        use crate::spiking::neuron::testing::build;
        use crate::spiking::neuron::{ModelSpec, Neurons, StateMut, StateRef};
        use rand::{Rng as _, SeedableRng as _};
        let mut rng = crate::rng::Rng::seed_from_u64(8);
        let (n, dt) = (157, 0.1);
        let p = IfCurrAlphaParams {
            tau_refrac: 1.0,
            ..IfCurrAlphaParams::default()
        };
        let spec = ModelSpec::IF_curr_alpha(p.clone());
        let taus: Vec<f64> = (0..n).map(|i| 8.0 + 0.05 * i as f64).collect();
        for per in [vec![], vec![("tau_m".to_string(), taus.clone())]] {
            let Neurons::IF_curr_alpha(wide) = build(&spec, n, dt, &per) else {
                unreachable!()
            };
            let consts: Vec<AlphaConsts> = (0..n)
                .map(|i| {
                    let tau_m = if per.is_empty() { p.tau_m } else { taus[i] };
                    AlphaConsts::of(&IfCurrAlphaParams { tau_m, ..p.clone() }, dt).unwrap()
                })
                .collect();
            let mut wide = wide;
            let mut m = wide.clone().into_f32();
            assert_eq!(m.precision(), Precision::F32);
            assert!(m.state("v").is_none() && m.receptor_state(0).is_none());
            let f = |x: f64| x as f32;
            let mut v: Vec<f32> = wide.v.iter().map(|&x| f(x)).collect();
            let (mut xe, mut xi, mut ie, mut ii, mut r) =
                (vec![0f32; n], vec![0f32; n], vec![0f32; n], vec![0f32; n], vec![0f32; n]);
            let (mut spikes, mut wide_spikes, mut total) = (Vec::new(), Vec::new(), 0);
            let mut first_spike = None;
            for step in 0..600 {
                let current: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..1.2)).collect();
                for (q, x) in [(0, &mut xe), (1, &mut xi)] {
                    let w: Vec<f64> = (0..n)
                        .map(|_| {
                            let hit = rng.random_bool(0.2);
                            if hit { rng.random_range(0.0..0.8) } else { 0.0 }
                        })
                        .collect();
                    let Some(StateMut::F32(s)) = m.receptor_values(q) else {
                        panic!("f32 receptor")
                    };
                    let target = &mut wide.receptor_state(q).unwrap();
                    for i in 0..n {
                        s[i] += f(w[i]);
                        x[i] += f(w[i]);
                        target[i] += w[i];
                    }
                }
                spikes.clear();
                m.step(&mut [], &current, &mut spikes);
                wide.step(&mut [], &current, &mut wide_spikes);
                let mut expected = Vec::new();
                for i in 0..n {
                    let c = &consts[i];
                    let el = f(c.v_rest);
                    let v1 = el
                        + (v[i] - el) * f(c.p22)
                        + xe[i] * f(c.p2x_e)
                        + ie[i] * f(c.p21_e)
                        + xi[i] * f(c.p2x_i)
                        + ii[i] * f(c.p21_i)
                        + (f(c.i_offset) + f(current[i])) * f(c.p20);
                    let active = r[i] <= 1.0;
                    let v1 = if active { v1 } else { v[i] };
                    let spike = active && v1 > f(c.v_thresh);
                    v[i] = if spike { f(c.v_reset) } else { v1 };
                    r[i] = if spike { f(c.nref) } else { (r[i] - 1.0).max(0.0) };
                    ie[i] = ie[i] * f(c.p11_e) + xe[i] * f(c.pxi_e);
                    ii[i] = ii[i] * f(c.p11_i) + xi[i] * f(c.pxi_i);
                    xe[i] *= f(c.p11_e);
                    xi[i] *= f(c.p11_i);
                    if spike {
                        expected.push(i as u32);
                    }
                }
                assert_eq!(spikes, expected, "step {step}");
                total += spikes.len();
                for (name, want) in [("v", &v), ("i_exc", &ie), ("x_inh", &xi)] {
                    let Some(StateRef::F32(got)) = m.values(name) else {
                        panic!("f32 {name}")
                    };
                    assert_eq!(got, &want[..], "{name}, step {step}");
                }
                if first_spike.is_none() && !wide_spikes.is_empty() {
                    first_spike = Some(step);
                }
                if first_spike.is_none() {
                    for (x, y) in v.iter().zip(&wide.v) {
                        assert!((f64::from(*x) - y).abs() < 1e-3, "{x} against {y}");
                    }
                }
            }
            assert!(first_spike.is_some_and(|s| s > 0) && total > n, "{total} spikes");
            let json = serde_json::to_string(&m).unwrap();
            let back: IfCurrAlpha = serde_json::from_str(&json).unwrap();
            assert_eq!(back, m);
            assert_eq!(back.precision(), Precision::F32);
        }
    }

    /// PyNN 0.13 `IF_curr_alpha.default_parameters` (pyNN/standardmodels/cells.py).
    #[test]
    fn defaults_are_pynn_0_13() {
        let p = IfCurrAlphaParams::default();
        assert_eq!(
            (p.v_rest, p.cm, p.tau_m, p.tau_refrac, p.tau_syn_E, p.tau_syn_I),
            (-65.0, 1.0, 20.0, 0.1, 0.5, 0.5)
        );
        assert_eq!((p.i_offset, p.v_reset, p.v_thresh), (0.0, -65.0, -50.0));
        use crate::spiking::neuron::ParamTable;
        assert_eq!(
            IfCurrAlphaParams::NAMES,
            &[
                "cm",
                "tau_m",
                "tau_refrac",
                "tau_syn_E",
                "tau_syn_I",
                "v_rest",
                "v_reset",
                "v_thresh",
                "i_offset"
            ]
        );
    }

    #[test]
    fn phi_series_and_closed_form_agree() {
        // the closed form away from 0, checked against the series at the switch
        for z in [0.049_999f64, -0.049_999, 0.05, -0.05] {
            let closed = (-(-z).exp_m1() - z * (-z).exp()) / (z * z);
            let series = {
                let mut acc = 0.0;
                for n in (2..=10u32).rev() {
                    let fact: f64 = (1..=n).map(f64::from).product();
                    let sign = if n % 2 == 0 { 1.0 } else { -1.0 };
                    acc = acc * z + sign * f64::from(n - 1) / fact;
                }
                acc
            };
            assert!((closed - series).abs() < 2e-14, "{z}: {closed} vs {series}");
        }
        assert_eq!(phi(0.0), 0.5);
        // φ(1) = 1 − 2/e
        assert!((phi(1.0) - (1.0 - 2.0 / std::f64::consts::E)).abs() < 1e-15);
    }

    /// The PSP of one weight `w` at rest, `v − v_rest = e w/(τs cm κ²) · (e^{−t/τm} −
    /// e^{−t/τs}(1 + κt))` (κ = 1/τs − 1/τm; `e w t² e^{−t/τ}/(2 τ cm)` when τs = τm), at
    /// every step to 1e-9 of its peak; with the time step chosen so that the closed-form peak
    /// time is a grid point, the sampled maximum is at that step and equals the closed-form
    /// peak to 1e-9 relative. The current itself peaks at `w` after `tau_syn`.
    #[test]
    fn psp_matches_closed_form() {
        let e = std::f64::consts::E;
        for (tau_m, tau_s, cm, w) in [
            (20.0, 0.5, 1.0, 1.0),
            (10.0, 2.0, 0.25, -0.3),
            (10.0, 10.0, 0.5, 0.2),
            (5.0, 8.0, 0.5, 0.2),
        ] {
            let kappa: f64 = 1.0 / tau_s - 1.0 / tau_m;
            let psp = |t: f64| {
                if kappa == 0.0 {
                    e * w * t * t * (-t / tau_s).exp() / (2.0 * tau_s * cm)
                } else {
                    e * w / (tau_s * cm * kappa * kappa)
                        * ((-t / tau_m).exp() - (-t / tau_s).exp() * (1.0 + kappa * t))
                }
            };
            // dv/dt = 0 ⇔ i(t) = cm (v − v_rest)/τm: bisection on [τs, 20 τm]
            let slope = |t: f64| w * t / tau_s * (1.0 - t / tau_s).exp() - cm * psp(t) / tau_m;
            let (mut lo, mut hi) = (tau_s, 20.0 * tau_m);
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if (slope(mid) > 0.0) == (w > 0.0) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let t_peak = 0.5 * (lo + hi);
            if kappa == 0.0 {
                assert!((t_peak - 2.0 * tau_s).abs() < 1e-12, "{t_peak}");
            }
            let steps_to_peak = 400;
            let dt = t_peak / steps_to_peak as f64;
            let params = IfCurrAlphaParams {
                tau_m,
                tau_syn_E: tau_s,
                tau_syn_I: tau_s,
                cm,
                tau_refrac: 0.0,
                ..Default::default()
            };
            let mut lif = IfCurrAlpha::new(&params, 1, dt).unwrap();
            let r = if w > 0.0 { 0 } else { 1 };
            let mut syn = [0.0, 0.0];
            syn[r] = w;
            let mut spikes = Vec::new();
            let peak = psp(t_peak);
            let (mut best, mut at) = (0.0f64, 0);
            for k in 1..=3 * steps_to_peak {
                step_with(&mut lif, &mut syn, &[], &mut spikes);
                let dv = lif.v[0] - params.v_rest;
                let t = k as f64 * dt;
                assert!(
                    (dv - psp(t)).abs() <= 1e-9 * peak.abs(),
                    "τm {tau_m} τs {tau_s} k {k}: {dv} vs {}",
                    psp(t)
                );
                let i = if w > 0.0 { lif.i_exc[0] } else { lif.i_inh[0] };
                assert!((i - w * t / tau_s * (1.0 - t / tau_s).exp()).abs() <= 1e-12 * w.abs());
                if dv.abs() > best.abs() {
                    (best, at) = (dv, k);
                }
            }
            assert_eq!(at, steps_to_peak, "τm {tau_m} τs {tau_s}");
            assert!(
                (best - peak).abs() <= 1e-9 * peak.abs(),
                "{best} vs {peak}"
            );
            assert!(spikes.is_empty());
        }
        // the current peaks at w after tau_syn (PyNN defaults, dt = 0.1: step 5)
        let mut lif = IfCurrAlpha::new(&IfCurrAlphaParams::default(), 1, 0.1).unwrap();
        let mut spikes = Vec::new();
        step_with(&mut lif, &mut [0.7, 0.0], &[], &mut spikes);
        let mut trace = vec![lif.i_exc[0]];
        for _ in 0..9 {
            step_with(&mut lif, &mut [0.0, 0.0], &[], &mut spikes);
            trace.push(lif.i_exc[0]);
        }
        let max = trace.iter().cloned().fold(f64::MIN, f64::max);
        assert!((trace[4] - 0.7).abs() < 1e-15, "{trace:?}");
        assert_eq!(max, trace[4]);
    }

    /// With a constant current the exact scheme crosses threshold at the first step after the
    /// continuous crossing time (as IF_curr_exp), refractory steps included.
    #[test]
    fn constant_current_isi_matches_closed_form() {
        let params = IfCurrAlphaParams {
            cm: 0.25,
            tau_m: 10.0,
            tau_refrac: 2.0,
            v_rest: -65.0,
            v_reset: -70.0,
            v_thresh: -50.0,
            i_offset: 0.5, // v∞ = −45 mV
            ..Default::default()
        };
        let dt = 0.1;
        let mut lif = IfCurrAlpha::new(&params, 1, dt).unwrap();
        lif.v[0] = params.v_reset;
        let mut spikes = Vec::new();
        let mut times = Vec::new();
        for s in 0..10_000 {
            spikes.clear();
            step_with(&mut lif, &mut [0.0, 0.0], &[], &mut spikes);
            if !spikes.is_empty() {
                times.push(s);
            }
        }
        let t_cross = 10.0 * (25.0f64 / 5.0).ln();
        assert_eq!(times[0] + 1, (t_cross / dt).ceil() as usize);
        for w in times.windows(2) {
            assert_eq!(w[1] - w[0], 20 + (t_cross / dt).ceil() as usize);
        }
    }

    /// Refractory: `v` is held at `v_reset` while the synaptic currents keep evolving.
    #[test]
    fn refractory_holds_v_while_currents_evolve() {
        let params = IfCurrAlphaParams {
            tau_refrac: 0.5,
            ..Default::default()
        };
        let mut lif = IfCurrAlpha::new(&params, 1, 0.1).unwrap();
        let mut spikes = Vec::new();
        lif.v[0] = -49.0;
        lif.step(&mut [], &[0.75], &mut spikes);
        assert_eq!(spikes, vec![0]);
        step_with(&mut lif, &mut [5.0, 0.0], &[0.0], &mut spikes);
        assert_eq!(lif.v[0], -65.0);
        for _ in 0..4 {
            let i = lif.i_exc[0];
            step_with(&mut lif, &mut [0.0, 0.0], &[0.0], &mut spikes);
            assert_eq!(lif.v[0], -65.0);
            assert!(lif.i_exc[0] != i);
        }
        lif.step(&mut [], &[0.0], &mut spikes);
        assert!(lif.v[0] > -65.0);
        assert_eq!(spikes, vec![0]);
    }

    /// Per-neuron parameters (every one of them) give each neuron the bits of a one-neuron
    /// population with its parameters; equal values give the plain model's bits; the AVX-512
    /// copy gives the AVX2 body's bits on both instantiations.
    #[test]
    fn per_neuron_parameters_and_avx512_copies() {
        use crate::spiking::neuron::testing::{build, per_neuron_equals_one_neuron_populations, Drive};
        use crate::spiking::neuron::{ModelSpec, Neurons};
        use rand::{Rng as _, SeedableRng as _};
        let n = 120;
        let f = |a: f64, b: f64| (0..n).map(|i| a + b * i as f64).collect::<Vec<f64>>();
        let per = [
            ("cm", f(0.5, 0.005)),
            ("tau_m", f(10.0, 0.1)),
            ("tau_refrac", f(0.0, 0.05)),
            ("tau_syn_E", f(0.3, 0.02)),
            ("tau_syn_I", f(1.0, 0.02)),
            ("v_rest", f(-66.0, 0.02)),
            ("v_reset", f(-70.0, 0.03)),
            ("v_thresh", f(-52.0, 0.02)),
            ("i_offset", f(0.6, 0.004)),
        ];
        let drive = Drive {
            dt: 0.1,
            steps: 3000,
            current: (0.0, 0.8),
            syn: &[2.0, 0.6],
        };
        let spec = ModelSpec::IF_curr_alpha(IfCurrAlphaParams::default());
        let (spikes, lanes) = per_neuron_equals_one_neuron_populations(&spec, &per, &drive);
        assert!(spikes > 1000, "{spikes} spikes");
        let Neurons::IF_curr_alpha(m) = lanes else {
            unreachable!()
        };
        assert!(m.lanes.is_some());
        let m = build(&spec, n, 0.1, &[("v_rest".into(), f(-66.0, 0.02))]);
        assert_eq!(m.state("v").unwrap(), &f(-66.0, 0.02)[..]);

        let mut rng = crate::rng::Rng::seed_from_u64(12);
        let n = 1037;
        for per in [vec![], vec![("tau_m".to_string(), (0..n).map(|i| 10.0 + 0.01 * i as f64).collect())]] {
            let Neurons::IF_curr_alpha(mut a) = build(&spec, n, 0.1, &per) else {
                unreachable!()
            };
            let mut b = a.clone();
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            for _ in 0..300 {
                let current: Vec<f64> = (0..n).map(|_| rng.random_range(1.0..4.0)).collect();
                let x: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..0.5)).collect();
                for m in [&mut a, &mut b] {
                    m.x_exc.iter_mut().zip(&x).for_each(|(g, x)| *g += x);
                }
                a.step(&mut [], &current, &mut sa);
                match b.lanes.take() {
                    None => {
                        let c = b.c;
                        b.update::<true, _>(&c, &current, &mut sb);
                    }
                    Some(lanes) => {
                        b.update::<true, _>(&lanes, &current, &mut sb);
                        b.lanes = Some(lanes);
                    }
                }
            }
            assert_eq!(sa, sb);
            assert!(sa.len() > 1000, "{} spikes", sa.len());
            assert!(a == b);
        }
    }
}
