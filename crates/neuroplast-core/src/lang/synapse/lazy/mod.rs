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
//! up to a step on: an arrival (before `on_pre`), a spike of its postsynaptic neuron (up to
//! the spike's step under the old `t_post` and coefficients and through it under the new ones,
//! in one pass the per-step equations of the step make; before `on_post`), a change of its
//! neuron's coefficients, a freeze or a `set`. With one trace term and `C = 0` the stretch is [`crate::affine::stretch`] (the
//! built-in `homeostatic_stdp`'s closed form, bounds included); otherwise the recursion is
//! iterated over the stretch. Results equal the per-step program's up to rounding (a test
//! compares them); helpers and stale weights are exact after a flush (a freeze), as the
//! built-in rule's are.

use crate::affine::{geometric_gap, stretch, Powers};
use crate::lang::ast::BinOp;
use crate::lang::checked::Checked;
use crate::lang::float::Float;
use crate::lang::fold::eval_const;
use crate::lang::symbolic::RExpr;

mod shape;

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
    /// Per postsynaptic neuron: the semiglobal values its coefficients were computed from
    /// (post-major).
    seen: Vec<f64>,
    /// Per postsynaptic neuron and leaf: the last stretch's factors (a memo only: the same
    /// expressions fill it, so results are the same bits with or without it).
    memo: Vec<Memo>,
    /// The row after the last neuron's in `coef`, `seen` and `memo` (`n_post`): the
    /// coefficients a spiking neuron's synapses take for its spike's own step, while they are
    /// brought up to it under the old ones in the same pass.
    pub(super) spare: usize,
    /// Neurons whose `t_post` became `pending_step` (`mark_post_spikes`), each with its
    /// `t_post` before: their synapses are not yet up to that step (the per-step equations
    /// of the step bring them up to it and through it in one pass).
    pub(super) pending: Vec<(u32, u64)>,
    /// The step of the `pending` spikes.
    pub(super) pending_step: u64,
}

/// The driven variable's and the traces' arrays, taken out of the state for a pass over
/// synapses ([`Lazy::take`], put back by [`Lazy::put`]): each synapse then reads and writes
/// plain slices.
pub(super) struct Cols<T> {
    x: Vec<T>,
    tr: [Vec<T>; MAX_TRACES],
}

/// Values an evaluation reads besides the parameters (semiglobals, traces, `t_pre`, `t_post`).
const SLOTS: usize = 16;
/// Most traces a closed form takes.
const MAX_TRACES: usize = 13;

impl Lazy {
    /// Bytes of its per-synapse, per-neuron and trace tables.
    pub(super) fn bytes(&self) -> usize {
        8 * (self.synced.capacity() + self.coef.capacity() + self.seen.capacity())
            + std::mem::size_of::<Memo>() * self.memo.capacity()
            + std::mem::size_of::<(u32, u64)>() * self.pending.capacity()
            + self
                .traces
                .iter()
                .map(|t| 8 * t.decay.table.capacity())
                .sum::<usize>()
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
        self.set_row(arrays, j, j);
    }

    /// Post `j`'s coefficients from the semiglobal arrays into row `row` (`j`, or
    /// [`spare`](Self::spare)).
    pub(super) fn set_row<T: Float>(&mut self, arrays: &[Vec<T>], j: usize, row: usize) {
        let mut extra = [0.0f64; SLOTS];
        let ns = self.semis.len();
        for (k, &a) in self.semis.iter().enumerate() {
            extra[k] = arrays[a as usize][j].to_f64();
        }
        let j = row;
        self.seen[j * ns..(j + 1) * ns].copy_from_slice(&extra[..ns]);
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

    /// Post `j` takes the coefficients of the [`spare`](Self::spare) row.
    pub(super) fn take_spare(&mut self, j: usize) {
        let (ns, nl, stride) = (self.semis.len(), self.leaves.len(), self.stride());
        let sp = self.spare;
        self.seen.copy_within(sp * ns..(sp + 1) * ns, j * ns);
        self.coef
            .copy_within(sp * nl * stride..(sp + 1) * nl * stride, j * nl * stride);
        self.memo[j * nl..(j + 1) * nl].fill(NO_MEMO);
    }

    /// Every post's coefficients (after a build or a restore).
    pub(super) fn set_all<T: Float>(&mut self, arrays: &[Vec<T>], n_post: usize) {
        for j in 0..n_post {
            self.set_post(arrays, j);
        }
    }

    /// Whether post `j`'s semiglobal values differ from those its coefficients were computed
    /// from (bitwise).
    pub(super) fn semis_changed<T: Float>(&self, arrays: &[Vec<T>], j: usize) -> bool {
        let ns = self.semis.len();
        self.semis
            .iter()
            .zip(&self.seen[j * ns..(j + 1) * ns])
            .any(|(&a, seen)| arrays[a as usize][j].to_f64().to_bits() != seen.to_bits())
    }

    /// The arrays [`sync`](Self::sync) reads and writes, out of `arrays`.
    pub(super) fn take<T: Float>(&self, arrays: &mut [Vec<T>]) -> Cols<T> {
        Cols {
            x: std::mem::take(&mut arrays[self.x as usize]),
            tr: std::array::from_fn(|i| match self.traces.get(i) {
                Some(t) => std::mem::take(&mut arrays[t.arr as usize]),
                None => Vec::new(),
            }),
        }
    }

    /// Put the arrays of [`take`](Self::take) back.
    pub(super) fn put<T: Float>(&self, arrays: &mut [Vec<T>], cols: Cols<T>) {
        let Cols { x, tr } = cols;
        arrays[self.x as usize] = x;
        for (t, v) in self.traces.iter().zip(tr) {
            arrays[t.arr as usize] = v;
        }
    }

    /// Bring synapse `s` up to step `to` (the per-step updates of the steps before `to`) with
    /// the coefficients of row `j` (its postsynaptic neuron's, or
    /// [`spare`](Self::spare) for one step), `t_pre`/`t_post` the last spike steps
    /// (`u64::MAX`: never).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)] // reason: one synapse's context
    pub(super) fn sync<T: Float>(
        &mut self,
        cols: &mut Cols<T>,
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
        let nt = self.traces.len();
        let mut tv = [0.0f64; MAX_TRACES];
        for (t, col) in tv.iter_mut().zip(&cols.tr[..nt]) {
            *t = col[s].to_f64();
        }
        let x = self.stretch(j, cols.x[s].to_f64(), &tv, n, ms(t_pre, dt), ms(t_post, dt));
        self.store(cols, s, x, &tv, n);
    }

    /// A synapse of a neuron that spiked in step `step`: [`sync`](Self::sync) up to `step`
    /// under row `j` and its `t_post` before, `tp`, then through `step` under row `sp` and
    /// `t_post = step` — the same values as the two calls, in one pass (the value between
    /// them rounded to the state's precision as a store and a load would).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)] // reason: one synapse's context
    pub(super) fn sync_spike<T: Float>(
        &mut self,
        cols: &mut Cols<T>,
        s: usize,
        (j, sp): (usize, usize),
        step: u64,
        t_pre: u64,
        tp: u64,
        dt: f64,
    ) {
        let from = self.synced[s];
        let (to1, to2) = (step.min(self.now), (step + 1).min(self.now));
        if to2 <= from {
            return;
        }
        let nt = self.traces.len();
        let mut tv = [0.0f64; MAX_TRACES];
        for (t, col) in tv.iter_mut().zip(&cols.tr[..nt]) {
            *t = col[s].to_f64();
        }
        let tpre_ms = ms(t_pre, dt);
        let mut x = cols.x[s].to_f64();
        let mut at = from;
        if to1 > from {
            let n = to1 - from;
            x = T::from_f64(self.stretch(j, x, &tv, n, tpre_ms, ms(tp, dt))).to_f64();
            for (t, tr) in tv[..nt].iter_mut().zip(&self.traces) {
                if *t != 0.0 {
                    *t = T::from_f64(*t * tr.decay.pow(n)).to_f64();
                }
            }
            at = to1;
        }
        // (nothing more when the step is not run yet: the decayed traces are stored as they are)
        let n = to2 - at;
        if n > 0 {
            x = self.stretch(sp, x, &tv, n, tpre_ms, ms(step, dt));
        }
        self.synced[s] = to2;
        self.store(cols, s, x, &tv, n);
    }

    /// `n` per-step updates of a synapse from `x0` and its traces `tv` (their values at the
    /// first of them) with the coefficients of row `j`: the new value of `x`.
    #[inline(always)]
    fn stretch(
        &mut self,
        j: usize,
        x0: f64,
        tv: &[f64],
        n: u64,
        tpre_ms: f64,
        tpost_ms: f64,
    ) -> f64 {
        let (ns, nt) = (self.semis.len(), self.traces.len());
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
        let (lo, hi) = (self.lo, self.hi);
        // the first step literally (it also clips a value set outside the bounds)
        let mut x = a * x0 + c;
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
            x = if c == 0.0 && a > 0.0 && terms == 0 {
                let (a_n, _) = self.factors(j, leaf, rest, a, ln_a, None);
                (a_n * x).clamp(lo, hi)
            } else if c == 0.0 && a > 0.0 && terms == 1 {
                let bc = row[3 + one] * tv[one] * self.traces[one].decay.pow(1);
                let (a_n, g_n) = self.factors(j, leaf, rest, a, ln_a, Some(one));
                let tr = &self.traces[one];
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
        x
    }

    /// `(aⁿ, g(n))` of post `j`'s leaf for `n` steps (`g` of trace `trace`, 0 without one),
    /// from the memo when the last stretch of this post and leaf had the same `n` and trace.
    #[inline(always)]
    fn factors(
        &mut self,
        j: usize,
        leaf: usize,
        n: u64,
        a: f64,
        ln_a: f64,
        trace: Option<usize>,
    ) -> (f64, f64) {
        let key = trace.unwrap_or(usize::MAX);
        let memo = &mut self.memo[j * self.leaves.len() + leaf];
        if memo.n != n || memo.trace != key {
            let a_n = (n as f64 * ln_a).exp();
            let g_n = trace.map_or(0.0, |i| {
                geometric_gap(a, ln_a, a_n, n, &self.traces[i].decay)
            });
            *memo = Memo {
                n,
                trace: key,
                a_n,
                g_n,
            };
        }
        (memo.a_n, memo.g_n)
    }

    /// Write synapse `s`'s new value `x` and its traces `tv` decayed over `n` steps.
    #[inline(always)]
    fn store<T: Float>(&self, cols: &mut Cols<T>, s: usize, x: f64, tv: &[f64], n: u64) {
        cols.x[s] = T::from_f64(x);
        for ((tr, col), &t) in self.traces.iter().zip(&mut cols.tr).zip(tv) {
            if t != 0.0 {
                col[s] = T::from_f64(t * tr.decay.pow(n));
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
        let mut extra = [0.0f64; SLOTS];
        for (i, tr) in self.traces.iter().enumerate() {
            let q = tr.decay.pow(1);
            extra[ns + i] = arrays[tr.arr as usize][s].to_f64() / q;
        }
        extra[ns + nt] = ms(t_pre, dt);
        extra[ns + nt + 1] = ms(t_post, dt);
        for h in &self.helpers {
            let v = self.eval(&h.value, &extra);
            arrays[h.arr as usize][s] = T::from_f64(v);
        }
    }
}

/// A last spike step in ms (`u64::MAX`, never: −∞), as the interpreter gives `t_pre`/`t_post`.
#[inline(always)]
fn ms(step: u64, dt: f64) -> f64 {
    if step == u64::MAX {
        f64::NEG_INFINITY
    } else {
        step as f64 * dt
    }
}
