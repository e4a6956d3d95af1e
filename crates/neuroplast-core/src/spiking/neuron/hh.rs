//! Hodgkin–Huxley neurons.
//!
//! ## `HodgkinHuxley` (Hodgkin & Huxley 1952, squid axon; Neurapse `HH`)
//!
//! Per unit area: `V` mV, `t` ms, `cm` µF/cm², conductances mS/cm², currents µA/cm².
//!
//! ```text
//! cm dV/dt = I − g_na m³h (V − e_na) − g_k n⁴ (V − e_k) − g_l (V − e_l)
//! dz/dt = α_z(V) (1 − z) − β_z(V) z,   z ∈ {m, h, n}, rates in 1/ms:
//! α_n = 0.01 (V+55) / (1 − e^{−(V+55)/10})    β_n = 0.125 e^{−(V+65)/80}
//! α_m = 0.1 (V+40) / (1 − e^{−(V+40)/10})     β_m = 4 e^{−0.0556 (V+65)}
//! α_h = 0.07 e^{−0.05 (V+65)}                  β_h = 1 / (1 + e^{−0.1 (V+35)})
//! ```
//!
//! Defaults are Neurapse's (`e_l = −55` mV, not the classic −54.4 mV).
//!
//! **Input units.** The `current` slice and the weights of the `current` receptor
//! ([`ReceptorKind::Instant`], one step) are in nA like everywhere else; they are turned into a
//! density with the membrane `area` (cm²): `I [µA/cm²] = i_offset + 10⁻³ · I_nA / area`. The
//! default `area = 10⁻³ cm²` makes this factor exactly 1 (1 nA ↔ 1 µA/cm²), so the densities
//! of the literature can be passed as nA unchanged. `i_offset` is a density (µA/cm²).
//!
//! Integration (`integrator`): `euler` (default, Neurapse: the gates use the old `V`) or `rk4`
//! (classic Runge–Kutta on `V, m, h, n`, input held over the step).
//!
//! **Spike detection:** a spike is reported by the step in which `V` crosses `v_spike`
//! (default 0 mV) upwards: `V_old < v_spike ≤ V_new`. There is no reset: the dynamics make the
//! spike. With Neurapse's step-index convention (trace column `k` = state after `k` updates,
//! the `k`-th call of `step` produces column `k`) this reproduces the spike steps 6152 / 7469 /
//! 8748 of `example1.py` with corrected units.
//!
//! **`neurapse_time_units = true`** reproduces Neurapse's unit bug: the rates (1/ms) are
//! multiplied by the time step in *seconds*, i.e. the gates move 1000× too slowly. With the
//! `example1.py` input this gives no action potential (V_max −40.84 mV).
//!
//! Initial state: `V = −65` mV with every gate at its steady state `α/(α+β)` for that `V`.
//!
//! ## `HH_cond_exp` (PyNN; NEST `hh_cond_exp_traub`, Traub & Miles 1991)
//!
//! PyNN units (nF, µS, mV, ms, nA):
//!
//! ```text
//! cm dV/dt = −gbar_Na m³h (V − e_rev_Na) − gbar_K n⁴ (V − e_rev_K) − g_leak (V − e_rev_leak)
//!            − g_exc (V − e_rev_E) − g_inh (V − e_rev_I) + i_offset + I_ext
//! u = V − v_offset
//! α_n = 0.032 (15 − u) / (e^{(15−u)/5} − 1)     β_n = 0.5 e^{(10−u)/40}
//! α_m = 0.32 (13 − u) / (e^{(13−u)/4} − 1)      β_m = 0.28 (u − 40) / (e^{(u−40)/5} − 1)
//! α_h = 0.128 e^{(17−u)/18}                     β_h = 4 / (1 + e^{(40−u)/5})
//! dg_exc/dt = −g_exc / tau_syn_E                dg_inh/dt = −g_inh / tau_syn_I
//! ```
//!
//! Receptors `excitatory` / `inhibitory`: conductance jumps in µS, added at the start of the
//! step. One RK4 step per time step for `V, m, h, n`; the conductances enter each RK4 stage
//! with their exact exponential decay (`g·e^{−s/τ}` at stage time `s`) and decay exactly.
//! Spike: upward crossing of `v_spike` (default 0 mV), as for `HodgkinHuxley`. NEST instead
//! emits a spike at a local maximum above `V_T + 30` mV (−33 mV) with a 2 ms dead time; with
//! spikes that overshoot to ≈ +40 mV both detect the same events, at most a fraction of a
//! millisecond apart. Initial state: `V = −65` mV (PyNN), gates at steady state.
//!
//! ## Precision
//!
//! With `precision = "f32"` both models run the same update on `f32` state (the constants
//! computed in `f64` and rounded once, delivered inputs rounded as they are added). The rates,
//! derivatives and the step itself, generic over the precision, are in `hh/integrate.rs`.

mod integrate;

use serde::{Deserialize, Serialize};

use super::lanes::LaneSet;
use super::single::Single;
use super::{
    check_finite, check_non_negative, check_positive, NeuronModel, Precision, Receptor,
    ReceptorKind,
};
use crate::{ensure, Result};
use integrate::{cond_exp_step, hh_rates, squid_step, traub_rest, CondExpArrays, SquidArrays};

/// Numerical scheme of [`HodgkinHuxley`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HhIntegrator {
    /// Forward Euler, the gates from the old `V` (Neurapse).
    #[default]
    Euler,
    /// Classic fourth-order Runge–Kutta.
    Rk4,
}

/// Parameters of [`HodgkinHuxley`] (per unit area).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HodgkinHuxleyParams {
    /// Membrane capacitance, µF/cm².
    pub cm: f64,
    /// Sodium reversal potential, mV.
    pub e_na: f64,
    /// Potassium reversal potential, mV.
    pub e_k: f64,
    /// Leak reversal potential, mV.
    pub e_l: f64,
    /// Maximal sodium conductance, mS/cm².
    pub g_na: f64,
    /// Maximal potassium conductance, mS/cm².
    pub g_k: f64,
    /// Leak conductance, mS/cm².
    pub g_l: f64,
    /// Constant injected current density, µA/cm².
    pub i_offset: f64,
    /// Membrane area in cm², converts nA inputs into densities.
    pub area: f64,
    /// Spike detection threshold (upward crossing), mV.
    pub v_spike: f64,
    /// Integration scheme.
    pub integrator: HhIntegrator,
    /// Reproduce Neurapse's unit bug (gating 1000× too slow).
    pub neurapse_time_units: bool,
}

impl Default for HodgkinHuxleyParams {
    fn default() -> Self {
        HodgkinHuxleyParams {
            cm: 1.0,
            e_na: 50.0,
            e_k: -77.0,
            e_l: -55.0,
            g_na: 120.0,
            g_k: 36.0,
            g_l: 0.3,
            i_offset: 0.0,
            area: 1e-3,
            v_spike: 0.0,
            integrator: HhIntegrator::Euler,
            neurapse_time_units: false,
        }
    }
}

impl HodgkinHuxleyParams {
    /// Check ranges; `path` is the key path of the parameter table.
    pub fn validate(&self, path: &str) -> Result<()> {
        check_positive(path, &[("cm", self.cm), ("area", self.area)])?;
        check_non_negative(
            path,
            &[("g_na", self.g_na), ("g_k", self.g_k), ("g_l", self.g_l)],
        )?;
        check_finite(
            path,
            &[
                ("e_na", self.e_na),
                ("e_k", self.e_k),
                ("e_l", self.e_l),
                ("i_offset", self.i_offset),
                ("v_spike", self.v_spike),
            ],
        )?;
        Ok(())
    }
}

const NA_RECEPTORS: &[Receptor] = &[Receptor {
    name: "current",
    kind: ReceptorKind::Instant,
    weight_unit: "nA",
}];

/// A population of classic Hodgkin–Huxley neurons (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HodgkinHuxley {
    params: HodgkinHuxleyParams,
    dt: f64,
    /// Factor on the gating rates: 1, or 10⁻³ in Neurapse mode.
    rate_scale: f64,
    /// The update's constants when every neuron has the same parameters.
    c: HhConsts,
    /// Per-neuron constants when some parameter differs between neurons.
    lanes: Option<HhLanes>,
    /// Membrane potential, mV.
    pub v: Vec<f64>,
    /// Sodium activation.
    pub m: Vec<f64>,
    /// Sodium inactivation.
    pub h: Vec<f64>,
    /// Potassium activation.
    pub n: Vec<f64>,
    fired: Vec<bool>,
    /// The state in `f32` for a population built with `precision = "f32"` (`v`, `m`, `h` and
    /// `n` above are then empty), in the order of [`HH_STATE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    single: Option<Box<Single>>,
}

/// The names of the state arrays of `HH_squid` (and the order of the `f32` ones).
const HH_STATE: &[&str; 4] = &["v", "m", "h", "n"];

crate::lanes! {
    /// Constants of the classic HH update, derived from one neuron's parameters.
    HhConsts, HhLanes, HhBlock, HhAccess, HhVisit {
        cm, e_na, e_k, e_l, g_na, g_k, g_l, i_offset, na_to_density, v_spike,
    }
}

impl HhConsts {
    /// `na_to_density = 10⁻³ / area` (nA → µA/cm²); the rest are the parameters.
    fn of(p: &HodgkinHuxleyParams) -> HhConsts {
        HhConsts {
            cm: p.cm,
            e_na: p.e_na,
            e_k: p.e_k,
            e_l: p.e_l,
            g_na: p.g_na,
            g_k: p.g_k,
            g_l: p.g_l,
            i_offset: p.i_offset,
            na_to_density: 1e-3 / p.area,
            v_spike: p.v_spike,
        }
    }
}

impl HodgkinHuxley {
    /// `n` neurons at −65 mV with steady-state gates, time step `dt_ms`.
    pub fn new(params: &HodgkinHuxleyParams, n: usize, dt_ms: f64) -> Result<HodgkinHuxley> {
        params.validate("params")?;
        ensure!(
            dt_ms.is_finite() && dt_ms > 0.0,
            "dt",
            "must be a finite number of ms > 0, got {dt_ms}"
        );
        let v0: f64 = -65.0;
        let [am, bm, ah, bh, an, bn] = hh_rates(v0);
        Ok(HodgkinHuxley {
            params: params.clone(),
            dt: dt_ms,
            rate_scale: if params.neurapse_time_units {
                1e-3
            } else {
                1.0
            },
            c: HhConsts::of(params),
            lanes: None,
            v: vec![v0; n],
            m: vec![am / (am + bm); n],
            h: vec![ah / (ah + bh); n],
            n: vec![an / (an + bn); n],
            fired: vec![false; n],
            single: None,
        })
    }

    /// The same neurons with their state in `f32` (each value rounded once).
    fn into_f32(mut self) -> HodgkinHuxley {
        let arrays = [&mut self.v, &mut self.m, &mut self.h, &mut self.n];
        self.single = Some(Single::take(arrays, &mut Vec::new()));
        self
    }

    /// The parameters (those of every neuron, before per-neuron values).
    pub fn params(&self) -> &HodgkinHuxleyParams {
        &self.params
    }

    /// One step at the state's precision.
    fn update<L>(&mut self, lanes: &L, syn: &mut [f64], current: &[f64])
    where
        L: LaneSet,
        for<'a> L::Block<'a>: HhAccess,
    {
        let rk4 = self.params.integrator == HhIntegrator::Rk4;
        let (dt, scale, fired) = (self.dt, self.rate_scale, &mut self.fired);
        match self.single.as_deref_mut() {
            None => {
                let s = SquidArrays {
                    v: &mut self.v,
                    m: &mut self.m,
                    h: &mut self.h,
                    n: &mut self.n,
                    fired,
                };
                squid_step::<L, f64>(s, lanes, syn, current, dt, scale, rk4)
            }
            Some(single) => match single.arrays.as_mut_slice() {
                [v, m, h, n] => {
                    let s = SquidArrays { v, m, h, n, fired };
                    squid_step::<L, f32>(s, lanes, syn, current, dt, scale, rk4)
                }
                _ => unreachable!("the f32 state has four arrays"),
            },
        }
    }
}

crate::param_table!(HodgkinHuxleyParams {
    cm,
    e_na,
    e_k,
    e_l,
    g_na,
    g_k,
    g_l,
    i_offset,
    area,
    v_spike
});

impl super::BuiltinModel for HodgkinHuxley {
    type Params = HodgkinHuxleyParams;

    const F32: bool = true;

    fn carry_from(&mut self, old: &Self) {
        super::carry_named(self, old);
        self.fired.clone_from(&old.fired);
    }

    fn validate(params: &HodgkinHuxleyParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &HodgkinHuxleyParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        let mut m = HodgkinHuxley::new(params, n, ctx.dt_ms)?;
        if !ctx.per_neuron.is_empty() {
            let each = super::per_neuron(params, n, &ctx, "params", HodgkinHuxleyParams::validate)?;
            let consts: Vec<HhConsts> = each.iter().map(HhConsts::of).collect();
            m.lanes = Some(HhLanes::of(&consts));
        }
        Ok(match ctx.precision {
            Precision::F64 => m,
            Precision::F32 => m.into_f32(),
        })
    }
}

impl NeuronModel for HodgkinHuxley {
    fn len(&self) -> usize {
        match &self.single {
            None => self.v.len(),
            Some(s) => s.len(),
        }
    }

    fn receptors(&self) -> &'static [Receptor] {
        NA_RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        HH_STATE
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        if self.single.is_some() {
            return None; // `values`
        }
        match name {
            "v" => Some(&self.v),
            "m" => Some(&self.m),
            "h" => Some(&self.h),
            "n" => Some(&self.n),
            _ => None,
        }
    }

    fn state_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        if self.single.is_some() {
            return None; // `values_mut`
        }
        match name {
            "v" => Some(&mut self.v),
            "m" => Some(&mut self.m),
            "h" => Some(&mut self.h),
            "n" => Some(&mut self.n),
            _ => None,
        }
    }

    fn step(&mut self, syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        match self.lanes.take() {
            None => {
                let c = self.c;
                self.update(&c, syn, current);
            }
            Some(lanes) => {
                self.update(&lanes, syn, current);
                self.lanes = Some(lanes);
            }
        }
        crate::simd::push_fired(&self.fired, spikes);
    }

    super::single::f32_state_access!(HH_STATE, instant_receptors);
}

/// Parameters of [`HhCondExp`], PyNN names and defaults (`HH_cond_exp`).
#[allow(non_snake_case)] // reason: PyNN's names (gbar_Na, e_rev_E, tau_syn_I) are the public keys
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HhCondExpParams {
    /// Maximal sodium conductance, µS.
    pub gbar_Na: f64,
    /// Maximal potassium conductance, µS.
    pub gbar_K: f64,
    /// Leak conductance, µS.
    pub g_leak: f64,
    /// Membrane capacitance, nF.
    pub cm: f64,
    /// Offset `V_T` of the rate functions, mV.
    pub v_offset: f64,
    /// Sodium reversal potential, mV.
    pub e_rev_Na: f64,
    /// Potassium reversal potential, mV.
    pub e_rev_K: f64,
    /// Leak reversal potential, mV.
    pub e_rev_leak: f64,
    /// Excitatory reversal potential, mV.
    pub e_rev_E: f64,
    /// Inhibitory reversal potential, mV.
    pub e_rev_I: f64,
    /// Excitatory conductance decay time constant, ms.
    pub tau_syn_E: f64,
    /// Inhibitory conductance decay time constant, ms.
    pub tau_syn_I: f64,
    /// Constant injected current, nA.
    pub i_offset: f64,
    /// Spike detection threshold (upward crossing), mV.
    pub v_spike: f64,
}

impl Default for HhCondExpParams {
    fn default() -> Self {
        HhCondExpParams {
            gbar_Na: 20.0,
            gbar_K: 6.0,
            g_leak: 0.01,
            cm: 0.2,
            v_offset: -63.0,
            e_rev_Na: 50.0,
            e_rev_K: -90.0,
            e_rev_leak: -65.0,
            e_rev_E: 0.0,
            e_rev_I: -80.0,
            tau_syn_E: 0.2,
            tau_syn_I: 2.0,
            i_offset: 0.0,
            v_spike: 0.0,
        }
    }
}

impl HhCondExpParams {
    /// Check ranges; `path` is the key path of the parameter table.
    pub fn validate(&self, path: &str) -> Result<()> {
        check_positive(
            path,
            &[
                ("cm", self.cm),
                ("tau_syn_E", self.tau_syn_E),
                ("tau_syn_I", self.tau_syn_I),
            ],
        )?;
        check_non_negative(
            path,
            &[
                ("gbar_Na", self.gbar_Na),
                ("gbar_K", self.gbar_K),
                ("g_leak", self.g_leak),
            ],
        )?;
        check_finite(
            path,
            &[
                ("v_offset", self.v_offset),
                ("e_rev_Na", self.e_rev_Na),
                ("e_rev_K", self.e_rev_K),
                ("e_rev_leak", self.e_rev_leak),
                ("e_rev_E", self.e_rev_E),
                ("e_rev_I", self.e_rev_I),
                ("i_offset", self.i_offset),
                ("v_spike", self.v_spike),
            ],
        )?;
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

/// A population of `HH_cond_exp` (Traub) neurons (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HhCondExp {
    params: HhCondExpParams,
    dt: f64,
    /// The update's constants when every neuron has the same parameters.
    c: TraubConsts,
    /// Per-neuron constants when some parameter differs between neurons.
    lanes: Option<TraubLanes>,
    /// Membrane potential, mV.
    pub v: Vec<f64>,
    /// Sodium activation.
    pub m: Vec<f64>,
    /// Sodium inactivation.
    pub h: Vec<f64>,
    /// Potassium activation.
    pub n: Vec<f64>,
    /// Excitatory conductance, µS.
    pub g_exc: Vec<f64>,
    /// Inhibitory conductance, µS.
    pub g_inh: Vec<f64>,
    fired: Vec<bool>,
    /// The state in `f32` for a population built with `precision = "f32"` (the arrays above
    /// are then empty), in the order of [`TRAUB_STATE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    single: Option<Box<Single>>,
}

/// The names of the state arrays of `HH_cond_exp` (and the order of the `f32` ones).
const TRAUB_STATE: &[&str; 6] = &["v", "m", "h", "n", "g_exc", "g_inh"];

crate::lanes! {
    /// Constants of the `HH_cond_exp` update, derived from one neuron's parameters.
    TraubConsts, TraubLanes, TraubBlock, TraubAccess, TraubVisit {
        gbar_Na, gbar_K, g_leak, cm, v_offset, e_rev_Na, e_rev_K, e_rev_leak, e_rev_E, e_rev_I,
        half_e, full_e, half_i, full_i, i_offset, v_spike,
    }
}

impl TraubConsts {
    /// `half_* = exp(−dt/(2 tau_syn_*))`, `full_* = exp(−dt/tau_syn_*)`; the rest are the
    /// parameters.
    fn of(p: &HhCondExpParams, dt_ms: f64) -> TraubConsts {
        TraubConsts {
            gbar_Na: p.gbar_Na,
            gbar_K: p.gbar_K,
            g_leak: p.g_leak,
            cm: p.cm,
            v_offset: p.v_offset,
            e_rev_Na: p.e_rev_Na,
            e_rev_K: p.e_rev_K,
            e_rev_leak: p.e_rev_leak,
            e_rev_E: p.e_rev_E,
            e_rev_I: p.e_rev_I,
            half_e: (-0.5 * dt_ms / p.tau_syn_E).exp(),
            full_e: (-dt_ms / p.tau_syn_E).exp(),
            half_i: (-0.5 * dt_ms / p.tau_syn_I).exp(),
            full_i: (-dt_ms / p.tau_syn_I).exp(),
            i_offset: p.i_offset,
            v_spike: p.v_spike,
        }
    }
}

impl HhCondExp {
    /// `n` neurons at −65 mV with steady-state gates, time step `dt_ms`.
    pub fn new(params: &HhCondExpParams, n: usize, dt_ms: f64) -> Result<HhCondExp> {
        params.validate("params")?;
        ensure!(
            dt_ms.is_finite() && dt_ms > 0.0,
            "dt",
            "must be a finite number of ms > 0, got {dt_ms}"
        );
        let v0 = -65.0;
        let (m0, h0, n0) = traub_rest(v0, params.v_offset);
        Ok(HhCondExp {
            params: params.clone(),
            dt: dt_ms,
            c: TraubConsts::of(params, dt_ms),
            lanes: None,
            v: vec![v0; n],
            m: vec![m0; n],
            h: vec![h0; n],
            n: vec![n0; n],
            g_exc: vec![0.0; n],
            g_inh: vec![0.0; n],
            fired: vec![false; n],
            single: None,
        })
    }

    /// The same neurons with their state in `f32` (each value rounded once).
    fn into_f32(mut self) -> HhCondExp {
        let arrays = [
            &mut self.v,
            &mut self.m,
            &mut self.h,
            &mut self.n,
            &mut self.g_exc,
            &mut self.g_inh,
        ];
        self.single = Some(Single::take(arrays, &mut Vec::new()));
        self
    }

    /// The parameters (those of every neuron, before per-neuron values).
    pub fn params(&self) -> &HhCondExpParams {
        &self.params
    }

    /// One step at the state's precision.
    fn update<L>(&mut self, lanes: &L, syn: &mut [f64], current: &[f64])
    where
        L: LaneSet,
        for<'a> L::Block<'a>: TraubAccess,
    {
        let (dt, fired) = (self.dt, &mut self.fired);
        match self.single.as_deref_mut() {
            None => {
                let s = CondExpArrays {
                    v: &mut self.v,
                    m: &mut self.m,
                    h: &mut self.h,
                    n: &mut self.n,
                    g_exc: &mut self.g_exc,
                    g_inh: &mut self.g_inh,
                    fired,
                };
                cond_exp_step::<L, f64>(s, lanes, syn, current, dt)
            }
            Some(single) => match single.arrays.as_mut_slice() {
                [v, m, h, n, g_exc, g_inh] => {
                    let s = CondExpArrays {
                        v,
                        m,
                        h,
                        n,
                        g_exc,
                        g_inh,
                        fired,
                    };
                    cond_exp_step::<L, f32>(s, lanes, syn, current, dt)
                }
                _ => unreachable!("the f32 state has six arrays"),
            },
        }
    }
}

crate::param_table!(HhCondExpParams {
    gbar_Na,
    gbar_K,
    g_leak,
    cm,
    v_offset,
    e_rev_Na,
    e_rev_K,
    e_rev_leak,
    e_rev_E,
    e_rev_I,
    tau_syn_E,
    tau_syn_I,
    i_offset,
    v_spike
});

impl super::BuiltinModel for HhCondExp {
    type Params = HhCondExpParams;

    const F32: bool = true;

    fn carry_from(&mut self, old: &Self) {
        super::carry_named(self, old);
        self.fired.clone_from(&old.fired);
    }

    fn validate(params: &HhCondExpParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &HhCondExpParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        let mut m = HhCondExp::new(params, n, ctx.dt_ms)?;
        if !ctx.per_neuron.is_empty() {
            let each = super::per_neuron(params, n, &ctx, "params", HhCondExpParams::validate)?;
            // the steady-state gates at −65 mV depend on each neuron's v_offset
            for (i, p) in each.iter().enumerate() {
                (m.m[i], m.h[i], m.n[i]) = traub_rest(m.v[i], p.v_offset);
            }
            let consts: Vec<TraubConsts> =
                each.iter().map(|p| TraubConsts::of(p, ctx.dt_ms)).collect();
            m.lanes = Some(TraubLanes::of(&consts));
        }
        Ok(match ctx.precision {
            Precision::F64 => m,
            Precision::F32 => m.into_f32(),
        })
    }
}

impl NeuronModel for HhCondExp {
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
        TRAUB_STATE
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        if self.single.is_some() {
            return None; // `values`
        }
        match name {
            "v" => Some(&self.v),
            "m" => Some(&self.m),
            "h" => Some(&self.h),
            "n" => Some(&self.n),
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
            "m" => Some(&mut self.m),
            "h" => Some(&mut self.h),
            "n" => Some(&mut self.n),
            "g_exc" => Some(&mut self.g_exc),
            "g_inh" => Some(&mut self.g_inh),
            _ => None,
        }
    }

    fn step(&mut self, syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        match self.lanes.take() {
            None => {
                let c = self.c;
                self.update(&c, syn, current);
            }
            Some(lanes) => {
                self.update(&lanes, syn, current);
                self.lanes = Some(lanes);
            }
        }
        crate::simd::push_fired(&self.fired, spikes);
    }

    super::single::f32_state_access!(TRAUB_STATE, instant_receptors);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f32` state: the same update in single precision. `HH_squid` (Euler with uniform
    /// constants, RK4 with a per-neuron `g_k`) with a drive from 10 to 16 µA/cm² (nA at the
    /// default area), well above the ≈ 6.3 µA/cm² from which it fires repetitively (35–40
    /// spikes each in 500 ms, no neuron near its threshold), and `HH_cond_exp` (uniform and
    /// per-neuron `gbar_K`) with 0.5 to 1.7 nA, far above its rheobase of ≈ 0.03 nA (45–95
    /// spikes each); both with random inputs on every receptor. The spike counts of 500 ms
    /// follow the `f64` population's to one spike; the state is read as `f32` (and not as
    /// `f64`); a copy through serde, mid-run, keeps the precision and continues with the same
    /// spikes.
    #[test]
    fn f32_state_follows_f64() {
        use crate::spiking::neuron::testing::{build, f32_follows_f64};
        use crate::spiking::neuron::{ModelSpec, Neurons};
        let (n, dt) = (60, 0.02);
        let f = |a: f64, b: f64| (0..n).map(|i| a + b * i as f64).collect::<Vec<f64>>();
        for (integrator, per) in [
            (HhIntegrator::Euler, vec![]),
            (HhIntegrator::Rk4, vec![("g_k".to_string(), f(34.0, 0.05))]),
        ] {
            let spec = ModelSpec::HH_squid(HodgkinHuxleyParams {
                integrator,
                ..Default::default()
            });
            let Neurons::HH_squid(wide) = build(&spec, n, dt, &per) else {
                unreachable!()
            };
            let single = wide.clone().into_f32();
            f32_follows_f64(wide, single, &f(10.0, 0.1), &[20.0], 25_000, 13);
        }
        for per in [vec![], vec![("gbar_K".to_string(), f(5.5, 0.02))]] {
            let spec = ModelSpec::HH_cond_exp(HhCondExpParams::default());
            let Neurons::HH_cond_exp(wide) = build(&spec, n, dt, &per) else {
                unreachable!()
            };
            let single = wide.clone().into_f32();
            f32_follows_f64(wide, single, &f(0.5, 0.02), &[0.01, 0.002], 25_000, 13);
        }
    }

    /// Per-neuron parameters (every one of them) give each neuron the bits of a one-neuron
    /// population with its parameters (classic HH with both integrators and in Neurapse's
    /// time units, and HH_cond_exp); equal per-neuron values give the plain model's bits;
    /// `HH_cond_exp` starts each neuron's gates at the steady state of its own `v_offset`.
    #[test]
    fn per_neuron_parameters_equal_separate_populations() {
        use crate::spiking::neuron::testing::{
            build, per_neuron_equals_one_neuron_populations, Drive,
        };
        use crate::spiking::neuron::{ModelSpec, Neurons};
        let n = 60;
        let f = |a: f64, b: f64| (0..n).map(|i| a + b * i as f64).collect::<Vec<f64>>();
        let per = [
            ("cm", f(0.9, 0.004)),
            ("e_na", f(49.0, 0.03)),
            ("e_k", f(-78.0, 0.03)),
            ("e_l", f(-56.0, 0.03)),
            ("g_na", f(110.0, 0.3)),
            ("g_k", f(34.0, 0.05)),
            ("g_l", f(0.28, 0.0005)),
            ("i_offset", f(4.0, 0.05)),
            ("area", f(0.9e-3, 4e-6)),
            ("v_spike", f(-5.0, 0.2)),
        ];
        let drive = Drive {
            dt: 0.01,
            steps: 3000,
            current: (0.0, 12.0),
            syn: &[5.0],
        };
        for (integrator, neurapse_time_units, min_spikes) in [
            (HhIntegrator::Euler, false, 100),
            (HhIntegrator::Rk4, false, 100),
            (HhIntegrator::Euler, true, 0),
        ] {
            let spec = ModelSpec::HH_squid(HodgkinHuxleyParams {
                integrator,
                neurapse_time_units,
                ..Default::default()
            });
            let (spikes, lanes) = per_neuron_equals_one_neuron_populations(&spec, &per, &drive);
            assert!(spikes >= min_spikes, "{integrator:?}: {spikes} spikes");
            let Neurons::HH_squid(m) = lanes else {
                unreachable!()
            };
            assert!(m.lanes.is_some());
        }
        let per = [
            ("gbar_Na", f(19.0, 0.03)),
            ("gbar_K", f(5.5, 0.01)),
            ("g_leak", f(0.009, 0.00003)),
            ("cm", f(0.19, 0.0003)),
            ("v_offset", f(-64.0, 0.03)),
            ("e_rev_Na", f(49.0, 0.03)),
            ("e_rev_K", f(-91.0, 0.03)),
            ("e_rev_leak", f(-66.0, 0.03)),
            ("e_rev_E", f(-1.0, 0.03)),
            ("e_rev_I", f(-81.0, 0.03)),
            ("tau_syn_E", f(0.15, 0.002)),
            ("tau_syn_I", f(1.5, 0.02)),
            ("i_offset", f(1.0, 0.01)),
            ("v_spike", f(-5.0, 0.2)),
        ];
        let drive = Drive {
            dt: 0.01,
            steps: 5000,
            current: (0.0, 2.0),
            syn: &[0.02, 0.005],
        };
        let spec = ModelSpec::HH_cond_exp(HhCondExpParams::default());
        let (spikes, lanes) = per_neuron_equals_one_neuron_populations(&spec, &per, &drive);
        assert!(spikes > 100, "{spikes} spikes");
        let Neurons::HH_cond_exp(m) = lanes else {
            unreachable!()
        };
        assert!(m.lanes.is_some());
        let m = build(&spec, n, 0.01, &[("v_offset".into(), f(-64.0, 0.03))]);
        for (i, v_offset) in f(-64.0, 0.03).into_iter().enumerate() {
            let one = HhCondExp::new(
                &HhCondExpParams {
                    v_offset,
                    ..Default::default()
                },
                1,
                0.01,
            )
            .unwrap();
            assert_eq!(m.state("m").unwrap()[i], one.m[0]);
            assert_eq!(m.state("n").unwrap()[i], one.n[0]);
        }
    }

    // Neurapse `example1.py`: dt = 0.01 ms, 15000 steps, 15 µA/cm² on steps 6000…9000
    // inclusive, initial V/h/m/n below.
    const V0: f64 = -65.15672;
    const H0: f64 = 0.60159082;
    const M0: f64 = 0.05196212;
    const N0: f64 = 0.31527801;
    /// `hh_corrected_units.spike_steps`.
    const CORRECTED_SPIKE_STEPS: [usize; 3] = [6152, 7469, 8748];
    /// `hh_corrected_units.V_max_mV`.
    const CORRECTED_V_MAX: f64 = 41.32553706684439;
    /// `hh_neurapse.V_max_mV`.
    const NEURAPSE_V_MAX: f64 = -40.840808389294914;
    /// `hh_neurapse.V_end_mV`.
    const NEURAPSE_V_END: f64 = -62.13654243925578;

    /// Returns (spike steps in Neurapse's column convention, V_max, V_end).
    fn example1(params: &HodgkinHuxleyParams) -> (Vec<usize>, f64, f64) {
        let mut hh = HodgkinHuxley::new(params, 1, 0.01).unwrap();
        hh.v[0] = V0;
        hh.h[0] = H0;
        hh.m[0] = M0;
        hh.n[0] = N0;
        let mut syn = vec![0.0];
        let mut spikes = Vec::new();
        let mut steps = Vec::new();
        let mut v_max = f64::NEG_INFINITY;
        for t in 0..15000 {
            // default area: 15 nA = 15 µA/cm²
            let i = if (6000..=9000).contains(&t) {
                15.0
            } else {
                0.0
            };
            spikes.clear();
            hh.step(&mut syn, &[i], &mut spikes);
            if !spikes.is_empty() {
                steps.push(t + 1);
            }
            v_max = v_max.max(hh.v[0]);
        }
        (steps, v_max, hh.v[0])
    }

    #[test]
    fn example1_corrected_units_euler() {
        let (steps, v_max, _) = example1(&HodgkinHuxleyParams::default());
        assert_eq!(steps, CORRECTED_SPIKE_STEPS);
        for (s, t_ref) in steps.iter().zip([61.52, 74.69, 87.48]) {
            assert!((*s as f64 * 0.01 - t_ref).abs() <= 0.05 + 1e-9);
        }
        assert!((v_max - CORRECTED_V_MAX).abs() < 1e-6, "{v_max}");
    }

    #[test]
    fn example1_rk4_shifts_slightly() {
        let p = HodgkinHuxleyParams {
            integrator: HhIntegrator::Rk4,
            ..Default::default()
        };
        let (steps, _, _) = example1(&p);
        assert_eq!(steps.len(), 3);
        for (s, r) in steps.iter().zip(CORRECTED_SPIKE_STEPS) {
            assert!(s.abs_diff(r) <= 5, "{steps:?}");
        }
    }

    #[test]
    fn example1_neurapse_time_units() {
        let p = HodgkinHuxleyParams {
            neurapse_time_units: true,
            ..Default::default()
        };
        let (steps, v_max, v_end) = example1(&p);
        assert!(steps.is_empty(), "{steps:?}");
        assert!((v_max - NEURAPSE_V_MAX).abs() < 0.01, "{v_max}");
        assert!((v_end - NEURAPSE_V_END).abs() < 0.01, "{v_end}");
    }

    #[test]
    fn area_converts_nanoamperes() {
        let p = HodgkinHuxleyParams {
            area: 2e-3,
            ..Default::default()
        };
        let hh = HodgkinHuxley::new(&p, 1, 0.01).unwrap();
        assert_eq!(hh.c.na_to_density, 0.5);
        let err = HodgkinHuxleyParams {
            area: 0.0,
            ..Default::default()
        }
        .validate("p")
        .unwrap_err()
        .to_string();
        assert!(err.contains("p.area"), "{err}");
    }

    fn traub_spikes(i_offset: f64, ms: f64) -> Vec<usize> {
        let p = HhCondExpParams {
            i_offset,
            ..Default::default()
        };
        let dt = 0.01;
        let mut hh = HhCondExp::new(&p, 1, dt).unwrap();
        let mut syn = vec![0.0; 2];
        let mut spikes = Vec::new();
        let mut out = Vec::new();
        for t in 0..(ms / dt) as usize {
            spikes.clear();
            hh.step(&mut syn, &[], &mut spikes);
            if !spikes.is_empty() {
                out.push(t);
            }
        }
        out
    }

    #[test]
    fn traub_silent_at_rest_and_repetitive_under_current() {
        assert!(traub_spikes(0.0, 500.0).is_empty());
        let t = traub_spikes(1.0, 500.0);
        assert!(t.len() >= 10, "{} spikes", t.len());
        let isis: Vec<usize> = t.windows(2).skip(2).map(|w| w[1] - w[0]).collect();
        let (lo, hi) = (isis.iter().min().unwrap(), isis.iter().max().unwrap());
        assert!(hi - lo <= 2, "irregular ISIs {isis:?}");
    }

    #[test]
    fn traub_conductance_input_fires_and_decays() {
        let mut hh = HhCondExp::new(&HhCondExpParams::default(), 1, 0.01).unwrap();
        let mut syn = vec![0.5, 0.0];
        let mut spikes = Vec::new();
        let mut n_spikes = 0;
        hh.step(&mut syn, &[], &mut spikes);
        assert_eq!(syn, vec![0.0, 0.0]);
        assert!((hh.g_exc[0] - 0.5 * (-0.05f64).exp()).abs() < 1e-15);
        for _ in 0..1000 {
            spikes.clear();
            hh.step(&mut syn, &[], &mut spikes);
            n_spikes += spikes.len();
        }
        assert_eq!(n_spikes, 1);
    }
}
