//! The one seam between engines and front ends.
//!
//! A SORN simulation (`Simulation`), a spiking network (`Network`) and a protocol run (the
//! protocol experiments) all implement [`Engine`]. The command line (`run`, `resume`,
//! `validate`, `sweep`, `plot`) and Python's GIL-free run loop are written once against it:
//! build an engine, or restore one from checkpoint bytes of any kind (the `checkpoint`
//! module, above every engine), then
//!
//! ```text
//! loop { advance(chunk); write(drain()) }   then   write(finish()); summary(); checkpoint()
//! ```
//!
//! ```
//! use neuroplast_core::engine::Engine;
//! use neuroplast_core::spiking::benchmarks;
//!
//! let mut net = benchmarks::coba(400, 1).unwrap().build().unwrap();
//! let engine: &mut dyn Engine = &mut net;
//! engine.advance(100);
//! let rec = engine.drain();
//! assert_eq!(engine.step_count(), 100);
//! assert!(rec.spikes.is_empty()); // the benchmark records nothing
//! let mut bytes = Vec::new();
//! engine.checkpoint(&mut bytes).unwrap();
//! ```

use serde::Serialize;

use crate::recording::Recording;
use crate::Result;

/// What kind of run an engine is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A SORN simulation (`[sorn]` files): dimensionless steps.
    Sorn,
    /// A spiking network (`[populations]` files).
    Spiking,
    /// A protocol experiment (`[protocol] kind = …`): its phases set its length.
    Protocol(&'static str),
}

impl Kind {
    /// `"sorn"`, `"spiking"` or `"protocol"`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Sorn => "sorn",
            Kind::Spiking => "spiking",
            Kind::Protocol(_) => "protocol",
        }
    }
}

/// One phase of an engine's step, as `validate` prints it and profiling names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhaseInfo {
    /// Short name (summary.json's `profile` keys).
    pub name: &'static str,
    /// What the phase does.
    pub describe: &'static str,
}

/// Figures of a run so far, as a tree of named values (summary.json's engine part).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Summary(ciborium::Value);

impl Summary {
    /// An empty summary.
    pub fn new() -> Summary {
        Summary(ciborium::Value::Map(Vec::new()))
    }

    /// A summary from any serialisable value (a struct or a map).
    pub fn of(value: &impl Serialize) -> Summary {
        Summary(ciborium::Value::serialized(value).unwrap_or(ciborium::Value::Null))
    }

    /// Add (or replace) the entry `key`.
    pub fn insert(&mut self, key: &str, value: impl Serialize) -> &mut Summary {
        let value = ciborium::Value::serialized(&value).unwrap_or(ciborium::Value::Null);
        if let ciborium::Value::Map(entries) = &mut self.0 {
            match entries.iter_mut().find(|(k, _)| k.as_text() == Some(key)) {
                Some(entry) => entry.1 = value,
                None => entries.push((ciborium::Value::Text(key.to_string()), value)),
            }
        }
        self
    }

    fn entry(&self, key: &str) -> Option<&ciborium::Value> {
        let ciborium::Value::Map(entries) = &self.0 else {
            return None;
        };
        Some(&entries.iter().find(|(k, _)| k.as_text() == Some(key))?.1)
    }

    /// The entry `key` as a number, if it is one.
    pub fn number(&self, key: &str) -> Option<f64> {
        match self.entry(key)? {
            ciborium::Value::Float(f) => Some(*f),
            ciborium::Value::Integer(i) => Some(i128::from(*i) as f64),
            _ => None,
        }
    }

    /// The entry `key` as text, if it is text.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.entry(key)?.as_text()
    }

    /// The entry `key` (a nested table or any value) as a summary of its own.
    pub fn get(&self, key: &str) -> Option<Summary> {
        self.entry(key).cloned().map(Summary)
    }

    /// Element `k` of this value as a number, if it is a list of numbers.
    pub fn index(&self, k: usize) -> Option<f64> {
        match self.0.as_array()?.get(k)? {
            ciborium::Value::Float(f) => Some(*f),
            ciborium::Value::Integer(i) => Some(i128::from(*i) as f64),
            _ => None,
        }
    }

    /// Add every entry of `other` (replacing entries of the same name).
    pub fn extend(&mut self, other: Summary) -> &mut Summary {
        if let ciborium::Value::Map(entries) = other.0 {
            for (k, v) in entries {
                if let Some(key) = k.as_text() {
                    let key = key.to_string();
                    self.insert(&key, v);
                }
            }
        }
        self
    }
}

impl Default for Summary {
    fn default() -> Self {
        Summary::new()
    }
}

/// A run that front ends drive in chunks of steps. See the module docs.
pub trait Engine: Send {
    /// What kind of run this is.
    fn kind(&self) -> Kind;

    /// Steps done so far (the clock; a checkpoint keeps it).
    fn step_count(&self) -> u64;

    /// The length of a step in ms (`None`: SORN's dimensionless steps).
    fn dt_ms(&self) -> Option<f64>;

    /// Advance `steps` steps. Cannot fail: everything was checked when the engine was built.
    fn advance(&mut self, steps: u64);

    /// Move out what the monitors recorded since the last drain.
    fn drain(&mut self) -> Recording;

    /// What a run writes once at its end, after the last drain (e.g. SORN's final weights).
    /// Default: nothing.
    fn finish(&mut self) -> Recording {
        Recording::default()
    }

    /// Write the complete state (everything needed to continue bit-exactly; undrained
    /// recordings included) in the checkpoint format (`codec.rs`).
    fn checkpoint(&self, w: &mut dyn std::io::Write) -> std::io::Result<()>;

    /// Figures of the run so far.
    fn summary(&self) -> Summary;

    /// The phases of one step, in the order the step runs them.
    fn schedule(&self) -> Vec<PhaseInfo>;

    /// Use `threads` threads (results are identical for any number).
    fn set_threads(&mut self, threads: usize) -> Result<()>;

    /// Threads in use.
    fn threads(&self) -> usize;

    /// Time each phase of the steps from now on (`true`), or stop (`false`).
    fn set_profile(&mut self, on: bool);

    /// Seconds spent per phase since profiling was turned on, in schedule order.
    fn profile(&self) -> Option<Vec<(&'static str, f64)>>;

    /// FNV-1a fingerprint of every spike so far.
    fn spike_hash(&self) -> u64;

    /// Steps still to run for the engine's own protocol to complete (`None`: the front end
    /// decides how long to run).
    fn remaining(&self) -> Option<u64> {
        None
    }
}
