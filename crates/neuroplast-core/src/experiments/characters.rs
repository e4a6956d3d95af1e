//! Character recognition with STDP: Gupta & Long, "Character Recognition using Spiking
//! Neural Networks", IJCNN 2007, as implemented in github tartavull/snn-rl (Python/Brian2
//! HEAD: `gupta_paper_further_formulas.py`, `furtherFormulas/`; reference text:
//! `shared/reference/spiking.md` §4).
//!
//! # Task
//! 26 upper-case letters as 5×3 bitmaps ([`BITMAPS`]; pixel value 1 = the input neuron spikes,
//! the strokes are the 0s). One output neuron per character. Each character occupies one
//! 100 ms interval in which every active pixel emits exactly one spike, at the first step of
//! the interval. Training cycles the characters (A, B, C, D, A, …) `train_epochs` times,
//! `train_spikes_per_char` consecutive intervals each; the test presents every character
//! `test_spikes_per_char` (3) consecutive intervals with frozen weights and fresh state.
//!
//! # Model (dt = 1 ms, every linear equation integrated exactly over the step)
//! Output neuron j, input pixel i:
//! * dendrite: τd,ij dI_d/dt = −I_d + R_d,ij·w_ij·δ_i(t), δ_i = 1 during the step of a pre
//!   spike, so I_d ← I_d·e^{−1/τd} + R_d·w·δ·(1 − e^{−1/τd});
//!   τd = τmax − |w|(τmax − τmin) ([`tau_d`]);
//!   R_d = (τd·θ/Rm)·(τm/τd)^{τm/(τm−τd)} with τ in ms ([`resistance`]; the limit τd → τm is
//!   τd·θ/Rm·e, which upstream approximates by shifting τm by 1 ns);
//! * soma-direct current: τs dI_s/dt = −I_s + Σ_i w_ij δ_i(t);
//! * soma: τm dP/dt = −P + Rm·(Σ_i I_d,ij + I_s,j), frozen while refractory (8 ms).
//!
//! Within a step the soma integrates the currents of the previous step, then the spike
//! decision is taken, then the currents take this step's input (upstream's network operation
//! copies the currents into the soma before Brian integrates them: the same one-step lag).
//!
//! Lateral inhibition is code, not a synapse ([`Inhibition`]): upstream computes the
//! preliminary potentials P_k every step and sets the thresholded copy U_k = P_k − |I_inh| for
//! every neuron but the would-be winner; I_inh = 70 mV for the rest of the 100 ms interval
//! once any neuron has fired in it. The inhibition only gates spikes: P itself is never
//! changed. The effective rule, which this module implements directly, is
//! [`Inhibition::Interval`]: while no neuron has fired in the current interval, the neuron with
//! the largest P fires when P ≥ θ and it is not refractory; after that nobody fires until the
//! interval ends.
//!
//! STDP runs once per interval, at its end, only for the output neurons that fired in it
//! (upstream `WeightChangeCalculation`): Δt = t_pre − t_post with the last pre spike of the
//! last `pre_window_ms` (100) and the last post spike of the last `post_window_ms` (108); if
//! either is missing, Δt = +1 ms. Δw = A+·e^{Δt/τ+} for Δt < 0, A−·e^{−Δt/τ−} for Δt > 0, 0 at
//! 0 ([`stdp_delta_w`]); then w += η·Δw·(w_max − w)·pos if Δw ≥ 0, w += η·Δw·(w − w_lo)·neg if
//! Δw < 0, clipped to [w_min, w_max] ([`stdp_new_weight`]).
//!
//! # Upstream quirks (defaults reproduce the Python HEAD; each is a parameter)
//! * **τ± in seconds.** `TauPlus = TauMinus = 1` divide Δt in seconds, so e^{Δt/τ} ≈ 1 for
//!   |Δt| ≤ 0.1 s and Δw is a constant ≈ +0.1 / −0.105: every active pixel of a winner is
//!   potentiated and every silent pixel depressed. Default `tau_plus_ms = tau_minus_ms =
//!   1000`; the paper and MATLAB mean 1 ms, with which Δw ≈ 0 for Δt of a few ms and nothing
//!   is learned in a reasonable time.
//! * **w_min = −1 when Δt > 0.** `returnNewW` treats Δt > 0 as an inhibitory synapse and
//!   uses w_min = −1, so depression is η·|Δw|·(w + 1) instead of η·|Δw|·w: silent pixels reach
//!   0 (after the clip) in a finite number of wins. `ltd_w_min = -1.0`; 0 gives the paper's
//!   relaxation rule.
//! * **Reinforcement factors.** Positive/negative updates are multiplied by 1 / 2
//!   (`positiveWeightReinforcement`, `negativeWeightReinforcement`; `trainTestSim.sh` uses
//!   1.155 / 5.443). η = 0.2 (paper and MATLAB: 0.1).
//! * **τd and R_d from the initial weights during training.** `tauDCalc(neuronIndex, dendObj,
//!   self.W)` reads the module-level initial matrix `W`, which the STDP code never writes (it
//!   writes `dend.w`), so training keeps the dendritic time constants and resistances of the
//!   random initial weights; the test recomputes them from the trained weights.
//!   `dendrite_tau = "initial"` (default) reproduces this, `"current"` recomputes them from
//!   the current weights at the end of every interval, as the paper describes.
//! * **Test resistance exponent.** The test code (`initializeTrainedModelParameters`) computes
//!   R_d with τm = 30 in the base but τm = 0.03 in the exponent, (τd θ/Rm)·(30/τd)^{0.03/(30−τd)}
//!   ≈ τd θ/Rm: the dendritic drive at test is up to 18× weaker than in training and the
//!   soma-direct current dominates. `test_resistance = "head"` (default) reproduces it,
//!   `"formula"` uses [`resistance`].
//! * **The potential is not reset.** The Brian reset writes U (the inhibited copy), which the
//!   inhibition code overwrites next step from P; P keeps its value, frozen for the refractory
//!   period. `reset_on_spike = false` (default); `true` sets P to `reset_mv` (−0.002 mV).
//! * **Winner bookkeeping.** Upstream's `lateralInhibition` stores the outer loop index
//!   instead of the index of the maximum, so its "would-be winner" is neuron N−1 (N−2 when N−1
//!   holds the maximum) and never the real maximum; the real maximum still fires because its
//!   inhibited copy is exactly θ and `dv/dt = v/(1 s)` lifts it over the strict threshold in
//!   the same step, while the mis-named neuron keeps a stale sub-threshold copy. Two near-equal
//!   maxima (within 0.1 %) could both fire upstream. Not reproduced: the winner is the largest
//!   P (lowest index on ties), at most one spike per step.
//! * **Timing offsets.** Upstream's input starts at 100 ms (interval 0 is silent) and its
//!   interval boundary falls 1 ms before the input spikes; here interval k starts with its
//!   input spikes. Nothing happens in the silent interval, so this changes no result.
//! * Not implemented: the MATLAB branch's learnable inhibitory soma-to-soma weights in
//!   [−1, 0] (initial U(−0.75, −0.25)), its τm = 2 ms and dt = 0.2 ms; the paper's Dirac
//!   scaling. [`Inhibition::Step`] drops the interval lock (per-step winner only) for
//!   comparison.
//!
//! # Measured (release CLI, seeds 1–10, A–D, 25 epochs)
//! Defaults: permutation 10/10, total correct and precision 1.0 for all, weights criterion
//! 9/10 (seed 7: B/D merge in training, B answered at test by an untrained neuron).
//! `dendrite_tau = "current"`: permutation 8, accepted 7; `test_resistance = "formula"`: 7 / 7;
//! `reset_on_spike = true`: 9 / 7; τ± = 1 ms (paper): permutation 9 but weights never reach
//! ≤ 0.1 off the letter (0 accepted); `inhibition = "step"`: every neuron fires in every
//! interval, all learn the pixels common to A–D, nothing fires at test (0 accepted). 26 letters
//! (25 epochs): total correct 0.987–0.993, precision 0.67–0.81.
//! Seeds 1–100 (defaults, 2026-12-07): accepted 53, permutation 66, total correct ≥ 0.875 for
//! all 100, precision ≥ 0.75 for 93; seeds 1–10 were a lucky draw. The failures are B/D
//! merges. `examples/python/characters.py` is this protocol as a script on the public API,
//! equal spike for spike from the same initial weights (`docs/python.md`).
//!
//! # Scoring ([`score`], upstream `evaluateClassifierPerf2`)
//! Test window c = the intervals of character c. Each output neuron is assigned to the first
//! window in which it fires, unless another neuron already holds that window. Per interval and
//! neuron: a spike is TP if the neuron's window is the current one, else FP; no spike is TN
//! (one TN fewer when no neuron fires at all); the interval adds one FN when no neuron assigned
//! to the current window has fired so far. Total correct = (TP + TN)/(intervals × neurons),
//! precision = TP/intervals. Gupta & Long / snn-rl report 87.5 % and 75 % for A–D
//! (TP 9, FP 3, TN 33, FN 3).

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

mod engine;
mod layer;
pub use engine::{run, Run};

/// Pixels per character (5 rows × 3 columns).
pub const N_PIXELS: usize = 15;

/// Component id of the weight-initialisation stream (`rng::component(seed, Stream::Init, …)`).
const RNG_COMPONENT: u64 = 0xC4A2_0007;

/// The 26 letters of snn-rl `furtherFormulas/dictionary.py` (MATLAB `makeDictionary.m`), rows
/// top to bottom; `1` = the input neuron spikes.
pub const BITMAPS: [&str; 26] = [
    "101 010 000 010 010", // A
    "001 010 001 010 001", // B
    "000 011 011 011 000", // C
    "001 010 010 010 001", // D
    "000 011 001 011 000", // E
    "000 011 001 011 011", // F
    "000 011 011 010 000", // G
    "010 010 000 010 010", // H
    "000 101 101 101 000", // I
    "000 110 110 010 000", // J
    "010 001 011 001 010", // K
    "011 011 011 011 000", // L
    "010 000 010 010 010", // M
    "010 000 000 000 010", // N
    "101 010 010 010 101", // O
    "000 010 000 011 011", // P
    "101 010 010 101 110", // Q
    "001 010 000 001 010", // R
    "100 011 101 110 001", // S
    "000 101 101 101 101", // T
    "010 010 010 010 000", // U
    "010 010 010 010 101", // V
    "010 010 010 000 010", // W
    "010 010 101 010 010", // X
    "010 010 101 101 101", // Y
    "000 110 101 011 000", // Z
];

/// The 5×3 bitmap of an upper-case letter, row-major (index = 3·row + column).
pub fn bitmap(letter: char) -> Option<[bool; N_PIXELS]> {
    if !letter.is_ascii_uppercase() {
        return None;
    }
    let rows = BITMAPS[(letter as u8 - b'A') as usize];
    let mut out = [false; N_PIXELS];
    for (k, c) in rows.chars().filter(|c| *c != ' ').enumerate() {
        out[k] = c == '1';
    }
    Some(out)
}

/// Indices (row-major, 0…14) of the pixels of `letter` that spike.
pub fn active_pixels(letter: char) -> Option<Vec<usize>> {
    bitmap(letter).map(|b| (0..N_PIXELS).filter(|&i| b[i]).collect())
}

/// Which characters: the first `n` letters of the alphabet, or a list of letters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a count of letters (4 means A-D) or a list of letters such as [\"A\", \"B\"]"
)]
pub enum CharacterSet {
    /// A, B, … (`characters = 4`; 26 = the whole alphabet).
    Count(usize),
    /// Explicit letters (`characters = ["A", "B", "D"]`).
    Letters(Vec<String>),
}

impl Default for CharacterSet {
    fn default() -> Self {
        CharacterSet::Count(4)
    }
}

impl CharacterSet {
    /// The letters, checked; `path` names the key in errors.
    pub fn letters(&self, path: &str) -> Result<Vec<char>> {
        let bad = |msg: String| Error::config(path, msg);
        match self {
            CharacterSet::Count(n) => {
                if !(1..=26).contains(n) {
                    return Err(bad(format!(
                        "bad value {n}; allowed: 1 … 26 or a list of letters"
                    )));
                }
                Ok((0..*n as u8).map(|k| (b'A' + k) as char).collect())
            }
            CharacterSet::Letters(v) => {
                if v.is_empty() {
                    return Err(bad("empty list; allowed: upper-case letters A … Z".into()));
                }
                let mut out = Vec::with_capacity(v.len());
                for s in v {
                    let mut cs = s.chars();
                    let c = match (cs.next(), cs.next()) {
                        (Some(c), None) if c.is_ascii_uppercase() => c,
                        _ => {
                            return Err(bad(format!(
                                "bad value {s:?}; allowed: one upper-case letter A … Z"
                            )))
                        }
                    };
                    if out.contains(&c) {
                        return Err(bad(format!("letter {c} given twice")));
                    }
                    out.push(c);
                }
                Ok(out)
            }
        }
    }
}

/// Lateral inhibition (winner-take-all in code).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inhibition {
    /// Upstream HEAD: the first neuron to fire in an interval silences all others (70 mV) and
    /// itself until the interval ends; before that the largest P fires when ≥ θ.
    #[default]
    Interval,
    /// Per-step winner only: every step the largest P fires when ≥ θ and not refractory.
    Step,
}

/// Where the dendritic τd and R_d come from during training.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DendriteTau {
    /// Upstream HEAD: from the initial weights (the STDP code never updates the matrix they
    /// are computed from).
    #[default]
    Initial,
    /// From the current weights, recomputed at the end of every interval (the paper).
    Current,
}

/// The dendritic resistance used at test.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestResistance {
    /// Upstream HEAD test code: (τd θ/Rm)·(τm/τd)^{(τm/1000)/(τm − τd)} (τm in seconds in the
    /// exponent's numerator only).
    #[default]
    Head,
    /// [`resistance`], as in training.
    Formula,
}

/// Parameters of the `characters` protocol (defaults: snn-rl Python HEAD, A–D).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Characters: a count (first letters of the alphabet) or a list of letters.
    pub characters: CharacterSet,
    /// Training passes over the character set (the 87.5 % notebook: 25).
    pub train_epochs: u32,
    /// Consecutive intervals per character per pass in training (HEAD 1; `originalVersion` 3).
    pub train_spikes_per_char: u32,
    /// Consecutive intervals per character at test.
    pub test_spikes_per_char: u32,
    /// Interval length in ms (= steps of 1 ms); one input spike per active pixel per interval.
    pub interval_ms: u32,
    /// Soma membrane time constant τm, ms.
    pub tau_m_ms: f64,
    /// Soma resistance Rm (dimensionless scale of the currents).
    pub r_m: f64,
    /// Firing threshold θ, mV.
    pub threshold_mv: f64,
    /// Value of P after a spike when `reset_on_spike`, mV.
    pub reset_mv: f64,
    /// Reset P at a spike (upstream resets only the inhibited copy, i.e. not P).
    pub reset_on_spike: bool,
    /// Refractory period (P frozen, no spike), ms.
    pub refractory_ms: u32,
    /// Dendritic τmax, ms (τd at w = 0).
    pub tau_d_max_ms: f64,
    /// Dendritic τmin, ms (τd at |w| = 1).
    pub tau_d_min_ms: f64,
    /// Soma-direct current time constant τs, ms.
    pub tau_s_ms: f64,
    /// Source of τd and R_d during training.
    pub dendrite_tau: DendriteTau,
    /// R_d at test.
    pub test_resistance: TestResistance,
    /// STDP amplitude A+ (Δt < 0, pre before post).
    pub a_plus: f64,
    /// STDP amplitude A− (Δt > 0), negative.
    pub a_minus: f64,
    /// STDP τ+, ms (upstream 1 s in effect; paper 1 ms).
    pub tau_plus_ms: f64,
    /// STDP τ−, ms (upstream 1 s in effect; paper 1 ms).
    pub tau_minus_ms: f64,
    /// Learning rate η (HEAD 0.2; paper/MATLAB 0.1).
    pub learning_rate: f64,
    /// Factor on potentiation (HEAD 1; `trainTestSim.sh` 1.155).
    pub positive_reinforcement: f64,
    /// Factor on depression (HEAD 2; `trainTestSim.sh` 5.443).
    pub negative_reinforcement: f64,
    /// Lower weight bound (clip).
    pub w_min: f64,
    /// Upper weight bound (clip and potentiation target).
    pub w_max: f64,
    /// Depression target when Δt > 0 (upstream −1; the paper's rule: `w_min`).
    pub ltd_w_min: f64,
    /// Initial weights ~ U(w_init_min, w_init_max) (HEAD 0.5; `trainTestSim.sh` 0.0713).
    pub w_init_min: f64,
    /// See `w_init_min` (HEAD 1.0; `trainTestSim.sh` 0.9546).
    pub w_init_max: f64,
    /// Pre spikes older than this (ms, at the end of the interval) are not found.
    pub pre_window_ms: u32,
    /// Post spikes older than this (ms) are not found (upstream 100 + 8).
    pub post_window_ms: u32,
    /// Winner-take-all variant.
    pub inhibition: Inhibition,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            characters: CharacterSet::default(),
            train_epochs: 25,
            train_spikes_per_char: 1,
            test_spikes_per_char: 3,
            interval_ms: 100,
            tau_m_ms: 30.0,
            r_m: 80.0,
            threshold_mv: 10.0,
            reset_mv: -0.002,
            reset_on_spike: false,
            refractory_ms: 8,
            tau_d_max_ms: 30.0,
            tau_d_min_ms: 2.0,
            tau_s_ms: 2.0,
            dendrite_tau: DendriteTau::Initial,
            test_resistance: TestResistance::Head,
            a_plus: 0.1,
            a_minus: -0.105,
            tau_plus_ms: 1000.0,
            tau_minus_ms: 1000.0,
            learning_rate: 0.2,
            positive_reinforcement: 1.0,
            negative_reinforcement: 2.0,
            w_min: 0.0,
            w_max: 1.0,
            ltd_w_min: -1.0,
            w_init_min: 0.5,
            w_init_max: 1.0,
            pre_window_ms: 100,
            post_window_ms: 108,
            inhibition: Inhibition::Interval,
        }
    }
}

impl Params {
    /// Check the parameters; `path` is the key path of the table.
    pub fn validate(&self, path: &str) -> Result<()> {
        let key = |k: &str| format!("{path}.{k}");
        self.characters.letters(&key("characters"))?;
        let pos_int = [
            ("train_epochs", self.train_epochs),
            ("train_spikes_per_char", self.train_spikes_per_char),
            ("test_spikes_per_char", self.test_spikes_per_char),
        ];
        for (k, v) in pos_int {
            if v == 0 {
                return Err(Error::config(key(k), "bad value 0; allowed: ≥ 1"));
            }
        }
        if self.interval_ms < 2 {
            return Err(Error::config(
                key("interval_ms"),
                format!(
                    "bad value {}; allowed: ≥ 2 (steps of 1 ms)",
                    self.interval_ms
                ),
            ));
        }
        let positive = [
            ("tau_m_ms", self.tau_m_ms),
            ("r_m", self.r_m),
            ("threshold_mv", self.threshold_mv),
            ("tau_d_max_ms", self.tau_d_max_ms),
            ("tau_d_min_ms", self.tau_d_min_ms),
            ("tau_s_ms", self.tau_s_ms),
            ("tau_plus_ms", self.tau_plus_ms),
            ("tau_minus_ms", self.tau_minus_ms),
        ];
        for (k, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::config(
                    key(k),
                    format!("bad value {v}; allowed: finite and > 0"),
                ));
            }
        }
        let non_negative = [
            ("a_plus", self.a_plus),
            ("learning_rate", self.learning_rate),
            ("positive_reinforcement", self.positive_reinforcement),
            ("negative_reinforcement", self.negative_reinforcement),
        ];
        for (k, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::config(
                    key(k),
                    format!("bad value {v}; allowed: finite and ≥ 0"),
                ));
            }
        }
        if !(self.a_minus.is_finite() && self.a_minus <= 0.0) {
            return Err(Error::config(
                key("a_minus"),
                format!("bad value {}; allowed: finite and ≤ 0", self.a_minus),
            ));
        }
        if !self.reset_mv.is_finite() {
            return Err(Error::config(key("reset_mv"), "bad value; allowed: finite"));
        }
        if self.tau_d_min_ms > self.tau_d_max_ms {
            return Err(Error::config(
                key("tau_d_min_ms"),
                format!(
                    "bad value {}; allowed: ≤ tau_d_max_ms ({})",
                    self.tau_d_min_ms, self.tau_d_max_ms
                ),
            ));
        }
        if !(self.w_min.is_finite() && self.w_max.is_finite() && self.w_min < self.w_max) {
            return Err(Error::config(
                key("w_max"),
                format!(
                    "bad value {}; allowed: finite and > w_min ({})",
                    self.w_max, self.w_min
                ),
            ));
        }
        if !(self.w_min >= -1.0 && self.w_max <= 1.0) {
            return Err(Error::config(
                key("w_min"),
                "bad bounds; allowed: -1 ≤ w_min < w_max ≤ 1 (τd = τmax − |w|(τmax − τmin))",
            ));
        }
        if !(self.ltd_w_min.is_finite() && self.ltd_w_min <= self.w_min) {
            return Err(Error::config(
                key("ltd_w_min"),
                format!(
                    "bad value {}; allowed: finite and ≤ w_min ({})",
                    self.ltd_w_min, self.w_min
                ),
            ));
        }
        let init_ok = self.w_init_min.is_finite()
            && self.w_init_max.is_finite()
            && self.w_min <= self.w_init_min
            && self.w_init_min <= self.w_init_max
            && self.w_init_max <= self.w_max;
        if !init_ok {
            return Err(Error::config(
                key("w_init_min"),
                format!(
                    "bad range [{}, {}]; allowed: w_min ≤ w_init_min ≤ w_init_max ≤ w_max",
                    self.w_init_min, self.w_init_max
                ),
            ));
        }
        Ok(())
    }
}

/// Dendritic time constant τd (ms) of a synapse of weight `w`: τmax − |w|(τmax − τmin).
pub fn tau_d(w: f64, p: &Params) -> f64 {
    p.tau_d_max_ms - w.abs().min(1.0) * (p.tau_d_max_ms - p.tau_d_min_ms)
}

/// Dendritic resistance R_d = (τd·θ/Rm)·(τm/τd)^{τm/(τm−τd)}, τ in ms; at τd = τm the limit
/// τd·θ/Rm·e.
pub fn resistance(tau_d_ms: f64, p: &Params) -> f64 {
    let base = tau_d_ms * p.threshold_mv / p.r_m;
    let x = p.tau_m_ms / tau_d_ms;
    if (p.tau_m_ms - tau_d_ms).abs() < 1e-9 * p.tau_m_ms {
        return base * std::f64::consts::E;
    }
    base * x.powf(p.tau_m_ms / (p.tau_m_ms - tau_d_ms))
}

/// R_d as upstream's test code computes it: (τd·θ/Rm)·(τm/τd)^{(τm/1000)/(τm−τd)} (τm in
/// seconds in the exponent's numerator only; the factor is 1 at τd = τm).
pub fn resistance_head_test(tau_d_ms: f64, p: &Params) -> f64 {
    let base = tau_d_ms * p.threshold_mv / p.r_m;
    if (p.tau_m_ms - tau_d_ms).abs() < 1e-9 * p.tau_m_ms {
        return base;
    }
    base * (p.tau_m_ms / tau_d_ms).powf((p.tau_m_ms / 1000.0) / (p.tau_m_ms - tau_d_ms))
}

/// STDP window: Δw for Δt = t_pre − t_post (ms).
pub fn stdp_delta_w(dt_ms: f64, p: &Params) -> f64 {
    if dt_ms < 0.0 {
        p.a_plus * (dt_ms / p.tau_plus_ms).exp()
    } else if dt_ms > 0.0 {
        p.a_minus * (-dt_ms / p.tau_minus_ms).exp()
    } else {
        0.0
    }
}

/// The weight after one STDP update of `w` by `dw` (from Δt = `dt_ms`): potentiation
/// η·Δw·(w_max − w)·pos, depression η·Δw·(w − w_lo)·neg with w_lo = `ltd_w_min` when Δt > 0
/// (upstream) and `w_min` otherwise; clipped to [w_min, w_max].
pub fn stdp_new_weight(w: f64, dw: f64, dt_ms: f64, p: &Params) -> f64 {
    let new = if dw >= 0.0 {
        w + p.learning_rate * dw * (p.w_max - w) * p.positive_reinforcement
    } else {
        let lo = if dt_ms > 0.0 { p.ltd_w_min } else { p.w_min };
        w + p.learning_rate * dw * (w - lo) * p.negative_reinforcement
    };
    new.clamp(p.w_min, p.w_max)
}

/// Counts of the authors' scoring (`evaluateClassifierPerf2`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// True positives.
    pub tp: u32,
    /// False positives.
    pub fp: u32,
    /// True negatives.
    pub tn: u32,
    /// False negatives.
    #[serde(rename = "fn")]
    pub fn_: u32,
    /// (TP + TN)/(intervals × neurons): the authors' "accuracy" / "total correct".
    pub total_correct: f64,
    /// TP/intervals: the authors' "precision" / "TP rate".
    pub precision: f64,
    /// Window (character index) each neuron was assigned to, if any.
    pub assigned_window: Vec<Option<usize>>,
}

/// The authors' scoring of a test: `fired[k * n_neurons + j]` = neuron j fired in test
/// interval k; window of interval k = k / `per_char`.
pub fn score(fired: &[bool], n_neurons: usize, per_char: usize) -> Score {
    let n_intervals = fired.len() / n_neurons.max(1);
    let mut s = Score {
        assigned_window: vec![None; n_neurons],
        ..Score::default()
    };
    // Neurons that have fired in any interval so far (upstream scans its whole history).
    let mut ever_fired = vec![false; n_neurons];
    for k in 0..n_intervals {
        let window = k / per_char;
        let row = &fired[k * n_neurons..(k + 1) * n_neurons];
        let mut silent = 0;
        for j in 0..n_neurons {
            if row[j] {
                ever_fired[j] = true;
                let window_taken = s.assigned_window.contains(&Some(window));
                if !window_taken && s.assigned_window[j].is_none() {
                    s.assigned_window[j] = Some(window);
                }
                if s.assigned_window[j] == Some(window) {
                    s.tp += 1;
                } else {
                    s.fp += 1;
                }
            } else {
                s.tn += 1;
                silent += 1;
            }
        }
        if silent == n_neurons {
            s.tn -= 1;
        }
        let found = (0..n_neurons).any(|j| ever_fired[j] && s.assigned_window[j] == Some(window));
        if !found {
            s.fn_ += 1;
        }
    }
    let cells = (n_intervals * n_neurons) as f64;
    s.total_correct = if cells > 0.0 {
        f64::from(s.tp + s.tn) / cells
    } else {
        0.0
    };
    s.precision = if n_intervals > 0 {
        f64::from(s.tp) / n_intervals as f64
    } else {
        0.0
    };
    s
}

/// Whether `m` (rows × cols, row-major booleans) has exactly one `true` in every row and every
/// column.
pub fn is_permutation(m: &[bool], rows: usize, cols: usize) -> bool {
    rows == cols
        && (0..rows).all(|r| (0..cols).filter(|&c| m[r * cols + c]).count() == 1)
        && (0..cols).all(|c| (0..rows).filter(|&r| m[r * cols + c]).count() == 1)
}

/// Per character: the neuron the scoring assigned to it and its mean weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// The letter.
    pub character: char,
    /// The assigned output neuron (scoring), if any.
    pub neuron: Option<usize>,
    /// Mean final weight of that neuron on the letter's active pixels.
    pub mean_w_active: Option<f64>,
    /// Mean final weight of that neuron on the letter's silent pixels.
    pub mean_w_inactive: Option<f64>,
}

/// The acceptance figures (summary.json `results`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The letters, in order.
    pub characters: String,
    /// Training intervals run.
    pub train_intervals: u32,
    /// Training intervals in which some neuron fired.
    pub train_intervals_with_spike: u32,
    /// `response[j][c]`: test presentations of character c in which neuron j fired (0 … 3).
    pub response: Vec<Vec<u32>>,
    /// The majority matrix (≥ 2 of 3 presentations) is a permutation.
    pub permutation: bool,
    /// Presentations p (0 … 2) whose single-presentation matrix is a permutation.
    pub permutation_presentations: u32,
    /// The authors' scoring.
    pub score: Score,
    /// Gupta & Long / snn-rl figures for A–D: total correct 0.875, precision 0.75.
    pub reference_total_correct: f64,
    /// See `reference_total_correct`.
    pub reference_precision: f64,
    /// Per character: assigned neuron and its weights.
    pub assignments: Vec<Assignment>,
    /// Every character has an assigned neuron with mean weight ≥ 0.6 on its active pixels and
    /// ≤ 0.1 on the others.
    pub weights_ok: bool,
    /// Acceptance thresholds on (total correct, precision): (0.875, 0.75) up to 4 characters,
    /// (0.95, 0.5) above (§4.4).
    pub thresholds: (f64, f64),
    /// Accepted: thresholds met and, up to 4 characters, permutation and weights too.
    pub accepted: bool,
}

/// What a run produced.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// Acceptance figures.
    pub summary: Summary,
    /// Output neurons (= characters).
    pub n_neurons: usize,
    /// Initial weights, neurons × 15, row-major.
    pub initial_weights: Vec<f64>,
    /// Final weights, neurons × 15, row-major.
    pub final_weights: Vec<f64>,
    /// First neuron to fire in each training interval (−1: none), epochs × characters ×
    /// `train_spikes_per_char`.
    pub train_winners: Vec<i32>,
    /// Test spike counts, neurons × characters × `test_spikes_per_char`.
    pub test_counts: Vec<u32>,
    /// Wall-clock seconds of training and test.
    pub wall_seconds: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_default(seed: u64) -> Outcome {
        run(&Params::default(), seed, &mut |_| true).expect("runs")
    }

    #[test]
    fn dataset_bitmaps() {
        assert_eq!(active_pixels('A').unwrap(), vec![0, 2, 4, 10, 13]);
        assert_eq!(active_pixels('B').unwrap(), vec![2, 4, 8, 10, 14]);
        assert_eq!(active_pixels('C').unwrap(), vec![4, 5, 7, 8, 10, 11]);
        assert_eq!(active_pixels('D').unwrap(), vec![2, 4, 7, 10, 14]);
        let (b, d) = (bitmap('B').unwrap(), bitmap('D').unwrap());
        let diff: Vec<usize> = (0..N_PIXELS).filter(|&i| b[i] != d[i]).collect();
        assert_eq!(diff, vec![7, 8]); // B has 8, D has 7: one pixel moved
        assert_eq!(active_pixels('N').unwrap(), vec![1, 13]);
        assert!(bitmap('a').is_none());
        let all = CharacterSet::Count(26).letters("x").unwrap();
        assert_eq!(all.len(), 26);
        assert_eq!(all[25], 'Z');
    }

    #[test]
    fn dendrite_formulas() {
        let p = Params::default();
        assert!((tau_d(0.0, &p) - 30.0).abs() < 1e-12);
        assert!((tau_d(1.0, &p) - 2.0).abs() < 1e-12);
        assert!((tau_d(0.75, &p) - 9.0).abs() < 1e-12);
        assert!((tau_d(-0.5, &p) - 16.0).abs() < 1e-12);
        // τd = 20: (20·10/80)·(30/20)^(30/10) = 2.5·3.375 = 8.4375 (= upstream r/mV).
        assert!((resistance(20.0, &p) - 8.4375).abs() < 1e-12);
        // τd = 2: 0.25·15^(30/28).
        let r2 = 0.25 * 15f64.powf(30.0 / 28.0);
        assert!((resistance(2.0, &p) - r2).abs() < 1e-12);
        assert!((r2 - 4.5503).abs() < 1e-4);
        // τd = τm: the limit τd·θ/Rm·e, continuous with its neighbours.
        let lim = 30.0 * 10.0 / 80.0 * std::f64::consts::E;
        assert!((resistance(30.0, &p) - lim).abs() < 1e-12);
        assert!((resistance(29.999, &p) - lim).abs() < 1e-3);
        // Upstream test code: exponent 0.03/(30 − τd): 0.25·15^(0.03/28) ≈ 0.25072.
        let rt = 0.25 * 15f64.powf(0.03 / 28.0);
        assert!((resistance_head_test(2.0, &p) - rt).abs() < 1e-12);
        assert!((resistance_head_test(30.0, &p) - 3.75).abs() < 1e-12);
    }

    #[test]
    fn stdp_hand_cases() {
        let p = Params::default();
        // τ± = 1 s: Δt = −5 ms → 0.1·e^−0.005; Δt = +1 ms → −0.105·e^−0.001.
        let dp = stdp_delta_w(-5.0, &p);
        assert!((dp - 0.1 * (-0.005f64).exp()).abs() < 1e-15);
        let dm = stdp_delta_w(1.0, &p);
        assert!((dm + 0.105 * (-0.001f64).exp()).abs() < 1e-15);
        assert_eq!(stdp_delta_w(0.0, &p), 0.0);
        // Potentiation scaled by w_max − w: 0.6 + 0.2·dp·0.4·1.
        let w = stdp_new_weight(0.6, dp, -5.0, &p);
        assert!((w - (0.6 + 0.2 * dp * 0.4)).abs() < 1e-15);
        // Depression with Δt > 0 scaled by w − (−1), times 2: 0.6 + 0.2·dm·1.6·2.
        let w = stdp_new_weight(0.6, dm, 1.0, &p);
        assert!((w - (0.6 + 0.2 * dm * 1.6 * 2.0)).abs() < 1e-15);
        // The paper's rule (ltd_w_min = w_min = 0): scaled by w − 0.
        let paper = Params {
            ltd_w_min: 0.0,
            ..Params::default()
        };
        let w = stdp_new_weight(0.6, dm, 1.0, &paper);
        assert!((w - (0.6 + 0.2 * dm * 0.6 * 2.0)).abs() < 1e-15);
        // Clipping: a small weight depressed towards −1 stops at 0; w = 1 stays 1.
        assert_eq!(stdp_new_weight(0.01, dm, 1.0, &p), 0.0);
        assert_eq!(stdp_new_weight(1.0, dp, -5.0, &p), 1.0);
        let big = Params {
            learning_rate: 30.0,
            ..Params::default()
        };
        assert_eq!(stdp_new_weight(0.5, dp, -5.0, &big), 1.0);
        // τ in ms (the paper): Δt = −5 ms gives 0.1·e^−5.
        let ms = Params {
            tau_plus_ms: 1.0,
            ..Params::default()
        };
        assert!((stdp_delta_w(-5.0, &ms) - 0.1 * (-5.0f64).exp()).abs() < 1e-15);
    }

    #[test]
    fn scoring_matches_the_authors_counts() {
        let n = 4;
        let mut fired = vec![false; 12 * n];
        let mut set = |k: usize, j: usize| fired[k * n + j] = true;
        // A: neurons 0 and 1 fire; B: 1; C: 2; D: nobody (TP 9, FP 3, TN 33, FN 3).
        for k in 0..3 {
            set(k, 0);
            set(k, 1);
            set(3 + k, 1);
            set(6 + k, 2);
        }
        let s = score(&fired, n, 3);
        assert_eq!((s.tp, s.fp, s.tn, s.fn_), (9, 3, 33, 3));
        assert!((s.total_correct - 0.875).abs() < 1e-12);
        assert!((s.precision - 0.75).abs() < 1e-12);
        assert_eq!(s.assigned_window, vec![Some(0), Some(1), Some(2), None]);

        // A perfect permutation.
        let mut perm = vec![false; 12 * n];
        for k in 0..12 {
            perm[k * n + (k / 3 + 1) % 4] = true;
        }
        let s = score(&perm, n, 3);
        assert_eq!((s.tp, s.fp, s.tn, s.fn_), (12, 0, 36, 0));
        assert_eq!(s.total_correct, 1.0);
        assert_eq!(s.precision, 1.0);

        // B/D merge: neuron 1 fires for B and D.
        let mut merge = vec![false; 12 * n];
        for k in 0..3 {
            merge[k * n] = true;
            merge[(3 + k) * n + 1] = true;
            merge[(6 + k) * n + 2] = true;
            merge[(9 + k) * n + 1] = true;
        }
        let s = score(&merge, n, 3);
        assert_eq!((s.tp, s.fp, s.tn, s.fn_), (9, 3, 36, 3));
        assert!((s.total_correct - 45.0 / 48.0).abs() < 1e-12);
    }

    #[test]
    fn permutation_check() {
        let id: Vec<bool> = (0..9).map(|k| k % 4 == 0).collect();
        assert!(is_permutation(&id, 3, 3));
        let mut two = id.clone();
        two[1] = true;
        assert!(!is_permutation(&two, 3, 3));
    }

    /// Full A–D run (25 epochs = 100 training intervals + 12 test intervals, 11 200 steps).
    #[test]
    fn full_run_seed_1() {
        let o = run_default(1);
        let s = &o.summary;
        assert_eq!(s.characters, "ABCD");
        assert_eq!(s.train_intervals, 100);
        assert_eq!(o.final_weights.len(), 4 * N_PIXELS);
        assert!(s.permutation, "{:?}", s.response);
        assert_eq!(s.permutation_presentations, 3);
        assert_eq!(
            (s.score.tp, s.score.fp, s.score.tn, s.score.fn_),
            (12, 0, 36, 0)
        );
        assert_eq!(s.score.total_correct, 1.0);
        assert_eq!(s.score.precision, 1.0);
        assert!(s.weights_ok, "{:?}", s.assignments);
        assert!(s.accepted);
    }

    #[test]
    fn deterministic_per_seed() {
        let a = run_default(7);
        let b = run_default(7);
        assert_eq!(a.final_weights, b.final_weights);
        assert_eq!(a.train_winners, b.train_winners);
        assert_eq!(a.test_counts, b.test_counts);
        assert_eq!(a.summary, b.summary);
        let c = run_default(8);
        assert_ne!(a.initial_weights, c.initial_weights);
    }

    #[test]
    fn validation_names_the_key() {
        let p = Params {
            characters: CharacterSet::Letters(vec!["A".into(), "a".into()]),
            ..Params::default()
        };
        let e = p.validate("protocol").unwrap_err().to_string();
        assert!(e.contains("protocol.characters"), "{e}");
        let p = Params {
            characters: CharacterSet::Count(27),
            ..Params::default()
        };
        assert!(p.validate("protocol").is_err());
        let p = Params {
            tau_d_min_ms: 40.0,
            ..Params::default()
        };
        let e = p.validate("protocol").unwrap_err().to_string();
        assert!(e.contains("protocol.tau_d_min_ms"), "{e}");
    }

    #[test]
    fn interrupt_stops() {
        let r = run(&Params::default(), 1, &mut |_| false);
        assert!(matches!(r, Err(Error::Interrupted)));
    }
}
