"""Simulation control of the PyNN backend: ``setup`` (``rng_seed`` and ``threads`` are its
neuroplast keywords), ``end``, ``run``, ``run_until``, ``reset`` and the state queries."""

from __future__ import annotations

from typing import Any

from pyNN import common
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from . import simulator


def setup(timestep: float = DEFAULT_TIMESTEP, min_delay: Any = DEFAULT_MIN_DELAY, **extra_params: Any) -> int:
    """Start a new network (dropping any earlier one). ``timestep`` and delays in ms; the
    neuroplast keywords ``rng_seed`` (the engine's seed: Poisson sources, noise) and
    ``threads`` (results are the same for any number)."""
    max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    common.setup(timestep, min_delay, **extra_params)
    state = simulator.state
    state.clear()
    state.dt = float(timestep)
    state.min_delay = min_delay
    state.max_delay = max_delay
    state.seed = int(extra_params.get("rng_seed", 1))
    state.threads = int(extra_params.get("threads", 1))
    return rank()


def end(compatible_output: bool = True) -> None:
    """Write what ``write_on_end`` asked for."""
    for population, variables, filename in simulator.state.write_on_end:
        population.write_data(get_io(filename), variables)
    simulator.state.write_on_end = []


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = common.build_state_queries(
    simulator
)
