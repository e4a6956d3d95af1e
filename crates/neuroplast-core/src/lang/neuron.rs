//! Neuron models defined by equations: [`NeuronModelDef`] (parse + check + plan, once per
//! model) and [`NeuronExec`] (one population: its state and compiled step).
//!
//! ## One step
//!
//! 1. (The network has added this step's synaptic input into the target variables.)
//! 2. A neuron is *active* unless refractory. ANNarchy's assigned variables are evaluated in
//!    order; the differential equations are integrated (see [`super::integrate`]), each from
//!    the values at the start of the step (ANNarchy: at its position among the assignments).
//! 3. Variables marked `(unless refractory)` (ANNarchy: every variable but the `g_*`
//!    conductances) keep their old value in refractory neurons; then `min`/`max` bounds.
//! 4. Spike where the threshold holds (and the neuron is active); spikes are appended as
//!    ascending local indices.
//! 5. Refractoriness as a counter: a spike sets it to `R = round(refractory / dt)` (NEST's
//!    rule, the built-ins' default and ANNarchy syntax's) or `R − 1` (Brian2's rule and Brian2
//!    syntax's default: active again at the step where `t − lastspike` reaches the period;
//!    the model table's `refractory_rule` chooses); a neuron with a counter above 0 is refractory and the counter
//!    drops by one every step — the neuron is held for exactly that many steps after its spike
//!    step. (A Brian2 condition instead: refractory after a spike while the condition holds.)
//! 6. Reset statements run for the neurons that spiked, in order.
//! 7. ANNarchy's implicit conductances (`g_exc` used but not defined) are set to 0.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::ast::AssignOp;
use super::check::check;
use super::checked::{Checked, Refractory, Target, VarKind};
use super::error::{ErrorKind, LangResult};
use super::exec::{run_dense, Scratch};
use super::float::{Float, Precision};
use super::integrate::{lower_groups, plan, Build, Plan, BV};
use super::ir::{BOp, Cmp, UOp};
use super::lower::{Compiled, Env, Lowerer, Node, Val};
use super::parse::parse_model;
use super::source::ModelSource;
use super::span::Syntax;
use super::units::system_unit;
use crate::rng::Rng;

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
    source: ModelSource,
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
                Some(super::span::Field::Equations),
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

    fn unit(&self, d: super::units::Dim) -> String {
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
        use super::symbolic::{Builtin, RExpr};
        let uses = |e: &RExpr| e.any(&|x| *x == RExpr::Builtin(Builtin::IExt));
        let c = &self.checked;
        c.eqs.iter().any(|eq| match eq {
            super::checked::Equation::Ode { rhs, .. }
            | super::checked::Equation::Assign { rhs, .. } => uses(rhs),
        }) || c.threshold.as_ref().is_some_and(|t| uses(&t.0))
            || c.reset.iter().any(|s| uses(&s.value))
    }

    /// Whether the model can spike (has a threshold).
    pub fn spikes(&self) -> bool {
        self.checked.threshold.is_some()
    }

    /// The integration method of each variable with a differential equation.
    pub fn methods(&self) -> Vec<(String, super::method::Method)> {
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

/// Where each array of an executor is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Layout {
    /// Arrays `0..n_vars` are the state variables.
    pub n_vars: usize,
    /// The refractory counter.
    pub refrac: Option<u16>,
    /// The array of each parameter set per element.
    pub params: Vec<Option<u16>>,
    /// First array of per-element constants made by the lowering.
    pub first_derived: u16,
}

impl Layout {
    pub fn new(n_vars: usize, refrac: bool, params: &[BV]) -> Layout {
        let mut next = n_vars as u16;
        let refrac = refrac.then(|| {
            next += 1;
            next - 1
        });
        let params = params
            .iter()
            .map(|p| match p {
                BV::E(_) => {
                    next += 1;
                    Some(next - 1)
                }
                BV::S(_) => None,
            })
            .collect();
        Layout {
            n_vars,
            refrac,
            params,
            first_derived: next,
        }
    }

    pub fn param_vals(&self, params: &[BV]) -> Vec<Val> {
        params
            .iter()
            .zip(&self.params)
            .map(|(p, a)| match (p, a) {
                (BV::S(x), _) => Val::K(*x),
                (BV::E(_), Some(a)) => Val::A(*a),
                (BV::E(_), None) => Val::K(f64::NAN),
            })
            .collect()
    }
}

pub(crate) fn apply_op(lw: &mut Lowerer, op: AssignOp, old: Val, v: Val) -> Val {
    match op {
        AssignOp::Set => v,
        AssignOp::Add => lw.bin(BOp::Add, old, v),
        AssignOp::Sub => lw.bin(BOp::Sub, old, v),
        AssignOp::Mul => lw.bin(BOp::Mul, old, v),
        AssignOp::Div => lw.bin(BOp::Div, old, v),
    }
}

/// The compiled programs of a population and the per-element constants they need.
#[derive(Clone, Debug)]
pub(crate) struct Programs {
    pub no_input: Compiled,
    pub input: Option<Compiled>,
    pub derived: Vec<Vec<f64>>,
}

/// Refractory periods in steps (scalar or per element); errors name the `refractory` field.
fn refractory_steps(def: &NeuronModelDef, b: &Build) -> LangResult<Option<BV>> {
    let c = &def.checked;
    let Some((Refractory::Duration(e), span)) = &c.refractory else {
        return Ok(None);
    };
    let err = |msg: String| {
        c.sources.error(
            ErrorKind::Value,
            *span,
            msg,
            "a duration ≥ 0 that is 0 or at least half a time step",
        )
    };
    let steps = |ms: f64| -> LangResult<f64> {
        if !ms.is_finite() || ms < 0.0 {
            return Err(err(format!("the refractory period is {ms} ms")));
        }
        let s = (ms / b.dt).round();
        if ms > 0.0 && s < 1.0 {
            return Err(err(format!(
                "{ms} ms rounds to 0 steps at dt = {} ms, which would mean no refractory period; set 0 for none, or at least half a step",
                b.dt
            )));
        }
        // Brian2 lets a neuron integrate again at the step where `t − lastspike` reaches the
        // period; NEST (and the built-ins' default) hold it one step longer
        Ok(match def.source.refractory_rule_or_default() {
            crate::refractory::RefractoryRule::Brian2 if s > 0.0 => s - 1.0,
            _ => s,
        })
    };
    Ok(Some(match b.eval(e) {
        Some(BV::S(x)) => BV::S(steps(x)?),
        Some(BV::E(xs)) => BV::E(xs.into_iter().map(steps).collect::<LangResult<_>>()?),
        None => return Err(err("the refractory period must be a constant".into())),
    }))
}

/// Lower the step of `def` for `n` neurons.
pub(crate) fn compile_step(
    def: &NeuronModelDef,
    layout: &Layout,
    params: &[BV],
    n: usize,
    dt: f64,
) -> LangResult<Programs> {
    let mut b = Build {
        n,
        dt,
        params,
        derived: vec![],
        first_derived: layout.first_derived,
    };
    let nref = refractory_steps(def, &b)?;
    let no_input = compile_one(def, layout, &mut b, nref.clone(), false);
    let input = def
        .uses_current()
        .then(|| compile_one(def, layout, &mut b, nref, true));
    Ok(Programs {
        no_input,
        input,
        derived: b.derived,
    })
}

fn compile_one(
    def: &NeuronModelDef,
    layout: &Layout,
    b: &mut Build,
    nref: Option<BV>,
    with_input: bool,
) -> Compiled {
    let c = &def.checked;
    let mut lw = Lowerer::default();
    let mut env = Env {
        vars: (0..layout.n_vars as u16).map(Val::A).collect(),
        params: layout.param_vals(b.params),
        dt: b.dt,
        input: with_input.then_some(Val::In),
        ..Default::default()
    };
    let r = layout.refrac;
    // active (not refractory)
    let active = match (&c.refractory, r) {
        (Some((Refractory::Duration(_), _)), Some(r)) => {
            Some(lw.bin(BOp::Le, Val::A(r), Val::K(0.0)))
        }
        (Some((Refractory::Until(cond), _)), Some(r)) => {
            let cv = lw.expr(cond, &env);
            let not = lw.un(UOp::Not, cv);
            let idle = lw.bin(BOp::Le, Val::A(r), Val::K(0.0));
            Some(lw.bin(BOp::Or, idle, not))
        }
        _ => None,
    };
    let finish_var = |lw: &mut Lowerer, env: &Env, v: u32, new: Val| -> Val {
        let var = &c.vars[v as usize];
        let mut new = new;
        if var.unless_refractory {
            match (&c.refractory, r) {
                (Some((Refractory::Duration(_), _)), Some(r)) => {
                    new = lw.sel_cmp(Cmp::Le, Val::A(r), Val::K(0.0), new, Val::A(v as u16));
                }
                (Some(_), Some(_)) => {
                    if let Some(a) = active {
                        new = lw.sel(a, new, Val::A(v as u16));
                    }
                }
                _ => {}
            }
        }
        if let Some(lo) = &var.min {
            let lo = lw.expr(lo, env);
            new = lw.bin(BOp::Max, new, lo);
        }
        if let Some(hi) = &var.max {
            let hi = lw.expr(hi, env);
            new = lw.bin(BOp::Min, new, hi);
        }
        new
    };
    // ANNarchy assignments in order; snapshots for the differential equations
    let mut snaps: Vec<Option<Env>> = vec![None; c.eqs.len()];
    let mut changed: Vec<(u32, Val)> = Vec::new();
    for (k, eq) in c.eqs.iter().enumerate() {
        match eq {
            super::checked::Equation::Ode { .. } => snaps[k] = Some(env.clone()),
            super::checked::Equation::Assign { var, op, rhs, .. } => {
                let old = env.vars[*var as usize];
                let v = lw.expr(rhs, &env);
                let new = apply_op(&mut lw, *op, old, v);
                let new = finish_var(&mut lw, &env, *var, new);
                env.vars[*var as usize] = new;
                changed.push((*var, new));
            }
        }
    }
    let integrated = lower_groups(&mut lw, b, &def.plan, c, &snaps);
    let integrated: Vec<(u32, Val)> = integrated
        .into_iter()
        .map(|(v, new)| (v, finish_var(&mut lw, &env, v, new)))
        .collect();
    for &(v, new) in &integrated {
        env.vars[v as usize] = new;
    }
    changed.extend(integrated);
    // threshold
    let spike = c.threshold.as_ref().map(|(t, _)| {
        let s = lw.expr(t, &env);
        match active {
            Some(a) => lw.bin(BOp::And, a, s),
            None => s,
        }
    });
    for &(v, new) in &changed {
        lw.store(v as u16, new);
    }
    // refractory counter
    if let (Some(sp), Some(r)) = (spike, r) {
        match (&c.refractory, &nref) {
            (Some((Refractory::Duration(_), _)), Some(nr)) => {
                let nv = b.val(nr.clone());
                lw.effect(Node::Refrac(r, sp, nv));
            }
            (Some((Refractory::Until(_), _)), _) => {
                let a = active.unwrap_or(Val::K(1.0));
                let idle = lw.sel(a, Val::K(0.0), Val::A(r));
                let nr = lw.sel(sp, Val::K(1.0), idle);
                lw.store(r, nr);
            }
            _ => {}
        }
    }
    // ANNarchy's implicit conductances are consumed every step
    for (k, v) in c.vars.iter().enumerate() {
        if v.kind == VarKind::Implicit {
            lw.store(k as u16, Val::K(0.0));
        }
    }
    // resets, for the chunks with a spike
    if let Some(sp) = spike {
        if !c.reset.is_empty() {
            lw.begin_reset();
            let mut renv = env.clone();
            renv.vars = (0..layout.n_vars as u16).map(Val::A).collect();
            let mut last: BTreeMap<u32, Val> = BTreeMap::new();
            for st in &c.reset {
                let Target::Var(v) = st.target else { continue };
                let old = renv.vars[v as usize];
                let val = lw.expr(&st.value, &renv);
                let new = apply_op(&mut lw, st.op, old, val);
                let new = lw.sel(sp, new, old);
                renv.vars[v as usize] = new;
                last.insert(v, new);
            }
            for (v, new) in last {
                lw.store(v as u16, new);
            }
        }
    }
    lw.finish(spike)
}

/// Lower the `init` statements (run once when a population is built).
pub(crate) fn compile_init(c: &Checked, layout: &Layout, b: &mut Build) -> Compiled {
    let mut lw = Lowerer::default();
    let mut env = Env {
        vars: (0..layout.n_vars as u16).map(Val::A).collect(),
        params: layout.param_vals(b.params),
        dt: b.dt,
        ..Default::default()
    };
    let mut last: BTreeMap<u32, Val> = BTreeMap::new();
    for st in &c.init {
        let Target::Var(v) = st.target else { continue };
        let old = env.vars[v as usize];
        let val = lw.expr(&st.value, &env);
        let new = apply_op(&mut lw, st.op, old, val);
        env.vars[v as usize] = new;
        last.insert(v, new);
    }
    for (v, new) in last {
        lw.store(v as u16, new);
    }
    lw.finish(None)
}

// ---- the executor ----------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Core<T> {
    def: Arc<NeuronModelDef>,
    n: usize,
    /// The population index of neuron 0 (`i` = offset + local index).
    offset: usize,
    dt: f64,
    layout: Layout,
    /// Parameter values (scalar or per neuron) and which were set explicitly.
    params: Vec<BV>,
    overrides: BTreeMap<usize, BV>,
    arrays: Vec<Vec<T>>,
    no_input: Loaded<T>,
    input: Option<Loaded<T>>,
    scratch: Scratch<T>,
    rng: Rng,
    step: u64,
}

/// A compiled program with its scalars in the executor's precision.
#[derive(Clone, Debug)]
pub(crate) struct Loaded<T> {
    pub compiled: Compiled,
    pub ks: Vec<T>,
    pub splat: Vec<Vec<T>>,
}

impl<T: Float> Loaded<T> {
    pub fn new(compiled: Compiled) -> Loaded<T> {
        let ks: Vec<T> = compiled.consts.iter().map(|&x| T::from_f64(x)).collect();
        let mut splat = vec![Vec::new(); ks.len()];
        for &k in &compiled.splats {
            if let Some(s) = splat.get_mut(k as usize) {
                *s = vec![ks[k as usize]; super::ir::CHUNK];
            }
        }
        Loaded {
            compiled,
            ks,
            splat,
        }
    }

    /// Set the time slot (and its splat, if any).
    pub fn set_time(&mut self, t: f64) {
        let t = T::from_f64(t);
        if let Some(k0) = self.ks.first_mut() {
            *k0 = t;
        }
        if let Some(s) = self.splat.first_mut() {
            s.iter_mut().for_each(|x| *x = t);
        }
    }
}

impl<T: Float> Core<T> {
    fn build(
        def: Arc<NeuronModelDef>,
        (n, offset): (usize, usize),
        dt: f64,
        overrides: BTreeMap<usize, BV>,
        rng: Rng,
    ) -> LangResult<Core<T>> {
        let c = &def.checked;
        let params = param_values(c, n, dt, &overrides);
        let has_refrac = c.refractory.is_some() && c.threshold.is_some();
        let layout = Layout::new(c.vars.len(), has_refrac, &params);
        let mut core = Core {
            def: def.clone(),
            n,
            offset,
            dt,
            layout,
            params,
            overrides,
            arrays: Vec::new(),
            no_input: Loaded::new(Compiled::default()),
            input: None,
            scratch: Scratch::default(),
            rng,
            step: 0,
        };
        core.arrays = vec![vec![T::ZERO; n]; core.layout.first_derived as usize];
        core.recompile()?;
        // initial values: init= (constants of parameters), then the init statements
        for (k, v) in c.vars.iter().enumerate() {
            if let Some(e) = &v.init {
                let b = Build {
                    n,
                    dt,
                    params: &core.params,
                    derived: vec![],
                    first_derived: 0,
                };
                match b.eval(e) {
                    Some(BV::S(x)) => core.arrays[k].iter_mut().for_each(|a| *a = T::from_f64(x)),
                    Some(BV::E(xs)) => {
                        for (a, x) in core.arrays[k].iter_mut().zip(xs) {
                            *a = T::from_f64(x);
                        }
                    }
                    None => {}
                }
            }
        }
        if !c.init.is_empty() {
            let mut b = Build {
                n,
                dt,
                params: &core.params,
                derived: vec![],
                first_derived: core.arrays.len() as u16,
            };
            let init = compile_init(c, &core.layout, &mut b);
            let extra: Vec<Vec<T>> = b
                .derived
                .iter()
                .map(|d| d.iter().map(|&x| T::from_f64(x)).collect())
                .collect();
            let base = core.arrays.len();
            core.arrays.extend(extra);
            let loaded = Loaded::<T>::new(init);
            let mut scratch = Scratch::for_program(&loaded.compiled.program);
            scratch.index0 = offset;
            let mut none = Vec::new();
            run_dense(
                &loaded.compiled.program,
                &mut scratch,
                &mut core.arrays,
                &loaded.ks,
                &loaded.splat,
                &[],
                n,
                &mut core.rng,
                None,
                &mut none,
            );
            core.arrays.truncate(base);
        }
        Ok(core)
    }

    /// Take over `old`'s refractory counters, random stream and step count (the named
    /// variables are copied by name by the caller).
    fn carry_from(&mut self, old: &Core<T>) {
        self.rng = old.rng.clone();
        self.step = old.step;
        if let (Some(r), Some(o)) = (self.layout.refrac, old.layout.refrac) {
            if self.n == old.n {
                let counter = old.arrays[usize::from(o)].clone();
                self.arrays[usize::from(r)] = counter;
            }
        }
    }

    /// (Re)build the programs and the parameter / derived arrays after a parameter change.
    fn recompile(&mut self) -> LangResult<()> {
        let c = &self.def.checked;
        self.params = param_values(c, self.n, self.dt, &self.overrides);
        let has_refrac = c.refractory.is_some() && c.threshold.is_some();
        let layout = Layout::new(c.vars.len(), has_refrac, &self.params);
        let progs = compile_step(&self.def, &layout, &self.params, self.n, self.dt)?;
        // keep the state (variables and counter), rebuild the rest
        let keep = layout.n_vars + usize::from(layout.refrac.is_some());
        self.arrays.truncate(keep);
        while self.arrays.len() < keep {
            self.arrays.push(vec![T::ZERO; self.n]);
        }
        for p in &self.params {
            if let BV::E(xs) = p {
                self.arrays
                    .push(xs.iter().map(|&x| T::from_f64(x)).collect());
            }
        }
        for d in &progs.derived {
            self.arrays
                .push(d.iter().map(|&x| T::from_f64(x)).collect());
        }
        self.layout = layout;
        self.no_input = Loaded::new(progs.no_input);
        self.input = progs.input.map(Loaded::new);
        let regs = self
            .input
            .as_ref()
            .map_or(0, |l| l.compiled.program.n_regs)
            .max(self.no_input.compiled.program.n_regs);
        self.scratch = Scratch {
            regs: vec![vec![T::ZERO; super::ir::CHUNK]; regs],
            input: vec![T::ZERO; super::ir::CHUNK],
            index0: self.offset,
        };
        Ok(())
    }

    #[inline(always)]
    fn step(&mut self, current: &[f64], spikes: &mut Vec<u32>) {
        let t = self.step as f64 * self.dt;
        // a current shorter than the population counts as none (as `run_dense` treats a
        // chunk it does not cover): the input program must never read past it
        let (prog, current) = match &mut self.input {
            Some(p) if current.len() >= self.n => (p, current),
            _ => (&mut self.no_input, &[][..]),
        };
        prog.set_time(t);
        let (n, arrays, scratch, rng) =
            (self.n, &mut self.arrays, &mut self.scratch, &mut self.rng);
        let prog = &*prog;
        crate::simd::dispatch(
            #[inline(always)]
            || {
                run_dense(
                    &prog.compiled.program,
                    scratch,
                    arrays,
                    &prog.ks,
                    &prog.splat,
                    current,
                    n,
                    rng,
                    None,
                    spikes,
                )
            },
        );
        self.step += 1;
    }
}

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

/// Mutable access to a target variable, in the population's precision.
#[derive(Debug)]
pub enum TargetMut<'a> {
    /// An `f64` population.
    F64(&'a mut [f64]),
    /// An `f32` population.
    F32(&'a mut [f32]),
}

impl TargetMut<'_> {
    /// Add `w` to neuron `j` (ignored when out of range).
    #[inline]
    pub fn add(&mut self, j: usize, w: f64) {
        match self {
            TargetMut::F64(s) => {
                if let Some(x) = s.get_mut(j) {
                    *x += w;
                }
            }
            TargetMut::F32(s) => {
                if let Some(x) = s.get_mut(j) {
                    *x += w as f32;
                }
            }
        }
    }
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
                    Some(super::span::Field::Parameters),
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

    /// The target variable `name` for synaptic input (see [`NeuronModelDef::targets`]).
    pub fn target_mut(&mut self, name: &str) -> Option<TargetMut<'_>> {
        let c = &self.def().checked;
        let k = c
            .vars
            .iter()
            .position(|v| v.name == name && v.kind != VarKind::Assigned)?;
        Some(match &mut self.inner {
            Inner::F64(c) => TargetMut::F64(&mut c.arrays[k]),
            Inner::F32(c) => TargetMut::F32(&mut c.arrays[k]),
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
