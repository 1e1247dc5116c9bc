"""scalingplan: compute-optimal model size and data for a training budget, from published laws.

Python API (budgets may be floats or numpy arrays)::

    import scalingplan
    scalingplan.allocate(5.76e23, ["chinchilla-3", "epoch2024"])
    scalingplan.plan(scalingplan.load_law("epoch2024"), scalingplan.Query(flops=1e23, inference_tokens=2e12))
    law = scalingplan.load_law("chinchilla-3"); law.allocate(np.logspace(18, 26, 10**6))

The names below load on first use, so a command that needs none of them (``scalingplan --help``)
does not pay for the planner's imports.
"""

from scalingplan.constants import PF_DAY
from scalingplan.errors import InputError

__version__ = "0.1.0"

_LAZY = {
    "Allocation": "scalingplan.planning.allocation", "allocate": "scalingplan.planning.allocation",
    "allocate_loss": "scalingplan.planning.allocation", "allocate_params": "scalingplan.planning.allocation",
    "assess": "scalingplan.planning.allocation", "compare": "scalingplan.planning.allocation",
    "available": "scalingplan.catalogues.registry", "load_law": "scalingplan.catalogues.registry",
    "load_laws": "scalingplan.catalogues.registry",
    "Query": "scalingplan.planning.planner", "plan": "scalingplan.planning.planner",
}

__all__ = ["PF_DAY", "InputError", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'scalingplan' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
