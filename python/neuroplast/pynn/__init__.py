"""neuroplast as a PyNN backend: ``import neuroplast.pynn as sim`` runs a PyNN 0.13 script
on neuroplast's engine (PyNN is an optional dependency: ``pip install PyNN``).

>>> import neuroplast.pynn as sim                                   # doctest: +SKIP
>>> sim.setup(timestep=0.1)
>>> cells = sim.Population(100, sim.IF_cond_exp(i_offset=0.5))
>>> cells.record("spikes")
>>> sim.run(100.0)
>>> data = cells.get_data()                                          # a neo Block

What runs, what does not and why: ``docs/pynn.md``.
"""

try:
    import pyNN  # noqa: F401
except ImportError as e:  # pragma: no cover - the message is the point
    raise ImportError(
        "neuroplast.pynn needs PyNN 0.13 (pip install 'PyNN>=0.13,<0.14'); neuroplast itself does not"
    ) from e

from pyNN import errors, random, space  # noqa: F401
from pyNN.connectors import *  # noqa: F401,F403
from pyNN.network import Network  # noqa: F401
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import *  # noqa: F401,F403
from pyNN.space import Space  # noqa: F401
from pyNN.standardmodels import StandardCellType

from .control import (  # noqa: F401
    end,
    get_current_time,
    get_max_delay,
    get_min_delay,
    get_time_step,
    initialize,
    num_processes,
    rank,
    reset,
    run,
    run_for,
    run_until,
    setup,
)
from .populations import Assembly, Population, PopulationView  # noqa: F401
from .procedural_api import connect, create, record, record_gsyn, record_v  # noqa: F401
from .projections import Projection  # noqa: F401
from .simulator import StructureError  # noqa: F401
from .standardmodels import *  # noqa: F401,F403
from .composed import (  # noqa: F401
    AdExp,
    AlphaPSR,
    CondAlphaPostSynapticResponse,
    CondExpPostSynapticResponse,
    CurrExpPostSynapticResponse,
    LIF,
    PointNeuron,
)


def list_standard_models() -> list[str]:
    """The StandardCellType classes this backend runs."""
    return [
        obj.__name__
        for obj in globals().values()
        if isinstance(obj, type) and issubclass(obj, StandardCellType) and hasattr(obj, "engine_model")
    ]
