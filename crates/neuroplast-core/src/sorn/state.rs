//! Replacing a SORN's state as a whole ([`Sorn::set_state`]): the states, the thresholds and
//! the three weight matrices, checked entry by entry before anything changes.
//!
//! ```
//! use neuroplast_core::sorn::{DenseMatrix, Preset, Sorn, SornState};
//! let mut net = Sorn::new(Preset::Lazar2009.params(10), 1).unwrap();
//! let mut s = SornState::of(&net);
//! s.w_ee.set(3, 3, 0.5); // a self-connection
//! let err = net.set_state(s).unwrap_err();
//! assert_eq!(err.to_string(), "w_ee[3, 3]: bad value 0.5; allowed: 0 on the diagonal (no self-connections)");
//! let ok = SornState::of(&net);
//! net.set_state(ok).unwrap();
//! # let _ = DenseMatrix::zeros(1, 1);
//! ```

use crate::sparse::SparseRows;
use crate::{Error, Result};

use super::Sorn;

/// A dense matrix, row-major (`rows` = postsynaptic units, as [`SparseRows`]); zero entries
/// are absent synapses.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseMatrix {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// `values[i * cols + j]` is entry (i, j).
    pub values: Vec<f64>,
}

impl DenseMatrix {
    /// A `rows × cols` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> DenseMatrix {
        DenseMatrix {
            rows,
            cols,
            values: vec![0.0; rows * cols],
        }
    }

    /// The dense form of `m`.
    pub fn of(m: &SparseRows) -> DenseMatrix {
        let mut d = DenseMatrix::zeros(m.n_rows(), m.n_cols());
        for (i, j, w) in m.triplets() {
            d.set(i as usize, j as usize, w);
        }
        d
    }

    /// Entry (i, j).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.cols + j]
    }

    /// Set entry (i, j).
    pub fn set(&mut self, i: usize, j: usize, v: f64) {
        self.values[i * self.cols + j] = v;
    }

    /// The non-zero entries of each row as `(column, weight)`.
    fn sparse_rows(&self) -> Vec<Vec<(u32, f64)>> {
        self.values
            .chunks(self.cols.max(1))
            .take(self.rows)
            .map(|r| {
                r.iter()
                    .enumerate()
                    .filter(|(_, &w)| w != 0.0)
                    .map(|(j, &w)| (j as u32, w))
                    .collect()
            })
            .collect()
    }
}

/// The state of a SORN that [`Sorn::set_state`] replaces: x(t), y(t), T_E, T_I and the
/// weights W_EE (N_E × N_E), W_EI (N_E × N_I) and W_IE (N_I × N_E), rows postsynaptic.
#[derive(Clone, Debug, PartialEq)]
pub struct SornState {
    /// x(t), 0 or 1 per E unit.
    pub x: Vec<f64>,
    /// y(t), 0 or 1 per I unit.
    pub y: Vec<f64>,
    /// T_E, finite.
    pub te: Vec<f64>,
    /// T_I, finite.
    pub ti: Vec<f64>,
    /// E→E weights (finite, ≥ 0, zero diagonal).
    pub w_ee: DenseMatrix,
    /// I→E weights (finite, ≥ 0).
    pub w_ei: DenseMatrix,
    /// E→I weights (finite, ≥ 0).
    pub w_ie: DenseMatrix,
}

impl SornState {
    /// The current state of `net`.
    pub fn of(net: &Sorn) -> SornState {
        SornState {
            x: net.x().to_vec(),
            y: net.y().to_vec(),
            te: net.te().to_vec(),
            ti: net.ti().to_vec(),
            w_ee: DenseMatrix::of(net.w_ee()),
            w_ei: DenseMatrix::of(net.w_ei()),
            w_ie: DenseMatrix::of(net.w_ie()),
        }
    }
}

fn shape(what: &str, got: [usize; 2], want: [usize; 2]) -> Result<()> {
    if got == want {
        return Ok(());
    }
    let show = |[r, c]: [usize; 2]| {
        if c == 1 {
            format!("({r},)")
        } else {
            format!("({r}, {c})")
        }
    };
    Err(Error::ShapeMismatch {
        what: what.into(),
        expected: show(want),
        got: show(got),
    })
}

fn bad(what: &str, at: String, v: f64, allowed: &str) -> Error {
    Error::config(
        format!("{what}[{at}]"),
        format!("bad value {v}; allowed: {allowed}"),
    )
}

impl Sorn {
    /// Replace the state: x, y, thresholds and the weight matrices. Shapes must match the
    /// network (a [`Error::ShapeMismatch`] names the array), states must be 0 or 1, thresholds
    /// finite, weights finite and ≥ 0 with no E→E self-connection; the first bad entry is an
    /// [`Error::Config`] naming it (`x[3]`, `w_ee[2, 5]`). Nothing changes unless everything is
    /// valid. Weights are taken as given (no normalisation); the step count, rules and random
    /// streams stay.
    pub fn set_state(&mut self, s: SornState) -> Result<()> {
        let (ne, ni) = (self.params().ne, self.params().ni);
        for (what, len, want) in [
            ("x", s.x.len(), ne),
            ("y", s.y.len(), ni),
            ("te", s.te.len(), ne),
            ("ti", s.ti.len(), ni),
        ] {
            shape(what, [len, 1], [want, 1])?;
        }
        for (what, m, want) in [
            ("w_ee", &s.w_ee, [ne, ne]),
            ("w_ei", &s.w_ei, [ne, ni]),
            ("w_ie", &s.w_ie, [ni, ne]),
        ] {
            shape(what, [m.rows, m.cols], want)?;
            debug_assert_eq!(m.values.len(), m.rows * m.cols);
        }
        for (what, a) in [("x", &s.x), ("y", &s.y)] {
            if let Some((i, &v)) = a.iter().enumerate().find(|(_, &v)| v != 0.0 && v != 1.0) {
                return Err(bad(what, i.to_string(), v, "0 or 1"));
            }
        }
        for (what, a) in [("te", &s.te), ("ti", &s.ti)] {
            if let Some((i, &v)) = a.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(bad(what, i.to_string(), v, "finite thresholds"));
            }
        }
        for (what, m) in [("w_ee", &s.w_ee), ("w_ei", &s.w_ei), ("w_ie", &s.w_ie)] {
            if let Some((k, &v)) = m
                .values
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                let (i, j) = (k / m.cols, k % m.cols);
                return Err(bad(what, format!("{i}, {j}"), v, "finite weights ≥ 0"));
            }
        }
        if let Some(i) = (0..ne).find(|&i| s.w_ee.get(i, i) != 0.0) {
            return Err(bad(
                "w_ee",
                format!("{i}, {i}"),
                s.w_ee.get(i, i),
                "0 on the diagonal (no self-connections)",
            ));
        }
        let w_ee = SparseRows::from_rows(ne, s.w_ee.sparse_rows());
        let w_ei = SparseRows::from_rows_packed(ni, s.w_ei.sparse_rows());
        let w_ie = SparseRows::from_rows_packed(ne, s.w_ie.sparse_rows());
        let m = self.state_mut();
        *m.x = s.x;
        *m.y = s.y;
        *m.te = s.te;
        *m.ti = s.ti;
        *m.w_ee = w_ee;
        *m.w_ei = w_ei;
        *m.w_ie = w_ie;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sorn::input::Input;
    use crate::sorn::Preset;

    fn net() -> Sorn {
        Sorn::new(Preset::Delpapa2017.params(20), 3).unwrap()
    }

    #[test]
    fn round_trip_continues_identically() {
        let mut a = net();
        let mut input = Input::None;
        for _ in 0..50 {
            a.step(&mut input);
        }
        let mut b = a.clone();
        b.set_state(SornState::of(&a)).unwrap();
        for _ in 0..100 {
            a.step(&mut input);
            b.step(&mut Input::None);
        }
        assert_eq!(a.spike_hash(), b.spike_hash());
        assert!(a.w_ee().triplets().eq(b.w_ee().triplets()));
    }

    #[test]
    fn bad_entries_are_named_and_change_nothing() {
        let mut a = net();
        let before = a.clone();
        type Edit = Box<dyn Fn(&mut SornState)>;
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|s| s.x[2] = 0.5),
                "x[2]: bad value 0.5; allowed: 0 or 1",
            ),
            (
                Box::new(|s| s.ti[1] = f64::NAN),
                "ti[1]: bad value NaN; allowed: finite thresholds",
            ),
            (
                Box::new(|s| s.w_ei.set(4, 1, -1.0)),
                "w_ei[4, 1]: bad value -1; allowed: finite weights ≥ 0",
            ),
            (
                Box::new(|s| s.w_ee.set(7, 7, 0.1)),
                "w_ee[7, 7]: bad value 0.1; allowed: 0 on the diagonal (no self-connections)",
            ),
            (
                Box::new(|s| s.y.push(0.0)),
                "y: expected shape (4,), got (5,)",
            ),
            (
                Box::new(|s| s.w_ie = DenseMatrix::zeros(20, 4)),
                "w_ie: expected shape (4, 20), got (20, 4)",
            ),
        ];
        for (edit, msg) in cases {
            let mut s = SornState::of(&a);
            edit(&mut s);
            assert_eq!(a.set_state(s).unwrap_err().to_string(), msg);
            assert_eq!(a, before);
        }
    }
}
