//! A spiking network as an [`Engine`].

use serde::Serialize;

use super::{Network, PHASES};
use crate::engine::{Engine, Kind, PhaseInfo, Summary};
use crate::recording::Recording;
use crate::Result;

/// One population in the summary.
#[derive(Serialize)]
struct PopulationSummary<'a> {
    n: usize,
    model: &'a str,
    spikes: u64,
    mean_rate_hz: f64,
    /// `[min, max]` of each state variable now (at step 0: the initial state).
    state: Ordered<'a, [f64; 2]>,
}

/// One projection in the summary.
#[derive(Serialize)]
struct ProjectionSummary<'a> {
    pre: &'a str,
    post: &'a str,
    synapses: usize,
    plastic: bool,
}

impl Engine for Network {
    fn kind(&self) -> Kind {
        Kind::Spiking
    }

    fn step_count(&self) -> u64 {
        self.t
    }

    fn dt_ms(&self) -> Option<f64> {
        Some(self.dt)
    }

    fn advance(&mut self, steps: u64) {
        self.run(steps);
    }

    fn drain(&mut self) -> Recording {
        self.drain_recordings()
    }

    /// On a distributed network: rank 0 writes the network a one-process run would hold
    /// (assembled from every rank), the other ranks write nothing.
    fn checkpoint(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        if self.dist.is_none() {
            return crate::codec::write_as(crate::codec::MAGIC_SPIKING, self, w);
        }
        match self.assembled() {
            Some(full) => crate::codec::write_as(crate::codec::MAGIC_SPIKING, &full, w),
            None => Ok(()),
        }
    }

    fn summary(&self) -> Summary {
        let total_s = self.t as f64 * self.dt / 1000.0;
        let ranges = self.state_ranges();
        let mut populations = Vec::new();
        for (p, ranges) in self.pops.iter().zip(&ranges) {
            let rate = if total_s > 0.0 {
                p.spike_count as f64 / p.n as f64 / total_s
            } else {
                0.0
            };
            populations.push((
                p.name.as_str(),
                PopulationSummary {
                    n: p.n,
                    model: &p.model,
                    spikes: p.spike_count,
                    mean_rate_hz: rate,
                    state: Ordered(ranges),
                },
            ));
        }
        let projections: Vec<(&str, ProjectionSummary)> = self
            .projs
            .iter()
            .enumerate()
            .map(|(k, pr)| {
                (
                    pr.name.as_str(),
                    ProjectionSummary {
                        pre: &self.pops[pr.pre].name,
                        post: &self.pops[pr.post].name,
                        synapses: self.synapses_of(k),
                        plastic: pr.plasticity.is_some(),
                    },
                )
            })
            .collect();
        let mut s = Summary::new();
        s.insert("seed", self.seed)
            .insert("dt_ms", self.dt)
            .insert("steps", self.t)
            .insert("duration_ms", self.t as f64 * self.dt)
            .insert("populations", Ordered(&populations))
            .insert("projections", Ordered(&projections))
            .insert("synapses", self.synapse_count())
            .insert("synaptic_events", self.events)
            .insert("spike_hash", format!("{:016x}", self.hash.finish()))
            .insert("network_mb", self.state_bytes() as f64 / 1048576.0);
        if let Some(x) = self.exchange_stats() {
            // network_mb above is this rank's (rank 0's) share
            s.insert("ranks", x.ranks).insert("exchange", x);
        }
        s
    }

    fn schedule(&self) -> Vec<PhaseInfo> {
        PHASES
            .iter()
            .map(|p| PhaseInfo {
                name: p.name(),
                describe: p.describe(),
            })
            .collect()
    }

    fn set_threads(&mut self, threads: usize) -> Result<()> {
        Network::set_threads(self, threads)
    }

    fn threads(&self) -> usize {
        Network::threads(self)
    }

    fn set_profile(&mut self, on: bool) {
        Network::set_profile(self, on);
    }

    fn profile(&self) -> Option<Vec<(&'static str, f64)>> {
        Network::profile(self).map(|p| p.phases().collect())
    }

    fn spike_hash(&self) -> u64 {
        Network::spike_hash(self)
    }
}

/// A list of `(name, value)` serialised as a map in list order.
pub(crate) struct Ordered<'a, T>(pub &'a [(&'a str, T)]);

impl<T: Serialize> Serialize for Ordered<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}
