//! Recognising the shape: whether a synapse model's per-step equations have a closed form
//! between events (see the parent module), and the coefficients, conditions and helpers of
//! the projection's closed form when they do.

use crate::lang::ast::{AssignOp, BinOp};
use crate::lang::checked::{Checked, Equation};
use crate::lang::fold::eval_const;
use crate::lang::integrate::BV;
use crate::lang::method::Method;
use crate::lang::symbolic::{linear_coefficients, map_builtins, simplify, subst, Builtin, RExpr};
use crate::lang::synapse::def::SynapseModelDef;

use super::{Cond, Decay, Helper, Lazy, Leaf, Opd, Trace, MAX_TRACES, NO_MEMO, SLOTS};

impl Opd {
    /// `e` as an operand; `t_pre` is slot `times`, `t_post` slot `times + 1`.
    fn of(e: &RExpr, params: &[BV], times: usize) -> Option<Opd> {
        match e {
            RExpr::Const(x) => Some(Opd::K(*x)),
            RExpr::Param(p) => match params.get(*p as usize) {
                Some(BV::S(x)) => Some(Opd::K(*x)),
                Some(BV::E(_)) => None,
                None => match *p as usize - params.len() {
                    k if k == times => Some(Opd::TPre),
                    k if k == times + 1 => Some(Opd::TPost),
                    _ => None,
                },
            },
            _ => None,
        }
    }
}

/// Slots of the evaluation after the parameters: semiglobals, then the traces' values, then
/// `t_pre`, `t_post`.
fn slot_of(np: usize, k: usize) -> u32 {
    (np + k) as u32
}

impl Lazy {
    /// The closed form of `def`'s per-step equations for a projection with parameter values
    /// `params` (`None`: they do not have the shape; the per-step program runs instead).
    pub(in crate::lang::synapse) fn fits(
        def: &SynapseModelDef,
        params: &[BV],
        dt: f64,
        m: usize,
        n_post: usize,
    ) -> Option<Lazy> {
        let c: &Checked = &def.checked;
        let np = params.len();
        let per_syn = |v: u32| !c.vars[v as usize].semiglobal;
        // the per-synapse per-step equations, in order
        let eqs: Vec<&Equation> = c
            .eqs
            .iter()
            .filter(|e| {
                let (Equation::Ode { var, .. } | Equation::Assign { var, .. }) = e;
                per_syn(*var) && !c.vars[*var as usize].event_driven
            })
            .collect();
        let assigns: Vec<(u32, AssignOp, &RExpr)> = eqs
            .iter()
            .filter_map(|e| match e {
                Equation::Assign { var, op, rhs, .. } => Some((*var, *op, rhs)),
                _ => None,
            })
            .collect();
        let (&(x, op, x_rhs), helpers) = assigns.split_last()?;
        if !matches!(op, AssignOp::Set | AssignOp::Add | AssignOp::Sub) {
            return None;
        }
        // traces: every per-step per-synapse ODE, linear in its own variable only
        let mut traces: Vec<(u32, Trace)> = Vec::new();
        let plan = def.plan.only(c, false);
        let odes = plan
            .groups
            .iter()
            .flat_map(|g| g.vars.iter().zip(&g.rhs).map(move |(v, rhs)| (g, *v, rhs)));
        for (g, v, rhs) in odes {
            if v == x || (0..c.vars.len() as u32).any(|u| u != v && rhs.uses_var(u)) {
                return None;
            }
            let a = linear_coefficients(rhs, &[v])?.pop()?;
            let constant = simplify(&subst(rhs, &|u| (u == v).then_some(RExpr::Const(0.0))));
            let param = |p: u32| match params.get(p as usize) {
                Some(BV::S(y)) => Some(*y),
                _ => None,
            };
            let a = eval_const(&with_dt(&a, dt), &param)?;
            if eval_const(&with_dt(&constant, dt), &param)? != 0.0 {
                return None;
            }
            // ln q of the method's per-step factor for a linear equation
            let h = a * dt;
            let q = match g.method {
                Method::Exact | Method::ExponentialEuler => h.exp(),
                Method::Euler => 1.0 + h,
                Method::Midpoint | Method::Heun => 1.0 + h + h * h / 2.0,
                Method::Rk4 => 1.0 + h + h * h / 2.0 + h * h * h / 6.0 + h * h * h * h / 24.0,
            };
            if !(q.is_finite() && q > 0.0 && h.is_finite()) {
                return None;
            }
            let ln_q = match g.method {
                Method::Exact | Method::ExponentialEuler => h,
                _ => q.ln(),
            };
            traces.push((
                v,
                Trace {
                    arr: v as u16,
                    decay: Decay::new(ln_q),
                },
            ));
        }
        let trace_vars: Vec<u32> = traces.iter().map(|t| t.0).collect();
        let helper_vars: Vec<u32> = helpers.iter().map(|h| h.0).collect();
        // helpers: `y = …` of traces, t_pre/t_post and parameters, read only by later
        // per-step statements; no bounds
        let mut inlined: Vec<(u32, RExpr)> = Vec::new();
        for &(y, op, rhs) in helpers {
            let var = &c.vars[y as usize];
            if op != AssignOp::Set || var.min.is_some() || var.max.is_some() {
                return None;
            }
            let value = subst(rhs, &|u| {
                inlined
                    .iter()
                    .find(|(v, _)| *v == u)
                    .map(|(_, e)| e.clone())
            });
            if value.uses_var(x) || value.uses_var(y) {
                return None;
            }
            inlined.push((y, value));
        }
        // nothing else reads a helper (event statements, trace equations, semiglobals)
        let reads_helper = |e: &RExpr| helper_vars.iter().any(|&y| e.uses_var(y));
        if c.on_pre
            .iter()
            .chain(&c.on_post)
            .any(|s| reads_helper(&s.value))
            || def
                .plan
                .groups
                .iter()
                .any(|g| g.rhs.iter().any(reads_helper))
        {
            return None;
        }
        // the new value of x, helpers substituted
        let f = subst(x_rhs, &|u| {
            inlined
                .iter()
                .find(|(v, _)| *v == u)
                .map(|(_, e)| e.clone())
        });
        // random draws (even multiplied by 0) consume the projection's stream every step
        if f.is_random() || inlined.iter().any(|(_, e)| e.is_random()) {
            return None;
        }
        let g = match op {
            AssignOp::Set => f,
            AssignOp::Add => RExpr::bin(BinOp::Add, RExpr::Var(x), f),
            _ => RExpr::bin(BinOp::Sub, RExpr::Var(x), f),
        };
        // bounds: constants
        let bound = |e: &Option<RExpr>, none: f64| -> Option<f64> {
            match e {
                None => Some(none),
                Some(e) => eval_const(&with_dt(e, dt), &|p| match params.get(p as usize) {
                    Some(BV::S(y)) => Some(*y),
                    _ => None,
                }),
            }
        };
        let xv = &c.vars[x as usize];
        let (lo, hi) = (
            bound(&xv.min, f64::NEG_INFINITY)?,
            bound(&xv.max, f64::INFINITY)?,
        );
        if lo.is_nan() || hi.is_nan() || lo > hi {
            return None;
        }
        // slots: semiglobals, traces, t_pre, t_post
        let semi_vars: Vec<u32> = (0..c.vars.len() as u32)
            .filter(|&v| c.vars[v as usize].semiglobal)
            .collect();
        let ns = semi_vars.len();
        let nt = trace_vars.len();
        if ns + nt + 2 > SLOTS || nt > MAX_TRACES {
            return None;
        }
        let t_pre = slot_of(np, ns + nt);
        let t_post = slot_of(np, ns + nt + 1);
        let to_slots = |e: &RExpr, traces_too: bool| -> RExpr {
            let e = subst(e, &|u| {
                if let Some(k) = semi_vars.iter().position(|&s| s == u) {
                    return Some(RExpr::Param(slot_of(np, k)));
                }
                match trace_vars.iter().position(|&t| t == u) {
                    Some(k) if traces_too => Some(RExpr::Param(slot_of(np, ns + k))),
                    _ => None,
                }
            });
            with_builtins(&with_dt(&e, dt), t_pre, t_post)
        };
        // what each part may read
        let scalar =
            |p: u32| (p as usize) >= np || matches!(params.get(p as usize), Some(BV::S(_)));
        let only = |e: &RExpr, times: bool| {
            !e.any(&|n| match n {
                RExpr::Var(_) | RExpr::Ext(_) | RExpr::Noise(_) => true,
                RExpr::Builtin(b) => !(times && matches!(b, Builtin::TPre | Builtin::TPost)),
                RExpr::Param(p) => !scalar(*p),
                RExpr::Call(f, _) => f.is_random(),
                _ => false,
            })
        };
        // the conditions on t_pre / t_post, and the leaves
        let mut conds: Vec<RExpr> = Vec::new();
        collect_conds(&g, &mut conds);
        if conds.len() > 3 {
            return None;
        }
        let mut vars = vec![x];
        vars.extend(&trace_vars);
        let mut leaves = Vec::new();
        for k in 0..1usize << conds.len() {
            let e = choose(&g, &conds, k);
            if e.any(&|n| matches!(n, RExpr::Builtin(Builtin::TPre | Builtin::TPost))) {
                return None;
            }
            let co = linear_coefficients(&e, &vars)?;
            let rest = simplify(&subst(&e, &|u| {
                vars.contains(&u).then_some(RExpr::Const(0.0))
            }));
            let leaf = Leaf {
                a: to_slots(&co[0], false),
                b: co[1..].iter().map(|b| to_slots(b, false)).collect(),
                c: to_slots(&rest, false),
            };
            let parts = std::iter::once(&leaf.a).chain(&leaf.b).chain([&leaf.c]);
            for p in parts {
                if !only(p, false) {
                    return None;
                }
            }
            leaves.push(leaf);
        }
        let conds: Vec<RExpr> = conds.iter().map(|e| to_slots(e, false)).collect();
        if !conds
            .iter()
            .all(|e| only(e, true) && !reads_semis(e, np, ns))
        {
            return None;
        }
        let conds: Vec<Cond> = conds
            .into_iter()
            .map(|e| match &e {
                RExpr::Bin(
                    op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne),
                    a,
                    b,
                ) => match (Opd::of(a, params, ns + nt), Opd::of(b, params, ns + nt)) {
                    (Some(a), Some(b)) => Cond::Cmp(*op, a, b),
                    _ => Cond::Any(e),
                },
                _ => Cond::Any(e),
            })
            .collect();
        let helpers: Vec<Helper> = inlined
            .iter()
            .map(|(y, e)| Helper {
                arr: *y as u16,
                value: to_slots(e, true),
            })
            .collect();
        if !helpers
            .iter()
            .all(|h| only(&h.value, true) && !reads_semis(&h.value, np, ns))
        {
            return None;
        }
        let stride = 3 + nt;
        Some(Lazy {
            x: x as u16,
            traces: traces.into_iter().map(|t| t.1).collect(),
            helpers,
            conds,
            // one row more: a spiking neuron's next coefficients (`Lazy::spare`)
            coef: vec![0.0; (n_post + 1) * leaves.len() * stride],
            memo: vec![NO_MEMO; (n_post + 1) * leaves.len()],
            leaves,
            lo,
            hi,
            params: params
                .iter()
                .map(|p| match p {
                    BV::S(y) => *y,
                    BV::E(_) => f64::NAN,
                })
                .collect(),
            semis: semi_vars.iter().map(|&v| v as u16).collect(),
            synced: vec![0; m],
            now: 0,
            seen: vec![0.0; ns * (n_post + 1)],
            spare: n_post,
            pending: Vec::new(),
            pending_step: 0,
        })
    }
}

/// `e` with `dt` replaced by its value.
fn with_dt(e: &RExpr, dt: f64) -> RExpr {
    map_builtins(e, &|b| (b == Builtin::Dt).then_some(RExpr::Const(dt)))
}

/// `e` with `t_pre` / `t_post` as the slots `t_pre`, `t_post`.
fn with_builtins(e: &RExpr, t_pre: u32, t_post: u32) -> RExpr {
    map_builtins(e, &|b| match b {
        Builtin::TPre => Some(RExpr::Param(t_pre)),
        Builtin::TPost => Some(RExpr::Param(t_post)),
        _ => None,
    })
}

/// Whether `e` reads a semiglobal slot.
fn reads_semis(e: &RExpr, np: usize, ns: usize) -> bool {
    e.any(&|n| matches!(n, RExpr::Param(p) if (*p as usize) >= np && (*p as usize) < np + ns))
}

/// The distinct conditions of `e`'s selects that read `t_pre` or `t_post`.
fn collect_conds(e: &RExpr, out: &mut Vec<RExpr>) {
    e.visit(&mut |n| {
        if let RExpr::Select(c, _, _) = n {
            let timed = c.any(&|m| matches!(m, RExpr::Builtin(Builtin::TPre | Builtin::TPost)));
            if timed && !out.contains(c) {
                out.push((**c).clone());
            }
        }
    });
}

/// `e` with each select on `conds[i]` replaced by its branch for bit `i` of `k`.
fn choose(e: &RExpr, conds: &[RExpr], k: usize) -> RExpr {
    match e {
        RExpr::Select(c, a, b) => match conds.iter().position(|x| x == &**c) {
            Some(i) => choose(if k >> i & 1 == 1 { a } else { b }, conds, k),
            None => RExpr::Select(
                Box::new(choose(c, conds, k)),
                Box::new(choose(a, conds, k)),
                Box::new(choose(b, conds, k)),
            ),
        },
        RExpr::Un(op, a) => RExpr::Un(*op, Box::new(choose(a, conds, k))),
        RExpr::Bin(op, a, b) => RExpr::bin(*op, choose(a, conds, k), choose(b, conds, k)),
        RExpr::Call(f, args) => RExpr::Call(*f, args.iter().map(|a| choose(a, conds, k)).collect()),
        _ => e.clone(),
    }
}
