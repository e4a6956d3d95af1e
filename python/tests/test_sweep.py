"""Sweeps from Python: local processes, Dask and Ray give the points ``neuroplast sweep`` gives."""

import json
import os
import pathlib
import pickle
import subprocess

import pytest

import neuroplast as npl
from neuroplast import sweeps

ROOT = pathlib.Path(__file__).resolve().parents[2]
COBA = ROOT / "examples" / "coba.toml"
PARAMS = {"populations.exc.params.i_offset": [0.2, 0.25]}
SET = ["record.exc.state={}"]


def comparable(summary):
    """A summary without the fields that measure the machine."""
    return {k: v for k, v in summary.items() if k not in sweeps.TIMING}


def same(ours, theirs, path=""):
    """Every value of our summary is the CLI's (which adds per-run counts of its own)."""
    if isinstance(ours, dict):
        for k, v in ours.items():
            assert k in theirs, f"{path}{k} missing from the CLI's summary"
            same(v, theirs[k], f"{path}{k}.")
    else:
        assert ours == theirs, path


@pytest.fixture(scope="module")
def cli_points(cli, tmp_path_factory):
    """{spike_hash: summary} of `neuroplast sweep` over the same grid."""
    out = tmp_path_factory.mktemp("sweep") / "coba"
    subprocess.run(
        [cli, "sweep", str(COBA), "--param", "populations.exc.params.i_offset=0.2,0.25",
         "--seeds", "1..2", "--steps", "1000", "--set", SET[0], "--out", str(out), "--quiet"],
        check=True,
    )
    found = {}
    for p in out.rglob("summary.json"):
        s = json.loads(p.read_text())
        found[s["spike_hash"]] = s
    assert len(found) == 4
    return found


def check(points, cli_points):
    assert [(p.params["populations.exc.params.i_offset"], p.seed) for p in points] == [
        (0.2, 1), (0.2, 2), (0.25, 1), (0.25, 2)
    ]
    for p in points:
        theirs = cli_points[p.summary["spike_hash"]]
        same(comparable(p.summary), comparable(theirs))
        assert p.value("populations.exc.mean_rate_hz") == theirs["populations"]["exc"]["mean_rate_hz"]


def test_local_processes_give_the_cli_sweep(cli_points):
    points = npl.sweep(COBA, params=PARAMS, seeds=[1, 2], set=SET, steps=1000, processes=2)
    check(points, cli_points)
    assert pickle.loads(pickle.dumps(points[0])).summary == points[0].summary


def test_dask_local_cluster_gives_the_cli_sweep(cli_points):
    if os.environ.get("CI"):
        import distributed  # installed by scripts/check.sh: must not be skipped in CI
    else:
        distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            points = npl.sweep(COBA, params=PARAMS, seeds=[1, 2], set=SET, steps=1000, executor=client)
    check(points, cli_points)


def test_ray_remote_gives_the_cli_sweep(cli_points):
    """The one-point function shipped with ``ray.remote``, as docs/python.md shows."""
    if os.environ.get("CI"):
        import ray  # installed by scripts/check.sh: must not be skipped in CI
    else:
        ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        run = ray.remote(sweeps.run_point)
        grid = sweeps.grid(PARAMS, [1, 2])
        points = ray.get([run.remote(COBA, p, s, set=SET, steps=1000) for p, s in grid])
    finally:
        ray.shutdown()
    check(points, cli_points)


def test_grid_order_and_errors():
    g = sweeps.grid({"a": [1, 2], "b": ["x"]}, seeds=[5, 6])
    assert g == [({"a": 1, "b": "x"}, 5), ({"a": 1, "b": "x"}, 6), ({"a": 2, "b": "x"}, 5), ({"a": 2, "b": "x"}, 6)]
    with pytest.raises(TypeError):
        sweeps.grid({"a": []})
    with pytest.raises(npl.ConfigError) as e:
        sweeps.run_point(COBA, {"populations.exc.params.tau_mm": 3.0})
    assert "tau_mm" in str(e.value)
