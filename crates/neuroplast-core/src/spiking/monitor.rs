//! Monitors of a spiking network: spikes, state variables of chosen neurons every k steps,
//! and population rates.
//!
//! Monitors keep what they recorded since the last [`Monitors::drain`]; a long run drains
//! them every chunk and streams the chunks to disk (the command line does), so memory stays
//! bounded by one chunk. [`MonitorPlan`] states the memory and disk a run will need before it
//! starts.

use serde::{Deserialize, Serialize};

use crate::recording::Recording;

/// What to record (population names are resolved when the network is built).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MonitorSpec {
    /// Spikes (step, neuron) of a population, optionally of some neurons and in a window.
    Spikes {
        /// Population name.
        population: String,
        /// Neurons to record (default all).
        #[serde(default)]
        neurons: Option<Vec<u32>>,
        /// First step recorded (default 0).
        #[serde(default)]
        start_step: u64,
        /// Steps from here on are not recorded (default: never stop).
        #[serde(default)]
        stop_step: Option<u64>,
    },
    /// A state variable of chosen neurons, sampled after every `every`-th step.
    State {
        /// Population name.
        population: String,
        /// Variable name (`v`, `g_exc`, …; see the model's state names).
        variable: String,
        /// Neurons to record.
        neurons: Vec<u32>,
        /// Sampling interval in steps (≥ 1).
        every: u64,
    },
    /// Population rate in Hz per bin of `bin` steps.
    Rate {
        /// Population name.
        population: String,
        /// Bin width in steps (≥ 1).
        bin: u64,
    },
    /// The number of neurons of a population that spike at each step (population activity,
    /// e.g. for avalanche statistics).
    Activity {
        /// Population name.
        population: String,
    },
}

pub use crate::recording::{CountChunk, RateChunk, SpikeChunk, StateChunk};

/// Everything recorded since the last drain (the engines' common [`Recording`]).
pub type Recordings = Recording;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct SpikeMon {
    pub pop: usize,
    pub mask: Option<Vec<bool>>,
    pub n_rec: u64,
    pub start: u64,
    pub stop: u64,
    pub out: SpikeChunk,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct StateMon {
    pub pop: usize,
    /// (shard, local index) of each recorded neuron
    pub at: Vec<(u32, u32)>,
    pub every: u64,
    pub out: StateChunk,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ActivityMon {
    pub pop: usize,
    pub out: CountChunk,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct RateMon {
    pub pop: usize,
    pub bin: u64,
    pub count: u64,
    pub bin_start: u64,
    pub hz_per_spike: f64,
    pub out: RateChunk,
}

/// All monitors of a network.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Monitors {
    pub(crate) spikes: Vec<SpikeMon>,
    pub(crate) states: Vec<StateMon>,
    pub(crate) rates: Vec<RateMon>,
    #[serde(default)]
    pub(crate) activity: Vec<ActivityMon>,
    /// What the monitors were built from, in declaration order.
    #[serde(default)]
    pub(crate) specs: Vec<MonitorSpec>,
}

/// Memory and disk a recording will need.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MonitorPlan {
    /// Bytes of state and rate samples for the whole run (exact).
    pub sample_bytes: u64,
    /// Bytes per recorded spike (12: an `u64` step and an `u32` neuron).
    pub bytes_per_spike: u64,
    /// Number of neurons whose spikes are recorded.
    pub spike_neurons: u64,
}

impl MonitorPlan {
    /// Bytes for the spikes of `steps` steps if recorded neurons fire at `rate_hz`.
    pub fn spike_bytes(&self, steps: u64, dt_ms: f64, rate_hz: f64) -> u64 {
        (self.spike_neurons as f64 * rate_hz * steps as f64 * dt_ms / 1000.0) as u64
            * self.bytes_per_spike
    }
}

impl Monitors {
    /// Take everything recorded so far, leaving the monitors empty (the buffers move out with
    /// the chunk, so a chunk's memory is freed when the caller drops it).
    pub fn drain(&mut self) -> Recording {
        Recording {
            spikes: self
                .spikes
                .iter_mut()
                .map(|m| SpikeChunk {
                    population: m.out.population.clone(),
                    steps: std::mem::take(&mut m.out.steps),
                    ids: std::mem::take(&mut m.out.ids),
                })
                .collect(),
            states: self
                .states
                .iter_mut()
                .map(|m| StateChunk {
                    population: m.out.population.clone(),
                    variable: m.out.variable.clone(),
                    neurons: m.out.neurons.clone(),
                    steps: std::mem::take(&mut m.out.steps),
                    values: std::mem::take(&mut m.out.values),
                })
                .collect(),
            rates: self
                .rates
                .iter_mut()
                .map(|m| RateChunk {
                    population: m.out.population.clone(),
                    steps: std::mem::take(&mut m.out.steps),
                    rates: std::mem::take(&mut m.out.rates),
                })
                .collect(),
            counts: self
                .activity
                .iter_mut()
                .map(|m| {
                    let counts = std::mem::take(&mut m.out.counts);
                    let first_step = m.out.first_step;
                    m.out.first_step += counts.len() as u64;
                    CountChunk {
                        population: m.out.population.clone(),
                        first_step,
                        counts,
                    }
                })
                .collect(),
            ..Default::default()
        }
    }

    /// Memory plan for a run of `steps` steps starting at step `t0`.
    pub fn plan(&self, t0: u64, steps: u64) -> MonitorPlan {
        let mut plan = MonitorPlan {
            bytes_per_spike: 12,
            ..Default::default()
        };
        for m in &self.states {
            let first = t0.div_ceil(m.every);
            let last = (t0 + steps).div_ceil(m.every);
            plan.sample_bytes += (last - first) * (8 * m.at.len() as u64 + 8);
        }
        for m in &self.rates {
            plan.sample_bytes += (steps / m.bin + 1) * 16;
        }
        for m in &self.spikes {
            plan.spike_neurons += m.n_rec;
        }
        plan.sample_bytes += 4 * steps * self.activity.len() as u64;
        plan
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.spikes.is_empty()
            && self.states.is_empty()
            && self.rates.is_empty()
            && self.activity.is_empty()
    }
}
