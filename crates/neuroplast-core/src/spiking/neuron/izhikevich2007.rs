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

use serde::{Deserialize, Serialize};

use super::lanes::LaneSet;
use super::{check_finite, check_positive, NeuronModel, Receptor, ReceptorKind, BLOCK};
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
