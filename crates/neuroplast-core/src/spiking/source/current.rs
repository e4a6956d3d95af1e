//! Current generators: a [`Waveform`] compiled to step indices, injected into neurons.

use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::{whole_steps, Waveform};
use crate::rng::Rng;
use crate::{ensure, Result};

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
    /// Take the waveform of `new` (the same targets, compiled from changed parameters) from
    /// the next step on, keeping this source's random stream and held noise values; `false`
    /// when nothing differs.
    pub fn retune(&mut self, new: CurrentSource) -> bool {
        if self.kind == new.kind && self.per_target == new.per_target {
            return false;
        }
        self.kind = new.kind;
        self.per_target = new.per_target;
        true
    }

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

    /// A `noise` source's current into each target (in the order of `neurons`) over its draw
    /// period that holds the last step run; `None` for other waveforms. Zero before the first
    /// draw; outside `start..stop` the source adds nothing, whatever this holds.
    pub fn noise_values(&self) -> Option<&[f64]> {
        matches!(self.kind, Compiled::Noise { .. }).then_some(self.held.as_slice())
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
                crate::spiking::bernoulli_hits(neurons.len() as u64, probability, rng, |k| {
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
                    crate::spiking::bernoulli_hits(neurons.len() as u64, probability, rng, |k| {
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
