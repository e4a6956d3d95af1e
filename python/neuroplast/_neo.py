"""Recordings as `neo <https://neo.readthedocs.io>`_ objects (one ``SpikeTrain`` per neuron), so
that Elephant's analyses and other neo tools apply. Shared by SORN and spiking recordings."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np


def segment(
    name: str,
    trains: Iterable[tuple[str, np.ndarray, np.ndarray, int]],
    dt_ms: float,
    first_step: int,
    last_step: int,
) -> Any:
    """A ``neo.Segment`` with one ``neo.SpikeTrain`` per neuron of each ``(population, steps,
    neurons, size)``: spike times ``step · dt_ms`` ms (0-based steps: a spike of step t happened
    in the update from t·dt to (t + 1)·dt), ``t_start = first_step · dt_ms``, ``t_stop =
    last_step · dt_ms`` (the end of the run), annotations ``population`` and ``unit``."""
    try:
        import neo
        import quantities as pq
    except ImportError as e:
        raise ImportError("to_neo() needs neo: pip install neo") from e
    t_start = first_step * dt_ms * pq.ms
    t_stop = last_step * dt_ms * pq.ms
    seg = neo.Segment(name=name)
    for population, steps, neurons, n in trains:
        order = np.argsort(neurons, kind="stable")
        neurons, steps = neurons[order], steps[order]
        bounds = np.searchsorted(neurons, np.arange(n + 1))
        for u in range(n):
            times = steps[bounds[u]:bounds[u + 1]].astype(float) * dt_ms
            seg.spiketrains.append(
                neo.SpikeTrain(
                    times * pq.ms,
                    t_start=t_start,
                    t_stop=t_stop,
                    name=f"{population}{u}",
                    unit=u,
                    population=population,
                )
            )
    return seg
