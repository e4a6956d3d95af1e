//! Golden runs: the spike hash of a fixed-seed run of every preset, with input.
//!
//! Any change to the model, the random streams or the step order changes these hashes. If
//! the change is intended, re-mint them: run
//! `cargo test -p neuroplast-core --test it golden -- --nocapture`, check that the change
//! explains the difference, and paste the printed values here. The hashes are for x86-64
//! Linux builds; another libm may round `ln`/`exp` (used in initialisation and Gaussian
//! noise tails) differently.

use neuroplast_core::monitor::RecordSpec;
use neuroplast_core::simulation::Simulation;
use neuroplast_core::sorn::input::Input;
use neuroplast_core::sorn::{Preset, Sorn};

fn hash(preset: Preset, ne: usize, steps: u64, with_input: bool) -> u64 {
    let p = preset.params(ne);
    let input = if with_input {
        crate::words_input(ne, 42)
    } else {
        Input::None
    };
    let net = Sorn::new(p, 42).unwrap();
    let mut sim = Simulation::new(net, input, RecordSpec::default(), vec![]).unwrap();
    sim.run(steps, steps, |_| true);
    sim.sorn.spike_hash()
}

#[test]
fn golden_spike_hashes() {
    let cases = [
        (
            "lazar2009, words input",
            hash(Preset::Lazar2009, 100, 3_000, true),
            GOLDEN[0],
        ),
        (
            "zheng2013",
            hash(Preset::Zheng2013, 100, 3_000, false),
            GOLDEN[1],
        ),
        (
            "delpapa2017",
            hash(Preset::Delpapa2017, 100, 3_000, false),
            GOLDEN[2],
        ),
        (
            "sorn-package",
            hash(Preset::SornPackage, 100, 3_000, false),
            GOLDEN[3],
        ),
    ];
    let mut ok = true;
    for (name, got, want) in cases {
        println!("{name}: 0x{got:016x}");
        ok &= got == want;
    }
    assert!(
        ok,
        "golden spike hashes changed (see the printed values and the module doc)"
    );
}

const GOLDEN: [u64; 4] = [
    0x9ee7_4ccf_0180_c1da,
    0x51ca_fa76_fdfd_60c9,
    0xfd0a_6041_1092_5441,
    0x7ee6_fd7d_ceb4_6810,
];
