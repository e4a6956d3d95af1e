//! Izhikevich 2006 "Polychronization" (spnet.cpp, ModelDB 115968) for up to hours of
//! biological time.
//!
//! The network is spnet's, built exactly ([`crate::spiking::benchmarks::izh06`]): 800
//! regular-spiking excitatory and 200 fast-spiking inhibitory Izhikevich neurons (dt 1 ms,
//! two 0.5 ms half steps for v, then u), 100 distinct targets per neuron (inhibitory →
//! excitatory only), excitatory delays 1…20 ms with 5 synapses per delay, inhibitory 1 ms,
//! weights 6 (plastic, [0, 10]) and −5, one thalamic input of 20 per ms (to exactly one random neuron, as spnet; `thalamic = "bernoulli"` gives each neuron the input with probability 1/n), and the
//! `izhikevich2006` STDP rule on the excitatory synapses.
//!
//! The run reports what spnet's readme and paper describe and what `spiking.md` §2 measured
//! with spnet itself: excitatory and inhibitory rates per window, the excitatory weight
//! distribution (bimodal after learning), and the spectrum of the population rate (all
//! neurons, 1 ms bins) in the first and the last `spectrum_s` seconds: a gamma rhythm
//! (≈ 30–40 Hz) emerges with learning. A spectrum is the raw periodogram of the
//! mean-subtracted spike count per ms at 1/`spectrum_s` Hz resolution (a direct DFT of the
//! 0–100 Hz range). `spectrum_first` / `spectrum_last` are those of the excitatory
//! population's rate: it reproduces both of spiking.md §2's gamma shares (0.09 early, ≈ 0.5
//! after learning), so it is the signal the reference measured; the spectra of all neurons
//! and of the inhibitory ones are reported beside it (excitatory and inhibitory volleys are
//! phase-shifted, so the sum has a weaker 30–50 Hz share than either).

use serde::{Deserialize, Serialize};

use crate::spiking::benchmarks::izh06_with;
use crate::spiking::plasticity::{Izhikevich2006Params, PlasticitySpec};
use crate::{ensure, Result};

mod engine;
pub use engine::{run, Run};

/// Parameters of the `polychronization` protocol (defaults: spnet, one hour).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Number of neurons (80 % excitatory).
    pub n: usize,
    /// Biological time, s (whole seconds: spnet's weight update runs every second).
    pub duration_s: u64,
    /// The excitatory STDP rule (spnet's values by default).
    pub stdp: Izhikevich2006Params,
    /// Windows `[from, to]` (s) whose mean excitatory and inhibitory rates are reported
    /// (windows reaching past the end are cut, windows starting after it are left out).
    pub rate_windows_s: Vec<[u64; 2]>,
    /// Length of the first and last window whose population-rate spectrum is computed, s.
    pub spectrum_s: u64,
    /// Spikes of the first and last `raster_s` seconds are kept for the rasters.
    pub raster_s: u64,
    /// The random thalamic input of 20 (model units).
    pub thalamic: Thalamic,
}

/// How the thalamic input is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Thalamic {
    /// Exactly one random neuron per ms (spnet).
    #[default]
    OnePerMs,
    /// Each neuron independently with probability 1/n per ms (Brian2's benchmark script,
    /// `neuroplast bench izh06`).
    Bernoulli,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            n: 1000,
            duration_s: 3600,
            stdp: Izhikevich2006Params::default(),
            rate_windows_s: vec![[0, 10], [10, 60], [60, 300], [300, 1200], [3000, 3600]],
            spectrum_s: 10,
            raster_s: 1,
            thalamic: Thalamic::OnePerMs,
        }
    }
}

impl Params {
    /// Check the parameters; `path` is the key path of the table.
    pub fn validate(&self, path: &str) -> Result<()> {
        ensure!(
            self.n >= 10,
            format!("{path}.n"),
            "must be ≥ 10 neurons, got {}",
            self.n
        );
        ensure!(
            self.duration_s >= 1,
            format!("{path}.duration_s"),
            "must be ≥ 1 s, got 0"
        );
        ensure!(
            (1..=self.duration_s).contains(&self.spectrum_s),
            format!("{path}.spectrum_s"),
            "must be 1 … duration_s ({}) s, got {} (10 by default: runs shorter than 10 s need spectrum_s ≤ duration_s)",
            self.duration_s,
            self.spectrum_s
        );
        ensure!(
            self.raster_s <= self.duration_s,
            format!("{path}.raster_s"),
            "must be ≤ duration_s ({}) s, got {}",
            self.duration_s,
            self.raster_s
        );
        for (k, w) in self.rate_windows_s.iter().enumerate() {
            ensure!(
                w[0] < w[1],
                format!("{path}.rate_windows_s[{k}]"),
                "needs from < to, got [{}, {}]",
                w[0],
                w[1]
            );
        }
        PlasticitySpec::Izhikevich2006(self.stdp.clone()).validate(&format!("{path}.stdp"), 1.0)?;
        ensure!(
            self.stdp.update_every_ms == 1000.0,
            format!("{path}.stdp.update_every_ms"),
            "must be 1000 ms here (spnet updates weights once a second), got {}",
            self.stdp.update_every_ms
        );
        Ok(())
    }
}

/// Mean rates of one window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowRate {
    /// Start, s.
    pub from_s: u64,
    /// End, s.
    pub to_s: u64,
    /// Mean excitatory rate, Hz.
    pub exc_hz: f64,
    /// Mean inhibitory rate, Hz.
    pub inh_hz: f64,
}

/// Statistics of the excitatory weights (spnet's bounds [0, 10]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightStats {
    /// Mean weight.
    pub mean: f64,
    /// Fraction below 1.
    pub frac_lt_1: f64,
    /// Fraction above 9.
    pub frac_gt_9: f64,
    /// Fraction in [2, 8].
    pub frac_2_to_8: f64,
    /// Fraction at exactly 0.
    pub frac_eq_0: f64,
    /// Fraction at exactly 10.
    pub frac_eq_10: f64,
    /// Counts in the bins [0, 1), [1, 2), …, [9, 10].
    pub hist_1unit: Vec<u64>,
}

impl WeightStats {
    /// The statistics of `w`.
    pub fn of(w: &[f64]) -> WeightStats {
        let n = w.len().max(1) as f64;
        let frac = |f: &dyn Fn(f64) -> bool| w.iter().filter(|&&x| f(x)).count() as f64 / n;
        let mut hist = vec![0u64; 10];
        for &x in w {
            hist[(x.max(0.0) as usize).min(9)] += 1;
        }
        WeightStats {
            mean: w.iter().sum::<f64>() / n,
            frac_lt_1: frac(&|x| x < 1.0),
            frac_gt_9: frac(&|x| x > 9.0),
            frac_2_to_8: frac(&|x| (2.0..=8.0).contains(&x)),
            frac_eq_0: frac(&|x| x == 0.0),
            frac_eq_10: frac(&|x| x == 10.0),
            hist_1unit: hist,
        }
    }
}

/// Spectrum of the population rate in one window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spectrum {
    /// Start of the window, s.
    pub from_s: u64,
    /// End of the window, s.
    pub to_s: u64,
    /// Frequencies, Hz: 1/`spectrum_s` … 100 Hz. Neither this nor `power` is part of the
    /// figures (summary.json) or of a checkpoint: a restored complete run has them empty.
    #[serde(skip)]
    pub freq_hz: Vec<f64>,
    /// Periodogram (arbitrary units) at `freq_hz`.
    #[serde(skip)]
    pub power: Vec<f64>,
    /// Frequency of the largest power in 20–100 Hz.
    pub peak_20_100_hz: f64,
    /// Frequency of the largest power in 0.5–10 Hz.
    pub peak_0_5_10_hz: f64,
    /// Share of the 1–100 Hz power in 30–50 Hz (spiking.md §2's "gamma share").
    pub share_30_50: f64,
    /// Share of the 1–100 Hz power in 25–50 Hz (issue 6's band).
    pub share_25_50: f64,
}

impl Spectrum {
    /// The periodogram of `counts` (spikes per 1 ms bin) for 0 < f ≤ 100 Hz.
    pub fn of(counts: &[u32], from_s: u64) -> Spectrum {
        let n = counts.len();
        let mean = counts.iter().map(|&c| c as f64).sum::<f64>() / n.max(1) as f64;
        let x: Vec<f64> = counts.iter().map(|&c| c as f64 - mean).collect();
        let df = 1000.0 / n as f64;
        let kmax = ((100.0 / df).floor() as usize).min(n / 2);
        let (mut freq_hz, mut power) = (Vec::with_capacity(kmax), Vec::with_capacity(kmax));
        for k in 1..=kmax {
            // rotate by a recurrence per k, re-anchored every 1024 samples for accuracy
            let w = -2.0 * std::f64::consts::PI * k as f64 / n as f64;
            let (mut re, mut im) = (0.0, 0.0);
            let (s1, c1) = w.sin_cos();
            let (mut c, mut s) = (1.0f64, 0.0f64);
            for (t, &v) in x.iter().enumerate() {
                if t % 1024 == 0 {
                    (s, c) = (w * t as f64).sin_cos();
                }
                re += v * c;
                im += v * s;
                (c, s) = (c * c1 - s * s1, s * c1 + c * s1);
            }
            freq_hz.push(k as f64 * df);
            power.push((re * re + im * im) / n as f64);
        }
        let band = |lo: f64, hi: f64| -> f64 {
            freq_hz
                .iter()
                .zip(&power)
                .filter(|(&f, _)| f >= lo && f <= hi)
                .map(|(_, &p)| p)
                .sum()
        };
        let peak = |lo: f64, hi: f64| -> f64 {
            freq_hz
                .iter()
                .zip(&power)
                .filter(|(&f, _)| f >= lo && f <= hi)
                .fold((f64::NAN, f64::NEG_INFINITY), |best, (&f, &p)| {
                    if p > best.1 {
                        (f, p)
                    } else {
                        best
                    }
                })
                .0
        };
        let total = band(1.0, 100.0).max(1e-300);
        Spectrum {
            from_s,
            to_s: from_s + (n / 1000) as u64,
            peak_20_100_hz: peak(20.0, 100.0),
            peak_0_5_10_hz: peak(0.5, 10.0),
            share_30_50: band(30.0, 50.0) / total,
            share_25_50: band(25.0, 50.0) / total,
            freq_hz,
            power,
        }
    }
}

/// Spikes of a window, for a raster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Raster {
    /// Step (ms) of each spike.
    pub steps: Vec<u64>,
    /// Neuron of each spike (excitatory first).
    pub ids: Vec<u32>,
}

/// The acceptance figures of a run (summary.json's `results`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Neurons, excitatory neurons.
    pub n: usize,
    /// Excitatory neurons.
    pub ne: usize,
    /// Simulated time, s.
    pub duration_s: u64,
    /// Mean rates per window.
    pub rates: Vec<WindowRate>,
    /// Excitatory weights at the start.
    pub weights_initial: WeightStats,
    /// Excitatory weights at the end.
    pub weights_final: WeightStats,
    /// Spectrum of the excitatory rate in the first window.
    pub spectrum_first: Spectrum,
    /// Spectrum of the excitatory rate in the last window.
    pub spectrum_last: Spectrum,
    /// Spectrum of the rate of all neurons in the first window.
    pub spectrum_first_all: Spectrum,
    /// Spectrum of the rate of all neurons in the last window.
    pub spectrum_last_all: Spectrum,
    /// Spectrum of the inhibitory rate in the last window.
    pub spectrum_last_inh: Spectrum,
    /// Synaptic events (spikes × targets).
    pub synaptic_events: u64,
    /// Spike hash of the run (equal for equal seeds and parameters).
    pub spike_hash: String,
    /// Wall time of the simulation, s.
    pub simulation_seconds: f64,
    /// Simulated / wall time.
    pub realtime_factor: f64,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Acceptance figures.
    pub summary: Summary,
    /// Mean excitatory rate of each second, Hz.
    pub rate_exc_per_s: Vec<f64>,
    /// Mean inhibitory rate of each second, Hz.
    pub rate_inh_per_s: Vec<f64>,
    /// Final excitatory weights.
    pub weights: Vec<f64>,
    /// Excitatory spikes per ms in the first spectrum window.
    pub counts_first_exc: Vec<u32>,
    /// Inhibitory spikes per ms in the first spectrum window.
    pub counts_first_inh: Vec<u32>,
    /// Excitatory spikes per ms in the last spectrum window.
    pub counts_last_exc: Vec<u32>,
    /// Inhibitory spikes per ms in the last spectrum window.
    pub counts_last_inh: Vec<u32>,
    /// Spikes of the first `raster_s` seconds.
    pub raster_first: Raster,
    /// Spikes of the last `raster_s` seconds.
    pub raster_last: Raster,
}

/// Element-wise sum of two count series.
pub fn sum(a: &[u32], b: &[u32]) -> Vec<u32> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pure 40 Hz sine in 1 ms bins: the peak is at 40 Hz and (almost) all the power is in
    /// 30–50 Hz.
    #[test]
    fn spectrum_of_a_sine() {
        let counts: Vec<u32> = (0..10_000)
            .map(|t| {
                (50.0 + 40.0 * (2.0 * std::f64::consts::PI * 40.0 * t as f64 / 1000.0).sin())
                    .round() as u32
            })
            .collect();
        let s = Spectrum::of(&counts, 0);
        assert_eq!(s.freq_hz.len(), 1000);
        assert!((s.freq_hz[0] - 0.1).abs() < 1e-12);
        assert!(
            (s.peak_20_100_hz - 40.0).abs() < 1e-9,
            "{}",
            s.peak_20_100_hz
        );
        assert!(s.share_30_50 > 0.99, "{}", s.share_30_50);
    }

    #[test]
    fn weight_stats_by_hand() {
        let w = [0.0, 0.5, 3.0, 9.5, 10.0];
        let s = WeightStats::of(&w);
        assert_eq!(s.hist_1unit, vec![2, 0, 0, 1, 0, 0, 0, 0, 0, 2]);
        assert!((s.mean - 4.6).abs() < 1e-12);
        assert!((s.frac_lt_1 - 0.4).abs() < 1e-12);
        assert!((s.frac_gt_9 - 0.4).abs() < 1e-12);
        assert!((s.frac_2_to_8 - 0.2).abs() < 1e-12);
        assert!((s.frac_eq_0 - 0.2).abs() < 1e-12 && (s.frac_eq_10 - 0.2).abs() < 1e-12);
    }

    /// Bad values name their key path.
    #[test]
    fn validation_names_keys() {
        let bad = Params {
            spectrum_s: 0,
            ..Default::default()
        };
        let e = bad.validate("protocol").unwrap_err().to_string();
        assert!(e.contains("protocol.spectrum_s"), "{e}");
        let bad = Params {
            rate_windows_s: vec![[5, 5]],
            ..Default::default()
        };
        let e = bad.validate("protocol").unwrap_err().to_string();
        assert!(e.contains("protocol.rate_windows_s[0]"), "{e}");
    }
}
