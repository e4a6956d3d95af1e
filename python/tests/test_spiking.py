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
    net = npl.load_experiment(COBA)
    assert isinstance(net, npl.Network)
    rec = net.run(steps=1500)
    assert rec["spike_hash"] == summary["spike_hash"]
    steps, ids = rec["spikes"]["exc"]
    assert steps.dtype == np.uint64 and ids.dtype == np.uint32
    assert len(steps) == net.spike_counts()["exc"] > 0
    cli_spikes = np.load(out / "spikes" / "exc.npz")
    assert np.array_equal(cli_spikes["step"], steps) and np.array_equal(cli_spikes["neuron"], ids)


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


def test_bad_file_names_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(COBA.read_text().replace('receptor = "excitatory"', 'receptor = "ampa"', 1))
    with pytest.raises(npl.ConfigError, match="receptor"):
        npl.load_experiment(bad)
