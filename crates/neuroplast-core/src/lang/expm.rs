//! The matrix exponential of the small dense matrices the `exact` method needs, by scaling
//! and squaring with the degree-13 Padé approximant (Higham 2005, "The scaling and squaring
//! method for the matrix exponential revisited", Algorithm 2.3). A few dozen lines instead of
//! a linear-algebra dependency; the systems are a handful of variables.

/// A square matrix, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Mat {
    /// Size.
    pub n: usize,
    /// Entries, `a[i * n + j]`.
    pub a: Vec<f64>,
}

impl Mat {
    /// The `n × n` zero matrix.
    pub fn zeros(n: usize) -> Mat {
        Mat {
            n,
            a: vec![0.0; n * n],
        }
    }

    /// The identity.
    pub fn eye(n: usize) -> Mat {
        let mut m = Mat::zeros(n);
        for i in 0..n {
            m.a[i * n + i] = 1.0;
        }
        m
    }

    /// Entry `(i, j)`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.a[i * self.n + j]
    }

    /// Set entry `(i, j)`.
    pub fn set(&mut self, i: usize, j: usize, x: f64) {
        self.a[i * self.n + j] = x;
    }

    fn mul(&self, o: &Mat) -> Mat {
        let n = self.n;
        let mut out = Mat::zeros(n);
        for i in 0..n {
            for k in 0..n {
                let x = self.a[i * n + k];
                if x == 0.0 {
                    continue;
                }
                for j in 0..n {
                    out.a[i * n + j] += x * o.a[k * n + j];
                }
            }
        }
        out
    }

    fn scale(&self, s: f64) -> Mat {
        Mat {
            n: self.n,
            a: self.a.iter().map(|x| x * s).collect(),
        }
    }

    fn add(&self, o: &Mat) -> Mat {
        Mat {
            n: self.n,
            a: self.a.iter().zip(&o.a).map(|(x, y)| x + y).collect(),
        }
    }

    fn norm1(&self) -> f64 {
        (0..self.n)
            .map(|j| (0..self.n).map(|i| self.get(i, j).abs()).sum::<f64>())
            .fold(0.0, f64::max)
    }

    /// Solve `self · X = b` by Gaussian elimination with partial pivoting; `None` if
    /// singular.
    fn solve(&self, b: &Mat) -> Option<Mat> {
        let n = self.n;
        let mut a = self.a.clone();
        let mut x = b.a.clone();
        for c in 0..n {
            let p = (c..n).max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))?;
            if a[p * n + c] == 0.0 || !a[p * n + c].is_finite() {
                return None;
            }
            if p != c {
                for j in 0..n {
                    a.swap(c * n + j, p * n + j);
                    x.swap(c * n + j, p * n + j);
                }
            }
            let d = a[c * n + c];
            for r in c + 1..n {
                let f = a[r * n + c] / d;
                if f == 0.0 {
                    continue;
                }
                for j in c..n {
                    a[r * n + j] -= f * a[c * n + j];
                }
                for j in 0..n {
                    x[r * n + j] -= f * x[c * n + j];
                }
            }
        }
        for c in (0..n).rev() {
            let d = a[c * n + c];
            for j in 0..n {
                let mut s = x[c * n + j];
                for k in c + 1..n {
                    s -= a[c * n + k] * x[k * n + j];
                }
                x[c * n + j] = s / d;
            }
        }
        Some(Mat { n, a: x })
    }
}

/// `e^A`; `None` when `A` has entries that are not finite or the result overflows.
pub fn expm(a: &Mat) -> Option<Mat> {
    if a.a.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let n = a.n;
    const B: [f64; 14] = [
        64764752532480000.0,
        32382376266240000.0,
        7771770303897600.0,
        1187353796428800.0,
        129060195264000.0,
        10559470521600.0,
        670442572800.0,
        33522128640.0,
        1323241920.0,
        40840800.0,
        960960.0,
        16380.0,
        182.0,
        1.0,
    ];
    const THETA13: f64 = 5.371920351148152;
    let norm = a.norm1();
    let s = if norm > THETA13 {
        ((norm / THETA13).log2().ceil() as i32).clamp(0, 1000)
    } else {
        0
    };
    let a = a.scale(0.5f64.powi(s));
    let id = Mat::eye(n);
    let a2 = a.mul(&a);
    let a4 = a2.mul(&a2);
    let a6 = a4.mul(&a2);
    let u_inner = a6.scale(B[13]).add(&a4.scale(B[11])).add(&a2.scale(B[9]));
    let u = a.mul(
        &a6.mul(&u_inner)
            .add(&a6.scale(B[7]))
            .add(&a4.scale(B[5]))
            .add(&a2.scale(B[3]))
            .add(&id.scale(B[1])),
    );
    let v_inner = a6.scale(B[12]).add(&a4.scale(B[10])).add(&a2.scale(B[8]));
    let v = a6
        .mul(&v_inner)
        .add(&a6.scale(B[6]))
        .add(&a4.scale(B[4]))
        .add(&a2.scale(B[2]))
        .add(&id.scale(B[0]));
    let p = v.add(&u);
    let q = v.add(&u.scale(-1.0));
    let mut r = q.solve(&p)?;
    for _ in 0..s {
        r = r.mul(&r);
    }
    r.a.iter().all(|x| x.is_finite()).then_some(r)
}

/// The propagators of `x' = A x + b` over a step `h` with `b` constant: `P = e^{Ah}` and
/// `Q = ∫₀ʰ e^{As} ds`, so that `x(h) = P x(0) + Q b`. Computed together as the exponential
/// of the augmented matrix `[[A h, I h], [0, 0]]` (Van Loan 1978), which is fine for singular
/// `A` (a constant drift, `A = 0`, gives `P = I`, `Q = h I`).
pub fn propagators(a: &Mat, h: f64) -> Option<(Mat, Mat)> {
    let n = a.n;
    let mut m = Mat::zeros(2 * n);
    for i in 0..n {
        for j in 0..n {
            m.set(i, j, a.get(i, j) * h);
        }
        m.set(i, n + i, h);
    }
    let e = expm(&m)?;
    let mut p = Mat::zeros(n);
    let mut q = Mat::zeros(n);
    for i in 0..n {
        for j in 0..n {
            p.set(i, j, e.get(i, j));
            q.set(i, j, e.get(i, n + j));
        }
    }
    Some((p, q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_and_diagonal() {
        for x in [-50.0, -1.0, -0.01, 0.0, 0.3, 2.0, 10.0] {
            let e = expm(&Mat { n: 1, a: vec![x] }).unwrap();
            let want = f64::exp(x);
            assert!(
                (e.a[0] - want).abs() <= 1e-13 * want,
                "{x}: {} vs {want}",
                e.a[0]
            );
        }
    }

    #[test]
    fn rotation_and_nilpotent() {
        // [[0, t], [−t, 0]] → rotation
        let t = 1.3;
        let e = expm(&Mat {
            n: 2,
            a: vec![0.0, t, -t, 0.0],
        })
        .unwrap();
        let want = [t.cos(), t.sin(), -t.sin(), t.cos()];
        for (k, (x, w)) in e.a.iter().zip(want).enumerate() {
            assert!((x - w).abs() < 1e-14, "{k}");
        }
        // [[0, 1], [0, 0]] → [[1, 1], [0, 1]]
        let e = expm(&Mat {
            n: 2,
            a: vec![0.0, 1.0, 0.0, 0.0],
        })
        .unwrap();
        assert_eq!(e.a, vec![1.0, 1.0, 0.0, 1.0]);
    }

    #[test]
    fn propagators_of_a_relaxation() {
        // x' = −x/τ + b: P = e^{−h/τ}, Q = τ (1 − e^{−h/τ})
        let (tau, h) = (20.0, 0.1);
        let (p, q) = propagators(
            &Mat {
                n: 1,
                a: vec![-1.0 / tau],
            },
            h,
        )
        .unwrap();
        assert!((p.a[0] - (-h / tau).exp()).abs() < 1e-15);
        assert!((q.a[0] - tau * -(-h / tau).exp_m1()).abs() < 1e-15);
        // A = 0: P = 1, Q = h
        let (p, q) = propagators(&Mat { n: 1, a: vec![0.0] }, h).unwrap();
        assert_eq!((p.a[0], q.a[0]), (1.0, h));
        assert!(expm(&Mat {
            n: 1,
            a: vec![f64::NAN]
        })
        .is_none());
        assert!(expm(&Mat { n: 1, a: vec![1e6] }).is_none());
    }
}
