//! Integration tests of the SORN engine: the acceptance checks of the foundation issue.
//! One binary (`tests/it/main.rs`) so the crate links once.

mod determinism;
mod golden;
mod invariants;
mod reference;

use neuroplast_core::monitor::RecordSpec;
use neuroplast_core::simulation::Simulation;
use neuroplast_core::sorn::{input::Input, Preset, Sorn, SornParams};

/// A simulation without input recording per-step activity.
pub fn sim(params: SornParams, seed: u64) -> Simulation {
    let record = RecordSpec {
        activity: true,
        ..Default::default()
    };
    Simulation::new(
        Sorn::new(params, seed).unwrap(),
        Input::None,
        record,
        vec![],
    )
    .unwrap()
}

/// `delpapa2017` at `ne` units.
pub fn delpapa(ne: usize) -> SornParams {
    Preset::Delpapa2017.params(ne)
}
