//! Adaptive exponential integrate-and-fire neurons (AdEx; Brette & Gerstner 2005).
//!
//! ## `EIF_cond_exp_isfa_ista` (PyNN)
//!
//! ```text
//! cm dv/dt = g_leak (v_rest − v) + g_leak delta_T exp((v − v_thresh)/delta_T) − w
//!            + g_exc (e_rev_E − v) + g_inh (e_rev_I − v) + i_offset + I_ext
//! tau_w dw/dt = a (v − v_rest) − w
//! dg_exc/dt = −g_exc / tau_syn_E        dg_inh/dt = −g_inh / tau_syn_I
//! g_leak = cm / tau_m
//! ```
//!
//! Units: `a` in nS (PyNN's unit; used as `a/1000` µS), `b` and `w` in nA, conductances in µS.
//! Forward Euler for `v`, `w` and the conductances, all from the values at the start of the
//! step (weights delivered in a step are added to the conductances first). `delta_T` must be
//! positive. The exponential is evaluated at `min(v, v_spike)` (as NEST does) so a state set above
//! `v_spike` cannot overflow; in normal operation `v < v_spike` whenever it is integrated.
//! With `precision = "f32"` the same update runs on `f32` state (the constants computed in
//! `f64` and rounded once, delivered conductances rounded as they are added).
//!
//! ### Spike and reset (`reset_semantics`)
//!
//! * `pynn` (default; NEST `aeif_cond_exp`): a spike when the updated `v ≥ v_spike`; then
//!   `v = v_reset`, `w += b` (after its Euler update), and `v` is held at `v_reset` for
//!   `round(tau_refrac/dt)` steps while `w` and the conductances keep evolving.
//! * `neurapse` (udion/Neurapse `AEF`, step-exact with upstream): a spike when the updated
//!   `v ≥ v_spike` (upstream uses 0 mV: set `v_spike = 0`); `v` is set to the marker 2 mV on
//!   that step (`w` keeps its Euler update). On the **next** step nothing is integrated:
//!   `v = v_reset`, `w = w(spike step) + b`. No refractory period: `tau_refrac` must be 0.
//!   Step `s` (counting from 0) is column `s + 1` of upstream's trace (column 0 is the initial
//!   state), so a spike reported by step `s` is at `(s + 1)·dt`.
//!
//! The units (ms, mV, nA, nF, µS instead of upstream's SI) do not change any reference spike
//! (spiking.md §1.8; checked in the tests).
//!
//! [`preset`] gives the eight firing patterns of Naud et al. 2008 (Neurapse semantics, with
//! each pattern's drive current).

use serde::{Deserialize, Serialize};

use super::lanes::LaneSet;
use super::single::Single;
use super::{
    check_finite, check_positive, refractory_steps, NeuronModel, Precision, Receptor, ReceptorKind,
    BLOCK,
};
use crate::lang::Float;
use crate::{ensure, Result};

/// What happens at and after a spike; see the module docs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetSemantics {
    /// PyNN / NEST: reset in the spike step, `w += b`, `v` clamped for `tau_refrac`.
    #[default]
    Pynn,
    /// Neurapse `AEF`: marker 2 mV in the spike step, reset (`v_reset`, `w + b`) in the next
    /// step, no refractory period.
    Neurapse,
}

/// The marker value written to `v` on a spike step in [`ResetSemantics::Neurapse`], mV.
pub const NEURAPSE_MARKER_MV: f64 = 2.0;

/// Parameters of [`AdEx`] (`EIF_cond_exp_isfa_ista`), PyNN names and defaults.
#[allow(non_snake_case)] // reason: PyNN's names (delta_T, tau_syn_E, e_rev_I) are the public keys
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdExParams {
    /// Membrane capacitance, nF.
    pub cm: f64,
    /// Membrane time constant, ms (`g_leak = cm / tau_m`).
    pub tau_m: f64,
    /// Resting (leak reversal) potential, mV.
    pub v_rest: f64,
    /// Threshold of the exponential term `V_T`, mV.
    pub v_thresh: f64,
    /// Slope factor, mV (> 0).
    pub delta_T: f64,
    /// Adaptation time constant, ms.
    pub tau_w: f64,
    /// Subthreshold adaptation, nS.
    pub a: f64,
    /// Spike-triggered adaptation increment, nA.
    pub b: f64,
    /// Reset potential, mV.
    pub v_reset: f64,
    /// Spike detection potential, mV (a spike when `v ≥ v_spike`).
    pub v_spike: f64,
    /// Refractory period, ms (rounded to whole steps; must be 0 with Neurapse semantics).
    pub tau_refrac: f64,
    /// Excitatory conductance decay time constant, ms.
    pub tau_syn_E: f64,
    /// Inhibitory conductance decay time constant, ms.
    pub tau_syn_I: f64,
    /// Excitatory reversal potential, mV.
    pub e_rev_E: f64,
    /// Inhibitory reversal potential, mV.
    pub e_rev_I: f64,
    /// Constant injected current, nA.
    pub i_offset: f64,
    /// Spike and reset semantics.
    pub reset_semantics: ResetSemantics,
}

impl Default for AdExParams {
    fn default() -> Self {
        AdExParams {
            cm: 0.281,
            tau_m: 9.3667,
            v_rest: -70.6,
            v_thresh: -50.4,
            delta_T: 2.0,
            tau_w: 144.0,
            a: 4.0,
            b: 0.0805,
            v_reset: -70.6,
            v_spike: -40.0,
            tau_refrac: 0.1,
            tau_syn_E: 5.0,
            tau_syn_I: 5.0,
            e_rev_E: 0.0,
            e_rev_I: -80.0,
            i_offset: 0.0,
            reset_semantics: ResetSemantics::Pynn,
        }
    }
}

impl AdExParams {
    /// Check ranges; `path` is the key path of the parameter table.
    pub fn validate(&self, path: &str) -> Result<()> {
        check_positive(
            path,
            &[
                ("cm", self.cm),
                ("tau_m", self.tau_m),
                ("delta_T", self.delta_T),
                ("tau_w", self.tau_w),
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
                ("v_thresh", self.v_thresh),
                ("a", self.a),
                ("b", self.b),
                ("v_reset", self.v_reset),
                ("v_spike", self.v_spike),
                ("e_rev_E", self.e_rev_E),
                ("e_rev_I", self.e_rev_I),
                ("i_offset", self.i_offset),
            ],
        )?;
        ensure!(
            self.v_spike.is_finite() && self.v_spike > self.v_thresh,
            format!("{path}.v_spike"),
            "must be above v_thresh = {} mV, got {} mV",
            self.v_thresh,
            self.v_spike
        );
        ensure!(
            self.v_reset.is_finite() && self.v_reset < self.v_spike,
            format!("{path}.v_reset"),
            "must be below v_spike = {} mV, got {} mV",
            self.v_spike,
            self.v_reset
        );
        if self.reset_semantics == ResetSemantics::Neurapse {
            ensure!(
                self.tau_refrac == 0.0,
                format!("{path}.tau_refrac"),
                "must be 0 with reset_semantics = \"neurapse\" (Neurapse's AEF has no \
                 refractory period), got {} ms",
                self.tau_refrac
            );
        }
        Ok(())
    }

    /// Parameters from the Brette–Gerstner / Naud table units: `c_pf` pF, `gl_ns` nS, `el` mV,
    /// `vt` mV, `delta_t` mV, `a_ns` nS, `tau_w` ms, `b_pa` pA, `vr` mV, with Neurapse
    /// semantics (`v_spike = 0`, no refractory period, no synaptic input needed).
    #[allow(clippy::too_many_arguments)] // reason: the nine columns of the published tables
    pub fn neurapse(
        c_pf: f64,
        gl_ns: f64,
        el: f64,
        vt: f64,
        delta_t: f64,
        a_ns: f64,
        tau_w: f64,
        b_pa: f64,
        vr: f64,
    ) -> AdExParams {
        AdExParams {
            cm: c_pf * 1e-3,
            tau_m: c_pf / gl_ns,
            v_rest: el,
            v_thresh: vt,
            delta_T: delta_t,
            tau_w,
            a: a_ns,
            b: b_pa * 1e-3,
            v_reset: vr,
            v_spike: 0.0,
            tau_refrac: 0.0,
            reset_semantics: ResetSemantics::Neurapse,
            ..AdExParams::default()
        }
    }
}

/// Names accepted by [`preset`]: the firing patterns of Naud et al. 2008 (Fig. 4 / Table 1).
pub const PRESETS: &[&str] = &[
    "tonic",
    "adaptation",
    "initial_burst",
    "regular_bursting",
    "delayed_accelerating",
    "delayed_regular_bursting",
    "transient",
    "irregular",
];

/// The Naud et al. 2008 firing pattern `name` (one of [`PRESETS`]): its parameters (VT = −50 mV,
/// ΔT = 2 mV, Neurapse semantics: `v_spike = 0`, no refractory period) and the pattern's step
/// current in nA (to be used as `i_offset` or an external current). `None` for an unknown
/// name. With forward Euler at 0.1 ms over 500 ms from `v = v_rest`, `w = 0` they fire
/// 49 / 10 / 10 / 9 / 35 / 0 / 86 / 28 spikes (spiking.md §1.8).
pub fn preset(name: &str) -> Option<(AdExParams, f64)> {
    // C pF, gL nS, EL mV, a nS, τw ms, b pA, Vr mV, I pA
    let (c, gl, el, a, tw, b, vr, i) = match name {
        "tonic" => (200.0, 10.0, -70.0, 2.0, 30.0, 0.0, -58.0, 500.0),
        "adaptation" => (200.0, 12.0, -70.0, 2.0, 300.0, 60.0, -58.0, 500.0),
        "initial_burst" => (130.0, 18.0, -58.0, 4.0, 150.0, 120.0, -50.0, 400.0),
        "regular_bursting" => (200.0, 10.0, -58.0, 2.0, 120.0, 100.0, -46.0, 210.0),
        "delayed_accelerating" => (200.0, 12.0, -70.0, -10.0, 300.0, 0.0, -58.0, 300.0),
        "delayed_regular_bursting" => (200.0, 12.0, -70.0, -6.0, 300.0, 0.0, -58.0, 110.0),
        "transient" => (100.0, 10.0, -65.0, -10.0, 90.0, 30.0, -47.0, 350.0),
        "irregular" => (100.0, 12.0, -60.0, -11.0, 130.0, 30.0, -48.0, 160.0),
        _ => return None,
    };
    Some((
        AdExParams::neurapse(c, gl, el, -50.0, 2.0, a, tw, b, vr),
        i * 1e-3,
    ))
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

/// A population of `EIF_cond_exp_isfa_ista` (AdEx) neurons (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdEx {
    params: AdExParams,
    dt: f64,
    /// The update's constants when every neuron has the same parameters.
    c: AdExConsts,
    /// Per-neuron constants when some parameter differs between neurons.
    lanes: Option<AdExLanes>,
    /// Membrane potential, mV.
    pub v: Vec<f64>,
    /// Adaptation current, nA.
    pub w: Vec<f64>,
    /// Excitatory conductance, µS.
    pub g_exc: Vec<f64>,
    /// Inhibitory conductance, µS.
    pub g_inh: Vec<f64>,
    /// `pynn`: remaining refractory steps; `neurapse`: 1 when the reset is due this step.
    /// Whole numbers stored as f64 so the update vectorises.
    refrac: Vec<f64>,
    fired: Vec<bool>,
    /// The state in `f32` for a population built with `precision = "f32"` (`v`, `w`, `g_exc`,
    /// `g_inh` and `refrac` above are then empty), in the order of [`ADEX_STATE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    single: Option<Box<Single>>,
}

/// The names of the state arrays (and the order of the `f32` ones).
const ADEX_STATE: &[&str; 4] = &["v", "w", "g_exc", "g_inh"];

/// The arrays one step runs over, of precision `F`.
struct AdExArrays<'a, F> {
    v: &'a mut [F],
    w: &'a mut [F],
    ge: &'a mut [F],
    gi: &'a mut [F],
    refrac: &'a mut [F],
}

crate::lanes! {
    /// Constants of the AdEx update, derived from one neuron's parameters.
    AdExConsts, AdExLanes, AdExBlock, AdExAccess, AdExVisit {
        v_rest, v_thresh, delta_T, e_rev_E, e_rev_I, v_spike, v_reset, b, cm, tau_w,
        g_leak, gl_delta_t, a_us, decay_e, decay_i, nref, i_offset,
    }
}

impl AdExConsts {
    /// `g_leak = cm/tau_m`, `gl_delta_t = g_leak·delta_T` (nA), `a_us = a/1000` (µS),
    /// `decay_* = 1 − dt/tau_syn_*` (Euler), `nref = round(tau_refrac/dt)`.
    fn of(p: &AdExParams, dt_ms: f64) -> Result<AdExConsts> {
        let g_leak = p.cm / p.tau_m;
        Ok(AdExConsts {
            v_rest: p.v_rest,
            v_thresh: p.v_thresh,
            delta_T: p.delta_T,
            e_rev_E: p.e_rev_E,
            e_rev_I: p.e_rev_I,
            v_spike: p.v_spike,
            v_reset: p.v_reset,
            b: p.b,
            cm: p.cm,
            tau_w: p.tau_w,
            g_leak,
            gl_delta_t: g_leak * p.delta_T,
            a_us: p.a * 1e-3,
            decay_e: 1.0 - dt_ms / p.tau_syn_E,
            decay_i: 1.0 - dt_ms / p.tau_syn_I,
            nref: refractory_steps(p.tau_refrac, dt_ms)? as f64,
            i_offset: p.i_offset,
        })
    }
}

impl AdEx {
    /// `n` neurons at `v = v_rest`, `w = 0`, time step `dt_ms`.
    pub fn new(params: &AdExParams, n: usize, dt_ms: f64) -> Result<AdEx> {
        params.validate("params")?;
        ensure!(
            dt_ms.is_finite() && dt_ms > 0.0,
            "dt",
            "must be a finite number > 0 ms, got {dt_ms}"
        );
        Ok(AdEx {
            params: params.clone(),
            dt: dt_ms,
            c: AdExConsts::of(params, dt_ms)?,
            lanes: None,
            v: vec![params.v_rest; n],
            w: vec![0.0; n],
            g_exc: vec![0.0; n],
            g_inh: vec![0.0; n],
            refrac: vec![0.0; n],
            fired: vec![false; n],
            single: None,
        })
    }

    /// The same neurons with their state in `f32` (each value rounded once).
    fn into_f32(mut self) -> AdEx {
        let arrays = [&mut self.v, &mut self.w, &mut self.g_exc, &mut self.g_inh];
        self.single = Some(Single::take(arrays, &mut self.refrac));
        self
    }

    /// The parameters (those of every neuron, before per-neuron values).
    pub fn params(&self) -> &AdExParams {
        &self.params
    }

    /// The time step, ms.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// One step at the state's precision.
    fn update<const EXT: bool, const NEURAPSE: bool, L>(
        &mut self,
        lanes: &L,
        syn: &mut [f64],
        current: &[f64],
    ) where
        L: LaneSet,
        for<'a> L::Block<'a>: AdExAccess,
    {
        let (dt, fired) = (self.dt, &mut self.fired);
        match self.single.as_deref_mut() {
            None => {
                let s = AdExArrays {
                    v: &mut self.v,
                    w: &mut self.w,
                    ge: &mut self.g_exc,
                    gi: &mut self.g_inh,
                    refrac: &mut self.refrac,
                };
                update::<EXT, NEURAPSE, L, f64>(s, fired, lanes, syn, current, dt)
            }
            Some(single) => match single.arrays.as_mut_slice() {
                [v, w, ge, gi] => {
                    let s = AdExArrays {
                        v,
                        w,
                        ge,
                        gi,
                        refrac: &mut single.refrac,
                    };
                    update::<EXT, NEURAPSE, L, f32>(s, fired, lanes, syn, current, dt)
                }
                _ => unreachable!("the f32 state has four arrays"),
            },
        }
    }

    fn run<L>(&mut self, lanes: &L, syn: &mut [f64], current: &[f64])
    where
        L: LaneSet,
        for<'a> L::Block<'a>: AdExAccess,
    {
        let neurapse = self.params.reset_semantics == ResetSemantics::Neurapse;
        match (current.is_empty(), neurapse) {
            (true, false) => self.update::<false, false, _>(lanes, syn, current),
            (false, false) => self.update::<true, false, _>(lanes, syn, current),
            (true, true) => self.update::<false, true, _>(lanes, syn, current),
            (false, true) => self.update::<true, true, _>(lanes, syn, current),
        }
    }
}

/// One step over state arrays of precision `F`; uniform constants run as one block of the
/// whole shard, per-neuron lanes in blocks of [`BLOCK`]. The constants and the delivered
/// conductances are `f64`, rounded to `F` where they are used.
fn update<const EXT: bool, const NEURAPSE: bool, L, F: Float>(
    s: AdExArrays<'_, F>,
    fired: &mut [bool],
    lanes: &L,
    syn: &mut [f64],
    current: &[f64],
    dt: f64,
) where
    L: LaneSet,
    for<'a> L::Block<'a>: AdExAccess,
{
    let f = F::from_f64;
    let (dt, zero, one) = (f(dt), F::ZERO, F::ONE);
    let n = s.v.len();
    let mut base = 0;
    while base < n {
        let end = if <L::Block<'_> as AdExAccess>::UNIFORM {
            n
        } else {
            (base + BLOCK).min(n)
        };
        let c = lanes.block(base, end);
        c.check_len(end - base);
        let syn = &mut syn[2 * base..2 * end];
        let current = if EXT { &current[base..end] } else { &[][..] };
        let v = &mut s.v[base..end];
        let w = &mut s.w[base..end];
        let ge = &mut s.ge[base..end];
        let gi = &mut s.gi[base..end];
        let refrac = &mut s.refrac[base..end];
        let fired = &mut fired[base..end];
        for i in 0..v.len() {
            let g_e = ge[i] + f(syn[2 * i]);
            let g_i = gi[i] + f(syn[2 * i + 1]);
            syn[2 * i] = 0.0;
            syn[2 * i + 1] = 0.0;
            let (v0, w0) = (v[i], w[i]);
            let i_in = if EXT {
                f(c.i_offset(i)) + f(current[i])
            } else {
                f(c.i_offset(i))
            };
            let (el, vspike) = (f(c.v_rest(i)), f(c.v_spike(i)));
            // min(v, v_spike), as `f64::min` (a NaN `v` gives `v_spike`)
            let v_exp = if v0 < vspike { v0 } else { vspike };
            // Same operation order as Neurapse's SI expression when the conductances are 0.
            let dv = (-f(c.g_leak(i)) * (v0 - el)
                + f(c.gl_delta_t(i)) * ((v_exp - f(c.v_thresh(i))) / f(c.delta_T(i))).exp()
                - w0
                + i_in
                + g_e * (f(c.e_rev_E(i)) - v0)
                + g_i * (f(c.e_rev_I(i)) - v0))
                / f(c.cm(i));
            let dw = (f(c.a_us(i)) * (v0 - el) - w0) / f(c.tau_w(i));
            let v1 = v0 + dv * dt;
            let w1 = w0 + dw * dt;
            if NEURAPSE {
                let resetting = refrac[i] > zero;
                let spike = !resetting && v1 >= vspike;
                v[i] = if resetting {
                    f(c.v_reset(i))
                } else if spike {
                    f(NEURAPSE_MARKER_MV)
                } else {
                    v1
                };
                w[i] = if resetting { w0 + f(c.b(i)) } else { w1 };
                refrac[i] = if spike { one } else { zero };
                fired[i] = spike;
            } else {
                let active = refrac[i] <= zero;
                let spike = active && v1 >= vspike;
                v[i] = if spike {
                    f(c.v_reset(i))
                } else if active {
                    v1
                } else {
                    v0
                };
                w[i] = if spike { w1 + f(c.b(i)) } else { w1 };
                refrac[i] = if spike {
                    f(c.nref(i))
                } else if active {
                    zero
                } else {
                    refrac[i] - one
                };
                fired[i] = spike;
            }
            ge[i] = g_e * f(c.decay_e(i));
            gi[i] = g_i * f(c.decay_i(i));
        }
        base = end;
    }
}

crate::param_table!(AdExParams {
    cm,
    tau_m,
    v_rest,
    v_thresh,
    delta_T,
    tau_w,
    a,
    b,
    v_reset,
    v_spike,
    tau_refrac,
    tau_syn_E,
    tau_syn_I,
    e_rev_E,
    e_rev_I,
    i_offset
});

impl super::BuiltinModel for AdEx {
    type Params = AdExParams;

    const F32: bool = true;

    fn carry_from(&mut self, old: &Self) {
        super::carry_named(self, old);
        self.refrac.clone_from(&old.refrac);
        self.fired.clone_from(&old.fired);
        if let (Some(new), Some(old)) = (self.single.as_deref_mut(), old.single.as_deref()) {
            new.refrac.clone_from(&old.refrac);
        }
    }

    fn validate(params: &AdExParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &AdExParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        let mut m = AdEx::new(params, n, ctx.dt_ms)?;
        if !ctx.per_neuron.is_empty() {
            let each =
                super::per_neuron_consts(params, n, &ctx, "params", AdExParams::validate, |p| {
                    AdExConsts::of(p, ctx.dt_ms)
                })?;
            m.v = each.iter().map(|(p, _)| p.v_rest).collect();
            let consts: Vec<AdExConsts> = each.into_iter().map(|(_, c)| c).collect();
            m.lanes = Some(AdExLanes::of(&consts));
        }
        Ok(match ctx.precision {
            Precision::F64 => m,
            Precision::F32 => m.into_f32(),
        })
    }
}

impl NeuronModel for AdEx {
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
        ADEX_STATE
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        if self.single.is_some() {
            return None; // `values`
        }
        match name {
            "v" => Some(&self.v),
            "w" => Some(&self.w),
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
            "w" => Some(&mut self.w),
            "g_exc" => Some(&mut self.g_exc),
            "g_inh" => Some(&mut self.g_inh),
            _ => None,
        }
    }

    fn step(&mut self, syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        match self.lanes.take() {
            None => {
                let c = self.c;
                self.run(&c, syn, current);
            }
            Some(lanes) => {
                self.run(&lanes, syn, current);
                self.lanes = Some(lanes);
            }
        }
        spikes.extend(
            self.fired
                .iter()
                .enumerate()
                .filter(|(_, &f)| f)
                .map(|(i, _)| i as u32),
        );
    }

    super::single::f32_state_access!(ADEX_STATE, instant_receptors);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f32` state: the same update in single precision. Per neuron (a drive current that
    /// differs between neurons, random conductance inputs), the spike counts of 500 ms follow
    /// the `f64` population's to one spike, in both reset semantics; the state is read as
    /// `f32` (and not as `f64`); a copy through serde, mid-run, keeps the precision and
    /// continues with the same spikes.
    #[test]
    fn f32_state_follows_f64() {
        use crate::spiking::neuron::StateRef;
        use rand::{Rng as _, SeedableRng as _};
        let (n, dt) = (60, 0.1);
        for semantics in [ResetSemantics::Pynn, ResetSemantics::Neurapse] {
            let p = AdExParams {
                reset_semantics: semantics,
                tau_refrac: if semantics == ResetSemantics::Neurapse {
                    0.0
                } else {
                    2.0
                },
                ..AdExParams::default()
            };
            let wide = AdEx::new(&p, n, dt).unwrap();
            let mut single = wide.clone().into_f32();
            let mut wide = wide;
            assert_eq!(single.precision(), Precision::F32);
            assert!(single.state("v").is_none());
            let mut rng = crate::rng::Rng::seed_from_u64(3);
            let drive: Vec<f64> = (0..n).map(|i| 0.4 + 0.02 * i as f64).collect();
            let (mut a, mut b) = (vec![0usize; n], vec![0usize; n]);
            let mut copy = None;
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            for step in 0..5000 {
                let syn: Vec<f64> = (0..2 * n)
                    .map(|_| {
                        if rng.random_bool(0.05) {
                            rng.random_range(0.0..0.01)
                        } else {
                            0.0
                        }
                    })
                    .collect();
                sa.clear();
                sb.clear();
                single.step(&mut syn.clone(), &drive, &mut sa);
                wide.step(&mut syn.clone(), &drive, &mut sb);
                if let Some(c) = copy.as_mut() {
                    let mut sc = Vec::new();
                    AdEx::step(c, &mut syn.clone(), &drive, &mut sc);
                    assert_eq!(sc, sa, "{semantics:?}: the copy, step {step}");
                }
                sa.iter().for_each(|&i| a[i as usize] += 1);
                sb.iter().for_each(|&i| b[i as usize] += 1);
                if step == 2500 {
                    let bytes = serde_json::to_vec(&single).unwrap();
                    copy = Some(serde_json::from_slice::<AdEx>(&bytes).unwrap());
                }
            }
            let total: usize = a.iter().sum();
            assert!(total > 10 * n, "{semantics:?}: {total} spikes");
            for i in 0..n {
                assert!(
                    a[i].abs_diff(b[i]) <= 1,
                    "{semantics:?} neuron {i}: {} against {}",
                    a[i],
                    b[i]
                );
            }
            let Some(StateRef::F32(v)) = single.values("v") else {
                panic!("f32 v")
            };
            assert!(v.iter().all(|x| x.is_finite()));
            let copy = copy.unwrap();
            assert_eq!(copy.precision(), Precision::F32);
        }
    }

    /// Per-neuron parameters (every one of them) give each neuron the bits of a one-neuron
    /// population with its parameters, in both reset semantics; equal per-neuron values give
    /// the plain model's bits through the lanes; the initial `v` is each neuron's `v_rest`.
    #[test]
    fn per_neuron_parameters_equal_separate_populations() {
        use crate::spiking::neuron::testing::{
            build, per_neuron_equals_one_neuron_populations, Drive,
        };
        use crate::spiking::neuron::{ModelSpec, Neurons};
        let n = 100;
        let f = |a: f64, b: f64| (0..n).map(|i| a + b * i as f64).collect::<Vec<f64>>();
        let mut per = vec![
            ("cm", f(0.25, 0.001)),
            ("tau_m", f(8.0, 0.03)),
            ("v_rest", f(-71.0, 0.01)),
            ("v_thresh", f(-51.0, 0.02)),
            ("delta_T", f(1.5, 0.01)),
            ("tau_w", f(100.0, 1.0)),
            ("a", f(2.0, 0.04)),
            ("b", f(0.05, 0.001)),
            ("v_reset", f(-72.0, 0.05)),
            ("v_spike", f(-42.0, 0.05)),
            ("tau_syn_E", f(3.0, 0.03)),
            ("tau_syn_I", f(6.0, 0.03)),
            ("e_rev_E", f(-2.0, 0.03)),
            ("e_rev_I", f(-82.0, 0.03)),
            ("i_offset", f(0.3, 0.003)),
        ];
        let drive = Drive {
            dt: 0.1,
            steps: 3000,
            current: (0.0, 1.0),
            syn: &[0.02, 0.02],
        };
        per.push(("tau_refrac", f(0.0, 0.05)));
        let spec = ModelSpec::EIF_cond_exp_isfa_ista(AdExParams::default());
        let (spikes, lanes) = per_neuron_equals_one_neuron_populations(&spec, &per, &drive);
        assert!(spikes > 1000, "{spikes} spikes");
        let Neurons::EIF_cond_exp_isfa_ista(m) = lanes else {
            unreachable!()
        };
        assert!(m.lanes.is_some());
        let m = build(&spec, n, 0.1, &[("v_rest".into(), f(-71.0, 0.01))]);
        assert_eq!(m.state("v").unwrap(), &f(-71.0, 0.01)[..]);
        // Neurapse semantics (no refractory period)
        per.pop();
        let (tonic, _) = preset("tonic").unwrap();
        let spec = ModelSpec::EIF_cond_exp_isfa_ista(tonic);
        let (spikes, _) = per_neuron_equals_one_neuron_populations(&spec, &per, &drive);
        assert!(spikes > 1000, "{spikes} spikes");
    }

    /// Run one neuron for `steps` steps with constant drive `i_na`, from (`v0`, `w0`); return
    /// the spike columns in Neurapse's convention (step `s` → column `s + 1`).
    fn run(params: &AdExParams, i_na: f64, v0: f64, w0: f64, steps: usize) -> Vec<usize> {
        let mut m = AdEx::new(params, 1, 0.1).unwrap();
        m.state_mut("v").unwrap()[0] = v0;
        m.state_mut("w").unwrap()[0] = w0;
        let mut syn = vec![0.0; 2];
        let mut spikes = Vec::new();
        let mut cols = Vec::new();
        for s in 0..steps {
            spikes.clear();
            m.step(&mut syn, &[i_na], &mut spikes);
            if !spikes.is_empty() {
                assert_eq!(m.v[0], NEURAPSE_MARKER_MV);
                cols.push(s + 1);
            }
        }
        cols
    }

    // data/neurapse_reference_numbers.json, key `aef` (`as_example_C1_for_all/*`,
    // `table_C/*`): spike counts at 250/350/450 pA and the first six spike times, ms.
    struct AefRef {
        name: &'static str,
        /// C pF, gL nS, EL mV, VT mV, ΔT mV, a nS, τw ms, b pA, Vr mV.
        table: [f64; 9],
        /// Numerically solved rest of `exampleAEF.py`: V0 mV, U0 A.
        init: (f64, f64),
        counts: [usize; 3],
        first: [&'static [f64]; 3],
    }

    const RS: [f64; 9] = [200.0, 10.0, -70.0, -50.0, 2.0, 2.0, 30.0, 0.0, -58.0];
    const IB_BUG: [f64; 9] = [200.0, 18.0, -58.0, -50.0, 2.0, 4.0, 150.0, 120.0, -50.0];
    const IB: [f64; 9] = [130.0, 18.0, -58.0, -50.0, 2.0, 4.0, 150.0, 120.0, -50.0];
    const CH: [f64; 9] = [200.0, 10.0, -58.0, -50.0, 2.0, 2.0, 120.0, 100.0, -46.0];
    const RS_FIRST: [&[f64]; 3] = [
        &[49.7, 96.2, 146.5, 197.7, 249.1, 300.5],
        &[24.0, 40.7, 58.1, 75.9, 94.0, 112.2],
        &[16.7, 27.6, 38.8, 50.1, 61.6, 73.2],
    ];
    const CH_FIRST: [&[f64]; 3] = [
        &[13.6, 16.6, 20.9, 119.7, 125.2, 237.8],
        &[9.7, 12.1, 15.1, 19.3, 39.5, 126.0],
        &[7.6, 9.7, 12.1, 15.1, 19.2, 28.9],
    ];
    const AEF_REFS: [AefRef; 6] = [
        AefRef {
            name: "as_example_C1_for_all/RS",
            table: RS,
            init: (-69.99992, 1.513e-16),
            counts: [9, 27, 42],
            first: RS_FIRST,
        },
        AefRef {
            name: "as_example_C1_for_all/IB",
            table: IB_BUG,
            init: (-57.96957, 1.217e-13),
            counts: [5, 8, 11],
            first: [
                &[15.3, 35.9, 165.4, 295.0, 424.6],
                &[10.1, 17.3, 43.4, 129.3, 209.9, 290.6],
                &[7.7, 12.6, 20.4, 48.9, 112.1, 169.8],
            ],
        },
        AefRef {
            name: "as_example_C1_for_all/CH",
            table: CH,
            init: (-57.969, 6.2006e-14),
            counts: [11, 15, 21],
            first: CH_FIRST,
        },
        AefRef {
            name: "table_C/RS",
            table: RS,
            init: (-69.99992, 1.513e-16),
            counts: [9, 27, 42],
            first: RS_FIRST,
        },
        AefRef {
            name: "table_C/IB",
            table: IB,
            init: (-57.96957, 1.217e-13),
            counts: [5, 9, 12],
            first: [
                &[10.0, 23.7, 143.0, 264.9, 386.8],
                &[6.7, 11.5, 31.5, 111.5, 187.8, 264.1],
                &[5.1, 8.4, 13.7, 38.7, 97.6, 153.0],
            ],
        },
        AefRef {
            name: "table_C/CH",
            table: CH,
            init: (-57.969, 6.2006e-14),
            counts: [11, 15, 21],
            first: CH_FIRST,
        },
    ];

    fn params_of(t: [f64; 9]) -> AdExParams {
        AdExParams::neurapse(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8])
    }

    /// spiking.md §1.9 check 2: counts exact, first six spike times within ±1 step, starting
    /// from upstream's numerically solved rest (U0 converted from A to nA).
    #[test]
    fn neurapse_aef_example_counts_and_first_spikes() {
        for r in &AEF_REFS {
            let params = params_of(r.table);
            for (j, i_pa) in [250.0, 350.0, 450.0].into_iter().enumerate() {
                let cols = run(&params, i_pa * 1e-3, r.init.0, r.init.1 * 1e9, 5000);
                assert_eq!(cols.len(), r.counts[j], "{} {i_pa} pA", r.name);
                for (k, &t) in r.first[j].iter().enumerate() {
                    let want = (t / 0.1f64).round() as i64;
                    let got = cols[k] as i64;
                    // within one step as required; in fact exact
                    assert_eq!(got, want, "{} {i_pa} pA spike {k}", r.name);
                }
            }
        }
    }

    /// Starting at exactly (EL, 0) instead of the solved rest keeps every count but moves some
    /// later spikes by up to 4 steps (CH at 350 pA: 39.1 instead of 39.5 ms), so the solved
    /// initial values matter for the ±1-step check.
    #[test]
    fn neurapse_aef_initial_state_matters_for_timing_only() {
        let params = params_of(CH);
        let cols = run(&params, 0.35, -58.0, 0.0, 5000);
        assert_eq!(cols.len(), 15);
        assert_eq!(cols[4], 391);
        let cols = run(&params, 0.35, -57.969, 6.2006e-5, 5000);
        assert_eq!(cols[4], 395);
    }

    /// spiking.md §1.8: the Naud et al. 2008 sets with the Neurapse class, Euler 0.1 ms,
    /// 500 ms, V0 = EL, w0 = 0.
    #[test]
    fn naud_presets_reference_counts() {
        let want = [49, 10, 10, 9, 35, 0, 86, 28];
        for (name, &n) in PRESETS.iter().zip(&want) {
            let (params, i_na) = preset(name).unwrap();
            let cols = run(&params, i_na, params.v_rest, 0.0, 5000);
            assert_eq!(cols.len(), n, "{name}");
        }
        // spike times quoted in §1.8
        let (p, i) = preset("tonic").unwrap();
        let c = run(&p, i, p.v_rest, 0.0, 5000);
        assert_eq!(c[1] - c[0], 94);
        assert_eq!(c[48] - c[47], 100);
        let (p, i) = preset("initial_burst").unwrap();
        assert_eq!(&run(&p, i, p.v_rest, 0.0, 5000)[..3], &[58, 97, 175]);
        let (p, i) = preset("adaptation").unwrap();
        let c = run(&p, i, p.v_rest, 0.0, 5000);
        assert_eq!((c[1] - c[0], c[9] - c[8]), (117, 762));
        let (p, i) = preset("delayed_accelerating").unwrap();
        let c = run(&p, i, p.v_rest, 0.0, 5000);
        assert_eq!((c[1] - c[0], c[34] - c[33]), (210, 111));
        assert!(preset("nope").is_none());
    }

    #[test]
    fn neurapse_reset_happens_on_the_next_step() {
        let (params, _) = preset("regular_bursting").unwrap();
        let mut m = AdEx::new(&params, 1, 0.1).unwrap();
        m.v[0] = -1e-9;
        m.w[0] = 0.05;
        let mut spikes = Vec::new();
        m.step(&mut [0.0, 0.0], &[1.0], &mut spikes);
        assert_eq!((spikes.as_slice(), m.v[0]), (&[0u32][..], 2.0));
        let w_spike = m.w[0];
        spikes.clear();
        m.step(&mut [0.0, 0.0], &[1.0], &mut spikes);
        assert!(spikes.is_empty());
        assert_eq!((m.v[0], m.w[0]), (-46.0, w_spike + params.b));
    }

    #[test]
    fn pynn_reset_and_refractory() {
        let params = AdExParams {
            tau_refrac: 0.5,
            ..Default::default()
        };
        let mut m = AdEx::new(&params, 1, 0.1).unwrap();
        m.v[0] = -40.5;
        let mut spikes = Vec::new();
        m.step(&mut [0.0, 0.0], &[2.0], &mut spikes);
        assert_eq!((spikes.as_slice(), m.v[0]), (&[0u32][..], -70.6));
        assert!(m.w[0] > 0.08);
        for _ in 0..5 {
            m.step(&mut [0.1, 0.0], &[2.0], &mut spikes);
            assert_eq!(m.v[0], -70.6);
        }
        m.step(&mut [0.0, 0.0], &[2.0], &mut spikes);
        assert!(m.v[0] > -70.6);
        assert_eq!(spikes.len(), 1);
    }

    /// PyNN defaults, a conductance input raises v; rest is a fixed point of the Euler map up
    /// to the exponential term.
    #[test]
    fn conductance_input_depolarises() {
        let mut m = AdEx::new(&AdExParams::default(), 2, 0.1).unwrap();
        let mut syn = vec![0.01, 0.0, 0.0, 0.0];
        let mut spikes = Vec::new();
        for _ in 0..20 {
            m.step(&mut syn, &[], &mut spikes);
        }
        assert!(m.v[0] > m.v[1] + 1.0);
        assert!((m.v[1] + 70.6).abs() < 0.01);
        assert!(spikes.is_empty());
    }

    #[test]
    fn bad_parameters_name_the_key() {
        let params = AdExParams {
            reset_semantics: ResetSemantics::Neurapse,
            ..Default::default()
        };
        let err = params
            .validate("populations.e.params")
            .unwrap_err()
            .to_string();
        assert!(err.contains("populations.e.params.tau_refrac"), "{err}");
        let params = AdExParams {
            delta_T: 0.0,
            ..Default::default()
        };
        let err = params.validate("p").unwrap_err().to_string();
        assert!(err.contains("p.delta_T"), "{err}");
    }
}
