"""PyNN's ``test/system/scenarios/fixtures.py`` for neuroplast: each scenario that PyNN runs on
its Brian2 backend runs with ``sim = neuroplast.pynn``; with ``NEUROPLAST_PYNN_ALL=1`` the
scenarios PyNN runs only on NEST or NEURON run too (docs/pynn.md lists how they fare)."""

import os

import pytest

import neuroplast.pynn


def run_with_simulators(*sim_names):
    if "brian2" in sim_names or os.environ.get("NEUROPLAST_PYNN_ALL") == "1":
        params = [pytest.param(neuroplast.pynn, id="neuroplast")]
    else:
        params = [pytest.param(None, id="neuroplast", marks=pytest.mark.skip(reason="PyNN does not run it on brian2"))]
    return pytest.mark.parametrize("sim", params)
