//! What an engine hands to its front end: [`Recording`], one type for every kind of run.
//!
//! An engine records into its monitors during `Engine::advance` and the front end takes the
//! records out with `Engine::drain` after every chunk of steps (the command line appends them
//! to files, Python to arrays), so memory holds one chunk at a time. Every drain returns the
//! same chunks in the same order (one per monitor, possibly empty), so a front end can append
//! chunk `k` of one drain to chunk `k` of the previous one.
//!
//! **Steps.** A record of step `t` (0-based) is what the `t`-th update produced: a spike of
//! step `t` happened during the update from `t·dt` to `(t + 1)·dt` (Brian2's convention; its
//! spike time is `t·dt`), a state sample of step `t` was taken after that update.

use serde::{Deserialize, Serialize};

/// Spikes of one population since the last drain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpikeChunk {
    /// Population name.
    pub population: String,
    /// Step of each spike.
    pub steps: Vec<u64>,
    /// Neuron of each spike (population-local index).
    pub ids: Vec<u32>,
}

/// Samples of one per-neuron variable since the last drain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StateChunk {
    /// Population name.
    pub population: String,
    /// Variable name.
    pub variable: String,
    /// The recorded neurons.
    pub neurons: Vec<u32>,
    /// Step after which each sample was taken.
    pub steps: Vec<u64>,
    /// Samples, row-major: `values[k · neurons.len() + i]`.
    pub values: Vec<f64>,
}

/// Population rates since the last drain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RateChunk {
    /// Population name.
    pub population: String,
    /// First step of each completed bin.
    pub steps: Vec<u64>,
    /// Rate in Hz of each completed bin.
    pub rates: Vec<f64>,
}

/// The number of active (spiking) neurons of a population at every step since the last
/// drain: a population-activity trace (SORN's activity, avalanche analysis).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CountChunk {
    /// Population name.
    pub population: String,
    /// Step of `counts[0]`.
    pub first_step: u64,
    /// Active neurons at each step.
    pub counts: Vec<u32>,
}

/// Samples of one network-wide number since the last drain (e.g. SORN's E→E connection
/// fraction).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesChunk {
    /// Name (the file it goes to: `<name>.npy`, `<name>_steps.npy`).
    pub name: String,
    /// Step of each sample.
    pub steps: Vec<u64>,
    /// The samples.
    pub values: Vec<f64>,
}

/// The values of one array of an [`ArrayChunk`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ArrayData {
    /// 64-bit floats.
    F64(Vec<f64>),
    /// 32-bit unsigned integers.
    U32(Vec<u32>),
    /// 64-bit unsigned integers.
    U64(Vec<u64>),
    /// 32-bit signed integers (e.g. −1 for "none").
    I32(Vec<i32>),
    /// Bytes (0/1 states).
    U8(Vec<u8>),
}

impl ArrayData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            ArrayData::F64(v) => v.len(),
            ArrayData::U32(v) => v.len(),
            ArrayData::U64(v) => v.len(),
            ArrayData::I32(v) => v.len(),
            ArrayData::U8(v) => v.len(),
        }
    }

    /// Whether it holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One array of an [`ArrayChunk`]: a name, a shape (row-major) and the values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Array {
    /// Name within the file (`""` for a file that holds one array).
    pub name: String,
    /// Shape; the product is `data.len()`.
    pub shape: Vec<usize>,
    /// The values.
    pub data: ArrayData,
}

impl Array {
    /// A one-dimensional array.
    pub fn vector(name: &str, data: ArrayData) -> Array {
        Array {
            name: name.to_string(),
            shape: vec![data.len()],
            data,
        }
    }
}

/// Arrays that form one file, written once (a weight snapshot, a protocol's data): `file`
/// is the path within the results directory without extension (`weights/step_1000`,
/// `data/tuning`); one unnamed array is a `.npy`, anything else a `.npz`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArrayChunk {
    /// Path without extension, `/`-separated.
    pub file: String,
    /// The arrays.
    pub arrays: Vec<Array>,
}

/// Everything an engine recorded since the last drain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// One per spike monitor, in declaration order.
    pub spikes: Vec<SpikeChunk>,
    /// One per state monitor.
    pub states: Vec<StateChunk>,
    /// One per rate monitor.
    pub rates: Vec<RateChunk>,
    /// One per activity monitor.
    #[serde(default)]
    pub counts: Vec<CountChunk>,
    /// One per sampled network-wide number.
    #[serde(default)]
    pub series: Vec<SeriesChunk>,
    /// Files written once, in the order they were produced (not one per monitor).
    #[serde(default)]
    pub arrays: Vec<ArrayChunk>,
}

impl Recording {
    /// Append `next` (a later drain of the same engine) chunk by chunk.
    pub fn append(&mut self, next: Recording) {
        fn cat<T, U>(a: &mut Vec<T>, b: Vec<T>, mut join: impl FnMut(&mut T, T) -> U) {
            if a.is_empty() {
                *a = b;
                return;
            }
            for (x, y) in a.iter_mut().zip(b) {
                join(x, y);
            }
        }
        cat(&mut self.spikes, next.spikes, |a, b| {
            a.steps.extend(b.steps);
            a.ids.extend(b.ids);
        });
        cat(&mut self.states, next.states, |a, b| {
            a.steps.extend(b.steps);
            a.values.extend(b.values);
        });
        cat(&mut self.rates, next.rates, |a, b| {
            a.steps.extend(b.steps);
            a.rates.extend(b.rates);
        });
        cat(&mut self.counts, next.counts, |a, b| {
            if a.counts.is_empty() {
                a.first_step = b.first_step;
            }
            a.counts.extend(b.counts);
        });
        cat(&mut self.series, next.series, |a, b| {
            a.steps.extend(b.steps);
            a.values.extend(b.values);
        });
        self.arrays.extend(next.arrays);
    }

    /// Whether nothing at all was recorded.
    pub fn is_empty(&self) -> bool {
        self.spikes.iter().all(|c| c.steps.is_empty())
            && self.states.iter().all(|c| c.steps.is_empty())
            && self.rates.iter().all(|c| c.steps.is_empty())
            && self.counts.iter().all(|c| c.counts.is_empty())
            && self.series.iter().all(|c| c.steps.is_empty())
            && self.arrays.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_joins_chunk_by_chunk() {
        let chunk = |steps: Vec<u64>, first: u64, counts: Vec<u32>| Recording {
            spikes: vec![SpikeChunk {
                population: "e".into(),
                ids: steps.iter().map(|&s| s as u32).collect(),
                steps,
            }],
            counts: vec![CountChunk {
                population: "e".into(),
                first_step: first,
                counts,
            }],
            ..Default::default()
        };
        let mut a = Recording::default();
        a.append(chunk(vec![1, 2], 0, vec![1, 1, 0]));
        a.append(chunk(vec![], 3, vec![]));
        a.append(chunk(vec![5], 3, vec![0, 0, 1]));
        assert_eq!(a.spikes[0].steps, vec![1, 2, 5]);
        assert_eq!(a.spikes[0].ids, vec![1, 2, 5]);
        assert_eq!(a.counts[0].first_step, 0);
        assert_eq!(a.counts[0].counts, vec![1, 1, 0, 0, 0, 1]);
        let mut b = Recording::default();
        b.append(chunk(vec![], 7, vec![]));
        b.append(chunk(vec![8], 7, vec![2]));
        assert_eq!(b.counts[0].first_step, 7);
        assert!(!b.is_empty());
        assert!(Recording::default().is_empty());
    }
}
