//! A SORN run: network + input + recorder + the schedule of freeze/unfreeze events.
//! This is the unit that checkpoints save and resume.

use serde::{Deserialize, Serialize};

use crate::monitor::{RecordSpec, Recorder, SparseSnapshot, StateFeatures};
use crate::schedule::SornPhase;
use crate::sorn::{input::Input, Rule, Sorn};
use crate::{ensure, Error, Result};

/// At step `step` (before computing step `step` + 1), freeze and unfreeze rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleEvent {
    /// When: the event applies once the network has taken this many steps.
    pub step: u64,
    /// Rules to stop.
    pub freeze: Vec<Rule>,
    /// Rules to (re)start.
    pub unfreeze: Vec<Rule>,
}

/// Everything a run needs to continue: the checkpointed object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    /// The network.
    pub sorn: Sorn,
    /// The input source.
    pub input: Input,
    /// Recordings not drained yet.
    pub recorder: Recorder,
    events: Vec<RuleEvent>,
    next_event: usize,
    /// Phase times while profiling (not part of the state).
    #[serde(skip)]
    profile: Option<Box<crate::schedule::SornProfile>>,
}

impl Simulation {
    /// Assemble a run. Events are sorted by step; events before the network's current step
    /// are an error.
    pub fn new(
        mut sorn: Sorn,
        input: Input,
        record: RecordSpec,
        mut events: Vec<RuleEvent>,
    ) -> Result<Self> {
        events.sort_by_key(|e| e.step);
        for (k, e) in events.iter().enumerate() {
            ensure!(
                e.step >= sorn.t(),
                format!("schedule[{k}].step"),
                "step {} is before the network's current step {}",
                e.step,
                sorn.t()
            );
            if let Some(r) = e.freeze.iter().find(|r| e.unfreeze.contains(r)) {
                return Err(Error::config(
                    format!("schedule[{k}]"),
                    format!(
                        "rule {:?} is both frozen and unfrozen at step {}",
                        r.name(),
                        e.step
                    ),
                ));
            }
        }
        if let Some(r) = &record.readout {
            ensure!(
                !input.alphabet().is_empty(),
                "readout",
                "a readout needs symbol input (input.kind = \"symbols\"): its labels are the \
                 presented symbols"
            );
            if r.features != StateFeatures::X {
                sorn.track_internal(true);
            }
        }
        let recorder = Recorder::new(record, &sorn);
        Ok(Simulation {
            sorn,
            input,
            recorder,
            events,
            next_event: 0,
            profile: None,
        })
    }

    /// Check that `steps` more steps can run (e.g. an input matrix has enough columns).
    pub fn check_steps(&self, steps: u64) -> Result<()> {
        if let Some(left) = self.input.remaining() {
            ensure!(
                steps <= left,
                "input.file",
                "the input matrix has {left} columns left but {steps} steps were asked; \
                 give more columns or set input.repeat = true"
            );
        }
        Ok(())
    }

    /// One step: the phases of [`SORN_PHASES`](crate::schedule::SORN_PHASES) in order (due
    /// events, the network's phases, the monitors).
    pub fn step(&mut self) {
        match self.profile.take() {
            None => {
                for phase in crate::schedule::SORN_PHASES {
                    self.run_phase(phase);
                }
            }
            Some(mut p) => {
                for (k, phase) in crate::schedule::SORN_PHASES.into_iter().enumerate() {
                    p.time(k, || self.run_phase(phase));
                }
                self.profile = Some(p);
            }
        }
    }

    #[inline]
    fn run_phase(&mut self, phase: SornPhase) {
        match phase {
            SornPhase::Events => self.apply_events(),
            SornPhase::Monitors => self.recorder.record(&self.sorn, &self.input),
            network => self.sorn.run_phase(network, &mut self.input),
        }
    }

    /// Freeze/unfreeze events due at the current step.
    fn apply_events(&mut self) {
        while let Some(e) = self.events.get(self.next_event) {
            if e.step > self.sorn.t() {
                break;
            }
            for &r in &e.freeze {
                self.sorn.freeze(r);
            }
            for &r in &e.unfreeze {
                self.sorn.unfreeze(r);
            }
            self.next_event += 1;
        }
    }

    /// Mean fraction of active E and I units per step so far.
    pub fn mean_rates(&self) -> (f64, f64) {
        let t = self.sorn.t().max(1) as f64;
        let p = self.sorn.params();
        let [e, i] = self.sorn.active_total();
        (e as f64 / t / p.ne as f64, i as f64 / t / p.ni as f64)
    }

    /// Run `steps` steps in chunks of `chunk` (recordings reserved for all of them first), calling `on_chunk(steps_done_so_far)` after
    /// each chunk; stop early when it returns false. Returns the steps done.
    pub fn run(&mut self, steps: u64, chunk: u64, mut on_chunk: impl FnMut(u64) -> bool) -> u64 {
        let chunk = chunk.max(1);
        self.recorder.reserve(steps);
        let mut done = 0;
        while done < steps {
            let n = chunk.min(steps - done);
            for _ in 0..n {
                self.step();
            }
            done += n;
            if !on_chunk(done) {
                break;
            }
        }
        done
    }

    /// The freeze/unfreeze events.
    pub fn events(&self) -> &[RuleEvent] {
        &self.events
    }
}

impl crate::engine::Engine for Simulation {
    fn kind(&self) -> crate::engine::Kind {
        crate::engine::Kind::Sorn
    }

    fn step_count(&self) -> u64 {
        self.sorn.t()
    }

    fn dt_ms(&self) -> Option<f64> {
        None
    }

    fn advance(&mut self, steps: u64) {
        for _ in 0..steps {
            self.step();
        }
    }

    fn drain(&mut self) -> crate::recording::Recording {
        self.recorder.drain(self.sorn.params().ne)
    }

    fn finish(&mut self) -> crate::recording::Recording {
        use crate::recording::{Array, ArrayChunk, ArrayData};
        let net = &self.sorn;
        let mut arrays = SparseSnapshot::of(net.w_ee()).arrays("ee");
        arrays.extend(SparseSnapshot::of(net.w_ei()).arrays("ei"));
        arrays.extend(SparseSnapshot::of(net.w_ie()).arrays("ie"));
        arrays.push(Array::vector("te", ArrayData::F64(net.te().to_vec())));
        arrays.push(Array::vector("ti", ArrayData::F64(net.ti().to_vec())));
        let mut rec = crate::recording::Recording::default();
        rec.arrays.push(ArrayChunk {
            file: "weights/final".into(),
            arrays,
        });
        let tr = self.recorder.take_readout();
        if !tr.is_empty() {
            let n = tr.len();
            rec.arrays.push(ArrayChunk {
                file: "readout/trace".into(),
                arrays: vec![
                    Array {
                        name: "states".into(),
                        shape: vec![n, tr.width],
                        data: ArrayData::U8(tr.states),
                    },
                    Array::vector(
                        "symbols",
                        ArrayData::U32(tr.symbols.iter().map(|&s| u32::from(s)).collect()),
                    ),
                    Array::vector("positions", ArrayData::U32(tr.positions)),
                    Array::vector("first_step", ArrayData::U64(vec![tr.first_step])),
                    Array::vector(
                        "alphabet",
                        ArrayData::U32(self.input.alphabet().iter().map(|&c| c as u32).collect()),
                    ),
                ],
            });
        }
        rec
    }

    fn checkpoint(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        crate::codec::write_as(crate::codec::MAGIC, self, w)
    }

    fn summary(&self) -> crate::engine::Summary {
        let net = &self.sorn;
        let p = net.params();
        let (rate_e, rate_i) = self.mean_rates();
        let mut s = crate::engine::Summary::new();
        s.insert("ne", p.ne)
            .insert("ni", p.ni)
            .insert("steps", net.t())
            .insert("spike_hash", format!("{:016x}", net.spike_hash()))
            .insert("mean_rate_e", rate_e)
            .insert("mean_rate_i", rate_i)
            .insert("connection_fraction_ee", net.connection_fraction());
        #[derive(serde::Serialize)]
        struct Synapses {
            ee: usize,
            ei: usize,
            ie: usize,
        }
        s.insert(
            "synapses",
            Synapses {
                ee: net.w_ee().nnz(),
                ei: net.w_ei().nnz(),
                ie: net.w_ie().nnz(),
            },
        )
        .insert(
            "mean_threshold_e",
            net.te().iter().sum::<f64>() / p.ne as f64,
        )
        .insert(
            "active_rules",
            net.active_rules()
                .iter()
                .map(|r| r.name())
                .collect::<Vec<_>>(),
        )
        .insert("network_mb", net.heap_bytes() as f64 / 1048576.0);
        s
    }

    fn schedule(&self) -> Vec<crate::engine::PhaseInfo> {
        crate::schedule::SORN_PHASES
            .iter()
            .map(|p| crate::engine::PhaseInfo {
                name: p.name(),
                describe: p.describe(),
            })
            .collect()
    }

    fn set_threads(&mut self, threads: usize) -> Result<()> {
        self.sorn.set_threads(threads)
    }

    fn threads(&self) -> usize {
        self.sorn.threads()
    }

    fn set_profile(&mut self, on: bool) {
        self.profile = on.then(Box::default);
    }

    fn profile(&self) -> Option<Vec<(&'static str, f64)>> {
        self.profile.as_deref().map(|p| p.phases().collect())
    }

    fn spike_hash(&self) -> u64 {
        self.sorn.spike_hash()
    }
}
