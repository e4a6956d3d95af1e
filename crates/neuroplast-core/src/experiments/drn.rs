//! Neurapse's dynamic random networks `DRN_Const` and `DRN_Plastic` (udion/Neurapse `0dc82ed`,
//! `Networks.py` and `example_DRN.py`; EE746 HW3 problems 2–5, after Izhikevich 2006).
//!
//! The network of `example_DRN.py`, built on the spiking engine:
//!
//! * `n` `LIF_neurapse` neurons (C 300 pF, gL 30 nS, V_T 20 mV, EL −70 mV, Rp 2 ms), the first
//!   `int(exc_frac·n)` excitatory; dt 0.1 ms, 20 000 steps (2 s).
//! * Each neuron draws `int(connect_frac·n)` targets **with replacement**: excitatory → any
//!   neuron but itself, delay U(1, 20) ms (continuous), weight `gamma·w0·I0`; inhibitory →
//!   excitatory only, delay 1 ms, weight `−w0·I0` (w0 = 3000, I0 = 1 pA). Upstream stores the
//!   synapses in an N × N matrix of cells, so a target drawn twice is **one** synapse, with the
//!   delay of the last draw; so here (`duplicate_draws` in the summary counts them).
//! * Delays are `int(τd // dt)` steps with Python's float floor division (1 ms at 0.1 ms is
//!   9 steps, the `NNetwork_Const` quirk).
//! * Double-exponential kernel synapses `w·[e^{−Δ/τ} − e^{−4Δ/τ}]`, τ = 15 ms, truncated as
//!   upstream (`truncate_kernels`): a spike emitted at step `t` adds the kernel table to
//!   `I[t + d : t + int(τd) + 3·int(τ // dt)]`, and `int(τd) = 0` for a delay in seconds, so
//!   the kernel ends 447 steps after the *emission* (it is shortened by the delay).
//! * The first `n_driven` = 25 neurons get Poisson trains (100 Hz, a Bernoulli trial per step)
//!   turned into current with the same kernel, weight `w0·I0`. Upstream cuts it at
//!   `int(3τ // dt)` = 449 steps, but its kernel table is zero from `3·int(τ // dt)` = 447 on,
//!   so the drive's kernel lasts 447 steps from each input spike as well.
//! * `plastic`: the excitatory synapses (to both populations) follow `neurapse_b`
//!   (`PLASTIC_SYNAPSE_B` as `DRN_Plastic` applies it, A_up 0.01, A_dn −0.07, τL 20 ms, times
//!   γ; see `spiking::plasticity::neurapse` for the pairing and `upstream_bugs`).
//!
//! Timing matches upstream step for step where it is defined: a spike of step `t` (upstream:
//! the loop index at which `V_next > V_thresh`) feeds its targets from step `t + d` with the
//! kernel value 0 and from `t + d + 1` with the first nonzero one, in both codes. Known
//! differences: the Poisson drive starts one step later (our sources emit spikes that arrive a
//! step later; upstream's input spike at column t acts at t); the current of a spike uses the
//! weight at its arrival (upstream: at its emission); upstream's per-duplicate repetition of
//! the depression and its mean over the target list (duplicates counted twice) are not
//! reproduced (one synapse per pair); and the random streams differ, so runs agree in
//! distribution only (spiking.md §1.9). Checked outside the test suite: the connectivity and
//! drive of a `const` run (N = 500, seed 1) fed through upstream's `DRN_Const` loop give the
//! identical spike train; a `plastic` run (N = 200, seed 1) through `DRN_Plastic`'s loop
//! diverges after some hundred steps (the differences above) but ends with 3598 vs 3621
//! excitatory spikes and a mean weight of 1222.9 vs 1223.5.
//!
//! `DRN_Const` with N = 200 and γ = 1 is bistable, in upstream's loop as here: some
//! realisations run away to ≈ 400 Hz (see `examples/drn_const.toml`).

use rand::Rng as _;
use serde::{Deserialize, Serialize};

use crate::rng::{component, Stream};
use crate::spiking::connector::{Connector, Value};
use crate::spiking::network::{
    DelayRounding, ModelSpec, Network, NetworkBuilder, ProjectionSpec, SynapseSpec, TruncateFrom,
};
use crate::spiking::neuron::LifNeurapseParams;
use crate::spiking::plasticity::{NeurapseBParams, PlasticitySpec};
use crate::spiking::source::PoissonParams;
use crate::{Error, Result};

mod engine;
pub use engine::{run, Run};

/// Component id of the connectivity stream (within [`Stream::Init`]).
const CONNECT_ID: u64 = 0xD12;

/// Which of the two networks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// `DRN_Const`: static synapses (HW3 problems 2–3).
    Const,
    /// `DRN_Plastic`: excitatory synapses with `neurapse_b` (HW3 problems 4–5; what
    /// `example_DRN.py` runs).
    #[default]
    Plastic,
}

/// Parameters of the `drn` protocol. Defaults: `example_DRN.py` as it runs at HEAD
/// (`DRN_Plastic`, N = 200, γ = 0.4).
#[allow(non_snake_case)] // reason: upstream's names (I0, A_up, A_dn) are the public keys
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// `const` (`DRN_Const`) or `plastic` (`DRN_Plastic`).
    pub variant: Variant,
    /// Number of neurons.
    pub n: usize,
    /// Excitatory weight factor: excitatory weights are `gamma·w0`, inhibitory `−w0`; also
    /// the factor on the plasticity amplitudes (HW3: 1 for problem 2, 0.77 for 3, 0.4 for 5).
    pub gamma: f64,
    /// Fraction of excitatory neurons (the first `int(exc_frac·n)`).
    pub exc_frac: f64,
    /// Targets per neuron: `int(connect_frac·n)`, drawn with replacement.
    pub connect_frac: f64,
    /// Weight scale, in units of `I0`.
    pub w0: f64,
    /// Current scale of a synapse, nA (1 pA).
    pub I0: f64,
    /// Kernel time constant τ, ms (the fast one is τ/4).
    pub tau: f64,
    /// Excitatory delays are drawn uniformly from `[low, high)`, ms.
    pub delay_exc_ms: [f64; 2],
    /// Inhibitory delay, ms.
    pub delay_inh_ms: f64,
    /// Cut the kernels as upstream does (see the module docs); `false`: untruncated.
    pub truncate_kernels: bool,
    /// Number of neurons with Poisson drive (the first ones).
    pub n_driven: usize,
    /// Rate of the Poisson drive, Hz.
    pub drive_rate_hz: f64,
    /// Time step, ms.
    pub dt_ms: f64,
    /// Number of steps.
    pub steps: u64,
    /// The neurons.
    pub lif: LifNeurapseParams,
    /// `plastic`: potentiation amplitude (times `gamma`).
    pub A_up: f64,
    /// `plastic`: depression amplitude (times `gamma`).
    pub A_dn: f64,
    /// `plastic`: pairing time constant, ms.
    pub tau_l: f64,
    /// `plastic`: reproduce `DRN_Plastic`'s pairing bugs (`neurapse_b`'s switch).
    pub upstream_bugs: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            variant: Variant::Plastic,
            n: 200,
            gamma: 0.4,
            exc_frac: 0.8,
            connect_frac: 0.1,
            w0: 3000.0,
            I0: 1e-3,
            tau: 15.0,
            delay_exc_ms: [1.0, 20.0],
            delay_inh_ms: 1.0,
            truncate_kernels: true,
            n_driven: 25,
            drive_rate_hz: 100.0,
            dt_ms: 0.1,
            steps: 20_000,
            lif: LifNeurapseParams::default(),
            A_up: 0.01,
            A_dn: -0.07,
            tau_l: 20.0,
            upstream_bugs: true,
        }
    }
}

/// Python's `a // b` for floats (CPython `float_floor_div`), so that `1e-3 // 1e-4` is 9 as
/// upstream computes it.
pub fn py_floor_div(a: f64, b: f64) -> f64 {
    let m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div == 0.0 {
        return 0.0f64.copysign(a / b);
    }
    let f = div.floor();
    if div - f > 0.5 {
        f + 1.0
    } else {
        f
    }
}

fn bad(path: &str, key: &str, value: impl std::fmt::Display, allowed: &str) -> Error {
    Error::config(
        format!("{path}.{key}"),
        format!("bad value {value}; allowed: {allowed}"),
    )
}

impl Params {
    /// Number of excitatory neurons, `int(exc_frac·n)`.
    pub fn n_exc(&self) -> usize {
        (self.exc_frac * self.n as f64) as usize
    }

    /// Targets per neuron, `int(connect_frac·n)`.
    pub fn fan_out(&self) -> usize {
        (self.connect_frac * self.n as f64) as usize
    }

    /// The plasticity rule of the excitatory synapses.
    pub fn rule(&self) -> NeurapseBParams {
        NeurapseBParams {
            A_up: self.A_up,
            A_dn: self.A_dn,
            tau_l: self.tau_l,
            gamma: self.gamma,
            upstream_bugs: self.upstream_bugs,
        }
    }

    /// Check the parameters; `path` is the key path of the table.
    pub fn validate(&self, path: &str) -> Result<()> {
        if self.n < 2 {
            return Err(bad(path, "n", self.n, "at least 2 neurons"));
        }
        if !(self.exc_frac > 0.0 && self.exc_frac <= 1.0) || self.n_exc() == 0 {
            return Err(bad(
                path,
                "exc_frac",
                self.exc_frac,
                "(0, 1] with at least one excitatory neuron",
            ));
        }
        if !(self.connect_frac >= 0.0 && self.connect_frac <= 1.0) {
            return Err(bad(path, "connect_frac", self.connect_frac, "[0, 1]"));
        }
        for (key, v) in [("gamma", self.gamma), ("w0", self.w0), ("I0", self.I0)] {
            if !v.is_finite() {
                return Err(bad(path, key, v, "a finite number"));
            }
        }
        if !(self.dt_ms.is_finite() && self.dt_ms > 0.0) {
            return Err(bad(path, "dt_ms", self.dt_ms, "a time step > 0 ms"));
        }
        if self.steps == 0 {
            return Err(bad(path, "steps", self.steps, "at least 1 step"));
        }
        if !(self.tau.is_finite() && self.tau >= self.dt_ms) {
            return Err(bad(path, "tau", self.tau, "a time constant ≥ dt_ms"));
        }
        let [lo, hi] = self.delay_exc_ms;
        if !(lo.is_finite() && hi.is_finite() && lo >= self.dt_ms && lo < hi) {
            return Err(bad(
                path,
                "delay_exc_ms",
                format!("[{lo}, {hi}]"),
                "[low, high] with dt_ms ≤ low < high",
            ));
        }
        if !(self.delay_inh_ms.is_finite() && self.delay_inh_ms >= self.dt_ms) {
            return Err(bad(
                path,
                "delay_inh_ms",
                self.delay_inh_ms,
                "a delay ≥ dt_ms",
            ));
        }
        if self.n_driven > self.n {
            return Err(bad(
                path,
                "n_driven",
                self.n_driven,
                &format!("0 to n = {}", self.n),
            ));
        }
        if !(self.drive_rate_hz.is_finite() && self.drive_rate_hz >= 0.0) {
            return Err(bad(
                path,
                "drive_rate_hz",
                self.drive_rate_hz,
                "a rate ≥ 0 Hz",
            ));
        }
        self.lif.validate(&format!("{path}.lif"))?;
        self.rule().validate(path)
    }
}

/// The acceptance figures of a run (summary.json `results`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// `const` or `plastic`.
    pub variant: Variant,
    /// Neurons.
    pub n: usize,
    /// Excitatory neurons.
    pub n_exc: usize,
    /// γ.
    pub gamma: f64,
    /// Synapses after merging duplicate draws.
    pub synapses: usize,
    /// Draws that repeated an earlier (pre, post) pair.
    pub duplicate_draws: usize,
    /// Spikes of the Poisson drive.
    pub drive_spikes: u64,
    /// Excitatory spikes.
    pub exc_spikes: u64,
    /// Inhibitory spikes.
    pub inh_spikes: u64,
    /// Mean excitatory rate, Hz.
    pub exc_rate_hz: f64,
    /// Mean inhibitory rate, Hz.
    pub inh_rate_hz: f64,
    /// Excitatory neurons with at least one spike.
    pub active_exc: usize,
    /// Inhibitory neurons with at least one spike.
    pub active_inh: usize,
    /// Coefficient of variation (population sd / mean) of the excitatory spike counts in
    /// 10-ms bins.
    pub cv_exc_10ms: f64,
    /// Mean excitatory weight (units of I0) before the first step (`plastic` only).
    pub mean_exc_w_start: Option<f64>,
    /// … after half the steps (1 s).
    pub mean_exc_w_mid: Option<f64>,
    /// … after the last step (2 s).
    pub mean_exc_w_end: Option<f64>,
    /// `end / start − 1`.
    pub mean_exc_w_rel_change: Option<f64>,
    /// Wall time of building and simulating, s.
    pub sim_seconds: f64,
}

/// What a run produced.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// The acceptance figures.
    pub summary: Summary,
    /// Step of every spike (ascending).
    pub spike_steps: Vec<u64>,
    /// Neuron of every spike (excitatory `0..n_exc`, then inhibitory).
    pub spike_ids: Vec<u32>,
    /// Mean excitatory weight (units of I0) after each step (`plastic`; empty for `const`).
    pub mean_exc_weight: Vec<f64>,
}

/// The network of `p` and what the summary reports about its connectivity.
struct Built {
    net: Network,
    synapses: usize,
    duplicates: usize,
}

/// Draw `example_DRN.py`'s connectivity and build the network.
fn build(p: &Params, seed: u64) -> Result<Built> {
    let (n, n_exc, k, dt) = (p.n, p.n_exc(), p.fan_out(), p.dt_ms);
    let mut rng = component(seed, Stream::Init, CONNECT_ID);
    // one synapse per (pre, post); a repeated draw overwrites the delay (upstream's cells)
    let mut exc: (Vec<u32>, Vec<u32>, Vec<f64>) = Default::default();
    let mut inh: (Vec<u32>, Vec<u32>) = Default::default();
    let mut duplicates = 0;
    let steps_of = |ms: f64| py_floor_div(ms, dt);
    let mut row: Vec<(u32, f64)> = Vec::with_capacity(k);
    for i in 0..n {
        row.clear();
        for _ in 0..k {
            let (j, d) = if i < n_exc {
                let j = rng.random_range(0..n - 1);
                let j = if j >= i { j + 1 } else { j };
                let [lo, hi] = p.delay_exc_ms;
                (j as u32, lo + (hi - lo) * rng.random::<f64>())
            } else {
                (rng.random_range(0..n_exc) as u32, p.delay_inh_ms)
            };
            match row.iter_mut().find(|(t, _)| *t == j) {
                Some(cell) => {
                    cell.1 = d;
                    duplicates += 1;
                }
                None => row.push((j, d)),
            }
        }
        for &(j, d) in &row {
            if i < n_exc {
                exc.0.push(i as u32);
                exc.1.push(j);
                exc.2.push(steps_of(d) * dt);
            } else {
                inh.0.push(i as u32);
                inh.1.push(j);
            }
        }
    }
    let synapses = exc.0.len() + inh.0.len();
    let tau_s = p.tau / 4.0;
    // 3·int(τ // dt) steps: the network kernel, and the drive's (see the module docs)
    let window = 3.0 * py_floor_div(p.tau, dt);
    let kernel = |from: TruncateFrom| SynapseSpec::DoubleExponential {
        tau: p.tau,
        tau_s,
        truncate_ms: p.truncate_kernels.then_some(window * dt),
        truncate_from: from,
    };
    let mut b = NetworkBuilder::new(dt, seed);
    b.population("net", n, ModelSpec::LIF_neurapse(p.lif.clone()))?;
    let plastic = p.variant == Variant::Plastic;
    let proj = |name: &str, pre: &str, (from, to): (Vec<u32>, Vec<u32>), w: f64, delay: Value| {
        ProjectionSpec {
            name: name.into(),
            pre: pre.into(),
            post: "net".into(),
            connector: Connector::FromList {
                pre: from,
                post: to,
            },
            weight: w.into(),
            delay,
            delay_rounding: DelayRounding::Round,
            synapse: kernel(if pre == "drive" {
                TruncateFrom::Arrival
            } else {
                TruncateFrom::Emission
            }),
            plasticity: (plastic && name == "exc").then(|| PlasticitySpec::NeurapseB(p.rule())),
        }
    };
    b.projection(proj(
        "exc",
        "net",
        (exc.0, exc.1),
        p.gamma * p.w0 * p.I0,
        Value::Array { values: exc.2 },
    ))?;
    b.projection(proj(
        "inh",
        "net",
        inh,
        -p.w0 * p.I0,
        (steps_of(p.delay_inh_ms) * dt).into(),
    ))?;
    if p.n_driven > 0 {
        let ids: Vec<u32> = (0..p.n_driven as u32).collect();
        b.population(
            "drive",
            p.n_driven,
            ModelSpec::SpikeSourcePoisson(PoissonParams {
                rate: p.drive_rate_hz,
                ..Default::default()
            }),
        )?;
        b.projection(proj(
            "drive",
            "drive",
            (ids.clone(), ids),
            p.w0 * p.I0,
            dt.into(),
        ))?;
    }
    Ok(Built {
        net: b.build()?,
        synapses,
        duplicates,
    })
}

/// Mean weight of projection `k`, in units of I0.
fn mean_weight(net: &Network, k: usize, i0: f64) -> f64 {
    let w = net.projections()[k].synapses.weights();
    if w.is_empty() {
        return f64::NAN;
    }
    w.iter().sum::<f64>() / w.len() as f64 / i0
}

/// Population sd / mean of `x` (NaN for a zero mean).
fn cv(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    var.sqrt() / mean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_floor_division() {
        assert_eq!(py_floor_div(1.0, 0.1), 9.0);
        assert_eq!(py_floor_div(1e-3, 1e-4), 9.0);
        assert_eq!(py_floor_div(15.0, 0.1), 149.0);
        assert_eq!(py_floor_div(45.0, 0.1), 449.0);
        assert_eq!(py_floor_div(5.0, 0.1), 49.0);
        assert_eq!(py_floor_div(2.0, 1.0), 2.0);
        assert_eq!(py_floor_div(7.55, 0.1), 75.0);
        assert_eq!(py_floor_div(-1.0, 0.3), -4.0);
    }

    #[test]
    fn connectivity_follows_example_drn() {
        let p = Params {
            variant: Variant::Const,
            gamma: 1.0,
            ..Default::default()
        };
        let built = build(&p, 3).unwrap();
        let net = &built.net;
        let (exc, inh) = (&net.projections()[0], &net.projections()[1]);
        assert_eq!(built.synapses + built.duplicates, 200 * 20);
        assert_eq!(exc.synapses.len() + inh.synapses.len(), built.synapses);
        for (i, j, w, d) in exc.synapses.iter() {
            assert!(i < 160 && i != j && j < 200);
            assert_eq!(w, 3.0);
            assert!((9..=199).contains(&d), "{d}");
        }
        for (i, j, w, d) in inh.synapses.iter() {
            assert!(i >= 160 && j < 160);
            assert_eq!((w, d), (-3.0, 9));
        }
        let mut pairs: Vec<(u32, u32)> = exc.synapses.iter().map(|s| (s.0, s.1)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), exc.synapses.len(), "one synapse per pair");
    }

    /// The median over seeds 1–5 of each figure (the §1.9 ranges are for typical runs: a few
    /// realisations fall outside, upstream's own included; see the examples' headers).
    fn medians(p: &Params) -> Vec<[f64; 4]> {
        let mut rows: Vec<[f64; 4]> = (1..=5)
            .map(|seed| {
                let s = run(p, seed, &mut |_| true).unwrap().summary;
                let dw = s.mean_exc_w_rel_change.unwrap_or(f64::NAN);
                [s.exc_rate_hz, s.inh_rate_hz, s.cv_exc_10ms, dw]
            })
            .collect();
        let mut med = [0.0; 4];
        for (k, m) in med.iter_mut().enumerate() {
            rows.sort_by(|a, b| a[k].total_cmp(&b[k]));
            *m = rows[2][k];
        }
        rows.push(med);
        rows
    }

    /// spiking.md §1.9, fast variant for CI: DRN_Const N = 500, γ = 1 (HW3 problem 2), the
    /// bursty population oscillation (median of 5 seeds, about 1.5 s in the dev profile).
    #[test]
    fn drn_const_n500_in_reference_range() {
        let p = Params {
            variant: Variant::Const,
            n: 500,
            gamma: 1.0,
            ..Default::default()
        };
        let rows = medians(&p);
        let [exc, inh, cv, _] = *rows.last().unwrap();
        assert!((2.5..=5.0).contains(&exc), "{rows:?}");
        assert!((50.0..=80.0).contains(&inh), "{rows:?}");
        assert!(cv > 1.2, "{rows:?}");
    }

    /// spiking.md §1.9, DRN_Plastic N = 200, γ = 0.4 (`example_DRN.py`): rates and the rise of
    /// the mean excitatory weight over 2 s (median of 5 seeds).
    #[test]
    fn drn_plastic_n200_in_reference_range() {
        let rows = medians(&Params::default());
        let [exc, inh, _, dw] = *rows.last().unwrap();
        assert!((7.0..=14.0).contains(&exc), "{rows:?}");
        assert!((15.0..=30.0).contains(&inh), "{rows:?}");
        assert!((0.005..=0.03).contains(&dw), "{rows:?}");
        let s = run(&Params::default(), 1, &mut |_| true).unwrap().summary;
        assert!((s.mean_exc_w_start.unwrap() - 1200.0).abs() < 1e-9, "{s:?}");
    }
}
