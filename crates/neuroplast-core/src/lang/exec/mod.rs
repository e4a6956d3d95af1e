//! The chunked interpreter: runs a [`Program`] over structure-of-arrays state, one tight loop
//! per instruction and chunk.
//!
//! Operands are resolved once per instruction and chunk into slices, scalars, or "the
//! destination itself" (an instruction that reads the array it writes, such as `ge *= decay`,
//! runs in place: each loop reads element `k` before it writes it). Each combination of
//! operand kinds is its own monomorphised loop, which LLVM vectorises; the whole interpreter is
//! inlined into the two copies [`crate::simd::dispatch`] chooses between (AVX2 and
//! AVX-512, bit-identical): every closure on the way is `#[inline(always)]`, since one compiled
//! out of line runs with the baseline's vectors.
//!
//! | module | part |
//! |---|---|
//! | `kernels` | operand kinds and the loops of each instruction kind |
//! | `frame` | one instruction on a chunk's frame |
//! | this file | the executor's buffers; running a program densely or over a batch of synapses |

mod frame;
mod kernels;

use super::float::{Float, StateRef};
use super::ir::{Ins, Program, Src, Via, CHUNK};
use crate::rng::Rng;

/// Per-chunk synapse context.
pub(crate) struct SynChunk<'a> {
    /// Synapse index of each element (`None`: the chunk is `base..base + len`).
    pub batch: Option<&'a [u32]>,
    /// Presynaptic neuron of each element.
    pub pre: &'a [u32],
    /// Postsynaptic neuron of each element.
    pub post: &'a [u32],
    /// Pre-/postsynaptic neuron arrays, in the model's order.
    pub ext: &'a [StateRef<'a>],
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
    /// A batch chunk's synapses' pre- and postsynaptic neurons and last spike steps
    /// ([`run_batch`]; empty for neurons).
    pub pre: Vec<u32>,
    pub post: Vec<u32>,
    pub t_pre: Vec<u64>,
    pub t_post: Vec<u64>,
}

impl<T: Float> Scratch<T> {
    /// Buffers for a neuron program with `n_regs` registers (`index0`: see the field).
    pub fn new(n_regs: usize, index0: usize) -> Scratch<T> {
        Scratch {
            regs: vec![vec![T::ZERO; CHUNK]; n_regs],
            input: vec![T::ZERO; CHUNK],
            index0,
            pre: Vec::new(),
            post: Vec::new(),
            t_pre: Vec::new(),
            t_post: Vec::new(),
        }
    }

    /// Buffers for synapse programs with `n_regs` registers.
    pub fn for_synapses(n_regs: usize) -> Scratch<T> {
        Scratch {
            pre: vec![0; CHUNK],
            post: vec![0; CHUNK],
            t_pre: vec![u64::MAX; CHUNK],
            t_post: vec![u64::MAX; CHUNK],
            ..Scratch::new(n_regs, 0)
        }
    }

    pub fn for_program(p: &Program) -> Scratch<T> {
        Scratch::new(p.n_regs, 0)
    }

    /// Bytes of its buffers.
    pub fn bytes(&self) -> usize {
        let t = std::mem::size_of::<T>();
        t * (self.regs.iter().map(Vec::capacity).sum::<usize>() + self.input.capacity())
            + 4 * (self.pre.capacity() + self.post.capacity())
            + 8 * (self.t_pre.capacity() + self.t_post.capacity())
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

/// Sub-block of spike scans and resets.
const SUB: usize = 64;

/// Whether any of `flags` (one sub-block, at most [`SUB`] long) is nonzero; the indices
/// `first + k` of the nonzero ones are appended to `spikes` in increasing order. Reads the
/// flags in place, eight at a time (a full sub-block as one fixed-length OR-reduction, which
/// vectorises): in most steps almost no neuron fires.
#[inline(always)]
fn push_flagged<T: Float>(flags: &[T], first: usize, spikes: &mut Vec<u32>) -> bool {
    let nonzero = |c: &[T]| c.iter().fold(false, |acc, &x| acc | (x != T::ZERO));
    let any = match <&[T; SUB]>::try_from(flags) {
        Ok(full) => nonzero(full),
        Err(_) => nonzero(flags),
    };
    if any {
        for (g, c) in flags.chunks(8).enumerate() {
            let eight = match <&[T; 8]>::try_from(c) {
                Ok(c) => nonzero(c),
                Err(_) => nonzero(c),
            };
            if eight {
                for (k, &x) in c.iter().enumerate() {
                    if x != T::ZERO {
                        spikes.push((first + 8 * g + k) as u32);
                    }
                }
            }
        }
    }
    any
}

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
                let mask: &[T] = match sp {
                    Src::R(r) => &f.regs[r as usize][sub..sub + sl],
                    Src::A(a) => &f.arrays[a as usize][base + sub..base + sub + sl],
                    _ => &[],
                };
                if push_flagged(mask, base + sub, spikes) && !prog.reset.is_empty() {
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
                sub += sl;
            }
        }
        base += len;
    }
}

/// Run `prog` for the synapses `batch` (each at most once), chunk by chunk; `pre`/`post` give
/// each synapse's neurons, `last_pre`/`last_post` their last spike steps.
#[allow(clippy::too_many_arguments)] // reason: the parts of an executor, borrowed separately
#[inline(always)]
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
    ext: &[StateRef],
    dt: f64,
    rng: &mut Rng,
    sink: &mut S,
) {
    let n = batch.map_or(n_dense, |b| b.len());
    // (the scratch's buffers: no 6 KB of arrays to fill on every call)
    let Scratch {
        regs,
        pre,
        post,
        t_pre: tpre,
        t_post: tpost,
        ..
    } = scratch;
    for b in [&mut *pre, &mut *post] {
        b.resize(CHUNK, 0);
    }
    for b in [&mut *tpre, &mut *tpost] {
        b.resize(CHUNK, u64::MAX);
    }
    // the postsynaptic last spike steps are gathered only for a program that reads them
    let reads_t_post = prog.main.iter().any(|i| {
        matches!(
            i,
            Ins::SynInfo {
                via: Via::Post,
                time: true,
                ..
            }
        )
    });
    // a dense pass over every synapse borrows the synapses' own arrays chunk by chunk
    let dense = batch.is_none() && syn_pre.len() >= n && syn_post.len() >= n && last_pre.len() >= n;
    let mut base = 0;
    while base < n {
        let len = CHUNK.min(n - base);
        let (pre, post, tpre): (&[u32], &[u32], &[u64]) = if dense {
            let r = base..base + len;
            (&syn_pre[r.clone()], &syn_post[r.clone()], &last_pre[r])
        } else {
            for k in 0..len {
                let s = match batch {
                    Some(b) => b[base + k] as usize,
                    None => base + k,
                };
                pre[k] = syn_pre.get(s).copied().unwrap_or(0);
                post[k] = syn_post.get(s).copied().unwrap_or(0);
                tpre[k] = last_pre.get(s).copied().unwrap_or(u64::MAX);
            }
            (&pre[..len], &post[..len], &tpre[..len])
        };
        if let (true, Some(end)) = (reads_t_post, last_post.len().checked_sub(1)) {
            // (clamped, then replaced past the end: no bounds check in the loop)
            for (t, &j) in tpost[..len].iter_mut().zip(post) {
                let j = j as usize;
                let s = last_post[j.min(end)];
                *t = if j <= end { s } else { u64::MAX };
            }
        }
        let chunk = SynChunk {
            batch: batch.map(|b| &b[base..base + len]),
            pre,
            post,
            ext,
            t_pre: tpre,
            t_post: &tpost[..len],
            dt,
        };
        let mut f = Frame {
            index0: 0,
            regs,
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
    use crate::lang::ir::{Ar, BOp, Cmp, Dst, Ins, UOp};
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
