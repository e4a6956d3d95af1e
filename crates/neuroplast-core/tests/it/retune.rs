//! `Network::retune`: new parameters for a built network, mid-run. Retuning to the same
//! description, or to other values and back before the next step, leaves the run bit for bit
//! as it was (every piece of state is carried: refractory counters, random streams, positions
//! in spike lists); a change takes effect from the next step (a DC source switched on by a
//! retune equals one that starts at that step; a Poisson rate retuned equals the rate set as
//! state; an offset current drives the membrane to its closed-form steady state); a change of
//! structure is refused, naming the key, and changes nothing.

use neuroplast_core::spiking::benchmarks::Benchmark;
use neuroplast_core::spiking::connector::Value;
use neuroplast_core::spiking::network::{ModelSpec, NetworkBuilder};
use neuroplast_core::spiking::neuron::IfCurrExpParams;
use neuroplast_core::spiking::source::Waveform;

/// Each population's first per-neuron parameter, 10 % larger (or 1 when it is 0) — for
/// Izhikevich neurons one that is not also a state variable: a retuned `a`…`d` replaces the
/// per-neuron values izh06 gives them as initial state, so going back would not restore those.
fn perturbed(mut b: NetworkBuilder) -> NetworkBuilder {
    for (name, _, model) in b.populations() {
        let param = *model
            .per_neuron_params()
            .iter()
            .find(|p| !["a", "b", "c", "d"].contains(p))
            .unwrap();
        let x = model.param(param).unwrap();
        let y = if x == 0.0 { 1.0 } else { 1.1 * x };
        b.param(&name, param, y.into()).unwrap();
    }
    b
}

#[test]
fn retuning_to_the_same_values_or_there_and_back_changes_nothing() {
    for (which, n, first, second) in [
        (Benchmark::Coba, 800, 700, 800),
        (Benchmark::Izh06, 300, 700, 500),
        (Benchmark::Stdp00, 200, 3000, 3000),
    ] {
        let mut whole = which.builder(n, 5).unwrap().build().unwrap();
        whole.run(first + second);

        let mut same = which.builder(n, 5).unwrap().build().unwrap();
        same.run(first);
        let changed = same.retune(&which.builder(n, 5).unwrap()).unwrap();
        assert!(changed.is_empty(), "{}: {changed:?}", which.name());
        same.run(second);
        assert_eq!(same.spike_hash(), whole.spike_hash(), "{}", which.name());

        let mut back = which.builder(n, 5).unwrap().build().unwrap();
        back.run(first);
        let changed = back
            .retune(&perturbed(which.builder(n, 5).unwrap()))
            .unwrap();
        assert!(!changed.is_empty(), "{}", which.name());
        let changed_back = back.retune(&which.builder(n, 5).unwrap()).unwrap();
        assert_eq!(changed, changed_back, "{}", which.name());
        back.run(second);
        assert_eq!(back.spike_hash(), whole.spike_hash(), "{}", which.name());
        assert_eq!(
            back.projections()[0].synapses.weights(),
            whole.projections()[0].synapses.weights(),
            "{}",
            which.name()
        );

        // and a change that stays changes the run
        let mut other = which.builder(n, 5).unwrap().build().unwrap();
        other.run(first);
        other
            .retune(&perturbed(which.builder(n, 5).unwrap()))
            .unwrap();
        other.run(second);
        assert_ne!(other.spike_hash(), whole.spike_hash(), "{}", which.name());
    }
}

/// Ten IF_curr_exp neurons, no input but a current source `drive` of the given waveform.
fn quiet(drive: Waveform, i_offset: f64) -> NetworkBuilder {
    let mut b = NetworkBuilder::new(0.1, 1);
    b.population(
        "cells",
        10,
        ModelSpec::IF_curr_exp(IfCurrExpParams::default()),
    )
    .unwrap();
    b.param("cells", "i_offset", i_offset.into()).unwrap();
    b.current_source("drive", "cells", None, drive).unwrap();
    b
}

fn dc(amplitude: f64, start: f64) -> Waveform {
    Waveform::Dc {
        amplitude,
        start,
        stop: None,
    }
}

#[test]
fn a_retuned_source_equals_one_that_starts_at_that_step() {
    // 1.0 nA drives the default cell (R = 20 MΩ) above threshold: it fires from 100 ms on
    let mut late = quiet(dc(1.0, 100.0), 0.0).build().unwrap();
    late.run(3000);
    let mut retuned = quiet(dc(0.0, 0.0), 0.0).build().unwrap();
    retuned.run(1000);
    assert_eq!(retuned.population("cells").unwrap().spike_count(), 0);
    let changed = retuned.retune(&quiet(dc(1.0, 0.0), 0.0)).unwrap();
    assert_eq!(changed, vec!["sources.drive.waveform".to_string()]);
    retuned.run(2000);
    assert!(late.population("cells").unwrap().spike_count() > 0);
    assert_eq!(retuned.spike_hash(), late.spike_hash());
    assert_eq!(
        retuned.population("cells").unwrap().state("v"),
        late.population("cells").unwrap().state("v")
    );
}

#[test]
fn a_retuned_offset_current_reaches_its_closed_form_steady_state() {
    let mut net = quiet(dc(0.0, 0.0), 0.0).build().unwrap();
    net.run(1000);
    let v = net.population("cells").unwrap().state("v").unwrap();
    assert!(v.iter().all(|&v| v == -65.0), "{v:?}");
    // per-neuron offsets 0.0, 0.05, …, 0.45 nA: v_rest + R·I = −65 + 20·I mV, all below −50
    let offsets: Vec<f64> = (0..10).map(|k| 0.05 * f64::from(k)).collect();
    let mut b = quiet(dc(0.0, 0.0), 0.0);
    b.param(
        "cells",
        "i_offset",
        Value::Array {
            values: offsets.clone(),
        },
    )
    .unwrap();
    let changed = net.retune(&b).unwrap();
    assert_eq!(changed, vec!["populations.cells.params".to_string()]);
    net.run(4000); // 400 ms = 20 τ_m
    let v = net.population("cells").unwrap().state("v").unwrap();
    for (v, i) in v.iter().zip(&offsets) {
        assert!((v - (-65.0 + 20.0 * i)).abs() < 1e-6, "v {v}, I {i}");
    }
    assert_eq!(net.population("cells").unwrap().spike_count(), 0);
}

#[test]
fn a_retuned_poisson_rate_equals_the_rate_set_as_state() {
    let n = 200;
    let mut set = Benchmark::Stdp00.builder(n, 9).unwrap().build().unwrap();
    set.run(2000);
    set.population_mut("input")
        .unwrap()
        .set_state("rate", &vec![40.0; n])
        .unwrap();
    set.run(3000);
    let mut retuned = Benchmark::Stdp00.builder(n, 9).unwrap().build().unwrap();
    retuned.run(2000);
    let mut b = Benchmark::Stdp00.builder(n, 9).unwrap();
    b.param("input", "rate", 40.0.into()).unwrap();
    retuned.retune(&b).unwrap();
    retuned.run(3000);
    assert_eq!(retuned.spike_hash(), set.spike_hash());
}

#[test]
fn a_change_of_structure_is_refused_and_changes_nothing() {
    let mut whole = quiet(dc(1.0, 10.0), 0.1).build().unwrap();
    whole.run(2000);
    let mut net = quiet(dc(1.0, 10.0), 0.1).build().unwrap();
    net.run(1000);

    let mut bigger = NetworkBuilder::new(0.1, 1);
    bigger
        .population(
            "cells",
            11,
            ModelSpec::IF_curr_exp(IfCurrExpParams::default()),
        )
        .unwrap();
    let err = net.retune(&bigger).unwrap_err().to_string();
    assert!(
        err.contains("populations.cells") && err.contains("size"),
        "{err}"
    );

    let mut renamed = NetworkBuilder::new(0.1, 1);
    renamed
        .population(
            "other",
            10,
            ModelSpec::IF_curr_exp(IfCurrExpParams::default()),
        )
        .unwrap();
    let err = net.retune(&renamed).unwrap_err().to_string();
    assert!(
        err.contains("populations") && err.contains("other"),
        "{err}"
    );

    // a bad value in an otherwise good description: the population's change is not applied
    let bad = quiet(dc(f64::NAN, 10.0), 0.3);
    let err = net.retune(&bad).unwrap_err().to_string();
    assert!(
        err.contains("sources.drive") && err.contains("amplitude"),
        "{err}"
    );

    net.run(1000);
    assert_eq!(net.spike_hash(), whole.spike_hash());
}

/// A noisy equation model with a refractory period: 40 neurons driven by `i_offset`, each with
/// its own noise (`xi`), refractory for 3 ms after a spike.
fn noisy_equation_network(i_offset: f64) -> NetworkBuilder {
    use neuroplast_core::lang::ModelSource;
    use neuroplast_core::spiking::neuron::EquationParams;
    let mut src = ModelSource::brian2(
        "dv/dt = (v_rest - v)/tau + i_offset*(20*Mohm)/tau + sigma*xi*tau**-0.5 : volt (unless refractory)",
    );
    src.parameters =
        "tau = 10*ms\nv_rest = -65*mV\ni_offset = 0*nA\nsigma = 2*mV\nv_th = -55*mV".into();
    src.threshold = Some("v > v_th".into());
    src.reset = Some("v = v_rest".into());
    src.refractory = Some("3*ms".into());
    let model = ModelSpec::equations(EquationParams::new("noisy_lif", &src).unwrap());
    let mut b = NetworkBuilder::new(0.1, 11);
    b.population("cells", 40, model).unwrap();
    b.param("cells", "i_offset", i_offset.into()).unwrap();
    b
}

/// Equation models carry their refractory counters and noise streams too: a retune there and
/// back mid-run is the uninterrupted run, bit for bit.
#[test]
fn equation_models_carry_refractory_counters_and_noise() {
    let mut whole = noisy_equation_network(0.6).build().unwrap();
    whole.run(4000);
    assert!(whole.population("cells").unwrap().spike_count() > 100);
    let mut back = noisy_equation_network(0.6).build().unwrap();
    back.run(2003);
    back.retune(&noisy_equation_network(0.7)).unwrap();
    back.retune(&noisy_equation_network(0.6)).unwrap();
    back.run(1997);
    assert_eq!(back.spike_hash(), whole.spike_hash());
    assert_eq!(
        back.population("cells").unwrap().state("v"),
        whole.population("cells").unwrap().state("v")
    );
}
