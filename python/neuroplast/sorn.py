"""The SORN from Python: build from a preset, run, record, freeze rules, save and load.

Every parameter of the presets can be given as a keyword (the names of the experiment file's
``[sorn]`` table, e.g. ``noise_sigma``, ``eta_stdp``, ``h_ip``). Keywords reach Rust as typed
values (ints, floats, bools, strings, lists and dicts of them; numpy scalars and arrays too),
never as text: any seed of 0 … 2⁶⁴ − 1 works. An unknown keyword raises ``TypeError``, a bad
value :class:`neuroplast.ConfigError` naming ``sorn.<key>``.

Steps are 0-based everywhere: a spike of step ``t`` is a unit active after the update from
state ``t`` to ``t + 1`` (the ``t``-th update of the network); ``activity_e[k]`` counts the
units of step ``first_step + k``.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from . import _neo, _neuroplast
from ._checks import config_error, count, progress_callback, rule_names
from ._neuroplast import ConfigError

__all__ = ["Sorn", "Recording", "RULES", "RECORDINGS"]

#: Plasticity rule names.
RULES = ("stdp", "ip", "sn", "istdp", "sp")
#: What :meth:`Sorn.run` can record (``name`` or ``"name:k"`` for every k steps).
RECORDINGS = ("activity", "spikes", "connection_fraction", "thresholds", "weights", "internal")


def _record_names(record: Iterable[str] | Mapping[str, Any] | None) -> list[str]:
    if record is None:
        return []
    if isinstance(record, str):
        record = [record]
    if isinstance(record, Mapping):
        out = []
        for k, v in record.items():
            if v is True:
                out.append(k)
            elif v is not False and v is not None:
                out.append(f"{k}:{count(v, f'record[{k!r}]', 1)}")
        return out
    return [str(r) for r in record]


def _rule_names(rules: str | Iterable[str] | None) -> list[str]:
    if rules is None:
        return []
    if isinstance(rules, str):
        return [rules]
    return [str(r) for r in rules]


class Recording(dict):
    """What :meth:`Sorn.run` recorded: a dict of numpy arrays (keys in :meth:`Sorn.run`),
    plus :meth:`to_neo`. Steps are 0-based (see the module docs)."""

    def to_neo(self, population: str = "e", dt_ms: float = 1.0) -> Any:
        """The spikes of ``population`` (``"e"`` or ``"i"``) as a ``neo.Segment`` with one
        ``neo.SpikeTrain`` per unit: a spike of step ``t`` at ``t · dt_ms`` ms, ``t_start =
        first_step · dt_ms`` and ``t_stop = last_step · dt_ms`` (the end of the run), so that
        Elephant's analyses apply. Needs ``neo`` (``pip install neo``) and a ``spikes``
        recording."""
        key = f"spikes_{population}"
        if key not in self:
            raise KeyError(f"no {key!r} in this recording: run(..., record=['spikes'])")
        s = self[key]
        n = int(self.get("units_" + population, 0)) or (int(s["neuron"].max()) + 1 if len(s["neuron"]) else 0)
        first = int(self.get("first_step", 0))
        last = int(self.get("last_step", int(s["step"].max()) + 1 if len(s["step"]) else first))
        return _neo.segment(
            f"neuroplast {population.upper()} spikes",
            [(population, s["step"], s["neuron"], n)],
            dt_ms,
            first,
            last,
        )


class Sorn:
    """A self-organizing recurrent network.

    Parameters
    ----------
    preset:
        ``"lazar2009"``, ``"zheng2013"``, ``"delpapa2017"`` or ``"sorn-package"``.
    seed:
        Master seed, 0 … 2⁶⁴ − 1; the same seed gives the same spikes, bit for bit.
    ne:
        Number of excitatory units (N_I = ⌊0.2 N_E⌋ unless ``ni`` is given).
    threads:
        Threads for the plasticity passes (results do not depend on it).
    **params:
        Any ``[sorn]`` parameter of the experiment files, e.g. ``noise_sigma=0.05``.
    """

    def __init__(
        self,
        preset: str = "delpapa2017",
        seed: int = 1,
        ne: int = 200,
        *,
        threads: int = 1,
        **params: Any,
    ) -> None:
        seed = count(seed, "seed")
        if seed >= 2**64:
            raise config_error("seed", f"must be < 2^64 (an unsigned 64-bit integer), got {seed}")
        threads = count(threads, "threads", 1)
        try:
            core = _neuroplast.SornCore(preset, ne, seed, threads, params)
        except ConfigError as e:
            path = getattr(e, "path", "")
            key = path.removeprefix("sorn.")
            if key in params and ("unknown key" in str(e) or "unknown field" in str(e)):
                raise TypeError(
                    f"Sorn() got an unexpected keyword argument {key!r} ({e})"
                ) from None
            raise
        self._core = core

    @classmethod
    def _wrap(cls, core: Any) -> "Sorn":
        obj = cls.__new__(cls)
        obj._core = core
        return obj

    @property
    def ne(self) -> int:
        """Number of excitatory units."""
        return self._core.ne

    @property
    def ni(self) -> int:
        """Number of inhibitory units."""
        return self._core.ni

    # -- running ---------------------------------------------------------------------------

    def run(
        self,
        steps: int,
        inputs: np.ndarray | None = None,
        record: Sequence[str] | Mapping[str, Any] | None = ("activity",),
        freeze: str | Iterable[str] | None = None,
        progress: bool | Callable[[int], Any] = False,
        profile: bool = False,
    ) -> Recording:
        """Advance ``steps`` steps and return what was recorded during them.

        Parameters
        ----------
        inputs:
            Optional ``(steps, units)`` float64 array added to the drive of E units
            ``0 … units-1`` at each step.
        record:
            Names from :data:`RECORDINGS`, or ``{"thresholds": 100, "spikes": True}``.
        freeze:
            Rules to keep frozen during this call only.
        progress:
            ``True`` for a tqdm bar (if tqdm is installed), or a callable ``f(steps_done)``.
        profile:
            Time every phase of the step; the result's ``profile`` is ``{phase: {"seconds",
            "share"}}`` in schedule order (as the CLI's ``--profile``).

        Returns
        -------
        Recording
            ``first_step`` and ``last_step`` (ints: this call recorded steps ``first_step ≤
            t < last_step``, 0-based; ``last_step`` is :attr:`t` after the call) and, as
            asked: ``activity_e``/``activity_i`` (uint32, shape ``(steps,)``: active units
            of each step, element k being step ``first_step + k``); ``spikes_e``/``spikes_i``
            (dicts of ``step`` uint64 and ``neuron`` uint32 arrays; a spike of step t is a
            unit active after the update t → t + 1);
            ``connection_fraction`` (float64) with ``connection_fraction_steps`` (uint64);
            ``thresholds`` (float64, ``(samples, ne)``) with ``thresholds_steps``;
            ``weights`` (list of dicts of ``ee_post``/``ee_pre``/``ee_w`` and ``ei_*``);
            ``internal`` (uint8, ``(steps, ne)``: Θ of the drive before the input, with the
            same noise). ``"spikes:K"`` keeps only the spikes of the last K steps of the call.
            Periodic samples (``*_steps``) are taken when the step count is a multiple of k,
            including the state the call starts from. Always ``units_e`` and ``units_i``.
            The arrays are handed over from Rust without copying. If Ctrl-C (or an
            exception from ``progress``) stops the run, the steps done stay done and the
            exception carries what they recorded as ``exc.recording``.
        """
        steps = count(steps, "steps")
        arr = None
        if inputs is not None:
            arr = np.ascontiguousarray(inputs, dtype=np.float64)
            if arr.ndim == 1:
                arr = arr[:, None]
        callback, bar = progress_callback(progress, steps)

        def finish(raw: Any) -> Recording:
            rec = Recording(raw)
            rec["units_e"] = self._core.ne
            rec["units_i"] = self._core.ni
            return rec

        try:
            return finish(
                self._core.run(
                    steps, _record_names(record), _rule_names(freeze), arr, callback, profile
                )
            )
        except BaseException as e:
            # Ctrl-C or an exception from `progress`: the steps run so far stay run, and
            # what they recorded comes with the exception.
            if isinstance(getattr(e, "recording", None), dict):
                e.recording = finish(e.recording)
            raise
        finally:
            if bar is not None:
                bar.close()

    def freeze(self, *rules: str) -> None:
        """Stop the given rules (``"stdp"``, ``"ip"``, ``"sn"``, ``"istdp"``, ``"sp"``; as
        arguments or one list)."""
        self._core.freeze(rule_names(rules))

    def unfreeze(self, *rules: str) -> None:
        """Restart the given rules."""
        self._core.unfreeze(rule_names(rules))

    @property
    def active_rules(self) -> list[str]:
        """Names of the rules that are on."""
        return self._core.active_rules()

    @property
    def t(self) -> int:
        """Steps taken so far."""
        return self._core.t

    @property
    def spike_hash(self) -> str:
        """Fingerprint of every step's active units since step 0 (as in summary.json)."""
        return self._core.spike_hash

    def summary(self) -> dict[str, Any]:
        """The figures of the run so far, as the CLI's summary.json has them: ``steps``,
        ``spike_hash``, ``mean_rate_e``/``mean_rate_i``, ``connection_fraction_ee``,
        ``synapses``, ``mean_threshold_e``, ``active_rules``, ``network_mb``, ``ne``, ``ni``."""
        return self._core.summary()

    # -- state -----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The state as numpy arrays: ``x``, ``y``, ``te``, ``ti`` (float64), and for each of
        ``w_ee``, ``w_ei``, ``w_ie``: ``*_post``, ``*_pre`` (uint32), ``*_w`` (float64) and
        ``*_shape``; plus ``t``, ``active_rules``, ``spike_hash`` and ``checkpoint`` (bytes:
        the complete state, random streams included, for :meth:`load`). A copy."""
        d = self._core.state_dict()
        d["checkpoint"] = self._core.to_bytes()
        return d

    def params(self) -> str:
        """Every parameter, resolved, as TOML text."""
        return self._core.params_toml()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the complete state (a checkpoint, as the CLI's ``checkpoint.bin``)."""
        data = self._core.to_bytes()
        tmp = os.fspath(path) + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    @classmethod
    def load(cls, source: str | os.PathLike[str] | bytes | Mapping[str, Any]) -> "Sorn":
        """Restore a network from a file written by :meth:`save` (or a CLI
        ``checkpoint.bin``), from a :meth:`state_dict`, or from its ``checkpoint`` bytes. The
        restored network continues exactly as the original would have."""
        if isinstance(source, Mapping):
            data = source["checkpoint"]
        elif isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
        elif isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as f:
                data = f.read()
        else:
            raise TypeError(
                "Sorn.load: expected a path, bytes or a state_dict, got "
                f"{type(source).__name__} {source!r}"
            )
        return cls._wrap(_neuroplast.SornCore.from_bytes(data))

    def __repr__(self) -> str:
        return f"<neuroplast.sorn.Sorn t={self.t} rules={self.active_rules}>"
