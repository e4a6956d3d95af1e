//! Discrete power laws, exponentials and truncated power laws: maximum-likelihood fits, the
//! log-likelihood ratio test, and inverse-CDF samplers.
//!
//! Definitions follow the Python `powerlaw` package (Alstott, Bullmore & Plenz 2014) and
//! Clauset, Shalizi & Newman (2009), as used by Del Papa 2017 (`powerlaw.Fit(data, xmin, xmax,
//! discrete=True)`, `distribution_compare(..., normalized_ratio=True)`). All data are positive
//! integers (avalanche durations in steps or sizes in spikes). A fit on a window
//! [x_min, x_max] uses only the data inside the window, like `powerlaw`'s `trim_to_range`.
//!
//! | model | p(x) for x in its support | support |
//! |---|---|---|
//! | power law | x^−α / Z, Z = Σ_{y=x_min}^{x_max} y^−α | [x_min, x_max] |
//! | exponential | e^−λx / Z, Z = Σ_{y=x_min}^{x_max} e^−λy | [x_min, x_max] |
//! | truncated power law | x^−α e^−λx / Z, Z = Σ_{y≥x_min} y^−α e^−λy | [x_min, ∞) |
//!
//! **Window sums are exact**: Z and its moments are summed term by term over the window (at most
//! [`MAX_WINDOW`] terms). `powerlaw` gets the same power-law Z from Hurwitz zeta differences,
//! ζ(α, x_min) − ζ(α, x_max + 1), but its windowed discrete exponential
//! (`Exponential._pdf_discrete_normalizer`) uses 1/C = (e^−λx_min − e^−λx_max)/(1 − e^−λ)
//! = Σ_{x=x_min}^{x_max−1} e^−λx, which leaves out x_max; here the window includes x_max.
//!
//! **Fits.** Both windowed models are one-parameter exponential families, so the log-likelihood
//! is concave and the MLE solves E_model(ln x) = mean(ln x) (power law) or E_model(x) = mean(x)
//! (exponential). This is solved by Newton's method safeguarded by bisection, to ~1e−13.
//! α is searched in [`ALPHA_BOUNDS`] (`powerlaw` requires α > 1); λ in ±[`LAMBDA_MAX`]. On a
//! finite window a negative λ (an increasing exponential) is a proper distribution and is
//! allowed (`powerlaw` requires λ > 0); for data that decay across the window λ > 0 anyway.
//!
//! **Truncated power law.** Fitted on x ≥ x_min by a hand-written Nelder–Mead in (α, ln λ) with
//! α ∈ [`TPL_ALPHA_BOUNDS`] and λ ∈ [`TPL_LAMBDA_BOUNDS`], restarted until it no longer
//! improves. `powerlaw` approximates the discrete normaliser through the continuous CDF
//! (`discrete_approximation='round'`); here Z is the discrete sum itself, see
//! [`truncated_power_law_ln_norm`] for how the infinite sum is evaluated (relative error
//! below 1e−9).
//!
//! **Log-likelihood ratio** ([`loglikelihood_ratio`], as `powerlaw.loglikelihood_ratio` with
//! `nested=False`): with d_i = ln p₁(x_i) − ln p₂(x_i) over the n data,
//! R = Σ d_i, σ² = (1/n) Σ (d_i − d̄)² (population variance), normalised ratio
//! R/(σ√n), and p = erfc(|R| / (σ√(2n))) (Clauset et al. 2009, eq. 5.4; Vuong's test). R > 0
//! favours model 1 (here the power law); a small p says the sign of R is significant.
//!
//! ```
//! use neuroplast_core::analysis::powerlaw::{compare_power_law_exponential, sample_power_law};
//! use neuroplast_core::rng::{stream, Stream};
//!
//! let mut rng = stream(7, Stream::Init);
//! let data = sample_power_law(&mut rng, 1.5, 6, 60, 20_000).unwrap();
//! let c = compare_power_law_exponential(&data, 6, 60).unwrap();
//! assert!((c.power_law.alpha - 1.5).abs() < 0.1);
//! assert!(c.ratio.normalized > 0.0 && c.ratio.p < 0.01); // the power law is preferred
//! ```

use rand::Rng as _;

use crate::rng::Rng;
use crate::{Error, Result};

/// Largest number of points x_max − x_min + 1 of a window (window sums are exact, term by
/// term, and the samplers tabulate the CDF).
pub const MAX_WINDOW: u64 = 1_000_000;

/// Search interval of the windowed power-law exponent α: (1, 6], the lower end approached to
/// 1e−9 (`powerlaw` accepts α > 1 only).
pub const ALPHA_BOUNDS: [f64; 2] = [1.0 + 1e-9, 6.0];

/// Search interval of the windowed exponential rate λ is [−LAMBDA_MAX, LAMBDA_MAX], per unit of
/// x. At λ = 50 the mass beyond x_min is below e^−50 ≈ 2·10^−22, so an interior MLE is never
/// cut off for fewer than 10^20 data.
pub const LAMBDA_MAX: f64 = 50.0;

/// Search interval of the truncated power law's α.
pub const TPL_ALPHA_BOUNDS: [f64; 2] = [0.0, 6.0];

/// Search interval of the truncated power law's λ (per unit of x). The lower end keeps the
/// normalising sum finite for α ≤ 1.
pub const TPL_LAMBDA_BOUNDS: [f64; 2] = [1e-10, 20.0];

/// Terms of the truncated power law's normalising sum that are added one by one before the
/// Euler–Maclaurin tail takes over (see [`truncated_power_law_ln_norm`]).
const TPL_DIRECT_TERMS: u64 = 2_000;

/// Largest table the truncated power law sampler builds.
const TPL_MAX_TABLE: u64 = 10_000_000;

// ---------------------------------------------------------------------------------------------
// Data summaries

/// What the fits need from the data inside a window.
#[derive(Clone, Copy, Debug)]
struct Summary {
    n: usize,
    sum_ln: f64,
    sum_x: f64,
}

/// Checks a window and summarises the data inside it. `xmax = None`: no upper end.
fn summarise(data: &[u64], xmin: u64, xmax: Option<u64>, path: &str) -> Result<Summary> {
    if xmin == 0 {
        return Err(Error::config(
            format!("{path}.xmin"),
            "must be ≥ 1 (x^−α is undefined at 0)",
        ));
    }
    if let Some(xmax) = xmax {
        check_window(xmin, xmax, path)?;
    }
    let inside = |x: u64| x >= xmin && x <= xmax.unwrap_or(u64::MAX);
    let mut s = Summary {
        n: 0,
        sum_ln: 0.0,
        sum_x: 0.0,
    };
    let mut first = None;
    let mut distinct = false;
    for &x in data.iter().filter(|&&x| inside(x)) {
        s.n += 1;
        s.sum_ln += (x as f64).ln();
        s.sum_x += x as f64;
        match first {
            None => first = Some(x),
            Some(f) => distinct |= f != x,
        }
    }
    if s.n == 0 {
        return Err(Error::config(
            format!("{path}.data"),
            format!(
                "no data in the window [{xmin}, {}] ({} values given)",
                xmax.map_or("∞".to_string(), |m| m.to_string()),
                data.len()
            ),
        ));
    }
    if !distinct {
        return Err(Error::config(
            format!("{path}.data"),
            format!(
                "all {} data in the window equal {}: the maximum-likelihood fit is degenerate",
                s.n,
                first.unwrap_or(0)
            ),
        ));
    }
    Ok(s)
}

fn check_window(xmin: u64, xmax: u64, path: &str) -> Result<()> {
    if xmin == 0 {
        return Err(Error::config(format!("{path}.xmin"), "must be ≥ 1"));
    }
    if xmax <= xmin {
        return Err(Error::config(
            format!("{path}.xmax"),
            format!("must be > xmin = {xmin}, got {xmax}"),
        ));
    }
    if xmax - xmin >= MAX_WINDOW {
        return Err(Error::config(
            format!("{path}.xmax"),
            format!("window [{xmin}, {xmax}] has more than {MAX_WINDOW} points"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Windowed power law

/// Maximum-likelihood fit of the discrete power law p(x) = x^−α / Σ_{y=x_min}^{x_max} y^−α.
#[derive(Clone, Debug, PartialEq)]
pub struct PowerLawFit {
    /// Exponent α (dimensionless).
    pub alpha: f64,
    /// Standard error of α from the observed Fisher information: 1/√(n·Var_α[ln x]).
    pub alpha_se: f64,
    /// Lower end of the window (inclusive).
    pub xmin: u64,
    /// Upper end of the window (inclusive).
    pub xmax: u64,
    /// Number of data inside the window (the others were ignored).
    pub n: usize,
    /// Log-likelihood Σ ln p(x_i) over the data in the window, in nats.
    pub loglik: f64,
    /// ln Z, the log of the normalising sum Σ_{y=x_min}^{x_max} y^−α.
    pub ln_norm: f64,
    /// True when the likelihood maximum lies at (or beyond) an end of [`ALPHA_BOUNDS`].
    pub at_bound: bool,
}

impl PowerLawFit {
    /// ln p(x) in nats; −∞ outside the window.
    pub fn ln_pmf(&self, x: u64) -> f64 {
        if x < self.xmin || x > self.xmax {
            return f64::NEG_INFINITY;
        }
        -self.alpha * (x as f64).ln() - self.ln_norm
    }
}

/// (ln Z, E[ln x], Var[ln x]) of the windowed power law with exponent `alpha`, where `ln_x`
/// holds ln x for every x of the window in order.
fn power_law_moments(ln_x: &[f64], alpha: f64) -> (f64, f64, f64) {
    let l0 = ln_x[0];
    let (mut z, mut m1) = (0.0, 0.0);
    for &l in ln_x {
        let u = l - l0;
        let w = (-alpha * u).exp();
        z += w;
        m1 += w * u;
    }
    let mean_u = m1 / z;
    let mut var = 0.0;
    for &l in ln_x {
        let u = l - l0;
        let d = u - mean_u;
        var += (-alpha * u).exp() * d * d;
    }
    (-alpha * l0 + z.ln(), l0 + mean_u, var / z)
}

/// Maximum-likelihood exponent of a discrete power law on the window [`xmin`, `xmax`]
/// (both inclusive); data outside the window are ignored.
///
/// Errors (`analysis.powerlaw.*`): x_min = 0, x_max ≤ x_min, a window of more than
/// [`MAX_WINDOW`] points, no data in the window, or all data in the window equal.
pub fn fit_power_law(data: &[u64], xmin: u64, xmax: u64) -> Result<PowerLawFit> {
    let s = summarise(data, xmin, Some(xmax), "analysis.powerlaw")?;
    let ln_x: Vec<f64> = (xmin..=xmax).map(|x| (x as f64).ln()).collect();
    let target = s.sum_ln / s.n as f64;
    // E_α[ln x] decreases in α (its derivative is −Var_α[ln x]).
    let (alpha, at_bound) = solve_decreasing(
        |a| {
            let (_, m, v) = power_law_moments(&ln_x, a);
            (m - target, -v)
        },
        ALPHA_BOUNDS,
        1.5,
    );
    let (ln_norm, _, var) = power_law_moments(&ln_x, alpha);
    Ok(PowerLawFit {
        alpha,
        alpha_se: 1.0 / (s.n as f64 * var).sqrt(),
        xmin,
        xmax,
        n: s.n,
        loglik: -alpha * s.sum_ln - s.n as f64 * ln_norm,
        ln_norm,
        at_bound,
    })
}

/// Root of a decreasing function on [lo, hi]: Newton steps safeguarded by bisection.
/// `f(x)` returns (value, derivative). If the root lies outside, returns the nearer end and
/// `true`.
fn solve_decreasing(f: impl Fn(f64) -> (f64, f64), [lo, hi]: [f64; 2], start: f64) -> (f64, bool) {
    let (g_lo, _) = f(lo);
    if g_lo <= 0.0 {
        return (lo, true);
    }
    let (g_hi, _) = f(hi);
    if g_hi >= 0.0 {
        return (hi, true);
    }
    let (mut a, mut b) = (lo, hi);
    let mut x = start.clamp(lo, hi);
    for _ in 0..200 {
        let (g, dg) = f(x);
        if g == 0.0 {
            break;
        }
        if g > 0.0 {
            a = x;
        } else {
            b = x;
        }
        let newton = x - g / dg;
        let next = if dg < 0.0 && newton > a && newton < b {
            newton
        } else {
            0.5 * (a + b)
        };
        let tol = 1e-14 * (1.0 + x.abs());
        let done = (next - x).abs() <= tol || b - a <= tol;
        x = next;
        if done {
            break;
        }
    }
    (x, false)
}

// ---------------------------------------------------------------------------------------------
// Windowed exponential

/// Maximum-likelihood fit of the discrete exponential p(x) = e^−λx / Σ_{y=x_min}^{x_max} e^−λy.
#[derive(Clone, Debug, PartialEq)]
pub struct ExponentialFit {
    /// Rate λ, per unit of x (negative: increasing across the window).
    pub lambda: f64,
    /// Lower end of the window (inclusive).
    pub xmin: u64,
    /// Upper end of the window (inclusive).
    pub xmax: u64,
    /// Number of data inside the window.
    pub n: usize,
    /// Log-likelihood Σ ln p(x_i) over the data in the window, in nats.
    pub loglik: f64,
    /// ln Z, the log of Σ_{y=x_min}^{x_max} e^−λy.
    pub ln_norm: f64,
    /// True when the maximum lies at an end of ±[`LAMBDA_MAX`].
    pub at_bound: bool,
}

impl ExponentialFit {
    /// ln p(x) in nats; −∞ outside the window.
    pub fn ln_pmf(&self, x: u64) -> f64 {
        if x < self.xmin || x > self.xmax {
            return f64::NEG_INFINITY;
        }
        -self.lambda * x as f64 - self.ln_norm
    }
}

/// (ln Z, E[x], Var[x]) of the windowed exponential with rate `lambda`. Weights are taken
/// relative to the heaviest end of the window, so nothing overflows.
fn exponential_moments(xmin: u64, xmax: u64, lambda: f64) -> (f64, f64, f64) {
    let anchor = if lambda >= 0.0 { xmin } else { xmax };
    let v = |x: u64| x as f64 - anchor as f64;
    let (mut z, mut m1) = (0.0, 0.0);
    for x in xmin..=xmax {
        let w = (-lambda * v(x)).exp();
        z += w;
        m1 += w * v(x);
    }
    let mean_v = m1 / z;
    let mut var = 0.0;
    for x in xmin..=xmax {
        let d = v(x) - mean_v;
        var += (-lambda * v(x)).exp() * d * d;
    }
    (
        -lambda * anchor as f64 + z.ln(),
        anchor as f64 + mean_v,
        var / z,
    )
}

/// Maximum-likelihood rate of a discrete exponential on the window [`xmin`, `xmax`] (both
/// inclusive); data outside the window are ignored. Errors as [`fit_power_law`]
/// (`analysis.exponential.*`).
pub fn fit_exponential(data: &[u64], xmin: u64, xmax: u64) -> Result<ExponentialFit> {
    let s = summarise(data, xmin, Some(xmax), "analysis.exponential")?;
    let target = s.sum_x / s.n as f64;
    let (lambda, at_bound) = solve_decreasing(
        |l| {
            let (_, m, v) = exponential_moments(xmin, xmax, l);
            (m - target, -v)
        },
        [-LAMBDA_MAX, LAMBDA_MAX],
        1.0 / target,
    );
    let (ln_norm, _, _) = exponential_moments(xmin, xmax, lambda);
    Ok(ExponentialFit {
        lambda,
        xmin,
        xmax,
        n: s.n,
        loglik: -lambda * s.sum_x - s.n as f64 * ln_norm,
        ln_norm,
        at_bound,
    })
}

// ---------------------------------------------------------------------------------------------
// Log-likelihood ratio

/// A log-likelihood ratio test of model 1 against model 2 on the same data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LikelihoodRatio {
    /// R = Σ_i [ln p₁(x_i) − ln p₂(x_i)], in nats; > 0 favours model 1.
    pub r: f64,
    /// R / (σ√n), σ² the population variance of the per-datum differences.
    pub normalized: f64,
    /// Two-sided p-value of the sign of R: erfc(|R| / (σ√(2n))).
    pub p: f64,
    /// Number of data.
    pub n: usize,
}

/// Log-likelihood ratio of two models from per-datum log-likelihoods (same data, same order),
/// as `powerlaw.loglikelihood_ratio(ll1, ll2, nested=False)`.
///
/// `None` when the slices are empty, differ in length, hold a non-finite value, or all
/// differences are equal (σ = 0: the normalised ratio is undefined).
pub fn loglikelihood_ratio(ll1: &[f64], ll2: &[f64]) -> Option<LikelihoodRatio> {
    if ll1.is_empty() || ll1.len() != ll2.len() {
        return None;
    }
    let n = ll1.len() as f64;
    let mut r = 0.0;
    for (a, b) in ll1.iter().zip(ll2) {
        let d = a - b;
        if !d.is_finite() {
            return None;
        }
        r += d;
    }
    let mean = r / n;
    let var = ll1
        .iter()
        .zip(ll2)
        .map(|(a, b)| (a - b - mean).powi(2))
        .sum::<f64>()
        / n;
    if var <= 0.0 {
        return None;
    }
    let sd_sqrt_n = (n * var).sqrt();
    Some(LikelihoodRatio {
        r,
        normalized: r / sd_sqrt_n,
        p: erfc(r.abs() / (sd_sqrt_n * std::f64::consts::SQRT_2)),
        n: ll1.len(),
    })
}

/// Power law against exponential on one window.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The power-law fit.
    pub power_law: PowerLawFit,
    /// The exponential fit.
    pub exponential: ExponentialFit,
    /// Power law (model 1) against exponential (model 2): `normalized > 0` prefers the power law.
    pub ratio: LikelihoodRatio,
}

/// Fits a power law and an exponential on the window [`xmin`, `xmax`] and compares them with
/// [`loglikelihood_ratio`] over the data inside the window, as Del Papa's
/// `Fit(...).distribution_compare('power_law', 'exponential', normalized_ratio=True)`.
///
/// Errors: those of [`fit_power_law`], and data for which the ratio is undefined
/// (`analysis.powerlaw.compare`).
pub fn compare_power_law_exponential(data: &[u64], xmin: u64, xmax: u64) -> Result<Comparison> {
    let power_law = fit_power_law(data, xmin, xmax)?;
    let exponential = fit_exponential(data, xmin, xmax)?;
    let inside: Vec<u64> = data
        .iter()
        .copied()
        .filter(|&x| x >= xmin && x <= xmax)
        .collect();
    let ll1: Vec<f64> = inside.iter().map(|&x| power_law.ln_pmf(x)).collect();
    let ll2: Vec<f64> = inside.iter().map(|&x| exponential.ln_pmf(x)).collect();
    let ratio = loglikelihood_ratio(&ll1, &ll2).ok_or_else(|| {
        Error::config(
            "analysis.powerlaw.compare",
            "the per-datum log-likelihood differences have zero variance",
        )
    })?;
    Ok(Comparison {
        power_law,
        exponential,
        ratio,
    })
}

mod sample;
mod truncated;

pub use sample::{sample_exponential, sample_power_law, sample_truncated_power_law};
pub use truncated::{
    erfc, fit_truncated_power_law, truncated_power_law_ln_norm, TruncatedPowerLawFit,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream, Stream};

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn erfc_known_values() {
        // Reference values (Abramowitz & Stegun tables / mpmath, 16 digits).
        let cases = [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (1.5, 0.033_894_853_524_689_27),
            (2.0, 0.004_677_734_981_047_266),
            (3.0, 2.209_049_699_858_544e-5),
            (5.0, 1.537_459_794_428_035e-12),
        ];
        for (x, want) in cases {
            assert!(
                close(erfc(x), want, 1e-12),
                "erfc({x}) = {} ≠ {want}",
                erfc(x)
            );
            assert!(close(erfc(-x), 2.0 - want, 1e-14));
        }
        // The two branches meet at x = 2 without a jump.
        let below = erfc(2.0 - 1e-12);
        assert!(close(below, erfc(2.0), 1e-10), "{below}");
        assert_eq!(erfc(30.0), 0.0);
        assert!(erfc(f64::NAN).is_nan());
    }

    #[test]
    fn loglikelihood_ratio_by_hand() {
        // d = ll1 − ll2 = [1, 3]: R = 4, mean 2, σ² = ((1−2)² + (3−2)²)/2 = 1, n = 2.
        // normalised R/(σ√n) = 4/√2 = 2√2; p = erfc(4/(1·√4)) = erfc(2).
        let r = loglikelihood_ratio(&[1.0, 0.0], &[0.0, -3.0]).unwrap();
        assert_eq!(r.r, 4.0);
        assert!(close(r.normalized, 2.0 * 2f64.sqrt(), 1e-15));
        assert!(close(r.p, 0.004_677_734_981_047_266, 1e-12));
        assert_eq!(r.n, 2);
        // Degenerate: empty, length mismatch, σ = 0, non-finite.
        assert!(loglikelihood_ratio(&[], &[]).is_none());
        assert!(loglikelihood_ratio(&[1.0], &[1.0, 2.0]).is_none());
        assert!(loglikelihood_ratio(&[1.0, 2.0], &[0.0, 1.0]).is_none());
        assert!(loglikelihood_ratio(&[f64::NEG_INFINITY, 1.0], &[0.0, 0.0]).is_none());
    }

    #[test]
    fn power_law_pmf_normalised_and_loglik_consistent() {
        // Σ_x p(x) over the window = 1, and loglik = Σ ln p(x_i).
        let data = [6, 6, 7, 9, 12, 20, 33, 60, 61, 3];
        let fit = fit_power_law(&data, 6, 60).unwrap();
        assert_eq!(fit.n, 8); // 61 and 3 are outside the window
        let total: f64 = (6..=60).map(|x| fit.ln_pmf(x).exp()).sum();
        assert!((total - 1.0).abs() < 1e-13);
        let ll: f64 = data
            .iter()
            .filter(|&&x| (6..=60).contains(&x))
            .map(|&x| fit.ln_pmf(x))
            .sum();
        assert!((ll - fit.loglik).abs() < 1e-10);
        assert_eq!(fit.ln_pmf(61), f64::NEG_INFINITY);
        // Stationarity: the likelihood is lower a little to either side of α̂.
        let ll_at = |a: f64| {
            let ln_z: f64 = (6..=60u64).map(|x| (x as f64).powf(-a)).sum::<f64>().ln();
            data.iter()
                .filter(|&&x| (6..=60).contains(&x))
                .map(|&x| -a * (x as f64).ln() - ln_z)
                .sum::<f64>()
        };
        assert!((ll_at(fit.alpha) - fit.loglik).abs() < 1e-10);
        assert!(ll_at(fit.alpha + 1e-3) < fit.loglik && ll_at(fit.alpha - 1e-3) < fit.loglik);
        // Exponential, same checks.
        let e = fit_exponential(&data, 6, 60).unwrap();
        let total: f64 = (6..=60).map(|x| e.ln_pmf(x).exp()).sum();
        assert!((total - 1.0).abs() < 1e-13);
        let ll: f64 = data
            .iter()
            .filter(|&&x| (6..=60).contains(&x))
            .map(|&x| e.ln_pmf(x))
            .sum();
        assert!((ll - e.loglik).abs() < 1e-10);
    }

    #[test]
    fn power_law_recovers_del_papa_duration_exponent() {
        // 10⁵ draws, α = 1.45 on the duration window [6, 60] of Fig. 2A.
        let mut rng = stream(11, Stream::Init);
        let data = sample_power_law(&mut rng, 1.45, 6, 60, 100_000).unwrap();
        assert!(data.iter().all(|&x| (6..=60).contains(&x)));
        let fit = fit_power_law(&data, 6, 60).unwrap();
        assert!((fit.alpha - 1.45).abs() < 0.05, "α̂ = {}", fit.alpha);
        assert!(!fit.at_bound);
        // The standard error is of the size seen here (≈ 0.01 for 10⁵ data).
        assert!(
            fit.alpha_se > 0.001 && fit.alpha_se < 0.02,
            "se = {}",
            fit.alpha_se
        );
    }

    #[test]
    fn power_law_recovers_del_papa_size_exponent() {
        // 10⁵ draws, α = 1.28 on the size window [10, 1500] of Fig. 2B.
        let mut rng = stream(12, Stream::Init);
        let data = sample_power_law(&mut rng, 1.28, 10, 1500, 100_000).unwrap();
        let fit = fit_power_law(&data, 10, 1500).unwrap();
        assert!((fit.alpha - 1.28).abs() < 0.05, "α̂ = {}", fit.alpha);
        assert_eq!(fit.n, 100_000);
    }

    #[test]
    fn exponential_recovers_rate_and_llr_prefers_it() {
        // 10⁵ draws from e^−0.1x on [6, 60]: λ̂ ≈ 0.1, and the ratio (power law vs
        // exponential) is negative with p ≪ 0.01.
        let mut rng = stream(13, Stream::Init);
        let data = sample_exponential(&mut rng, 0.1, 6, 60, 100_000).unwrap();
        let c = compare_power_law_exponential(&data, 6, 60).unwrap();
        assert!(
            (c.exponential.lambda - 0.1).abs() < 0.005,
            "λ̂ = {}",
            c.exponential.lambda
        );
        assert!(
            c.ratio.r < 0.0 && c.ratio.normalized < -5.0,
            "{:?}",
            c.ratio
        );
        assert!(c.ratio.p < 1e-6, "p = {}", c.ratio.p);
        assert!(close(
            c.ratio.r,
            c.power_law.loglik - c.exponential.loglik,
            1e-9
        ));
        // Negative rates (increasing data) are recovered too.
        let data = sample_exponential(&mut rng, -0.05, 6, 60, 20_000).unwrap();
        let e = fit_exponential(&data, 6, 60).unwrap();
        assert!((e.lambda + 0.05).abs() < 0.005, "λ̂ = {}", e.lambda);
    }

    #[test]
    fn llr_prefers_power_law_on_power_law_data() {
        let mut rng = stream(14, Stream::Init);
        let data = sample_power_law(&mut rng, 1.45, 6, 60, 100_000).unwrap();
        let c = compare_power_law_exponential(&data, 6, 60).unwrap();
        assert!(c.ratio.r > 0.0 && c.ratio.normalized > 5.0, "{:?}", c.ratio);
        assert!(c.ratio.p < 1e-6);
    }

    #[test]
    fn truncated_norm_matches_zeta_and_brute_force() {
        // λ = 0, x_min = 1: Z = ζ(α). ζ(2) = π²/6, ζ(3) = 1.2020569031595942.
        let z2 = truncated_power_law_ln_norm(2.0, 0.0, 1).exp();
        assert!(close(z2, std::f64::consts::PI.powi(2) / 6.0, 1e-12), "{z2}");
        let z3 = truncated_power_law_ln_norm(3.0, 0.0, 1).exp();
        assert!(close(z3, 1.202_056_903_159_594_2, 1e-12), "{z3}");
        // Brute force (terms until e^−λx < e^−60) for small and large λ, several α.
        for &(a, l, xmin) in &[
            (1.2, 0.001, 10u64),
            (1.16, 0.009, 6),
            (0.5, 0.002, 1),
            (0.0, 0.0005, 3),
            (2.5, 0.3, 2),
            (1.19, 1e-3, 10),
        ] {
            let upper = xmin + (60.0 / l) as u64;
            let brute: f64 = (xmin..=upper)
                .map(|x| (-a * (x as f64).ln() - l * x as f64).exp())
                .sum();
            let z = truncated_power_law_ln_norm(a, l, xmin).exp();
            assert!(close(z, brute, 1e-9), "α={a} λ={l}: {z} vs {brute}");
        }
        assert_eq!(truncated_power_law_ln_norm(1.0, 0.0, 1), f64::INFINITY);
        assert!(truncated_power_law_ln_norm(1.0, -1.0, 1).is_nan());
        assert!(truncated_power_law_ln_norm(1.0, 0.1, 0).is_nan());
    }

    #[test]
    fn truncated_power_law_recovers_parameters() {
        // 5·10⁴ draws with α = 1.3, λ = 0.01 from x_min = 6 (Del Papa-like cut-off).
        // Tolerances: |α̂ − α| < 0.05 and |λ̂ − λ| < 0.15·λ (≈ 4 standard errors here).
        let mut rng = stream(15, Stream::Init);
        let data = sample_truncated_power_law(&mut rng, 1.3, 0.01, 6, 50_000).unwrap();
        let fit = fit_truncated_power_law(&data, 6).unwrap();
        assert!(fit.converged && !fit.at_bound, "{fit:?}");
        assert!((fit.alpha - 1.3).abs() < 0.05, "{fit:?}");
        assert!((fit.lambda - 0.01).abs() < 0.0015, "{fit:?}");
        // The optimum beats nearby points.
        let ll = |a: f64, l: f64| {
            let ln_z = truncated_power_law_ln_norm(a, l, 6);
            data.iter()
                .map(|&x| -a * (x as f64).ln() - l * x as f64 - ln_z)
                .sum::<f64>()
        };
        assert!((ll(fit.alpha, fit.lambda) - fit.loglik).abs() < 1e-6 * fit.loglik.abs());
        for (da, dl) in [(0.01, 0.0), (-0.01, 0.0), (0.0, 2e-4), (0.0, -2e-4)] {
            assert!(ll(fit.alpha + da, fit.lambda + dl) < fit.loglik);
        }
        let total: f64 = (6..4000).map(|x| fit.ln_pmf(x).exp()).sum();
        assert!((total - 1.0).abs() < 1e-9);
    }

    #[test]
    fn truncated_power_law_steep_cutoff() {
        // α = 0.5, λ = 0.2 from x_min = 1: the exponential dominates; tolerances as above.
        let mut rng = stream(16, Stream::Init);
        let data = sample_truncated_power_law(&mut rng, 0.5, 0.2, 1, 50_000).unwrap();
        let fit = fit_truncated_power_law(&data, 1).unwrap();
        assert!((fit.alpha - 0.5).abs() < 0.05, "{fit:?}");
        assert!((fit.lambda - 0.2).abs() < 0.03, "{fit:?}");
    }

    #[test]
    fn degenerate_inputs_are_errors() {
        let mut rng = stream(17, Stream::Init);
        // Empty data.
        assert!(fit_power_law(&[], 6, 60).is_err());
        assert!(fit_exponential(&[], 6, 60).is_err());
        assert!(fit_truncated_power_law(&[], 6).is_err());
        assert!(compare_power_law_exponential(&[], 6, 60).is_err());
        // All equal.
        assert!(fit_power_law(&[7; 100], 6, 60).is_err());
        assert!(fit_exponential(&[7; 100], 6, 60).is_err());
        assert!(fit_truncated_power_law(&[7; 100], 6).is_err());
        // All outside the window.
        assert!(fit_power_law(&[1, 2, 3, 100, 200], 6, 60).is_err());
        assert!(fit_truncated_power_law(&[1, 2, 3], 6).is_err());
        // Bad windows.
        assert!(fit_power_law(&[1, 2, 3], 0, 60).is_err());
        assert!(fit_power_law(&[6, 7], 6, 6).is_err());
        assert!(fit_power_law(&[6, 7], 60, 6).is_err());
        assert!(fit_power_law(&[6, 7], 1, u64::MAX).is_err());
        assert!(fit_truncated_power_law(&[6, 7], 0).is_err());
        // Samplers.
        assert!(sample_power_law(&mut rng, f64::NAN, 6, 60, 10).is_err());
        assert!(sample_power_law(&mut rng, 1.5, 0, 60, 10).is_err());
        assert!(sample_exponential(&mut rng, 0.1, 60, 6, 10).is_err());
        assert!(sample_truncated_power_law(&mut rng, 1.5, 0.0, 6, 10).is_err());
        assert!(sample_truncated_power_law(&mut rng, -1.0, 0.1, 6, 10).is_err());
        assert!(sample_truncated_power_law(&mut rng, 1.5, 1e-9, 6, 10).is_err());
        assert!(sample_power_law(&mut rng, 1.5, 6, 60, 0)
            .unwrap()
            .is_empty());
        // Two distinct values suffice, and pile-up at an end gives a bound, not a panic.
        let fit = fit_power_law(&[6, 6, 6, 6, 6, 6, 6, 6, 6, 60], 6, 60).unwrap();
        assert!(fit.alpha > 1.0 && fit.alpha <= 6.0);
        let fit = fit_power_law(&[60, 60, 60, 59], 6, 60).unwrap();
        assert!(fit.at_bound && fit.alpha == ALPHA_BOUNDS[0]);
    }
}
