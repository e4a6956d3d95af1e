//! Integration methods: which variables are integrated together and how, checked when a model
//! is defined (a method that cannot integrate its equations is an error then), and the
//! update formulas lowered when a population is built.
//!
//! | method | update over one step `h` |
//! |---|---|
//! | `exact` | `x ← P x + Q b`, `P = e^{Ah}`, `Q = ∫₀ʰ e^{As} ds` for `x' = A x + b` with constant `A` (computed at build time; one variable alone: `P = exp(a h)`, `Q = h·exprel(a h)`) |
//! | `exponential_euler` | `x ← −b/a + (x + b/a)·exp(a h)` for `x' = a x + b`, `a`, `b` frozen over the step (Brian2's form) |
//! | `euler` | `x ← x + h f(x)` (Euler–Maruyama with `xi`: `+ g·√h·N(0,1)`) |
//! | `midpoint`, `rk2` | `x ← x + h f(x + h/2 · f(x))` |
//! | `heun` | `x ← x + h/2 (k₁ + k₂)`, `k₂ = f(x + h k₁)` |
//! | `rk4` | classic fourth order |
//!
//! Variables with the same method are one coupled system; other variables (other methods,
//! ANNarchy's assigned variables) are held at their values of the start of the step (or their
//! value at the equation's position, for ANNarchy's assignments). Two ways of writing the same
//! arithmetic as a hand-written kernel: in explicit methods an increment `h · (N / c)` with a
//! constant `c` is computed as `(h/c) · N`, and a variable that only decays (`x' = a x`, `a`
//! constant) is updated as `x · R(a h)` with the method's factor `R` computed at build time
//! (`1 + a h` for Euler).

use super::ast::BinOp;
use super::checked::{Checked, Equation};
use super::error::{ErrorKind, LangResult};
use super::expm::{propagators, Mat};
use super::fold::eval_const;
use super::ir::{BOp, Dist, UOp};
use super::lower::{Env, Lowerer, Val};
use super::method::Method;
use super::symbolic::{
    derive, linear_coefficients, simplify, subst, subst_noise, Builtin, Func, RExpr,
};

/// How a group is integrated.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum GroupKind {
    /// Explicit Runge–Kutta (Euler, midpoint, Heun, RK4).
    Explicit,
    /// Linear with constant coefficients: `a[i][j]`, constant parts `b[i]`.
    Exact { a: Vec<Vec<RExpr>>, b: Vec<RExpr> },
    /// `x_i' = a_i x_i + b_i`.
    ExpEuler { a: Vec<RExpr>, b: Vec<RExpr> },
}

/// Variables integrated together.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Group {
    pub method: Method,
    /// The variables.
    pub vars: Vec<u32>,
    /// Index in `Checked::eqs` of each variable's equation.
    pub eqs: Vec<usize>,
    /// Right-hand sides.
    pub rhs: Vec<RExpr>,
    pub kind: GroupKind,
}

/// A synapse variable integrated exactly between events: `x' = a x + b`, `a`, `b` constant.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EventDriven {
    pub var: u32,
    pub a: RExpr,
    pub b: RExpr,
}

/// How a model's equations are integrated.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Plan {
    pub groups: Vec<Group>,
    pub event_driven: Vec<EventDriven>,
}

fn dependencies(c: &Checked, e: &RExpr) -> Vec<String> {
    let mut out = Vec::new();
    e.visit(&mut |x| {
        let name = match x {
            RExpr::Var(v) => c.vars.get(*v as usize).map(|v| v.name.clone()),
            RExpr::Ext(k) => c
                .ext
                .get(*k as usize)
                .map(|x| format!("{}_{:?}", x.name, x.scope).to_lowercase()),
            RExpr::Builtin(b) if *b != Builtin::Dt => Some(b.name().to_string()),
            RExpr::Noise(_) => Some("xi".to_string()),
            RExpr::Call(f, _) if f.is_random() => Some(format!("{}()", f.name())),
            _ => None,
        };
        if let Some(n) = name {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    });
    out
}

/// Decide how every differential equation is integrated, and check that it can be.
pub(crate) fn plan(c: &Checked) -> LangResult<Plan> {
    let src = &c.sources;
    let brian = c.sources.syntax == super::span::Syntax::Brian2;
    let mut odes: Vec<(usize, u32, &RExpr, super::span::Span)> = Vec::new();
    let mut plan = Plan::default();
    for (k, eq) in c.eqs.iter().enumerate() {
        if let Equation::Ode { var, rhs, span } = eq {
            if c.vars[*var as usize].event_driven {
                plan.event_driven.push(event_driven(c, *var, rhs, *span)?);
            } else {
                odes.push((k, *var, rhs, *span));
            }
        }
    }
    let noisy = |rhs: &RExpr| rhs.any(&|e| matches!(e, RExpr::Noise(_)));
    // the method of each equation
    let explicit_any = odes
        .iter()
        .any(|(_, v, _, _)| c.vars[*v as usize].method.is_some())
        || c.method.is_some();
    let mut methods: Vec<Method> = Vec::new();
    for (_, v, rhs, span) in &odes {
        let m = match (c.vars[*v as usize].method, c.method) {
            (Some((m, _)), _) | (None, Some((m, _))) => m,
            (None, None) if !brian => Method::Euler,
            (None, None) => {
                // Brian2's default: exact where possible, else Euler
                let all: Vec<(u32, &RExpr)> = odes.iter().map(|o| (o.1, o.2)).collect();
                if !explicit_any && !odes.iter().any(|o| noisy(o.2)) && exact_kind(c, &all).is_ok()
                {
                    Method::Exact
                } else {
                    Method::Euler
                }
            }
        };
        if noisy(rhs) && !noise_is_linear(rhs) {
            return Err(src.error(
                ErrorKind::Method,
                *span,
                format!(
                    "white noise must enter d{}/dt linearly (g·xi)",
                    c.vars[*v as usize].name
                ),
                "terms like sigma*xi*sqrt(2/tau)",
            ));
        }
        if noisy(rhs) && m != Method::Euler {
            return Err(src.error(
                ErrorKind::Method,
                *span,
                format!(
                    "white noise (xi) needs method `euler` (Euler–Maruyama); `d{}/dt` uses `{}`",
                    c.vars[*v as usize].name,
                    m.name()
                ),
                "euler",
            ));
        }
        methods.push(m);
    }
    // groups in order of first appearance
    for (i, &(k, v, rhs, _)) in odes.iter().enumerate() {
        let m = methods[i];
        match plan.groups.iter_mut().find(|g| g.method == m) {
            Some(g) => {
                g.vars.push(v);
                g.eqs.push(k);
                g.rhs.push(rhs.clone());
            }
            None => plan.groups.push(Group {
                method: m,
                vars: vec![v],
                eqs: vec![k],
                rhs: vec![rhs.clone()],
                kind: GroupKind::Explicit,
            }),
        }
    }
    for g in plan.groups.iter_mut() {
        let pairs: Vec<(u32, &RExpr)> = g.vars.iter().copied().zip(g.rhs.iter()).collect();
        g.kind = match g.method {
            Method::Exact => exact_kind(c, &pairs).map_err(|(k, msg)| {
                let span = match &c.eqs[g.eqs[k]] {
                    Equation::Ode { span, .. } | Equation::Assign { span, .. } => *span,
                };
                src.error(
                    ErrorKind::Method,
                    span,
                    msg,
                    "exponential_euler (each equation linear in its own variable), euler, midpoint (rk2), heun, rk4",
                )
            })?,
            Method::ExponentialEuler => {
                let mut a = Vec::new();
                let mut b = Vec::new();
                for (k, (v, rhs)) in pairs.iter().enumerate() {
                    let name = &c.vars[*v as usize].name;
                    let span = match &c.eqs[g.eqs[k]] {
                        Equation::Ode { span, .. } | Equation::Assign { span, .. } => *span,
                    };
                    match derive(rhs, *v) {
                        Some(d) if !d.uses_var(*v) => {
                            a.push(d);
                            b.push(simplify(&subst(rhs, &|x| (x == *v).then_some(RExpr::Const(0.0)))));
                        }
                        _ => {
                            return Err(src.error(
                                ErrorKind::Method,
                                span,
                                format!("method `exponential_euler` needs d{name}/dt to be linear in {name}; it is not"),
                                "euler, midpoint (rk2), heun, rk4",
                            ))
                        }
                    }
                }
                GroupKind::ExpEuler { a, b }
            }
            _ => GroupKind::Explicit,
        };
    }
    Ok(plan)
}

/// The coefficients of a linear system with constant coefficients, or (index, message).
fn exact_kind(c: &Checked, eqs: &[(u32, &RExpr)]) -> Result<GroupKind, (usize, String)> {
    let vars: Vec<u32> = eqs.iter().map(|e| e.0).collect();
    let names: Vec<&str> = vars
        .iter()
        .map(|v| c.vars[*v as usize].name.as_str())
        .collect();
    let mut a = Vec::new();
    let mut b = Vec::new();
    for (k, (v, rhs)) in eqs.iter().enumerate() {
        let name = &c.vars[*v as usize].name;
        if rhs.is_random() {
            return Err((
                k,
                format!("method `exact` cannot integrate d{name}/dt: it is random (xi or rand())"),
            ));
        }
        let Some(coef) = linear_coefficients(rhs, &vars) else {
            return Err((
                k,
                format!(
                    "method `exact` cannot integrate d{name}/dt: it is not linear in {}",
                    names.join(", ")
                ),
            ));
        };
        for (j, co) in coef.iter().enumerate() {
            if !co.is_build_constant() {
                let deps = dependencies(c, co);
                return Err((k, format!(
                    "method `exact` needs constant coefficients: in d{name}/dt the coefficient of {} depends on {}, which changes during the run",
                    names[j],
                    deps.join(", ")
                )));
            }
        }
        a.push(coef);
        b.push(simplify(&subst(rhs, &|x| {
            vars.contains(&x).then_some(RExpr::Const(0.0))
        })));
    }
    Ok(GroupKind::Exact { a, b })
}

fn event_driven(
    c: &Checked,
    v: u32,
    rhs: &RExpr,
    span: super::span::Span,
) -> LangResult<EventDriven> {
    let name = &c.vars[v as usize].name;
    let fail = || {
        c.sources.error(
            ErrorKind::Method,
            span,
            format!("the event-driven d{name}/dt must be linear in {name} alone with constant coefficients (like dx/dt = -x/tau); it is not"),
            "dx/dt = -x/tau, dx/dt = (x0 - x)/tau; other equations are integrated every step (remove (event-driven))",
        )
    };
    let a = derive(rhs, v).ok_or_else(fail)?;
    let b = simplify(&subst(rhs, &|x| (x == v).then_some(RExpr::Const(0.0))));
    if !a.is_build_constant() || !b.is_build_constant() {
        return Err(fail());
    }
    Ok(EventDriven { var: v, a, b })
}

// ---- build-time values ---------------------------------------------------------------------

/// A value known when a population is built: the same for all elements, or one per element.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum BV {
    S(f64),
    E(Vec<f64>),
}

/// Parameter values and arrays created while lowering (per-element constants).
pub(crate) struct Build<'a> {
    pub n: usize,
    pub dt: f64,
    pub params: &'a [BV],
    /// Arrays created for per-element constants, numbered from `first_derived`.
    pub derived: Vec<Vec<f64>>,
    pub first_derived: u16,
}

impl Build<'_> {
    fn with_dt(&self, e: &RExpr) -> RExpr {
        fn go(e: &RExpr, dt: f64) -> RExpr {
            match e {
                RExpr::Builtin(Builtin::Dt) => RExpr::Const(dt),
                RExpr::Un(op, a) => RExpr::Un(*op, Box::new(go(a, dt))),
                RExpr::Bin(op, a, b) => RExpr::bin(*op, go(a, dt), go(b, dt)),
                RExpr::Select(c, a, b) => RExpr::Select(
                    Box::new(go(c, dt)),
                    Box::new(go(a, dt)),
                    Box::new(go(b, dt)),
                ),
                RExpr::Call(f, args) => RExpr::Call(*f, args.iter().map(|a| go(a, dt)).collect()),
                _ => e.clone(),
            }
        }
        go(e, self.dt)
    }

    /// The value of a constant expression (numbers, parameters, `dt`).
    pub fn eval(&self, e: &RExpr) -> Option<BV> {
        if !e.is_build_constant() {
            return None;
        }
        let e = self.with_dt(e);
        let mut per_element = false;
        e.visit(&mut |x| {
            if let RExpr::Param(p) = x {
                per_element |= matches!(self.params.get(*p as usize), Some(BV::E(_)));
            }
        });
        if !per_element {
            let v = eval_const(&e, &|p| match self.params.get(p as usize) {
                Some(BV::S(x)) => Some(*x),
                _ => None,
            })?;
            return Some(BV::S(v));
        }
        let mut out = Vec::with_capacity(self.n);
        for k in 0..self.n {
            out.push(eval_const(&e, &|p| match self.params.get(p as usize) {
                Some(BV::S(x)) => Some(*x),
                Some(BV::E(v)) => v.get(k).copied(),
                None => None,
            })?);
        }
        Some(BV::E(out))
    }

    /// A lowering value for `v` (a constant, or a new per-element array).
    pub fn val(&mut self, v: BV) -> Val {
        match v {
            BV::S(x) => Val::K(x),
            BV::E(xs) => {
                if let Some(k) = self.derived.iter().position(|d| *d == xs) {
                    return Val::A(self.first_derived + k as u16);
                }
                self.derived.push(xs);
                Val::A(self.first_derived + (self.derived.len() - 1) as u16)
            }
        }
    }

    /// `val(eval(e))`.
    pub fn konst(&mut self, e: &RExpr) -> Option<Val> {
        let v = self.eval(e)?;
        Some(self.val(v))
    }
}

fn mul(a: RExpr, b: RExpr) -> RExpr {
    RExpr::bin(BinOp::Mul, a, b)
}

fn dt() -> RExpr {
    RExpr::Builtin(Builtin::Dt)
}

/// `h · f` as a hand-written kernel computes it: `(h/c) · N` when `f = N / c` with a constant
/// `c`.
fn scaled(lw: &mut Lowerer, b: &mut Build, h: &RExpr, f: &RExpr, env: &Env) -> Val {
    if let RExpr::Bin(BinOp::Div, n, c) = f {
        if let Some(hc) = b.konst(&RExpr::bin(BinOp::Div, h.clone(), (**c).clone())) {
            let nv = lw.expr(n, env);
            return lw.bin(BOp::Mul, hc, nv);
        }
    }
    let hv = b.konst(h).unwrap_or(Val::K(f64::NAN));
    let fv = lw.expr(f, env);
    lw.bin(BOp::Mul, hv, fv)
}

/// For `x' = a·x` with a constant `a` (and nothing else): `a`.
fn pure_decay(rhs: &RExpr, v: u32) -> Option<RExpr> {
    if rhs.any(&|e| matches!(e, RExpr::Var(w) if *w != v)) || !rhs.is_build_constant_except(v) {
        return None;
    }
    let a = derive(rhs, v)?;
    if !a.is_build_constant() {
        return None;
    }
    let b = simplify(&subst(rhs, &|x| (x == v).then_some(RExpr::Const(0.0))));
    (b == RExpr::Const(0.0)).then_some(a)
}

impl RExpr {
    /// Build-constant apart from variable `v`.
    fn is_build_constant_except(&self, v: u32) -> bool {
        subst(self, &|x| (x == v).then_some(RExpr::Const(1.0))).is_build_constant()
    }
}

/// Split `rhs` into its deterministic part and white-noise terms: `f₀ + Σ gₖ·xiₖ`.
fn split_noise(rhs: &RExpr, n_noise: usize) -> (RExpr, Vec<(u32, RExpr)>) {
    let f0 = simplify(&subst_noise(rhs, &|_| RExpr::Const(0.0)));
    let mut terms = Vec::new();
    for k in 0..n_noise as u32 {
        if !rhs.any(&|e| *e == RExpr::Noise(k)) {
            continue;
        }
        // the coefficient of xi_k: rhs with xi_k = 1, the others 0, minus f0
        let one = subst_noise(rhs, &|j| RExpr::Const(if j == k { 1.0 } else { 0.0 }));
        terms.push((k, simplify(&RExpr::bin(BinOp::Sub, one, f0.clone()))));
    }
    (f0, terms)
}

/// Whether `rhs` is linear in every noise source (`g(x)·xi`, not `xi²`).
fn noise_is_linear(rhs: &RExpr) -> bool {
    // replace each noise by a fresh variable and check linearity in it
    let base = u32::MAX - 64;
    let r = subst_noise(rhs, &|k| RExpr::Var(base + k));
    let vars: Vec<u32> = (0..64)
        .map(|k| base + k)
        .filter(|v| r.uses_var(*v))
        .collect();
    linear_coefficients(&r, &vars).is_some()
}

/// Lower the update of every group; returns the new value of each integrated variable.
/// `envs[k]` is the environment of equation `k` (its position among ANNarchy's assignments).
pub(crate) fn lower_groups(
    lw: &mut Lowerer,
    b: &mut Build,
    plan: &Plan,
    c: &Checked,
    envs: &[Option<Env>],
) -> Vec<(u32, Val)> {
    let mut out = Vec::new();
    let h = dt();
    let half = mul(RExpr::Const(0.5), dt());
    // one normal draw per noise source and step, scaled by √dt
    let mut dw: Vec<Option<Val>> = vec![None; c.noise.len()];
    for g in &plan.groups {
        let env_of = |i: usize| envs.get(g.eqs[i]).cloned().flatten().unwrap_or_default();
        let x: Vec<Val> = (0..g.vars.len())
            .map(|i| {
                env_of(i)
                    .vars
                    .get(g.vars[i] as usize)
                    .copied()
                    .unwrap_or(Val::K(0.0))
            })
            .collect();
        // the environment of equation i with the group's variables at `ys`
        let stage_env = |i: usize, ys: &[Val]| {
            let mut e = env_of(i);
            for (j, &v) in g.vars.iter().enumerate() {
                if let Some(slot) = e.vars.get_mut(v as usize) {
                    *slot = ys[j];
                }
            }
            e
        };
        // … at time t + c·dt (Runge–Kutta stages)
        let step_dt = b.dt;
        let stage_env_at = |lw: &mut Lowerer, i: usize, ys: &[Val], c: f64| {
            let mut e = stage_env(i, ys);
            if c != 0.0 {
                e.time = Some(lw.bin(BOp::Add, Val::Time, Val::K(c * step_dt)));
            }
            e
        };
        let f = |lw: &mut Lowerer, i: usize, ys: &[Val], c: f64| {
            let e = stage_env_at(lw, i, ys, c);
            lw.expr(&g.rhs[i], &e)
        };
        let n = g.vars.len();
        match (&g.kind, g.method) {
            (GroupKind::Explicit, m) => {
                let mut new: Vec<Val> = match m {
                    Method::Euler => (0..n)
                        .map(|i| {
                            let (f0, terms) = split_noise(&g.rhs[i], c.noise.len());
                            let e = stage_env(i, &x);
                            let inc = scaled(lw, b, &h, &f0, &e);
                            let mut acc = lw.bin(BOp::Add, x[i], inc);
                            for (k, gk) in terms {
                                let w = *dw[k as usize].get_or_insert_with(|| {
                                    let z = lw.rand(Dist::Normal);
                                    lw.bin(BOp::Mul, Val::K(b.dt.sqrt()), z)
                                });
                                let gv = lw.expr(&gk, &e);
                                let t = lw.bin(BOp::Mul, gv, w);
                                acc = lw.bin(BOp::Add, acc, t);
                            }
                            acc
                        })
                        .collect(),
                    Method::Midpoint => {
                        let ys: Vec<Val> = (0..n)
                            .map(|i| {
                                let e = stage_env(i, &x);
                                let inc = scaled(lw, b, &half, &g.rhs[i], &e);
                                lw.bin(BOp::Add, x[i], inc)
                            })
                            .collect();
                        (0..n)
                            .map(|i| {
                                let e = stage_env_at(lw, i, &ys, 0.5);
                                let inc = scaled(lw, b, &h, &g.rhs[i], &e);
                                lw.bin(BOp::Add, x[i], inc)
                            })
                            .collect()
                    }
                    Method::Heun => {
                        let k1: Vec<Val> = (0..n).map(|i| f(lw, i, &x, 0.0)).collect();
                        let ys: Vec<Val> = (0..n)
                            .map(|i| {
                                let t = lw.bin(BOp::Mul, Val::K(b.dt), k1[i]);
                                lw.bin(BOp::Add, x[i], t)
                            })
                            .collect();
                        let k2: Vec<Val> = (0..n).map(|i| f(lw, i, &ys, 1.0)).collect();
                        (0..n)
                            .map(|i| {
                                let s = lw.bin(BOp::Add, k1[i], k2[i]);
                                let t = lw.bin(BOp::Mul, Val::K(0.5 * b.dt), s);
                                lw.bin(BOp::Add, x[i], t)
                            })
                            .collect()
                    }
                    _ => {
                        // rk4
                        let hh = 0.5 * b.dt;
                        let step = |lw: &mut Lowerer, k: &[Val], s: f64| -> Vec<Val> {
                            (0..n)
                                .map(|i| {
                                    let t = lw.bin(BOp::Mul, Val::K(s), k[i]);
                                    lw.bin(BOp::Add, x[i], t)
                                })
                                .collect()
                        };
                        let k1: Vec<Val> = (0..n).map(|i| f(lw, i, &x, 0.0)).collect();
                        let y2 = step(lw, &k1, hh);
                        let k2: Vec<Val> = (0..n).map(|i| f(lw, i, &y2, 0.5)).collect();
                        let y3 = step(lw, &k2, hh);
                        let k3: Vec<Val> = (0..n).map(|i| f(lw, i, &y3, 0.5)).collect();
                        let y4 = step(lw, &k3, b.dt);
                        let k4: Vec<Val> = (0..n).map(|i| f(lw, i, &y4, 1.0)).collect();
                        (0..n)
                            .map(|i| {
                                let a2 = lw.bin(BOp::Mul, Val::K(2.0), k2[i]);
                                let a3 = lw.bin(BOp::Mul, Val::K(2.0), k3[i]);
                                let s = lw.bin(BOp::Add, k1[i], a2);
                                let s = lw.bin(BOp::Add, s, a3);
                                let s = lw.bin(BOp::Add, s, k4[i]);
                                let t = lw.bin(BOp::Mul, Val::K(b.dt / 6.0), s);
                                lw.bin(BOp::Add, x[i], t)
                            })
                            .collect()
                    }
                };
                // a pure decay x' = a x is x · R(a h), R computed at build time
                for i in 0..n {
                    if let Some(a) = pure_decay(&g.rhs[i], g.vars[i]) {
                        let z = simplify(&mul(a, dt()));
                        let one = RExpr::Const(1.0);
                        let r = match m {
                            Method::Euler => RExpr::bin(BinOp::Add, one, z),
                            Method::Midpoint | Method::Heun => RExpr::bin(
                                BinOp::Add,
                                RExpr::bin(BinOp::Add, one, z.clone()),
                                mul(mul(z.clone(), z), RExpr::Const(0.5)),
                            ),
                            _ => {
                                let z2 = mul(z.clone(), z.clone());
                                let z3 = mul(z2.clone(), z.clone());
                                let z4 = mul(z3.clone(), z.clone());
                                let s = RExpr::bin(BinOp::Add, one, z);
                                let s = RExpr::bin(BinOp::Add, s, mul(z2, RExpr::Const(0.5)));
                                let s = RExpr::bin(
                                    BinOp::Add,
                                    s,
                                    RExpr::bin(BinOp::Div, z3, RExpr::Const(6.0)),
                                );
                                RExpr::bin(
                                    BinOp::Add,
                                    s,
                                    RExpr::bin(BinOp::Div, z4, RExpr::Const(24.0)),
                                )
                            }
                        };
                        if let Some(rv) = b.konst(&r) {
                            new[i] = lw.bin(BOp::Mul, x[i], rv);
                        }
                    }
                }
                out.extend(g.vars.iter().copied().zip(new));
            }
            (GroupKind::ExpEuler { a, b: bs }, _) => {
                for i in 0..n {
                    let e = stage_env(i, &x);
                    let ev = match b.konst(&RExpr::Call(
                        Func::Exp,
                        vec![simplify(&mul(a[i].clone(), dt()))],
                    )) {
                        Some(v) => v,
                        None => {
                            let av = lw.expr(&a[i], &e);
                            let z = lw.bin(BOp::Mul, av, Val::K(b.dt));
                            lw.un(UOp::Exp, z)
                        }
                    };
                    let new = if bs[i] == RExpr::Const(0.0) {
                        lw.bin(BOp::Mul, x[i], ev)
                    } else {
                        let av = lw.expr(&a[i], &e);
                        let bv = lw.expr(&bs[i], &e);
                        let ba = lw.bin(BOp::Div, bv, av);
                        let s = lw.bin(BOp::Add, x[i], ba);
                        let p = lw.bin(BOp::Mul, s, ev);
                        lw.bin(BOp::Sub, p, ba)
                    };
                    out.push((g.vars[i], new));
                }
            }
            (GroupKind::Exact { a, b: bs }, _) => {
                out.extend(lower_exact(lw, b, g, a, bs, &x, &stage_env));
            }
        }
    }
    out
}

fn lower_exact(
    lw: &mut Lowerer,
    b: &mut Build,
    g: &Group,
    a: &[Vec<RExpr>],
    bs: &[RExpr],
    x: &[Val],
    stage_env: &impl Fn(usize, &[Val]) -> Env,
) -> Vec<(u32, Val)> {
    let n = g.vars.len();
    let zero = RExpr::Const(0.0);
    let nonzero = |i: usize, j: usize| a[i][j] != zero;
    // reachability through non-zero coefficients (structural zeros of P and Q)
    let mut reach = vec![vec![false; n]; n];
    for (i, row) in reach.iter_mut().enumerate() {
        row[i] = true;
        let mut stack = vec![i];
        while let Some(p) = stack.pop() {
            for (q, seen) in row.iter_mut().enumerate() {
                if nonzero(p, q) && !*seen {
                    *seen = true;
                    stack.push(q);
                }
            }
        }
    }
    let scalar = |i: usize| (0..n).all(|j| j == i || !nonzero(i, j));
    let coupled: Vec<usize> = (0..n).filter(|&i| !scalar(i)).collect();
    // numerical propagators for the coupled rows (per element if coefficients are)
    type Table = Vec<Vec<BV>>;
    let mut pq: Option<(Table, Table)> = None;
    if !coupled.is_empty() {
        let vals: Vec<Vec<BV>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| b.eval(&a[i][j]).unwrap_or(BV::S(f64::NAN)))
                    .collect()
            })
            .collect();
        let per = vals.iter().flatten().any(|v| matches!(v, BV::E(_)));
        let count = if per { b.n } else { 1 };
        let mut p_acc = vec![vec![Vec::with_capacity(count); n]; n];
        let mut q_acc = vec![vec![Vec::with_capacity(count); n]; n];
        for k in 0..count {
            let mut m = Mat::zeros(n);
            for (i, row) in vals.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    let v = match v {
                        BV::S(x) => *x,
                        BV::E(xs) => xs.get(k).copied().unwrap_or(f64::NAN),
                    };
                    m.set(i, j, v);
                }
            }
            let (p, q) = propagators(&m, b.dt).unwrap_or_else(|| {
                let nan = Mat {
                    n,
                    a: vec![f64::NAN; n * n],
                };
                (nan.clone(), nan)
            });
            for i in 0..n {
                for j in 0..n {
                    p_acc[i][j].push(p.get(i, j));
                    q_acc[i][j].push(q.get(i, j));
                }
            }
        }
        let to_bv = |v: Vec<f64>| if per { BV::E(v) } else { BV::S(v[0]) };
        pq = Some((
            p_acc
                .into_iter()
                .map(|r| r.into_iter().map(to_bv).collect())
                .collect(),
            q_acc
                .into_iter()
                .map(|r| r.into_iter().map(to_bv).collect())
                .collect(),
        ));
    }
    let mut out = Vec::new();
    for i in 0..n {
        let e = stage_env(i, x);
        let new = if scalar(i) {
            let z = simplify(&mul(a[i][i].clone(), dt()));
            let bi = &bs[i];
            if a[i][i] == zero {
                if *bi == zero {
                    x[i]
                } else {
                    let inc = scaled(lw, b, &dt(), bi, &e);
                    lw.bin(BOp::Add, x[i], inc)
                }
            } else {
                let p = b
                    .konst(&RExpr::Call(Func::Exp, vec![z.clone()]))
                    .unwrap_or(Val::K(f64::NAN));
                let xp = lw.bin(BOp::Mul, x[i], p);
                if *bi == zero {
                    xp
                } else {
                    let q = b
                        .konst(&mul(dt(), RExpr::Call(Func::Exprel, vec![z])))
                        .unwrap_or(Val::K(f64::NAN));
                    let bv = lw.expr(bi, &e);
                    let t = lw.bin(BOp::Mul, q, bv);
                    lw.bin(BOp::Add, xp, t)
                }
            }
        } else {
            let Some((p, q)) = &pq else { continue };
            let mut acc: Option<Val> = None;
            let mut add = |lw: &mut Lowerer, t: Val| {
                acc = Some(match acc {
                    None => t,
                    Some(s) => lw.bin(BOp::Add, s, t),
                });
            };
            for j in 0..n {
                if reach[i][j] {
                    let pv = b.val(p[i][j].clone());
                    let t = lw.bin(BOp::Mul, pv, x[j]);
                    add(lw, t);
                }
            }
            for j in 0..n {
                if reach[i][j] && bs[j] != zero {
                    let qv = b.val(q[i][j].clone());
                    let ej = stage_env(j, x);
                    let bv = lw.expr(&bs[j], &ej);
                    let t = lw.bin(BOp::Mul, qv, bv);
                    add(lw, t);
                }
            }
            acc.unwrap_or(Val::K(0.0))
        };
        out.push((g.vars[i], new));
    }
    out
}
