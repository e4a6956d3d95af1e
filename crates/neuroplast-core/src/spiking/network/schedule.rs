//! The step of a spiking network, as data: [`PHASES`] is the ordered list of phases that
//! [`Network::run`] executes, that `neuroplast validate` prints and that profiling times. No
//! other place writes the order down.
//!
//! A spike emitted at step `t` acts at step `t + d`, `d ≥ 1` (it goes into its population's
//! spike ring in [`Phase::Spikes`] and is delivered `d` steps later), so the order of
//! populations never matters; every neuron receives its inputs in a fixed order (projection,
//! delay, spike, synapse), so results are bit-identical for any thread count. This is Brian2's
//! order (state update, threshold, `on_pre`) with its one-step effective latency.

use std::ops::Range;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::delivery::{advance_group, deliver_plastic, Ctx};
use super::spec::Action;
use super::{Network, Population, Projection, SHARD};
use crate::lang::Side;
use crate::spiking::neuron::{NeuronModel, StateRef};
use crate::spiking::plasticity::NeuronRead;

/// One phase of the spiking step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Scheduled actions of step `t`.
    Actions,
    /// Current sources.
    Sources,
    /// Plastic projections deliver, serially.
    PlasticDelivery,
    /// Per population and shard: static delivery, kernels, the neuron update.
    Populations,
    /// Spikes into rings, event count, spike hash.
    Spikes,
    /// Post-spike side of plasticity and periodic weight updates.
    Plasticity,
    /// Monitors; the clock advances.
    Monitors,
}

/// The phases of one step, in the order the step runs them.
pub const PHASES: [Phase; 7] = [
    Phase::Actions,
    Phase::Sources,
    Phase::PlasticDelivery,
    Phase::Populations,
    Phase::Spikes,
    Phase::Plasticity,
    Phase::Monitors,
];

impl Phase {
    /// Short name (summary.json's `profile` keys).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Actions => "actions",
            Phase::Sources => "sources",
            Phase::PlasticDelivery => "plastic_delivery",
            Phase::Populations => "populations",
            Phase::Spikes => "spikes",
            Phase::Plasticity => "plasticity",
            Phase::Monitors => "monitors",
        }
    }

    /// What the phase does, for `neuroplast validate`.
    pub fn describe(self) -> &'static str {
        match self {
            Phase::Actions => {
                "scheduled actions of step t ([[schedule]]: freeze/unfreeze plasticity, rewards)"
            }
            Phase::Sources => "current sources add their current of step t to their neurons",
            Phase::PlasticDelivery => {
                "plastic projections, serially: deliver the spikes arriving at t (emitted at \
                 t − delay, delay ≥ 1 step), arrival side of the rule"
            }
            Phase::Populations => {
                "per population, per shard (groups of shards in parallel): deliver the static \
                 projections' spikes arriving at t → double-exponential kernel currents → \
                 integrate, threshold, reset (the model's step)"
            }
            Phase::Spikes => {
                "the spikes of step t → spike rings (delivered from t + delay on), synaptic-event \
                 count, spike hash"
            }
            Phase::Plasticity => {
                "plastic projections: post-spike side of the rule for the spikes of step t, \
                 periodic weight updates"
            }
            Phase::Monitors => "monitors record step t; t ← t + 1",
        }
    }
}

/// Wall time spent in each phase, for `--profile` / `profile=True`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    /// Seconds per phase, in [`PHASES`] order.
    pub seconds: [f64; PHASES.len()],
    /// Steps timed.
    pub steps: u64,
}

impl Profile {
    /// `(phase name, seconds)` in step order.
    pub fn phases(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        PHASES.iter().zip(self.seconds).map(|(p, s)| (p.name(), s))
    }
}

impl Network {
    /// Advance `steps` steps.
    pub fn run(&mut self, steps: u64) {
        if self.dist.is_some() {
            return self.run_distributed(steps);
        }
        let exec = self.exec.clone();
        let threads = exec.threads();
        exec.install(|| {
            if self.profile.is_some() {
                for _ in 0..steps {
                    self.step_timed(threads);
                }
            } else {
                for _ in 0..steps {
                    for phase in PHASES {
                        self.run_phase(phase, threads);
                    }
                }
            }
        });
    }

    /// Time every phase of the next steps (`true`) or stop timing (`false`; the times so far
    /// are dropped).
    pub fn set_profile(&mut self, on: bool) {
        self.profile = on.then(Box::default);
    }

    /// Time spent per phase since profiling was turned on.
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_deref()
    }

    fn step_timed(&mut self, threads: usize) {
        for (k, phase) in PHASES.into_iter().enumerate() {
            let t0 = Instant::now();
            self.run_phase(phase, threads);
            let p = self
                .profile
                .as_mut()
                .expect("timed steps only when profiling");
            p.seconds[k] += t0.elapsed().as_secs_f64();
        }
        if let Some(p) = self.profile.as_mut() {
            p.steps += 1;
        }
    }

    #[inline(always)]
    fn run_phase(&mut self, phase: Phase, threads: usize) {
        match phase {
            Phase::Actions => self.apply_actions(),
            Phase::Sources => self.apply_sources(),
            Phase::PlasticDelivery => self.deliver_plastic(),
            Phase::Populations => self.advance_populations(threads),
            Phase::Spikes => self.store_spikes(),
            Phase::Plasticity => self.post_plasticity(),
            Phase::Monitors => {
                if !self.monitors.is_empty() {
                    self.record_spikes(self.t);
                    self.record_states(self.t);
                }
                self.t += 1;
            }
        }
    }

    /// Scheduled actions due at this step (names and rules were checked at build).
    #[inline(always)]
    pub(super) fn apply_actions(&mut self) {
        let t = self.t;
        if self.actions.get(self.next_action).is_none_or(|a| a.0 > t) {
            return;
        }
        self.apply_due_actions(t);
    }

    #[inline(never)]
    fn apply_due_actions(&mut self, t: u64) {
        let actions = std::mem::take(&mut self.actions);
        while let Some((at, action)) = actions.get(self.next_action) {
            if *at > t {
                break;
            }
            self.next_action += 1;
            match action {
                Action::SetPlastic {
                    projection,
                    plastic,
                } => self.set_plastic(projection, *plastic).ok(),
                Action::Reward { amount, projection } => {
                    self.reward(*amount, projection.as_deref()).ok().map(|_| ())
                }
            };
        }
        self.actions = actions;
    }

    /// Current sources add their current into the shards this process integrates (every
    /// source still draws its noise for all its neurons, so its stream does not depend on
    /// the ranks).
    #[inline(always)]
    pub(super) fn apply_sources(&mut self) {
        let t = self.t;
        for k in 0..self.sources.len() {
            let p = self.sources[k].population;
            let own = self.own(p);
            let pop = &mut self.pops[p];
            self.sources[k].apply(t, |j, a| {
                let s = j as usize / SHARD;
                if own.contains(&s) {
                    pop.shards[s].current[j as usize % SHARD] += a;
                }
            });
        }
    }

    #[inline(always)]
    pub(super) fn deliver_plastic(&mut self) {
        for i in 0..self.plastic.len() {
            let k = self.plastic[i];
            let own = self.own(self.projs[k].post);
            fill_reads(&self.pops, &mut self.projs[k]);
            let proj = &mut self.projs[k];
            let pop = &mut self.pops[proj.post];
            let ring = &self.rings[proj.pre];
            deliver_plastic(proj, &mut pop.shards, own, &pop.kernels, ring, self.t);
        }
    }

    #[inline(always)]
    fn advance_populations(&mut self, threads: usize) {
        for p in 0..self.pops.len() {
            self.advance_population(p, 0..self.pops[p].shards.len(), threads);
            let pop = &mut self.pops[p];
            pop.spike_count += pop.spikes.len() as u64;
        }
    }

    /// Step shards `own` of population `p` (groups of shards in parallel) and list their
    /// spikes in `spikes` (population indices, ascending).
    #[inline(always)]
    pub(super) fn advance_population(&mut self, p: usize, own: Range<usize>, threads: usize) {
        let pop = &mut self.pops[p];
        let ctx = Ctx {
            t: self.t,
            projs: &self.projs,
            incoming: &self.incoming[p],
            rings: &self.rings,
            kernels: &pop.kernels,
        };
        let shards = &mut pop.shards[own];
        let groups = threads.min(shards.len());
        if groups > 1 {
            let per = shards.len().div_ceil(groups);
            shards
                .par_chunks_mut(per)
                .for_each(|g| advance_group(g, &ctx));
        } else if !shards.is_empty() {
            advance_group(shards, &ctx);
        }
        pop.spikes.clear();
        for s in shards.iter() {
            let lo = s.lo;
            pop.spikes.extend(s.spikes.iter().map(|&i| i + lo));
        }
    }

    #[inline(always)]
    pub(super) fn store_spikes(&mut self) {
        let t = self.t;
        for (p, pop) in self.pops.iter().enumerate() {
            self.rings[p].store(t, &pop.spikes);
            let deg = &self.out_degree[p];
            for &i in &pop.spikes {
                self.events += u64::from(deg[i as usize]);
                self.hash.write_u64(t);
                self.hash.write_u64(((p as u64) << 32) | u64::from(i));
            }
        }
    }

    #[inline(always)]
    pub(super) fn post_plasticity(&mut self) {
        for &k in &self.plastic {
            fill_reads(&self.pops, &mut self.projs[k]);
            let proj = &mut self.projs[k];
            let rule = proj.plasticity.as_mut().expect("plastic projection");
            rule.after_step(&mut proj.synapses, self.t, &self.pops[proj.post].spikes);
        }
    }

    /// Spike, activity and rate monitors record step `t`.
    pub(super) fn record_spikes(&mut self, t: u64) {
        for m in &mut self.monitors.spikes {
            if t < m.start || t >= m.stop {
                continue;
            }
            for &i in &self.pops[m.pop].spikes {
                if m.mask.as_ref().is_none_or(|mask| mask[i as usize]) {
                    m.out.steps.push(t);
                    m.out.ids.push(i);
                }
            }
        }
        for m in &mut self.monitors.activity {
            m.out.counts.push(self.pops[m.pop].spikes.len() as u32);
        }
        for m in &mut self.monitors.rates {
            m.count += self.pops[m.pop].spikes.len() as u64;
            if (t + 1 - m.bin_start) == m.bin {
                m.out.steps.push(m.bin_start);
                m.out.rates.push(m.count as f64 * m.hz_per_spike);
                m.count = 0;
                m.bin_start = t + 1;
            }
        }
    }

    /// State monitors record step `t` (on a distributed network, correct for the neurons this
    /// rank owns; [`Network::drain`] takes each value from its owner).
    pub(super) fn record_states(&mut self, t: u64) {
        for m in &mut self.monitors.states {
            if t % m.every != 0 {
                continue;
            }
            let pop = &self.pops[m.pop];
            m.out.steps.push(t);
            // one lookup of the variable per shard, not per neuron
            let (mut cur, mut values) = (u32::MAX, StateRef::F64(&[]));
            for &(s, l) in &m.at {
                if s != cur {
                    cur = s;
                    values = pop.shards[s as usize]
                        .neurons
                        .values(&m.out.variable)
                        .expect("checked at build");
                }
                m.out.values.push(values.get(l as usize));
            }
        }
    }
}

/// Copy the neuron values plastic projection `proj` reads (`v_post`, `pre.x`) from its
/// populations; nothing for the rules that read none.
#[inline(always)]
fn fill_reads(pops: &[Population], proj: &mut Projection) {
    let (pre, post) = (proj.pre, proj.post);
    let Some(rule) = proj.plasticity.as_mut() else {
        return;
    };
    let reads = rule.reads_mut();
    if !reads.is_empty() {
        copy_reads(pops, pre, post, reads);
    }
}

#[inline(never)]
fn copy_reads(pops: &[Population], pre: usize, post: usize, reads: &mut [NeuronRead]) {
    for read in reads.iter_mut().filter(|r| !r.from_rule) {
        let pop = &pops[if read.side == Side::Pre { pre } else { post }];
        read.values.resize(pop.n, 0.0);
        for sh in &pop.shards {
            if let Some(x) = sh.neurons.values(&read.name) {
                x.copy_to(&mut read.values[sh.lo as usize..sh.hi as usize]);
            }
        }
    }
}
