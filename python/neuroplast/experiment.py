"""Experiment files from Python: the same TOML, the same spikes as ``neuroplast run``, for every
kind of file (SORN ``[sorn]``, spiking ``[populations]``, protocols ``[protocol]``).

>>> exp = load_experiment("examples/lazar2009.toml")  # doctest: +SKIP
>>> res = exp.run()                                   # doctest: +SKIP
>>> res.summary["spike_hash"], res.recording["activity_e"].shape  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable

from . import _neuroplast
from ._checks import count, progress_callback, strings
from .sorn import Recording, Sorn
from .spiking import Network, SpikingRecording

__all__ = ["Experiment", "RunResult", "load_experiment", "run_protocol"]


class RunResult:
    """What :meth:`Experiment.run` returns.

    Attributes
    ----------
    kind:
        ``"sorn"``, ``"spiking"`` or ``"protocol"``.
    summary:
        dict with the entries the CLI writes into summary.json from the experiment and the
        engine: ``kind``, ``seed``, ``steps``, ``spike_hash``, rates, synapses, … (a
        protocol's acceptance figures under ``results``), the run's ``steps_this_run``,
        ``wall_seconds``, ``us_per_step``, ``threads``, ``spike_steps_from`` (0: steps are
        0-based) and, with ``profile=True``, ``profile`` = ``{phase: {"seconds", "share"}}``.
        Not computed here: what the CLI derives from its files (``analysis``, ``readout``).
    recording:
        What the run recorded (the file's ``[record]``), with the keys of
        :meth:`neuroplast.sorn.Sorn.run` for a SORN file (a :class:`neuroplast.sorn.Recording`)
        and of :class:`neuroplast.SpikingRecording` otherwise; arrays written once at the end
        (SORN's final weights, a readout trace, a protocol's data) are in ``arrays``.
    """

    __slots__ = ("kind", "summary", "recording")

    def __init__(self, kind: str, summary: dict[str, Any], recording: dict[str, Any]) -> None:
        self.kind = kind
        self.summary = summary
        self.recording = recording

    def __repr__(self) -> str:
        return (
            f"<neuroplast.RunResult {self.kind}: {self.summary.get('steps')} steps, "
            f"spike hash {self.summary.get('spike_hash')}>"
        )


def _recording(kind: str, raw: dict[str, Any], summary: dict[str, Any] | None) -> dict[str, Any]:
    """The recording dict of a run as the facade's recording class of its kind."""
    summary = summary or {}
    if kind == "sorn":
        rec: dict[str, Any] = Recording(raw)
        if "ne" in summary:
            rec["units_e"], rec["units_i"] = summary["ne"], summary["ni"]
    else:
        rec = SpikingRecording(raw)
        pops = summary.get("populations")
        if isinstance(pops, dict):
            rec["sizes"] = {p: v["n"] for p, v in pops.items()}
    rec["steps"] = rec["last_step"] - rec["first_step"]
    if "spike_hash" in summary:
        rec["spike_hash"] = summary["spike_hash"]
    return rec


class Experiment:
    """A validated experiment file of any kind (see :func:`load_experiment`)."""

    def __init__(
        self, path: str | os.PathLike[str], overrides: Iterable[str] = (), seed: int | None = None
    ) -> None:
        self.path = os.fspath(path)
        if seed is not None:
            seed = count(seed, "seed")
        self._core = _neuroplast.ExperimentCore(self.path, strings(overrides, "overrides"), seed)

    @property
    def kind(self) -> str:
        """``"sorn"``, ``"spiking"`` or ``"protocol"``."""
        return self._core.kind

    @property
    def steps(self) -> int:
        """Steps of one run as the file states them (a protocol: all of its phases)."""
        return self._core.steps

    @property
    def seed(self) -> int:
        """The master seed (``simulation.seed``)."""
        return self._core.seed

    @property
    def threads(self) -> int:
        """Threads the file asks for (``simulation.threads``)."""
        return self._core.threads

    @property
    def dt_ms(self) -> float | None:
        """The time step in ms (``None`` for SORN's dimensionless steps)."""
        return self._core.dt_ms

    def resolved_toml(self) -> str:
        """The fully resolved configuration (the CLI's ``config.toml``)."""
        return self._core.resolved_toml()

    def build(self) -> Sorn | Network:
        """The network the CLI would run, to drive by hand: a :class:`neuroplast.sorn.Sorn`
        (with the file's input, recordings and schedule) for a SORN file, a
        :class:`neuroplast.Network` for a spiking file. A protocol runs only as a whole
        (:meth:`run`): ``ValueError``."""
        if self.kind == "sorn":
            return Sorn._wrap(self._core.sorn())
        return Network._wrap(self._core.network())

    def run(
        self,
        steps: int | None = None,
        progress: bool | Callable[[int], Any] | None = None,
        profile: bool = False,
        threads: int | None = None,
    ) -> RunResult:
        """Run as ``neuroplast run`` does (same engine, same chunks, same spikes: the summary's
        ``spike_hash`` equals the CLI's for the same file and seed) and return a
        :class:`RunResult` (``summary`` and ``recording``).

        ``steps``: instead of the file's length (as the CLI's ``--steps``; a protocol refuses
        it). ``progress``: ``True`` for a tqdm bar, or a callable given the steps done so far.
        ``profile``: time every phase (``summary["profile"]``, as the CLI's ``--profile``).
        ``threads``: instead of the file's (results do not change). The GIL is released while
        it runs; Ctrl-C raises KeyboardInterrupt within about 50 ms, carrying what was
        recorded until then as ``exc.recording``."""
        if steps is not None:
            steps = count(steps, "steps", 1)
        if threads is not None:
            threads = count(threads, "threads", 1)
        callback, bar = progress_callback(progress, self.steps if steps is None else steps)
        kind = self.kind
        try:
            summary, raw = self._core.run(steps, callback, profile, threads)
        except BaseException as e:
            if isinstance(getattr(e, "recording", None), dict):
                e.recording = _recording(kind, e.recording, None)
            raise
        finally:
            if bar is not None:
                bar.close()
        return RunResult(kind, summary, _recording(kind, raw, summary))

    def __repr__(self) -> str:
        return f"<neuroplast.Experiment {self.path!r}: {self.kind}, {self.steps} steps>"


def load_experiment(
    path: str | os.PathLike[str], overrides: Iterable[str] = (), seed: int | None = None
) -> Experiment:
    """Load and validate an experiment file of any kind (``[sorn]``, ``[populations]`` or
    ``[protocol]``); ``overrides`` are ``"key.path=value"`` strings as the CLI's ``--set``,
    ``seed`` the master seed (as the CLI's ``--seed``).
    Errors are :class:`neuroplast.ConfigError` naming the key path. ``.run()`` runs it as the
    CLI does; ``.build()`` gives the network to drive by hand."""
    return Experiment(path, overrides, seed)


def run_protocol(path: str | os.PathLike[str], overrides: Iterable[str] = ()) -> dict[str, Any]:
    """Run a protocol file (``[protocol] kind = "polychronization" | "sorf" | "characters" |
    "drn"``) and return its acceptance figures as a dict (what the command line writes into
    summary.json → ``results``, without the data files and figures): ``load_experiment(path,
    overrides).run().summary["results"]``. ``overrides`` are ``"key.path=value"`` strings as
    the CLI's ``--set``; the seed is ``simulation.seed``. The GIL is released while it runs;
    Ctrl-C raises KeyboardInterrupt.

    >>> r = run_protocol("examples/characters.toml")  # doctest: +SKIP
    >>> r["score"]["total_correct"]  # doctest: +SKIP
    1.0
    """
    exp = Experiment(path, overrides)
    if exp.kind != "protocol":
        raise ValueError(
            f"{exp.path} is not a protocol file (it has no [protocol]; it is a {exp.kind} "
            "experiment): use neuroplast.load_experiment(path).run()"
        )
    return exp.run().summary["results"]
