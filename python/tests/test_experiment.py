"""Python and the CLI run the same experiment file to the same spikes."""

import json
import subprocess

import numpy as np
import pytest

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
    assert exp.kind == "sorn" and exp.steps == 3000 and exp.seed == 7 and exp.dt_ms is None
    res = exp.run()
    assert isinstance(res, neuroplast.RunResult) and res.kind == "sorn"
    # the summary has the CLI's entries from the experiment and the engine
    for key in ("kind", "preset", "seed", "steps", "spike_hash", "ne", "ni", "mean_rate_e",
                "mean_rate_i", "connection_fraction_ee", "synapses", "mean_threshold_e",
                "active_rules", "activity_first_step", "spike_steps_from", "steps_this_run"):
        assert res.summary[key] == summary[key], key
    assert res.summary["spike_steps_from"] == 0 and res.summary["activity_first_step"] == 0
    rec = res.recording
    assert rec["steps"] == 3000 and rec["spike_hash"] == summary["spike_hash"]
    cli_activity = np.load(tmp_path / "out" / "activity_e.npy")
    np.testing.assert_array_equal(rec["activity_e"], cli_activity)
    # The spike window holds the last 100 steps, as the CLI's (0-based steps 2900 … 2999).
    cli_spikes = np.load(tmp_path / "out" / "spikes" / "e.npz")
    np.testing.assert_array_equal(rec["spikes_e"]["neuron"], cli_spikes["neuron"])
    np.testing.assert_array_equal(rec["spikes_e"]["step"], cli_spikes["step"])
    assert rec["spikes_e"]["step"].min() >= 2900
    # what the run ends with: the final weights, as the CLI's weights/final.npz
    final = np.load(tmp_path / "out" / "weights" / "final.npz")
    for k in ("ee_w", "ee_pre", "te"):
        np.testing.assert_array_equal(rec["arrays"]["weights/final"][k], final[k])


def test_overrides_and_build(tmp_path):
    exp_path = tmp_path / "exp.toml"
    exp_path.write_text(TOML)
    exp = neuroplast.load_experiment(exp_path, ["simulation.seed=8"])
    assert "seed = 8" in exp.resolved_toml()
    net = exp.build()
    net.run(3000, record=())
    assert net.spike_hash == exp.run().summary["spike_hash"]


def test_steps_threads_and_profile(tmp_path):
    exp_path = tmp_path / "exp.toml"
    exp_path.write_text(TOML)
    exp = neuroplast.load_experiment(exp_path)
    short = exp.run(steps=500, threads=2, profile=True)
    assert short.summary["steps"] == 500 and short.summary["threads"] == 2
    assert len(short.recording["activity_e"]) == 500
    prof = short.summary["profile"]
    assert prof and sum(p["share"] for p in prof.values()) == pytest.approx(1.0)
    assert "profile" not in exp.run(steps=10).summary
    with pytest.raises(neuroplast.ConfigError, match="threads: must be ≥ 1"):
        exp.run(threads=0)


def test_interrupted_run_hands_over_its_recording(tmp_path):
    exp_path = tmp_path / "exp.toml"
    exp_path.write_text(TOML.replace("steps = 3000", "steps = 200000"))
    exp = neuroplast.load_experiment(exp_path)

    def stop(done):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as info:
        exp.run(progress=stop)
    part = info.value.recording
    assert 0 < part["steps"] == len(part["activity_e"]) < 200000
