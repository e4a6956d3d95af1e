//! [`NeuronExec`]: one population of an equation-defined neuron model, `f64` or `f32`, with
//! its state read and written by name, synaptic input added to target variables, and
//! checkpoints (the model's text, the parameters set, the state arrays, the random stream).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::lang::checked::VarKind;
use crate::lang::error::{ErrorKind, LangResult};
use crate::lang::float::{Float, Precision, StateMut};
use crate::lang::integrate::BV;
use crate::lang::source::ModelSource;
use crate::rng::Rng;

use super::def::NeuronModelDef;
use super::state::Core;

#[derive(Clone, Debug)]
enum Inner {
    F64(Core<f64>),
    F32(Core<f32>),
}

/// A population of `n` neurons of an equation-defined model: its state (structure of arrays,
/// `f64` or `f32`) and compiled step.
///
/// State is read and written by name: [`get`](Self::get) / [`set`](Self::set) copy as `f64`
/// (any precision), [`state_f64`](Self::state_f64) / [`state_f64_mut`](Self::state_f64_mut)
/// borrow without a copy when the precision is `f64` ([`state_f32`](Self::state_f32) for
/// `f32`). Synaptic input is added straight into target variables with
/// [`target_mut`](Self::target_mut) before [`step`](Self::step).
///
/// ```
/// use neuroplast_core::lang::{ModelSource, NeuronExec, NeuronModelDef, Precision};
/// let mut src = ModelSource::annarchy("tau = 10.0", "tau * dv/dt = -v + g_exc : init=0.0");
/// src.spike = Some("v > 1.0".into());
/// src.reset = Some("v = 0.0".into());
/// let def = NeuronModelDef::from_source("lif", &src).unwrap();
/// let mut pop = NeuronExec::new(&def, 3, 0.1, Precision::F64, neuroplast_core::rng::stream(1, neuroplast_core::rng::Stream::StateInit)).unwrap();
/// let mut spikes = Vec::new();
/// for _ in 0..100 {
///     pop.target_mut("g_exc").unwrap().add(1, 5.0); // neuron 1 gets input every step
///     pop.step(&[], &mut spikes);
/// }
/// assert!(spikes.iter().all(|&i| i == 1) && !spikes.is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct NeuronExec {
    inner: Inner,
}

macro_rules! both {
    ($self:expr, $c:ident => $e:expr) => {
        match &$self.inner {
            Inner::F64($c) => $e,
            Inner::F32($c) => $e,
        }
    };
}

macro_rules! both_mut {
    ($self:expr, $c:ident => $e:expr) => {
        match &mut $self.inner {
            Inner::F64($c) => $e,
            Inner::F32($c) => $e,
        }
    };
}

impl NeuronExec {
    /// A population of `n` neurons of `def` with time step `dt_ms`, in `precision`, drawing
    /// random numbers (`rand()`, `xi`, `init`) from `rng` in neuron order. Initial values come
    /// from `init=` and the `init` field.
    pub fn new(
        def: &NeuronModelDef,
        n: usize,
        dt_ms: f64,
        precision: Precision,
        rng: Rng,
    ) -> LangResult<NeuronExec> {
        Self::with_params(def, n, dt_ms, precision, rng, &[])
    }

    /// As [`new`](Self::new), with parameters set first: each `(name, values)` gives one value
    /// for all neurons or one per neuron.
    pub fn with_params(
        def: &NeuronModelDef,
        n: usize,
        dt_ms: f64,
        precision: Precision,
        rng: Rng,
        params: &[(&str, &[f64])],
    ) -> LangResult<NeuronExec> {
        Self::shard(def, (n, 0), dt_ms, precision, rng, params)
    }

    /// As [`with_params`](Self::with_params), for one shard of a larger population: `(n,
    /// offset)` are the shard's size and the population index of its first neuron, which is
    /// what `i` counts from (per-neuron `params` are the shard's own, `n` values).
    pub fn shard(
        def: &NeuronModelDef,
        (n, offset): (usize, usize),
        dt_ms: f64,
        precision: Precision,
        rng: Rng,
        params: &[(&str, &[f64])],
    ) -> LangResult<NeuronExec> {
        let src = &def.checked.sources;
        if !(dt_ms.is_finite() && dt_ms > 0.0) {
            return Err(src.field_error(
                ErrorKind::Value,
                None,
                format!("dt = {dt_ms} ms"),
                "a finite time step > 0 ms",
            ));
        }
        let mut overrides = BTreeMap::new();
        for (name, values) in params {
            let (k, bv) = param_override(def, name, values, n).map_err(|msg| {
                src.field_error(
                    ErrorKind::Value,
                    Some(crate::lang::span::Field::Parameters),
                    msg.0,
                    msg.1,
                )
            })?;
            overrides.insert(k, bv);
        }
        let def = Arc::new(def.clone());
        let inner = match precision {
            Precision::F64 => Inner::F64(Core::build(def, (n, offset), dt_ms, overrides, rng)?),
            Precision::F32 => Inner::F32(Core::build(def, (n, offset), dt_ms, overrides, rng)?),
        };
        Ok(NeuronExec { inner })
    }

    /// Advance every neuron by one step. `current` is the external current of this step in nA
    /// (system units), one per neuron, or empty (or shorter than the population) for none. Spiking neurons' local indices are
    /// appended to `spikes` in increasing order.
    pub fn step(&mut self, current: &[f64], spikes: &mut Vec<u32>) {
        both_mut!(self, c => c.step(current, spikes))
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        both!(self, c => c.n)
    }

    /// `true` for an empty population.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The model.
    pub fn def(&self) -> &NeuronModelDef {
        both!(self, c => &c.def)
    }

    /// The precision.
    pub fn precision(&self) -> Precision {
        match &self.inner {
            Inner::F64(_) => Precision::F64,
            Inner::F32(_) => Precision::F32,
        }
    }

    /// The time step, ms.
    pub fn dt(&self) -> f64 {
        both!(self, c => c.dt)
    }

    /// Steps run so far.
    pub fn steps(&self) -> u64 {
        both!(self, c => c.step)
    }

    /// Instructions per step (main + reset), for reports.
    pub fn program_len(&self) -> usize {
        both!(self, c => c.no_input.compiled.program.len())
    }

    /// The compiled step, one instruction per line (for reports and the docs' "how execution
    /// works").
    pub fn program_listing(&self) -> String {
        both!(self, c => {
            let p = &c.no_input.compiled;
            let mut out = String::new();
            for ins in &p.program.main {
                out.push_str(&format!("{ins:?}\n"));
            }
            if !p.program.reset.is_empty() {
                out.push_str("-- reset (chunks with a spike):\n");
                for ins in &p.program.reset {
                    out.push_str(&format!("{ins:?}\n"));
                }
            }
            out.push_str(&format!("scalars: {:?}\n", p.consts));
            out
        })
    }

    /// The names of the state variables.
    pub fn state_names(&self) -> Vec<String> {
        self.def()
            .checked
            .vars
            .iter()
            .map(|v| v.name.clone())
            .collect()
    }

    fn var_index(&self, name: &str) -> Option<usize> {
        self.def().checked.vars.iter().position(|v| v.name == name)
    }

    /// Take over `old`'s refractory counters, random stream and step count, as after a
    /// parameter change of a running network (`Network::retune`); the variables are copied
    /// by name. Nothing happens between populations of different precision.
    pub fn carry_from(&mut self, old: &NeuronExec) {
        match (&mut self.inner, &old.inner) {
            (Inner::F64(a), Inner::F64(b)) => a.carry_from(b),
            (Inner::F32(a), Inner::F32(b)) => a.carry_from(b),
            _ => {}
        }
    }

    /// A state variable as `f64` values (a copy).
    pub fn get(&self, name: &str) -> Option<Vec<f64>> {
        let k = self.var_index(name)?;
        Some(both!(self, c => c.arrays[k].iter().map(|x| x.to_f64()).collect()))
    }

    /// Set a state variable (one value for all neurons, or one per neuron).
    pub fn set(&mut self, name: &str, values: &[f64]) -> crate::Result<()> {
        let Some(k) = self.var_index(name) else {
            return Err(crate::Error::config(
                format!("state.{name}"),
                format!(
                    "unknown state variable; allowed: {}",
                    self.state_names().join(", ")
                ),
            ));
        };
        let n = self.len();
        if values.len() != 1 && values.len() != n {
            return Err(crate::Error::ShapeMismatch {
                what: format!("state.{name}"),
                expected: format!("1 or {n} values"),
                got: values.len().to_string(),
            });
        }
        both_mut!(self, c => {
            for (j, x) in c.arrays[k].iter_mut().enumerate() {
                *x = Float::from_f64(values[if values.len() == 1 { 0 } else { j }]);
            }
        });
        Ok(())
    }

    /// A state variable without a copy, when the precision is `f64`.
    pub fn state_f64(&self, name: &str) -> Option<&[f64]> {
        let k = self.var_index(name)?;
        match &self.inner {
            Inner::F64(c) => Some(&c.arrays[k]),
            Inner::F32(_) => None,
        }
    }

    /// A state variable, mutable, when the precision is `f64`.
    pub fn state_f64_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        let k = self.var_index(name)?;
        match &mut self.inner {
            Inner::F64(c) => Some(&mut c.arrays[k]),
            Inner::F32(_) => None,
        }
    }

    /// State variable number `k` (in [`NeuronModelDef::variables`] order), mutable, when the
    /// precision is `f64`: [`state_f64_mut`](Self::state_f64_mut) without the name lookup.
    #[inline]
    pub fn var_f64_mut(&mut self, k: usize) -> Option<&mut [f64]> {
        if k >= self.def().checked.vars.len() {
            return None;
        }
        match &mut self.inner {
            Inner::F64(c) => Some(&mut c.arrays[k]),
            Inner::F32(_) => None,
        }
    }

    /// A state variable without a copy, when the precision is `f32`.
    pub fn state_f32(&self, name: &str) -> Option<&[f32]> {
        let k = self.var_index(name)?;
        match &self.inner {
            Inner::F32(c) => Some(&c.arrays[k]),
            Inner::F64(_) => None,
        }
    }

    /// A state variable, mutable, when the precision is `f32`.
    pub fn state_f32_mut(&mut self, name: &str) -> Option<&mut [f32]> {
        let k = self.var_index(name)?;
        match &mut self.inner {
            Inner::F32(c) => Some(&mut c.arrays[k]),
            Inner::F64(_) => None,
        }
    }

    /// State variable number `k` (in [`NeuronModelDef::variables`] order), mutable, at the
    /// executor's precision.
    #[inline]
    pub fn var_mut(&mut self, k: usize) -> Option<StateMut<'_>> {
        if k >= self.def().checked.vars.len() {
            return None;
        }
        Some(match &mut self.inner {
            Inner::F64(c) => StateMut::F64(&mut c.arrays[k]),
            Inner::F32(c) => StateMut::F32(&mut c.arrays[k]),
        })
    }

    /// The target variable `name` for synaptic input (see [`NeuronModelDef::targets`]).
    pub fn target_mut(&mut self, name: &str) -> Option<StateMut<'_>> {
        let c = &self.def().checked;
        let k = c
            .vars
            .iter()
            .position(|v| v.name == name && v.kind != VarKind::Assigned)?;
        Some(match &mut self.inner {
            Inner::F64(c) => StateMut::F64(&mut c.arrays[k]),
            Inner::F32(c) => StateMut::F32(&mut c.arrays[k]),
        })
    }

    /// Remaining refractory steps of each neuron (empty without a refractory period).
    pub fn refractory(&self) -> Vec<f64> {
        both!(self, c => c.layout.refrac.map_or(Vec::new(), |r| c.arrays[r as usize].iter().map(|x| x.to_f64()).collect()))
    }

    /// A parameter's value(s): one value, or one per neuron when set per neuron.
    pub fn param(&self, name: &str) -> Option<Vec<f64>> {
        let k = self
            .def()
            .checked
            .params
            .iter()
            .position(|p| p.name == name)?;
        Some(both!(self, c => match &c.params[k] {
            BV::S(x) => vec![*x],
            BV::E(xs) => xs.clone(),
        }))
    }

    /// Set a parameter: one value for all neurons, or one per neuron. Parameters defined from
    /// it (`g_leak = cm / tau_m`) follow, and the step is recompiled (a build-time cost, not
    /// a per-step one).
    pub fn set_param(&mut self, name: &str, values: &[f64]) -> crate::Result<()> {
        let n = self.len();
        let (k, bv) = param_override(self.def(), name, values, n).map_err(|(msg, allowed)| {
            crate::Error::config(
                format!("params.{name}"),
                format!("{msg}; allowed: {allowed}"),
            )
        })?;
        let r = both_mut!(self, c => {
            let old = c.overrides.insert(k, bv);
            let r = c.recompile();
            if r.is_err() {
                match old {
                    Some(o) => c.overrides.insert(k, o),
                    None => c.overrides.remove(&k),
                };
                let _ = c.recompile();
            }
            r
        });
        r.map_err(|e| e.into_config(&format!("params.{name}")))
    }
}

fn param_override(
    def: &NeuronModelDef,
    name: &str,
    values: &[f64],
    n: usize,
) -> Result<(usize, BV), (String, String)> {
    let c = &def.checked;
    let Some(k) = c.params.iter().position(|p| p.name == name) else {
        let names: Vec<&str> = c.params.iter().map(|p| p.name.as_str()).collect();
        return Err((
            format!("`{name}` is not a parameter of `{}`", def.name()),
            names.join(", "),
        ));
    };
    if values.iter().any(|x| !x.is_finite()) {
        return Err((format!("`{name}` must be finite"), "finite values".into()));
    }
    match values.len() {
        1 => Ok((k, BV::S(values[0]))),
        m if m == n && !c.params[k].population => Ok((k, BV::E(values.to_vec()))),
        m if m == n => Err((
            format!("`{name}` is a population parameter"),
            "one value".into(),
        )),
        m => Err((
            format!("`{name}` got {m} values"),
            format!("1 or {n} (one per neuron)"),
        )),
    }
}

// ---- checkpoints -----------------------------------------------------------------------------

/// Everything that makes up a [`NeuronExec`], for checkpoints: the model's text (it is
/// rebuilt from it), the parameters that were set, every state array and the random stream.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NeuronSnapshot {
    name: String,
    source: ModelSource,
    n: usize,
    /// Population index of neuron 0 (shards of a network).
    #[serde(default)]
    offset: usize,
    dt: f64,
    precision: Precision,
    params: Vec<(String, Vec<f64>)>,
    /// Variables, then the refractory counter (as `f64`; exact for `f32`).
    state: Vec<Vec<f64>>,
    rng: Rng,
    step: u64,
}

impl Serialize for NeuronExec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let def = self.def();
        let snap = both!(self, c => NeuronSnapshot {
            name: def.name().to_string(),
            source: def.source().clone(),
            n: c.n,
            offset: c.offset,
            dt: c.dt,
            precision: self.precision(),
            params: c.overrides.iter().map(|(k, v)| (def.checked.params[*k].name.clone(), match v {
                BV::S(x) => vec![*x],
                BV::E(xs) => xs.clone(),
            })).collect(),
            state: c.arrays[..c.layout.n_vars + usize::from(c.layout.refrac.is_some())]
                .iter()
                .map(|a| a.iter().map(|x| x.to_f64()).collect())
                .collect(),
            rng: c.rng.clone(),
            step: c.step,
        });
        snap.serialize(s)
    }
}

impl<'de> Deserialize<'de> for NeuronExec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let snap = NeuronSnapshot::deserialize(d)?;
        let def =
            NeuronModelDef::from_source(&snap.name, &snap.source).map_err(D::Error::custom)?;
        let params: Vec<(&str, &[f64])> = snap
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        let mut exec = NeuronExec::shard(
            &def,
            (snap.n, snap.offset),
            snap.dt,
            snap.precision,
            snap.rng.clone(),
            &params,
        )
        .map_err(D::Error::custom)?;
        let ok = both_mut!(exec, c => {
            let keep = c.layout.n_vars + usize::from(c.layout.refrac.is_some());
            if snap.state.len() != keep || snap.state.iter().any(|a| a.len() != c.n) {
                false
            } else {
                for (a, s) in c.arrays.iter_mut().zip(&snap.state) {
                    for (x, &y) in a.iter_mut().zip(s) {
                        *x = Float::from_f64(y);
                    }
                }
                c.rng = snap.rng.clone();
                c.step = snap.step;
                true
            }
        });
        if !ok {
            return Err(D::Error::custom("neuron state does not match the model"));
        }
        Ok(exec)
    }
}
