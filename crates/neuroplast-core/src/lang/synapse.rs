//! Synapse models defined by equations: [`SynapseModelDef`] and [`SynapseExec`] (the state
//! of one projection's synapses, driven by the network's plasticity interface).
//!
//! ## What the network calls
//!
//! * [`on_arrivals`](SynapseExec::on_arrivals)`(step, batch, values, add)`: the presynaptic
//!   spikes arriving at synapses `batch` in this step (each synapse at most once). The
//!   synapses' `t_pre` becomes the emission step (`step − delay`), event-driven variables are
//!   brought up to `step`, then `on_pre` / `pre_spike` runs, statement by statement over the
//!   whole batch. Additions to postsynaptic targets (`ge_post += w`, `g_target += w`) go
//!   through `add(target, post, value)` in batch order (`target` indexes
//!   [`SynapseModelDef::targets`]).
//! * [`on_post_spikes`](SynapseExec::on_post_spikes)`(step, spikes, values)`: the
//!   postsynaptic neurons that spiked; `t_post` becomes `step`, then `on_post` / `post_spike`
//!   runs over all their incoming synapses (a transposed index built once).
//! * [`per_step`](SynapseExec::per_step)`(step, values)`: the equations that are integrated
//!   every step (not event-driven) and ANNarchy's per-step assignments (`w += …`), one
//!   vectorised pass over all synapses.
//!
//! Freezing is the network not calling these. `values[k]` is the pre-/postsynaptic neuron
//! array named by [`SynapseModelDef::reads`]`[k]` (e.g. `v` of the postsynaptic population,
//! or the network's rate estimate for ANNarchy's `post.r`).
//!
//! Event-driven variables (`dx/dt = -x/tau : 1 (event-driven)`, any `x' = a·x + b` with
//! constant `a`, `b`) are integrated exactly between events: `x ← x∞ + (x − x∞)·e^{a·k·dt}`
//! for the `k` steps since the synapse's last event, the factors read from a table of
//! `exp(k·a·dt)` (as the built-in pair STDP does).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::ast::{AssignOp, Scope};
use super::check::check;
use super::checked::{Checked, Equation, Target, VarKind};
use super::error::{nearest, ErrorKind, LangResult};
use super::exec::{run_batch, Scratch, Values};
use super::float::{Float, Precision};
use super::integrate::{lower_groups, plan, Build, Plan, BV};
use super::ir::{BOp, UOp, Via};
use super::lower::{Compiled, Env, Lowerer, Node, Val};
use super::neuron::{
    apply_op, param_values, Layout, Loaded, NeuronModelDef, ParamInfo, VarInfo, VarRole,
};
use super::parse::parse_model;
use super::source::ModelSource;
use super::span::Syntax;
use super::symbolic::{simplify, Builtin, RExpr};
use super::units::system_unit;
use crate::rng::Rng;

/// Which neuron of a synapse a value belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The presynaptic neuron (`x_pre`, `pre.x`).
    Pre,
    /// The postsynaptic neuron (`x_post`, `post.x`, and in Brian2 a name the synapse does not
    /// define).
    Post,
}

/// A synapse model, parsed and checked.
#[derive(Clone, Debug)]
pub struct SynapseModelDef {
    name: String,
    source: ModelSource,
    pub(crate) checked: Checked,
    pub(crate) plan: Plan,
}

impl SynapseModelDef {
    /// Parse, check and plan synapse model `name`.
    ///
    /// ```
    /// use neuroplast_core::lang::{ModelSource, SynapseModelDef};
    /// let mut src = ModelSource::brian2("w : 1\ndA/dt = -A/tau : 1 (event-driven)");
    /// src.parameters = "tau = 20*ms".into();
    /// src.on_pre = Some("ge += w\nA += 0.01".into());
    /// let def = SynapseModelDef::from_source("stdp", &src).unwrap();
    /// assert_eq!(def.targets(), vec!["ge".to_string()]);
    /// ```
    pub fn from_source(name: &str, source: &ModelSource) -> LangResult<SynapseModelDef> {
        let src = source.sources(name, true)?;
        let ast = parse_model(&src)?;
        let checked = check(&src, &ast, true)?;
        let plan = plan(&checked)?;
        // per-step equations cannot read event-driven variables (they are only up to date at
        // events)
        for eq in &checked.eqs {
            let (rhs, span, own) = match eq {
                Equation::Ode { var, rhs, span } => (rhs, span, *var),
                Equation::Assign { var, rhs, span, .. } => (rhs, span, *var),
            };
            if checked.vars[own as usize].event_driven {
                continue;
            }
            if let Some(v) = checked
                .vars
                .iter()
                .enumerate()
                .find(|(k, v)| v.event_driven && rhs.uses_var(*k as u32))
            {
                return Err(src.error(
                    ErrorKind::Unsupported,
                    *span,
                    format!(
                        "an equation integrated every step reads the event-driven `{}`, which is only up to date at spikes",
                        v.1.name
                    ),
                    "read event-driven variables in on_pre / on_post, or drop (event-driven) to integrate it every step",
                ));
            }
        }
        Ok(SynapseModelDef {
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

    /// The parameters.
    pub fn parameters(&self) -> Vec<ParamInfo> {
        let brian = self.checked.sources.syntax == Syntax::Brian2;
        self.checked
            .params
            .iter()
            .map(|p| ParamInfo {
                name: p.name.clone(),
                default: p.default,
                unit: if brian {
                    system_unit(p.dim)
                } else {
                    String::new()
                },
                per_neuron: !p.population,
            })
            .collect()
    }

    /// The per-synapse variables.
    pub fn variables(&self) -> Vec<VarInfo> {
        let brian = self.checked.sources.syntax == Syntax::Brian2;
        self.checked
            .vars
            .iter()
            .map(|v| VarInfo {
                name: v.name.clone(),
                unit: if brian {
                    system_unit(v.dim)
                } else {
                    String::new()
                },
                role: match v.kind {
                    VarKind::Ode => VarRole::Ode,
                    VarKind::Assigned => VarRole::Assigned,
                    VarKind::Plain | VarKind::Implicit => VarRole::Plain,
                },
                initial: None,
            })
            .collect()
    }

    /// The neuron values the model reads, in the order [`SynapseExec`]'s calls expect them in
    /// `values` (e.g. `(Post, "v")` for `v_post`, `(Post, "r")` for ANNarchy's `post.r`).
    pub fn reads(&self) -> Vec<(Side, String)> {
        self.checked
            .ext
            .iter()
            .filter(|e| e.read)
            .map(|e| (side(e.scope), e.name.clone()))
            .collect()
    }

    /// The postsynaptic variables `on_pre` adds to (receptor targets, e.g. `ge`; ANNarchy's
    /// `g_target`, which stands for the projection's targets), in the order of the `target`
    /// argument of `add`.
    pub fn targets(&self) -> Vec<String> {
        self.checked
            .ext
            .iter()
            .filter(|e| e.written)
            .map(|e| e.name.clone())
            .collect()
    }

    /// Refuse reads of neuron values other than `allowed` (what the caller provides, written
    /// `shown` in the message): an error at the read's line and column, with the nearest of
    /// the model's own names (in Brian2 a misspelt variable reads as a postsynaptic one).
    pub fn check_reads(&self, allowed: &[(Side, &str)], shown: &str) -> LangResult<()> {
        let c = &self.checked;
        let Some(e) = c
            .ext
            .iter()
            .find(|e| e.read && !allowed.contains(&(side(e.scope), e.name.as_str())))
        else {
            return Ok(());
        };
        let own: Vec<&str> = c
            .vars
            .iter()
            .map(|v| v.name.as_str())
            .chain(c.params.iter().map(|p| p.name.as_str()))
            .collect();
        let near = nearest(&e.name, own.iter().copied(), 3);
        let which = match side(e.scope) {
            Side::Pre => "presynaptic",
            Side::Post => "postsynaptic",
        };
        Err(c.sources.error(
            ErrorKind::Unsupported,
            e.span,
            format!(
                "`{}` reads the {which} neuron's `{}`; here a synapse model reads {shown} only",
                self.name, e.name
            ),
            if near.is_empty() {
                format!("{shown}, or the model's own variables and parameters")
            } else {
                format!(
                    "{shown}, or the model's own names; nearest: {}",
                    near.join(", ")
                )
            },
        ))
    }

    /// Whether [`SynapseExec::per_step`] does anything (equations integrated every step).
    pub fn has_per_step(&self) -> bool {
        self.checked.eqs.iter().any(|eq| match eq {
            Equation::Ode { var, .. } | Equation::Assign { var, .. } => {
                !self.checked.vars[*var as usize].event_driven
            }
        })
    }

    /// The default transmission delay of the model's `delay` field, ms.
    pub fn delay_ms(&self) -> Option<f64> {
        self.checked.delay
    }

    /// Check the model against its postsynaptic neuron model: every postsynaptic value read
    /// exists (a variable or parameter of `post`, or one of `provided`, such as the network's
    /// rate `r`), every target is a target of `post` (ANNarchy's `g_target` is checked by the
    /// network against the projection's targets), and in Brian2 syntax what is added has the
    /// target's dimension.
    pub fn check_post(&self, post: &NeuronModelDef, provided: &[&str]) -> LangResult<()> {
        let c = &self.checked;
        let pc = &post.checked;
        for e in &c.ext {
            if e.scope != Scope::Post {
                continue;
            }
            let var = pc.vars.iter().find(|v| v.name == e.name);
            let known = var.is_some()
                || pc.params.iter().any(|p| p.name == e.name)
                || provided.contains(&e.name.as_str());
            if e.read && !known {
                let mut names: Vec<&str> = pc.vars.iter().map(|v| v.name.as_str()).collect();
                names.extend(pc.params.iter().map(|p| p.name.as_str()));
                names.extend(provided.iter().copied());
                let near = nearest(&e.name, names.iter().copied(), 3);
                return Err(c.sources.error(
                    ErrorKind::UnknownName,
                    e.span,
                    format!(
                        "the postsynaptic model `{}` has no `{}`",
                        post.name(),
                        e.name
                    ),
                    if near.is_empty() {
                        format!("its variables and parameters: {}", names.join(", "))
                    } else {
                        format!("its variables and parameters; nearest: {}", near.join(", "))
                    },
                ));
            }
            if e.written && e.name != "g_target" {
                let targets = post.targets();
                if !targets.contains(&e.name) {
                    return Err(c.sources.error(
                        ErrorKind::UnknownName,
                        e.span,
                        format!(
                            "`{}` is not a target of the postsynaptic model `{}`",
                            e.name,
                            post.name()
                        ),
                        format!("its targets: {}", targets.join(", ")),
                    ));
                }
                if let (Some(v), Some(d)) = (var, e.write_dim) {
                    if c.sources.syntax == Syntax::Brian2
                        && pc.sources.syntax == Syntax::Brian2
                        && v.dim != d
                    {
                        return Err(c.sources.error(
                            ErrorKind::Units,
                            e.span,
                            format!(
                                "units do not match: `{}` of `{}` is {}, what is added is {d}",
                                e.name,
                                post.name(),
                                v.dim
                            ),
                            format!("a value in {}", v.dim),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn side(s: Scope) -> Side {
    match s {
        Scope::Pre => Side::Pre,
        _ => Side::Post,
    }
}

/// An event-driven variable at run time.
#[derive(Clone, Debug, PartialEq)]
struct EventVar {
    /// Its array.
    arr: u16,
    /// `a·dt` (per synapse when `a` is).
    z: BV,
    /// `x∞ = −b/a` (0 where `a = 0`).
    inf: BV,
    /// `b·dt`, the change per step where `a = 0`.
    drift: BV,
    /// `exp(k·z)` for k = 0, 1, … until it underflows (scalar `z` only).
    table: Vec<f64>,
}

fn bv_at(v: &BV, s: usize) -> f64 {
    match v {
        BV::S(x) => *x,
        BV::E(xs) => xs.get(s).copied().unwrap_or(0.0),
    }
}

impl EventVar {
    /// The value `k` steps after `x` for synapse `s`.
    #[inline]
    fn advance(&self, s: usize, x: f64, k: u64) -> f64 {
        let z = bv_at(&self.z, s);
        if z == 0.0 {
            return x + bv_at(&self.drift, s) * k as f64;
        }
        let f = match (&self.z, self.table.get(k as usize)) {
            (BV::S(_), Some(&f)) => f,
            (BV::S(_), None) if self.table.last() == Some(&0.0) => 0.0,
            _ => (k as f64 * z).exp(),
        };
        let inf = bv_at(&self.inf, s);
        inf + (x - inf) * f
    }
}

#[derive(Clone, Debug)]
struct SCore<T> {
    def: Arc<SynapseModelDef>,
    dt: f64,
    pre: Vec<u32>,
    post: Vec<u32>,
    delay: Vec<u32>,
    n_post: usize,
    post_ptr: Vec<u32>,
    by_post: Vec<u32>,
    layout: Layout,
    params: Vec<BV>,
    overrides: BTreeMap<usize, BV>,
    arrays: Vec<Vec<T>>,
    on_pre: Option<Loaded<T>>,
    on_post: Option<Loaded<T>>,
    per_step: Option<Loaded<T>>,
    events: Vec<EventVar>,
    last_update: Vec<u64>,
    last_pre: Vec<u64>,
    last_post: Vec<u64>,
    scratch: Scratch<T>,
    batch: Vec<u32>,
    rng: Rng,
}

const NEVER: u64 = u64::MAX;

/// Which program to lower.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    OnPre,
    OnPost,
    PerStep,
    Init,
}

fn compile(
    def: &SynapseModelDef,
    layout: &Layout,
    b: &mut Build,
    part: Part,
    reads: &[u32],
    targets: &[u32],
) -> Compiled {
    let c = &def.checked;
    let mut lw = Lowerer::default();
    let batch = matches!(part, Part::OnPre | Part::OnPost);
    let mut env = Env {
        dt: b.dt,
        ..Default::default()
    };
    env.vars = (0..layout.n_vars as u16)
        .map(|a| {
            if batch {
                lw.gather(a, Via::Batch)
            } else {
                Val::A(a)
            }
        })
        .collect();
    env.params = layout
        .param_vals(b.params)
        .into_iter()
        .map(|v| match v {
            Val::A(a) if batch => lw.gather(a, Via::Batch),
            v => v,
        })
        .collect();
    env.ext = c
        .ext
        .iter()
        .enumerate()
        .map(|(k, e)| match reads.iter().position(|&r| r == k as u32) {
            Some(slot) => lw.gather(
                slot as u16,
                if e.scope == Scope::Pre {
                    Via::Pre
                } else {
                    Via::Post
                },
            ),
            None => Val::K(0.0),
        })
        .collect();
    env.index = Some(lw.syn_info(Via::Pre, false));
    env.post_index = Some(lw.syn_info(Via::Post, false));
    env.t_pre = Some(lw.syn_info(Via::Pre, true));
    env.t_post = Some(lw.syn_info(Via::Post, true));
    // the delay array sits right after the variables' arrays' parameters: see SCore::build
    env.delay = Some(if batch {
        lw.gather(layout.first_derived - 1, Via::Batch)
    } else {
        Val::A(layout.first_derived - 1)
    });
    let store = |lw: &mut Lowerer, v: u32, new: Val| {
        if batch {
            lw.effect(Node::Scatter(v as u16, new));
        } else {
            lw.store(v as u16, new);
        }
    };
    match part {
        Part::OnPre | Part::OnPost | Part::Init => {
            let stmts = match part {
                Part::OnPre => &c.on_pre,
                Part::OnPost => &c.on_post,
                _ => &c.init,
            };
            let mut last: BTreeMap<u32, Val> = BTreeMap::new();
            for st in stmts {
                let val = lw.expr(&st.value, &env);
                match st.target {
                    Target::Var(v) => {
                        let old = env.vars[v as usize];
                        let new = apply_op(&mut lw, st.op, old, val);
                        let new = bounds(&mut lw, c, &env, v, new);
                        env.vars[v as usize] = new;
                        last.insert(v, new);
                    }
                    Target::Ext(k) => {
                        let t = targets.iter().position(|&x| x == k).unwrap_or(0) as u16;
                        let val = if st.op == AssignOp::Sub {
                            lw.un(UOp::Neg, val)
                        } else {
                            val
                        };
                        lw.effect(Node::AddTarget(t, val));
                    }
                }
            }
            for (v, new) in last {
                store(&mut lw, v, new);
            }
        }
        Part::PerStep => {
            let mut snaps: Vec<Option<super::lower::Env>> = vec![None; c.eqs.len()];
            let mut changed: Vec<(u32, Val)> = Vec::new();
            for (k, eq) in c.eqs.iter().enumerate() {
                match eq {
                    Equation::Ode { var, .. } if !c.vars[*var as usize].event_driven => {
                        snaps[k] = Some(env.clone())
                    }
                    Equation::Assign { var, op, rhs, .. } => {
                        let old = env.vars[*var as usize];
                        let v = lw.expr(rhs, &env);
                        let new = apply_op(&mut lw, *op, old, v);
                        let new = bounds(&mut lw, c, &env, *var, new);
                        env.vars[*var as usize] = new;
                        changed.push((*var, new));
                    }
                    _ => {}
                }
            }
            let integrated = lower_groups(&mut lw, b, &def.plan, c, &snaps);
            for (v, new) in integrated {
                let new = bounds(&mut lw, c, &env, v, new);
                changed.push((v, new));
            }
            for &(v, new) in &changed {
                env.vars[v as usize] = new;
            }
            for (v, new) in changed {
                store(&mut lw, v, new);
            }
        }
    }
    lw.finish(None)
}

fn bounds(lw: &mut Lowerer, c: &Checked, env: &Env, v: u32, new: Val) -> Val {
    let var = &c.vars[v as usize];
    let mut new = new;
    if let Some(lo) = &var.min {
        let lo = lw.expr(lo, env);
        new = lw.bin(BOp::Max, new, lo);
    }
    if let Some(hi) = &var.max {
        let hi = lw.expr(hi, env);
        new = lw.bin(BOp::Min, new, hi);
    }
    new
}

impl<T: Float> SCore<T> {
    #[allow(clippy::too_many_arguments)] // reason: the parts of a projection
    fn build(
        def: Arc<SynapseModelDef>,
        pre: &[u32],
        post: &[u32],
        n_post: usize,
        delay_steps: &[u32],
        dt: f64,
        overrides: BTreeMap<usize, BV>,
        rng: Rng,
    ) -> LangResult<SCore<T>> {
        let m = pre.len();
        let src = &def.checked.sources;
        if post.len() != m || (!delay_steps.is_empty() && delay_steps.len() != m) {
            return Err(src.field_error(
                ErrorKind::Value,
                None,
                format!(
                    "{m} presynaptic indices, {} postsynaptic, {} delays",
                    post.len(),
                    delay_steps.len()
                ),
                "one pre, one post index per synapse, and one delay per synapse or none",
            ));
        }
        if let Some(&j) = post.iter().find(|&&j| j as usize >= n_post) {
            return Err(src.field_error(
                ErrorKind::Value,
                None,
                format!("postsynaptic index {j} ≥ {n_post} neurons"),
                "indices below the number of postsynaptic neurons",
            ));
        }
        let default_delay = def
            .checked
            .delay
            .map_or(0, |ms| (ms / dt).round().max(0.0) as u32);
        let delay: Vec<u32> = if delay_steps.is_empty() {
            vec![default_delay; m]
        } else {
            delay_steps.to_vec()
        };
        // transposed index
        let mut post_ptr = vec![0u32; n_post + 1];
        for &j in post {
            post_ptr[j as usize + 1] += 1;
        }
        for j in 0..n_post {
            post_ptr[j + 1] += post_ptr[j];
        }
        let mut fill = post_ptr.clone();
        let mut by_post = vec![0u32; m];
        for (s, &j) in post.iter().enumerate() {
            by_post[fill[j as usize] as usize] = s as u32;
            fill[j as usize] += 1;
        }
        let mut core = SCore {
            def,
            dt,
            pre: pre.to_vec(),
            post: post.to_vec(),
            delay,
            n_post,
            post_ptr,
            by_post,
            layout: Layout::new(0, false, &[]),
            params: Vec::new(),
            overrides,
            arrays: Vec::new(),
            on_pre: None,
            on_post: None,
            per_step: None,
            events: Vec::new(),
            last_update: vec![0; m],
            last_pre: vec![NEVER; m],
            last_post: vec![NEVER; n_post],
            scratch: Scratch::default(),
            batch: Vec::new(),
            rng,
        };
        let c = &core.def.checked;
        core.arrays = vec![vec![T::ZERO; m]; c.vars.len()];
        core.recompile()?;
        // initial values: init= constants, then the init statements
        let c = &core.def.checked;
        for (k, v) in c.vars.iter().enumerate() {
            if let Some(e) = &v.init {
                let b = Build {
                    n: m,
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
            let (reads, targets) = core.ref_slots();
            let mut b = Build {
                n: m,
                dt,
                params: &core.params,
                derived: vec![],
                first_derived: core.arrays.len() as u16,
            };
            let init = compile(
                &core.def,
                &core.layout,
                &mut b,
                Part::Init,
                &reads,
                &targets,
            );
            let base = core.arrays.len();
            core.arrays.extend(
                b.derived
                    .iter()
                    .map(|d| d.iter().map(|&x| T::from_f64(x)).collect::<Vec<T>>()),
            );
            let loaded = Loaded::<T>::new(init);
            let mut scratch = Scratch::for_program(&loaded.compiled.program);
            let empty: Vec<Values> = reads.iter().map(|_| Values::F64(&[])).collect();
            let mut sink = super::exec::NoTargets;
            run_batch(
                &loaded.compiled.program,
                &mut scratch,
                &mut core.arrays,
                &loaded.ks,
                &loaded.splat,
                None,
                m,
                &core.pre,
                &core.post,
                &core.last_pre,
                &core.last_post,
                &empty,
                dt,
                &mut core.rng,
                &mut sink,
            );
            core.arrays.truncate(base);
        }
        Ok(core)
    }

    /// Indices into `Checked::ext` of the reads and of the targets.
    fn ref_slots(&self) -> (Vec<u32>, Vec<u32>) {
        let c = &self.def.checked;
        let reads = (0..c.ext.len() as u32)
            .filter(|&k| c.ext[k as usize].read)
            .collect();
        let targets = (0..c.ext.len() as u32)
            .filter(|&k| c.ext[k as usize].written)
            .collect();
        (reads, targets)
    }

    fn recompile(&mut self) -> LangResult<()> {
        let def = self.def.clone();
        let c = &def.checked;
        let m = self.pre.len();
        self.params = param_values(c, m, self.dt, &self.overrides);
        // arrays: variables, per-synapse parameters, the delay (ms), derived
        let mut layout = Layout::new(c.vars.len(), false, &self.params);
        layout.first_derived += 1;
        let (reads, targets) = self.ref_slots();
        let mut b = Build {
            n: m,
            dt: self.dt,
            params: &self.params,
            derived: vec![],
            first_derived: layout.first_derived,
        };
        let load = |part: Part, want: bool, b: &mut Build| {
            want.then(|| compile(&def, &layout, b, part, &reads, &targets))
        };
        let on_pre = load(Part::OnPre, !c.on_pre.is_empty(), &mut b);
        let on_post = load(Part::OnPost, !c.on_post.is_empty(), &mut b);
        let per_step = load(Part::PerStep, def.has_per_step(), &mut b);
        // event-driven variables
        let mut events = Vec::new();
        for ed in &def.plan.event_driven {
            let z = b
                .eval(&simplify(&RExpr::bin(
                    super::ast::BinOp::Mul,
                    ed.a.clone(),
                    RExpr::Builtin(Builtin::Dt),
                )))
                .unwrap_or(BV::S(0.0));
            let a = b.eval(&ed.a).unwrap_or(BV::S(0.0));
            let bb = b.eval(&ed.b).unwrap_or(BV::S(0.0));
            let per = |f: &dyn Fn(f64, f64) -> f64| match (&a, &bb) {
                (BV::S(x), BV::S(y)) => BV::S(f(*x, *y)),
                _ => BV::E((0..m).map(|s| f(bv_at(&a, s), bv_at(&bb, s))).collect()),
            };
            let inf = per(&|a, b| if a == 0.0 { 0.0 } else { -b / a });
            let dt = self.dt;
            let drift = per(&|_, b| b * dt);
            let mut table = Vec::new();
            if let BV::S(z) = z {
                // exp(k·a·dt) for every k until it underflows (as the built-in DecayTable)
                while z != 0.0 && table.len() < 1 << 16 {
                    let x = (table.len() as f64 * z).exp();
                    table.push(x);
                    if x == 0.0 {
                        break;
                    }
                }
            }
            events.push(EventVar {
                arr: ed.var as u16,
                z,
                inf,
                drift,
                table,
            });
        }
        // arrays
        let nv = c.vars.len();
        self.arrays.truncate(nv);
        for p in &self.params {
            if let BV::E(xs) = p {
                self.arrays
                    .push(xs.iter().map(|&x| T::from_f64(x)).collect());
            }
        }
        self.arrays.push(
            self.delay
                .iter()
                .map(|&d| T::from_f64(f64::from(d) * self.dt))
                .collect(),
        );
        for d in &b.derived {
            self.arrays
                .push(d.iter().map(|&x| T::from_f64(x)).collect());
        }
        self.events = events;
        self.layout = layout;
        let regs = [&on_pre, &on_post, &per_step]
            .iter()
            .filter_map(|p| p.as_ref().map(|c| c.program.n_regs))
            .max()
            .unwrap_or(0);
        self.on_pre = on_pre.map(Loaded::new);
        self.on_post = on_post.map(Loaded::new);
        self.per_step = per_step.map(Loaded::new);
        self.scratch = Scratch {
            regs: vec![vec![T::ZERO; super::ir::CHUNK]; regs],
            input: vec![T::ZERO; super::ir::CHUNK],
            index0: 0,
        };
        Ok(())
    }

    /// Bring the event-driven variables of synapses `batch` up to `step`.
    fn advance(&mut self, step: u64, batch: &[u32]) {
        for ev in &self.events {
            let arr = &mut self.arrays[ev.arr as usize];
            for &s in batch {
                let s = s as usize;
                let k = step.saturating_sub(self.last_update[s]);
                if k == 0 {
                    continue;
                }
                let new = ev.advance(s, arr[s].to_f64(), k);
                arr[s] = T::from_f64(new);
            }
        }
        for &s in batch {
            self.last_update[s as usize] = step;
        }
    }

    fn run<S: super::exec::TargetSink>(
        &mut self,
        which: Part,
        batch: Option<&[u32]>,
        values: &[Values],
        sink: &mut S,
    ) {
        let prog = match which {
            Part::OnPre => self.on_pre.as_mut(),
            Part::OnPost => self.on_post.as_mut(),
            _ => self.per_step.as_mut(),
        };
        let Some(prog) = prog else { return };
        let m = self.pre.len();
        run_batch(
            &prog.compiled.program,
            &mut self.scratch,
            &mut self.arrays,
            &prog.ks,
            &prog.splat,
            batch,
            m,
            &self.pre,
            &self.post,
            &self.last_pre,
            &self.last_post,
            values,
            self.dt,
            &mut self.rng,
            sink,
        );
    }
}

#[derive(Clone, Debug)]
enum SInner {
    F64(SCore<f64>),
    F32(SCore<f32>),
}

/// The synapses of one projection under an equation-defined synapse model (see the module
/// docs for what the network calls).
#[derive(Clone, Debug)]
pub struct SynapseExec {
    inner: SInner,
}

macro_rules! sboth {
    ($self:expr, $c:ident => $e:expr) => {
        match &$self.inner {
            SInner::F64($c) => $e,
            SInner::F32($c) => $e,
        }
    };
}

macro_rules! sboth_mut {
    ($self:expr, $c:ident => $e:expr) => {
        match &mut $self.inner {
            SInner::F64($c) => $e,
            SInner::F32($c) => $e,
        }
    };
}

impl SynapseExec {
    /// Synapses `s = 0…m−1` from neuron `pre[s]` to `post[s]` (`n_post` postsynaptic neurons),
    /// with delays in steps (`delay_steps` empty: the model's `delay`, else 0), time step
    /// `dt_ms`, in `precision`, random numbers from `rng`; `params` sets parameters (one value,
    /// or one per synapse). Initial values come from `init=` and the `init` field.
    #[allow(clippy::too_many_arguments)] // reason: the parts of a projection
    pub fn new(
        def: &SynapseModelDef,
        pre: &[u32],
        post: &[u32],
        n_post: usize,
        delay_steps: &[u32],
        dt_ms: f64,
        precision: Precision,
        rng: Rng,
        params: &[(&str, &[f64])],
    ) -> LangResult<SynapseExec> {
        let src = &def.checked.sources;
        if !(dt_ms.is_finite() && dt_ms > 0.0) {
            return Err(src.field_error(
                ErrorKind::Value,
                None,
                format!("dt = {dt_ms} ms"),
                "a finite time step > 0 ms",
            ));
        }
        let m = pre.len();
        let mut overrides = BTreeMap::new();
        for (name, values) in params {
            let c = &def.checked;
            let Some(k) = c.params.iter().position(|p| p.name == *name) else {
                let names: Vec<&str> = c.params.iter().map(|p| p.name.as_str()).collect();
                return Err(src.field_error(
                    ErrorKind::UnknownName,
                    Some(super::span::Field::Parameters),
                    format!("`{name}` is not a parameter of `{}`", def.name()),
                    names.join(", "),
                ));
            };
            let bv = match values.len() {
                1 => BV::S(values[0]),
                l if l == m && !c.params[k].population => BV::E(values.to_vec()),
                l => {
                    return Err(src.field_error(
                        ErrorKind::Value,
                        Some(super::span::Field::Parameters),
                        format!("`{name}` got {l} values"),
                        format!("1 or {m} (one per synapse)"),
                    ));
                }
            };
            overrides.insert(k, bv);
        }
        let def = Arc::new(def.clone());
        let inner = match precision {
            Precision::F64 => SInner::F64(SCore::build(
                def,
                pre,
                post,
                n_post,
                delay_steps,
                dt_ms,
                overrides,
                rng,
            )?),
            Precision::F32 => SInner::F32(SCore::build(
                def,
                pre,
                post,
                n_post,
                delay_steps,
                dt_ms,
                overrides,
                rng,
            )?),
        };
        Ok(SynapseExec { inner })
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        sboth!(self, c => c.pre.len())
    }

    /// `true` without synapses.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The model.
    pub fn def(&self) -> &SynapseModelDef {
        sboth!(self, c => &c.def)
    }

    /// Presynaptic spikes arrive at synapses `batch` in step `step` (see the module docs).
    pub fn on_arrivals<F: FnMut(usize, u32, f64)>(
        &mut self,
        step: u64,
        batch: &[u32],
        values: &[Values],
        mut add: F,
    ) {
        sboth_mut!(self, c => {
            let m = c.pre.len();
            for &s in batch {
                if let Some(slot) = c.last_pre.get_mut(s as usize) {
                    *slot = step.saturating_sub(u64::from(c.delay[s as usize]));
                }
            }
            // (the reused buffer keeps this allocation-free after the first calls)
            let mut buf = std::mem::take(&mut c.batch);
            buf.clear();
            buf.extend(batch.iter().copied().filter(|&s| (s as usize) < m));
            c.advance(step, &buf);
            c.run(Part::OnPre, Some(&buf), values, &mut add);
            c.batch = buf;
        })
    }

    /// Postsynaptic neurons `spikes` spiked in step `step` (see the module docs).
    pub fn on_post_spikes<F: FnMut(usize, u32, f64)>(
        &mut self,
        step: u64,
        spikes: &[u32],
        values: &[Values],
        mut add: F,
    ) {
        sboth_mut!(self, c => {
            let mut batch = std::mem::take(&mut c.batch);
            batch.clear();
            for &j in spikes {
                let j = j as usize;
                if j >= c.n_post {
                    continue;
                }
                c.last_post[j] = step;
                batch.extend_from_slice(&c.by_post[c.post_ptr[j] as usize..c.post_ptr[j + 1] as usize]);
            }
            c.advance(step, &batch);
            c.run(Part::OnPost, Some(&batch), values, &mut add);
            c.batch = batch;
        })
    }

    /// Postsynaptic neurons `spikes` spiked in step `step`: their synapses' `t_post` becomes
    /// `step` without running `on_post` (a network that runs the per-step equations of the
    /// step before `on_post` calls this first; [`on_post_spikes`](Self::on_post_spikes) then
    /// sets the same value again).
    pub fn mark_post_spikes(&mut self, step: u64, spikes: &[u32]) {
        sboth_mut!(self, c => {
            for &j in spikes {
                if let Some(slot) = c.last_post.get_mut(j as usize) {
                    *slot = step;
                }
            }
        })
    }

    /// The per-step equations, over all synapses (see the module docs).
    pub fn per_step(&mut self, step: u64, values: &[Values]) {
        let _ = step;
        sboth_mut!(self, c => c.run(Part::PerStep, None, values, &mut super::exec::NoTargets))
    }

    /// The names of the per-synapse variables.
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

    /// A per-synapse variable as `f64` (a copy). Event-driven variables are as of each
    /// synapse's last event; [`flush`](Self::flush) brings them up to a step first.
    pub fn get(&self, name: &str) -> Option<Vec<f64>> {
        let k = self.var_index(name)?;
        Some(sboth!(self, c => c.arrays[k].iter().map(|x| x.to_f64()).collect()))
    }

    /// A per-synapse variable without a copy, when the precision is `f64`.
    pub fn state_f64(&self, name: &str) -> Option<&[f64]> {
        let k = self.var_index(name)?;
        match &self.inner {
            SInner::F64(c) => Some(&c.arrays[k]),
            SInner::F32(_) => None,
        }
    }

    /// Set a per-synapse variable (one value, or one per synapse).
    pub fn set(&mut self, name: &str, values: &[f64]) -> crate::Result<()> {
        let Some(k) = self.var_index(name) else {
            return Err(crate::Error::config(
                format!("synapses.{name}"),
                format!(
                    "unknown variable; allowed: {}",
                    self.state_names().join(", ")
                ),
            ));
        };
        let m = self.len();
        if values.len() != 1 && values.len() != m {
            return Err(crate::Error::ShapeMismatch {
                what: format!("synapses.{name}"),
                expected: format!("1 or {m} values"),
                got: values.len().to_string(),
            });
        }
        sboth_mut!(self, c => {
            for (s, x) in c.arrays[k].iter_mut().enumerate() {
                *x = Float::from_f64(values[if values.len() == 1 { 0 } else { s }]);
            }
        });
        Ok(())
    }

    /// Exchange the storage of per-synapse variable `name` with `values` (one value per
    /// synapse; `f64` precision only), so that a network can lend its own array (a plastic
    /// projection's weights) to the model for a call and take it back after, without a copy.
    /// `false` (and nothing changes) for an unknown name, `f32` precision or a wrong length.
    pub fn swap_f64(&mut self, name: &str, values: &mut Vec<f64>) -> bool {
        let Some(k) = self.var_index(name) else {
            return false;
        };
        match &mut self.inner {
            SInner::F64(c) if c.arrays[k].len() == values.len() => {
                std::mem::swap(&mut c.arrays[k], values);
                true
            }
            _ => false,
        }
    }

    /// Bring every event-driven variable up to step `step` (before reading them).
    pub fn flush(&mut self, step: u64) {
        sboth_mut!(self, c => {
            let all: Vec<u32> = (0..c.pre.len() as u32).collect();
            c.advance(step, &all);
        })
    }
}

// ---- checkpoints -----------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SynapseSnapshot {
    name: String,
    source: ModelSource,
    pre: Vec<u32>,
    post: Vec<u32>,
    n_post: usize,
    delay: Vec<u32>,
    dt: f64,
    precision: Precision,
    params: Vec<(String, Vec<f64>)>,
    state: Vec<Vec<f64>>,
    last_update: Vec<u64>,
    last_pre: Vec<u64>,
    last_post: Vec<u64>,
    rng: Rng,
}

impl Serialize for SynapseExec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let def = self.def();
        let snap = sboth!(self, c => SynapseSnapshot {
            name: def.name().to_string(),
            source: def.source().clone(),
            pre: c.pre.clone(),
            post: c.post.clone(),
            n_post: c.n_post,
            delay: c.delay.clone(),
            dt: c.dt,
            precision: match self.inner { SInner::F64(_) => Precision::F64, SInner::F32(_) => Precision::F32 },
            params: c.overrides.iter().map(|(k, v)| (def.checked.params[*k].name.clone(), match v {
                BV::S(x) => vec![*x],
                BV::E(xs) => xs.clone(),
            })).collect(),
            state: c.arrays[..def.checked.vars.len()].iter().map(|a| a.iter().map(|x| x.to_f64()).collect()).collect(),
            last_update: c.last_update.clone(),
            last_pre: c.last_pre.clone(),
            last_post: c.last_post.clone(),
            rng: c.rng.clone(),
        });
        snap.serialize(s)
    }
}

impl<'de> Deserialize<'de> for SynapseExec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let snap = SynapseSnapshot::deserialize(d)?;
        let def =
            SynapseModelDef::from_source(&snap.name, &snap.source).map_err(D::Error::custom)?;
        let params: Vec<(&str, &[f64])> = snap
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        let mut exec = SynapseExec::new(
            &def,
            &snap.pre,
            &snap.post,
            snap.n_post,
            &snap.delay,
            snap.dt,
            snap.precision,
            snap.rng.clone(),
            &params,
        )
        .map_err(D::Error::custom)?;
        let m = snap.pre.len();
        let ok = sboth_mut!(exec, c => {
            if snap.state.len() != def.checked.vars.len()
                || snap.state.iter().any(|a| a.len() != m)
                || snap.last_update.len() != m
                || snap.last_pre.len() != m
                || snap.last_post.len() != c.n_post
            {
                false
            } else {
                for (a, s) in c.arrays.iter_mut().zip(&snap.state) {
                    for (x, &y) in a.iter_mut().zip(s) {
                        *x = Float::from_f64(y);
                    }
                }
                c.last_update = snap.last_update.clone();
                c.last_pre = snap.last_pre.clone();
                c.last_post = snap.last_post.clone();
                c.rng = snap.rng.clone();
                true
            }
        });
        if !ok {
            return Err(D::Error::custom("synapse state does not match the model"));
        }
        Ok(exec)
    }
}
