"""Shared fixtures: paths of the repository and of the `neuroplast` binary built by cargo."""

import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli() -> str:
    """The `neuroplast` binary: $NEUROPLAST_BIN, else target/{debug,release}, else built now."""
    env = os.environ.get("NEUROPLAST_BIN")
    if env:
        return env
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "neuroplast"
        if p.is_file():
            return str(p)
    if shutil.which("cargo") is None:
        pytest.skip("no neuroplast binary and no cargo to build one")
    subprocess.run(["cargo", "build", "-q", "-p", "neuroplast-cli"], cwd=ROOT, check=True)
    return str(ROOT / "target" / "debug" / "neuroplast")
