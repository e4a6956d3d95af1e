"""neuroplast.sorn.Sorn: recordings (dtypes, shapes, zero copy), determinism, freezing,
inputs, save/load continuation."""

import numpy as np
import pytest

import neuroplast
from neuroplast.sorn import Sorn


def test_recordings_have_documented_dtypes_and_shapes():
    net = Sorn(preset="delpapa2017", ne=60, seed=3)
    rec = net.run(
        500,
        record={"activity": True, "spikes": True, "connection_fraction": 100,
                "thresholds": 250, "weights": 500},
    )
    # 0-based steps: the call recorded steps 0 … 499
    assert rec["first_step"] == 0 and rec["last_step"] == 500
    assert rec["activity_e"].dtype == np.uint32 and rec["activity_e"].shape == (500,)
    assert rec["activity_i"].dtype == np.uint32 and rec["activity_i"].shape == (500,)
    e = rec["spikes_e"]
    assert e["step"].dtype == np.uint64 and e["neuron"].dtype == np.uint32
    assert e["step"].shape == e["neuron"].shape
    # Spikes and activity agree step by step (a spike of step t: active after update t).
    counts = np.bincount(e["step"].astype(np.int64), minlength=500)
    np.testing.assert_array_equal(counts, rec["activity_e"])
    assert e["neuron"].max() < 60
    # Periodic samples at t % k == 0, including the state before the first step.
    np.testing.assert_array_equal(rec["connection_fraction_steps"], [0, 100, 200, 300, 400, 500])
    assert rec["connection_fraction"].dtype == np.float64
    assert rec["thresholds"].shape == (3, 60)
    np.testing.assert_array_equal(rec["thresholds_steps"], [0, 250, 500])
    assert [w["step"] for w in rec["weights"]] == [0, 500]
    w = rec["weights"][-1]
    assert w["ee_post"].dtype == np.uint32 and w["ee_w"].dtype == np.float64
    # Every non-empty E→E row sums to 1 after normalisation.
    sums = np.bincount(w["ee_post"], weights=w["ee_w"], minlength=60)
    np.testing.assert_allclose(sums[sums > 0], 1.0, atol=1e-9)


def test_recordings_are_not_copies():
    rec = Sorn(ne=50, seed=1).run(100)
    a = rec["activity_e"]
    # Handed over from Rust: numpy does not own the buffer, a Rust container does.
    assert not a.flags.owndata
    assert a.base is not None and type(a.base).__name__ != "ndarray"
    assert a.flags.writeable


def test_same_seed_same_spikes_other_seed_other_spikes():
    a = Sorn(ne=80, seed=5)
    b = Sorn(ne=80, seed=5)
    c = Sorn(ne=80, seed=6)
    for net in (a, b, c):
        net.run(300, record=())
    assert a.spike_hash == b.spike_hash != c.spike_hash
    # Splitting a run into calls changes nothing.
    d = Sorn(ne=80, seed=5)
    d.run(100, record=())
    d.run(1, record=())
    d.run(199, record=())
    assert d.spike_hash == a.spike_hash and d.t == 300


def test_threads_do_not_change_results():
    a = Sorn(ne=300, seed=2, threads=1)
    b = Sorn(ne=300, seed=2, threads=2)
    a.run(200, record=())
    b.run(200, record=())
    assert a.spike_hash == b.spike_hash


def test_save_load_continues_identically(tmp_path):
    net = Sorn(preset="zheng2013", ne=60, seed=4)
    net.run(300, record=())
    net.save(tmp_path / "state.bin")
    copy = Sorn.load(tmp_path / "state.bin")
    assert copy.t == 300 and copy.spike_hash == net.spike_hash
    r1 = net.run(400, record=["activity", "spikes"])
    r2 = copy.run(400, record=["activity", "spikes"])
    np.testing.assert_array_equal(r1["activity_e"], r2["activity_e"])
    np.testing.assert_array_equal(r1["spikes_e"]["neuron"], r2["spikes_e"]["neuron"])
    assert net.spike_hash == copy.spike_hash
    s1, s2 = net.state_dict(), copy.state_dict()
    for k in ("x", "y", "te", "ti", "w_ee_w", "w_ee_pre", "w_ei_w"):
        np.testing.assert_array_equal(s1[k], s2[k])


def test_state_dict_round_trip_continues_identically():
    net = Sorn(preset="delpapa2017", ne=60, seed=9)
    net.run(250, record=())
    sd = net.state_dict()
    copy = Sorn.load(sd)
    assert Sorn.load(sd["checkpoint"]).spike_hash == net.spike_hash
    a = net.run(300, record=["spikes"])
    b = copy.run(300, record=["spikes"])
    np.testing.assert_array_equal(a["spikes_e"]["neuron"], b["spikes_e"]["neuron"])
    assert net.spike_hash == copy.spike_hash


def test_state_dict_shapes():
    s = Sorn(preset="lazar2009", ne=50, seed=1).state_dict()
    assert s["x"].shape == (50,) and s["y"].shape == (10,)
    assert s["te"].dtype == np.float64 and s["ti"].shape == (10,)
    assert s["w_ee_shape"] == (50, 50) and s["w_ei_shape"] == (50, 10)
    assert s["w_ie_shape"] == (10, 50)
    assert len(s["w_ie_w"]) == 500  # dense I←E
    assert s["t"] == 0 and s["active_rules"] == ["ip", "stdp", "sn"]


def test_freeze_for_one_call_and_for_good():
    net = Sorn(preset="delpapa2017", ne=60, seed=1)
    before = net.state_dict()["te"]
    net.run(50, record=(), freeze=["ip"])
    # IP was frozen during the call: thresholds unchanged; afterwards it is on again.
    np.testing.assert_array_equal(net.state_dict()["te"], before)
    assert "ip" in net.active_rules
    net.freeze("stdp", "sp")
    assert "stdp" not in net.active_rules and "sp" not in net.active_rules
    w = net.state_dict()["w_ee_w"]
    net.run(50, record=(), freeze="istdp")
    assert "istdp" in net.active_rules
    # STDP and SP off, SN idempotent: the E→E weights did not move.
    np.testing.assert_allclose(net.state_dict()["w_ee_w"], w, rtol=0, atol=1e-15)
    net.unfreeze("stdp")
    assert "stdp" in net.active_rules


def test_inputs_drive_the_given_units():
    net = Sorn(preset="lazar2009", ne=50, seed=2, plasticity=[])
    u = np.zeros((20, 5))
    u[:, :] = 100.0  # units 0..4 forced on every step
    rec = net.run(20, inputs=u, record=["spikes"])
    on = rec["spikes_e"]["neuron"]
    steps = rec["spikes_e"]["step"]
    for t in range(20):  # 0-based: the updates 0 … 19 of this call
        assert set(range(5)) <= set(on[steps == t].tolist())


def test_progress_callback_sees_every_step():
    seen = []
    Sorn(ne=50, seed=1).run(5000, record=(), progress=seen.append)
    assert seen and seen[-1] == 5000 and seen == sorted(seen)


def test_presets_listed():
    assert set(neuroplast.PRESETS) == {"lazar2009", "zheng2013", "delpapa2017", "sorn-package"}
    assert "noise_sigma" in Sorn(preset="sorn-package", ne=40).params()


def test_to_neo_gives_one_spike_train_per_unit():
    neo = pytest.importorskip("neo")
    net = Sorn(ne=50, seed=1)
    net.run(100, record=())
    rec = net.run(300, record=["spikes"])
    seg = rec.to_neo("e", dt_ms=1.0)
    assert isinstance(seg, neo.Segment) and len(seg.spiketrains) == 50
    total = sum(len(st) for st in seg.spiketrains)
    assert total == len(rec["spikes_e"]["step"])
    st = seg.spiketrains[0]
    assert float(st.t_start.rescale("ms")) == 100.0 and float(st.t_stop.rescale("ms")) == 400.0
    own = rec["spikes_e"]["step"][rec["spikes_e"]["neuron"] == 0]
    np.testing.assert_array_equal(st.magnitude, own.astype(float))
    assert len(rec.to_neo("i").spiketrains) == 10
    with pytest.raises(KeyError, match="spikes"):
        net.run(5, record=["activity"]).to_neo()


def test_progress_true_draws_a_tqdm_bar(capsys):
    pytest.importorskip("tqdm")
    Sorn(ne=50, seed=1).run(3000, record=(), progress=True)
    err = capsys.readouterr().err
    assert "3000/3000" in err


def test_interrupted_run_hands_over_its_recording():
    total = 50_000  # several 50 ms slices
    straight = Sorn(ne=200, seed=4)
    whole = straight.run(total, record=["activity", "spikes"])
    net = Sorn(ne=200, seed=4)

    def stop(done):
        raise KeyboardInterrupt  # Ctrl-C after the first slice

    with pytest.raises(KeyboardInterrupt) as info:
        net.run(total, record=["activity", "spikes"], progress=stop)
    part = info.value.recording
    assert 0 < part["last_step"] == net.t < total
    assert len(part["activity_e"]) == net.t
    rest = net.run(total - net.t, record=["activity", "spikes"])
    # the two pieces together are the uninterrupted run
    for key in ["activity_e", "activity_i"]:
        assert np.array_equal(np.concatenate([part[key], rest[key]]), whole[key])
    assert net.spike_hash == straight.spike_hash


def test_seeds_span_the_whole_u64_range():
    # Typed values across the boundary: a seed never passes through a TOML integer.
    top = 2**64 - 1
    a = Sorn(ne=40, seed=top)
    b = Sorn(ne=40, seed=np.uint64(top))
    c = Sorn(ne=40, seed=2**63 - 1)  # top mod 2^63: a truncated seed would equal it
    d = Sorn(ne=40, seed=2**63)
    for net in (a, b, c, d):
        net.run(300, record=())
    assert a.spike_hash == b.spike_hash
    assert len({a.spike_hash, c.spike_hash, d.spike_hash}) == 3
    assert Sorn.load(a.state_dict()).spike_hash == a.spike_hash
    with pytest.raises(neuroplast.ConfigError, match="seed: must be < 2\\^64"):
        Sorn(seed=2**64)


def test_keywords_are_typed_values():
    # numpy scalars and arrays, tuples and nested dicts are values like their Python twins
    plain = Sorn(preset="lazar2009", ne=50, seed=2, noise_sigma=0.01, ip_clamp=[0.0, 1.0],
                 w_ee={"kind": "bernoulli", "p": 0.1}, plasticity=["stdp", "ip"])
    typed = Sorn(preset="lazar2009", ne=np.int64(50), seed=2, noise_sigma=np.float64(0.01),
                 ip_clamp=np.array([0.0, 1.0]), w_ee={"kind": "bernoulli", "p": np.float64(0.1)},
                 plasticity=("stdp", "ip"))
    for net in (plain, typed):
        net.run(200, record=())
    assert plain.spike_hash == typed.spike_hash
    assert set(typed.active_rules) == {"ip", "stdp"}
    assert "noise_sigma = 0.01" in plain.params()


def test_spike_window_is_the_last_steps_of_the_call():
    net = Sorn(ne=50, seed=1)
    net.run(30, record=())
    whole = Sorn(ne=50, seed=1)
    whole.run(30, record=())
    full = whole.run(10_000, record=["spikes"])
    last = net.run(10_000, record=["spikes:7"])
    keep = full["spikes_e"]["step"] >= 30 + 10_000 - 7
    np.testing.assert_array_equal(last["spikes_e"]["step"], full["spikes_e"]["step"][keep])
    np.testing.assert_array_equal(last["spikes_e"]["neuron"], full["spikes_e"]["neuron"][keep])
    assert set(last["spikes_e"]["step"].tolist()) <= set(range(10_023, 10_030))


def test_profile_and_summary():
    net = Sorn(ne=50, seed=1)
    rec = net.run(500, record=(), profile=True)
    prof = rec["profile"]
    assert list(prof) and all(set(v) == {"seconds", "share"} for v in prof.values())
    assert sum(v["share"] for v in prof.values()) == pytest.approx(1.0)
    assert "profile" not in net.run(5, record=())
    s = net.summary()
    assert s["steps"] == 505 and s["spike_hash"] == net.spike_hash and s["ne"] == 50
