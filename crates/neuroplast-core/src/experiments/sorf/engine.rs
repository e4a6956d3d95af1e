//! A `sorf` run as an [`Engine`].
//!
//! A step is one 1 ms step of the network. The segments are, in order: per training epoch,
//! per grating of that epoch's shuffled order, its presentation (`stimulus_ms`) and the rest
//! after it (`rest_ms`); then, with `test`, per grating in order, a rest (`test_rest_ms`) and
//! the grating (`test_stimulus_ms`). The Poisson rates are set when a segment begins; an
//! epoch's order is drawn when its first presentation begins; at the end of the last epoch
//! the plasticity is frozen (and the epoch weights are final); at the end of the run come the
//! receptive-field and tuning figures.

use std::mem::take;
use std::time::Instant;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::{
    distinct_orientations, grating, osi, receptive_fields, run_counting, set_rates, weight_matrix,
    Outcome, Params, Summary, PIX, SIDE,
};
use crate::engine::{Engine, Kind, PhaseInfo, Summary as Figures};
use crate::experiments::run::{
    self, f64s, run_to_end, write_checkpoint, Cursor, Pending, Progress, ProtocolRunRef, Segments,
};
use crate::recording::{ArrayData, Recording};
use crate::rng::{component, Rng, Stream};
use crate::spiking::network::Network;
use crate::Result;

/// The complete state of a `sorf` run (see the module docs of [`sorf`](super)): the network,
/// the shuffling stream and the epoch's order, the position, spike counters, rates per
/// epoch, weights kept for the figures.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    p: Params,
    seed: u64,
    net: Network,
    cursor: Cursor,
    /// Draws each epoch's order of the gratings.
    rng: Rng,
    order: Vec<usize>,
    /// Buffer → Exc weights before training, until their figures are taken.
    w_on_initial: Vec<f64>,
    w_off_initial: Vec<f64>,
    /// (rf_match, its orientation, corr(w_on, w_off)) per Exc neuron before training.
    rf_initial: Vec<(f64, f64, f64)>,
    /// Spikes per Exc / Inh neuron in the current epoch or test segment.
    exc_count: Vec<f64>,
    inh_count: Vec<f64>,
    exc_rates: Vec<f64>,
    inh_rates: Vec<f64>,
    epoch_weights: Vec<f64>,
    w_on_final: Vec<f64>,
    w_off_final: Vec<f64>,
    /// Exc → Inh weights after training, `[inh][exc]`.
    w_ei: Vec<f64>,
    tuning: Vec<f64>,
    inh_tuning: Vec<f64>,
    /// Wall time of the current epoch, of each finished epoch and of the test, s.
    epoch_wall: f64,
    walls: Vec<f64>,
    test_wall: f64,
    /// The acceptance figures, once complete.
    summary: Option<Summary>,
    pending: Pending,
}

/// What a segment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment {
    /// Training presentation `j` (of the epoch's order) of `epoch`.
    Stimulus { epoch: usize, j: usize },
    /// The rest after it.
    Rest { epoch: usize, j: usize },
    /// Test: the rest before grating `k`.
    TestRest { k: usize },
    /// Test: grating `k`.
    TestStimulus { k: usize },
}

impl Run {
    /// Check `p` (key paths under `protocol`) and build the network for `seed`.
    pub fn new(p: &Params, seed: u64) -> Result<Run> {
        p.validate("protocol")?;
        let net = super::build(p, seed)?;
        let n = p.n_exc;
        Ok(Run {
            p: p.clone(),
            seed,
            w_on_initial: weight_matrix(&net, "on_exc"),
            w_off_initial: weight_matrix(&net, "off_exc"),
            net,
            cursor: Cursor::default(),
            rng: component(seed, Stream::Input, 0x50F),
            order: (0..p.orientations).collect(),
            rf_initial: Vec::new(),
            exc_count: vec![0.0; n],
            inh_count: vec![0.0; n],
            exc_rates: Vec::new(),
            inh_rates: Vec::new(),
            epoch_weights: Vec::new(),
            w_on_final: Vec::new(),
            w_off_final: Vec::new(),
            w_ei: Vec::new(),
            tuning: Vec::new(),
            inh_tuning: Vec::new(),
            epoch_wall: 0.0,
            walls: Vec::new(),
            test_wall: 0.0,
            summary: None,
            pending: Pending::default(),
        })
    }

    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The network (read-only).
    pub fn network(&self) -> &Network {
        &self.net
    }

    fn stimulus_steps(&self) -> (u64, u64, u64, u64) {
        let p = &self.p;
        (
            p.stimulus_ms as u64,
            p.rest_ms as u64,
            p.test_rest_ms as u64,
            p.test_stimulus_ms as u64,
        )
    }

    fn training_segments(&self) -> u64 {
        (self.p.epochs * self.p.orientations * 2) as u64
    }

    fn total_steps(&self) -> u64 {
        let k = self.p.orientations as u64;
        let (stim, pause, tpause, tstim) = self.stimulus_steps();
        let test = if self.p.test { k * (tpause + tstim) } else { 0 };
        self.p.epochs as u64 * k * (stim + pause) + test
    }

    fn segment(&self, seg: u64) -> Segment {
        let k = self.p.orientations;
        let train = self.training_segments();
        if seg < train {
            let s = seg as usize;
            let (epoch, j) = (s / (2 * k), (s % (2 * k)) / 2);
            if s % 2 == 0 {
                Segment::Stimulus { epoch, j }
            } else {
                Segment::Rest { epoch, j }
            }
        } else {
            let s = (seg - train) as usize;
            if s % 2 == 0 {
                Segment::TestRest { k: s / 2 }
            } else {
                Segment::TestStimulus { k: s / 2 }
            }
        }
    }

    /// The ON and OFF Poisson rates of grating `k` (θ = π·k/K).
    fn grating_rates(&self, k: usize) -> (Vec<f64>, Vec<f64>) {
        let p = &self.p;
        let theta = std::f64::consts::PI * k as f64 / p.orientations as f64;
        let z = grating(theta, 0.0, p.frequency);
        (
            z.iter().map(|&v| p.max_rate * v.max(0.0)).collect(),
            z.iter().map(|&v| p.max_rate * (-v).max(0.0)).collect(),
        )
    }

    fn show_grating(&mut self, k: usize) {
        let (on, off) = self.grating_rates(k);
        set_rates(&mut self.net, &on, &off);
    }

    fn show_rest(&mut self) {
        let rest = vec![self.p.rest_rate; PIX];
        set_rates(&mut self.net, &rest, &rest);
    }

    fn clear_counts(&mut self) {
        self.exc_count.fill(0.0);
        self.inh_count.fill(0.0);
    }

    /// The end of training: freeze the plasticity and keep the trained weights.
    fn training_done(&mut self) {
        for name in ["on_exc", "off_exc", "exc_inh"] {
            self.net
                .set_plastic(name, false)
                .expect("sorf's plastic projections");
        }
        self.w_on_final = weight_matrix(&self.net, "on_exc");
        self.w_off_final = weight_matrix(&self.net, "off_exc");
        self.w_ei = weight_matrix(&self.net, "exc_inh");
        if self.p.record_epoch_weights {
            let (p, n) = (&self.p, self.p.n_exc);
            let w = std::mem::take(&mut self.epoch_weights);
            self.pending.push(
                "weights_epochs",
                vec![p.epochs, 2, n, SIDE, SIDE],
                ArrayData::F64(w),
            );
        }
    }

    /// What [`run`](super::run) returns: the figures and data of a complete run whose data
    /// files have not been drained (an error otherwise).
    pub fn outcome(mut self) -> Result<Outcome> {
        self.pending.check_outcome(self.remaining().unwrap_or(0))?;
        let summary = self.summary.take().expect("complete runs have figures");
        let mut take = |name: &str| f64s(self.pending.take(name));
        Ok(Outcome {
            summary,
            w_on_initial: take("w_on_initial"),
            w_off_initial: take("w_off_initial"),
            w_on_final: take("w_on_final"),
            w_off_final: take("w_off_final"),
            exc_rates: take("exc_rates"),
            inh_rates: take("inh_rates"),
            tuning: take("tuning"),
            inh_tuning: take("inh_tuning"),
            epoch_weights: take("weights_epochs"),
        })
    }
}

impl Segments for Run {
    fn cursor(&mut self) -> &mut Cursor {
        &mut self.cursor
    }

    fn segments(&self) -> u64 {
        let test = if self.p.test {
            2 * self.p.orientations as u64
        } else {
            0
        };
        self.training_segments() + test
    }

    fn segment_len(&self, seg: u64) -> u64 {
        let (stim, pause, tpause, tstim) = self.stimulus_steps();
        match self.segment(seg) {
            Segment::Stimulus { .. } => stim,
            Segment::Rest { .. } => pause,
            Segment::TestRest { .. } => tpause,
            Segment::TestStimulus { .. } => tstim,
        }
    }

    fn begin(&mut self, seg: u64) {
        match self.segment(seg) {
            Segment::Stimulus { epoch, j } => {
                if j == 0 {
                    if epoch == 0 {
                        // the initial weights are final from the start: their figures now,
                        // the files out
                        let (on, off) = (
                            std::mem::take(&mut self.w_on_initial),
                            std::mem::take(&mut self.w_off_initial),
                        );
                        self.rf_initial = receptive_fields(&on, &off, self.p.n_exc, &self.p);
                        let shape = vec![self.p.n_exc, SIDE, SIDE];
                        self.pending
                            .push("w_on_initial", shape.clone(), ArrayData::F64(on));
                        self.pending
                            .push("w_off_initial", shape, ArrayData::F64(off));
                    }
                    self.order.shuffle(&mut self.rng);
                    self.clear_counts();
                    self.epoch_wall = 0.0;
                }
                self.show_grating(self.order[j]);
            }
            Segment::Rest { .. } | Segment::TestRest { .. } => self.show_rest(),
            Segment::TestStimulus { k } => {
                self.show_grating(k);
                self.clear_counts();
            }
        }
    }

    fn steps(&mut self, seg: u64, _: u64, steps: u64) {
        let t0 = Instant::now();
        run_counting(
            &mut self.net,
            steps,
            &mut self.exc_count,
            &mut self.inh_count,
        );
        let wall = t0.elapsed().as_secs_f64();
        match self.segment(seg) {
            Segment::Stimulus { .. } | Segment::Rest { .. } => self.epoch_wall += wall,
            _ => self.test_wall += wall,
        }
    }

    fn end(&mut self, seg: u64) {
        let p = &self.p;
        match self.segment(seg) {
            Segment::Rest { epoch, j } if j + 1 == p.orientations => {
                let (stim, pause, _, _) = self.stimulus_steps();
                let epoch_s = (p.orientations as u64 * (stim + pause)) as f64 / 1000.0;
                self.exc_rates
                    .extend(self.exc_count.iter().map(|c| c / epoch_s));
                self.inh_rates
                    .extend(self.inh_count.iter().map(|c| c / epoch_s));
                self.walls.push(self.epoch_wall);
                if p.record_epoch_weights {
                    self.epoch_weights
                        .extend(weight_matrix(&self.net, "on_exc"));
                    self.epoch_weights
                        .extend(weight_matrix(&self.net, "off_exc"));
                }
                if epoch + 1 == p.epochs {
                    self.training_done();
                }
            }
            Segment::TestRest { .. } => self.clear_counts(),
            Segment::TestStimulus { .. } => {
                let s = self.stimulus_steps().3 as f64 / 1000.0;
                self.tuning.extend(self.exc_count.iter().map(|c| c / s));
                self.inh_tuning.extend(self.inh_count.iter().map(|c| c / s));
            }
            _ => {}
        }
    }

    fn complete(&mut self) {
        let (p, n, k_or) = (&self.p, self.p.n_exc, self.p.orientations);
        let rf0 = &self.rf_initial;
        let rf1 = receptive_fields(&self.w_on_final, &self.w_off_final, n, p);
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let per_epoch = |r: &[f64]| -> Vec<f64> { r.chunks(n).map(mean).collect() };
        let exc_pe = per_epoch(&self.exc_rates);
        let inh_pe = per_epoch(&self.inh_rates);
        let later = |v: &[f64]| (v.len() > 1).then(|| mean(&v[1..]));
        // tuning curves (empty without the test phase)
        let curves: Vec<Vec<f64>> = if p.test {
            (0..n)
                .map(|e| (0..k_or).map(|k| self.tuning[k * n + e]).collect())
                .collect()
        } else {
            Vec::new()
        };
        let (osis, prefs): (Vec<f64>, Vec<f64>) = curves.iter().map(|c| osi(c)).unzip();
        let rf_deg: Vec<f64> = rf1.iter().map(|r| r.1).collect();
        let (exc_rates, inh_rates) = (&self.exc_rates, &self.inh_rates);
        let w_ei = &self.w_ei;
        self.summary = Some(Summary {
            epochs: p.epochs,
            exc_rate_epochs_2_on: later(&exc_pe),
            inh_rate_epochs_2_on: later(&inh_pe),
            exc_rate_per_epoch: exc_pe,
            inh_rate_per_epoch: inh_pe,
            exc_rate_last_epoch: exc_rates[exc_rates.len() - n..].to_vec(),
            inh_rate_last_epoch: inh_rates[inh_rates.len() - n..].to_vec(),
            rf_match_initial: rf0.iter().map(|r| r.0).collect(),
            rf_match_final: rf1.iter().map(|r| r.0).collect(),
            distinct_orientations: distinct_orientations(&rf_deg, 20.0),
            rf_orientation_deg: rf_deg,
            corr_on_off_initial: rf0.iter().map(|r| r.2).collect(),
            corr_on_off_final: rf1.iter().map(|r| r.2).collect(),
            w_exc_inh_final: (0..n)
                .map(|e| (0..n).map(|i| w_ei[i * n + e]).collect())
                .collect(),
            osi: osis,
            pref_deg: prefs,
            test_peak_rate: curves
                .iter()
                .map(|c| c.iter().cloned().fold(0.0, f64::max))
                .collect(),
            test_mean_rate: curves.iter().map(|c| mean(c)).collect(),
            wall_seconds_per_epoch: self.walls.clone(),
            wall_seconds_test: self.test_wall,
        });
        let (epochs, f) = (p.epochs, &mut self.pending);
        let rf = vec![n, SIDE, SIDE];
        f.push(
            "w_on_final",
            rf.clone(),
            ArrayData::F64(take(&mut self.w_on_final)),
        );
        f.push(
            "w_off_final",
            rf,
            ArrayData::F64(take(&mut self.w_off_final)),
        );
        f.push(
            "exc_rates",
            vec![epochs, n],
            ArrayData::F64(take(&mut self.exc_rates)),
        );
        f.push(
            "inh_rates",
            vec![epochs, n],
            ArrayData::F64(take(&mut self.inh_rates)),
        );
        if p.test {
            f.push(
                "tuning",
                vec![k_or, n],
                ArrayData::F64(take(&mut self.tuning)),
            );
            f.push(
                "inh_tuning",
                vec![k_or, n],
                ArrayData::F64(take(&mut self.inh_tuning)),
            );
        }
    }
}

/// The protocol's phases, before the network's step phases in `schedule`.
const PHASES: [PhaseInfo; 2] = [
    PhaseInfo {
        name: "train",
        describe: "epochs × (the gratings in a shuffled order, each stimulus_ms, then rest_ms \
                   at rest_rate), homeostatic STDP on; rates per epoch",
    },
    PhaseInfo {
        name: "test",
        describe: "(with test = true) plasticity frozen; each grating in order: test_rest_ms at \
                   rest_rate, then test_stimulus_ms of the grating counted into the tuning \
                   curves",
    },
];

impl Engine for Run {
    fn kind(&self) -> Kind {
        Kind::Protocol("sorf")
    }

    fn step_count(&self) -> u64 {
        self.cursor.done
    }

    fn dt_ms(&self) -> Option<f64> {
        Some(self.net.dt_ms())
    }

    fn advance(&mut self, steps: u64) {
        run::advance(self, steps);
    }

    fn drain(&mut self) -> Recording {
        self.pending.drain()
    }

    fn checkpoint(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        write_checkpoint(ProtocolRunRef::Sorf(self), w)
    }

    fn summary(&self) -> Figures {
        if let Some(s) = &self.summary {
            return Figures::of(s);
        }
        let c = self.cursor;
        let seg = self.segment(c.seg.min(self.segments().saturating_sub(1)));
        let (phase, epoch, presentation) = match seg {
            Segment::Stimulus { epoch, j } | Segment::Rest { epoch, j } => ("train", epoch, j),
            Segment::TestRest { k } | Segment::TestStimulus { k } => ("test", self.p.epochs, k),
        };
        let mut s = run::progressing(
            "sorf",
            phase,
            c.done,
            self.total_steps(),
            self.net.spike_hash(),
        );
        s.insert("epoch", epoch)
            .insert("epochs", self.p.epochs)
            .insert("presentation", presentation)
            .insert("orientations", self.p.orientations);
        s
    }

    fn schedule(&self) -> Vec<PhaseInfo> {
        PHASES.into_iter().chain(run::network_phases()).collect()
    }

    fn set_threads(&mut self, threads: usize) -> Result<()> {
        self.net.set_threads(threads)
    }

    fn threads(&self) -> usize {
        self.net.threads()
    }

    fn set_profile(&mut self, on: bool) {
        self.net.set_profile(on);
    }

    fn profile(&self) -> Option<Vec<(&'static str, f64)>> {
        self.net.profile().map(|p| p.phases().collect())
    }

    fn spike_hash(&self) -> u64 {
        self.net.spike_hash()
    }

    fn remaining(&self) -> Option<u64> {
        Some(self.total_steps() - self.cursor.done)
    }
}

/// Run the protocol: a [`Run`] advanced one training presentation (stimulus and rest) at a
/// time, `progress` called after each chunk.
pub fn run(p: &Params, seed: u64, progress: Progress<'_>) -> Result<Outcome> {
    let mut run = Run::new(p, seed)?;
    let chunk = (p.stimulus_ms + p.rest_ms) as u64;
    run_to_end(&mut run, chunk, progress)?;
    run.outcome()
}
