"""Networks in code: the pieces :class:`neuroplast.Network`'s builder takes.

A network built in Python is the same data as an experiment file: each call adds a table
(``population`` → ``[populations.<name>]``, ``connect`` → ``[projections.<name>]``, …),
checked at once by the same resolver as ``neuroplast run`` (errors are
:class:`neuroplast.ConfigError` naming the argument's key), and the first run builds it with
the same engine — so the spike hash equals the file's. ``net.to_toml()`` writes that file.

>>> import neuroplast as npl
>>> net = npl.Network(dt=0.1, seed=1)
>>> exc = net.population("exc", 80, "IF_cond_exp", init={"v": npl.uniform(-60.0, -50.0)})
>>> inh = net.population("inh", 20, "IF_cond_exp")
>>> _ = net.connect(exc, inh, npl.fixed_probability(0.1), weight=0.004, receptor="excitatory")
>>> net.record(exc, spikes=True)
>>> "[populations.exc]" in net.to_toml()
True

Values that vary (initial values, per-neuron parameters, weights, delays) are numbers, numpy
arrays (one value per neuron or synapse) or distributions: :func:`uniform`, :func:`normal`.
Connectors: :func:`all_to_all`, :func:`one_to_one`, :func:`fixed_probability`,
:func:`fixed_in_degree`, :func:`fixed_out_degree`, :func:`from_list`. Models written as
equations: :class:`Model` (Brian2 or ANNarchy syntax; the model library's with
:meth:`Model.library`).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

from . import _neuroplast

__all__ = [
    "Model",
    "Population",
    "Projection",
    "all_to_all",
    "fixed_in_degree",
    "fixed_out_degree",
    "fixed_probability",
    "from_list",
    "normal",
    "one_to_one",
    "uniform",
]


# ---- values --------------------------------------------------------------------------------


def uniform(low: float, high: float) -> dict[str, Any]:
    """Values drawn uniformly from ``[low, high)``, one per neuron or synapse."""
    return {"kind": "uniform", "low": float(low), "high": float(high)}


def normal(
    mean: float, sd: float, clip_low: float | None = None, clip_high: float | None = None
) -> dict[str, Any]:
    """Values drawn from a normal distribution, optionally clipped to ``[clip_low,
    clip_high]``."""
    d: dict[str, Any] = {"kind": "normal", "mean": float(mean), "sd": float(sd)}
    if clip_low is not None:
        d["clip_low"] = float(clip_low)
    if clip_high is not None:
        d["clip_high"] = float(clip_high)
    return d


def _value(v: Any) -> Any:
    """A number, a distribution (dict) or an array (one value per element) as file data."""
    if isinstance(v, Mapping):
        return dict(v)
    a = np.asarray(v)
    if a.ndim == 0:
        return float(a) if a.dtype.kind in "fiu" else v
    return {"kind": "array", "values": a.astype(np.float64).ravel().tolist()}


def _per_neuron(v: Any) -> Any:
    """A parameter value: a number, a list (one per neuron) or a distribution."""
    if isinstance(v, Mapping):
        return dict(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)) and any(isinstance(x, Mapping) for x in v):
        return [dict(x) if isinstance(x, Mapping) else x for x in v]  # e.g. a rate schedule
    if isinstance(v, (list, tuple)) and any(isinstance(x, (list, tuple, np.ndarray)) for x in v):
        # one sequence per neuron (SpikeSourceArray's spike_times), ragged or not
        return [np.asarray(x, dtype=np.float64).ravel().tolist() for x in v]
    a = np.asarray(v)
    if a.ndim == 0:
        return a.item()
    return a.astype(np.float64).ravel().tolist()


# ---- connectors ----------------------------------------------------------------------------


def all_to_all(allow_self: bool = True) -> dict[str, Any]:
    """Every presynaptic neuron to every postsynaptic one (``allow_self``: a neuron to itself
    when both are the same population)."""
    return {"kind": "all_to_all", "allow_self": bool(allow_self)}


def one_to_one() -> dict[str, Any]:
    """Neuron i to neuron i (populations of one size)."""
    return {"kind": "one_to_one"}


def fixed_probability(p: float, allow_self: bool = True) -> dict[str, Any]:
    """Each pair connects with probability ``p``."""
    return {"kind": "fixed_probability", "p": float(p), "allow_self": bool(allow_self)}


def fixed_in_degree(k: int, allow_self: bool = True, multapses: bool = False) -> dict[str, Any]:
    """Each postsynaptic neuron gets ``k`` presynaptic partners."""
    return {"kind": "fixed_in_degree", "k": int(k), "allow_self": bool(allow_self), "multapses": bool(multapses)}


def fixed_out_degree(k: int, allow_self: bool = True, multapses: bool = False) -> dict[str, Any]:
    """Each presynaptic neuron gets ``k`` postsynaptic partners."""
    return {"kind": "fixed_out_degree", "k": int(k), "allow_self": bool(allow_self), "multapses": bool(multapses)}


def from_list(pre: Iterable[int], post: Iterable[int]) -> dict[str, Any]:
    """Exactly the pairs ``(pre[k], post[k])``."""
    return {
        "kind": "from_list",
        "pre": np.asarray(list(pre), dtype=np.int64).tolist(),
        "post": np.asarray(list(post), dtype=np.int64).tolist(),
    }


# ---- models written as equations -----------------------------------------------------------

_FIELDS = (
    "description parameters equations functions threshold spike reset refractory "
    "refractory_rule method init on_pre on_post pre_spike post_spike delay"
).split()


class Model:
    """A neuron or synapse model written as equations, in Brian2 or ANNarchy syntax
    (``docs/model-language.md``): the fields of a ``[models.<name>]`` table as keywords.

    >>> lif = Model("lif", syntax="brian2", parameters="tau = 10*ms",
    ...             equations="dv/dt = -v/tau : volt", threshold="v > 1*mV", reset="v = 0*mV")
    >>> lif.kind, [p["name"] for p in lif.parameters]
    ('neuron', ['tau'])

    The model is parsed and checked when it is made: a mistake is a
    :class:`neuroplast.ConfigError` naming ``models.<name>.<field>`` with the line, column and
    a caret. Use it as a population's ``model`` (a neuron model) or a projection's
    ``plasticity`` (a synapse model: it has ``on_pre``/``on_post`` or
    ``pre_spike``/``post_spike``)."""

    def __init__(self, name: str, syntax: str = "brian2", **fields: Any) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"name: expected a model name (str), got {name!r}")
        unknown = sorted(set(fields) - set(_FIELDS))
        if unknown:
            raise TypeError(
                f"Model() got unexpected keyword argument(s) {', '.join(unknown)}; "
                f"allowed: syntax, {', '.join(_FIELDS)}"
            )
        table = {"syntax": syntax}
        table.update({k: v for k, v in fields.items() if v is not None})
        self.name = name
        self.table: dict[str, Any] = table
        self._info = _neuroplast.model_info(name, table)

    @classmethod
    def library(cls, name: str) -> "Model":
        """Model ``name`` of the model library (``examples/models/``: ``IF_cond_exp``,
        ``IF_curr_exp``, ``Izhikevich``, ``AdEx``, ``HH_squid``, ``pair_stdp``, ``RSNeuron``,
        ``homeo_stdp``, …)."""
        lib = _neuroplast.library_models()
        if name not in lib:
            raise KeyError(f"no model {name!r} in the library; it has: {', '.join(sorted(lib))}")
        table = dict(lib[name])
        return cls(name, **table)

    @staticmethod
    def library_names() -> list[str]:
        """The names of the library's models."""
        return sorted(_neuroplast.library_models())

    @property
    def kind(self) -> str:
        """``"neuron"`` or ``"synapse"``."""
        return self._info["kind"]

    @property
    def parameters(self) -> list[dict[str, Any]]:
        """``{name, default, unit, per_neuron}`` of every parameter."""
        return self._info["parameters"]

    @property
    def variables(self) -> list[dict[str, Any]]:
        """``{name, unit, role, initial}`` of every state variable."""
        return self._info["variables"]

    @property
    def targets(self) -> list[str]:
        """Neurons: the variables synapses may add to (a projection's ``receptor``).
        Synapses: what ``on_pre`` adds to."""
        return self._info["targets"]

    def __repr__(self) -> str:
        return f"<neuroplast.Model {self.name!r} ({self.kind}, {self._info['syntax']})>"


# ---- handles -------------------------------------------------------------------------------


class Population:
    """A population of a :class:`neuroplast.Network` (what ``population()`` returns): its
    parameters and initial values before the first run, its state after."""

    def __init__(self, net: Any, name: str) -> None:
        self._net = net
        self.name = name

    @property
    def size(self) -> int:
        """Number of neurons."""
        return int(self._net._spec["populations"][self.name]["n"])

    def __len__(self) -> int:
        return self.size

    @property
    def model(self) -> str:
        """The model's name."""
        return self._net._spec["populations"][self.name]["model"]

    def get(self, name: str) -> Any:
        """A state variable of every neuron (numpy, once built), else the parameter or initial
        value as given."""
        if self._net._built:
            return self._net.state(self.name, name)
        table = self._net._spec["populations"][self.name]
        for key in ("params", "init"):
            if name in table.get(key, {}):
                return table[key][name]
        raise KeyError(f"{self.name}.{name}: not given (defaults are the model's)")

    def set(self, name: str | None = None, values: Any = None, **kw: Any) -> None:
        """Before the first run: a parameter (``set("tau_m", 20.0)``, per neuron with an
        array or a distribution) or, for a state variable, its initial value
        (``set(v=npl.uniform(-60, -50))``). After it: a state variable of every neuron, or a
        parameter from the next step on (:meth:`neuroplast.Network.set`)."""
        items = dict(kw)
        if name is not None:
            items[name] = values
        for k, v in items.items():
            if self._net._built:
                self._net.set_state(self.name, k, v)
            else:
                self._net._set_population_value(self.name, k, v)

    def __repr__(self) -> str:
        return f"<neuroplast.Population {self.name!r}: {self.size} × {self.model}>"


class Projection:
    """A projection of a :class:`neuroplast.Network` (what ``connect()`` returns): weights,
    delays and connections as numpy arrays once built."""

    def __init__(self, net: Any, name: str) -> None:
        self._net = net
        self.name = name

    def get(self, what: str) -> Any:
        """``"weight"`` (one per synapse), ``"delay"`` (ms), ``"pre"``, ``"post"`` or
        ``"connections"`` (``(pre, post, delay_steps)``); before the first run the value
        given to ``connect``."""
        allowed = ("weight", "delay", "pre", "post", "connections")
        if what not in allowed:
            raise KeyError(f"{self.name}.{what}: allowed: {', '.join(allowed)}")
        if not self._net._built:
            table = self._net._spec["projections"][self.name]
            key = {"weight": "weight", "delay": "delay_ms"}.get(what)
            if key is None or key not in table:
                raise KeyError(f"{self.name}.{what}: known once the network is built (after run)")
            return table[key]
        if what == "weight":
            return self._net.weights(self.name)
        pre, post, delay = self._net.connections(self.name)
        return {
            "pre": pre,
            "post": post,
            "delay": delay * self._net.dt_ms,
            "connections": (pre, post, delay),
        }[what]

    def set(self, what: str, values: Any) -> None:
        """``set("weight", values)``: before the first run the weight given to ``connect`` (a
        number, array or distribution); after it the weights of every synapse (one per
        synapse in the order of ``get("weight")``, or a scalar)."""
        if what != "weight":
            raise KeyError(f"{self.name}.{what}: allowed: weight (delays and connections are fixed once drawn)")
        if self._net._built:
            self._net.set_weights(self.name, values)
            return

        def edit(spec: dict[str, Any]) -> None:
            spec["projections"][self.name]["weight"] = _value(values)

        self._net._change(edit)

    def __repr__(self) -> str:
        t = self._net._spec["projections"][self.name]
        return f"<neuroplast.Projection {self.name!r}: {t['pre']} → {t['post']}>"
