//! A `polychronization` run as an [`Engine`].
//!
//! A step is one 1 ms step of the network; the protocol is one segment per simulated second
//! (`duration_s` × 1000 steps). At the end of each second the mean rates of that second are
//! kept; when the first `raster_s` seconds are over their raster is final (handed out then);
//! at the end come the spectra, weight statistics and the other data files.

use std::mem::take;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{
    izh06_with, sum, Outcome, Params, Raster, Spectrum, Summary, Thalamic, WeightStats, WindowRate,
};
use crate::engine::{Engine, Kind, PhaseInfo, Summary as Figures};
use crate::experiments::run::{
    self, f64s, run_to_end, u32s, u64s, write_checkpoint, Cursor, Pending, Progress,
    ProtocolRunRef, Segments,
};
use crate::recording::{ArrayData, Recording};
use crate::spiking::network::Network;
use crate::Result;

/// The complete state of a `polychronization` run (see the module docs of
/// [`polychronization`](super)): the network, the position, the rates per second so far, the
/// spike counts of the spectrum windows and the rasters.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    p: Params,
    seed: u64,
    ne: usize,
    net: Network,
    cursor: Cursor,
    weights_initial: WeightStats,
    /// Excitatory and inhibitory spikes of the current second.
    second: [u64; 2],
    rate_e: Vec<f64>,
    rate_i: Vec<f64>,
    first_e: Vec<u32>,
    first_i: Vec<u32>,
    last_e: Vec<u32>,
    last_i: Vec<u32>,
    raster_first: Raster,
    raster_last: Raster,
    /// Wall time spent stepping, s.
    wall_s: f64,
    /// The acceptance figures, once complete.
    summary: Option<Summary>,
    pending: Pending,
}

/// The excitatory weights of spnet's network.
fn exc_weights(net: &Network) -> Vec<f64> {
    let exc = net
        .projection("exc")
        .expect("izh06 has an `exc` projection");
    exc.synapses.weights().into_owned()
}

impl Run {
    /// Check `p` (key paths under `protocol`) and build spnet's network for `seed`.
    pub fn new(p: &Params, seed: u64) -> Result<Run> {
        p.validate("protocol")?;
        let ne = (0.8 * p.n as f64) as usize;
        let net =
            izh06_with(p.n, seed, p.stdp.clone(), p.thalamic == Thalamic::OnePerMs)?.build()?;
        let window = 1000 * p.spectrum_s as usize;
        let series = || Vec::with_capacity(window);
        let mut run = Run {
            p: p.clone(),
            seed,
            ne,
            weights_initial: WeightStats::of(&exc_weights(&net)),
            net,
            cursor: Cursor::default(),
            second: [0, 0],
            rate_e: Vec::with_capacity(p.duration_s as usize),
            rate_i: Vec::new(),
            first_e: series(),
            first_i: series(),
            last_e: series(),
            last_i: series(),
            raster_first: Raster::default(),
            raster_last: Raster::default(),
            wall_s: 0.0,
            summary: None,
            pending: Pending::default(),
        };
        if p.raster_s == 0 {
            run.raster_first_done();
        }
        Ok(run)
    }

    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The network (read-only).
    pub fn network(&self) -> &Network {
        &self.net
    }

    fn total_steps(&self) -> u64 {
        self.p.duration_s * 1000
    }

    /// The first raster window is over: its spikes are final.
    fn raster_first_done(&mut self) {
        let r = std::mem::take(&mut self.raster_first);
        self.pending
            .vector("raster_first_steps", ArrayData::U64(r.steps));
        self.pending
            .vector("raster_first_ids", ArrayData::U32(r.ids));
    }

    /// What [`run`](super::run) returns: the figures and data of a complete run whose data
    /// files have not been drained (an error otherwise).
    pub fn outcome(mut self) -> Result<Outcome> {
        self.pending.check_outcome(self.remaining().unwrap_or(0))?;
        let summary = self.summary.take().expect("complete runs have figures");
        let mut take = |name: &str| self.pending.take(name);
        Ok(Outcome {
            summary,
            rate_exc_per_s: f64s(take("rate_exc_per_s")),
            rate_inh_per_s: f64s(take("rate_inh_per_s")),
            weights: f64s(take("weights_final")),
            counts_first_exc: u32s(take("counts_first_exc")),
            counts_first_inh: u32s(take("counts_first_inh")),
            counts_last_exc: u32s(take("counts_last_exc")),
            counts_last_inh: u32s(take("counts_last_inh")),
            raster_first: Raster {
                steps: u64s(take("raster_first_steps")),
                ids: u32s(take("raster_first_ids")),
            },
            raster_last: Raster {
                steps: u64s(take("raster_last_steps")),
                ids: u32s(take("raster_last_ids")),
            },
        })
    }
}

impl Segments for Run {
    fn cursor(&mut self) -> &mut Cursor {
        &mut self.cursor
    }

    fn segments(&self) -> u64 {
        self.p.duration_s
    }

    fn segment_len(&self, _: u64) -> u64 {
        1000
    }

    fn begin(&mut self, _: u64) {}

    fn steps(&mut self, s: u64, _: u64, steps: u64) {
        let t0 = Instant::now();
        let Run {
            p,
            ne,
            net,
            second,
            first_e,
            first_i,
            last_e,
            last_i,
            raster_first,
            raster_last,
            ..
        } = self;
        let spec_from = p.duration_s - p.spectrum_s;
        let raster_from = p.duration_s - p.raster_s;
        for _ in 0..steps {
            net.run(1);
            let t = net.step_count() - 1;
            let spikes = net.populations()[0].last_spikes();
            let e = spikes.iter().filter(|&&i| (i as usize) < *ne).count() as u64;
            let i = spikes.len() as u64 - e;
            second[0] += e;
            second[1] += i;
            if s < p.spectrum_s {
                first_e.push(e as u32);
                first_i.push(i as u32);
            }
            if s >= spec_from {
                last_e.push(e as u32);
                last_i.push(i as u32);
            }
            for (keep, r) in [
                (s < p.raster_s, &mut *raster_first),
                (s >= raster_from, &mut *raster_last),
            ] {
                if keep {
                    r.steps.extend(std::iter::repeat_n(t, spikes.len()));
                    r.ids.extend_from_slice(spikes);
                }
            }
        }
        self.wall_s += t0.elapsed().as_secs_f64();
    }

    fn end(&mut self, s: u64) {
        let n = self.p.n;
        self.rate_e.push(self.second[0] as f64 / self.ne as f64);
        self.rate_i
            .push(self.second[1] as f64 / (n - self.ne) as f64);
        self.second = [0, 0];
        if s + 1 == self.p.raster_s {
            self.raster_first_done();
        }
    }

    fn complete(&mut self) {
        let (p, secs) = (&self.p, self.p.duration_s);
        let spec_from = secs - p.spectrum_s;
        let wall = self.wall_s;
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let rates = p
            .rate_windows_s
            .iter()
            .filter(|w| w[0] < secs)
            .map(|w| {
                let (a, b) = (w[0] as usize, w[1].min(secs) as usize);
                WindowRate {
                    from_s: w[0],
                    to_s: b as u64,
                    exc_hz: mean(&self.rate_e[a..b]),
                    inh_hz: mean(&self.rate_i[a..b]),
                }
            })
            .collect();
        let weights = exc_weights(&self.net);
        let (first_e, first_i) = (&self.first_e, &self.first_i);
        let (last_e, last_i) = (&self.last_e, &self.last_i);
        self.summary = Some(Summary {
            n: p.n,
            ne: self.ne,
            duration_s: secs,
            rates,
            weights_initial: self.weights_initial.clone(),
            weights_final: WeightStats::of(&weights),
            spectrum_first: Spectrum::of(first_e, 0),
            spectrum_last: Spectrum::of(last_e, spec_from),
            spectrum_first_all: Spectrum::of(&sum(first_e, first_i), 0),
            spectrum_last_all: Spectrum::of(&sum(last_e, last_i), spec_from),
            spectrum_last_inh: Spectrum::of(last_i, spec_from),
            synaptic_events: self.net.synaptic_events(),
            spike_hash: format!("{:016x}", self.net.spike_hash()),
            simulation_seconds: wall,
            realtime_factor: secs as f64 / wall.max(1e-12),
        });
        let f = &mut self.pending;
        f.vector("rate_exc_per_s", ArrayData::F64(take(&mut self.rate_e)));
        f.vector("rate_inh_per_s", ArrayData::F64(take(&mut self.rate_i)));
        f.vector("weights_final", ArrayData::F64(weights));
        f.vector("counts_first_exc", ArrayData::U32(take(&mut self.first_e)));
        f.vector("counts_first_inh", ArrayData::U32(take(&mut self.first_i)));
        f.vector("counts_last_exc", ArrayData::U32(take(&mut self.last_e)));
        f.vector("counts_last_inh", ArrayData::U32(take(&mut self.last_i)));
        let r = take(&mut self.raster_last);
        f.vector("raster_last_steps", ArrayData::U64(r.steps));
        f.vector("raster_last_ids", ArrayData::U32(r.ids));
    }
}

/// The protocol's phase, before the network's step phases in `schedule`.
const SIMULATE: PhaseInfo = PhaseInfo {
    name: "simulate",
    describe: "duration_s seconds of spnet (1 ms steps, STDP weights updated every second): \
               rates per second, population counts of the first and last spectrum_s seconds, \
               spikes of the first and last raster_s seconds; at the end: rate windows, \
               spectra, weight statistics",
};

impl Engine for Run {
    fn kind(&self) -> Kind {
        Kind::Protocol("polychronization")
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
        write_checkpoint(ProtocolRunRef::Polychronization(self), w)
    }

    fn summary(&self) -> Figures {
        if let Some(s) = &self.summary {
            return Figures::of(s);
        }
        let mut s = run::progressing(
            "polychronization",
            "simulate",
            self.cursor.done,
            self.total_steps(),
            self.net.spike_hash(),
        );
        s.insert("second", self.cursor.seg)
            .insert("duration_s", self.p.duration_s);
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
        Some(self.total_steps() - self.cursor.done)
    }
}

/// Run the protocol: a [`Run`] advanced one simulated second at a time, `progress` called
/// after each.
pub fn run(p: &Params, seed: u64, progress: Progress<'_>) -> Result<Outcome> {
    let mut run = Run::new(p, seed)?;
    run_to_end(&mut run, 1000, progress)?;
    run.outcome()
}
