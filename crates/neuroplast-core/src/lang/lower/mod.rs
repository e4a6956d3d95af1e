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
//! * an explicit update `y + ((DfSum o₁ b) o₂ c)` of a conductance sum → [`Ins::DfStep`];
//! * the freeze of a variable while refractory, the threshold on it, its store and the
//!   refractory counter → [`Ins::Gate`];
//! * a value computed only to be stored in a state array is computed straight into it
//!   ("store forwarding"), also in place (`ge = ge·decay`).
//!
//! | module | part |
//! |---|---|
//! | this file | values, SSA nodes, [`Lowerer`] building them from expressions, [`Compiled`] |
//! | `fuse` | dead nodes, fusions, store forwarding |
//! | `emit` | scalar slots, registers, instructions |
//!
//! [`Ins::DfSum`]: ir::Ins::DfSum
//! [`Ins::SelCmp`]: ir::Ins::SelCmp
//! [`Ins::F2`]: ir::Ins::F2
//! [`Ins::DfStep`]: ir::Ins::DfStep
//! [`Ins::Gate`]: ir::Ins::Gate

mod emit;
mod fuse;

use std::collections::BTreeMap;

use super::ast::BinOp;
use super::fold::{func_uop, small_int};
use super::ir::{self, Ar, BOp, Cmp, Dist, Program, UOp, Via};
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
    /// `y + ((DfSum(x, terms) o1 b) o2 c)`: `(x, terms, o1, b, o2, c, y, decay)`; `decay`:
    /// terms' conductance arrays multiplied in place after they are read (`g *= f`), which
    /// makes the node an effect ([`ir::Ins::DfStep`])
    DfStep(Val, Vec<(Val, Val)>, Ar, Val, Ar, Val, Val, Vec<(u16, Val)>),
    /// The refractory gate `(r, v, a, cmp, y, nref)`: its value is the spike flags; it writes
    /// `v` and the counter `r` ([`ir::Ins::Gate`]).
    Gate(u16, u16, Val, Cmp, Val, Val),
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
            Node::Store(..)
                | Node::Scatter(..)
                | Node::AddTarget(..)
                | Node::Refrac(..)
                | Node::Gate(..)
        ) || matches!(self, Node::DfStep(.., decay) if !decay.is_empty())
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
            Node::DfStep(x, t, _, b, _, c, y, decay) => {
                let mut v = vec![*x];
                for (g, e) in t {
                    v.push(*g);
                    v.push(*e);
                }
                v.extend([*b, *c, *y]);
                v.extend(decay.iter().map(|(_, f)| *f));
                v
            }
            // the arrays first: it reads both before it writes them
            Node::Gate(r, v, a, _, y, n) => vec![Val::A(*r), Val::A(*v), *a, *y, *n],
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
            Node::DfStep(x, t, _, b, _, c, y, decay) => {
                *x = f(*x);
                for (g, e) in t.iter_mut() {
                    *g = f(*g);
                    *e = f(*e);
                }
                *b = f(*b);
                *c = f(*c);
                *y = f(*y);
                for (_, k) in decay.iter_mut() {
                    *k = f(*k);
                }
            }
            Node::Gate(_, _, a, _, y, n) => {
                *a = f(*a);
                *y = f(*y);
                *n = f(*n);
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
    /// Neurons: the arrays holding each population reduction (filled between the
    /// integration and the spike program).
    pub pops: Vec<Val>,
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
                Builtin::Pop(k) => env
                    .pops
                    .get(usize::from(*k))
                    .copied()
                    .unwrap_or(Val::K(0.0)),
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
        self.fuse_dfstep(spike);
        self.fuse_gate(spike, n_main);
        self.dce(spike);
        self.forward_stores(n_main, spike);
        self.fuse_decay(n_main);
        self.emit(n_main, spike)
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
