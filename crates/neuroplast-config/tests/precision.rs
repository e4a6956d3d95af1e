//! Populations whose state is `f32` (`precision = "f32"`): the built-in `IF_cond_exp` and the
//! same model written as equations give the same spikes bit for bit, at any thread count and
//! through checkpoints; recordings, state reads and writes, static and plastic delivery work
//! on `f32` state; errors name the key and what is allowed.

use neuroplast_config::library::as_equations;
use neuroplast_config::spiking::SpikingExperiment;
use neuroplast_core::checkpoint::{network_from_bytes, write_network};
use neuroplast_core::spiking::benchmarks::Benchmark;
use neuroplast_core::spiking::network::{Network, NetworkBuilder};
use neuroplast_core::spiking::neuron::Precision;

fn coba(equations: bool, precision: Precision) -> NetworkBuilder {
    bench(Benchmark::Coba, equations, precision)
}

fn bench(which: Benchmark, equations: bool, precision: Precision) -> NetworkBuilder {
    let mut b = if equations {
        which
            .equations_builder(4000, 5, &as_equations)
            .unwrap()
            .unwrap()
    } else {
        which.builder(4000, 5).unwrap()
    };
    for pop in ["exc", "inh"] {
        b.precision(pop, precision).unwrap();
    }
    b
}

fn run(b: NetworkBuilder, steps: u64, threads: usize) -> Network {
    let mut net = b.build().unwrap();
    net.set_threads(threads).unwrap();
    net.run(steps);
    net
}

/// COBA 4000 in `f32` (`bench coba --precision f32`): the golden hash; the library's
/// `IF_cond_exp` as equations in `f32` gives the built-in's spikes (the same arithmetic in the
/// same order, constants rounded once from `f64`); two threads and checkpoint + resume give
/// the same.
#[test]
fn coba_in_f32_builtin_equals_equations_any_threads_and_resumes() {
    let steps = 2000;
    let builtin = run(coba(false, Precision::F32), steps, 1);
    assert_eq!(format!("{:016x}", builtin.spike_hash()), "7f0c5d95d9b7f41a");
    let eq = run(coba(true, Precision::F32), steps, 2);
    assert_eq!(eq.spike_hash(), builtin.spike_hash());
    // over these 200 ms the f64 network spikes at the same steps; the potentials differ by
    // rounding (later the spike trains differ; the rates agree: docs/spiking.md "Precision")
    let wide = run(coba(false, Precision::F64), steps, 1);
    assert_eq!(wide.spike_hash(), builtin.spike_hash());
    let v = |n: &Network| n.population("exc").unwrap().state("v").unwrap();
    let (v32, v64) = (v(&builtin), v(&wide));
    assert!(v32.iter().all(|&x| x == f64::from(x as f32)));
    assert_ne!(v32, v64);
    let worst = v32
        .iter()
        .zip(&v64)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-3, "{worst} mV");

    for equations in [false, true] {
        let mut part = coba(equations, Precision::F32).build().unwrap();
        part.run(700);
        let mut bytes = Vec::new();
        write_network(&part, &mut bytes).unwrap();
        let mut resumed = network_from_bytes(&bytes).unwrap();
        resumed.set_threads(2).unwrap();
        resumed.run(steps - 700);
        assert_eq!(resumed.spike_hash(), builtin.spike_hash());
        assert_eq!(
            resumed.population("exc").unwrap().state("v"),
            builtin.population("exc").unwrap().state("v")
        );
    }
}

/// CUBA 4000 in `f32` (`bench cuba --precision f32`): its golden hash on one thread and two.
/// The library's `IF_curr_exp` integrates with a matrix exponential instead of the built-in's
/// closed-form propagators: the same numbers to rounding, which in `f64` gives the same spikes
/// for seconds, in `f32` (relative rounding ~10⁻⁷) a different spike after some ms; the rates
/// agree.
#[test]
fn cuba_in_f32_golden_and_like_its_equations() {
    let builtin = run(bench(Benchmark::Cuba, false, Precision::F32), 2000, 1);
    assert_eq!(format!("{:016x}", builtin.spike_hash()), "d455865265f71f6a");
    let two = run(bench(Benchmark::Cuba, false, Precision::F32), 2000, 2);
    assert_eq!(two.spike_hash(), builtin.spike_hash());
    let v = builtin.population("exc").unwrap().state("v").unwrap();
    assert!(v.iter().all(|&x| x == f64::from(x as f32)));
    let eq = run(bench(Benchmark::Cuba, true, Precision::F32), 2000, 2);
    assert_eq!(
        eq.spike_hash(),
        run(bench(Benchmark::Cuba, true, Precision::F32), 2000, 1).spike_hash()
    );
    let count = |n: &Network| n.population("exc").unwrap().spike_count() as f64;
    let ratio = count(&eq) / count(&builtin);
    assert!((ratio - 1.0).abs() < 0.02, "{ratio}");
}

/// Izhikevich 2006 (`examples/izhikevich2006.toml`: 1000 neurons, delays, STDP, thalamic
/// input) with both populations in `f32`: its golden hash on one thread and two, through
/// checkpoint + resume; its rates stay those of the `f64` network (the spikes differ, as any
/// rounding change makes them in this chaotic network).
#[test]
fn izhikevich_2006_in_f32_golden_any_threads_and_resumes() {
    let text = include_str!("../../../examples/izhikevich2006.toml");
    let exp = |set: &[&str]| {
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        SpikingExperiment::from_str(text, "izhikevich2006.toml", &set).unwrap()
    };
    let single = exp(&[
        "populations.exc.precision=\"f32\"",
        "populations.inh.precision=\"f32\"",
    ]);
    let steps = 2000;
    let build = |e: &SpikingExperiment, threads: usize| {
        let mut net = e.build().unwrap();
        net.set_threads(threads).unwrap();
        net
    };
    let mut net = build(&single, 1);
    net.run(steps / 2);
    let mut bytes = Vec::new();
    write_network(&net, &mut bytes).unwrap();
    net.run(steps / 2);
    assert_eq!(
        net.population("exc").unwrap().state("v").unwrap().len(),
        800
    );
    let mut two = build(&single, 2);
    two.run(steps);
    assert_eq!(two.spike_hash(), net.spike_hash());
    let mut resumed = network_from_bytes(&bytes).unwrap();
    resumed.run(steps / 2);
    assert_eq!(resumed.spike_hash(), net.spike_hash());
    assert_eq!(format!("{:016x}", net.spike_hash()), "e839300f0d286d7b");

    let mut wide = build(&exp(&[]), 1);
    wide.run(steps);
    for pop in ["exc", "inh"] {
        let (a, b) = (
            net.population(pop).unwrap().spike_count() as f64,
            wide.population(pop).unwrap().spike_count() as f64,
        );
        assert!(
            a > 1000.0 && (a / b - 1.0).abs() < 0.1,
            "{pop}: {a} spikes in f32, {b} in f64"
        );
    }
}

const SMALL: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 200.0
seed = 3

[populations.input]
model = "SpikeSourcePoisson"
n = 50
params = { rate = 40.0 }

[populations.cells]
model = "IF_cond_exp"
n = 20
precision = "f32"
init = { v = -60.3 }

[projections.static]
pre = "input"
post = "cells"
connector = { kind = "fixed_probability", p = 0.5 }
receptor = "excitatory"
weight = 0.004

[projections.plastic]
pre = "input"
post = "cells"
connector = { kind = "fixed_probability", p = 0.5 }
receptor = "excitatory"
weight = 0.004
plasticity = { kind = "pair_stdp", w_max = 0.008 }

[record.cells]
spikes = true
state = { v = { every_ms = 0.1 }, g_exc = { every_ms = 0.1 } }
"#;

fn small(set: &[&str]) -> Result<SpikingExperiment, neuroplast_config::ConfigError> {
    let overrides: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    SpikingExperiment::from_str(SMALL, "t.toml", &overrides)
}

/// An `f32` population in a file: initial values are rounded to `f32`; static and plastic
/// (STDP) projections deliver into its `f32` conductances; every recorded value is an `f32`
/// widened exactly; `Population::state` reads and `set_state` writes the `f32` arrays; the
/// resolved file (which keeps `precision`) repeats the run; a checkpoint resumes bit-exactly.
#[test]
fn an_f32_population_in_a_file_records_reads_and_learns() {
    let exp = small(&[]).unwrap_or_else(|e| panic!("{e}"));
    let mut net = exp.build().unwrap_or_else(|e| panic!("{e}"));
    let v0 = net.population("cells").unwrap().state("v").unwrap();
    assert!(v0.iter().all(|&v| v == f64::from(-60.3f32)), "{v0:?}");
    net.run(exp.steps() / 2);
    let mut bytes = Vec::new();
    write_network(&net, &mut bytes).unwrap();
    net.run(exp.steps() - exp.steps() / 2);
    let cells = net.population("cells").unwrap();
    assert!(cells.spike_count() > 20, "{}", cells.spike_count());
    let w = net.projections()[1].synapses.weights();
    assert!(
        w.iter().any(|&x| x != 0.004) && w.iter().all(|&x| (0.0..=0.008).contains(&x)),
        "STDP changed the weights within bounds"
    );
    let rec = net.drain();
    let chunk = |var: &str| rec.states.iter().find(|c| c.variable == var).unwrap();
    let (v, g) = (chunk("v"), chunk("g_exc"));
    assert_eq!(v.values.len(), 20 * exp.steps() as usize);
    for x in v.values.iter().chain(&g.values) {
        assert_eq!(*x, f64::from(*x as f32), "an f32 value widened");
    }
    assert!(g.values.iter().any(|&x| x > 0.0));
    let last = net.population("cells").unwrap().state("v").unwrap();
    assert_eq!(&v.values[v.values.len() - 20..], &last[..]);

    let mut resumed = network_from_bytes(&bytes).unwrap();
    resumed.run(exp.steps() - exp.steps() / 2);
    assert_eq!(resumed.spike_hash(), net.spike_hash());

    let resolved = toml::to_string(&exp.file).unwrap();
    assert!(resolved.contains("precision = \"f32\""), "{resolved}");
    let again = SpikingExperiment::from_str(&resolved, "resolved.toml", &[]).unwrap();
    let mut again = again.build().unwrap();
    again.run(exp.steps());
    assert_eq!(again.spike_hash(), net.spike_hash());

    let pop = again.population_mut("cells").unwrap();
    pop.set_state("v", &[-55.1; 20]).unwrap();
    assert_eq!(pop.state("v").unwrap(), vec![f64::from(-55.1f32); 20]);
}

/// A built-in model in `f32` inside a network (2100 neurons: three shards): `model` with the
/// overrides `extra`, static and plastic (STDP) projections of weight `w` (`w_max = 2w`);
/// recorded potentials are `f32` values widened exactly, two threads and checkpoint + resume
/// give the same spikes, STDP changes weights, and the spike count is within 5 % of the `f64`
/// population's (more than one spike per neuron).
fn f32_network_follows_f64(model: &str, extra: &[&str], w: f64) {
    let exp = |precision: &str| {
        let mut set = vec![
            format!("populations.cells.model=\"{model}\""),
            "populations.cells.n=2100".to_string(),
            format!("populations.cells.precision=\"{precision}\""),
            format!("projections.static.weight={w}"),
            format!("projections.plastic.weight={w}"),
            format!(
                "projections.plastic.plasticity={{kind=\"pair_stdp\", w_max={}}}",
                2.0 * w
            ),
            "record.cells={spikes=true, state={v={every_ms=1.0}}}".to_string(),
        ];
        set.extend(extra.iter().map(|s| s.to_string()));
        let set: Vec<&str> = set.iter().map(String::as_str).collect();
        small(&set).unwrap_or_else(|e| panic!("{model}: {e}"))
    };
    let single = exp("f32");
    let steps = single.steps();
    let build = |e: &SpikingExperiment, threads: usize| {
        let mut net = e.build().unwrap_or_else(|e| panic!("{e}"));
        net.set_threads(threads).unwrap();
        net
    };
    let mut net = build(&single, 1);
    net.run(steps / 2);
    let mut bytes = Vec::new();
    write_network(&net, &mut bytes).unwrap();
    net.run(steps - steps / 2);
    let mut two = build(&single, 2);
    two.run(steps);
    assert_eq!(two.spike_hash(), net.spike_hash(), "{model}");
    let mut resumed = network_from_bytes(&bytes).unwrap();
    resumed.run(steps - steps / 2);
    assert_eq!(resumed.spike_hash(), net.spike_hash(), "{model}");
    let weights = net.projections()[1].synapses.weights();
    assert!(
        weights.iter().any(|&x| x != w),
        "{model}: STDP changed the weights"
    );
    let rec = net.drain();
    let v = rec.states.iter().find(|c| c.variable == "v").unwrap();
    assert!(
        v.values.iter().all(|&x| x == f64::from(x as f32)),
        "{model}"
    );
    let mut wide = build(&exp("f64"), 1);
    wide.run(steps);
    let (a, b) = (
        net.population("cells").unwrap().spike_count() as f64,
        wide.population("cells").unwrap().spike_count() as f64,
    );
    assert!(
        a > 2100.0 && (a / b - 1.0).abs() < 0.05,
        "{model}: {a} against {b} spikes"
    );
}

/// `IF_curr_alpha` in `f32` inside a network: static and plastic delivery into its `f32` rise
/// variables ([`f32_network_follows_f64`]).
#[test]
fn if_curr_alpha_in_f32_any_threads_resumes_and_follows_f64() {
    f32_network_follows_f64("IF_curr_alpha", &[], 0.3);
}

/// `IF_cond_alpha` in `f32` inside a network, driven by `i_offset` and the Poisson inputs
/// ([`f32_network_follows_f64`]).
#[test]
fn if_cond_alpha_in_f32_any_threads_resumes_and_follows_f64() {
    f32_network_follows_f64(
        "IF_cond_alpha",
        &["populations.cells.params={i_offset=0.8}"],
        0.01,
    );
}

/// AdEx (`EIF_cond_exp_isfa_ista`) in `f32` inside a network, driven by `i_offset` and the
/// Poisson inputs ([`f32_network_follows_f64`]).
#[test]
fn adex_in_f32_any_threads_resumes_and_follows_f64() {
    f32_network_follows_f64(
        "EIF_cond_exp_isfa_ista",
        &["populations.cells.params={i_offset=0.7}"],
        0.01,
    );
}

/// `Izhikevich2007` (the RS cell) in `f32` inside a network, driven by `i_offset` and the
/// Poisson inputs through its one receptor, `current` ([`f32_network_follows_f64`]).
#[test]
fn izhikevich2007_in_f32_any_threads_resumes_and_follows_f64() {
    // i_offset = 0.1 nA is twice the RS cell's rheobase (≈ 0.05 nA) and fires it regularly
    // on its own; a weight is a current for one step (0.2 nA: a 0.2 mV jump at C = 0.1 nF),
    // and the ≈ 50 inputs at 40 Hz add ≈ 0.04 nA on average: a few spikes per neuron in
    // the 200 ms (≈ 20 Hz), far from one per step.
    f32_network_follows_f64(
        "Izhikevich2007",
        &[
            "populations.cells.params={i_offset=0.1}",
            "projections.static.receptor=\"current\"",
            "projections.plastic.receptor=\"current\"",
        ],
        0.2,
    );
}

/// `LIF_neurapse` in `f32` inside a network, driven by `i_offset` and the Poisson inputs
/// through its one receptor, `current` ([`f32_network_follows_f64`]).
#[test]
fn lif_neurapse_in_f32_any_threads_resumes_and_follows_f64() {
    // i_offset = 2.5 nA is below the rheobase gL·(V_thresh − EL) = 2.7 nA (alone it holds v
    // at 13 mV, under the 20 mV threshold); a weight is a current for one step (1.5 nA: a
    // 0.5 mV jump at C = 0.3 nF), and the ≈ 50 inputs at 40 Hz add ≈ 0.3 nA on average: the
    // inputs make every neuron fire, a few spikes each in the 200 ms (≈ 25 Hz), far from one
    // per refractory period.
    f32_network_follows_f64(
        "LIF_neurapse",
        &[
            "populations.cells.params={i_offset=2.5}",
            "projections.static.receptor=\"current\"",
            "projections.plastic.receptor=\"current\"",
        ],
        1.5,
    );
}

/// `HH_squid` in `f32` inside a network, driven by `i_offset` and the Poisson inputs through
/// its one receptor, `current` ([`f32_network_follows_f64`]).
#[test]
fn hh_squid_in_f32_any_threads_resumes_and_follows_f64() {
    // dt = 0.05 ms: at the file's 0.1 ms the forward Euler step diverges in the first spike.
    // i_offset = 10 µA/cm² is well above the ≈ 6.3 µA/cm² from which the cell fires
    // repetitively (≈ 70 Hz on its own); a weight is a current for one step (2 nA = 2 µA/cm²
    // at the default area: a 0.1 mV jump at cm = 1 µF/cm²), and the ≈ 50 inputs at 40 Hz add
    // ≈ 0.2 µA/cm² on average: about 14 spikes per neuron in the 200 ms, far from saturation.
    f32_network_follows_f64(
        "HH_squid",
        &[
            "simulation.dt_ms=0.05",
            "populations.cells.params={i_offset=10.0}",
            "projections.static.receptor=\"current\"",
            "projections.plastic.receptor=\"current\"",
        ],
        2.0,
    );
}

/// `HH_cond_exp` in `f32` inside a network, driven by `i_offset` and the Poisson inputs
/// ([`f32_network_follows_f64`]).
#[test]
fn hh_cond_exp_in_f32_any_threads_resumes_and_follows_f64() {
    // dt = 0.05 ms: at the file's 0.1 ms the RK4 step diverges within the first few spikes.
    // i_offset = 0.1 nA is about three times the rheobase (≈ 0.03 nA); a weight of 0.005 µS
    // decays with tau_syn_E = 0.2 ms, and the ≈ 50 inputs at 40 Hz add ≈ 0.1 nA on average
    // (0.002 µS at ≈ −65 mV): about 9 spikes per neuron in the 200 ms (≈ 45 Hz), far from
    // saturation.
    f32_network_follows_f64(
        "HH_cond_exp",
        &[
            "simulation.dt_ms=0.05",
            "populations.cells.params={i_offset=0.1}",
        ],
        0.005,
    );
}

/// `SORF` in `f32` inside a network, driven by `i_offset` and the Poisson inputs through its
/// `ampa` receptor ([`f32_network_follows_f64`]).
#[test]
fn sorf_in_f32_any_threads_resumes_and_follows_f64() {
    // i_offset = 3 is below the RS cell's rheobase (about 4: alone it stays silent); a weight
    // of 0.01 is an AMPA conductance (decaying with tau_ampa = 5 ms), and the ≈ 50 inputs at
    // 40 Hz hold g_ampa near 0.1 on average: the inputs make every neuron fire, about 5
    // spikes each in the 200 ms (≈ 25 Hz), far from one per refractory period (1 ms).
    f32_network_follows_f64(
        "SORF",
        &[
            "populations.cells.params={i_offset=3.0}",
            "projections.static.receptor=\"ampa\"",
            "projections.plastic.receptor=\"ampa\"",
        ],
        0.01,
    );
}

/// Errors name the key and what is allowed: a model without `f32` (a spike source; every
/// built-in neuron model has it), a precision that does not exist, and a retune that would
/// change a built population's precision.
#[test]
fn precision_errors_name_the_key() {
    let e = small(&["populations.input.precision=\"f32\""])
        .and_then(|x| x.build().map(|_| ()))
        .expect_err("SpikeSourcePoisson has no f32");
    assert_eq!(e.path, "populations.input.precision", "{e}");
    assert!(e.msg.contains("SpikeSourcePoisson runs in f64 only"), "{e}");
    assert!(
        e.msg.contains(
            "IF_cond_exp, IF_cond_alpha, IF_curr_exp, IF_curr_alpha, LIF_neurapse, \
             EIF_cond_exp_isfa_ista, Izhikevich, Izhikevich2007, HH_squid, HH_cond_exp, \
             equation models, SORF"
        ),
        "{e}"
    );

    let e = small(&["populations.cells.precision=\"f16\""])
        .map(|_| ())
        .expect_err("no f16");
    assert_eq!(e.path, "populations.cells.precision", "{e}");
    assert!(e.msg.contains("f64") && e.msg.contains("f32"), "{e}");

    let exp = small(&[]).unwrap();
    let mut net = exp.build().unwrap();
    let wide = small(&["populations.cells.precision=\"f64\""]).unwrap();
    let e = net.retune(&wide.builder().unwrap()).unwrap_err();
    assert!(e.to_string().contains("populations.cells.precision"), "{e}");
    assert!(e.to_string().contains("keeps its precision (f32)"), "{e}");
}
