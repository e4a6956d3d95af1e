//! A SORN run: network + input + recorder + the schedule of freeze/unfreeze events.
//! This is the unit that checkpoints save and resume.

use serde::{Deserialize, Serialize};

use crate::monitor::{RecordSpec, Recorder, StateFeatures};
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
    /// Recordings so far.
    pub recorder: Recorder,
    events: Vec<RuleEvent>,
    next_event: usize,
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

    /// One step: due events, the network step, the monitors.
    pub fn step(&mut self) {
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
        self.sorn.step(&mut self.input);
        self.recorder.record(&self.sorn, &self.input);
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
