//! Compiling a synapse model for one projection: the programs run on presynaptic arrivals,
//! on postsynaptic spikes and every step, and the `init` statements.

use std::collections::BTreeMap;

use crate::lang::ast::{AssignOp, Scope};
use crate::lang::checked::{Checked, Equation, Target};
use crate::lang::integrate::{lower_groups, Build};
use crate::lang::ir::{BOp, UOp, Via};
use crate::lang::lower::{Compiled, Env, Lowerer, Node, Val};
use crate::lang::neuron::{apply_op, Layout};

use super::def::SynapseModelDef;

/// Which program to lower.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    OnPre,
    OnPost,
    PerStep,
    /// The semiglobal variables' equations, once per postsynaptic neuron (before `PerStep`).
    PerPost,
    Init,
}

pub(super) fn compile(
    def: &SynapseModelDef,
    layout: &Layout,
    b: &mut Build,
    part: Part,
    reads: &[u32],
    targets: &[u32],
) -> Compiled {
    let c = &def.checked;
    let mut lw = Lowerer::default();
    let batch = matches!(part, Part::OnPre | Part::OnPost);
    // the per-post program runs over the postsynaptic neurons (the synapses' `post` index is
    // then the identity): it reads and writes the semiglobal arrays in place, and reads nothing
    // per synapse (the checker refuses such reads)
    let per_post = part == Part::PerPost;
    let mut env = Env {
        dt: b.dt,
        ..Default::default()
    };
    env.vars = (0..layout.n_vars as u16)
        .map(|a| match (c.vars[a as usize].semiglobal, per_post) {
            (true, true) => Val::A(a),
            (true, false) => lw.gather(a, Via::Semi),
            (false, true) => Val::K(0.0),
            (false, false) if batch => lw.gather(a, Via::Batch),
            (false, false) => Val::A(a),
        })
        .collect();
    env.params = layout
        .param_vals(b.params)
        .into_iter()
        .map(|v| match v {
            Val::A(_) if per_post => Val::K(f64::NAN),
            Val::A(a) if batch => lw.gather(a, Via::Batch),
            v => v,
        })
        .collect();
    env.ext = c
        .ext
        .iter()
        .enumerate()
        .map(|(k, e)| match reads.iter().position(|&r| r == k as u32) {
            Some(slot) => lw.gather(
                slot as u16,
                if e.scope == Scope::Pre {
                    Via::Pre
                } else {
                    Via::Post
                },
            ),
            None => Val::K(0.0),
        })
        .collect();
    env.index = Some(lw.syn_info(Via::Pre, false));
    env.post_index = Some(lw.syn_info(Via::Post, false));
    env.t_pre = Some(lw.syn_info(Via::Pre, true));
    env.t_post = Some(lw.syn_info(Via::Post, true));
    // the delay array sits right after the variables' arrays' parameters: see SCore::build
    env.delay = Some(if batch {
        lw.gather(layout.first_derived - 1, Via::Batch)
    } else {
        Val::A(layout.first_derived - 1)
    });
    let store = |lw: &mut Lowerer, v: u32, new: Val| {
        if batch {
            lw.effect(Node::Scatter(v as u16, new));
        } else {
            lw.store(v as u16, new);
        }
    };
    match part {
        Part::OnPre | Part::OnPost | Part::Init => {
            let stmts = match part {
                Part::OnPre => &c.on_pre,
                Part::OnPost => &c.on_post,
                _ => &c.init,
            };
            let mut last: BTreeMap<u32, Val> = BTreeMap::new();
            for st in stmts {
                let val = lw.expr(&st.value, &env);
                match st.target {
                    Target::Var(v) => {
                        let old = env.vars[v as usize];
                        let new = apply_op(&mut lw, st.op, old, val);
                        let new = bounds(&mut lw, c, &env, v, new);
                        env.vars[v as usize] = new;
                        last.insert(v, new);
                    }
                    Target::Ext(k) => {
                        let t = targets.iter().position(|&x| x == k).unwrap_or(0) as u16;
                        let val = if st.op == AssignOp::Sub {
                            lw.un(UOp::Neg, val)
                        } else {
                            val
                        };
                        lw.effect(Node::AddTarget(t, val));
                    }
                }
            }
            for (v, new) in last {
                store(&mut lw, v, new);
            }
        }
        Part::PerStep | Part::PerPost => {
            let mut snaps: Vec<Option<crate::lang::lower::Env>> = vec![None; c.eqs.len()];
            let mut changed: Vec<(u32, Val)> = Vec::new();
            for (k, eq) in c.eqs.iter().enumerate() {
                let (Equation::Ode { var, .. } | Equation::Assign { var, .. }) = eq;
                if c.vars[*var as usize].semiglobal != per_post {
                    continue;
                }
                match eq {
                    Equation::Ode { var, .. } if !c.vars[*var as usize].event_driven => {
                        snaps[k] = Some(env.clone())
                    }
                    Equation::Assign { var, op, rhs, .. } => {
                        let old = env.vars[*var as usize];
                        let v = lw.expr(rhs, &env);
                        let new = apply_op(&mut lw, *op, old, v);
                        let new = bounds(&mut lw, c, &env, *var, new);
                        env.vars[*var as usize] = new;
                        changed.push((*var, new));
                    }
                    _ => {}
                }
            }
            let plan = def.plan.only(c, per_post);
            let integrated = lower_groups(&mut lw, b, &plan, c, &snaps);
            for (v, new) in integrated {
                let new = bounds(&mut lw, c, &env, v, new);
                changed.push((v, new));
            }
            for &(v, new) in &changed {
                env.vars[v as usize] = new;
            }
            for (v, new) in changed {
                store(&mut lw, v, new);
            }
        }
    }
    lw.finish(None)
}

fn bounds(lw: &mut Lowerer, c: &Checked, env: &Env, v: u32, new: Val) -> Val {
    let var = &c.vars[v as usize];
    let mut new = new;
    if let Some(lo) = &var.min {
        let lo = lw.expr(lo, env);
        new = lw.bin(BOp::Max, new, lo);
    }
    if let Some(hi) = &var.max {
        let hi = lw.expr(hi, env);
        new = lw.bin(BOp::Min, new, hi);
    }
    new
}
