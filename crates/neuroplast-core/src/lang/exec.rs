//! The chunked interpreter: runs a [`Program`] over structure-of-arrays state, one tight loop
//! per instruction and chunk.
//!
//! Operands are resolved once per instruction and chunk into slices, scalars, or "the
//! destination itself" (an instruction that reads the array it writes, such as `ge *= decay`,
//! runs in place: each loop reads element `k` before it writes it). Each combination of
//! operand kinds is its own monomorphised loop, which LLVM vectorises; the whole interpreter is
//! inlined into the two copies [`crate::simd::dispatch`] chooses between (AVX2 and
//! AVX-512, bit-identical).

use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

use super::float::Float;
use super::ir::{self, Ar, BOp, Cmp, Dist, Dst, Ins, Program, Src, UOp, Via, CHUNK};
use crate::rng::Rng;

/// A value of a pre- or postsynaptic neuron array, in whatever precision the neuron runs.
#[derive(Clone, Copy, Debug)]
pub enum Values<'a> {
    /// An `f64` population.
    F64(&'a [f64]),
    /// An `f32` population.
    F32(&'a [f32]),
}

impl Values<'_> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Values::F64(s) => s.len(),
            Values::F32(s) => s.len(),
        }
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline(always)]
    fn get<T: Float>(&self, k: usize) -> T {
        match self {
            Values::F64(s) => T::from_f64(s.get(k).copied().unwrap_or(0.0)),
            Values::F32(s) => T::from_f64(f64::from(s.get(k).copied().unwrap_or(0.0))),
        }
    }
}

/// Per-chunk synapse context.
pub(crate) struct SynChunk<'a> {
    /// Synapse index of each element (`None`: the chunk is `base..base + len`).
    pub batch: Option<&'a [u32]>,
    /// Presynaptic neuron of each element.
    pub pre: &'a [u32],
    /// Postsynaptic neuron of each element.
    pub post: &'a [u32],
    /// Pre-/postsynaptic neuron arrays, in the model's order.
    pub ext: &'a [Values<'a>],
    /// Last spike step of each presynaptic element's neuron (`u64::MAX`: never).
    pub t_pre: &'a [u64],
    /// Last spike step of each postsynaptic element's neuron.
    pub t_post: &'a [u64],
    /// ms per step.
    pub dt: f64,
}

/// What an `AddTarget` does with a value.
pub(crate) trait TargetSink {
    /// Add `x` to target `target` of postsynaptic neuron `post`.
    fn add(&mut self, target: u16, post: u32, x: f64);
}

/// No targets (neurons, per-step synapse passes).
pub(crate) struct NoTargets;

impl TargetSink for NoTargets {
    #[inline(always)]
    fn add(&mut self, _: u16, _: u32, _: f64) {}
}

impl<F: FnMut(usize, u32, f64)> TargetSink for F {
    #[inline(always)]
    fn add(&mut self, target: u16, post: u32, x: f64) {
        self(usize::from(target), post, x)
    }
}

/// Reusable buffers of an executor (not part of its state).
#[derive(Clone, Debug, Default)]
pub(crate) struct Scratch<T> {
    /// Temporary registers, `CHUNK` long each.
    pub regs: Vec<Vec<T>>,
    /// The external current of the chunk, converted (f32).
    pub input: Vec<T>,
    /// What `i` is for element 0: the index of a shard's first neuron in its population.
    pub index0: usize,
}

impl<T: Float> Scratch<T> {
    pub fn for_program(p: &Program) -> Scratch<T> {
        Scratch {
            regs: vec![vec![T::ZERO; CHUNK]; p.n_regs],
            input: vec![T::ZERO; CHUNK],
            index0: 0,
        }
    }
}

/// Everything an instruction can reach.
pub(crate) struct Frame<'a, 'b, T, S: TargetSink> {
    pub regs: &'a mut [Vec<T>],
    pub arrays: &'a mut [Vec<T>],
    pub ks: &'a [T],
    pub splat: &'a [Vec<T>],
    pub input: &'a [T],
    pub base: usize,
    pub len: usize,
    /// Added to `base` for the value of `i` (see [`Scratch::index0`]).
    pub index0: usize,
    /// Offset of this (sub-)block within the registers (resets run on 64-element sub-blocks).
    pub reg_off: usize,
    pub rng: &'a mut Rng,
    pub syn: Option<&'a SynChunk<'b>>,
    pub sink: &'a mut S,
}

// ---- operand kinds -------------------------------------------------------------------------

/// Read access to one operand of a loop: a slice, a scalar, or the destination itself.
trait Rd<T: Copy>: Copy {
    fn rd(&self, d: &[T], k: usize) -> T;
    /// The same operand cut to `n` elements, so the loops' bounds checks disappear.
    fn fit(self, n: usize) -> Self;
}

#[derive(Clone, Copy)]
struct Sl<'a, T>(&'a [T]);
#[derive(Clone, Copy)]
struct Sc<T>(T);
#[derive(Clone, Copy)]
struct Dd;

impl<T: Copy> Rd<T> for Sl<'_, T> {
    #[inline(always)]
    fn rd(&self, _: &[T], k: usize) -> T {
        self.0[k]
    }
    #[inline(always)]
    fn fit(self, n: usize) -> Self {
        Sl(&self.0[..n])
    }
}
impl<T: Copy> Rd<T> for Sc<T> {
    #[inline(always)]
    fn rd(&self, _: &[T], _: usize) -> T {
        self.0
    }
    #[inline(always)]
    fn fit(self, _: usize) -> Self {
        self
    }
}
impl<T: Copy> Rd<T> for Dd {
    #[inline(always)]
    fn rd(&self, d: &[T], k: usize) -> T {
        d[k]
    }
    #[inline(always)]
    fn fit(self, _: usize) -> Self {
        self
    }
}

/// An operand resolved for one chunk.
#[derive(Clone, Copy)]
enum O<'a, T> {
    S(T),
    A(&'a [T]),
    D,
}

/// Expand `$body` once for each kind of operand `$o` (slice, scalar, destination), binding
/// `$v` to the reader.
macro_rules! kinds {
    ($o:expr, $v:ident => $body:expr) => {
        match $o {
            O::A(s) => {
                let $v = Sl(s);
                $body
            }
            O::S(x) => {
                let $v = Sc(x);
                $body
            }
            O::D => {
                let $v = Dd;
                $body
            }
        }
    };
}

#[inline(always)]
fn loop1<T: Float, A: Rd<T>>(d: &mut [T], a: A, f: impl Fn(T) -> T) {
    let a = a.fit(d.len());
    for k in 0..d.len() {
        let x = f(a.rd(d, k));
        d[k] = x;
    }
}

#[inline(always)]
fn loop2<T: Float, A: Rd<T>, B: Rd<T>>(d: &mut [T], a: A, b: B, f: impl Fn(T, T) -> T) {
    let (a, b) = (a.fit(d.len()), b.fit(d.len()));
    for k in 0..d.len() {
        let x = f(a.rd(d, k), b.rd(d, k));
        d[k] = x;
    }
}

#[inline(always)]
fn loop3<T: Float, A: Rd<T>, B: Rd<T>, C: Rd<T>>(
    d: &mut [T],
    a: A,
    b: B,
    c: C,
    f: impl Fn(T, T, T) -> T,
) {
    let n = d.len();
    let (a, b, c) = (a.fit(n), b.fit(n), c.fit(n));
    for k in 0..d.len() {
        let x = f(a.rd(d, k), b.rd(d, k), c.rd(d, k));
        d[k] = x;
    }
}

#[inline(always)]
fn loop4<T: Float, A: Rd<T>, B: Rd<T>, C: Rd<T>, E: Rd<T>>(
    d: &mut [T],
    a: A,
    b: B,
    c: C,
    e: E,
    f: impl Fn(T, T, T, T) -> T,
) {
    let n = d.len();
    let (a, b, c, e) = (a.fit(n), b.fit(n), c.fit(n), e.fit(n));
    for k in 0..d.len() {
        let x = f(a.rd(d, k), b.rd(d, k), c.rd(d, k), e.rd(d, k));
        d[k] = x;
    }
}

#[inline(always)]
fn un_op<T: Float>(d: &mut [T], op: UOp, a: O<T>) {
    macro_rules! u {
        ($f:expr) => {
            kinds!(a, va => loop1(d, va, $f))
        };
    }
    // one arm per operation: a loop that matched on `op` per element would not vectorise
    match op {
        UOp::Neg => u!(|x: T| -x),
        UOp::Not => u!(|x: T| ir::un(UOp::Not, x)),
        UOp::Copy => u!(|x: T| x),
        UOp::Exp => u!(|x: T| x.exp()),
        UOp::Log => u!(|x: T| x.ln()),
        UOp::Sqrt => u!(|x: T| x.sqrt()),
        UOp::Abs => u!(|x: T| x.abs()),
        UOp::Floor => u!(|x: T| x.floor()),
        UOp::Heaviside => u!(|x: T| ir::un(UOp::Heaviside, x)),
        UOp::PowI(2) => u!(|x: T| x * x),
        UOp::PowI(3) => u!(|x: T| x * x * x),
        // the transcendental rest costs far more than the per-element match
        other => u!(move |x: T| ir::un(other, x)),
    }
}

#[inline(always)]
fn bin_op<T: Float>(d: &mut [T], op: BOp, a: O<T>, b: O<T>) {
    if let (O::S(x), O::S(y)) = (a, b) {
        d.fill(ir::bin(op, x, y));
        return;
    }
    macro_rules! b2 {
        ($f:expr) => {
            kinds!(a, va => kinds!(b, vb => loop2(d, va, vb, $f)))
        };
    }
    // one arm per operation (see `un_op`)
    match op {
        BOp::Add => b2!(|x: T, y: T| x + y),
        BOp::Sub => b2!(|x: T, y: T| x - y),
        BOp::Mul => b2!(|x: T, y: T| x * y),
        BOp::Div => b2!(|x: T, y: T| x / y),
        BOp::Min => b2!(|x: T, y: T| T::blend(y < x, y, x)),
        BOp::Max => b2!(|x: T, y: T| T::blend(x < y, y, x)),
        BOp::Lt => b2!(|x: T, y: T| ir::bin(BOp::Lt, x, y)),
        BOp::Le => b2!(|x: T, y: T| ir::bin(BOp::Le, x, y)),
        BOp::Gt => b2!(|x: T, y: T| ir::bin(BOp::Gt, x, y)),
        BOp::Ge => b2!(|x: T, y: T| ir::bin(BOp::Ge, x, y)),
        BOp::Eq => b2!(|x: T, y: T| ir::bin(BOp::Eq, x, y)),
        BOp::Ne => b2!(|x: T, y: T| ir::bin(BOp::Ne, x, y)),
        BOp::And => b2!(|x: T, y: T| ir::bin(BOp::And, x, y)),
        BOp::Or => b2!(|x: T, y: T| ir::bin(BOp::Or, x, y)),
        BOp::Mod => b2!(|x: T, y: T| ir::bin(BOp::Mod, x, y)),
        BOp::Pow => b2!(|x: T, y: T| x.powf(y)),
    }
}

#[inline(always)]
fn sel_op<T: Float>(d: &mut [T], c: O<T>, a: O<T>, b: O<T>) {
    kinds!(c, vc => kinds!(a, va => kinds!(b, vb => loop3(d, vc, va, vb, |c: T, x: T, y: T| T::blend(c != T::ZERO, x, y)))))
}

#[inline(always)]
fn get<T: Float>(o: O<T>, d: &[T], k: usize) -> T {
    match o {
        O::A(s) => s[k],
        O::S(x) => x,
        O::D => d[k],
    }
}

/// `(x cmp y) ? a : b`: fast loops for `x` an array, `y` an array or scalar, `cmp` one of
/// `< <= > >=`; anything else (which the lowering does not make) element by element.
#[inline(always)]
fn selcmp_op<T: Float>(d: &mut [T], cmp: Cmp, x: O<T>, y: O<T>, a: O<T>, b: O<T>) {
    macro_rules! s {
        ($c:ident, $xs:expr) => {{
            let vx = Sl($xs);
            match y {
                O::A(ys) => {
                    let vy = Sl(ys);
                    kinds!(a, va => kinds!(b, vb =>
                        loop4(d, vx, vy, va, vb, |x: T, y: T, a: T, b: T| T::blend(ir::cmp(Cmp::$c, x, y), a, b))))
                }
                O::S(ys) => {
                    let vy = Sc(ys);
                    kinds!(a, va => kinds!(b, vb =>
                        loop4(d, vx, vy, va, vb, |x: T, y: T, a: T, b: T| T::blend(ir::cmp(Cmp::$c, x, y), a, b))))
                }
                O::D => unreachable!(),
            }
        }};
    }
    match (cmp, x, y) {
        (Cmp::Lt, O::A(xs), O::A(_) | O::S(_)) => s!(Lt, xs),
        (Cmp::Le, O::A(xs), O::A(_) | O::S(_)) => s!(Le, xs),
        (Cmp::Gt, O::A(xs), O::A(_) | O::S(_)) => s!(Gt, xs),
        (Cmp::Ge, O::A(xs), O::A(_) | O::S(_)) => s!(Ge, xs),
        _ => {
            for k in 0..d.len() {
                let v = if ir::cmp(cmp, get(x, d, k), get(y, d, k)) {
                    get(a, d, k)
                } else {
                    get(b, d, k)
                };
                d[k] = v;
            }
        }
    }
}

/// `(a o1 b) o2 c`: fast loops for `a`, `b` arrays (scalars arrive as splats) and `c` an array
/// or the destination; anything else element by element.
#[inline(always)]
fn f2_op<T: Float>(d: &mut [T], o1: Ar, o2: Ar, a: O<T>, b: O<T>, c: O<T>) {
    let (O::A(a_s), O::A(b_s), O::A(_) | O::D) = (a, b, c) else {
        for k in 0..d.len() {
            let v = ir::ar(o2, ir::ar(o1, get(a, d, k), get(b, d, k)), get(c, d, k));
            d[k] = v;
        }
        return;
    };
    macro_rules! f {
        ($o1:ident, $o2:ident) => {{
            let (va, vb) = (Sl(a_s), Sl(b_s));
            let f = |a: T, b: T, c: T| ir::ar(Ar::$o2, ir::ar(Ar::$o1, a, b), c);
            match c {
                O::A(cs) => loop3(d, va, vb, Sl(cs), f),
                _ => loop3(d, va, vb, Dd, f),
            }
        }};
    }
    macro_rules! outer {
        ($o1:ident) => {
            match o2 {
                Ar::Add => f!($o1, Add),
                Ar::Sub => f!($o1, Sub),
                Ar::RSub => f!($o1, RSub),
                Ar::Mul => f!($o1, Mul),
                Ar::Div => f!($o1, Div),
                Ar::RDiv => f!($o1, RDiv),
            }
        };
    }
    match o1 {
        Ar::Add => outer!(Add),
        Ar::Sub => outer!(Sub),
        Ar::Mul => outer!(Mul),
        Ar::Div => outer!(Div),
        Ar::RSub => outer!(RSub),
        Ar::RDiv => outer!(RDiv),
    }
}

/// `x + ((a o1 b) o2 c)`: fast loops for `a`, `b`, `c` arrays and `x` an array or the
/// destination.
#[inline(always)]
fn f3_op<T: Float>(d: &mut [T], o1: Ar, o2: Ar, a: O<T>, b: O<T>, c: O<T>, x: O<T>) {
    let (O::A(a_s), O::A(b_s), O::A(c_s), O::A(_) | O::D) = (a, b, c, x) else {
        for k in 0..d.len() {
            let v = get(x, d, k) + ir::ar(o2, ir::ar(o1, get(a, d, k), get(b, d, k)), get(c, d, k));
            d[k] = v;
        }
        return;
    };
    macro_rules! f {
        ($o1:ident, $o2:ident) => {{
            let (va, vb, vc) = (Sl(a_s), Sl(b_s), Sl(c_s));
            let f = |a: T, b: T, c: T, x: T| x + ir::ar(Ar::$o2, ir::ar(Ar::$o1, a, b), c);
            match x {
                O::A(xs) => loop4(d, va, vb, vc, Sl(xs), f),
                _ => loop4(d, va, vb, vc, Dd, f),
            }
        }};
    }
    macro_rules! outer {
        ($o1:ident) => {
            match o2 {
                Ar::Add => f!($o1, Add),
                Ar::Sub => f!($o1, Sub),
                Ar::RSub => f!($o1, RSub),
                Ar::Mul => f!($o1, Mul),
                Ar::Div => f!($o1, Div),
                Ar::RDiv => f!($o1, RDiv),
            }
        };
    }
    match o1 {
        Ar::Add => outer!(Add),
        Ar::Sub => outer!(Sub),
        Ar::Mul => outer!(Mul),
        Ar::Div => outer!(Div),
        Ar::RSub => outer!(RSub),
        Ar::RDiv => outer!(RDiv),
    }
}

/// `(x1 c1 y1) and (x2 c2 y2)` as 1/0: fast loops for `x1`, `x2` arrays, `y1`, `y2` arrays or
/// scalars, comparisons `< <= > >=`.
#[inline(always)]
#[allow(clippy::too_many_arguments)] // reason: two comparisons of two operands each
fn andcmp_op<T: Float>(d: &mut [T], c1: Cmp, x1: O<T>, y1: O<T>, c2: Cmp, x2: O<T>, y2: O<T>) {
    let fast = |c: Cmp| matches!(c, Cmp::Lt | Cmp::Le | Cmp::Gt | Cmp::Ge);
    let (O::A(x1s), O::A(x2s)) = (x1, x2) else {
        return andcmp_slow(d, c1, x1, y1, c2, x2, y2);
    };
    if !fast(c1) || !fast(c2) || matches!(y1, O::D) || matches!(y2, O::D) {
        return andcmp_slow(d, c1, x1, y1, c2, x2, y2);
    }
    macro_rules! g {
        ($a:ident, $b:ident) => {
            match (y1, y2) {
                (O::A(p), O::A(q)) => loop4(
                    d,
                    Sl(x1s),
                    Sl(p),
                    Sl(x2s),
                    Sl(q),
                    |a: T, b: T, c: T, e: T| {
                        T::blend(
                            ir::cmp(Cmp::$a, a, b) & ir::cmp(Cmp::$b, c, e),
                            T::ONE,
                            T::ZERO,
                        )
                    },
                ),
                (O::A(p), O::S(q)) => loop4(
                    d,
                    Sl(x1s),
                    Sl(p),
                    Sl(x2s),
                    Sc(q),
                    |a: T, b: T, c: T, e: T| {
                        T::blend(
                            ir::cmp(Cmp::$a, a, b) & ir::cmp(Cmp::$b, c, e),
                            T::ONE,
                            T::ZERO,
                        )
                    },
                ),
                (O::S(p), O::A(q)) => loop4(
                    d,
                    Sl(x1s),
                    Sc(p),
                    Sl(x2s),
                    Sl(q),
                    |a: T, b: T, c: T, e: T| {
                        T::blend(
                            ir::cmp(Cmp::$a, a, b) & ir::cmp(Cmp::$b, c, e),
                            T::ONE,
                            T::ZERO,
                        )
                    },
                ),
                (O::S(p), O::S(q)) => loop4(
                    d,
                    Sl(x1s),
                    Sc(p),
                    Sl(x2s),
                    Sc(q),
                    |a: T, b: T, c: T, e: T| {
                        T::blend(
                            ir::cmp(Cmp::$a, a, b) & ir::cmp(Cmp::$b, c, e),
                            T::ONE,
                            T::ZERO,
                        )
                    },
                ),
                _ => {}
            }
        };
    }
    macro_rules! second {
        ($a:ident) => {
            match c2 {
                Cmp::Lt => g!($a, Lt),
                Cmp::Le => g!($a, Le),
                Cmp::Gt => g!($a, Gt),
                _ => g!($a, Ge),
            }
        };
    }
    match c1 {
        Cmp::Lt => second!(Lt),
        Cmp::Le => second!(Le),
        Cmp::Gt => second!(Gt),
        _ => second!(Ge),
    }
}

#[allow(clippy::too_many_arguments)] // reason: as andcmp_op
fn andcmp_slow<T: Float>(d: &mut [T], c1: Cmp, x1: O<T>, y1: O<T>, c2: Cmp, x2: O<T>, y2: O<T>) {
    for k in 0..d.len() {
        let v =
            ir::cmp(c1, get(x1, d, k), get(y1, d, k)) & ir::cmp(c2, get(x2, d, k), get(y2, d, k));
        d[k] = if v { T::ONE } else { T::ZERO };
    }
}

#[inline(always)]
fn dfsum_op<T: Float>(d: &mut [T], x: &[T], terms: &[(&[T], &[T])]) {
    let n = d.len();
    let x = &x[..n];
    match terms {
        [(g0, e0), (g1, e1)] => {
            let (g0, e0, g1, e1) = (&g0[..n], &e0[..n], &g1[..n], &e1[..n]);
            for k in 0..n {
                d[k] = g0[k] * (e0[k] - x[k]) + g1[k] * (e1[k] - x[k]);
            }
        }
        [(g0, e0), (g1, e1), (g2, e2)] => {
            let (g0, e0, g1, e1, g2, e2) =
                (&g0[..n], &e0[..n], &g1[..n], &e1[..n], &g2[..n], &e2[..n]);
            for k in 0..n {
                d[k] = g0[k] * (e0[k] - x[k]) + g1[k] * (e1[k] - x[k]) + g2[k] * (e2[k] - x[k]);
            }
        }
        _ => {
            // four or more: the first three fused, the rest added one by one
            let (first, rest) = terms.split_at(terms.len().min(3));
            dfsum_op(d, x, first);
            for (g, e) in rest {
                let (g, e) = (&g[..n], &e[..n]);
                for k in 0..n {
                    d[k] = d[k] + g[k] * (e[k] - x[k]);
                }
            }
        }
    }
}

// ---- one instruction -------------------------------------------------------------------------

impl<T: Float, S: TargetSink> Frame<'_, '_, T, S> {
    /// The operand `s` for the current chunk, with `dst` the instruction's destination.
    #[allow(clippy::too_many_arguments)] // reason: the frame's parts, borrowed separately
    #[inline(always)]
    fn opd<'s>(
        regs: &'s [Vec<T>],
        arrays: &'s [Vec<T>],
        ks: &'s [T],
        splat: &'s [Vec<T>],
        input: &'s [T],
        (base, len, off): (usize, usize, usize),
        dst: Dst,
        s: Src,
    ) -> O<'s, T> {
        match s {
            Src::R(r) if dst == Dst::R(r) => O::D,
            Src::A(a) if dst == Dst::A(a) => O::D,
            // (out-of-range operands read as 0: a lowering bug must not become a panic)
            Src::R(r) => regs
                .get(r as usize)
                .and_then(|v| v.get(off..off + len))
                .map_or(O::S(T::ZERO), O::A),
            Src::A(a) => arrays
                .get(a as usize)
                .and_then(|v| v.get(base..base + len))
                .map_or(O::S(T::ZERO), O::A),
            Src::K(k) => O::S(ks.get(k as usize).copied().unwrap_or(T::ZERO)),
            Src::P(k) => splat
                .get(k as usize)
                .and_then(|v| v.get(..len))
                .map_or(O::S(T::ZERO), O::A),
            Src::In => input.get(off..off + len).map_or(O::S(T::ZERO), O::A),
        }
    }

    fn take_dst(&mut self, d: Dst) -> (Vec<T>, usize) {
        match d {
            Dst::R(r) => (std::mem::take(&mut self.regs[r as usize]), self.reg_off),
            Dst::A(a) => (std::mem::take(&mut self.arrays[a as usize]), self.base),
        }
    }

    fn put_dst(&mut self, d: Dst, buf: Vec<T>) {
        match d {
            Dst::R(r) => self.regs[r as usize] = buf,
            Dst::A(a) => self.arrays[a as usize] = buf,
        }
    }

    #[inline(always)]
    fn with_dst<F>(&mut self, d: Dst, f: F)
    where
        F: for<'s> FnOnce(&'s mut [T], &'s dyn Fn(Src) -> O<'s, T>),
    {
        let (base, len, roff) = (self.base, self.len, self.reg_off);
        let (mut buf, off) = match d {
            Dst::R(r) => (std::mem::take(&mut self.regs[r as usize]), roff),
            Dst::A(a) => (std::mem::take(&mut self.arrays[a as usize]), base),
        };
        {
            let (regs, arrays, ks, splat, input) =
                (&*self.regs, &*self.arrays, self.ks, self.splat, self.input);
            let opd = |s: Src| Self::opd(regs, arrays, ks, splat, input, (base, len, roff), d, s);
            f(&mut buf[off..off + len], &opd);
        }
        match d {
            Dst::R(r) => self.regs[r as usize] = buf,
            Dst::A(a) => self.arrays[a as usize] = buf,
        }
    }

    #[inline(always)]
    pub fn exec(&mut self, ins: &Ins) {
        match ins {
            Ins::Un { op, d, a } => self.with_dst(*d, |dd, o| un_op(dd, *op, o(*a))),
            Ins::Bin { op, d, a, b } => self.with_dst(*d, |dd, o| bin_op(dd, *op, o(*a), o(*b))),
            Ins::Sel { d, c, a, b } => self.with_dst(*d, |dd, o| sel_op(dd, o(*c), o(*a), o(*b))),
            Ins::SelCmp { cmp, d, x, y, a, b } => {
                self.with_dst(*d, |dd, o| selcmp_op(dd, *cmp, o(*x), o(*y), o(*a), o(*b)))
            }
            Ins::F2 { o1, o2, d, a, b, c } => {
                self.with_dst(*d, |dd, o| f2_op(dd, *o1, *o2, o(*a), o(*b), o(*c)))
            }
            Ins::F3 {
                o1,
                o2,
                d,
                a,
                b,
                c,
                x,
            } => self.with_dst(*d, |dd, o| f3_op(dd, *o1, *o2, o(*a), o(*b), o(*c), o(*x))),
            Ins::AndCmp {
                d,
                c1,
                x1,
                y1,
                c2,
                x2,
                y2,
            } => self.with_dst(*d, |dd, o| {
                andcmp_op(dd, *c1, o(*x1), o(*y1), *c2, o(*x2), o(*y2))
            }),
            Ins::DfSum { d, x, terms } => self.with_dst(*d, |dd, o| {
                let sl = |s: Src| match o(s) {
                    O::A(a) => a,
                    _ => &[][..],
                };
                let mut ts: [(&[T], &[T]); 8] = [(&[][..], &[][..]); 8];
                let n = terms.len().min(8);
                for (slot, (g, e)) in ts.iter_mut().zip(terms.iter()) {
                    *slot = (sl(*g), sl(*e));
                }
                dfsum_op(dd, sl(*x), &ts[..n]);
            }),
            Ins::Rand { d, dist } => {
                let (mut buf, off) = self.take_dst(*d);
                let dd = &mut buf[off..off + self.len];
                match dist {
                    Dist::Uniform => dd
                        .iter_mut()
                        .for_each(|x| *x = T::from_f64(self.rng.random::<f64>())),
                    Dist::Normal => dd.iter_mut().for_each(|x| {
                        let z: f64 = StandardNormal.sample(&mut *self.rng);
                        *x = T::from_f64(z)
                    }),
                }
                self.put_dst(*d, buf);
            }
            Ins::Index { d } => {
                let (mut buf, off) = self.take_dst(*d);
                for (k, x) in buf[off..off + self.len].iter_mut().enumerate() {
                    *x = T::from_f64((self.index0 + self.base + k) as f64);
                }
                self.put_dst(*d, buf);
            }
            Ins::Refrac { r, spike, nref } => self.with_dst(Dst::A(*r), |dd, o| {
                let (s, n) = (o(*spike), o(*nref));
                kinds!(s, vs => kinds!(n, vn => loop3(dd, vs, vn, Dd, |s: T, n: T, r: T| {
                    let dec = r - T::ONE;
                    T::blend(s != T::ZERO, n, T::blend(dec < T::ZERO, T::ZERO, dec))
                })))
            }),
            Ins::Gather { d, arr, via } => {
                let Some(syn) = self.syn else { return };
                let len = self.len;
                let mut buf = std::mem::take(&mut self.regs[*d as usize]);
                let dd = &mut buf[..len];
                match via {
                    Via::Batch => {
                        let src = &self.arrays[*arr as usize];
                        match syn.batch {
                            Some(idx) => {
                                for (x, &s) in dd.iter_mut().zip(idx) {
                                    *x = src.get(s as usize).copied().unwrap_or(T::ZERO);
                                }
                            }
                            None => dd.copy_from_slice(&src[self.base..self.base + len]),
                        }
                    }
                    Via::Post | Via::Pre => {
                        let idx = if *via == Via::Post { syn.post } else { syn.pre };
                        if let Some(vals) = syn.ext.get(*arr as usize) {
                            for (x, &j) in dd.iter_mut().zip(idx) {
                                *x = vals.get(j as usize);
                            }
                        }
                    }
                }
                self.regs[*d as usize] = buf;
            }
            Ins::Scatter { arr, src } => {
                let Some(syn) = self.syn else { return };
                let len = self.len;
                let o = Self::opd(
                    self.regs,
                    &[],
                    self.ks,
                    self.splat,
                    self.input,
                    (0, len, self.reg_off),
                    Dst::R(u16::MAX),
                    *src,
                );
                let dst = &mut self.arrays[*arr as usize];
                let Some(idx) = syn.batch else { return };
                for (k, &s) in idx.iter().enumerate() {
                    let x = match o {
                        O::A(a) => a[k],
                        O::S(x) => x,
                        O::D => T::ZERO,
                    };
                    if let Some(slot) = dst.get_mut(s as usize) {
                        *slot = x;
                    }
                }
            }
            Ins::AddTarget { target, src } => {
                let Some(syn) = self.syn else { return };
                let len = self.len;
                let o = Self::opd(
                    self.regs,
                    self.arrays,
                    self.ks,
                    self.splat,
                    self.input,
                    (self.base, len, self.reg_off),
                    Dst::R(u16::MAX),
                    *src,
                );
                for (k, &j) in syn.post.iter().enumerate().take(len) {
                    let x = match o {
                        O::A(a) => a[k],
                        O::S(x) => x,
                        O::D => T::ZERO,
                    };
                    self.sink.add(*target, j, x.to_f64());
                }
            }
            Ins::SynInfo { d, via, time } => {
                let Some(syn) = self.syn else { return };
                let len = self.len;
                let mut buf = std::mem::take(&mut self.regs[*d as usize]);
                let (idx, t) = if *via == Via::Post {
                    (syn.post, syn.t_post)
                } else {
                    (syn.pre, syn.t_pre)
                };
                for (k, x) in buf[..len].iter_mut().enumerate() {
                    *x = if *time {
                        match t.get(k).copied().unwrap_or(u64::MAX) {
                            u64::MAX => T::from_f64(f64::NEG_INFINITY),
                            s => T::from_f64(s as f64 * syn.dt),
                        }
                    } else {
                        T::from_f64(f64::from(idx.get(k).copied().unwrap_or(0)))
                    };
                }
                self.regs[*d as usize] = buf;
            }
        }
    }
}

/// Sub-block of spike scans and resets.
const SUB: usize = 64;

/// Run `prog` over elements `0..n` densely (neurons, per-step synapse passes); spikes (local
/// indices) are appended to `spikes`. `input` is the external current (empty: none).
#[allow(clippy::too_many_arguments)] // reason: the parts of an executor, borrowed separately
#[inline(always)]
pub(crate) fn run_dense<T: Float>(
    prog: &Program,
    scratch: &mut Scratch<T>,
    arrays: &mut [Vec<T>],
    ks: &[T],
    splat: &[Vec<T>],
    input: &[f64],
    n: usize,
    rng: &mut Rng,
    syn: Option<&SynChunk>,
    spikes: &mut Vec<u32>,
) {
    let native = T::native(input);
    let mut base = 0;
    while base < n {
        let len = CHUNK.min(n - base);
        let input_chunk: &[T] = if input.len() >= base + len {
            match native {
                Some(s) => &s[base..base + len],
                None => {
                    for (x, &c) in scratch.input[..len]
                        .iter_mut()
                        .zip(&input[base..base + len])
                    {
                        *x = T::from_f64(c);
                    }
                    &scratch.input[..len]
                }
            }
        } else {
            &[]
        };
        let mut sink = NoTargets;
        let index0 = scratch.index0;
        let mut f = Frame {
            index0,
            regs: &mut scratch.regs,
            arrays,
            ks,
            splat,
            input: input_chunk,
            base,
            len,
            reg_off: 0,
            rng,
            syn,
            sink: &mut sink,
        };
        for ins in &prog.main {
            f.exec(ins);
        }
        if let Some(sp) = prog.spike {
            // spikes and resets by 64-element sub-blocks: most sub-blocks have no spike
            let mut sub = 0;
            while sub < len {
                let sl = SUB.min(len - sub);
                let mut m = [T::ZERO; SUB];
                let mask: &[T] = match sp {
                    Src::R(r) => &f.regs[r as usize][sub..sub + sl],
                    Src::A(a) => &f.arrays[a as usize][base + sub..base + sub + sl],
                    _ => &[],
                };
                m[..mask.len()].copy_from_slice(mask);
                // a separate OR-reduction vectorises
                if m.iter().fold(false, |acc, &x| acc | (x != T::ZERO)) {
                    for (k, &x) in m[..sl].iter().enumerate() {
                        if x != T::ZERO {
                            spikes.push((base + sub + k) as u32);
                        }
                    }
                    if !prog.reset.is_empty() {
                        f.base = base + sub;
                        f.len = sl;
                        f.reg_off = sub;
                        for ins in &prog.reset {
                            f.exec(ins);
                        }
                        f.base = base;
                        f.len = len;
                        f.reg_off = 0;
                    }
                }
                sub += sl;
            }
        }
        base += len;
    }
}

/// Run `prog` for the synapses `batch` (each at most once), chunk by chunk; `pre`/`post` give
/// each synapse's neurons, `last_pre`/`last_post` their last spike steps.
#[allow(clippy::too_many_arguments)] // reason: the parts of an executor, borrowed separately
pub(crate) fn run_batch<T: Float, S: TargetSink>(
    prog: &Program,
    scratch: &mut Scratch<T>,
    arrays: &mut [Vec<T>],
    ks: &[T],
    splat: &[Vec<T>],
    batch: Option<&[u32]>,
    n_dense: usize,
    syn_pre: &[u32],
    syn_post: &[u32],
    last_pre: &[u64],
    last_post: &[u64],
    ext: &[Values],
    dt: f64,
    rng: &mut Rng,
    sink: &mut S,
) {
    let n = batch.map_or(n_dense, |b| b.len());
    let mut pre = [0u32; CHUNK];
    let mut post = [0u32; CHUNK];
    let mut tpre = [u64::MAX; CHUNK];
    let mut tpost = [u64::MAX; CHUNK];
    let mut base = 0;
    while base < n {
        let len = CHUNK.min(n - base);
        for k in 0..len {
            let s = match batch {
                Some(b) => b[base + k] as usize,
                None => base + k,
            };
            pre[k] = syn_pre.get(s).copied().unwrap_or(0);
            post[k] = syn_post.get(s).copied().unwrap_or(0);
            tpre[k] = last_pre.get(s).copied().unwrap_or(u64::MAX);
            tpost[k] = last_post.get(post[k] as usize).copied().unwrap_or(u64::MAX);
        }
        let chunk = SynChunk {
            batch: batch.map(|b| &b[base..base + len]),
            pre: &pre[..len],
            post: &post[..len],
            ext,
            t_pre: &tpre[..len],
            t_post: &tpost[..len],
            dt,
        };
        let mut f = Frame {
            index0: 0,
            regs: &mut scratch.regs,
            arrays,
            ks,
            splat,
            input: &[],
            base,
            len,
            reg_off: 0,
            rng,
            syn: Some(&chunk),
            sink,
        };
        for ins in &prog.main {
            f.exec(ins);
        }
        base += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;

    fn cpu_ns() -> u64 {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    /// Cost of each instruction kind per element (run with --ignored --nocapture in release).
    #[test]
    #[ignore]
    fn instruction_costs() {
        let n = 4000;
        let reps = 5000;
        let progs: Vec<(&str, Vec<Ins>)> = vec![
            (
                "bin A*K -> R",
                vec![Ins::Bin {
                    op: BOp::Mul,
                    d: Dst::R(0),
                    a: Src::A(0),
                    b: Src::K(1),
                }],
            ),
            (
                "bin A*A -> R",
                vec![Ins::Bin {
                    op: BOp::Mul,
                    d: Dst::R(0),
                    a: Src::A(0),
                    b: Src::A(1),
                }],
            ),
            (
                "bin A*K in place",
                vec![Ins::Bin {
                    op: BOp::Mul,
                    d: Dst::A(1),
                    a: Src::A(1),
                    b: Src::K(1),
                }],
            ),
            (
                "bin A<=K -> R",
                vec![Ins::Bin {
                    op: BOp::Le,
                    d: Dst::R(0),
                    a: Src::A(0),
                    b: Src::K(1),
                }],
            ),
            (
                "copy R -> A",
                vec![Ins::Un {
                    op: UOp::Copy,
                    d: Dst::A(2),
                    a: Src::R(1),
                }],
            ),
            (
                "selcmp",
                vec![Ins::SelCmp {
                    cmp: Cmp::Le,
                    d: Dst::R(0),
                    x: Src::A(0),
                    y: Src::K(1),
                    a: Src::R(1),
                    b: Src::A(1),
                }],
            ),
            (
                "f2",
                vec![Ins::F2 {
                    o1: Ar::Add,
                    o2: Ar::Mul,
                    d: Dst::R(0),
                    a: Src::R(1),
                    b: Src::P(1),
                    c: Src::P(1),
                }],
            ),
            (
                "dfsum3",
                vec![Ins::DfSum {
                    d: Dst::R(0),
                    x: Src::A(0),
                    terms: vec![
                        (Src::P(1), Src::P(1)),
                        (Src::A(1), Src::P(1)),
                        (Src::A(2), Src::P(1)),
                    ],
                }],
            ),
            (
                "refrac",
                vec![Ins::Refrac {
                    r: 3,
                    spike: Src::R(1),
                    nref: Src::K(1),
                }],
            ),
        ];
        for (name, main) in progs {
            let prog = Program {
                main,
                reset: vec![],
                spike: None,
                n_regs: 2,
            };
            let mut scratch = Scratch::<f64>::for_program(&prog);
            let mut arrays = vec![vec![0.5f64; n]; 4];
            let ks = vec![0.0, 0.75];
            let splat = vec![vec![0.0; CHUNK], vec![0.75; CHUNK]];
            let mut rng = Rng::seed_from_u64(1);
            let mut sp = Vec::new();
            let t0 = cpu_ns();
            for _ in 0..reps {
                crate::simd::dispatch(
                    #[inline(always)]
                    || {
                        run_dense(
                            &prog,
                            &mut scratch,
                            &mut arrays,
                            &ks,
                            &splat,
                            &[],
                            n,
                            &mut rng,
                            None,
                            &mut sp,
                        )
                    },
                );
            }
            let t = cpu_ns() - t0;
            println!("{name:>20}: {:.3} ns/element", t as f64 / (n * reps) as f64);
        }
    }
}
