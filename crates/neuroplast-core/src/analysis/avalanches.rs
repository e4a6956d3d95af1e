//! Neuronal avalanches from a per-step activity series (Del Papa, Priesemann & Triesch 2017).
//!
//! Definitions (`shared/reference/sorn.md` §5; delpapa/SORN `delpapa/avalanches/data_analysis.py`,
//! function `avalanches`, called from `Fig2.py` with `Threshold='half'`):
//!
//! * a(t) is the number of active excitatory units at step t;
//! * the threshold is θ = ⌊⟨a⟩/2⌋ (`Theta = int(activity.mean()/2.)`, line 30), or a given θ;
//! * an avalanche is a maximal run of consecutive steps with a(t) > θ; its duration T is the
//!   run length in steps and its size S = Σ (a(t) − θ) over the run (the default
//!   `fullS=False`, line 90: `area += int(avalan_stable[i])` with `avalan_stable = a − θ`).
//!
//! **Edges of the series.** data_analysis.py scans the steps in order (lines 86–96) and
//! appends an avalanche only in the `elif size != 0:` branch (line 93), i.e. when a step with
//! a(t) ≤ θ closes a run; nothing is appended after the loop. Hence:
//!
//! * a run that is still open at the last step (it touches the end) is **dropped**;
//! * a run that starts at step 0 (it touches the start, so its true beginning may lie before
//!   the recording) is **kept**.
//!
//! This module follows that rule exactly, so its counts equal the published analysis. Each
//! run of a pooled analysis ([`avalanches_pooled`]) is scanned on its own (the lab code resets
//! `size, area = 0, 0` per file, line 73), so an avalanche never spans two runs.
//!
//! NOTE: θ is computed in exact integer arithmetic, ⌊Σa / (2·len)⌋. The lab code computes
//! `int(mean/2.)` in floating point, which can differ only when Σa/(2·len) is within rounding
//! error of an integer.

use crate::{Error, Result};

/// How the avalanche threshold θ is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    /// θ = ⌊⟨a⟩/2⌋, half the mean activity rounded down (Del Papa 2017, `Threshold='half'`).
    HalfMean,
    /// A given θ in units (active E units per step).
    Fixed(u32),
}

/// Avalanches of one analysis, in the order they end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Avalanches {
    /// The threshold used, in active units per step.
    pub theta: u32,
    /// Duration T of each avalanche, in steps (≥ 1).
    pub durations: Vec<u64>,
    /// Size S of each avalanche: Σ (a(t) − θ) over its steps, in spikes above threshold (≥ 1).
    pub sizes: Vec<u64>,
}

impl Avalanches {
    /// Number of avalanches.
    pub fn len(&self) -> usize {
        self.durations.len()
    }

    /// Whether there is no avalanche.
    pub fn is_empty(&self) -> bool {
        self.durations.is_empty()
    }
}

/// θ = ⌊⟨a⟩/2⌋ over all steps of all `runs` (exact integer arithmetic); `None` when there is
/// no step at all.
pub fn half_mean_threshold_pooled(runs: &[&[u32]]) -> Option<u32> {
    let steps: u128 = runs.iter().map(|r| r.len() as u128).sum();
    if steps == 0 {
        return None;
    }
    let total: u128 = runs.iter().flat_map(|r| r.iter()).map(|&a| a as u128).sum();
    // total / (2 steps) ≤ u32::MAX / 2, so the cast cannot truncate.
    Some((total / (2 * steps)) as u32)
}

/// θ = ⌊⟨a⟩/2⌋ of one series (exact integer arithmetic); `None` for an empty series.
pub fn half_mean_threshold(activity: &[u32]) -> Option<u32> {
    half_mean_threshold_pooled(&[activity])
}

/// Avalanches of one activity series `activity` (active E units per step).
///
/// See the module docs for the definitions and the edge rule (a run open at the last step is
/// dropped; a run starting at step 0 is kept). Runs in O(len) without allocation other than
/// the outputs; 3·10⁶ steps take a few milliseconds in an optimised build.
///
/// Errors: an empty series (`analysis.avalanches.activity`).
///
/// ```
/// use neuroplast_core::analysis::avalanches::{avalanches, Threshold};
/// // θ = 2: runs above 2 are [5, 3] (closed by the 0) and [4] (open at the end: dropped).
/// let av = avalanches(&[5, 3, 0, 2, 4], Threshold::Fixed(2)).unwrap();
/// assert_eq!((av.durations, av.sizes), (vec![2], vec![3 + 1]));
/// ```
pub fn avalanches(activity: &[u32], threshold: Threshold) -> Result<Avalanches> {
    avalanches_pooled(&[activity], threshold)
}

/// Avalanches of several independent runs pooled, as Fig2.py pools 50 runs: θ (if
/// [`Threshold::HalfMean`]) is half the mean over all steps of all runs, and each run is
/// scanned separately (an avalanche never spans two runs; each run's open last avalanche is
/// dropped). The output lists the avalanches of run 0 first, then run 1, ….
///
/// Errors: no run, or all runs empty (`analysis.avalanches.activity`).
pub fn avalanches_pooled(runs: &[&[u32]], threshold: Threshold) -> Result<Avalanches> {
    let theta = match threshold {
        Threshold::Fixed(theta) => {
            if runs.iter().all(|r| r.is_empty()) {
                return Err(empty());
            }
            theta
        }
        Threshold::HalfMean => half_mean_threshold_pooled(runs).ok_or_else(empty)?,
    };
    let mut out = Avalanches {
        theta,
        ..Default::default()
    };
    for run in runs {
        scan(run, theta, &mut out);
    }
    Ok(out)
}

fn empty() -> Error {
    Error::config(
        "analysis.avalanches.activity",
        "empty activity series: no threshold or avalanche is defined",
    )
}

/// Appends the closed runs above `theta` of one series to `out`.
fn scan(activity: &[u32], theta: u32, out: &mut Avalanches) {
    let (mut duration, mut size) = (0u64, 0u64);
    for &a in activity {
        if a > theta {
            duration += 1;
            size += u64::from(a - theta);
        } else if duration != 0 {
            out.durations.push(duration);
            out.sizes.push(size);
            duration = 0;
            size = 0;
        }
    }
    // NOTE: a run still open here touches the end of the series and is dropped on purpose
    // (data_analysis.py appends only when a sub-threshold step closes a run).
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avalanches_by_hand() {
        // a = [0, 3, 5, 1, 2, 4, 4, 4, 0, 1], θ = 1 given.
        // Runs with a > 1: steps 1–2 (3, 5) → T = 2, S = 2 + 4 = 6;
        //                  steps 4–7 (2, 4, 4, 4) → T = 4, S = 1 + 3 + 3 + 3 = 10.
        let a = [0, 3, 5, 1, 2, 4, 4, 4, 0, 1];
        let av = avalanches(&a, Threshold::Fixed(1)).unwrap();
        assert_eq!(av.theta, 1);
        assert_eq!(av.durations, vec![2, 4]);
        assert_eq!(av.sizes, vec![6, 10]);
        assert_eq!(av.len(), 2);
    }

    #[test]
    fn avalanches_half_mean_threshold_floors() {
        // Σa = 24 over 10 steps: ⟨a⟩ = 2.4, ⟨a⟩/2 = 1.2, θ = 1 (same series as above).
        let a = [0, 3, 5, 1, 2, 4, 4, 4, 0, 1];
        assert_eq!(half_mean_threshold(&a), Some(1));
        let av = avalanches(&a, Threshold::HalfMean).unwrap();
        assert_eq!(av.theta, 1);
        assert_eq!(av.durations, vec![2, 4]);
        // ⟨a⟩/2 exactly an integer: [2, 2] → ⟨a⟩/2 = 1 → θ = 1 (a > θ is strict).
        assert_eq!(half_mean_threshold(&[2, 2]), Some(1));
        // ⟨a⟩/2 just below an integer: Σ = 3, 2 steps → 0.75 → θ = 0.
        assert_eq!(half_mean_threshold(&[1, 2]), Some(0));
    }

    #[test]
    fn avalanches_edge_rule_follows_data_analysis_py() {
        // Run touching the start is kept: [4, 4] at steps 0–1, closed by the 0 at step 2.
        // Run touching the end is dropped: [5, 6] at steps 4–5, never closed.
        let a = [4, 4, 0, 1, 5, 6];
        let av = avalanches(&a, Threshold::Fixed(1)).unwrap();
        assert_eq!(av.durations, vec![2]);
        assert_eq!(av.sizes, vec![3 + 3]);
        // A series entirely above θ has one open run: no avalanche.
        let av = avalanches(&[3, 3, 3], Threshold::Fixed(1)).unwrap();
        assert!(av.is_empty());
        // A single closing step at the very end closes the run: [3, 3, 0] → T = 2, S = 4.
        let av = avalanches(&[3, 3, 0], Threshold::Fixed(1)).unwrap();
        assert_eq!((av.durations, av.sizes), (vec![2], vec![4]));
        // a(t) = θ is not above threshold and closes a run.
        let av = avalanches(&[2, 1, 2, 0], Threshold::Fixed(1)).unwrap();
        assert_eq!((av.durations, av.sizes), (vec![1, 1], vec![1, 1]));
    }

    #[test]
    fn avalanches_pooled_runs_do_not_join() {
        // Run A = [3, 3] (open at its end: dropped), run B = [3, 0] (T = 1, S = 2 with θ = 1).
        // Concatenated they would give one avalanche [3, 3, 3] of T = 3; pooled they must not.
        // θ (half mean) = ⌊(3+3+3+0) / (2·4)⌋ = ⌊9/8⌋ = 1.
        let (ra, rb): (&[u32], &[u32]) = (&[3, 3], &[3, 0]);
        let av = avalanches_pooled(&[ra, rb], Threshold::HalfMean).unwrap();
        assert_eq!(av.theta, 1);
        assert_eq!((av.durations, av.sizes), (vec![1], vec![2]));
    }

    #[test]
    fn avalanches_degenerate_inputs() {
        assert!(avalanches(&[], Threshold::HalfMean).is_err());
        assert!(avalanches(&[], Threshold::Fixed(3)).is_err());
        assert!(avalanches_pooled(&[], Threshold::HalfMean).is_err());
        assert!(avalanches_pooled(&[&[], &[]], Threshold::Fixed(0)).is_err());
        assert_eq!(half_mean_threshold(&[]), None);
        // All zero: θ = 0, nothing above it.
        let av = avalanches(&[0; 10], Threshold::HalfMean).unwrap();
        assert_eq!(av.theta, 0);
        assert!(av.is_empty());
        // Huge counts do not overflow: θ = ⌊u32::MAX/2⌋, sizes are u64.
        let av = avalanches(&[u32::MAX, u32::MAX, 0], Threshold::Fixed(0)).unwrap();
        assert_eq!(av.sizes, vec![2 * u64::from(u32::MAX)]);
    }

    #[test]
    fn avalanches_three_million_steps_invariants() {
        // 3·10⁶ steps of a deterministic pseudo-random series uniform on 0..=41 (mean ≈ 20.5,
        // θ = 10), the length of Del Papa's analysis window. Checks invariants (speed is in
        // `cargo bench --bench analysis`).
        let n = 3_000_000usize;
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let a: Vec<u32> = (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 42) as u32
            })
            .collect();
        let av = avalanches(&a, Threshold::HalfMean).unwrap();
        let sum: u64 = a.iter().map(|&v| u64::from(v)).sum();
        let theta = (sum / (2 * n as u64)) as u32;
        assert_eq!(av.theta, theta);
        assert_eq!(theta, 10);
        assert!(!av.is_empty());
        let above = |v: &&u32| **v > theta;
        // Every step above θ is in exactly one avalanche, except those of a final open run;
        // likewise for the excess a − θ.
        let covered: u64 = av.durations.iter().sum();
        let open_tail = a.iter().rev().take_while(above).count() as u64;
        assert_eq!(covered + open_tail, a.iter().filter(above).count() as u64);
        let excess =
            |it: &mut dyn Iterator<Item = &u32>| -> u64 { it.map(|&v| u64::from(v - theta)).sum() };
        let tail_size = excess(&mut a.iter().rev().take_while(above));
        let total: u64 = av.sizes.iter().sum();
        assert_eq!(total + tail_size, excess(&mut a.iter().filter(above)));
    }
}
