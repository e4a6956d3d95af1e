//! The counting task end to end (input stream → readout recording → readout), a shortened
//! version of the Lazar 2009 reproduction: 16 000 plastic steps instead of 50 000 and
//! 2 000 + 2 000 readout steps instead of 5 000 + 5 000 (docs/reproductions.md has the full
//! protocol and its numbers).

use neuroplast_core::monitor::{ReadoutRecord, RecordSpec, StateFeatures};
use neuroplast_core::readout::{evaluate, Method, ReadoutSpec, Target};
use neuroplast_core::simulation::{RuleEvent, Simulation};
use neuroplast_core::sorn::input::{Input, SequenceSpec, SymbolSpec};
use neuroplast_core::sorn::{Preset, Rule, Sorn};

const PLASTIC: u64 = 16_000;
const TRAIN: u64 = 2_000;
const TEST: u64 = 2_000;

fn counting(n: usize, units: usize, gain: f64, ne: usize, seed: u64) -> Input {
    let spec = SymbolSpec {
        units_per_symbol: units,
        gain,
        overlap: false,
        sequence: SequenceSpec::Counting { n },
    };
    Input::symbols(&spec, ne, seed).unwrap()
}

fn readout_spec(features: StateFeatures) -> ReadoutSpec {
    ReadoutSpec {
        train_steps: TRAIN,
        test_steps: TEST,
        features,
        target: Target::Position,
        predict_ahead: 1,
        exclude: vec![],
        method: Method::default(),
    }
}

/// Test accuracy of a lazar2009 network (N_E = 200) with `rules` plastic until `PLASTIC`.
fn counting_accuracy(rules: &[Rule], n: usize, seed: u64) -> f64 {
    let mut params = Preset::Lazar2009.params(200);
    params.plasticity = rules.to_vec();
    let record = RecordSpec {
        readout: Some(ReadoutRecord {
            after_step: PLASTIC,
            features: StateFeatures::X,
        }),
        ..Default::default()
    };
    let freeze = RuleEvent {
        step: PLASTIC,
        freeze: vec![Rule::Stdp, Rule::Ip],
        unfreeze: vec![],
    };
    let mut sim = Simulation::new(
        Sorn::new(params, seed).unwrap(),
        counting(n, 10, 1.0, 200, seed),
        record,
        vec![freeze],
    )
    .unwrap();
    sim.run(PLASTIC + TRAIN + TEST, 1_000, |_| true);
    let trace = &sim.recorder.readout;
    assert_eq!(trace.len() as u64, TRAIN + TEST);
    assert_eq!(trace.first_step, PLASTIC + 1);
    let report = evaluate(trace, sim.input.alphabet(), &readout_spec(StateFeatures::X)).unwrap();
    assert_eq!(report.classes, n + 2, "positions 0..=n+1 all occur");
    assert_eq!(report.scored_samples as u64, TEST - 1);
    report.accuracy
}

/// SORN counts n = 8 (accuracy ≥ 0.99 on every seed) and beats the static and the IP-only
/// reservoir of the same size on each seed.
#[test]
fn sorn_counts_better_than_static_and_ip_only_reservoirs() {
    for seed in 1..=3 {
        let sorn = counting_accuracy(&[Rule::Stdp, Rule::Ip, Rule::Sn], 8, seed);
        let ip_only = counting_accuracy(&[Rule::Ip, Rule::Sn], 8, seed);
        let fixed = counting_accuracy(&[Rule::Sn], 8, seed);
        assert!(sorn >= 0.99, "seed {seed}: SORN {sorn}");
        assert!(
            sorn > ip_only && sorn > fixed,
            "seed {seed}: SORN {sorn}, IP only {ip_only}, static {fixed}"
        );
    }
}

/// The recorded labels follow the words: A Bⁿ C / D Eⁿ F with positions 0, 1…n, n + 1; the
/// recorded x(t) is the network's state; the internal drive differs from x(t) only on the
/// units of the presented symbol's pool.
#[test]
fn readout_trace_is_aligned_with_the_input() {
    let n = 3;
    let mut params = Preset::Lazar2009.params(60);
    params.plasticity = vec![Rule::Sn];
    let record = RecordSpec {
        readout: Some(ReadoutRecord {
            after_step: 5,
            features: StateFeatures::Both,
        }),
        ..Default::default()
    };
    // A large gain switches every pool unit on whatever its recurrent drive.
    let input = counting(n, 4, 100.0, 60, 2);
    let pools = match &input {
        Input::Symbols { pools, .. } => pools.clone(),
        _ => unreachable!(),
    };
    let mut sim = Simulation::new(Sorn::new(params, 2).unwrap(), input, record, vec![]).unwrap();
    let alphabet = sim.input.alphabet().to_vec();
    assert_eq!(alphabet, vec!['A', 'B', 'C', 'D', 'E', 'F']);
    let mut inside_pool_differs = 0;
    for step in 1..=200u64 {
        sim.step();
        if step <= 5 {
            assert!(sim.recorder.readout.is_empty());
            continue;
        }
        let tr = &sim.recorder.readout;
        let k = tr.len() - 1;
        let (sym, pos) = (tr.symbols[k] as usize, tr.positions[k] as usize);
        let expected = match alphabet[sym] {
            'A' | 'D' => 0,
            'C' | 'F' => n + 1,
            _ => pos,
        };
        assert_eq!(pos, expected, "step {step}");
        assert!((1..=n).contains(&pos) == matches!(alphabet[sym], 'B' | 'E'));
        let state = tr.state(k);
        let (x, internal) = state.split_at(60);
        for (i, (&xi, &ii)) in x.iter().zip(internal).enumerate() {
            assert_eq!(xi, u8::from(sim.sorn.x()[i] != 0.0));
            if pools[sym].contains(&(i as u32)) {
                assert_eq!(xi, 1, "pool unit {i} is driven on");
                inside_pool_differs += usize::from(ii == 0);
            } else {
                assert_eq!(xi, ii, "unit {i} outside the pool: x = internal drive");
            }
        }
    }
    assert!(inside_pool_differs > 0, "the input did change some units");
    // A then Bⁿ C, or D Eⁿ F: positions step by one and wrap after n + 1.
    let tr = &sim.recorder.readout;
    for k in 1..tr.len() {
        let (p0, p1) = (tr.positions[k - 1] as usize, tr.positions[k] as usize);
        assert_eq!(p1, (p0 + 1) % (n + 2));
    }
}
