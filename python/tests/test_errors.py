"""Every error class, with a message that names the parameter and the value."""

import numpy as np
import pytest

import neuroplast
from neuroplast.sorn import Sorn


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
