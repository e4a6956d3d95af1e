"""Benchmarks of the Python builder (issue "Python: build and drive networks in code"):

1. building COBA 4k in code (the calls, their checks and the build) against building it from
   examples/coba.toml, interleaved, medians of N rounds;
2. the cost of a callback every 1 ms: a 1000 ms run of a 100-neuron network with
   run(every=1.0, callback=noop) against the same run in one call, per callback.

    .venv/bin/python scripts/bench_builder.py [ROUNDS]
"""

import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python" / "tests"))
import neuroplast as npl  # noqa: E402
from test_builder import coba_in_code  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7


def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def build_code():
    net = coba_in_code(1000.0)
    net._core  # builds


def build_file():
    npl.Network.from_file(ROOT / "examples" / "coba.toml")


code, file = [], []
for _ in range(rounds):
    code.append(timed(build_code))
    file.append(timed(build_file))
ratios = [c / f for c, f in zip(code, file)]
print(f"build COBA 4k: code {statistics.median(code)*1e3:.1f} ms, file {statistics.median(file)*1e3:.1f} ms, "
      f"paired ratio median {statistics.median(ratios):.3f} [{min(ratios):.3f}, {max(ratios):.3f}]")


def small(record):
    net = npl.Network(dt=0.1, seed=1, duration_ms=1000.0)
    net.population("inp", 100, "SpikeSourcePoisson", params={"rate": 20.0})
    net.population("out", 100, "IF_curr_exp")
    net.connect("inp", "out", npl.fixed_probability(0.1), weight=0.5, receptor="excitatory")
    if record:
        net.record("out", spikes=True)
    net._core
    return net


for record in (False, True):
    per_call = []
    for _ in range(rounds):
        a, b = small(record), small(record)
        t_plain = timed(lambda: a.run(duration_ms=1000.0))
        t_loop = timed(lambda: b.run(duration_ms=1000.0, every=1.0, callback=lambda net, c: None))
        assert a.spike_hash == b.spike_hash
        per_call.append((t_loop - t_plain) / 1000)
    what = "spikes of 100 neurons recorded" if record else "no recording"
    print(f"callback every 1 ms ({what}): {statistics.median(per_call)*1e6:.1f} µs per call "
          f"beyond the run [{min(per_call)*1e6:.1f}, {max(per_call)*1e6:.1f}] ({rounds} rounds)")
