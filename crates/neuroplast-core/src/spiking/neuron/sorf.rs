//! The SORF neuron: a conductance-based Izhikevich RS cell with AMPA, NMDA, GABA_A and GABA_B
//! receptors (Carlson, Richert, Dutt & Krichmar, IJCNN 2013; ANNarchy notebook `SORF.ipynb`,
//! neuron "RSNeuron").
//!
//! ```text
//! dv/dt = (0.04 v + 5) v + 140 − u + I            du/dt = a (b v − u)
//! I = g_ampa (E_ampa − v) + g_nmda B(v) (E_nmda − v) + g_gabaa (E_gabaa − v)
//!     + g_gabab (E_gabab − v) + i_offset + I_ext
//! B(v) = x² / (1 + x²),  x = (v + 80) / 60
//! τ_r dg_r/dt = −g_r        (r = ampa, nmda, gabaa, gabab; exact decay)
//! v ≥ 30  →  spike, v = c, u += d, all four g = 0, refractory 1 ms
//! ```
//!
//! Units are the model's own (Izhikevich: mV, ms, dimensionless conductances); the `current`
//! slice is added to `I` as it is. Receptors `ampa`, `nmda`, `gabaa`, `gabab` are
//! [`ReceptorKind::Conductance`]: a delivered weight is added to the conductance at the start of
//! the step. An ANNarchy projection with targets `['ampa', 'nmda']` adds the same `w` to both;
//! the network layer does that by delivering to both receptors.
//!
//! One step, in ANNarchy's order (spike propagation, neuron update, spike gathering):
//! 1. `g_r += w` (delivered weights);
//! 2. if not refractory: `I` from the conductances and `v` at the start of the step, then one
//!    explicit midpoint step of the coupled `(v, u)` system with `I` frozen (ANNarchy's coupled
//!    `midpoint`: `k = f(v, u)`, then `(v, u) += dt · f(v + dt/2·k_v, u + dt/2·k_u)`); during
//!    the refractory period `v` and `u` are frozen (ANNarchy masks every non-`g_` variable);
//! 3. `v = max(v, v_min)` (ANNarchy's `min = −90`);
//! 4. the conductances decay exactly, `g_r ·= e^{−dt/τ_r}` (also while refractory);
//! 5. if not refractory and `v ≥ v_thresh`: spike and reset (`v = c`, `u += d`, `g_r = 0`), and
//!    the neuron is refractory for `tau_refrac` (rounded to whole steps; 1 step at dt = 1 ms).
//!
//! Initial state: `v = −65`, `u = −13`, conductances 0.
//!
//! With `precision = "f32"` the same update runs on `f32` state (the constants computed in
//! `f64` and rounded once, the external current rounded as it is added; the network delivers
//! weights into the `f32` conductances, each rounded once).

use serde::{Deserialize, Serialize};

use super::lanes::LaneSet;
use super::single::Single;
use super::{
    check_finite, check_positive, refractory_steps, NeuronModel, Precision, Receptor, ReceptorKind,
    BLOCK,
};
use crate::lang::Float;
use crate::{ensure, Result};

/// Parameters of [`Sorf`] (ANNarchy notebook values).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SorfParams {
    /// Recovery time scale, 1/ms.
    pub a: f64,
    /// Sensitivity of `u` to `v`.
    pub b: f64,
    /// Reset potential, mV.
    pub c: f64,
    /// After-spike increment of `u`.
    pub d: f64,
    /// AMPA decay time constant, ms.
    pub tau_ampa: f64,
    /// NMDA decay time constant, ms.
    pub tau_nmda: f64,
    /// GABA_A decay time constant, ms.
    pub tau_gabaa: f64,
    /// GABA_B decay time constant, ms.
    pub tau_gabab: f64,
    /// AMPA reversal potential, mV.
    pub vrev_ampa: f64,
    /// NMDA reversal potential, mV.
    pub vrev_nmda: f64,
    /// GABA_A reversal potential, mV.
    pub vrev_gabaa: f64,
    /// GABA_B reversal potential, mV.
    pub vrev_gabab: f64,
    /// Lower bound of `v`, mV.
    pub v_min: f64,
    /// Spike cut-off, mV.
    pub v_thresh: f64,
    /// Refractory period, ms.
    pub tau_refrac: f64,
    /// Constant input, model units.
    pub i_offset: f64,
}

impl Default for SorfParams {
    fn default() -> Self {
        SorfParams {
            a: 0.02,
            b: 0.2,
            c: -65.0,
            d: 8.0,
            tau_ampa: 5.0,
            tau_nmda: 150.0,
            tau_gabaa: 6.0,
            tau_gabab: 150.0,
            vrev_ampa: 0.0,
            vrev_nmda: 0.0,
            vrev_gabaa: -70.0,
            vrev_gabab: -90.0,
            v_min: -90.0,
            v_thresh: 30.0,
            tau_refrac: 1.0,
            i_offset: 0.0,
        }
    }
}

impl SorfParams {
    /// Check ranges; `path` is the key path of the parameter table.
    pub fn validate(&self, path: &str) -> Result<()> {
        check_positive(
            path,
            &[
                ("tau_ampa", self.tau_ampa),
                ("tau_nmda", self.tau_nmda),
                ("tau_gabaa", self.tau_gabaa),
                ("tau_gabab", self.tau_gabab),
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
                ("a", self.a),
                ("b", self.b),
                ("d", self.d),
                ("vrev_ampa", self.vrev_ampa),
                ("vrev_nmda", self.vrev_nmda),
                ("vrev_gabaa", self.vrev_gabaa),
                ("vrev_gabab", self.vrev_gabab),
                ("v_min", self.v_min),
                ("v_thresh", self.v_thresh),
                ("i_offset", self.i_offset),
            ],
        )?;
        ensure!(
            self.c.is_finite() && self.c < self.v_thresh,
            format!("{path}.c"),
            "must be below v_thresh = {} mV, got {} mV",
            self.v_thresh,
            self.c
        );
        Ok(())
    }
}

/// The NMDA voltage gate `B(v) = x² / (1 + x²)`, `x = (v + 80) / 60`.
#[inline]
pub fn nmda_gate(v: f64) -> f64 {
    gate(v)
}

/// [`nmda_gate`] at precision `F` (its constants rounded once).
#[inline(always)]
fn gate<F: Float>(v: F) -> F {
    let x = (v + F::from_f64(80.0)) / F::from_f64(60.0);
    let x2 = x * x;
    x2 / (F::ONE + x2)
}

const SORF_RECEPTORS: &[Receptor] = &[
    Receptor {
        name: "ampa",
        kind: ReceptorKind::Conductance,
        weight_unit: "model units",
    },
    Receptor {
        name: "nmda",
        kind: ReceptorKind::Conductance,
        weight_unit: "model units",
    },
    Receptor {
        name: "gabaa",
        kind: ReceptorKind::Conductance,
        weight_unit: "model units",
    },
    Receptor {
        name: "gabab",
        kind: ReceptorKind::Conductance,
        weight_unit: "model units",
    },
];

/// A population of SORF neurons (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sorf {
    params: SorfParams,
    dt: f64,
    /// The update's constants when every neuron has the same parameters.
    consts: SorfConsts,
    /// Per-neuron constants when some parameter differs between neurons.
    lanes: Option<SorfLanes>,
    /// Membrane potential, mV.
    pub v: Vec<f64>,
    /// Recovery variable.
    pub u: Vec<f64>,
    /// AMPA conductance.
    pub g_ampa: Vec<f64>,
    /// NMDA conductance.
    pub g_nmda: Vec<f64>,
    /// GABA_A conductance.
    pub g_gabaa: Vec<f64>,
    /// GABA_B conductance.
    pub g_gabab: Vec<f64>,
    /// Remaining refractory steps (whole numbers stored as f64).
    refrac: Vec<f64>,
    fired: Vec<bool>,
    /// The state in `f32` for a population built with `precision = "f32"` (the arrays above
    /// are then empty), in the order of [`SORF_F32`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    single: Option<Box<Single>>,
}

/// The order of the `f32` arrays: the receptors' conductances right after `v`, as
/// [`f32_state_access!`](super::single::f32_state_access) expects.
const SORF_F32: &[&str; 6] = &["v", "g_ampa", "g_nmda", "g_gabaa", "g_gabab", "u"];

/// The arrays one step runs over, of precision `F`.
struct SorfArrays<'a, F> {
    v: &'a mut [F],
    u: &'a mut [F],
    /// The conductances, in the order of the receptors.
    g: [&'a mut [F]; 4],
    refrac: &'a mut [F],
}

crate::lanes! {
    /// Constants of the SORF update, derived from one neuron's parameters.
    SorfConsts, SorfLanes, SorfBlock, SorfAccess, SorfVisit {
        a, b, c, d, vrev_ampa, vrev_nmda, vrev_gabaa, vrev_gabab, v_min, v_thresh, nref,
        i_offset, decay_ampa, decay_nmda, decay_gabaa, decay_gabab,
    }
}

impl SorfConsts {
    /// `decay_r = exp(−dt/tau_r)`, `nref = round(tau_refrac/dt)`; the rest are the parameters.
    fn of(p: &SorfParams, dt_ms: f64) -> Result<SorfConsts> {
        let [decay_ampa, decay_nmda, decay_gabaa, decay_gabab] =
            [p.tau_ampa, p.tau_nmda, p.tau_gabaa, p.tau_gabab].map(|tau| (-dt_ms / tau).exp());
        Ok(SorfConsts {
            a: p.a,
            b: p.b,
            c: p.c,
            d: p.d,
            vrev_ampa: p.vrev_ampa,
            vrev_nmda: p.vrev_nmda,
            vrev_gabaa: p.vrev_gabaa,
            vrev_gabab: p.vrev_gabab,
            v_min: p.v_min,
            v_thresh: p.v_thresh,
            nref: refractory_steps(p.tau_refrac, dt_ms)? as f64,
            i_offset: p.i_offset,
            decay_ampa,
            decay_nmda,
            decay_gabaa,
            decay_gabab,
        })
    }
}

impl Sorf {
    /// `n` neurons with `v = −65`, `u = −13`, time step `dt_ms`.
    pub fn new(params: &SorfParams, n: usize, dt_ms: f64) -> Result<Sorf> {
        params.validate("params")?;
        ensure!(
            dt_ms.is_finite() && dt_ms > 0.0,
            "dt",
            "must be a finite number of ms > 0, got {dt_ms}"
        );
        Ok(Sorf {
            params: params.clone(),
            dt: dt_ms,
            consts: SorfConsts::of(params, dt_ms)?,
            lanes: None,
            v: vec![-65.0; n],
            u: vec![-13.0; n],
            g_ampa: vec![0.0; n],
            g_nmda: vec![0.0; n],
            g_gabaa: vec![0.0; n],
            g_gabab: vec![0.0; n],
            refrac: vec![0.0; n],
            fired: vec![false; n],
            single: None,
        })
    }

    /// The same neurons with their state in `f32` (each value rounded once).
    fn into_f32(mut self) -> Sorf {
        let arrays = [
            &mut self.v,
            &mut self.g_ampa,
            &mut self.g_nmda,
            &mut self.g_gabaa,
            &mut self.g_gabab,
            &mut self.u,
        ];
        self.single = Some(Single::take(arrays, &mut self.refrac));
        self
    }

    /// The parameters (those of every neuron, before per-neuron values).
    pub fn params(&self) -> &SorfParams {
        &self.params
    }

    /// One step at the state's precision; the weights of this step's arrivals are already in
    /// the conductances (the network delivers into `receptor_values`).
    #[inline(always)]
    fn update<const EXT: bool, L>(&mut self, lanes: &L, current: &[f64])
    where
        L: LaneSet,
        for<'a> L::Block<'a>: SorfAccess,
    {
        let (dt, fired) = (self.dt, &mut self.fired);
        match self.single.as_deref_mut() {
            None => {
                let s = SorfArrays {
                    v: &mut self.v,
                    u: &mut self.u,
                    g: [
                        &mut self.g_ampa,
                        &mut self.g_nmda,
                        &mut self.g_gabaa,
                        &mut self.g_gabab,
                    ],
                    refrac: &mut self.refrac,
                };
                update::<EXT, L, f64>(s, fired, lanes, current, dt)
            }
            Some(single) => match single.arrays.as_mut_slice() {
                [v, ga, gn, gga, ggb, u] => {
                    let s = SorfArrays {
                        v,
                        u,
                        g: [ga, gn, gga, ggb],
                        refrac: &mut single.refrac,
                    };
                    update::<EXT, L, f32>(s, fired, lanes, current, dt)
                }
                _ => unreachable!("the f32 state has six arrays"),
            },
        }
    }

    #[inline(always)]
    fn run<L>(&mut self, lanes: &L, current: &[f64])
    where
        L: LaneSet,
        for<'a> L::Block<'a>: SorfAccess,
    {
        crate::simd::dispatch(
            #[inline(always)]
            || {
                if current.is_empty() {
                    self.update::<false, _>(lanes, current);
                } else {
                    self.update::<true, _>(lanes, current);
                }
            },
        );
    }
}

/// One step of the SORF neuron over state arrays of precision `F`; uniform constants run as
/// one block of the whole shard, per-neuron lanes in blocks of [`BLOCK`]. The constants
/// (`dt/2` computed in `f64`) and the external current are `f64`, rounded to `F` where they
/// are used.
#[inline(always)]
fn update<const EXT: bool, L, F: Float>(
    s: SorfArrays<'_, F>,
    fired: &mut [bool],
    lanes: &L,
    current: &[f64],
    dt: f64,
) where
    L: LaneSet,
    for<'a> L::Block<'a>: SorfAccess,
{
    let f = F::from_f64;
    let (dt, h) = (f(dt), f(0.5 * dt));
    let (zero, one) = (F::ZERO, F::ONE);
    let (k04, k5, k140) = (f(0.04), f(5.0), f(140.0));
    let n = s.v.len();
    let [g_ampa, g_nmda, g_gabaa, g_gabab] = s.g;
    let mut base = 0;
    while base < n {
        let end = if <L::Block<'_> as SorfAccess>::UNIFORM {
            n
        } else {
            (base + BLOCK).min(n)
        };
        let c = lanes.block(base, end);
        c.check_len(end - base);
        let current = if EXT { &current[base..end] } else { &[][..] };
        let v = &mut s.v[base..end];
        let u = &mut s.u[base..end];
        let ga = &mut g_ampa[base..end];
        let gn = &mut g_nmda[base..end];
        let gga = &mut g_gabaa[base..end];
        let ggb = &mut g_gabab[base..end];
        let refrac = &mut s.refrac[base..end];
        let fired = &mut fired[base..end];
        for i in 0..v.len() {
            let (a, b) = (f(c.a(i)), f(c.b(i)));
            let (g_a, g_n, g_ga, g_gb) = (ga[i], gn[i], gga[i], ggb[i]);
            let (v0, u0) = (v[i], u[i]);
            let active = refrac[i] <= zero;
            let ext = if EXT {
                f(c.i_offset(i)) + f(current[i])
            } else {
                f(c.i_offset(i))
            };
            let input = g_a * (f(c.vrev_ampa(i)) - v0)
                + g_n * gate(v0) * (f(c.vrev_nmda(i)) - v0)
                + g_ga * (f(c.vrev_gabaa(i)) - v0)
                + g_gb * (f(c.vrev_gabab(i)) - v0)
                + ext;
            let kv = (k04 * v0 + k5) * v0 + k140 - u0 + input;
            let ku = a * (b * v0 - u0);
            let vh = v0 + h * kv;
            let uh = u0 + h * ku;
            let v1 = v0 + dt * ((k04 * vh + k5) * vh + k140 - uh + input);
            let u1 = u0 + dt * (a * (b * vh - uh));
            let (v1, u1) = if active { (v1, u1) } else { (v0, u0) };
            // (a plain comparison, not f64::max: it vectorises to one vmaxpd)
            let v_min = f(c.v_min(i));
            let v1 = if v1 < v_min { v_min } else { v1 };
            let spike = active && v1 >= f(c.v_thresh(i));
            v[i] = if spike { f(c.c(i)) } else { v1 };
            u[i] = if spike { u1 + f(c.d(i)) } else { u1 };
            let keep = if spike { zero } else { one };
            ga[i] = g_a * f(c.decay_ampa(i)) * keep;
            gn[i] = g_n * f(c.decay_nmda(i)) * keep;
            gga[i] = g_ga * f(c.decay_gabaa(i)) * keep;
            ggb[i] = g_gb * f(c.decay_gabab(i)) * keep;
            refrac[i] = if spike {
                f(c.nref(i))
            } else if active {
                zero
            } else {
                refrac[i] - one
            };
            fired[i] = spike;
        }
        base = end;
    }
}

crate::param_table!(SorfParams {
    a,
    b,
    c,
    d,
    tau_ampa,
    tau_nmda,
    tau_gabaa,
    tau_gabab,
    vrev_ampa,
    vrev_nmda,
    vrev_gabaa,
    vrev_gabab,
    v_min,
    v_thresh,
    tau_refrac,
    i_offset
});

impl super::BuiltinModel for Sorf {
    type Params = SorfParams;

    const F32: bool = true;

    fn carry_from(&mut self, old: &Self) {
        super::carry_named(self, old);
        self.refrac.clone_from(&old.refrac);
        self.fired.clone_from(&old.fired);
        if let (Some(new), Some(old)) = (self.single.as_deref_mut(), old.single.as_deref()) {
            new.refrac.clone_from(&old.refrac);
        }
    }

    fn validate(params: &SorfParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &SorfParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        let mut m = Sorf::new(params, n, ctx.dt_ms)?;
        if !ctx.per_neuron.is_empty() {
            let each =
                super::per_neuron_consts(params, n, &ctx, "params", SorfParams::validate, |p| {
                    SorfConsts::of(p, ctx.dt_ms)
                })?;
            let consts: Vec<SorfConsts> = each.into_iter().map(|(_, c)| c).collect();
            m.lanes = Some(SorfLanes::of(&consts));
        }
        Ok(match ctx.precision {
            Precision::F64 => m,
            Precision::F32 => m.into_f32(),
        })
    }
}

impl NeuronModel for Sorf {
    fn len(&self) -> usize {
        match &self.single {
            None => self.v.len(),
            Some(s) => s.len(),
        }
    }

    fn receptors(&self) -> &'static [Receptor] {
        SORF_RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        &["v", "u", "g_ampa", "g_nmda", "g_gabaa", "g_gabab"]
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        if self.single.is_some() {
            return None; // `values`
        }
        match name {
            "v" => Some(&self.v),
            "u" => Some(&self.u),
            "g_ampa" => Some(&self.g_ampa),
            "g_nmda" => Some(&self.g_nmda),
            "g_gabaa" => Some(&self.g_gabaa),
            "g_gabab" => Some(&self.g_gabab),
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
            "g_ampa" => Some(&mut self.g_ampa),
            "g_nmda" => Some(&mut self.g_nmda),
            "g_gabaa" => Some(&mut self.g_gabaa),
            "g_gabab" => Some(&mut self.g_gabab),
            _ => None,
        }
    }

    fn receptor_state(&mut self, r: usize) -> Option<&mut [f64]> {
        if self.single.is_some() {
            return None; // `receptor_values`
        }
        match r {
            0 => Some(&mut self.g_ampa),
            1 => Some(&mut self.g_nmda),
            2 => Some(&mut self.g_gabaa),
            3 => Some(&mut self.g_gabab),
            _ => None,
        }
    }

    fn step(&mut self, _syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        match self.lanes.take() {
            None => {
                let c = self.consts;
                self.run(&c, current);
            }
            Some(lanes) => {
                self.run(&lanes, current);
                self.lanes = Some(lanes);
            }
        }
        crate::simd::push_fired(&self.fired, spikes);
    }

    super::single::f32_state_access!(SORF_F32);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f32` state: the same update in single precision. With a drive that differs between
    /// neurons (5 to 16.8, above the RS cell's rheobase of about 4: 10 to 20 spikes each in
    /// 500 ms) and random weights on all four receptors delivered through
    /// `receptor_values` (into the `f32` conductances), the spike counts of 500 ms follow the
    /// `f64` population's to one spike, for uniform and per-neuron constants; the state is
    /// read as `f32` (and not as `f64`); a copy through serde, mid-run, keeps the precision
    /// (and its refractory counters) and continues with the same spikes.
    #[test]
    fn f32_state_follows_f64() {
        use crate::spiking::neuron::testing::build;
        use crate::spiking::neuron::{ModelSpec, Neurons, StateMut, StateRef};
        use rand::{Rng as _, SeedableRng as _};
        let (n, dt) = (60, 0.5);
        let spec = ModelSpec::SORF(SorfParams::default());
        let ds: Vec<f64> = (0..n).map(|i| 6.0 + 0.05 * i as f64).collect();
        for per in [vec![], vec![("d".to_string(), ds)]] {
            let Neurons::SORF(mut wide) = build(&spec, n, dt, &per) else {
                unreachable!()
            };
            let mut single = wide.clone().into_f32();
            assert_eq!(single.precision(), Precision::F32);
            assert!(single.state("v").is_none() && single.receptor_state(0).is_none());
            let mut rng = crate::rng::Rng::seed_from_u64(19);
            let drive: Vec<f64> = (0..n).map(|i| 5.0 + 0.2 * i as f64).collect();
            let (mut a, mut b) = (vec![0usize; n], vec![0usize; n]);
            let mut copy: Option<Sorf> = None;
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            for step in 0..1000 {
                for (r, w_max) in [0.1, 0.1, 0.02, 0.005].into_iter().enumerate() {
                    let w: Vec<f64> = (0..n)
                        .map(|_| {
                            if rng.random_bool(0.1) {
                                rng.random_range(0.0..w_max)
                            } else {
                                0.0
                            }
                        })
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
                if step == 500 {
                    let bytes = serde_json::to_vec(&single).unwrap();
                    copy = Some(serde_json::from_slice(&bytes).unwrap());
                }
            }
            let total: usize = a.iter().sum();
            assert!(total > 10 * n, "{total} spikes");
            for i in 0..n {
                assert!(
                    a[i].abs_diff(b[i]) <= 1,
                    "neuron {i}: {} against {}",
                    a[i],
                    b[i]
                );
            }
            let Some(StateRef::F32(v)) = single.values("v") else {
                panic!("f32 v")
            };
            assert!(v.iter().all(|x| x.is_finite()));
            assert_eq!(copy.unwrap().precision(), Precision::F32);
        }
    }

    /// What the network does: add the interleaved weights `syn[i·4 + q]` to receptor q of
    /// neuron i (and clear them), then step.
    fn step_with(m: &mut Sorf, syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        for q in 0..4 {
            let g = m.receptor_state(q).unwrap();
            for (i, gi) in g.iter_mut().enumerate() {
                *gi += syn[i * 4 + q];
                syn[i * 4 + q] = 0.0;
            }
        }
        m.step(&mut [], current, spikes);
    }

    /// The AVX-512 copy that `step` runs where the CPU has it gives the same bits as the AVX2
    /// body (on a CPU without AVX-512 both sides run the same code).
    #[test]
    fn avx512_copy_is_bit_identical() {
        use rand::{Rng as _, SeedableRng as _};
        let mut rng = crate::rng::Rng::seed_from_u64(7);
        let n = 37; // not a multiple of the vector width
        for per_neuron in [false, true] {
            // per-neuron d and tau_nmda: the lanes instantiation
            let per: Vec<(String, Vec<f64>)> = if per_neuron {
                vec![
                    ("d".into(), (0..n).map(|i| 6.0 + 0.1 * i as f64).collect()),
                    (
                        "tau_nmda".into(),
                        (0..n).map(|i| 100.0 + i as f64).collect(),
                    ),
                ]
            } else {
                Vec::new()
            };
            let spec = crate::spiking::neuron::ModelSpec::SORF(SorfParams::default());
            let crate::spiking::neuron::Neurons::SORF(mut a) =
                crate::spiking::neuron::testing::build(&spec, n, 1.0, &per)
            else {
                unreachable!()
            };
            assert_eq!(a.lanes.is_some(), per_neuron);
            for i in 0..n {
                a.v[i] = rng.random_range(-90.0..30.0);
                a.u[i] = rng.random_range(-20.0..10.0);
                a.g_nmda[i] = rng.random_range(0.0..0.5);
                a.refrac[i] = f64::from(rng.random_range(0..3u8));
            }
            let mut b = a.clone();
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            for _ in 0..300 {
                let current: Vec<f64> = (0..n).map(|_| rng.random_range(-5.0..25.0)).collect();
                for (q, r) in [(0, 0.4), (2, 0.2), (3, 0.05)] {
                    let g: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..r)).collect();
                    for (m, g) in [(&mut a, &g), (&mut b, &g)] {
                        for (x, y) in m.receptor_state(q).unwrap().iter_mut().zip(g) {
                            *x += y;
                        }
                    }
                }
                a.step(&mut [], &current, &mut sa);
                match b.lanes.take() {
                    None => {
                        let c = b.consts;
                        b.update::<true, _>(&c, &current);
                    }
                    Some(lanes) => {
                        b.update::<true, _>(&lanes, &current);
                        b.lanes = Some(lanes);
                    }
                }
                crate::simd::push_fired(&b.fired, &mut sb);
            }
            assert_eq!(sa, sb);
            assert!(sa.len() > 100, "{} spikes", sa.len());
            for (x, y) in [
                (&a.v, &b.v),
                (&a.u, &b.u),
                (&a.g_nmda, &b.g_nmda),
                (&a.g_gabab, &b.g_gabab),
            ] {
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(x), bits(y));
            }
        }
    }

    /// Per-neuron parameters (every one of them) give each neuron the bits of a one-neuron
    /// population with its parameters; equal per-neuron values give the plain model's bits.
    #[test]
    fn per_neuron_parameters_equal_separate_populations() {
        use crate::spiking::neuron::testing::{per_neuron_equals_one_neuron_populations, Drive};
        use crate::spiking::neuron::{ModelSpec, Neurons};
        let n = 100;
        let f = |a: f64, b: f64| (0..n).map(|i| a + b * i as f64).collect::<Vec<f64>>();
        let per = [
            ("a", f(0.02, 0.0002)),
            ("b", f(0.2, 0.0002)),
            ("c", f(-65.0, 0.1)),
            ("d", f(8.0, -0.05)),
            ("tau_ampa", f(5.0, 0.02)),
            ("tau_nmda", f(150.0, -0.5)),
            ("tau_gabaa", f(6.0, 0.02)),
            ("tau_gabab", f(150.0, 0.5)),
            ("vrev_ampa", f(0.0, 0.02)),
            ("vrev_nmda", f(0.0, -0.02)),
            ("vrev_gabaa", f(-70.0, 0.02)),
            ("vrev_gabab", f(-90.0, 0.02)),
            ("v_min", f(-90.0, -0.02)),
            ("v_thresh", f(30.0, 0.02)),
            ("tau_refrac", f(0.5, 0.05)),
            ("i_offset", f(1.0, 0.05)),
        ];
        let drive = Drive {
            dt: 0.5,
            steps: 2000,
            current: (-5.0, 20.0),
            syn: &[0.4, 0.1, 0.2, 0.05],
        };
        let spec = ModelSpec::SORF(SorfParams::default());
        let (spikes, lanes) = per_neuron_equals_one_neuron_populations(&spec, &per, &drive);
        assert!(spikes > 1000, "{spikes} spikes");
        let Neurons::SORF(m) = lanes else {
            unreachable!()
        };
        assert!(m.lanes.is_some());
    }

    #[test]
    fn nmda_gate_values() {
        assert_eq!(nmda_gate(-80.0), 0.0);
        assert!((nmda_gate(-20.0) - 0.5).abs() < 1e-15); // x = 1
        assert!((nmda_gate(-140.0) - 0.5).abs() < 1e-15); // x = −1
        assert!((nmda_gate(40.0) - 0.8).abs() < 1e-15); // x = 2
        assert!((nmda_gate(-65.0) - 1.0 / 17.0).abs() < 1e-15); // x = 1/4
    }

    #[test]
    fn conductances_decay_exactly() {
        let mut m = Sorf::new(&SorfParams::default(), 2, 1.0).unwrap();
        // tiny weights: the neurons stay subthreshold
        let w = [1e-3, 2e-3, 3e-3, 4e-3];
        for (q, w) in w.iter().enumerate() {
            m.receptor_state(q).unwrap()[1] += w;
        }
        let mut spikes = Vec::new();
        for _ in 0..30 {
            m.step(&mut [], &[], &mut spikes);
        }
        assert!(spikes.is_empty());
        let g = [&m.g_ampa, &m.g_nmda, &m.g_gabaa, &m.g_gabab];
        for ((g, w), tau) in g.iter().zip(w).zip([5.0, 150.0, 6.0, 150.0]) {
            let expected = w * (-30.0f64 / tau).exp();
            assert!(
                (g[1] - expected).abs() < 1e-15 * w,
                "{} vs {expected}",
                g[1]
            );
            assert_eq!(g[0], 0.0);
        }
    }

    #[test]
    fn midpoint_step_by_hand() {
        let mut m = Sorf::new(&SorfParams::default(), 1, 1.0).unwrap();
        m.g_nmda[0] = 0.1;
        let mut syn = vec![0.3, 0.0, 0.05, 0.0];
        let mut spikes = Vec::new();
        step_with(&mut m, &mut syn, &[2.0], &mut spikes);
        let (v, u): (f64, f64) = (-65.0, -13.0);
        let b = 0.0625 / 1.0625; // x = 0.25
        let i = 0.3 * (0.0 - v) + 0.1 * b * (0.0 - v) + 0.05 * (-70.0 - v) + 2.0;
        let kv = 0.04 * v * v + 5.0 * v + 140.0 - u + i;
        let ku = 0.02 * (0.2 * v - u);
        let (vh, uh) = (v + 0.5 * kv, u + 0.5 * ku);
        let v1 = v + 0.04 * vh * vh + 5.0 * vh + 140.0 - uh + i;
        let u1 = u + 0.02 * (0.2 * vh - uh);
        assert!((m.v[0] - v1).abs() < 1e-12, "{} vs {v1}", m.v[0]);
        assert!((m.u[0] - u1).abs() < 1e-12, "{} vs {u1}", m.u[0]);
        assert!((m.g_ampa[0] - 0.3 * (-0.2f64).exp()).abs() < 1e-15);
        assert!((m.g_nmda[0] - 0.1 * (-1.0f64 / 150.0).exp()).abs() < 1e-15);
    }

    #[test]
    fn spike_resets_all_conductances_then_one_refractory_step() {
        let p = SorfParams::default();
        let mut m = Sorf::new(&p, 1, 1.0).unwrap();
        m.v[0] = 20.0;
        m.g_nmda[0] = 0.2;
        m.g_gabaa[0] = 0.1;
        m.g_gabab[0] = 0.1;
        let mut syn = vec![1.0, 0.0, 0.0, 0.0];
        let mut spikes = Vec::new();
        step_with(&mut m, &mut syn, &[], &mut spikes);
        assert_eq!(spikes, vec![0]);
        assert_eq!(m.v[0], -65.0);
        for g in [&m.g_ampa, &m.g_nmda, &m.g_gabaa, &m.g_gabab] {
            assert_eq!(g[0], 0.0);
        }
        // refractory step: v, u frozen, delivered conductance still arrives and decays
        let u = m.u[0];
        spikes.clear();
        let mut syn = vec![0.5, 0.0, 0.0, 0.0];
        step_with(&mut m, &mut syn, &[100.0], &mut spikes);
        assert!(spikes.is_empty());
        assert_eq!((m.v[0], m.u[0]), (-65.0, u));
        assert!((m.g_ampa[0] - 0.5 * (-0.2f64).exp()).abs() < 1e-15);
        // and integrates again afterwards
        step_with(&mut m, &mut syn, &[], &mut spikes);
        assert!(m.v[0] > -65.0);
    }

    #[test]
    fn v_floor_holds() {
        let mut m = Sorf::new(&SorfParams::default(), 1, 0.1).unwrap();
        m.v[0] = -89.0;
        m.u[0] = 100.0; // drives v down by ≈ 8 mV in one 0.1 ms step
        let mut syn = vec![0.0; 4];
        let mut spikes = Vec::new();
        step_with(&mut m, &mut syn, &[], &mut spikes);
        assert_eq!(m.v[0], -90.0);
    }

    #[test]
    fn excitatory_input_drives_firing() {
        let mut m = Sorf::new(&SorfParams::default(), 2, 1.0).unwrap();
        let mut syn = vec![0.0; 8];
        let mut spikes = Vec::new();
        let mut count = [0usize; 2];
        for t in 0..1000 {
            spikes.clear();
            if t % 10 == 0 {
                // neuron 0: an ['ampa', 'nmda'] projection delivers w to both receptors
                syn[0] = 0.5;
                syn[1] = 0.5;
            }
            step_with(&mut m, &mut syn, &[], &mut spikes);
            for &s in &spikes {
                count[s as usize] += 1;
            }
        }
        assert!(count[0] > 20, "{count:?}");
        assert_eq!(count[1], 0);
    }

    #[test]
    fn bad_parameters_name_the_key() {
        let p = SorfParams {
            tau_nmda: 0.0,
            ..Default::default()
        };
        let err = p
            .validate("populations.buf.params")
            .unwrap_err()
            .to_string();
        assert!(err.contains("populations.buf.params.tau_nmda"), "{err}");
    }
}
