//! `homeostatic_stdp`: nearest-neighbour STDP with homeostatic synaptic scaling (Carlson,
//! Richert, Dutt & Krichmar, IJCNN 2013), as the ANNarchy notebook `SORF.ipynb` writes it
//! (synapse `homeo_stdp`), plus the CARLsim variant's differences as switches.
//!
//! ## The notebook's rule (defaults)
//!
//! Every step, for every synapse s = (i → j), after the neurons are updated:
//!
//! ```text
//! R   = post.r                           (Hz: spikes of j in the last t_window ms · 1000/t_window)
//! K   = R / (T · (1 + |1 − R/r_target| · γ))          T = t_window in ms
//! stdp = ltp_s  if t_post ≥ t_pre  else  −ltd_j        (last spike steps of j and of i)
//! w  += (α · w · (1 − R/r_target) + β · stdp) · K · dt     then clipped to [w_min, w_max]
//! ltp_s, ltd_j decay with τ+, τ− (exactly)
//! ```
//!
//! On the arrival of a presynaptic spike `ltp_s = a_plus` (reset, not added; the weight is
//! delivered first); on a postsynaptic spike `ltd_j = a_minus`, after the step's weight
//! update. `t_pre` is the presynaptic *emission* step, so the pairing switches one delay before
//! the trace reset, as in ANNarchy (`pre.last_spike`). The rate counts j's spikes in
//! `(t − t_window, t]`, including a spike of the current step (ANNarchy's
//! `compute_firing_rate`). The notebook runs at dt = 1 ms and adds the bracket once per step;
//! the factor `dt` (ms) makes that the Euler step of the same ODE at other time steps.
//!
//! Defaults are the notebook's input → Exc values: τ+ 60, τ− 90 ms, a_plus 4.5e−5, a_minus
//! 3e−5, α 0.1, β 50 (the notebook's "difference with the original implementation"), γ 50,
//! r_target 10 Hz, t_window 10 000 ms, w ∈ [0, 10]. Its Exc → Inh projection uses τ+ 51, τ−
//! 78, a_plus −4.1e−5, a_minus −1.5e−5 (anti-STDP) and r_target 75 Hz.
//!
//! ## How it is computed (exactly, without a per-step pass over the synapses)
//!
//! Between two *events* of post j (a spike of j, or one of its spikes leaving the window) R
//! and K are constant, so `a = 1 + α·K·(1 − R/r_target)·dt` and `b = β·K·dt` are constant, and
//! on a stretch where the pairing of s does not change the trace is geometric,
//! `stdp(n) = c·qⁿ`. Then `w_{n+1} = clip(a·w_n + b·c·qⁿ)` has the closed form
//! `w_N = aᴺ·w₀ + b·c·(aᴺ − qᴺ)/(a − q)` as long as no bound is hit. A bound at which the
//! per-step map pushes outward stays absorbing as long as it keeps pushing outward, and since
//! `c·qⁿ` is monotone, a bound switches at most once, from absorbing to repelling (upper bound:
//! `c > 0` and `a < 1`; lower bound: `c < 0`, `a > 1`, `w_min > 0`) — the stretch is split at
//! that step, computed from the bound on; otherwise the clipped result is the clipped closed
//! form. So:
//!
//! * on an event of j, every incoming synapse of j is brought up to the event (one closed form
//!   each) and j's new `a`, `b` start;
//! * on the arrival of a presynaptic spike, that synapse is brought up to the emission step,
//!   its pairing switches, it is brought up to the arrival, the weight is delivered and `ltp`
//!   reset.
//!
//! The cost is O(1) per arrival and O(in-degree) per postsynaptic event (about 2 × the post
//! rate); nothing is allocated per step (the window is a FIFO of (step, post) pairs that grows
//! to its largest size once). With synaptic delays above one step the pairing switches at
//! the emission step unless an event of j already brought the synapse past it (then it
//! switches from there; exact for delay 1, the notebook's).
//!
//! Weights read between events are up to one event stale; [`Network::set_plastic`] brings every
//! synapse up to date when it freezes a projection (a spike emitted in the very last step
//! reaches the rule only at its arrival). A unit test checks the closed form against a literal
//! per-step transcription of the notebook (random spike trains, window exits, anti-STDP, both
//! bounds): equal to 1e−9.
//!
//! ## CARLsim switches (Carlson 2013; CARLsim4 `updateWeights_CPU`)
//!
//! * `k_from_target = true`: `K = r_target / (T · (1 + |1 − R/r_target|·γ))` — CARLsim's
//!   "base firing / averaging time scale" (then K > 0 even for a silent neuron).
//! * `rate = "ema"`: R is an exponential moving average, `R ← R·(1 − dt/T)` per step and
//!   `+ 1000/T` per spike (CARLsim's `avgFiring`), instead of the sliding window.
//! * `beta = 1` is CARLsim's `stdpScaleFactor` (a parameter, not a switch).
//! * `update_every_ms > 0`: the STDP integrand `Σ stdp(n)` is accumulated per synapse
//!   (CARLsim's `wtChange`) and applied every `update_every_ms` with R and K of that step:
//!   `w ← clip(w + (α·w·(1 − R/r_target)·U + β·Σstdp)·K·dt)`, U = steps per update, then the
//!   accumulator is reset. `rate = "ema"` requires it (the rate changes every step). The
//!   STDP integrand stays the notebook's trace form (CARLsim adds pair-based amplitudes at
//!   spike times instead).
//!
//! [`Network::set_plastic`]: crate::spiking::network::Network::set_plastic

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::super::projection::Synapses;
use super::{Arrivals, DecayTable, PostIndex, PostSpikes, SynapseRule, NEVER};
use crate::affine::{geometric_gap, stretch};
use crate::{ensure, Result};

/// How `homeostatic_stdp` estimates the postsynaptic rate R.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateEstimate {
    /// Spikes in the last `t_window` ms (ANNarchy `compute_firing_rate`).
    #[default]
    Window,
    /// Exponential moving average with time constant `t_window` (CARLsim `avgFiring`).
    Ema,
}

/// Parameters of the `homeostatic_stdp` rule (defaults: the SORF notebook's input → Exc).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HomeostaticStdpParams {
    /// Presynaptic (LTP) trace time constant, ms.
    pub tau_plus: f64,
    /// Postsynaptic (LTD) trace time constant, ms.
    pub tau_minus: f64,
    /// Value of the LTP trace after a presynaptic arrival (negative: anti-STDP).
    pub a_plus: f64,
    /// Value of the LTD trace after a postsynaptic spike (enters as −ltd).
    pub a_minus: f64,
    /// Homeostatic scaling factor α.
    pub alpha: f64,
    /// STDP factor β.
    pub beta: f64,
    /// Sharpness γ of the homeostatic gain's fall-off away from the target.
    pub gamma: f64,
    /// Target postsynaptic rate, Hz.
    pub r_target: f64,
    /// Rate window (or EMA time constant) T, ms; also the T of K.
    pub t_window: f64,
    /// Lower weight bound.
    pub w_min: f64,
    /// Upper weight bound.
    pub w_max: f64,
    /// CARLsim: K from the target rate instead of the measured rate.
    pub k_from_target: bool,
    /// Sliding window (ANNarchy) or moving average (CARLsim).
    pub rate: RateEstimate,
    /// 0: change the weights every step (ANNarchy); > 0: accumulate and apply every this many
    /// ms (CARLsim).
    pub update_every_ms: f64,
}

impl Default for HomeostaticStdpParams {
    fn default() -> Self {
        HomeostaticStdpParams {
            tau_plus: 60.0,
            tau_minus: 90.0,
            a_plus: 4.5e-5,
            a_minus: 3e-5,
            alpha: 0.1,
            beta: 50.0,
            gamma: 50.0,
            r_target: 10.0,
            t_window: 10_000.0,
            w_min: 0.0,
            w_max: 10.0,
            k_from_target: false,
            rate: RateEstimate::Window,
            update_every_ms: 0.0,
        }
    }
}

impl HomeostaticStdpParams {
    /// The notebook's Exc → Inh parameters (anti-STDP, target 75 Hz).
    pub fn sorf_exc_inh() -> Self {
        HomeostaticStdpParams {
            tau_plus: 51.0,
            tau_minus: 78.0,
            a_plus: -4.1e-5,
            a_minus: -1.5e-5,
            r_target: 75.0,
            ..Default::default()
        }
    }

    /// Check the parameters; `path` is the key path of the rule table.
    pub fn validate(&self, path: &str, dt: f64) -> Result<()> {
        for (k, v) in [
            ("tau_plus", self.tau_plus),
            ("tau_minus", self.tau_minus),
            ("r_target", self.r_target),
            ("t_window", self.t_window),
        ] {
            ensure!(
                v.is_finite() && v > 0.0,
                format!("{path}.{k}"),
                "must be > 0, got {v}"
            );
        }
        for (k, v) in [
            ("a_plus", self.a_plus),
            ("a_minus", self.a_minus),
            ("alpha", self.alpha),
            ("beta", self.beta),
        ] {
            ensure!(
                v.is_finite(),
                format!("{path}.{k}"),
                "must be finite, got {v}"
            );
        }
        ensure!(
            self.gamma.is_finite() && self.gamma >= 0.0,
            format!("{path}.gamma"),
            "must be ≥ 0, got {}",
            self.gamma
        );
        ensure!(
            self.w_min.is_finite() && self.w_max.is_finite() && self.w_min <= self.w_max,
            format!("{path}.w_max"),
            "needs w_min ≤ w_max, got [{}, {}]",
            self.w_min,
            self.w_max
        );
        let key = format!("{path}.t_window");
        let w = super::super::source::whole_steps(&key, self.t_window, dt)?;
        ensure!(w >= 1, key, "must be at least one step (dt = {dt} ms)");
        let key = format!("{path}.update_every_ms");
        ensure!(
            self.update_every_ms.is_finite() && self.update_every_ms >= 0.0,
            key,
            "must be ≥ 0 ms (0: every step), got {}",
            self.update_every_ms
        );
        if self.update_every_ms > 0.0 {
            let every = super::super::source::whole_steps(&key, self.update_every_ms, dt)?;
            ensure!(every >= 1, key, "must be at least one step (dt = {dt} ms)");
        }
        ensure!(
            self.rate == RateEstimate::Window || self.update_every_ms > 0.0,
            format!("{path}.rate"),
            "rate = \"ema\" changes R every step; it needs update_every_ms > 0 (CARLsim applies the weight changes periodically); allowed: rate = \"window\", or update_every_ms > 0"
        );
        // the per-step factor a must stay positive: |α·K·(1 − R/r_target)·dt| < 1 up to one
        // spike per step
        let r = 1000.0 / dt;
        let ratio = r / self.r_target;
        let k_rate = if self.k_from_target { self.r_target } else { r };
        let k = k_rate / (self.t_window * (1.0 + (1.0 - ratio).abs() * self.gamma));
        let h = (self.alpha * k * (1.0 - ratio) * dt).abs();
        ensure!(
            h.is_finite() && h < 1.0,
            format!("{path}.alpha"),
            "α·K·(1 − R/r_target)·dt reaches −1 at one spike per step (the weight would change sign in one step); allowed: |α| smaller, or γ or t_window larger"
        );
        Ok(())
    }
}

/// State of a `homeostatic_stdp` projection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HomeostaticStdpState {
    params: HomeostaticStdpParams,
    dt: f64,
    plus: DecayTable,
    minus: DecayTable,
    ln_q_plus: f64,
    ln_q_minus: f64,
    /// Window (or EMA time constant) in steps.
    window: u64,
    /// Steps per periodic update (0: every step).
    every: u64,
    /// Delay of each synapse, steps.
    delay: Vec<u32>,
    /// Contributions of the steps before `synced[s]` are in the weight (or accumulator).
    synced: Vec<u64>,
    /// Emission step of the last presynaptic spike of each synapse.
    t_pre: Vec<u64>,
    /// CARLsim's `wtChange` (periodic mode only; empty otherwise).
    acc: Vec<f64>,
    /// Per post: spikes in the window (window mode).
    count: Vec<u32>,
    /// Per post: the rate R, Hz.
    rate: Vec<f64>,
    /// Per post: per-step factor a and ln a, and b = β·K·dt, of the current stretch.
    a: Vec<f64>,
    ln_a: Vec<f64>,
    b: Vec<f64>,
    /// (step, post) of every spike still in the window, oldest first.
    fifo: VecDeque<(u64, u32)>,
    /// The step the rule expects next (a gap means the projection was frozen).
    next: u64,
    /// Per post: the last `(n, ln a, aⁿ)` computed (most synapses of a neuron are advanced by
    /// the same n at its events); a memo only, so it is not saved and never compared.
    #[serde(skip)]
    pow: PowMemo,
}

/// A memo per postsynaptic neuron of the factors of a stretch of `n` steps under its current
/// `ln a`: `aⁿ = exp(n·ln a)` and, for each trace table (LTP, LTD), `g(n) = (aⁿ − qⁿ)/(a − q)`
/// (the synapses of a neuron are advanced by a few different `n` within one stretch, most of
/// them by the same one at its events). The same expressions fill it, so results are
/// bit-identical with or without it.
#[derive(Clone, Debug, Default)]
struct PowMemo(Vec<PowRow>);

#[derive(Clone, Debug, Default)]
struct PowRow {
    ln_a_bits: u64,
    /// `values[n] = [aⁿ, g₊(n), g₋(n)]`, NaN where not computed yet.
    values: Vec<[f64; 3]>,
}

/// The longest stretch whose factors are kept (longer ones are computed each time).
const POW_MEMO_MAX: u64 = 1 << 16;

impl PartialEq for PowMemo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl PowMemo {
    /// `(aⁿ, g(n))` of post `j` for `table` (`which`: 1 LTP, 2 LTD).
    #[inline]
    fn get(
        &mut self,
        j: usize,
        n: u64,
        a: f64,
        ln_a: f64,
        which: usize,
        table: &DecayTable,
    ) -> (f64, f64) {
        if n >= POW_MEMO_MAX {
            let a_n = (n as f64 * ln_a).exp();
            return (a_n, geometric_gap(a, ln_a, a_n, n, table));
        }
        if self.0.len() <= j {
            self.0.resize(j + 1, PowRow::default());
        }
        let row = &mut self.0[j];
        if row.ln_a_bits != ln_a.to_bits() {
            row.ln_a_bits = ln_a.to_bits();
            row.values.clear();
        }
        let k = n as usize;
        if row.values.len() <= k {
            row.values.resize(k + 1, [f64::NAN; 3]);
        }
        let v = &mut row.values[k];
        if v[0].is_nan() {
            v[0] = (n as f64 * ln_a).exp();
        }
        if v[which].is_nan() {
            v[which] = geometric_gap(a, ln_a, v[0], n, table);
        }
        (v[0], v[which])
    }
}

/// What `homeostatic_stdp` exposes for inspection.
impl HomeostaticStdpState {
    /// The current rate estimate R of each postsynaptic neuron, Hz.
    pub fn rates(&self) -> &[f64] {
        &self.rate
    }

    fn with(p: &HomeostaticStdpParams, synapses: &Synapses, dt: f64) -> Self {
        let m = synapses.len();
        let n_post = synapses.n_post();
        let every = if p.update_every_ms > 0.0 {
            (p.update_every_ms / dt).round() as u64
        } else {
            0
        };
        let mut st = HomeostaticStdpState {
            params: p.clone(),
            dt,
            plus: DecayTable::new(dt / p.tau_plus),
            minus: DecayTable::new(dt / p.tau_minus),
            ln_q_plus: -dt / p.tau_plus,
            ln_q_minus: -dt / p.tau_minus,
            window: (p.t_window / dt).round() as u64,
            every,
            delay: synapses.iter().map(|(_, _, _, d)| d).collect(),
            synced: vec![0; m],
            t_pre: vec![NEVER; m],
            acc: if every > 0 { vec![0.0; m] } else { Vec::new() },
            count: vec![0; n_post],
            rate: vec![0.0; n_post],
            a: vec![1.0; n_post],
            ln_a: vec![0.0; n_post],
            b: vec![if every > 0 { 1.0 } else { 0.0 }; n_post],
            fifo: VecDeque::with_capacity(64),
            next: 0,
            pow: PowMemo::default(),
        };
        for j in 0..n_post {
            st.set_post(j);
        }
        st
    }

    /// K and the per-step factors for rate `r` (Hz).
    fn factors(&self, r: f64) -> (f64, f64) {
        let p = &self.params;
        let ratio = r / p.r_target;
        let k_rate = if p.k_from_target { p.r_target } else { r };
        let k = k_rate / (p.t_window * (1.0 + (1.0 - ratio).abs() * p.gamma));
        (p.alpha * k * (1.0 - ratio) * self.dt, p.beta * k * self.dt)
    }

    fn set_post(&mut self, j: usize) {
        let (h, b) = if self.every > 0 {
            // periodic mode: only the STDP integrand accumulates between updates
            (0.0, 1.0)
        } else {
            self.factors(self.rate[j])
        };
        self.a[j] = 1.0 + h;
        self.ln_a[j] = h.ln_1p();
        self.b[j] = b;
    }

    /// After a freeze: the frozen steps are not seen; start again at `t`.
    fn resume(&mut self, t: u64) {
        if self.next != t {
            self.synced.fill(t);
            self.next = t;
        }
    }

    /// Bring synapse `s` (post `j`) up to step `to` (contributions of steps `< to`), with its
    /// current pairing.
    #[inline]
    fn advance(
        &mut self,
        s: usize,
        j: usize,
        to: u64,
        w: &mut f64,
        last_arrival: &[u64],
        last_post: &[u64],
    ) {
        let n1 = self.synced[s];
        if to <= n1 {
            return;
        }
        self.synced[s] = to;
        let n = to - n1;
        let (a, ln_a, b) = (self.a[j], self.ln_a[j], self.b[j]);
        if b == 0.0 && a == 1.0 {
            return;
        }
        let tp = last_post[j];
        let t_pre = self.t_pre[s];
        let ltp = t_pre == NEVER || (tp != NEVER && tp >= t_pre);
        let (c, ln_q, table, which) = if ltp {
            (
                self.params.a_plus * self.plus.between(last_arrival[s], n1),
                self.ln_q_plus,
                &self.plus,
                1,
            )
        } else if tp == NEVER {
            (0.0, self.ln_q_minus, &self.minus, 2)
        } else {
            // ltd was set after the update of step tp: ltd(n) = a_minus·q^(n − tp − 1)
            (
                -self.params.a_minus * self.minus.between(tp + 1, n1.max(tp + 1)),
                self.ln_q_minus,
                &self.minus,
                2,
            )
        };
        if self.every > 0 {
            // accumulate Σ stdp(n) over the stretch
            let qn = table.between(0, n);
            let q = table.between(0, 1);
            self.acc[s] += c * (1.0 - qn) / (1.0 - q);
            return;
        }
        let (an, gn) = self.pow.get(j, n, a, ln_a, which, table);
        let p = &self.params;
        *w = stretch(*w, a, ln_a, an, gn, b * c, ln_q, n, p.w_min, p.w_max, table);
    }

    fn after(&mut self, cx: PostSpikes<'_>) {
        let t = cx.t;
        self.resume(t);
        self.next = t + 1;
        let weights = cx.synapses.weights_mut();
        let post_spikes = cx.spikes;
        let seen = Seen {
            last_arrival: cx.last_arrival,
            incoming: cx.incoming,
        };
        let hz = 1000.0 / self.params.t_window;
        match self.params.rate {
            RateEstimate::Window => {
                // posts whose rate changes now: their spikes, and spikes leaving the window;
                // their synapses are brought up to t under the old stretch first
                for &j in post_spikes {
                    self.event(j as usize, t, weights, &seen, cx.last_post);
                    self.count[j as usize] += 1;
                    self.fifo.push_back((t, j));
                }
                while let Some(&(s, j)) = self.fifo.front() {
                    if s + self.window > t {
                        break;
                    }
                    self.fifo.pop_front();
                    if !post_spikes.contains(&j) {
                        self.event(j as usize, t, weights, &seen, cx.last_post);
                    }
                    let j = j as usize;
                    self.count[j] -= 1;
                    self.rate[j] = f64::from(self.count[j]) * hz;
                    self.set_post(j);
                }
                // new stretches from step t on (the rate includes a spike of step t)
                for &j in post_spikes {
                    let j = j as usize;
                    cx.last_post[j] = t;
                    self.rate[j] = f64::from(self.count[j]) * hz;
                    self.set_post(j);
                }
            }
            RateEstimate::Ema => {
                let decay = 1.0 - self.dt / self.params.t_window;
                for r in &mut self.rate {
                    *r *= decay;
                }
                for &j in post_spikes {
                    let j = j as usize;
                    self.event(j, t, weights, &seen, cx.last_post);
                    self.rate[j] += hz;
                    cx.last_post[j] = t;
                }
            }
        }
        if self.every > 0 && (t + 1) % self.every == 0 {
            self.periodic(t + 1, weights, &seen, cx.last_post);
        }
    }

    /// An event of post `j` at step `t`: bring its synapses up to `t`.
    fn event(&mut self, j: usize, t: u64, weights: &mut [f64], seen: &Seen<'_>, last_post: &[u64]) {
        for &s in seen.incoming.of_post(j) {
            let s = s as usize;
            let mut w = weights[s];
            self.advance(s, j, t, &mut w, seen.last_arrival, last_post);
            weights[s] = w;
        }
    }

    /// CARLsim's periodic update at step `t` (contributions of steps `< t`).
    fn periodic(&mut self, t: u64, weights: &mut [f64], seen: &Seen<'_>, last_post: &[u64]) {
        let p = self.params.clone();
        let u = self.every as f64;
        for j in 0..self.rate.len() {
            let (h, bk) = self.factors(self.rate[j]);
            for &s in seen.incoming.of_post(j) {
                let s = s as usize;
                let mut w = weights[s];
                self.advance(s, j, t, &mut w, seen.last_arrival, last_post);
                // h = α·K·(1 − R/r_target)·dt per step, bk = β·K·dt
                w += h * w * u + bk * self.acc[s];
                weights[s] = w.clamp(p.w_min, p.w_max);
                self.acc[s] = 0.0;
            }
        }
    }

    /// Bring every synapse up to step `t` (weights exact at `t`).
    fn flush_all(&mut self, cx: PostSpikes<'_>) {
        if self.next != cx.t || self.every > 0 {
            return;
        }
        let weights = cx.synapses.weights_mut();
        let seen = Seen {
            last_arrival: cx.last_arrival,
            incoming: cx.incoming,
        };
        for j in 0..self.rate.len() {
            self.event(j, cx.t, weights, &seen, cx.last_post);
        }
    }
}

/// The parts of the spike history a post event reads.
struct Seen<'a> {
    last_arrival: &'a [u64],
    incoming: &'a PostIndex,
}

impl SynapseRule for HomeostaticStdpState {
    type Params = HomeostaticStdpParams;

    fn validate(p: &HomeostaticStdpParams, path: &str, dt: f64) -> Result<()> {
        p.validate(path, dt)
    }

    fn w_min(p: &HomeostaticStdpParams) -> f64 {
        p.w_min
    }

    fn new(
        p: &HomeostaticStdpParams,
        synapses: &mut Synapses,
        dt: f64,
        _rng: crate::rng::Rng,
    ) -> Self {
        HomeostaticStdpState::with(p, synapses, dt)
    }

    fn on_arrivals(&mut self, cx: Arrivals<'_>, add: &mut impl FnMut(u32, f64)) {
        let t = cx.t;
        self.resume(t);
        let (last_arrival, last_post) = (cx.last_arrival, cx.last_post);
        cx.synapses.arrivals_mut(t, cx.ring, |s, j, w| {
            let e = t - u64::from(self.delay[s]);
            self.advance(s, j as usize, e, w, last_arrival, last_post);
            self.t_pre[s] = e;
            self.advance(s, j as usize, t, w, last_arrival, last_post);
            add(j, *w);
            last_arrival[s] = t;
        });
    }

    fn after_step(&mut self, cx: PostSpikes<'_>) {
        self.after(cx);
    }

    fn flush(&mut self, cx: PostSpikes<'_>) {
        self.flush_all(cx);
    }

    fn bytes(&self) -> usize {
        8 * (self.synced.len() + self.t_pre.len() + self.acc.len())
            + 4 * self.delay.len()
            + 8 * 5 * self.rate.len()
            + 16 * self.fifo.capacity()
            + 8 * (self.plus.table.len() + self.minus.table.len())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Plasticity, PlasticitySpec, RuleState};
    use super::*;
    use crate::spiking::projection::SpikeRing;

    /// Drive one projection (delay 1) with given emission steps (per step: pre ids, post ids)
    /// through the rule; returns the final weights (flushed to `steps`) and the delivered
    /// weights `(t, pre-synapse, w)`.
    fn drive(
        p: &HomeostaticStdpParams,
        n_pre: usize,
        n_post: usize,
        w0: &[f64],
        pre: &[Vec<u32>],
        post: &[Vec<u32>],
    ) -> (Vec<f64>, Vec<(u64, u32, f64)>) {
        let (mut ip, mut jp) = (Vec::new(), Vec::new());
        for i in 0..n_pre as u32 {
            for j in 0..n_post as u32 {
                ip.push(i);
                jp.push(j);
            }
        }
        let mut syn = Synapses::new(n_pre, n_post, &ip, &jp, w0, &vec![1; ip.len()]);
        let spec = PlasticitySpec::HomeostaticStdp(p.clone());
        spec.validate("p", 1.0).unwrap();
        let mut rule = Plasticity::new(&spec, &mut syn, 1.0);
        let mut ring = SpikeRing::new(2, n_pre);
        let mut got = Vec::new();
        for t in 0..pre.len() as u64 {
            rule.deliver(&mut syn, t, &ring, |j, w| got.push((t, j, w)));
            ring.store(t, &pre[t as usize]);
            rule.after_step(&mut syn, t, &post[t as usize]);
        }
        rule.flush(&mut syn, pre.len() as u64);
        (syn.weights().to_vec(), got)
    }

    #[allow(clippy::needless_range_loop)] // reason: a literal transcription, indices as in the notebook
    /// The notebook's synapse, literally: every step, every synapse (ANNarchy's order:
    /// pre-spike events, neurons incl. `r`, synapse equations, post-spike events).
    fn reference(
        p: &HomeostaticStdpParams,
        n_pre: usize,
        n_post: usize,
        w0: &[f64],
        pre: &[Vec<u32>],
        post: &[Vec<u32>],
    ) -> (Vec<f64>, Vec<(u64, u32, f64)>) {
        let mut w = w0.to_vec();
        let m = n_pre * n_post;
        let mut ltp = vec![0.0; m];
        let mut ltd = vec![0.0; m];
        let mut t_pre = vec![-10_000i64; n_pre];
        let mut t_post = vec![-10_000i64; n_post];
        let mut hist: Vec<Vec<i64>> = vec![Vec::new(); n_post];
        let win = p.t_window as i64;
        let mut got = Vec::new();
        for t in 0..pre.len() {
            let ti = t as i64;
            if t > 0 {
                for &i in &pre[t - 1] {
                    for j in 0..n_post {
                        let s = i as usize * n_post + j;
                        got.push((t as u64, j as u32, w[s]));
                        ltp[s] = p.a_plus;
                    }
                }
            }
            for &i in &pre[t] {
                t_pre[i as usize] = ti;
            }
            for &j in &post[t] {
                t_post[j as usize] = ti;
                hist[j as usize].push(ti);
            }
            let r: Vec<f64> = hist
                .iter_mut()
                .map(|h| {
                    h.retain(|&s| s > ti - win);
                    h.len() as f64 * 1000.0 / p.t_window
                })
                .collect();
            for i in 0..n_pre {
                for j in 0..n_post {
                    let s = i * n_post + j;
                    let rr = r[j];
                    let k = rr / (p.t_window * (1.0 + (1.0 - rr / p.r_target).abs() * p.gamma));
                    let stdp = if t_post[j] >= t_pre[i] {
                        ltp[s]
                    } else {
                        -ltd[s]
                    };
                    w[s] += (p.alpha * w[s] * (1.0 - rr / p.r_target) + p.beta * stdp) * k;
                    w[s] = w[s].clamp(p.w_min, p.w_max);
                    ltp[s] *= (-1.0 / p.tau_plus).exp();
                    ltd[s] *= (-1.0 / p.tau_minus).exp();
                }
            }
            for &j in &post[t] {
                for i in 0..n_pre {
                    ltd[i * n_post + j as usize] = p.a_minus;
                }
            }
        }
        (w, got)
    }

    fn trains(seed: u64, steps: usize, n: usize, p: f64) -> Vec<Vec<u32>> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..steps)
            .map(|_| {
                (0..n as u32)
                    .filter(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (x >> 11) as f64 / (1u64 << 53) as f64 <= p
                    })
                    .collect()
            })
            .collect()
    }

    fn assert_close(a: &[f64], b: &[f64], tol: f64) {
        for (k, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= tol * y.abs().max(1e-3),
                "synapse {k}: {x} vs {y} (Δ {})",
                x - y
            );
        }
    }

    /// The closed form equals the notebook's per-step evaluation on random spike trains,
    /// including window exits, anti-STDP and weights pinned at both bounds.
    #[test]
    fn homeostatic_stdp_matches_the_per_step_notebook_rule() {
        let cases = [
            // notebook parameters, short window, fast rates
            HomeostaticStdpParams {
                t_window: 300.0,
                beta: 5000.0,
                alpha: 10.0,
                ..Default::default()
            },
            // anti-STDP (Exc → Inh) with the upper bound reached, high target
            HomeostaticStdpParams {
                t_window: 200.0,
                beta: 5000.0,
                alpha: 5.0,
                w_max: 0.2,
                ..HomeostaticStdpParams::sorf_exc_inh()
            },
            // rate above target (a < 1) with strong potentiation against a low w_max, w_min > 0
            HomeostaticStdpParams {
                t_window: 100.0,
                beta: 20000.0,
                alpha: 2.0,
                r_target: 5.0,
                w_min: 0.05,
                w_max: 0.12,
                ..Default::default()
            },
            // strong depression hitting w_min = 0
            HomeostaticStdpParams {
                t_window: 150.0,
                beta: 20000.0,
                a_minus: 3e-4,
                ..Default::default()
            },
        ];
        for (c, p) in cases.iter().enumerate() {
            let (n_pre, n_post, steps) = (6, 3, 3000);
            let mut pre = trains(11 + c as u64, steps, n_pre, 0.03);
            // a spike emitted in the last step reaches the rule at its arrival, after the end
            pre[steps - 1].clear();
            let post = trains(97 + c as u64, steps, n_post, 0.04);
            let w0: Vec<f64> = (0..n_pre * n_post)
                .map(|k| (0.06 + 0.01 * k as f64).min(p.w_max))
                .collect();
            let (w, got) = drive(p, n_pre, n_post, &w0, &pre, &post);
            let (w_ref, got_ref) = reference(p, n_pre, n_post, &w0, &pre, &post);
            assert_close(&w, &w_ref, 1e-9);
            assert_eq!(got.len(), got_ref.len());
            let mut got = got;
            let mut got_ref = got_ref;
            got.sort_by(|a, b| a.partial_cmp(b).unwrap());
            got_ref.sort_by(|a, b| a.partial_cmp(b).unwrap());
            for (x, y) in got.iter().zip(&got_ref) {
                assert_eq!((x.0, x.1), (y.0, y.1));
                assert!(
                    (x.2 - y.2).abs() <= 1e-9 * y.2.abs().max(1e-3),
                    "case {c}: {x:?} vs {y:?}"
                );
            }
            assert!(w.iter().all(|&x| x >= p.w_min && x <= p.w_max));
            // the weights did move, and some sit at a bound in the clipping cases
            assert!(
                w.iter().zip(&w0).any(|(a, b)| (a - b).abs() > 1e-4),
                "case {c}"
            );
        }
    }

    /// K and the scaling term by hand: a post spike at step 0, window 1000 ms → R = 1 Hz for
    /// steps 0…999, K = 1/(1000·(1 + 0.9·50)); no presynaptic spike, so only
    /// `w ← w·(1 + α·K·0.9)` acts, 1000 times, then R = 0 freezes w.
    #[test]
    fn homeostatic_scaling_by_hand() {
        let p = HomeostaticStdpParams {
            t_window: 1000.0,
            ..Default::default()
        };
        let st =
            HomeostaticStdpState::with(&p, &Synapses::new(1, 1, &[0], &[0], &[1.0], &[1]), 1.0);
        let (h, b) = st.factors(1.0);
        let k: f64 = 1.0 / (1000.0 * (1.0 + 0.9 * 50.0));
        assert!((k - 2.173_913_043_478_261e-5).abs() < 1e-18);
        assert!((h - 0.1 * k * 0.9).abs() < 1e-20 && (b - 50.0 * k).abs() < 1e-18);
        // at the target K = R/T and there is no scaling
        let (h, b) = st.factors(10.0);
        assert!(h == 0.0 && (b - 50.0 * 10.0 / 1000.0).abs() < 1e-15);
        // above target: K = 20/(1000·51), h < 0
        let (h, _) = st.factors(20.0);
        assert!((h + 0.1 * 20.0 / (1000.0 * 51.0)).abs() < 1e-18);
        let steps = 1500;
        let pre = vec![Vec::new(); steps];
        let mut post = vec![Vec::new(); steps];
        post[0] = vec![0];
        let (w, _) = drive(&p, 1, 1, &[2.0], &pre, &post);
        let want = 2.0 * (1.0 + 0.1 * k * 0.9f64).powi(1000);
        assert!((w[0] - want).abs() < 1e-12, "{} vs {want}", w[0]);
        // CARLsim's K from the target: 10/(1000·(1 + 50)) from step 0 on, also while silent
        let q = HomeostaticStdpParams {
            k_from_target: true,
            ..p.clone()
        };
        let (w, _) = drive(&q, 1, 1, &[2.0], &pre[..10], &vec![Vec::new(); 10]);
        let k0: f64 = 10.0 / (1000.0 * 51.0);
        let want = 2.0 * (1.0 + 0.1 * k0).powi(10);
        assert!((w[0] - want).abs() < 1e-14, "{} vs {want}", w[0]);
    }

    /// Nearest-neighbour pairing and the sign of the STDP term (α = 0, one synapse):
    /// pre emitted at 10 (arrives 11, ltp = a_plus·q₊^(n−11)), post at 15: from step 15 on
    /// stdp = ltp, Δw = β·K·Σ_{n≥15} a_plus·q₊^(n−11) > 0. Post at 10, pre emitted at 15:
    /// from 15 on stdp = −ltd = −a_minus·q₋^(n−11), Δw < 0. A second presynaptic spike resets
    /// (does not add to) ltp.
    #[test]
    fn pairing_sign_and_amplitude() {
        let p = HomeostaticStdpParams {
            alpha: 0.0,
            t_window: 1000.0,
            ..Default::default()
        };
        let k: f64 = 1.0 / (1000.0 * (1.0 + 0.9 * 50.0));
        let steps = 400usize;
        let run = |pre_at: &[usize], post_at: usize| {
            let mut pre = vec![Vec::new(); steps];
            for &e in pre_at {
                pre[e] = vec![0];
            }
            let mut post = vec![Vec::new(); steps];
            post[post_at] = vec![0];
            let (w, _) = drive(&p, 1, 1, &[1.0], &pre, &post);
            w[0] - 1.0
        };
        let qp = (-1.0f64 / 60.0).exp();
        let qm = (-1.0f64 / 90.0).exp();
        let sum = |q: f64, from: usize, first: usize| -> f64 {
            (from..steps).map(|n| q.powi((n - first) as i32)).sum()
        };
        let dw = run(&[10], 15);
        let want = 50.0 * k * 4.5e-5 * sum(qp, 15, 11);
        assert!(
            dw > 0.0 && (dw - want).abs() < 1e-9 * want,
            "{dw} vs {want}"
        );
        let dw = run(&[15], 10);
        let want = -50.0 * k * 3e-5 * sum(qm, 15, 11);
        assert!(
            dw < 0.0 && (dw - want).abs() < 1e-9 * want.abs(),
            "{dw} vs {want}"
        );
        // nearest neighbour: pre at 5 and 10, post at 15 — the same as pre at 10 alone
        let dw2 = run(&[5, 10], 15);
        let dw1 = run(&[10], 15);
        // pre at 5 alone would add −ltd = 0 before (no post yet): identical
        assert!((dw2 - dw1).abs() < 1e-15, "{dw2} vs {dw1}");
        // same-step pre emission and post spike count as post after pre (t_post ≥ t_pre)
        let dw = run(&[15], 15);
        assert!(dw > 0.0);
    }

    /// Weights hit the bounds exactly as a per-step clip would have them; the rule reports
    /// the rate.
    #[test]
    fn weights_stay_in_bounds() {
        let p = HomeostaticStdpParams {
            t_window: 200.0,
            beta: 1e6,
            w_max: 0.1,
            ..Default::default()
        };
        let pre = trains(5, 2000, 4, 0.05);
        let post = trains(6, 2000, 2, 0.05);
        let (w, _) = drive(&p, 4, 2, &[0.05; 8], &pre, &post);
        // some weight reached a bound, and the closed form (bounds absorbing, then repelling)
        // agrees with the per-step transcription that clips every step
        assert!(w.iter().any(|&x| x == 0.1 || x == 0.0), "{w:?}");
        let (w_ref, _) = reference(&p, 4, 2, &[0.05; 8], &pre, &post);
        assert_close(&w, &w_ref, 1e-9);
        let mut syn = Synapses::new(1, 1, &[0], &[0], &[1.0], &[1]);
        let spec = PlasticitySpec::HomeostaticStdp(p);
        let mut rule = Plasticity::new(&spec, &mut syn, 1.0);
        rule.after_step(&mut syn, 0, &[0]);
        let RuleState::HomeostaticStdp(st) = &rule.rule else {
            unreachable!()
        };
        assert_eq!(st.rates(), &[5.0]);
    }

    #[test]
    fn validation_names_the_key() {
        let bad = HomeostaticStdpParams {
            rate: RateEstimate::Ema,
            ..Default::default()
        };
        let e = bad.validate("projections.x.plasticity", 1.0).unwrap_err();
        assert!(
            e.to_string().contains("projections.x.plasticity.rate"),
            "{e}"
        );
        let bad = HomeostaticStdpParams {
            w_min: 1.0,
            w_max: 0.5,
            ..Default::default()
        };
        assert!(bad.validate("p", 1.0).is_err());
    }
}
