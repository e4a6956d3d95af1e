"""Sweeps from Python: a grid of parameter values × seeds, each point a run of an experiment file
as ``neuroplast run`` runs it, on local processes or on the engines people already run
(Dask, Ray, any ``concurrent.futures`` executor).

>>> from neuroplast import sweeps
>>> points = sweeps.sweep("examples/coba.toml",
...                      params={"populations.exc.params.i_offset": [0.2, 0.25]},
...                      seeds=[1, 2], set=["simulation.duration_ms=200.0"])   # doctest: +SKIP
>>> [(p.params, p.seed, p.summary["spike_hash"]) for p in points]            # doctest: +SKIP

Each point's :class:`Point` holds its overrides, seed and ``summary`` — the dict the command
line writes into the point's ``summary.json`` (timing fields included) — and pickles, so that
it comes back from other processes and machines. A point runs on one engine thread unless
``threads`` says otherwise (the results do not depend on it).

With Dask (``pip install "dask[distributed]"``)::

    from distributed import Client, LocalCluster
    client = Client(LocalCluster(n_workers=4, threads_per_worker=1))
    points = sweeps.sweep("examples/coba.toml", params=…, seeds=range(1, 11), executor=client)

or by hand, ``client.map(sweeps.run_point, paths, overrides, seeds)`` and ``client.gather``.
With Ray (``pip install ray``)::

    import ray
    run = ray.remote(sweeps.run_point)
    points = ray.get([run.remote(path, o, s) for o, s in sweeps.grid(params, seeds)])
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .experiment import Experiment

__all__ = ["Point", "grid", "run_point", "sweep"]

#: Summary fields that measure the machine, not the run (differ between repeats).
TIMING = (
    "build_seconds",
    "wall_seconds",
    "us_per_step",
    "steps_per_second",
    "realtime_factor",
    "peak_rss_mb",
    "wall_seconds_per_epoch",
    "wall_seconds_test",
)


@dataclass
class Point:
    """One point of a sweep: its overrides (``{"key.path": value}``), seed and the run's
    summary (as the point's ``summary.json``)."""

    params: dict[str, Any]
    seed: int | None
    summary: dict[str, Any] = field(repr=False)

    def value(self, path: str) -> Any:
        """A summary value by its dotted path (``"results.exc_rate_hz"``,
        ``"populations.exc.mean_rate_hz"``)."""
        v: Any = self.summary
        for part in path.split("."):
            v = v[part]
        return v


def _literal(v: Any) -> str:
    """A value as the right-hand side of a ``key.path=value`` override (TOML)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    raise TypeError(f"params: cannot write {v!r} as an override (give numbers, strings, bools or lists)")


def grid(
    params: Mapping[str, Iterable[Any]] | None = None, seeds: Iterable[int] | None = None
) -> list[tuple[dict[str, Any], int | None]]:
    """Every combination of ``params`` values (in key order, the last key fastest) with every
    seed: ``[(overrides, seed), …]``, as ``neuroplast sweep`` orders its points."""
    params = dict(params or {})
    keys = list(params)
    values = [list(params[k]) for k in keys]
    for k, vs in zip(keys, values):
        if not isinstance(k, str) or not vs:
            raise TypeError(f"params: {k!r} needs a key path and at least one value")
    seed_list: list[int | None] = list(seeds) if seeds is not None else [None]
    return [
        (dict(zip(keys, combo)), s)
        for combo in itertools.product(*values)
        for s in seed_list
    ]


def run_point(
    path: str | os.PathLike[str],
    params: Mapping[str, Any] | None = None,
    seed: int | None = None,
    set: Iterable[str] = (),
    steps: int | None = None,
    threads: int = 1,
) -> Point:
    """Run one point: ``path`` with ``set`` (``"key.path=value"`` strings) and ``params``
    (``{"key.path": value}``) as overrides, and ``seed``, as ``neuroplast run`` would; returns
    its :class:`Point`. A top-level function, so that Dask, Ray and process pools can ship it."""
    params = dict(params or {})
    overrides = list(set) + [f"{k}={_literal(v)}" for k, v in params.items()]
    exp = Experiment(path, overrides, seed)
    summary = exp.run(steps=steps, threads=threads).summary
    return Point(params, seed, summary)


def sweep(
    path: str | os.PathLike[str],
    params: Mapping[str, Iterable[Any]] | None = None,
    seeds: Iterable[int] | None = None,
    set: Iterable[str] = (),
    steps: int | None = None,
    threads: int = 1,
    processes: int | None = None,
    executor: Any = None,
) -> list[Point]:
    """Run ``path`` at every point of ``grid(params, seeds)`` and return the points in grid
    order. ``processes``: local worker processes (default: the CPUs); ``executor``: anything
    with ``.map(fn, *iterables)`` instead — a ``concurrent.futures`` executor, or a Dask
    ``distributed.Client`` (its futures are gathered). ``set`` and ``steps`` apply to every
    point; ``threads`` is each point's engine threads."""
    path = os.fspath(path)
    points = grid(params, seeds)
    n = len(points)
    args = (
        [path] * n,
        [p for p, _ in points],
        [s for _, s in points],
        [list(set)] * n,
        [steps] * n,
        [threads] * n,
    )
    if executor is None:
        with ProcessPoolExecutor(max_workers=processes or os.cpu_count() or 1) as pool:
            return list(pool.map(run_point, *args))
    out = list(executor.map(run_point, *args))
    # a Dask Client maps to futures; concurrent.futures executors to results
    return list(executor.gather(out)) if hasattr(executor, "gather") else out
