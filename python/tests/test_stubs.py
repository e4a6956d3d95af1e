"""The .pyi stubs of the compiled module list exactly what it exports."""

import ast
import pathlib

import neuroplast._neuroplast as core

STUB = pathlib.Path(__file__).resolve().parents[1] / "neuroplast" / "_neuroplast.pyi"


def test_stub_matches_module():
    tree = ast.parse(STUB.read_text())
    stubbed = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            stubbed[node.name] = {
                n.name for n in node.body if isinstance(n, ast.FunctionDef)
            } - {"__init__"}
        elif isinstance(node, ast.AnnAssign):
            stubbed[node.target.id] = None
        elif isinstance(node, ast.FunctionDef):
            stubbed[node.name] = None
    public = {n for n in dir(core) if not n.startswith("_")} | {"__version__"}
    assert set(stubbed) == public
    for name, methods in stubbed.items():
        if methods:
            obj = getattr(core, name)
            actual = {m for m in dir(obj) if not m.startswith("_")}
            assert methods == actual, name
