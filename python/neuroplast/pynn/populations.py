"""PyNN's Population, PopulationView and Assembly on neuroplast: a population keeps its
native (neuroplast) parameters as one array per parameter; the engine is built from them at
the first run, and later changes reach it through :meth:`neuroplast.Network.retune`."""

from __future__ import annotations

from typing import Any

import numpy as np
from pyNN import common, errors
from pyNN.parameters import ParameterSpace, Sequence, simplify
from pyNN.standardmodels import StandardCellType

from . import simulator
from .recording import Recorder


class Assembly(common.Assembly):
    _simulator = simulator


class _Parameters:
    """What Population and PopulationView share: native parameters, read and written
    through the parent population's arrays."""

    def _get_parameters(self, *names: str) -> ParameterSpace:
        celltype = self.celltype
        if not isinstance(celltype, StandardCellType):
            raise NotImplementedError("neuroplast.pynn runs PyNN's standard cell types")
        if any(name in celltype.computed_parameters() for name in names):
            native_names = celltype.get_native_names()
        else:
            native_names = celltype.get_native_names(*names)
        return celltype.reverse_translate(self._get_native_parameters(*native_names))

    def _get_native_parameters(self, *names: str) -> ParameterSpace:
        values = {}
        for name in names:
            value = self._root._parameters[name]
            if isinstance(value, np.ndarray):
                value = value[self._indices]
            values[name] = simplify(value)
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space: ParameterSpace) -> None:
        """``parameter_space`` holds native parameters."""
        parameter_space.evaluate(simplify=False)
        root = self._root
        for name, value in parameter_space.items():
            if np.ndim(root._parameters[name]) == 0:
                root._parameters[name] = np.full(root.size, root._parameters[name])
            root._parameters[name][self._indices] = value
        root._check_parameters()
        simulator.state.retune(root._retune_edit)

    def _set_initial_value_array(self, variable: str, initial_values: Any) -> None:
        root = self._root
        values = np.asarray(initial_values.evaluate(simplify=False), dtype=float)
        if variable in root._initial:
            root._initial[variable][self._indices] = values
        else:
            full = np.full(root.size, np.nan)
            full[self._indices] = values
            root._initial[variable] = full
        net = simulator.state.net
        name = root.celltype.engine_state.get(variable)
        if net is not None and name is not None:
            # the built engine takes the new value now (NEST and Brian2 do the same)
            now = net.state(root._engine_name, name)
            now[self._indices] = values * root.celltype.state_scale.get(variable, 1.0)
            net.set_state(root._engine_name, name, now)


class PopulationView(_Parameters, common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    @property
    def _root(self) -> "Population":
        return self.grandparent

    @property
    def _indices(self) -> np.ndarray:
        return np.asarray(self.index_in_grandparent(np.arange(self.size)), dtype=int)

    def _get_view(self, selector: Any, label: str | None = None) -> "PopulationView":
        return PopulationView(self, selector, label)


class Population(_Parameters, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        simulator.state.structure_changed("a new Population")
        common.Population.__init__(self, *args, **kwargs)

    def _create_cells(self) -> None:
        state = simulator.state
        if not isinstance(self.celltype, StandardCellType) or not hasattr(self.celltype, "engine_model"):
            raise NotImplementedError(
                f"neuroplast.pynn has no cell type {type(self.celltype).__name__}; "
                f"available: {', '.join(_available())}"
            )
        first = state.id_counter
        self.all_cells = np.array([simulator.ID(i) for i in range(first, first + self.size)], dtype=simulator.ID)
        self._mask_local = np.ones((self.size,), bool)
        parameter_space = self.celltype.native_parameters
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        self._parameters = {
            name: np.broadcast_to(np.asarray(value), (self.size,)).copy() for name, value in parameter_space.items()
        }
        self._initial: dict[str, np.ndarray] = {}
        self._engine_name = f"p{len(state.populations)}"
        self._check_parameters()
        for cell in self.all_cells:
            cell.parent = self
        state.id_counter += self.size
        state.populations.append(self)

    @property
    def _root(self) -> "Population":
        return self

    @property
    def _indices(self) -> np.ndarray:
        return np.arange(self.size)

    def _get_view(self, selector: Any, label: str | None = None) -> PopulationView:
        return PopulationView(self, selector, label)

    # ---- the engine's tables --------------------------------------------------------------

    def _check_parameters(self) -> None:
        """Spike times must be in order (PyNN's rule)."""
        for name, value in self._parameters.items():
            a = np.asarray(value)
            if a.dtype != object:
                continue
            for k, times in enumerate(a):
                t = np.asarray(times.value if isinstance(times, Sequence) else times, dtype=float)
                if np.any(np.diff(t) < 0):
                    raise errors.InvalidParameterValueError(
                        f"{self.label}: {name} of neuron {k} are not in increasing order: {t.tolist()}"
                    )

    def _engine_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        dt = simulator.state.dt
        for name, value in self._parameters.items():
            a = np.asarray(value)
            if a.dtype == object:  # spike_times: one Sequence per neuron
                params[name] = [np.asarray(s.value if isinstance(s, Sequence) else s, dtype=float).tolist() for s in a]
                continue
            if name == "tau_refrac":
                a = np.where((a > 0) & (a < dt / 2), 0.0, a)  # shorter than half a step: none
            if np.all(a == a.flat[0]):
                params[name] = float(a.flat[0])
            elif name in self.celltype.engine_scalar:
                raise NotImplementedError(
                    f"neuroplast.pynn: {self.label}: neuroplast takes one {name} per population of "
                    f"{type(self.celltype).__name__}, got several (use one Population per value)"
                )
            else:
                params[name] = a.astype(float).tolist()
        params.update(self.celltype.engine_fixed)
        return params

    def _engine_table(self) -> dict[str, Any]:
        table: dict[str, Any] = {"model": self.celltype.engine_model, "n": int(self.size)}
        table["params"] = self._engine_params()
        init = {}
        for variable, values in self._initial.items():
            name = self.celltype.engine_state.get(variable)
            if name is None:
                continue
            values = values * self.celltype.state_scale.get(variable, 1.0)
            if np.all(values == values[0]):
                init[name] = float(values[0])
            else:
                init[name] = {"kind": "array", "values": values.tolist()}
        if init:
            table["init"] = init
        return table

    def _retune_edit(self, spec: dict[str, Any]) -> None:
        spec["populations"][self._engine_name]["params"] = self._engine_params()


def _available() -> list[str]:
    from . import standardmodels

    return sorted(
        name
        for name, obj in vars(standardmodels).items()
        if isinstance(obj, type) and issubclass(obj, StandardCellType) and hasattr(obj, "engine_model")
    )
