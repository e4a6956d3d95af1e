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
    def ne(self) -> int: ...
    @property
    def ni(self) -> int: ...
    @property
    def spike_hash(self) -> str: ...
    def state_dict(self) -> dict[str, Any]: ...
    def params_toml(self) -> str: ...
    def set_state(
        self,
        x: npt.NDArray[np.float64],
        y: npt.NDArray[np.float64],
        te: npt.NDArray[np.float64],
        ti: npt.NDArray[np.float64],
        w_ee: npt.NDArray[np.float64],
        w_ei: npt.NDArray[np.float64],
        w_ie: npt.NDArray[np.float64],
    ) -> None: ...

class ExperimentCore:
    def __init__(self, path: str | PathLike[str], overrides: list[str] = ...) -> None: ...
    @property
    def steps(self) -> int: ...
    @property
    def sizes(self) -> tuple[int, int]: ...
    def resolved_toml(self) -> str: ...
    def build(self) -> SornCore: ...
    def run(
        self, steps: int | None = None, progress: Callable[[int], Any] | None = None
    ) -> tuple[int, str, dict[str, Any]]: ...

def avalanches(
    activity: npt.NDArray[np.uint32], threshold: int | None = None
) -> tuple[int, npt.NDArray[np.uint64], npt.NDArray[np.uint64]]: ...
def avalanche_report_json(
    activity: npt.NDArray[np.uint32],
    duration_window: list[int],
    size_window: list[int],
    threshold: int | None = None,
) -> str: ...
def pooled_report_json(
    durations: npt.NDArray[np.uint64],
    sizes: npt.NDArray[np.uint64],
    runs: int,
    duration_window: list[int],
    size_window: list[int],
) -> str: ...
def weight_fits(
    w: npt.NDArray[np.float64],
) -> tuple[int, str, list[float], list[float], list[float], float]: ...
def raster_statistics(
    raster: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.float64], float, npt.NDArray[np.float64], float | None, float | None]: ...
def fano_factor(
    raster: npt.NDArray[np.uint8], unit: int, window: int
) -> tuple[int, float, float, float | None]: ...
def hamming_distance(
    a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]
) -> npt.NDArray[np.uint32]: ...
def series_statistics(
    series: npt.NDArray[np.float64], lag: int
) -> tuple[float | None, float | None]: ...
def del_papa_windows(ne: int) -> tuple[list[int], list[int]] | None: ...
def log_binned_pmf(
    data: npt.NDArray[np.uint64], per_decade: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
