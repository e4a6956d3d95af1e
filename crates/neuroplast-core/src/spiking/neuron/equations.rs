//! Neuron models written as equations: a `[models.<name>]` table of an experiment file (Brian2
//! or ANNarchy syntax, `docs/model-language.md`) used as `model = "<name>"` of a population.
//!
//! The model language ([`crate::lang`]) parses, checks and compiles the table once; each shard
//! of a population is one [`NeuronExec`] (structure of arrays, a chunked interpreter: one
//! dispatch per shard and step like every other model). The seam is the same as a built-in's:
//!
//! * **receptors** are the model's variables that synapses may add to (every variable not
//!   assigned each step: `ge`, `g_exc`, `v`, …), of kind [`ReceptorKind::Variable`]; a weight
//!   delivered to receptor `ge` is added to `ge` before the step (Brian2's `on_pre = "ge +=
//!   w"`, ANNarchy's `g_target += w`), in the variable's unit;
//! * the external **current** (current sources) is the language's `I_ext`, in nA;
//! * **parameters** are the model's: a scalar in `params` overrides the table's value, and
//!   every parameter that is not an ANNarchy `population` parameter may be given per neuron;
//! * `i` counts neurons across shards (the population index), and `rand()` / `xi` draw from
//!   the shard's own stream, so a population gives the same numbers at any thread count.
//!
//! Populations of equation models run in `f64`, or in `f32` with `precision = "f32"`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use super::{
    Build, BuiltinModel, NeuronModel, ParamTable, Receptor, ReceptorKind, StateMut, StateRef,
};
use crate::lang::{NeuronExec, NeuronModelDef, Precision, VarRole};
use crate::{Error, Result};

/// The parameters of a population of an equation model: the model (its name and table) and
/// the values given for its parameters. In an experiment file these come from
/// `[models.<name>]` and the population's `params`; serialised (checkpoints, `ModelSpec` as
/// data) they are `{ name, source, values }`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(try_from = "EquationTable", into = "EquationTable")]
pub struct EquationParams {
    /// Boxed: a model table is large, and `ModelSpec` holds one value of some model.
    table: Box<EquationTable>,
    /// The parsed model (`None` only for the empty default).
    def: Option<Arc<NeuronModelDef>>,
    /// Names of the parameters that may be given per neuron.
    per_neuron: Vec<&'static str>,
}

/// [`EquationParams`] as data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EquationTable {
    /// The model's name (`[models.<name>]`).
    name: String,
    /// The model's table.
    source: crate::lang::ModelSource,
    /// Parameter values that override the table's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    values: BTreeMap<String, f64>,
}

impl TryFrom<EquationTable> for EquationParams {
    type Error = Error;
    fn try_from(table: EquationTable) -> Result<EquationParams> {
        let mut p = EquationParams::new(&table.name, &table.source)?;
        for (k, v) in &table.values {
            if !p.set(k, *v) {
                return Err(p.unknown(&format!("values.{k}"), k));
            }
        }
        Ok(p)
    }
}

impl From<EquationParams> for EquationTable {
    fn from(p: EquationParams) -> EquationTable {
        *p.table
    }
}

impl PartialEq for EquationParams {
    fn eq(&self, other: &Self) -> bool {
        self.table == other.table
    }
}

impl EquationParams {
    /// Model `name` from its table; errors name `models.<name>.<field>` with the line and
    /// column (see [`crate::lang::LangError`]).
    pub fn new(name: &str, source: &crate::lang::ModelSource) -> Result<EquationParams> {
        let def = NeuronModelDef::from_source(name, source)?;
        let per_neuron = def
            .parameters()
            .iter()
            .filter(|p| p.per_neuron)
            .map(|p| intern(&p.name))
            .collect();
        Ok(EquationParams {
            table: Box::new(EquationTable {
                name: name.to_string(),
                source: source.clone(),
                values: BTreeMap::new(),
            }),
            def: Some(Arc::new(def)),
            per_neuron,
        })
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.table.name
    }

    /// The parsed model (`None` for the empty default, which builds nothing).
    pub fn def(&self) -> Option<&NeuronModelDef> {
        self.def.as_deref()
    }

    /// The values given for parameters (the others are the table's).
    pub fn values(&self) -> &BTreeMap<String, f64> {
        &self.table.values
    }

    /// Set parameter `key` to `value` for every neuron; an unknown name is an error at
    /// `path` listing the model's parameters.
    pub fn set_named(&mut self, key: &str, value: f64, path: &str) -> Result<()> {
        if self.set(key, value) {
            Ok(())
        } else {
            Err(self.unknown(path, key))
        }
    }

    fn unknown(&self, path: &str, key: &str) -> Error {
        let names: Vec<String> = self
            .def
            .as_ref()
            .map(|d| d.parameters().into_iter().map(|p| p.name).collect())
            .unwrap_or_default();
        Error::config(
            path,
            format!(
                "`{key}` is not a parameter of model `{}`; its parameters: {}",
                self.table.name,
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ),
        )
    }
}

impl ParamTable for EquationParams {
    const NAMES: &'static [&'static str] = &[];

    fn names(&self) -> &[&'static str] {
        &self.per_neuron
    }

    fn get(&self, name: &str) -> Option<f64> {
        if let Some(v) = self.table.values.get(name) {
            return Some(*v);
        }
        let def = self.def.as_ref()?;
        def.parameters()
            .into_iter()
            .find(|p| p.name == name)
            .map(|p| p.default)
    }

    fn set(&mut self, name: &str, value: f64) -> bool {
        let known = self
            .def
            .as_ref()
            .is_some_and(|d| d.parameters().iter().any(|p| p.name == name));
        if known {
            self.table.values.insert(name.to_string(), value);
        }
        known
    }
}

/// The error of the empty default (a `ModelSpec::equations` without its table).
const NO_TABLE: &str =
    "an equation model needs its table: write `model = \"<name>\"` with a `[models.<name>]` table";

/// A shard of a population of an equation model.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(from = "NeuronExec", into = "NeuronExec")]
pub struct EquationModel {
    exec: NeuronExec,
    receptors: &'static [Receptor],
    states: &'static [&'static str],
    /// The variable of each receptor.
    targets: Vec<usize>,
}

impl PartialEq for EquationModel {
    fn eq(&self, other: &Self) -> bool {
        self.exec.def().source() == other.exec.def().source()
            && self.exec.precision() == other.exec.precision()
            && self.states == other.states
            && self.states.iter().all(|s| self.exec.get(s) == other.exec.get(s))
    }
}

impl From<NeuronExec> for EquationModel {
    fn from(exec: NeuronExec) -> EquationModel {
        let def = exec.def();
        let vars = def.variables();
        let names: Vec<String> = vars.iter().map(|v| v.name.clone()).collect();
        let states = intern_list(&names);
        let mut receptors = Vec::new();
        let mut targets = Vec::new();
        for (k, v) in vars.iter().enumerate() {
            if v.role != VarRole::Assigned {
                receptors.push((v.name.clone(), v.unit.clone()));
                targets.push(k);
            }
        }
        EquationModel {
            receptors: intern_receptors(&receptors),
            states,
            targets,
            exec,
        }
    }
}

impl From<EquationModel> for NeuronExec {
    fn from(m: EquationModel) -> NeuronExec {
        m.exec
    }
}

impl EquationModel {
    /// The shard's executor (its model, program and state).
    pub fn exec(&self) -> &NeuronExec {
        &self.exec
    }
}

impl NeuronModel for EquationModel {
    fn len(&self) -> usize {
        self.exec.len()
    }

    fn receptors(&self) -> &'static [Receptor] {
        self.receptors
    }

    fn state_names(&self) -> &'static [&'static str] {
        self.states
    }

    fn state(&self, name: &str) -> Option<&[f64]> {
        self.exec.state_f64(name)
    }

    fn state_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        self.exec.state_f64_mut(name)
    }

    fn step(&mut self, syn: &mut [f64], current: &[f64], spikes: &mut Vec<u32>) {
        // every receptor is a state array (`receptor_state`), so `syn` is never written
        debug_assert!(syn.iter().all(|&x| x == 0.0));
        self.exec.step(current, spikes);
    }

    fn receptor_state(&mut self, r: usize) -> Option<&mut [f64]> {
        // by index: plastic delivery asks once per synaptic event
        self.exec.var_f64_mut(*self.targets.get(r)?)
    }

    fn precision(&self) -> Precision {
        self.exec.precision()
    }

    fn values(&self, name: &str) -> Option<StateRef<'_>> {
        match self.exec.precision() {
            Precision::F64 => self.exec.state_f64(name).map(StateRef::F64),
            Precision::F32 => self.exec.state_f32(name).map(StateRef::F32),
        }
    }

    fn values_mut(&mut self, name: &str) -> Option<StateMut<'_>> {
        match self.exec.precision() {
            Precision::F64 => self.exec.state_f64_mut(name).map(StateMut::F64),
            Precision::F32 => self.exec.state_f32_mut(name).map(StateMut::F32),
        }
    }

    fn receptor_values(&mut self, r: usize) -> Option<StateMut<'_>> {
        self.exec.var_mut(*self.targets.get(r)?)
    }
}

impl BuiltinModel for EquationModel {
    type Params = EquationParams;

    const F32: bool = true;

    fn carry_from(&mut self, old: &Self) {
        super::carry_named(self, old);
        self.exec.carry_from(&old.exec);
    }

    fn validate(params: &EquationParams, path: &str) -> Result<()> {
        crate::ensure!(params.def.is_some(), path, "{NO_TABLE}");
        for (k, v) in &params.table.values {
            crate::ensure!(
                v.is_finite(),
                format!("{path}.{k}"),
                "must be a finite number, got {v}"
            );
        }
        Ok(())
    }

    fn build(params: &EquationParams, n: usize, ctx: Build<'_>) -> Result<EquationModel> {
        let Some(def) = params.def.as_deref() else {
            return Err(Error::config("model", NO_TABLE));
        };
        if let (Some(red), true) = (def.checked.reductions.first(), ctx.offset > 0) {
            // a reduction sees the shard it runs in: the population must be one shard. The
            // first shard refused is the second, whose offset is the shard size.
            return Err(Error::config(
                "n",
                format!(
                    "model `{}` reads the population reduction {}({}) in its threshold or reset, \
                     which needs the whole population in one piece; allowed: at most {} neurons",
                    params.table.name,
                    red.op.name(),
                    def.checked.vars[red.var as usize].name,
                    ctx.offset
                ),
            ));
        }
        let scalars: Vec<(String, Vec<f64>)> = params
            .table
            .values
            .iter()
            .filter(|(k, _)| !ctx.per_neuron.iter().any(|(p, _)| p == *k))
            .map(|(k, v)| (k.clone(), vec![*v]))
            .collect();
        let given: Vec<(&str, &[f64])> = scalars
            .iter()
            .chain(ctx.per_neuron)
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        let exec = NeuronExec::shard(
            def,
            (n, ctx.offset),
            ctx.dt_ms,
            ctx.precision,
            ctx.rng,
            &given,
        )
        .map_err(|e| {
            // the builder puts `populations.<name>.` in front; the message names the model's
            // field, line and column
            let path = if e.field() == "parameters" {
                "params"
            } else {
                "model"
            };
            Error::config(path, e.to_string())
        })?;
        Ok(EquationModel::from(exec))
    }

    fn name_of(params: &EquationParams) -> Option<&'static str> {
        Some(intern(&params.table.name))
    }
}

// ---- names that live as long as the program --------------------------------------------------

/// The registry's signatures hand out `&'static` names (built-in models' names are literals).
/// An equation model's names are made `'static` once per distinct name or list, so a program
/// that builds many networks of the same models holds each name once.
type Table<K, V> = OnceLock<Mutex<BTreeMap<K, &'static V>>>;

/// The `'static` value of `key` in `table`, leaked by `make` the first time.
fn interned<K: Ord, V: ?Sized>(
    table: &Table<K, V>,
    key: K,
    make: impl FnOnce(&K) -> Box<V>,
) -> &'static V {
    let mut m = table
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(&v) = m.get(&key) {
        return v;
    }
    let v: &'static V = Box::leak(make(&key));
    m.insert(key, v);
    v
}

fn intern(s: &str) -> &'static str {
    static NAMES: Table<String, str> = OnceLock::new();
    interned(&NAMES, s.to_string(), |k| k.clone().into_boxed_str())
}

fn intern_list(names: &[String]) -> &'static [&'static str] {
    static LISTS: Table<Vec<String>, [&'static str]> = OnceLock::new();
    interned(&LISTS, names.to_vec(), |k| k.iter().map(|s| intern(s)).collect())
}

fn intern_receptors(list: &[(String, String)]) -> &'static [Receptor] {
    static LISTS: Table<Vec<(String, String)>, [Receptor]> = OnceLock::new();
    interned(&LISTS, list.to_vec(), |k| {
        k.iter()
            .map(|(name, unit)| Receptor {
                name: intern(name),
                kind: ReceptorKind::Variable,
                weight_unit: intern(if unit.is_empty() { "model units" } else { unit }),
            })
            .collect()
    })
}
