"""The README's Python example runs as written."""

import os
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_readme_python_block(tmp_path, monkeypatch, cli):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "the README has a Python example"
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), scope)
    assert scope["rec"]["activity_e"].shape == (100_000,)
    assert scope["net2"].spike_hash == scope["net"].spike_hash
    assert os.path.exists("state.bin")
    assert len(scope["res"].summary["spike_hash"]) == 16


def test_python_guide_first_block_runs():
    """docs/python.md's first example runs as written and writes a file that repeats it."""
    import neuroplast as npl

    text = (ROOT / "docs" / "python.md").read_text()
    block = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    scope: dict = {}
    exec(compile(block.replace("print(net.to_toml())", "toml = net.to_toml()"), "python.md", "exec"), scope)
    net = scope["net"]
    assert len(scope["steps"]) > 0
    again = npl.Network.from_toml(scope["toml"])
    again.run(duration_ms=500.0)
    assert again.spike_hash == net.spike_hash
