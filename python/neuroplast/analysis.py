"""The core's analyses on numpy arrays: neuronal avalanches and power-law fits (Del Papa
2017), spike statistics (the ``sorn`` package's Statistics, done correctly), weight fits.

The same Rust functions produce the CLI's ``summary.json → analysis``, so results agree with
it to the last digit. Spike rasters are ``(steps, units)`` arrays of 0/1.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np

from . import _neuroplast as _core
from ._checks import config_error, count, unsigned

__all__ = [
    "Avalanches",
    "FanoFactor",
    "SpikeStatistics",
    "TrainStatistics",
    "WeightFits",
    "avalanche_report",
    "avalanches",
    "del_papa_windows",
    "fano_factor",
    "hamming_distance",
    "log_binned_pmf",
    "pooled_avalanche_report",
    "series_statistics",
    "spike_statistics",
    "spike_trains",
    "weight_fits",
]

def del_papa_windows(ne: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Del Papa 2017's fit windows (durations, sizes) for N_E = 50, 100, 200, 400, 800."""
    w = _core.del_papa_windows(int(ne))
    if w is None:
        raise ValueError(
            f"no Del Papa window for ne = {ne}; allowed: 50, 100, 200, 400, 800 (or give windows)"
        )
    return tuple(w[0]), tuple(w[1])


def log_binned_pmf(data: Sequence[int] | np.ndarray, per_decade: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Distribution of positive integers on logarithmic bins (edges rounded to integers):
    geometric bin centres and probability per unit x, normalised over all data; empty bins
    left out. The CLI's pooled-avalanche plots use the same bins."""
    return _core.log_binned_pmf(
        unsigned(data, "data", np.uint64, 1), count(per_decade, "per_decade", 1)
    )


class Avalanches(NamedTuple):
    """Avalanches in the order they end: θ, durations (steps) and sizes Σ(a − θ)."""

    theta: int
    durations: np.ndarray
    sizes: np.ndarray


def _activity(a: Any) -> np.ndarray:
    return unsigned(a, "activity", np.uint32, 1)


def avalanches(activity: Sequence[int] | np.ndarray, threshold: int | None = None) -> Avalanches:
    """Maximal runs of steps with ``activity > θ``; θ = ⌊mean/2⌋ unless given. A run still
    open at the end is dropped."""
    if threshold is not None:
        threshold = count(threshold, "threshold")
    theta, d, s = _core.avalanches(_activity(activity), threshold)
    return Avalanches(theta, d, s)


def avalanche_report(
    activity: Sequence[int] | np.ndarray,
    duration_window: tuple[int, int] | None = None,
    size_window: tuple[int, int] | None = None,
    threshold: int | None = None,
    ne: int = 200,
) -> dict[str, Any]:
    """Avalanches and their power-law fits as in summary.json: exponent, its standard error,
    log-likelihood ratio against an exponential (raw, normalised, p), truncated fit. Windows
    default to Del Papa's for ``ne``."""
    if duration_window is None or size_window is None:
        dw, sw = del_papa_windows(ne)
        duration_window = duration_window or dw
        size_window = size_window or sw
    return _core.avalanche_report(
        _activity(activity), list(duration_window), list(size_window), threshold
    )


def pooled_avalanche_report(
    runs: Sequence[Avalanches],
    duration_window: tuple[int, int],
    size_window: tuple[int, int],
) -> dict[str, Any]:
    """Fits of the avalanches of several runs pooled (as Del Papa pools 50), with the slope
    of ⟨S⟩(T) on the duration window."""
    d = np.concatenate([unsigned(r.durations, "durations", np.uint64, 1) for r in runs])
    s = np.concatenate([unsigned(r.sizes, "sizes", np.uint64, 1) for r in runs])
    return _core.pooled_report(d, s, len(runs), list(duration_window), list(size_window))


class WeightFits(NamedTuple):
    """Maximum-likelihood fits of positive weights; ``best`` has the lowest AIC."""

    n: int
    best: str
    lognormal_mu: float
    lognormal_sigma: float
    lognormal_loglik: float
    normal_mean: float
    normal_sd: float
    normal_loglik: float
    exponential_rate: float
    exponential_loglik: float
    log_skewness: float


def weight_fits(w: Sequence[float] | np.ndarray) -> WeightFits:
    """Lognormal, normal and exponential fits of positive weights (e.g. ``state_dict()["w_ee_w"]``)."""
    a = np.ascontiguousarray(w, dtype=np.float64)
    if a.ndim != 1:
        raise config_error("w", f"expected a 1-D array of weights, got shape {a.shape}")
    n, best, ln, no, ex, skew = _core.weight_fits(a)
    return WeightFits(n, best, *ln, *no, *ex, skew)


class SpikeStatistics(NamedTuple):
    """Statistics of a raster (rates in spikes per unit per step)."""

    rates: np.ndarray
    network_rate: float
    isi_cv: np.ndarray
    mean_pairwise_correlation: float | None
    spike_source_entropy: float | None


def _raster(r: Any, name: str = "raster") -> np.ndarray:
    a = np.asarray(r)
    if a.ndim != 2:
        raise ValueError(f"{name}: a raster is a (steps, units) array, got shape {a.shape}")
    return unsigned(a, name, np.uint8, 2, maximum=1)


def spike_statistics(raster: np.ndarray) -> SpikeStatistics:
    """Rates per unit, the network rate, the ISI CV per unit (NaN below 3 spikes), the mean
    pairwise correlation over units that are neither silent nor always on (any N), and the
    normalised spike-source entropy (silent units count 0)."""
    return SpikeStatistics(*_core.raster_statistics(_raster(raster)))


class FanoFactor(NamedTuple):
    """Spike counts of one unit in consecutive windows: their number, mean, variance, ratio."""

    windows: int
    mean: float
    variance: float
    fano: float | None


def fano_factor(raster: np.ndarray, unit: int, window: int) -> FanoFactor:
    """Fano factor of ``unit`` with windows of ``window`` steps (the length, not the count;
    only full windows are used)."""
    return FanoFactor(
        *_core.fano_factor(_raster(raster), count(unit, "unit"), count(window, "window", 1))
    )


class TrainStatistics(NamedTuple):
    """Statistics of spike trains in physical units (:func:`spike_trains`)."""

    rates_hz: np.ndarray
    mean_rate_hz: float
    isi_cv: np.ndarray
    population_fano: float | None


def spike_trains(
    times_ms: Sequence[float] | np.ndarray,
    ids: Sequence[int] | np.ndarray,
    n: int,
    t_start_ms: float,
    t_stop_ms: float,
    dt_ms: float,
    bin_ms: float = 10.0,
) -> TrainStatistics:
    """Rates (Hz), ISI coefficients of variation and the population Fano factor of spike
    trains given as spike times (ms) and neuron ids (``0 … n − 1``), over ``t_start_ms ≤ t <
    t_stop_ms`` on a grid of ``dt_ms``; population spike counts in bins of ``bin_ms``.

    * ``rates_hz[i]`` = spikes of i / (t_stop − t_start) — Elephant's ``mean_firing_rate``;
    * ``isi_cv[i]`` = std/mean of i's inter-spike intervals (population std; NaN below 3
      spikes) — Elephant's ``cv(isi(train))``;
    * ``population_fano`` = variance / mean of the population count per full bin.

    A spiking recording gives them with ``rec.statistics("exc")``."""
    dt = float(dt_ms)
    if not dt > 0:
        raise config_error("dt_ms", f"must be > 0, got {dt_ms}")
    first = int(round(float(t_start_ms) / dt))
    n_steps = int(round((float(t_stop_ms) - float(t_start_ms)) / dt))
    if n_steps <= 0:
        raise config_error("t_stop_ms", f"must be after t_start_ms, got [{t_start_ms}, {t_stop_ms})")
    bin_steps = int(round(float(bin_ms) / dt))
    if bin_steps < 1:
        raise config_error("bin_ms", f"must be at least one step of {dt} ms, got {bin_ms}")
    steps = np.rint(np.asarray(times_ms, dtype=np.float64) / dt).astype(np.uint64)
    ids_a = np.ascontiguousarray(np.asarray(ids), dtype=np.uint32)
    return TrainStatistics(
        *_core.spike_trains(steps, ids_a, first, n_steps, count(n, "n", 1), dt, bin_steps)
    )


def hamming_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Number of units whose state differs, per step."""
    return _core.hamming_distance(_raster(a, "a"), _raster(b, "b"))


def series_statistics(series: Sequence[float] | np.ndarray, lag: int = 1) -> tuple[float | None, float | None]:
    """(lag-``lag`` Pearson autocorrelation, smoothness = std of first differences)."""
    a = np.ascontiguousarray(series, dtype=np.float64)
    if a.ndim != 1:
        raise config_error("series", f"expected a 1-D array, got shape {a.shape}")
    return _core.series_statistics(a, count(lag, "lag"))
