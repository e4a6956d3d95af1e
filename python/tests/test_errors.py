"""Every error class, with a message that names the parameter and the value."""

from pathlib import Path

import numpy as np
import pytest

import neuroplast
from neuroplast.sorn import Sorn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_hierarchy():
    for cls in (neuroplast.ConfigError, neuroplast.ShapeError, neuroplast.RuleError,
                neuroplast.CheckpointError):
        assert issubclass(cls, neuroplast.NeuroplastError)
    assert issubclass(neuroplast.NeuroplastError, Exception)


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="nosie_sigma"):
        Sorn(nosie_sigma=0.1)


@pytest.mark.parametrize(
    "kwargs, path, value",
    [
        ({"noise_sigma": -0.5}, "sorn.noise_sigma", "-0.5"),
        ({"h_ip": 1.5}, "sorn.h_ip", "1.5"),
        ({"ne": 0}, "sorn.ne", "0"),
        ({"preset": "lazar2010"}, "sorn.preset", "lazar2010"),
        ({"w_ee": {"kind": "bernoulli", "p": 1.2}}, "sorn.w_ee.p", "1.2"),
        ({"plasticity": ["stdp", "ipp"]}, "sorn.plasticity[1]", "ipp"),
    ],
)
def test_config_error_names_parameter_and_value(kwargs, path, value):
    with pytest.raises(neuroplast.ConfigError) as e:
        Sorn(**kwargs)
    assert e.value.path == path
    assert path in str(e.value) and value in str(e.value)


def test_rule_error_names_the_rule():
    net = Sorn(ne=40)
    with pytest.raises(neuroplast.RuleError, match="hebb") as e:
        net.run(5, freeze=["stdp", "hebb"])
    assert e.value.path == "freeze[1]"
    with pytest.raises(neuroplast.RuleError, match="stpd"):
        net.freeze("stpd")
    # The failed calls changed nothing.
    assert net.t == 0 and "stdp" in net.active_rules


def test_shape_error_names_the_array():
    net = Sorn(ne=40)
    with pytest.raises(neuroplast.ShapeError, match="inputs") as e:
        net.run(10, inputs=np.zeros((9, 3)))
    assert "(9, 3)" in str(e.value)
    assert net.t == 0


def test_bad_recording_name():
    with pytest.raises(neuroplast.ConfigError, match="record\\[1\\].*spikez"):
        Sorn(ne=40).run(5, record=["activity", "spikez"])


def test_checkpoint_error(tmp_path):
    p = tmp_path / "junk.bin"
    p.write_bytes(b"not a checkpoint")
    with pytest.raises(neuroplast.CheckpointError, match="checkpoint"):
        Sorn.load(p)


def test_experiment_file_errors_name_the_key(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[simulation]\nsteps = 100\n[sorn]\npreset = "delpapa2017"\nne = 40\nnoise_sigma = "loud"\n')
    with pytest.raises(neuroplast.ConfigError) as e:
        neuroplast.load_experiment(p)
    assert e.value.path == "sorn.noise_sigma" and "loud" in str(e.value)


def test_a_bad_value_for_a_known_keyword_is_a_config_error():
    with pytest.raises(neuroplast.ConfigError, match="unknown variant `maybe`") as e:
        Sorn(threshold_test="maybe")
    assert e.value.path == "sorn.threshold_test"
    # values that are no parameter value at all are named by their key path too
    for kwargs, path in [
        ({"noise_sigma": None}, "sorn.noise_sigma"),
        ({"w_ee": {"kind": "bernoulli", "p": object()}}, "sorn.w_ee.p"),
        ({"ip_clamp": [0.0, None]}, "sorn.ip_clamp[1]"),
        ({"eta_stdp": 2**70}, "sorn.eta_stdp"),
        ({"w_ee": {1: 2}}, "sorn.w_ee"),
    ]:
        with pytest.raises(neuroplast.ConfigError) as e:
            Sorn(**kwargs)
        assert e.value.path == path, kwargs
        assert str(e.value).startswith(path + ":")


def test_every_damaged_checkpoint_byte_is_a_checkpoint_error():
    good = Sorn(ne=10).state_dict()["checkpoint"]
    for i in range(0, len(good), max(1, len(good) // 97)):
        b = bytearray(good)
        b[i] ^= 0xFF
        with pytest.raises(neuroplast.CheckpointError):
            Sorn.load(bytes(b))


def test_counts_and_progress_are_checked_before_running():
    net = neuroplast.Network.from_file(EXAMPLES / "coba.toml", "simulation.duration_ms=10")
    for kwargs, cls, match in [
        ({"steps": 2.5}, neuroplast.ConfigError, "steps: must be a whole number"),
        ({"steps": -1}, neuroplast.ConfigError, "steps: must be ≥ 0"),
        ({"duration_ms": -1.0}, neuroplast.ConfigError, "duration_ms: must be ≥ 0"),
        ({"steps": 5, "progress": "yes"}, TypeError, "progress"),
    ]:
        with pytest.raises(cls, match=match):
            net.run(**kwargs)
    assert net.t == 0
    assert net.run(steps=5, progress=True)["steps"] == 5
    with pytest.raises(neuroplast.ConfigError, match="threads: must be ≥ 1"):
        net.set_threads(-1)
    s = Sorn(ne=20)
    s.freeze(["stdp", "ip"])
    assert "stdp" not in s.active_rules and "ip" not in s.active_rules
    with pytest.raises(neuroplast.ConfigError, match="steps: must be a whole number"):
        s.run(1.5)


def test_analyses_refuse_values_they_would_wrap():
    from neuroplast import analysis

    for call, match in [
        (lambda: analysis.avalanches(np.array([-1, 3, 0, 5])), r"activity: values must be in \[0, \d+\], got -1"),
        (lambda: analysis.avalanches(np.array([0.5, 0.25])), "activity: expected whole numbers, got 0.5"),
        (lambda: analysis.avalanches(np.zeros((3, 3))), "activity: expected a 1-D array"),
        (lambda: analysis.spike_statistics(np.array([[256, 0], [0, 1]])), r"raster: values must be in \[0, 1\], got 256"),
        (lambda: analysis.fano_factor(np.zeros((10, 2)), -1, 2), "unit: must be ≥ 0"),
    ]:
        with pytest.raises(neuroplast.ConfigError, match=match):
            call()
    assert analysis.avalanches(np.array([0.0, 3.0, 0.0, 5.0, 5.0, 0.0])).durations.tolist() == [1, 2]


def test_loading_and_recording_mistakes_are_named():
    with pytest.raises(neuroplast.ConfigError, match="nope.toml: cannot read file"):
        neuroplast.Network.from_file("nope.toml")
    with pytest.raises(TypeError, match="expected a path, bytes or a state_dict, got int"):
        Sorn.load(3)
    s = Sorn(ne=20)
    assert Sorn.load(memoryview(s.state_dict()["checkpoint"])).t == s.t
    with pytest.raises(neuroplast.ConfigError, match="seed: must be < 2"):
        Sorn(seed=2**64)
    with pytest.raises(neuroplast.ConfigError, match="takes no ':k'"):
        s.run(5, record=["activity:5"])
    with pytest.raises(neuroplast.ConfigError, match="asked for twice"):
        s.run(5, record=["spikes", "spikes:2"])
    with pytest.raises(neuroplast.ConfigError, match=r"record\['thresholds'\]: must be ≥ 1"):
        s.run(5, record={"thresholds": 0})
