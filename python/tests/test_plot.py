"""neuroplast.plot draws what it is given (matplotlib, Agg backend)."""

import numpy as np
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")

import neuroplast  # noqa: E402
from conftest import ROOT  # noqa: E402
from neuroplast import analysis, plot  # noqa: E402
from neuroplast.sorn import Sorn  # noqa: E402


@pytest.fixture(scope="module")
def rec():
    net = Sorn(preset="delpapa2017", ne=100, seed=1)
    r = net.run(20_000, record=["activity", "spikes"])
    r["w"] = net.state_dict()["w_ee_w"]
    return r


def test_raster_draws_every_spike_in_range(rec):
    ax = plot.raster(rec, start=19_001)
    n_e = int((rec["spikes_e"]["step"] >= 19_001).sum())
    n_i = int((rec["spikes_i"]["step"] >= 19_001).sum())
    offsets = [c.get_offsets() for c in ax.collections]
    assert [len(o) for o in offsets] == [n_e, n_i]
    assert offsets[1][:, 1].min() >= 100  # I units above the E units


def test_activity_and_weights(rec):
    ax = plot.activity(rec, ne=100)
    y = ax.lines[0].get_ydata()
    np.testing.assert_allclose(y, rec["activity_e"] / 100)
    ax = plot.weight_histogram(rec["w"])
    assert len(ax.patches) == 50 and "lognormal" in ax.lines[0].get_label()


def test_avalanche_distributions(rec):
    a = rec["activity_e"][5_000:]
    av = analysis.avalanches(a)
    rep = analysis.avalanche_report(a, duration_window=(2, 30), size_window=(3, 300))
    axes = plot.avalanche_distributions(av, rep)
    assert len(axes) == 2
    for ax in axes:
        assert len(ax.lines) == 2  # data and the fitted power law
        x, y = ax.lines[0].get_data()
        assert np.all(y > 0)


def test_raster_of_a_spiking_recording():
    net = neuroplast.Network.from_file(ROOT / "examples" / "coba.toml")
    rec = net.run(steps=1000)
    ax = plot.raster(rec, start=500)
    offsets = [c.get_offsets() for c in ax.collections]
    exc_steps, _ = rec["spikes"]["exc"]
    inh_steps, _ = rec["spikes"]["inh"]
    assert [len(o) for o in offsets] == [int((exc_steps >= 500).sum()), int((inh_steps >= 500).sum())]
    assert offsets[0][:, 0].min() >= 50.0  # ms: step 500 of 0.1 ms
    assert offsets[1][:, 1].min() >= 3200  # inh above the 3200 exc neurons
    assert ax.get_xlabel() == "time (ms)"


def test_rates_and_state_of_a_spiking_recording():
    net = neuroplast.Network.from_file(ROOT / "examples" / "coba.toml")
    rec = net.run(steps=1000)
    ax = plot.rates(rec)
    assert [l.get_label() for l in ax.get_lines()] == ["exc", "inh"]
    start, hz = rec["rate"]["exc"]
    x, y = ax.get_lines()[0].get_data()
    np.testing.assert_allclose(x, start * 0.1)  # ms
    np.testing.assert_array_equal(y, hz)
    ax = plot.state(rec, "exc.v")
    steps, neurons, v = rec["state"]["exc.v"]
    assert len(ax.get_lines()) == len(neurons) == 3
    np.testing.assert_array_equal(ax.get_lines()[1].get_data()[1], v[:, 1])
    with pytest.raises(KeyError, match="recorded"):
        plot.state(rec, "exc.w")
