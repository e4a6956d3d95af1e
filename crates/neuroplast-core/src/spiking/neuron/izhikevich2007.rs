//! Izhikevich neurons in the 2007 book form (re-exported by `izhikevich.rs`, whose module
//! docs describe the 2003 form).
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
//!
//! With `precision = "f32"` the same update runs on `f32` state (the constants computed in
//! `f64` and rounded once, delivered currents rounded as they are added).

use serde::{Deserialize, Serialize};

use super::lanes::LaneSet;
use super::single::Single;
use super::{check_finite, check_positive, NeuronModel, Precision, Receptor, ReceptorKind, BLOCK};
use crate::lang::Float;
use crate::{ensure, Result};

const INSTANT_NA_RECEPTORS: &[Receptor] = &[Receptor {
    name: "current",
    kind: ReceptorKind::Instant,
    weight_unit: "nA",
}];

/// A time step of the Izhikevich models: finite and > 0 ms.
pub(super) fn check_dt(dt_ms: f64) -> Result<()> {
    ensure!(
        dt_ms.is_finite() && dt_ms > 0.0,
        "dt",
        "must be a finite number of ms > 0, got {dt_ms}"
    );
    Ok(())
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
    pub(super) lanes: Option<Izh07Lanes>,
    /// Membrane potential, mV (`3·v_peak` on a spike step).
    pub v: Vec<f64>,
    /// Recovery current, nA.
    pub u: Vec<f64>,
    /// Spiked in the previous step: this step resets (Neurapse's `fireflag`).
    pending: Vec<bool>,
    /// The state in `f32` for a population built with `precision = "f32"` (`v` and `u` above
    /// are then empty), in the order of [`IZH07_STATE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    single: Option<Box<Single>>,
}

/// The names of the state arrays (and the order of the `f32` ones).
const IZH07_STATE: &[&str; 2] = &["v", "u"];

/// The arrays one step runs over, of precision `F`.
struct Izh07Arrays<'a, F> {
    v: &'a mut [F],
    u: &'a mut [F],
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
            single: None,
        })
    }

    /// The same neurons with their state in `f32` (each value rounded once).
    fn into_f32(mut self) -> Izhikevich2007 {
        self.single = Some(Single::take([&mut self.v, &mut self.u], &mut Vec::new()));
        self
    }

    /// The parameters (those of every neuron, before per-neuron values).
    pub fn params(&self) -> &Izhikevich2007Params {
        &self.params
    }

    /// One step at the state's precision.
    fn update<const EXT: bool, L>(&mut self, lanes: &L, syn: &mut [f64], current: &[f64])
    where
        L: LaneSet,
        for<'a> L::Block<'a>: Izh07Access,
    {
        let (dt, pending) = (self.dt, &mut self.pending);
        match self.single.as_deref_mut() {
            None => {
                let s = Izh07Arrays {
                    v: &mut self.v,
                    u: &mut self.u,
                };
                update::<EXT, L, f64>(s, pending, lanes, syn, current, dt)
            }
            Some(single) => match single.arrays.as_mut_slice() {
                [v, u] => {
                    let s = Izh07Arrays { v, u };
                    update::<EXT, L, f32>(s, pending, lanes, syn, current, dt)
                }
                _ => unreachable!("the f32 state has two arrays"),
            },
        }
    }
}

/// One step over state arrays of precision `F`; uniform constants run as one block of the
/// whole shard, per-neuron lanes in blocks of [`BLOCK`]. The constants, the inputs and `dt`
/// are `f64`, rounded to `F` where they are used.
fn update<const EXT: bool, L, F: Float>(
    s: Izh07Arrays<'_, F>,
    pending: &mut [bool],
    lanes: &L,
    syn: &mut [f64],
    current: &[f64],
    dt: f64,
) where
    L: LaneSet,
    for<'a> L::Block<'a>: Izh07Access,
{
    let f = F::from_f64;
    let dt = f(dt);
    let n = s.v.len();
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
        let v = &mut s.v[base..end];
        let u = &mut s.u[base..end];
        let pending = &mut pending[base..end];
        for i in 0..v.len() {
            let input = if EXT {
                f(c.i_offset(i)) + f(syn[i]) + f(current[i])
            } else {
                f(c.i_offset(i)) + f(syn[i])
            };
            syn[i] = 0.0;
            let (v0, u0) = (v[i], u[i]);
            let (vr, vt) = (f(c.v_r(i)), f(c.v_t(i)));
            let v1 = v0 + dt * (f(c.inv_c(i)) * (f(c.k(i)) * (v0 - vr) * (v0 - vt) - u0 + input));
            let u1 = u0 + dt * (f(c.a(i)) * (f(c.b(i)) * (v0 - vr) - u0));
            let reset = pending[i];
            let v1 = if reset { f(c.c(i)) } else { v1 };
            let u1 = if reset { u0 + f(c.d(i)) } else { u1 };
            let spike = v1 >= f(c.v_peak(i));
            v[i] = if spike { f(c.marker(i)) } else { v1 };
            u[i] = u1;
            pending[i] = spike;
        }
        base = end;
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

    const F32: bool = true;

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
        Ok(match ctx.precision {
            Precision::F64 => m,
            Precision::F32 => m.into_f32(),
        })
    }
}

impl NeuronModel for Izhikevich2007 {
    fn len(&self) -> usize {
        match &self.single {
            None => self.v.len(),
            Some(s) => s.len(),
        }
    }

    fn receptors(&self) -> &'static [Receptor] {
        INSTANT_NA_RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        IZH07_STATE
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        if self.single.is_some() {
            return None; // `values`
        }
        match name {
            "v" => Some(&self.v),
            "u" => Some(&self.u),
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

    super::single::f32_state_access!(IZH07_STATE, instant_receptors);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f32` state: the same update in single precision. With a drive current that differs
    /// between neurons (from about the rheobase to 0.4 nA) and random instant inputs, the
    /// spike counts of 500 ms follow the `f64` population's to one spike, for uniform and
    /// per-neuron constants; the state is read as `f32` (and not as `f64`); a copy through
    /// serde, mid-run, keeps the precision and continues with the same spikes.
    #[test]
    fn f32_state_follows_f64() {
        use crate::spiking::neuron::testing::{build, f32_follows_f64};
        use crate::spiking::neuron::{ModelSpec, Neurons};
        let (n, dt) = (60, 0.1);
        let spec = ModelSpec::Izhikevich2007(Izhikevich2007Params::default());
        let ks: Vec<f64> = (0..n).map(|i| 0.0006 + 0.000005 * i as f64).collect();
        for per in [vec![], vec![("k".to_string(), ks)]] {
            let Neurons::Izhikevich2007(wide) = build(&spec, n, dt, &per) else {
                unreachable!()
            };
            let single = wide.clone().into_f32();
            let drive: Vec<f64> = (0..n).map(|i| 0.05 + 0.006 * i as f64).collect();
            f32_follows_f64(wide, single, &drive, &[1.0], 5000, 7);
        }
    }
}
