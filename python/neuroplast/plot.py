"""Matplotlib figures of recordings and analyses (matplotlib is an optional dependency:
``pip install matplotlib``). Every function draws into ``ax`` (a new figure if omitted) and
returns the Axes, so figures compose and can be saved with ``ax.figure.savefig(...)``.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from . import analysis

__all__ = ["raster", "rates", "state", "activity", "weight_histogram", "avalanche_distributions"]


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("neuroplast.plot needs matplotlib: pip install matplotlib") from e
    _, ax = plt.subplots(figsize=(8, 4))
    return ax


def raster(
    rec: Mapping[str, Any], ax: Any = None, start: int | None = None, stop: int | None = None
) -> Any:
    """Spike raster of a recording, steps ``start … stop`` (inclusive, 0-based: a spike of
    step t happened in the update t → t + 1).

    * SORN (``Sorn.run(..., record=["spikes"])``): E units in black, I units (above them) in
      red, x-axis in steps;
    * spiking (``Network.run``, ``Experiment.run().recording``): every recorded population,
      stacked in recording order (each above the previous one, by its size), x-axis in ms
      (a spike of step t at t·dt).
    """
    ax = _axes(ax)

    def window(t: np.ndarray) -> np.ndarray:
        keep = np.ones(len(t), bool)
        if start is not None:
            keep &= t >= start
        if stop is not None:
            keep &= t <= stop
        return keep

    if "spikes_e" in rec:
        e, i = rec["spikes_e"], rec.get("spikes_i")
        ne = int(rec.get("units_e", 0)) or (int(e["neuron"].max()) + 1 if len(e["neuron"]) else 0)
        for s, offset, colour, label in ((e, 0, "k", "E"), (i, ne, "tab:red", "I")):
            if s is None:
                continue
            t = s["step"].astype(np.int64)
            keep = window(t)
            ax.scatter(t[keep], s["neuron"][keep] + offset, s=1, c=colour, marker="|", label=label)
        ax.set_xlabel("step")
        ax.set_ylabel("unit")
        return ax
    if not isinstance(rec.get("spikes"), Mapping):
        raise KeyError("no spikes in this recording: record them (SORN: record=['spikes'])")
    dt = float(rec.get("dt_ms", 1.0))
    sizes = rec.get("sizes", {})
    offset = 0
    for pop, (steps, ids) in rec["spikes"].items():
        t = np.asarray(steps).astype(np.int64)
        keep = window(t)
        ax.scatter(t[keep] * dt, np.asarray(ids)[keep] + offset, s=1, marker="|", label=pop)
        offset += int(sizes.get(pop, 0)) or (int(np.max(ids)) + 1 if len(ids) else 0)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    return ax


def rates(rec: Mapping[str, Any], populations: Any = None, ax: Any = None) -> Any:
    """Population rates of a spiking recording (``record(…, rate_bin_ms=…)``, files'
    ``rate = { bin_ms }``): Hz against the bin start in ms, one line per population (all
    recorded ones, or ``populations``)."""
    ax = _axes(ax)
    recorded = rec.get("rate")
    if not isinstance(recorded, Mapping) or not recorded:
        raise KeyError("no population rates in this recording: record them with rate_bin_ms= (files: rate = { bin_ms = 5.0 })")
    names = list(recorded) if populations is None else ([populations] if isinstance(populations, str) else list(populations))
    dt = float(rec.get("dt_ms", 1.0))
    for pop in names:
        if pop not in recorded:
            raise KeyError(f"no rate of {pop!r} in this recording; recorded: {sorted(recorded)}")
        start, hz = recorded[pop]
        ax.plot(np.asarray(start, dtype=float) * dt, hz, lw=0.8, label=pop)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    ax.legend()
    return ax


def state(rec: Mapping[str, Any], key: str, ax: Any = None) -> Any:
    """A recorded state variable of a spiking recording (``key`` = ``"pop.var"``, e.g.
    ``"exc.v"``): one line per recorded neuron against time in ms."""
    ax = _axes(ax)
    recorded = rec.get("state")
    if not isinstance(recorded, Mapping) or key not in recorded:
        have = sorted(recorded) if isinstance(recorded, Mapping) else []
        raise KeyError(f"no state {key!r} in this recording; recorded: {have}")
    steps, neurons, values = recorded[key]
    t = np.asarray(steps, dtype=float) * float(rec.get("dt_ms", 1.0))
    values = np.asarray(values)
    for k, i in enumerate(np.asarray(neurons)):
        ax.plot(t, values[:, k], lw=0.8, label=f"{key.split('.', 1)[0]}[{int(i)}]")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(key.split(".", 1)[-1])
    if len(neurons) <= 10:
        ax.legend()
    return ax


def activity(rec: Mapping[str, Any], ne: int | None = None, ax: Any = None) -> Any:
    """Active E (and I) units per step of ``run(..., record=["activity"])`` (element k is
    step ``first_step + k``, 0-based); divided by
    ``ne`` and the recording's ``units_i`` (else ⌊0.2·ne⌋) when ``ne`` is given, to show
    fractions."""
    ax = _axes(ax)
    first = int(rec.get("first_step", 0))
    ni = None if ne is None else int(rec.get("units_i", int(0.2 * ne)))
    for key, label, n in (("activity_e", "E", ne), ("activity_i", "I", ni)):
        if key in rec:
            a = np.asarray(rec[key], dtype=float)
            ax.plot(np.arange(first, first + len(a)), a / n if n else a, lw=0.8, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("fraction active" if ne else "active units")
    ax.legend()
    return ax


def weight_histogram(w: np.ndarray, ax: Any = None, bins: int = 50, lognormal_fit: bool = True) -> Any:
    """Histogram of positive weights on logarithmic bins, with the fitted lognormal density
    (per unit of ln w) when ``lognormal_fit``."""
    ax = _axes(ax)
    w = np.asarray(w, dtype=float)
    w = w[w > 0]
    lw = np.log(w)
    ax.hist(lw, bins=bins, density=True, color="0.6", label="data")
    if lognormal_fit and len(w) >= 2:
        f = analysis.weight_fits(w)
        x = np.linspace(lw.min(), lw.max(), 200)
        pdf = np.exp(-((x - f.lognormal_mu) ** 2) / (2 * f.lognormal_sigma**2)) / (
            f.lognormal_sigma * np.sqrt(2 * np.pi)
        )
        ax.plot(x, pdf, "tab:red", label=f"lognormal μ={f.lognormal_mu:.2f}, σ={f.lognormal_sigma:.2f}")
    ax.set_xlabel("ln w")
    ax.set_ylabel("density")
    ax.legend()
    return ax


def avalanche_distributions(
    av: analysis.Avalanches,
    report: Mapping[str, Any] | None = None,
    axes: Any = None,
    per_decade: int = 10,
) -> Any:
    """Log-binned distributions of avalanche durations and sizes (two Axes), with the fitted
    power laws of ``report`` (from :func:`neuroplast.analysis.avalanche_report`) over their
    windows."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, data, key, label in (
        (axes[0], av.durations, "duration", "duration T (steps)"),
        (axes[1], av.sizes, "size", "size S"),
    ):
        if len(data) == 0:
            continue
        x, p = analysis.log_binned_pmf(data, per_decade)
        ax.loglog(x, p, "o", ms=3, label="data")
        fit = (report or {}).get(key, {})
        if "exponent" in fit:
            lo, hi = fit["window"]
            k = np.arange(lo, hi + 1, dtype=float)
            frac = fit["n_in_window"] / len(data)
            ax.loglog(k, frac * k ** -fit["exponent"] / np.sum(k ** -fit["exponent"]), "tab:red",
                      label=f"power law {fit['exponent']:.2f}")
        ax.set_xlabel(label)
        ax.set_ylabel("probability")
        ax.legend()
    return axes
