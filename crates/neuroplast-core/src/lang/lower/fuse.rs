//! The passes over the SSA nodes before emission: dead nodes removed, fusions (conductance
//! sums, compare-and-select, two- and three-operation chains, `and` of comparisons) and store
//! forwarding.

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
}
