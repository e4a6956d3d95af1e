//! Linear readouts trained on recorded network states: ridge regression (the pseudo-inverse
//! is its λ = 0 case) and multinomial logistic regression.
//!
//! Both produce a [`LinearReadout`]: class scores z = x·W + b, prediction argmax z. Samples
//! are rows of a dense [`Design`] matrix; labels are class ids (`u32`). The class list is the
//! sorted set of training labels, so a test label never seen in training always counts as an
//! error.
//!
//! | method | objective | solver |
//! |---|---|---|
//! | [`fit_ridge`] | Σᵢ ‖xᵢW + b − onehot(yᵢ)‖² + λ‖W‖² | thin SVD (`faer`); λ = 0 is the minimum-norm least-squares solution W = X⁺Y |
//! | [`fit_logistic`] | (1/n) Σᵢ −log softmax(xᵢW + b)_{yᵢ} + ‖W‖² / (2Cn) | L-BFGS (`argmin`, More–Thuente line search) |
//!
//! The logistic objective is scikit-learn's `LogisticRegression(multi_class="multinomial",
//! solver="lbfgs", C=C)` scaled by 1/n (as scikit-learn ≥ 1.1 does internally): same
//! minimiser, intercept not penalised. With `intercept` the ridge appends a constant-1 column
//! that is penalised like every other weight (λ = 0: no difference).
//!
//! Everything here is single-threaded and deterministic: the same data give the same
//! weights on any machine.

use std::cell::RefCell;

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::monitor::{ReadoutTrace, StateFeatures};
use crate::{ensure, Error, Result};

/// Samples as rows of a dense matrix (n × d, row-major).
#[derive(Clone, Debug, PartialEq)]
pub struct Design {
    n: usize,
    d: usize,
    data: Vec<f64>,
}

impl Design {
    /// Wrap `data` (n × d, row-major).
    pub fn new(n: usize, d: usize, data: Vec<f64>) -> Result<Design> {
        if data.len() != n * d {
            return Err(Error::ShapeMismatch {
                what: "readout design matrix".into(),
                expected: format!("({n}, {d}) = {} values", n * d),
                got: format!("{} values", data.len()),
            });
        }
        ensure!(
            data.iter().all(|v| v.is_finite()),
            "readout",
            "the design matrix has non-finite values"
        );
        Ok(Design { n, d, data })
    }

    /// Number of samples.
    pub fn samples(&self) -> usize {
        self.n
    }

    /// Number of features.
    pub fn features(&self) -> usize {
        self.d
    }

    /// Sample i.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.d..(i + 1) * self.d]
    }

    /// Non-zero entries per row (CSR), so that binary network states (≈ 10 % active) cost
    /// a tenth of a dense product.
    fn nonzeros(&self) -> (Vec<usize>, Vec<u32>, Vec<f64>) {
        let mut offsets = Vec::with_capacity(self.n + 1);
        let (mut cols, mut vals) = (Vec::new(), Vec::new());
        offsets.push(0);
        for i in 0..self.n {
            for (j, &v) in self.row(i).iter().enumerate() {
                if v != 0.0 {
                    cols.push(j as u32);
                    vals.push(v);
                }
            }
            offsets.push(cols.len());
        }
        (offsets, cols, vals)
    }
}

/// A trained linear classifier: scores z = x·W + b over `classes`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearReadout {
    /// The class ids, ascending; column k of the weights scores `classes[k]`.
    pub classes: Vec<u32>,
    /// Weights, d × K, row-major.
    pub weights: Vec<f64>,
    /// Intercepts, one per class (zeros when fitted without intercept).
    pub intercept: Vec<f64>,
    /// Optimiser iterations (0 for the closed-form ridge).
    pub iterations: u64,
    /// Whether the optimiser met its tolerance (always true for ridge).
    pub converged: bool,
}

impl LinearReadout {
    /// Number of features.
    pub fn features(&self) -> usize {
        self.weights.len() / self.classes.len().max(1)
    }

    /// Class scores of one sample.
    pub fn scores(&self, x: &[f64]) -> Vec<f64> {
        let k = self.classes.len();
        let mut z = self.intercept.clone();
        for (j, &v) in x.iter().enumerate() {
            if v != 0.0 {
                for (zc, w) in z.iter_mut().zip(&self.weights[j * k..(j + 1) * k]) {
                    *zc += v * w;
                }
            }
        }
        z
    }

    /// Predicted class of one sample (ties go to the smaller class id).
    pub fn predict(&self, x: &[f64]) -> u32 {
        let z = self.scores(x);
        let mut best = 0;
        for (c, &v) in z.iter().enumerate() {
            if v > z[best] {
                best = c;
            }
        }
        self.classes[best]
    }

    /// Predictions for every sample of `x`.
    pub fn predict_all(&self, x: &Design) -> Result<Vec<u32>> {
        ensure!(
            x.features() == self.features(),
            "readout",
            "the readout was trained on {} features, the samples have {}",
            self.features(),
            x.features()
        );
        Ok((0..x.samples()).map(|i| self.predict(x.row(i))).collect())
    }

    /// Fraction of samples of `x` whose prediction equals `labels`.
    pub fn accuracy(&self, x: &Design, labels: &[u32]) -> Result<f64> {
        check_labels(x, labels)?;
        let pred = self.predict_all(x)?;
        let hits = pred.iter().zip(labels).filter(|(p, l)| p == l).count();
        Ok(hits as f64 / labels.len().max(1) as f64)
    }
}

fn check_labels(x: &Design, labels: &[u32]) -> Result<()> {
    if labels.len() != x.samples() {
        return Err(Error::ShapeMismatch {
            what: "readout labels".into(),
            expected: format!("{} (one per sample)", x.samples()),
            got: labels.len().to_string(),
        });
    }
    Ok(())
}

/// The sorted distinct labels and each label's column.
fn classes_of(labels: &[u32]) -> (Vec<u32>, Vec<usize>) {
    let mut classes = labels.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let col = labels
        .iter()
        .map(|l| classes.binary_search(l).expect("label is in classes"))
        .collect();
    (classes, col)
}

/// Ridge regression onto one-hot targets: minimises ‖XW + 1b − Y‖² + λ‖W‖² through the thin
/// SVD X = U S Vᵀ, W = V diag(s / (s² + λ)) Uᵀ Y. With λ = 0 singular values below
/// max(n, d) · ε · s_max are dropped, which gives the pseudo-inverse solution X⁺Y.
pub fn fit_ridge(
    x: &Design,
    labels: &[u32],
    lambda: f64,
    intercept: bool,
) -> Result<LinearReadout> {
    check_labels(x, labels)?;
    check_lambda(lambda)?;
    ensure!(x.samples() > 0, "readout", "no training samples");
    let (classes, col) = classes_of(labels);
    let (n, d, k) = (x.samples(), x.features(), classes.len());
    let dd = d + usize::from(intercept);
    let a = Mat::<f64>::from_fn(n, dd, |i, j| if j < d { x.row(i)[j] } else { 1.0 });
    let y = Mat::<f64>::from_fn(n, k, |i, c| if col[i] == c { 1.0 } else { 0.0 });
    let svd = a
        .thin_svd()
        .map_err(|e| Error::config("readout", format!("SVD did not converge: {e:?}")))?;
    let (u, s, v) = (svd.U(), svd.S().column_vector(), svd.V());
    let smax = (0..s.nrows()).map(|i| s[i]).fold(0.0, f64::max);
    let cutoff = n.max(dd) as f64 * f64::EPSILON * smax;
    // Uᵀ Y scaled row-wise by the filter factors, then W = V · that.
    let mut uty = u.transpose() * &y;
    for i in 0..uty.nrows() {
        let si = s[i];
        let f = if lambda == 0.0 {
            if si > cutoff {
                1.0 / si
            } else {
                0.0
            }
        } else {
            si / (si * si + lambda)
        };
        for c in 0..k {
            uty[(i, c)] *= f;
        }
    }
    let w = v * &uty;
    let mut weights = Vec::with_capacity(d * k);
    for j in 0..d {
        for c in 0..k {
            weights.push(w[(j, c)]);
        }
    }
    let intercept = (0..k)
        .map(|c| if intercept { w[(d, c)] } else { 0.0 })
        .collect();
    Ok(LinearReadout {
        classes,
        weights,
        intercept,
        iterations: 0,
        converged: true,
    })
}

/// Options of [`fit_logistic`]; the defaults are scikit-learn's (`C = 1`, intercept,
/// gradient tolerance 1e-4) with `max_iter` as in the SORN_V2 counting task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticOptions {
    /// Inverse regularisation strength C (> 0).
    pub c: f64,
    /// Fit an (unpenalised) intercept per class.
    pub intercept: bool,
    /// Most L-BFGS iterations.
    pub max_iter: u64,
    /// Stop when the gradient's L2 norm is below this.
    pub tol: f64,
}

impl LogisticOptions {
    /// Check the options (errors name `readout.c`, `readout.tol`, `readout.max_iter`).
    pub fn validate(&self) -> Result<()> {
        ensure!(
            self.c.is_finite() && self.c > 0.0,
            "readout.c",
            "must be a finite number > 0, got {}",
            self.c
        );
        ensure!(
            self.tol.is_finite() && self.tol > 0.0,
            "readout.tol",
            "must be a finite number > 0, got {}",
            self.tol
        );
        ensure!(self.max_iter > 0, "readout.max_iter", "must be ≥ 1, got 0");
        Ok(())
    }
}

fn check_lambda(lambda: f64) -> Result<()> {
    ensure!(
        lambda.is_finite() && lambda >= 0.0,
        "readout.lambda",
        "must be a finite number ≥ 0 (0 = pseudo-inverse), got {lambda}"
    );
    Ok(())
}

impl Default for LogisticOptions {
    fn default() -> Self {
        LogisticOptions {
            c: 1.0,
            intercept: true,
            max_iter: 2000,
            tol: 1e-4,
        }
    }
}

/// The multinomial logistic objective over sparse rows; parameters are W (d × K, row-major)
/// followed by b (K).
struct Softmax {
    offsets: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f64>,
    col: Vec<usize>,
    d: usize,
    k: usize,
    c: f64,
    intercept: bool,
    /// The last (parameters, cost, gradient): argmin asks for cost and gradient separately.
    cache: RefCell<Option<Evaluated>>,
}

/// Parameters with the objective's value and gradient there.
type Evaluated = (Vec<f64>, f64, Vec<f64>);

impl Softmax {
    fn eval(&self, p: &[f64]) -> (f64, Vec<f64>) {
        if let Some((q, f, g)) = &*self.cache.borrow() {
            if q.as_slice() == p {
                return (*f, g.clone());
            }
        }
        let (d, k) = (self.d, self.k);
        let n = self.col.len();
        let inv_n = 1.0 / n as f64;
        let (w, b) = p.split_at(d * k);
        let mut grad = vec![0.0; p.len()];
        let mut loss = 0.0;
        let mut z = vec![0.0; k];
        for i in 0..n {
            let nz = self.offsets[i]..self.offsets[i + 1];
            if self.intercept {
                z.copy_from_slice(b);
            } else {
                z.fill(0.0);
            }
            for (&j, &v) in self.cols[nz.clone()].iter().zip(&self.vals[nz.clone()]) {
                let j = j as usize;
                for (zc, wc) in z.iter_mut().zip(&w[j * k..(j + 1) * k]) {
                    *zc += v * wc;
                }
            }
            // log-sum-exp, shifted by the maximum for stability.
            let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = z.iter().map(|&zc| (zc - m).exp()).sum();
            let lse = m + sum.ln();
            loss += lse - z[self.col[i]];
            // r = softmax(z) − onehot(y), reusing z.
            for (c, zc) in z.iter_mut().enumerate() {
                *zc = (*zc - lse).exp() - if c == self.col[i] { 1.0 } else { 0.0 };
            }
            for (&j, &v) in self.cols[nz.clone()].iter().zip(&self.vals[nz]) {
                let j = j as usize;
                for (gc, rc) in grad[j * k..(j + 1) * k].iter_mut().zip(&z) {
                    *gc += v * rc;
                }
            }
            if self.intercept {
                for (gc, rc) in grad[d * k..].iter_mut().zip(&z) {
                    *gc += rc;
                }
            }
        }
        let reg = 1.0 / (self.c * n as f64);
        let mut penalty = 0.0;
        for (g, &wv) in grad[..d * k].iter_mut().zip(w) {
            penalty += wv * wv;
            *g = *g * inv_n + reg * wv;
        }
        for g in &mut grad[d * k..] {
            *g *= inv_n;
        }
        let f = loss * inv_n + 0.5 * reg * penalty;
        *self.cache.borrow_mut() = Some((p.to_vec(), f, grad.clone()));
        (f, grad)
    }
}

impl CostFunction for Softmax {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.eval(p).0)
    }
}

impl Gradient for Softmax {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        Ok(self.eval(p).1)
    }
}

/// Multinomial logistic regression (softmax with L2 penalty 1/C on the weights), fitted with
/// L-BFGS from zero weights.
pub fn fit_logistic(x: &Design, labels: &[u32], opts: &LogisticOptions) -> Result<LinearReadout> {
    check_labels(x, labels)?;
    opts.validate()?;
    ensure!(x.samples() > 0, "readout", "no training samples");
    let (classes, col) = classes_of(labels);
    let (d, k) = (x.features(), classes.len());
    if k == 1 {
        // One class: a constant prediction, nothing to fit.
        return Ok(LinearReadout {
            classes,
            weights: vec![0.0; d],
            intercept: vec![0.0],
            iterations: 0,
            converged: true,
        });
    }
    let (offsets, cols, vals) = x.nonzeros();
    let problem = Softmax {
        offsets,
        cols,
        vals,
        col,
        d,
        k,
        c: opts.c,
        intercept: opts.intercept,
        cache: RefCell::new(None),
    };
    let fit_error =
        |e: argmin::core::Error| Error::config("readout", format!("L-BFGS failed: {e}"));
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(opts.tol)
        .map_err(fit_error)?
        .with_tolerance_cost(0.0)
        .map_err(fit_error)?;
    let init = vec![0.0; (d + 1) * k];
    let res = Executor::new(problem, solver)
        .configure(|s| s.param(init).max_iters(opts.max_iter))
        .run()
        .map_err(fit_error)?;
    let state = res.state();
    let converged = matches!(
        state.get_termination_status(),
        TerminationStatus::Terminated(TerminationReason::SolverConverged)
    );
    let iterations = state.get_iter();
    let p = state
        .get_best_param()
        .cloned()
        .ok_or_else(|| Error::config("readout", "L-BFGS returned no parameters"))?;
    let (w, b) = p.split_at(d * k);
    Ok(LinearReadout {
        classes,
        weights: w.to_vec(),
        intercept: if opts.intercept {
            b.to_vec()
        } else {
            vec![0.0; k]
        },
        iterations,
        converged,
    })
}

/// What the readout predicts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The position of the symbol in its word (SORN_V2's counting-task label).
    #[default]
    Position,
    /// The symbol itself (Lazar 2009, Del Papa 2017).
    Symbol,
}

/// How the readout is fitted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Method {
    /// Multinomial logistic regression.
    Logistic(LogisticOptions),
    /// Ridge regression onto one-hot targets; `lambda = 0` is the pseudo-inverse.
    Ridge {
        /// λ ≥ 0.
        lambda: f64,
        /// Append a constant-1 feature.
        intercept: bool,
    },
}

impl Method {
    /// Check the fit's options, as [`fit_logistic`] and [`fit_ridge`] would.
    pub fn validate(&self) -> Result<()> {
        match self {
            Method::Logistic(o) => o.validate(),
            Method::Ridge { lambda, .. } => check_lambda(*lambda),
        }
    }
}

impl Default for Method {
    fn default() -> Self {
        Method::Logistic(LogisticOptions::default())
    }
}

/// A readout experiment on a recorded [`ReadoutTrace`]: the first `train_steps` samples train
/// it, the next `test_steps` test it. Within each phase, the state of step t is paired with
/// the label of step t + `predict_ahead` (so each phase gives `steps − predict_ahead`
/// samples).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReadoutSpec {
    /// Training steps.
    pub train_steps: u64,
    /// Test steps (immediately after the training steps).
    pub test_steps: u64,
    /// Which state (recorded by the monitor).
    pub features: StateFeatures,
    /// What to predict.
    pub target: Target,
    /// Steps between the state and its label (SORN_V2: 1).
    pub predict_ahead: u64,
    /// Test samples whose label-time symbol is one of these are not scored (Del Papa 2017
    /// excludes A and D, the unpredictable first letters of the words).
    pub exclude: Vec<char>,
    /// The fit.
    pub method: Method,
}

/// The score of one symbol (by the symbol presented at the label's step).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SymbolScore {
    /// The symbol.
    pub symbol: char,
    /// Correct predictions.
    pub correct: usize,
    /// Scored samples.
    pub total: usize,
    /// correct / total.
    pub accuracy: f64,
}

/// The outcome of [`evaluate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReadoutReport {
    /// Test accuracy over the scored samples.
    pub accuracy: f64,
    /// Accuracy on the training samples.
    pub train_accuracy: f64,
    /// Test accuracy per symbol.
    pub per_symbol: Vec<SymbolScore>,
    /// Training samples.
    pub train_samples: usize,
    /// Test samples scored (after `exclude`).
    pub scored_samples: usize,
    /// Number of classes seen in training.
    pub classes: usize,
    /// Optimiser iterations (0 for ridge).
    pub iterations: u64,
    /// Whether the optimiser met its tolerance.
    pub converged: bool,
}

/// Train and test the readout of `spec` on `trace` (from a symbol input with `alphabet`).
pub fn evaluate(
    trace: &ReadoutTrace,
    alphabet: &[char],
    spec: &ReadoutSpec,
) -> Result<ReadoutReport> {
    let (train, test) = (spec.train_steps as usize, spec.test_steps as usize);
    let k = spec.predict_ahead as usize;
    ensure!(
        trace.len() >= train + test,
        "readout",
        "needs {} recorded steps (train_steps + test_steps) but {} were recorded; was the \
         run stopped early?",
        train + test,
        trace.len()
    );
    ensure!(
        train > k && test > k,
        "readout.predict_ahead",
        "must be smaller than train_steps and test_steps, got {k}"
    );
    let label = |t: usize| match spec.target {
        Target::Position => trace.positions[t],
        Target::Symbol => u32::from(trace.symbols[t]),
    };
    let phase = |start: usize, len: usize| -> Result<(Design, Vec<u32>, Vec<u16>)> {
        let n = len - k;
        let mut data = Vec::with_capacity(n * trace.width);
        for t in start..start + n {
            data.extend(trace.state(t).iter().map(|&b| f64::from(b)));
        }
        let labels = (start + k..start + len).map(label).collect();
        let symbols = trace.symbols[start + k..start + len].to_vec();
        Ok((Design::new(n, trace.width, data)?, labels, symbols))
    };
    let (x_train, y_train, _) = phase(0, train)?;
    let (x_test, y_test, s_test) = phase(train, test)?;
    let fit = match &spec.method {
        Method::Logistic(o) => fit_logistic(&x_train, &y_train, o)?,
        Method::Ridge { lambda, intercept } => fit_ridge(&x_train, &y_train, *lambda, *intercept)?,
    };
    let pred = fit.predict_all(&x_test)?;
    let mut per: Vec<(usize, usize)> = vec![(0, 0); alphabet.len()];
    for ((p, y), &s) in pred.iter().zip(&y_test).zip(&s_test) {
        let sym = alphabet.get(s as usize).copied().unwrap_or('?');
        if spec.exclude.contains(&sym) {
            continue;
        }
        let e = &mut per[s as usize];
        e.0 += usize::from(p == y);
        e.1 += 1;
    }
    let (correct, total) = per.iter().fold((0, 0), |a, e| (a.0 + e.0, a.1 + e.1));
    ensure!(
        total > 0,
        "readout.exclude",
        "excludes every test sample ({:?})",
        spec.exclude
    );
    let per_symbol = per
        .iter()
        .zip(alphabet)
        .filter(|((_, n), _)| *n > 0)
        .map(|(&(correct, total), &symbol)| SymbolScore {
            symbol,
            correct,
            total,
            accuracy: correct as f64 / total as f64,
        })
        .collect();
    Ok(ReadoutReport {
        accuracy: correct as f64 / total as f64,
        train_accuracy: fit.accuracy(&x_train, &y_train)?,
        per_symbol,
        train_samples: x_train.samples(),
        scored_samples: total,
        classes: fit.classes.len(),
        iterations: fit.iterations,
        converged: fit.converged,
    })
}

#[cfg(test)]
// The reference solutions below index matrices the way the formulas are written.
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;

    /// Solve A z = r by Gauss–Jordan elimination with partial pivoting (test reference).
    fn solve(mut a: Vec<Vec<f64>>, mut r: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
        let m = a.len();
        for p in 0..m {
            let piv = (p..m)
                .max_by(|&i, &j| a[i][p].abs().total_cmp(&a[j][p].abs()))
                .unwrap();
            a.swap(p, piv);
            r.swap(p, piv);
            for i in 0..m {
                if i != p {
                    let f = a[i][p] / a[p][p];
                    for j in 0..m {
                        a[i][j] -= f * a[p][j];
                    }
                    for j in 0..r[i].len() {
                        r[i][j] -= f * r[p][j];
                    }
                }
            }
        }
        for i in 0..m {
            let f = a[i][i];
            r[i].iter_mut().for_each(|v| *v /= f);
        }
        r
    }

    fn pseudo_random(n: usize, d: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        (0..n * d)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect()
    }

    #[test]
    fn ridge_equals_the_normal_equations() {
        let (n, d) = (40, 5);
        let data = pseudo_random(n, d, 3);
        let labels: Vec<u32> = (0..n).map(|i| (i % 3) as u32 * 2).collect();
        let x = Design::new(n, d, data.clone()).unwrap();
        for lambda in [0.0, 0.1, 2.5] {
            let fit = fit_ridge(&x, &labels, lambda, true).unwrap();
            // Normal equations with the constant column: (AᵀA + λI) W = AᵀY.
            let dd = d + 1;
            let a = |i: usize, j: usize| if j < d { data[i * d + j] } else { 1.0 };
            let mut ata = vec![vec![0.0; dd]; dd];
            let mut aty = vec![vec![0.0; 3]; dd];
            for i in 0..n {
                for p in 0..dd {
                    for q in 0..dd {
                        ata[p][q] += a(i, p) * a(i, q);
                    }
                    aty[p][(labels[i] / 2) as usize] += a(i, p);
                }
            }
            for (p, row) in ata.iter_mut().enumerate() {
                row[p] += lambda;
            }
            let w = solve(ata, aty);
            assert_eq!(fit.classes, vec![0, 2, 4]);
            for j in 0..d {
                for c in 0..3 {
                    assert!(
                        (fit.weights[j * 3 + c] - w[j][c]).abs() < 1e-10,
                        "λ={lambda}"
                    );
                }
            }
            for c in 0..3 {
                assert!((fit.intercept[c] - w[d][c]).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn pseudo_inverse_ignores_duplicate_columns() {
        // Column 1 repeats column 0: XᵀX is singular, the pseudo-inverse still fits the
        // targets exactly (they lie in the column space) with equal weights on the copies.
        let rows = [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]];
        let x = Design::new(3, 3, rows.concat()).unwrap();
        let fit = fit_ridge(&x, &[0, 1, 0], 0.0, false).unwrap();
        assert!((fit.weights[0] - fit.weights[2]).abs() < 1e-12);
        assert!((fit.weights[0] - 0.5).abs() < 1e-12, "{:?}", fit.weights);
        assert_eq!(fit.accuracy(&x, &[0, 1, 0]).unwrap(), 1.0);
    }

    /// Three classes labelled by the argmax of fixed linear scores, keeping only samples
    /// whose best score beats the second by ≥ 0.1: linearly separable with a margin.
    fn separable(n: usize) -> (Design, Vec<u32>) {
        let raw = pseudo_random(n, 2, 11);
        let w = [[1.0, 0.0, 0.0], [-0.5, 0.9, 0.1], [-0.5, -0.9, -0.1]];
        let mut data = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            let x = [raw[2 * i], raw[2 * i + 1], 1.0];
            let mut s: Vec<(f64, u32)> = (0..3)
                .map(|c| ((0..3).map(|j| w[c][j] * x[j]).sum(), c as u32))
                .collect();
            s.sort_by(|p, q| q.0.total_cmp(&p.0));
            if s[0].0 - s[1].0 >= 0.1 {
                data.extend(x);
                labels.push(s[0].1);
            }
        }
        (Design::new(labels.len(), 3, data).unwrap(), labels)
    }

    #[test]
    fn logistic_separates_a_separable_problem() {
        let (x, labels) = separable(400);
        let opts = LogisticOptions {
            c: 1e4,
            ..Default::default()
        };
        let fit = fit_logistic(&x, &labels, &opts).unwrap();
        assert_eq!(fit.accuracy(&x, &labels).unwrap(), 1.0);
        let (xt, lt) = separable(1000);
        assert_eq!(fit.accuracy(&xt, &lt).unwrap(), 1.0);
    }

    #[test]
    fn ridge_separates_one_hot_features() {
        // Features are the one-hot class plus noise columns: least squares finds it.
        let n = 60;
        let noise = pseudo_random(n, 2, 5);
        let labels: Vec<u32> = (0..n as u32).map(|i| i % 4).collect();
        let mut data = Vec::new();
        for i in 0..n {
            let mut row = vec![0.0; 6];
            row[labels[i] as usize] = 1.0;
            row[4] = noise[2 * i];
            row[5] = noise[2 * i + 1];
            data.extend(row);
        }
        let x = Design::new(n, 6, data).unwrap();
        for lambda in [0.0, 0.5] {
            let fit = fit_ridge(&x, &labels, lambda, true).unwrap();
            assert_eq!(fit.accuracy(&x, &labels).unwrap(), 1.0);
        }
    }

    #[test]
    fn logistic_gradient_matches_finite_differences() {
        let (x, labels) = separable(50);
        let (classes, col) = classes_of(&labels);
        let (offsets, cols, vals) = x.nonzeros();
        let f = Softmax {
            offsets,
            cols,
            vals,
            col,
            d: 3,
            k: classes.len(),
            c: 0.7,
            intercept: true,
            cache: RefCell::new(None),
        };
        let p = pseudo_random(1, 12, 9);
        let (_, g) = f.eval(&p);
        for i in 0..p.len() {
            let h = 1e-6;
            let (mut a, mut b) = (p.clone(), p.clone());
            a[i] += h;
            b[i] -= h;
            let num = (f.eval(&a).0 - f.eval(&b).0) / (2.0 * h);
            assert!(
                (num - g[i]).abs() < 1e-7,
                "component {i}: {num} vs {}",
                g[i]
            );
        }
    }

    #[test]
    fn logistic_matches_a_closed_form_two_class_case() {
        // Two samples, x = 1 with label 0 and x = −1 with label 1, no intercept, C = 1, n = 2.
        // By symmetry W = (v, −v); each sample's loss is log(1 + e^{−2v}) and the penalty is
        // ‖W‖² / (2Cn) = v² / 2, so the optimum solves −2 / (1 + e^{2v}) + v = 0.
        let x = Design::new(2, 1, vec![1.0, -1.0]).unwrap();
        let opts = LogisticOptions {
            intercept: false,
            tol: 1e-10,
            ..Default::default()
        };
        let fit = fit_logistic(&x, &[0, 1], &opts).unwrap();
        assert!(fit.converged);
        let v = fit.weights[0];
        assert!(
            (v + fit.weights[1]).abs() < 1e-8,
            "symmetric: {:?}",
            fit.weights
        );
        assert!((-2.0 / (1.0 + (2.0 * v).exp()) + v).abs() < 1e-8, "v = {v}");
    }

    #[test]
    fn bad_inputs_are_errors() {
        let x = Design::new(2, 1, vec![1.0, 0.0]).unwrap();
        assert!(Design::new(2, 2, vec![0.0; 3]).is_err());
        assert!(fit_ridge(&x, &[0], 0.0, true).is_err());
        assert!(fit_ridge(&x, &[0, 1], -1.0, true)
            .unwrap_err()
            .to_string()
            .contains("readout.lambda"));
        let bad = LogisticOptions {
            c: 0.0,
            ..Default::default()
        };
        assert!(fit_logistic(&x, &[0, 1], &bad)
            .unwrap_err()
            .to_string()
            .contains("readout.c"));
    }
}
