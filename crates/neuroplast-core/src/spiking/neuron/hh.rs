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

use serde::{Deserialize, Serialize};

use super::{
    check_finite, check_non_negative, check_positive, NeuronModel, Receptor, ReceptorKind,
};
use crate::{ensure, Result};

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

/// `x / (1 − e^{−x/s})`, continuous at `x = 0` (where it is `s`).
#[inline]
fn x_over_one_minus_exp(x: f64, s: f64) -> f64 {
    if (x / s).abs() < 1e-9 {
        s + 0.5 * x
    } else {
        x / (1.0 - (-x / s).exp())
    }
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

/// Classic HH rates `(α_m, β_m, α_h, β_h, α_n, β_n)` in 1/ms at `v` mV (Neurapse's formulas).
#[inline]
fn hh_rates(v: f64) -> [f64; 6] {
    let am = 0.1 * x_over_one_minus_exp(v + 40.0, 10.0);
    let bm = 4.0 * (-0.0556 * (v + 65.0)).exp();
    let ah = 0.07 * (-0.05 * (v + 65.0)).exp();
    let bh = 1.0 / (1.0 + (-0.1 * (v + 35.0)).exp());
    let an = 0.01 * x_over_one_minus_exp(v + 55.0, 10.0);
    let bn = 0.125 * (-(v + 65.0) / 80.0).exp();
    [am, bm, ah, bh, an, bn]
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
    /// nA → µA/cm².
    na_to_density: f64,
    /// Membrane potential, mV.
    pub v: Vec<f64>,
    /// Sodium activation.
    pub m: Vec<f64>,
    /// Sodium inactivation.
    pub h: Vec<f64>,
    /// Potassium activation.
    pub n: Vec<f64>,
    fired: Vec<bool>,
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
        let v0 = -65.0;
        let [am, bm, ah, bh, an, bn] = hh_rates(v0);
        Ok(HodgkinHuxley {
            params: params.clone(),
            dt: dt_ms,
            rate_scale: if params.neurapse_time_units {
                1e-3
            } else {
                1.0
            },
            na_to_density: 1e-3 / params.area,
            v: vec![v0; n],
            m: vec![am / (am + bm); n],
            h: vec![ah / (ah + bh); n],
            n: vec![an / (an + bn); n],
            fired: vec![false; n],
        })
    }

    /// The parameters.
    pub fn params(&self) -> &HodgkinHuxleyParams {
        &self.params
    }

    /// Time derivatives of `(V, m, h, n)` for input density `i`.
    #[inline]
    fn deriv(&self, y: [f64; 4], i: f64) -> [f64; 4] {
        let p = &self.params;
        let [v, m, h, n] = y;
        let i_na = p.g_na * (m * m * m) * h * (v - p.e_na);
        let n2 = n * n;
        let i_k = p.g_k * (n2 * n2) * (v - p.e_k);
        let i_l = p.g_l * (v - p.e_l);
        let [am, bm, ah, bh, an, bn] = hh_rates(v);
        let s = self.rate_scale;
        [
            (i - i_na - i_k - i_l) / p.cm,
            s * (am * (1.0 - m) - bm * m),
            s * (ah * (1.0 - h) - bh * h),
            s * (an * (1.0 - n) - bn * n),
        ]
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

    fn validate(params: &HodgkinHuxleyParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &HodgkinHuxleyParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        super::no_per_neuron(&ctx, "HodgkinHuxley")?;
        HodgkinHuxley::new(params, n, ctx.dt_ms)
    }
}

impl NeuronModel for HodgkinHuxley {
    fn len(&self) -> usize {
        self.v.len()
    }

    fn receptors(&self) -> &'static [Receptor] {
        NA_RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        &["v", "m", "h", "n"]
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        match name {
            "v" => Some(&self.v),
            "m" => Some(&self.m),
            "h" => Some(&self.h),
            "n" => Some(&self.n),
            _ => None,
        }
    }

    fn state_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        match name {
            "v" => Some(&mut self.v),
            "m" => Some(&mut self.m),
            "h" => Some(&mut self.h),
            "n" => Some(&mut self.n),
            _ => None,
        }
    }

    fn step(&mut self, syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        let n = self.v.len();
        let dt = self.dt;
        let rk4 = self.params.integrator == HhIntegrator::Rk4;
        let (offset, conv, th) = (
            self.params.i_offset,
            self.na_to_density,
            self.params.v_spike,
        );
        for i in 0..n {
            let ext = if current.is_empty() { 0.0 } else { current[i] };
            let input = offset + conv * (syn[i] + ext);
            syn[i] = 0.0;
            let y = [self.v[i], self.m[i], self.h[i], self.n[i]];
            let k1 = self.deriv(y, input);
            let y1 = if rk4 {
                let y2 = std::array::from_fn(|j| y[j] + 0.5 * dt * k1[j]);
                let k2 = self.deriv(y2, input);
                let y3 = std::array::from_fn(|j| y[j] + 0.5 * dt * k2[j]);
                let k3 = self.deriv(y3, input);
                let y4 = std::array::from_fn(|j| y[j] + dt * k3[j]);
                let k4 = self.deriv(y4, input);
                std::array::from_fn(|j| {
                    y[j] + dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
                })
            } else {
                std::array::from_fn(|j| y[j] + dt * k1[j])
            };
            self.fired[i] = y[0] < th && y1[0] >= th;
            [self.v[i], self.m[i], self.h[i], self.n[i]] = y1;
        }
        crate::spiking::simd::push_fired(&self.fired, spikes);
    }
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

/// Traub–Miles rates `(α_m, β_m, α_h, β_h, α_n, β_n)` in 1/ms at `u = V − v_offset`.
#[inline]
fn traub_rates(u: f64) -> [f64; 6] {
    // a (c − u) / (e^{(c−u)/s} − 1) = a · (u − c) / (1 − e^{−(u−c)/s})
    let am = 0.32 * x_over_one_minus_exp(u - 13.0, 4.0);
    let bm = 0.28 * x_over_one_minus_exp(-(u - 40.0), 5.0);
    let ah = 0.128 * ((17.0 - u) / 18.0).exp();
    let bh = 4.0 / (1.0 + ((40.0 - u) / 5.0).exp());
    let an = 0.032 * x_over_one_minus_exp(u - 15.0, 5.0);
    let bn = 0.5 * ((10.0 - u) / 40.0).exp();
    [am, bm, ah, bh, an, bn]
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
    half_e: f64,
    full_e: f64,
    half_i: f64,
    full_i: f64,
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
        let [am, bm, ah, bh, an, bn] = traub_rates(v0 - params.v_offset);
        Ok(HhCondExp {
            params: params.clone(),
            dt: dt_ms,
            half_e: (-0.5 * dt_ms / params.tau_syn_E).exp(),
            full_e: (-dt_ms / params.tau_syn_E).exp(),
            half_i: (-0.5 * dt_ms / params.tau_syn_I).exp(),
            full_i: (-dt_ms / params.tau_syn_I).exp(),
            v: vec![v0; n],
            m: vec![am / (am + bm); n],
            h: vec![ah / (ah + bh); n],
            n: vec![an / (an + bn); n],
            g_exc: vec![0.0; n],
            g_inh: vec![0.0; n],
            fired: vec![false; n],
        })
    }

    /// The parameters.
    pub fn params(&self) -> &HhCondExpParams {
        &self.params
    }

    /// Time derivatives of `(V, m, h, n)` with conductances `ge`, `gi` and input `i` nA.
    #[inline]
    fn deriv(&self, y: [f64; 4], ge: f64, gi: f64, i: f64) -> [f64; 4] {
        let p = &self.params;
        let [v, m, h, n] = y;
        let n2 = n * n;
        let i_ion = p.gbar_Na * (m * m * m) * h * (v - p.e_rev_Na)
            + p.gbar_K * (n2 * n2) * (v - p.e_rev_K)
            + p.g_leak * (v - p.e_rev_leak)
            + ge * (v - p.e_rev_E)
            + gi * (v - p.e_rev_I);
        let [am, bm, ah, bh, an, bn] = traub_rates(v - p.v_offset);
        [
            (i - i_ion) / p.cm,
            am * (1.0 - m) - bm * m,
            ah * (1.0 - h) - bh * h,
            an * (1.0 - n) - bn * n,
        ]
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

    fn validate(params: &HhCondExpParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &HhCondExpParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        super::no_per_neuron(&ctx, "HhCondExp")?;
        HhCondExp::new(params, n, ctx.dt_ms)
    }
}

impl NeuronModel for HhCondExp {
    fn len(&self) -> usize {
        self.v.len()
    }

    fn receptors(&self) -> &'static [Receptor] {
        COND_RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        &["v", "m", "h", "n", "g_exc", "g_inh"]
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
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
        let n = self.v.len();
        let dt = self.dt;
        let (he, fe, hi, fi) = (self.half_e, self.full_e, self.half_i, self.full_i);
        let (offset, th) = (self.params.i_offset, self.params.v_spike);
        for i in 0..n {
            let ge = self.g_exc[i] + syn[2 * i];
            let gi = self.g_inh[i] + syn[2 * i + 1];
            syn[2 * i] = 0.0;
            syn[2 * i + 1] = 0.0;
            let input = offset + if current.is_empty() { 0.0 } else { current[i] };
            let y = [self.v[i], self.m[i], self.h[i], self.n[i]];
            let k1 = self.deriv(y, ge, gi, input);
            let y2 = std::array::from_fn(|j| y[j] + 0.5 * dt * k1[j]);
            let k2 = self.deriv(y2, ge * he, gi * hi, input);
            let y3 = std::array::from_fn(|j| y[j] + 0.5 * dt * k2[j]);
            let k3 = self.deriv(y3, ge * he, gi * hi, input);
            let y4 = std::array::from_fn(|j| y[j] + dt * k3[j]);
            let k4 = self.deriv(y4, ge * fe, gi * fi, input);
            let y1: [f64; 4] = std::array::from_fn(|j| {
                y[j] + dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
            });
            self.fired[i] = y[0] < th && y1[0] >= th;
            [self.v[i], self.m[i], self.h[i], self.n[i]] = y1;
            self.g_exc[i] = ge * fe;
            self.g_inh[i] = gi * fi;
        }
        crate::spiking::simd::push_fired(&self.fired, spikes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(hh.na_to_density, 0.5);
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
