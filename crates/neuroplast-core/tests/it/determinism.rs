//! Determinism: one seed, one run; checkpoint + resume equals an uninterrupted run.

use neuroplast_core::checkpoint;
use neuroplast_core::monitor::{ReadoutRecord, RecordSpec, SpikeWindow, StateFeatures};
use neuroplast_core::simulation::Simulation;

use neuroplast_core::sorn::input::Input;
use neuroplast_core::sorn::{Preset, Sorn};
use neuroplast_core::Error;

use crate::{delpapa, sim};

#[test]
fn same_seed_same_hash_other_seed_other_hash() {
    let run = |seed| {
        let mut s = sim(delpapa(200), seed);
        s.run(2_000, 500, |_| true);
        s.sorn.spike_hash()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

fn symbol_sim(seed: u64) -> Simulation {
    let p = Preset::Lazar2009.params(100);
    let input = crate::words_input(100, seed);
    let record = RecordSpec {
        activity: true,
        spikes: SpikeWindow::All,
        connection_fraction_every: Some(50),
        thresholds_every: Some(100),
        weights_every: Some(200),
        readout: Some(ReadoutRecord {
            after_step: 30,
            features: StateFeatures::Both,
        }),
    };
    Simulation::new(Sorn::new(p, seed).unwrap(), input, record, vec![]).unwrap()
}

/// k steps + checkpoint + resume k steps = 2k uninterrupted steps, for the whole state
/// (network, RNG streams, input position and recordings), with every rule and noise on.
#[test]
fn checkpoint_resume_is_bit_exact() {
    for mk in [
        (|| sim(delpapa(120), 9)) as fn() -> Simulation,
        || symbol_sim(4),
        || sim(Preset::SornPackage.params(80), 3),
    ] {
        let mut straight = mk();
        straight.run(2_000, 2_000, |_| true);

        let mut first = mk();
        first.run(1_000, 1_000, |_| true);
        let bytes = checkpoint::to_bytes(&first);
        drop(first);
        let mut resumed = checkpoint::from_bytes(&bytes).unwrap();
        resumed.run(1_000, 1_000, |_| true);

        assert_eq!(resumed.sorn.spike_hash(), straight.sorn.spike_hash());
        assert_eq!(resumed, straight, "every field of the state is identical");
    }
}

#[test]
fn incompatible_checkpoints_are_refused_clearly() {
    let s = sim(delpapa(20), 1);
    let mut bytes = checkpoint::to_bytes(&s);
    bytes[8] = 99; // format version 99
    let e = checkpoint::from_bytes(&bytes).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::Checkpoint(_)));
    assert!(
        msg.contains("format version 99") && msg.contains("0.1.0"),
        "{msg}"
    );
    let e = checkpoint::from_bytes(b"hello world, not a checkpoint").unwrap_err();
    assert!(e.to_string().contains("not a neuroplast checkpoint"));
    let good = checkpoint::to_bytes(&s);
    let e = checkpoint::from_bytes(&good[..good.len() / 2]).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
}

/// Damage anywhere is an error, never a panic and never a network with a wrong value in it:
/// every single-byte flip of a small checkpoint (header, version string, payload, checksum)
/// is refused.
#[test]
fn every_flipped_byte_is_refused() {
    let s = sim(delpapa(10), 1);
    let good = checkpoint::to_bytes(&s);
    assert_eq!(checkpoint::from_bytes(&good).unwrap(), s);
    for i in 0..good.len() {
        let mut bytes = good.clone();
        bytes[i] ^= 0xff;
        let r = std::panic::catch_unwind(|| checkpoint::from_bytes(&bytes));
        match r {
            Ok(Err(Error::Checkpoint(_))) => {}
            Ok(Err(other)) => panic!("byte {i}: {other}"),
            Ok(Ok(_)) => panic!("byte {i} flipped and the checkpoint still loaded"),
            Err(_) => panic!("byte {i} flipped: panic"),
        }
    }
    // a spiking network's checkpoint too (its payload's first and last bytes)
    let net = neuroplast_core::spiking::benchmarks::izh03(20, 1)
        .unwrap()
        .build()
        .unwrap();
    let mut bytes = Vec::new();
    checkpoint::write_network(&net, &mut bytes).unwrap();
    for i in [20, bytes.len() / 2, bytes.len() - 9, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        assert!(checkpoint::network_from_bytes(&b).is_err(), "byte {i}");
    }
    assert!(checkpoint::network_from_bytes(&bytes).is_ok());
}

/// Serial = parallel, bit for bit: the whole state after 150 steps is identical with 1, 2 and
/// 3 threads. N_E = 2500 so that rows are actually split; Del Papa's N-scaled SP (≈ 16 new
/// synapses per step) moves rows and forces compactions, the `sorn` package's iSTDP floor
/// removes synapses inside the parallel pass.
#[test]
fn threads_do_not_change_results() {
    for preset in [Preset::Delpapa2017, Preset::SornPackage] {
        let run = |threads: usize| {
            let mut net = Sorn::new(preset.params(2500), 3).unwrap();
            net.set_threads(threads).unwrap();
            let mut input = Input::None;
            for _ in 0..150 {
                net.step(&mut input);
            }
            net
        };
        let serial = run(1);
        assert!(serial.x().iter().sum::<f64>() > 0.0);
        for threads in [2, 3] {
            let par = run(threads);
            assert_eq!(par.threads(), threads);
            assert_eq!(
                par.spike_hash(),
                serial.spike_hash(),
                "{preset:?}, {threads} threads"
            );
            assert_eq!(par, serial, "{preset:?}, {threads} threads: state differs");
        }
    }
}
