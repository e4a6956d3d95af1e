//! A neuron model's definition: [`NeuronModelDef`] (parsed, checked, integration planned,
//! once per model), what it tells about itself (parameters, variables, targets), and its
//! parameter values.

use crate::lang::check::check;
use std::collections::BTreeMap;

use crate::lang::checked::{Checked, Target, VarKind};
use crate::lang::error::{ErrorKind, LangResult};
use crate::lang::integrate::{plan, Build, Plan, BV};
use crate::lang::parse::parse_model;
use crate::lang::source::ModelSource;
use crate::lang::span::Syntax;
use crate::lang::units::system_unit;

/// A parameter of a model.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ParamInfo {
    /// Its name.
    pub name: String,
    /// Its default value (in `unit`).
    pub default: f64,
    /// Its unit (`mV`, `ms`, `nA`, … for Brian2; empty for ANNarchy's model units).
    pub unit: String,
    /// Whether it may be set per neuron (ANNarchy `population` parameters may not).
    pub per_neuron: bool,
}

/// What defines a state variable, for listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VarRole {
    /// A differential equation.
    Ode,
    /// Assigned every step (ANNarchy).
    Assigned,
    /// No equation (Brian2 `x : unit`): changed by resets, synapses and `init`.
    Plain,
    /// ANNarchy conductance used but not defined: a receptor target reset every step.
    Implicit,
}

/// A state variable of a model.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct VarInfo {
    /// Its name.
    pub name: String,
    /// Its unit (see [`ParamInfo::unit`]).
    pub unit: String,
    /// What defines it.
    pub role: VarRole,
    /// Its initial value when that is a constant (`init=`; 0 when not given); `None` when the
    /// `init` field sets it by an expression.
    pub initial: Option<f64>,
}

/// A neuron model, parsed and checked (see the module docs).
#[derive(Clone, Debug)]
pub struct NeuronModelDef {
    name: String,
    pub(super) source: ModelSource,
    pub(crate) checked: Checked,
    pub(crate) plan: Plan,
}

impl NeuronModelDef {
    /// Parse, check and plan the integration of neuron model `name`.
    ///
    /// ```
    /// use neuroplast_core::lang::{ModelSource, NeuronModelDef};
    /// let mut src = ModelSource::brian2("dv/dt = (El - v)/tau : volt (unless refractory)");
    /// src.parameters = "El = -65*mV\ntau = 10*ms".into();
    /// src.threshold = Some("v > -50*mV".into());
    /// src.reset = Some("v = El".into());
    /// src.refractory = Some("2*ms".into());
    /// let def = NeuronModelDef::from_source("leaky", &src).unwrap();
    /// assert_eq!(def.parameters()[1].unit, "ms");
    /// ```
    pub fn from_source(name: &str, source: &ModelSource) -> LangResult<NeuronModelDef> {
        let src = source.sources(name, false)?;
        let ast = parse_model(&src)?;
        let checked = check(&src, &ast, false)?;
        let plan = plan(&checked)?;
        if checked.vars.is_empty() {
            return Err(src.field_error(
                ErrorKind::Unsupported,
                Some(crate::lang::span::Field::Equations),
                "the model has no variables",
                "at least one equation, e.g. dv/dt = -v/tau",
            ));
        }
        Ok(NeuronModelDef {
            name: name.to_string(),
            source: source.clone(),
            checked,
            plan,
        })
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text it was built from.
    pub fn source(&self) -> &ModelSource {
        &self.source
    }

    fn unit(&self, d: crate::lang::units::Dim) -> String {
        match self.checked.sources.syntax {
            Syntax::Brian2 => system_unit(d),
            Syntax::Annarchy => String::new(),
        }
    }

    /// The parameters, in order, with defaults and units.
    pub fn parameters(&self) -> Vec<ParamInfo> {
        self.checked
            .params
            .iter()
            .map(|p| ParamInfo {
                name: p.name.clone(),
                default: p.default,
                unit: self.unit(p.dim),
                per_neuron: !p.population,
            })
            .collect()
    }

    /// The state variables, in order.
    pub fn variables(&self) -> Vec<VarInfo> {
        let c = &self.checked;
        let params: Vec<BV> = default_params(c, 1, 1.0);
        let b = Build {
            n: 1,
            dt: 1.0,
            params: &params,
            derived: vec![],
            first_derived: 0,
        };
        c.vars
            .iter()
            .enumerate()
            .map(|(k, v)| {
                let set_by_init = c.init.iter().any(|s| s.target == Target::Var(k as u32));
                let initial = if set_by_init {
                    None
                } else {
                    match &v.init {
                        Some(e) => match b.eval(e) {
                            Some(BV::S(x)) => Some(x),
                            _ => None,
                        },
                        None => Some(0.0),
                    }
                };
                VarInfo {
                    name: v.name.clone(),
                    unit: self.unit(v.dim),
                    role: match v.kind {
                        VarKind::Ode => VarRole::Ode,
                        VarKind::Assigned => VarRole::Assigned,
                        VarKind::Plain => VarRole::Plain,
                        VarKind::Implicit => VarRole::Implicit,
                    },
                    initial,
                }
            })
            .collect()
    }

    /// The variables synapses may add to (receptor targets: every state variable with an
    /// equation or none, and ANNarchy's implicit conductances; not assigned variables, whose
    /// value is recomputed every step).
    pub fn targets(&self) -> Vec<String> {
        self.checked
            .vars
            .iter()
            .filter(|v| v.kind != VarKind::Assigned)
            .map(|v| v.name.clone())
            .collect()
    }

    /// Whether the model reads the external current `I_ext` (otherwise current sources have no
    /// effect on it).
    pub fn uses_current(&self) -> bool {
        use crate::lang::symbolic::{Builtin, RExpr};
        let uses = |e: &RExpr| e.any(&|x| *x == RExpr::Builtin(Builtin::IExt));
        let c = &self.checked;
        c.eqs.iter().any(|eq| match eq {
            crate::lang::checked::Equation::Ode { rhs, .. }
            | crate::lang::checked::Equation::Assign { rhs, .. } => uses(rhs),
        }) || c.threshold.as_ref().is_some_and(|t| uses(&t.0))
            || c.reset.iter().any(|s| uses(&s.value))
    }

    /// Whether the model can spike (has a threshold).
    pub fn spikes(&self) -> bool {
        self.checked.threshold.is_some()
    }

    /// The integration method of each variable with a differential equation.
    pub fn methods(&self) -> Vec<(String, crate::lang::method::Method)> {
        let mut out = Vec::new();
        for g in &self.plan.groups {
            for v in &g.vars {
                out.push((self.checked.vars[*v as usize].name.clone(), g.method));
            }
        }
        out
    }
}

pub(crate) fn default_params(c: &Checked, n: usize, dt: f64) -> Vec<BV> {
    param_values(c, n, dt, &BTreeMap::new())
}

/// Parameter values with `overrides`; the others re-evaluated from earlier ones.
pub(crate) fn param_values(
    c: &Checked,
    n: usize,
    dt: f64,
    overrides: &BTreeMap<usize, BV>,
) -> Vec<BV> {
    let mut vals: Vec<BV> = Vec::with_capacity(c.params.len());
    for (i, p) in c.params.iter().enumerate() {
        let v = match overrides.get(&i) {
            Some(o) => o.clone(),
            None => {
                let b = Build {
                    n,
                    dt,
                    params: &vals,
                    derived: vec![],
                    first_derived: 0,
                };
                b.eval(&p.expr).unwrap_or(BV::S(p.default))
            }
        };
        vals.push(v);
    }
    vals
}
