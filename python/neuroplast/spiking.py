"""Spiking networks from Python: the same experiment files as ``neuroplast run``.

>>> import neuroplast as npl
>>> net = npl.Network.from_file("examples/coba.toml")
>>> rec = net.run(duration_ms=200.0)
>>> steps, neurons = rec["spikes"]["exc"]          # numpy arrays
>>> rec.spike_times_ms("exc")[:3]                   # doctest: +SKIP

Runs release the GIL, stop cleanly on Ctrl-C (KeyboardInterrupt between 50 ms slices), and
give the same spikes as the command line for the same file (``spike_hash`` equals
``summary.json``'s). Steps are 0-based: a spike of step ``t`` happened in the update from
``t·dt`` to ``(t + 1)·dt``, and its time is ``t·dt`` (Brian2's convention).
"""

from __future__ import annotations

import copy
import os
from typing import Any, Callable, Iterable, Mapping

import numpy as np


from . import _neo, _neuroplast
from ._checks import config_error, count, progress_callback, strings
from ._network import NetworkBuilder, _clean

__all__ = ["Network", "SpikingRecording"]


class SpikingRecording(dict):
    """What a run recorded (the file's ``[record]`` tables), as numpy arrays.

    * ``rec["spikes"][pop]`` = ``(steps, neurons)``: step index (0-based) and population-local
      neuron of every spike;
    * ``rec["state"]["pop.var"]`` = ``(steps, neurons, values)`` with ``values`` of shape
      (samples, recorded neurons);
    * ``rec["rate"][pop]`` = ``(bin_start_steps, rate_hz)``;
    * ``rec["activity"][pop]`` = active neurons per step (activity monitors), element k being
      step ``rec["activity_first_step"] + k``;
    * ``rec["series"]``, ``rec["arrays"]``: a protocol's samples and data files;
    * ``rec["first_step"]``, ``rec["last_step"]`` (the run covered steps ``first_step ≤ t <
      last_step``), ``rec["dt_ms"]``, ``rec["steps"]`` (steps of this run), ``rec["spike_hash"]``,
      ``rec["sizes"]`` ({population: neurons}) and, with ``profile=True``, ``rec["profile"]``.
    """

    def spike_times_ms(self, population: str) -> np.ndarray:
        """Spike times (ms from the start of the simulation) of a population: ``step · dt``."""
        steps, _ = self["spikes"][population]
        return steps * self["dt_ms"]

    def statistics(self, population: str, bin_ms: float = 10.0) -> Any:
        """Rates (Hz), ISI CVs and the population Fano factor (bins of ``bin_ms``) of a
        population's recorded spikes over this recording
        (:func:`neuroplast.analysis.spike_trains`)."""
        from .analysis import spike_trains

        steps, ids = self["spikes"][population]
        dt = self["dt_ms"]
        n = int(self.get("sizes", {}).get(population, 0)) or (int(ids.max()) + 1 if len(ids) else 1)
        return spike_trains(
            steps * dt, ids, n, self["first_step"] * dt, self["last_step"] * dt, dt, bin_ms
        )

    def to_neo(self, populations: str | Iterable[str] | None = None) -> Any:
        """The spikes of ``populations`` (default: every recorded one) as a ``neo.Segment``
        with one ``neo.SpikeTrain`` per neuron (annotated with its ``population`` and
        ``unit``), times in ms (a spike of step t at ``t · dt_ms``), ``t_start`` the run's
        first step and ``t_stop`` its end; and every recorded state variable of those
        populations as a ``neo.AnalogSignal`` named ``"pop.var"`` (one channel per recorded
        neuron, ids in ``array_annotations["neuron"]``), with units where the name says them
        (mV for ``v`` and ``u``, µS for conductances ``g_*``; dimensionless otherwise). Needs
        ``neo`` (``pip install neo``)."""
        spikes = self.get("spikes", {})
        if populations is None:
            names = list(spikes)
        else:
            names = strings(populations, "populations")
        trains = []
        for pop in names:
            if pop not in spikes:
                raise KeyError(
                    f"no spikes of {pop!r} in this recording; recorded: {sorted(spikes)} "
                    f"(add [record.{pop}] spikes = true to the file)"
                )
            steps, ids = spikes[pop]
            n = int(self.get("sizes", {}).get(pop, 0)) or (int(ids.max()) + 1 if len(ids) else 0)
            trains.append((pop, steps, ids, n))
        first = int(self.get("first_step", 0))
        seg = _neo.segment("neuroplast spikes", trains, self["dt_ms"], first, int(self["last_step"]))
        for key, (steps, neurons, values) in self.get("state", {}).items():
            if key.split(".", 1)[0] in names or populations is None:
                seg.analogsignals.append(_neo.signal(key, steps, neurons, values, self["dt_ms"]))
        return seg


class Network(NetworkBuilder):
    """A spiking network: built in code (``Network(dt=…, seed=…)`` then ``population``,
    ``connect``, ``current_source``, ``record``; see :mod:`neuroplast.builder`) or from an
    experiment file (:meth:`from_file`, :meth:`from_toml`, :meth:`from_dict`). The first run
    builds it; both ways give the same network and spikes for the same tables
    (``docs/spiking.md``, ``docs/python.md``)."""

    def __init__(
        self,
        dt: float = 0.1,
        seed: int = 1,
        *,
        duration_ms: float = 1000.0,
        threads: int = 1,
    ) -> None:
        super().__init__(dt, seed, duration_ms, threads)

    @classmethod
    def _wrap(cls, core: Any, spec: dict[str, Any] | None = None) -> "Network":
        net = cls.__new__(cls)
        NetworkBuilder._adopt(net, spec, core)
        return net

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], overrides: Iterable[str] = ()
    ) -> "Network":
        """Build the network of a spiking experiment file; ``overrides`` are
        ``"key.path=value"`` strings as the CLI's ``--set``. Errors are
        :class:`neuroplast.ConfigError` naming the key path."""
        return cls._wrap(
            _neuroplast.NetworkCore.from_file(os.fspath(path), strings(overrides, "overrides"))
        )

    @classmethod
    def from_toml(cls, text: str, name: str = "<text>") -> "Network":
        """The network of an experiment file's text (what :meth:`to_toml` writes); built at
        its first run, so populations and projections can still be added."""
        if not isinstance(text, str):
            raise TypeError(f"text: expected the text of an experiment file, got {type(text).__name__}")
        return cls.from_dict(_neuroplast.spiking_dict(text, name))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Network":
        """The network of an experiment file given as its tables (``{"simulation": {…},
        "populations": {…}, …}``); checked now, built at its first run."""
        if not isinstance(d, Mapping):
            raise TypeError(f"d: expected a dict of the file's tables, got {type(d).__name__}")
        spec = copy.deepcopy(dict(d))
        _neuroplast.spiking_check(spec)
        return cls._wrap(None, spec)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Network":
        """A network saved by :meth:`to_bytes`, continued bit-exactly (no file needed)."""
        text, ckpt = NetworkBuilder._unpack(data)
        net = cls.from_toml(text, "<bytes>")
        net._core.load_bytes(ckpt)
        return net

    @property
    def dt_ms(self) -> float:
        """Time step, ms."""
        return self._core.dt_ms

    @property
    def t(self) -> int:
        """Steps simulated so far."""
        return self._core.t

    @property
    def steps(self) -> int:
        """Steps the experiment file asks for."""
        return self._core.steps

    @property
    def spike_hash(self) -> str:
        """Fingerprint of every spike so far (equal to the CLI's for the same run)."""
        return self._core.spike_hash

    @property
    def populations(self) -> list[tuple[str, int, str]]:
        """(name, size, model) of every population."""
        return self._core.populations()

    def summary(self) -> dict[str, Any]:
        """The figures of the run so far, as the CLI's summary.json has them (``steps``,
        ``spike_hash``, per population ``n``, ``spikes``, ``mean_rate_hz``, projections,
        ``synaptic_events``, ``network_mb``, …)."""
        return self._core.summary()

    def spike_counts(self) -> dict[str, int]:
        """Spikes so far per population."""
        return dict(self._core.spike_counts())

    def state(self, population: str, variable: str) -> np.ndarray:
        """A state variable (``v``, ``g_exc``, …) of every neuron of a population."""
        return self._core.state(population, variable)

    def set_state(self, population: str, variable: str, values: Any) -> None:
        """Overwrite a state variable of every neuron of ``population`` (one value per neuron,
        or a scalar for all), e.g. ``v`` or the ``rate`` of a Poisson source mid-run; the same
        as ``set(f"{population}.{variable}", values)``.

        Errors name the key of the call, ``<population>.<name>``, with ``[i]`` for the first
        bad neuron (e.g. ``exc.v[7]``): a :class:`neuroplast.ConfigError` for a bad value or a
        wrong number of values, ``KeyError`` for an unknown population."""
        self.set(f"{population}.{variable}", values)

    def set(self, key: str, values: Any) -> None:
        """``set("exc.v", values)``: a state variable of every neuron (:meth:`set_state`);
        ``set("exc.tau_m", values)``: a model parameter, from the next step on (through
        :meth:`retune`, so the neurons keep their state). One value per neuron, or a scalar
        for all. A name that is both (Izhikevich ``a``…``d``, a Poisson ``rate``) sets the
        state."""
        if not isinstance(key, str) or "." not in key:
            raise TypeError(f"key: expected '<population>.<name>', got {key!r}")
        population, name = key.split(".", 1)
        sizes = {n: k for n, k, _ in self.populations}
        a = np.asarray(values, dtype=np.float64)
        if population in sizes and name in self._core.parameters(population):
            state = self._core.state_names(population)
            if name not in state:
                params = a.tolist() if a.ndim else float(a)

                def edit(spec: dict[str, Any]) -> None:
                    spec["populations"][population].setdefault("params", {})[name] = params

                self.retune(edit)
                return
        if a.ndim == 0 and population in sizes:
            a = np.full(sizes[population], float(a))
        self._core.set(population, name, np.ascontiguousarray(a))

    def retune(self, change: Mapping[str, Any] | Callable[[dict[str, Any]], Any]) -> list[str]:
        """Change parameters of the built network from the next step on: ``change`` is this
        network's tables (:meth:`to_dict`) with neuron parameters (scalars or one value per
        neuron) or current sources' waveforms edited, or a function that edits them in place.
        Neurons keep their state (potentials, refractory counters, random streams); returns
        the key paths that changed (``["populations.exc.params"]``).

        The structure stays: populations (names, sizes, models), projections, sources'
        targets. Anything else, or a bad value, raises :class:`neuroplast.ConfigError` naming
        the key and changes nothing; :meth:`to_dict`, :meth:`to_toml` and :meth:`to_bytes`
        describe the network with its new values."""
        if callable(change):
            spec = self.to_dict()
            change(spec)
        elif isinstance(change, Mapping):
            spec = copy.deepcopy(dict(change))
        else:
            raise TypeError(
                f"change: expected the network's tables (a dict) or a function editing them, "
                f"got {type(change).__name__}"
            )
        changed = list(self._core.retune(_clean(spec)))
        if self._spec is not None:
            self._spec = spec
        return changed

    def weights(self, projection: str) -> np.ndarray:
        """The synaptic weights of a projection (float64, one per synapse, in the order of
        :meth:`connections`)."""
        return self._core.weights(projection)

    def set_weights(self, projection: str, values: Any) -> None:
        """Overwrite the weights of a projection from the next step on: one value per synapse
        (in the order of :meth:`weights`) or a scalar for all. A plastic projection's rule
        continues from the new weights. Errors are a :class:`neuroplast.ConfigError` naming
        ``<projection>.weight`` and change nothing."""
        a = np.ascontiguousarray(np.atleast_1d(np.asarray(values, dtype=np.float64)))
        self._core.set_weights(projection, a)

    def connections(self, projection: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(pre, post, delay_steps)`` of every synapse of a projection (uint32 arrays in the
        order of :meth:`weights`)."""
        return self._core.connections(projection)

    def set_plastic(self, projection: str, plastic: bool) -> None:
        """Freeze (``False``) or unfreeze (``True``) a projection's plasticity from the next
        step on; while frozen it delivers its weights and its rule does nothing."""
        self._core.set_plastic(projection, plastic)

    def reward(self, amount: float, projection: str | None = None) -> int:
        """Add ``amount`` of dopamine to the ``reward_stdp`` projections (all, or only
        ``projection``); returns how many received it."""
        return self._core.reward(amount, projection)

    def set_threads(self, threads: int) -> None:
        """Use ``threads`` threads; results are identical for any number."""
        self._core.set_threads(count(threads, "threads", 1))

    def run(
        self,
        duration_ms: float | None = None,
        steps: int | None = None,
        progress: bool | Callable[[int], Any] | None = None,
        profile: bool = False,
        every: float | None = None,
        callback: Callable[["Network", dict[str, int]], Any] | None = None,
    ) -> SpikingRecording:
        """Advance ``duration_ms`` (or ``steps``; default: the file's duration) and return
        what the monitors recorded during this call (:class:`SpikingRecording`).

        ``every`` (ms) with ``callback``: a closed loop. The run stops every ``every`` ms and
        calls ``callback(net, counts)``, ``counts`` being the spikes of each population since
        the last call; the callback may change state (Poisson ``rate``, ``v``), freeze or
        unfreeze plasticity, give rewards, … and the run continues with them (as a
        ``[[schedule]]`` or a source's schedule would, at the same steps). A callback that
        returns ``False`` ends the run there. Nothing runs in Python between the calls.

        ``progress``: ``True`` for a tqdm bar, or a callable given the steps done so far.
        ``profile``: time every phase of the step; ``rec["profile"]`` is then ``{phase:
        {"seconds", "share"}}`` in schedule order (as the CLI's ``--profile``).
        Ctrl-C (or an exception from ``progress``) stops the run between 50 ms slices; the
        network stays where it got to (``t``) and the exception carries what was recorded
        until then as ``exc.recording``, so the next call starts with a clean recording."""
        if duration_ms is not None and steps is not None:
            raise TypeError("give duration_ms or steps, not both")
        if duration_ms is not None:
            if duration_ms < 0:
                raise config_error("duration_ms", f"must be ≥ 0, got {duration_ms}")
            n = duration_ms / self.dt_ms
            steps = int(round(n))
            if abs(n - steps) > 1e-9 * max(steps, 1):
                raise ValueError(
                    f"duration_ms = {duration_ms} is not a whole number of steps of {self.dt_ms} ms"
                )
        steps = self.steps if steps is None else count(steps, "steps")
        if (every is None) != (callback is None):
            raise TypeError("give every (ms) and callback together")
        if callback is not None:
            if progress is not None or profile:
                raise TypeError("progress and profile are not taken with a callback")
            return self._run_loop(steps, every, callback)
        callback, bar = progress_callback(progress, steps)
        t0 = self.t
        try:
            done, raw = self._core.run(steps, callback, profile)
        except BaseException as e:
            if isinstance(getattr(e, "recording", None), dict):
                e.recording = self._recording(e.recording, self.t - t0)
            raise
        finally:
            if bar is not None:
                bar.close()
        return self._recording(raw, done)

    def _run_loop(
        self, steps: int, every: float, callback: Callable[["Network", dict[str, int]], Any]
    ) -> SpikingRecording:
        if not callable(callback):
            raise TypeError(f"callback: expected a callable, got {type(callback).__name__}")
        if isinstance(every, bool) or not isinstance(every, (int, float)) or not every > 0:
            raise config_error("every", f"must be a time > 0 ms, got {every!r}")
        n = every / self.dt_ms
        per = int(round(n))
        if per < 1 or abs(n - per) > 1e-9 * per:
            raise config_error("every", f"{every} ms is not a whole number of steps of {self.dt_ms} ms")
        core = self._core
        parts = []
        before = dict(core.spike_counts())
        done = 0
        while done < steps:
            k = min(per, steps - done)
            got, raw = core.run(k, None, False)
            done += got
            parts.append(raw)
            now = dict(core.spike_counts())
            counts = {p: now[p] - before.get(p, 0) for p in now}
            before = now
            if callback(self, counts) is False:
                break
        return self._recording(_merge(parts), done)

    def _recording(self, raw: dict[str, Any], steps: int) -> SpikingRecording:
        rec = SpikingRecording(raw)
        rec["steps"] = steps
        rec["spike_hash"] = self.spike_hash
        rec["sizes"] = {n: k for n, k, _ in self.populations}
        return rec

    def save(self) -> bytes:
        """The whole network as bytes (``load`` continues it bit-exactly)."""
        return self._core.to_bytes()

    def load(self, data: bytes) -> None:
        """Restore a state saved by :meth:`save` from a network of the same file. Bytes of
        another network (other time step, seed, populations, projections or recordings) are
        refused with a :class:`neuroplast.ConfigError` naming what differs; damaged bytes with
        a :class:`neuroplast.CheckpointError`. Nothing changes then."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"Network.load: expected bytes, got {type(data).__name__}")
        self._core.load_bytes(bytes(data))

    def __repr__(self) -> str:
        pops = ", ".join(f"{n}: {k} × {m}" for n, k, m in self.populations)
        return f"<neuroplast.Network t={self.t} dt={self.dt_ms} ms [{pops}]>"


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The recordings of consecutive calls as one (spikes, samples and rate bins
    concatenated in time)."""
    if not parts:
        return {}
    out = dict(parts[-1])
    out["first_step"] = parts[0].get("first_step", 0)
    for key in ("spikes", "rate"):
        if key in out:
            out[key] = {
                name: tuple(np.concatenate([p[key][name][i] for p in parts]) for i in range(2))
                for name in out[key]
            }
    if "state" in out:
        merged = {}
        for name, (_, neurons, _) in out["state"].items():
            merged[name] = (
                np.concatenate([p["state"][name][0] for p in parts]),
                neurons,
                np.concatenate([p["state"][name][2] for p in parts], axis=0),
            )
        out["state"] = merged
    if "activity" in out:
        out["activity"] = {
            name: np.concatenate([p["activity"][name] for p in parts]) for name in out["activity"]
        }
        out["activity_first_step"] = parts[0].get("activity_first_step", out["first_step"])
    return out
