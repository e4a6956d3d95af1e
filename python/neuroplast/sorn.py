"""The SORN from Python: build from a preset, run, record, freeze rules, save and load.

Every parameter of the presets can be given as a keyword (the names of the experiment file's
``[sorn]`` table, e.g. ``noise_sigma``, ``eta_stdp``, ``h_ip``); an unknown keyword raises
``TypeError``, a bad value :class:`neuroplast.ConfigError` naming the parameter.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from . import _neuroplast
from ._checks import count, progress_callback, rule_names
from ._neuroplast import ConfigError

__all__ = ["Sorn", "Recording", "RULES", "RECORDINGS"]

#: Plasticity rule names.
RULES = ("stdp", "ip", "sn", "istdp", "sp")
#: What :meth:`Sorn.run` can record (``name`` or ``"name:k"`` for every k steps).
RECORDINGS = ("activity", "spikes", "connection_fraction", "thresholds", "weights", "internal")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if f != f:
            return "nan"
        if f in (float("inf"), float("-inf")):
            return "inf" if f > 0 else "-inf"
        return repr(f)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot use a value of type {type(v).__name__} as a parameter: {v!r}")


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
    plus :meth:`to_neo`."""

    def to_neo(self, population: str = "e", dt_ms: float = 1.0) -> Any:
        """The spikes of ``population`` (``"e"`` or ``"i"``) as a ``neo.Segment`` with one
        ``neo.SpikeTrain`` per unit, one step = ``dt_ms`` milliseconds, so that Elephant's
        analyses apply. Needs ``neo`` (``pip install neo``) and a ``spikes`` recording."""
        try:
            import neo
            import quantities as pq
        except ImportError as e:
            raise ImportError("to_neo() needs neo: pip install neo") from e
        key = f"spikes_{population}"
        if key not in self:
            raise KeyError(f"no {key!r} in this recording: run(..., record=['spikes'])")
        s = self[key]
        n = int(self.get("units_" + population, 0)) or (int(s["neuron"].max()) + 1 if len(s["neuron"]) else 0)
        first = int(self.get("first_step", 1))
        last = int(self.get("last_step", int(s["step"].max()) if len(s["step"]) else first))
        t_start = (first - 1) * dt_ms * pq.ms
        t_stop = last * dt_ms * pq.ms
        seg = neo.Segment(name=f"neuroplast {population.upper()} spikes")
        order = np.argsort(s["neuron"], kind="stable")
        neurons, steps = s["neuron"][order], s["step"][order]
        bounds = np.searchsorted(neurons, np.arange(n + 1))
        for u in range(n):
            times = steps[bounds[u]:bounds[u + 1]].astype(float) * dt_ms
            seg.spiketrains.append(
                neo.SpikeTrain(times * pq.ms, t_start=t_start, t_stop=t_stop, name=f"{population}{u}",
                               annotations={"unit": u, "population": population})
            )
        return seg


class Sorn:
    """A self-organizing recurrent network.

    Parameters
    ----------
    preset:
        ``"lazar2009"``, ``"zheng2013"``, ``"delpapa2017"`` or ``"sorn-package"``.
    seed:
        Master seed; the same seed gives the same spikes, bit for bit.
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
        if seed >= 2**63:
            raise ConfigError(f"seed: must be < 2^63 (a TOML integer), got {seed}")
        lines = [
            "[simulation]",
            "steps = 1",
            f"seed = {_toml_value(seed)}",
            f"threads = {_toml_value(threads)}",
            "[sorn]",
            f"preset = {_toml_value(preset)}",
            f"ne = {_toml_value(ne)}",
        ]
        lines += [f"{k} = {_toml_value(v)}" for k, v in params.items()]
        try:
            core = _neuroplast.SornCore.from_toml("\n".join(lines) + "\n", "Sorn()")
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
    ) -> dict[str, Any]:
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

        Returns
        -------
        dict
            ``first_step`` (int) and, as asked: ``activity_e``/``activity_i`` (uint32,
            shape ``(steps,)``: active units after each step); ``spikes_e``/``spikes_i``
            (dicts of ``step`` uint64 and ``neuron`` uint32 arrays);
            ``connection_fraction`` (float64) with ``connection_fraction_steps`` (uint64);
            ``thresholds`` (float64, ``(samples, ne)``) with ``thresholds_steps``;
            ``weights`` (list of dicts of ``ee_post``/``ee_pre``/``ee_w`` and ``ei_*``);
            ``internal`` (uint8, ``(steps, ne)``: Θ of the drive before the input, with the
            same noise). ``"spikes:K"`` keeps only the spikes of the last K steps.
            Always ``last_step``, ``units_e`` and ``units_i``.
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
            rec["last_step"] = self._core.t
            rec["units_e"] = self._core.ne
            rec["units_i"] = self._core.ni
            return rec

        try:
            return finish(
                self._core.run(steps, _record_names(record), _rule_names(freeze), arr, callback)
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
