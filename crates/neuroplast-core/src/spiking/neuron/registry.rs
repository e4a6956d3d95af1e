//! The machinery behind the one list of neuron models ([`super::models!`] in `neuron/mod.rs`).
//!
//! A model is a type that implements [`NeuronModel`] (the step) and [`BuiltinModel`] (its
//! parameters, their check, and how `n` neurons of it are built). The `models!` list turns
//! every line `Name => Type` into a variant of [`ModelSpec`](super::ModelSpec) (what
//! experiment files and the builder name: `model = "Name"`, `params = { … }`) and of
//! [`Neurons`](super::Neurons) (the built shard), with one `match` per shard and step as the
//! dispatch. Names, docs tables and the "every model has a test" check all read the same
//! list ([`ModelSpec::NAMES`](super::ModelSpec::NAMES), [`ModelSpec::SUMMARIES`](super::ModelSpec::SUMMARIES)).

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{ModelSpec, NeuronModel, Precision};
use crate::rng::Rng;
use crate::{Error, Result};

/// What building one shard of a model gets besides the parameters.
pub struct Build<'a> {
    /// Time step, ms.
    pub dt_ms: f64,
    /// Index of the shard's first neuron in its population.
    pub offset: usize,
    /// The shard's own random stream (Poisson sources, noise).
    pub rng: Rng,
    /// Per-neuron values of parameters, already cut to this shard's neurons: `(name, values)`
    /// with `values.len()` = the shard's size. Names are checked against
    /// [`ParamTable::NAMES`] before any model is built.
    pub per_neuron: &'a [(String, Vec<f64>)],
    /// The precision of the state arrays: [`Precision::F64`](super::Precision::F64) unless
    /// the population asked for `f32` (only for models with [`BuiltinModel::F32`]).
    pub precision: Precision,
}

/// A built-in neuron model: what the registry needs besides the step.
pub trait BuiltinModel: NeuronModel + Sized {
    /// The parameters, as written in experiment files (serde; `Default` = the published or
    /// PyNN default values).
    type Params: ParamTable
        + Clone
        + Default
        + PartialEq
        + std::fmt::Debug
        + Serialize
        + DeserializeOwned;

    /// `true` for a model that can keep its state in `f32` (`precision = "f32"` on a
    /// population; [`Build::precision`] then says which to build). Default: `f64` only.
    const F32: bool = false;

    /// Check the parameters; errors name `{path}.{key}`.
    fn validate(params: &Self::Params, path: &str) -> Result<()>;

    /// `n` neurons of one shard, at their initial state.
    fn build(params: &Self::Params, n: usize, ctx: Build<'_>) -> Result<Self>;

    /// The name populations of these parameters report, when it is not the registry's name
    /// (equation models report their own). Default: the registry's.
    fn name_of(params: &Self::Params) -> Option<&'static str> {
        let _ = params;
        None
    }

    /// Take over the state of `old`, the same neurons before a parameter change (`self` was
    /// just built with the new parameters): by default every named state variable; a model
    /// with more state than its named variables (refractory counters, spike flags, a random
    /// stream, a position in a list of spikes) copies that too, so that a run with a change
    /// continues exactly as one whose parameters had those values from that step on.
    fn carry_from(&mut self, old: &Self) {
        carry_named(self, old);
    }
}

/// Copy every named state variable of `old` into `new` (the default of
/// [`BuiltinModel::carry_from`]).
pub fn carry_named<M: NeuronModel>(new: &mut M, old: &M) {
    use super::{StateMut, StateRef};
    for &name in new.state_names() {
        match (old.values(name), new.values_mut(name)) {
            (Some(StateRef::F64(src)), Some(StateMut::F64(dst))) if src.len() == dst.len() => {
                dst.copy_from_slice(src);
            }
            (Some(StateRef::F32(src)), Some(StateMut::F32(dst))) if src.len() == dst.len() => {
                dst.copy_from_slice(src);
            }
            _ => {}
        }
    }
}

/// The numeric parameters of a model by name, so that each can be given per neuron.
/// Implemented with [`param_table!`](crate::param_table).
pub trait ParamTable {
    /// Names of the parameters that can differ between neurons.
    const NAMES: &'static [&'static str];
    /// The names of this value's parameters that can differ between neurons: [`NAMES`](Self::NAMES)
    /// for a built-in, the model's own for an equation model.
    fn names(&self) -> &[&'static str] {
        Self::NAMES
    }
    /// The value of parameter `name`.
    fn get(&self, name: &str) -> Option<f64>;
    /// Set parameter `name`; `false` if there is none of that name.
    fn set(&mut self, name: &str, value: f64) -> bool;
}

/// Implements [`ParamTable`] for a parameter struct from the list of its `f64` fields that may
/// differ between neurons: `param_table!(IfCondExpParams { cm, tau_m, … });`.
#[macro_export]
macro_rules! param_table {
    ($ty:ty { $($field:ident),* $(,)? }) => {
        impl $crate::spiking::neuron::ParamTable for $ty {
            const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];
            fn get(&self, name: &str) -> Option<f64> {
                match name {
                    $(stringify!($field) => Some(self.$field),)*
                    _ => None,
                }
            }
            fn set(&mut self, name: &str, value: f64) -> bool {
                let _ = value; // unused when the list is empty
                match name {
                    $(stringify!($field) => {
                        self.$field = value;
                        true
                    })*
                    _ => false,
                }
            }
        }
    };
}

/// The parameters of every neuron of a shard: `base` with the per-neuron values of neuron
/// `i` applied, for `i` in `0..n`. Each is checked with `validate` (errors name the neuron:
/// `{path}.{name}[{offset + i}]` when a per-neuron value is the cause).
pub fn per_neuron<P: ParamTable + Clone>(
    base: &P,
    n: usize,
    ctx: &Build<'_>,
    path: &str,
    validate: impl Fn(&P, &str) -> Result<()>,
) -> Result<Vec<P>> {
    let each = per_neuron_consts(base, n, ctx, path, validate, |_| Ok(()))?;
    Ok(each.into_iter().map(|(p, ())| p).collect())
}

/// [`per_neuron`], and the constants of each neuron's update derived from its parameters
/// with `derive` (which may fail too, e.g. a refractory period shorter than half a step;
/// its errors are named like `validate`'s): `(parameters, constants)` of every neuron.
pub fn per_neuron_consts<P: ParamTable + Clone, C>(
    base: &P,
    n: usize,
    ctx: &Build<'_>,
    path: &str,
    validate: impl Fn(&P, &str) -> Result<()>,
    derive: impl Fn(&P) -> Result<C>,
) -> Result<Vec<(P, C)>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut p = base.clone();
        for (name, values) in ctx.per_neuron {
            p.set(name, values[i]);
        }
        match validate(&p, path).and_then(|()| derive(&p)) {
            Ok(c) => out.push((p, c)),
            Err(e) => return Err(name_the_neuron(e, ctx, i)),
        }
    }
    Ok(out)
}

impl ModelSpec {
    /// Check that the model can keep its state in `precision`; the error names `path` (the
    /// population's `precision` key) and the models that can.
    pub fn check_precision(&self, precision: Precision, path: &str) -> crate::Result<()> {
        crate::ensure!(
            precision == Precision::F64 || self.has_f32(),
            path,
            "{} runs in f64 only; \"f32\" is available for: {}",
            self.name(),
            ModelSpec::names_with_f32()
                .iter()
                .map(|&m| if m == "equations" {
                    "equation models"
                } else {
                    m
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(())
    }
}

/// An error about the parameters of neuron `i` of the shard: when its key is a parameter
/// given per neuron, the key gets the neuron's index and the message its value.
fn name_the_neuron(e: Error, ctx: &Build<'_>, i: usize) -> Error {
    match e {
        Error::Config { path: at, msg } => {
            let named = ctx
                .per_neuron
                .iter()
                .find(|(name, _)| at.ends_with(&format!(".{name}")));
            match named {
                Some((name, values)) => Error::config(
                    format!("{at}[{}]", ctx.offset + i),
                    format!("{msg} (the per-neuron value of {name} is {})", values[i]),
                ),
                None => Error::config(at, msg),
            }
        }
        other => other,
    }
}

/// Declares the one list of neuron models: `Name => Type` (a type of a module declared by
/// hand) or `Name => Type in file` (the model's own file `neuron/file.rs`: the line declares
/// the module and re-exports its public items, so adding a model is that file and that line),
/// each line with a `///` summary (the docs table's text). Generates
/// [`ModelSpec`](super::ModelSpec), [`Neurons`](super::Neurons) and the per-shard dispatch.
macro_rules! models {
    ($( #[doc = $doc:literal] $name:ident => $ty:ident $(in $module:ident)? ),* $(,)?) => {
        $($(
            pub mod $module;
            pub use $module::*;
        )?)*

        /// A neuron model with its parameters: what a population is made of. In experiment
        /// files, `model = "<name>"` and `params = { … }` (serde: adjacently tagged). One
        /// variant per line of the `models!` list.
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "model", content = "params", deny_unknown_fields)]
        #[allow(non_camel_case_types)] // reason: the variants are PyNN's model names
        pub enum ModelSpec {
            $( #[doc = $doc] $name(<$ty as $crate::spiking::neuron::BuiltinModel>::Params), )*
        }

        impl ModelSpec {
            /// Every model name, in list order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];

            /// `(name, one-line summary)` of every model, in list order.
            pub const SUMMARIES: &'static [(&'static str, &'static str)] =
                &[$((stringify!($name), $doc.trim_ascii())),*];

            /// The model's name as written in experiment files (an equation model's own name).
            pub fn name(&self) -> &'static str {
                match self {
                    $(ModelSpec::$name(p) => <$ty as $crate::spiking::neuron::BuiltinModel>::name_of(p).unwrap_or(stringify!($name)),)*
                }
            }

            /// Model `name` with its default parameters; `None` for a name not in
            /// [`NAMES`](Self::NAMES).
            pub fn default_of(name: &str) -> Option<ModelSpec> {
                match name {
                    $(stringify!($name) => Some(ModelSpec::$name(Default::default())),)*
                    _ => None,
                }
            }

            /// Check the parameters; `path` is the parameter table's key path.
            pub fn validate(&self, path: &str) -> $crate::Result<()> {
                match self {
                    $(ModelSpec::$name(p) => <$ty as $crate::spiking::neuron::BuiltinModel>::validate(p, path),)*
                }
            }

            /// Names of the parameters that can be given per neuron.
            pub fn per_neuron_params(&self) -> &[&'static str] {
                match self {
                    $(ModelSpec::$name(p) => $crate::spiking::neuron::ParamTable::names(p),)*
                }
            }

            /// The value of parameter `name` (one of [`per_neuron_params`](Self::per_neuron_params)).
            pub fn param(&self, name: &str) -> Option<f64> {
                match self {
                    $(ModelSpec::$name(p) => $crate::spiking::neuron::ParamTable::get(p, name),)*
                }
            }

            /// Set parameter `name` for every neuron; `false` if the model has none of that name.
            pub fn set_param(&mut self, name: &str, value: f64) -> bool {
                match self {
                    $(ModelSpec::$name(p) => $crate::spiking::neuron::ParamTable::set(p, name, value),)*
                }
            }

            /// `true` when the model can keep its state in `f32` ([`BuiltinModel::F32`](crate::spiking::neuron::BuiltinModel::F32)).
            pub fn has_f32(&self) -> bool {
                match self {
                    $(ModelSpec::$name(_) => <$ty as $crate::spiking::neuron::BuiltinModel>::F32,)*
                }
            }

            /// The names of the models that can keep their state in `f32`, in list order.
            pub fn names_with_f32() -> Vec<&'static str> {
                let mut out = Vec::new();
                $(if <$ty as $crate::spiking::neuron::BuiltinModel>::F32 {
                    out.push(stringify!($name));
                })*
                out
            }

            /// Check that `other` is this model (any parameters): a parameter change may not
            /// change a population's model.
            pub fn same_model(&self, other: &ModelSpec) -> bool {
                std::mem::discriminant(self) == std::mem::discriminant(other)
                    && self.name() == other.name()
            }

            /// Build `n` neurons of one shard.
            pub fn build(&self, n: usize, ctx: $crate::spiking::neuron::Build<'_>) -> $crate::Result<Neurons> {
                Ok(match self {
                    $(ModelSpec::$name(p) => Neurons::$name(<$ty as $crate::spiking::neuron::BuiltinModel>::build(p, n, ctx)?),)*
                })
            }
        }

        /// The neurons of one shard, one variant per model; one `match` per shard and step.
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[allow(non_camel_case_types)] // reason: the variants are the models' names
        // One value per shard of up to 1024 neurons, whose arrays live on the heap anyway:
        // the size difference between variants costs nothing, a box would cost an indirection.
        #[allow(clippy::large_enum_variant)]
        pub enum Neurons {
            $( #[doc = $doc] $name($ty), )*
        }

        impl Neurons {
            /// Take over the state of `old` (the same model before a parameter change; see
            /// [`BuiltinModel::carry_from`](crate::spiking::neuron::BuiltinModel::carry_from)).
            /// `false` when `old` is another model (nothing copied).
            pub fn carry_from(&mut self, old: &Neurons) -> bool {
                match (self, old) {
                    $((Neurons::$name(new), Neurons::$name(old)) => {
                        <$ty as $crate::spiking::neuron::BuiltinModel>::carry_from(new, old);
                        true
                    })*
                    #[allow(unreachable_patterns)] // reason: one model would make the arm dead
                    _ => false,
                }
            }
        }

        impl NeuronModel for Neurons {
            fn len(&self) -> usize {
                match self { $(Neurons::$name(m) => m.len(),)* }
            }
            fn receptors(&self) -> &'static [Receptor] {
                match self { $(Neurons::$name(m) => m.receptors(),)* }
            }
            fn state_names(&self) -> &'static [&'static str] {
                match self { $(Neurons::$name(m) => m.state_names(),)* }
            }
            fn state(&self, name: &str) -> Option<&[f64]> {
                match self { $(Neurons::$name(m) => m.state(name),)* }
            }
            fn state_mut(&mut self, name: &str) -> Option<&mut [f64]> {
                match self { $(Neurons::$name(m) => m.state_mut(name),)* }
            }
            fn state_min(&self, name: &str) -> Option<f64> {
                match self { $(Neurons::$name(m) => m.state_min(name),)* }
            }
            fn init_derived(&mut self, given: &[&str]) {
                match self { $(Neurons::$name(m) => m.init_derived(given),)* }
            }
            fn step(&mut self, syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
                match self { $(Neurons::$name(m) => m.step(syn, current, spikes),)* }
            }
            fn receptor_state(&mut self, r: usize) -> Option<&mut [f64]> {
                match self { $(Neurons::$name(m) => m.receptor_state(r),)* }
            }
            fn precision(&self) -> $crate::spiking::neuron::Precision {
                match self { $(Neurons::$name(m) => m.precision(),)* }
            }
            fn values(&self, name: &str) -> Option<$crate::spiking::neuron::StateRef<'_>> {
                match self { $(Neurons::$name(m) => m.values(name),)* }
            }
            fn values_mut(&mut self, name: &str) -> Option<$crate::spiking::neuron::StateMut<'_>> {
                match self { $(Neurons::$name(m) => m.values_mut(name),)* }
            }
            fn receptor_values(&mut self, r: usize) -> Option<$crate::spiking::neuron::StateMut<'_>> {
                match self { $(Neurons::$name(m) => m.receptor_values(r),)* }
            }
        }
    };
}
pub(crate) use models;
