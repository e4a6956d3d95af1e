//! One network over several ranks ([`Network::distribute`], [`NetworkBuilder::build_distributed`]).
//!
//! Every rank holds the whole description, every population's parameters and every plastic
//! projection, and runs every random stream a one-process run runs (Poisson and noise
//! streams belong to shards and sources, never to ranks). What is split:
//!
//! - **neurons**: each rank integrates a contiguous block of every population's shards
//!   ([`Partition`]); the other shards are never touched on that rank;
//! - **static synapses**: each rank stores the synapses onto its own neurons (the whole
//!   projection's delay groups, so the parts merge back in order);
//! - **spikes**: every `interval` steps (the smallest delay in the network, 1 step when a
//!   plastic projection needs every step's postsynaptic spikes) the ranks exchange the spikes
//!   their shards emitted in the interval ([`Comm::all_gather`]). A spike emitted at `t` is
//!   first delivered at `t + d ≥ t + interval`, so nobody needs it earlier.
//!
//! Concatenated in rank order the exchanged spikes are the one-process spike list of each
//! step, and every neuron receives its inputs in the one-process order, so a run is
//! bit-identical for any number of ranks and threads (same spike hash, same recordings, same
//! checkpoint bytes). A checkpoint is assembled on rank 0 ([`Comm::gather`]) into the network a
//! one-process run would hold, so it resumes on any number of ranks.

use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Network, Population, Shard};
use crate::distributed::{Bytes, Comm, Partition, Reader};
use crate::recording::Recording;
use crate::spiking::neuron::NeuronModel;
use crate::spiking::projection::Synapses;
use crate::Result;

/// Most steps between two exchanges (a network without projections still exchanges, so
/// that the spike lists of a step never wait long).
const MAX_INTERVAL: u64 = 1024;

/// What the ranks exchanged, for the summary.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct ExchangeStats {
    /// Number of ranks (the summary's `ranks`).
    #[serde(skip)]
    pub ranks: usize,
    /// Steps between exchanges.
    pub interval_steps: u64,
    /// Exchanges so far (this process's run).
    pub exchanges: u64,
    /// Spikes sent by all ranks together.
    pub spikes: u64,
    /// Bytes this rank sent (its share of every exchange).
    pub bytes_sent: u64,
}

/// The distributed part of a network's state (never in a checkpoint).
#[derive(Clone)]
pub(super) struct Dist {
    pub(super) comm: Arc<dyn Comm>,
    pub(super) part: Partition,
    /// Per population: the shards this rank owns.
    pub(super) own: Vec<Range<usize>>,
    /// Per projection: synapses of the whole projection.
    pub(super) totals: Vec<usize>,
    /// This rank's spikes in the current interval: `[step][population]`, ascending indices.
    local: Vec<Vec<Vec<u32>>>,
    /// The exchange's buffers (what this rank sends, what each rank sent), reused.
    sent: Bytes,
    received: Vec<Vec<u8>>,
    cursor: Vec<usize>,
    pub(super) stats: ExchangeStats,
}

impl std::fmt::Debug for Dist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dist")
            .field("part", &self.part)
            .field("own", &self.own)
            .field("stats", &self.stats)
            .finish()
    }
}

/// The neurons `lo..hi` of `pop` that `part`'s rank owns.
pub(super) fn owned_neurons(pop: &Population, part: Partition) -> (u32, u32) {
    let own = part.shards(pop.shards.len());
    match (pop.shards.get(own.start), own.is_empty()) {
        (Some(first), false) => (first.lo, pop.shards[own.end - 1].hi),
        (Some(first), true) => (first.lo, first.lo),
        (None, _) => (pop.n as u32, pop.n as u32),
    }
}

impl Network {
    /// This network as one rank of a run over `comm`'s ranks: the rank keeps its block of
    /// shards and the static synapses onto them (see the module docs). Every rank must call it
    /// on the same network (e.g. one restored from the same checkpoint). One rank: unchanged.
    pub fn distribute(mut self, comm: Arc<dyn Comm>) -> Result<Network> {
        if comm.ranks() <= 1 {
            return Ok(self);
        }
        self.check_distributable()?;
        let part = Partition {
            rank: comm.rank(),
            ranks: comm.ranks(),
        };
        let totals: Vec<usize> = self.projs.iter().map(|p| p.synapses.len()).collect();
        for proj in &mut self.projs {
            if proj.plasticity.is_none() {
                let (lo, hi) = owned_neurons(&self.pops[proj.post], part);
                proj.synapses = proj.synapses.retain_posts(lo, hi);
            }
        }
        self.attach(comm, part, totals);
        Ok(self)
    }

    /// Refuse what a distributed run cannot do: a plasticity rule that reads neuron values
    /// (`v_post`, `pre.x`) would need every rank's neurons each step, and ranks exchange only
    /// spikes.
    pub(super) fn check_distributable(&self) -> Result<()> {
        for proj in &self.projs {
            if proj.plasticity.as_ref().is_some_and(|p| p.reads_neurons()) {
                return Err(crate::Error::config(
                    format!("projections.{}.plasticity", proj.name),
                    "the rule reads neuron values (such as v_post or pre.x), which ranks do not exchange (only spikes); allowed: run this network in one process",
                ));
            }
        }
        Ok(())
    }

    /// Make this network rank `part.rank` of a distributed run (its static synapses already
    /// cut to its neurons; `totals`: each projection's whole size).
    pub(super) fn attach(&mut self, comm: Arc<dyn Comm>, part: Partition, totals: Vec<usize>) {
        let own = self
            .pops
            .iter()
            .map(|p| part.shards(p.shards.len()))
            .collect();
        let interval = if !self.plastic.is_empty() {
            1
        } else {
            self.projs
                .iter()
                .map(|p| u64::from(p.synapses.delays()[0]))
                .min()
                .unwrap_or(MAX_INTERVAL)
                .min(MAX_INTERVAL)
        };
        self.dist = Some(Box::new(Dist {
            comm,
            part,
            own,
            totals,
            local: Vec::new(),
            sent: Bytes::default(),
            received: Vec::new(),
            cursor: Vec::new(),
            stats: ExchangeStats {
                ranks: part.ranks,
                interval_steps: interval,
                ..Default::default()
            },
        }));
    }

    /// What the ranks exchanged so far (`None` for a one-process network).
    pub fn exchange_stats(&self) -> Option<ExchangeStats> {
        self.dist.as_ref().map(|d| d.stats)
    }

    /// This rank and the number of ranks (`None` for a one-process network).
    pub fn partition(&self) -> Option<Partition> {
        self.dist.as_ref().map(|d| d.part)
    }

    /// The shards of population `p` this process integrates.
    pub(super) fn own(&self, p: usize) -> Range<usize> {
        match &self.dist {
            Some(d) => d.own[p].clone(),
            None => 0..self.pops[p].shards.len(),
        }
    }

    /// Advance a distributed network `steps` steps: per interval, the local part of each step
    /// (actions, sources, plastic delivery, own shards, state monitors), then the exchange and
    /// the global part of each step (spike rings, hash, plasticity, spike monitors).
    pub(super) fn run_distributed(&mut self, steps: u64) {
        let exec = self.exec.clone();
        let threads = exec.threads();
        let interval = self
            .dist
            .as_ref()
            .expect("distributed")
            .stats
            .interval_steps;
        let mut left = steps;
        while left > 0 {
            let t0 = self.t;
            let n = left.min(interval - t0 % interval);
            let mut local = std::mem::take(&mut self.dist.as_mut().expect("distributed").local);
            local.resize_with(n as usize, Vec::new);
            exec.install(|| {
                for (s, spikes) in local.iter_mut().enumerate() {
                    self.t = t0 + s as u64;
                    self.local_step(threads, spikes);
                }
            });
            self.exchange(t0, &local);
            self.dist.as_mut().expect("distributed").local = local;
            self.t = t0 + n;
            left -= n;
        }
    }

    fn local_step(&mut self, threads: usize, spikes: &mut Vec<Vec<u32>>) {
        self.apply_actions();
        self.apply_sources();
        self.deliver_plastic();
        spikes.resize_with(self.pops.len(), Vec::new);
        for (p, out) in spikes.iter_mut().enumerate() {
            let own = self.own(p);
            self.advance_population(p, own, threads);
            out.clear();
            out.extend_from_slice(&self.pops[p].spikes);
        }
        self.record_states(self.t);
    }

    /// Exchange the interval's spikes, then run the global part of its steps.
    fn exchange(&mut self, t0: u64, local: &[Vec<Vec<u32>>]) {
        let dist = self.dist.as_mut().expect("distributed");
        let (mut mine, mut all) = (
            std::mem::take(&mut dist.sent),
            std::mem::take(&mut dist.received),
        );
        mine.clear();
        for step in local {
            for spikes in step {
                mine.u32s(spikes);
            }
        }
        dist.comm.all_gather_into(&mine.0, &mut all);
        // where each rank's bytes are read next (allocated once)
        let mut at = std::mem::take(&mut dist.cursor);
        at.clear();
        at.resize(all.len(), 0);
        let mut spikes = 0u64;
        for s in 0..local.len() {
            self.t = t0 + s as u64;
            for pop in &mut self.pops {
                pop.spikes.clear();
                for (bytes, at) in all.iter().zip(at.iter_mut()) {
                    *at += Reader::new(&bytes[*at..]).u32s_into(&mut pop.spikes);
                }
                pop.spike_count += pop.spikes.len() as u64;
                spikes += pop.spikes.len() as u64;
            }
            self.store_spikes();
            self.post_plasticity();
            self.record_spikes(self.t);
        }
        let dist = self.dist.as_mut().expect("distributed");
        dist.cursor = at;
        dist.stats.exchanges += 1;
        dist.stats.spikes += spikes;
        dist.stats.bytes_sent += mine.0.len() as u64;
        (dist.sent, dist.received) = (mine, all);
    }

    /// `[min, max]` of every state variable of every population, over all ranks' neurons (a
    /// collective on a distributed network).
    pub(super) fn state_ranges(&self) -> Vec<Vec<(&'static str, [f64; 2])>> {
        let mut ranges: Vec<Vec<(&'static str, [f64; 2])>> = self
            .pops
            .iter()
            .enumerate()
            .map(|(p, pop)| {
                pop.state_names()
                    .iter()
                    .filter_map(|&var| {
                        let mut r = [f64::INFINITY, f64::NEG_INFINITY];
                        for s in &pop.shards[self.own(p)] {
                            let x = s.neurons.values(var)?;
                            for v in (0..x.len()).map(|i| x.get(i)) {
                                r = [r[0].min(v), r[1].max(v)];
                            }
                        }
                        Some((var, r))
                    })
                    .collect()
            })
            .collect();
        if let Some(d) = &self.dist {
            let mut mine = Bytes::default();
            let flat: Vec<f64> = ranges.iter().flatten().flat_map(|(_, r)| *r).collect();
            mine.f64s(&flat);
            for theirs in d.comm.all_gather(&mine.0) {
                let theirs = Reader::new(&theirs).f64s();
                for ((_, r), t) in ranges.iter_mut().flatten().zip(theirs.chunks_exact(2)) {
                    *r = [r[0].min(t[0]), r[1].max(t[1])];
                }
            }
        }
        ranges
    }

    /// Synapses of projection `k` over all ranks.
    pub(super) fn synapses_of(&self, k: usize) -> usize {
        match &self.dist {
            Some(d) => d.totals[k],
            None => self.projs[k].synapses.len(),
        }
    }

    /// Take the recordings: on a distributed network every rank recorded the spike monitors
    /// alike, and each state monitor's values come from the ranks that own the neurons (a
    /// collective).
    pub(super) fn drain_recordings(&mut self) -> Recording {
        let mut rec = self.monitors.drain();
        let Some(d) = &self.dist else {
            return rec;
        };
        if rec.states.is_empty() {
            return rec;
        }
        let mut mine = Bytes::default();
        for chunk in &rec.states {
            mine.f64s(&chunk.values);
        }
        let all: Vec<Vec<Vec<f64>>> = d
            .comm
            .all_gather(&mine.0)
            .iter()
            .map(|b| {
                let mut r = Reader::new(b);
                rec.states.iter().map(|_| r.f64s()).collect()
            })
            .collect();
        for (i, (chunk, mon)) in rec.states.iter_mut().zip(&self.monitors.states).enumerate() {
            let shards = self.pops[mon.pop].shards.len();
            let owners: Vec<usize> = mon
                .at
                .iter()
                .map(|&(s, _)| d.part.owner(s as usize, shards))
                .collect();
            let cols = owners.len().max(1);
            for (k, v) in chunk.values.iter_mut().enumerate() {
                *v = all[owners[k % cols]][i][k];
            }
        }
        rec
    }

    /// The network a one-process run would hold now, assembled on rank 0 from every rank's
    /// shards and static synapses (a collective; `None` on the other ranks and for a
    /// one-process network).
    pub(super) fn assembled(&self) -> Option<Network> {
        let d = self.dist.as_ref()?;
        #[derive(Serialize, Deserialize)]
        struct Part {
            shards: Vec<Vec<Shard>>,
            synapses: Vec<Synapses>,
        }
        let statics: Vec<usize> = (0..self.projs.len())
            .filter(|&k| self.projs[k].plasticity.is_none())
            .collect();
        let part = Part {
            shards: (0..self.pops.len())
                .map(|p| self.pops[p].shards[self.own(p)].to_vec())
                .collect(),
            synapses: statics
                .iter()
                .map(|&k| self.projs[k].synapses.clone())
                .collect(),
        };
        let mut mine = Vec::new();
        ciborium::into_writer(&part, &mut mine).expect("writing into a Vec cannot fail");
        drop(part);
        let gathered = d.comm.gather(&mine)?;
        let mut full = self.clone();
        full.dist = None;
        let mut pieces: Vec<Vec<Synapses>> = statics.iter().map(|_| Vec::new()).collect();
        for (r, bytes) in gathered.iter().enumerate() {
            let part: Part =
                ciborium::from_reader(&bytes[..]).expect("written by a rank of this run");
            for (p, shards) in part.shards.into_iter().enumerate() {
                let own = d.part.shards_of(r, full.pops[p].shards.len());
                for (dst, src) in full.pops[p].shards[own].iter_mut().zip(shards) {
                    *dst = src;
                }
            }
            for (i, syn) in part.synapses.into_iter().enumerate() {
                pieces[i].push(syn);
            }
        }
        drop(gathered);
        for (i, &k) in statics.iter().enumerate() {
            full.projs[k].synapses = Synapses::merge(&pieces[i]);
        }
        Some(full)
    }
}
