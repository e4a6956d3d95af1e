"""The builder half of :class:`neuroplast.Network`: the experiment file's tables, grown call by
call and checked by the same resolver as ``neuroplast run`` after each call (a call that
fails changes nothing); the first use that needs the engine builds it from those tables."""

from __future__ import annotations

import copy
import struct
from typing import Any, Mapping

from . import _neuroplast
from ._checks import config_error
from .builder import Model, Population, Projection, _per_neuron, _value

# the start of Network.to_bytes(): then the resolved file's length, the file, the checkpoint
_MAGIC = b"neuroplast-network\x00v1\x00"


class NetworkBuilder:
    """Builder state and calls; :class:`neuroplast.Network` adds running and reading."""

    _spec: dict[str, Any] | None
    _c: Any

    def __init__(self, dt: float, seed: int, duration_ms: float, threads: int) -> None:
        spec = {
            "simulation": {
                "dt_ms": float(dt),
                "duration_ms": float(duration_ms),
                "seed": int(seed),
                "threads": int(threads),
            },
            "populations": {},
        }
        NetworkBuilder._adopt(self, spec, None)

    @staticmethod
    def _adopt(net: Any, spec: dict[str, Any] | None, core: Any) -> None:
        net._spec = spec
        net._c = core

    # ---- the engine, built on first use -------------------------------------------------

    @property
    def _built(self) -> bool:
        return self._c is not None

    @property
    def _core(self) -> Any:
        if self._c is None:
            self._c = _neuroplast.NetworkCore.from_dict(self.to_dict())
        return self._c

    def _change(self, edit: Any) -> None:
        """Apply ``edit(spec)`` to a copy, check it, keep it (nothing changes on an error)."""
        if self._spec is None:
            raise TypeError(
                "this network was built from a file; add populations and projections in the "
                "file, or build the network in code (neuroplast.Network(dt=…, seed=…))"
            )
        if self._c is not None:
            raise TypeError(
                "the network is built (it has run or been read); add populations, projections, "
                "sources and recordings before the first run"
            )
        spec = copy.deepcopy(self._spec)
        edit(spec)
        if spec.get("populations"):
            _neuroplast.spiking_check(_clean(spec))
        self._spec = spec

    # ---- building calls -------------------------------------------------------------------

    def population(
        self,
        name: str,
        n: int,
        model: str | Model,
        params: Mapping[str, Any] | None = None,
        init: Mapping[str, Any] | None = None,
        precision: str | None = None,
    ) -> Population:
        """Add population ``name`` of ``n`` neurons of ``model`` (a built-in name such as
        ``"IF_cond_exp"``, or a neuron :class:`Model`), with parameter values ``params``
        (numbers, arrays of one value per neuron, distributions) and initial values ``init``
        (e.g. ``{"v": npl.uniform(-60, -50)}``). ``precision``: ``"f64"`` (default) or
        ``"f32"`` state (every built-in neuron model and equation models, not the spike
        sources). Returns its :class:`Population`."""
        _name(name, "name")
        if isinstance(model, Model):
            if model.kind != "neuron":
                raise config_error("model", f"{model.name!r} is a synapse model; give it to connect(plasticity=…)")
            model_name = model.name
        elif isinstance(model, str):
            model_name = model
        else:
            raise TypeError(f"model: expected a model name or a neuroplast.Model, got {type(model).__name__}")

        def edit(spec: dict[str, Any]) -> None:
            if name in spec["populations"]:
                raise config_error(f"populations.{name}", "a population of this name exists")
            if isinstance(model, Model):
                _add_model(spec, model)
            table: dict[str, Any] = {"model": model_name, "n": int(n)}
            if params:
                table["params"] = {k: _per_neuron(v) for k, v in _mapping(params, "params").items()}
            if init:
                table["init"] = {k: _value(v) for k, v in _mapping(init, "init").items()}
            if precision is not None:
                table["precision"] = precision
            spec["populations"][name] = table

        self._change(edit)
        return Population(self, name)

    def connect(
        self,
        pre: str | Population,
        post: str | Population,
        connector: Mapping[str, Any],
        weight: Any,
        delay: Any = None,
        receptor: str | list[str] | None = None,
        synapse: Mapping[str, Any] | None = None,
        plasticity: Mapping[str, Any] | Model | None = None,
        name: str | None = None,
        delay_rounding: str | None = None,
        rate_window_ms: float | None = None,
        **rule_params: Any,
    ) -> Projection:
        """Connect ``pre`` to ``post`` (populations or their names) by ``connector`` (e.g.
        ``npl.fixed_probability(0.02)``) with ``weight`` (a number, an array of one weight per
        synapse, or a distribution) and ``delay`` in ms (default one step), into ``receptor``
        (``"excitatory"``, ``["ampa", "nmda"]``) or a ``synapse`` table
        (``{"kind": "double_exponential", …}``). ``plasticity``: a built-in rule's table
        (``{"kind": "pair_stdp", "w_max": 0.01}``) or a synapse :class:`Model`, whose
        parameters can be given as further keywords (and ``rate_window_ms`` for ``post.r``).
        ``name`` defaults to ``"<pre>_<post>"``. Returns its :class:`Projection`."""
        pre_name = pre.name if isinstance(pre, Population) else pre
        post_name = post.name if isinstance(post, Population) else post
        _name(pre_name, "pre")
        _name(post_name, "post")
        proj = name if name is not None else f"{pre_name}_{post_name}"
        _name(proj, "name")
        if rule_params and not isinstance(plasticity, Model):
            raise TypeError(
                f"connect() got unexpected keyword argument(s) {', '.join(sorted(rule_params))} "
                "(parameters of a synapse Model given as plasticity=)"
            )

        def edit(spec: dict[str, Any]) -> None:
            projections = spec.setdefault("projections", {})
            if proj in projections:
                raise config_error(f"projections.{proj}", "a projection of this name exists; give name=")
            table: dict[str, Any] = {"pre": pre_name, "post": post_name}
            table["connector"] = dict(_mapping(connector, "connector"))
            if receptor is not None:
                table["receptor"] = receptor if isinstance(receptor, str) else list(receptor)
            if synapse is not None:
                table["synapse"] = dict(_mapping(synapse, "synapse"))
            table["weight"] = _value(weight)
            if delay is not None:
                table["delay_ms"] = _value(delay)
            if delay_rounding is not None:
                table["delay_rounding"] = delay_rounding
            if isinstance(plasticity, Model):
                if plasticity.kind != "synapse":
                    raise config_error("plasticity", f"{plasticity.name!r} is a neuron model")
                _add_model(spec, plasticity)
                rule: dict[str, Any] = {"kind": plasticity.name}
                rule.update({k: float(v) for k, v in rule_params.items()})
                if rate_window_ms is not None:
                    rule["rate_window_ms"] = float(rate_window_ms)
                table["plasticity"] = rule
            elif plasticity is not None:
                table["plasticity"] = dict(_mapping(plasticity, "plasticity"))
            projections[proj] = table

        self._change(edit)
        return Projection(self, proj)

    def current_source(
        self,
        name: str,
        population: str | Population,
        waveform: Mapping[str, Any],
        neurons: list[int] | None = None,
    ) -> None:
        """Add current source ``name`` into ``population`` (all neurons, or ``neurons``):
        ``waveform`` as in files, e.g. ``{"kind": "dc", "amplitude": 0.5, "start": 10.0}``."""
        _name(name, "name")
        pop = population.name if isinstance(population, Population) else population

        def edit(spec: dict[str, Any]) -> None:
            table: dict[str, Any] = {"population": pop, "waveform": dict(_mapping(waveform, "waveform"))}
            if neurons is not None:
                table["neurons"] = [int(i) for i in neurons]
            spec.setdefault("sources", {})[name] = table

        self._change(edit)

    def record(
        self,
        population: str | Population,
        spikes: bool = True,
        state: Any = (),
        every_ms: float | None = None,
        rate_bin_ms: float | None = None,
        neurons: list[int] | None = None,
    ) -> None:
        """Record ``population``: its ``spikes``, ``state`` variables (names; sampled every
        ``every_ms``, default every step, of ``neurons`` or all) and its population rate in
        bins of ``rate_bin_ms``. What a run recorded comes back from :meth:`run`."""
        pop = population.name if isinstance(population, Population) else population
        names = [state] if isinstance(state, str) else list(state)

        def edit(spec: dict[str, Any]) -> None:
            table: dict[str, Any] = {}
            if spikes:
                table["spikes"] = True
            if names:
                one: dict[str, Any] = {}
                if every_ms is not None:
                    one["every_ms"] = float(every_ms)
                if neurons is not None:
                    one["neurons"] = [int(i) for i in neurons]
                table["state"] = {v: dict(one) for v in names}
            if rate_bin_ms is not None:
                table["rate"] = {"bin_ms": float(rate_bin_ms)}
            spec.setdefault("record", {})[pop] = table

        self._change(edit)

    # ---- the file -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The experiment file's tables (what :meth:`from_dict` reads)."""
        if self._spec is None:
            return _neuroplast.spiking_dict(self._core.resolved_toml, "<network>")
        return _clean(copy.deepcopy(self._spec))

    def to_toml(self) -> str:
        """The network as an experiment file: ``neuroplast run`` on it (or
        :meth:`from_toml`) builds the same network with the same spikes."""
        return _neuroplast.spiking_toml(self.to_dict())

    def to_bytes(self) -> bytes:
        """The network and its state as self-contained bytes: :meth:`from_bytes` continues it
        bit-exactly, with no file."""
        text = self._core.resolved_toml.encode()
        ckpt = self._core.to_bytes()
        return _MAGIC + struct.pack("<Q", len(text)) + text + ckpt

    @staticmethod
    def _unpack(data: bytes) -> tuple[str, bytes]:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data: expected bytes, got {type(data).__name__}")
        data = bytes(data)
        if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + 8:
            raise _neuroplast.CheckpointError(
                "data: not the bytes of Network.to_bytes() (Network.save() bytes load into a "
                "network of the same file with Network.load)"
            )
        at = len(_MAGIC)
        (n,) = struct.unpack("<Q", data[at : at + 8])
        text = data[at + 8 : at + 8 + n].decode()
        return text, data[at + 8 + n :]

    def _set_population_value(self, pop: str, key: str, value: Any) -> None:
        def as_param(spec: dict[str, Any]) -> None:
            spec["populations"][pop].setdefault("params", {})[key] = _per_neuron(value)

        def as_init(spec: dict[str, Any]) -> None:
            spec["populations"][pop].setdefault("init", {})[key] = _value(value)

        state = {v["name"] for v in _state_names(self._spec, self._spec["populations"][pop])}
        if key in state:
            self._change(as_init)
            return
        try:
            self._change(as_param)
        except _neuroplast.ConfigError as first:
            # a built-in model's state variable (`v`) is an initial value
            try:
                self._change(as_init)
            except _neuroplast.ConfigError:
                raise first from None


def _state_names(spec: dict[str, Any], table: dict[str, Any]) -> list[dict[str, Any]]:
    """The state variables of an equation model (built-in models: ask the engine later)."""
    model = spec.get("models", {}).get(table["model"])
    if model is None:
        return []
    return _neuroplast.model_info(table["model"], model)["variables"]


def _add_model(spec: dict[str, Any], model: Model) -> None:
    models = spec.setdefault("models", {})
    if model.name in models and models[model.name] != model.table:
        raise config_error(f"models.{model.name}", "another model of this name is in the network")
    models[model.name] = dict(model.table)


def _clean(spec: dict[str, Any]) -> dict[str, Any]:
    """The tables without empty ones (what a file would not write)."""
    return {k: v for k, v in spec.items() if not (isinstance(v, dict) and not v and k != "populations")}


def _name(value: Any, arg: str) -> None:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{arg}: expected a name (str), got {value!r}")


def _mapping(value: Any, arg: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{arg}: expected a dict (a table of the file), got {type(value).__name__} {value!r}")
    return value
