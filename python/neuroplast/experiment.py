"""Experiment files from Python: the same TOML, the same spikes as ``neuroplast run``."""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Iterable

from . import _neuroplast
from ._checks import count, progress_callback, strings
from .sorn import Recording, Sorn
from .spiking import Network

__all__ = ["Experiment", "load_experiment", "run_protocol"]


class Experiment:
    """A validated experiment file (see :func:`load_experiment`)."""

    def __init__(self, path: str | os.PathLike[str], overrides: Iterable[str] = ()) -> None:
        self.path = os.fspath(path)
        self._core = _neuroplast.ExperimentCore(self.path, strings(overrides, "overrides"))

    @property
    def steps(self) -> int:
        """Steps the file asks for."""
        return self._core.steps

    def resolved_toml(self) -> str:
        """The fully resolved configuration (the CLI's ``config.toml``)."""
        return self._core.resolved_toml()

    def build(self) -> Sorn:
        """The network, input and recorder the CLI would run, as a :class:`Sorn`."""
        return Sorn._wrap(self._core.build())

    def run(
        self, steps: int | None = None, progress: bool | Callable[[int], Any] | None = None
    ) -> Recording:
        """Run as ``neuroplast run`` does and return ``steps``, ``spike_hash`` (equal to the
        CLI's summary.json for the same file and seed) and the recordings the file asks for
        (same keys as :meth:`Sorn.run`; ``to_neo()`` works on them). ``progress``: ``True``
        for a tqdm bar, or a callable given the steps done so far."""
        if steps is not None:
            steps = count(steps, "steps", 1)
        callback, bar = progress_callback(progress, self.steps if steps is None else steps)
        try:
            done, spike_hash, rec = self._core.run(steps, callback)
        finally:
            if bar is not None:
                bar.close()
        rec = Recording(rec)
        rec["steps"] = done
        rec["spike_hash"] = spike_hash
        rec["last_step"] = done
        rec["units_e"], rec["units_i"] = self._core.sizes
        return rec

    def __repr__(self) -> str:
        return f"<neuroplast.Experiment {self.path!r}, {self.steps} steps>"


def load_experiment(
    path: str | os.PathLike[str], overrides: Iterable[str] = ()
) -> Experiment | Network:
    """Load and validate an experiment file; ``overrides`` are ``"key.path=value"`` strings
    as the CLI's ``--set``. A SORN file (``[sorn]``) gives an :class:`Experiment`, a spiking
    file (``[populations]``) a built :class:`neuroplast.Network`; ``.run()`` works on both.
    Errors are :class:`neuroplast.ConfigError` naming the key path."""
    kind = _neuroplast.experiment_kind(os.fspath(path), strings(overrides, "overrides"))
    if kind == "spiking":
        return Network.from_file(path, overrides)
    if kind == "protocol":
        raise ValueError(
            f"{os.fspath(path)} is a protocol experiment ([protocol]); run it with "
            "neuroplast.run_protocol"
        )
    return Experiment(path, overrides)


def run_protocol(path: str | os.PathLike[str], overrides: Iterable[str] = ()) -> dict[str, Any]:
    """Run a protocol file (``[protocol] kind = "polychronization" | "sorf" | "characters" |
    "drn"``) and return its acceptance figures as a dict (what the command line writes into
    summary.json → ``results``, without the data files and figures). ``overrides`` are
    ``"key.path=value"`` strings as the CLI's ``--set``; the seed is ``simulation.seed``. The
    GIL is released while it runs; Ctrl-C raises KeyboardInterrupt.

    >>> r = run_protocol("examples/characters.toml")  # doctest: +SKIP
    >>> r["total_correct"]  # doctest: +SKIP
    1.0
    """
    return json.loads(_neuroplast.run_protocol_json(os.fspath(path), strings(overrides, "overrides")))

