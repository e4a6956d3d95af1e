"""PyNN's Projection on neuroplast: PyNN's connectors draw the connections (with PyNN's random
numbers, so a seed gives the connections other backends get); the projection keeps them as
arrays and gives them to the engine as ``from_list`` projections with one weight and delay
per synapse, one engine projection per pair of populations (PopulationViews and Assemblies
are split into their populations)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pyNN import common
from pyNN.parameters import ParameterSpace
from pyNN.space import Space

from . import simulator
from .standardmodels import StaticSynapse


def _components(group: Any) -> list[tuple[Any, np.ndarray, int]]:
    """(population, its indices, offset in ``group``) for each part of a Population,
    PopulationView or Assembly."""
    if isinstance(group, common.Assembly):
        parts, offset = [], 0
        for p in group.populations:
            for pop, idx, _ in _components(p):
                parts.append((pop, idx, offset))
            offset += p.size
        return parts
    if isinstance(group, common.PopulationView):
        return [(group.grandparent, np.asarray(group.index_in_grandparent(np.arange(group.size)), dtype=int), 0)]
    return [(group, np.arange(group.size), 0)]


class Connection(common.Connection):
    """One synapse of a projection (PyNN's ``Projection.connections``): its indices, and its
    ``weight`` and ``delay`` read from and written to the projection."""

    def __init__(self, projection: "Projection", k: int) -> None:
        self._projection = projection
        self._k = k
        self.presynaptic_index = int(projection.pre_index[k])
        self.postsynaptic_index = int(projection.post_index[k])

    def _get(self, name: str) -> float:
        return float(self._projection._current(name)[self._k])

    def _set(self, name: str, value: float) -> None:
        p = self._projection
        values = p._current(name).copy()
        values[self._k] = value
        ps = ParameterSpace({name: values}, shape=values.shape)
        p._set_per_synapse(ps)

    weight = property(lambda self: self._get("weight"), lambda self, v: self._set("weight", v))
    delay = property(lambda self: self._get("delay"), lambda self, v: self._set("delay", v))

    def as_tuple(self, *attribute_names: str) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population: Any, postsynaptic_population: Any, connector: Any,
                 synapse_type: Any = None, source: Any = None, receptor_type: Any = None,
                 space: Space = Space(), label: str | None = None) -> None:
        simulator.state.structure_changed("a new Projection")
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type, space, label)
        self._engine_name = f"c{len(simulator.state.projections)}"
        self._pre: list[np.ndarray] = []
        self._post: list[np.ndarray] = []
        self._values: dict[str, list[np.ndarray]] = {}
        self._pre_parts = _components(self.pre)
        self._post_parts = _components(self.post)
        connector.connect(self)
        self._freeze()
        simulator.state.projections.append(self)

    def _freeze(self) -> None:
        self.pre_index = np.concatenate(self._pre) if self._pre else np.zeros(0, int)
        self.post_index = np.concatenate(self._post) if self._post else np.zeros(0, int)
        n = self.pre_index.size
        self.values = {
            name: (np.concatenate(parts) if parts else np.zeros(0)) for name, parts in self._values.items()
        }
        for name in list(self.values):
            if self.values[name].size != n:
                self.values[name] = np.resize(self.values[name], n)
        if "delay" in self.values:
            self.values["delay"] = simulator.rounded_delays(self.values["delay"], simulator.state.dt)
        self._split = self._groups()  # the connections are drawn: their split is fixed

    def __len__(self) -> int:
        return int(self.pre_index.size)

    @property
    def connections(self) -> Any:
        """Every synapse as a :class:`Connection`."""
        return (Connection(self, k) for k in range(len(self)))

    def _convergent_connect(self, presynaptic_indices: Any, postsynaptic_index: int,
                            location_selector: Any = None, **connection_parameters: Any) -> None:
        if location_selector is not None:
            raise NotImplementedError("neuroplast.pynn has no multicompartment models")
        pre = np.asarray(presynaptic_indices, dtype=int).ravel()
        if pre.size == 0:
            return
        self._pre.append(pre)
        self._post.append(np.full(pre.size, int(postsynaptic_index)))
        for name, value in connection_parameters.items():
            a = np.asarray(value, dtype=float)
            self._values.setdefault(name, []).append(np.broadcast_to(a, pre.shape).astype(float))

    # ---- the engine -----------------------------------------------------------------------

    def _groups(self) -> list[tuple[str, Any, np.ndarray, Any, np.ndarray, np.ndarray]]:
        """(engine name, pre population, pre indices, post population, post indices, which
        synapses) for each pair of populations this projection connects."""
        groups = []
        k = 0
        for pre_pop, pre_idx, pre_off in self._pre_parts:
            in_pre = (self.pre_index >= pre_off) & (self.pre_index < pre_off + pre_idx.size)
            for post_pop, post_idx, post_off in self._post_parts:
                in_post = (self.post_index >= post_off) & (self.post_index < post_off + post_idx.size)
                which = np.flatnonzero(in_pre & in_post)
                name = f"{self._engine_name}_{k}"
                k += 1
                groups.append((name, pre_pop, pre_idx[self.pre_index[which] - pre_off],
                               post_pop, post_idx[self.post_index[which] - post_off], which))
        return groups

    def _engine_tables(self) -> dict[str, Any]:
        tables = {}
        for name, pre_pop, pre, post_pop, post, which in self._split:
            if which.size == 0:
                continue
            celltype = post_pop.celltype
            # one group of all synapses (the usual case) copies instead of gathering
            whole = which.size == len(self)
            values = {k: v.copy() if whole else v[which] for k, v in self.values.items()}
            table: dict[str, Any] = {
                "pre": pre_pop._engine_name,
                "post": post_pop._engine_name,
                "connector": {
                    "kind": "from_list",
                    "pre": pre.astype(np.int64, copy=False),
                    "post": post.astype(np.int64, copy=False),
                },
                "weight": {"kind": "array", "values": values["weight"]},
                "delay_ms": {"kind": "array", "values": values["delay"]},
            }
            table.update(celltype.engine_receptor(self.receptor_type))
            rule = self.synapse_type.engine_plasticity(values, celltype)
            if rule is not None:
                table["plasticity"] = rule
            tables[name] = table
        return tables

    @staticmethod
    def _order(net: Any, name: str, my_pre: np.ndarray, my_post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ours, engine's): positions such that our synapse ``ours[j]`` of engine projection
        ``name`` (``my_pre``, ``my_post``) is the engine's synapse ``engine[j]`` (both sorted by
        pre, then post; lexsort is stable, so multapses keep their order)."""
        pre, post, _ = net.connections(name)
        return np.lexsort((my_post, my_pre)), np.lexsort((post, pre))

    def _current(self, name: str) -> np.ndarray:
        """An attribute of every synapse now: the weights of the built engine (plasticity
        changes them), else the description's values (what a reset goes back to)."""
        net = simulator.state.net
        if name != "weight" or net is None:
            return self.values[name]
        w = self.values["weight"].copy()
        for engine_name, _, pre, _, post, which in self._split:
            if which.size == 0:
                continue
            ours, engine = self._order(net, engine_name, pre, post)
            w[which[ours]] = net.weights(engine_name)[engine]
        return w

    # ---- PyNN's get and set ---------------------------------------------------------------

    def _get_attributes_as_list(self, names: Any) -> list[tuple[Any, ...]]:
        columns = []
        for name in names:
            if name == "presynaptic_index":
                columns.append(self.pre_index)
            elif name == "postsynaptic_index":
                columns.append(self.post_index)
            else:
                columns.append(self._current(name))
        return [tuple(row) for row in np.column_stack(columns).tolist()] if len(self) else []

    def _get_attributes_as_arrays(self, names: Any, multiple_synapses: str = "sum") -> list[np.ndarray]:
        operation = common.Projection.MULTI_SYNAPSE_OPERATIONS[multiple_synapses]
        out = []
        for name in names:
            a = np.full((self.pre.size, self.post.size), np.nan)
            for i, j, v in zip(self.pre_index, self.post_index, self._current(name)):
                a[i, j] = v if np.isnan(a[i, j]) else operation(a[i, j], v)
            out.append(a)
        return out

    def _set_attributes(self, parameter_space: Any) -> None:
        """PyNN's ``set``: values as (pre × post) arrays or scalars."""
        parameter_space.evaluate(simplify=False)
        per_synapse = {}
        for name, value in parameter_space.items():
            a = np.asarray(value, dtype=float)
            per_synapse[name] = a[self.pre_index, self.post_index] if a.ndim == 2 else np.broadcast_to(a, self.pre_index.shape)
        self._set_per_synapse(ParameterSpace(per_synapse, shape=self.pre_index.shape))

    def _set_per_synapse(self, parameter_space: Any) -> None:
        parameter_space.evaluate(simplify=False)
        changed = []
        for name, value in parameter_space.items():
            new = np.broadcast_to(np.asarray(value, dtype=float), self.pre_index.shape).copy()
            if name == "delay":
                new = simulator.rounded_delays(new, simulator.state.dt)
            if name == "weight" or not np.array_equal(new, self.values[name]):
                changed.append(name)
            self.values[name] = np.array(new, dtype=float)
        net = simulator.state.net
        if net is None or not changed:
            return
        fixed = [n for n in changed if n != "weight"]
        if fixed:
            raise NotImplementedError(
                f"neuroplast.pynn: {', '.join(fixed)} of a projection cannot change after the "
                "simulation has run (weights can); set them before the first run() or after reset()"
            )
        for name, _, pre, _, post, which in self._split:
            if which.size == 0:
                continue
            ours, engine = self._order(net, name, pre, post)
            w = np.empty(which.size)
            w[engine] = self.values["weight"][which[ours]]
            net.set_weights(name, w)
