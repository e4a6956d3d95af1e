"""Spiking networks from Python: same spikes as the CLI, numpy recordings, save/load."""

import json
import subprocess

import numpy as np
import pytest

import neuroplast as npl
from conftest import ROOT

COBA = ROOT / "examples" / "coba.toml"
FF = ROOT / "examples" / "neurapse_feedforward.toml"


def test_same_spikes_as_the_cli(cli, tmp_path):
    out = tmp_path / "out"
    subprocess.run([cli, "run", str(COBA), "--steps", "1500", "--out", str(out), "-q"], check=True)
    summary = json.loads((out / "summary.json").read_text())
    # load_experiment takes every kind of file; .run() runs it as the CLI does
    exp = npl.load_experiment(COBA)
    assert exp.kind == "spiking" and exp.dt_ms == 0.1
    res = exp.run(steps=1500)
    assert res.summary["spike_hash"] == summary["spike_hash"]
    for key in ("steps", "duration_ms", "synapses", "synaptic_events", "seed", "kind"):
        assert res.summary[key] == summary[key], key
    def core(pops):
        return {p: {k: v[k] for k in ("n", "model", "spikes", "mean_rate_hz")} for p, v in pops.items()}

    assert core(res.summary["populations"]) == core(summary["populations"])
    rec = res.recording
    assert isinstance(rec, npl.SpikingRecording) and rec["steps"] == 1500
    steps, ids = rec["spikes"]["exc"]
    assert steps.dtype == np.uint64 and ids.dtype == np.uint32
    assert len(steps) == summary["populations"]["exc"]["spikes"] > 0
    cli_spikes = np.load(out / "spikes" / "exc.npz")
    assert np.array_equal(cli_spikes["step"], steps) and np.array_equal(cli_spikes["neuron"], ids)
    t, _, v = rec["state"]["exc.v"]
    np.testing.assert_array_equal(v, np.load(out / "state" / "exc_v.npy"))
    np.testing.assert_array_equal(t, np.load(out / "state" / "exc_v_steps.npy"))
    # the network to drive by hand gives the same spikes
    net = exp.build()
    assert isinstance(net, npl.Network)
    assert net.run(steps=1500)["spike_hash"] == summary["spike_hash"]


def test_neurapse_feedforward_reference_spike():
    # spiking.md §1.6: post-1 spikes once, at Neurapse step 225 (our step 224); post-0 never
    net = npl.Network.from_file(FF)
    rec = net.run(steps=10_000)
    steps, ids = rec["spikes"]["post"]
    assert steps.tolist() == [224] and ids.tolist() == [1]
    assert rec.spike_times_ms("post").tolist() == pytest.approx([22.4])


def test_duration_threads_state_and_save_load():
    a = npl.Network.from_file(COBA)
    b = npl.Network.from_file(COBA)
    b.set_threads(2)
    a.run(duration_ms=50.0)
    saved = a.save()
    ra = a.run(duration_ms=50.0)
    rb1 = b.run(duration_ms=50.0)
    b.load(saved)
    rb = b.run(duration_ms=50.0)
    assert a.t == b.t == 1000
    assert ra["spike_hash"] == rb["spike_hash"]
    assert rb1["steps"] == 500
    v = a.state("exc", "v")
    assert v.shape == (3200,) and np.all(v <= -50.0)
    with pytest.raises(KeyError, match="no state variable"):
        a.state("exc", "nope")
    with pytest.raises(ValueError, match="whole number of steps"):
        a.run(duration_ms=0.05)
    v[7] = np.nan
    # errors name the key of the call: <population>.<name>[neuron]
    with pytest.raises(npl.ConfigError, match=r"^exc\.v\[7\]: .*finite") as e:
        a.set_state("exc", "v", v)
    assert e.value.path == "exc.v[7]"
    with pytest.raises(npl.ConfigError, match=r"^exc\.v\[7\]: .*finite"):
        a.set("exc.v", v)
    assert np.all(a.state("exc", "v") <= -50.0), "nothing changed"


def test_set_state_and_parameters_name_the_key_of_the_call():
    net = npl.Network.from_file(COBA, ["simulation.duration_ms=10"])
    net.set("exc.v", -55.0)  # a scalar for every neuron
    assert np.all(net.state("exc", "v") == -55.0)
    v = np.linspace(-70.0, -60.0, 3200)
    net.set_state("exc", "v", v)
    np.testing.assert_array_equal(net.state("exc", "v"), v)
    with pytest.raises(npl.ConfigError) as e:
        net.set_state("exc", "v", np.zeros(5))
    assert e.value.path == "exc.v" and "3200" in str(e.value)
    # a parameter of a file's network: changed through retune, and the file says so
    net.set("exc.tau_m", 25.0)
    assert net.to_dict()["populations"]["exc"]["params"]["tau_m"] == 25.0
    assert net.to_dict()["populations"]["inh"]["params"]["tau_m"] == 20.0
    with pytest.raises(npl.ConfigError, match="tau_m") as e:
        net.set("exc.tau_m", -1.0)
    assert "populations.exc" in e.value.path

    def reweigh(d):
        d["projections"]["exc_exc"]["weight"] = 0.01

    with pytest.raises(npl.ConfigError, match="differs from the running network") as e:
        net.retune(reweigh)
    assert e.value.path == "projections"
    with pytest.raises(npl.ConfigError, match="no state variable or parameter") as e:
        net.set_state("inh", "nope", 1.0)
    assert e.value.path == "inh.nope"
    with pytest.raises(KeyError, match="no population"):
        net.set_state("nope", "v", 1.0)
    with pytest.raises(TypeError, match="population"):
        net.set("v", 1.0)


def test_load_refuses_bytes_of_another_network():
    a = npl.Network.from_file(COBA, ["simulation.duration_ms=10"])
    a.run(steps=50)
    same = npl.Network.from_file(COBA, ["simulation.duration_ms=10"])
    same.load(a.save())
    assert same.t == 50 and same.spike_hash == a.spike_hash
    for overrides, what in [
        (["simulation.seed=2"], "simulation.seed"),
        (["populations.exc.n=3000"], "the populations"),
        (["record.inh.rate.bin_ms=10.0"], "the recordings"),
    ]:
        other = npl.Network.from_file(COBA, ["simulation.duration_ms=10", *overrides])
        with pytest.raises(npl.ConfigError, match=what):
            other.load(a.save())
        assert other.t == 0, "nothing changed"
    with pytest.raises(npl.CheckpointError):
        same.load(b"NPLAST nothing")


def test_profile_and_neo():
    neo = pytest.importorskip("neo")
    net = npl.Network.from_file(COBA)
    net.run(steps=100)
    rec = net.run(steps=400, profile=True)
    prof = rec["profile"]
    assert prof and sum(p["share"] for p in prof.values()) == pytest.approx(1.0)
    assert rec["first_step"] == 100 and rec["last_step"] == 500
    seg = rec.to_neo()
    assert isinstance(seg, neo.Segment) and len(seg.spiketrains) == 3200 + 800
    st = seg.spiketrains[0]
    assert st.annotations["unit"] == 0 and st.annotations["population"] == "exc"
    assert float(st.t_start.rescale("ms")) == pytest.approx(10.0)
    assert float(st.t_stop.rescale("ms")) == pytest.approx(50.0)
    steps, ids = rec["spikes"]["exc"]
    np.testing.assert_allclose(st.rescale("ms").magnitude, steps[ids == 0] * 0.1)
    assert sum(len(s) for s in seg.spiketrains) == sum(len(v[0]) for v in rec["spikes"].values())
    assert len(rec.to_neo("inh").spiketrains) == 800
    with pytest.raises(KeyError, match="no spikes of 'nope'"):
        rec.to_neo(["nope"])


def test_interrupted_run_hands_over_its_recording():
    total = 40_000  # 4 s: several 50 ms slices
    net = npl.Network.from_file(COBA)
    whole = npl.Network.from_file(COBA).run(steps=total)

    def stop(done):
        raise KeyboardInterrupt  # Ctrl-C during the first slice

    with pytest.raises(KeyboardInterrupt) as info:
        net.run(steps=total, progress=stop)
    part = info.value.recording
    assert 0 < part["steps"] == net.t < total
    rest = net.run(steps=total - net.t)
    assert rest["steps"] == total - part["steps"]
    # the two pieces together are the uninterrupted run
    for pop, (steps, ids) in whole["spikes"].items():
        ps, pi = part["spikes"][pop]
        rs, ri = rest["spikes"][pop]
        assert len(ps) > 0 and len(rs) > 0
        assert np.array_equal(np.concatenate([ps, rs]), steps)
        assert np.array_equal(np.concatenate([pi, ri]), ids)
    assert rest["spike_hash"] == whole["spike_hash"]


def test_bad_file_names_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(COBA.read_text().replace('receptor = "excitatory"', 'receptor = "ampa"', 1))
    # a model's receptor names are checked when the network is built: by from_file, and by
    # load_experiment's run() / build() (load_experiment itself only reads the file)
    with pytest.raises(npl.ConfigError, match="receptor"):
        npl.Network.from_file(bad)
    with pytest.raises(npl.ConfigError, match="receptor"):
        npl.load_experiment(bad).run(steps=10)


REWARD_NET = """
[simulation]
dt_ms = 1.0
duration_ms = 1000.0
seed = 5

[populations.inputs]
model = "SpikeSourcePoisson"
n = 50
params = { rate = 20.0 }

[populations.out]
model = "Izhikevich"
n = 2
params = { integrator = "spnet" }

[projections.learn]
pre = "inputs"
post = "out"
connector = { kind = "all_to_all" }
receptor = "current"
weight = 1.0
delay_ms = 1.0
plasticity = { kind = "reward_stdp" }

[sources.drive]
population = "out"
waveform = { kind = "dc", amplitude = 5.0 }
"""


def test_reward_stdp_needs_reward_and_freeze_stops_it(tmp_path):
    path = tmp_path / "reward.toml"
    path.write_text(REWARD_NET)
    net = npl.Network.from_file(path)
    pre, post, delay = net.connections("learn")
    assert len(pre) == len(post) == len(delay) == 100 and set(delay.tolist()) == {1}
    w0 = net.weights("learn")
    net.run(steps=2000)
    assert net.spike_counts()["out"] > 0
    assert np.array_equal(net.weights("learn"), w0), "no reward, no change"
    assert net.reward(0.5) == 1
    net.run(steps=200)
    w1 = net.weights("learn")
    assert not np.array_equal(w1, w0)
    assert np.all((w1 >= 0.0) & (w1 <= 4.0))
    net.set_plastic("learn", False)
    net.reward(0.5, "learn")
    net.run(steps=500)
    assert np.array_equal(net.weights("learn"), w1), "frozen"
    with pytest.raises(npl.ConfigError, match="no projection"):
        net.set_plastic("nope", True)
    with pytest.raises(KeyError, match="no projection"):
        net.weights("nope")


def test_protocol_files_load_and_validate():
    chars = ROOT / "examples" / "characters.toml"
    exp = npl.load_experiment(chars, ["simulation.seed=2"])
    assert exp.kind == "protocol" and exp.seed == 2
    with pytest.raises(ValueError, match="not a protocol"):
        npl.run_protocol(COBA)
    with pytest.raises(npl.ConfigError, match="protocol.spectrum_s"):
        npl.run_protocol(ROOT / "examples" / "polychronization.toml", ["protocol.spectrum_s=0"])
    with pytest.raises(npl.ConfigError, match="steps"):
        exp.run(steps=10)  # a protocol's phases set its length
    with pytest.raises(ValueError, match="protocol"):
        exp.build()


def test_run_protocol_matches_the_cli(cli, tmp_path):
    chars = ROOT / "examples" / "characters.toml"
    r = npl.run_protocol(chars, ["simulation.seed=2"])
    out = tmp_path / "chars"
    subprocess.run(
        [cli, "run", str(chars), "--seed", "2", "--out", str(out), "-q"], check=True
    )
    results = json.loads((out / "summary.json").read_text())["results"]
    for key in ("score", "permutation", "response", "accepted"):
        assert r[key] == results[key], key
    assert r["score"]["total_correct"] >= 0.875
    poly = npl.run_protocol(
        ROOT / "examples" / "polychronization.toml",
        ["protocol.duration_s=2", "protocol.spectrum_s=1"],
    )
    assert poly["duration_s"] == 2 and len(poly["rates"]) == 1


def test_equation_model_file_runs_from_python():
    # examples/cuba_equations.toml: Brian2's CUBA model string in a [models.CUBA] table; its
    # golden hash is the CLI test's (crates/neuroplast-config/tests/equations.rs)
    net = npl.Network.from_file(ROOT / "examples" / "cuba_equations.toml")
    assert net.run(steps=10_000)["spike_hash"] == "8f720616939357d8"
    v = net.state("exc", "v")
    assert v.shape == (3200,) and -80.0 < v.min() and v.max() <= -50.0  # reset -60 mV, inhibition to about -72 mV
