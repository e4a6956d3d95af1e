//! Lowering: resolved expressions → SSA nodes (constants folded, common subexpressions
//! shared) → fused instructions → registers → a [`Program`].
//!
//! Constant folding uses the interpreter's own scalar functions ([`ir::un`], [`ir::bin`]), so a
//! folded value has the bits the interpreter would have computed in `f64`. Nothing is
//! re-associated: `a + b + c` stays `(a + b) + c`.
//!
//! Fusions (each one pass instead of several; same arithmetic, same order):
//! * `g₀·(e₀ − x) + g₁·(e₁ − x) + …` → [`Ins::DfSum`] (conductance-based currents);
//! * `(x cmp y) ? a : b` → [`Ins::SelCmp`] (freezing while refractory, conditions);
//! * `(a o₁ b) o₂ c` for `+ − × ÷` → [`Ins::F2`];
//! * a value computed only to be stored in a state array is computed straight into it
//!   ("store forwarding"), also in place (`ge = ge·decay`).

use std::collections::BTreeMap;

use super::ast::BinOp;
use super::fold::{func_uop, small_int};
use super::ir::{self, Ar, BOp, Cmp, Dist, Dst, Ins, Program, Src, UOp, Via};
use super::symbolic::{Builtin, Func, RExpr, UnOp};

/// A value during lowering.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Val {
    /// A constant known at build time.
    K(f64),
    /// The time `t` (a scalar set every step).
    Time,
    /// A per-element array.
    A(u16),
    /// An SSA value (node index).
    V(u32),
    /// The external current.
    In,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    K(u64),
    Time,
    A(u16),
    V(u32),
    In,
}

fn key(v: Val) -> Key {
    match v {
        Val::K(x) => Key::K(x.to_bits()),
        Val::Time => Key::Time,
        Val::A(a) => Key::A(a),
        Val::V(n) => Key::V(n),
        Val::In => Key::In,
    }
}

/// One SSA node.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Un(UOp, Val),
    Bin(BOp, Val, Val),
    Sel(Val, Val, Val),
    SelCmp(Cmp, Val, Val, Val, Val),
    F2(Ar, Ar, Val, Val, Val),
    F3(Ar, Ar, Val, Val, Val, Val),
    AndCmp(Cmp, Val, Val, Cmp, Val, Val),
    DfSum(Val, Vec<(Val, Val)>),
    Rand(Dist),
    Index,
    Gather(u16, Via),
    SynInfo(Via, bool),
    // effects
    Store(u16, Val),
    Scatter(u16, Val),
    AddTarget(u16, Val),
    Refrac(u16, Val, Val),
    /// removed by a fusion
    Dead,
}

impl Node {
    fn effect(&self) -> bool {
        matches!(
            self,
            Node::Store(..) | Node::Scatter(..) | Node::AddTarget(..) | Node::Refrac(..)
        )
    }

    fn args(&self) -> Vec<Val> {
        match self {
            Node::Un(_, a) => vec![*a],
            Node::Bin(_, a, b) => vec![*a, *b],
            Node::Sel(c, a, b) => vec![*c, *a, *b],
            Node::SelCmp(_, x, y, a, b) => vec![*x, *y, *a, *b],
            Node::F2(_, _, a, b, c) => vec![*a, *b, *c],
            Node::F3(_, _, a, b, c, x) => vec![*a, *b, *c, *x],
            Node::AndCmp(_, a, b, _, c, e) => vec![*a, *b, *c, *e],
            Node::DfSum(x, t) => {
                let mut v = vec![*x];
                for (g, e) in t {
                    v.push(*g);
                    v.push(*e);
                }
                v
            }
            Node::Store(_, a) | Node::Scatter(_, a) | Node::AddTarget(_, a) => vec![*a],
            Node::Refrac(_, s, n) => vec![*s, *n],
            _ => vec![],
        }
    }

    fn map_args(&mut self, f: &impl Fn(Val) -> Val) {
        match self {
            Node::Un(_, a) => *a = f(*a),
            Node::Bin(_, a, b) => {
                *a = f(*a);
                *b = f(*b);
            }
            Node::Sel(c, a, b) => {
                *c = f(*c);
                *a = f(*a);
                *b = f(*b);
            }
            Node::SelCmp(_, x, y, a, b) => {
                *x = f(*x);
                *y = f(*y);
                *a = f(*a);
                *b = f(*b);
            }
            Node::F2(_, _, a, b, c) => {
                *a = f(*a);
                *b = f(*b);
                *c = f(*c);
            }
            Node::F3(_, _, a, b, c, x) => {
                *a = f(*a);
                *b = f(*b);
                *c = f(*c);
                *x = f(*x);
            }
            Node::AndCmp(_, a, b, _, c, e) => {
                *a = f(*a);
                *b = f(*b);
                *c = f(*c);
                *e = f(*e);
            }
            Node::DfSum(x, t) => {
                *x = f(*x);
                for (g, e) in t.iter_mut() {
                    *g = f(*g);
                    *e = f(*e);
                }
            }
            Node::Store(_, a) | Node::Scatter(_, a) | Node::AddTarget(_, a) => *a = f(*a),
            Node::Refrac(_, s, n) => {
                *s = f(*s);
                *n = f(*n);
            }
            _ => {}
        }
    }
}

fn bop(op: BinOp) -> BOp {
    match op {
        BinOp::Add => BOp::Add,
        BinOp::Sub => BOp::Sub,
        BinOp::Mul => BOp::Mul,
        BinOp::Div => BOp::Div,
        BinOp::Mod => BOp::Mod,
        BinOp::Pow => BOp::Pow,
        BinOp::Lt => BOp::Lt,
        BinOp::Le => BOp::Le,
        BinOp::Gt => BOp::Gt,
        BinOp::Ge => BOp::Ge,
        BinOp::Eq => BOp::Eq,
        BinOp::Ne => BOp::Ne,
        BinOp::And => BOp::And,
        BinOp::Or => BOp::Or,
    }
}

/// What the names of an expression stand for while lowering.
#[derive(Clone, Debug, Default)]
pub(crate) struct Env {
    /// Current value of each state variable.
    pub vars: Vec<Val>,
    /// Value of each parameter (constant or per-element array).
    pub params: Vec<Val>,
    /// Synapses: value of each pre/post reference.
    pub ext: Vec<Val>,
    /// Value of each noise source (for Euler–Maruyama: `√dt · N(0,1)` draws).
    pub noise: Vec<Val>,
    /// `dt`, ms.
    pub dt: f64,
    /// Neurons: `i`. Synapses: the presynaptic index.
    pub index: Option<Val>,
    /// Synapses: the postsynaptic index.
    pub post_index: Option<Val>,
    /// Synapses: `t_pre`, `t_post`, `delay`.
    pub t_pre: Option<Val>,
    /// Synapses: `t_post`.
    pub t_post: Option<Val>,
    /// Synapses: `delay`.
    pub delay: Option<Val>,
    /// Neurons: the external current (`None`: 0, no current this step).
    pub input: Option<Val>,
    /// The time `t` (`None`: the start of the step; Runge–Kutta stages set `t + c·dt`).
    pub time: Option<Val>,
}

/// Builds SSA nodes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lowerer {
    pub nodes: Vec<Node>,
    cse: BTreeMap<(u8, String, Vec<Key>), u32>,
    /// Index of the first node of the reset block (`None`: no reset block yet).
    pub reset_start: Option<usize>,
    /// Nodes that compute straight into an array (store forwarding).
    forwarded: BTreeMap<usize, u16>,
}

impl Lowerer {
    fn push(&mut self, n: Node) -> Val {
        self.nodes.push(n);
        Val::V((self.nodes.len() - 1) as u32)
    }

    fn cse(&mut self, tag: u8, op: impl std::fmt::Debug, args: Vec<Key>, n: Node) -> Val {
        let k = (tag, format!("{op:?}"), args);
        if let Some(&v) = self.cse.get(&k) {
            return Val::V(v);
        }
        let v = self.push(n);
        if let Val::V(i) = v {
            self.cse.insert(k, i);
        }
        v
    }

    /// Start the reset block: values computed before stay usable, but nothing is shared with
    /// the main block any more (the reset block runs only for some chunks).
    pub fn begin_reset(&mut self) {
        self.reset_start = Some(self.nodes.len());
        self.cse.clear();
    }

    /// `op a`, folded when constant.
    pub fn un(&mut self, op: UOp, a: Val) -> Val {
        if let Val::K(x) = a {
            return Val::K(ir::un(op, x));
        }
        if op == UOp::Copy {
            return a;
        }
        self.cse(0, op, vec![key(a)], Node::Un(op, a))
    }

    /// `a op b`, folded when constant.
    pub fn bin(&mut self, op: BOp, a: Val, b: Val) -> Val {
        if let (Val::K(x), Val::K(y)) = (a, b) {
            return Val::K(ir::bin(op, x, y));
        }
        if op == BOp::Pow {
            if let Val::K(y) = b {
                if let Some(k) = small_int(y) {
                    return self.un(UOp::PowI(k), a);
                }
            }
        }
        self.cse(1, op, vec![key(a), key(b)], Node::Bin(op, a, b))
    }

    /// `c ? a : b`.
    pub fn sel(&mut self, c: Val, a: Val, b: Val) -> Val {
        if let Val::K(x) = c {
            return if x != 0.0 { a } else { b };
        }
        if a == b {
            return a;
        }
        self.cse(2, 0, vec![key(c), key(a), key(b)], Node::Sel(c, a, b))
    }

    /// `(x cmp y) ? a : b` as one node.
    pub fn sel_cmp(&mut self, cmp: Cmp, x: Val, y: Val, a: Val, b: Val) -> Val {
        if a == b {
            return a;
        }
        if let (Val::K(p), Val::K(q)) = (x, y) {
            return if ir::cmp(cmp, p, q) { a } else { b };
        }
        self.cse(
            6,
            cmp,
            vec![key(x), key(y), key(a), key(b)],
            Node::SelCmp(cmp, x, y, a, b),
        )
    }

    /// Draws (never shared).
    pub fn rand(&mut self, d: Dist) -> Val {
        self.push(Node::Rand(d))
    }

    /// The element index.
    pub fn index(&mut self) -> Val {
        self.cse(3, 0, vec![], Node::Index)
    }

    /// A synapse read of an own array (batch) or a neuron array.
    pub fn gather(&mut self, arr: u16, via: Via) -> Val {
        self.cse(4, arr, vec![Key::K(via as u64)], Node::Gather(arr, via))
    }

    /// A synapse's pre/post index or spike time.
    pub fn syn_info(&mut self, via: Via, time: bool) -> Val {
        self.cse(
            5,
            u16::from(time),
            vec![Key::K(via as u64)],
            Node::SynInfo(via, time),
        )
    }

    /// An effect node.
    pub fn effect(&mut self, n: Node) {
        self.nodes.push(n);
    }

    /// Store `v` into array `arr` (dense).
    pub fn store(&mut self, arr: u16, v: Val) {
        if v == Val::A(arr) {
            return;
        }
        self.nodes.push(Node::Store(arr, v));
        // later reads of arr must not reuse values computed from the old contents
        self.cse.retain(|k, _| !k.2.contains(&Key::A(arr)));
    }

    /// Lower an expression.
    pub fn expr(&mut self, e: &RExpr, env: &Env) -> Val {
        match e {
            RExpr::Const(x) => Val::K(*x),
            RExpr::Bool(b) => Val::K(if *b { 1.0 } else { 0.0 }),
            RExpr::Param(p) => env.params.get(*p as usize).copied().unwrap_or(Val::K(0.0)),
            RExpr::Var(v) => env.vars.get(*v as usize).copied().unwrap_or(Val::K(0.0)),
            RExpr::Ext(k) => env.ext.get(*k as usize).copied().unwrap_or(Val::K(0.0)),
            RExpr::Noise(k) => env.noise.get(*k as usize).copied().unwrap_or(Val::K(0.0)),
            RExpr::Builtin(b) => match b {
                Builtin::T => env.time.unwrap_or(Val::Time),
                Builtin::Dt => Val::K(env.dt),
                Builtin::I => match env.index {
                    Some(v) => v,
                    None => self.index(),
                },
                Builtin::J => env.post_index.unwrap_or(Val::K(0.0)),
                Builtin::IExt => env.input.unwrap_or(Val::K(0.0)),
                Builtin::TPre => env.t_pre.unwrap_or(Val::K(f64::NEG_INFINITY)),
                Builtin::TPost => env.t_post.unwrap_or(Val::K(f64::NEG_INFINITY)),
                Builtin::Delay => env.delay.unwrap_or(Val::K(0.0)),
            },
            RExpr::Un(UnOp::Neg, a) => {
                let a = self.expr(a, env);
                self.un(UOp::Neg, a)
            }
            RExpr::Un(UnOp::Not, a) => {
                let a = self.expr(a, env);
                self.un(UOp::Not, a)
            }
            RExpr::Bin(op, a, b) => {
                let a = self.expr(a, env);
                let b = self.expr(b, env);
                self.bin(bop(*op), a, b)
            }
            RExpr::Select(c, a, b) => {
                let c = self.expr(c, env);
                let a = self.expr(a, env);
                let b = self.expr(b, env);
                self.sel(c, a, b)
            }
            RExpr::Call(f, args) => {
                let vals: Vec<Val> = args.iter().map(|a| self.expr(a, env)).collect();
                let arg = |k: usize| vals.get(k).copied().unwrap_or(Val::K(0.0));
                if let Some(u) = func_uop(*f) {
                    return self.un(u, arg(0));
                }
                match f {
                    Func::Min => self.bin(BOp::Min, arg(0), arg(1)),
                    Func::Max => self.bin(BOp::Max, arg(0), arg(1)),
                    Func::Clip => {
                        let lo = self.bin(BOp::Max, arg(0), arg(1));
                        self.bin(BOp::Min, lo, arg(2))
                    }
                    Func::Rand => self.rand(Dist::Uniform),
                    Func::Randn => self.rand(Dist::Normal),
                    Func::Uniform => {
                        let u = self.rand(Dist::Uniform);
                        let w = self.bin(BOp::Sub, arg(1), arg(0));
                        let s = self.bin(BOp::Mul, w, u);
                        self.bin(BOp::Add, arg(0), s)
                    }
                    Func::Normal => {
                        let z = self.rand(Dist::Normal);
                        let s = self.bin(BOp::Mul, arg(1), z);
                        self.bin(BOp::Add, arg(0), s)
                    }
                    _ => Val::K(f64::NAN),
                }
            }
        }
    }

    /// Finish: remove dead nodes, fuse, forward stores, allocate registers and emit. `spike`
    /// is the value whose non-zero elements are the spikes (neurons).
    pub fn finish(mut self, spike: Option<Val>) -> Compiled {
        let n_main = self.reset_start.unwrap_or(self.nodes.len());
        self.dce(spike);
        self.fuse_dfsum(spike);
        self.fuse_selcmp(spike);
        self.fuse_f2(spike);
        self.fuse_f3(spike);
        self.fuse_andcmp(spike);
        self.dce(spike);
        self.forward_stores(n_main, spike);
        self.emit(n_main, spike)
    }

    fn uses(&self, extra: Option<Val>) -> Vec<u32> {
        let mut u = vec![0u32; self.nodes.len()];
        for n in &self.nodes {
            for a in n.args() {
                if let Val::V(i) = a {
                    u[i as usize] += 1;
                }
            }
        }
        if let Some(Val::V(i)) = extra {
            u[i as usize] += 1;
        }
        u
    }

    fn dce(&mut self, spike: Option<Val>) {
        let mut live = vec![false; self.nodes.len()];
        if let Some(Val::V(i)) = spike {
            live[i as usize] = true;
        }
        for i in (0..self.nodes.len()).rev() {
            if self.nodes[i].effect() {
                live[i] = true;
            }
            if live[i] {
                for a in self.nodes[i].args() {
                    if let Val::V(j) = a {
                        live[j as usize] = true;
                    }
                }
            }
        }
        for (n, l) in self.nodes.iter_mut().zip(&live) {
            if !l {
                *n = Node::Dead;
            }
        }
    }

    fn node(&self, v: Val) -> Option<&Node> {
        match v {
            Val::V(i) => self.nodes.get(i as usize),
            _ => None,
        }
    }

    /// `g·(e − x)` (or `(e − x)·g`) used once: `(g, e, x)`.
    fn df_term(&self, v: Val, uses: &[u32]) -> Option<(Val, Val, Val, u32, u32)> {
        let Val::V(m) = v else { return None };
        if uses[m as usize] != 1 {
            return None;
        }
        let Node::Bin(BOp::Mul, a, b) = self.node(v)? else {
            return None;
        };
        for (g, d) in [(*a, *b), (*b, *a)] {
            if let Some(Node::Bin(BOp::Sub, e, x)) = self.node(d) {
                let Val::V(s) = d else { continue };
                if uses[s as usize] == 1 && !matches!(x, Val::K(_)) {
                    return Some((g, *e, *x, m, s));
                }
            }
        }
        None
    }

    fn fuse_dfsum(&mut self, spike: Option<Val>) {
        // the spike mask is a use too: a value it reads must stay computed
        let uses = self.uses(spike);
        for i in 0..self.nodes.len() {
            let Node::Bin(BOp::Add, l, r) = self.nodes[i].clone() else {
                continue;
            };
            let Some((g, e, x, m, s)) = self.df_term(r, &uses) else {
                continue;
            };
            // left: another term, or a DfSum over the same x used once
            let mut terms;
            match (self.df_term(l, &uses), l) {
                (Some((g0, e0, x0, m0, s0)), _) if x0 == x => {
                    terms = vec![(g0, e0)];
                    self.nodes[m0 as usize] = Node::Dead;
                    self.nodes[s0 as usize] = Node::Dead;
                }
                (_, Val::V(j)) if uses[j as usize] == 1 => match &self.nodes[j as usize] {
                    Node::DfSum(x0, t) if *x0 == x && t.len() < 8 => {
                        terms = t.clone();
                        self.nodes[j as usize] = Node::Dead;
                    }
                    _ => continue,
                },
                _ => continue,
            }
            terms.push((g, e));
            self.nodes[m as usize] = Node::Dead;
            self.nodes[s as usize] = Node::Dead;
            self.nodes[i] = Node::DfSum(x, terms);
        }
    }

    fn fuse_selcmp(&mut self, spike: Option<Val>) {
        let uses = self.uses(spike);
        for i in 0..self.nodes.len() {
            let Node::Sel(c, a, b) = self.nodes[i].clone() else {
                continue;
            };
            let Val::V(j) = c else { continue };
            if uses[j as usize] != 1 {
                continue;
            }
            let Node::Bin(op, x, y) = self.nodes[j as usize].clone() else {
                continue;
            };
            let Some(mut cmp) = Cmp::of(op) else { continue };
            let (mut x, mut y) = (x, y);
            if matches!(x, Val::K(_) | Val::Time) {
                std::mem::swap(&mut x, &mut y);
                cmp = cmp.flipped();
            }
            if matches!(x, Val::K(_) | Val::Time) || matches!(cmp, Cmp::Eq | Cmp::Ne) {
                continue;
            }
            self.nodes[j as usize] = Node::Dead;
            self.nodes[i] = Node::SelCmp(cmp, x, y, a, b);
        }
    }

    fn fuse_f2(&mut self, spike: Option<Val>) {
        let uses = self.uses(spike);
        for i in 0..self.nodes.len() {
            let Node::Bin(op, l, r) = self.nodes[i].clone() else {
                continue;
            };
            let Some(o2) = Ar::of(op) else { continue };
            let inner = |v: Val, me: &Self| -> Option<(u32, Ar, Val, Val)> {
                let Val::V(j) = v else { return None };
                if uses[j as usize] != 1 {
                    return None;
                }
                match me.nodes[j as usize] {
                    Node::Bin(op1, a, b) => Ar::of(op1).map(|o1| (j, o1, a, b)),
                    _ => None,
                }
            };
            if let Some((j, o1, a, b)) = inner(l, self) {
                self.nodes[j as usize] = Node::Dead;
                self.nodes[i] = Node::F2(o1, o2, a, b, r);
            } else if let Some((j, o1, a, b)) = inner(r, self) {
                self.nodes[j as usize] = Node::Dead;
                self.nodes[i] = Node::F2(o1, o2.reversed(), a, b, l);
            }
        }
    }

    /// `x + F2(…)` → one pass.
    fn fuse_f3(&mut self, spike: Option<Val>) {
        let uses = self.uses(spike);
        for i in 0..self.nodes.len() {
            let Node::Bin(BOp::Add, l, r) = self.nodes[i].clone() else {
                continue;
            };
            for (x, t) in [(l, r), (r, l)] {
                let Val::V(j) = t else { continue };
                if uses[j as usize] != 1 {
                    continue;
                }
                if let Node::F2(o1, o2, a, b, c) = self.nodes[j as usize].clone() {
                    self.nodes[j as usize] = Node::Dead;
                    self.nodes[i] = Node::F3(o1, o2, a, b, c, x);
                    break;
                }
            }
        }
    }

    /// `(x1 c1 y1) and (x2 c2 y2)` → one pass.
    fn fuse_andcmp(&mut self, spike: Option<Val>) {
        let uses = self.uses(spike);
        let cmp_of = |me: &Self, v: Val| -> Option<(u32, Cmp, Val, Val)> {
            let Val::V(j) = v else { return None };
            if uses[j as usize] != 1 {
                return None;
            }
            let Node::Bin(op, x, y) = me.nodes[j as usize] else {
                return None;
            };
            let c = Cmp::of(op)?;
            if matches!(c, Cmp::Eq | Cmp::Ne) {
                return None;
            }
            match (x, y) {
                (Val::K(_) | Val::Time, Val::K(_) | Val::Time) => None,
                (Val::K(_) | Val::Time, _) => Some((j, c.flipped(), y, x)),
                _ => Some((j, c, x, y)),
            }
        };
        for i in 0..self.nodes.len() {
            let Node::Bin(BOp::And, l, r) = self.nodes[i] else {
                continue;
            };
            if let (Some((j1, c1, x1, y1)), Some((j2, c2, x2, y2))) =
                (cmp_of(self, l), cmp_of(self, r))
            {
                self.nodes[j1 as usize] = Node::Dead;
                self.nodes[j2 as usize] = Node::Dead;
                self.nodes[i] = Node::AndCmp(c1, x1, y1, c2, x2, y2);
            }
        }
    }

    /// A value computed only to be stored (and read afterwards) is computed into the array.
    fn forward_stores(&mut self, n_main: usize, spike: Option<Val>) {
        for st in 0..self.nodes.len() {
            let Node::Store(arr, Val::V(d)) = self.nodes[st] else {
                continue;
            };
            let d = d as usize;
            let same_block = (d < n_main) == (st < n_main);
            if !same_block || spike == Some(Val::V(d as u32)) {
                continue;
            }
            // A select that keeps the array's old value (`c ? a : arr`, `max(arr, lo)`) is not
            // computed in place: LLVM turns `d[k] = c ? a : d[k]` into a masked store, which
            // is very slow on AMD processors; a register and a copy are cheaper.
            let reads = |v: &Val| *v == Val::A(arr);
            let ok_kind = match &self.nodes[d] {
                Node::Un(..) => true,
                Node::Bin(BOp::Min | BOp::Max, a, b) => !reads(a) && !reads(b),
                Node::Bin(..) => true,
                Node::Sel(c, a, b) => !reads(c) && !reads(a) && !reads(b),
                Node::SelCmp(_, x, y, a, b) => !reads(x) && !reads(y) && !reads(a) && !reads(b),
                Node::F2(_, _, a, b, _) => *a != Val::A(arr) && *b != Val::A(arr),
                Node::F3(_, _, a, b, c, _) => !reads(a) && !reads(b) && !reads(c),
                Node::AndCmp(..) => false,
                Node::DfSum(x, t) => {
                    *x != Val::A(arr)
                        && t.iter()
                            .all(|(g, e)| *g != Val::A(arr) && *e != Val::A(arr))
                }
                _ => false,
            };
            if !ok_kind {
                continue;
            }
            // nothing between the definition and the store reads the old array
            let reads_between = self.nodes[d + 1..st].iter().any(|n| {
                n.args().contains(&Val::A(arr)) || matches!(n, Node::Refrac(r, ..) if *r == arr)
            });
            if reads_between {
                continue;
            }
            // no later store to the array while the value is still used
            let last_use = self
                .nodes
                .iter()
                .rposition(|n| n.args().contains(&Val::V(d as u32)))
                .unwrap_or(st);
            let restored = self.nodes[st + 1..=last_use.max(st)]
                .iter()
                .any(|n| matches!(n, Node::Store(a, _) | Node::Refrac(a, ..) if *a == arr));
            if restored {
                continue;
            }
            self.nodes[st] = Node::Dead;
            let from = Val::V(d as u32);
            let to = Val::A(arr);
            for n in self.nodes.iter_mut() {
                n.map_args(&|v| if v == from { to } else { v });
            }
            // mark the definition as writing the array
            self.forwarded.insert(d, arr);
        }
    }

    fn emit(&self, n_main: usize, spike: Option<Val>) -> Compiled {
        let mut consts: Vec<f64> = vec![0.0]; // slot 0: t
        let mut splats: Vec<u16> = Vec::new();
        let slot = |x: f64, consts: &mut Vec<f64>| -> u16 {
            match consts
                .iter()
                .skip(1)
                .position(|c| c.to_bits() == x.to_bits())
            {
                Some(p) => (p + 1) as u16,
                None => {
                    consts.push(x);
                    (consts.len() - 1) as u16
                }
            }
        };
        // last use of every value
        let mut last = vec![0usize; self.nodes.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            for a in n.args() {
                if let Val::V(j) = a {
                    last[j as usize] = i;
                }
            }
        }
        if let Some(Val::V(j)) = spike {
            last[j as usize] = usize::MAX;
        }
        let mut reg_of: Vec<Option<u16>> = vec![None; self.nodes.len()];
        let mut free: Vec<u16> = Vec::new();
        let mut n_regs = 0u16;
        let mut main = Vec::new();
        let mut reset = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            if matches!(n, Node::Dead) {
                continue;
            }
            let src = |v: Val, splat: bool, consts: &mut Vec<f64>, splats: &mut Vec<u16>| -> Src {
                match v {
                    Val::K(x) => {
                        let k = slot(x, consts);
                        if splat {
                            if !splats.contains(&k) {
                                splats.push(k);
                            }
                            Src::P(k)
                        } else {
                            Src::K(k)
                        }
                    }
                    Val::Time => {
                        if splat {
                            if !splats.contains(&0) {
                                splats.push(0);
                            }
                            Src::P(0)
                        } else {
                            Src::K(0)
                        }
                    }
                    Val::A(a) => Src::A(a),
                    Val::In => Src::In,
                    Val::V(j) => Src::R(reg_of[j as usize].unwrap_or(0)),
                }
            };
            // operands first (so the destination never aliases an operand register)
            let ins_args: Vec<Src> = {
                let splat_all = matches!(n, Node::F2(..) | Node::F3(..) | Node::DfSum(..));
                n.args()
                    .into_iter()
                    .map(|v| src(v, splat_all, &mut consts, &mut splats))
                    .collect()
            };
            let dst = if n.effect() {
                None
            } else if let Some(&arr) = self.forwarded.get(&i) {
                Some(Dst::A(arr))
            } else {
                let r = free.pop().unwrap_or_else(|| {
                    n_regs += 1;
                    n_regs - 1
                });
                reg_of[i] = Some(r);
                Some(Dst::R(r))
            };
            // free operand registers whose last use is here
            for a in n.args() {
                if let Val::V(j) = a {
                    if last[j as usize] == i {
                        if let Some(r) = reg_of[j as usize] {
                            if !free.contains(&r) {
                                free.push(r);
                            }
                        }
                    }
                }
            }
            let d = dst.unwrap_or(Dst::R(0));
            let dreg = match d {
                Dst::R(r) => r,
                Dst::A(_) => 0,
            };
            let a = |k: usize| ins_args.get(k).copied().unwrap_or(Src::K(0));
            let ins = match n {
                Node::Un(op, _) => Ins::Un {
                    op: *op,
                    d,
                    a: a(0),
                },
                Node::Bin(op, _, _) => Ins::Bin {
                    op: *op,
                    d,
                    a: a(0),
                    b: a(1),
                },
                Node::Sel(..) => Ins::Sel {
                    d,
                    c: a(0),
                    a: a(1),
                    b: a(2),
                },
                Node::SelCmp(cmp, ..) => Ins::SelCmp {
                    cmp: *cmp,
                    d,
                    x: a(0),
                    y: a(1),
                    a: a(2),
                    b: a(3),
                },
                Node::F2(o1, o2, ..) => Ins::F2 {
                    o1: *o1,
                    o2: *o2,
                    d,
                    a: a(0),
                    b: a(1),
                    c: a(2),
                },
                Node::F3(o1, o2, ..) => Ins::F3 {
                    o1: *o1,
                    o2: *o2,
                    d,
                    a: a(0),
                    b: a(1),
                    c: a(2),
                    x: a(3),
                },
                Node::AndCmp(c1, _, _, c2, _, _) => Ins::AndCmp {
                    d,
                    c1: *c1,
                    x1: a(0),
                    y1: a(1),
                    c2: *c2,
                    x2: a(2),
                    y2: a(3),
                },
                Node::DfSum(_, t) => Ins::DfSum {
                    d,
                    x: a(0),
                    terms: (0..t.len()).map(|k| (a(1 + 2 * k), a(2 + 2 * k))).collect(),
                },
                Node::Rand(dist) => Ins::Rand { d, dist: *dist },
                Node::Index => Ins::Index { d },
                Node::Gather(arr, via) => Ins::Gather {
                    d: dreg,
                    arr: *arr,
                    via: *via,
                },
                Node::SynInfo(via, time) => Ins::SynInfo {
                    d: dreg,
                    via: *via,
                    time: *time,
                },
                Node::Store(arr, _) => Ins::Un {
                    op: UOp::Copy,
                    d: Dst::A(*arr),
                    a: a(0),
                },
                Node::Scatter(arr, _) => Ins::Scatter {
                    arr: *arr,
                    src: a(0),
                },
                Node::AddTarget(t, _) => Ins::AddTarget {
                    target: *t,
                    src: a(0),
                },
                Node::Refrac(r, _, _) => Ins::Refrac {
                    r: *r,
                    spike: a(0),
                    nref: a(1),
                },
                Node::Dead => continue,
            };
            if i < n_main {
                main.push(ins);
            } else {
                reset.push(ins);
            }
        }
        let spike = spike.map(|v| match v {
            Val::V(j) => Src::R(reg_of[j as usize].unwrap_or(0)),
            Val::A(a) => Src::A(a),
            _ => Src::K(0),
        });
        Compiled {
            program: Program {
                main,
                reset,
                spike,
                n_regs: usize::from(n_regs),
            },
            consts,
            splats,
        }
    }
}

/// A lowered program and its scalar slots.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Compiled {
    /// The instructions.
    pub program: Program,
    /// Scalar slots; slot 0 is `t`, set every step.
    pub consts: Vec<f64>,
    /// Slots that are also needed as chunk-long arrays.
    pub splats: Vec<u16>,
}
