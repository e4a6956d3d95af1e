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

use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::neuron::{NeuronModel, Receptor};
use crate::rng::Rng;
use crate::{ensure, Result};

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

/// A current generator compiled to step indices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurrentSource {
    /// Target population index.
    pub population: usize,
    /// Target neurons (population-local), ascending.
    pub neurons: Vec<u32>,
    kind: Compiled,
    rng: Option<Rng>,
    held: Vec<f64>,
    /// Per-target amplitudes (absent in the scalar case, which serialises as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    per_target: Option<PerTarget>,
}

/// The amplitude parameters of a source, one value per target (in the order of
/// `CurrentSource::neurons`): `a` and `b` are, by waveform, `amplitude` (dc, pulses,
/// random_*; `b` empty), the step `amplitudes` (target-major rows; `b` empty), `from` / `to`
/// (ramp), `amplitude` / `offset` (sine) and `mean` / `stdev` (noise). A parameter without
/// per-target values has the waveform's value for every target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct PerTarget {
    a: Vec<f64>,
    b: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Compiled {
    Const {
        amplitude: f64,
        start: u64,
        stop: u64,
    },
    Step {
        at: Vec<u64>,
        amplitudes: Vec<f64>,
    },
    Pulses {
        amplitude: f64,
        start: u64,
        width: u64,
        period: u64,
        count: u64,
    },
    Ramp {
        from: f64,
        to: f64,
        start: u64,
        stop: u64,
    },
    Sine {
        amplitude: f64,
        offset: f64,
        omega_per_step: f64,
        phase: f64,
        start: u64,
        stop: u64,
    },
    Noise {
        mean: f64,
        stdev: f64,
        every: u64,
        start: u64,
        stop: u64,
    },
    RandomPulses {
        amplitude: f64,
        probability: f64,
        start: u64,
        stop: u64,
    },
    RandomNeurons {
        amplitude: f64,
        count: u32,
        start: u64,
        stop: u64,
    },
}

impl CurrentSource {
    /// Compile `waveform` for neurons `neurons` of population `population`; `rng` is used by
    /// the random waveforms only. Errors name `{path}.{key}` (`path`: the waveform's table).
    pub fn new(
        path: &str,
        waveform: &Waveform,
        population: usize,
        neurons: Vec<u32>,
        dt: f64,
        rng: Rng,
    ) -> Result<CurrentSource> {
        Self::new_per_target(path, waveform, population, neurons, &[], dt, rng)
    }

    /// [`new`](Self::new) with per-target values of some of the waveform's amplitude
    /// parameters: `per_target` holds `(name, values)` with `name` one of
    /// [`Waveform::per_target_params`] and `values[k]` the value for `neurons[k]` (in the order
    /// given here; step `amplitudes`: `values[k·m + j]` is the `j`-th of the `m` amplitudes of
    /// `neurons[k]`, see [`Waveform::per_target_len`]). The waveform's own value of such a
    /// parameter is then unused. Each target gets, bit for bit, what a source of this
    /// waveform with its own values would give it. With per-target values a neuron may be
    /// listed only once. Errors name `{path}.{name}` and `{path}.{name}[k]`.
    pub fn new_per_target(
        path: &str,
        waveform: &Waveform,
        population: usize,
        mut neurons: Vec<u32>,
        per_target: &[(String, Vec<f64>)],
        dt: f64,
        rng: Rng,
    ) -> Result<CurrentSource> {
        let per_target = match per_target {
            [] => None,
            given => Some(PerTarget::of(path, waveform, &neurons, given)?),
        };
        neurons.sort_unstable();
        neurons.dedup();
        let stop_of = |stop: &Option<f64>, key: &str| -> Result<u64> {
            match stop {
                Some(s) => whole_steps(&format!("{path}.{key}"), *s, dt),
                None => Ok(u64::MAX),
            }
        };
        let finite = |key: &str, v: f64| -> Result<()> {
            ensure!(
                v.is_finite(),
                format!("{path}.{key}"),
                "must be finite, got {v}"
            );
            Ok(())
        };
        let kind = match waveform {
            Waveform::Dc {
                amplitude,
                start,
                stop,
            } => {
                finite("amplitude", *amplitude)?;
                Compiled::Const {
                    amplitude: *amplitude,
                    start: whole_steps(&format!("{path}.start"), *start, dt)?,
                    stop: stop_of(stop, "stop")?,
                }
            }
            Waveform::Step { times, amplitudes } => {
                ensure!(
                    times.len() == amplitudes.len() && !times.is_empty(),
                    format!("{path}.amplitudes"),
                    "needs one amplitude per time ({} times, {} amplitudes)",
                    times.len(),
                    amplitudes.len()
                );
                let at = times
                    .iter()
                    .enumerate()
                    .map(|(k, &t)| whole_steps(&format!("{path}.times[{k}]"), t, dt))
                    .collect::<Result<Vec<_>>>()?;
                ensure!(
                    at.windows(2).all(|w| w[0] < w[1]),
                    format!("{path}.times"),
                    "must be strictly increasing"
                );
                for (k, a) in amplitudes.iter().enumerate() {
                    finite(&format!("amplitudes[{k}]"), *a)?;
                }
                Compiled::Step {
                    at,
                    amplitudes: amplitudes.clone(),
                }
            }
            Waveform::Pulses {
                amplitude,
                start,
                width,
                period,
                count,
            } => {
                finite("amplitude", *amplitude)?;
                let width = whole_steps(&format!("{path}.width"), *width, dt)?;
                let period = whole_steps(&format!("{path}.period"), *period, dt)?;
                ensure!(
                    width >= 1 && period >= width,
                    format!("{path}.period"),
                    "needs 0 < width ≤ period"
                );
                Compiled::Pulses {
                    amplitude: *amplitude,
                    start: whole_steps(&format!("{path}.start"), *start, dt)?,
                    width,
                    period,
                    count: u64::from(*count),
                }
            }
            Waveform::Ramp {
                from,
                to,
                start,
                stop,
            } => {
                finite("from", *from)?;
                finite("to", *to)?;
                let (start, stop) = (
                    whole_steps(&format!("{path}.start"), *start, dt)?,
                    whole_steps(&format!("{path}.stop"), *stop, dt)?,
                );
                ensure!(stop > start, format!("{path}.stop"), "must be after start");
                Compiled::Ramp {
                    from: *from,
                    to: *to,
                    start,
                    stop,
                }
            }
            Waveform::Sine {
                amplitude,
                offset,
                frequency,
                phase,
                start,
                stop,
            } => {
                finite("amplitude", *amplitude)?;
                finite("offset", *offset)?;
                finite("frequency", *frequency)?;
                finite("phase", *phase)?;
                Compiled::Sine {
                    amplitude: *amplitude,
                    offset: *offset,
                    omega_per_step: 2.0 * std::f64::consts::PI * frequency * dt / 1000.0,
                    phase: phase.to_radians(),
                    start: whole_steps(&format!("{path}.start"), *start, dt)?,
                    stop: stop_of(stop, "stop")?,
                }
            }
            Waveform::RandomPulses {
                amplitude,
                probability,
                start,
                stop,
            } => {
                finite("amplitude", *amplitude)?;
                ensure!(
                    (0.0..=1.0).contains(probability),
                    format!("{path}.probability"),
                    "must be in [0, 1], got {probability}"
                );
                Compiled::RandomPulses {
                    amplitude: *amplitude,
                    probability: *probability,
                    start: whole_steps(&format!("{path}.start"), *start, dt)?,
                    stop: stop_of(stop, "stop")?,
                }
            }
            Waveform::RandomNeurons {
                amplitude,
                count,
                start,
                stop,
            } => {
                finite("amplitude", *amplitude)?;
                ensure!(
                    !neurons.is_empty() || *count == 0,
                    format!("{path}.count"),
                    "needs at least one target neuron"
                );
                Compiled::RandomNeurons {
                    amplitude: *amplitude,
                    count: *count,
                    start: whole_steps(&format!("{path}.start"), *start, dt)?,
                    stop: stop_of(stop, "stop")?,
                }
            }
            Waveform::Noise {
                mean,
                stdev,
                dt: every,
                start,
                stop,
            } => {
                finite("mean", *mean)?;
                ensure!(
                    stdev.is_finite() && *stdev >= 0.0,
                    format!("{path}.stdev"),
                    "must be ≥ 0, got {stdev}"
                );
                let every = match every {
                    Some(e) => whole_steps(&format!("{path}.dt"), *e, dt)?,
                    None => 1,
                };
                ensure!(
                    every >= 1,
                    format!("{path}.dt"),
                    "must be at least one time step"
                );
                Compiled::Noise {
                    mean: *mean,
                    stdev: *stdev,
                    every,
                    start: whole_steps(&format!("{path}.start"), *start, dt)?,
                    stop: stop_of(stop, "stop")?,
                }
            }
        };
        let noisy = matches!(
            kind,
            Compiled::Noise { .. } | Compiled::RandomPulses { .. } | Compiled::RandomNeurons { .. }
        );
        let held = if noisy {
            vec![0.0; neurons.len()]
        } else {
            Vec::new()
        };
        Ok(CurrentSource {
            population,
            neurons,
            kind,
            rng: noisy.then_some(rng),
            held,
            per_target,
        })
    }

    /// The amplitude at step `t` (not for noise).
    fn amplitude(&self, t: u64) -> f64 {
        match &self.kind {
            Compiled::Const {
                amplitude,
                start,
                stop,
            } => {
                if (*start..*stop).contains(&t) {
                    *amplitude
                } else {
                    0.0
                }
            }
            Compiled::Step { at, amplitudes } => match at.partition_point(|&s| s <= t) {
                0 => 0.0,
                k => amplitudes[k - 1],
            },
            Compiled::Pulses {
                amplitude,
                start,
                width,
                period,
                count,
            } => {
                if t < *start {
                    return 0.0;
                }
                let k = (t - start) / period;
                if k < *count && (t - start) % period < *width {
                    *amplitude
                } else {
                    0.0
                }
            }
            Compiled::Ramp {
                from,
                to,
                start,
                stop,
            } => {
                if (*start..*stop).contains(&t) {
                    from + (to - from) * (t - start) as f64 / (stop - start) as f64
                } else {
                    0.0
                }
            }
            Compiled::Sine {
                amplitude,
                offset,
                omega_per_step,
                phase,
                start,
                stop,
            } => {
                if (*start..*stop).contains(&t) {
                    offset + amplitude * (omega_per_step * (t - start) as f64 + phase).sin()
                } else {
                    0.0
                }
            }
            Compiled::Noise { .. }
            | Compiled::RandomPulses { .. }
            | Compiled::RandomNeurons { .. } => 0.0,
        }
    }

    /// Add this source's current at step `t` to `add(neuron, nA)`.
    pub fn apply(&mut self, t: u64, mut add: impl FnMut(u32, f64)) {
        if self.per_target.is_some() {
            self.apply_per_target(t, add);
            return;
        }
        if let Compiled::RandomPulses {
            amplitude,
            probability,
            start,
            stop,
        } = self.kind
        {
            if (start..stop).contains(&t) {
                let rng = self.rng.as_mut().expect("random sources own a stream");
                let neurons = &self.neurons;
                super::bernoulli_hits(neurons.len() as u64, probability, rng, |k| {
                    add(neurons[k as usize], amplitude)
                });
            }
            return;
        }
        if let Compiled::RandomNeurons {
            amplitude,
            count,
            start,
            stop,
        } = self.kind
        {
            if (start..stop).contains(&t) {
                let rng = self.rng.as_mut().expect("random sources own a stream");
                for _ in 0..count {
                    add(
                        self.neurons[rng.random_range(0..self.neurons.len())],
                        amplitude,
                    );
                }
            }
            return;
        }
        if let Compiled::Noise {
            mean,
            stdev,
            every,
            start,
            stop,
        } = self.kind
        {
            if !(start..stop).contains(&t) {
                return;
            }
            if (t - start) % every == 0 {
                let rng = self.rng.as_mut().expect("noise sources own a stream");
                for h in self.held.iter_mut() {
                    let z: f64 = StandardNormal.sample(rng);
                    *h = mean + stdev * z;
                }
            }
            for (&j, &h) in self.neurons.iter().zip(&self.held) {
                add(j, h);
            }
            return;
        }
        let a = self.amplitude(t);
        if a != 0.0 {
            for &j in &self.neurons {
                add(j, a);
            }
        }
    }

    /// [`apply`](Self::apply) with per-target amplitudes: for each target the expression of
    /// the scalar path with the target's own values.
    fn apply_per_target(&mut self, t: u64, mut add: impl FnMut(u32, f64)) {
        let Some(PerTarget { a, b }) = &self.per_target else {
            return;
        };
        let neurons = &self.neurons;
        // deterministic waveforms skip zero amplitudes, as the scalar path does
        #[inline(always)]
        fn each(neurons: &[u32], add: &mut impl FnMut(u32, f64), f: impl Fn(usize) -> f64) {
            for (k, &j) in neurons.iter().enumerate() {
                let x = f(k);
                if x != 0.0 {
                    add(j, x);
                }
            }
        }
        match self.kind {
            Compiled::Const { start, stop, .. } => {
                if (start..stop).contains(&t) {
                    each(neurons, &mut add, |k| a[k]);
                }
            }
            Compiled::Step { ref at, .. } => {
                let m = at.len();
                match at.partition_point(|&s| s <= t) {
                    0 => {}
                    idx => each(neurons, &mut add, |k| a[k * m + idx - 1]),
                }
            }
            Compiled::Pulses {
                start,
                width,
                period,
                count,
                ..
            } => {
                if t >= start && (t - start) / period < count && (t - start) % period < width {
                    each(neurons, &mut add, |k| a[k]);
                }
            }
            Compiled::Ramp { start, stop, .. } => {
                if (start..stop).contains(&t) {
                    let (num, den) = ((t - start) as f64, (stop - start) as f64);
                    each(neurons, &mut add, |k| a[k] + (b[k] - a[k]) * num / den);
                }
            }
            Compiled::Sine {
                omega_per_step,
                phase,
                start,
                stop,
                ..
            } => {
                if (start..stop).contains(&t) {
                    let s = (omega_per_step * (t - start) as f64 + phase).sin();
                    each(neurons, &mut add, |k| b[k] + a[k] * s);
                }
            }
            Compiled::Noise {
                every, start, stop, ..
            } => {
                if !(start..stop).contains(&t) {
                    return;
                }
                if (t - start) % every == 0 {
                    let rng = self.rng.as_mut().expect("noise sources own a stream");
                    for (k, h) in self.held.iter_mut().enumerate() {
                        let z: f64 = StandardNormal.sample(rng);
                        *h = a[k] + b[k] * z;
                    }
                }
                for (&j, &h) in neurons.iter().zip(&self.held) {
                    add(j, h);
                }
            }
            Compiled::RandomPulses {
                probability,
                start,
                stop,
                ..
            } => {
                if (start..stop).contains(&t) {
                    let rng = self.rng.as_mut().expect("random sources own a stream");
                    super::bernoulli_hits(neurons.len() as u64, probability, rng, |k| {
                        add(neurons[k as usize], a[k as usize])
                    });
                }
            }
            Compiled::RandomNeurons {
                count, start, stop, ..
            } => {
                if (start..stop).contains(&t) {
                    let rng = self.rng.as_mut().expect("random sources own a stream");
                    for _ in 0..count {
                        let k = rng.random_range(0..neurons.len());
                        add(neurons[k], a[k]);
                    }
                }
            }
        }
    }
}

impl PerTarget {
    /// The per-target values `given` for `neurons` (as given, not yet sorted), checked and
    /// put in ascending neuron order; parameters not given get the waveform's value.
    fn of(
        path: &str,
        waveform: &Waveform,
        neurons: &[u32],
        given: &[(String, Vec<f64>)],
    ) -> Result<PerTarget> {
        let n = neurons.len();
        let names = waveform.per_target_params();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&k| neurons[k]);
        let mut a_b: [Option<Vec<f64>>; 2] = [None, None];
        for (name, values) in given {
            let key = format!("{path}.{name}");
            let Some(slot) = names.iter().position(|x| x == name) else {
                return Err(crate::Error::config(
                    key,
                    format!(
                        "a {} waveform takes per-target values of {}",
                        waveform.kind(),
                        names.join(", ")
                    ),
                ));
            };
            let len = waveform.per_target_len(name, n).expect("a per-target name");
            ensure!(
                values.len() == len,
                &key,
                "needs {len} values ({}), got {}",
                if len == n {
                    format!("one per target neuron: {n}")
                } else {
                    format!("{} per target neuron, target-major", len / n.max(1))
                },
                values.len()
            );
            if let Some(w) = order.windows(2).find(|w| neurons[w[0]] == neurons[w[1]]) {
                return Err(crate::Error::config(
                    key,
                    format!(
                        "neuron {} is a target twice; with per-target values each target is listed once",
                        neurons[w[0]]
                    ),
                ));
            }
            for (k, &x) in values.iter().enumerate() {
                let ok = if name == "stdev" {
                    x.is_finite() && x >= 0.0
                } else {
                    x.is_finite()
                };
                ensure!(
                    ok,
                    format!("{key}[{k}]"),
                    "must be {}, got {x}",
                    if name == "stdev" {
                        "finite and ≥ 0"
                    } else {
                        "finite"
                    }
                );
            }
            let row = len / n.max(1);
            let sorted: Vec<f64> = order
                .iter()
                .flat_map(|&k| values[k * row..(k + 1) * row].iter().copied())
                .collect();
            a_b[slot] = Some(sorted);
        }
        let scalar = |slot: usize| -> Vec<f64> {
            let x = match (waveform, slot) {
                (Waveform::Dc { amplitude, .. }, 0)
                | (Waveform::Pulses { amplitude, .. }, 0)
                | (Waveform::RandomPulses { amplitude, .. }, 0)
                | (Waveform::RandomNeurons { amplitude, .. }, 0)
                | (Waveform::Sine { amplitude, .. }, 0) => *amplitude,
                (Waveform::Sine { offset, .. }, 1) => *offset,
                (Waveform::Ramp { from, .. }, 0) => *from,
                (Waveform::Ramp { to, .. }, 1) => *to,
                (Waveform::Noise { mean, .. }, 0) => *mean,
                (Waveform::Noise { stdev, .. }, 1) => *stdev,
                (Waveform::Step { amplitudes, .. }, 0) => {
                    return (0..n).flat_map(|_| amplitudes.iter().copied()).collect();
                }
                _ => return Vec::new(),
            };
            vec![x; n]
        };
        let [a, b] = a_b;
        Ok(PerTarget {
            a: a.unwrap_or_else(|| scalar(0)),
            b: b.unwrap_or_else(|| scalar(1)),
        })
    }
}

/// Parameters of a Poisson spike source (PyNN `SpikeSourcePoisson`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoissonParams {
    /// Rate in Hz (every neuron; per-neuron rates via the `rate` state array).
    pub rate: f64,
    /// ms.
    pub start: f64,
    /// ms; default: forever.
    pub duration: Option<f64>,
    /// Rate changes during the run: from `at` (ms) on, every neuron fires at `rate` (Hz).
    pub schedule: Vec<RateChange>,
}

/// One entry of a Poisson source's rate schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateChange {
    /// Time of the change, ms (a whole number of steps).
    pub at: f64,
    /// New rate of every neuron, Hz.
    pub rate: f64,
}

impl Default for PoissonParams {
    fn default() -> Self {
        PoissonParams {
            rate: 1.0,
            start: 0.0,
            duration: None,
            schedule: Vec::new(),
        }
    }
}

impl PoissonParams {
    /// Check ranges.
    pub fn validate(&self, path: &str) -> Result<()> {
        ensure!(
            self.rate.is_finite() && self.rate >= 0.0,
            format!("{path}.rate"),
            "must be ≥ 0 Hz, got {}",
            self.rate
        );
        ensure!(
            self.start.is_finite() && self.start >= 0.0,
            format!("{path}.start"),
            "must be ≥ 0 ms, got {}",
            self.start
        );
        if let Some(d) = self.duration {
            ensure!(
                d.is_finite() && d >= 0.0,
                format!("{path}.duration"),
                "must be ≥ 0 ms, got {d}"
            );
        }
        Ok(())
    }
}

/// The smallest and largest rate (NaN entries ignored).
fn rate_range(rate: &[f64]) -> (f64, f64) {
    rate.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        })
}

/// [`rate_range`] of the current rates, or `None` after they may have changed (a memo only:
/// not saved, never compared).
#[derive(Clone, Copy, Debug, Default)]
struct RangeMemo(Option<(f64, f64)>);

impl PartialEq for RangeMemo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Independent Poisson spike trains; each neuron spikes in a step with probability
/// `rate · dt` (rates may change at any step through the `rate` array).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoissonSource {
    /// Rate of each neuron, Hz (set through `state_mut("rate")`, which also drops `range`).
    rate: Vec<f64>,
    #[serde(default, skip)]
    range: RangeMemo,
    dt_s: f64,
    start: u64,
    stop: u64,
    t: u64,
    /// (step, rate) changes still to come, in order.
    changes: Vec<(u64, f64)>,
    next_change: usize,
    rng: Rng,
    /// Scratch list of thinning candidates (kept to avoid allocating in the step).
    #[serde(default, skip)]
    candidates: Vec<u32>,
}

impl PoissonSource {
    /// `n` sources; `rng` is this shard's own stream.
    pub fn new(params: &PoissonParams, n: usize, dt_ms: f64, rng: Rng) -> Result<PoissonSource> {
        params.validate("params")?;
        let start = whole_steps("params.start", params.start, dt_ms)?;
        let stop = match params.duration {
            Some(d) => start.saturating_add(whole_steps("params.duration", d, dt_ms)?),
            None => u64::MAX,
        };
        let mut changes = Vec::with_capacity(params.schedule.len());
        for (k, c) in params.schedule.iter().enumerate() {
            changes.push((
                whole_steps(&format!("params.schedule[{k}].at"), c.at, dt_ms)?,
                c.rate,
            ));
        }
        Ok(PoissonSource {
            rate: vec![params.rate; n],
            dt_s: dt_ms / 1000.0,
            start,
            stop,
            t: 0,
            changes,
            next_change: 0,
            candidates: Vec::new(),
            range: RangeMemo::default(),
            rng,
        })
    }
}

crate::param_table!(PoissonParams { rate });

impl super::neuron::BuiltinModel for PoissonSource {
    type Params = PoissonParams;

    fn validate(params: &PoissonParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(params: &PoissonParams, n: usize, ctx: super::neuron::Build<'_>) -> Result<Self> {
        let mut src = PoissonSource::new(params, n, ctx.dt_ms, ctx.rng)?;
        for (name, values) in ctx.per_neuron {
            debug_assert_eq!(name, "rate", "checked against ParamTable::NAMES");
            super::neuron::check_rates("params.rate", values, ctx.offset)?;
            src.rate.copy_from_slice(values);
        }
        Ok(src)
    }
}

impl NeuronModel for PoissonSource {
    fn len(&self) -> usize {
        self.rate.len()
    }
    fn receptors(&self) -> &'static [Receptor] {
        &[]
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["rate"]
    }
    fn state(&self, name: &str) -> Option<&[f64]> {
        (name == "rate").then_some(&self.rate[..])
    }
    fn state_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        self.range = RangeMemo(None);
        (name == "rate").then_some(&mut self.rate[..])
    }
    fn state_min(&self, name: &str) -> Option<f64> {
        (name == "rate").then_some(0.0)
    }
    fn step(&mut self, _syn: &mut [f64], _current: &[f64], spikes: &mut Vec<u32>) {
        let t = self.t;
        self.t += 1;
        while let Some(&(at, rate)) = self.changes.get(self.next_change) {
            if at > t {
                break;
            }
            self.rate.fill(rate);
            self.range = RangeMemo(Some((rate, rate)));
            self.next_change += 1;
        }
        if !(self.start..self.stop).contains(&t) {
            return;
        }
        let (lo, hi) = match self.range.0 {
            Some(r) => r,
            None => {
                let r = rate_range(&self.rate);
                self.range = RangeMemo(Some(r));
                r
            }
        };
        let p_max = hi * self.dt_s;
        if lo == hi {
            // one rate for all: draw the gaps between spikes
            super::bernoulli_hits(self.rate.len() as u64, p_max, &mut self.rng, |k| {
                spikes.push(k as u32)
            });
            return;
        }
        if p_max >= 1.0 {
            // some neuron spikes for certain: one draw per neuron
            for (i, &r) in self.rate.iter().enumerate() {
                let p = r * self.dt_s;
                if p > 0.0 && self.rng.random::<f64>() < p {
                    spikes.push(i as u32);
                }
            }
            return;
        }
        // per-neuron rates by thinning: candidates at the largest rate (gaps drawn), each kept
        // with probability rate_i / rate_max — exactly Bernoulli(rate_i · dt) per neuron
        let (rate, rng) = (&self.rate, &mut self.rng);
        let mut candidates = std::mem::take(&mut self.candidates);
        candidates.clear();
        super::bernoulli_hits(rate.len() as u64, p_max, rng, |k| candidates.push(k as u32));
        for &k in &candidates {
            let keep = rate[k as usize] / hi;
            if keep >= 1.0 || rng.random::<f64>() < keep {
                spikes.push(k);
            }
        }
        candidates.clear();
        self.candidates = candidates;
    }
}

/// Parameters of a spike-array source (PyNN `SpikeSourceArray`): explicit spike times.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpikeArrayParams {
    /// Spike times in ms, one list per neuron (or one list shared by all neurons when the
    /// population has more neurons than lists and exactly one list is given).
    pub spike_times: Vec<Vec<f64>>,
}

/// Emits the spikes of [`SpikeArrayParams`] at the steps nearest to their times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpikeArraySource {
    /// (step, neuron) sorted by step then neuron.
    events: Vec<(u64, u32)>,
    next: usize,
    n: usize,
    t: u64,
}

impl SpikeArraySource {
    /// Neurons `offset .. offset + n` of the population described by `params`.
    pub fn new(
        params: &SpikeArrayParams,
        offset: usize,
        n: usize,
        dt_ms: f64,
    ) -> Result<SpikeArraySource> {
        let lists = params.spike_times.len();
        ensure!(
            lists <= 1 || offset + n <= lists,
            "params.spike_times",
            "give one list of times for all neurons or one list per neuron; got {lists} lists for a population larger than that"
        );
        let mut events = Vec::new();
        for local in 0..n {
            let g = offset + local;
            let list = if lists == 1 {
                &params.spike_times[0]
            } else {
                match params.spike_times.get(g) {
                    Some(l) => l,
                    None => continue,
                }
            };
            for (k, &ms) in list.iter().enumerate() {
                ensure!(
                    ms.is_finite() && ms >= 0.0,
                    format!("params.spike_times[{g}][{k}]"),
                    "must be a time ≥ 0 ms, got {ms}"
                );
                events.push(((ms / dt_ms).round() as u64, local as u32));
            }
        }
        events.sort_unstable();
        events.dedup();
        Ok(SpikeArraySource {
            events,
            next: 0,
            n,
            t: 0,
        })
    }
}

crate::param_table!(SpikeArrayParams {});

impl super::neuron::BuiltinModel for SpikeArraySource {
    type Params = SpikeArrayParams;

    fn validate(_: &SpikeArrayParams, _: &str) -> Result<()> {
        Ok(())
    }

    fn build(params: &SpikeArrayParams, n: usize, ctx: super::neuron::Build<'_>) -> Result<Self> {
        SpikeArraySource::new(params, ctx.offset, n, ctx.dt_ms)
    }
}

impl NeuronModel for SpikeArraySource {
    fn len(&self) -> usize {
        self.n
    }
    fn receptors(&self) -> &'static [Receptor] {
        &[]
    }
    fn state_names(&self) -> &'static [&'static str] {
        &[]
    }
    fn state(&self, _: &str) -> Option<&[f64]> {
        None
    }
    fn state_mut(&mut self, _: &str) -> Option<&mut [f64]> {
        None
    }
    fn step(&mut self, _syn: &mut [f64], _current: &[f64], spikes: &mut Vec<u32>) {
        let t = self.t;
        self.t += 1;
        while let Some(&(s, i)) = self.events.get(self.next) {
            if s > t {
                break;
            }
            if s == t {
                spikes.push(i);
            }
            self.next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rng::{component, Stream};

    fn rng() -> Rng {
        component(1, Stream::CurrentNoise, 0)
    }

    /// The memoised min/max rate follows every change of the rates: through `state_mut`
    /// (silent → certain spikes, one → per-neuron rates) and through the schedule.
    #[test]
    fn rate_range_memo_follows_the_rates() {
        let p = PoissonParams {
            rate: 0.0,
            schedule: vec![RateChange { at: 3.0, rate: 0.0 }],
            ..Default::default()
        };
        let mut src = PoissonSource::new(&p, 4, 1.0, rng()).unwrap();
        let mut spikes = Vec::new();
        src.step(&mut [], &[], &mut spikes);
        assert!(spikes.is_empty());
        src.state_mut("rate").unwrap().fill(1000.0); // p = 1 per 1 ms step
        src.step(&mut [], &[], &mut spikes);
        assert_eq!(spikes, [0, 1, 2, 3]);
        spikes.clear();
        src.state_mut("rate")
            .unwrap()
            .copy_from_slice(&[0.0, 1000.0, 0.0, 1000.0]);
        src.step(&mut [], &[], &mut spikes);
        assert_eq!(spikes, [1, 3]);
        spikes.clear();
        src.step(&mut [], &[], &mut spikes); // step 3: the schedule silences all
        assert!(spikes.is_empty());
    }

    fn trace(w: &Waveform, steps: u64) -> Vec<f64> {
        let mut s = CurrentSource::new("s", w, 0, vec![0], 0.1, rng()).unwrap();
        (0..steps)
            .map(|t| {
                let mut x = 0.0;
                s.apply(t, |_, a| x += a);
                x
            })
            .collect()
    }

    #[test]
    fn waveforms() {
        let dc = trace(
            &Waveform::Dc {
                amplitude: 2.0,
                start: 0.2,
                stop: Some(0.5),
            },
            8,
        );
        assert_eq!(dc, vec![0.0, 0.0, 2.0, 2.0, 2.0, 0.0, 0.0, 0.0]);
        let st = trace(
            &Waveform::Step {
                times: vec![0.1, 0.3],
                amplitudes: vec![1.0, -1.0],
            },
            5,
        );
        assert_eq!(st, vec![0.0, 1.0, 1.0, -1.0, -1.0]);
        let pu = trace(
            &Waveform::Pulses {
                amplitude: 5.0,
                start: 0.1,
                width: 0.2,
                period: 0.4,
                count: 2,
            },
            12,
        );
        assert_eq!(
            pu,
            vec![0.0, 5.0, 5.0, 0.0, 0.0, 5.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        );
        let ra = trace(
            &Waveform::Ramp {
                from: 0.0,
                to: 1.0,
                start: 0.0,
                stop: 0.4,
            },
            5,
        );
        assert_eq!(ra, vec![0.0, 0.25, 0.5, 0.75, 0.0]);
        // 1 kHz sine sampled at 0.1 ms: a quarter period after 2.5 steps; phase 90° = cos
        let si = trace(
            &Waveform::Sine {
                amplitude: 1.0,
                offset: 0.5,
                frequency: 1000.0,
                phase: 90.0,
                start: 0.0,
                stop: None,
            },
            11,
        );
        assert!(
            (si[0] - 1.5).abs() < 1e-12
                && (si[5] + 0.5).abs() < 1e-12
                && (si[10] - 1.5).abs() < 1e-12
        );
    }

    #[test]
    fn random_pulses_hit_each_neuron_with_probability_p() {
        let n = 1000;
        let mut s = CurrentSource::new(
            "s",
            &Waveform::RandomPulses {
                amplitude: 20.0,
                probability: 0.01,
                start: 0.0,
                stop: None,
            },
            0,
            (0..n).collect(),
            1.0,
            rng(),
        )
        .unwrap();
        let mut hits = vec![0u32; n as usize];
        for t in 0..2000 {
            s.apply(t, |j, a| {
                assert_eq!(a, 20.0);
                hits[j as usize] += 1;
            });
        }
        // 2·10⁶ trials at p = 0.01: 20 000 ± 5·√(2·10⁴·0.99)
        let total: u32 = hits.iter().sum();
        assert!((f64::from(total) - 20_000.0).abs() < 705.0, "{total}");
        // per neuron Binomial(2000, 0.01): mean 20, variance 19.8
        let var = hits
            .iter()
            .map(|&h| (f64::from(h) - 20.0).powi(2))
            .sum::<f64>()
            / f64::from(n);
        assert!((var / 19.8 - 1.0).abs() < 0.2, "{var}");
    }

    #[test]
    fn noise_has_the_requested_moments_and_hold() {
        let n = trace(
            &Waveform::Noise {
                mean: 1.0,
                stdev: 2.0,
                dt: Some(0.2),
                start: 0.0,
                stop: None,
            },
            40_000,
        );
        assert!(n.chunks(2).all(|c| c[0] == c[1]), "held for two steps");
        let mean = n.iter().sum::<f64>() / n.len() as f64;
        let var = n.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n.len() as f64;
        assert!(
            (mean - 1.0).abs() < 0.05 && (var.sqrt() - 2.0).abs() < 0.05,
            "{mean} {var}"
        );
    }

    #[test]
    fn off_grid_times_are_rejected() {
        let err = CurrentSource::new(
            "sources.pulse",
            &Waveform::Dc {
                amplitude: 1.0,
                start: 0.15,
                stop: None,
            },
            0,
            vec![0],
            0.1,
            rng(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("sources.pulse.start") && err.contains("whole number"),
            "{err}"
        );
    }

    /// The currents of `sources` over `steps` steps, accumulated per neuron of a population
    /// of `n` as the network does (in source order).
    fn currents(sources: &mut [CurrentSource], n: usize, steps: u64) -> Vec<Vec<u64>> {
        (0..steps)
            .map(|t| {
                let mut c = vec![0.0f64; n];
                for s in sources.iter_mut() {
                    s.apply(t, |j, a| c[j as usize] += a);
                }
                c.iter().map(|x| x.to_bits()).collect()
            })
            .collect()
    }

    /// A DC source with per-neuron amplitudes gives, bit for bit, the currents of one DC
    /// source per neuron; so do the other deterministic waveforms with per-target values of
    /// each of their amplitude parameters (targets given out of order).
    #[test]
    fn per_target_values_equal_one_source_per_neuron() {
        let n = 7;
        let neurons: Vec<u32> = vec![5, 0, 3, 6, 1, 4, 2];
        let vals = |a: f64, b: f64| -> Vec<f64> {
            neurons.iter().map(|&j| a + b * f64::from(j)).collect()
        };
        let dc = Waveform::Dc {
            amplitude: 1.0,
            start: 0.2,
            stop: Some(1.0),
        };
        let step = Waveform::Step {
            times: vec![0.1, 0.4, 0.7],
            amplitudes: vec![1.0, -2.0, 0.5],
        };
        let pulses = Waveform::Pulses {
            amplitude: 2.0,
            start: 0.1,
            width: 0.2,
            period: 0.3,
            count: 3,
        };
        let ramp = Waveform::Ramp {
            from: 0.0,
            to: 1.0,
            start: 0.1,
            stop: 0.9,
        };
        let sine = Waveform::Sine {
            amplitude: 1.0,
            offset: 0.5,
            frequency: 700.0,
            phase: 30.0,
            start: 0.1,
            stop: None,
        };
        // (waveform, per-target values, the waveform of target j)
        type Own = Box<dyn Fn(u32) -> Waveform>;
        type PerTarget = Vec<(String, Vec<f64>)>;
        let cases: Vec<(Waveform, PerTarget, Own)> = vec![
            (
                dc.clone(),
                vec![("amplitude".into(), vals(0.3, 0.17))],
                Box::new(|j| Waveform::Dc {
                    amplitude: 0.3 + 0.17 * f64::from(j),
                    start: 0.2,
                    stop: Some(1.0),
                }),
            ),
            (
                step.clone(),
                vec![(
                    "amplitudes".into(),
                    neurons
                        .iter()
                        .flat_map(|&j| [1.0, -2.0 + 0.1 * f64::from(j), 0.5 * f64::from(j)])
                        .collect(),
                )],
                Box::new(|j| Waveform::Step {
                    times: vec![0.1, 0.4, 0.7],
                    amplitudes: vec![1.0, -2.0 + 0.1 * f64::from(j), 0.5 * f64::from(j)],
                }),
            ),
            (
                pulses.clone(),
                vec![("amplitude".into(), vals(-1.0, 0.5))],
                Box::new(|j| Waveform::Pulses {
                    amplitude: -1.0 + 0.5 * f64::from(j),
                    start: 0.1,
                    width: 0.2,
                    period: 0.3,
                    count: 3,
                }),
            ),
            (
                ramp.clone(),
                vec![("to".into(), vals(2.0, -0.3))],
                Box::new(|j| Waveform::Ramp {
                    from: 0.0,
                    to: 2.0 - 0.3 * f64::from(j),
                    start: 0.1,
                    stop: 0.9,
                }),
            ),
            (
                sine.clone(),
                vec![
                    ("amplitude".into(), vals(0.2, 0.13)),
                    ("offset".into(), vals(-0.1, 0.07)),
                ],
                Box::new(|j| Waveform::Sine {
                    amplitude: 0.2 + 0.13 * f64::from(j),
                    offset: -0.1 + 0.07 * f64::from(j),
                    frequency: 700.0,
                    phase: 30.0,
                    start: 0.1,
                    stop: None,
                }),
            ),
        ];
        for (w, per, own) in cases {
            let mut one =
                [
                    CurrentSource::new_per_target("s", &w, 0, neurons.clone(), &per, 0.1, rng())
                        .unwrap(),
                ];
            let mut each: Vec<CurrentSource> = (0..n as u32)
                .map(|j| CurrentSource::new("s", &own(j), 0, vec![j], 0.1, rng()).unwrap())
                .collect();
            let (a, b) = (currents(&mut one, n, 20), currents(&mut each, n, 20));
            assert_eq!(a, b, "{}", w.kind());
            assert!(a.iter().flatten().any(|&x| x != 0), "{}", w.kind());
        }
    }

    /// Random waveforms: per-target values all equal to the waveform's give the scalar
    /// source's currents bit for bit (the same draws); different values scale each target.
    #[test]
    fn random_waveforms_with_per_target_values() {
        let n = 50;
        let neurons: Vec<u32> = (0..n as u32).collect();
        let noise = Waveform::Noise {
            mean: 0.5,
            stdev: 0.2,
            dt: Some(0.2),
            start: 0.0,
            stop: None,
        };
        let pulses = Waveform::RandomPulses {
            amplitude: 3.0,
            probability: 0.2,
            start: 0.0,
            stop: None,
        };
        let pick = Waveform::RandomNeurons {
            amplitude: 3.0,
            count: 4,
            start: 0.0,
            stop: None,
        };
        for (w, per) in [
            (
                &noise,
                vec![
                    ("mean".to_string(), vec![0.5; n]),
                    ("stdev".to_string(), vec![0.2; n]),
                ],
            ),
            (&pulses, vec![("amplitude".to_string(), vec![3.0; n])]),
            (&pick, vec![("amplitude".to_string(), vec![3.0; n])]),
        ] {
            let mut plain = [CurrentSource::new("s", w, 0, neurons.clone(), 0.1, rng()).unwrap()];
            let mut per =
                [
                    CurrentSource::new_per_target("s", w, 0, neurons.clone(), &per, 0.1, rng())
                        .unwrap(),
                ];
            let a = currents(&mut plain, n, 200);
            assert_eq!(a, currents(&mut per, n, 200), "{}", w.kind());
        }
        // amplitude k·0.1 for target k: every hit of target k carries exactly that
        let amps: Vec<f64> = (0..n).map(|k| 0.1 * k as f64).collect();
        let mut s = CurrentSource::new_per_target(
            "s",
            &pulses,
            0,
            neurons.clone(),
            &[("amplitude".into(), amps.clone())],
            0.1,
            rng(),
        )
        .unwrap();
        let mut hits = 0;
        for t in 0..100 {
            s.apply(t, |j, a| {
                assert_eq!(a, amps[j as usize]);
                hits += 1;
            });
        }
        assert!(hits > 500, "{hits}");
    }

    #[test]
    fn bad_per_target_values_name_the_key() {
        let dc = Waveform::Dc {
            amplitude: 1.0,
            start: 0.0,
            stop: None,
        };
        let err = |w: &Waveform, neurons: Vec<u32>, per: Vec<(String, Vec<f64>)>| {
            CurrentSource::new_per_target("sources.b.waveform", w, 0, neurons, &per, 0.1, rng())
                .unwrap_err()
                .to_string()
        };
        let e = err(&dc, vec![0, 1], vec![("mean".into(), vec![1.0, 2.0])]);
        assert!(
            e.contains("sources.b.waveform.mean")
                && e.contains("takes per-target values of amplitude"),
            "{e}"
        );
        let e = err(&dc, vec![0, 1], vec![("amplitude".into(), vec![1.0])]);
        assert!(
            e.contains("sources.b.waveform.amplitude") && e.contains("one per target neuron: 2"),
            "{e}"
        );
        let e = err(
            &dc,
            vec![0, 1, 2],
            vec![("amplitude".into(), vec![1.0, f64::NAN, 0.0])],
        );
        assert!(e.contains("sources.b.waveform.amplitude[1]"), "{e}");
        let e = err(&dc, vec![4, 1, 4], vec![("amplitude".into(), vec![1.0; 3])]);
        assert!(e.contains("neuron 4 is a target twice"), "{e}");
        let noise = Waveform::Noise {
            mean: 0.0,
            stdev: 1.0,
            dt: None,
            start: 0.0,
            stop: None,
        };
        let e = err(&noise, vec![0, 1], vec![("stdev".into(), vec![1.0, -1.0])]);
        assert!(
            e.contains("sources.b.waveform.stdev[1]") && e.contains("≥ 0"),
            "{e}"
        );
        let step = Waveform::Step {
            times: vec![0.0, 1.0],
            amplitudes: vec![1.0, 2.0],
        };
        assert_eq!(step.per_target_len("amplitudes", 3), Some(6));
        let e = err(
            &step,
            vec![0, 1, 2],
            vec![("amplitudes".into(), vec![1.0; 3])],
        );
        assert!(e.contains("needs 6 values (2 per target neuron"), "{e}");
    }

    #[test]
    fn poisson_rate_and_spike_array() {
        let p = PoissonParams {
            rate: 50.0,
            ..Default::default()
        };
        let mut src = PoissonSource::new(&p, 100, 0.1, rng()).unwrap();
        let mut spikes = Vec::new();
        for _ in 0..10_000 {
            src.step(&mut [], &[], &mut spikes);
        }
        // 100 neurons × 1 s × 50 Hz = 5000 ± 5 sd
        assert!(
            (spikes.len() as f64 - 5000.0).abs() < 5.0 * 5000f64.sqrt(),
            "{}",
            spikes.len()
        );
        // per-neuron rates (thinning): 0, 2, 20 and 80 Hz, 250 neurons each, 10 s at 0.1 ms;
        // counts within 5 sd of rate × 2500 neuron-seconds, per group
        let mut src = PoissonSource::new(&p, 1000, 0.1, rng()).unwrap();
        let rates = [0.0, 2.0, 20.0, 80.0];
        for (i, r) in src.rate.iter_mut().enumerate() {
            *r = rates[i / 250];
        }
        let mut counts = [0u64; 4];
        let mut s = Vec::new();
        for _ in 0..100_000 {
            s.clear();
            src.step(&mut [], &[], &mut s);
            for &k in &s {
                counts[k as usize / 250] += 1;
            }
        }
        for (g, &r) in rates.iter().enumerate() {
            let want = r * 2500.0;
            let got = counts[g] as f64;
            assert!(
                (got - want).abs() <= 5.0 * want.sqrt(),
                "{r} Hz: {got} vs {want}"
            );
        }
        let a = SpikeArrayParams {
            spike_times: vec![vec![0.2, 0.5], vec![0.2]],
        };
        let mut src = SpikeArraySource::new(&a, 0, 2, 0.1).unwrap();
        let mut out = Vec::new();
        for t in 0..7 {
            let mut s = Vec::new();
            src.step(&mut [], &[], &mut s);
            out.push((t, s));
        }
        assert_eq!(out[2].1, vec![0, 1]);
        assert_eq!(out[5].1, vec![0]);
        assert!(out[0].1.is_empty() && out[6].1.is_empty());
    }
}
