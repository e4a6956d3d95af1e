//! The figures of protocol experiment files (`[protocol] kind = …`): one module per protocol,
//! each drawing from the `data/*.npy` files its engine wrote (the protocol's acceptance
//! figures are in summary.json's `results`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use neuroplast_config::protocol::ProtocolExperiment;
use neuroplast_core::experiments::ProtocolSpec;

mod characters;
mod drn;
mod polychronization;
mod sorf;

/// Draw the figures of a protocol results directory from its data files.
pub fn plot_dir(dir: &Path, exp: &ProtocolExperiment) -> Result<Vec<PathBuf>> {
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots)
        .with_context(|| format!("cannot create {}", plots.display()))?;
    match &exp.file.protocol {
        ProtocolSpec::Polychronization(p) => polychronization::plot(dir, p),
        ProtocolSpec::Sorf(p) => sorf::plot(dir, p),
        ProtocolSpec::Characters(p) => characters::plot(dir, p),
        ProtocolSpec::Drn(p) => drn::plot(dir, p),
    }
}
