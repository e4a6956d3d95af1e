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
