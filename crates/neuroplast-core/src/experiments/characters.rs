//! Placeholder: the `characters` protocol is being written.

use serde::{Deserialize, Serialize};

use super::Progress;
use crate::{Error, Result};

/// Parameters of the `characters` protocol.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {}

impl Params {
    /// Check the parameters; `path` is the key path of the table.
    pub fn validate(&self, _path: &str) -> Result<()> {
        Ok(())
    }
}

/// What a run produced.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {}

/// Run the protocol.
pub fn run(_p: &Params, _seed: u64, _progress: Progress<'_>) -> Result<Outcome> {
    Err(Error::config("protocol.kind", "not written yet"))
}
