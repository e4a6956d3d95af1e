//! Delivery of spikes into the postsynaptic side: static projections shard by shard (in
//! shard groups that may run in parallel), plastic projections serially through their rule,
//! and the integration of a shard after its inputs arrived.

use super::kernels::{kernel_channel, kernel_len, KernelParams};
use super::spec::{ProjectionSpec, SynapseSpec, TruncateFrom};
use super::{Population, Projection, Shard, SHARD};
use crate::spiking::neuron::{NeuronModel, Precision, ReceptorKind, StateMut};
use crate::spiking::projection::{Delivery, SpikeRing};
use crate::{ensure, Error, Result};

pub(super) struct Ctx<'a> {
    pub(super) t: u64,
    pub(super) projs: &'a [Projection],
    pub(super) incoming: &'a [usize],
    pub(super) rings: &'a [SpikeRing],
    pub(super) kernels: &'a [KernelParams],
}

/// Largest number of shards delivered through one lookup table (beyond that, shard by shard).
const MAX_TABLE: usize = 256;
const SHARD_BITS: u32 = SHARD.trailing_zeros();

/// One array a delivery pass adds into, per shard.
#[derive(Clone, Copy)]
enum Target {
    /// The model's receptor state (`receptor_state(q)`).
    State(usize),
    /// Receptor `q` of the interleaved `syn` buffer.
    Syn(usize),
    /// The slow trace of kernel channel `c`.
    KernelSlow(usize),
    /// The fast trace of kernel channel `c`.
    KernelFast(usize),
    /// The membrane potential.
    V,
}

impl Target {
    /// The targets a delivery writes, in order (at most two).
    fn of(delivery: Delivery, shard: &mut Shard) -> [Option<Target>; 2] {
        let mut receptor = |q: u8| {
            let q = q as usize;
            if shard.neurons.receptor_values(q).is_some() {
                Target::State(q)
            } else {
                Target::Syn(q)
            }
        };
        match delivery {
            Delivery::Receptor(q) => [Some(receptor(q)), None],
            Delivery::Receptors2(a, b) => [Some(receptor(a)), Some(receptor(b))],
            Delivery::Kernel(c) | Delivery::KernelCut { channel: c, .. } => [
                Some(Target::KernelSlow(c as usize)),
                Some(Target::KernelFast(c as usize)),
            ],
            Delivery::VoltageJump => [Some(Target::V), None],
        }
    }

    /// `true` when the array is `f32` (the model's state of an `f32` population; the `syn`
    /// buffer and kernel traces are always `f64`).
    fn is_f32(self, shard: &Shard) -> bool {
        matches!(self, Target::State(_) | Target::V) && shard.neurons.precision() == Precision::F32
    }

    /// The array (at the population's precision), its stride and offset in `shard`.
    #[inline(always)]
    fn pick(self, shard: &mut Shard) -> (StateMut<'_>, usize, usize) {
        let r = shard.receptors;
        match self {
            Target::State(q) => (
                shard
                    .neurons
                    .receptor_values(q)
                    .expect("checked by Target::of"),
                1,
                0,
            ),
            Target::Syn(q) => (StateMut::F64(&mut shard.syn), r, q),
            Target::KernelSlow(c) => (StateMut::F64(&mut shard.kernels[c].slow), 1, 0),
            Target::KernelFast(c) => (StateMut::F64(&mut shard.kernels[c].fast), 1, 0),
            Target::V => (
                shard.neurons.values_mut("v").expect("checked at build"),
                1,
                0,
            ),
        }
    }
}

/// A value delivered into an array of precision `Self`: `f64` weights are added as they are
/// to `f64` state, rounded once to `f32` for `f32` state.
trait Accumulate: Copy + std::ops::AddAssign {
    /// The weight at this precision.
    fn of(w: f64) -> Self;
    /// The array when it has this precision (every shard of a population has the same).
    fn slice(g: StateMut<'_>) -> &mut [Self];
}

impl Accumulate for f64 {
    #[inline(always)]
    fn of(w: f64) -> f64 {
        w
    }
    fn slice(g: StateMut<'_>) -> &mut [f64] {
        match g {
            StateMut::F64(g) => g,
            StateMut::F32(_) => unreachable!("one precision per population"),
        }
    }
}

impl Accumulate for f32 {
    #[inline(always)]
    fn of(w: f64) -> f32 {
        w as f32
    }
    fn slice(g: StateMut<'_>) -> &mut [f32] {
        match g {
            StateMut::F32(g) => g,
            StateMut::F64(_) => unreachable!("one precision per population"),
        }
    }
}

/// Deliver `proj`'s arrivals of step `t` into a group of consecutive shards. Every neuron
/// receives its inputs in the same order however the shards are grouped (projection, delay,
/// spike, synapse order), so results do not depend on the grouping (= the thread count).
fn deliver_group(
    shards: &mut [Shard],
    t: u64,
    proj: &Projection,
    ring: &SpikeRing,
    kernels: &[KernelParams],
) {
    if !proj.synapses.has_arrivals(t, ring) {
        return;
    }
    if let Delivery::KernelCut { channel, .. } = proj.delivery {
        // per shard: the length of each delivery depends on its delay
        let (c, delivery) = (channel as usize, proj.delivery);
        for s in shards.iter_mut() {
            let (lo, hi, kern) = (s.lo, s.hi, &mut s.kernels[c]);
            proj.synapses.deliver_delayed(t, ring, lo, hi, |l, w, d| {
                kern.add(&kernels[c], l, w, t, kernel_len(delivery, d));
            });
        }
        return;
    }
    let lo = shards[0].lo;
    let hi = shards[shards.len() - 1].hi;
    let targets = Target::of(proj.delivery, &mut shards[0]);
    for target in targets.into_iter().flatten() {
        let single = target.is_f32(&shards[0]);
        if shards.len() > MAX_TABLE {
            // very large groups: tables of at most MAX_TABLE shards each
            for sub in shards.chunks_mut(MAX_TABLE) {
                let (slo, shi) = (sub[0].lo, sub[sub.len() - 1].hi);
                if single {
                    deliver_table::<MAX_TABLE, f32>(sub, target, t, proj, ring, slo, shi);
                } else {
                    deliver_table::<MAX_TABLE, f64>(sub, target, t, proj, ring, slo, shi);
                }
            }
            continue;
        }
        if shards.len() == 1 {
            for s in shards.iter_mut() {
                let (slo, shi) = (s.lo, s.hi);
                match target.pick(s) {
                    (StateMut::F64(g), stride, off) => {
                        deliver_one(g, stride, off, t, proj, ring, slo, shi);
                    }
                    (StateMut::F32(g), stride, off) => {
                        deliver_one(g, stride, off, t, proj, ring, slo, shi);
                    }
                }
            }
            continue;
        }
        match (shards.len() <= 16, single) {
            (true, false) => deliver_table::<16, f64>(shards, target, t, proj, ring, lo, hi),
            (true, true) => deliver_table::<16, f32>(shards, target, t, proj, ring, lo, hi),
            (false, false) => {
                deliver_table::<MAX_TABLE, f64>(shards, target, t, proj, ring, lo, hi);
            }
            (false, true) => {
                deliver_table::<MAX_TABLE, f32>(shards, target, t, proj, ring, lo, hi);
            }
        }
    }
}

/// Delivery into the array `g` of one shard (neurons `lo..hi`).
#[allow(clippy::too_many_arguments)] // reason: one call site per precision, all plain values
#[inline(always)]
fn deliver_one<F: Accumulate>(
    g: &mut [F],
    stride: usize,
    off: usize,
    t: u64,
    proj: &Projection,
    ring: &SpikeRing,
    lo: u32,
    hi: u32,
) {
    proj.synapses
        .deliver(t, ring, lo, hi, |j, w| g[j * stride + off] += F::of(w));
}

/// Delivery into up to `N` shards through a table of their arrays (`N` small for small
/// groups: the table is rebuilt every step); `F` is the population's precision.
fn deliver_table<const N: usize, F: Accumulate>(
    shards: &mut [Shard],
    target: Target,
    t: u64,
    proj: &Projection,
    ring: &SpikeRing,
    lo: u32,
    hi: u32,
) {
    let mut table: [&mut [F]; N] = std::array::from_fn(|_| Default::default());
    let mut layout = (1, 0);
    for (slot, s) in table.iter_mut().zip(shards.iter_mut()) {
        let (g, stride, off) = target.pick(s);
        *slot = F::slice(g);
        layout = (stride, off);
    }
    let (stride, off) = layout;
    let mask = SHARD - 1;
    proj.synapses.deliver(t, ring, lo, hi, |j, w| {
        table[j >> SHARD_BITS][(j & mask) * stride + off] += F::of(w);
    });
}

/// One step of a group of consecutive shards of a population: deliver, then integrate.
pub(super) fn advance_group(shards: &mut [Shard], ctx: &Ctx<'_>) {
    for &k in ctx.incoming {
        let proj = &ctx.projs[k];
        deliver_group(shards, ctx.t, proj, &ctx.rings[proj.pre], ctx.kernels);
    }
    for s in shards {
        s.integrate(ctx.t, ctx.kernels);
    }
}

impl Shard {
    /// Kernel currents (after the cancellations of truncated kernels due at step `t`), then
    /// the model's step.
    pub(super) fn integrate(&mut self, t: u64, kernels: &[KernelParams]) {
        for (kern, kp) in self.kernels.iter_mut().zip(kernels) {
            kern.add_current(kp, t, &mut self.current);
        }
        self.spikes.clear();
        self.neurons
            .step(&mut self.syn, &self.current, &mut self.spikes);
        if !self.current.is_empty() {
            self.current.fill(0.0);
        }
    }
}

/// Deliver the arrivals of step `t` of one plastic projection into population `pop`
/// (`shards` and their `kernels`), through its rule: the weights delivered are those before
/// this step's arrival-side update.
#[inline(always)]
pub(super) fn deliver_plastic(
    proj: &mut Projection,
    shards: &mut [Shard],
    own: std::ops::Range<usize>,
    kernels: &[KernelParams],
    ring: &SpikeRing,
    t: u64,
) {
    let rule = proj.plasticity.as_mut().expect("plastic projection");
    let (a, b) = match proj.delivery {
        Delivery::Receptor(q) => (q as usize, None),
        Delivery::Receptors2(q, r) => (q as usize, Some(r as usize)),
        Delivery::Kernel(c) | Delivery::KernelCut { channel: c, .. } => {
            // kernel currents from the weights before this step's arrival-side update
            // (what `deliver` hands to `add`), then the rule
            let (c, delivery) = (c as usize, proj.delivery);
            let kp = &kernels[c];
            let (lo, hi) = match (shards.get(own.start), own.is_empty()) {
                (Some(first), false) => (first.lo, shards[own.end - 1].hi),
                _ => (0, 0),
            };
            proj.synapses.deliver_delayed(t, ring, lo, hi, |l, w, d| {
                let j = l + lo as usize;
                let sh = &mut shards[j / SHARD];
                sh.kernels[c].add(kp, j % SHARD, w, t, kernel_len(delivery, d));
            });
            rule.deliver(&mut proj.synapses, t, ring, |_, _| {});
            return;
        }
        Delivery::VoltageJump => unreachable!("checked at build"),
    };
    // each receptor is the model's state or a column of the `syn` buffer, alike in every
    // shard: asked once here, not per synapse
    let mut in_state = |q: usize| match shards.get_mut(own.start) {
        Some(sh) => sh.neurons.receptor_values(q).is_some(),
        None => false,
    };
    let targets = [Some((a, in_state(a))), b.map(|b| (b, in_state(b)))];
    rule.deliver(&mut proj.synapses, t, ring, |j, w| {
        if !own.contains(&(j as usize / SHARD)) {
            return; // another rank's neuron
        }
        let sh = &mut shards[j as usize / SHARD];
        let l = j as usize % SHARD;
        for &(q, state) in targets.iter().flatten() {
            if state {
                if let Some(mut g) = sh.neurons.receptor_values(q) {
                    g.add(l, w);
                }
            } else {
                sh.syn[l * sh.receptors + q] += w;
            }
        }
    });
}

/// Where a projection's spikes go in population `post`: receptors (by name), the membrane
/// potential, or a double-exponential kernel channel (created here when new).
pub(super) fn resolve_delivery(
    spec: &ProjectionSpec,
    path: &str,
    post: &mut Population,
    dt: f64,
) -> Result<Delivery> {
    let receptors = post.shards[0].neurons.receptors();
    Ok(match &spec.synapse {
        SynapseSpec::Receptor { names } => {
            ensure!(
                (1..=2).contains(&names.len()),
                format!("{path}.receptor"),
                "give one receptor name or two (e.g. [\"ampa\", \"nmda\"]), got {}",
                names.len()
            );
            let mut idx = Vec::new();
            for name in names {
                let r = receptors
                    .iter()
                    .position(|r| r.name == name)
                    .ok_or_else(|| {
                        Error::config(
                            format!("{path}.receptor"),
                            format!(
                                "{} has no receptor {name:?}; it has: {}",
                                post.model,
                                if receptors.is_empty() {
                                    "none (a spike source cannot receive synapses)".to_string()
                                } else {
                                    receptors
                                        .iter()
                                        .map(|r| r.name)
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                }
                            ),
                        )
                    })?;
                if receptors[r].kind == ReceptorKind::Conductance {
                    let (lo, _) = spec.weight.bounds();
                    ensure!(
                        lo.is_finite() && lo >= 0.0,
                        format!("{path}.weight"),
                        "conductance weights (µS) must be ≥ 0, got values down to {lo}; the receptor's reversal potential sets the sign"
                    );
                }
                idx.push(r as u8);
            }
            if idx.len() == 1 {
                Delivery::Receptor(idx[0])
            } else {
                Delivery::Receptors2(idx[0], idx[1])
            }
        }
        SynapseSpec::VoltageJump => {
            ensure!(
                post.shards[0].neurons.values("v").is_some(),
                format!("{path}.synapse"),
                "{} has no membrane potential v",
                post.model
            );
            Delivery::VoltageJump
        }
        SynapseSpec::DoubleExponential {
            tau,
            tau_s,
            truncate_ms,
            truncate_from,
        } => {
            ensure!(
                tau.is_finite() && tau_s.is_finite() && *tau > 0.0 && *tau_s > 0.0,
                format!("{path}.synapse"),
                "tau and tau_s must be > 0 ms, got {tau}, {tau_s}"
            );
            ensure!(
                !receptors.is_empty(),
                format!("{path}.post"),
                "a spike source cannot receive synapses"
            );
            let (decay_slow, decay_fast) = ((-dt / tau).exp(), (-dt / tau_s).exp());
            let steps = match truncate_ms {
                Some(ms) => {
                    let key = format!("{path}.synapse.truncate_ms");
                    let steps = crate::spiking::source::whole_steps(&key, *ms, dt)?;
                    ensure!(
                        (1..=u64::from(u16::MAX)).contains(&steps),
                        key,
                        "must be 1 to {} steps (dt = {dt} ms), got {steps}",
                        u16::MAX
                    );
                    Some(steps as u32)
                }
                None => None,
            };
            let c = kernel_channel(post, decay_slow, decay_fast);
            if let Some(steps) = steps {
                let kp = &mut post.kernels[c];
                kp.ring = kp.ring.max(steps as usize + 1);
            }
            for s in &mut post.shards {
                if s.current.is_empty() {
                    s.current = vec![0.0; (s.hi - s.lo) as usize];
                }
            }
            match steps {
                Some(steps) => Delivery::KernelCut {
                    channel: c as u16,
                    steps,
                    from_emission: *truncate_from == TruncateFrom::Emission,
                },
                None => Delivery::Kernel(c as u16),
            }
        }
    })
}
