"""Networks built in Python: the same spikes as the experiment files they mirror, files written
and read back, self-contained bytes, closed loops, equation models, and errors that name the
argument."""

import pathlib

import numpy as np
import pytest

import neuroplast as npl
from neuroplast.builder import Population

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"

COBA_PARAMS = dict(
    cm=0.2, tau_m=20.0, v_rest=-60.0, e_rev_E=0.0, e_rev_I=-80.0, tau_syn_E=5.0,
    tau_syn_I=10.0, v_thresh=-50.0, v_reset=-60.0, tau_refrac=5.0, i_offset=0.2,
    integrator="euler",
)


def coba_in_code(duration_ms=1000.0, precision=None):
    """examples/coba.toml, call by call (``precision``: the populations' state precision)."""
    net = npl.Network(dt=0.1, seed=7, duration_ms=duration_ms)
    init = {
        "v": npl.normal(-55.0, 5.0),
        "g_exc": npl.normal(0.04, 0.015, clip_low=0.0),
        "g_inh": npl.normal(0.2, 0.12, clip_low=0.0),
    }
    exc = net.population("exc", 3200, "IF_cond_exp", params=COBA_PARAMS, init=init, precision=precision)
    inh = net.population("inh", 800, "IF_cond_exp", params=COBA_PARAMS, init=init, precision=precision)
    for pre, post, receptor, w in [
        (exc, exc, "excitatory", 0.006),
        (exc, inh, "excitatory", 0.006),
        (inh, exc, "inhibitory", 0.067),
        (inh, inh, "inhibitory", 0.067),
    ]:
        net.connect(pre, post, npl.fixed_probability(0.02), weight=w, delay=0.1, receptor=receptor)
    net.record(exc, spikes=True)
    net.record(inh, spikes=True)
    return net


def test_coba_built_in_code_gives_the_file_spike_hash():
    file = npl.Network.from_file(EXAMPLES / "coba.toml", ["simulation.duration_ms=200.0"])
    code = coba_in_code(200.0)
    file.run()
    rec = code.run()
    assert code.spike_hash == file.spike_hash
    assert len(rec["spikes"]["exc"][0]) > 1000
    # the file it writes, read back, repeats the run
    again = npl.Network.from_toml(code.to_toml())
    again.run()
    assert again.spike_hash == file.spike_hash


def test_izhikevich_stdp_built_in_code_gives_the_file_spike_hash():
    file = npl.Network.from_file(EXAMPLES / "izhikevich2006.toml", ["simulation.duration_ms=2000.0"])
    net = npl.Network(dt=1.0, seed=1, duration_ms=2000.0)
    exc = net.population("exc", 800, "Izhikevich", params=dict(a=0.02, b=0.2, c=-65.0, d=8.0, integrator="spnet"))
    inh = net.population("inh", 200, "Izhikevich", params=dict(a=0.1, b=0.2, c=-65.0, d=2.0, integrator="spnet"))
    delays = npl.uniform(0.5, 20.5)
    stdp = {"kind": "izhikevich2006"}
    net.connect(exc, exc, npl.fixed_out_degree(80, allow_self=False), weight=6.0, delay=delays,
                receptor="current", delay_rounding="round", plasticity=stdp)
    net.connect(exc, inh, npl.fixed_out_degree(20), weight=6.0, delay=delays,
                receptor="current", delay_rounding="round", plasticity=stdp)
    net.connect(inh, exc, npl.fixed_out_degree(100), weight=-5.0, delay=1.0, receptor="current")
    for pop in ("exc", "inh"):
        net.current_source(f"thalamic_{pop}", pop, {"kind": "random_pulses", "amplitude": 20.0, "probability": 0.001})
    file.run()
    net.run()
    assert net.spike_hash == file.spike_hash
    np.testing.assert_array_equal(net.weights("exc_exc"), file.weights("exc_exc"))


def test_sorf_like_network_with_equation_models_gives_its_file_hash():
    """The SORF neuron and homeo_stdp from the model library in code = the same tables in a
    file (examples/sorf_equations.toml's models)."""
    rs, homeo = npl.Model.library("RSNeuron"), npl.Model.library("homeo_stdp")
    assert (rs.kind, homeo.kind) == ("neuron", "synapse")
    assert "g_ampa" in rs.targets
    net = npl.Network(dt=1.0, seed=3, duration_ms=3000.0)
    net.population("inp", 64, "SpikeSourcePoisson", params={"rate": 20.0})
    net.population("buf", 64, rs)
    net.population("exc", 4, rs)
    net.connect("inp", "buf", npl.one_to_one(), weight=npl.uniform(0.2, 0.6), delay=1.0, receptor=["g_ampa", "g_nmda"])
    net.connect("buf", "exc", npl.all_to_all(), weight=npl.uniform(0.1, 0.3), delay=1.0,
                receptor=["g_ampa", "g_nmda"], plasticity=homeo, rate_window_ms=1000.0, Rtarget=5.0)
    net.record("exc", spikes=True)
    w0 = None
    text = net.to_toml()
    assert "[models.homeo_stdp]" in text and 'kind = "homeo_stdp"' in text
    net.run()
    assert net.summary()["populations"]["exc"]["spikes"] > 0
    w0 = npl.Network.from_toml(text)
    w0.run()
    assert w0.spike_hash == net.spike_hash
    np.testing.assert_array_equal(w0.weights("buf_exc"), net.weights("buf_exc"))


def test_callback_every_100_ms_equals_a_rate_schedule():
    """A closed loop that sets the Poisson rate every 100 ms gives the same spikes as the
    source's own rate schedule making the same changes."""
    def net_with(schedule):
        net = npl.Network(dt=0.1, seed=5, duration_ms=1000.0)
        params = {"rate": 10.0}
        if schedule:
            params["schedule"] = [{"at": 100.0 * k, "rate": 10.0 + 5.0 * k} for k in range(1, 10)]
        net.population("inp", 200, "SpikeSourcePoisson", params=params)
        net.population("out", 20, "IF_curr_exp")
        net.connect("inp", "out", npl.fixed_probability(0.2), weight=1.0, receptor="excitatory")
        net.record("out", spikes=True)
        return net

    fixed = net_with(True)
    fixed.run()
    looped = net_with(False)
    calls = []

    def change(net, counts):
        calls.append(counts["inp"])
        k = len(calls)
        net.set("inp.rate", 10.0 + 5.0 * k)

    rec = looped.run(every=100.0, callback=change)
    assert len(calls) == 10 and all(c > 0 for c in calls)
    assert looped.spike_hash == fixed.spike_hash
    assert rec["steps"] == 10_000 and len(rec["spikes"]["out"][0]) > 0


def test_to_bytes_is_self_contained_and_resumes_bit_exactly():
    whole = coba_in_code(100.0)
    whole.run()
    part = coba_in_code(100.0)
    part.run(duration_ms=40.0)
    data = part.to_bytes()
    resumed = npl.Network.from_bytes(data)
    resumed.run(duration_ms=60.0)
    assert resumed.spike_hash == whole.spike_hash
    with pytest.raises(npl.CheckpointError):
        npl.Network.from_bytes(b"not a network")


def test_populations_and_projections_get_and_set():
    net = npl.Network(dt=0.1, seed=2)
    p = net.population("cells", 10, "IF_cond_exp")
    p.set("tau_m", np.linspace(10.0, 30.0, 10))  # per neuron
    p.set(v=npl.uniform(-70.0, -60.0))  # a state variable: its initial value
    q = net.connect(p, p, npl.all_to_all(allow_self=False), weight=0.01, receptor="excitatory")
    assert p.get("tau_m")[0] == 10.0 and p.get("v")["kind"] == "uniform"
    assert q.get("weight") == 0.01
    net.run(duration_ms=1.0)
    v = p.get("v")
    assert v.shape == (10,) and np.all((v > -71.0) & (v < -59.0))
    p.set("v", -65.0)
    assert np.all(p.get("v") == -65.0)
    assert q.get("weight").shape == (90,)
    assert np.all(q.get("delay") == 0.1)
    pre, post, _ = q.get("connections")
    assert np.all(pre != post)
    with pytest.raises(TypeError, match="built"):
        net.population("late", 3, "IF_cond_exp")


def test_f32_populations_from_python():
    """precision="f32" is the file's key: the same spikes as COBA in f32 written as a file,
    state read back as f32 values widened (also of HH_cond_exp), and errors naming the key for
    a model without it (a spike source: every neuron model has it) and for a precision that
    does not exist."""
    net = coba_in_code(200.0)
    spec = net.to_toml().replace('model = "IF_cond_exp"', 'model = "IF_cond_exp"\nprecision = "f32"')
    file = npl.Network.from_toml(spec)
    code = coba_in_code(200.0, precision="f32")
    file.run()
    code.run()
    assert code.spike_hash == file.spike_hash
    assert code.to_toml().count('precision = "f32"') == 2
    v = Population(code, "exc").get("v")
    assert v.dtype == np.float64 and np.all(v == v.astype(np.float32))
    wide = coba_in_code(200.0)
    wide.run()
    assert not np.array_equal(v, Population(wide, "exc").get("v"))
    hh = npl.Network(dt=0.01, seed=1, duration_ms=1.0)
    x = hh.population("x", 5, "HH_cond_exp", precision="f32")
    hh.run()
    v = x.get("v")
    assert v.dtype == np.float64 and np.all(v == v.astype(np.float32))
    with pytest.raises(npl.ConfigError) as e:
        npl.Network(dt=1.0, seed=1).population("x", 5, "SpikeSourcePoisson", precision="f32")
    assert e.value.path == "populations.x.precision"
    msg = str(e.value)
    assert "SpikeSourcePoisson runs in f64 only" in msg
    assert all(m in msg for m in ("IF_cond_exp", "HH_cond_exp", "SORF", "equation models"))
    with pytest.raises(npl.ConfigError) as e:
        npl.Network(dt=1.0, seed=1).population("x", 5, "IF_cond_exp", precision="f16")
    assert e.value.path == "populations.x.precision"


def test_builder_errors_name_the_argument():
    net = npl.Network(dt=0.1, seed=1)
    with pytest.raises(npl.ConfigError) as e:
        net.population("cells", 10, "IF_cond_exp", params={"tau_mm": 3.0})
    assert e.value.path == "populations.cells.params.tau_mm"
    assert "tau_m" in str(e.value)
    with pytest.raises(npl.ConfigError) as e:
        net.population("cells", 10, "LIFF")
    assert e.value.path == "populations.cells.model"
    net.population("cells", 10, "IF_cond_exp")  # the failed calls changed nothing
    with pytest.raises(npl.ConfigError) as e:
        net.connect("cells", "nobody", npl.all_to_all(), weight=1.0, receptor="excitatory")
    assert e.value.path == "projections.cells_nobody.post"
    with pytest.raises(npl.ConfigError) as e:
        net.connect("cells", "cells", npl.fixed_probability(1.5), weight=1.0, receptor="excitatory")
    assert "p" in e.value.path
    with pytest.raises(TypeError):
        net.population("x", 10, "IF_cond_exp", parms={})
    with pytest.raises(TypeError):
        net.connect("cells", "cells", npl.all_to_all(), weight=1.0, receptor="excitatory", tau=3.0)
    with pytest.raises(TypeError):
        npl.Model("m", equation="dv/dt = -v/tau")
    with pytest.raises(npl.ConfigError) as e:
        npl.Model("m", equations="dv/dt = -v/tau : volt", parameters="tau = 10*ms", threshold="v > 1*amp")
    assert e.value.path == "models.m.threshold"
    assert "line 1" in str(e.value)
    with pytest.raises(KeyError, match="IF_cond_exp"):
        npl.Model.library("IF_cond_expp")


def test_cuba_ported_from_brian2_gives_the_equation_file_hash():
    """examples/python/cuba_from_brian2.py (Brian2's CUBA, line by line) builds
    examples/cuba_equations.toml's network: its golden spike hash."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "cuba_from_brian2", EXAMPLES / "python" / "cuba_from_brian2.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.build()
    net.run()
    assert net.spike_hash == "8f720616939357d8"
    file = npl.Network.from_file(EXAMPLES / "cuba_equations.toml")
    file.run()
    assert file.spike_hash == net.spike_hash


def test_to_neo_round_trip_and_elephant_agree_with_our_statistics():
    """to_neo() holds every spike (times back to the recording's steps and ids) and the state
    as AnalogSignals with units; Elephant's mean_firing_rate and cv(isi) on it equal
    analysis.spike_trains."""
    import os

    neo = pytest.importorskip("neo")
    if os.environ.get("CI"):
        import elephant.statistics as es  # installed by scripts/check.sh
    else:
        es = pytest.importorskip("elephant.statistics")
    import quantities as pq

    net = coba_in_code(500.0)
    net.record("exc", spikes=True, state=["v"], every_ms=1.0, neurons=[0, 5])
    rec = net.run()
    seg = rec.to_neo()
    exc = [st for st in seg.spiketrains if st.annotations["population"] == "exc"]
    assert len(exc) == 3200
    steps, ids = rec["spikes"]["exc"]
    back = sorted((int(round(float(t) / 0.1)), st.annotations["unit"]) for st in exc for t in st.magnitude)
    assert back == sorted(zip(steps.tolist(), ids.tolist()))
    (sig,) = seg.analogsignals
    assert sig.name == "exc.v" and sig.units == pq.mV and sig.shape == (5000 // 10, 2)
    assert list(sig.array_annotations["neuron"]) == [0, 5]
    np.testing.assert_array_equal(sig.magnitude, rec["state"]["exc.v"][2])
    ours = rec.statistics("exc")
    for st in exc[:200]:
        i = st.annotations["unit"]
        rate = es.mean_firing_rate(st).rescale("Hz").magnitude
        assert abs(rate - ours.rates_hz[i]) < 1e-9
        if len(st) >= 3:
            assert abs(es.cv(es.isi(st).magnitude) - ours.isi_cv[i]) < 1e-9
        else:
            assert np.isnan(ours.isi_cv[i])


def test_sorf_script_builds_the_protocol_network():
    """examples/python/sorf.py (the SORF protocol as a plain script on the public API) gives
    the built-in protocol's figures on a run of one grating, where both show the same
    stimulus: the same Exc rate, receptive-field match and Exc → Inh weights."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("sorf_script", EXAMPLES / "python" / "sorf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ours = module.run(seed=4, epochs=1, orientations=1)
    protocol = npl.load_experiment(
        EXAMPLES / "sorf.toml",
        ["protocol.epochs=1", "protocol.orientations=1", "protocol.test=false", "output.plots=false"],
        seed=4,
    ).run().summary["results"]
    assert ours["exc_rate_epoch_1"] == pytest.approx(protocol["exc_rate_per_epoch"][0], abs=1e-9)
    np.testing.assert_allclose(ours["rf_match"], protocol["rf_match_final"], atol=1e-12)
    np.testing.assert_allclose(ours["corr_on_off"], protocol["corr_on_off_final"], atol=1e-12)
    assert ours["w_exc_inh_min"] == np.min(protocol["w_exc_inh_final"])


def test_characters_script_is_the_protocol_spike_for_spike(cli, tmp_path):
    """examples/python/characters.py (the snn-rl character task as a plain script: the output
    neuron an equation model whose threshold does the winner-take-all with population
    reductions, STDP in a callback once per interval) started from the built-in protocol's
    initial weights gives its training winners, final weights and test responses exactly —
    on an accepted seed (1), the B/D merge of seed 7 and the failed seed 12."""
    import importlib.util
    import subprocess

    spec = importlib.util.spec_from_file_location(
        "characters_script", EXAMPLES / "python" / "characters.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for seed in (1, 7, 12):
        out = tmp_path / f"seed{seed}"
        subprocess.run(
            [cli, "run", str(EXAMPLES / "characters.toml"), "--seed", str(seed), "--out", str(out),
             "-q", "--set", "output.plots=false"],
            check=True,
        )
        data = out / "data"
        w, winners = module.train(seed, np.load(data / "weights_initial.npy"), 25)
        assert winners == np.load(data / "train_winners.npy").ravel().tolist()
        np.testing.assert_array_equal(w, np.load(data / "weights_final.npy"))
        counts = module.test(seed, 4, w, 3)
        np.testing.assert_array_equal(counts, np.load(data / "response.npy").reshape(4, 4, 3))
        assert counts.sum(axis=0).max() == 1  # one winner per interval


def test_population_reductions_need_one_shard():
    """A model whose threshold reads max(v) over its population runs in populations of up to
    1024 neurons (one shard); a larger one is refused naming the population's size."""
    wta = npl.Model("wta", syntax="brian2", parameters="tau = 10*ms",
                    equations="dv/dt = (2 - v)/tau : 1", threshold="v > 1 and v == max(v)",
                    reset="v = 0")
    net = npl.Network(dt=0.1, seed=1)
    net.population("out", 1024, wta, init={"v": npl.uniform(0.0, 1.0)})
    net.record("out", spikes=True)
    steps, ids = net.run(duration_ms=20.0)["spikes"]["out"]
    assert len(steps) > 10 and len(set(np.asarray(steps).tolist())) == len(steps)  # one per step
    big = npl.Network(dt=0.1, seed=1)
    big.population("out", 1025, wta)
    with pytest.raises(npl.ConfigError) as e:
        big.run(duration_ms=1.0)
    assert e.value.path == "populations.out.n" and "at most 1024 neurons" in str(e.value)


def test_set_weights_of_a_built_projection():
    """Weights set on a built network act from the next step: setting 0.02 before the first
    step is the network built with 0.02; bad values are refused naming the key."""
    def net_with(w):
        net = npl.Network(dt=0.1, seed=9, duration_ms=300.0)
        net.population("inp", 100, "SpikeSourcePoisson", params={"rate": 30.0})
        net.population("out", 20, "IF_cond_exp")
        proj = net.connect("inp", "out", npl.fixed_probability(0.3), weight=w, receptor="excitatory",
                           plasticity={"kind": "pair_stdp", "w_max": 0.05})
        return net, proj

    direct, _ = net_with(0.02)
    direct.run()
    later, proj = net_with(0.01)
    later.run(steps=0)
    proj.set("weight", 0.02)
    assert np.all(proj.get("weight") == 0.02)
    later.run()
    assert later.spike_hash == direct.spike_hash
    np.testing.assert_array_equal(later.weights("inp_out"), direct.weights("inp_out"))
    with pytest.raises(npl.ConfigError) as e:
        proj.set("weight", [0.1, 0.2])
    assert e.value.path == "inp_out.weight"
    with pytest.raises(npl.ConfigError) as e:
        later.set_weights("inp_out", np.full(len(proj.get("weight")), np.nan))
    assert e.value.path == "inp_out.weight[0]"


def quiet_cells(amplitude=0.0, start=0.0):
    """Ten IF_curr_exp neurons (R = 20 MΩ, v_rest −65 mV), no input but a DC source."""
    net = npl.Network(dt=0.1, seed=1)
    net.population("cells", 10, "IF_curr_exp")
    net.current_source("drive", "cells", {"kind": "dc", "amplitude": amplitude, "start": start})
    net.record("cells", spikes=True)
    return net


def test_a_parameter_set_mid_run_drives_v_to_its_closed_form():
    net = quiet_cells()
    net.run(100.0)
    assert np.all(net.state("cells", "v") == -65.0)
    offsets = 0.05 * np.arange(10)  # nA; −65 + 20·I mV, all below threshold
    net.set("cells.i_offset", offsets)
    net.run(400.0)  # 20 τ_m
    np.testing.assert_allclose(net.state("cells", "v"), -65.0 + 20.0 * offsets, atol=1e-6)
    assert net.to_dict()["populations"]["cells"]["params"]["i_offset"] == pytest.approx(list(offsets))
    # Population.set after the build does the same
    pop = npl.builder.Population(net, "cells")
    pop.set("i_offset", 0.0)
    net.run(400.0)
    np.testing.assert_allclose(net.state("cells", "v"), -65.0, atol=1e-6)


def test_a_retuned_source_equals_one_that_starts_then():
    late = quiet_cells(amplitude=1.0, start=100.0)
    late.run(300.0)
    net = quiet_cells()
    net.run(100.0)
    changed = net.retune(lambda d: d["sources"]["drive"]["waveform"].update(amplitude=1.0))
    assert changed == ["sources.drive.waveform"]
    net.run(200.0)
    assert late.spike_counts()["cells"] > 0
    assert net.spike_hash == late.spike_hash
    # the saved bytes describe the new waveform
    again = npl.Network.from_bytes(net.to_bytes())
    assert again.to_dict()["sources"]["drive"]["waveform"]["amplitude"] == 1.0


def test_retune_refuses_structure_and_bad_values_naming_the_key():
    net = quiet_cells()
    net.run(10.0)
    before = net.state("cells", "v").copy()

    def grow(d):
        d["populations"]["cells"]["n"] = 11

    with pytest.raises(npl.ConfigError, match=r"populations\.cells.*size"):
        net.retune(grow)
    with pytest.raises(npl.ConfigError, match="tau_m"):
        net.set("cells.tau_m", -1.0)
    with pytest.raises(TypeError, match="change"):
        net.retune(3)

    # what a running network would not apply is refused, not silently kept in its tables
    def reseed(d):
        d["simulation"]["seed"] = 99

    def restart(d):
        d["populations"]["cells"]["init"] = {"v": -50.0}

    def rerecord(d):
        d["record"]["cells"]["state"] = {"v": {}}

    for edit, key in [(reseed, "simulation"), (restart, "populations.cells.init"), (rerecord, "record")]:
        with pytest.raises(npl.ConfigError, match="differs from the running network") as e:
            net.retune(edit)
        assert e.value.path == key
    np.testing.assert_array_equal(net.state("cells", "v"), before)
    assert "tau_m" not in net.to_dict()["populations"]["cells"].get("params", {})


def test_numpy_arrays_in_the_tables_equal_lists():
    """1-D numpy arrays go into the tables without Python lists; the network is the same."""
    rng = np.random.default_rng(4)
    pre, post = rng.integers(0, 50, 2000), rng.integers(0, 50, 2000)
    w, d = rng.uniform(0.0, 0.02, 2000), rng.integers(1, 20, 2000) * 0.1

    def spec(convert):
        return {
            "simulation": {"dt_ms": 0.1, "duration_ms": 100.0, "seed": 3},
            "populations": {
                "inp": {"model": "SpikeSourcePoisson", "n": 50, "params": {"rate": 20.0}},
                "out": {"model": "IF_cond_exp", "n": 50, "params": {"i_offset": convert(rng_offsets)}},
            },
            "projections": {
                "ff": {
                    "pre": "inp", "post": "out", "receptor": "excitatory",
                    "connector": {"kind": "from_list", "pre": convert(pre), "post": convert(post)},
                    "weight": {"kind": "array", "values": convert(w)},
                    "delay_ms": {"kind": "array", "values": convert(d)},
                }
            },
            "record": {"out": {"spikes": True}},
        }

    rng_offsets = rng.uniform(0.0, 0.5, 50)
    v0 = rng.uniform(-65.0, -55.0, 50)
    both = spec(lambda x: x)
    both["populations"]["out"]["init"] = {"v": {"kind": "array", "values": v0}}
    b = npl.Network.from_dict(both)
    a_spec = spec(lambda x: x.tolist())
    a_spec["populations"]["out"]["init"] = {"v": {"kind": "array", "values": v0.tolist()}}
    a = npl.Network.from_dict(a_spec)
    a.run(100.0)
    b.run(100.0)
    assert a.spike_counts()["out"] > 0
    assert a.spike_hash == b.spike_hash
    # a bad index in an array is named with its position
    bad = spec(lambda x: x)
    bad["projections"]["ff"]["connector"]["pre"] = np.where(np.arange(2000) == 7, -1, pre)
    with pytest.raises(npl.ConfigError) as e:
        npl.Network.from_dict(bad)
    assert e.value.path == "projections.ff.connector.pre[7]"
