//! Files and figures of the `drn` protocol (placeholder while it is written).

use std::path::{Path, PathBuf};

use anyhow::Result;
use neuroplast_core::experiments::drn::{Outcome, Params};
use serde_json::{json, Value};

/// Write the data files of `o` into `dir/data` and return the `results` of summary.json.
pub fn write(_o: &Outcome, _p: &Params, _dir: &Path) -> Result<Value> {
    Ok(json!({}))
}

/// Draw the figures into `dir/plots` from the data files.
pub fn plot(_dir: &Path, _p: &Params) -> Result<Vec<PathBuf>> {
    Ok(Vec::new())
}
