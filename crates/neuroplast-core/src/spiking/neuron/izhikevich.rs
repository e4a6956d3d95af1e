//! Izhikevich neurons: the 2003 "simple model" (and, re-exported, the 2007 book form).
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
//! The 2007 book form, `Izhikevich2007`, is in `izhikevich2007.rs` (re-exported here).

use serde::{Deserialize, Serialize};

use super::izhikevich2007::check_dt;
pub use super::izhikevich2007::{preset_2007, Izhikevich2007, Izhikevich2007Params, PRESETS_2007};
use super::lanes::LaneSet;
use super::single::Single;
use super::{check_finite, NeuronModel, Precision, Receptor, ReceptorKind, BLOCK};
use crate::lang::Float;
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
    /// The state in `f32` for a population built with `precision = "f32"` (the six arrays
    /// above are then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    single: Option<Box<Single>>,
}

/// The names of the state arrays.
const IZH_STATE: &[&str; 6] = &["v", "u", "a", "b", "c", "d"];

/// The arrays one step of the 2003 update runs over, of precision `F`.
struct IzhArrays<'a, F> {
    v: &'a mut [F],
    u: &'a mut [F],
    a: &'a [F],
    b: &'a [F],
    c: &'a [F],
    d: &'a [F],
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
            single: None,
        })
    }

    /// The same neurons with their state in `f32` (each value rounded once).
    fn into_f32(mut self) -> Izhikevich {
        let arrays = [
            &mut self.v,
            &mut self.u,
            &mut self.a,
            &mut self.b,
            &mut self.c,
            &mut self.d,
        ];
        self.single = Some(Single::take(arrays, &mut Vec::new()));
        self
    }

    /// The parameters.
    pub fn params(&self) -> &IzhikevichParams {
        &self.params
    }

    /// One step at the state's precision.
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
        let dt = self.dt;
        let fired = &mut self.fired;
        match self.single.as_deref_mut() {
            None => {
                let s = IzhArrays {
                    v: &mut self.v,
                    u: &mut self.u,
                    a: &self.a,
                    b: &self.b,
                    c: &self.c,
                    d: &self.d,
                };
                update::<EXT, SPNET, L, f64>(s, fired, dt, lanes, syn, current)
            }
            Some(single) => match single.arrays.as_mut_slice() {
                [v, u, a, b, c, d] => {
                    let s = IzhArrays { v, u, a, b, c, d };
                    update::<EXT, SPNET, L, f32>(s, fired, dt, lanes, syn, current)
                }
                _ => unreachable!("the f32 state has six arrays"),
            },
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

/// One step of the 2003 update over state arrays of precision `F` (constants rounded to `F`
/// where they are used); a uniform `i_offset` runs as one block of the whole shard,
/// per-neuron values in blocks of [`BLOCK`].
#[inline(always)]
fn update<const EXT: bool, const SPNET: bool, L, F: Float>(
    s: IzhArrays<'_, F>,
    fired: &mut [bool],
    dt: f64,
    lanes: &L,
    syn: &mut [f64],
    current: &[f64],
) where
    L: LaneSet,
    for<'a> L::Block<'a>: IzhAccess,
{
    let f = F::from_f64;
    let n = s.v.len();
    let (h, dt) = (f(0.5 * dt), f(dt));
    let (k04, k5, k140, spike_v) = (f(0.04), f(5.0), f(140.0), f(SPIKE_V));
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
        let v = &mut s.v[base..end];
        let u = &mut s.u[base..end];
        let (a, b) = (&s.a[base..end], &s.b[base..end]);
        let (c, d) = (&s.c[base..end], &s.d[base..end]);
        let fired = &mut fired[base..end];
        for i in 0..v.len() {
            let input = if EXT {
                f(cs.i_offset(i)) + f(syn[i]) + f(current[i])
            } else {
                f(cs.i_offset(i)) + f(syn[i])
            };
            syn[i] = 0.0;
            let (v0, u0) = (v[i], u[i]);
            let (v1, u1) = if SPNET {
                let v_half = v0 + h * ((k04 * v0 + k5) * v0 + k140 - u0 + input);
                let v1 = v_half + h * ((k04 * v_half + k5) * v_half + k140 - u0 + input);
                (v1, u0 + dt * (a[i] * (b[i] * v1 - u0)))
            } else {
                (
                    v0 + dt * ((k04 * v0 + k5) * v0 + k140 - u0 + input),
                    u0 + dt * (a[i] * (b[i] * v0 - u0)),
                )
            };
            let spike = v1 >= spike_v;
            v[i] = if spike { c[i] } else { v1 };
            u[i] = if spike { u1 + d[i] } else { u1 };
            fired[i] = spike;
        }
        base = end;
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

    const F32: bool = true;

    fn carry_from(&mut self, old: &Self) {
        super::carry_named(self, old);
        self.fired.clone_from(&old.fired);
    }

    fn validate(params: &IzhikevichParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &IzhikevichParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        let mut m = Izhikevich::new(params, n, ctx.dt_ms)?;
        if !ctx.per_neuron.is_empty() {
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
        }
        Ok(match ctx.precision {
            Precision::F64 => m,
            Precision::F32 => m.into_f32(),
        })
    }
}

impl NeuronModel for Izhikevich {
    fn len(&self) -> usize {
        match &self.single {
            None => self.v.len(),
            Some(s) => s.len(),
        }
    }

    fn receptors(&self) -> &'static [Receptor] {
        INSTANT_RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        IZH_STATE
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        if self.single.is_some() {
            return None; // `values`
        }
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
        if self.single.is_some() {
            return None; // `values_mut`
        }
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
        match self.single.as_deref_mut() {
            None => {
                for ((u, b), v) in self.u.iter_mut().zip(&self.b).zip(&self.v) {
                    *u = b * v;
                }
            }
            Some(s) => {
                let [v, u, _, b, ..] = s.arrays.as_mut_slice() else {
                    unreachable!("the f32 state has six arrays")
                };
                for ((u, b), v) in u.iter_mut().zip(b.iter()).zip(v.iter()) {
                    *u = b * v;
                }
            }
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

    super::single::f32_state_access!(IZH_STATE, instant_receptors);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f32` state runs the same update in `f32`: every value and spike equals a scalar `f32`
    /// replay of the module's equations (constants rounded once), both integrators, with
    /// synaptic input, external current, per-neuron `a`–`d` and spikes; it stays within
    /// single precision of the `f64` population until the first spike; `init_derived` and
    /// serde keep the precision.
    #[test]
    fn f32_state_is_the_update_in_single_precision() {
        use crate::spiking::neuron::StateRef;
        use rand::{Rng as _, SeedableRng as _};
        let mut rng = crate::rng::Rng::seed_from_u64(5);
        let (n, dt) = (203, 0.5);
        let f = |x: f64| x as f32;
        for integrator in [IzhikevichIntegrator::Spnet, IzhikevichIntegrator::Euler] {
            let p = IzhikevichParams {
                integrator,
                ..preset("RS").unwrap()
            };
            let mut wide = Izhikevich::new(&p, n, dt).unwrap();
            for i in 0..n {
                wide.a[i] = rng.random_range(0.02..0.1);
                wide.d[i] = rng.random_range(2.0..8.0);
                wide.v[i] = rng.random_range(-70.0..-60.0);
            }
            wide.init_derived(&["v"]);
            let mut m = wide.clone().into_f32();
            assert_eq!(m.precision(), Precision::F32);
            assert!(m.state("v").is_none() && m.receptor_values(0).is_none());
            let arr = |name: &str| {
                wide.state(name)
                    .unwrap()
                    .iter()
                    .map(|&x| f(x))
                    .collect::<Vec<f32>>()
            };
            let (mut v, mut u, a, b, c, d) =
                (arr("v"), arr("u"), arr("a"), arr("b"), arr("c"), arr("d"));
            let (mut spikes, mut wide_spikes, mut first_spike) = (Vec::new(), Vec::new(), None);
            let mut total = 0;
            for step in 0..400 {
                let current: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..12.0)).collect();
                let syn_in: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..3.0)).collect();
                let (mut syn, mut wide_syn) = (syn_in.clone(), syn_in.clone());
                spikes.clear();
                m.step(&mut syn, &current, &mut spikes);
                wide.step(&mut wide_syn, &current, &mut wide_spikes);
                assert!(
                    syn.iter().all(|&x| x == 0.0),
                    "the input buffer is consumed"
                );
                let mut expected = Vec::new();
                let (h, dtf) = (f(0.5 * dt), f(dt));
                for i in 0..n {
                    let input = f(p.i_offset) + f(syn_in[i]) + f(current[i]);
                    let (v0, u0) = (v[i], u[i]);
                    let dv = |x: f32| (0.04 * x + 5.0) * x + 140.0 - u0 + input;
                    let (v1, u1) = match integrator {
                        IzhikevichIntegrator::Spnet => {
                            let v_half = v0 + h * dv(v0);
                            let v1 = v_half + h * dv(v_half);
                            (v1, u0 + dtf * (a[i] * (b[i] * v1 - u0)))
                        }
                        IzhikevichIntegrator::Euler => {
                            (v0 + dtf * dv(v0), u0 + dtf * (a[i] * (b[i] * v0 - u0)))
                        }
                    };
                    if v1 >= 30.0 {
                        (v[i], u[i]) = (c[i], u1 + d[i]);
                        expected.push(i as u32);
                    } else {
                        (v[i], u[i]) = (v1, u1);
                    }
                }
                assert_eq!(spikes, expected, "{integrator:?}, step {step}");
                total += spikes.len();
                let (Some(StateRef::F32(mv)), Some(StateRef::F32(mu))) =
                    (m.values("v"), m.values("u"))
                else {
                    panic!("f32 v and u")
                };
                assert_eq!((mv, mu), (&v[..], &u[..]), "{integrator:?}, step {step}");
                if first_spike.is_none() && !wide_spikes.is_empty() {
                    first_spike = Some(step);
                }
                if first_spike.is_none() {
                    for (x, y) in mv.iter().zip(&wide.v) {
                        assert!((f64::from(*x) - y).abs() < 1e-3, "{x} against {y}");
                    }
                }
            }
            assert!(
                first_spike.is_some_and(|s| s > 0) && total > n,
                "{total} spikes"
            );
            // u = b·v in f32 when v is given; serde keeps the precision
            m.values_mut("v").unwrap().copy_from(&vec![-64.0; n]);
            m.init_derived(&["v"]);
            let Some(StateRef::F32(mu)) = m.values("u") else {
                panic!("f32 u")
            };
            assert!(mu.iter().zip(&b).all(|(&u, &b)| u == b * -64.0));
            let back: Izhikevich =
                serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
            assert_eq!(back, m);
            assert_eq!(back.precision(), Precision::F32);
        }
    }

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
