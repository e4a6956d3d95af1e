//! The instruction set the executor interprets.
//!
//! A program is a straight list of instructions over *chunks* of up to [`CHUNK`] neurons (or
//! synapses): each instruction is one tight loop over the chunk, so the interpreter's dispatch
//! is paid once per instruction and chunk, never per element. Operands are
//!
//! * `R(r)`: a chunk-long temporary register,
//! * `A(a)`: an array with one value per element (a state variable, a per-neuron parameter,
//!   a derived per-neuron constant), read at the chunk's elements,
//! * `K(k)`: a scalar (a constant folded at build time, or `t`, set every step),
//! * `P(k)`: the scalar `K(k)` as a chunk-long array (for the fused instructions, whose
//!   loops take arrays only),
//! * `In`: the external current of this step.
//!
//! A destination is a register or an array; an instruction may read the array it writes (the
//! loops read element `k` before writing it), which lets `ge = ge·decay` and the freeze of a
//! refractory `v` run in place.
//!
//! Every operation on values is one of the scalar functions at the end of this file, used both
//! by the interpreter's loops and by constant folding, so a folded constant has the bits the
//! interpreter would have computed.

use super::float::Float;

/// Elements per chunk: temporaries of a chunk stay in the L1 cache, and the per-instruction
/// dispatch is amortised over this many elements (measured: 256 was fastest of 64…1024 for
/// the COBA update on this machine class).
pub const CHUNK: usize = 256;

/// An operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Src {
    /// Temporary register.
    R(u16),
    /// Per-element array.
    A(u16),
    /// Scalar slot.
    K(u16),
    /// Scalar slot as a chunk-long array.
    P(u16),
    /// The external current of this step (neurons).
    In,
}

/// A destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dst {
    /// Temporary register.
    R(u16),
    /// Per-element array.
    A(u16),
}

/// Unary operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum UOp {
    /// `-x`
    Neg,
    /// `not x` (1 where x is 0, else 0)
    Not,
    /// copy
    Copy,
    /// `e^x`
    Exp,
    /// `ln x`
    Log,
    /// `log10 x`
    Log10,
    /// `√x`
    Sqrt,
    /// `|x|`
    Abs,
    /// `sin`
    Sin,
    /// `cos`
    Cos,
    /// `tan`
    Tan,
    /// `tanh`
    Tanh,
    /// `sinh`
    Sinh,
    /// `cosh`
    Cosh,
    /// `asin`
    Asin,
    /// `acos`
    Acos,
    /// `atan`
    Atan,
    /// `floor`
    Floor,
    /// `ceil`
    Ceil,
    /// towards zero
    Trunc,
    /// 1 for x > 0, else 0
    Heaviside,
    /// −1, 0, 1
    Sign,
    /// `(e^x − 1)/x`, 1 at 0
    Exprel,
    /// `x^k` for a small whole `k`, by multiplication
    PowI(i8),
}

/// Binary operations. Comparisons and logic give 1 (true) or 0 (false).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// floored modulo
    Mod,
    /// `x^y`
    Pow,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// both non-zero
    And,
    /// either non-zero
    Or,
    /// `if b < a {b} else {a}`
    Min,
    /// `if a < b {b} else {a}`
    Max,
}

/// Comparisons of [`Ins::SelCmp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Cmp {
    /// The same comparison with its operands swapped (`a < b` is `b > a`).
    pub fn flipped(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            c => c,
        }
    }

    /// The comparison a binary operation is, if it is one.
    pub fn of(op: BOp) -> Option<Cmp> {
        Some(match op {
            BOp::Lt => Cmp::Lt,
            BOp::Le => Cmp::Le,
            BOp::Gt => Cmp::Gt,
            BOp::Ge => Cmp::Ge,
            BOp::Eq => Cmp::Eq,
            BOp::Ne => Cmp::Ne,
            _ => return None,
        })
    }
}

/// The arithmetic of the fused instruction [`Ins::F2`]: `(a o1 b) o2 c`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ar {
    /// `t + c`
    Add,
    /// `t - c`
    Sub,
    /// `c - t`
    RSub,
    /// `t * c`
    Mul,
    /// `t / c`
    Div,
    /// `c / t`
    RDiv,
}

impl Ar {
    /// The operation `x op y` of a binary arithmetic operator (no reversed forms).
    pub fn of(op: BOp) -> Option<Ar> {
        Some(match op {
            BOp::Add => Ar::Add,
            BOp::Sub => Ar::Sub,
            BOp::Mul => Ar::Mul,
            BOp::Div => Ar::Div,
            _ => return None,
        })
    }

    /// The reversed form: `c op t` written as `t op' c`.
    pub fn reversed(self) -> Ar {
        match self {
            Ar::Add => Ar::Add,
            Ar::Mul => Ar::Mul,
            Ar::Sub => Ar::RSub,
            Ar::RSub => Ar::Sub,
            Ar::Div => Ar::RDiv,
            Ar::RDiv => Ar::Div,
        }
    }
}

/// Random draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dist {
    /// Uniform on [0, 1).
    Uniform,
    /// Standard normal.
    Normal,
}

/// How a synapse program reaches an array.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    /// The synapse's own array, at the batch's synapse indices.
    Batch,
    /// A postsynaptic neuron array, at the post index of each synapse.
    Post,
    /// A presynaptic neuron array, at the pre index of each synapse.
    Pre,
    /// The synapses' own array of a semiglobal variable (one value per postsynaptic neuron),
    /// at the post index of each synapse.
    Semi,
}

/// One instruction (see the module docs for operands).
#[derive(Clone, Debug, PartialEq)]
pub enum Ins {
    /// `d = op a`
    Un {
        /// operation
        op: UOp,
        /// destination
        d: Dst,
        /// operand
        a: Src,
    },
    /// `d = a op b`
    Bin {
        /// operation
        op: BOp,
        /// destination
        d: Dst,
        /// left operand
        a: Src,
        /// right operand
        b: Src,
    },
    /// `d = c ≠ 0 ? a : b`
    Sel {
        /// destination
        d: Dst,
        /// condition
        c: Src,
        /// value where it holds
        a: Src,
        /// value elsewhere
        b: Src,
    },
    /// `d = (x cmp y) ? a : b`, one pass (a freeze while refractory, a bound)
    SelCmp {
        /// comparison
        cmp: Cmp,
        /// destination
        d: Dst,
        /// compared
        x: Src,
        /// compared with
        y: Src,
        /// value where it holds
        a: Src,
        /// value elsewhere
        b: Src,
    },
    /// `d = (a o1 b) o2 c`, one pass (operands are arrays, registers or `P` splats)
    F2 {
        /// inner operation
        o1: Ar,
        /// outer operation
        o2: Ar,
        /// destination
        d: Dst,
        /// first
        a: Src,
        /// second
        b: Src,
        /// third
        c: Src,
    },
    /// `d = x + ((a o1 b) o2 c)`, one pass (the explicit update `x + h·f`)
    F3 {
        /// inner operation
        o1: Ar,
        /// middle operation
        o2: Ar,
        /// destination
        d: Dst,
        /// first
        a: Src,
        /// second
        b: Src,
        /// third
        c: Src,
        /// the value added last
        x: Src,
    },
    /// `d = (x1 c1 y1) and (x2 c2 y2)`, one pass (a threshold while not refractory)
    AndCmp {
        /// destination
        d: Dst,
        /// first comparison
        c1: Cmp,
        /// compared
        x1: Src,
        /// compared with
        y1: Src,
        /// second comparison
        c2: Cmp,
        /// compared
        x2: Src,
        /// compared with
        y2: Src,
    },
    /// `d = g₀(e₀ − x) + g₁(e₁ − x) + …`, left to right, one pass (conductance-based
    /// currents)
    DfSum {
        /// destination
        d: Dst,
        /// the common potential
        x: Src,
        /// `(g, e)` pairs
        terms: Vec<(Src, Src)>,
    },
    /// `d = y + ((g₀(e₀ − x) + g₁(e₁ − x) + … o1 b) o2 c)`, one pass: a [`DfSum`](Ins::DfSum)
    /// and the explicit update [`F3`](Ins::F3) that reads it (a conductance-based membrane's
    /// Euler step), the same arithmetic in the same order; then `g *= f` for each `(g, f)` of
    /// `decay` (conductance arrays among the terms, decaying by constant factors)
    DfStep {
        /// destination
        d: Dst,
        /// the common potential
        x: Src,
        /// `(g, e)` pairs
        terms: Vec<(Src, Src)>,
        /// inner operation (`+` or `−`)
        o1: Ar,
        /// its operand
        b: Src,
        /// outer operation (`×` or `÷`)
        o2: Ar,
        /// its operand
        c: Src,
        /// the value added last
        y: Src,
        /// `(g, f)`: array `g`, read by a term, multiplied by `f` in place after the read
        decay: Vec<(u16, Src)>,
        /// The [`Gate`](Ins::Gate) that reads the update (register `d`, read by nothing
        /// else) as its integrated value, in the same pass where a kernel has that shape
        /// (the conductance-based membrane's whole step); else run after the update.
        gate: Option<GateOp>,
    },
    /// The end of a step with a refractory period, one pass: `active = r ≤ 0`;
    /// `v = active ? a : v`; `spike = active and (v cmp y)`;
    /// `r = spike ? nref : max(r − 1, 0)` (the fusion of the freeze of `v` while refractory,
    /// the threshold, the store of `v` and [`Refrac`](Ins::Refrac))
    Gate {
        /// the spike flags, the counter, the gated array, the threshold and the refractory
        /// steps
        gate: GateOp,
        /// the gated variable's integrated value
        a: Src,
    },
    /// random draws, one per element in element order
    Rand {
        /// destination
        d: Dst,
        /// distribution
        dist: Dist,
    },
    /// the element's index (neuron `i`)
    Index {
        /// destination
        d: Dst,
    },
    /// refractory counter: `r = spike ≠ 0 ? nref : max(r − 1, 0)`
    Refrac {
        /// the counter array
        r: u16,
        /// spike flags
        spike: Src,
        /// steps of refractoriness after a spike
        nref: Src,
    },
    /// synapses: read `arr` (own, post or pre neuron array) for each element
    Gather {
        /// destination register
        d: u16,
        /// the array (own array, or index of a pre/post value)
        arr: u16,
        /// how
        via: Via,
    },
    /// synapses: write own array `arr` at the batch's synapses
    Scatter {
        /// the array
        arr: u16,
        /// the values
        src: Src,
    },
    /// synapses: add each value to postsynaptic target `target` of its synapse's post neuron
    AddTarget {
        /// target index
        target: u16,
        /// the values
        src: Src,
    },
    /// synapses: the pre (`Pre`) or post (`Post`) neuron's index, or the last spike time of
    /// it (`time = true`, ms; −∞ before the first)
    SynInfo {
        /// destination register
        d: u16,
        /// pre or post
        via: Via,
        /// spike time instead of index
        time: bool,
    },
}

/// A [`Gate`](Ins::Gate) without its integrated value (a [`DfStep`](Ins::DfStep) that
/// carries it gives its own).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GateOp {
    /// the spike flags (register)
    pub spike: u16,
    /// the refractory counter array
    pub r: u16,
    /// the gated variable's array
    pub v: u16,
    /// the threshold's comparison
    pub cmp: Cmp,
    /// compared with
    pub y: Src,
    /// steps of refractoriness after a spike
    pub nref: Src,
}

/// A compiled program: the main part, and the part that runs for chunks in which a neuron
/// spiked (resets).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    /// Runs for every chunk.
    pub main: Vec<Ins>,
    /// Runs after `main` for chunks where `spike` is non-zero somewhere.
    pub reset: Vec<Ins>,
    /// The spike flags (a register computed by `main`).
    pub spike: Option<Src>,
    /// Number of temporary registers.
    pub n_regs: usize,
}

impl Program {
    /// Number of instructions (main + reset), for reports.
    #[allow(clippy::len_without_is_empty)] // reason: a count for reports, not a collection
    pub fn len(&self) -> usize {
        self.main.len() + self.reset.len()
    }
}

// ---- the scalar semantics of every operation ------------------------------------------------

#[inline(always)]
fn b<T: Float>(c: bool) -> T {
    if c {
        T::ONE
    } else {
        T::ZERO
    }
}

/// `op x`.
#[inline(always)]
pub fn un<T: Float>(op: UOp, x: T) -> T {
    match op {
        UOp::Neg => -x,
        UOp::Not => b(x == T::ZERO),
        UOp::Copy => x,
        UOp::Exp => x.exp(),
        UOp::Log => x.ln(),
        UOp::Log10 => x.log10(),
        UOp::Sqrt => x.sqrt(),
        UOp::Abs => x.abs(),
        UOp::Sin => x.sin(),
        UOp::Cos => x.cos(),
        UOp::Tan => x.tan(),
        UOp::Tanh => x.tanh(),
        UOp::Sinh => x.sinh(),
        UOp::Cosh => x.cosh(),
        UOp::Asin => x.asin(),
        UOp::Acos => x.acos(),
        UOp::Atan => x.atan(),
        UOp::Floor => x.floor(),
        UOp::Ceil => x.ceil(),
        UOp::Trunc => x.trunc(),
        UOp::Heaviside => b(x > T::ZERO),
        UOp::Sign => {
            if x > T::ZERO {
                T::ONE
            } else if x < T::ZERO {
                -T::ONE
            } else {
                x
            }
        }
        UOp::Exprel => {
            if x == T::ZERO {
                T::ONE
            } else {
                x.exp_m1() / x
            }
        }
        UOp::PowI(k) => x.powi(i32::from(k)),
    }
}

/// `x op y`.
#[inline(always)]
pub fn bin<T: Float>(op: BOp, x: T, y: T) -> T {
    match op {
        BOp::Add => x + y,
        BOp::Sub => x - y,
        BOp::Mul => x * y,
        BOp::Div => x / y,
        BOp::Mod => x - y * (x / y).floor(),
        BOp::Pow => x.powf(y),
        BOp::Lt => b(x < y),
        BOp::Le => b(x <= y),
        BOp::Gt => b(x > y),
        BOp::Ge => b(x >= y),
        BOp::Eq => b(x == y),
        BOp::Ne => b(x != y),
        BOp::And => b(x != T::ZERO && y != T::ZERO),
        BOp::Or => b(x != T::ZERO || y != T::ZERO),
        BOp::Min => T::blend(y < x, y, x),
        BOp::Max => T::blend(x < y, y, x),
    }
}

/// `t o c` for the fused instruction's outer (or inner, never reversed) operation.
#[inline(always)]
pub fn ar<T: Float>(op: Ar, t: T, c: T) -> T {
    match op {
        Ar::Add => t + c,
        Ar::Sub => t - c,
        Ar::RSub => c - t,
        Ar::Mul => t * c,
        Ar::Div => t / c,
        Ar::RDiv => c / t,
    }
}

/// `x cmp y`.
#[inline(always)]
pub fn cmp<T: Float>(c: Cmp, x: T, y: T) -> bool {
    match c {
        Cmp::Lt => x < y,
        Cmp::Le => x <= y,
        Cmp::Gt => x > y,
        Cmp::Ge => x >= y,
        Cmp::Eq => x == y,
        Cmp::Ne => x != y,
    }
}
