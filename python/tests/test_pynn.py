"""neuroplast.pynn beyond PyNN's own scenarios (python/pynn_scenarios/run.sh runs those):
closed forms, reset, parameter and weight changes between runs, and the errors of what a
built network cannot do."""

import numpy as np
import pytest

sim = pytest.importorskip("neuroplast.pynn")


def test_offset_current_set_between_runs_reaches_the_closed_form():
    sim.setup(timestep=0.1)
    cells = sim.Population(3, sim.IF_curr_exp(i_offset=0.0, tau_refrac=2.0))
    cells.record("v")
    sim.run(50.0)
    cells.set(i_offset=np.array([0.1, 0.2, 0.3]))  # −65 + 20·I mV, below threshold
    sim.run(400.0)
    v = cells.get_data().segments[0].filter(name="v")[0]
    assert v.shape == (4501, 3)
    np.testing.assert_allclose(np.asarray(v[0]), -65.0)
    np.testing.assert_allclose(np.asarray(v[500]), -65.0)
    np.testing.assert_allclose(np.asarray(v[-1]), -65.0 + 20.0 * np.array([0.1, 0.2, 0.3]), atol=1e-6)
    sim.end()


def test_first_spike_time_of_a_driven_lif_is_the_closed_form():
    sim.setup(timestep=0.01)
    i, tau_m, cm = 1.0, 20.0, 1.0  # R·I = 20 mV > 15 mV to threshold
    cells = sim.Population(1, sim.IF_curr_exp(i_offset=i, tau_m=tau_m, cm=cm, tau_refrac=0.0))
    cells.record("spikes")
    sim.run(100.0)
    st = cells.get_data().segments[0].spiketrains[0]
    expected = tau_m * np.log(i * tau_m / cm / (i * tau_m / cm - 15.0))
    assert float(st[0]) == pytest.approx(expected, abs=0.011)
    sim.end()


def test_reset_repeats_the_run_and_keeps_parameter_changes():
    sim.setup(timestep=0.1, rng_seed=5)
    noise = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
    cells = sim.Population(5, sim.IF_cond_exp())
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(seed=3)),
                   sim.StaticSynapse(weight=0.01, delay=1.0))
    noise.record("spikes")
    cells.record("spikes")
    sim.run(200.0)
    sim.reset()
    sim.run(200.0)
    block = noise.get_data()
    first, second = ([np.asarray(st) for st in seg.spiketrains] for seg in block.segments)
    assert sum(len(s) for s in first) > 100
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    sim.end()


def test_stdp_weights_move_and_reset_restores_them():
    sim.setup(timestep=0.1, rng_seed=2)
    pre = sim.Population(50, sim.SpikeSourcePoisson(rate=20.0))
    post = sim.Population(1, sim.IF_cond_exp())
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.012),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=0.02),
        weight=0.01, delay=1.0, dendritic_delay_fraction=0.0,
    )
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
    sim.run(1000.0)
    w = np.asarray(prj.get("weight", format="array")).ravel()
    assert np.all((w >= 0.0) & (w <= 0.02)) and np.any(w != 0.01)
    sim.reset()
    np.testing.assert_array_equal(np.asarray(prj.get("weight", format="array")).ravel(), 0.01)
    sim.end()


def test_weights_set_between_runs_reach_the_engine():
    sim.setup(timestep=0.1)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 60.0]))
    cell = sim.Population(1, sim.IF_curr_exp(tau_syn_E=5.0))
    prj = sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.0, delay=1.0))
    cell.record("v")
    sim.run(50.0)
    prj.set(weight=1.0)
    sim.run(50.0)
    v = np.asarray(cell.get_data().segments[0].filter(name="v")[0]).ravel()
    assert v[:500].max() == -65.0  # the first spike arrived with weight 0
    assert v[600:].max() > -64.0  # the second with 1 nA
    sim.end()


def test_what_a_run_network_cannot_do_is_refused_clearly():
    sim.setup(timestep=0.1)
    a = sim.Population(2, sim.IF_curr_exp())
    prj = sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1, delay=1.0))
    sim.run(10.0)
    with pytest.raises(sim.StructureError, match="before the first run"):
        sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(NotImplementedError, match="delay"):
        prj.set(delay=2.0)
    sim.reset()
    sim.Population(2, sim.IF_curr_exp())  # after reset the network is built again
    sim.run(10.0)
    sim.end()


def test_a_recorded_noisy_current_is_the_current_the_neuron_got():
    """v of a current LIF follows its exact propagator with the recorded noise as input."""
    dt, tau_m, cm = 0.1, 20.0, 1.0
    sim.setup(timestep=dt, rng_seed=7)
    cell = sim.Population(1, sim.IF_curr_exp(tau_m=tau_m, cm=cm, v_thresh=1000.0))
    noise = sim.NoisyCurrentSource(mean=0.5, stdev=0.2, start=10.0, stop=60.0, dt=1.0)
    cell.inject(noise)
    noise.record()
    cell.record("v")
    sim.run(40.0)
    sim.run(40.0)  # the trace continues over runs
    v = np.asarray(cell.get_data().segments[0].filter(name="v")[0]).ravel()
    i = np.asarray(noise.get_data()).ravel()
    assert v.size == i.size == 801
    assert np.all(i[:100] == 0.0) and np.all(i[600:] == 0.0)
    draws = i[100:600].reshape(50, 10)
    assert np.all(draws == draws[:, :1])  # one draw per ms
    assert abs(draws[:, 0].mean() - 0.5) < 0.1 and 0.1 < draws[:, 0].std() < 0.3
    decay = np.exp(-dt / tau_m)
    predicted = -65.0 + (v[:-1] + 65.0) * decay + tau_m / cm * i[:-1] * (1 - decay)
    np.testing.assert_allclose(v[1:], predicted, atol=1e-9)
    sim.end()


def test_composed_point_neuron_matches_the_standard_cell_and_the_alpha_closed_form():
    """PointNeuron(LIF, AMPA=CurrExp) follows IF_curr_exp (Euler against the exact
    propagator, dt 0.01 ms); an AlphaPSR's conductance peaks at w, τ after the arrival."""
    sim.setup(timestep=0.01, min_delay=0.1)
    lif = dict(tau_m=10.0, cm=0.5, v_rest=-60.0, v_thresh=-50.0, v_reset=-65.0, tau_refrac=2.0, i_offset=0.1)
    composed = sim.Population(1, sim.PointNeuron(sim.LIF(**lif), AMPA=sim.CurrExpPostSynapticResponse(tau_syn=3.0)),
                              initial_values={"v": -60.0})
    standard = sim.Population(1, sim.IF_curr_exp(tau_syn_E=3.0, **lif), initial_values={"v": -60.0})
    cond = sim.Population(1, sim.PointNeuron(sim.AdExp(v_rest=-65.0), NMDA=sim.AlphaPSR(tau_syn=20.0, e_syn=0.0)),
                          initial_values={"v": -65.0})
    assert composed.get("AMPA.tau_syn") == 3.0 and cond.get("NMDA.e_syn") == 0.0
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 12.0, 30.0]))
    sim.Projection(src, composed, sim.AllToAllConnector(), sim.StaticSynapse(weight=2.0, delay=1.0), receptor_type="AMPA")
    sim.Projection(src, standard, sim.AllToAllConnector(), sim.StaticSynapse(weight=2.0, delay=1.0), receptor_type="excitatory")
    sim.Projection(src, cond, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.001, delay=1.0), receptor_type="NMDA")
    composed.record(["v", "spikes"])
    standard.record(["v", "spikes"])
    cond.record("NMDA.gsyn")
    sim.run(100.0)
    v1 = np.asarray(composed.get_data().segments[0].filter(name="v")[0]).ravel()
    v2 = np.asarray(standard.get_data().segments[0].filter(name="v")[0]).ravel()
    assert v2.max() > -51.0  # the input brings it near threshold
    assert np.abs(v1 - v2).max() < 0.05
    g = np.asarray(cond.get_data().segments[0].filter(name="NMDA.gsyn")[0]).ravel()
    first = g[:int(30.0 / 0.01)]  # the response to the arrivals at 11 and 13 ms
    t = np.arange(first.size) * 0.01
    tau, w = 20.0, 0.001
    expected = sum(w * (t - a) / tau * np.exp(1 - (t - a) / tau) * (t >= a) for a in (11.0, 13.0))
    assert np.abs(first - expected).max() < 0.01 * expected.max()
    sim.end()
