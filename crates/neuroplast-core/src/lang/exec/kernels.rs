//! The loops: read access to an operand (a slice, a scalar, or the destination itself) and
//! one monomorphised loop per instruction kind and combination of operand kinds.

use crate::lang::float::Float;
use crate::lang::ir::{self, Ar, BOp, Cmp, UOp};

/// Read access to one operand of a loop: a slice, a scalar, or the destination itself.
pub(super) trait Rd<T: Copy>: Copy {
    fn rd(&self, d: &[T], k: usize) -> T;
    /// The same operand cut to `n` elements, so the loops' bounds checks disappear.
    fn fit(self, n: usize) -> Self;
}

#[derive(Clone, Copy)]
pub(super) struct Sl<'a, T>(pub(super) &'a [T]);
#[derive(Clone, Copy)]
pub(super) struct Sc<T>(pub(super) T);
#[derive(Clone, Copy)]
pub(super) struct Dd;

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
pub(super) enum O<'a, T> {
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

pub(super) use kinds;

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
pub(super) fn loop3<T: Float, A: Rd<T>, B: Rd<T>, C: Rd<T>>(
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
pub(super) fn un_op<T: Float>(d: &mut [T], op: UOp, a: O<T>) {
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
pub(super) fn bin_op<T: Float>(d: &mut [T], op: BOp, a: O<T>, b: O<T>) {
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
pub(super) fn sel_op<T: Float>(d: &mut [T], c: O<T>, a: O<T>, b: O<T>) {
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
pub(super) fn selcmp_op<T: Float>(d: &mut [T], cmp: Cmp, x: O<T>, y: O<T>, a: O<T>, b: O<T>) {
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
pub(super) fn f2_op<T: Float>(d: &mut [T], o1: Ar, o2: Ar, a: O<T>, b: O<T>, c: O<T>) {
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
pub(super) fn f3_op<T: Float>(d: &mut [T], o1: Ar, o2: Ar, a: O<T>, b: O<T>, c: O<T>, x: O<T>) {
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
pub(super) fn andcmp_op<T: Float>(
    d: &mut [T],
    c1: Cmp,
    x1: O<T>,
    y1: O<T>,
    c2: Cmp,
    x2: O<T>,
    y2: O<T>,
) {
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
pub(super) fn dfsum_op<T: Float>(d: &mut [T], x: &[T], terms: &[(&[T], &[T])]) {
    let n = d.len();
    let x = &x[..n];
    match terms {
        [] => d.fill(T::ZERO),
        [(g0, e0)] => {
            let (g0, e0) = (&g0[..n], &e0[..n]);
            for k in 0..n {
                d[k] = g0[k] * (e0[k] - x[k]);
            }
        }
        [(g0, e0), (g1, e1)] => {
            let (g0, e0, g1, e1) = (&g0[..n], &e0[..n], &g1[..n], &e1[..n]);
            for k in 0..n {
                d[k] = g0[k] * (e0[k] - x[k]) + g1[k] * (e1[k] - x[k]);
            }
        }
        [(g0, e0), (g1, e1), (g2, e2), rest @ ..] => {
            // the first three fused, any others added one by one (no recursion: the whole
            // function inlines into the SIMD copies)
            let (g0, e0, g1, e1, g2, e2) =
                (&g0[..n], &e0[..n], &g1[..n], &e1[..n], &g2[..n], &e2[..n]);
            for k in 0..n {
                d[k] = g0[k] * (e0[k] - x[k]) + g1[k] * (e1[k] - x[k]) + g2[k] * (e2[k] - x[k]);
            }
            for (g, e) in rest {
                let (g, e) = (&g[..n], &e[..n]);
                for k in 0..n {
                    d[k] = d[k] + g[k] * (e[k] - x[k]);
                }
            }
        }
    }
}

/// `d = g0·(e0 − x) + g1·(e1 − x) + g2·(e2 − x)` with constant `e` (and `g0` a constant or a
/// slice): the same arithmetic as [`dfsum_op`], reading three arrays instead of seven.
#[inline(always)]
pub(super) fn dfsum3_const_e<T: Float, G: Rd<T>>(
    d: &mut [T],
    x: &[T],
    g0: G,
    g1: &[T],
    g2: &[T],
    [e0, e1, e2]: [T; 3],
) {
    let n = d.len();
    let (x, g0, g1, g2) = (&x[..n], g0.fit(n), &g1[..n], &g2[..n]);
    for k in 0..n {
        d[k] = cond3(d, k, x, g0, g1, g2, [e0, e1, e2]);
    }
}

/// Element `k` of the three-term conductance sum (shared by [`dfsum3_const_e`],
/// [`dfstep3_const_e`] and [`dfstep3_gate`], so all have the same bits).
#[inline(always)]
fn cond3<T: Float, G: Rd<T>>(
    d: &[T],
    k: usize,
    x: &[T],
    g0: G,
    g1: &[T],
    g2: &[T],
    e: [T; 3],
) -> T {
    g0.rd(d, k) * (e[0] - x[k]) + g1[k] * (e[1] - x[k]) + g2[k] * (e[2] - x[k])
}

/// [`dfsum3_const_e`] and the explicit update that reads it, `y + ((s + b) o2 c)` with `o2`
/// `×` (`DIV`: `÷`), in one pass; the two conductance arrays it reads, `g1` and `g2`, are then
/// multiplied by `k[0]` and `k[1]` in place (their exponential decay; `1` where they do not
/// decay, which leaves every value as it is: one copy of the loop, not two).
#[inline(always)]
#[allow(clippy::too_many_arguments)] // reason: the sum's and the update's operands
pub(super) fn dfstep3_const_e<T: Float, G: Rd<T>, B: Rd<T>, C: Rd<T>, Y: Rd<T>, const DIV: bool>(
    d: &mut [T],
    x: &[T],
    g0: G,
    g1: &mut [T],
    g2: &mut [T],
    e: [T; 3],
    b: B,
    c: C,
    y: Y,
    k: [T; 2],
) {
    let n = d.len();
    let (x, g0, g1, g2) = (&x[..n], g0.fit(n), &mut g1[..n], &mut g2[..n]);
    let (b, c, y) = (b.fit(n), c.fit(n), y.fit(n));
    for j in 0..n {
        let s = cond3(d, j, x, g0, g1, g2, e);
        let t = s + b.rd(d, j);
        let u = if DIV { t / c.rd(d, j) } else { t * c.rd(d, j) };
        d[j] = y.rd(d, j) + u;
        g1[j] = g1[j] * k[0];
        g2[j] = g2[j] * k[1];
    }
}

/// The refractory gate ([`crate::lang::ir::Ins::Gate`]) over one chunk: `spike`, `r`, `v`
/// and `a` are the chunk's elements.
#[inline(always)]
pub(super) fn gate<T: Float, Y: Rd<T>, N: Rd<T>, const CMP: u8>(
    spike: &mut [T],
    r: &mut [T],
    v: &mut [T],
    a: &[T],
    y: Y,
    nref: N,
) {
    let n = spike.len();
    let (r, v, a) = (&mut r[..n], &mut v[..n], &a[..n]);
    let (y, nref) = (y.fit(n), nref.fit(n));
    for k in 0..n {
        let (x, rr, s) = gate_elem::<T, CMP>(r[k], a[k], v[k], y.rd(spike, k), nref.rd(spike, k));
        v[k] = x;
        r[k] = rr;
        spike[k] = T::blend(s, T::ONE, T::ZERO);
    }
}

/// One element of the gate: from the counter `r`, the integrated value `a`, the old value
/// `v`, the threshold `y` and the refractory steps `nref`, the new value, the new counter and
/// whether it spiked (shared by [`gate`] and [`dfstep3_gate`], so both have the same bits).
#[inline(always)]
fn gate_elem<T: Float, const CMP: u8>(r: T, a: T, v: T, y: T, nref: T) -> (T, T, bool) {
    let cmp = match CMP {
        0 => Cmp::Lt,
        1 => Cmp::Le,
        2 => Cmp::Gt,
        _ => Cmp::Ge,
    };
    let active = r <= T::ZERO;
    let x = T::blend(active, a, v);
    let s = active & ir::cmp(cmp, x, y);
    let dec = r - T::ONE;
    (
        x,
        T::blend(s, nref, T::blend(dec < T::ZERO, T::ZERO, dec)),
        s,
    )
}

/// A conductance-based membrane's whole step in one pass: [`dfstep3_const_e`] with `x` and
/// `y` the membrane array `v` itself and `g₀`, `b`, `c` scalars, then [`gate`] on its value
/// (`v` frozen while refractory, the threshold `thr`, the counter `r`, the spike flags).
/// The same arithmetic in the same order as the two passes.
#[inline(always)]
#[allow(clippy::too_many_arguments)] // reason: the update's and the gate's operands
pub(super) fn dfstep3_gate<T: Float, const DIV: bool, const CMP: u8>(
    v: &mut [T],
    r: &mut [T],
    spike: &mut [T],
    g1: &mut [T],
    g2: &mut [T],
    [g0, b, c]: [T; 3],
    e: [T; 3],
    k: [T; 2],
    [thr, nref]: [T; 2],
) {
    let n = spike.len();
    let (v, r, g1, g2) = (&mut v[..n], &mut r[..n], &mut g1[..n], &mut g2[..n]);
    for j in 0..n {
        let x = v[j];
        let s = cond3(v, j, v, Sc(g0), g1, g2, e);
        let t = s + b;
        let u = if DIV { t / c } else { t * c };
        let a = x + u;
        g1[j] = g1[j] * k[0];
        g2[j] = g2[j] * k[1];
        let (x, rr, fired) = gate_elem::<T, CMP>(r[j], a, x, thr, nref);
        v[j] = x;
        r[j] = rr;
        spike[j] = T::blend(fired, T::ONE, T::ZERO);
    }
}
