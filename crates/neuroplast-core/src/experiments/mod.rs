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
//! set-up, `validate(path)` naming the key path of a bad value), a `run(&Params, seed,
//! progress)` that returns an `Outcome` (the acceptance figures as a serialisable `summary`
//! plus the arrays the command line draws), and no I/O.

use serde::{Deserialize, Serialize};

use crate::Result;

pub mod characters;
pub mod drn;
pub mod polychronization;
pub mod sorf;

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

    /// The protocol run as an engine (validated; seeded with `seed`).
    pub fn build(&self, seed: u64) -> Result<Box<dyn crate::engine::Engine>> {
        let _ = seed;
        Err(crate::Error::config(
            "protocol",
            "protocol runs are not engines in this build yet",
        ))
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
}

/// Progress of a protocol run: called with the fraction done (0…1) now and then; returning
/// `false` asks the run to stop early (Ctrl-C), which it does at the next safe point with an
/// error.
pub type Progress<'a> = &'a mut dyn FnMut(f64) -> bool;

/// A protocol run from checkpoint bytes (`NPLASTPR`).
pub fn restore(bytes: &[u8]) -> Result<Box<dyn crate::engine::Engine>> {
    let _ = bytes;
    Err(crate::Error::Checkpoint(
        "protocol runs cannot be restored by this build".into(),
    ))
}
