"""scalingplan: compute-optimal model size and data for a training budget, from published laws.

Python API (budgets may be floats or numpy arrays)::

    import scalingplan
    scalingplan.allocate(5.76e23, ["chinchilla-3", "epoch2024"])
    law = scalingplan.load_law("chinchilla-3"); law.allocate(np.logspace(18, 26, 10**6))
"""

from scalingplan.errors import InputError
from scalingplan.planning.allocation import (Allocation, allocate, allocate_loss, allocate_params,
                                             assess, compare)
from scalingplan.catalogues.registry import available, load_law, load_laws
from scalingplan.constants import PF_DAY

__version__ = "0.1.0"

__all__ = ["PF_DAY", "Allocation", "InputError", "allocate", "allocate_loss", "allocate_params",
           "assess", "available", "compare", "load_law", "load_laws"]
