//! One instruction on a [`Frame`]: its operands resolved for the current chunk, its
//! destination borrowed, and the loop of its kind run.

use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

use crate::lang::float::Float;
use crate::lang::ir::{Ar, BOp, Cmp, Dist, Dst, GateOp, Ins, Src, Via};

use super::kernels::{
    andcmp_op, bin_op, dfstep3_const_e, dfstep3_gate, dfsum3_const_e, dfsum_op, f2_op, f3_op, gate,
    kinds, loop3, sel_op, selcmp_op, un_op, Dd, Sc, Sl, O,
};
use super::{Frame, TargetSink};
use crate::lang::float::StateRef;

/// An operand's slice (empty where it is a scalar or the destination).
#[inline(always)]
fn slice_of<T>(o: O<'_, T>) -> &'_ [T] {
    match o {
        O::A(a) => a,
        _ => &[][..],
    }
}

/// A scalar operand's value from the scalar slots `ks`, also for a `P` splat (read from its
/// slot); `None` for any other operand.
#[inline(always)]
fn scalar_of<T: Copy>(ks: &[T], s: Src) -> Option<T> {
    match s {
        Src::P(k) | Src::K(k) => ks.get(usize::from(k)).copied(),
        _ => None,
    }
}

/// A conductance sum of any shape (up to 8 terms) into `d`, its operands resolved by `o`.
#[inline(always)]
fn dfsum_any<'s, T: Float>(d: &mut [T], x: Src, terms: &[(Src, Src)], o: &dyn Fn(Src) -> O<'s, T>) {
    let mut ts: [(&[T], &[T]); 8] = [(&[][..], &[][..]); 8];
    let m = terms.len().min(8);
    for (slot, (g, e)) in ts.iter_mut().zip(terms) {
        *slot = (slice_of(o(*g)), slice_of(o(*e)));
    }
    dfsum_op(d, slice_of(o(x)), &ts[..m]);
}

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

    /// The fast [`Ins::DfStep`]: three terms with constant reversal potentials, the second and
    /// third conductances arrays (taken out of the frame, so that their decays, none or both
    /// by constant factors, are written in the same pass), `+ b`, and `b`, `c`, `g₀` scalars or
    /// slices. `false` (nothing done) where the instruction has another shape.
    #[allow(clippy::too_many_arguments)] // reason: the instruction's fields
    #[inline(always)]
    fn dfstep3(
        &mut self,
        d: Dst,
        x: Src,
        terms: &[(Src, Src)],
        o1: Ar,
        b: Src,
        o2: Ar,
        c: Src,
        y: Src,
        decay: &[(u16, Src)],
    ) -> bool {
        let [(g0, e0), (Src::A(a1), e1), (Src::A(a2), e2)] = *terms else {
            return false;
        };
        // (an array out of range is a lowering bug, which must not become a panic)
        let n_arrays = self.arrays.len();
        if o1 != Ar::Add || a1 == a2 || usize::from(a1.max(a2)) >= n_arrays {
            return false;
        }
        // the decays' factors in the order of the two arrays
        let factors = match *decay {
            [] => None,
            [(p, f), (q, h)] if (p, q) == (a1, a2) => Some((f, h)),
            [(p, f), (q, h)] if (p, q) == (a2, a1) => Some((h, f)),
            _ => return false,
        };
        // the two arrays are read only through the kernel's own slices
        let taken = |s: &Src| matches!(s, Src::A(a) if *a == a1 || *a == a2);
        if [x, g0, e0, e1, e2, b, c, y].iter().any(taken) || d == Dst::A(a1) || d == Dst::A(a2) {
            return false;
        }
        let (base, len, ks) = (self.base, self.len, self.ks);
        let mut b1 = std::mem::take(&mut self.arrays[usize::from(a1)]);
        let mut b2 = std::mem::take(&mut self.arrays[usize::from(a2)]);
        let mut done = false;
        if let (Some(s1), Some(s2)) = (b1.get_mut(base..base + len), b2.get_mut(base..base + len)) {
            self.with_dst(
                d,
                #[inline(always)]
                |dd, o| {
                    let n = dd.len();
                    let sl = |s: Src| slice_of(o(s));
                    let konst = |s: Src| scalar_of(ks, s);
                    let ys = o(y);
                    let y_ok = match ys {
                        O::A(a) => a.len() >= n,
                        O::D => true,
                        O::S(_) => false,
                    };
                    let xs = sl(x);
                    let (Some(e0), Some(e1), Some(e2)) = (konst(e0), konst(e1), konst(e2)) else {
                        return;
                    };
                    if !(y_ok && xs.len() >= n) {
                        return;
                    }
                    let e = [e0, e1, e2];
                    // no decay: × 1, which changes no value
                    let kk = match factors.map(|(f, h)| (konst(f), konst(h))) {
                        None => [T::ONE; 2],
                        Some((Some(f), Some(h))) => [f, h],
                        Some(_) => return,
                    };
                    // g0, b and c all scalars (uniform parameters), or all read as slices (a
                    // constant's splat, which emission gives every constant of this
                    // instruction): two copies of the loop per kind of y and operation, not eight
                    let scalars = (konst(g0), konst(b), konst(c));
                    macro_rules! k {
                        ($div:literal, $g:expr, $p:expr, $q:expr, $y:expr) => {
                            dfstep3_const_e::<T, _, _, _, _, $div>(
                                dd, xs, $g, s1, s2, e, $p, $q, $y, kk,
                            )
                        };
                    }
                    let (g, p, q) = (sl(g0), sl(b), sl(c));
                    let short = g.len() < n || p.len() < n || q.len() < n;
                    macro_rules! go {
                        ($div:literal) => {
                            match (scalars, ys) {
                                ((Some(g), Some(p), Some(q)), O::A(y)) => {
                                    k!($div, Sc(g), Sc(p), Sc(q), Sl(y))
                                }
                                ((Some(g), Some(p), Some(q)), _) => {
                                    k!($div, Sc(g), Sc(p), Sc(q), Dd)
                                }
                                _ if short => return,
                                (_, O::A(y)) => k!($div, Sl(g), Sl(p), Sl(q), Sl(y)),
                                _ => k!($div, Sl(g), Sl(p), Sl(q), Dd),
                            }
                        };
                    }
                    match o2 {
                        Ar::Div => go!(true),
                        _ => go!(false),
                    }
                    done = true;
                },
            );
        }
        self.arrays[usize::from(a1)] = b1;
        self.arrays[usize::from(a2)] = b2;
        done
    }

    /// The refractory gate [`Ins::Gate`] `g` with the integrated value `a`.
    #[inline(always)]
    fn gate(&mut self, g: &GateOp, a: Src) {
        let GateOp {
            spike,
            r,
            v,
            cmp,
            y,
            nref,
        } = *g;
        // (an array or register out of range is a lowering bug, which must not become a panic)
        if usize::from(spike) >= self.regs.len()
            || usize::from(r.max(v)) >= self.arrays.len()
            || r == v
        {
            return;
        }
        let (base, len, roff) = (self.base, self.len, self.reg_off);
        let mut sp = std::mem::take(&mut self.regs[usize::from(spike)]);
        let mut rb = std::mem::take(&mut self.arrays[usize::from(r)]);
        let mut vb = std::mem::take(&mut self.arrays[usize::from(v)]);
        {
            let (regs, arrays, ks, splat, input) =
                (&*self.regs, &*self.arrays, self.ks, self.splat, self.input);
            let opd = |s: Src| {
                let d = Dst::R(spike);
                Self::opd(regs, arrays, ks, splat, input, (base, len, roff), d, s)
            };
            let (sd, rd, vd) = (
                sp.get_mut(roff..roff + len),
                rb.get_mut(base..base + len),
                vb.get_mut(base..base + len),
            );
            if let (Some(sd), Some(rd), Some(vd), O::A(av)) = (sd, rd, vd, opd(a)) {
                if av.len() >= len {
                    macro_rules! g {
                        ($c:literal) => {
                            match (opd(y), opd(nref)) {
                                (O::S(p), O::S(q)) => {
                                    gate::<T, _, _, $c>(sd, rd, vd, av, Sc(p), Sc(q))
                                }
                                (O::A(p), O::S(q)) if p.len() >= len => {
                                    gate::<T, _, _, $c>(sd, rd, vd, av, Sl(p), Sc(q))
                                }
                                (O::S(p), O::A(q)) if q.len() >= len => {
                                    gate::<T, _, _, $c>(sd, rd, vd, av, Sc(p), Sl(q))
                                }
                                (O::A(p), O::A(q)) if p.len() >= len && q.len() >= len => {
                                    gate::<T, _, _, $c>(sd, rd, vd, av, Sl(p), Sl(q))
                                }
                                // (a lowering bug must not become a panic)
                                _ => {}
                            }
                        };
                    }
                    match cmp {
                        Cmp::Lt => g!(0),
                        Cmp::Le => g!(1),
                        Cmp::Gt => g!(2),
                        _ => g!(3),
                    }
                }
            }
        }
        self.regs[usize::from(spike)] = sp;
        self.arrays[usize::from(r)] = rb;
        self.arrays[usize::from(v)] = vb;
    }

    /// A [`Ins::DfStep`] and the gate it carries in one pass ([`dfstep3_gate`]): the shape of
    /// [`dfstep3`](Self::dfstep3) with every operand but the arrays a constant, `x` and `y`
    /// the gated array itself, and the gate's threshold and refractory steps constants.
    /// `false` (nothing done) for any other shape.
    #[allow(clippy::too_many_arguments)] // reason: the instruction's fields
    #[inline(always)]
    fn dfstep3_gate(
        &mut self,
        x: Src,
        terms: &[(Src, Src)],
        o1: Ar,
        b: Src,
        o2: Ar,
        c: Src,
        y: Src,
        decay: &[(u16, Src)],
        g: &GateOp,
    ) -> bool {
        let [(g0, e0), (Src::A(a1), e1), (Src::A(a2), e2)] = *terms else {
            return false;
        };
        let (v, r) = (g.v, g.r);
        let distinct = a1 != a2 && ![a1, a2].contains(&v) && ![a1, a2, v].contains(&r);
        let in_range = usize::from(a1.max(a2).max(v).max(r)) < self.arrays.len()
            && usize::from(g.spike) < self.regs.len();
        let ops = o1 == Ar::Add && matches!(o2, Ar::Mul | Ar::Div);
        if !ops || x != Src::A(v) || y != Src::A(v) || !distinct || !in_range {
            return false;
        }
        let k = |s: Src| scalar_of(self.ks, s);
        // the decays' factors in the order of the two arrays
        let kk = match *decay {
            [] => Some([T::ONE; 2]),
            [(p, f), (q, h)] if (p, q) == (a1, a2) => k(f).zip(k(h)).map(|(f, h)| [f, h]),
            [(p, f), (q, h)] if (p, q) == (a2, a1) => k(h).zip(k(f)).map(|(h, f)| [h, f]),
            _ => None,
        };
        let (
            Some(kk),
            Some(g0),
            Some(b),
            Some(c),
            Some(e0),
            Some(e1),
            Some(e2),
            Some(thr),
            Some(nref),
        ) = (
            kk,
            k(g0),
            k(b),
            k(c),
            k(e0),
            k(e1),
            k(e2),
            k(g.y),
            k(g.nref),
        )
        else {
            return false;
        };
        let (base, len, roff) = (self.base, self.len, self.reg_off);
        let mut vb = std::mem::take(&mut self.arrays[usize::from(v)]);
        let mut rb = std::mem::take(&mut self.arrays[usize::from(r)]);
        let mut b1 = std::mem::take(&mut self.arrays[usize::from(a1)]);
        let mut b2 = std::mem::take(&mut self.arrays[usize::from(a2)]);
        let mut sp = std::mem::take(&mut self.regs[usize::from(g.spike)]);
        let done = if let (Some(vd), Some(rd), Some(s1), Some(s2), Some(sd)) = (
            vb.get_mut(base..base + len),
            rb.get_mut(base..base + len),
            b1.get_mut(base..base + len),
            b2.get_mut(base..base + len),
            sp.get_mut(roff..roff + len),
        ) {
            let (p, e, t) = ([g0, b, c], [e0, e1, e2], [thr, nref]);
            macro_rules! go {
                ($div:literal, $c:literal) => {
                    dfstep3_gate::<T, $div, $c>(vd, rd, sd, s1, s2, p, e, kk, t)
                };
            }
            macro_rules! cmp {
                ($div:literal) => {
                    match g.cmp {
                        Cmp::Lt => go!($div, 0),
                        Cmp::Le => go!($div, 1),
                        Cmp::Gt => go!($div, 2),
                        _ => go!($div, 3),
                    }
                };
            }
            match o2 {
                Ar::Div => cmp!(true),
                _ => cmp!(false),
            }
            true
        } else {
            false
        };
        self.arrays[usize::from(v)] = vb;
        self.arrays[usize::from(r)] = rb;
        self.arrays[usize::from(a1)] = b1;
        self.arrays[usize::from(a2)] = b2;
        self.regs[usize::from(g.spike)] = sp;
        done
    }

    #[inline(always)]
    pub fn exec(&mut self, ins: &Ins) {
        match ins {
            Ins::Un { op, d, a } => self.with_dst(
                *d,
                #[inline(always)]
                |dd, o| un_op(dd, *op, o(*a)),
            ),
            Ins::Bin { op, d, a, b } => self.with_dst(
                *d,
                #[inline(always)]
                |dd, o| bin_op(dd, *op, o(*a), o(*b)),
            ),
            Ins::Sel { d, c, a, b } => self.with_dst(
                *d,
                #[inline(always)]
                |dd, o| sel_op(dd, o(*c), o(*a), o(*b)),
            ),
            Ins::SelCmp { cmp, d, x, y, a, b } => self.with_dst(
                *d,
                #[inline(always)]
                |dd, o| selcmp_op(dd, *cmp, o(*x), o(*y), o(*a), o(*b)),
            ),
            Ins::F2 { o1, o2, d, a, b, c } => self.with_dst(
                *d,
                #[inline(always)]
                |dd, o| f2_op(dd, *o1, *o2, o(*a), o(*b), o(*c)),
            ),
            Ins::F3 {
                o1,
                o2,
                d,
                a,
                b,
                c,
                x,
            } => self.with_dst(
                *d,
                #[inline(always)]
                |dd, o| f3_op(dd, *o1, *o2, o(*a), o(*b), o(*c), o(*x)),
            ),
            Ins::AndCmp {
                d,
                c1,
                x1,
                y1,
                c2,
                x2,
                y2,
            } => self.with_dst(
                *d,
                #[inline(always)]
                |dd, o| andcmp_op(dd, *c1, o(*x1), o(*y1), *c2, o(*x2), o(*y2)),
            ),
            Ins::DfSum { d, x, terms } => {
                let ks = self.ks;
                self.with_dst(
                    *d,
                    #[inline(always)]
                    |dd, o| {
                        let sl = |s: Src| slice_of(o(s));
                        // constant reversal potentials (and leak conductance) from registers, not
                        // from their splat arrays: the conductance-based membrane's common form
                        let konst = |s: Src| scalar_of(ks, s);
                        if let [(g0, e0), (g1, e1), (g2, e2)] = terms.as_slice() {
                            let (xs, s1, s2, n) = (sl(*x), sl(*g1), sl(*g2), dd.len());
                            if let (Some(e0), Some(e1), Some(e2)) =
                                (konst(*e0), konst(*e1), konst(*e2))
                            {
                                if xs.len() >= n && s1.len() >= n && s2.len() >= n {
                                    let e = [e0, e1, e2];
                                    if let Some(g) = konst(*g0) {
                                        return dfsum3_const_e(dd, xs, Sc(g), s1, s2, e);
                                    }
                                    let g = sl(*g0);
                                    if g.len() >= n {
                                        return dfsum3_const_e(dd, xs, Sl(g), s1, s2, e);
                                    }
                                }
                            }
                        }
                        dfsum_any(dd, *x, terms, o);
                    },
                )
            }
            Ins::DfStep {
                d,
                x,
                terms,
                o1,
                b,
                o2,
                c,
                y,
                decay,
                gate,
            } => {
                if let Some(g) = gate {
                    if self.dfstep3_gate(*x, terms, *o1, *b, *o2, *c, *y, decay, g) {
                        return;
                    }
                }
                if !self.dfstep3(*d, *x, terms, *o1, *b, *o2, *c, *y, decay) {
                    // any other sum: into a temporary, then the update; then the decays
                    self.with_dst(
                        *d,
                        #[inline(always)]
                        |dd, o| {
                            let mut tmp = [T::ZERO; crate::lang::ir::CHUNK];
                            let tmp = &mut tmp[..dd.len()];
                            dfsum_any(tmp, *x, terms, o);
                            let tmp = &*tmp;
                            f3_op(dd, *o1, *o2, O::A(tmp), o(*b), o(*c), o(*y));
                        },
                    );
                    for (g, f) in decay {
                        self.with_dst(
                            Dst::A(*g),
                            #[inline(always)]
                            |dd, o| bin_op(dd, BOp::Mul, O::D, o(*f)),
                        );
                    }
                }
                // the gate it carries, as its own pass
                if let (Some(g), Dst::R(a)) = (gate, d) {
                    self.gate(g, Src::R(*a));
                }
            }
            Ins::Gate { gate, a } => self.gate(gate, *a),
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
            Ins::Refrac { r, spike, nref } => self.with_dst(
                Dst::A(*r),
                #[inline(always)]
                |dd, o| {
                    let (s, n) = (o(*spike), o(*nref));
                    kinds!(s, vs => kinds!(n, vn => loop3(dd, vs, vn, Dd, |s: T, n: T, r: T| {
                        let dec = r - T::ONE;
                        T::blend(s != T::ZERO, n, T::blend(dec < T::ZERO, T::ZERO, dec))
                    })))
                },
            ),
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
                    Via::Semi => gather(dd, &self.arrays[*arr as usize], syn.post, T::ZERO, |y| y),
                    Via::Post | Via::Pre => {
                        let idx = if *via == Via::Post { syn.post } else { syn.pre };
                        // one loop per precision (not a match per element)
                        match syn.ext.get(*arr as usize) {
                            Some(StateRef::F64(v)) => gather(dd, v, idx, T::ZERO, T::from_f64),
                            Some(StateRef::F32(v)) => {
                                gather(dd, v, idx, T::ZERO, |y| T::from_f64(f64::from(y)))
                            }
                            None => {}
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
                // (the chunk's index and time slices have the chunk's length)
                if *time {
                    for (x, &s) in buf[..len].iter_mut().zip(t) {
                        let ms = if s == u64::MAX {
                            f64::NEG_INFINITY
                        } else {
                            s as f64 * syn.dt
                        };
                        *x = T::from_f64(ms);
                    }
                } else {
                    for (x, &j) in buf[..len].iter_mut().zip(idx) {
                        *x = T::from_f64(f64::from(j));
                    }
                }
                self.regs[*d as usize] = buf;
            }
        }
    }
}

/// `dd[k] = f(src[idx[k]])`, or `zero` for an index past the end. The index is clamped before
/// the read, so the loop has no bounds check (and can vectorise) and no read can fail; an index
/// past the end (never made by the synapses' builder) still reads `zero`.
#[inline(always)]
fn gather<T: Copy, U: Copy>(dd: &mut [T], src: &[U], idx: &[u32], zero: T, f: impl Fn(U) -> T) {
    let Some(last) = src.len().checked_sub(1) else {
        dd.iter_mut().for_each(|x| *x = zero);
        return;
    };
    for (x, &j) in dd.iter_mut().zip(idx) {
        let j = j as usize;
        let y = f(src[j.min(last)]);
        *x = if j <= last { y } else { zero };
    }
}
