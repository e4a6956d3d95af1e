# Type stubs of the compiled module (crates/neuroplast-py). Checked by python/tests/test_stubs.py.
from os import PathLike
from typing import Any, Callable

import numpy as np
import numpy.typing as npt

__version__: str
PRESETS: list[str]

class NeuroplastError(Exception): ...

class ConfigError(NeuroplastError):
    path: str

class ShapeError(NeuroplastError):
    path: str

class RuleError(NeuroplastError):
    path: str

class CheckpointError(NeuroplastError):
    path: str

class SornCore:
    @staticmethod
    def from_toml(text: str, name: str) -> SornCore: ...
    @staticmethod
    def from_bytes(data: bytes) -> SornCore: ...
    def to_bytes(self) -> bytes: ...
    def run(
        self,
        steps: int,
        record: list[str],
        freeze: list[str],
        inputs: npt.NDArray[np.float64] | None = None,
        progress: Callable[[int], Any] | None = None,
    ) -> dict[str, Any]: ...
    def freeze(self, rules: list[str]) -> None: ...
    def unfreeze(self, rules: list[str]) -> None: ...
    def active_rules(self) -> list[str]: ...
    @property
    def t(self) -> int: ...
    @property
    def spike_hash(self) -> str: ...
    def state_dict(self) -> dict[str, Any]: ...
    def params_toml(self) -> str: ...

class ExperimentCore:
    def __init__(self, path: str | PathLike[str], overrides: list[str] = ...) -> None: ...
    @property
    def steps(self) -> int: ...
    def resolved_toml(self) -> str: ...
    def build(self) -> SornCore: ...
    def run(
        self, steps: int | None = None, progress: Callable[[int], Any] | None = None
    ) -> tuple[int, str, dict[str, Any]]: ...
