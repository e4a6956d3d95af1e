"""neuroplast: self-organizing recurrent networks (SORN) in Rust, driven from Python.

>>> import neuroplast
>>> net = neuroplast.sorn.Sorn(preset="delpapa2017", ne=100, seed=1)
>>> rec = net.run(1000, record=["activity"])
>>> rec["activity_e"].shape
(1000,)

Experiment files of every kind (the CLI's TOML) run with :func:`load_experiment`; the
results equal the command line's, spike for spike. Steps are 0-based everywhere: a spike of
step t happened in the update from t to t + 1.
"""

from . import analysis, sorn, spiking, sweeps

# neuroplast.plot needs matplotlib, so it is imported on demand: `from neuroplast import plot`.
from ._neuroplast import (
    PRESETS,
    CheckpointError,
    ConfigError,
    NeuroplastError,
    RuleError,
    ShapeError,
    __version__,
)
from .experiment import Experiment, RunResult, load_experiment, run_protocol
from .builder import (
    Model,
    Population,
    Projection,
    all_to_all,
    fixed_in_degree,
    fixed_out_degree,
    fixed_probability,
    from_list,
    normal,
    one_to_one,
    uniform,
)
from .spiking import Network, SpikingRecording
from .sweeps import sweep

__all__ = [
    "PRESETS",
    "Model",
    "Population",
    "Projection",
    "all_to_all",
    "analysis",
    "fixed_in_degree",
    "fixed_out_degree",
    "fixed_probability",
    "from_list",
    "normal",
    "one_to_one",
    "uniform",
    "CheckpointError",
    "ConfigError",
    "Experiment",
    "Network",
    "NeuroplastError",
    "RuleError",
    "RunResult",
    "ShapeError",
    "__version__",
    "load_experiment",
    "run_protocol",
    "sorn",
    "spiking",
    "sweeps",
    "sweep",
    "SpikingRecording",
]
