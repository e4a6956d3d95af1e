//! Sources: current generators injected into neurons, and spike sources (Poisson, arrays)
//! that behave as populations.
//!
//! Current generators follow PyNN's (`DCSource`, `StepCurrentSource`, `ACSource`,
//! `NoisyCurrentSource`) plus a square-pulse train and a ramp. Amplitudes are in nA, times in
//! ms and converted to steps once: a source is on for steps `start ≤ t < stop` (`stop` is
//! exclusive).
//!
//! ## Per-target amplitudes
//!
//! A [`Waveform`] holds one value of each amplitude parameter, applied to every target
//! neuron. [`CurrentSource::new_per_target`] takes, besides the waveform, one value per
//! target neuron for any of the parameters [`Waveform::per_target_params`] names (`amplitude`,
//! step `amplitudes`, sine `offset`, noise `mean` / `stdev`, ramp `from` / `to`): target `k`
//! then gets exactly what a source of the same waveform with its own values would give it,
//! bit for bit (the same expression, evaluated per target). The times (`start`, `stop`,
//! `times`, `period`, …) stay shared. A source without per-target values runs the scalar path
//! unchanged; one with them pays one branch per step and one multiply-add per target.
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | [`Waveform`] (what files write) and the ms → step conversion |
//! | `current.rs` | [`CurrentSource`]: a waveform compiled to steps, per-target amplitudes |
//! | `spikes.rs` | [`PoissonSource`] and [`SpikeArraySource`], spike sources that behave as populations |

use serde::{Deserialize, Serialize};

use crate::{ensure, Result};

mod current;
mod spikes;
#[cfg(test)]
mod tests;

pub use current::CurrentSource;
pub use spikes::{PoissonParams, PoissonSource, RateChange, SpikeArrayParams, SpikeArraySource};

/// The waveform of a current generator (nA, ms).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Waveform {
    /// Constant `amplitude` from `start` to `stop` (a single square pulse).
    Dc {
        /// nA.
        amplitude: f64,
        /// ms, default 0.
        #[serde(default)]
        start: f64,
        /// ms, default: the end of the run.
        #[serde(default)]
        stop: Option<f64>,
    },
    /// Piecewise constant: `amplitudes[k]` from `times[k]` until the next time (PyNN
    /// `StepCurrentSource`).
    Step {
        /// ms, strictly increasing.
        times: Vec<f64>,
        /// nA, one per time.
        amplitudes: Vec<f64>,
    },
    /// A train of `count` square pulses of `amplitude`, each `width` long, one every
    /// `period`, the first at `start`.
    Pulses {
        /// nA.
        amplitude: f64,
        /// ms.
        start: f64,
        /// ms.
        width: f64,
        /// ms.
        period: f64,
        /// Number of pulses.
        count: u32,
    },
    /// Linear from `from` at `start` to `to` at `stop`, zero outside.
    Ramp {
        /// nA at `start`.
        from: f64,
        /// nA at `stop`.
        to: f64,
        /// ms.
        start: f64,
        /// ms.
        stop: f64,
    },
    /// `offset + amplitude · sin(2π f t + phase)` (PyNN `ACSource`; phase in degrees).
    Sine {
        /// nA.
        amplitude: f64,
        /// nA.
        #[serde(default)]
        offset: f64,
        /// Hz.
        frequency: f64,
        /// Degrees.
        #[serde(default)]
        phase: f64,
        /// ms.
        #[serde(default)]
        start: f64,
        /// ms.
        #[serde(default)]
        stop: Option<f64>,
    },
    /// Each step, each target neuron independently receives `amplitude` with probability
    /// `probability` (Izhikevich's random thalamic input: one random neuron per ms on average
    /// when `probability = 1/N`).
    RandomPulses {
        /// nA (model units for Izhikevich neurons).
        amplitude: f64,
        /// Probability per neuron and step, in [0, 1].
        probability: f64,
        /// ms.
        #[serde(default)]
        start: f64,
        /// ms.
        #[serde(default)]
        stop: Option<f64>,
    },
    /// Each step, `count` target neurons drawn uniformly (with replacement) receive
    /// `amplitude` (spnet's thalamic input: exactly one random neuron per ms, `count = 1`).
    RandomNeurons {
        /// nA (model units for Izhikevich neurons).
        amplitude: f64,
        /// Neurons per step.
        count: u32,
        /// ms.
        #[serde(default)]
        start: f64,
        /// ms.
        #[serde(default)]
        stop: Option<f64>,
    },
    /// Gaussian white noise `mean + stdev · ξ`, a new draw every `dt` ms (PyNN
    /// `NoisyCurrentSource`), independent per neuron.
    Noise {
        /// nA.
        mean: f64,
        /// nA.
        stdev: f64,
        /// Resampling interval in ms; default (and minimum) the simulation step.
        #[serde(default)]
        dt: Option<f64>,
        /// ms.
        #[serde(default)]
        start: f64,
        /// ms.
        #[serde(default)]
        stop: Option<f64>,
    },
}

impl Waveform {
    /// The waveform's `kind` as written in experiment files (`dc`, `step`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Waveform::Dc { .. } => "dc",
            Waveform::Step { .. } => "step",
            Waveform::Pulses { .. } => "pulses",
            Waveform::Ramp { .. } => "ramp",
            Waveform::Sine { .. } => "sine",
            Waveform::RandomPulses { .. } => "random_pulses",
            Waveform::RandomNeurons { .. } => "random_neurons",
            Waveform::Noise { .. } => "noise",
        }
    }

    /// The parameters of this waveform that can be given one value per target neuron
    /// ([`CurrentSource::new_per_target`]).
    pub fn per_target_params(&self) -> &'static [&'static str] {
        match self {
            Waveform::Dc { .. }
            | Waveform::Pulses { .. }
            | Waveform::RandomPulses { .. }
            | Waveform::RandomNeurons { .. } => &["amplitude"],
            Waveform::Step { .. } => &["amplitudes"],
            Waveform::Ramp { .. } => &["from", "to"],
            Waveform::Sine { .. } => &["amplitude", "offset"],
            Waveform::Noise { .. } => &["mean", "stdev"],
        }
    }

    /// How many per-target values parameter `name` takes for `targets` target neurons:
    /// `targets`, except step `amplitudes`: `targets × times.len()`, one row of amplitudes per
    /// target, target-major. `None` for a name not in [`per_target_params`](Self::per_target_params).
    pub fn per_target_len(&self, name: &str, targets: usize) -> Option<usize> {
        if !self.per_target_params().contains(&name) {
            return None;
        }
        Some(match self {
            Waveform::Step { times, .. } => targets * times.len(),
            _ => targets,
        })
    }
}

/// `ms` as a whole number of steps of `dt`; anything else is an error naming `path`.
pub(crate) fn whole_steps(path: &str, ms: f64, dt: f64) -> Result<u64> {
    ensure!(
        ms.is_finite() && ms >= 0.0,
        path,
        "must be a time ≥ 0 ms, got {ms}"
    );
    let steps = ms / dt;
    let r = steps.round();
    ensure!(
        (steps - r).abs().is_finite() && (steps - r).abs() <= 1e-9 * r.max(1.0),
        path,
        "{ms} ms is not a whole number of time steps (dt = {dt} ms)"
    );
    Ok(r as u64)
}
