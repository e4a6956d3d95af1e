//! Reading an experiment file of any kind: [`load`] and [`from_str`] tell the kind from the
//! file's tables (`[protocol]`, `[populations]`, `[sorn]`) and resolve it into that kind's
//! [`Experiment`]. Above every kind; no kind uses it.

use std::path::Path;

use crate::experiment::Experiment;
use crate::protocol::ProtocolExperiment;
use crate::sorn::SornExperiment;
use crate::spiking::SpikingExperiment;
use crate::{is_protocol, is_spiking, parse_toml, ConfigError, Result};

/// Read an experiment file of any kind, applying `overrides` (`key.path=value`).
pub fn load(path: &Path, overrides: &[String]) -> Result<Box<dyn Experiment>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(&name, "", format!("cannot read file: {e}")))?;
    let base = path.parent().unwrap_or(Path::new("."));
    from_str(&text, &name, base, overrides)
}

/// Resolve TOML text of any kind; `name` is used in errors, `base_dir` resolves relative
/// paths (input matrices, `.npy` arrays).
pub fn from_str(
    text: &str,
    name: &str,
    base_dir: &Path,
    overrides: &[String],
) -> Result<Box<dyn Experiment>> {
    let table = parse_toml(text, name, overrides)?;
    if is_protocol(&table, name)? {
        Ok(Box::new(ProtocolExperiment::from_table(table, name)?))
    } else if is_spiking(&table, name)? {
        Ok(Box::new(SpikingExperiment::from_table(
            table, name, base_dir,
        )?))
    } else if !table.contains_key("sorn") {
        Err(ConfigError::new(
            name,
            "",
            "no network: an experiment file needs a [sorn] section (a SORN network), \
             [populations] (a spiking network) or [protocol] (a published protocol); \
             see examples/",
        ))
    } else {
        Ok(Box::new(SornExperiment::from_table(table, name, base_dir)?))
    }
}
