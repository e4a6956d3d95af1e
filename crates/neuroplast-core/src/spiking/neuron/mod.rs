//! Neuron models for spiking networks.
//!
//! Every model lives in one file and follows the same shape (see `STYLE.md`):
//!
//! * `<Model>Params`: serde, `Default` = the published / PyNN default values, `validate()`
//!   returning [`Error::Config`](crate::Error::Config) with the key path, and
//!   [`param_table!`](crate::param_table) naming the numeric parameters that can differ
//!   between neurons;
//! * `<Model>`: parameters, precomputed constants and the state as structure of arrays
//!   (`Vec<f64>` per variable);
//! * an `impl` of [`NeuronModel`] (one `step` for the whole population, or one shard of it)
//!   and of [`BuiltinModel`] (check and build);
//! * one line in the `models!` list below, `Name => Type in file`, which declares
//!   the file's module, re-exports its public items and makes the model's name usable in
//!   experiment files, the builder, the docs table and the tests that enumerate the registry
//!   (older files holding two models are declared by hand and listed as `Name => Type`).
//!
//! Units are PyNN's: ms, mV, nA, nF, µS (so µS × mV = nA and nA / nF = mV/ms). A model that
//! reproduces another code's numbers (Neurapse, spnet, ANNarchy) says so in its `//!` doc and
//! names the switch that selects that behaviour.
//!
//! ## Inputs of one step
//!
//! * `syn`: spike-driven increments delivered this step, interleaved by neuron:
//!   `syn[i * R + r]` is receptor `r` of neuron `i`, `R = receptors().len()`. What an increment
//!   means depends on the receptor's [`ReceptorKind`]. The model **reads and zeroes** `syn`.
//! * `current`: external current in nA for this step (current sources, kernel synapses), one per
//!   neuron, or an empty slice meaning "no external current".
//!
//! The model appends the *local* indices of the neurons that spike in this step to `spikes`,
//! in increasing order.

pub mod adex;
pub mod hh;
pub mod izhikevich;
mod izhikevich2007;
pub mod lanes;
pub mod lif;
mod registry;
mod single;
pub mod sorf;

use serde::{Deserialize, Serialize};

/// State arrays at the population's precision (`precision = "f32"`): what
/// [`NeuronModel::values`] and friends return.
pub use crate::lang::{Precision, StateMut, StateRef};
pub use crate::refractory::RefractoryRule;
pub use adex::{AdEx, AdExParams, ResetSemantics};
pub use hh::{HhCondExp, HhCondExpParams, HhIntegrator, HodgkinHuxley, HodgkinHuxleyParams};
pub use izhikevich::{
    Izhikevich, Izhikevich2007, Izhikevich2007Params, IzhikevichIntegrator, IzhikevichParams,
};
pub use lif::{IfCondExp, IfCondExpParams};
pub use registry::{carry_named, per_neuron, per_neuron_consts, Build, BuiltinModel, ParamTable};
pub use sorf::{Sorf, SorfParams};

use super::source::{PoissonSource, SpikeArraySource};
use registry::models;

models! {
    /// Conductance-based LIF (PyNN `IF_cond_exp`).
    IF_cond_exp => IfCondExp,
    /// Conductance-based LIF with alpha-shaped synaptic conductances (PyNN `IF_cond_alpha`).
    IF_cond_alpha => IfCondAlpha in if_cond_alpha,
    /// Current-based LIF with exponential synaptic currents (PyNN `IF_curr_exp`).
    IF_curr_exp => IfCurrExp in if_curr_exp,
    /// Current-based LIF with alpha-shaped synaptic currents, exact integration (PyNN `IF_curr_alpha`).
    IF_curr_alpha => IfCurrAlpha in if_curr_alpha,
    /// The LIF of the Neurapse course library (Heun update, marker value, refractory reset).
    LIF_neurapse => LifNeurapse in lif_neurapse,
    /// Adaptive exponential integrate-and-fire (PyNN `EIF_cond_exp_isfa_ista`).
    EIF_cond_exp_isfa_ista => AdEx,
    /// Izhikevich 2003 "simple model" (PyNN `Izhikevich`), per-neuron a, b, c, d.
    Izhikevich => Izhikevich,
    /// Izhikevich 2007 form (C, k, v_r, v_t, v_peak, a, b, c, d) with Neurapse's semantics.
    Izhikevich2007 => Izhikevich2007,
    /// Classic Hodgkin–Huxley squid axon.
    HH_squid => HodgkinHuxley,
    /// Traub-style Hodgkin–Huxley with exponential conductances (PyNN `HH_cond_exp`).
    HH_cond_exp => HhCondExp,
    /// A model written as equations: `model = "<name>"` with a `[models.<name>]` table (Brian2 or ANNarchy syntax; docs/model-language.md).
    equations => EquationModel in equations,
    /// Carlson et al. 2013 SORF neuron: conductance Izhikevich with AMPA, NMDA, GABA_A, GABA_B.
    SORF => Sorf,
    /// Poisson spike trains (PyNN `SpikeSourcePoisson`).
    SpikeSourcePoisson => PoissonSource,
    /// Explicit spike times (PyNN `SpikeSourceArray`).
    SpikeSourceArray => SpikeArraySource,
}

/// How a receptor turns a delivered weight into an effect on the neuron.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceptorKind {
    /// A synaptic current with the model's time course; a spike of weight `w` nA adds `w` to
    /// an exponentially decaying current, or gives an alpha-shaped current peaking at `w`.
    Current,
    /// A synaptic conductance with the model's time course; a spike of weight `w` µS adds `w`
    /// to an exponentially decaying conductance, or gives an alpha-shaped one peaking at `w`.
    Conductance,
    /// A current `w` (model units) that acts during the next integration step only
    /// (Izhikevich 2003/2006: `I += w`, then `I` is cleared).
    Instant,
    /// The membrane potential jumps by `w` mV.
    VoltageJump,
    /// `w` is added to the model's state variable of the receptor's name, in that variable's
    /// unit (equation models: Brian2's `ge += w`, ANNarchy's `g_target += w`).
    Variable,
}

/// One input channel of a neuron model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receptor {
    /// Name used in experiment files (`receptor = "excitatory"`).
    pub name: &'static str,
    /// What a delivered weight does.
    pub kind: ReceptorKind,
    /// Unit of the weight delivered to this receptor.
    pub weight_unit: &'static str,
}

/// The interface every neuron model implements. Dispatch happens once per population (or
/// shard) per step, never per neuron.
pub trait NeuronModel {
    /// Number of neurons.
    fn len(&self) -> usize;

    /// `true` when the population is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The receptors, in the order of the interleaved `syn` buffer.
    fn receptors(&self) -> &'static [Receptor];

    /// Names of the per-neuron arrays that can be recorded and initialised (`v`, `g_exc`, …).
    fn state_names(&self) -> &'static [&'static str];

    /// A per-neuron array by name (see [`state_names`](Self::state_names)).
    fn state(&self, name: &str) -> Option<&[f64]>;

    /// A per-neuron array by name, for initialisation.
    fn state_mut(&mut self, name: &str) -> Option<&mut [f64]>;

    /// The smallest value state variable `name` may be set to (`None`: any finite value);
    /// checked by `Population::set_state`.
    fn state_min(&self, _name: &str) -> Option<f64> {
        None
    }

    /// Derive the initial values that depend on others after the experiment's `init`
    /// entries were applied; `given` names the variables those entries set (e.g.
    /// Izhikevich's `u = b·v` unless `u` itself was given). Default: nothing to derive.
    fn init_derived(&mut self, given: &[&str]) {
        let _ = given;
    }

    /// Advance every neuron by one time step; see the module docs for `syn` and `current`.
    fn step(&mut self, syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>);

    /// The state array a weight delivered to receptor `r` may be added to directly, for models
    /// whose first act on such an input is plain addition (conductances, synaptic currents).
    /// The network then delivers there and never writes receptor `r` of `syn`; a model that
    /// returns `Some` for every receptor ignores `syn` altogether (its hot loop streams less
    /// memory). Default: `None`, deliver through `syn`.
    fn receptor_state(&mut self, r: usize) -> Option<&mut [f64]> {
        let _ = r;
        None
    }

    /// The precision of the state arrays: `f64` unless the population was built with
    /// `precision = "f32"` (see [`BuiltinModel::F32`]).
    fn precision(&self) -> Precision {
        Precision::F64
    }

    /// State variable `name` at the model's precision: what the network reads (monitors,
    /// `Population::state`, synapse models' neuron reads). Default: [`state`](Self::state).
    /// A model with `f32` state returns `None` from `state` and overrides this.
    fn values(&self, name: &str) -> Option<StateRef<'_>> {
        self.state(name).map(StateRef::F64)
    }

    /// [`values`](Self::values), writable (initial values, `Population::set_state`,
    /// voltage-jump synapses). Default: [`state_mut`](Self::state_mut).
    fn values_mut(&mut self, name: &str) -> Option<StateMut<'_>> {
        self.state_mut(name).map(StateMut::F64)
    }

    /// [`receptor_state`](Self::receptor_state) at the model's precision: where the network
    /// delivers weights of receptor `r`. Default: [`receptor_state`](Self::receptor_state).
    fn receptor_values(&mut self, r: usize) -> Option<StateMut<'_>> {
        self.receptor_state(r).map(StateMut::F64)
    }
}

/// Neurons per block in the blocked update loops: the block's spike flags stay in registers /
/// L1, and a block without spikes (the common case) costs one test.
pub(crate) const BLOCK: usize = 64;

/// Append `base + k` for every neuron of a block that spiked in this step, recognised by its
/// refractory counter having just been set to `nref` (counters of neurons that did not spike
/// are below `nref`: they were decremented or are 0). With `nref = 0` a spike leaves the
/// counter at 0, so the caller must not use this (the LIF models keep at least one step).
#[inline]
pub(crate) fn push_fresh<T: Copy + PartialEq>(
    refrac: &[T],
    nref: T,
    base: usize,
    spikes: &mut Vec<u32>,
) {
    for (k, &r) in refrac.iter().enumerate() {
        if r == nref {
            spikes.push((base + k) as u32);
        }
    }
}

/// [`push_fresh`] with each neuron's own `nref` (per-neuron refractory periods): appends
/// `base + k` for every `k` whose counter equals `nref(k)`. The caller calls it only for a
/// block with a spike (it counts them in its update loop: a compare against a per-neuron
/// value here would not vectorise and cost as much as the update itself).
#[inline(always)]
pub(crate) fn push_fresh_lanes<T: Copy + PartialEq>(
    refrac: &[T],
    nref: impl Fn(usize) -> T,
    base: usize,
    spikes: &mut Vec<u32>,
) {
    for (k, &r) in refrac.iter().enumerate() {
        if r == nref(k) {
            spikes.push((base + k) as u32);
        }
    }
}

/// [`push_fresh_lanes`] over any number of neurons: finds the chunks of `BLOCK` neurons
/// holding a spike by a compare that vectorises, and scans only those.
#[inline(always)]
pub(crate) fn push_fresh_chunks<T: Copy + PartialEq>(
    refrac: &[T],
    nref: impl Fn(usize) -> T,
    base: usize,
    spikes: &mut Vec<u32>,
) {
    for (j, chunk) in refrac.chunks(BLOCK).enumerate() {
        let at = j * BLOCK;
        let any = chunk
            .iter()
            .enumerate()
            .fold(false, |a, (k, &r)| a | (r == nref(at + k)));
        if any {
            push_fresh_lanes(chunk, |k| nref(at + k), base + at, spikes);
        }
    }
}

/// Check that every `(name, value)` is finite; errors name `{path}.{name}`.
pub(crate) fn check_finite(path: &str, values: &[(&str, f64)]) -> crate::Result<()> {
    for &(name, value) in values {
        crate::ensure!(
            value.is_finite(),
            format!("{path}.{name}"),
            "must be finite, got {value}"
        );
    }
    Ok(())
}

/// Check that every `(name, value)` is finite and > 0; errors name `{path}.{name}`.
pub(crate) fn check_positive(path: &str, values: &[(&str, f64)]) -> crate::Result<()> {
    for &(name, value) in values {
        crate::ensure!(
            value.is_finite() && value > 0.0,
            format!("{path}.{name}"),
            "must be a finite number > 0, got {value}"
        );
    }
    Ok(())
}

/// Check that every `(name, value)` is finite and ≥ 0; errors name `{path}.{name}`.
pub(crate) fn check_non_negative(path: &str, values: &[(&str, f64)]) -> crate::Result<()> {
    for &(name, value) in values {
        crate::ensure!(
            value.is_finite() && value >= 0.0,
            format!("{path}.{name}"),
            "must be a finite number ≥ 0, got {value}"
        );
    }
    Ok(())
}

impl RefractoryRule {
    /// The refractory counter a spike sets (the models integrate while it is ≤ 1 and count it
    /// down by one per step; a counter equal to this value marks a spike of this step).
    pub(crate) fn counter(self, tau_refrac: f64, dt_ms: f64) -> crate::Result<f64> {
        let steps = refractory_steps(tau_refrac, dt_ms)?;
        Ok(match self {
            RefractoryRule::Nest => f64::from(steps) + 1.0,
            RefractoryRule::Brian2 => f64::from(steps.max(1)),
        })
    }
}

/// Refractory period in whole steps, rounded to the nearest step; a period > 0 that rounds to
/// 0 steps is an error (it would silently disable refractoriness).
pub(crate) fn refractory_steps(ms: f64, dt_ms: f64) -> crate::Result<u32> {
    let steps = (ms / dt_ms).round().max(0.0);
    crate::ensure!(
        ms <= 0.0 || steps >= 1.0,
        "params.tau_refrac",
        "{ms} ms rounds to 0 steps at dt = {dt_ms} ms, which would mean no refractory period; set 0 for none, or at least half a step"
    );
    Ok(steps as u32)
}

/// Check per-neuron Poisson rates (finite, ≥ 0); errors name `{path}[{offset + i}]`.
pub(crate) fn check_rates(path: &str, rates: &[f64], offset: usize) -> crate::Result<()> {
    match rates.iter().position(|r| !(r.is_finite() && *r >= 0.0)) {
        None => Ok(()),
        Some(i) => Err(crate::Error::config(
            format!("{path}[{}]", offset + i),
            format!("must be a rate ≥ 0 Hz, got {}", rates[i]),
        )),
    }
}

/// Helpers shared by the models' tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Build, ModelSpec, NeuronModel, Neurons};
    use rand::{Rng as _, SeedableRng as _};

    /// Inputs of the per-neuron checks: a random external current in `current` nA (none on
    /// every third step, so both update paths run) and, with probability 0.1 per neuron,
    /// receptor and step, a random weight in `[0, syn[r])` on receptor `r`.
    pub(crate) struct Drive {
        pub(crate) dt: f64,
        pub(crate) steps: usize,
        pub(crate) current: (f64, f64),
        pub(crate) syn: &'static [f64],
    }

    /// `n` neurons of `spec` built with the per-neuron values `per`.
    pub(crate) fn build(
        spec: &ModelSpec,
        n: usize,
        dt: f64,
        per: &[(String, Vec<f64>)],
    ) -> Neurons {
        let ctx = Build {
            dt_ms: dt,
            offset: 0,
            rng: crate::rng::component(1, crate::rng::Stream::Poisson, 0),
            per_neuron: per,
            precision: Default::default(),
        };
        spec.build(n, ctx).unwrap()
    }

    /// Run `models` (each a slice of the same neurons) on the same inputs; returns each
    /// model's spikes as (step, neuron of the whole) and checks nothing.
    fn run(models: &mut [(Neurons, usize)], n: usize, drive: &Drive) -> Vec<(usize, u32)> {
        let mut rng = crate::rng::Rng::seed_from_u64(17);
        let r_n = models[0].0.receptors().len();
        let mut out = Vec::new();
        for t in 0..drive.steps {
            let current: Vec<f64> = if t % 3 == 2 {
                Vec::new()
            } else {
                (0..n)
                    .map(|_| rng.random_range(drive.current.0..drive.current.1))
                    .collect()
            };
            let syn: Vec<f64> = (0..n * r_n)
                .map(|k| {
                    let w = drive.syn[k % r_n];
                    if w > 0.0 && rng.random::<f64>() < 0.1 {
                        rng.random_range(0.0..w)
                    } else {
                        0.0
                    }
                })
                .collect();
            for (m, lo) in models.iter_mut() {
                let len = m.len();
                let mut s = syn[*lo * r_n..(*lo + len) * r_n].to_vec();
                let c = if current.is_empty() {
                    &[][..]
                } else {
                    &current[*lo..*lo + len]
                };
                let mut spikes = Vec::new();
                step_with(m, &mut s, c, &mut spikes);
                out.extend(spikes.iter().map(|&i| (t, *lo as u32 + i)));
            }
        }
        out.sort_unstable();
        out
    }

    /// The bits of every state variable of `m`, by name.
    fn state_bits(m: &Neurons) -> Vec<(&'static str, Vec<u64>)> {
        m.state_names()
            .iter()
            .map(|&s| (s, m.state(s).unwrap().iter().map(|x| x.to_bits()).collect()))
            .collect()
    }

    /// `n` neurons of `spec` whose parameters differ as `per` says give, spike for spike and
    /// bit for bit in every state variable, what `n` one-neuron populations with those
    /// parameters give; `n` neurons with per-neuron values all equal to `spec`'s give the
    /// plain model's bits. Returns (number of spikes, the model built with equal values).
    pub(crate) fn per_neuron_equals_one_neuron_populations(
        spec: &ModelSpec,
        per: &[(&str, Vec<f64>)],
        drive: &Drive,
    ) -> (usize, Neurons) {
        let n = per[0].1.len();
        let owned: Vec<(String, Vec<f64>)> = per
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let mut many = [(build(spec, n, drive.dt, &owned), 0)];
        let mut ones: Vec<(Neurons, usize)> = (0..n)
            .map(|i| {
                let mut s = spec.clone();
                for (name, values) in per {
                    assert!(s.set_param(name, values[i]), "{name}");
                }
                (build(&s, 1, drive.dt, &[]), i)
            })
            .collect();
        let s_many = run(&mut many, n, drive);
        let s_ones = run(&mut ones, n, drive);
        assert_eq!(s_many, s_ones, "{}: spikes", spec.name());
        let bits = state_bits(&many[0].0);
        for (i, (one, _)) in ones.iter().enumerate() {
            for (name, b) in state_bits(one) {
                let all = &bits.iter().find(|(s, _)| *s == name).unwrap().1;
                assert_eq!(b[0], all[i], "{}: {name} of neuron {i}", spec.name());
            }
        }
        // equal per-neuron values: the lanes path with the plain model's numbers
        let equal: Vec<(String, Vec<f64>)> = per
            .iter()
            .map(|(k, _)| (k.to_string(), vec![spec.param(k).unwrap(); n]))
            .collect();
        let mut plain = [(build(spec, n, drive.dt, &[]), 0)];
        let mut lanes = [(build(spec, n, drive.dt, &equal), 0)];
        let s_plain = run(&mut plain, n, drive);
        assert_eq!(
            s_plain,
            run(&mut lanes, n, drive),
            "{}: equal values",
            spec.name()
        );
        assert_eq!(state_bits(&plain[0].0), state_bits(&lanes[0].0));
        let [(lanes, _)] = lanes;
        (s_many.len(), lanes)
    }

    /// Runs `wide` and `single` (the same neurons, `single` with `f32` state) for `steps`
    /// steps with the external current `drive` (nA) and, with probability 0.05 per neuron,
    /// receptor and step, a weight in `[0, w[r])` on receptor `r` (random numbers from
    /// `seed`); a serde copy of `single` taken half-way runs beside it. Checks that `single`
    /// is `f32` (no `f64` state), that the copy keeps the precision and gives `single`'s spikes
    /// at every step, that there are more than 10 spikes per neuron and that each neuron's
    /// spike count is within one of `wide`'s.
    pub(crate) fn f32_follows_f64<M>(
        mut wide: M,
        mut single: M,
        drive: &[f64],
        w: &[f64],
        steps: usize,
        seed: u64,
    ) where
        M: NeuronModel + serde::Serialize + serde::de::DeserializeOwned,
    {
        use super::{Precision, StateRef};
        let (n, r) = (drive.len(), w.len());
        assert_eq!(single.precision(), Precision::F32);
        assert!(single.state("v").is_none() && single.receptor_values(0).is_none());
        let mut rng = crate::rng::Rng::seed_from_u64(seed);
        let (mut a, mut b) = (vec![0usize; n], vec![0usize; n]);
        let mut copy: Option<M> = None;
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        for step in 0..steps {
            let syn: Vec<f64> = (0..n * r)
                .map(|k| {
                    if rng.random_bool(0.05) {
                        rng.random_range(0.0..w[k % r])
                    } else {
                        0.0
                    }
                })
                .collect();
            sa.clear();
            sb.clear();
            single.step(&mut syn.clone(), drive, &mut sa);
            wide.step(&mut syn.clone(), drive, &mut sb);
            if let Some(c) = copy.as_mut() {
                let mut sc = Vec::new();
                c.step(&mut syn.clone(), drive, &mut sc);
                assert_eq!(sc, sa, "the copy, step {step}");
            }
            sa.iter().for_each(|&i| a[i as usize] += 1);
            sb.iter().for_each(|&i| b[i as usize] += 1);
            if step == steps / 2 {
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

    /// What the network does: weights for receptors with a `receptor_state` go there, the
    /// rest through `syn`; then one step.
    pub(crate) fn step_with(
        model: &mut (impl NeuronModel + ?Sized),
        syn: &mut [f64],
        current: &[f64],
        spikes: &mut Vec<u32>,
    ) {
        let r_n = model.receptors().len();
        for r in 0..r_n {
            if let Some(g) = model.receptor_state(r) {
                for (i, x) in g.iter_mut().enumerate() {
                    *x += syn[i * r_n + r];
                    syn[i * r_n + r] = 0.0;
                }
            }
        }
        model.step(syn, current, spikes);
    }
}

#[cfg(test)]
mod refractory_rule_tests {
    use super::testing::build;
    use super::{ModelSpec, NeuronModel, RefractoryRule};

    /// A LIF model of the registry driven so hard that it crosses threshold in the first step
    /// it integrates: its inter-spike interval is exactly the steps it is held plus one.
    fn isis(name: &str, rule: RefractoryRule, tau_refrac: f64) -> Vec<usize> {
        let mut spec = ModelSpec::default_of(name).unwrap();
        match &mut spec {
            ModelSpec::IF_cond_exp(p) => p.refractory = rule,
            ModelSpec::IF_curr_exp(p) => p.refractory = rule,
            ModelSpec::IF_cond_alpha(p) => p.refractory = rule,
            ModelSpec::IF_curr_alpha(p) => p.refractory = rule,
            other => panic!("{} has no refractory rule", other.name()),
        }
        assert!(spec.set_param("tau_refrac", tau_refrac));
        assert!(spec.set_param("i_offset", 400.0));
        let mut m = build(&spec, 1, 0.1, &[]);
        let mut syn = vec![0.0; m.receptors().len()];
        let (mut spikes, mut steps) = (Vec::new(), Vec::new());
        for t in 0..300 {
            spikes.clear();
            m.step(&mut syn, &[], &mut spikes);
            if !spikes.is_empty() {
                steps.push(t);
            }
        }
        steps.windows(2).map(|w| w[1] - w[0]).collect()
    }

    #[test]
    fn nest_holds_r_steps_and_brian2_one_fewer() {
        for name in [
            "IF_cond_exp",
            "IF_curr_exp",
            "IF_cond_alpha",
            "IF_curr_alpha",
        ] {
            // R = round(2 ms / 0.1 ms) = 20: NEST integrates again R + 1 steps after the
            // spike, Brian2 (timestep(t − lastspike) ≥ R) R steps after it.
            let nest = isis(name, RefractoryRule::Nest, 2.0);
            let brian2 = isis(name, RefractoryRule::Brian2, 2.0);
            assert!(
                nest.len() > 5 && nest.iter().all(|&d| d == 21),
                "{name}: {nest:?}"
            );
            assert!(
                brian2.len() > 5 && brian2.iter().all(|&d| d == 20),
                "{name}: {brian2:?}"
            );
            // R = 1: Brian2 is not refractory at all in the next step, NEST holds one step.
            assert!(isis(name, RefractoryRule::Nest, 0.1)
                .iter()
                .all(|&d| d == 2));
            assert!(isis(name, RefractoryRule::Brian2, 0.1)
                .iter()
                .all(|&d| d == 1));
        }
    }
}
