//! The passes over the SSA nodes before emission: dead nodes removed, fusions (conductance
//! sums, compare-and-select, two- and three-operation chains, `and` of comparisons, a
//! conductance sum's explicit update, the refractory gate) and store forwarding.

use crate::lang::ir::{Ar, BOp, Cmp};

use super::{Lowerer, Node, Val};

impl Lowerer {
    pub(super) fn uses(&self, extra: Option<Val>) -> Vec<u32> {
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

    pub(super) fn dce(&mut self, spike: Option<Val>) {
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

    pub(super) fn node(&self, v: Val) -> Option<&Node> {
        match v {
            Val::V(i) => self.nodes.get(i as usize),
            _ => None,
        }
    }

    /// `g·(e − x)` (or `(e − x)·g`) used once: `(g, e, x)`.
    pub(super) fn df_term(&self, v: Val, uses: &[u32]) -> Option<(Val, Val, Val, u32, u32)> {
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

    pub(super) fn fuse_dfsum(&mut self, spike: Option<Val>) {
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

    pub(super) fn fuse_selcmp(&mut self, spike: Option<Val>) {
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

    pub(super) fn fuse_f2(&mut self, spike: Option<Val>) {
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
            // `sum + (a o b)` with a conductance sum: left for the sum's update to take (the
            // `(a o b)` its own pass, see `fuse_dfstep`), which saves more than this fusion
            let sum_used_once = |v: Val| match v {
                Val::V(k) => {
                    uses[k as usize] == 1 && matches!(self.nodes[k as usize], Node::DfSum(..))
                }
                _ => false,
            };
            if o2 == Ar::Add && (sum_used_once(l) || sum_used_once(r)) {
                continue;
            }
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
    pub(super) fn fuse_f3(&mut self, spike: Option<Val>) {
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
    pub(super) fn fuse_andcmp(&mut self, spike: Option<Val>) {
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

    /// Whether a node writes array `arr`.
    fn writes(n: &Node, arr: u16) -> bool {
        match n {
            Node::Store(a, _) | Node::Refrac(a, ..) | Node::Scatter(a, _) => *a == arr,
            Node::Gate(r, v, ..) => *r == arr || *v == arr,
            Node::DfStep(.., decay) => decay.iter().any(|(g, _)| *g == arr),
            _ => false,
        }
    }

    /// `y + ((DfSum + b) o2 c)`, the sum used once and `o2` one of `× ÷` (an Euler step of a
    /// conductance-based membrane) → one pass. The fused node sits where the update was:
    /// nothing in between may write an array the sum reads.
    pub(super) fn fuse_dfstep(&mut self, spike: Option<Val>) {
        let uses = self.uses(spike);
        for i in 0..self.nodes.len() {
            let Node::F3(o1, o2, Val::V(j), b, c, y) = self.nodes[i] else {
                continue;
            };
            if o1 != Ar::Add || !matches!(o2, Ar::Mul | Ar::Div) {
                continue;
            }
            if uses[j as usize] != 1 {
                continue;
            }
            let Node::DfSum(x, terms) = self.nodes[j as usize].clone() else {
                continue;
            };
            let read = self.nodes[j as usize].args();
            let clobbered = self.nodes[j as usize + 1..i].iter().any(|n| {
                read.iter()
                    .any(|v| matches!(v, Val::A(a) if Self::writes(n, *a)))
            });
            if clobbered {
                continue;
            }
            self.nodes[j as usize] = Node::Dead;
            self.nodes[i] = Node::DfStep(x, terms, o1, b, o2, c, y, Vec::new());
        }
    }

    /// The end of a step with a refractory duration, as lowered by the neuron compiler:
    ///
    /// ```text
    /// m:  SelCmp(≤, r, 0, a, v)             v frozen while refractory
    /// s:  AndCmp(≤, r, 0, cmp, m, y)        the threshold while not refractory
    /// st: Store(v, m)
    /// i:  Refrac(r, s, nref)
    /// ```
    ///
    /// → one [`Node::Gate`] at `s` (its value is the spike flags, so later reads of `s` are
    /// unchanged), provided `m` has no other use and nothing between `s` and `i` reads or
    /// writes `v` or `r` (nor writes them between `m` and `s`).
    pub(super) fn fuse_gate(&mut self, spike: Option<Val>, n_main: usize) {
        let uses = self.uses(spike);
        let zero = |v: &Val| matches!(v, Val::K(z) if *z == 0.0);
        for i in 0..n_main.min(self.nodes.len()) {
            let Node::Refrac(r, Val::V(s), nref) = self.nodes[i] else {
                continue;
            };
            let s = s as usize;
            let Node::AndCmp(Cmp::Le, Val::A(r1), y1, cmp, Val::V(m), y) = self.nodes[s] else {
                continue;
            };
            let m = m as usize;
            if r1 != r || !zero(&y1) || uses[m] != 2 {
                continue;
            }
            let Node::SelCmp(Cmp::Le, Val::A(r2), y0, a, Val::A(v)) = self.nodes[m] else {
                continue;
            };
            if r2 != r || !zero(&y0) || !matches!(a, Val::V(_)) {
                continue;
            }
            let Some(st) = (s + 1..i).find(|&k| self.nodes[k] == Node::Store(v, Val::V(m as u32)))
            else {
                continue;
            };
            // y and nref are known at s and are neither of the arrays written
            let ok_operand = |x: &Val| match x {
                Val::V(k) => (*k as usize) < s,
                Val::A(k) => *k != v && *k != r,
                _ => true,
            };
            if !ok_operand(&y) || !ok_operand(&nref) {
                continue;
            }
            let touches = |n: &Node| {
                Self::writes(n, v)
                    || Self::writes(n, r)
                    || n.args().iter().any(|x| *x == Val::A(v) || *x == Val::A(r))
            };
            let between = (m + 1..s)
                .any(|k| Self::writes(&self.nodes[k], v) || Self::writes(&self.nodes[k], r))
                || (s + 1..i).any(|k| k != st && touches(&self.nodes[k]));
            if between {
                continue;
            }
            self.nodes[s] = Node::Gate(r, v, a, cmp, y, nref);
            self.nodes[m] = Node::Dead;
            self.nodes[st] = Node::Dead;
            self.nodes[i] = Node::Dead;
        }
    }

    /// A value computed only to be stored (and read afterwards) is computed into the array.
    pub(super) fn forward_stores(&mut self, n_main: usize, spike: Option<Val>) {
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
                // `y` may be the array (read before the element is written)
                Node::DfStep(x, t, _, b, _, c, _, _) => {
                    !reads(x)
                        && !reads(b)
                        && !reads(c)
                        && t.iter().all(|(g, e)| !reads(g) && !reads(e))
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
                .any(|n| Self::writes(n, arr));
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

    /// A conductance that decays by a constant factor, `g = g·f` computed into `g` (after
    /// [`forward_stores`](Self::forward_stores)), where a [`Node::DfStep`] before it reads `g`
    /// as one of its terms and nothing in between reads or writes `g`: the step multiplies
    /// `g` in place after reading it, and the multiplication's pass goes (the exponential
    /// synapses' decay in a conductance-based model; the same arithmetic). Both in the
    /// step's main block (`n_main`: where the reset block starts).
    pub(super) fn fuse_decay(&mut self, n_main: usize) {
        for m in 0..n_main.min(self.nodes.len()) {
            let Some(&g) = self.forwarded.get(&m) else {
                continue;
            };
            let f = match self.nodes[m] {
                Node::Bin(BOp::Mul, Val::A(a), f @ Val::K(_))
                | Node::Bin(BOp::Mul, f @ Val::K(_), Val::A(a))
                    if a == g =>
                {
                    f
                }
                _ => continue,
            };
            let reads_g = |n: &Node| match n {
                Node::DfStep(_, t, ..) => t.iter().any(|(x, _)| *x == Val::A(g)),
                _ => false,
            };
            let Some(i) = (0..m).rev().find(|&i| reads_g(&self.nodes[i])) else {
                continue;
            };
            let touched = self.nodes[i + 1..m]
                .iter()
                .any(|n| Self::writes(n, g) || n.args().contains(&Val::A(g)));
            if touched || self.forwarded.get(&i) == Some(&g) {
                continue;
            }
            let Node::DfStep(.., decay) = &mut self.nodes[i] else {
                continue;
            };
            if decay.iter().any(|(a, _)| *a == g) {
                continue;
            }
            decay.push((g, f));
            self.nodes[m] = Node::Dead;
            self.forwarded.remove(&m);
        }
    }
}
