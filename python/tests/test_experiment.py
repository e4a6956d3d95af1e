"""Python and the CLI run the same experiment file to the same spikes."""

import json
import subprocess

import numpy as np

import neuroplast

TOML = """
[simulation]
steps = 3000
seed = 7

[sorn]
preset = "lazar2009"
ne = 80

[input]
kind = "symbols"
units_per_symbol = 4
sequence = { kind = "counting", n = 3 }

[[schedule]]
step = 2000
freeze = ["stdp", "ip"]

[record]
activity = true
spikes = { last_steps = 100 }

[output]
plots = false
"""


def test_python_and_cli_give_the_same_spike_hash(tmp_path, cli):
    exp_path = tmp_path / "exp.toml"
    exp_path.write_text(TOML)
    subprocess.run([cli, "run", str(exp_path), "--out", str(tmp_path / "out"), "-q"], check=True)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())

    exp = neuroplast.load_experiment(exp_path)
    assert exp.steps == 3000
    res = exp.run()
    assert res["steps"] == 3000
    assert res["spike_hash"] == summary["spike_hash"]
    cli_activity = np.load(tmp_path / "out" / "activity_e.npy")
    np.testing.assert_array_equal(res["activity_e"], cli_activity)
    # The spike window holds the last 100 steps, as the CLI's.
    cli_spikes = np.load(tmp_path / "out" / "spikes" / "e.npz")
    np.testing.assert_array_equal(res["spikes_e"]["neuron"], cli_spikes["neuron"])


def test_overrides_and_build(tmp_path):
    exp_path = tmp_path / "exp.toml"
    exp_path.write_text(TOML)
    exp = neuroplast.load_experiment(exp_path, ["simulation.seed=8"])
    assert "seed = 8" in exp.resolved_toml()
    net = exp.build()
    net.run(3000, record=())
    assert net.spike_hash == exp.run()["spike_hash"]
