"""PyNN's Recorder on neuroplast's monitors: spikes of every neuron of a recorded population,
state variables of the recorded neurons every step; PyNN's sampling (the value at t = 0 of a
segment, then every ``sampling_interval``) is taken from those in Python."""

from __future__ import annotations

from typing import Any

import numpy as np
from pyNN import recording

from . import simulator


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population: Any, file: Any = None) -> None:
        recording.Recorder.__init__(self, population, file)
        self._spike_ids: list[np.ndarray] = []
        self._spike_times: list[np.ndarray] = []
        self._signals: dict[str, list[np.ndarray]] = {}
        self._initial_samples: dict[str, np.ndarray] = {}
        self._origin = 0  # step at which the current recording started

    def _record(self, variable: Any, new_ids: Any, sampling_interval: float | None = None) -> None:
        simulator.state.structure_changed("a new recording")
        if sampling_interval is not None:
            self.sampling_interval = sampling_interval

    def _every(self) -> int:
        dt = simulator.state.dt
        k = int(round(self.sampling_interval / dt))
        if k < 1 or abs(k * dt - self.sampling_interval) > 1e-9 * k:
            raise ValueError(
                f"sampling_interval {self.sampling_interval} ms is not a whole number of time steps of {dt} ms"
            )
        return k

    def _state_variables(self) -> list[Any]:
        return [v for v in self.recorded if v.name != "spikes" and self.recorded[v]]

    def _neurons(self, variable: Any) -> np.ndarray:
        ids = np.array(sorted(self.recorded[variable]), dtype=int)
        return ids - self.population.first_id

    def _engine_table(self) -> dict[str, Any]:
        table: dict[str, Any] = {}
        for variable, ids in self.recorded.items():
            if not ids:
                continue
            if variable.name == "spikes":
                table["spikes"] = True
                continue
            name = self.population.celltype.engine_state[variable.name]
            table.setdefault("state", {})[name] = {"neurons": self._neurons(variable).tolist()}
        return table

    # ---- data -----------------------------------------------------------------------------

    def _start(self) -> None:
        """The engine was (re)built at t = 0: data starts again."""
        self._clear_simulator()

    def _snapshot(self) -> None:
        """The recorded variables now: the first sample of a segment."""
        self._initial_samples = {}
        net = simulator.state.net
        if net is None:
            return
        celltype = self.population.celltype
        for variable in self._state_variables():
            name = celltype.engine_state[variable.name]
            now = net.state(self.population._engine_name, name)[self._neurons(variable)]
            self._initial_samples[variable.name] = now / celltype.state_scale.get(variable.name, 1.0)

    def _collect(self, rec: dict[str, Any], first: int, steps: int) -> None:
        pop = self.population._engine_name
        dt = simulator.state.dt
        if pop in rec["spikes"]:
            st, ids = rec["spikes"][pop]
            self._spike_ids.append(ids.astype(int) + self.population.first_id)
            self._spike_times.append(st.astype(float) * dt)
        every = self._every()
        celltype = self.population.celltype
        for variable in self._state_variables():
            name = celltype.engine_state[variable.name]
            _, _, values = rec["state"][f"{pop}.{name}"]
            # row r is the value after step first + r, at time (first + r + 1)·dt
            after = np.arange(first, first + steps) + 1 - self._origin
            keep = after % every == 0
            self._signals.setdefault(variable.name, []).append(
                values[keep] / celltype.state_scale.get(variable.name, 1.0)
            )

    def _spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """(cell ids, times in ms) of every spike recorded since the last clear."""
        if not self._spike_ids:
            return np.zeros(0, int), np.zeros(0)
        return np.concatenate(self._spike_ids), np.concatenate(self._spike_times)

    def _get_spiketimes(self, requested_ids: Any, clear: bool = False) -> tuple[np.ndarray, np.ndarray]:
        # `clear`: PyNN's Recorder.get clears everything after reading (`_clear_simulator`)
        ids, times = self._spikes()
        mask = np.isin(ids, np.asarray(list(requested_ids), dtype=int))
        return ids[mask], times[mask]

    def _get_all_signals(self, variable: Any, ids: Any, clear: bool = False) -> tuple[np.ndarray, None]:
        recorded = self._neurons(variable)
        wanted = np.asarray(list(ids), dtype=int) - self.population.first_id
        columns = np.searchsorted(recorded, wanted)
        parts = self._signals.get(variable.name, [])
        data = np.vstack([self._initial_samples[variable.name][None, :]] + parts)
        return data[:, columns], None

    def _local_count(self, variable: Any, filter_ids: Any = None) -> dict[int, int]:
        ids, _ = self._spikes()
        counts = np.bincount(ids - self.population.first_id, minlength=self.population.size)
        return {int(i): int(counts[int(i) - self.population.first_id]) for i in self.filter_recorded(variable, filter_ids)}

    def _clear_simulator(self) -> None:
        self._spike_ids, self._spike_times = [], []
        self._signals = {}
        self._origin = simulator.state.steps
        self._snapshot()

    def _reset(self) -> None:
        self._clear_simulator()
