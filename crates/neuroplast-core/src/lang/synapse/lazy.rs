//! Per-step synapse equations in closed form between events.
//!
//! ANNarchy's plastic synapses change their weight every step (`w += … : min=, max=`), so run
//! literally they cost a pass over every synapse every step. When the per-synapse per-step
//! equations have the shape of a homeostatic STDP rule, a synapse's state between two of its
//! events follows a recursion with a closed form, and a synapse is brought up to date only at
//! its events. The shape, checked when a projection is built (anything else runs the per-step
//! program every step):
//!
//! * every per-synapse ODE that is integrated every step is a *trace* `dT/dt = a·T` with a
//!   constant `a` (any method: the per-step factor `q` is what the method gives for a linear
//!   equation, `e^{a·dt}` for `exact` and `exponential`, `1 + a·dt` for `euler`, …);
//! * exactly one variable `x` (the weight) is changed by a per-step statement, the last one
//!   (`x += F`, `x -= F`, `x = F`), optionally bounded by constant `min=` / `max=`; statements
//!   before it define helpers (`stdp = if t_post >= t_pre: ltp else: -ltd`) that only later
//!   per-step statements read;
//! * with the helpers substituted, the new value is, in each branch of the conditions on
//!   `t_pre` / `t_post` (which change only at the synapse's events), affine in `x` and the
//!   traces: `A·x + Σ Bᵢ·Tᵢ + C`, the coefficients reading only constants, parameters with one
//!   value, semiglobal variables (one value per postsynaptic neuron) and `dt`.
//!
//! Then, per postsynaptic neuron, the coefficients are constant until its semiglobal values
//! change (they are compared after the per-post program every step), and a synapse is brought
//! up to a step on: an arrival (before `on_pre`), a spike of its postsynaptic neuron (before
//! `t_post` changes and before `on_post`), a change of its neuron's coefficients, a freeze or a
//! `set`. With one trace term and `C = 0` the stretch is [`crate::affine::stretch`] (the
//! built-in `homeostatic_stdp`'s closed form, bounds included); otherwise the recursion is
//! iterated over the stretch. Results equal the per-step program's up to rounding (a test
//! compares them); helpers and stale weights are exact after a flush (a freeze), as the
//! built-in rule's are.

use crate::affine::{geometric_gap, stretch, Powers};
use crate::lang::ast::{AssignOp, BinOp};
use crate::lang::checked::{Checked, Equation};
use crate::lang::float::Float;
use crate::lang::fold::eval_const;
use crate::lang::integrate::BV;
use crate::lang::method::Method;
use crate::lang::symbolic::{linear_coefficients, simplify, subst, Builtin, RExpr};

use super::def::SynapseModelDef;

/// Powers of a trace's per-step factor: a table until it underflows, then `exp(k·ln q)`.
#[derive(Clone, Debug)]
struct Decay {
    ln_q: f64,
    table: Vec<f64>,
}

impl Decay {
    fn new(ln_q: f64) -> Decay {
        let mut table = Vec::new();
        while table.len() < 1 << 16 {
            let x = (table.len() as f64 * ln_q).exp();
            table.push(x);
            if x == 0.0 {
                break;
            }
        }
        Decay { ln_q, table }
    }
}

impl Powers for Decay {
    #[inline]
    fn pow(&self, k: u64) -> f64 {
        match self.table.get(k as usize) {
            Some(&x) => x,
            None if self.table.last() == Some(&0.0) => 0.0,
            None => (k as f64 * self.ln_q).exp(),
        }
    }
}

/// A trace: its array and per-step decay.
#[derive(Clone, Debug)]
struct Trace {
    arr: u16,
    decay: Decay,
}

/// One branch of the conditions: the new value is `a·x + Σ b[i]·T[i] + c`.
#[derive(Clone, Debug)]
struct Leaf {
    a: RExpr,
    b: Vec<RExpr>,
    c: RExpr,
}

/// A helper variable (`stdp = …`): its array and its value as an expression of the traces
/// (as `Param(n_params + slot)`), `t_pre`, `t_post` and parameters.
#[derive(Clone, Debug)]
struct Helper {
    arr: u16,
    value: RExpr,
}

/// A condition on `t_pre` / `t_post`: a comparison of two values read directly, or any
/// expression.
#[derive(Clone, Debug)]
enum Cond {
    Cmp(BinOp, Opd, Opd),
    Any(RExpr),
}

/// An operand of [`Cond::Cmp`]: `t_pre`, `t_post` (ms) or a constant.
#[derive(Clone, Copy, Debug)]
enum Opd {
    TPre,
    TPost,
    K(f64),
}

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

    #[inline(always)]
    fn at(self, t_pre: f64, t_post: f64) -> f64 {
        match self {
            Opd::TPre => t_pre,
            Opd::TPost => t_post,
            Opd::K(x) => x,
        }
    }
}

/// The factors of the last stretch of `n` steps computed for a postsynaptic neuron and leaf:
/// the synapses of a neuron are mostly brought up to date together, by the same `n`.
#[derive(Clone, Copy, Debug)]
struct Memo {
    n: u64,
    trace: usize,
    a_n: f64,
    g_n: f64,
}

const NO_MEMO: Memo = Memo {
    n: u64::MAX,
    trace: usize::MAX,
    a_n: 0.0,
    g_n: 0.0,
};

/// The per-step equations of one projection in closed form (see the module docs).
#[derive(Clone, Debug)]
pub(super) struct Lazy {
    /// The driven variable's array.
    x: u16,
    traces: Vec<Trace>,
    helpers: Vec<Helper>,
    /// Conditions on `t_pre` / `t_post`; leaf `k` is taken where condition `i` holds iff bit
    /// `i` of `k` is set.
    conds: Vec<Cond>,
    leaves: Vec<Leaf>,
    lo: f64,
    hi: f64,
    /// Scalar parameter values (`NaN` for one given per synapse: never read, see `fits`).
    params: Vec<f64>,
    /// The semiglobal variables' arrays the coefficients read (slots after the parameters).
    semis: Vec<u16>,
    /// Per synapse: the steps before `synced[s]` are in its state.
    pub(super) synced: Vec<u64>,
    /// The next step not yet declared run (`per_step` of step `t` makes it `t + 1`).
    pub(super) now: u64,
    /// Per postsynaptic neuron and leaf: `[a, ln a, c, b₀, b₁, …]`.
    coef: Vec<f64>,
    /// The semiglobal values before this step's per-post program (semi-major).
    prev: Vec<f64>,
    /// Per postsynaptic neuron and leaf: the last stretch's factors (a memo only: the same
    /// expressions fill it, so results are the same bits with or without it).
    memo: Vec<Memo>,
}

/// Values an evaluation reads besides the parameters (semiglobals, traces, `t_pre`, `t_post`).
const SLOTS: usize = 16;
/// Most traces a closed form takes.
const MAX_TRACES: usize = 13;

/// Slots of the evaluation after the parameters: semiglobals, then the traces' values, then
/// `t_pre`, `t_post`.
fn slot_of(np: usize, k: usize) -> u32 {
    (np + k) as u32
}

impl Lazy {
    /// The closed form of `def`'s per-step equations for a projection with parameter values
    /// `params` (`None`: they do not have the shape; the per-step program runs instead).
    pub(super) fn fits(
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
            coef: vec![0.0; n_post * leaves.len() * stride],
            memo: vec![NO_MEMO; n_post * leaves.len()],
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
            prev: vec![0.0; ns * n_post],
        })
    }

    /// What it does, for the program listing.
    pub(super) fn describe(&self, c: &Checked) -> String {
        let names: Vec<&str> = self
            .traces
            .iter()
            .map(|t| c.vars[t.arr as usize].name.as_str())
            .collect();
        format!(
            "closed form between events: `{}` affine in itself and the traces [{}], {} branch(es) on t_pre/t_post, bounds [{}, {}]",
            c.vars[self.x as usize].name,
            names.join(", "),
            self.leaves.len(),
            self.lo,
            self.hi
        )
    }

    fn stride(&self) -> usize {
        3 + self.traces.len()
    }

    /// Evaluate with the parameter and slot values `extra` (semiglobals, traces, t_pre, t_post).
    #[inline]
    fn eval(&self, e: &RExpr, extra: &[f64]) -> f64 {
        let np = self.params.len();
        eval_const(e, &|p| {
            let p = p as usize;
            Some(if p < np {
                self.params[p]
            } else {
                extra[p - np]
            })
        })
        .unwrap_or(f64::NAN)
    }

    /// The coefficients of post `j` from the semiglobal arrays.
    pub(super) fn set_post<T: Float>(&mut self, arrays: &[Vec<T>], j: usize) {
        let mut extra = [0.0f64; SLOTS];
        for (k, &a) in self.semis.iter().enumerate() {
            extra[k] = arrays[a as usize].get(j).map_or(0.0, |x| x.to_f64());
        }
        let stride = self.stride();
        let nl = self.leaves.len();
        for l in 0..nl {
            let leaf = &self.leaves[l];
            let a = self.eval(&leaf.a, &extra);
            let c = self.eval(&leaf.c, &extra);
            let base = (j * nl + l) * stride;
            let mut row = [0.0f64; SLOTS];
            row[0] = a;
            row[1] = a.ln();
            row[2] = c;
            for (i, b) in leaf.b.iter().enumerate() {
                row[3 + i] = self.eval(b, &extra);
            }
            self.coef[base..base + stride].copy_from_slice(&row[..stride]);
            self.memo[j * nl + l] = NO_MEMO;
        }
    }

    /// Every post's coefficients (after a build or a restore).
    pub(super) fn set_all<T: Float>(&mut self, arrays: &[Vec<T>], n_post: usize) {
        for j in 0..n_post {
            self.set_post(arrays, j);
        }
    }

    /// Before the per-post program: keep the semiglobal values.
    pub(super) fn keep_semis<T: Float>(&mut self, arrays: &[Vec<T>], n_post: usize) {
        for (k, &a) in self.semis.iter().enumerate() {
            for (p, x) in self.prev[k * n_post..(k + 1) * n_post]
                .iter_mut()
                .zip(&arrays[a as usize])
            {
                *p = x.to_f64();
            }
        }
    }

    /// After the per-post program: the posts whose semiglobal values changed.
    pub(super) fn semis_changed<T: Float>(
        &self,
        arrays: &[Vec<T>],
        n_post: usize,
        j: usize,
    ) -> bool {
        self.semis.iter().enumerate().any(|(k, &a)| {
            arrays[a as usize][j].to_f64().to_bits() != self.prev[k * n_post + j].to_bits()
        })
    }

    /// Whether the semiglobal values are compared every step (any semiglobal read).
    pub(super) fn has_semis(&self) -> bool {
        !self.semis.is_empty()
    }

    /// Bring synapse `s` (post `j`) up to step `to` (the per-step updates of the steps before
    /// `to`), with `t_pre`/`t_post` the last spike steps (`u64::MAX`: never).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)] // reason: one synapse's context
    pub(super) fn sync<T: Float>(
        &mut self,
        arrays: &mut [Vec<T>],
        s: usize,
        j: usize,
        to: u64,
        t_pre: u64,
        t_post: u64,
        dt: f64,
    ) {
        let from = self.synced[s];
        let to = to.min(self.now);
        if to <= from {
            return;
        }
        self.synced[s] = to;
        let n = to - from;
        let (ns, nt) = (self.semis.len(), self.traces.len());
        let ms = |step: u64| {
            if step == u64::MAX {
                f64::NEG_INFINITY
            } else {
                step as f64 * dt
            }
        };
        let (tpre_ms, tpost_ms) = (ms(t_pre), ms(t_post));
        let mut leaf = 0;
        for (i, cond) in self.conds.iter().enumerate() {
            let holds = match cond {
                Cond::Cmp(op, a, b) => {
                    let (x, y) = (a.at(tpre_ms, tpost_ms), b.at(tpre_ms, tpost_ms));
                    match op {
                        BinOp::Lt => x < y,
                        BinOp::Le => x <= y,
                        BinOp::Gt => x > y,
                        BinOp::Ge => x >= y,
                        BinOp::Eq => x == y,
                        _ => x != y,
                    }
                }
                Cond::Any(e) => {
                    let mut extra = [0.0f64; SLOTS];
                    extra[ns + nt] = tpre_ms;
                    extra[ns + nt + 1] = tpost_ms;
                    self.eval(e, &extra) != 0.0
                }
            };
            if holds {
                leaf |= 1 << i;
            }
        }
        let stride = self.stride();
        let base = (j * self.leaves.len() + leaf) * stride;
        let row = &self.coef[base..base + stride];
        let (a, ln_a, c) = (row[0], row[1], row[2]);
        let mut tv = [0.0f64; MAX_TRACES];
        for (i, tr) in self.traces.iter().enumerate() {
            tv[i] = arrays[tr.arr as usize][s].to_f64();
        }
        let (lo, hi) = (self.lo, self.hi);
        // the first step literally (it also clips a value set outside the bounds)
        let mut x = a * arrays[self.x as usize][s].to_f64() + c;
        for i in 0..nt {
            x += row[3 + i] * tv[i];
        }
        x = x.clamp(lo, hi);
        if n > 1 {
            // the other n − 1 steps, from the traces one step on
            let rest = n - 1;
            let mut terms = 0;
            let mut one = 0;
            for (i, tr) in self.traces.iter().enumerate() {
                if tv[i] != 0.0 && row[3 + i] != 0.0 && tr.decay.pow(1) != 0.0 {
                    terms += 1;
                    one = i;
                }
            }
            x = if c == 0.0 && a > 0.0 && terms <= 1 {
                let memo = &mut self.memo[j * self.leaves.len() + leaf];
                let tr = &self.traces[one.min(nt.saturating_sub(1))];
                if memo.n != rest || memo.trace != one {
                    let a_n = (rest as f64 * ln_a).exp();
                    let g_n = if nt == 0 {
                        0.0
                    } else {
                        geometric_gap(a, ln_a, a_n, rest, &tr.decay)
                    };
                    *memo = Memo {
                        n: rest,
                        trace: one,
                        a_n,
                        g_n,
                    };
                }
                let (a_n, g_n) = (memo.a_n, memo.g_n);
                if terms == 0 {
                    return self.store(arrays, s, (a_n * x).clamp(lo, hi), &tv, n);
                }
                let bc = row[3 + one] * tv[one] * tr.decay.pow(1);
                stretch(
                    x,
                    a,
                    ln_a,
                    a_n,
                    g_n,
                    bc,
                    tr.decay.ln_q,
                    rest,
                    lo,
                    hi,
                    &tr.decay,
                )
            } else {
                // the recursion itself, step by step
                for k in 1..n {
                    let mut next = a * x + c;
                    for (i, tr) in self.traces.iter().enumerate() {
                        next += row[3 + i] * tv[i] * tr.decay.pow(k);
                    }
                    x = next.clamp(lo, hi);
                }
                x
            };
        }
        self.store(arrays, s, x, &tv, n);
    }

    /// Write synapse `s`'s new value `x` and its traces `tv` decayed over `n` steps.
    #[inline]
    fn store<T: Float>(&self, arrays: &mut [Vec<T>], s: usize, x: f64, tv: &[f64], n: u64) {
        arrays[self.x as usize][s] = T::from_f64(x);
        for (i, tr) in self.traces.iter().enumerate() {
            if tv[i] != 0.0 {
                arrays[tr.arr as usize][s] = T::from_f64(tv[i] * tr.decay.pow(n));
            }
        }
    }

    /// The helpers' values of synapse `s` as the per-step program leaves them after the step
    /// before `synced[s]` (reads the traces as they were at the start of that step).
    pub(super) fn helpers<T: Float>(
        &self,
        arrays: &mut [Vec<T>],
        s: usize,
        t_pre: u64,
        t_post: u64,
        dt: f64,
    ) {
        if self.helpers.is_empty() || self.synced[s] == 0 {
            return;
        }
        let (ns, nt) = (self.semis.len(), self.traces.len());
        let ms = |step: u64| {
            if step == u64::MAX {
                f64::NEG_INFINITY
            } else {
                step as f64 * dt
            }
        };
        let mut extra = [0.0f64; SLOTS];
        for (i, tr) in self.traces.iter().enumerate() {
            let q = tr.decay.pow(1);
            extra[ns + i] = arrays[tr.arr as usize][s].to_f64() / q;
        }
        extra[ns + nt] = ms(t_pre);
        extra[ns + nt + 1] = ms(t_post);
        for h in &self.helpers {
            let v = self.eval(&h.value, &extra);
            arrays[h.arr as usize][s] = T::from_f64(v);
        }
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

fn map_builtins(e: &RExpr, f: &impl Fn(Builtin) -> Option<RExpr>) -> RExpr {
    match e {
        RExpr::Builtin(b) => f(*b).unwrap_or_else(|| e.clone()),
        RExpr::Un(op, a) => RExpr::Un(*op, Box::new(map_builtins(a, f))),
        RExpr::Bin(op, a, b) => RExpr::bin(*op, map_builtins(a, f), map_builtins(b, f)),
        RExpr::Select(c, a, b) => RExpr::Select(
            Box::new(map_builtins(c, f)),
            Box::new(map_builtins(a, f)),
            Box::new(map_builtins(b, f)),
        ),
        RExpr::Call(g, args) => RExpr::Call(*g, args.iter().map(|a| map_builtins(a, f)).collect()),
        _ => e.clone(),
    }
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
