//! Integration tests of the SORN engine: the acceptance checks of the foundation issue.
//! One binary (`tests/it/main.rs`) so the crate links once.

mod counting;
mod determinism;
mod distributed;
mod golden;
mod invariants;
mod lang;
mod per_neuron;
mod protocols;
mod reference;
mod retune;
mod spiking;
mod tsodyks_markram;

use neuroplast_core::monitor::RecordSpec;
use neuroplast_core::simulation::Simulation;
use neuroplast_core::sorn::input::{Input, SequenceSpec, SymbolSpec};
use neuroplast_core::sorn::{Preset, Sorn, SornParams};

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

/// Counting-task style input: words ABBBC / DEEEF, 5 units per symbol.
pub fn words_input(ne: usize, seed: u64) -> Input {
    let spec = SymbolSpec {
        units_per_symbol: 5,
        gain: 1.0,
        overlap: false,
        sequence: SequenceSpec::Words {
            words: vec!["ABBBC".into(), "DEEEF".into()],
        },
    };
    Input::symbols(&spec, ne, seed).unwrap()
}
