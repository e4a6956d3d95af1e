//! `sorf`: self-organising receptive fields with homeostatic STDP (Carlson, Richert, Dutt &
//! Krichmar, IJCNN 2013), as the ANNarchy notebook `SORF.ipynb` builds it, plus a test phase.
//!
//! ## Network (notebook)
//!
//! ```text
//! on_poiss, off_poiss  32×32 Poisson ──one-to-one, ampa+nmda, w ~ U(0.2, 0.6)──▶ on_buf, off_buf (SORF)
//! on_buf, off_buf ──all-to-all, ampa+nmda, homeostatic_stdp, w ~ U(0.004, 0.015)──▶ exc (4 SORF)
//! exc ──all-to-all, ampa+nmda, homeostatic_stdp (anti-STDP, 75 Hz), w ~ U(0.116, 0.403)──▶ inh (4 SORF)
//! inh ──all-to-all, gabaa+gabab, static, w ~ U(0.065, 0.259)──▶ exc
//! ```
//!
//! dt = 1 ms, every delay one step. Gratings: `z = sin(2π·f·(cos θ·x + sin θ·y))` on
//! `x, y = linspace(−1, 1, 32)` (meshgrid, row = y), θ = π·k/K, k = 0…K−1; ON rate
//! `max_rate·max(z, 0)`, OFF rate `max_rate·max(−z, 0)`.
//!
//! ## Protocol
//!
//! Training: `epochs` × (the K gratings in a shuffled order, each `stimulus_ms` then `rest_ms`
//! with every Poisson rate at `rest_rate`). Test (plasticity frozen): each grating in order,
//! `test_rest_ms` at `rest_rate` then `test_stimulus_ms` of the grating; Exc and Inh spike
//! counts during the grating give the tuning curves.
//!
//! ## Figures
//!
//! * rates per epoch (Exc and Inh, per neuron and population mean, whole epoch incl. rests);
//! * `rf_match` per Exc neuron: max over θ (1° steps) and 16 phases of
//!   |corr(w_on − w_off, sin(2π·f·(cos θ·x + sin θ·y) + φ))| on the 32×32 grid, and its θ
//!   (the preferred RF orientation), initially and at the end; corr(w_on, w_off);
//! * distinct preferred orientations: the largest set of Exc neurons whose RF orientations
//!   differ pairwise by more than 20° (mod 180°);
//! * test: tuning curves, circular OSI `|Σ r·e^{2iθ}| / Σ r`, preferred response orientation,
//!   peak and mean rates; final E → I weights.

use serde::{Deserialize, Serialize};

use crate::spiking::connector::{Connector, Value};
use crate::spiking::monitor::MonitorSpec;
use crate::spiking::network::{
    DelayRounding, ModelSpec, Network, NetworkBuilder, ProjectionSpec, SynapseSpec,
};
use crate::spiking::neuron::{EquationParams, SorfParams};
use crate::spiking::plasticity::{HomeostaticStdpParams, PlasticitySpec};
use crate::spiking::source::PoissonParams;
use crate::{ensure, Result};

mod engine;
pub use engine::{run, Run};

/// Side of the input images (the notebook's 32×32).
pub const SIDE: usize = 32;
const PIX: usize = SIDE * SIDE;

/// Parameters of the `sorf` protocol (defaults: the notebook).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Training epochs.
    pub epochs: usize,
    /// Number of grating orientations K (θ = π·k/K).
    pub orientations: usize,
    /// Spatial frequency f of the gratings (cycles per half image).
    pub frequency: f64,
    /// Poisson rate at z = 1, Hz.
    pub max_rate: f64,
    /// Poisson rate between gratings, Hz.
    pub rest_rate: f64,
    /// Grating duration in training, ms.
    pub stimulus_ms: f64,
    /// Rest after each training grating, ms.
    pub rest_ms: f64,
    /// Run the test phase.
    pub test: bool,
    /// Grating duration in the test, ms.
    pub test_stimulus_ms: f64,
    /// Rest before each test grating, ms.
    pub test_rest_ms: f64,
    /// Number of Exc (and of Inh) neurons.
    pub n_exc: usize,
    /// Poisson → buffer weights, uniform [low, high).
    pub w_input: [f64; 2],
    /// Buffer → Exc initial weights.
    pub w_buffer_exc: [f64; 2],
    /// Exc → Inh initial weights.
    pub w_exc_inh: [f64; 2],
    /// Inh → Exc weights (static).
    pub w_inh_exc: [f64; 2],
    /// The neuron of every SORF population.
    pub neuron: SorfParams,
    /// Rule of buffer → Exc.
    pub buffer_exc: HomeostaticStdpParams,
    /// Rule of Exc → Inh.
    pub exc_inh: HomeostaticStdpParams,
    /// Keep the ON/OFF weights after every epoch (data file `weights_epochs.npy`).
    pub record_epoch_weights: bool,
    /// The same network with its neuron and rules written as equations (the model language's
    /// check: the notebook's `RSNeuron` and `homeo_stdp` in ANNarchy syntax); `None`: the
    /// built-in `sorf` neuron and `homeostatic_stdp` with the parameters above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equations: Option<Box<SorfEquations>>,
}

/// The SORF network's models written as equations (`[protocol.equations]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SorfEquations {
    /// The neuron of every SORF population.
    pub neuron: EquationParams,
    /// The rule of buffer → Exc.
    pub buffer_exc: PlasticitySpec,
    /// The rule of Exc → Inh.
    pub exc_inh: PlasticitySpec,
    /// The neuron's receptors that excitatory projections add to (the notebook's
    /// `['ampa', 'nmda']`).
    #[serde(default = "excitatory_receptors")]
    pub excitatory: [String; 2],
    /// The neuron's receptors that Inh → Exc adds to (the notebook's `['gabaa', 'gabab']`).
    #[serde(default = "inhibitory_receptors")]
    pub inhibitory: [String; 2],
}

fn excitatory_receptors() -> [String; 2] {
    ["g_ampa".into(), "g_nmda".into()]
}

fn inhibitory_receptors() -> [String; 2] {
    ["g_gabaa".into(), "g_gabab".into()]
}

impl Default for Params {
    fn default() -> Self {
        Params {
            epochs: 20,
            orientations: 40,
            frequency: 1.2,
            max_rate: 28.0,
            rest_rate: 1.0,
            stimulus_ms: 2000.0,
            rest_ms: 500.0,
            test: true,
            test_stimulus_ms: 1000.0,
            test_rest_ms: 300.0,
            n_exc: 4,
            w_input: [0.2, 0.6],
            w_buffer_exc: [0.004, 0.015],
            w_exc_inh: [0.116, 0.403],
            w_inh_exc: [0.065, 0.259],
            neuron: SorfParams::default(),
            buffer_exc: HomeostaticStdpParams::default(),
            exc_inh: HomeostaticStdpParams::sorf_exc_inh(),
            record_epoch_weights: false,
            equations: None,
        }
    }
}

impl Params {
    /// Check the parameters; `path` is the key path of the table.
    pub fn validate(&self, path: &str) -> Result<()> {
        ensure!(
            self.epochs >= 1,
            format!("{path}.epochs"),
            "bad value {}; allowed: ≥ 1",
            self.epochs
        );
        ensure!(
            self.orientations >= 1,
            format!("{path}.orientations"),
            "bad value {}; allowed: ≥ 1",
            self.orientations
        );
        ensure!(
            self.n_exc >= 1,
            format!("{path}.n_exc"),
            "bad value {}; allowed: ≥ 1",
            self.n_exc
        );
        for (k, v) in [
            ("frequency", self.frequency),
            ("max_rate", self.max_rate),
            ("rest_rate", self.rest_rate),
        ] {
            ensure!(
                v.is_finite() && v >= 0.0,
                format!("{path}.{k}"),
                "bad value {v}; allowed: a finite number ≥ 0"
            );
        }
        for (k, v) in [
            ("stimulus_ms", self.stimulus_ms),
            ("rest_ms", self.rest_ms),
            ("test_stimulus_ms", self.test_stimulus_ms),
            ("test_rest_ms", self.test_rest_ms),
        ] {
            ensure!(
                v.is_finite() && v >= 0.0 && v.fract() == 0.0,
                format!("{path}.{k}"),
                "bad value {v}; allowed: a whole number of ms ≥ 0 (dt = 1 ms)"
            );
        }
        ensure!(
            self.stimulus_ms.is_finite() && self.stimulus_ms >= 1.0,
            format!("{path}.stimulus_ms"),
            "bad value {}; allowed: ≥ 1 ms",
            self.stimulus_ms
        );
        for (k, [lo, hi]) in [
            ("w_input", self.w_input),
            ("w_buffer_exc", self.w_buffer_exc),
            ("w_exc_inh", self.w_exc_inh),
            ("w_inh_exc", self.w_inh_exc),
        ] {
            ensure!(
                lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi,
                format!("{path}.{k}"),
                "bad value [{lo}, {hi}]; allowed: 0 ≤ low ≤ high"
            );
        }
        self.neuron.validate(&format!("{path}.neuron"))?;
        PlasticitySpec::HomeostaticStdp(self.buffer_exc.clone())
            .validate(&format!("{path}.buffer_exc"), 1.0)?;
        PlasticitySpec::HomeostaticStdp(self.exc_inh.clone())
            .validate(&format!("{path}.exc_inh"), 1.0)?;
        if let Some(eq) = &self.equations {
            let path = format!("{path}.equations");
            ModelSpec::equations(eq.neuron.clone()).validate(&format!("{path}.neuron"))?;
            eq.buffer_exc.validate(&format!("{path}.buffer_exc"), 1.0)?;
            eq.exc_inh.validate(&format!("{path}.exc_inh"), 1.0)?;
        }
        Ok(())
    }
}

/// The acceptance figures (summary.json `results`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Epochs trained.
    pub epochs: usize,
    /// Population mean Exc rate per epoch, Hz.
    pub exc_rate_per_epoch: Vec<f64>,
    /// Population mean Inh rate per epoch, Hz.
    pub inh_rate_per_epoch: Vec<f64>,
    /// Mean Exc rate over epochs 2…end, Hz (the homeostatic regime).
    pub exc_rate_epochs_2_on: Option<f64>,
    /// Mean Inh rate over epochs 2…end, Hz.
    pub inh_rate_epochs_2_on: Option<f64>,
    /// Each Exc neuron's rate in the last epoch, Hz.
    pub exc_rate_last_epoch: Vec<f64>,
    /// Each Inh neuron's rate in the last epoch, Hz.
    pub inh_rate_last_epoch: Vec<f64>,
    /// rf_match per Exc neuron before training.
    pub rf_match_initial: Vec<f64>,
    /// rf_match per Exc neuron after training.
    pub rf_match_final: Vec<f64>,
    /// Orientation of the best-matching grating per Exc neuron after training, degrees.
    pub rf_orientation_deg: Vec<f64>,
    /// corr(w_on, w_off) per Exc neuron before training.
    pub corr_on_off_initial: Vec<f64>,
    /// corr(w_on, w_off) per Exc neuron after training.
    pub corr_on_off_final: Vec<f64>,
    /// Largest number of Exc neurons with RF orientations pairwise > 20° apart.
    pub distinct_orientations: usize,
    /// Final Exc → Inh weights, `[exc][inh]`.
    pub w_exc_inh_final: Vec<Vec<f64>>,
    /// Test: circular OSI of each Exc neuron's tuning curve.
    pub osi: Vec<f64>,
    /// Test: preferred response orientation per Exc neuron, degrees.
    pub pref_deg: Vec<f64>,
    /// Test: peak rate per Exc neuron, Hz.
    pub test_peak_rate: Vec<f64>,
    /// Test: mean rate per Exc neuron over the gratings, Hz.
    pub test_mean_rate: Vec<f64>,
    /// Wall-clock seconds of each training epoch.
    pub wall_seconds_per_epoch: Vec<f64>,
    /// Wall-clock seconds of the test phase.
    pub wall_seconds_test: f64,
}

/// What a run produced.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// The figures.
    pub summary: Summary,
    /// ON weights before training, `[exc][pixel]` flattened (n_exc × 1024, pixel = row·32 + col).
    pub w_on_initial: Vec<f64>,
    /// OFF weights before training.
    pub w_off_initial: Vec<f64>,
    /// ON weights after training.
    pub w_on_final: Vec<f64>,
    /// OFF weights after training.
    pub w_off_final: Vec<f64>,
    /// Exc rate per epoch and neuron, `[epoch][exc]` flattened, Hz.
    pub exc_rates: Vec<f64>,
    /// Inh rate per epoch and neuron, Hz.
    pub inh_rates: Vec<f64>,
    /// Test tuning curves, `[orientation][exc]` flattened, Hz (empty without test).
    pub tuning: Vec<f64>,
    /// Inh test rates, `[orientation][inh]`, Hz.
    pub inh_tuning: Vec<f64>,
    /// ON and OFF weights after each epoch, `[epoch][on/off][exc][pixel]` (when recorded).
    pub epoch_weights: Vec<f64>,
}

/// The grating of orientation θ (radians) and phase φ: `sin(2π·f·(cos θ·x + sin θ·y) + φ)`
/// at pixel `row·32 + col`, `x = linspace(−1, 1)[col]`, `y = linspace(−1, 1)[row]`.
pub fn grating(theta: f64, phase: f64, frequency: f64) -> Vec<f64> {
    let lin = |k: usize| -1.0 + 2.0 * k as f64 / (SIDE - 1) as f64;
    let (c, s) = (theta.cos(), theta.sin());
    let mut z = Vec::with_capacity(PIX);
    for row in 0..SIDE {
        for col in 0..SIDE {
            let arg = 2.0 * std::f64::consts::PI * (c * lin(col) + s * lin(row)) * frequency;
            z.push((arg + phase).sin());
        }
    }
    z
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (dx, dy) = (x - ma, y - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    if saa == 0.0 || sbb == 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// rf_match of one receptive field `d = w_on − w_off` (1024 values): the best |corr| over θ in
/// 1° steps and 16 phases, and its θ in degrees.
pub fn rf_match(d: &[f64], frequency: f64) -> (f64, f64) {
    rf_match_all(&[d], frequency)[0]
}

/// [`rf_match`] of several receptive fields (each grating is drawn once).
pub fn rf_match_all(ds: &[&[f64]], frequency: f64) -> Vec<(f64, f64)> {
    let mut best = vec![(0.0, 0.0); ds.len()];
    for deg in 0..180 {
        let theta = (deg as f64).to_radians();
        for k in 0..16 {
            let phase = 2.0 * std::f64::consts::PI * k as f64 / 16.0;
            let g = grating(theta, phase, frequency);
            for (b, d) in best.iter_mut().zip(ds) {
                let r = pearson(d, &g).abs();
                if r > b.0 {
                    *b = (r, deg as f64);
                }
            }
        }
    }
    best
}

/// The largest number of orientations (degrees, mod 180) pairwise more than `min_deg` apart.
pub fn distinct_orientations(deg: &[f64], min_deg: f64) -> usize {
    let n = deg.len().min(20);
    let dist = |a: f64, b: f64| {
        let d = (a - b).rem_euclid(180.0);
        d.min(180.0 - d)
    };
    let mut best = 0;
    for mask in 0u32..(1 << n) {
        let idx: Vec<usize> = (0..n).filter(|&i| mask & (1 << i) != 0).collect();
        let ok = idx
            .iter()
            .enumerate()
            .all(|(a, &i)| idx[a + 1..].iter().all(|&j| dist(deg[i], deg[j]) > min_deg));
        if ok {
            best = best.max(idx.len());
        }
    }
    best
}

/// Circular orientation selectivity `|Σ r·e^{2iθ}| / Σ r` and the preferred orientation
/// (degrees) of a tuning curve over θ = π·k/K.
pub fn osi(rates: &[f64]) -> (f64, f64) {
    let k = rates.len() as f64;
    let (mut re, mut im, mut sum) = (0.0, 0.0, 0.0);
    for (i, &r) in rates.iter().enumerate() {
        let a = 2.0 * std::f64::consts::PI * i as f64 / k;
        re += r * a.cos();
        im += r * a.sin();
        sum += r;
    }
    if sum == 0.0 {
        return (0.0, 0.0);
    }
    let pref = (im.atan2(re).to_degrees() / 2.0).rem_euclid(180.0);
    ((re * re + im * im).sqrt() / sum, pref)
}

fn build(p: &Params, seed: u64) -> Result<Network> {
    let mut b = NetworkBuilder::new(1.0, seed);
    let poisson = ModelSpec::SpikeSourcePoisson(PoissonParams {
        rate: p.rest_rate,
        ..Default::default()
    });
    let sorf = match &p.equations {
        Some(eq) => ModelSpec::equations(eq.neuron.clone()),
        None => ModelSpec::SORF(p.neuron.clone()),
    };
    let (excitatory, inhibitory) = match &p.equations {
        Some(eq) => (eq.excitatory.clone(), eq.inhibitory.clone()),
        None => (
            ["ampa".into(), "nmda".into()],
            ["gabaa".into(), "gabab".into()],
        ),
    };
    let (buffer_exc, exc_inh) = match &p.equations {
        Some(eq) => (eq.buffer_exc.clone(), eq.exc_inh.clone()),
        None => (
            PlasticitySpec::HomeostaticStdp(p.buffer_exc.clone()),
            PlasticitySpec::HomeostaticStdp(p.exc_inh.clone()),
        ),
    };
    for (name, n, model) in [
        ("on_poiss", PIX, &poisson),
        ("off_poiss", PIX, &poisson),
        ("on_buf", PIX, &sorf),
        ("off_buf", PIX, &sorf),
        ("exc", p.n_exc, &sorf),
        ("inh", p.n_exc, &sorf),
    ] {
        b.population(name, n, model.clone())?;
    }
    let uniform = |[low, high]: [f64; 2]| Value::Uniform { low, high };
    let proj = |name: &str,
                pre: &str,
                post: &str,
                one_to_one: bool,
                w: [f64; 2],
                receptors: &[String; 2],
                rule: Option<&PlasticitySpec>| ProjectionSpec {
        name: name.into(),
        pre: pre.into(),
        post: post.into(),
        connector: if one_to_one {
            Connector::OneToOne
        } else {
            Connector::AllToAll { allow_self: true }
        },
        weight: uniform(w),
        delay: 1.0.into(),
        delay_rounding: DelayRounding::Exact,
        synapse: SynapseSpec::Receptor {
            names: receptors.to_vec(),
        },
        plasticity: rule.cloned(),
    };
    let ampa = &excitatory;
    b.projection(proj(
        "on_input", "on_poiss", "on_buf", true, p.w_input, ampa, None,
    ))?;
    b.projection(proj(
        "off_input",
        "off_poiss",
        "off_buf",
        true,
        p.w_input,
        ampa,
        None,
    ))?;
    b.projection(proj(
        "on_exc",
        "on_buf",
        "exc",
        false,
        p.w_buffer_exc,
        ampa,
        Some(&buffer_exc),
    ))?;
    b.projection(proj(
        "off_exc",
        "off_buf",
        "exc",
        false,
        p.w_buffer_exc,
        ampa,
        Some(&buffer_exc),
    ))?;
    b.projection(proj(
        "exc_inh",
        "exc",
        "inh",
        false,
        p.w_exc_inh,
        ampa,
        Some(&exc_inh),
    ))?;
    b.projection(proj(
        "inh_exc",
        "inh",
        "exc",
        false,
        p.w_inh_exc,
        &inhibitory,
        None,
    ))?;
    for pop in ["exc", "inh"] {
        b.monitor(MonitorSpec::Spikes {
            population: pop.into(),
            neurons: None,
            start_step: 0,
            stop_step: None,
        });
    }
    b.build()
}

/// Weights of projection `name` as `[post][pre]` (n_post × n_pre).
fn weight_matrix(net: &Network, name: &str) -> Vec<f64> {
    let proj = net.projection(name).expect("built above");
    let (n_pre, n_post) = (proj.synapses.n_pre(), proj.synapses.n_post());
    let mut m = vec![0.0; n_pre * n_post];
    for (i, j, w, _) in proj.synapses.iter() {
        m[j as usize * n_pre + i as usize] = w;
    }
    m
}

/// Run `steps` steps and add each Exc / Inh neuron's spikes to the counters.
fn run_counting(net: &mut Network, steps: u64, exc: &mut [f64], inh: &mut [f64]) {
    net.run(steps);
    let rec = net.drain();
    for (chunk, counts) in rec.spikes.iter().zip([exc, inh]) {
        for &i in &chunk.ids {
            counts[i as usize] += 1.0;
        }
    }
}

/// Set the ON and OFF Poisson rates (checked in [`Params::validate`]: finite, ≥ 0).
fn set_rates(net: &mut Network, on: &[f64], off: &[f64]) {
    for (pop, r) in [("on_poiss", on), ("off_poiss", off)] {
        net.population_mut(pop)
            .expect("built above")
            .set_state("rate", r)
            .expect("rates checked in Params::validate");
    }
}

/// (rf_match, its orientation in degrees, corr(w_on, w_off)) of each of the `n` Exc neurons
/// of the `[exc][pixel]` weights `on` and `off`.
fn receptive_fields(on: &[f64], off: &[f64], n: usize, p: &Params) -> Vec<(f64, f64, f64)> {
    let ds: Vec<Vec<f64>> = (0..n)
        .map(|e| {
            let (a, b) = (&on[e * PIX..(e + 1) * PIX], &off[e * PIX..(e + 1) * PIX]);
            a.iter().zip(b).map(|(x, y)| x - y).collect()
        })
        .collect();
    let refs: Vec<&[f64]> = ds.iter().map(|d| d.as_slice()).collect();
    rf_match_all(&refs, p.frequency)
        .into_iter()
        .enumerate()
        .map(|(e, (m, deg))| {
            let (a, b) = (&on[e * PIX..(e + 1) * PIX], &off[e * PIX..(e + 1) * PIX]);
            (m, deg, pearson(a, b))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn figures_by_hand() {
        // a grating matches itself perfectly, at its own orientation
        let z = grating(30f64.to_radians(), 0.7, 1.2);
        let (m, deg) = rf_match(&z, 1.2);
        assert!(m > 0.99 && (deg - 30.0).abs() <= 1.0, "{m} {deg}");
        assert_eq!(distinct_orientations(&[10.0, 25.0, 100.0, 175.0], 20.0), 3);
        assert_eq!(distinct_orientations(&[8.0, 102.0, 107.0, 29.0], 20.0), 3);
        assert_eq!(distinct_orientations(&[0.0, 10.0, 170.0, 5.0], 20.0), 1);
        assert_eq!(distinct_orientations(&[16.0, 49.0, 107.0, 147.0], 20.0), 4);
        let mut r = vec![0.0; 40];
        r[10] = 5.0;
        let (o, pref) = osi(&r);
        assert!((o - 1.0).abs() < 1e-12 && (pref - 45.0).abs() < 1e-9);
        assert!(osi(&[1.0; 40]).0 < 1e-12);
    }

    /// One short epoch with 4 orientations: runs, rates plausible, weights in bounds,
    /// same seed → same figures.
    #[test]
    fn short_run_is_deterministic() {
        let p = Params {
            epochs: 1,
            orientations: 4,
            stimulus_ms: 500.0,
            rest_ms: 100.0,
            test_stimulus_ms: 200.0,
            test_rest_ms: 50.0,
            ..Default::default()
        };
        let a = run(&p, 3, &mut |_| true).unwrap();
        let b = run(&p, 3, &mut |_| true).unwrap();
        let strip = |s: &Summary| Summary {
            wall_seconds_per_epoch: Vec::new(),
            wall_seconds_test: 0.0,
            ..s.clone()
        };
        assert_eq!(strip(&a.summary), strip(&b.summary));
        assert_eq!(a.w_on_final, b.w_on_final);
        let s = &a.summary;
        assert!(s.exc_rate_per_epoch[0] > 5.0, "{:?}", s.exc_rate_per_epoch);
        assert!(s.inh_rate_per_epoch[0] > 5.0, "{:?}", s.inh_rate_per_epoch);
        assert!(a.w_on_final.iter().all(|&w| (0.0..=10.0).contains(&w)));
        assert_ne!(a.w_on_final, a.w_on_initial);
        assert_eq!(a.tuning.len(), 4 * 4);
        assert!(s.rf_match_initial.iter().all(|&m| m < 0.2));
        let mut stop = |_| false;
        assert!(matches!(run(&p, 3, &mut stop), Err(Error::Interrupted)));
        // training only: the same training figures, no tuning curves
        let c = run(
            &Params {
                test: false,
                ..p.clone()
            },
            3,
            &mut |_| true,
        )
        .unwrap();
        assert_eq!(c.w_on_final, a.w_on_final);
        assert_eq!(c.summary.exc_rate_per_epoch, s.exc_rate_per_epoch);
        assert!(c.tuning.is_empty() && c.summary.osi.is_empty());
    }
}
