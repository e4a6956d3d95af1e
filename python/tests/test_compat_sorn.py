"""neuroplast.compat.sorn: the `sorn` 0.7.4 README usage with only the import changed, its
state-dict shapes, freeze and callbacks, and no parameter leaks between calls."""

import numpy as np
import pytest

from neuroplast.compat.sorn import Simulator, Trainer

SHAPES = {"Wee": (200, 200), "Wei": (40, 200), "Wie": (200, 40), "Te": (200, 1),
          "Ti": (40, 1), "X": (200, 2), "Y": (40, 2)}


def test_readme_usage_runs_unchanged_apart_from_the_import():
    # sorn 0.7.4's README, verbatim except for the import line (`from sorn import Simulator`).
    from neuroplast.compat.sorn import Simulator
    import numpy as np

    # Sample input
    num_features = 10
    time_steps = 200
    inputs = np.random.rand(num_features,time_steps)

    # Simulate the network with default hyperparameters under gaussian white noise
    state_dict, sim_dict = Simulator.run(inputs=inputs, phase='plasticity',
                                         state=None, noise=True,
                                         timesteps=time_steps,
                                         callbacks=["ExcitatoryActivation",
                                                    "WEE",
                                                    "EEConnectionCounts"])

    assert {k: v.shape for k, v in state_dict.items()} == SHAPES
    assert set(sim_dict) == {"ExcitatoryActivation", "WEE", "EEConnectionCounts"}
    assert all(len(v) == time_steps for v in sim_dict.values())
    plastic = state_dict

    from neuroplast.compat.sorn import Trainer
    # NOTE: During training phase, input to `sorn` should have second (time) dimension set to 1. ie., input shape should be (input_features,1).

    inputs = np.random.rand(num_features,1)

    # SORN network is frozen during training phase
    # (sorn itself crashes here: ne=100 with a 200-unit state; neuroplast warns and keeps 200)
    with pytest.warns(UserWarning, match="ne = 100 ignored"):
        state_dict, sim_dict = Trainer.run(inputs= inputs, phase='training',
                                           state=state_dict, noise=False,
                                           timesteps=1,
                                           ne=100, nu=num_features,
                                           lambda_ee=10, eta_stdp=0.001,
                                           callbacks=["InhibitoryActivation",
                                                      "WEI",
                                                      "EIConnectionCounts"] )

    assert {k: v.shape for k, v in state_dict.items()} == SHAPES
    assert sim_dict["InhibitoryActivation"][0].shape == (40,)
    assert sim_dict["WEI"][0].shape == (40, 200)
    assert sim_dict["EIConnectionCounts"] == [int((plastic["Wei"] > 0).sum())]
    # Frozen during training: the weights are those of the plasticity phase; x(t−1) is the
    # state the call started from.
    np.testing.assert_array_equal(state_dict["Wee"], plastic["Wee"])
    np.testing.assert_array_equal(state_dict["X"][:, 0], plastic["X"][:, 1])
    # Without callbacks the second value is empty, as in sorn.
    _, values = Simulator.run(inputs=np.random.rand(10, 10), state=state_dict, timesteps=10)
    assert values == {}


def test_weights_are_pre_by_post_and_normalised_per_postsynaptic_unit():
    state, _ = Simulator.run(inputs=np.random.rand(10, 50), timesteps=50)
    # Columns (postsynaptic units) sum to 1 after synaptic scaling.
    for key in ("Wee", "Wei", "Wie"):
        sums = state[key].sum(axis=0)
        np.testing.assert_allclose(sums[sums > 0], 1.0, atol=1e-9)
    assert np.all(np.diag(state["Wee"]) == 0)


def test_state_and_activation_callbacks_agree():
    state, obs = Simulator.run(
        inputs=np.random.rand(10, 30), timesteps=30,
        callbacks=["ExcitatoryActivation", "InhibitoryActivation", "TE", "TI"],
    )
    np.testing.assert_array_equal(state["X"][:, 1], obs["ExcitatoryActivation"][-1])
    np.testing.assert_array_equal(state["X"][:, 0], obs["ExcitatoryActivation"][-2])
    np.testing.assert_array_equal(state["Y"][:, 1], obs["InhibitoryActivation"][-1])
    np.testing.assert_array_equal(state["Te"], obs["TE"][-1])
    np.testing.assert_array_equal(state["Ti"], obs["TI"][0])


def test_recurrent_activation_is_the_drive_without_input():
    # Input so strong that units 0…9 always fire; the recurrent activation ignores it.
    state, obs = Simulator.run(
        inputs=np.full((10, 40), 100.0), timesteps=40,
        callbacks=["ExcitatoryActivation", "RecurrentActivation"],
    )
    x = np.array(obs["ExcitatoryActivation"])
    r = np.array(obs["RecurrentActivation"])[:, :, 0]
    assert r.shape == (40, 200)
    assert np.all(x[:, :10] == 1)
    np.testing.assert_array_equal(x[:, 10:], r[:, 10:])  # no input there: the same state
    assert not np.all(r[:, :10] == 1)


def test_freeze_everything_is_a_static_reservoir():
    state, _ = Simulator.run(inputs=np.random.rand(10, 100), timesteps=100)
    frozen, obs = Simulator.run(
        inputs=np.random.rand(10, 100), state=state, timesteps=100,
        freeze=["stdp", "ip", "sp", "istdp", "ss"], callbacks=["EEConnectionCounts"],
    )
    for k in ("Wee", "Wei", "Wie", "Te", "Ti"):
        np.testing.assert_array_equal(frozen[k], state[k])
    assert obs["EEConnectionCounts"] == [int((state["Wee"] > 0).sum())] * 100
    # Freezing only IP keeps the thresholds; the weights still learn.
    ip, _ = Simulator.run(inputs=np.random.rand(10, 100), state=state, timesteps=100, freeze=["ip"])
    np.testing.assert_array_equal(ip["Te"], state["Te"])
    assert not np.array_equal(ip["Wee"], state["Wee"])


def test_parameters_do_not_leak_between_calls():
    small, _ = Simulator.run(inputs=np.random.rand(10, 10), timesteps=10, ne=60)
    assert small["Wee"].shape == (60, 60) and small["Wei"].shape == (12, 60)
    default, _ = Simulator.run(inputs=np.random.rand(10, 10), timesteps=10)
    assert default["Wee"].shape == (200, 200)


def test_seeded_numpy_makes_calls_reproducible():
    def once():
        np.random.seed(3)
        return Simulator.run(inputs=np.ones((10, 50)), timesteps=50)[0]
    a, b = once(), once()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_bad_arguments_are_errors():
    with pytest.raises(TypeError, match="lambda_eee"):
        Simulator.run(timesteps=5, lambda_eee=3)
    with pytest.raises(TypeError, match="timesteps"):
        Simulator.run(inputs=np.random.rand(10, 5))
    with pytest.raises(ValueError, match="freeze"):
        Simulator.run(timesteps=5, freeze=["hebb"])
    with pytest.raises(ValueError, match="callback"):
        Simulator.run(timesteps=5, callbacks=["WIE"])  # in sorn's README, not in its code
    with pytest.raises(ValueError, match="training"):
        Trainer.run(timesteps=5, phase="training")
    with pytest.raises(ValueError, match=r"\(10, 5\)"):
        Simulator.run(inputs=np.random.rand(3, 5), timesteps=5)


def test_joss_paper_usage_runs_unchanged_apart_from_the_import():
    # The sorn JOSS paper's "Sample Simulation/Training methods", verbatim but for the imports.
    import numpy
    from neuroplast.compat.sorn import Simulator, Trainer

    np = numpy
    # Sample input
    num_features = 10
    time_steps = 200
    inputs = numpy.random.rand(num_features,time_steps)

    state_dict,E,I,R,C=Simulator.simulate_sorn(inputs=inputs,phase='plasticity',

                                            matrices=None,noise=True,

                                            time_steps=time_steps,_ne=200,

                                            _nu=num_features)
    assert len(E) == len(I) == len(R) == len(C) == time_steps
    assert E[0].shape == (200,) and I[0].shape == (40,) and R[0].shape == (200, 1)

    state_dict,E,I,R,C=Simulator.simulate_sorn(inputs=inputs,phase='plasticity',

                                            matrices=state_dict, noise=True,

                                            time_steps=time_steps,

                                            _ne = 200,_nu=num_features)

    inputs = np.random.rand(num_features,1)

    # Under all plasticity mechanisms
    state_dict,E,I,R,C=Trainer.train_sorn(inputs=inputs,phase='plasticity',

                                        matrices=state_dict,

                                        _nu=num_features,time_steps=1)

    # Resume the training without any plasticity mechanisms
    before = state_dict
    state_dict,E,I,R,C=Trainer.train_sorn(inputs=inputs,phase='training',

                                        matrices=state_dict,

                                        _nu=num_features,time_steps=1)
    np.testing.assert_array_equal(state_dict["Wee"], before["Wee"])

    state_dict,E,I,R,C=Trainer.train_sorn(inputs=inputs,phase='plasticity',

                                        matrices=None,noise=True,

                                        time_steps=1,_ne=200,

                                        _nu=num_features,freeze=['ip'])
    assert {k: v.shape for k, v in state_dict.items()} == SHAPES
    with pytest.raises(TypeError, match="_nee"):
        Simulator.simulate_sorn(inputs=inputs, time_steps=1, _nee=5)


def test_small_networks_and_bad_states_are_refused_clearly():
    import neuroplast

    with pytest.raises(neuroplast.ConfigError, match=r"ne must be > 2·nu = 20"):
        Simulator.run(inputs=np.random.rand(10, 5), timesteps=5, ne=20)
    state, _ = Simulator.run(inputs=np.random.rand(10, 5), timesteps=5)
    for key, edit, match in [
        ("Te", lambda a: a.__setitem__(3, np.nan), r"te\[3\]: bad value NaN"),
        ("Wee", lambda a: a.__setitem__((1, 2), -0.5), r"w_ee\[\d+, \d+\]: bad value -0.5"),
        ("Wee", lambda a: a.__setitem__((4, 4), 0.3), r"no self-connections"),
        ("X", lambda a: a.__setitem__(0, 0.5), r"x\[0\]: bad value 0.5; allowed: 0 or 1"),
    ]:
        bad = {k: np.array(v, copy=True) for k, v in state.items()}
        edit(bad[key])
        with pytest.raises(neuroplast.ConfigError, match=match):
            Simulator.run(inputs=np.random.rand(10, 5), state=bad, timesteps=5)
