//! `IF_cond_alpha` (PyNN): leaky integrate-and-fire with alpha-shaped synaptic conductances
//! (NEST `iaf_cond_alpha`).
//!
//! ```text
//! cm dv/dt = g_leak (v_rest − v) + g_exc (e_rev_E − v) + g_inh (e_rev_I − v) + i_offset + I_ext
//! g_exc(t) = Σ_spikes w · (t − t_s)/tau_syn_E · exp(1 − (t − t_s)/tau_syn_E)   (g_inh likewise)
//! g_leak = cm / tau_m
//! ```
//!
//! **Normalisation.** A spike of weight `w` (µS) gives a conductance that starts at 0 and
//! peaks at exactly `w` after `tau_syn`: NEST's `iaf_cond_alpha` normalisation (kernel scaled
//! by `e/tau_syn`), which PyNN's NEST backend uses for `IF_cond_alpha`. Parameter names, units
//! and defaults are PyNN 0.13's (`pyNN/standardmodels/cells.py`: `tau_syn_E = 0.3`,
//! `tau_syn_I = 0.5` ms, `e_rev_I = −70` mV).
//!
//! **As ODEs.** Each receptor has a rise variable `x` (µS, the `x_exc` / `x_inh` state) and the
//! conductance `g`: `dx/dt = −x/tau_syn`, `dg/dt = (e/tau_syn) x − g/tau_syn`. A weight
//! delivered in a step is added to `x` at the start of that step (receptors `excitatory` /
//! `inhibitory`, [`ReceptorKind::Conductance`]; weights must be ≥ 0).
//!
//! **Integration.** The conductances are linear and advance with their exact propagator
//! (`x ← E x`, `g ← E g + (e/tau_syn) h E x`, `E = exp(−h/tau_syn)`). The membrane equation is
//! linear in `v` with time-varying coefficients; over one step `h` it is solved exactly for
//! the conductances replaced by their **exact averages over the step**,
//! `ḡ = g·(1 − E)/z + x·e z φ(z)` (`z = h/tau_syn`, `φ` as in `IF_curr_alpha`):
//!
//! ```text
//! g_tot = g_leak + ḡ_exc + ḡ_inh
//! v_inf = (g_leak v_rest + ḡ_exc e_rev_E + ḡ_inh e_rev_I + i_offset + I_ext) / g_tot
//! v ← v_inf + (v − v_inf) exp(−g_tot h / cm)
//! ```
//!
//! exact when the conductances are constant, second order in `h` otherwise (the first term of
//! the Magnus expansion), and stable for any `h`; one `exp` per neuron and step. With PyNN's
//! defaults the PSP of one weight stays within 10⁻⁴ of its peak of a reference solution (RK4
//! at h = 10⁻⁴ ms) at every step for h = 0.1 ms, and within 10⁻⁶ for h = 0.01 ms (measured
//! 5.5·10⁻⁵ and 5.5·10⁻⁷; tested), the sampled peak at the reference's step.
//!
//! **Spike and refractoriness** as in the other LIFs: a spike when `v > v_thresh`; then
//! `v = v_reset`, held for `round(tau_refrac/dt)` steps while the conductances keep evolving.
//! Initial state: `v = v_rest` (each neuron's own with per-neuron values), conductances 0.
//! With `precision = "f32"` the same update runs on `f32` state (the constants computed in
//! `f64` and rounded once, delivered weights rounded as they are added).

use serde::{Deserialize, Serialize};

use super::if_curr_alpha::phi;
use super::lanes::LaneSet;
use super::single::Single;
use super::{
    check_finite, check_positive, push_fresh, push_fresh_lanes, NeuronModel, Precision,
    RefractoryRule, Receptor, ReceptorKind, BLOCK,
};
use crate::lang::Float;
use crate::{ensure, Result};

/// Parameters of [`IfCondAlpha`] (`IF_cond_alpha`), PyNN's names, units and defaults.
#[allow(non_snake_case)] // reason: PyNN's names (tau_syn_E, e_rev_I) are the public keys
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IfCondAlphaParams {
    /// Membrane capacitance, nF.
    pub cm: f64,
    /// Membrane time constant, ms.
    pub tau_m: f64,
    /// Refractory period, ms (rounded to whole steps).
    pub tau_refrac: f64,
    /// When the neuron integrates again after a spike: `"nest"` (default) or `"brian2"`
    /// (one step sooner); see [`RefractoryRule`].
    pub refractory: RefractoryRule,
    /// Rise time of the excitatory alpha conductance (its peak time), ms.
    pub tau_syn_E: f64,
    /// Rise time of the inhibitory alpha conductance (its peak time), ms.
    pub tau_syn_I: f64,
    /// Excitatory reversal potential, mV.
    pub e_rev_E: f64,
    /// Inhibitory reversal potential, mV.
    pub e_rev_I: f64,
    /// Spike threshold, mV (a spike when `v > v_thresh`).
    pub v_thresh: f64,
    /// Reset potential, mV.
    pub v_reset: f64,
    /// Resting potential, mV.
    pub v_rest: f64,
    /// Constant injected current, nA.
    pub i_offset: f64,
}

impl Default for IfCondAlphaParams {
    /// PyNN 0.13's `IF_cond_alpha.default_parameters`.
    fn default() -> Self {
        IfCondAlphaParams {
            cm: 1.0,
            tau_m: 20.0,
            tau_refrac: 0.1,
            refractory: RefractoryRule::Nest,
            tau_syn_E: 0.3,
            tau_syn_I: 0.5,
            e_rev_E: 0.0,
            e_rev_I: -70.0,
            v_thresh: -50.0,
            v_reset: -65.0,
            v_rest: -65.0,
            i_offset: 0.0,
        }
    }
}

impl IfCondAlphaParams {
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

crate::param_table!(IfCondAlphaParams {
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

const RECEPTORS: &[Receptor] = &[
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
    /// Constants of the `IF_cond_alpha` update, derived from one neuron's parameters.
    CondAlphaConsts, CondAlphaLanes, CondAlphaBlock, CondAlphaAccess, CondAlphaVisit {
        g_leak, v_rest, e_rev_E, e_rev_I, v_thresh, v_reset, i_offset, dt_cm, nref,
        p11_e, p11_i, pxg_e, pxg_i, avg_g_e, avg_g_i, avg_x_e, avg_x_i,
    }
}

impl CondAlphaConsts {
    /// `p11 = E` (decay of x and g), `pxg = (e/tau_syn) h E` (x → g), `avg_g = (1 − E)/z` and
    /// `avg_x = e z φ(z)` (the step averages of `g` per unit of g and of x), `z = h/tau_syn`.
    fn of(p: &IfCondAlphaParams, h: f64) -> Result<CondAlphaConsts> {
        let e = std::f64::consts::E;
        let alpha = |tau: f64| {
            let z = h / tau;
            let p11 = (-z).exp();
            (p11, e / tau * h * p11, -(-z).exp_m1() / z, e * z * phi(z))
        };
        let (p11_e, pxg_e, avg_g_e, avg_x_e) = alpha(p.tau_syn_E);
        let (p11_i, pxg_i, avg_g_i, avg_x_i) = alpha(p.tau_syn_I);
        Ok(CondAlphaConsts {
            g_leak: p.cm / p.tau_m,
            v_rest: p.v_rest,
            e_rev_E: p.e_rev_E,
            e_rev_I: p.e_rev_I,
            v_thresh: p.v_thresh,
            v_reset: p.v_reset,
            i_offset: p.i_offset,
            dt_cm: h / p.cm,
            nref: p.refractory.counter(p.tau_refrac, h)?,
            p11_e,
            p11_i,
            pxg_e,
            pxg_i,
            avg_g_e,
            avg_g_i,
            avg_x_e,
            avg_x_i,
        })
    }
}

/// A population of `IF_cond_alpha` neurons (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IfCondAlpha {
    params: IfCondAlphaParams,
    dt: f64,
    /// The update's constants when every neuron has the same parameters.
    c: CondAlphaConsts,
    /// Per-neuron constants when some parameter differs between neurons.
    lanes: Option<CondAlphaLanes>,
    /// Membrane potential, mV.
    pub v: Vec<f64>,
    /// Excitatory conductance, µS.
    pub g_exc: Vec<f64>,
    /// Inhibitory conductance, µS.
    pub g_inh: Vec<f64>,
    /// Excitatory rise variable, µS (delivered weights land here).
    pub x_exc: Vec<f64>,
    /// Inhibitory rise variable, µS.
    pub x_inh: Vec<f64>,
    /// Refractory counter: `nref` = round(tau_refrac/dt) + 1 on a spike, decremented every
    /// step; the neuron integrates when it is ≤ 1; equal to `nref` in the spike's step.
    refrac: Vec<f64>,
    /// The state in `f32` for a population built with `precision = "f32"` (the arrays above
    /// are then empty), in the order of [`COND_ALPHA_F32`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    single: Option<Box<Single>>,
}

/// The order of the `f32` arrays: the receptors' arrays (`x_exc`, `x_inh`) right after `v`,
/// as [`f32_state_access!`](super::single::f32_state_access) expects.
const COND_ALPHA_F32: &[&str; 5] = &["v", "x_exc", "x_inh", "g_exc", "g_inh"];

/// The arrays one step runs over, of precision `F`.
struct CondAlphaArrays<'a, F> {
    v: &'a mut [F],
    x: [&'a mut [F]; 2],
    g: [&'a mut [F]; 2],
    refrac: &'a mut [F],
}

impl IfCondAlpha {
    /// `n` neurons at rest, time step `dt_ms`.
    pub fn new(params: &IfCondAlphaParams, n: usize, dt_ms: f64) -> Result<IfCondAlpha> {
        params.validate("params")?;
        ensure!(
            dt_ms.is_finite() && dt_ms > 0.0,
            "dt",
            "must be a finite number > 0 ms, got {dt_ms}"
        );
        Ok(IfCondAlpha {
            params: params.clone(),
            dt: dt_ms,
            c: CondAlphaConsts::of(params, dt_ms)?,
            lanes: None,
            v: vec![params.v_rest; n],
            g_exc: vec![0.0; n],
            g_inh: vec![0.0; n],
            x_exc: vec![0.0; n],
            x_inh: vec![0.0; n],
            refrac: vec![0.0; n],
            single: None,
        })
    }

    /// The same neurons with their state in `f32` (each value rounded once).
    fn into_f32(mut self) -> IfCondAlpha {
        let arrays = [
            &mut self.v,
            &mut self.x_exc,
            &mut self.x_inh,
            &mut self.g_exc,
            &mut self.g_inh,
        ];
        self.single = Some(Single::take(arrays, &mut self.refrac));
        self
    }

    /// The parameters (those of every neuron, before per-neuron values).
    pub fn params(&self) -> &IfCondAlphaParams {
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
        for<'a> L::Block<'a>: CondAlphaAccess,
    {
        match self.single.as_deref_mut() {
            None => {
                let s = CondAlphaArrays {
                    v: &mut self.v,
                    x: [&mut self.x_exc, &mut self.x_inh],
                    g: [&mut self.g_exc, &mut self.g_inh],
                    refrac: &mut self.refrac,
                };
                update::<EXT, L, f64>(s, lanes, current, spikes)
            }
            Some(single) => match single.arrays.as_mut_slice() {
                [v, xe, xi, ge, gi] => {
                    let s = CondAlphaArrays {
                        v,
                        x: [xe, xi],
                        g: [ge, gi],
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
        for<'a> L::Block<'a>: CondAlphaAccess,
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

/// One step of `IF_cond_alpha` over state arrays of precision `F`; the constants are `f64`,
/// rounded to `F` where they are used (once per step for uniform constants).
#[inline(always)]
fn update<const EXT: bool, L, F: Float>(
    s: CondAlphaArrays<'_, F>,
    lanes: &L,
    current: &[f64],
    spikes: &mut Vec<u32>,
) where
    L: LaneSet,
    for<'a> L::Block<'a>: CondAlphaAccess,
{
    let f = F::from_f64;
    let one = F::ONE;
    let n = s.v.len();
    let current = if EXT { &current[..n] } else { &[][..] };
    let [x_exc, x_inh] = s.x;
    let [g_exc, g_inh] = s.g;
    let mut base = 0;
    while base < n {
        let end = (base + BLOCK).min(n);
        let c = lanes.block(base, end);
        c.check_len(end - base);
        let v = &mut s.v[base..end];
        let ge = &mut g_exc[base..end];
        let gi = &mut g_inh[base..end];
        let xe = &mut x_exc[base..end];
        let xi = &mut x_inh[base..end];
        let refrac = &mut s.refrac[base..end];
        // spikes of the block, counted only on the per-neuron path (an integer sum keeps
        // the loop vectorised; the uniform path finds them by one compare per neuron)
        let mut fired = 0u32;
        for k in 0..v.len() {
            let (x_e, x_i, g_e, g_i, v0) = (xe[k], xi[k], ge[k], gi[k], v[k]);
            let i_in = if EXT {
                f(c.i_offset(k)) + f(current[base + k])
            } else {
                f(c.i_offset(k))
            };
            let gl = f(c.g_leak(k));
            let a_e = g_e * f(c.avg_g_e(k)) + x_e * f(c.avg_x_e(k));
            let a_i = g_i * f(c.avg_g_i(k)) + x_i * f(c.avg_x_i(k));
            let g_tot = gl + a_e + a_i;
            let v_inf = (gl * f(c.v_rest(k)) + a_e * f(c.e_rev_E(k)) + a_i * f(c.e_rev_I(k))
                + i_in)
                / g_tot;
            let v1 = v_inf + (v0 - v_inf) * (-g_tot * f(c.dt_cm(k))).exp();
            let r = refrac[k];
            let active = r <= one;
            let v1 = if active { v1 } else { v0 };
            let spike = active & (v1 > f(c.v_thresh(k)));
            if !<L::Block<'_> as CondAlphaAccess>::UNIFORM {
                fired += u32::from(spike);
            }
            v[k] = if spike { f(c.v_reset(k)) } else { v1 };
            refrac[k] = if spike {
                f(c.nref(k))
            } else {
                (r - one).max(F::ZERO)
            };
            ge[k] = g_e * f(c.p11_e(k)) + x_e * f(c.pxg_e(k));
            gi[k] = g_i * f(c.p11_i(k)) + x_i * f(c.pxg_i(k));
            xe[k] = x_e * f(c.p11_e(k));
            xi[k] = x_i * f(c.p11_i(k));
        }
        if <L::Block<'_> as CondAlphaAccess>::UNIFORM {
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

impl super::BuiltinModel for IfCondAlpha {
    type Params = IfCondAlphaParams;

    const F32: bool = true;

    fn carry_from(&mut self, old: &Self) {
        super::carry_named(self, old);
        self.refrac.clone_from(&old.refrac);
        if let (Some(new), Some(old)) = (self.single.as_deref_mut(), old.single.as_deref()) {
            new.refrac.clone_from(&old.refrac);
        }
    }

    fn validate(params: &IfCondAlphaParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &IfCondAlphaParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        let mut m = IfCondAlpha::new(params, n, ctx.dt_ms)?;
        if !ctx.per_neuron.is_empty() {
            let each = super::per_neuron_consts(
                params,
                n,
                &ctx,
                "params",
                IfCondAlphaParams::validate,
                |p| CondAlphaConsts::of(p, ctx.dt_ms),
            )?;
            m.v = each.iter().map(|(p, _)| p.v_rest).collect();
            let consts: Vec<CondAlphaConsts> = each.into_iter().map(|(_, c)| c).collect();
            m.lanes = Some(CondAlphaLanes::of(&consts));
        }
        Ok(match ctx.precision {
            Precision::F64 => m,
            Precision::F32 => m.into_f32(),
        })
    }
}

impl NeuronModel for IfCondAlpha {
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
        &["v", "g_exc", "g_inh", "x_exc", "x_inh"]
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        if self.single.is_some() {
            return None; // `values`
        }
        match name {
            "v" => Some(&self.v),
            "g_exc" => Some(&self.g_exc),
            "g_inh" => Some(&self.g_inh),
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
            "g_exc" => Some(&mut self.g_exc),
            "g_inh" => Some(&mut self.g_inh),
            "x_exc" => Some(&mut self.x_exc),
            "x_inh" => Some(&mut self.x_inh),
            _ => None,
        }
    }

    fn state_min(&self, name: &str) -> Option<f64> {
        matches!(name, "g_exc" | "g_inh" | "x_exc" | "x_inh").then_some(0.0)
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

    super::single::f32_state_access!(COND_ALPHA_F32);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spiking::neuron::testing::step_with;

    /// `f32` state: the same update in single precision. With a drive current that differs
    /// between neurons and random weights delivered through `receptor_values` (into the `f32`
    /// rise variables), the spike counts of 500 ms follow the `f64` population's to one spike,
    /// for uniform and per-neuron constants; the state is read as `f32` (and not as `f64`);
    /// a copy through serde, mid-run, keeps the precision and continues with the same spikes.
    #[test]
    fn f32_state_follows_f64() {
        use crate::spiking::neuron::testing::build;
        use crate::spiking::neuron::{ModelSpec, Neurons, StateMut, StateRef};
        use rand::{Rng as _, SeedableRng as _};
        let (n, dt) = (60, 0.1);
        let p = IfCondAlphaParams {
            tau_refrac: 2.0,
            ..IfCondAlphaParams::default()
        };
        let spec = ModelSpec::IF_cond_alpha(p);
        let taus: Vec<f64> = (0..n).map(|i| 15.0 + 0.1 * i as f64).collect();
        for per in [vec![], vec![("tau_m".to_string(), taus)]] {
            let Neurons::IF_cond_alpha(mut wide) = build(&spec, n, dt, &per) else {
                unreachable!()
            };
            let mut single = wide.clone().into_f32();
            assert_eq!(single.precision(), Precision::F32);
            assert!(single.state("v").is_none() && single.receptor_state(0).is_none());
            let mut rng = crate::rng::Rng::seed_from_u64(5);
            let drive: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * i as f64).collect();
            let (mut a, mut b) = (vec![0usize; n], vec![0usize; n]);
            let mut copy: Option<IfCondAlpha> = None;
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            for step in 0..5000 {
                for r in 0..2 {
                    let w: Vec<f64> = (0..n)
                        .map(|_| if rng.random_bool(0.1) { rng.random_range(0.0..0.02) } else { 0.0 })
                        .collect();
                    for m in [&mut single].into_iter().chain(copy.as_mut()) {
                        let Some(StateMut::F32(x)) = m.receptor_values(r) else {
                            panic!("f32 receptor")
                        };
                        x.iter_mut().zip(&w).for_each(|(x, &w)| *x += w as f32);
                    }
                    let x = wide.receptor_state(r).unwrap();
                    x.iter_mut().zip(&w).for_each(|(x, &w)| *x += w);
                }
                sa.clear();
                sb.clear();
                single.step(&mut [], &drive, &mut sa);
                wide.step(&mut [], &drive, &mut sb);
                if let Some(c) = copy.as_mut() {
                    let mut sc = Vec::new();
                    c.step(&mut [], &drive, &mut sc);
                    assert_eq!(sc, sa, "the copy, step {step}");
                }
                sa.iter().for_each(|&i| a[i as usize] += 1);
                sb.iter().for_each(|&i| b[i as usize] += 1);
                if step == 2500 {
                    let bytes = serde_json::to_vec(&single).unwrap();
                    copy = Some(serde_json::from_slice(&bytes).unwrap());
                }
            }
            let total: usize = a.iter().sum();
            assert!(total > 10 * n, "{total} spikes");
            for i in 0..n {
                assert!(a[i].abs_diff(b[i]) <= 1, "neuron {i}: {} against {}", a[i], b[i]);
            }
            let Some(StateRef::F32(v)) = single.values("v") else {
                panic!("f32 v")
            };
            assert!(v.iter().all(|x| x.is_finite()));
            assert_eq!(copy.unwrap().precision(), Precision::F32);
        }
    }

    /// PyNN 0.13 `IF_cond_alpha.default_parameters` (pyNN/standardmodels/cells.py).
    #[test]
    fn defaults_are_pynn_0_13() {
        let p = IfCondAlphaParams::default();
        assert_eq!(
            (p.v_rest, p.cm, p.tau_m, p.tau_refrac, p.tau_syn_E, p.tau_syn_I),
            (-65.0, 1.0, 20.0, 0.1, 0.3, 0.5)
        );
        assert_eq!(
            (p.e_rev_E, p.e_rev_I, p.v_thresh, p.v_reset, p.i_offset),
            (0.0, -70.0, -50.0, -65.0, 0.0)
        );
        use crate::spiking::neuron::ParamTable;
        assert_eq!(IfCondAlphaParams::NAMES.len(), 11);
    }

    /// The PSP of one weight `w` (µS) from rest at step `dt`: `v − v_rest` after each step.
    fn model_psp(p: &IfCondAlphaParams, w: f64, dt: f64, ms: f64) -> Vec<f64> {
        let mut lif = IfCondAlpha::new(p, 1, dt).unwrap();
        let mut spikes = Vec::new();
        let mut syn = [w, 0.0];
        let mut trace = vec![0.0];
        for _ in 0..(ms / dt).round() as usize {
            step_with(&mut lif, &mut syn, &[], &mut spikes);
            trace.push(lif.v[0] - p.v_rest);
        }
        assert!(spikes.is_empty());
        trace
    }

    /// The same PSP by classic RK4 on `cm dv/dt = g_L (v_rest − v) + g(t)(e_rev_E − v)` with
    /// the exact `g(t) = w (t/τ) e^{1 − t/τ}`, at step `h`: `v − v_rest` after each step.
    fn reference_psp(p: &IfCondAlphaParams, w: f64, h: f64, ms: f64) -> Vec<f64> {
        let g = |t: f64| w * t / p.tau_syn_E * (1.0 - t / p.tau_syn_E).exp();
        let gl = p.cm / p.tau_m;
        let f = |t: f64, v: f64| (gl * (p.v_rest - v) + g(t) * (p.e_rev_E - v)) / p.cm;
        let (mut v, mut t) = (p.v_rest, 0.0);
        let mut trace = vec![0.0];
        for k in 0..(ms / h).round() as usize {
            let k1 = f(t, v);
            let k2 = f(t + 0.5 * h, v + 0.5 * h * k1);
            let k3 = f(t + 0.5 * h, v + 0.5 * h * k2);
            let k4 = f(t + h, v + h * k3);
            v += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
            t = (k + 1) as f64 * h;
            trace.push(v - p.v_rest);
        }
        trace
    }

    /// Index and value of the maximum of `trace`, the value refined by a parabola through
    /// the three samples around it.
    fn peak(trace: &[f64]) -> (usize, f64) {
        let k = (1..trace.len() - 1)
            .max_by(|&a, &b| trace[a].total_cmp(&trace[b]))
            .unwrap();
        let (y0, y1, y2) = (trace[k - 1], trace[k], trace[k + 1]);
        let d = 0.5 * (y0 - y2) / (y0 - 2.0 * y1 + y2);
        (k, y1 - 0.25 * (y0 - y2) * d)
    }

    /// The conductance of one weight is exactly `w (t/τ) e^{1 − t/τ}` (peak `w` at `tau_syn`).
    /// The PSP matches a fine RK4 reference (h = 10⁻⁴ ms) at every step to `tol` of its peak
    /// (the scheme is second order: the error falls 100-fold from dt = 0.1 to 0.01 ms), and
    /// the sampled peak is the reference's to `tol` (parabola-refined on both sides) and at
    /// the same step; for a small weight it approaches the current-based closed form with
    /// `w_I = w (e_rev_E − v_rest)` to 10⁻³ (the driving force changes by ~v/65 mV ≈ 10⁻⁴).
    #[test]
    fn psp_matches_reference_and_closed_form() {
        let slow = IfCondAlphaParams {
            tau_syn_E: 2.0,
            tau_m: 10.0,
            cm: 0.25,
            ..Default::default()
        };
        // (parameters, weight µS, [(dt, tolerance relative to the peak)])
        let cases = [
            (IfCondAlphaParams::default(), 0.02, [(0.1, 1e-4), (0.01, 1e-6)]),
            (slow.clone(), 0.002, [(0.1, 5e-5), (0.01, 5e-7)]),
        ];
        for (p, w, runs) in cases {
            let h = 1e-4;
            let reference = reference_psp(&p, w, h, 40.0);
            let (k_ref, v_ref) = peak(&reference);
            for (dt, tol) in runs {
                let every = (dt / h).round() as usize;
                let model = model_psp(&p, w, dt, 40.0);
                let err = model
                    .iter()
                    .enumerate()
                    .map(|(k, v)| (v - reference[k * every]).abs())
                    .fold(0.0, f64::max);
                assert!(err <= tol * v_ref, "τs {} dt {dt}: {err} vs peak {v_ref}", p.tau_syn_E);
                let (k, v) = peak(&model);
                assert!(((v - v_ref) / v_ref).abs() <= tol, "dt {dt}: peak {v} vs {v_ref}");
                assert!((k as f64 * dt - k_ref as f64 * h).abs() <= dt, "dt {dt}: peak time");
            }
        }
        // g(t) exactly the kernel, peaking at w after tau_syn (dt divides tau_syn)
        let w = 0.002;
        let mut lif = IfCondAlpha::new(&slow, 1, 0.1).unwrap();
        let mut spikes = Vec::new();
        step_with(&mut lif, &mut [w, 0.0], &[], &mut spikes);
        for k in 1..=100 {
            let t = k as f64 * 0.1;
            let want = w * t / 2.0 * (1.0 - t / 2.0).exp();
            assert!((lif.g_exc[0] - want).abs() < 1e-15, "k {k}");
            if k == 20 {
                assert!((lif.g_exc[0] - w).abs() < 1e-16);
            }
            step_with(&mut lif, &mut [0.0, 0.0], &[], &mut spikes);
        }
        // small weight: the current-based closed form with w_I = w (e_rev_E − v_rest)
        let w = 1e-5;
        let (tau_m, tau_s, cm) = (slow.tau_m, slow.tau_syn_E, slow.cm);
        let w_i = w * (slow.e_rev_E - slow.v_rest);
        let kappa = 1.0 / tau_s - 1.0 / tau_m;
        let psp = |t: f64| {
            std::f64::consts::E * w_i / (tau_s * cm * kappa * kappa)
                * ((-t / tau_m).exp() - (-t / tau_s).exp() * (1.0 + kappa * t))
        };
        let model = model_psp(&slow, w, 0.01, 40.0);
        for (k, v) in model.iter().enumerate().skip(1) {
            let t = k as f64 * 0.01;
            assert!((v - psp(t)).abs() < 1e-3 * psp(6.62), "t {t}: {v} vs {}", psp(t));
        }
    }

    /// Refractory: `v` is held at `v_reset` while the conductances keep evolving.
    #[test]
    fn refractory_holds_v_while_conductances_evolve() {
        let params = IfCondAlphaParams {
            tau_refrac: 0.5,
            ..Default::default()
        };
        let mut lif = IfCondAlpha::new(&params, 1, 0.1).unwrap();
        let mut spikes = Vec::new();
        lif.v[0] = -49.0;
        lif.step(&mut [], &[1.0], &mut spikes);
        assert_eq!(spikes, vec![0]);
        step_with(&mut lif, &mut [0.5, 0.0], &[0.0], &mut spikes);
        assert_eq!(lif.v[0], -65.0);
        for _ in 0..4 {
            let g = lif.g_exc[0];
            step_with(&mut lif, &mut [0.0, 0.0], &[0.0], &mut spikes);
            assert_eq!(lif.v[0], -65.0);
            assert!(lif.g_exc[0] != g);
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
            ("e_rev_E", f(-1.0, 0.02)),
            ("e_rev_I", f(-75.0, 0.02)),
            ("v_thresh", f(-52.0, 0.02)),
            ("v_reset", f(-70.0, 0.03)),
            ("v_rest", f(-66.0, 0.02)),
            ("i_offset", f(0.6, 0.004)),
        ];
        let drive = Drive {
            dt: 0.1,
            steps: 3000,
            current: (0.0, 0.8),
            syn: &[0.05, 0.03],
        };
        let spec = ModelSpec::IF_cond_alpha(IfCondAlphaParams::default());
        let (spikes, lanes) = per_neuron_equals_one_neuron_populations(&spec, &per, &drive);
        assert!(spikes > 1000, "{spikes} spikes");
        let Neurons::IF_cond_alpha(m) = lanes else {
            unreachable!()
        };
        assert!(m.lanes.is_some());
        let m = build(&spec, n, 0.1, &[("v_rest".into(), f(-66.0, 0.02))]);
        assert_eq!(m.state("v").unwrap(), &f(-66.0, 0.02)[..]);

        let mut rng = crate::rng::Rng::seed_from_u64(13);
        let n = 1037;
        for per in [
            vec![],
            vec![(
                "tau_m".to_string(),
                (0..n).map(|i| 10.0 + 0.01 * i as f64).collect(),
            )],
        ] {
            let Neurons::IF_cond_alpha(mut a) = build(&spec, n, 0.1, &per) else {
                unreachable!()
            };
            let mut b = a.clone();
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            for _ in 0..300 {
                let current: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..2.0)).collect();
                let x: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..0.01)).collect();
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
