"""Run PyNN's own ``examples/VAbenchmarks.py`` (from the PyNN 0.13.0 sources that run.sh
downloads) on ``neuroplast.pynn``, or on any installed PyNN backend:

    .venv/bin/python python/pynn_scenarios/vabenchmarks.py [neuroplast|brian2|nest] [COBA|CUBA]

It prints the example's own report (build time, simulation time, rates); run it from a
scratch directory (it writes Results/)."""

import atexit
import pathlib
import runpy
import sys
import time

import neuroplast.pynn
from neuroplast import spiking

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.modules["pyNN.neuroplast"] = neuroplast.pynn  # what pyNN.utility.get_simulator imports
simulator = sys.argv[1] if len(sys.argv) > 1 else "neuroplast"
benchmark = sys.argv[2] if len(sys.argv) > 2 else "COBA"
example = next((ROOT / "target" / "pynn").glob("[Pp]y[Nn][Nn]-0.13.0")) / "examples" / "VAbenchmarks.py"
sys.argv = [str(example), simulator, benchmark]
# how the example's "Simulation time" splits: building the engine from PyNN's tables, and the
# engine's run
spent = {"build": 0.0, "run": 0.0}


def timed(what, f):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return f(*args, **kwargs)
        finally:
            spent[what] += time.perf_counter() - t0

    return wrapper


neuroplast.pynn.simulator.State.network = timed("build", neuroplast.pynn.simulator.State.network)
spiking.Network.run = timed("run", spiking.Network.run)
if simulator == "neuroplast":
    atexit.register(lambda: print(f"neuroplast engine: build {spent['build']:.4f} s, run {spent['run']:.4f} s"))
runpy.run_path(str(example), run_name="__main__")
