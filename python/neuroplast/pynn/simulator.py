"""The simulator state of the PyNN backend: what PyNN's common code asks of a backend
(``ID``, ``state`` with ``run``/``run_until``/``reset``/``clear``, ``dt``, ``t``) on top of a
:class:`neuroplast.Network`.

PyNN builds a network object by object; neuroplast builds it whole. So the state collects the
description (populations with per-neuron parameter arrays, the connections PyNN's connectors
drew, current sources, what is recorded) and builds the engine at the first run. Between runs,
parameter, weight and state changes go to the built engine (:meth:`neuroplast.Network.retune`,
``set_weights``, ``set``); ``reset()`` drops it, so the next run rebuilds it from the
description at t = 0 (same seed: the same Poisson input again).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pyNN import common

from .. import _neuroplast
from ..spiking import Network

name = "neuroplast"


class ID(int, common.IDMixin):
    """A cell's global id (PyNN's ``ID``)."""

    def __init__(self, n: int) -> None:
        int.__init__(n)
        common.IDMixin.__init__(self)


class StructureError(RuntimeError):
    """A population, projection, current source or recording added after the first run: a
    neuroplast network is built whole at its first run (add them before it, or after
    ``reset()``)."""


class State(common.control.BaseState):
    """Everything one PyNN session holds: the description and, once run, the engine."""

    def __init__(self) -> None:
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.seed = 1
        self.threads = 1
        self._min_delay: Any = "auto"
        self.max_delay = 10.0
        self.clear()

    # ---- the description ------------------------------------------------------------------

    def clear(self) -> None:
        self.recorders: set[Any] = set()
        self.populations: list[Any] = []
        self.projections: list[Any] = []
        self.current_sources: list[Any] = []
        self.id_counter = 0
        self.segment_counter = -1
        self.net: Network | None = None
        self.steps = 0
        self.reset()

    def structure_changed(self, what: str) -> None:
        """Refuse a structural change while an engine is built and has run."""
        if self.net is not None and self.steps > 0:
            raise StructureError(
                f"neuroplast.pynn: {what} after the simulation has run; add populations, "
                "projections, current sources and recordings before the first run() (or after "
                "reset())"
            )
        self.net = None  # built but not run: build again with the addition

    def describe(self) -> dict[str, Any]:
        """The network as neuroplast's experiment tables."""
        spec: dict[str, Any] = {
            "simulation": {
                "dt_ms": float(self.dt),
                "duration_ms": 1000.0,  # unused: runs give their steps
                "seed": int(self.seed),
                "threads": int(self.threads),
            },
            "populations": {},
        }
        for pop in self.populations:
            spec["populations"][pop._engine_name] = pop._engine_table()
            equations = getattr(pop.celltype, "engine_equations", None)
            if equations is not None:
                spec.setdefault("models", {})[pop.celltype.engine_model] = equations
        projections: dict[str, Any] = {}
        for proj in self.projections:
            projections.update(proj._engine_tables())
        if projections:
            spec["projections"] = projections
        sources: dict[str, Any] = {}
        for source in self.current_sources:
            sources.update(source._engine_tables())
        if sources:
            spec["sources"] = sources
        record: dict[str, Any] = {}
        for recorder in sorted(self.recorders, key=lambda r: int(r.population._engine_name[1:])):
            table = recorder._engine_table()
            if table:
                record[recorder.population._engine_name] = table
        if record:
            spec["record"] = record
        return spec

    def network(self) -> Network:
        """The engine, built from the description if there is none."""
        if self.net is None:
            for source in self.current_sources:
                source._start()
            spec = self.describe()
            # checked and built in one call, without copying the synapse arrays
            self.net = Network._wrap(_neuroplast.NetworkCore.from_dict(spec), spec)
            self.steps = 0
            for recorder in self.recorders:
                recorder._start()
        return self.net

    # ---- running --------------------------------------------------------------------------

    @property
    def t(self) -> float:
        return self.steps * self.dt

    def run(self, simtime: float) -> None:
        self.run_until(self.t + simtime)

    def run_until(self, tstop: float) -> None:
        steps = int(round(tstop / self.dt)) - self.steps
        if steps <= 0:
            return
        net = self.network()
        self.running = True
        first, last = self.steps, self.steps + steps
        # a recorded noise source is read once per draw: the run stops where draws change
        noisy = [s for s in self.current_sources if s._recording and s._noisy and s._targets]
        cuts = sorted({c for s in noisy for c in s._cuts(first, last)} | {last})
        for cut in cuts:
            rec = net.run(steps=cut - self.steps)
            for recorder in self.recorders:
                recorder._collect(rec, self.steps, cut - self.steps)
            for source in noisy:
                source._note(net, self.steps, cut)
            self.steps = cut

    def reset(self) -> None:
        """Back to t = 0: the next run builds the engine again from the description."""
        self.net = None
        self.steps = 0
        self.running = False
        self.t_start = 0
        self.segment_counter += 1

    def retune(self, edit: Any) -> None:
        """Apply a parameter change to the built engine (nothing to do before the build)."""
        if self.net is not None:
            self.net.retune(edit)

    @property
    def min_delay(self) -> Any:
        """As set; ``"auto"``: the shortest delay of any projection once connected (one step
        when there is none)."""
        if self._min_delay != "auto":
            return self._min_delay
        delays = [p.values["delay"].min() for p in self.projections if len(p)]
        return float(min(delays)) if delays else self.dt

    @min_delay.setter
    def min_delay(self, value: Any) -> None:
        self._min_delay = value

    @property
    def min_delay_ms(self) -> float:
        """The default delay of a synapse: ``min_delay``, or one step for ``"auto"``."""
        return self.dt if self._min_delay == "auto" else float(self._min_delay)


def rounded_delays(delays: np.ndarray, dt: float) -> np.ndarray:
    """Delays rounded to whole steps (at least one), as the engine uses them."""
    return np.maximum(np.round(np.asarray(delays, dtype=float) / dt), 1) * dt


state = State()
