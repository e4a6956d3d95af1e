//! Neuron models written as equations in experiment files (`[models.<name>]`): the same spikes
//! as the built-ins they re-express, at any thread count, through checkpoints; errors that name
//! the key, line and column.

use std::path::{Path, PathBuf};

use neuroplast_config::library::as_equations;
use neuroplast_config::spiking::SpikingExperiment;
use neuroplast_core::checkpoint::{network_from_bytes, write_network};
use neuroplast_core::spiking::benchmarks::Benchmark;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

fn load(name: &str, overrides: &[&str]) -> SpikingExperiment {
    let text = std::fs::read_to_string(example(name)).unwrap();
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    SpikingExperiment::from_str(&text, name, &overrides).unwrap_or_else(|e| panic!("{e}"))
}

fn hash_of(exp: &SpikingExperiment, threads: usize) -> u64 {
    let mut net = exp.build().unwrap_or_else(|e| panic!("{e}"));
    net.set_threads(threads).unwrap();
    net.run(exp.steps());
    net.spike_hash()
}

/// CUBA's initial potentials drawn by the population (as `examples/cuba.toml` draws them).
const SAME_INIT: [&str; 2] = [
    "populations.exc.init.v={kind=\"uniform\",low=-60.0,high=-50.0}",
    "populations.inh.init.v={kind=\"uniform\",low=-60.0,high=-50.0}",
];

/// Brian2's CUBA model string in an experiment file gives the built-in CUBA's spikes (IF_curr_exp
/// with Brian2's refractory rule), bit for bit over 1 s of 4000 neurons: the golden hash of
/// `examples/cuba.toml` with `refractory = "brian2"`. The two differ only in how the initial
/// potentials are drawn, so the test draws them the same way.
#[test]
fn brian2_cuba_string_in_a_file_gives_the_builtin_cuba_spikes() {
    let eq = load("cuba_equations.toml", &SAME_INIT);
    let builtin = load(
        "cuba.toml",
        &[
            "populations.exc.params.refractory=\"brian2\"",
            "populations.inh.params.refractory=\"brian2\"",
        ],
    );
    let h = hash_of(&eq, 1);
    assert_eq!(format!("{h:016x}"), "959df92ba61be527");
    assert_eq!(h, hash_of(&builtin, 1));
    // as the file is (the model's own `init` draws v): its own golden hash, and the same on
    // two threads (4 shards: `i` and the random streams are the population's, not a thread's)
    let own = load("cuba_equations.toml", &[]);
    let h1 = hash_of(&own, 1);
    assert_eq!(format!("{h1:016x}"), "8f720616939357d8");
    assert_eq!(h1, hash_of(&own, 2));
}

/// `bench coba --equations`' network: the library's IF_cond_exp (the built-in's arithmetic in
/// its order) gives the built-in COBA's spikes bit for bit; checkpoint + resume of the equation
/// network (on two threads) equals its uninterrupted run.
#[test]
fn coba_as_equations_equals_builtin_and_resumes_bit_exactly() {
    let steps = 2000;
    let mut builtin = Benchmark::Coba.builder(4000, 5).unwrap().build().unwrap();
    builtin.run(steps);
    let eq = || {
        Benchmark::Coba
            .equations_builder(4000, 5, &as_equations)
            .unwrap()
            .unwrap()
            .build()
            .unwrap()
    };
    let mut whole = eq();
    whole.run(steps);
    assert_eq!(whole.spike_hash(), builtin.spike_hash());
    assert!(whole.population("exc").unwrap().spike_count() > 1000);
    let mut part = eq();
    part.run(700);
    let mut bytes = Vec::new();
    write_network(&part, &mut bytes).unwrap();
    let mut resumed = network_from_bytes(&bytes).unwrap();
    resumed.set_threads(2).unwrap();
    resumed.run(steps - 700);
    assert_eq!(resumed.spike_hash(), whole.spike_hash());
    assert_eq!(
        resumed.population("exc").unwrap().state("v"),
        whole.population("exc").unwrap().state("v")
    );
}

const SMALL: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 100.0

[models.lif]
syntax = "brian2"
parameters = """
tau = 10*ms
v_th = 1*mV
"""
equations = "dv/dt = (I_ext*(1*Mohm) - v)/tau : volt"
threshold = "v > v_th"
reset = "v = 0*mV"

[models.ann]
syntax = "annarchy"
parameters = """
tau = 10.0 : population
v_th = 1.0
"""
equations = "tau * dv/dt = -v + g_exc"
spike = "v > v_th"
reset = "v = 0.0"

[populations.cells]
model = "lif"
n = 5
params = { tau = 20.0, v_th = [1.0, 2.0, 3.0, 4.0, 5.0] }

[populations.other]
model = "ann"
n = 3

[projections.p]
pre = "cells"
post = "other"
connector = { kind = "all_to_all" }
receptor = "g_exc"
weight = 150.0

[sources.drive]
population = "cells"
waveform = { kind = "dc", amplitude = 3.5 }

[record.cells]
spikes = true
"#;

fn err(set: &[&str]) -> neuroplast_config::ConfigError {
    let overrides: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    match SpikingExperiment::from_str(SMALL, "t.toml", &overrides) {
        Err(e) => e,
        Ok(exp) => exp.build().expect_err("should not build"),
    }
}

/// Parameters given per neuron, current sources into `I_ext`, and a projection into an
/// ANNarchy conductance (a spike of weight 150 lifts v by 150·dt/tau = 1.5 > v_th): neurons
/// with a higher threshold fire less; 3.5 nA × 1 MΩ = 3.5 mV
/// drives v towards 3.5 mV, above the thresholds 1, 2, 3 and below 4, 5.
#[test]
fn per_neuron_parameters_sources_and_receptors_of_equation_models() {
    let exp = SpikingExperiment::from_str(SMALL, "t.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut net = exp.build().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(net.population("cells").unwrap().model(), "lif");
    let mut counts = [0usize; 5];
    for _ in 0..exp.steps() {
        net.run(1);
        for &i in net.population("cells").unwrap().last_spikes() {
            counts[i as usize] += 1;
        }
    }
    assert!(
        counts[0] > counts[1] && counts[1] > counts[2] && counts[2] > 0,
        "{counts:?}"
    );
    assert_eq!((counts[3], counts[4]), (0, 0), "{counts:?}");
    assert!(net.population("other").unwrap().spike_count() > 0);
    // the resolved file repeats the run
    let resolved = toml::to_string(&exp.file).unwrap();
    let again = SpikingExperiment::from_str(&resolved, "resolved.toml", &[]).unwrap();
    assert_eq!(hash_of(&again, 1), net.spike_hash());
}

#[test]
fn errors_name_the_key_and_the_model_line() {
    let e = err(&["models.lif.equations=\"dv/dt = (I_ext*(1*Mohm) - v)/tau : amp\""]);
    assert_eq!(e.path, "models.lif.equations", "{e}");
    assert!(e.msg.contains("line 1, column"), "{e}");
    assert!(e.msg.contains("volt") && e.msg.contains("amp"), "{e}");
    let e = err(&["populations.cells.params.tau_m=3.0"]);
    assert_eq!(e.path, "populations.cells.params.tau_m", "{e}");
    assert!(e.msg.contains("its parameters: tau, v_th"), "{e}");
    let e = err(&["populations.other.params.tau=[1.0, 2.0, 3.0]"]);
    assert!(e.path.starts_with("populations.other.params"), "{e}");
    assert!(e.msg.contains("population parameter"), "{e}");
    let e = err(&["models.IF_cond_exp.syntax=\"brian2\""]);
    assert_eq!(e.path, "models.IF_cond_exp", "{e}");
    assert!(e.msg.contains("built-in model"), "{e}");
    let e = err(&["populations.cells.model=\"lfi\""]);
    assert_eq!(e.path, "populations.cells.model", "{e}");
    assert!(e.msg.contains("lif, ann"), "{e}");
    let e = err(&["projections.p.receptor=\"v_th\""]);
    assert_eq!(e.path, "projections.p.receptor", "{e}");
    assert!(e.msg.contains("it has: v, g_exc"), "{e}");
}

/// `i` is the neuron's index in its population, across the shards of 1024 neurons.
#[test]
fn i_counts_across_shards() {
    let text = r#"
[simulation]
dt_ms = 0.1
duration_ms = 0.1
[models.idx]
syntax = "annarchy"
equations = "dv/dt = 0.0"
init = "v = i"
[populations.p]
model = "idx"
n = 2500
"#;
    let exp = SpikingExperiment::from_str(text, "t.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
    let net = exp.build().unwrap();
    let v = net.population("p").unwrap().state("v").unwrap();
    assert!(
        v.iter().enumerate().all(|(i, &x)| x == i as f64),
        "{:?}",
        &v[1020..1030]
    );
}
