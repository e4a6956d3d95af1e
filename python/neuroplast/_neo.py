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


def _unit(var: str) -> str:
    """neuroplast's unit of a built-in model's state variable, by its name: mV for the
    membrane potential ``v`` and Izhikevich's ``u``, µS for conductances ``g_*``;
    dimensionless otherwise (see ``SpikingRecording.to_neo``)."""
    if var in ("v", "u"):
        return "mV"
    if var.startswith("g_"):
        return "uS"
    return "dimensionless"


def signal(key: str, steps: np.ndarray, neurons: np.ndarray, values: np.ndarray, dt_ms: float) -> Any:
    """A recorded state variable (``(steps, neurons, values)``, values of shape (samples,
    neurons)) as a ``neo.AnalogSignal`` sampled every ``(steps[1] − steps[0]) · dt_ms``."""
    import neo
    import quantities as pq

    steps = np.asarray(steps)
    every = int(steps[1] - steps[0]) if len(steps) > 1 else 1
    t0 = float(steps[0]) * dt_ms if len(steps) else 0.0
    return neo.AnalogSignal(
        np.asarray(values, dtype=np.float64),
        units=_unit(key.split(".", 1)[-1]),
        sampling_period=every * dt_ms * pq.ms,
        t_start=t0 * pq.ms,
        name=key,
        array_annotations={"neuron": np.asarray(neurons)},
    )
