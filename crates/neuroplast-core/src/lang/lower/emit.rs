//! Emission: scalar slots for constants, a register for each value until its last use, and
//! the nodes written out as instructions ([`Compiled`]).

use crate::lang::ir::{Dst, GateOp, Ins, Program, Src, UOp};

use super::{Compiled, Lowerer, Node, Val};

impl Lowerer {
    pub(super) fn emit(&self, n_main: usize, spike: Option<Val>) -> Compiled {
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
        // the node of the last instruction pushed to `main`
        let mut last_main: Option<usize> = None;
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
                let splat_all = matches!(
                    n,
                    Node::F2(..) | Node::F3(..) | Node::DfSum(..) | Node::DfStep(..)
                );
                n.args()
                    .into_iter()
                    .map(|v| src(v, splat_all, &mut consts, &mut splats))
                    .collect()
            };
            // the gate (the spike flags) and a sum's update that also decays its conductances
            // are effects with a value
            let dst = if n.effect() && !matches!(n, Node::Gate(..) | Node::DfStep(..)) {
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
                Node::DfStep(_, t, o1, _, o2, _, _, decay) => {
                    let k = 1 + 2 * t.len();
                    Ins::DfStep {
                        d,
                        gate: None,
                        x: a(0),
                        terms: (0..t.len()).map(|j| (a(1 + 2 * j), a(2 + 2 * j))).collect(),
                        o1: *o1,
                        b: a(k),
                        o2: *o2,
                        c: a(k + 1),
                        y: a(k + 2),
                        decay: (0..decay.len())
                            .map(|j| (decay[j].0, a(k + 3 + j)))
                            .collect(),
                    }
                }
                Node::Gate(r, v, _, cmp, _, _) => Ins::Gate {
                    gate: GateOp {
                        spike: dreg,
                        r: *r,
                        v: *v,
                        cmp: *cmp,
                        y: a(3),
                        nref: a(4),
                    },
                    a: a(2),
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
                // a gate right after the update it reads, its only reader: carried by the
                // update (one pass where a kernel has the shape)
                if let (
                    Ins::Gate {
                        gate,
                        a: Src::R(ar),
                    },
                    Some(j),
                ) = (&ins, last_main)
                {
                    let only_reader = last[j] == i && n.args()[2] == Val::V(j as u32);
                    if let Some(Ins::DfStep {
                        d: Dst::R(dr),
                        gate: slot @ None,
                        ..
                    }) = main.last_mut()
                    {
                        if only_reader && *dr == *ar {
                            *slot = Some(*gate);
                            last_main = Some(i);
                            continue;
                        }
                    }
                }
                main.push(ins);
                last_main = Some(i);
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
