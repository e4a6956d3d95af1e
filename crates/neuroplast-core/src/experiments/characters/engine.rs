//! A `characters` run as an [`Engine`].
//!
//! The protocol has its own simulator (the output layer, [`Layer`]): a step is one of its
//! 1 ms steps. The segments are the 100 ms intervals (`interval_ms`): `train_epochs` ×
//! characters × `train_spikes_per_char` in training, then characters ×
//! `test_spikes_per_char` at test. STDP runs when a training interval ends; when the last one
//! has ended the weights are final and the layer is reset for the test (fresh state,
//! dendrites from the trained weights); the scoring comes at the end.
//!
//! Its spike hash is its own: FNV-1a over every output spike, training and test, of the
//! protocol step (0-based, counting on from training into the test) and the neuron, each as a
//! 64-bit word (what a spiking network with one population hashes).

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::layer::{set_dendrites, Layer};
use super::{
    active_pixels, is_permutation, resistance, resistance_head_test, score, Assignment, Outcome,
    Params, Summary, TestResistance, N_PIXELS, RNG_COMPONENT,
};
use crate::engine::{Engine, Kind, PhaseInfo, Summary as Figures};
use crate::experiments::run::{
    self, f64s, i32s, run_to_end, u32s, write_checkpoint, Cursor, Pending, Progress,
    ProtocolRunRef, Segments,
};
use crate::hash::Fnv1a;
use crate::recording::{ArrayData, Recording};
use crate::rng::{self as rngs, Stream};
use crate::{ensure, Result};

/// The complete state of a `characters` run (see the module docs of
/// [`characters`](super)): the layer, the position, the winners of the training intervals
/// and the test counts.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    p: Params,
    seed: u64,
    letters: Vec<char>,
    /// Active pixels of each letter.
    inputs: Vec<Vec<usize>>,
    layer: Layer,
    cursor: Cursor,
    /// Spikes per neuron (in the current test interval).
    counts: Vec<u32>,
    /// The first neuron to fire in the current interval.
    first: Option<usize>,
    winners: Vec<i32>,
    with_spike: u32,
    /// The weights after training.
    final_w: Vec<f64>,
    /// Test spike counts, neurons × characters × presentations.
    test_counts: Vec<u32>,
    /// Test interval k, neuron j fired: `fired[k · n + j]`.
    fired: Vec<bool>,
    hash: Fnv1a,
    /// Wall time of stepping and scoring, s.
    wall_s: f64,
    /// The acceptance figures, once complete.
    summary: Option<Summary>,
    pending: Pending,
    /// Seconds in [`STEP_PHASES`] while profiling (not part of the state).
    #[serde(skip)]
    profile: Option<[f64; 2]>,
}

/// Where segment `seg` is.
#[derive(Clone, Copy, Debug)]
struct Interval {
    /// Index of the character.
    c: usize,
    /// Training (`None`) or the test presentation.
    test: Option<usize>,
    /// The layer's step at the start of the interval (it restarts at 0 for the test).
    t0: i64,
}

impl Run {
    /// Check `p` (key paths under `protocol`) and draw the initial weights for `seed`.
    pub fn new(p: &Params, seed: u64) -> Result<Run> {
        p.validate("protocol")?;
        let letters = p.characters.letters("protocol.characters")?;
        let n = letters.len();
        let inputs: Vec<Vec<usize>> = letters
            .iter()
            .map(|&c| active_pixels(c).expect("validated letter"))
            .collect();
        let mut rng = rngs::component(seed, Stream::Init, RNG_COMPONENT);
        let span = p.w_init_max - p.w_init_min;
        let w0: Vec<f64> = (0..n * N_PIXELS)
            .map(|_| p.w_init_min + span * rand::Rng::random::<f64>(&mut rng))
            .collect();
        let tspc = p.test_spikes_per_char as usize;
        let mut pending = Pending::default();
        pending.push(
            "weights_initial",
            vec![n, N_PIXELS],
            ArrayData::F64(w0.clone()),
        );
        Ok(Run {
            layer: Layer::new(n, w0, p),
            p: p.clone(),
            seed,
            letters,
            inputs,
            cursor: Cursor::default(),
            counts: vec![0; n],
            first: None,
            winners: Vec::with_capacity(Self::train_intervals_of(p, n) as usize),
            with_spike: 0,
            final_w: Vec::new(),
            test_counts: vec![0; n * n * tspc],
            fired: vec![false; n * tspc * n],
            hash: Fnv1a::default(),
            wall_s: 0.0,
            summary: None,
            pending,
            profile: None,
        })
    }

    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn train_intervals_of(p: &Params, n: usize) -> u64 {
        u64::from(p.train_epochs) * n as u64 * u64::from(p.train_spikes_per_char)
    }

    fn train_intervals(&self) -> u64 {
        Self::train_intervals_of(&self.p, self.letters.len())
    }

    fn intervals(&self) -> u64 {
        self.train_intervals()
            + (self.letters.len() as u64) * u64::from(self.p.test_spikes_per_char)
    }

    fn total_steps(&self) -> u64 {
        self.intervals() * u64::from(self.p.interval_ms)
    }

    fn interval(&self, seg: u64) -> Interval {
        let len = i64::from(self.p.interval_ms);
        let train = self.train_intervals();
        if seg < train {
            let spc = u64::from(self.p.train_spikes_per_char);
            let per_epoch = self.letters.len() as u64 * spc;
            Interval {
                c: ((seg % per_epoch) / spc) as usize,
                test: None,
                t0: seg as i64 * len,
            }
        } else {
            let k = seg - train;
            let tspc = u64::from(self.p.test_spikes_per_char);
            Interval {
                c: (k / tspc) as usize,
                test: Some((k % tspc) as usize),
                t0: k as i64 * len,
            }
        }
    }

    /// The end of training: the weights are final; the layer gets fresh state and dendrites
    /// from the trained weights for the test.
    fn training_done(&mut self) {
        let p = &self.p;
        let n = self.letters.len();
        self.final_w = self.layer.w.clone();
        let r_test: fn(f64, &Params) -> f64 = match p.test_resistance {
            TestResistance::Head => resistance_head_test,
            TestResistance::Formula => resistance,
        };
        let layer = &mut self.layer;
        layer.reset_state();
        set_dendrites(
            &mut layer.decay_d,
            &mut layer.gain_d,
            &self.final_w,
            p,
            r_test,
        );
        let f = &mut self.pending;
        f.push(
            "weights_final",
            vec![n, N_PIXELS],
            ArrayData::F64(self.final_w.clone()),
        );
        // NOTE: the file is i32 (−1: no spike); `ArrayData` has no i32 yet, so the winners go
        // out as exact f64 values until it has.
        let epochs = p.train_epochs as usize;
        let winners = std::mem::take(&mut self.winners);
        f.push(
            "train_winners",
            vec![epochs, winners.len() / epochs.max(1)],
            ArrayData::I32(winners),
        );
    }

    /// What [`run`](super::run) returns: the figures and data of a complete run whose data
    /// files have not been drained (an error otherwise).
    pub fn outcome(mut self) -> Result<Outcome> {
        self.pending.check_outcome(self.remaining().unwrap_or(0))?;
        let summary = self.summary.take().expect("complete runs have figures");
        let mut take = |name: &str| self.pending.take(name);
        Ok(Outcome {
            summary,
            n_neurons: self.letters.len(),
            initial_weights: f64s(take("weights_initial")),
            final_weights: f64s(take("weights_final")),
            train_winners: i32s(take("train_winners")),
            test_counts: u32s(take("response")),
            wall_seconds: self.wall_s,
        })
    }
}

impl Segments for Run {
    fn cursor(&mut self) -> &mut Cursor {
        &mut self.cursor
    }

    fn segments(&self) -> u64 {
        self.intervals()
    }

    fn segment_len(&self, _: u64) -> u64 {
        u64::from(self.p.interval_ms)
    }

    fn begin(&mut self, seg: u64) {
        self.first = None;
        if self.interval(seg).test.is_some() {
            self.counts.fill(0);
        }
    }

    fn steps(&mut self, seg: u64, offset: u64, steps: u64) {
        let t = Instant::now();
        let at = self.interval(seg);
        let first_step = seg * u64::from(self.p.interval_ms);
        let (counts, first, hash) = (&mut self.counts, &mut self.first, &mut self.hash);
        let input = &self.inputs[at.c];
        let range = offset..offset + steps;
        self.layer.run(at.t0, range, input, &self.p, |s, j| {
            counts[j] += 1;
            first.get_or_insert(j);
            hash.write_u64(first_step + s);
            hash.write_u64(j as u64);
        });
        let wall = t.elapsed().as_secs_f64();
        self.wall_s += wall;
        if let Some(prof) = &mut self.profile {
            prof[0] += wall;
        }
    }

    fn end(&mut self, seg: u64) {
        let t = Instant::now();
        let at = self.interval(seg);
        let last = at.t0 + i64::from(self.p.interval_ms) - 1;
        self.layer.end_interval(last, at.test.is_none(), &self.p);
        let stdp = t.elapsed().as_secs_f64();
        if let Some(prof) = &mut self.profile {
            prof[1] += stdp;
        }
        match at.test {
            None => {
                self.winners.push(self.first.map_or(-1, |j| j as i32));
                self.with_spike += u32::from(self.first.is_some());
                if seg + 1 == self.train_intervals() {
                    self.training_done();
                }
            }
            Some(s) => {
                let n = self.letters.len();
                let tspc = self.p.test_spikes_per_char as usize;
                let c = at.c;
                let k = c * tspc + s;
                for (j, &count) in self.counts.iter().enumerate() {
                    self.test_counts[(j * n + c) * tspc + s] = count;
                    self.fired[k * n + j] = count > 0;
                }
            }
        }
        self.wall_s += t.elapsed().as_secs_f64();
    }

    fn complete(&mut self) {
        let t = Instant::now();
        let p = &self.p;
        let (letters, inputs, final_w) = (&self.letters, &self.inputs, &self.final_w);
        let test_counts = &self.test_counts;
        let n = letters.len();
        let tspc = p.test_spikes_per_char as usize;
        let sc = score(&self.fired, n, tspc);
        let presentations = |j: usize, c: usize| -> u32 {
            (0..tspc)
                .filter(|&s| test_counts[(j * n + c) * tspc + s] > 0)
                .count() as u32
        };
        let response: Vec<Vec<u32>> = (0..n)
            .map(|j| (0..n).map(|c| presentations(j, c)).collect())
            .collect();
        let majority: Vec<bool> = (0..n * n)
            .map(|k| 2 * response[k / n][k % n] as usize > tspc)
            .collect();
        let permutation = is_permutation(&majority, n, n);
        let permutation_presentations = (0..tspc)
            .filter(|&s| {
                let m: Vec<bool> = (0..n * n).map(|k| test_counts[k * tspc + s] > 0).collect();
                is_permutation(&m, n, n)
            })
            .count() as u32;
        let assignments: Vec<Assignment> = letters
            .iter()
            .enumerate()
            .map(|(c, &ch)| {
                let neuron = sc.assigned_window.iter().position(|&a| a == Some(c));
                let (act, inact) = match neuron {
                    Some(j) => {
                        let row = &final_w[j * N_PIXELS..(j + 1) * N_PIXELS];
                        let on = &inputs[c];
                        let a = on.iter().map(|&i| row[i]).sum::<f64>() / on.len() as f64;
                        let off: Vec<f64> = (0..N_PIXELS)
                            .filter(|i| !on.contains(i))
                            .map(|i| row[i])
                            .collect();
                        (Some(a), Some(off.iter().sum::<f64>() / off.len() as f64))
                    }
                    None => (None, None),
                };
                Assignment {
                    character: ch,
                    neuron,
                    mean_w_active: act,
                    mean_w_inactive: inact,
                }
            })
            .collect();
        let weights_ok = assignments.iter().all(|a| {
            matches!((a.mean_w_active, a.mean_w_inactive), (Some(x), Some(y)) if x >= 0.6 && y <= 0.1)
        });
        let thresholds = if n <= 4 { (0.875, 0.75) } else { (0.95, 0.5) };
        let metrics_ok = sc.total_correct >= thresholds.0 && sc.precision >= thresholds.1;
        let accepted = metrics_ok && (n > 4 || (permutation && weights_ok));
        self.summary = Some(Summary {
            characters: letters.iter().collect(),
            train_intervals: self.train_intervals() as u32,
            train_intervals_with_spike: self.with_spike,
            response,
            permutation,
            permutation_presentations,
            score: sc,
            reference_total_correct: 0.875,
            reference_precision: 0.75,
            assignments,
            weights_ok,
            thresholds,
            accepted,
        });
        let counts = std::mem::take(&mut self.test_counts);
        self.pending
            .push("response", vec![n, n, tspc], ArrayData::U32(counts));
        self.wall_s += t.elapsed().as_secs_f64();
    }
}

/// The protocol's phases, before the layer's step phases in `schedule`.
const PHASES: [PhaseInfo; 2] = [
    PhaseInfo {
        name: "train",
        describe: "train_epochs × (the characters in order, train_spikes_per_char intervals \
                   each): every active pixel spikes at an interval's first step, STDP at its end",
    },
    PhaseInfo {
        name: "test",
        describe: "fresh state, frozen weights, dendrites from the trained weights: each \
                   character test_spikes_per_char intervals; then the authors' scoring",
    },
];

/// The layer's phases, as profiling times them.
const STEP_PHASES: [PhaseInfo; 2] = [
    PhaseInfo {
        name: "step",
        describe: "every 1 ms step: the soma integrates the previous step's currents, the \
                   largest P fires if ≥ θ (winner-take-all), the currents decay and take this \
                   step's input spikes",
    },
    PhaseInfo {
        name: "stdp",
        describe: "at the end of each interval: STDP for the neurons that fired (training \
                   only), then the interval's flags clear",
    },
];

impl Engine for Run {
    fn kind(&self) -> Kind {
        Kind::Protocol("characters")
    }

    fn step_count(&self) -> u64 {
        self.cursor.done
    }

    fn dt_ms(&self) -> Option<f64> {
        Some(1.0)
    }

    fn advance(&mut self, steps: u64) {
        run::advance(self, steps);
    }

    fn drain(&mut self) -> Recording {
        self.pending.drain()
    }

    fn checkpoint(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        write_checkpoint(ProtocolRunRef::Characters(self), w)
    }

    fn summary(&self) -> Figures {
        if let Some(s) = &self.summary {
            let mut f = Figures::of(s);
            f.insert("simulation_seconds", self.wall_s);
            return f;
        }
        let c = self.cursor;
        let at = self.interval(c.seg.min(self.intervals().saturating_sub(1)));
        let phase = if at.test.is_some() { "test" } else { "train" };
        let mut s = run::progressing(
            "characters",
            phase,
            c.done,
            self.total_steps(),
            self.hash.finish(),
        );
        let per_epoch = self.letters.len() as u64 * u64::from(self.p.train_spikes_per_char);
        s.insert(
            "epoch",
            c.seg.min(self.train_intervals()) / per_epoch.max(1),
        )
        .insert("epochs", self.p.train_epochs)
        .insert("interval", c.seg)
        .insert("intervals", self.intervals());
        s
    }

    fn schedule(&self) -> Vec<PhaseInfo> {
        PHASES.into_iter().chain(STEP_PHASES).collect()
    }

    /// The layer is a few dozen neurons: it runs on one thread whatever is asked (results
    /// would not depend on it anyway).
    fn set_threads(&mut self, threads: usize) -> Result<()> {
        ensure!(
            (1..=1024).contains(&threads),
            "simulation.threads",
            "must be in [1, 1024], got {threads}"
        );
        Ok(())
    }

    fn threads(&self) -> usize {
        1
    }

    fn set_profile(&mut self, on: bool) {
        self.profile = on.then_some([0.0; 2]);
    }

    fn profile(&self) -> Option<Vec<(&'static str, f64)>> {
        self.profile.map(|s| {
            STEP_PHASES
                .iter()
                .zip(s)
                .map(|(p, s)| (p.name, s))
                .collect()
        })
    }

    fn spike_hash(&self) -> u64 {
        self.hash.finish()
    }

    fn remaining(&self) -> Option<u64> {
        Some(self.total_steps() - self.cursor.done)
    }
}

/// Run the protocol: a [`Run`] advanced one training epoch (characters ×
/// `train_spikes_per_char` intervals) at a time, `progress` called after each chunk.
pub fn run(p: &Params, seed: u64, progress: Progress<'_>) -> Result<Outcome> {
    let mut run = Run::new(p, seed)?;
    let n = p.characters.letters("protocol.characters")?.len() as u64;
    let epoch = n * u64::from(p.train_spikes_per_char) * u64::from(p.interval_ms);
    run_to_end(&mut run, epoch, progress)?;
    run.outcome()
}
