//! Izhikevich neurons: the 2003 "simple model" and the 2007 book form.
//!
//! ## `Izhikevich` (Izhikevich 2003; PyNN's `Izhikevich`; spnet, Izhikevich 2006)
//!
//! ```text
//! dv/dt = 0.04 v² + 5 v + 140 − u + I        du/dt = a (b v − u)
//! v ≥ 30 mV  →  spike, v = c, u += d
//! I = i_offset + (weights delivered this step) + current
//! ```
//!
//! The model is dimensionless in the sense of the 2003 paper: `v` in mV, time in ms, and `I`
//! (hence `i_offset`, delivered weights and the `current` slice) in the model's own units
//! ("mV/ms"). **The `current` slice is added to `I` as it is, without any nA conversion.** The
//! only receptor, `current`, is [`ReceptorKind::Instant`]: a delivered weight `w` adds to `I`
//! for the step in which it is delivered and is then forgotten (spnet's `I[i] += s`).
//!
//! `a`, `b`, `c` and `d` are per-neuron state (the 2003 network draws them per neuron): the
//! parameters only give their initial values, change them with
//! [`state_mut`](NeuronModel::state_mut) (`"a"`, `"b"`, `"c"`, `"d"`). Initial state: `v = −65`,
//! `u = b·v` (the 2003 and 2006 programs).
//!
//! Integration (`integrator`):
//! * `spnet` (default; Izhikevich 2003 `net.m`, 2006 `spnet.cpp`, the Brian2 izh03/izh06
//!   benchmarks): `v` in two Euler half steps of `dt/2`, then `u` in one step of `dt` using the
//!   new `v`. With `dt = 1` ms the arithmetic is exactly spnet's
//!   `v += 0.5*((0.04*v+5)*v+140-u+I)` (twice) and `u += a*(b*v-u)`.
//! * `euler`: forward Euler, `v` and `u` both from the values at the start of the step.
//!
//! **Order within a step and spike labels.** Each step integrates first, then tests `v ≥ 30`
//! and resets at once. spnet tests `v ≥ 30` at the *start* of the next step (on the `v` left by
//! the previous step), then resets, then integrates; Brian2 integrates (`run_regularly`), then
//! thresholds, then resets. All three give the same trajectory of `v` and `u` (including
//! spnet's quirk that `u` is updated with the overshooting `v`, which can be far above 30 mV,
//! before the reset). The spike is reported by the step whose integration crossed 30 mV — as in
//! Brian2; spnet records the same spike with a time stamp 1 ms later. Between steps `v` holds
//! the reset value `c`, not the overshoot. spnet delivers a spike registered at the start of
//! step `t` through its delay bin `k` (`k = 0…D−1`, "k + 1 ms") into the `I` of step `t + k`; with
//! the labelling here that is a delay of `k + 1` steps (the spike is reported one step earlier),
//! so a network delay of `k + 1` steps reproduces spnet exactly.
//!
//! Presets ([`preset`], [`PRESETS`]): RS, IB, CH, FS, LTS, TC, RZ of Izhikevich 2003 (fig. 2) /
//! 2004.
//!
//! ## `Izhikevich2007` (Izhikevich 2007, *Dynamical Systems in Neuroscience*, ch. 8; Neurapse)
//!
//! ```text
//! C dv/dt = k (v − v_r)(v − v_t) − u + I        du/dt = a (b (v − v_r) − u)
//! ```
//!
//! Units (PyNN): `C` nF, `k` nA/mV² (= µS/mV), `v_*` mV, `a` 1/ms, `b` µS, `d` nA, `I` nA. The
//! HW1 table values (pF, nS/mV, pA) are divided by 1000 accordingly (RS: `C = 0.1` nF,
//! `k = 0.0007`, `b = −0.002`, `d = 0.1`).
//!
//! Neurapse semantics (`IZHIKEVICH.update_fn`), reproduced exactly:
//! * forward Euler, `u` from the old `v`: `v' = v + dt·((1/C)·(k(v−v_r)(v−v_t) − u + I))`,
//!   `u' = u + dt·(a(b(v−v_r) − u))` (the same operation order as Neurapse);
//! * spike when `v' ≥ v_peak`: the step stores the marker `v = 3·v_peak` (visible in recorded
//!   traces) and reports the spike;
//! * the next step sets `v = c` and `u = u(spike step) + d`, discarding what the Euler update
//!   of that step computed.
//!
//! Computing in ms/mV/nA/nF instead of Neurapse's SI units gives the same spike step in every
//! HW1 reference run (all 18 runs checked spike by spike against an SI transcription; the tests
//! check the counts and first six spike times).
//!
//! Step-index convention: Neurapse's trace column 0 is the initial state and column `k` the
//! state after `k` updates, the `k`-th using `I[:, k−1]`. Here the `k`-th call of `step` (1-based)
//! produces column `k`; a spike reported by that call is Neurapse's marker in column `k`, at
//! time `k·dt`.

use serde::{Deserialize, Serialize};

use super::lanes::LaneSet;
use super::{check_finite, check_positive, NeuronModel, Receptor, ReceptorKind, BLOCK};
use crate::{ensure, Result};

/// How [`Izhikevich`] advances `v` and `u` over one step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IzhikevichIntegrator {
    /// Izhikevich's own scheme: `v` in two Euler half steps, then `u` with the new `v`.
    #[default]
    Spnet,
    /// Forward Euler for `v` and `u`, both from the values at the start of the step.
    Euler,
}

/// Parameters of [`Izhikevich`] (PyNN's names and defaults: `d = 2`; use [`preset`] for the
/// published cell classes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IzhikevichParams {
    /// Recovery time scale, 1/ms (initial value of the per-neuron `a`).
    pub a: f64,
    /// Sensitivity of `u` to `v` (initial value of the per-neuron `b`).
    pub b: f64,
    /// Reset potential, mV (initial value of the per-neuron `c`).
    pub c: f64,
    /// After-spike increment of `u` (initial value of the per-neuron `d`).
    pub d: f64,
    /// Constant input, model units (added to `I` every step).
    pub i_offset: f64,
    /// Integration scheme.
    pub integrator: IzhikevichIntegrator,
}

impl Default for IzhikevichParams {
    fn default() -> Self {
        IzhikevichParams {
            a: 0.02,
            b: 0.2,
            c: -65.0,
            d: 2.0,
            i_offset: 0.0,
            integrator: IzhikevichIntegrator::Spnet,
        }
    }
}

/// The published cell classes of Izhikevich 2003 (fig. 2) / 2004 as `(name, a, b, c, d)`:
/// regular spiking, intrinsically bursting, chattering, fast spiking, low-threshold spiking,
/// thalamo-cortical, resonator.
pub const PRESETS: &[(&str, f64, f64, f64, f64)] = &[
    ("RS", 0.02, 0.2, -65.0, 8.0),
    ("IB", 0.02, 0.2, -55.0, 4.0),
    ("CH", 0.02, 0.2, -50.0, 2.0),
    ("FS", 0.1, 0.2, -65.0, 2.0),
    ("LTS", 0.02, 0.25, -65.0, 2.0),
    ("TC", 0.02, 0.25, -65.0, 0.05),
    ("RZ", 0.1, 0.26, -65.0, 2.0),
];

/// Parameters of the named cell class of [`PRESETS`] (case-sensitive, e.g. `"RS"`), with
/// `i_offset = 0` and the default integrator.
pub fn preset(name: &str) -> Option<IzhikevichParams> {
    PRESETS
        .iter()
        .find(|p| p.0 == name)
        .map(|&(_, a, b, c, d)| IzhikevichParams {
            a,
            b,
            c,
            d,
            ..Default::default()
        })
}

impl IzhikevichParams {
    /// Check ranges; `path` is the key path of the parameter table.
    pub fn validate(&self, path: &str) -> Result<()> {
        check_finite(
            path,
            &[
                ("a", self.a),
                ("b", self.b),
                ("c", self.c),
                ("d", self.d),
                ("i_offset", self.i_offset),
            ],
        )?;
        ensure!(
            self.c.is_finite() && self.c < SPIKE_V,
            format!("{path}.c"),
            "must be below the spike cut-off {SPIKE_V} mV, got {} mV",
            self.c
        );
        Ok(())
    }
}

/// Spike cut-off of the 2003 model, mV.
const SPIKE_V: f64 = 30.0;

const INSTANT_RECEPTORS: &[Receptor] = &[Receptor {
    name: "current",
    kind: ReceptorKind::Instant,
    weight_unit: "model units (I)",
}];

const INSTANT_NA_RECEPTORS: &[Receptor] = &[Receptor {
    name: "current",
    kind: ReceptorKind::Instant,
    weight_unit: "nA",
}];

fn check_dt(dt_ms: f64) -> Result<()> {
    ensure!(
        dt_ms.is_finite() && dt_ms > 0.0,
        "dt",
        "must be a finite number of ms > 0, got {dt_ms}"
    );
    Ok(())
}

/// A population of 2003-form Izhikevich neurons (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Izhikevich {
    params: IzhikevichParams,
    dt: f64,
    /// The update's constants when every neuron has the same `i_offset`.
    consts: IzhConsts,
    /// Per-neuron `i_offset` (a, b, c and d are per-neuron state anyway).
    lanes: Option<IzhLanes>,
    /// Membrane potential, mV.
    pub v: Vec<f64>,
    /// Recovery variable.
    pub u: Vec<f64>,
    /// Per-neuron `a`.
    pub a: Vec<f64>,
    /// Per-neuron `b`.
    pub b: Vec<f64>,
    /// Per-neuron `c`, mV.
    pub c: Vec<f64>,
    /// Per-neuron `d`.
    pub d: Vec<f64>,
    fired: Vec<bool>,
}

impl Izhikevich {
    /// `n` neurons with `v = −65`, `u = b·v`, time step `dt_ms`.
    pub fn new(params: &IzhikevichParams, n: usize, dt_ms: f64) -> Result<Izhikevich> {
        params.validate("params")?;
        check_dt(dt_ms)?;
        Ok(Izhikevich {
            params: params.clone(),
            dt: dt_ms,
            consts: IzhConsts {
                i_offset: params.i_offset,
            },
            lanes: None,
            v: vec![-65.0; n],
            u: vec![params.b * -65.0; n],
            a: vec![params.a; n],
            b: vec![params.b; n],
            c: vec![params.c; n],
            d: vec![params.d; n],
            fired: vec![false; n],
        })
    }

    /// The parameters.
    pub fn params(&self) -> &IzhikevichParams {
        &self.params
    }

    /// One step; a uniform `i_offset` runs as one block of the whole shard, per-neuron
    /// values in blocks of [`BLOCK`].
    #[inline(always)]
    fn update<const EXT: bool, const SPNET: bool, L>(
        &mut self,
        lanes: &L,
        syn: &mut [f64],
        current: &[f64],
    ) where
        L: LaneSet,
        for<'a> L::Block<'a>: IzhAccess,
    {
        let n = self.v.len();
        let dt = self.dt;
        let h = 0.5 * dt;
        let mut base = 0;
        while base < n {
            let end = if <L::Block<'_> as IzhAccess>::UNIFORM {
                n
            } else {
                (base + BLOCK).min(n)
            };
            let cs = lanes.block(base, end);
            cs.check_len(end - base);
            let syn = &mut syn[base..end];
            let current = if EXT { &current[base..end] } else { &[][..] };
            let v = &mut self.v[base..end];
            let u = &mut self.u[base..end];
            let (a, b) = (&self.a[base..end], &self.b[base..end]);
            let (c, d) = (&self.c[base..end], &self.d[base..end]);
            let fired = &mut self.fired[base..end];
            for i in 0..v.len() {
                let input = if EXT {
                    cs.i_offset(i) + syn[i] + current[i]
                } else {
                    cs.i_offset(i) + syn[i]
                };
                syn[i] = 0.0;
                let (v0, u0) = (v[i], u[i]);
                let (v1, u1) = if SPNET {
                    let v_half = v0 + h * ((0.04 * v0 + 5.0) * v0 + 140.0 - u0 + input);
                    let v1 = v_half + h * ((0.04 * v_half + 5.0) * v_half + 140.0 - u0 + input);
                    (v1, u0 + dt * (a[i] * (b[i] * v1 - u0)))
                } else {
                    (
                        v0 + dt * ((0.04 * v0 + 5.0) * v0 + 140.0 - u0 + input),
                        u0 + dt * (a[i] * (b[i] * v0 - u0)),
                    )
                };
                let spike = v1 >= SPIKE_V;
                v[i] = if spike { c[i] } else { v1 };
                u[i] = if spike { u1 + d[i] } else { u1 };
                fired[i] = spike;
            }
            base = end;
        }
    }

    #[inline(always)]
    fn run<L>(&mut self, lanes: &L, syn: &mut [f64], current: &[f64])
    where
        L: LaneSet,
        for<'a> L::Block<'a>: IzhAccess,
    {
        let spnet = self.params.integrator == IzhikevichIntegrator::Spnet;
        crate::simd::dispatch(
            #[inline(always)]
            || match (current.is_empty(), spnet) {
                (true, true) => self.update::<false, true, _>(lanes, syn, current),
                (true, false) => self.update::<false, false, _>(lanes, syn, current),
                (false, true) => self.update::<true, true, _>(lanes, syn, current),
                (false, false) => self.update::<true, false, _>(lanes, syn, current),
            },
        );
    }
}

crate::lanes! {
    /// Constants of the Izhikevich 2003 update that are not per-neuron state.
    IzhConsts, IzhLanes, IzhBlock, IzhAccess, IzhVisit { i_offset }
}

crate::param_table!(IzhikevichParams {
    a,
    b,
    c,
    d,
    i_offset
});

impl super::BuiltinModel for Izhikevich {
    type Params = IzhikevichParams;

    fn carry_from(&mut self, old: &Self) {
        super::carry_named(self, old);
        self.fired.clone_from(&old.fired);
    }

    fn validate(params: &IzhikevichParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &IzhikevichParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        let mut m = Izhikevich::new(params, n, ctx.dt_ms)?;
        if ctx.per_neuron.is_empty() {
            return Ok(m);
        }
        let each = super::per_neuron(params, n, &ctx, "params", IzhikevichParams::validate)?;
        for (name, values) in ctx.per_neuron {
            match name.as_str() {
                // per-neuron state already
                "a" | "b" | "c" | "d" => m
                    .state_mut(name)
                    .expect("a, b, c, d are state")
                    .copy_from_slice(values),
                _ => {
                    let consts: Vec<IzhConsts> = each
                        .iter()
                        .map(|p| IzhConsts {
                            i_offset: p.i_offset,
                        })
                        .collect();
                    m.lanes = Some(IzhLanes::of(&consts));
                }
            }
        }
        if ctx.per_neuron.iter().any(|(name, _)| name == "b") {
            m.init_derived(&["b"]);
        }
        Ok(m)
    }
}

impl NeuronModel for Izhikevich {
    fn len(&self) -> usize {
        self.v.len()
    }

    fn receptors(&self) -> &'static [Receptor] {
        INSTANT_RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        &["v", "u", "a", "b", "c", "d"]
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        match name {
            "v" => Some(&self.v),
            "u" => Some(&self.u),
            "a" => Some(&self.a),
            "b" => Some(&self.b),
            "c" => Some(&self.c),
            "d" => Some(&self.d),
            _ => None,
        }
    }

    fn state_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        match name {
            "v" => Some(&mut self.v),
            "u" => Some(&mut self.u),
            "a" => Some(&mut self.a),
            "b" => Some(&mut self.b),
            "c" => Some(&mut self.c),
            "d" => Some(&mut self.d),
            _ => None,
        }
    }

    /// `u = b·v` (the 2003 and 2006 programs) unless `u` was given, with the per-neuron `b`
    /// and `v` as initialised.
    fn init_derived(&mut self, given: &[&str]) {
        if given.contains(&"u") || !(given.contains(&"b") || given.contains(&"v")) {
            return;
        }
        for ((u, b), v) in self.u.iter_mut().zip(&self.b).zip(&self.v) {
            *u = b * v;
        }
    }

    fn step(&mut self, syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        match self.lanes.take() {
            None => {
                let c = self.consts;
                self.run(&c, syn, current);
            }
            Some(lanes) => {
                self.run(&lanes, syn, current);
                self.lanes = Some(lanes);
            }
        }
        crate::simd::push_fired(&self.fired, spikes);
    }
}

/// Parameters of [`Izhikevich2007`] in PyNN units; `Default` = the RS cell of the HW1 table
/// (Izhikevich 2007, ch. 8).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Izhikevich2007Params {
    /// Membrane capacitance, nF.
    pub cm: f64,
    /// Gain of the quadratic term, nA/mV² (µS/mV).
    pub k: f64,
    /// Resting potential, mV.
    pub v_r: f64,
    /// Instantaneous threshold potential, mV.
    pub v_t: f64,
    /// Spike cut-off, mV.
    pub v_peak: f64,
    /// Recovery time constant, 1/ms.
    pub a: f64,
    /// Sensitivity of `u` to `v − v_r`, µS.
    pub b: f64,
    /// Reset potential, mV.
    pub c: f64,
    /// After-spike increment of `u`, nA.
    pub d: f64,
    /// Constant injected current, nA.
    pub i_offset: f64,
}

impl Default for Izhikevich2007Params {
    fn default() -> Self {
        Izhikevich2007Params {
            cm: 0.1,
            k: 0.0007,
            v_r: -60.0,
            v_t: -40.0,
            v_peak: 35.0,
            a: 0.03,
            b: -0.002,
            c: -50.0,
            d: 0.1,
            i_offset: 0.0,
        }
    }
}

/// The HW1 (Neurapse) cell classes of the 2007 form: `"RS"`, `"IB"`, `"CH"`.
pub const PRESETS_2007: &[&str] = &["RS", "IB", "CH"];

/// Parameters of a HW1 cell class of the 2007 form (`"RS"`, `"IB"` or `"CH"`, see
/// [`PRESETS_2007`]), converted to PyNN units.
pub fn preset_2007(name: &str) -> Option<Izhikevich2007Params> {
    let (cm, k, v_r, v_t, a, b, c, d, v_peak) = match name {
        "RS" => (0.1, 0.0007, -60.0, -40.0, 0.03, -0.002, -50.0, 0.1, 35.0),
        "IB" => (0.15, 0.0012, -75.0, -45.0, 0.01, 0.005, -56.0, 0.13, 50.0),
        "CH" => (0.05, 0.0015, -60.0, -40.0, 0.03, 0.001, -40.0, 0.15, 25.0),
        _ => return None,
    };
    Some(Izhikevich2007Params {
        cm,
        k,
        v_r,
        v_t,
        v_peak,
        a,
        b,
        c,
        d,
        i_offset: 0.0,
    })
}

impl Izhikevich2007Params {
    /// Check ranges; `path` is the key path of the parameter table.
    pub fn validate(&self, path: &str) -> Result<()> {
        check_positive(path, &[("cm", self.cm), ("k", self.k), ("a", self.a)])?;
        check_finite(
            path,
            &[
                ("v_r", self.v_r),
                ("v_t", self.v_t),
                ("v_peak", self.v_peak),
                ("b", self.b),
                ("c", self.c),
                ("d", self.d),
                ("i_offset", self.i_offset),
            ],
        )?;
        ensure!(
            self.c.is_finite() && self.c < self.v_peak,
            format!("{path}.c"),
            "must be below v_peak = {} mV, got {} mV",
            self.v_peak,
            self.c
        );
        Ok(())
    }
}

/// A population of 2007-form Izhikevich neurons with Neurapse's spike marker and delayed reset
/// (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Izhikevich2007 {
    params: Izhikevich2007Params,
    dt: f64,
    /// The update's constants when every neuron has the same parameters.
    consts: Izh07Consts,
    /// Per-neuron constants when some parameter differs between neurons.
    lanes: Option<Izh07Lanes>,
    /// Membrane potential, mV (`3·v_peak` on a spike step).
    pub v: Vec<f64>,
    /// Recovery current, nA.
    pub u: Vec<f64>,
    /// Spiked in the previous step: this step resets (Neurapse's `fireflag`).
    pending: Vec<bool>,
}

crate::lanes! {
    /// Constants of the Izhikevich 2007 update, derived from one neuron's parameters.
    Izh07Consts, Izh07Lanes, Izh07Block, Izh07Access, Izh07Visit {
        inv_c, k, v_r, v_t, a, b, c, d, v_peak, marker, i_offset,
    }
}

impl Izh07Consts {
    /// `inv_c = 1/cm`, `marker = 3·v_peak`.
    fn of(p: &Izhikevich2007Params) -> Izh07Consts {
        Izh07Consts {
            inv_c: 1.0 / p.cm,
            k: p.k,
            v_r: p.v_r,
            v_t: p.v_t,
            a: p.a,
            b: p.b,
            c: p.c,
            d: p.d,
            v_peak: p.v_peak,
            marker: 3.0 * p.v_peak,
            i_offset: p.i_offset,
        }
    }
}

impl Izhikevich2007 {
    /// `n` neurons at rest (`v = v_r`, `u = 0`), time step `dt_ms`.
    pub fn new(params: &Izhikevich2007Params, n: usize, dt_ms: f64) -> Result<Izhikevich2007> {
        params.validate("params")?;
        check_dt(dt_ms)?;
        Ok(Izhikevich2007 {
            params: params.clone(),
            dt: dt_ms,
            consts: Izh07Consts::of(params),
            lanes: None,
            v: vec![params.v_r; n],
            u: vec![0.0; n],
            pending: vec![false; n],
        })
    }

    /// The parameters (those of every neuron, before per-neuron values).
    pub fn params(&self) -> &Izhikevich2007Params {
        &self.params
    }

    /// One step; uniform constants run as one block of the whole shard, per-neuron lanes in
    /// blocks of [`BLOCK`].
    fn update<const EXT: bool, L>(&mut self, lanes: &L, syn: &mut [f64], current: &[f64])
    where
        L: LaneSet,
        for<'a> L::Block<'a>: Izh07Access,
    {
        let n = self.v.len();
        let dt = self.dt;
        let mut base = 0;
        while base < n {
            let end = if <L::Block<'_> as Izh07Access>::UNIFORM {
                n
            } else {
                (base + BLOCK).min(n)
            };
            let c = lanes.block(base, end);
            c.check_len(end - base);
            let syn = &mut syn[base..end];
            let current = if EXT { &current[base..end] } else { &[][..] };
            let v = &mut self.v[base..end];
            let u = &mut self.u[base..end];
            let pending = &mut self.pending[base..end];
            for i in 0..v.len() {
                let input = if EXT {
                    c.i_offset(i) + syn[i] + current[i]
                } else {
                    c.i_offset(i) + syn[i]
                };
                syn[i] = 0.0;
                let (v0, u0) = (v[i], u[i]);
                let (vr, vt) = (c.v_r(i), c.v_t(i));
                let v1 = v0 + dt * (c.inv_c(i) * (c.k(i) * (v0 - vr) * (v0 - vt) - u0 + input));
                let u1 = u0 + dt * (c.a(i) * (c.b(i) * (v0 - vr) - u0));
                let reset = pending[i];
                let v1 = if reset { c.c(i) } else { v1 };
                let u1 = if reset { u0 + c.d(i) } else { u1 };
                let spike = v1 >= c.v_peak(i);
                v[i] = if spike { c.marker(i) } else { v1 };
                u[i] = u1;
                pending[i] = spike;
            }
            base = end;
        }
    }
}

crate::param_table!(Izhikevich2007Params {
    cm,
    k,
    v_r,
    v_t,
    v_peak,
    a,
    b,
    c,
    d,
    i_offset
});

impl super::BuiltinModel for Izhikevich2007 {
    type Params = Izhikevich2007Params;

    fn carry_from(&mut self, old: &Self) {
        super::carry_named(self, old);
        self.pending.clone_from(&old.pending);
    }

    fn validate(params: &Izhikevich2007Params, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &Izhikevich2007Params, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        let mut m = Izhikevich2007::new(params, n, ctx.dt_ms)?;
        if !ctx.per_neuron.is_empty() {
            let each =
                super::per_neuron(params, n, &ctx, "params", Izhikevich2007Params::validate)?;
            m.v = each.iter().map(|p| p.v_r).collect();
            let consts: Vec<Izh07Consts> = each.iter().map(Izh07Consts::of).collect();
            m.lanes = Some(Izh07Lanes::of(&consts));
        }
        Ok(m)
    }
}

impl NeuronModel for Izhikevich2007 {
    fn len(&self) -> usize {
        self.v.len()
    }

    fn receptors(&self) -> &'static [Receptor] {
        INSTANT_NA_RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        &["v", "u"]
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        match name {
            "v" => Some(&self.v),
            "u" => Some(&self.u),
            _ => None,
        }
    }

    fn state_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        match name {
            "v" => Some(&mut self.v),
            "u" => Some(&mut self.u),
            _ => None,
        }
    }

    fn step(&mut self, syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        match self.lanes.take() {
            None => {
                let c = self.consts;
                if current.is_empty() {
                    self.update::<false, _>(&c, syn, current);
                } else {
                    self.update::<true, _>(&c, syn, current);
                }
            }
            Some(lanes) => {
                if current.is_empty() {
                    self.update::<false, _>(&lanes, syn, current);
                } else {
                    self.update::<true, _>(&lanes, syn, current);
                }
                self.lanes = Some(lanes);
            }
        }
        // `pending` is exactly "spiked in this step" until the next call.
        crate::simd::push_fired(&self.pending, spikes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX-512 copy that `step` runs where the CPU has it gives the same results as the
    /// AVX2 body (on a CPU without AVX-512 both sides run the same code).
    #[test]
    fn avx512_copy_is_bit_identical() {
        use rand::{Rng as _, SeedableRng as _};
        let mut rng = crate::rng::Rng::seed_from_u64(5);
        let n = 1037;
        for integrator in [IzhikevichIntegrator::Spnet, IzhikevichIntegrator::Euler] {
            let p = IzhikevichParams {
                integrator,
                ..Default::default()
            };
            let mut a = Izhikevich::new(&p, n, 1.0).unwrap();
            let mut b = a.clone();
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            for _ in 0..300 {
                let current: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..12.0)).collect();
                let syn: Vec<f64> = (0..n).map(|_| rng.random_range(-2.0..4.0)).collect();
                let (mut ya, mut yb) = (syn.clone(), syn);
                a.step(&mut ya, &current, &mut sa);
                let c = b.consts;
                match integrator {
                    IzhikevichIntegrator::Spnet => b.update::<true, true, _>(&c, &mut yb, &current),
                    IzhikevichIntegrator::Euler => {
                        b.update::<true, false, _>(&c, &mut yb, &current)
                    }
                }
                crate::simd::push_fired(&b.fired, &mut sb);
            }
            assert_eq!(sa, sb, "{integrator:?}");
            assert!(sa.len() > 1000, "{integrator:?}: {} spikes", sa.len());
            assert!(a == b, "{integrator:?}");
        }
    }

    /// Izhikevich 2003: per-neuron `i_offset` (and a, b, c, d, which are state) give each
    /// neuron the bits of a one-neuron population with its values; `u = b·v` with each
    /// neuron's `b`. Izhikevich 2007: every parameter per neuron likewise, initial `v = v_r`.
    #[test]
    fn per_neuron_parameters_equal_separate_populations() {
        use crate::spiking::neuron::testing::{
            build, per_neuron_equals_one_neuron_populations, Drive,
        };
        use crate::spiking::neuron::{ModelSpec, Neurons};
        let n = 100;
        let f = |a: f64, b: f64| (0..n).map(|i| a + b * i as f64).collect::<Vec<f64>>();
        let per = [
            ("a", f(0.02, 0.0008)),
            ("b", f(0.2, 0.0006)),
            ("c", f(-65.0, 0.15)),
            ("d", f(8.0, -0.06)),
            ("i_offset", f(2.0, 0.05)),
        ];
        for integrator in [IzhikevichIntegrator::Spnet, IzhikevichIntegrator::Euler] {
            let drive = Drive {
                dt: 0.5,
                steps: 2000,
                current: (0.0, 10.0),
                syn: &[4.0],
            };
            let spec = ModelSpec::Izhikevich(IzhikevichParams {
                integrator,
                ..Default::default()
            });
            let (spikes, lanes) = per_neuron_equals_one_neuron_populations(&spec, &per, &drive);
            assert!(spikes > 1000, "{spikes} spikes");
            let Neurons::Izhikevich(m) = lanes else {
                unreachable!()
            };
            assert!(m.lanes.is_some());
        }
        let m = build(
            &ModelSpec::Izhikevich(IzhikevichParams::default()),
            n,
            1.0,
            &[("b".into(), f(0.2, 0.0006))],
        );
        let u: Vec<f64> = f(0.2, 0.0006).iter().map(|b| b * -65.0).collect();
        assert_eq!(m.state("u").unwrap(), &u[..]);
        let per = [
            ("cm", f(0.1, 0.0005)),
            ("k", f(0.0007, 0.000002)),
            ("v_r", f(-60.0, 0.02)),
            ("v_t", f(-40.0, 0.02)),
            ("v_peak", f(35.0, 0.05)),
            ("a", f(0.03, 0.0001)),
            ("b", f(-0.002, 0.00003)),
            ("c", f(-50.0, 0.03)),
            ("d", f(0.1, 0.0005)),
            ("i_offset", f(0.1, 0.001)),
        ];
        let drive = Drive {
            dt: 0.1,
            steps: 3000,
            current: (0.0, 0.6),
            syn: &[0.2],
        };
        let spec = ModelSpec::Izhikevich2007(Izhikevich2007Params::default());
        let (spikes, lanes) = per_neuron_equals_one_neuron_populations(&spec, &per, &drive);
        assert!(spikes > 1000, "{spikes} spikes");
        let Neurons::Izhikevich2007(m) = lanes else {
            unreachable!()
        };
        assert!(m.lanes.is_some());
        let m = build(&spec, n, 0.1, &[("v_r".into(), f(-60.0, 0.02))]);
        assert_eq!(m.state("v").unwrap(), &f(-60.0, 0.02)[..]);
    }

    /// The AVX-512 copy also runs the per-neuron instantiation with the AVX2 body's bits.
    #[test]
    fn avx512_copy_is_bit_identical_with_per_neuron_offsets() {
        use rand::{Rng as _, SeedableRng as _};
        let mut rng = crate::rng::Rng::seed_from_u64(6);
        let n = 1037;
        let offsets: Vec<f64> = (0..n).map(|i| 2.0 + 0.005 * i as f64).collect();
        let per = [("i_offset".to_string(), offsets)];
        let spec = crate::spiking::neuron::ModelSpec::Izhikevich(IzhikevichParams::default());
        let crate::spiking::neuron::Neurons::Izhikevich(mut a) =
            crate::spiking::neuron::testing::build(&spec, n, 1.0, &per)
        else {
            unreachable!()
        };
        let mut b = a.clone();
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        for _ in 0..300 {
            let current: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..10.0)).collect();
            let syn: Vec<f64> = (0..n).map(|_| rng.random_range(-2.0..4.0)).collect();
            let (mut ya, mut yb) = (syn.clone(), syn);
            a.step(&mut ya, &current, &mut sa);
            let lanes = b.lanes.take().unwrap();
            b.update::<true, true, _>(&lanes, &mut yb, &current);
            b.lanes = Some(lanes);
            crate::simd::push_fired(&b.fired, &mut sb);
        }
        assert_eq!(sa, sb);
        assert!(sa.len() > 1000, "{} spikes", sa.len());
        assert!(a == b);
    }

    fn run(model: &mut impl NeuronModel, steps: usize, current: &[f64]) -> Vec<usize> {
        let mut syn = vec![0.0; model.len() * model.receptors().len()];
        let mut spikes = Vec::new();
        let mut out = Vec::new();
        for t in 1..=steps {
            spikes.clear();
            model.step(&mut syn, current, &mut spikes);
            if spikes.contains(&0) {
                out.push(t);
            }
        }
        out
    }

    #[test]
    fn presets_match_the_published_values() {
        let rs = preset("RS").unwrap();
        assert_eq!((rs.a, rs.b, rs.c, rs.d), (0.02, 0.2, -65.0, 8.0));
        let fs = preset("FS").unwrap();
        assert_eq!((fs.a, fs.b, fs.c, fs.d), (0.1, 0.2, -65.0, 2.0));
        let ch = preset("CH").unwrap();
        assert_eq!((ch.a, ch.b, ch.c, ch.d), (0.02, 0.2, -50.0, 2.0));
        let tc = preset("TC").unwrap();
        assert_eq!((tc.a, tc.b, tc.c, tc.d), (0.02, 0.25, -65.0, 0.05));
        let rz = preset("RZ").unwrap();
        assert_eq!((rz.a, rz.b, rz.c, rz.d), (0.1, 0.26, -65.0, 2.0));
        assert_eq!(PRESETS.len(), 7);
        assert!(preset("XX").is_none());
        let ib = preset_2007("IB").unwrap();
        assert_eq!(
            (ib.cm, ib.k, ib.b, ib.d, ib.v_peak),
            (0.15, 0.0012, 0.005, 0.13, 50.0)
        );
        assert_eq!(preset_2007("RS").unwrap(), Izhikevich2007Params::default());
    }

    #[test]
    fn rs_fires_tonically_and_fs_faster() {
        // Euler at dt = 0.1 ms: after adaptation the ISI is constant to a step or two.
        // spnet at dt = 1 ms: the same, up to the scheme's jitter (u is updated with the
        // overshoot of v above 30 mV, which varies from spike to spike; with FS's small d = 2
        // this term dominates the after-spike increment and the ISIs spread by ±35 %).
        for (integrator, dt, spreads) in [
            (IzhikevichIntegrator::Euler, 0.1, [0.03, 0.03]),
            (IzhikevichIntegrator::Spnet, 1.0, [0.25, 0.5]),
        ] {
            let steps = (2000.0 / dt) as usize;
            let mut mean_isi = Vec::new();
            for (name, max_spread) in ["RS", "FS"].into_iter().zip(spreads) {
                let p = IzhikevichParams {
                    i_offset: 10.0,
                    integrator,
                    ..preset(name).unwrap()
                };
                let mut m = Izhikevich::new(&p, 1, dt).unwrap();
                let t = run(&mut m, steps, &[]);
                assert!(t.len() > 20, "{name} {integrator:?}: {} spikes", t.len());
                let last: Vec<f64> = t
                    .windows(2)
                    .rev()
                    .take(10)
                    .map(|w| (w[1] - w[0]) as f64 * dt)
                    .collect();
                let mean = last.iter().sum::<f64>() / last.len() as f64;
                for isi in &last {
                    assert!(
                        (isi - mean).abs() <= max_spread * mean + dt,
                        "{name} {integrator:?}: ISIs {last:?}"
                    );
                }
                // still firing at the end: tonic, not a transient burst
                assert!(steps - t[t.len() - 1] < 2 * (mean / dt) as usize);
                mean_isi.push(mean);
            }
            assert!(
                mean_isi[1] < 0.5 * mean_isi[0],
                "{integrator:?}: FS ISI {} vs RS {}",
                mean_isi[1],
                mean_isi[0]
            );
        }
    }

    #[test]
    fn spnet_step_is_the_reference_arithmetic() {
        let p = preset("RS").unwrap();
        let mut m = Izhikevich::new(&p, 2, 1.0).unwrap();
        m.v[1] = 29.0;
        let mut syn = vec![3.0, 0.0];
        let mut spikes = Vec::new();
        m.step(&mut syn, &[1.0, 20.0], &mut spikes);
        assert_eq!(syn, vec![0.0, 0.0]);
        // neuron 0: I = 3 + 1
        let (mut v, u): (f64, f64) = (-65.0, -13.0);
        v += 0.5 * ((0.04 * v + 5.0) * v + 140.0 - u + 4.0);
        v += 0.5 * ((0.04 * v + 5.0) * v + 140.0 - u + 4.0);
        let u1 = u + 0.02 * (0.2 * v - u);
        assert_eq!((m.v[0], m.u[0]), (v, u1));
        // neuron 1 overshoots far above 30: spike, v = c, u updated with the overshoot, + d
        let mut v: f64 = 29.0;
        v += 0.5 * ((0.04 * v + 5.0) * v + 140.0 - u + 20.0);
        v += 0.5 * ((0.04 * v + 5.0) * v + 140.0 - u + 20.0);
        assert!(v > 1000.0);
        assert_eq!(spikes, vec![1]);
        assert_eq!((m.v[1], m.u[1]), (-65.0, u + 0.02 * (0.2 * v - u) + 8.0));
    }

    #[test]
    fn per_neuron_parameters_are_state() {
        let mut m = Izhikevich::new(&IzhikevichParams::default(), 3, 1.0).unwrap();
        m.state_mut("d").unwrap()[2] = 8.0;
        m.state_mut("c").unwrap()[1] = -50.0;
        assert_eq!(m.state("d").unwrap(), &[2.0, 2.0, 8.0]);
        assert_eq!(m.state("c").unwrap(), &[-65.0, -50.0, -65.0]);
        assert_eq!(m.state("u").unwrap(), &[-13.0; 3]);
        for name in m.state_names() {
            assert!(m.state(name).is_some());
        }
    }

    // Neurapse reference numbers (`data/neurapse_reference_numbers.json`, key `izhikevich`):
    // Euler, dt 0.1 ms, 500 ms (5000 steps), I = 400 / 500 / 600 pA.
    const COUNTS: [(&str, bool, [usize; 3]); 6] = [
        ("RS", false, [35, 42, 49]), // "RS/rest(Er,0)"
        ("RS", true, [35, 42, 49]),  // "RS/student_Vss(b/kz+Et)"
        ("IB", false, [4, 7, 10]),   // "IB/rest(Er,0)"
        ("IB", true, [3, 6, 9]),     // "IB/student_Vss(b/kz+Et)"
        ("CH", false, [28, 40, 48]), // "CH/rest(Er,0)"
        ("CH", true, [29, 40, 48]),  // "CH/student_Vss(b/kz+Et)"
    ];
    // `first_spike_times_ms` of the same keys, same order, ms.
    const FIRST: [[&[f64]; 3]; 6] = [
        [
            &[11.6, 21.9, 33.7, 46.6, 60.4, 74.6],
            &[9.8, 18.4, 27.9, 38.3, 49.3, 60.8],
            &[8.5, 16.0, 24.1, 32.9, 42.2, 51.9],
        ],
        [
            &[6.5, 16.3, 27.6, 40.2, 53.7, 67.8],
            &[5.7, 14.0, 23.2, 33.3, 44.1, 55.5],
            &[5.2, 12.4, 20.3, 28.9, 38.0, 47.6],
        ],
        [
            &[30.5, 148.0, 319.6, 488.6],
            &[21.0, 37.6, 121.2, 216.8, 310.9, 405.1],
            &[16.6, 28.7, 47.4, 112.1, 173.1, 236.7],
        ],
        [
            &[5.8, 196.3, 365.3],
            &[5.3, 97.8, 192.1, 286.2, 380.4, 474.7],
            &[4.9, 25.8, 96.5, 153.0, 219.7, 279.2],
        ],
        [
            &[5.5, 8.2, 11.8, 23.1, 58.4, 62.2],
            &[4.4, 6.7, 9.6, 13.5, 40.5, 44.1],
            &[3.8, 5.9, 8.4, 11.4, 15.6, 37.1],
        ],
        [
            &[2.1, 4.9, 8.7, 42.3, 46.1, 80.0],
            &[1.9, 4.3, 7.2, 11.3, 39.4, 42.9],
            &[1.7, 3.8, 6.3, 9.4, 13.8, 37.7],
        ],
    ];

    #[test]
    fn neurapse_izhikevich_counts_and_spike_times() {
        let dt = 0.1;
        for ((name, fixed_point, counts), first) in COUNTS.iter().zip(FIRST.iter()) {
            let p = preset_2007(name).unwrap();
            for (j, pa) in [400.0, 500.0, 600.0].into_iter().enumerate() {
                let mut m = Izhikevich2007::new(&p, 1, dt).unwrap();
                if *fixed_point {
                    // second fixed point of the subthreshold system: V = b/k + v_t
                    m.v[0] = p.b / p.k + p.v_t;
                    m.u[0] = p.b * (m.v[0] - p.v_r);
                }
                let steps = run(&mut m, 5000, &[pa * 1e-3]);
                assert_eq!(steps.len(), counts[j], "{name} fp={fixed_point} {pa} pA");
                for (k, t_ref) in steps.iter().zip(first[j].iter()) {
                    let t = *k as f64 * dt;
                    // the reference is rounded to 0.1 ms: this is "the same step"
                    assert!(
                        (t - t_ref).abs() < 1e-6,
                        "{name} fp={fixed_point} {pa} pA: {t} vs {t_ref}"
                    );
                }
            }
        }
    }

    #[test]
    fn neurapse_marker_and_delayed_reset() {
        let p = Izhikevich2007Params::default();
        let mut m = Izhikevich2007::new(&p, 1, 0.1).unwrap();
        m.v[0] = 34.9;
        m.u[0] = 0.05;
        let mut syn = vec![0.0];
        let mut spikes = Vec::new();
        m.step(&mut syn, &[0.5], &mut spikes);
        assert_eq!(spikes, vec![0]);
        assert_eq!(m.v[0], 105.0);
        let u_spike = m.u[0];
        assert_eq!(
            u_spike,
            0.05 + 0.1 * (0.03 * (-0.002 * (34.9 + 60.0) - 0.05))
        );
        spikes.clear();
        m.step(&mut syn, &[0.5], &mut spikes);
        assert!(spikes.is_empty());
        assert_eq!((m.v[0], m.u[0]), (-50.0, u_spike + 0.1));
    }

    #[test]
    fn bad_parameters_name_the_key() {
        let p = IzhikevichParams {
            c: 40.0,
            ..Default::default()
        };
        let err = p
            .validate("populations.exc.params")
            .unwrap_err()
            .to_string();
        assert!(err.contains("populations.exc.params.c"), "{err}");
        let p = Izhikevich2007Params {
            cm: 0.0,
            ..Default::default()
        };
        let err = p.validate("pop").unwrap_err().to_string();
        assert!(err.contains("pop.cm"), "{err}");
    }
}
