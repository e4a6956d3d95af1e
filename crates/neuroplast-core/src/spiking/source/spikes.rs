//! Spike sources that behave as populations: Poisson trains and explicit spike times.

use rand::Rng as _;
use serde::{Deserialize, Serialize};

use super::whole_steps;
use crate::rng::Rng;
use crate::spiking::neuron::{NeuronModel, Receptor};
use crate::{ensure, Result};

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
    pub(super) rate: Vec<f64>,
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

impl crate::spiking::neuron::BuiltinModel for PoissonSource {
    type Params = PoissonParams;

    fn carry_from(&mut self, old: &Self) {
        crate::spiking::neuron::carry_named(self, old);
        self.rng.clone_from(&old.rng);
        self.t = old.t;
        // rate changes already made stay made
        self.next_change = self.changes.partition_point(|&(at, _)| at < old.t);
    }

    fn validate(params: &PoissonParams, path: &str) -> Result<()> {
        params.validate(path)
    }

    fn build(
        params: &PoissonParams,
        n: usize,
        ctx: crate::spiking::neuron::Build<'_>,
    ) -> Result<Self> {
        let mut src = PoissonSource::new(params, n, ctx.dt_ms, ctx.rng)?;
        for (name, values) in ctx.per_neuron {
            debug_assert_eq!(name, "rate", "checked against ParamTable::NAMES");
            crate::spiking::neuron::check_rates("params.rate", values, ctx.offset)?;
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
            crate::spiking::bernoulli_hits(self.rate.len() as u64, p_max, &mut self.rng, |k| {
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
        crate::spiking::bernoulli_hits(rate.len() as u64, p_max, rng, |k| {
            candidates.push(k as u32)
        });
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

impl crate::spiking::neuron::BuiltinModel for SpikeArraySource {
    type Params = SpikeArrayParams;

    fn carry_from(&mut self, old: &Self) {
        crate::spiking::neuron::carry_named(self, old);
        self.t = old.t;
        // spikes before the change's step are past
        self.next = self.events.partition_point(|&(step, _)| step < old.t);
    }

    fn validate(_: &SpikeArrayParams, _: &str) -> Result<()> {
        Ok(())
    }

    fn build(
        params: &SpikeArrayParams,
        n: usize,
        ctx: crate::spiking::neuron::Build<'_>,
    ) -> Result<Self> {
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
