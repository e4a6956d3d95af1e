//! A `drn` run as an [`Engine`].
//!
//! A step is one step of the network (`dt_ms`, 0.1 ms by default); the protocol is one
//! segment of `steps` steps. Every spike is kept (step, neuron) and, for `plastic`, the mean
//! excitatory weight after every step; the figures and the data files come at the end.

use std::mem::take;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{build, cv, mean_weight, Built, Outcome, Params, Summary, Variant};
use crate::engine::{Engine, Kind, PhaseInfo, Summary as Figures};
use crate::experiments::run::{
    self, f64s, run_to_end, u32s, u64s, write_checkpoint, Cursor, Pending, Progress,
    ProtocolRunRef, Segments,
};
use crate::recording::{ArrayData, Recording};
use crate::spiking::network::Network;
use crate::Result;

/// The complete state of a `drn` run (see the module docs of [`drn`](super)): the network,
/// the position, every spike so far and the mean-weight trace.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    p: Params,
    seed: u64,
    net: Network,
    cursor: Cursor,
    /// Synapses after merging duplicate draws, and the duplicate draws.
    synapses: usize,
    duplicates: usize,
    /// Mean excitatory weight before the first step (units of I0).
    w_start: f64,
    spike_steps: Vec<u64>,
    spike_ids: Vec<u32>,
    /// Mean excitatory weight after each step (`plastic`).
    trace: Vec<f64>,
    /// Wall time of building and stepping, s.
    wall_s: f64,
    /// The acceptance figures, once complete.
    summary: Option<Summary>,
    pending: Pending,
}

impl Run {
    /// Check `p` (key paths under `protocol`), draw the connectivity and build the network
    /// for `seed`.
    pub fn new(p: &Params, seed: u64) -> Result<Run> {
        p.validate("protocol")?;
        let t0 = Instant::now();
        let Built {
            net,
            synapses,
            duplicates,
        } = build(p, seed)?;
        let plastic = p.variant == Variant::Plastic;
        Ok(Run {
            w_start: mean_weight(&net, 0, p.I0),
            p: p.clone(),
            seed,
            net,
            cursor: Cursor::default(),
            synapses,
            duplicates,
            spike_steps: Vec::new(),
            spike_ids: Vec::new(),
            trace: Vec::with_capacity(if plastic { p.steps as usize } else { 0 }),
            wall_s: t0.elapsed().as_secs_f64(),
            summary: None,
            pending: Pending::default(),
        })
    }

    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The network (read-only).
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// What [`run`](super::run) returns: the figures and data of a complete run whose data
    /// files have not been drained (an error otherwise).
    pub fn outcome(mut self) -> Result<Outcome> {
        self.pending.check_outcome(self.remaining().unwrap_or(0))?;
        let summary = self.summary.take().expect("complete runs have figures");
        let mut take = |name: &str| self.pending.take(name);
        Ok(Outcome {
            summary,
            spike_steps: u64s(take("spike_steps")),
            spike_ids: u32s(take("spike_ids")),
            mean_exc_weight: f64s(take("mean_exc_weight")),
        })
    }
}

impl Segments for Run {
    fn cursor(&mut self) -> &mut Cursor {
        &mut self.cursor
    }

    fn segments(&self) -> u64 {
        1
    }

    fn segment_len(&self, _: u64) -> u64 {
        self.p.steps
    }

    fn begin(&mut self, _: u64) {}

    fn steps(&mut self, _: u64, offset: u64, steps: u64) {
        let t0 = Instant::now();
        let plastic = self.p.variant == Variant::Plastic;
        if plastic {
            // a restored trace has no spare capacity: room for this chunk at once
            self.trace.reserve(steps as usize);
        }
        for t in offset..offset + steps {
            self.net.run(1);
            for &i in self.net.populations()[0].last_spikes() {
                self.spike_steps.push(t);
                self.spike_ids.push(i);
            }
            if plastic {
                self.trace.push(mean_weight(&self.net, 0, self.p.I0));
            }
        }
        self.wall_s += t0.elapsed().as_secs_f64();
    }

    fn end(&mut self, _: u64) {}

    fn complete(&mut self) {
        let p = &self.p;
        let (n, n_exc) = (p.n, p.n_exc());
        let plastic = p.variant == Variant::Plastic;
        let (spike_steps, spike_ids, trace) = (&self.spike_steps, &self.spike_ids, &self.trace);
        let mut counts = vec![0u64; n];
        for &i in spike_ids {
            counts[i as usize] += 1;
        }
        let exc_spikes: u64 = counts[..n_exc].iter().sum();
        let inh_spikes: u64 = counts[n_exc..].iter().sum();
        let seconds = p.steps as f64 * p.dt_ms / 1000.0;
        let rate = |spikes: u64, k: usize| {
            if k == 0 {
                f64::NAN
            } else {
                spikes as f64 / (k as f64 * seconds)
            }
        };
        let bin = (10.0 / p.dt_ms).round().max(1.0) as u64;
        let mut bins = vec![0.0; p.steps.div_ceil(bin) as usize];
        for (&t, &i) in spike_steps.iter().zip(spike_ids) {
            if (i as usize) < n_exc {
                bins[(t / bin) as usize] += 1.0;
            }
        }
        let drive_spikes = self.net.population("drive").map_or(0, |d| d.spike_count());
        let (start, mid, end) = if plastic {
            let mid = trace[(p.steps / 2) as usize - usize::from(p.steps >= 2)];
            (Some(self.w_start), Some(mid), trace.last().copied())
        } else {
            (None, None, None)
        };
        self.summary = Some(Summary {
            variant: p.variant,
            n,
            n_exc,
            gamma: p.gamma,
            synapses: self.synapses,
            duplicate_draws: self.duplicates,
            drive_spikes,
            exc_spikes,
            inh_spikes,
            exc_rate_hz: rate(exc_spikes, n_exc),
            inh_rate_hz: rate(inh_spikes, n - n_exc),
            active_exc: counts[..n_exc].iter().filter(|&&c| c > 0).count(),
            active_inh: counts[n_exc..].iter().filter(|&&c| c > 0).count(),
            cv_exc_10ms: cv(&bins),
            mean_exc_w_start: start,
            mean_exc_w_mid: mid,
            mean_exc_w_end: end,
            mean_exc_w_rel_change: start.zip(end).map(|(a, b)| b / a - 1.0),
            sim_seconds: self.wall_s,
        });
        let f = &mut self.pending;
        f.vector("spike_steps", ArrayData::U64(take(&mut self.spike_steps)));
        f.vector("spike_ids", ArrayData::U32(take(&mut self.spike_ids)));
        if !self.trace.is_empty() {
            f.vector("mean_exc_weight", ArrayData::F64(take(&mut self.trace)));
        }
    }
}

/// The protocol's phase, before the network's step phases in `schedule`.
const SIMULATE: PhaseInfo = PhaseInfo {
    name: "simulate",
    describe: "`steps` steps of the network (Poisson drive on the first n_driven neurons; \
               neurapse_b on the excitatory synapses when plastic): every spike kept, the mean \
               excitatory weight after every step (plastic); at the end: rates, CV, weights",
};

impl Engine for Run {
    fn kind(&self) -> Kind {
        Kind::Protocol("drn")
    }

    fn step_count(&self) -> u64 {
        self.cursor.done
    }

    fn dt_ms(&self) -> Option<f64> {
        Some(self.net.dt_ms())
    }

    fn advance(&mut self, steps: u64) {
        run::advance(self, steps);
    }

    fn drain(&mut self) -> Recording {
        self.pending.drain()
    }

    fn checkpoint(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        write_checkpoint(ProtocolRunRef::Drn(self), w)
    }

    fn summary(&self) -> Figures {
        if let Some(s) = &self.summary {
            return Figures::of(s);
        }
        let mut s = run::progressing(
            "drn",
            "simulate",
            self.cursor.done,
            self.p.steps,
            self.net.spike_hash(),
        );
        s.insert("spikes", self.spike_ids.len());
        if let Some(&w) = self.trace.last() {
            s.insert("mean_exc_w", w);
        }
        s
    }

    fn schedule(&self) -> Vec<PhaseInfo> {
        std::iter::once(SIMULATE)
            .chain(run::network_phases())
            .collect()
    }

    fn set_threads(&mut self, threads: usize) -> Result<()> {
        self.net.set_threads(threads)
    }

    fn threads(&self) -> usize {
        self.net.threads()
    }

    fn set_profile(&mut self, on: bool) {
        self.net.set_profile(on);
    }

    fn profile(&self) -> Option<Vec<(&'static str, f64)>> {
        self.net.profile().map(|p| p.phases().collect())
    }

    fn spike_hash(&self) -> u64 {
        self.net.spike_hash()
    }

    fn remaining(&self) -> Option<u64> {
        Some(self.p.steps - self.cursor.done)
    }
}

/// Run the protocol: a [`Run`] advanced in 200 chunks, `progress` called after each.
pub fn run(p: &Params, seed: u64, progress: Progress<'_>) -> Result<Outcome> {
    let mut run = Run::new(p, seed)?;
    run_to_end(&mut run, (p.steps / 200).max(1), progress)?;
    run.outcome()
}
