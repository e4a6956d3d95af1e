//! The update formulas, lowered when a population is built: explicit Runge–Kutta steps (with
//! Euler–Maruyama noise), exponential Euler, and exact propagators (see the table in the
//! parent module's docs).

use crate::lang::ast::BinOp;
use crate::lang::checked::Checked;
use crate::lang::expm::{propagators, Mat};
use crate::lang::ir::{BOp, Dist, UOp};
use crate::lang::lower::{Env, Lowerer, Val};
use crate::lang::method::Method;
use crate::lang::symbolic::{derive, simplify, subst, subst_noise, Builtin, Func, RExpr};

use super::build::{Build, BV};
use super::plan::{Group, GroupKind, Plan};

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
