//! Spiking networks against reference numbers (`shared/reference/spiking.md`).

use neuroplast_core::spiking::connector::{Connector, Value};
use neuroplast_core::spiking::monitor::MonitorSpec;
use neuroplast_core::spiking::network::{
    DelayRounding, ModelSpec, Network, NetworkBuilder, ProjectionSpec, SynapseSpec,
};
use neuroplast_core::spiking::neuron::LifNeurapseParams;
use neuroplast_core::spiking::source::Waveform;

/// Neurapse `NNetwork_Const` (spiking.md §1.6): 3 LIF → 2 LIF all-to-all, constant synapse
/// w·I0 = 3 nA, τ = 15 ms, τs = τ/4, delays [[1, 8], [5, 5], [9, 1]] ms (pre × post), 50 nA
/// pulses on steps 0–10 / 40–50 / 80–90 into pre 0 / 1 / 2, dt 0.1 ms, 10 000 steps.
pub fn neurapse_feedforward(delay_rounding: DelayRounding) -> Network {
    let mut b = NetworkBuilder::new(0.1, 1);
    let lif = ModelSpec::LIF_neurapse(LifNeurapseParams::default());
    b.population("pre", 3, lif.clone()).unwrap();
    b.population("post", 2, lif).unwrap();
    let delays = [[1.0, 8.0], [5.0, 5.0], [9.0, 1.0]];
    b.projection(ProjectionSpec {
        name: "ff".into(),
        pre: "pre".into(),
        post: "post".into(),
        connector: Connector::AllToAll { allow_self: true },
        weight: 3.0.into(),
        delay: Value::Array {
            values: delays.iter().flatten().copied().collect(),
        },
        delay_rounding,
        synapse: SynapseSpec::DoubleExponential {
            tau: 15.0,
            tau_s: 3.75,
            truncate_ms: None,
            truncate_from: Default::default(),
        },
        plasticity: None,
    })
    .unwrap();
    for k in 0..3u32 {
        b.current_source(
            &format!("pulse{k}"),
            "pre",
            Some(vec![k]),
            Waveform::Dc {
                amplitude: 50.0,
                start: 4.0 * f64::from(k),
                stop: Some(4.0 * f64::from(k) + 1.1),
            },
        )
        .unwrap();
    }
    for pop in ["pre", "post"] {
        b.monitor(MonitorSpec::Spikes {
            population: pop.into(),
            neurons: None,
            start_step: 0,
            stop_step: None,
        });
    }
    b.monitor(MonitorSpec::State {
        population: "post".into(),
        variable: "v".into(),
        neurons: vec![0, 1],
        every: 1,
    });
    b.build().unwrap()
}

/// spiking.md §1.6 / data key `nnet_const`: pre spikes at Neurapse steps 6, 46, 86; post-1
/// spikes once, at step 225; post-0 never (V_max 14.03 mV).
#[test]
fn neurapse_feedforward_network() {
    for rounding in [DelayRounding::Neurapse, DelayRounding::Exact] {
        let mut net = neurapse_feedforward(rounding);
        net.run(10_000);
        let rec = net.drain();
        // our step s computes Neurapse's column s + 1 (its column 0 is the initial state)
        let cols = |k: usize| -> Vec<(u64, u32)> {
            rec.spikes[k]
                .steps
                .iter()
                .map(|s| s + 1)
                .zip(rec.spikes[k].ids.iter().copied())
                .collect()
        };
        assert_eq!(cols(0), vec![(6, 0), (46, 1), (86, 2)], "{rounding:?}");
        assert_eq!(cols(1), vec![(225, 1)], "{rounding:?}");
        let v0_max = rec.states[0]
            .values
            .iter()
            .step_by(2)
            .fold(f64::MIN, |a, &b| a.max(b));
        assert!((v0_max - 14.0343).abs() < 0.01, "post-0 V_max {v0_max}");
    }
}

/// Checkpoint + resume equals an uninterrupted run, bit for bit: COBA (Poisson-free, two
/// populations, 4 shards) and Izhikevich 2006 (random input, plasticity with its periodic
/// update falling after the checkpoint), also when the resumed copy runs on two threads.
#[test]
fn checkpoint_resume_equals_uninterrupted() {
    use neuroplast_core::checkpoint::{network_from_bytes, write_network};
    use neuroplast_core::spiking::benchmarks::Benchmark;
    for (which, n, first, second) in [
        (Benchmark::Coba, 4000, 700, 800),
        (Benchmark::Izh06, 1000, 1500, 1000),
    ] {
        let mut whole = which.builder(n, 3).unwrap().build().unwrap();
        whole.run(first + second);
        let mut part = which.builder(n, 3).unwrap().build().unwrap();
        part.run(first);
        let mut bytes = Vec::new();
        write_network(&part, &mut bytes).unwrap();
        let mut resumed = network_from_bytes(&bytes).unwrap();
        resumed.set_threads(2).unwrap();
        resumed.run(second);
        assert_eq!(resumed.spike_hash(), whole.spike_hash(), "{}", which.name());
        assert_eq!(resumed.step_count(), first + second);
        assert_eq!(
            resumed.projections()[0].synapses.weights(),
            whole.projections()[0].synapses.weights()
        );
        // a SORN reader refuses it with a clear message
        let err = neuroplast_core::checkpoint::from_bytes(&bytes)
            .unwrap_err()
            .to_string();
        assert!(err.contains("spiking-network checkpoint"), "{err}");
    }
}

/// A schedule freezes the Song 2000 projection from 1 s to 2 s (steps 10 000–20 000): the
/// weights do not
/// move while it is frozen and move again afterwards; a frozen run and a run frozen through
/// `Network::set_plastic` at the same step are identical.
#[test]
fn scheduled_freeze_stops_and_resumes_plasticity() {
    use neuroplast_core::spiking::benchmarks::stdp00;
    use neuroplast_core::spiking::network::Action;
    let weights = |net: &Network| net.projections()[0].synapses.weights().into_owned();
    let mut b = stdp00(1000, 3).unwrap();
    let freeze = |plastic| Action::SetPlastic {
        projection: "input".into(),
        plastic,
    };
    b.action(10_000, freeze(false), "schedule[0]");
    b.action(20_000, freeze(true), "schedule[1]");
    let mut net = b.build().unwrap();
    let initial = weights(&net);
    net.run(10_000);
    let w0 = weights(&net);
    assert!(w0 != initial, "plastic in the first second");
    net.run(10_000);
    assert!(weights(&net) == w0, "frozen from step 10 000");
    net.run(10_000);
    assert!(weights(&net) != w0, "plastic again from step 20 000");
    let mut by_hand = stdp00(1000, 3).unwrap().build().unwrap();
    by_hand.run(10_000);
    by_hand.set_plastic("input", false).unwrap();
    by_hand.run(10_000);
    by_hand.set_plastic("input", true).unwrap();
    by_hand.run(10_000);
    assert!(weights(&by_hand) == weights(&net));
    assert_eq!(by_hand.spike_hash(), net.spike_hash());
    // bad schedules name their key path
    let mut b = stdp00(10, 3).unwrap();
    b.action(
        1,
        Action::SetPlastic {
            projection: "nope".into(),
            plastic: false,
        },
        "schedule[3].freeze[0]",
    );
    let e = b.build().unwrap_err().to_string();
    assert!(
        e.contains("schedule[3].freeze[0]") && e.contains("nope"),
        "{e}"
    );
    let mut b = stdp00(10, 3).unwrap();
    b.action(
        1,
        Action::Reward {
            amount: 0.5,
            projection: None,
        },
        "schedule[0].reward",
    );
    let e = b.build().unwrap_err().to_string();
    assert!(
        e.contains("schedule[0].reward") && e.contains("reward_stdp"),
        "{e}"
    );
}
