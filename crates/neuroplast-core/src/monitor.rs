//! Recording: what a run keeps in memory, bounded by what was asked for.
//!
//! | monitor | memory |
//! |---|---|
//! | activity (E and I active counts per step) | 8 bytes per step |
//! | spikes, all | 12 bytes per spike |
//! | spikes, last K steps | 12 bytes per spike in the window |
//! | connection fraction every k | 16 bytes per sample |
//! | thresholds every k | 8·N_E bytes per sample |
//! | weights every k | 16 bytes per synapse (E→E and I→E) per sample |
//! | readout states | N_E (or 2·N_E) + 6 bytes per step of the readout phases |
//!
//! [`RecordSpec::estimate_bytes`] computes this before a run starts.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::recording::{
    Array, ArrayChunk, ArrayData, CountChunk, Recording, SeriesChunk, SpikeChunk, StateChunk,
};
use crate::sorn::input::Input;
use crate::sorn::Sorn;

/// Which spikes to keep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpikeWindow {
    /// None.
    #[default]
    None,
    /// Every spike of the run.
    All,
    /// Spikes of the last `K` steps only (a sliding window over what was not drained yet).
    LastSteps(u64),
    /// Every spike from this step on (step numbers as in [`crate::recording`]: a spike of
    /// step `t` happened in the update from state `t` to `t + 1`).
    From(u64),
}

/// What to record. `every` intervals are in steps; a sample is taken when `t % every == 0`,
/// including t = 0.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordSpec {
    /// Per-step number of active E and I units.
    pub activity: bool,
    /// Spike events.
    pub spikes: SpikeWindow,
    /// E→E connection fraction every k steps.
    pub connection_fraction_every: Option<u64>,
    /// T_E snapshot every k steps.
    pub thresholds_every: Option<u64>,
    /// E→E and I→E weight snapshot every k steps.
    pub weights_every: Option<u64>,
    /// Per-step states and input labels for a readout.
    #[serde(default)]
    pub readout: Option<ReadoutRecord>,
}

/// Which E state a readout is trained on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateFeatures {
    /// x(t), the E state after the step (input included).
    #[default]
    X,
    /// Θ(W_EE x − W_EI y − T_E + ξ): the state the recurrent drive alone would give
    /// (Del Papa 2017's readout).
    Internal,
    /// Both, concatenated (2·N_E features).
    Both,
}

impl StateFeatures {
    /// Features per step for `ne` E units.
    pub fn width(self, ne: usize) -> usize {
        match self {
            StateFeatures::Both => 2 * ne,
            _ => ne,
        }
    }
}

/// Record readout features and input labels after every step taken once the network is past
/// `after_step`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReadoutRecord {
    /// Recording starts with step `after_step` + 1.
    pub after_step: u64,
    /// Which state.
    pub features: StateFeatures,
}

/// Recorded readout data: for each step, the binary state and the symbol presented at it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadoutTrace {
    /// Step of the first sample.
    pub first_step: u64,
    /// Features per sample.
    pub width: usize,
    /// States, `width` 0/1 values per step, concatenated.
    pub states: Vec<u8>,
    /// Symbol (index into the input's alphabet) presented at each step.
    pub symbols: Vec<u16>,
    /// Position of that symbol in its word.
    pub positions: Vec<u32>,
}

impl ReadoutTrace {
    /// Number of steps recorded.
    pub fn len(&self) -> usize {
        self.symbols.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }

    /// The state of sample `k`.
    pub fn state(&self, k: usize) -> &[u8] {
        &self.states[k * self.width..(k + 1) * self.width]
    }
}

impl RecordSpec {
    /// Upper estimate of the bytes recordings will hold after `steps` more steps of a network
    /// with `ne`/`ni` units, `nnz` plastic synapses and mean activity fraction `rate`.
    pub fn estimate_bytes(&self, steps: u64, ne: usize, ni: usize, nnz: usize, rate: f64) -> u64 {
        let samples = |every: Option<u64>| every.map_or(0, |k| steps / k + 1);
        let spikes_per_step = rate * (ne + ni) as f64;
        let spike_steps = match self.spikes {
            SpikeWindow::None => 0,
            SpikeWindow::All => steps,
            SpikeWindow::LastSteps(k) => k.min(steps),
            SpikeWindow::From(first) => steps.saturating_sub(first),
        };
        let mut b = 0u64;
        if self.activity {
            b += 8 * steps;
        }
        b += (12.0 * spikes_per_step * spike_steps as f64) as u64;
        b += 16 * samples(self.connection_fraction_every);
        b += (8 * ne as u64 + 8) * samples(self.thresholds_every);
        b += (16 * nnz as u64 + 8) * samples(self.weights_every);
        if let Some(r) = &self.readout {
            // Steps counted from 0: the readout keeps those after `after_step`.
            b += (r.features.width(ne) as u64 + 6) * steps.saturating_sub(r.after_step);
        }
        b
    }
}

/// Spike events as parallel arrays (step, neuron id): a spike of step `t` is a unit active
/// after the update from state `t` to `t + 1` (0-based, as in [`crate::recording`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpikeEvents {
    /// Step of each spike (the update in which the unit became active).
    pub steps: VecDeque<u64>,
    /// Neuron id of each spike.
    pub ids: VecDeque<u32>,
}

impl SpikeEvents {
    fn push_active(&mut self, t: u64, state: &[f64]) {
        for (i, _) in state.iter().enumerate().filter(|(_, &v)| v != 0.0) {
            self.steps.push_back(t);
            self.ids.push_back(i as u32);
        }
    }

    fn drop_before(&mut self, first_kept: u64) {
        while self.steps.front().is_some_and(|&s| s < first_kept) {
            self.steps.pop_front();
            self.ids.pop_front();
        }
    }

    /// Number of spikes held.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether no spike is held.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// A sparse weight matrix at one step, as (post, pre, weight) arrays.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SparseSnapshot {
    /// Postsynaptic index of each synapse.
    pub post: Vec<u32>,
    /// Presynaptic index of each synapse.
    pub pre: Vec<u32>,
    /// Weight of each synapse.
    pub w: Vec<f64>,
}

impl SparseSnapshot {
    /// All synapses of `m`, row-major.
    pub fn of(m: &crate::sparse::SparseRows) -> Self {
        let mut s = SparseSnapshot::default();
        for (i, j, w) in m.triplets() {
            s.post.push(i);
            s.pre.push(j);
            s.w.push(w);
        }
        s
    }
}

/// Weight snapshot of one step.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WeightSnapshot {
    /// Step of the snapshot.
    pub step: u64,
    /// E→E weights.
    pub w_ee: SparseSnapshot,
    /// I→E weights.
    pub w_ei: SparseSnapshot,
}

/// Everything recorded so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Recorder {
    /// What is recorded.
    pub spec: RecordSpec,
    /// Step of `activity_e[0]` (0-based: the update in which those units were active).
    pub activity_first_step: u64,
    /// Active E units after each step.
    pub activity_e: Vec<u32>,
    /// Active I units after each step.
    pub activity_i: Vec<u32>,
    /// E spikes.
    pub spikes_e: SpikeEvents,
    /// I spikes.
    pub spikes_i: SpikeEvents,
    /// Steps of the connection-fraction samples.
    pub connection_steps: Vec<u64>,
    /// E→E connection fraction samples.
    pub connection_fraction: Vec<f64>,
    /// Steps of the threshold snapshots.
    pub threshold_steps: Vec<u64>,
    /// T_E snapshots, N_E values each, concatenated.
    pub thresholds: Vec<f64>,
    /// Weight snapshots.
    pub weights: Vec<WeightSnapshot>,
    /// Readout states and labels.
    #[serde(default)]
    pub readout: ReadoutTrace,
}

impl Recorder {
    /// A recorder for `spec`, taking the t = 0 samples of the periodic monitors from `sorn`.
    pub fn new(spec: RecordSpec, sorn: &Sorn) -> Self {
        let mut r = Recorder {
            activity_first_step: sorn.t(),
            spec,
            ..Default::default()
        };
        r.sample_periodic(sorn);
        r
    }

    /// Reserve room for `steps` more steps of per-step recordings, so that a long run holds
    /// exactly what it records (growth by doubling would overshoot by up to 2×, and copy).
    pub fn reserve(&mut self, steps: u64) {
        if self.spec.activity {
            let n = usize::try_from(steps).unwrap_or(usize::MAX);
            self.activity_e.reserve_exact(n);
            self.activity_i.reserve_exact(n);
        }
    }

    /// Record the state after a step; `input` is the source that drove it.
    pub fn record(&mut self, sorn: &Sorn, input: &Input) {
        let t = sorn.t();
        if let Some(r) = &self.spec.readout {
            if t > r.after_step {
                let tr = &mut self.readout;
                if tr.is_empty() {
                    tr.first_step = t;
                    tr.width = r.features.width(sorn.x().len());
                }
                let bit = |&a: &f64| u8::from(a != 0.0);
                if r.features != StateFeatures::Internal {
                    tr.states.extend(sorn.x().iter().map(bit));
                }
                if r.features != StateFeatures::X {
                    tr.states.extend(sorn.x_internal().iter().map(bit));
                }
                tr.symbols.push(input.current_code().unwrap_or(0));
                tr.positions
                    .push(input.current_position().unwrap_or(0) as u32);
            }
        }
        if self.spec.activity {
            self.activity_e.push(count(sorn.x()));
            self.activity_i.push(count(sorn.y()));
        }
        // the update that just ran is step t − 1 (0-based)
        let step = t - 1;
        match self.spec.spikes {
            SpikeWindow::None => {}
            SpikeWindow::All => {
                self.spikes_e.push_active(step, sorn.x());
                self.spikes_i.push_active(step, sorn.y());
            }
            SpikeWindow::From(first) => {
                if step >= first {
                    self.spikes_e.push_active(step, sorn.x());
                    self.spikes_i.push_active(step, sorn.y());
                }
            }
            SpikeWindow::LastSteps(k) => {
                let first = (step + 1).saturating_sub(k);
                self.spikes_e.drop_before(first);
                self.spikes_i.drop_before(first);
                self.spikes_e.push_active(step, sorn.x());
                self.spikes_i.push_active(step, sorn.y());
            }
        }
        self.sample_periodic(sorn);
    }

    fn sample_periodic(&mut self, sorn: &Sorn) {
        let t = sorn.t();
        let due = |every: Option<u64>| every.is_some_and(|k| t % k == 0);
        if due(self.spec.connection_fraction_every) {
            self.connection_steps.push(t);
            self.connection_fraction.push(sorn.connection_fraction());
        }
        if due(self.spec.thresholds_every) {
            self.threshold_steps.push(t);
            self.thresholds.extend_from_slice(sorn.te());
        }
        if due(self.spec.weights_every) {
            self.weights.push(WeightSnapshot {
                step: t,
                w_ee: SparseSnapshot::of(sorn.w_ee()),
                w_ei: SparseSnapshot::of(sorn.w_ei()),
            });
        }
    }
}

impl Recorder {
    /// Move everything recorded so far out as a [`Recording`] (one chunk per monitor of the
    /// spec, in a fixed order: spikes e, i; activity e, i; thresholds; connection fraction;
    /// weight snapshots as files). The readout trace stays (see [`Recorder::take_readout`]).
    pub fn drain(&mut self, ne: usize) -> Recording {
        let mut rec = Recording::default();
        if self.spec.spikes != SpikeWindow::None {
            for (pop, ev) in [("e", &mut self.spikes_e), ("i", &mut self.spikes_i)] {
                rec.spikes.push(SpikeChunk {
                    population: pop.into(),
                    steps: std::mem::take(&mut ev.steps).into(),
                    ids: std::mem::take(&mut ev.ids).into(),
                });
            }
        }
        if self.spec.activity {
            let first_step = self.activity_first_step;
            self.activity_first_step += self.activity_e.len() as u64;
            for (pop, counts) in [("e", &mut self.activity_e), ("i", &mut self.activity_i)] {
                rec.counts.push(CountChunk {
                    population: pop.into(),
                    first_step,
                    counts: std::mem::take(counts),
                });
            }
        }
        if self.spec.thresholds_every.is_some() {
            rec.states.push(StateChunk {
                population: "e".into(),
                variable: "threshold".into(),
                neurons: (0..ne as u32).collect(),
                steps: std::mem::take(&mut self.threshold_steps),
                values: std::mem::take(&mut self.thresholds),
            });
        }
        if self.spec.connection_fraction_every.is_some() {
            rec.series.push(SeriesChunk {
                name: "connection_fraction".into(),
                steps: std::mem::take(&mut self.connection_steps),
                values: std::mem::take(&mut self.connection_fraction),
            });
        }
        for snap in std::mem::take(&mut self.weights) {
            let mut arrays = snap.w_ee.arrays("ee");
            arrays.extend(snap.w_ei.arrays("ei"));
            rec.arrays.push(ArrayChunk {
                file: format!("weights/step_{}", snap.step),
                arrays,
            });
        }
        rec
    }

    /// Move the readout trace out (for `[readout]`, after the run).
    pub fn take_readout(&mut self) -> ReadoutTrace {
        std::mem::take(&mut self.readout)
    }
}

impl SparseSnapshot {
    /// The snapshot as the arrays `{prefix}_post`, `{prefix}_pre`, `{prefix}_w`.
    pub fn arrays(self, prefix: &str) -> Vec<Array> {
        vec![
            Array::vector(&format!("{prefix}_post"), ArrayData::U32(self.post)),
            Array::vector(&format!("{prefix}_pre"), ArrayData::U32(self.pre)),
            Array::vector(&format!("{prefix}_w"), ArrayData::F64(self.w)),
        ]
    }
}

fn count(state: &[f64]) -> u32 {
    state.iter().filter(|&&v| v != 0.0).count() as u32
}
