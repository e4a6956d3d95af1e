//! Compiling a neuron model for one population: where each array is ([`Layout`]), the
//! lowered step (active test, equations, bounds, threshold, refractory counter, resets) and
//! the `init` statements.

use std::collections::BTreeMap;

use crate::lang::ast::AssignOp;
use crate::lang::checked::{Checked, Refractory, Target, VarKind};
use crate::lang::error::{ErrorKind, LangResult};
use crate::lang::integrate::{lower_groups, Build, BV};
use crate::lang::ir::{BOp, Cmp, UOp};
use crate::lang::lower::{Compiled, Env, Lowerer, Node, Val};

use super::def::NeuronModelDef;

/// Where each array of an executor is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Layout {
    /// Arrays `0..n_vars` are the state variables.
    pub n_vars: usize,
    /// The refractory counter.
    pub refrac: Option<u16>,
    /// The array of each population reduction (its value in every element).
    pub pops: Vec<u16>,
    /// The array of each parameter set per element.
    pub params: Vec<Option<u16>>,
    /// First array of per-element constants made by the lowering.
    pub first_derived: u16,
}

impl Layout {
    /// Variables, then the refractory counter, the `n_pops` reductions, the per-element
    /// parameters.
    pub fn new(n_vars: usize, refrac: bool, n_pops: usize, params: &[BV]) -> Layout {
        let mut next = n_vars as u16;
        let refrac = refrac.then(|| {
            next += 1;
            next - 1
        });
        let pops = (0..n_pops)
            .map(|_| {
                next += 1;
                next - 1
            })
            .collect();
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
            pops,
            params,
            first_derived: next,
        }
    }

    /// The arrays that are state: the variables, the refractory counter and the reductions'
    /// arrays (everything before the parameters).
    pub fn n_state(&self) -> usize {
        self.n_vars + usize::from(self.refrac.is_some()) + self.pops.len()
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
///
/// A model whose threshold or reset reads population reductions runs in two passes:
/// `no_input` / `input` integrate, the reductions are computed, then `spike` / `spike_input`
/// decide the spikes and reset. Otherwise one pass does everything and `spike` is `None`.
#[derive(Clone, Debug)]
pub(crate) struct Programs {
    pub no_input: Compiled,
    pub input: Option<Compiled>,
    pub spike: Option<Compiled>,
    pub spike_input: Option<Compiled>,
    pub derived: Vec<Vec<f64>>,
}

/// Which part of the step a program does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// Everything, in one pass.
    Whole,
    /// Equations and bounds (the first pass with reductions).
    Integrate,
    /// Threshold, refractory counter, resets, from the integrated arrays (the second pass).
    Spike,
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
    let c = &def.checked;
    let two = !c.reductions.is_empty();
    if let (true, Some((Refractory::Until(_), span))) = (two, &c.refractory) {
        return Err(c.sources.error(
            ErrorKind::Unsupported,
            *span,
            "a refractory condition together with population reductions (max(v), …) in the threshold or reset",
            "a refractory duration, or no population reduction",
        ));
    }
    let first = if two { Part::Integrate } else { Part::Whole };
    let one = |part: Part, input: bool, b: &mut Build| {
        compile_one(def, layout, b, nref.clone(), input, part)
    };
    let no_input = one(first, false, &mut b);
    let input = def.uses_current().then(|| one(first, true, &mut b));
    let spike = two.then(|| one(Part::Spike, false, &mut b));
    let spike_input = (two && def.uses_current()).then(|| one(Part::Spike, true, &mut b));
    Ok(Programs {
        no_input,
        input,
        spike,
        spike_input,
        derived: b.derived,
    })
}

fn compile_one(
    def: &NeuronModelDef,
    layout: &Layout,
    b: &mut Build,
    nref: Option<BV>,
    with_input: bool,
    part: Part,
) -> Compiled {
    let c = &def.checked;
    let mut lw = Lowerer::default();
    let mut env = Env {
        vars: (0..layout.n_vars as u16).map(Val::A).collect(),
        params: layout.param_vals(b.params),
        dt: b.dt,
        input: with_input.then_some(Val::In),
        pops: layout.pops.iter().map(|&a| Val::A(a)).collect(),
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
    // ANNarchy assignments in order; snapshots for the differential equations (the spike
    // pass reads the integrated arrays instead)
    let mut snaps: Vec<Option<Env>> = vec![None; c.eqs.len()];
    let mut changed: Vec<(u32, Val)> = Vec::new();
    let eqs = if part == Part::Spike {
        &[][..]
    } else {
        &c.eqs[..]
    };
    for (k, eq) in eqs.iter().enumerate() {
        match eq {
            crate::lang::checked::Equation::Ode { .. } => snaps[k] = Some(env.clone()),
            crate::lang::checked::Equation::Assign { var, op, rhs, .. } => {
                let old = env.vars[*var as usize];
                let v = lw.expr(rhs, &env);
                let new = apply_op(&mut lw, *op, old, v);
                let new = finish_var(&mut lw, &env, *var, new);
                env.vars[*var as usize] = new;
                changed.push((*var, new));
            }
        }
    }
    let integrated = if part == Part::Spike {
        Vec::new()
    } else {
        lower_groups(&mut lw, b, &def.plan, c, &snaps)
    };
    let integrated: Vec<(u32, Val)> = integrated
        .into_iter()
        .map(|(v, new)| (v, finish_var(&mut lw, &env, v, new)))
        .collect();
    for &(v, new) in &integrated {
        env.vars[v as usize] = new;
    }
    changed.extend(integrated);
    if part == Part::Integrate {
        for &(v, new) in &changed {
            lw.store(v as u16, new);
        }
        return lw.finish(None);
    }
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
