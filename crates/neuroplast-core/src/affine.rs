//! Closed forms of the clipped affine recursion `w ← clip(a·w + c·qᵏ, lo, hi)`, `k = 0…n−1`:
//! `n` steps of a weight whose per-step change is linear in the weight and in one trace that
//! decays by `q` per step. The built-in `homeostatic_stdp` rule and the model language's
//! per-step synapse equations in closed form between events (`lang::synapse`) both advance
//! their synapses with [`stretch`].
//!
//! Without bounds, `w_n = aⁿ·w₀ + c·(aⁿ − qⁿ)/(a − q)`. A bound at which the per-step map
//! pushes outward stays absorbing as long as it keeps pushing outward, and since `c·qᵏ` is
//! monotone a bound switches at most once, from absorbing to repelling (upper bound: `c > 0`,
//! `a < 1`; lower bound: `c < 0`, `a > 1`, `lo > 0`); the stretch is then split at that step
//! and computed from the bound on. Otherwise the clipped result is the clipped closed form.

/// The powers `qᵏ` of a trace's per-step decay factor (a table, or `exp(k·ln q)`).
pub(crate) trait Powers {
    /// `qᵏ`.
    fn pow(&self, k: u64) -> f64;
}

/// `g(k) = (aᵏ − qᵏ)/(a − q)`, the sum `Σ_{i<k} aⁱ·q^(k−1−i)` (its limit `k·aᵏ⁻¹` at a = q).
#[inline]
pub(crate) fn geometric_gap(a: f64, ln_a: f64, a_k: f64, k: u64, q: &impl Powers) -> f64 {
    let qk = q.pow(k);
    let q1 = q.pow(1);
    if (a - q1).abs() > 1e-12 {
        (a_k - qk) / (a - q1)
    } else {
        k as f64 * (((k as f64) - 1.0) * ln_a).exp()
    }
}

/// `n` steps of `w ← clip(a·w + bc·qᵏ, lo, hi)`, k = 0…n−1, in closed form (see the module
/// docs); `a_n = aⁿ` and `g_n = g(n)` ([`geometric_gap`]) are given (callers memoise them),
/// `ln_q = ln q`.
#[allow(clippy::too_many_arguments)] // reason: one stretch's constants
#[inline]
pub(crate) fn stretch(
    w0: f64,
    a: f64,
    ln_a: f64,
    a_n: f64,
    g_n: f64,
    bc: f64,
    ln_q: f64,
    n: u64,
    lo: f64,
    hi: f64,
    q: &impl Powers,
) -> f64 {
    let free = |w: f64, k: u64, bc: f64| -> f64 {
        let (ak, g) = if k == n {
            (a_n, g_n)
        } else {
            let ak = (k as f64 * ln_a).exp();
            (ak, geometric_gap(a, ln_a, ak, k, q))
        };
        if bc == 0.0 {
            return ak * w;
        }
        ak * w + bc * g
    };
    // the step where a bound stops being absorbing: bc·qᵐ crosses (1 − a)·B
    let split = if bc > 0.0 && a < 1.0 {
        Some((hi, (1.0 - a) * hi / bc))
    } else if bc < 0.0 && a > 1.0 && lo > 0.0 {
        Some((lo, (a - 1.0) * lo / -bc))
    } else {
        None
    };
    if let Some((bound, r)) = split {
        if r < 1.0 {
            // absorbing at the start, repelling from step m on
            let m = ((r.ln() / ln_q).floor() as u64).saturating_add(1);
            if m < n {
                let wm = free(w0, m, bc);
                let hit = if bc > 0.0 { wm >= hi } else { wm <= lo };
                if hit {
                    let bcm = bc * q.pow(m);
                    return free(bound, n - m, bcm).clamp(lo, hi);
                }
            }
        }
    }
    free(w0, n, bc).clamp(lo, hi)
}
