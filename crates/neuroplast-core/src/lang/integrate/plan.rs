//! Planning, when a model is defined: which variables are integrated together and by which
//! method, checked (a method that cannot integrate its equations is an error then), and the
//! synapse variables integrated exactly between events.

use crate::lang::checked::{Checked, Equation};
use crate::lang::error::{ErrorKind, LangResult};
use crate::lang::method::Method;
use crate::lang::symbolic::{
    derive, linear_coefficients, simplify, subst, subst_noise, Builtin, RExpr,
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

impl Plan {
    /// The groups of a synapse's semiglobal variables (`semiglobal`), or of its per-synapse
    /// ones; no event-driven variables.
    pub(crate) fn only(&self, c: &Checked, semiglobal: bool) -> Plan {
        Plan {
            groups: self
                .groups
                .iter()
                .filter(|g| c.vars[g.vars[0] as usize].semiglobal == semiglobal)
                .cloned()
                .collect(),
            event_driven: Vec::new(),
        }
    }
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
    let brian = c.sources.syntax == crate::lang::span::Syntax::Brian2;
    let mut odes: Vec<(usize, u32, &RExpr, crate::lang::span::Span)> = Vec::new();
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
    // groups in order of first appearance (a synapse's semiglobal variables apart: they are
    // integrated once per postsynaptic neuron)
    let semi = |v: u32| c.vars[v as usize].semiglobal;
    for (i, &(k, v, rhs, _)) in odes.iter().enumerate() {
        let m = methods[i];
        match plan
            .groups
            .iter_mut()
            .find(|g| g.method == m && semi(g.vars[0]) == semi(v))
        {
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
    span: crate::lang::span::Span,
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
