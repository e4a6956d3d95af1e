"""neuroplast.analysis: hand-computed cases, and equality with the CLI's summary.json."""

import json
import math
import subprocess

import numpy as np
import pytest

import neuroplast
from neuroplast import analysis


def test_avalanches_by_hand():
    av = analysis.avalanches([0, 3, 0, 5, 5, 0])  # mean 13/6 → θ = 1
    assert av.theta == 1
    np.testing.assert_array_equal(av.durations, [1, 2])
    np.testing.assert_array_equal(av.sizes, [2, 8])
    # A run still open at the end is dropped; a fixed θ is used as given.
    av = analysis.avalanches([0, 4, 0, 4, 4], threshold=3)
    np.testing.assert_array_equal(av.durations, [1])


RASTER = np.array(
    [  # units: u0 = 101010, u1 = 101000, u2 silent
        [1, 1, 0],
        [0, 0, 0],
        [1, 1, 0],
        [0, 0, 0],
        [1, 0, 0],
        [0, 0, 0],
    ],
    dtype=np.uint8,
)


def test_spike_statistics_by_hand():
    st = analysis.spike_statistics(RASTER)
    np.testing.assert_allclose(st.rates, [0.5, 1 / 3, 0.0])
    assert st.network_rate == pytest.approx(5 / 18)
    assert st.isi_cv[0] == 0.0  # ISIs [2, 2]
    assert math.isnan(st.isi_cv[1]) and math.isnan(st.isi_cv[2])  # fewer than 3 spikes
    # Only u0 and u1 count (u2 is silent): cov = 2/6 − 1/2·1/3, sds 1/2 and √(2/9).
    assert st.mean_pairwise_correlation == pytest.approx((1 / 6) / (0.5 * math.sqrt(2 / 9)))
    # Spike shares 3/5 and 2/5; the silent unit adds 0 instead of NaN.
    h = (0.6 * math.log(0.6) + 0.4 * math.log(0.4)) / math.log(1 / 3)
    assert st.spike_source_entropy == pytest.approx(h)


def test_fano_factor_takes_the_window_length():
    f = analysis.fano_factor(RASTER, unit=0, window=2)
    assert f == (3, 1.0, 0.0, 0.0)
    f = analysis.fano_factor(RASTER, unit=1, window=3)  # counts 2, 0
    assert f.windows == 2 and f.mean == 1.0 and f.variance == 1.0 and f.fano == 1.0
    with pytest.raises(neuroplast.ConfigError, match="window"):
        analysis.fano_factor(RASTER, unit=0, window=4)


def test_hamming_and_series():
    b = RASTER.copy()
    b[3, 2] = 1
    np.testing.assert_array_equal(analysis.hamming_distance(RASTER, b), [0, 0, 0, 1, 0, 0])
    ac, smooth = analysis.series_statistics([1.0, 2.0, 3.0, 4.0, 5.0], lag=1)
    assert ac == pytest.approx(1.0) and smooth == 0.0


def test_weight_fits_by_hand():
    f = analysis.weight_fits([0.5, 1.0, 2.0, 1.0])  # ln w = [−ln 2, 0, ln 2, 0]
    assert f.n == 4 and abs(f.lognormal_mu) < 1e-15 and abs(f.log_skewness) < 1e-12
    assert f.lognormal_sigma == pytest.approx(math.log(2) / math.sqrt(2))
    with pytest.raises(neuroplast.ConfigError, match="> 0"):
        analysis.weight_fits([0.5, 0.0])


def test_avalanche_report_equals_the_cli(tmp_path, cli):
    toml = """
[simulation]
steps = 40000
seed = 2
[sorn]
preset = "delpapa2017"
ne = 50
[record]
activity = true
[output]
plots = false
checkpoint = false
[analysis]
avalanches = { discard_steps = 10000 }
"""
    p = tmp_path / "av.toml"
    p.write_text(toml)
    subprocess.run([cli, "run", str(p), "--out", str(tmp_path / "out"), "-q"], check=True)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    cli_rep = summary["analysis"]["avalanches"]
    activity = np.load(tmp_path / "out" / "activity_e.npy")[10000:]
    rep = analysis.avalanche_report(activity, ne=50)
    assert rep["count"] == cli_rep["count"]
    assert rep["duration"] == cli_rep["duration"]
    assert rep["size"] == cli_rep["size"]
    # Pooling two runs: counts add, the fit is over both.
    av = analysis.avalanches(activity)
    pooled = analysis.pooled_avalanche_report([av, av], *analysis.del_papa_windows(50))
    assert pooled["runs"] == 2 and pooled["count"] == 2 * cli_rep["count"]
    assert pooled["duration"]["exponent"] == pytest.approx(cli_rep["duration"]["exponent"], rel=1e-6)


def test_windows_and_log_bins_come_from_the_core():
    assert analysis.del_papa_windows(200) == ((6, 60), (10, 1500))
    with pytest.raises(ValueError, match="300"):
        analysis.del_papa_windows(300)
    x, p = analysis.log_binned_pmf(np.arange(1, 1000), per_decade=1)
    np.testing.assert_allclose(p, [1 / 999] * 3)
    assert x[0] == pytest.approx(3.0)
