//! Protocol experiments: published experiments whose stimulus schedule, training and test
//! phases and analyses are written in Rust, so that one file (`[protocol] kind = …`) and one
//! command reproduce them.
//!
//! | kind | module | what |
//! |---|---|---|
//! | `polychronization` | [`polychronization`] | Izhikevich 2006 spnet, up to hours of biological time |
//! | `sorf` | [`sorf`] | Carlson et al. 2013 self-organising receptive fields (ANNarchy notebook) |
//! | `characters` | [`characters`] | Gupta & Long 2007 character recognition (snn-rl) |
//! | `drn` | [`drn`] | Neurapse's dynamic random networks `DRN_Const` / `DRN_Plastic` |
//!
//! Every module has the same shape: a `Params` struct (serde, defaults = the published
//! set-up, `validate(path)` naming the key path of a bad value), a `Run` (the complete state
//! of a run: network, random streams, position in the protocol, accumulators) that implements
//! [`Engine`], and a `run(&Params, seed, progress)` that drives a `Run` to its end and returns
//! an `Outcome` (the acceptance figures as a serialisable `summary` plus the arrays the command
//! line draws). No I/O.
//!
//! As engines, protocol runs decide their own length ([`Engine::remaining`]); a front end
//! advances them in chunks of any size (the results do not depend on it), writes what
//! [`Engine::drain`] hands out (the `data/<name>` files, each once it is final), checkpoints
//! them ([`ProtocolRun`], magic `NPLASTPR`) and resumes them ([`restore`]). Their
//! [`Engine::summary`] is the protocol's acceptance figures once the run is complete, and
//! progress figures (`complete: false`, `phase`, `steps`, `total_steps`, position) before.

use serde::{Deserialize, Serialize};

use crate::codec::{read_as, MAGIC_PROTOCOL};
use crate::engine::Engine;
use crate::Result;

pub mod characters;
pub mod drn;
pub mod polychronization;
mod run;
pub mod sorf;

pub use run::Progress;

/// A protocol and its parameters, as written in experiment files (`[protocol] kind = …`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
// One value per run, parsed once: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum ProtocolSpec {
    /// Izhikevich 2006 polychronization (spnet).
    Polychronization(polychronization::Params),
    /// Carlson et al. 2013 SORF orientation learning.
    Sorf(sorf::Params),
    /// Gupta & Long 2007 character recognition.
    Characters(characters::Params),
    /// Neurapse `DRN_Const` / `DRN_Plastic`.
    Drn(drn::Params),
}

impl ProtocolSpec {
    /// The `kind` string.
    pub fn kind(&self) -> &'static str {
        match self {
            ProtocolSpec::Polychronization(_) => "polychronization",
            ProtocolSpec::Sorf(_) => "sorf",
            ProtocolSpec::Characters(_) => "characters",
            ProtocolSpec::Drn(_) => "drn",
        }
    }

    /// Check the parameters; `path` is the key path of the table (`protocol`).
    pub fn validate(&self, path: &str) -> Result<()> {
        match self {
            ProtocolSpec::Polychronization(p) => p.validate(path),
            ProtocolSpec::Sorf(p) => p.validate(path),
            ProtocolSpec::Characters(p) => p.validate(path),
            ProtocolSpec::Drn(p) => p.validate(path),
        }
    }

    /// Check the parameters (key paths under `protocol`) and build the run, ready to advance.
    pub fn build(&self, seed: u64) -> Result<Box<dyn Engine>> {
        self.validate("protocol")?;
        Ok(match self {
            ProtocolSpec::Polychronization(p) => Box::new(polychronization::Run::new(p, seed)?),
            ProtocolSpec::Sorf(p) => Box::new(sorf::Run::new(p, seed)?),
            ProtocolSpec::Characters(p) => Box::new(characters::Run::new(p, seed)?),
            ProtocolSpec::Drn(p) => Box::new(drn::Run::new(p, seed)?),
        })
    }
}

/// The state of a protocol run, as a protocol-run checkpoint (`NPLASTPR`) holds it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ProtocolRun {
    /// A `polychronization` run.
    Polychronization(polychronization::Run),
    /// A `sorf` run.
    Sorf(sorf::Run),
    /// A `characters` run.
    Characters(characters::Run),
    /// A `drn` run.
    Drn(drn::Run),
}

impl ProtocolRun {
    /// The run as an engine.
    pub fn into_engine(self) -> Box<dyn Engine> {
        match self {
            ProtocolRun::Polychronization(r) => Box::new(r),
            ProtocolRun::Sorf(r) => Box::new(r),
            ProtocolRun::Characters(r) => Box::new(r),
            ProtocolRun::Drn(r) => Box::new(r),
        }
    }
}

/// A protocol run from checkpoint bytes (`NPLASTPR`), to continue where it stopped. It runs on
/// one thread until [`Engine::set_threads`] is called.
pub fn restore(bytes: &[u8]) -> Result<Box<dyn Engine>> {
    let run: ProtocolRun = read_as(MAGIC_PROTOCOL, "protocol-run", bytes)?;
    Ok(run.into_engine())
}
