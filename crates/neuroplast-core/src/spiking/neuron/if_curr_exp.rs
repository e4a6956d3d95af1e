//! `IF_curr_exp` (PyNN): leaky integrate-and-fire with exponentially decaying synaptic
//! currents, integrated exactly (NEST `iaf_psc_exp`, Rotter & Diesmann 1999); the equations
//! and the scheme are on [`IfCurrExp`].

use serde::{Deserialize, Serialize};

use super::lanes::{LaneSet, Step};
use super::single::{arrays, Arrays, Either, Single};
use super::{
    check_finite, check_positive, push_fresh, push_fresh_chunks, push_fresh_lanes, NeuronModel, Precision,
    Receptor, ReceptorKind, RefractoryRule, BLOCK,
};
use crate::lang::Float;
use crate::{ensure, Result};

/// Parameters of [`IfCurrExp`] (`IF_curr_exp`), PyNN names and defaults.
#[allow(non_snake_case)] // reason: PyNN's names (tau_syn_E, tau_syn_I) are the public keys
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IfCurrExpParams {
    /// Membrane capacitance, nF.
    pub cm: f64,
    /// Membrane time constant, ms.
    pub tau_m: f64,
    /// Refractory period, ms (rounded to whole steps).
    pub tau_refrac: f64,
    /// When the neuron integrates again after a spike: `"nest"` (default) or `"brian2"`
    /// (one step sooner); see [`RefractoryRule`].
    pub refractory: RefractoryRule,
    /// Excitatory synaptic current decay time constant, ms.
    pub tau_syn_E: f64,
    /// Inhibitory synaptic current decay time constant, ms.
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

impl Default for IfCurrExpParams {
    fn default() -> Self {
        IfCurrExpParams {
            cm: 1.0,
            tau_m: 20.0,
            tau_refrac: 0.1,
            refractory: RefractoryRule::Nest,
            tau_syn_E: 5.0,
            tau_syn_I: 5.0,
            v_rest: -65.0,
            v_reset: -65.0,
            v_thresh: -50.0,
            i_offset: 0.0,
        }
    }
}

impl IfCurrExpParams {
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

const CURR_RECEPTORS: &[Receptor] = &[
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

/// Exact propagator from an exponentially decaying current (time constant `tau_s`) into the
/// membrane potential over one step `h`: `∫₀ʰ e^{−(h−s)/τm} e^{−s/τs} ds / cm`, i.e.
/// `τm τs / (cm (τm − τs)) · (e^{−h/τm} − e^{−h/τs})`, and its limit `h e^{−h/τ} / cm` when
/// `τs = τm` (NEST `iaf_psc_exp`, Rotter & Diesmann 1999). Written with `expm1` so nearly equal
/// time constants lose no precision.
pub(crate) fn psc_exp_propagator(tau_m: f64, tau_s: f64, cm: f64, h: f64) -> f64 {
    let k = 1.0 / tau_s - 1.0 / tau_m; // rate difference, 1/ms
    if (k * h).abs() < 1e-12 {
        // τs = τm (to rounding): second-order expansion of the general formula.
        return h / cm * (-h / tau_m).exp() * (1.0 - 0.5 * k * h);
    }
    // τm τs / (τm − τs) = 1 / k
    -(-h / tau_m).exp() * (-k * h).exp_m1() / (k * cm)
}

/// A population of `IF_curr_exp` neurons: leaky integrate-and-fire with exponentially decaying
/// synaptic currents, integrated exactly.
///
/// ```text
/// cm dv/dt = cm (v_rest − v) / tau_m + i_exc + i_inh + i_offset + I_ext
/// di_exc/dt = −i_exc / tau_syn_E        di_inh/dt = −i_inh / tau_syn_I
/// ```
///
/// The linear system (`v`, `i_exc`, `i_inh`) is advanced with its exact propagator (NEST
/// `iaf_psc_exp`, Rotter & Diesmann 1999; `tau_syn == tau_m` handled), with `i_offset` and
/// the external current held constant over the step. Weights delivered in a step are added to
/// the synaptic currents at the start of that step (so they act on `v` within the step). A
/// spike is emitted when `v > v_thresh` (strictly, as in Brian2's CUBA benchmark); then
/// `v = v_reset` and `v` is held for `round(tau_refrac / dt)` steps while the currents keep
/// decaying.
///
/// Brian2's CUBA (`τm dv/dt = (ge + gi) − (v − E_L)`, `ge`, `gi` in mV) maps onto this model
/// with `w(nA) = w(mV) · cm / tau_m`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IfCurrExp {
    params: IfCurrExpParams,
    dt: f64,
    /// The update's constants when every neuron has the same parameters.
    c: CurrConsts,
    /// Per-neuron constants when some parameter differs between neurons.
    lanes: Option<CurrLanes>,
    /// Membrane potential, mV.
    pub v: Vec<f64>,
    /// Excitatory synaptic current, nA.
    pub i_exc: Vec<f64>,
    /// Inhibitory synaptic current, nA.
    pub i_inh: Vec<f64>,
    /// Refractory counter: set to `nref` = round(tau_refrac/dt) + 1 on a spike, decremented
    /// every step; the neuron integrates when it is ≤ 1. A counter equal to `nref` marks a
    /// spike of this step (whole numbers stored as f64 so the update vectorises).
    refrac: Vec<f64>,
    /// The state in `f32` for a population built with `precision = "f32"` (the four arrays
    /// above are then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    single: Option<Box<Single>>,
}

/// The names of the state arrays.
const CURR_STATE: &[&str; 3] = &["v", "i_exc", "i_inh"];

crate::lanes! {
    /// Constants of the `IF_curr_exp` update (its exact propagators), derived from one
    /// neuron's parameters.
    CurrConsts, CurrLanes, CurrBlock, CurrAccess, CurrVisit {
        v_rest, v_thresh, v_reset, i_offset, p22, p20, p21_e, p21_i, p11_e, p11_i, nref,
    }
}

impl CurrConsts {
    /// `p22 = exp(−dt/tau_m)`; `p20` (constant current → v) `= tau_m/cm · (1 − exp(−dt/tau_m))`;
    /// `p21_*` (synaptic current → v) from [`psc_exp_propagator`]; `p11_* = exp(−dt/tau_syn_*)`.
    fn of(p: &IfCurrExpParams, dt_ms: f64) -> Result<CurrConsts> {
        Ok(CurrConsts {
            v_rest: p.v_rest,
            v_thresh: p.v_thresh,
            v_reset: p.v_reset,
            i_offset: p.i_offset,
            p22: (-dt_ms / p.tau_m).exp(),
            p20: -p.tau_m / p.cm * (-dt_ms / p.tau_m).exp_m1(),
            p21_e: psc_exp_propagator(p.tau_m, p.tau_syn_E, p.cm, dt_ms),
            p21_i: psc_exp_propagator(p.tau_m, p.tau_syn_I, p.cm, dt_ms),
            p11_e: (-dt_ms / p.tau_syn_E).exp(),
            p11_i: (-dt_ms / p.tau_syn_I).exp(),
            nref: p.refractory.counter(p.tau_refrac, dt_ms)?,
        })
    }
}

impl IfCurrExp {
    /// `n` neurons at rest, time step `dt_ms`.
    pub fn new(params: &IfCurrExpParams, n: usize, dt_ms: f64) -> Result<IfCurrExp> {
        params.validate("params")?;
        ensure!(
            dt_ms.is_finite() && dt_ms > 0.0,
            "dt",
            "must be a finite number > 0 ms, got {dt_ms}"
        );
        Ok(IfCurrExp {
            params: params.clone(),
            dt: dt_ms,
            c: CurrConsts::of(params, dt_ms)?,
            lanes: None,
            v: vec![params.v_rest; n],
            i_exc: vec![0.0; n],
            i_inh: vec![0.0; n],
            refrac: vec![0.0; n],
            single: None,
        })
    }

    /// The same neurons with their state in `f32` (each value rounded once).
    fn into_f32(mut self) -> IfCurrExp {
        let arrays = [&mut self.v, &mut self.i_exc, &mut self.i_inh];
        self.single = Some(Single::take(arrays, &mut self.refrac));
        self
    }

    /// The parameters (those of every neuron, before per-neuron values).
    pub fn params(&self) -> &IfCurrExpParams {
        &self.params
    }

    /// The time step, ms.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    #[inline(always)]
    fn update<const EXT: bool, L>(&mut self, lanes: &L, current: &[f64], spikes: &mut Vec<u32>)
    where
        L: LaneSet,
        for<'a> L::Block<'a>: CurrAccess,
    {
        let wide = [&mut self.v, &mut self.i_exc, &mut self.i_inh];
        match arrays(self.single.as_deref_mut(), wide, &mut self.refrac) {
            Either::F64(a) => update::<EXT, L, f64>(a, lanes, current, spikes),
            Either::F32(a) => update::<EXT, L, f32>(a, lanes, current, spikes),
        }
    }
}

/// One step of `IF_curr_exp` over state arrays of precision `F`; the propagators are `f64`,
/// rounded to `F` where they are used (once per step for uniform constants).
#[inline(always)]
fn update<const EXT: bool, L, F: Float>(
    mut s: Arrays<'_, F>,
    lanes: &L,
    current: &[f64],
    spikes: &mut Vec<u32>,
) where
    L: LaneSet,
    for<'a> L::Block<'a>: CurrAccess,
{
    let f = F::from_f64;
    let n = s.v.len();
    let current = if EXT { &current[..n] } else { &[][..] };
    // with one refractory period for all, a spike is a counter equal to it
    let same_nref = <L::Block<'_> as CurrAccess>::same_for_all("nref");
    let blocked = <L::Block<'_> as CurrAccess>::BLOCKED;
    let one = F::ONE;
    let mut base = 0;
    while base < n {
        // full lanes: blocks of `BLOCK` neurons; uniform constants or one differing
        // constant: one loop over the population (as in `IF_cond_exp`)
        let end = if blocked { (base + BLOCK).min(n) } else { n };
        let c = lanes.block(base, end);
        c.check_len(end - base);
        let [ie, ii] = &mut s.syn;
        let v = &mut s.v[base..end];
        let ie = &mut ie[base..end];
        let ii = &mut ii[base..end];
        let refrac = &mut s.refrac[base..end];
        let n = v.len();
        let (ie, ii, refrac) = (&mut ie[..n], &mut ii[..n], &mut refrac[..n]);
        // spikes of the block, counted only on the blocked per-neuron path (an integer
        // sum keeps the loop vectorised; the others find them by one compare per neuron)
        let mut fired = 0u32;
        for k in 0..n {
            let (i_e, i_i, v0) = (ie[k], ii[k], v[k]);
            let el = f(c.v_rest(k));
            let i_in = if EXT {
                f(c.i_offset(k)) + f(current[base + k])
            } else {
                f(c.i_offset(k))
            };
            let v1 = el
                + (v0 - el) * f(c.p22(k))
                + i_e * f(c.p21_e(k))
                + i_i * f(c.p21_i(k))
                + i_in * f(c.p20(k));
            let r = refrac[k];
            let active = r <= one;
            let v1 = if active { v1 } else { v0 };
            let spike = active & (v1 > f(c.v_thresh(k)));
            if !same_nref && blocked {
                fired += u32::from(spike);
            }
            v[k] = if spike { f(c.v_reset(k)) } else { v1 };
            refrac[k] = if spike {
                f(c.nref(k))
            } else {
                (r - one).max(F::ZERO)
            };
            ie[k] = i_e * f(c.p11_e(k));
            ii[k] = i_i * f(c.p11_i(k));
        }
        if !blocked {
            // one loop over the population: look for spikes 64 neurons at a time
            push_fresh_chunks(refrac, |k| f(c.nref(k)), base, spikes);
        } else if same_nref {
            // a separate OR-reduction vectorises; accumulating it in the loop above does not
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

/// One step of the update, over uniform constants or any lanes.
impl CurrVisit for Step<'_, IfCurrExp> {
    type Out = ();
    #[inline(always)]
    fn visit<S>(self, set: &S)
    where
        S: LaneSet,
        for<'a> S::Block<'a>: CurrAccess,
    {
        let Step { m, current, spikes } = self;
        crate::simd::dispatch(
            #[inline(always)]
            || {
                if current.is_empty() {
                    m.update::<false, _>(set, current, spikes);
                } else {
                    m.update::<true, _>(set, current, spikes);
                }
            },
        );
    }
}

crate::param_table!(IfCurrExpParams {
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

impl super::BuiltinModel for IfCurrExp {
    type Params = IfCurrExpParams;

    const F32: bool = true;

    fn carry_from(&mut self, old: &Self) {
        super::carry_named(self, old);
        self.refrac.clone_from(&old.refrac);
        if let (Some(new), Some(old)) = (self.single.as_deref_mut(), old.single.as_deref()) {
            new.refrac.clone_from(&old.refrac);
        }
    }

    fn validate(params: &IfCurrExpParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &IfCurrExpParams, n: usize, ctx: super::Build<'_>) -> Result<Self> {
        let mut m = IfCurrExp::new(params, n, ctx.dt_ms)?;
        if !ctx.per_neuron.is_empty() {
            let each = super::per_neuron_consts(
                params,
                n,
                &ctx,
                "params",
                IfCurrExpParams::validate,
                |p| CurrConsts::of(p, ctx.dt_ms),
            )?;
            m.v = each.iter().map(|(p, _)| p.v_rest).collect();
            let consts: Vec<CurrConsts> = each.into_iter().map(|(_, c)| c).collect();
            m.lanes = Some(CurrLanes::of(&consts));
        }
        Ok(match ctx.precision {
            Precision::F64 => m,
            Precision::F32 => m.into_f32(),
        })
    }
}

impl NeuronModel for IfCurrExp {
    fn len(&self) -> usize {
        match &self.single {
            None => self.v.len(),
            Some(s) => s.len(),
        }
    }

    fn receptors(&self) -> &'static [Receptor] {
        CURR_RECEPTORS
    }

    fn state_names(&self) -> &'static [&'static str] {
        CURR_STATE
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        if self.single.is_some() {
            return None; // `values`
        }
        match name {
            "v" => Some(&self.v),
            "i_exc" => Some(&self.i_exc),
            "i_inh" => Some(&self.i_inh),
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
            _ => None,
        }
    }

    fn step(&mut self, _syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        let lanes = self.lanes.take();
        let c = self.c;
        let step = Step {
            m: self,
            current,
            spikes,
        };
        match lanes {
            None => step.visit(&c),
            Some(lanes) => self.lanes = Some(lanes.visit(step).0),
        }
    }

    fn receptor_state(&mut self, r: usize) -> Option<&mut [f64]> {
        if self.single.is_some() {
            return None; // `receptor_values`
        }
        match r {
            0 => Some(&mut self.i_exc),
            1 => Some(&mut self.i_inh),
            _ => None,
        }
    }

    super::single::f32_state_access!(CURR_STATE);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spiking::neuron::testing::step_with;

    /// The AVX-512 copy that `step` runs where the CPU has it gives the same results as the
    /// AVX2 body (on a CPU without AVX-512 both sides run the same code).
    #[test]
    fn avx512_copy_is_bit_identical() {
        use rand::{Rng as _, SeedableRng as _};
        let mut rng = crate::rng::Rng::seed_from_u64(11);
        let n = 1037; // several blocks and a remainder
        let mut a = IfCurrExp::new(&IfCurrExpParams::default(), n, 0.1).unwrap();
        let mut b = a.clone();
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        for _ in 0..300 {
            let current: Vec<f64> = (0..n).map(|_| rng.random_range(1.0..4.0)).collect();
            a.step(&mut [], &current, &mut sa);
            let c = b.c;
            b.update::<true, _>(&c, &current, &mut sb);
        }
        assert_eq!(sa, sb);
        assert!(sa.len() > 1000, "{} spikes", sa.len());
        assert!(a == b);
        // per-neuron constants (the lanes instantiation)
        let tau: Vec<f64> = (0..n).map(|i| 10.0 + 0.01 * i as f64).collect();
        let per = [("tau_m".to_string(), tau)];
        let ctx = super::super::Build {
            dt_ms: 0.1,
            offset: 0,
            rng: crate::rng::component(1, crate::rng::Stream::Poisson, 0),
            per_neuron: &per,
            precision: Default::default(),
        };
        let mut a =
            <IfCurrExp as super::super::BuiltinModel>::build(&Default::default(), n, ctx).unwrap();
        let mut b = a.clone();
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        for _ in 0..300 {
            let current: Vec<f64> = (0..n).map(|_| rng.random_range(1.0..4.0)).collect();
            a.step(&mut [], &current, &mut sa);
            let lanes = b.lanes.take().unwrap();
            b.update::<true, _>(&lanes, &current, &mut sb);
            b.lanes = Some(lanes);
        }
        assert_eq!(sa, sb);
        assert!(sa.len() > 1000, "{} spikes", sa.len());
        assert!(a == b);
    }

    /// Per-neuron parameters (every one of them, each neuron its own values) give each neuron
    /// the bits of a one-neuron population with its parameters; equal per-neuron values give
    /// the plain model's bits through the lanes.
    #[test]
    fn per_neuron_parameters_equal_separate_populations() {
        use crate::spiking::neuron::testing::{per_neuron_equals_one_neuron_populations, Drive};
        use crate::spiking::neuron::{ModelSpec, Neurons};
        let n = 120;
        let f = |a: f64, b: f64| (0..n).map(|i| a + b * i as f64).collect::<Vec<f64>>();
        let per = [
            ("cm", f(0.5, 0.005)),
            ("tau_m", f(10.0, 0.1)),
            ("tau_refrac", f(0.0, 0.05)),
            ("tau_syn_E", f(2.0, 0.05)),
            ("tau_syn_I", f(5.0, 0.05)),
            ("v_rest", f(-66.0, 0.02)),
            ("v_reset", f(-70.0, 0.03)),
            ("v_thresh", f(-52.0, 0.02)),
            ("i_offset", f(0.6, 0.004)),
        ];
        let drive = Drive {
            dt: 0.1,
            steps: 3000,
            current: (0.0, 0.8),
            syn: &[1.0, 0.3],
        };
        let spec = ModelSpec::IF_curr_exp(IfCurrExpParams::default());
        let (spikes, lanes) = per_neuron_equals_one_neuron_populations(&spec, &per, &drive);
        assert!(spikes > 1000, "{spikes} spikes");
        let Neurons::IF_curr_exp(m) = lanes else {
            unreachable!()
        };
        assert!(m.lanes.is_some());
        // the initial v is each neuron's v_rest
        let m = crate::spiking::neuron::testing::build(
            &spec,
            n,
            0.1,
            &[("v_rest".into(), f(-66.0, 0.02))],
        );
        assert_eq!(m.state("v").unwrap(), &f(-66.0, 0.02)[..]);
    }

    /// One per-neuron parameter that changes one constant (`i_offset`, `v_thresh`,
    /// `tau_refrac`) runs the one-column update: each neuron gets the bits of a one-neuron
    /// population with its value.
    #[test]
    fn one_differing_constant_runs_the_column_update() {
        use crate::spiking::neuron::lanes::index_of;
        use crate::spiking::neuron::testing::{
            build, per_neuron_equals_one_neuron_populations, Drive,
        };
        use crate::spiking::neuron::{ModelSpec, Neurons};
        let n = 120;
        let f = |a: f64, b: f64| (0..n).map(|i| a + b * i as f64).collect::<Vec<f64>>();
        let drive = Drive {
            dt: 0.1,
            steps: 3000,
            current: (0.0, 0.8),
            syn: &[1.0, 0.3],
        };
        let spec = ModelSpec::IF_curr_exp(IfCurrExpParams::default());
        for (param, values, constant) in [
            ("i_offset", f(0.6, 0.004), "i_offset"),
            ("v_thresh", f(-52.0, 0.02), "v_thresh"),
            ("tau_refrac", f(1.0, 0.05), "nref"),
        ] {
            let per = [(param.to_string(), values)];
            let Neurons::IF_curr_exp(m) = build(&spec, n, 0.1, &per) else {
                unreachable!()
            };
            let mask = m.lanes.as_ref().expect("per-neuron lanes").mask;
            assert_eq!(mask, 1 << index_of(CurrLanes::NAMES, constant), "{param}");
            let [(_, values)] = per;
            let (spikes, _) =
                per_neuron_equals_one_neuron_populations(&spec, &[(param, values)], &drive);
            assert!(spikes > 1000, "{param}: {spikes} spikes");
        }
    }

    /// Run `steps` steps of a one-neuron model without input and return the spike steps.
    fn spike_steps(model: &mut dyn NeuronModel, steps: usize) -> Vec<usize> {
        let mut syn = vec![0.0; model.len() * model.receptors().len()];
        let mut spikes = Vec::new();
        let mut out = Vec::new();
        for s in 0..steps {
            spikes.clear();
            step_with(model, &mut syn, &[], &mut spikes);
            if !spikes.is_empty() {
                out.push(s);
            }
        }
        out
    }

    /// Exact integration: with a constant current the membrane reaches threshold at the first
    /// step after the continuous crossing time T = τ ln((v∞ − v_reset)/(v∞ − θ)), so every ISI
    /// is exactly round(τ_ref/dt) + ceil(T/dt) steps.
    #[test]
    fn curr_exp_constant_current_isi_matches_closed_form() {
        let params = IfCurrExpParams {
            cm: 0.25,
            tau_m: 10.0,
            tau_refrac: 2.0,
            v_rest: -65.0,
            v_reset: -70.0,
            v_thresh: -50.0,
            i_offset: 0.5, // v∞ = −65 + 0.5 · 10 / 0.25 = −45 mV
            ..Default::default()
        };
        let dt = 0.1;
        let mut lif = IfCurrExp::new(&params, 1, dt).unwrap();
        lif.v[0] = params.v_reset;
        let times = spike_steps(&mut lif, 10_000);
        let t_cross = 10.0 * (25.0f64 / 5.0).ln(); // 16.094 ms
        let isi_steps = 20 + (t_cross / dt).ceil() as usize;
        assert_eq!(times[0] + 1, (t_cross / dt).ceil() as usize);
        assert!(times.len() > 10);
        for w in times.windows(2) {
            assert_eq!(w[1] - w[0], isi_steps);
        }
    }

    #[test]
    fn curr_exp_current_jump_decays_exactly() {
        let params = IfCurrExpParams {
            tau_syn_E: 5.0,
            tau_syn_I: 10.0,
            ..Default::default()
        };
        let mut lif = IfCurrExp::new(&params, 2, 0.1).unwrap();
        let mut syn = vec![0.3, 0.0, 0.0, -0.2];
        let mut spikes = Vec::new();
        step_with(&mut lif, &mut syn, &[], &mut spikes);
        assert_eq!(syn, vec![0.0; 4]);
        for _ in 0..49 {
            step_with(&mut lif, &mut syn, &[], &mut spikes);
        }
        assert!((lif.i_exc[0] - 0.3 * (-1.0f64).exp()).abs() < 1e-15);
        assert!((lif.i_inh[1] + 0.2 * (-0.5f64).exp()).abs() < 1e-15);
        assert!(spikes.is_empty());
    }

    /// The PSP of one current jump w at rest, v(t) − v_rest = w/cm · τmτs/(τm − τs) ·
    /// (e^{−t/τm} − e^{−t/τs}) (or w t e^{−t/τ}/cm when τs = τm), is reproduced at every step
    /// to rounding, and its sampled peak matches the closed-form peak.
    #[test]
    fn curr_exp_psp_matches_closed_form() {
        for (tau_m, tau_s) in [(20.0, 5.0), (10.0, 10.0), (5.0, 8.0)] {
            let params = IfCurrExpParams {
                tau_m,
                tau_syn_E: tau_s,
                cm: 0.5,
                ..Default::default()
            };
            let (w, dt) = (0.2, 0.01);
            let mut lif = IfCurrExp::new(&params, 1, dt).unwrap();
            let mut syn = vec![w, 0.0];
            let mut spikes = Vec::new();
            let psp = |t: f64| {
                if tau_m == tau_s {
                    w / 0.5 * t * (-t / tau_m).exp()
                } else {
                    w / 0.5 * tau_m * tau_s / (tau_m - tau_s)
                        * ((-t / tau_m).exp() - (-t / tau_s).exp())
                }
            };
            let mut peak: f64 = 0.0;
            for k in 1..=10_000 {
                step_with(&mut lif, &mut syn, &[], &mut spikes);
                let dv = lif.v[0] - params.v_rest;
                assert!(
                    (dv - psp(k as f64 * dt)).abs() < 1e-12,
                    "τm {tau_m} τs {tau_s} k {k}"
                );
                peak = peak.max(dv);
            }
            let t_peak = if tau_m == tau_s {
                tau_m
            } else {
                tau_m * tau_s / (tau_m - tau_s) * (tau_m / tau_s).ln()
            };
            // the peak is flat: sampling within dt/2 of t_peak costs O(dt²)
            assert!(
                (peak - psp(t_peak)).abs() < 1e-6,
                "{peak} vs {}",
                psp(t_peak)
            );
            assert!(spikes.is_empty());
        }
    }

    #[test]
    fn curr_exp_refractory_holds_v_while_currents_decay() {
        let params = IfCurrExpParams {
            tau_refrac: 0.5,
            ..Default::default()
        };
        let mut lif = IfCurrExp::new(&params, 1, 0.1).unwrap();
        let mut spikes = Vec::new();
        lif.v[0] = -49.0;
        lif.step(&mut [0.0, 0.0], &[0.75], &mut spikes);
        assert_eq!(spikes, vec![0]);
        for _ in 0..5 {
            spikes.clear();
            step_with(&mut lif, &mut [5.0, 0.0], &[0.0], &mut spikes);
            assert_eq!(lif.v[0], -65.0);
        }
        lif.step(&mut [0.0, 0.0], &[0.0], &mut spikes);
        assert!(lif.v[0] > -65.0);
    }
}
