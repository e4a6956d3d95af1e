//! The five SORN plasticity rules as plain functions over state slices and sparse rows.
//!
//! Notation (`shared/reference/sorn.md` §1): W_ij is the weight from j (pre) to i (post),
//! stored as row i; `x` is x(t), `x_new` is x(t+1), `y` is y(t). Binary states are `f64`
//! 0.0 / 1.0 so that they multiply weights without branches.
//!
//! Within one step the rules run in the lab code's order IP → STDP → SP → iSTDP → SN
//! (the `sorn` package runs STDP before IP, which is equivalent: they touch different state).

use rand::Rng as _;

use super::params::IstdpFloor;
use crate::rng::Rng;
use crate::sparse::{RowMut, SparseRows};

pub use crate::exec::Par;

/// Intrinsic plasticity (Lazar 2009): `T_i ← clamp(T_i + η_IP (x_i(t+1) − H_i))`.
pub fn ip(te: &mut [f64], x_new: &[f64], h_ip: &[f64], eta: f64, clamp: [f64; 2]) {
    for ((t, &x), &h) in te.iter_mut().zip(x_new).zip(h_ip) {
        *t = (*t + eta * (x - h)).clamp(clamp[0], clamp[1]);
    }
}

/// STDP of E→E weights (Lazar 2009):
/// `ΔW_ij = η [x_i(t+1) x_j(t) − x_i(t) x_j(t+1)]`, then `W_ij ← min(W_ij, w_max)`, and a
/// changed weight that is ≤ 0 or below `prune_below` is removed.
///
/// Only rows of units active at t or t+1 can change; the others are skipped at once.
#[allow(clippy::too_many_arguments)] // the rule's own parameters, each named in its formula
pub fn stdp(
    w: &mut SparseRows,
    x: &[f64],
    x_new: &[f64],
    eta: f64,
    w_max: f64,
    prune_below: f64,
    par: Par,
) {
    w.update_rows(&mut [], par.parallel, par.leaf, |i, row, _| {
        let (post_new, post_old) = (x_new[i], x[i]);
        if post_new == 0.0 && post_old == 0.0 {
            return;
        }
        row.retain(|j, wij| {
            let j = j as usize;
            let d = eta * (post_new * x[j] - post_old * x_new[j]);
            if d == 0.0 {
                return true;
            }
            *wij = (*wij + d).min(w_max);
            *wij > 0.0 && *wij >= prune_below
        });
    });
}

/// Structural plasticity (Zheng 2013): create `⌊rate⌋` new E→E synapses, plus one more with
/// probability `rate − ⌊rate⌋`, each at a position drawn uniformly among the absent ones
/// (i ≠ j), with weight `w_new`. For rate ≤ 1 this is the reference rule "one new synapse
/// with probability p_SP". Returns the number created.
pub fn sp(w: &mut SparseRows, rate: f64, w_new: f64, rng: &mut Rng) -> usize {
    let whole = rate.floor();
    let mut n = whole as usize;
    if rng.random::<f64>() < rate - whole {
        n += 1;
    }
    let ne = w.n_rows();
    let mut created = 0;
    for _ in 0..n {
        let possible = ne * ne.saturating_sub(1);
        if w.nnz() >= possible {
            break;
        }
        let (i, j) = if w.nnz() * 2 <= possible {
            // Rejection sampling: exactly uniform over absent pairs, ≤ 2 tries expected.
            loop {
                let i = rng.random_range(0..ne);
                let j = rng.random_range(0..ne) as u32;
                if i != j as usize && !w.contains(i, j) {
                    break (i, j);
                }
            }
        } else {
            nth_absent(w, rng.random_range(0..possible - w.nnz()))
        };
        w.insert(i, j, w_new);
        created += 1;
    }
    created
}

/// The `r`-th absent off-diagonal position in row-major order (dense matrices only).
fn nth_absent(w: &SparseRows, mut r: usize) -> (usize, u32) {
    let ne = w.n_rows();
    for i in 0..ne {
        let absent = ne - 1 - w.row_len(i);
        if r >= absent {
            r -= absent;
            continue;
        }
        let cols = w.row(i).0;
        let mut k = 0;
        for j in 0..ne as u32 {
            if j as usize == i {
                continue;
            }
            if k < cols.len() && cols[k] == j {
                k += 1;
                continue;
            }
            if r == 0 {
                return (i, j);
            }
            r -= 1;
        }
    }
    unreachable!("r is below the number of absent positions")
}

/// Inhibitory STDP (Zheng 2013):
/// `ΔW^EI_ik = −η_inh · y_k(t) · [1 − x_i(t+1)(1 + 1/μ_IP)]`; weights > 1 become 1, weights
/// ≤ 0 follow `floor`.
pub fn istdp(w_ei: &mut SparseRows, y: &[f64], x_new: &[f64], rule: &Istdp, par: Par) {
    w_ei.update_rows(&mut [], par.parallel, par.leaf, |i, row, _| {
        rule.row(row, y, x_new[i]);
    });
}

/// The parameters of [`istdp`].
#[derive(Clone, Debug, PartialEq)]
pub struct Istdp {
    /// η_inh.
    pub eta: f64,
    /// μ_IP: the balance point is 1 + 1/μ_IP.
    pub mu_ip: f64,
    /// What happens to weights that reach ≤ 0.
    pub floor: IstdpFloor,
}

impl Istdp {
    /// Update one row (post unit with x_i(t+1) = `xi`). With y ∈ {0, 1}, `w + Δ·y_k` leaves
    /// the weights from silent units exactly unchanged, so no branch on y is needed.
    #[inline]
    fn row(&self, row: &mut RowMut<'_>, y: &[f64], xi: f64) {
        let d = -self.eta * (1.0 - xi * (1.0 + 1.0 / self.mu_ip));
        match self.floor {
            IstdpFloor::Keep { weight } => {
                let (cols, ws) = row.weights_mut();
                for (&k, w) in cols.iter().zip(ws) {
                    *w += d * y[k as usize];
                    if *w <= 0.0 {
                        *w = weight;
                    }
                    if *w > 1.0 {
                        *w = 1.0;
                    }
                }
            }
            IstdpFloor::Remove => row.retain(|k, w| {
                *w += d * y[k as usize];
                if *w > 1.0 {
                    *w = 1.0;
                }
                *w > 0.0
            }),
        }
    }
}

/// iSTDP and then normalisation of every I→E row, and the next step's inhibitory input
/// `out[i] = Σ_k W_ik y_k(t+1)`, in one visit per row (the row stays in cache): the same
/// values as [`istdp`] followed by [`normalise_and_dot`].
pub fn istdp_normalise_and_dot(
    w_ei: &mut SparseRows,
    rule: &Istdp,
    y: &[f64],
    x_new: &[f64],
    y_new: &[f64],
    out: &mut [f64],
    par: Par,
) {
    w_ei.update_rows(out, par.parallel, par.leaf, |i, row, o| {
        rule.row(row, y, x_new[i]);
        normalise_row(row);
        if let Some(o) = o {
            *o = row.dot(y_new);
        }
    });
}

/// Synaptic normalisation: every row with positive sum is divided by its sum, so incoming
/// weights sum to 1. Empty rows stay empty (no NaN; the `sorn` package divides by zero here).
pub fn normalise(w: &mut SparseRows) {
    w.update_rows(&mut [], false, usize::MAX, |_, row, _| normalise_row(row));
}

#[inline]
fn normalise_row(row: &mut RowMut<'_>) {
    let s = row.sum();
    if s > 0.0 {
        for v in row.weights_mut().1 {
            *v /= s;
        }
    }
}

/// [`normalise`], and while each row is in cache, `out[i] = Σ_j W_ij · state_j`: the
/// recurrent input of the next step, computed exactly as a separate pass would compute it.
pub fn normalise_and_dot(w: &mut SparseRows, state: &[f64], out: &mut [f64], par: Par) {
    w.update_rows(out, par.parallel, par.leaf, |_, row, o| {
        normalise_row(row);
        if let Some(o) = o {
            *o = row.dot(state);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{self, Stream};

    fn m(rows: Vec<Vec<(u32, f64)>>, n_cols: usize) -> SparseRows {
        SparseRows::from_rows(n_cols, rows)
    }

    #[test]
    fn ip_by_hand() {
        let mut te = vec![0.5, 0.5, 0.02];
        ip(
            &mut te,
            &[1.0, 0.0, 0.0],
            &[0.1; 3],
            0.01,
            [f64::NEG_INFINITY, f64::INFINITY],
        );
        assert!((te[0] - 0.509).abs() < 1e-15);
        assert!((te[1] - 0.499).abs() < 1e-15);
        assert!((te[2] - 0.019).abs() < 1e-15);
        // Clamp on: the `sorn` package's [te_min, te_max] = [0, 1].
        let mut te = vec![0.0005, 0.9995];
        ip(&mut te, &[0.0, 1.0], &[0.1; 2], 0.01, [0.0, 1.0]);
        assert_eq!(te, vec![0.0, 1.0]);
        // Clamp off: the same values leave [0, 1].
        let mut te = vec![0.0005, 0.9995];
        ip(
            &mut te,
            &[0.0, 1.0],
            &[0.1; 2],
            0.01,
            [f64::NEG_INFINITY, f64::INFINITY],
        );
        assert!(te[0] < 0.0 && te[1] > 1.0);
    }

    #[test]
    fn stdp_by_hand_three_units() {
        // Row i = post. 0←1, 0←2, 1←0, 2←0.
        let mut w = m(
            vec![vec![(1, 0.5), (2, 0.5)], vec![(0, 0.3)], vec![(0, 0.2)]],
            3,
        );
        // x(t) = [0, 1, 0], x(t+1) = [1, 0, 1]:
        //  W01: post 0 new & pre 1 old → +η; W02: x0(t)=0 → 0;
        //  W10: x1(t)=1, x0(t+1)=1 → −η;  W20: x2(t+1)=1, x0(t)=0 and x2(t)=0 → 0.
        stdp(
            &mut w,
            &[0.0, 1.0, 0.0],
            &[1.0, 0.0, 1.0],
            0.1,
            1.0,
            1e-10,
            Par::SERIAL,
        );
        assert!((w.get(0, 1).unwrap() - 0.6).abs() < 1e-15);
        assert_eq!(w.get(0, 2), Some(0.5));
        assert!((w.get(1, 0).unwrap() - 0.2).abs() < 1e-15);
        assert_eq!(w.get(2, 0), Some(0.2));
    }

    #[test]
    fn stdp_prunes_and_clips() {
        let mut w = m(vec![vec![(1, 0.05), (2, 0.98)], vec![(0, 0.5)], vec![]], 3);
        // x(t) = [1, 0, 1], x(t+1) = [1, 1, 0].
        // W01 (post 0, pre 1): η(1·0 − 1·1) = −0.1 → −0.05 → pruned.
        // W02: η(1·1 − 1·0) = +0.1 → 1.08 → clipped to 1.
        // W10 (post 1, pre 0): η(1·1 − 0·1) = +0.1 → 0.6.
        stdp(
            &mut w,
            &[1.0, 0.0, 1.0],
            &[1.0, 1.0, 0.0],
            0.1,
            1.0,
            1e-10,
            Par::SERIAL,
        );
        assert_eq!(w.row(0).0, &[2]);
        assert_eq!(w.get(0, 2), Some(1.0));
        assert!((w.get(1, 0).unwrap() - 0.6).abs() < 1e-15);
        assert_eq!(w.nnz(), 2);
        // Lab threshold: a weight left at 5e-11 is pruned; with the `sorn` rule (≤ 0) it stays.
        for (prune, kept) in [(1e-10, 0), (0.0, 1)] {
            let mut w = m(vec![vec![(1, 0.1 + 5e-11)], vec![]], 2);
            stdp(
                &mut w,
                &[0.0, 0.0],
                &[0.0, 1.0],
                0.0,
                1.0,
                prune,
                Par::SERIAL,
            );
            assert_eq!(w.nnz(), 1, "η = 0 changes nothing");
            stdp(
                &mut w,
                &[1.0, 0.0],
                &[0.0, 1.0],
                0.1,
                1.0,
                prune,
                Par::SERIAL,
            );
            assert_eq!(w.nnz(), kept, "prune_below = {prune}");
        }
    }

    #[test]
    fn istdp_by_hand_with_both_floors() {
        // Two E posts, two I pres. μ = 0.1 → balance 11.
        let rows = || vec![vec![(0, 0.0005), (1, 0.5)], vec![(0, 0.9995), (1, 0.5)]];
        let x_new = [0.0, 1.0];
        // Post 0 silent: Δ = −η = −0.001 on the synapse from active I0 → 0.0005 − 0.001 < 0.
        // Post 1 active: Δ = −η(1 − 11) = +0.01 → 1.0095 → clipped to 1.
        let y = [1.0, 0.0];
        let run = |floor: IstdpFloor| {
            let rule = Istdp {
                eta: 0.001,
                mu_ip: 0.1,
                floor,
            };
            let mut w = m(rows(), 2);
            istdp(&mut w, &y, &x_new, &rule, Par::SERIAL);
            // The fused pass gives the same weights, normalised, and the next input.
            let mut fused = m(rows(), 2);
            let mut out = vec![0.0; 2];
            istdp_normalise_and_dot(
                &mut fused,
                &rule,
                &y,
                &x_new,
                &[0.0, 1.0],
                &mut out,
                Par::SERIAL,
            );
            let mut expect = w.clone();
            let mut dots = vec![0.0; 2];
            normalise_and_dot(&mut expect, &[0.0, 1.0], &mut dots, Par::SERIAL);
            assert_eq!(fused, expect);
            assert_eq!(out, dots);
            w
        };
        let w = run(IstdpFloor::Keep { weight: 0.001 });
        assert_eq!(w.get(0, 0), Some(0.001));
        assert_eq!(w.get(0, 1), Some(0.5));
        assert_eq!(w.get(1, 0), Some(1.0));
        assert_eq!(w.get(1, 1), Some(0.5), "silent I unit: no change");
        let w = run(IstdpFloor::Remove);
        assert_eq!(w.get(0, 0), None);
        assert_eq!(w.get(1, 0), Some(1.0));
        assert_eq!(w.nnz(), 3);
        w.check_invariants().unwrap();
    }

    #[test]
    fn normalise_rows_and_empty_row() {
        let mut w = m(vec![vec![(1, 1.0), (2, 3.0)], vec![], vec![(0, 0.2)]], 3);
        let mut out = vec![f64::NAN; 3];
        normalise_and_dot(&mut w, &[0.0, 1.0, 1.0], &mut out, Par::SERIAL);
        assert_eq!(w.row(0).1, &[0.25, 0.75]);
        assert_eq!(w.row(1).1.len(), 0);
        assert_eq!(w.row(2).1, &[1.0]);
        assert_eq!(out, vec![1.0, 0.0, 0.0]);
    }

    #[test]
    fn sp_inserts_expected_number_at_absent_positions() {
        let mut rng = rng::stream(3, Stream::Structural);
        // Probability 0.3 per step over 10 000 steps: ≈ 3000 ± 46 (binomial sd).
        let mut w = SparseRows::empty(200, 200);
        let mut created = 0;
        for _ in 0..10_000 {
            created += sp(&mut w, 0.3, 0.001, &mut rng);
        }
        assert!((2800..3200).contains(&created), "{created}");
        assert_eq!(w.nnz(), created);
        w.check_invariants().unwrap();
        assert!(w.triplets().all(|(i, j, v)| i != j && v == 0.001));
        // Scaled rate 2.5: always 2 or 3 per step.
        let mut w = SparseRows::empty(50, 50);
        for _ in 0..100 {
            let c = sp(&mut w, 2.5, 0.001, &mut rng);
            assert!(c == 2 || c == 3);
        }
        // A nearly full 4-unit matrix fills up exactly (uniform pick by counting), then stops.
        let mut w = SparseRows::empty(4, 4);
        for _ in 0..30 {
            sp(&mut w, 1.0, 0.5, &mut rng);
        }
        assert_eq!(w.nnz(), 12);
        assert!(w.triplets().all(|(i, j, _)| i != j));
    }
}
