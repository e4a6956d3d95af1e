//! The self-organizing recurrent network (SORN): binary excitatory and inhibitory threshold
//! units shaped by STDP, intrinsic plasticity, synaptic normalisation, inhibitory STDP and
//! structural plasticity (Lazar, Pipa & Triesch 2009; Zheng, Dimitrakakis & Triesch 2013;
//! Del Papa, Priesemann & Triesch 2017).
//!
//! ```text
//! x_i(t+1) = Θ( Σ_j W^EE_ij x_j(t) − Σ_k W^EI_ik y_k(t) + u_i(t) + ξ^E_i(t) − T^E_i )
//! y_i(t+1) = Θ( Σ_j W^IE_ij x'_j      + ξ^I_i(t) − T^I_i ),   x' = x(t+1) if fast_inhibit else x(t)
//! ```
//! One step runs the phases of [`crate::schedule::SORN_PHASES`]. State is structure of
//! arrays; weights are [`SparseRows`] by postsynaptic unit; nothing allocates in
//! [`Sorn::step`] except when structural plasticity outgrows a row's reserved slack.

pub mod input;
pub mod params;
pub mod plasticity;
pub mod presets;
mod state;

use rand::seq::{index, SliceRandom};
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::exec::Exec;
use crate::hash::Fnv1a;
use crate::rng::{self, Rng, Stream};
use crate::schedule::SornPhase;
use crate::sparse::{ColumnIndex, SparseRows};
use crate::Result;
use input::Input;
pub use params::*;
pub use presets::Preset;
pub use state::{DenseMatrix, SornState};

/// A SORN: parameters, state, weights and random streams. Serialisable as a whole (that is
/// what a checkpoint stores).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sorn {
    params: SornParams,
    /// Steps taken so far.
    t: u64,
    x: Vec<f64>,
    y: Vec<f64>,
    x_new: Vec<f64>,
    y_new: Vec<f64>,
    te: Vec<f64>,
    ti: Vec<f64>,
    h_ip: Vec<f64>,
    w_ee: SparseRows,
    w_ei: SparseRows,
    w_ie: SparseRows,
    /// Column (presynaptic) view of the static W_IE for push delivery from active E units.
    cols_ie: ColumnIndex,
    /// W_EE x(t) and W_EI y(t), valid when `recurrent_ready`: synaptic normalisation
    /// computes them for the next step while each row is in cache.
    ee_in: Vec<f64>,
    ei_in: Vec<f64>,
    recurrent_ready: bool,
    active: RuleSet,
    rng_noise: Rng,
    rng_sp: Rng,
    /// Scratch buffers, sized at build time so that steps do not allocate: E drive, I drive,
    /// noise, and the indices of the active E units.
    drive: Vec<f64>,
    drive_i: Vec<f64>,
    noise_e: Vec<f64>,
    noise_i: Vec<f64>,
    active_x: Vec<u32>,
    /// The thresholded internal drive of the E units (recurrent input + noise − threshold,
    /// before the external input) of the last step; empty unless tracking was switched on
    /// with [`Sorn::track_internal`].
    #[serde(default)]
    x_internal: Vec<f64>,
    sp_rate: f64,
    hash: Fnv1a,
    /// Active E and I units summed over every step so far.
    #[serde(default)]
    active_total: [u64; 2],
    /// Threads for the row passes (not state: identical results at any count).
    #[serde(skip)]
    exec: Exec,
}

impl Sorn {
    /// Validate `params` and build the network from `seed`.
    ///
    /// ```
    /// use neuroplast_core::sorn::{input::Input, Preset, Sorn};
    /// let mut net = Sorn::new(Preset::Delpapa2017.params(50), 7).unwrap();
    /// let mut input = Input::None;
    /// for _ in 0..100 {
    ///     net.step(&mut input);
    /// }
    /// assert_eq!(net.t(), 100);
    /// ```
    pub fn new(params: SornParams, seed: u64) -> Result<Sorn> {
        params.validate()?;
        let (ne, ni) = (params.ne, params.ni);
        let mut rng = rng::stream(seed, Stream::Init);
        let [wlo, whi] = params.initial_weight_range;
        // Only E→E gains synapses (SP): only it gets slack in its rows.
        let mut w_ee = build_matrix(&params.w_ee, ne, ne, true, wlo, whi, &mut rng);
        let mut w_ei = build_matrix(&params.w_ei, ne, ni, false, wlo, whi, &mut rng);
        let mut w_ie = build_matrix(&params.w_ie, ni, ne, false, wlo, whi, &mut rng);
        for w in [&mut w_ee, &mut w_ei, &mut w_ie] {
            plasticity::normalise(w);
        }
        let te = thresholds(&params.thresholds_e, ne, &mut rng);
        let ti = thresholds(&params.thresholds_i, ni, &mut rng);
        let h_ip = if params.h_ip_spread > 0.0 {
            let (h, s) = (params.h_ip, params.h_ip_spread);
            (0..ne)
                .map(|_| h - s + 2.0 * s * rng.random::<f64>())
                .collect()
        } else {
            vec![params.h_ip; ne]
        };
        // x(0) as configured; y(0) = 0 in every source (lab code and `sorn`).
        let x = match params.initial_activity {
            InitialActivity::Zeros => vec![0.0; ne],
            InitialActivity::Bernoulli { p } => (0..ne)
                .map(|_| f64::from(u8::from(rng.random::<f64>() < p)))
                .collect(),
        };
        let y = vec![0.0; ni];
        Ok(Sorn {
            t: 0,
            x_new: vec![0.0; ne],
            y_new: vec![0.0; ni],
            x,
            y,
            te,
            ti,
            h_ip,
            w_ee,
            w_ei,
            w_ie,
            cols_ie: ColumnIndex::default(),
            ee_in: vec![0.0; ne],
            ei_in: vec![0.0; ne],
            recurrent_ready: false,
            active: params.active_rules(),
            rng_noise: rng::stream(seed, Stream::Noise),
            rng_sp: rng::stream(seed, Stream::Structural),
            drive: vec![0.0; ne],
            drive_i: vec![0.0; ni],
            noise_e: vec![0.0; ne],
            noise_i: vec![0.0; ni],
            active_x: Vec::with_capacity(ne),
            x_internal: Vec::new(),
            sp_rate: params.sp_rate(),
            hash: Fnv1a::default(),
            active_total: [0; 2],
            exec: Exec::default(),
            params,
        })
    }

    /// One step: the network phases of [`SORN_PHASES`](crate::schedule::SORN_PHASES), in
    /// order.
    pub fn step(&mut self, input: &mut Input) {
        for phase in crate::schedule::SORN_PHASES {
            if phase.is_network() {
                self.run_phase(phase, input);
            }
        }
    }

    /// Run one network phase of the step (see [`crate::schedule::SornPhase`]).
    #[inline]
    pub fn run_phase(&mut self, phase: SornPhase, input: &mut Input) {
        match phase {
            SornPhase::Noise => self.noise(),
            SornPhase::Excitatory => self.excitatory(input),
            SornPhase::Inhibitory => self.inhibitory(),
            SornPhase::Plasticity => {
                let exec = self.exec.clone();
                exec.install(|| self.plasticity(&exec));
            }
            SornPhase::Advance => self.advance(),
            SornPhase::Events | SornPhase::Monitors => {}
        }
    }

    /// Noise ξ(t), E then I, from the noise stream.
    fn noise(&mut self) {
        if self.params.noise_sigma > 0.0 {
            let sigma = self.params.noise_sigma;
            for v in self.noise_e.iter_mut().chain(self.noise_i.iter_mut()) {
                let z: f64 = StandardNormal.sample(&mut self.rng_noise);
                *v = sigma * z;
            }
        }
    }

    /// Excitatory drive and update. W_EE x(t) and W_EI y(t) were computed by the previous
    /// step's normalisation unless it was frozen (or the state was edited).
    fn excitatory(&mut self, input: &mut Input) {
        if !self.recurrent_ready {
            self.w_ee.matvec(&self.x, &mut self.ee_in);
            self.w_ei.matvec(&self.y, &mut self.ei_in);
        }
        for (i, d) in self.drive.iter_mut().enumerate() {
            *d = self.ee_in[i] - self.ei_in[i] - self.te[i] + self.noise_e[i];
        }
        let ge = self.params.threshold_test == ThresholdTest::Ge;
        if !self.x_internal.is_empty() {
            for (xi, &d) in self.x_internal.iter_mut().zip(&self.drive) {
                *xi = fire(d, ge);
            }
        }
        input.apply(&mut self.drive);
        for (xn, &d) in self.x_new.iter_mut().zip(&self.drive) {
            *xn = fire(d, ge);
        }
    }

    /// Inhibitory update from x(t+1) (fast_inhibit) or x(t), pushed from the active E units
    /// through the static W_IE.
    fn inhibitory(&mut self) {
        let ge = self.params.threshold_test == ThresholdTest::Ge;
        let xs = if self.params.fast_inhibit {
            &self.x_new
        } else {
            &self.x
        };
        active_indices(xs, &mut self.active_x);
        self.cols_ie.refresh(&self.w_ie);
        self.drive_i.fill(0.0);
        self.cols_ie
            .push_active(&self.w_ie, &self.active_x, &mut self.drive_i);
        for (k, yn) in self.y_new.iter_mut().enumerate() {
            *yn = fire(self.drive_i[k] - self.ti[k] + self.noise_i[k], ge);
        }
    }

    /// x(t) ← x(t+1), y(t) ← y(t+1), t ← t + 1, fingerprint and activity counts.
    fn advance(&mut self) {
        std::mem::swap(&mut self.x, &mut self.x_new);
        std::mem::swap(&mut self.y, &mut self.y_new);
        self.t += 1;
        self.hash.write_u64(self.t);
        let mut active = 0u64;
        for (i, _) in self.x.iter().enumerate().filter(|(_, &v)| v != 0.0) {
            self.hash.write_u64(i as u64);
            active += 1;
        }
        self.active_total[0] += active;
        self.hash.write_u64(u64::MAX);
        active = 0;
        for (k, _) in self.y.iter().enumerate().filter(|(_, &v)| v != 0.0) {
            self.hash.write_u64(k as u64);
            active += 1;
        }
        self.active_total[1] += active;
    }

    /// Active E and I units summed over every step so far.
    pub fn active_total(&self) -> [u64; 2] {
        self.active_total
    }

    /// Phase 4 of the step: the active plasticity rules, in order.
    fn plasticity(&mut self, exec: &Exec) {
        let p = &self.params;
        let on = self.active;
        if on.contains(Rule::Ip) {
            plasticity::ip(&mut self.te, &self.x_new, &self.h_ip, p.eta_ip, p.ip_clamp);
        }
        if on.contains(Rule::Stdp) {
            plasticity::stdp(
                &mut self.w_ee,
                &self.x,
                &self.x_new,
                p.eta_stdp,
                p.w_ee_max,
                p.prune_below,
                exec.par(p.ne),
            );
        }
        if on.contains(Rule::Sp) {
            plasticity::sp(&mut self.w_ee, self.sp_rate, p.sp_weight, &mut self.rng_sp);
        }
        // iSTDP and SN; SN also yields the next step's W_EE x(t+1) and W_EI y(t+1). The I→E
        // rows get iSTDP, normalisation and the dot product in one visit (same values as
        // three passes, a third of the memory traffic).
        let istdp = plasticity::Istdp {
            eta: p.eta_istdp,
            mu_ip: p.mu_ip,
            floor: p.istdp_floor.clone(),
        };
        self.recurrent_ready = on.contains(Rule::Sn);
        match (on.contains(Rule::Istdp), self.recurrent_ready) {
            (true, true) => plasticity::istdp_normalise_and_dot(
                &mut self.w_ei,
                &istdp,
                &self.y,
                &self.x_new,
                &self.y_new,
                &mut self.ei_in,
                exec.par(p.ne),
            ),
            (true, false) => {
                plasticity::istdp(&mut self.w_ei, &self.y, &self.x_new, &istdp, exec.par(p.ne))
            }
            (false, true) => plasticity::normalise_and_dot(
                &mut self.w_ei,
                &self.y_new,
                &mut self.ei_in,
                exec.par(p.ne),
            ),
            (false, false) => {}
        }
        if self.recurrent_ready {
            plasticity::normalise_and_dot(
                &mut self.w_ee,
                &self.x_new,
                &mut self.ee_in,
                exec.par(p.ne),
            );
        }
    }

    /// Use `threads` threads for the row passes from now on (1 = serial). Results do not
    /// depend on it.
    pub fn set_threads(&mut self, threads: usize) -> Result<()> {
        self.exec = Exec::new(threads)?;
        Ok(())
    }

    /// Threads used by the row passes.
    pub fn threads(&self) -> usize {
        self.exec.threads()
    }

    /// Freeze (stop) a rule from the next step on.
    pub fn freeze(&mut self, rule: Rule) {
        self.active.remove(rule);
    }

    /// Unfreeze (restart) a rule from the next step on.
    pub fn unfreeze(&mut self, rule: Rule) {
        self.active.insert(rule);
    }

    /// The rules currently applied each step.
    pub fn active_rules(&self) -> RuleSet {
        self.active
    }

    /// Steps taken.
    pub fn t(&self) -> u64 {
        self.t
    }

    /// The parameters the network was built with.
    pub fn params(&self) -> &SornParams {
        &self.params
    }

    /// Excitatory state x(t) as 0.0 / 1.0.
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// Inhibitory state y(t) as 0.0 / 1.0.
    pub fn y(&self) -> &[f64] {
        &self.y
    }

    /// Keep (or stop keeping) the thresholded internal drive of each step, Θ(W_EE x − W_EI y
    /// − T_E + ξ), the E state the network would have reached without external input
    /// (Del Papa's readout features). Off by default; costs one pass over N_E per step.
    pub fn track_internal(&mut self, on: bool) {
        self.x_internal = if on {
            vec![0.0; self.params.ne]
        } else {
            Vec::new()
        };
    }

    /// The thresholded internal drive of the last step (see [`Sorn::track_internal`]);
    /// empty when not tracked.
    pub fn x_internal(&self) -> &[f64] {
        &self.x_internal
    }

    /// Excitatory thresholds T_E.
    pub fn te(&self) -> &[f64] {
        &self.te
    }

    /// Inhibitory thresholds T_I.
    pub fn ti(&self) -> &[f64] {
        &self.ti
    }

    /// E→E weights, row = postsynaptic unit.
    pub fn w_ee(&self) -> &SparseRows {
        &self.w_ee
    }

    /// I→E weights, row = postsynaptic E unit, column = presynaptic I unit.
    pub fn w_ei(&self) -> &SparseRows {
        &self.w_ei
    }

    /// E→I weights, row = postsynaptic I unit, column = presynaptic E unit.
    pub fn w_ie(&self) -> &SparseRows {
        &self.w_ie
    }

    /// Fraction of possible E→E synapses that exist: nnz / (N_E (N_E − 1)).
    pub fn connection_fraction(&self) -> f64 {
        let n = self.params.ne as f64;
        if n < 2.0 {
            return 0.0;
        }
        self.w_ee.nnz() as f64 / (n * (n - 1.0))
    }

    /// FNV-1a hash of every (step, active E units, active I units) since t = 0.
    pub fn spike_hash(&self) -> u64 {
        self.hash.finish()
    }

    /// Bytes of heap memory held by the network (weights and state).
    pub fn heap_bytes(&self) -> usize {
        let v = 8 * (5 * self.params.ne + 4 * self.params.ni + self.h_ip.len());
        v + self.w_ee.heap_bytes() + self.w_ei.heap_bytes() + self.w_ie.heap_bytes()
    }

    /// Mutable access to weights and thresholds, for tests and tools that set up a network
    /// by hand. Invariants (sorted rows, weights in range) are the caller's responsibility.
    pub fn state_mut(&mut self) -> StateMut<'_> {
        // Weights and state may be replaced wholesale: drop everything derived from them.
        self.cols_ie = ColumnIndex::default();
        self.recurrent_ready = false;
        StateMut {
            x: &mut self.x,
            y: &mut self.y,
            te: &mut self.te,
            ti: &mut self.ti,
            w_ee: &mut self.w_ee,
            w_ei: &mut self.w_ei,
            w_ie: &mut self.w_ie,
        }
    }
}

/// Mutable views of a [`Sorn`]'s state (see [`Sorn::state_mut`]).
pub struct StateMut<'a> {
    /// x(t).
    pub x: &'a mut Vec<f64>,
    /// y(t).
    pub y: &'a mut Vec<f64>,
    /// T_E.
    pub te: &'a mut Vec<f64>,
    /// T_I.
    pub ti: &'a mut Vec<f64>,
    /// W_EE.
    pub w_ee: &'a mut SparseRows,
    /// W_EI.
    pub w_ei: &'a mut SparseRows,
    /// W_IE.
    pub w_ie: &'a mut SparseRows,
}

/// Indices of the non-zero entries of a 0/1 state vector, ascending.
#[inline]
fn active_indices(state: &[f64], out: &mut Vec<u32>) {
    out.clear();
    out.extend(
        state
            .iter()
            .enumerate()
            .filter(|(_, &v)| v != 0.0)
            .map(|(i, _)| i as u32),
    );
}

#[inline]
fn fire(drive: f64, ge: bool) -> f64 {
    f64::from(u8::from(if ge { drive >= 0.0 } else { drive > 0.0 }))
}

/// Python's `int()` of a normal draw, clamped to `[0, max]`.
fn truncated_normal_count(mean: f64, sd: f64, max: usize, rng: &mut Rng) -> usize {
    let z: f64 = StandardNormal.sample(rng);
    let v = (mean + sd * z).trunc();
    if v <= 0.0 {
        0
    } else {
        (v as usize).min(max)
    }
}

/// `k` distinct presynaptic indices out of `n_pre`, skipping `skip` (self), ascending.
fn choose(n_pre: usize, k: usize, skip: Option<usize>, rng: &mut Rng) -> Vec<u32> {
    let pool = n_pre - usize::from(skip.is_some());
    let mut v: Vec<u32> = index::sample(rng, pool, k)
        .into_iter()
        .map(|j| match skip {
            Some(s) if j >= s => j as u32 + 1,
            _ => j as u32,
        })
        .collect();
    v.sort_unstable();
    v
}

/// Draw a projection's structure, then U(wlo, whi) weights in row-major order. The E→E
/// matrix (`no_self`) gets slack for structural plasticity; the others are packed.
fn build_matrix(
    conn: &Connectivity,
    n_post: usize,
    n_pre: usize,
    no_self: bool,
    wlo: f64,
    whi: f64,
    rng: &mut Rng,
) -> SparseRows {
    let skip = |i: usize| if no_self { Some(i) } else { None };
    let avail = n_pre - usize::from(no_self);
    let structure: Vec<Vec<u32>> = match *conn {
        Connectivity::Dense => (0..n_post)
            .map(|i| {
                (0..n_pre as u32)
                    .filter(|&j| skip(i) != Some(j as usize))
                    .collect()
            })
            .collect(),
        Connectivity::Bernoulli { p } => (0..n_post)
            .map(|i| bernoulli_row(n_pre, p, skip(i), rng))
            .collect(),
        Connectivity::FixedInDegree { k } => (0..n_post)
            .map(|i| choose(n_pre, k, skip(i), rng))
            .collect(),
        Connectivity::NormalInDegree { mean, sd } => (0..n_post)
            .map(|i| {
                let k = truncated_normal_count(mean, sd, avail, rng);
                choose(n_pre, k, skip(i), rng)
            })
            .collect(),
        Connectivity::NormalOutDegree { mean, sd } => {
            let mut rows = vec![Vec::new(); n_post];
            let avail_post = n_post - usize::from(no_self);
            for j in 0..n_pre {
                let k = truncated_normal_count(mean, sd, avail_post, rng);
                for i in choose(n_post, k, skip(j), rng) {
                    rows[i as usize].push(j as u32);
                }
            }
            rows
        }
    };
    let rows = structure
        .into_iter()
        .map(|cols| {
            cols.into_iter()
                .map(|j| (j, wlo + (whi - wlo) * rng.random::<f64>()))
                .collect()
        })
        .collect();
    if no_self {
        SparseRows::from_rows(n_pre, rows)
    } else {
        SparseRows::from_rows_packed(n_pre, rows)
    }
}

/// Bernoulli(p) row by geometric skipping: O(expected synapses), not O(n_pre).
fn bernoulli_row(n_pre: usize, p: f64, skip: Option<usize>, rng: &mut Rng) -> Vec<u32> {
    let mut out = Vec::with_capacity((p * n_pre as f64 * 1.2) as usize + 4);
    if p >= 1.0 {
        out.extend((0..n_pre as u32).filter(|&j| Some(j as usize) != skip));
        return out;
    }
    let log_q = (1.0 - p).ln();
    let mut j: f64 = -1.0;
    loop {
        let u: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
        j += 1.0 + (u.ln() / log_q).floor();
        if j >= n_pre as f64 {
            break;
        }
        let jj = j as usize;
        if Some(jj) != skip {
            out.push(jj as u32);
        }
    }
    out
}

fn thresholds(init: &ThresholdInit, n: usize, rng: &mut Rng) -> Vec<f64> {
    match *init {
        ThresholdInit::Uniform { low, high } => (0..n)
            .map(|_| low + (high - low) * rng.random::<f64>())
            .collect(),
        ThresholdInit::Ordered { low, high } => {
            let mut v: Vec<f64> = (1..=n)
                .map(|k| low + (k as f64 - 0.5) * (high - low) / n as f64)
                .collect();
            v.shuffle(rng);
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bernoulli_density_and_no_self() {
        let mut rng = rng::stream(1, Stream::Init);
        let mut total = 0;
        for i in 0..400 {
            let r = bernoulli_row(400, 0.1, Some(i), &mut rng);
            assert!(!r.contains(&(i as u32)));
            assert!(r.windows(2).all(|w| w[0] < w[1]));
            total += r.len();
        }
        // 400·399·0.1 = 15 960 expected, sd ≈ 120.
        assert!((15_400..16_500).contains(&total), "{total}");
    }

    #[test]
    fn init_matches_the_sorn_package_statistics() {
        let net = Sorn::new(Preset::SornPackage.params(200), 1).unwrap();
        // int(N(20, 1)) in-degree: mean ≈ 19.5 (the reference measured 19.47).
        let mean_in = net.w_ee().nnz() as f64 / 200.0;
        assert!((19.2..19.8).contains(&mean_in), "{mean_in}");
        // Every row normalised at initialisation, weights in [0, 1].
        for w in [net.w_ee(), net.w_ei(), net.w_ie()] {
            for i in 0..w.n_rows() {
                if w.row_len(i) > 0 {
                    assert!((w.row_sum(i) - 1.0).abs() < 1e-12);
                }
            }
        }
        assert_eq!(net.w_ie().nnz(), 40 * 200, "W_IE dense");
        assert!(net.x().iter().all(|&v| v == 0.0));
        assert!(net.te().iter().all(|&t| (0.0..1.0).contains(&t)));
        assert!(net.ti().iter().all(|&t| (0.0..0.5).contains(&t)));
    }

    #[test]
    fn dense_and_fixed_in_degree_initialisation() {
        let mut p = Preset::Delpapa2017.params(30);
        p.w_ee = Connectivity::Dense;
        p.w_ei = Connectivity::FixedInDegree { k: 4 };
        p.w_ie = Connectivity::NormalOutDegree { mean: 5.0, sd: 0.0 };
        let net = Sorn::new(p, 1).unwrap();
        assert_eq!(
            net.w_ee().nnz(),
            30 * 29,
            "dense E→E without self-connections"
        );
        assert!((0..30).all(|i| !net.w_ee().contains(i, i as u32)));
        assert!((0..30).all(|i| net.w_ei().row_len(i) == 4));
        // Every E unit projects to exactly 5 I units: 30 · 5 synapses in W_IE.
        assert_eq!(net.w_ie().nnz(), 150);
        assert!((net.connection_fraction() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn ordered_thresholds_are_evenly_spaced() {
        let mut rng = rng::stream(1, Stream::Init);
        let mut v = thresholds(
            &ThresholdInit::Ordered {
                low: 0.0,
                high: 1.0,
            },
            4,
            &mut rng,
        );
        v.sort_by(f64::total_cmp);
        assert_eq!(v, vec![0.125, 0.375, 0.625, 0.875]);
    }

    /// Closed form: with no weights, thresholds below zero fire and above zero stay silent,
    /// and the test (≥ vs >) decides at exactly zero.
    #[test]
    fn threshold_test_at_zero_drive() {
        for (test, expect) in [(ThresholdTest::Ge, 1.0), (ThresholdTest::Gt, 0.0)] {
            let mut p = Preset::Lazar2009.params(3);
            p.threshold_test = test;
            p.plasticity.clear();
            let mut net = Sorn::new(p, 1).unwrap();
            let s = net.state_mut();
            *s.w_ee = SparseRows::empty(3, 3);
            *s.w_ei = SparseRows::empty(3, 1);
            *s.w_ie = SparseRows::empty(1, 3);
            *s.te = vec![0.0, -0.5, 0.5];
            net.step(&mut Input::None);
            assert_eq!(net.x(), &[expect, 1.0, 0.0]);
        }
    }
}
