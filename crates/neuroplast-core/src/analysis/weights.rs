//! Distribution of synaptic weights: lognormal, normal and exponential maximum-likelihood fits.
//!
//! SORN E→E weights become approximately lognormal under STDP + SN + SP (Zheng et al. 2013);
//! `sorn` 0.7.4 only plots a lognormal from the mean and std of ln w, without any comparison
//! (`shared/reference/sorn.md` §7.2). Here all three candidate models are fitted by maximum
//! likelihood on the same positive weights w_1 … w_n, and compared by AIC = 2k − 2ℓ:
//!
//! | model | density | MLE | k |
//! |---|---|---|---|
//! | lognormal | exp(−(ln w − μ)²/2σ²) / (w σ√2π) | μ = mean(ln w), σ² = mean((ln w − μ)²) | 2 |
//! | normal | exp(−(w − m)²/2s²) / (s√2π) | m = mean(w), s² = mean((w − m)²) | 2 |
//! | exponential | r e^−rw | r = 1/mean(w) | 1 |
//!
//! Variances are the MLEs (divide by n). Weights are dimensionless (or in whatever unit they are
//! given; μ is then the mean of ln w in that unit).

use crate::{Error, Result};

const LN_2PI: f64 = 1.837_877_066_409_345_5; // ln(2π)

/// Which model fits best (lowest AIC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightModel {
    /// Lognormal.
    LogNormal,
    /// Normal.
    Normal,
    /// Exponential.
    Exponential,
}

/// Maximum-likelihood fits of positive weights.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightFits {
    /// Number of weights.
    pub n: usize,
    /// Lognormal μ: mean of ln w.
    pub lognormal_mu: f64,
    /// Lognormal σ: population standard deviation of ln w.
    pub lognormal_sigma: f64,
    /// Lognormal log-likelihood Σ ln p(w_i), in nats.
    pub lognormal_loglik: f64,
    /// Normal mean of w.
    pub normal_mean: f64,
    /// Normal standard deviation of w (population).
    pub normal_sd: f64,
    /// Normal log-likelihood, in nats.
    pub normal_loglik: f64,
    /// Exponential rate 1/mean(w), per unit of w.
    pub exponential_rate: f64,
    /// Exponential log-likelihood, in nats.
    pub exponential_loglik: f64,
    /// The model with the lowest AIC = 2k − 2ℓ (k = 2, 2, 1); ties go to the first in the
    /// order lognormal, normal, exponential.
    pub best: WeightModel,
    /// Sample skewness of ln w, g₁ = m₃ / m₂^{3/2} with population moments (scipy's
    /// `skew(bias=True)`); 0 for a lognormal.
    pub log_skewness: f64,
}

impl WeightFits {
    /// AIC = 2k − 2ℓ of `model`.
    pub fn aic(&self, model: WeightModel) -> f64 {
        match model {
            WeightModel::LogNormal => 4.0 - 2.0 * self.lognormal_loglik,
            WeightModel::Normal => 4.0 - 2.0 * self.normal_loglik,
            WeightModel::Exponential => 2.0 - 2.0 * self.exponential_loglik,
        }
    }
}

/// Fits lognormal, normal and exponential distributions to positive weights `w`.
///
/// Errors (`analysis.weights`): fewer than 2 weights, a weight that is ≤ 0 or not finite, or all
/// weights equal (σ = 0: every likelihood is degenerate).
///
/// ```
/// use neuroplast_core::analysis::weights::{fit_weights, WeightModel};
/// let f = fit_weights(&[0.5, 1.0, 2.0, 1.0]).unwrap();
/// assert!(f.lognormal_mu.abs() < 1e-15); // ln w = [−ln 2, 0, ln 2, 0]
/// assert!(f.log_skewness.abs() < 1e-12);
/// ```
pub fn fit_weights(w: &[f64]) -> Result<WeightFits> {
    if w.len() < 2 {
        return Err(Error::config(
            "analysis.weights",
            format!("needs ≥ 2 weights, got {}", w.len()),
        ));
    }
    if let Some(bad) = w.iter().find(|&&v| !(v.is_finite() && v > 0.0)) {
        return Err(Error::config(
            "analysis.weights",
            format!("weights must be finite and > 0, got {bad}"),
        ));
    }
    let n = w.len() as f64;
    let ln: Vec<f64> = w.iter().map(|v| v.ln()).collect();
    let mu = ln.iter().sum::<f64>() / n;
    let (m2, m3) = ln.iter().fold((0.0, 0.0), |(a, b), &l| {
        let d = l - mu;
        (a + d * d, b + d * d * d)
    });
    let (m2, m3) = (m2 / n, m3 / n);
    let mean = w.iter().sum::<f64>() / n;
    let var = w.iter().map(|&v| (v - mean) * (v - mean)).sum::<f64>() / n;
    if m2 <= 0.0 || var <= 0.0 {
        return Err(Error::config(
            "analysis.weights",
            format!("all {} weights are equal: no spread to fit", w.len()),
        ));
    }
    let sigma = m2.sqrt();
    let sum_ln: f64 = ln.iter().sum();
    // At the MLE the quadratic terms sum to n/2.
    let lognormal_loglik = -sum_ln - n * sigma.ln() - 0.5 * n * LN_2PI - 0.5 * n;
    let sd = var.sqrt();
    let normal_loglik = -n * sd.ln() - 0.5 * n * LN_2PI - 0.5 * n;
    let rate = 1.0 / mean;
    let exponential_loglik = n * rate.ln() - n;
    let mut fits = WeightFits {
        n: w.len(),
        lognormal_mu: mu,
        lognormal_sigma: sigma,
        lognormal_loglik,
        normal_mean: mean,
        normal_sd: sd,
        normal_loglik,
        exponential_rate: rate,
        exponential_loglik,
        best: WeightModel::LogNormal,
        log_skewness: m3 / m2.powf(1.5),
    };
    for model in [WeightModel::Normal, WeightModel::Exponential] {
        if fits.aic(model) < fits.aic(fits.best) {
            fits.best = model;
        }
    }
    Ok(fits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream, Stream};
    use rand_distr::{Distribution, Exp, LogNormal, Normal};

    #[test]
    fn weights_by_hand() {
        // w = [1, e, e²] → ln w = [0, 1, 2]: μ = 1, σ² = 2/3.
        let e = std::f64::consts::E;
        let f = fit_weights(&[1.0, e, e * e]).unwrap();
        assert!((f.lognormal_mu - 1.0).abs() < 1e-15);
        assert!((f.lognormal_sigma - (2.0f64 / 3.0).sqrt()).abs() < 1e-15);
        // ℓ = −Σ ln w − n ln σ − (n/2) ln 2π − n/2 = −3 − 3 ln √(2/3) − 1.5 ln 2π − 1.5,
        // equal to the sum of the lognormal log-densities.
        let s = (2.0f64 / 3.0).sqrt();
        let direct: f64 = [0.0f64, 1.0, 2.0]
            .iter()
            .map(|&l| -l - s.ln() - 0.5 * LN_2PI - (l - 1.0).powi(2) / (2.0 * s * s))
            .sum();
        assert!((f.lognormal_loglik - direct).abs() < 1e-12);
        // Symmetric ln w: skewness 0. Exponential: rate 3/(1 + e + e²).
        assert!(f.log_skewness.abs() < 1e-12);
        assert!((f.exponential_rate - 3.0 / (1.0 + e + e * e)).abs() < 1e-15);
        // Skewed ln w = [0, 0, 3]: μ = 1, deviations [−1, −1, 2]; m2 = (1 + 1 + 4)/3 = 2,
        // m3 = (−1 − 1 + 8)/3 = 2 → g₁ = 2/2^{3/2} = 1/√2.
        let f = fit_weights(&[1.0, 1.0, e.powi(3)]).unwrap();
        assert!((f.log_skewness - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
    }

    #[test]
    fn lognormal_samples_prefer_lognormal() {
        // 2·10⁴ draws of LogNormal(μ = −1.5, σ = 0.8): SE(μ̂) = σ/√n ≈ 0.0057,
        // SE(σ̂) ≈ σ/√(2n) ≈ 0.004. Tolerance ±0.03 on both (> 5 SE); skewness of ln w
        // within ±0.1 of 0 (SE √(6/n) ≈ 0.017).
        let mut rng = stream(21, Stream::Init);
        let dist = LogNormal::new(-1.5, 0.8).unwrap();
        let w: Vec<f64> = (0..20_000).map(|_| dist.sample(&mut rng)).collect();
        let f = fit_weights(&w).unwrap();
        assert_eq!(f.best, WeightModel::LogNormal);
        assert!((f.lognormal_mu + 1.5).abs() < 0.03, "{f:?}");
        assert!((f.lognormal_sigma - 0.8).abs() < 0.03, "{f:?}");
        assert!(f.log_skewness.abs() < 0.1, "{f:?}");
        assert!(f.lognormal_loglik > f.normal_loglik && f.lognormal_loglik > f.exponential_loglik);
    }

    #[test]
    fn normal_and_exponential_samples_pick_their_model() {
        let mut rng = stream(22, Stream::Init);
        let normal = Normal::new(10.0, 1.0).unwrap();
        let w: Vec<f64> = (0..20_000).map(|_| normal.sample(&mut rng)).collect();
        let f = fit_weights(&w).unwrap();
        assert_eq!(f.best, WeightModel::Normal);
        assert!((f.normal_mean - 10.0).abs() < 0.05 && (f.normal_sd - 1.0).abs() < 0.05);
        let exp = Exp::new(2.0).unwrap();
        let w: Vec<f64> = (0..20_000).map(|_| exp.sample(&mut rng)).collect();
        let f = fit_weights(&w).unwrap();
        assert_eq!(f.best, WeightModel::Exponential);
        assert!((f.exponential_rate - 2.0).abs() < 0.1);
    }

    #[test]
    fn weights_degenerate_inputs() {
        assert!(fit_weights(&[]).is_err());
        assert!(fit_weights(&[1.0]).is_err());
        assert!(fit_weights(&[0.5, 0.5, 0.5]).is_err());
        assert!(fit_weights(&[0.5, 0.0]).is_err());
        assert!(fit_weights(&[0.5, -1.0]).is_err());
        assert!(fit_weights(&[0.5, f64::NAN]).is_err());
        assert!(fit_weights(&[0.5, f64::INFINITY]).is_err());
    }
}
