//! Inverse-CDF samplers of the three models (for tests and checks of the fits).

use super::*;

/// Inverse-CDF sampling from a table of unnormalised cumulative weights of x0, x0 + 1, ….
fn sample_table(rng: &mut Rng, x0: u64, cdf: &[f64], n: usize) -> Vec<u64> {
    let total = cdf[cdf.len() - 1];
    (0..n)
        .map(|_| {
            let u = rng.random::<f64>() * total;
            let i = cdf.partition_point(|&c| c <= u).min(cdf.len() - 1);
            x0 + i as u64
        })
        .collect()
}

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    weights
        .map(|w| {
            acc += w;
            acc
        })
        .collect()
}

/// `n` independent draws from the discrete power law p(x) ∝ x^−α on [`xmin`, `xmax`] (inverse
/// CDF over the tabulated window; any finite α).
///
/// Errors (`analysis.powerlaw.*`): non-finite α, or a window as in [`fit_power_law`].
pub fn sample_power_law(
    rng: &mut Rng,
    alpha: f64,
    xmin: u64,
    xmax: u64,
    n: usize,
) -> Result<Vec<u64>> {
    check_window(xmin, xmax, "analysis.powerlaw")?;
    if !alpha.is_finite() {
        return Err(Error::config(
            "analysis.powerlaw.alpha",
            format!("must be finite, got {alpha}"),
        ));
    }
    let l0 = (xmin as f64).ln();
    // Weights relative to the heavier end of the window.
    let anchor = if alpha >= 0.0 { l0 } else { (xmax as f64).ln() };
    let cdf = cumulative((xmin..=xmax).map(|x| (-alpha * ((x as f64).ln() - anchor)).exp()));
    Ok(sample_table(rng, xmin, &cdf, n))
}

/// `n` independent draws from the discrete exponential p(x) ∝ e^−λx on [`xmin`, `xmax`]
/// (inverse CDF over the tabulated window; any finite λ).
///
/// Errors (`analysis.exponential.*`): non-finite λ, or a window as in [`fit_power_law`].
pub fn sample_exponential(
    rng: &mut Rng,
    lambda: f64,
    xmin: u64,
    xmax: u64,
    n: usize,
) -> Result<Vec<u64>> {
    check_window(xmin, xmax, "analysis.exponential")?;
    if !lambda.is_finite() {
        return Err(Error::config(
            "analysis.exponential.lambda",
            format!("must be finite, got {lambda}"),
        ));
    }
    let anchor = if lambda >= 0.0 { xmin } else { xmax } as f64;
    let cdf = cumulative((xmin..=xmax).map(|x| (-lambda * (x as f64 - anchor)).exp()));
    Ok(sample_table(rng, xmin, &cdf, n))
}

/// `n` independent draws from the discrete truncated power law p(x) ∝ x^−α e^−λx, x ≥ `xmin`.
/// The CDF is tabulated until the remaining mass is provably below 1e−13 (at most 10⁷ points).
///
/// Errors (`analysis.truncated_power_law.*`): x_min = 0, α < 0 or λ ≤ 0 (or non-finite), or a
/// λ so small that the table would exceed 10⁷ points.
pub fn sample_truncated_power_law(
    rng: &mut Rng,
    alpha: f64,
    lambda: f64,
    xmin: u64,
    n: usize,
) -> Result<Vec<u64>> {
    let path = "analysis.truncated_power_law";
    if xmin == 0 {
        return Err(Error::config(format!("{path}.xmin"), "must be ≥ 1"));
    }
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(Error::config(
            format!("{path}.alpha"),
            format!("must be ≥ 0, got {alpha}"),
        ));
    }
    if !(lambda.is_finite() && lambda > 0.0) {
        return Err(Error::config(
            format!("{path}.lambda"),
            format!("must be > 0, got {lambda}"),
        ));
    }
    let x0 = xmin as f64;
    let (ratio, one_minus_ratio) = ((-lambda).exp(), -(-lambda).exp_m1());
    let mut cdf = Vec::new();
    let mut acc = 0.0;
    let mut x = xmin;
    loop {
        let t = (-alpha * (x as f64 / x0).ln() - lambda * (x as f64 - x0)).exp();
        acc += t;
        cdf.push(acc);
        // Rest ≤ t·r/(1 − r) because terms shrink at least by r = e^−λ per step (α ≥ 0).
        if t * ratio <= 1e-13 * acc * one_minus_ratio {
            break;
        }
        x += 1;
        if x - xmin >= TPL_MAX_TABLE {
            return Err(Error::config(
                format!("{path}.lambda"),
                format!("λ = {lambda} is too small to tabulate the CDF in {TPL_MAX_TABLE} points"),
            ));
        }
    }
    Ok(sample_table(rng, xmin, &cdf, n))
}
