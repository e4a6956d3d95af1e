//! Spike statistics on a binary raster: the `sorn` package's `Statistics`
//! (`shared/reference/sorn.md` §7.1), done correctly.
//!
//! A [`Raster`] holds x_i(t) ∈ {0, 1} for `steps` time steps (rows) and `units` units
//! (columns), row-major by time. Times are step indices counted from the raster's first step;
//! rates are in spikes per unit per step. Means, variances and standard deviations are
//! population moments (divide by n, numpy's default `ddof=0`).
//!
//! Where this module differs from `sorn` 0.7.4 on purpose:
//!
//! | function | `sorn` 0.7.4 | here |
//! |---|---|---|
//! | [`mean_pairwise_correlation`] | sum of the N×N matrix / 200 / 200: 200 hard-coded, diagonal included, NaN with a silent unit | mean over distinct pairs i < j of units that are neither silent nor always active, any N |
//! | [`autocorrelation`] | the 2×2 matrix of `corrcoef(fr[:−t], fr[t:])` | the scalar Pearson coefficient |
//! | [`inter_spike_intervals`] | `diff` of `np.where` output: on a 2-D train it diffs unit indices | per-unit ISIs in steps |
//! | [`fano_factor`] | `window_size` is the number of windows and T must divide by it | window given by its length in steps; full windows only |
//! | [`spike_source_entropy`] | NaN as soon as one unit is silent (0·ln 0) | silent units contribute 0 (the limit p ln p → 0) |

use crate::{Error, Result};

/// A binary spike raster: `data[t * units + i]` is 1 if unit i spiked at step t, else 0.
///
/// Invariants (checked by the constructors): `steps ≥ 1`, `units ≥ 1`,
/// `data.len() == steps * units`, every entry 0 or 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raster {
    steps: usize,
    units: usize,
    data: Vec<u8>,
}

impl Raster {
    /// A raster from its row-major data (time-major: row t is step t).
    ///
    /// Errors: `steps` or `units` zero, a length other than `steps · units`, or an entry other
    /// than 0 or 1 (`analysis.raster.*`).
    pub fn new(steps: usize, units: usize, data: Vec<u8>) -> Result<Self> {
        check_shape(steps, units)?;
        if data.len() != steps * units {
            return Err(Error::ShapeMismatch {
                what: "analysis.raster.data".into(),
                expected: format!("{steps}·{units} = {}", steps * units),
                got: data.len().to_string(),
            });
        }
        if let Some(k) = data.iter().position(|&v| v > 1) {
            return Err(Error::config(
                "analysis.raster.data",
                format!("entry {k} is {}: a raster holds 0 or 1", data[k]),
            ));
        }
        Ok(Raster { steps, units, data })
    }

    /// A raster of steps `first_step … first_step + n_steps − 1` from spike events
    /// (`steps[k]`, `ids[k]`), e.g. a monitor's `SpikeEvents`. Events outside the step window
    /// are ignored; a repeated event is stored once.
    ///
    /// Errors: `steps` and `ids` of different lengths, an id ≥ `n_units`, or `n_steps` or
    /// `n_units` zero (`analysis.raster.*`).
    pub fn from_events(
        steps: &[u64],
        ids: &[u32],
        first_step: u64,
        n_steps: usize,
        n_units: usize,
    ) -> Result<Self> {
        check_shape(n_steps, n_units)?;
        if steps.len() != ids.len() {
            return Err(Error::ShapeMismatch {
                what: "analysis.raster.ids".into(),
                expected: format!("{} (the number of steps)", steps.len()),
                got: ids.len().to_string(),
            });
        }
        let mut data = vec![0u8; n_steps * n_units];
        for (&s, &id) in steps.iter().zip(ids) {
            if id as usize >= n_units {
                return Err(Error::config(
                    "analysis.raster.ids",
                    format!("unit id {id} at step {s} is ≥ n_units = {n_units}"),
                ));
            }
            if s < first_step || s - first_step >= n_steps as u64 {
                continue;
            }
            data[(s - first_step) as usize * n_units + id as usize] = 1;
        }
        Ok(Raster {
            steps: n_steps,
            units: n_units,
            data,
        })
    }

    /// Number of time steps (rows).
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Number of units (columns).
    pub fn units(&self) -> usize {
        self.units
    }

    /// The row-major data, `steps · units` entries of 0 or 1.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The states of all units at step `t` (panics if `t ≥ steps`, like slice indexing).
    pub fn row(&self, t: usize) -> &[u8] {
        &self.data[t * self.units..(t + 1) * self.units]
    }

    /// Spike count of every unit over the whole raster.
    pub fn spike_counts(&self) -> Vec<u64> {
        let mut counts = vec![0u64; self.units];
        for row in self.data.chunks_exact(self.units) {
            for (c, &v) in counts.iter_mut().zip(row) {
                *c += u64::from(v);
            }
        }
        counts
    }
}

fn check_shape(steps: usize, units: usize) -> Result<()> {
    if steps == 0 || units == 0 {
        return Err(Error::config(
            "analysis.raster",
            format!("needs ≥ 1 step and ≥ 1 unit, got {steps} steps × {units} units"),
        ));
    }
    if steps.checked_mul(units).is_none() {
        return Err(Error::config(
            "analysis.raster",
            format!("{steps} steps × {units} units overflows"),
        ));
    }
    Ok(())
}

/// Mean firing rate of every unit: spikes / steps, in spikes per step.
/// (`sorn`'s `firing_rate_neuron` returns this times its `bin_size`.)
pub fn firing_rates(r: &Raster) -> Vec<f64> {
    let t = r.steps as f64;
    r.spike_counts().into_iter().map(|c| c as f64 / t).collect()
}

/// Mean firing rate of the network: all spikes / (steps · units), in spikes per unit per step.
pub fn network_firing_rate(r: &Raster) -> f64 {
    let total: u64 = r.data.iter().map(|&v| u64::from(v)).sum();
    total as f64 / (r.steps as f64 * r.units as f64)
}

/// Number of active units at every step (`sorn`'s `firing_rate_network`), length `steps`.
pub fn network_activity(r: &Raster) -> Vec<u32> {
    r.data
        .chunks_exact(r.units)
        .map(|row| row.iter().map(|&v| u32::from(v)).sum())
        .collect()
}

/// Population mean and variance.
fn mean_var(x: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (n, sum) = x.clone().fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    let mean = sum / n as f64;
    let var = x.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
    (mean, var)
}

/// Scale-dependent smoothness: the population standard deviation of the first differences,
/// std(diff(series)), in the series' units per step. `None` for fewer than 2 values.
pub fn smoothness(series: &[f64]) -> Option<f64> {
    if series.len() < 2 {
        return None;
    }
    let (_, var) = mean_var(series.windows(2).map(|w| w[1] - w[0]));
    Some(var.sqrt())
}

/// Pearson correlation coefficient of two equally long series; `None` if they differ in length,
/// have fewer than 2 values, or either has zero variance.
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    let (ma, va) = mean_var(a.iter().copied());
    let (mb, vb) = mean_var(b.iter().copied());
    if va <= 0.0 || vb <= 0.0 {
        return None;
    }
    let cov = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / a.len() as f64;
    Some((cov / (va * vb).sqrt()).clamp(-1.0, 1.0))
}

/// Lag-`lag` autocorrelation as a scalar: [`pearson`] of `series[..n − lag]` and
/// `series[lag..]` (steps). `None` if fewer than 2 pairs remain or a segment is constant.
pub fn autocorrelation(series: &[f64], lag: usize) -> Option<f64> {
    if lag >= series.len() {
        return None;
    }
    pearson(&series[..series.len() - lag], &series[lag..])
}

/// Mean Pearson correlation of the spike trains x_i(t), x_j(t) over all distinct pairs i < j of
/// units that are neither silent nor active at every step (their correlation is undefined).
/// `None` if fewer than 2 such units.
///
/// For binary trains with p_i = n_i/T and co-spike count n_ij:
/// r_ij = (n_ij/T − p_i p_j) / √(p_i(1−p_i) p_j(1−p_j)). Co-spike counts are accumulated per
/// step over the active units only, O(Σ_t k_t²) time and K(K−1)/2 · 4 bytes for K kept units.
pub fn mean_pairwise_correlation(r: &Raster) -> Option<f64> {
    let counts = r.spike_counts();
    let t_steps = r.steps as u64;
    // Index among the kept units, or usize::MAX.
    let mut slot = vec![usize::MAX; r.units];
    let mut kept = Vec::new();
    for (i, &c) in counts.iter().enumerate() {
        if c > 0 && c < t_steps {
            slot[i] = kept.len();
            kept.push(i);
        }
    }
    let k = kept.len();
    if k < 2 {
        return None;
    }
    // Upper triangle (a < b) of co-spike counts, row a at offset a·k − a(a+1)/2 − a − 1 + b.
    let offset = |a: usize, b: usize| a * k - a * (a + 1) / 2 + (b - a - 1);
    let mut co = vec![0u32; k * (k - 1) / 2];
    let mut active = Vec::with_capacity(k);
    for row in r.data.chunks_exact(r.units) {
        active.clear();
        active.extend(
            row.iter()
                .zip(&slot)
                .filter(|(&v, &s)| v == 1 && s != usize::MAX)
                .map(|(_, &s)| s),
        );
        for (x, &a) in active.iter().enumerate() {
            for &b in &active[x + 1..] {
                co[offset(a, b)] += 1;
            }
        }
    }
    let t = r.steps as f64;
    let p: Vec<f64> = kept.iter().map(|&i| counts[i] as f64 / t).collect();
    let sd: Vec<f64> = p.iter().map(|&q| (q * (1.0 - q)).sqrt()).collect();
    let mut sum = 0.0;
    for a in 0..k {
        for b in a + 1..k {
            let cov = co[offset(a, b)] as f64 / t - p[a] * p[b];
            sum += cov / (sd[a] * sd[b]);
        }
    }
    Some(sum / (k * (k - 1) / 2) as f64)
}

/// Spike times of every unit: the steps (counted from the raster's first step) at which it
/// spiked, ascending. `result[i]` belongs to unit i.
pub fn spike_times(r: &Raster) -> Vec<Vec<u64>> {
    let mut times = vec![Vec::new(); r.units];
    for (t, row) in r.data.chunks_exact(r.units).enumerate() {
        for (i, &v) in row.iter().enumerate() {
            if v == 1 {
                times[i].push(t as u64);
            }
        }
    }
    times
}

/// Inter-spike intervals of every unit, in steps: the differences of consecutive
/// [`spike_times`] of the same unit (k spikes give k − 1 intervals).
pub fn inter_spike_intervals(r: &Raster) -> Vec<Vec<u64>> {
    spike_times(r)
        .into_iter()
        .map(|ts| ts.windows(2).map(|w| w[1] - w[0]).collect())
        .collect()
}

/// Coefficient of variation of every unit's ISIs, std/mean (population std, dimensionless);
/// `None` for a unit with fewer than 2 intervals (fewer than 3 spikes).
pub fn isi_cv(r: &Raster) -> Vec<Option<f64>> {
    inter_spike_intervals(r)
        .into_iter()
        .map(|isi| {
            if isi.len() < 2 {
                return None;
            }
            let (mean, var) = mean_var(isi.iter().map(|&v| v as f64));
            Some(var.sqrt() / mean)
        })
        .collect()
}

/// Hamming distance at every step: the number of units whose state differs between `a` and
/// `b` (e.g. a run and its perturbed copy).
///
/// Errors: rasters of different shapes (`analysis.hamming_distance`).
pub fn hamming_distance(a: &Raster, b: &Raster) -> Result<Vec<u32>> {
    if a.steps != b.steps || a.units != b.units {
        return Err(Error::ShapeMismatch {
            what: "analysis.hamming_distance".into(),
            expected: format!("{} steps × {} units", a.steps, a.units),
            got: format!("{} steps × {} units", b.steps, b.units),
        });
    }
    Ok(a.data
        .chunks_exact(a.units)
        .zip(b.data.chunks_exact(b.units))
        .map(|(x, y)| x.iter().zip(y).map(|(u, v)| u32::from(u != v)).sum())
        .collect())
}

/// Statistics of spike trains given as events, in ms and Hz ([`train_statistics`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TrainStatistics {
    /// Spikes per second of each neuron over the window.
    pub rates_hz: Vec<f64>,
    /// Mean over neurons of `rates_hz`.
    pub mean_rate_hz: f64,
    /// Coefficient of variation of each neuron's inter-spike intervals, std/mean (population
    /// std); `None` below 3 spikes.
    pub isi_cv: Vec<Option<f64>>,
    /// Fano factor (variance / mean) of the population's spike count in consecutive bins;
    /// `None` without spikes or with fewer than 2 full bins.
    pub population_fano: Option<f64>,
}

/// Rates, ISI CVs and the population Fano factor of spike events (`steps[k]`, `ids[k]`) of
/// `n_units` neurons in steps `first_step ≤ t < first_step + n_steps` of `dt_ms`, population
/// counts in bins of `bin_steps` (events outside the window are left out).
///
/// Errors (`analysis.spike_trains.*`): lengths that differ, an id ≥ `n_units`, an empty
/// window, `dt_ms` not > 0, `bin_steps` = 0.
pub fn train_statistics(
    steps: &[u64],
    ids: &[u32],
    first_step: u64,
    n_steps: u64,
    n_units: usize,
    dt_ms: f64,
    bin_steps: u64,
) -> Result<TrainStatistics> {
    let path = "analysis.spike_trains";
    if steps.len() != ids.len() {
        return Err(Error::ShapeMismatch {
            what: format!("{path}.ids"),
            expected: format!("{} (one per spike time)", steps.len()),
            got: ids.len().to_string(),
        });
    }
    crate::ensure!(n_units > 0, format!("{path}.n"), "must be ≥ 1 neuron");
    crate::ensure!(
        n_steps > 0,
        format!("{path}.t_stop_ms"),
        "the window is empty"
    );
    crate::ensure!(
        dt_ms.is_finite() && dt_ms > 0.0,
        format!("{path}.dt_ms"),
        "must be > 0 ms, got {dt_ms}"
    );
    crate::ensure!(
        bin_steps > 0,
        format!("{path}.bin_ms"),
        "must be at least one step"
    );
    let mut trains: Vec<Vec<u64>> = vec![Vec::new(); n_units];
    let bins = (n_steps / bin_steps) as usize;
    let mut counts = vec![0u64; bins];
    for (&t, &id) in steps.iter().zip(ids) {
        crate::ensure!(
            (id as usize) < n_units,
            format!("{path}.ids"),
            "neuron {id} is ≥ n = {n_units}"
        );
        if t < first_step || t - first_step >= n_steps {
            continue;
        }
        trains[id as usize].push(t);
        if let Some(c) = counts.get_mut(((t - first_step) / bin_steps) as usize) {
            *c += 1;
        }
    }
    let seconds = n_steps as f64 * dt_ms / 1000.0;
    let rates_hz: Vec<f64> = trains.iter().map(|t| t.len() as f64 / seconds).collect();
    let isi_cv = trains
        .iter_mut()
        .map(|t| {
            t.sort_unstable();
            if t.len() < 3 {
                return None;
            }
            let (mean, var) = mean_var(t.windows(2).map(|w| (w[1] - w[0]) as f64));
            Some(var.sqrt() / mean)
        })
        .collect();
    let population_fano = if bins >= 2 {
        let (mean, var) = mean_var(counts.iter().map(|&c| c as f64));
        (mean > 0.0).then(|| var / mean)
    } else {
        None
    };
    Ok(TrainStatistics {
        mean_rate_hz: rates_hz.iter().sum::<f64>() / n_units as f64,
        rates_hz,
        isi_cv,
        population_fano,
    })
}

/// Fano factor of one unit's spike counts in consecutive windows.
#[derive(Clone, Debug, PartialEq)]
pub struct FanoFactor {
    /// Number of full windows used.
    pub windows: usize,
    /// Mean spike count per window.
    pub mean: f64,
    /// Population variance of the spike counts per window (spikes²).
    pub variance: f64,
    /// variance / mean (dimensionless); `None` if the unit is silent in the full windows.
    pub fano: Option<f64>,
}

/// Fano factor of unit `unit`'s spike counts in consecutive windows of `window` steps,
/// starting at step 0. Only the ⌊steps/window⌋ full windows are used; the last
/// steps % window steps are left out.
///
/// Errors (`analysis.fano_factor.*`): `unit` ≥ units, `window` = 0, or fewer than 2 full windows.
pub fn fano_factor(r: &Raster, unit: usize, window: usize) -> Result<FanoFactor> {
    if unit >= r.units {
        return Err(Error::config(
            "analysis.fano_factor.unit",
            format!("unit {unit} does not exist ({} units)", r.units),
        ));
    }
    if window == 0 || r.steps / window < 2 {
        return Err(Error::config(
            "analysis.fano_factor.window",
            format!(
                "window of {window} steps gives fewer than 2 full windows in {} steps",
                r.steps
            ),
        ));
    }
    let windows = r.steps / window;
    let counts: Vec<f64> = (0..windows)
        .map(|w| {
            (w * window..(w + 1) * window)
                .map(|t| f64::from(r.data[t * r.units + unit]))
                .sum()
        })
        .collect();
    let (mean, variance) = mean_var(counts.iter().copied());
    Ok(FanoFactor {
        windows,
        mean,
        variance,
        fano: (mean > 0.0).then(|| variance / mean),
    })
}

/// Normalised spike-source entropy H = Σ_i p_i ln p_i / ln(1/N), p_i = n_i / Σ_j n_j the
/// share of all spikes emitted by unit i, N = units; 1 when every unit spikes equally often,
/// 0 when one unit emits all spikes. Silent units contribute 0 (p ln p → 0).
/// `None` if there is no spike or only one unit (ln(1/N) = 0).
pub fn spike_source_entropy(r: &Raster) -> Option<f64> {
    if r.units < 2 {
        return None;
    }
    let counts = r.spike_counts();
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let h: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / total as f64;
            p * p.ln()
        })
        .sum();
    Some(h / (1.0 / r.units as f64).ln())
}

#[cfg(test)]
mod tests {

    /// Rates in Hz, ISI CVs and the population Fano factor of events, by hand: neuron 0
    /// fires every 10 steps (CV 0), neuron 1 at steps 0, 1, 4 (ISIs 1 and 3: CV ½), neuron 2
    /// never; 100 steps of 0.5 ms = 50 ms; bins of 50 steps hold 7 and 5 spikes of the window.
    #[test]
    fn train_statistics_by_hand() {
        let mut steps: Vec<u64> = (0..10).map(|k| 1000 + 10 * k).collect();
        let mut ids = vec![0u32; 10];
        steps.extend([1000, 1001, 1004, 999, 1100]); // the last two fall outside the window
        ids.extend([1, 1, 1, 1, 1]);
        let s = train_statistics(&steps, &ids, 1000, 100, 3, 0.5, 50).unwrap();
        assert_eq!(s.rates_hz, vec![200.0, 60.0, 0.0]);
        assert!((s.mean_rate_hz - 260.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.isi_cv, vec![Some(0.0), Some(0.5), None]);
        // bins: steps 1000–1049 hold 5 + 3 = 8 spikes, 1050–1099 hold 5: mean 6.5, var 2.25
        assert_eq!(s.population_fano, Some(2.25 / 6.5));
        assert!(train_statistics(&steps, &ids, 1000, 100, 1, 0.5, 50).is_err());
        assert!(train_statistics(&steps, &ids[1..], 1000, 100, 3, 0.5, 50).is_err());
    }
    use super::*;

    /// Raster from per-unit trains (one string of 0/1 per unit, all of length T).
    fn raster(units: &[&str]) -> Raster {
        let steps = units[0].len();
        let mut data = vec![0u8; steps * units.len()];
        for (i, u) in units.iter().enumerate() {
            for (t, c) in u.bytes().enumerate() {
                data[t * units.len() + i] = c - b'0';
            }
        }
        Raster::new(steps, units.len(), data).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn raster_from_events_by_hand() {
        // Window steps 10..=13, 3 units. Events: (10, 0), (11, 1), (11, 2), (11, 2) repeated,
        // (13, 0); (20, 1) and (9, 2) lie outside the window and are ignored.
        let steps = [10, 11, 11, 11, 13, 20, 9];
        let ids = [0, 1, 2, 2, 0, 1, 2];
        let r = Raster::from_events(&steps, &ids, 10, 4, 3).unwrap();
        assert_eq!(r.steps(), 4);
        assert_eq!(r.units(), 3);
        assert_eq!(r.data(), &[1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0]);
        assert_eq!(r.row(1), &[0, 1, 1]);
        assert_eq!(r.spike_counts(), vec![2, 1, 1]);
        // Errors, not panics.
        assert!(Raster::from_events(&steps, &ids, 10, 4, 2).is_err()); // id 2 ≥ 2 units
        assert!(Raster::from_events(&[1, 2], &[0], 0, 4, 3).is_err()); // lengths differ
        assert!(Raster::from_events(&[], &[], 0, 0, 3).is_err()); // no steps
        assert!(Raster::from_events(&[], &[], 0, 3, 0).is_err()); // no units
        assert!(Raster::new(2, 2, vec![0, 1, 0]).is_err()); // wrong length
        assert!(Raster::new(1, 2, vec![0, 2]).is_err()); // not binary
                                                         // No events at all: an all-zero raster.
        let r = Raster::from_events(&[], &[], 0, 3, 2).unwrap();
        assert_eq!(r.data(), &[0; 6]);
    }

    #[test]
    fn rates_and_activity_by_hand() {
        // u0 = 11000, u1 = 10100 over T = 5.
        let r = raster(&["11000", "10100"]);
        // Rates: u0 2/5, u1 2/5; network 4 spikes / (5·2) = 0.4.
        assert_eq!(firing_rates(&r), vec![0.4, 0.4]);
        assert!(close(network_firing_rate(&r), 0.4));
        // Active units per step: [2, 1, 1, 0, 0].
        assert_eq!(network_activity(&r), vec![2, 1, 1, 0, 0]);
    }

    #[test]
    fn smoothness_and_autocorrelation_by_hand() {
        // fr = [1, 3, 2, 6]: diff = [2, −1, 4], mean 5/3, squared deviations
        // 1/9 + 64/9 + 49/9 = 114/9, population variance 114/27 = 38/9, std √38/3.
        assert!(close(
            smoothness(&[1.0, 3.0, 2.0, 6.0]).unwrap(),
            38f64.sqrt() / 3.0
        ));
        assert_eq!(smoothness(&[1.0]), None);
        assert_eq!(smoothness(&[]), None);
        // fr = [0, 1, 3, 2], lag 1: x = [0, 1, 3], y = [1, 3, 2]; deviations
        // dx = [−4/3, −1/3, 5/3], dy = [−1, 1, 0]; Σ dx dy = 1, Σ dx² = 42/9, Σ dy² = 2;
        // r = 1/√(84/9) = 3/√84. (`sorn` returns the 2×2 matrix [[1, r], [r, 1]].)
        let ac = autocorrelation(&[0.0, 1.0, 3.0, 2.0], 1).unwrap();
        assert!(close(ac, 3.0 / 84f64.sqrt()), "{ac}");
        // Alternating series: lag 1 → −1, lag 2 → +1.
        let alt = [1.0, 0.0, 1.0, 0.0, 1.0];
        assert!(close(autocorrelation(&alt, 1).unwrap(), -1.0));
        assert!(close(autocorrelation(&alt, 2).unwrap(), 1.0));
        // Too few pairs or a constant segment: None.
        assert_eq!(autocorrelation(&alt, 4), None);
        assert_eq!(autocorrelation(&alt, 9), None);
        assert_eq!(autocorrelation(&[2.0, 2.0, 2.0], 1), None);
    }

    #[test]
    fn pairwise_correlation_any_n_no_diagonal() {
        // N = 3, T = 4: u0 = u1 = 1010, u2 = 0101. r01 = 1, r02 = r12 = −1.
        // Mean over the 3 distinct pairs: (1 − 1 − 1)/3 = −1/3.
        // `sorn`: sum of the full 3×3 matrix / 200 / 200 = (3 + 2·(−1)) / 40000 = 2.5e−5.
        let r = raster(&["1010", "1010", "0101"]);
        assert!(close(mean_pairwise_correlation(&r).unwrap(), -1.0 / 3.0));
        // A partial correlation: u0 = 11000, u1 = 10100 (T = 5): p = 0.4 each, n01 = 1,
        // cov = 1/5 − 0.16 = 0.04, var = 0.4·0.6 = 0.24, r = 1/6.
        let r = raster(&["11000", "10100"]);
        assert!(close(mean_pairwise_correlation(&r).unwrap(), 1.0 / 6.0));
        // Check against pearson() on the trains.
        let a = [1.0, 1.0, 0.0, 0.0, 0.0];
        let b = [1.0, 0.0, 1.0, 0.0, 0.0];
        assert!(close(pearson(&a, &b).unwrap(), 1.0 / 6.0));
    }

    #[test]
    fn pairwise_correlation_skips_silent_units() {
        // The first example plus a silent u3 and an always-active u4: their correlation is
        // undefined (`sorn` gives NaN for the whole average); they are left out: still −1/3.
        let r = raster(&["1010", "1010", "0101", "0000", "1111"]);
        assert!(close(mean_pairwise_correlation(&r).unwrap(), -1.0 / 3.0));
        // Fewer than 2 usable units: None.
        assert_eq!(mean_pairwise_correlation(&raster(&["0000", "1010"])), None);
        assert_eq!(mean_pairwise_correlation(&raster(&["1010"])), None);
    }

    #[test]
    fn isis_per_unit_on_2d_raster() {
        // T = 6: u0 spikes at 0, 2, 5 → ISIs [2, 3]; u1 at 1, 2 → [1]; u2 silent → [].
        // (`sorn`'s spike_time_intervals diffs the np.where indices of the 2-D train, which
        // mixes the unit indices into the "intervals".)
        let r = raster(&["101001", "011000", "000000"]);
        assert_eq!(spike_times(&r), vec![vec![0, 2, 5], vec![1, 2], vec![]]);
        assert_eq!(inter_spike_intervals(&r), vec![vec![2, 3], vec![1], vec![]]);
        // CV of u0: mean 2.5, population std 0.5 → 0.2; u1 has one ISI, u2 none → None.
        let cv = isi_cv(&r);
        assert!(close(cv[0].unwrap(), 0.2));
        assert_eq!(cv[1], None);
        assert_eq!(cv[2], None);
    }

    #[test]
    fn hamming_distance_by_hand() {
        // Step 0: 10 vs 10 → 0; step 1: 01 vs 10 → 2; step 2: 11 vs 10 → 1.
        let a = raster(&["101", "011"]);
        let b = raster(&["111", "000"]);
        assert_eq!(hamming_distance(&a, &b).unwrap(), vec![0, 2, 1]);
        assert!(hamming_distance(&a, &raster(&["10", "01"])).is_err());
    }

    #[test]
    fn fano_factor_window_length_full_windows_only() {
        // T = 10, window LENGTH 3 → 3 full windows (steps 0–2, 3–5, 6–8); step 9 left out.
        // u0 = 1110100111: counts [3, 1, 2] (the spike at step 9 is dropped), mean 2,
        // population variance (1 + 1 + 0)/3 = 2/3, Fano factor 1/3.
        // (`sorn`'s fanofactor(train, 0, 3) would read 3 as the NUMBER of windows and needs
        // T divisible by it.)
        let r = raster(&["1110100111", "0000000000"]);
        let ff = fano_factor(&r, 0, 3).unwrap();
        assert_eq!(ff.windows, 3);
        assert!(close(ff.mean, 2.0));
        assert!(close(ff.variance, 2.0 / 3.0));
        assert!(close(ff.fano.unwrap(), 1.0 / 3.0));
        // Window 5 → counts [4, 3]: mean 3.5, variance 0.25, FF = 1/14.
        let ff = fano_factor(&r, 0, 5).unwrap();
        assert!(close(ff.fano.unwrap(), 0.25 / 3.5));
        // Silent unit: no Fano factor; bad arguments: errors.
        assert_eq!(fano_factor(&r, 1, 3).unwrap().fano, None);
        assert!(fano_factor(&r, 2, 3).is_err());
        assert!(fano_factor(&r, 0, 0).is_err());
        assert!(fano_factor(&r, 0, 6).is_err()); // one full window only
    }

    #[test]
    fn spike_source_entropy_with_silent_unit() {
        // Counts [2, 2, 0, 4], N = 4: p = [1/4, 1/4, 0, 1/2];
        // Σ p ln p = −(½ ln 4 + ½ ln 2) = −(3/2) ln 2; ln(1/4) = −2 ln 2 → H = 3/4.
        // (`sorn` returns NaN here because of 0·ln 0 for the silent unit.)
        let r = raster(&["1100", "0011", "0000", "1111"]);
        assert!(close(spike_source_entropy(&r).unwrap(), 0.75));
        // Uniform → 1; one unit emits everything → 0.
        assert!(close(
            spike_source_entropy(&raster(&["10", "01"])).unwrap(),
            1.0
        ));
        assert!(close(
            spike_source_entropy(&raster(&["11", "00"])).unwrap(),
            0.0
        ));
        // No spikes, or one unit: None.
        assert_eq!(spike_source_entropy(&raster(&["00", "00"])), None);
        assert_eq!(spike_source_entropy(&raster(&["11"])), None);
    }
}
