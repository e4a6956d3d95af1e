//! One network over several ranks (ranks as threads through `LocalComm`; the command line's
//! MPI runs are checked by `scripts/mpi_check.sh`): for any number of ranks × threads the
//! spike hash, every recording, the summary's figures and the checkpoint's bytes equal the
//! one-process run's, and a checkpoint written on K ranks resumes on L ranks as the
//! uninterrupted run.

use std::sync::Arc;

use neuroplast_core::checkpoint::network_from_bytes;
use neuroplast_core::distributed::{Comm, LocalComm};
use neuroplast_core::engine::Engine;
use neuroplast_core::recording::Recording;
use neuroplast_core::spiking::benchmarks::Benchmark;
use neuroplast_core::spiking::connector::{Connector, Value};
use neuroplast_core::spiking::monitor::MonitorSpec;
use neuroplast_core::spiking::network::{
    DelayRounding, ModelSpec, Network, NetworkBuilder, ProjectionSpec, SynapseSpec, TruncateFrom,
};
use neuroplast_core::spiking::neuron::IfCondExpParams;
use neuroplast_core::spiking::source::{PoissonParams, Waveform};

/// Monitors on `pop` (of `n` neurons): every spike, `v` of neurons spread over all shards,
/// the rate and the activity.
fn monitored(mut b: NetworkBuilder, pop: &str, n: u32, var: &str) -> NetworkBuilder {
    b.monitor(MonitorSpec::Spikes {
        population: pop.into(),
        neurons: None,
        start_step: 0,
        stop_step: None,
    });
    b.monitor(MonitorSpec::State {
        population: pop.into(),
        variable: var.into(),
        neurons: vec![0, 1, n / 2, n - 2, n - 1],
        every: 3,
    });
    b.monitor(MonitorSpec::Rate {
        population: pop.into(),
        bin: 50,
    });
    b.monitor(MonitorSpec::Activity {
        population: pop.into(),
    });
    b
}

/// Poisson input → two conductance populations, with delays of 1–20 ms drawn per synapse
/// (random weights too), a truncated double-exponential projection, a noisy current and a
/// projection whose every synapse targets one rank's neurons: exchanges every 10 steps.
fn delays_network(seed: u64) -> NetworkBuilder {
    let mut b = NetworkBuilder::new(0.1, seed);
    let input = PoissonParams {
        rate: 40.0,
        ..Default::default()
    };
    b.population("input", 1500, ModelSpec::SpikeSourcePoisson(input))
        .unwrap();
    let cells = ModelSpec::IF_cond_exp(IfCondExpParams::default());
    b.population("a", 2600, cells.clone()).unwrap();
    b.population("b", 700, cells).unwrap();
    b.init(
        "a",
        "v",
        Value::Uniform {
            low: -70.0,
            high: -52.0,
        },
    )
    .unwrap();
    let proj = |name: &str, pre: &str, post: &str, p: f64, receptor: &str| ProjectionSpec {
        name: name.into(),
        pre: pre.into(),
        post: post.into(),
        connector: Connector::FixedProbability {
            p,
            allow_self: false,
        },
        weight: Value::Uniform {
            low: 0.002,
            high: 0.02,
        },
        delay: Value::Uniform {
            low: 1.0,
            high: 20.0,
        },
        delay_rounding: DelayRounding::Round,
        synapse: SynapseSpec::Receptor {
            names: vec![receptor.into()],
        },
        plasticity: None,
    };
    b.projection(proj("in_a", "input", "a", 0.02, "excitatory"))
        .unwrap();
    b.projection(proj("a_b", "a", "b", 0.05, "excitatory"))
        .unwrap();
    b.projection(proj("b_a", "b", "a", 0.05, "inhibitory"))
        .unwrap();
    b.projection(ProjectionSpec {
        synapse: SynapseSpec::DoubleExponential {
            tau: 8.0,
            tau_s: 2.0,
            truncate_ms: Some(15.0),
            truncate_from: TruncateFrom::Arrival,
        },
        weight: 0.05.into(),
        delay: 1.0.into(),
        delay_rounding: DelayRounding::Exact,
        ..proj("a_a", "a", "a", 0.01, "")
    })
    .unwrap();
    b.projection(ProjectionSpec {
        connector: Connector::FromList {
            pre: vec![0, 5, 9],
            post: vec![2599, 2598, 2599],
        },
        ..proj("few", "input", "a", 0.0, "excitatory")
    })
    .unwrap();
    b.current_source(
        "noise",
        "a",
        None,
        Waveform::Noise {
            mean: 0.05,
            stdev: 0.2,
            dt: None,
            start: 0.0,
            stop: None,
        },
    )
    .unwrap();
    monitored(b, "a", 2600, "v")
}

fn builder(which: &str, seed: u64) -> NetworkBuilder {
    match which {
        "coba" => monitored(
            Benchmark::Coba.builder(2500, seed).unwrap(),
            "exc",
            2000,
            "v",
        ),
        "izh06" => monitored(
            Benchmark::Izh06.builder(2200, seed).unwrap(),
            "neurons",
            2200,
            "u",
        ),
        "stdp00" => Benchmark::Stdp00.builder(1000, seed).unwrap(),
        "delays" => delays_network(seed),
        _ => unreachable!(),
    }
}

/// Everything a run shows: recordings of two chunks, the spike hash, the summary without
/// what depends on the ranks, and the checkpoint's bytes.
#[derive(Debug, PartialEq)]
struct Run {
    recordings: Vec<Recording>,
    hash: u64,
    summary: String,
    checkpoint: Option<Vec<u8>>,
}

fn observe(mut net: Network, steps: [u64; 2], threads: usize) -> Run {
    net.set_threads(threads).unwrap();
    let mut recordings = Vec::new();
    for s in steps {
        Engine::advance(&mut net, s);
        recordings.push(Engine::drain(&mut net));
    }
    let mut summary = serde_json::to_value(Engine::summary(&net)).unwrap();
    let s = summary.as_object_mut().unwrap();
    for key in ["network_mb", "ranks", "exchange"] {
        s.remove(key);
    }
    let mut bytes = Vec::new();
    Engine::checkpoint(&net, &mut bytes).unwrap();
    Run {
        recordings,
        hash: net.spike_hash(),
        summary: summary.to_string(),
        checkpoint: (!bytes.is_empty()).then_some(bytes),
    }
}

#[test]
fn any_number_of_ranks_and_threads_gives_the_one_process_run() {
    for (which, steps) in [
        ("coba", [170, 130]),
        ("izh06", [260, 140]),
        ("stdp00", [900, 700]),
        ("delays", [333, 267]),
    ] {
        let one = observe(builder(which, 7).build().unwrap(), steps, 1);
        assert!(which == "stdp00" || one.recordings[0].spikes[0].ids.len() > 10);
        for ranks in [1, 2, 3, 4] {
            for threads in [1, 2] {
                let runs = LocalComm::run(ranks, |comm: Arc<dyn Comm>| {
                    let net = builder(which, 7).build_distributed(comm).unwrap();
                    observe(net, steps, threads)
                });
                for (rank, run) in runs.into_iter().enumerate() {
                    let what = format!("{which}: rank {rank} of {ranks}, {threads} thread(s)");
                    assert_eq!(run.hash, one.hash, "{what}");
                    assert!(
                        run.recordings == one.recordings,
                        "{what}: recordings differ"
                    );
                    assert_eq!(run.summary, one.summary, "{what}");
                    if rank == 0 {
                        assert!(
                            run.checkpoint == one.checkpoint,
                            "{what}: checkpoint differs"
                        );
                    } else {
                        assert_eq!(run.checkpoint, None, "{what}");
                    }
                }
            }
        }
    }
}

#[test]
fn a_checkpoint_of_k_ranks_resumes_on_l_ranks() {
    for which in ["izh06", "delays"] {
        let mut whole = builder(which, 3).build().unwrap();
        whole.run(500);
        let mut first = LocalComm::run(2, |comm| {
            let mut net = builder(which, 3).build_distributed(comm).unwrap();
            net.run(230);
            let mut bytes = Vec::new();
            Engine::checkpoint(&net, &mut bytes).unwrap();
            bytes
        });
        let bytes = first.swap_remove(0);
        for ranks in [1, 3] {
            let hashes = LocalComm::run(ranks, |comm| {
                let mut net = network_from_bytes(&bytes)
                    .unwrap()
                    .distribute(comm)
                    .unwrap();
                net.run(270);
                net.spike_hash()
            });
            for (rank, h) in hashes.into_iter().enumerate() {
                assert_eq!(h, whole.spike_hash(), "{which}: rank {rank} of {ranks}");
            }
        }
    }
}

/// The exchange happens every minimum delay (every step when a rule needs each step's
/// postsynaptic spikes), and each rank stores only the static synapses onto its neurons.
#[test]
fn exchange_interval_and_synapse_split() {
    let stats = LocalComm::run(2, |comm| {
        let mut net = delays_network(1).build_distributed(comm).unwrap();
        net.run(95);
        let kept: usize = net.projections().iter().map(|p| p.synapses.len()).sum();
        (net.exchange_stats().unwrap(), kept, net.synapse_count())
    });
    let whole = delays_network(1).build().unwrap().synapse_count();
    let (s0, kept0, total0) = stats[0];
    let (_, kept1, _) = stats[1];
    assert_eq!(
        s0.interval_steps, 10,
        "the smallest delay is 1 ms = 10 steps"
    );
    assert_eq!(s0.exchanges, 10, "95 steps: 9 whole intervals and a part");
    assert_eq!(total0, whole);
    assert_eq!(kept0 + kept1, whole);
    assert!(kept0 > 0 && kept1 > 0);
    let izh = LocalComm::run(2, |comm| {
        let mut net = Benchmark::Izh06
            .builder(1200, 1)
            .unwrap()
            .build_distributed(comm)
            .unwrap();
        net.run(7);
        net.exchange_stats().unwrap()
    });
    assert_eq!((izh[0].interval_steps, izh[0].exchanges), (1, 7));
}
