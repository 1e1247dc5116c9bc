"""Scaling-law forms: pure math over floats or numpy arrays.

Every form answers the same questions (see ``Law``); the registry builds them from cited data files.
"""

from scalingplan.laws.base import FLOPS_PER_PARAM_TOKEN, Law
from scalingplan.laws.datalimited import DataConstrainedLaw
from scalingplan.laws.kaplan import KaplanLaw
from scalingplan.laws.moe import MoELaw
from scalingplan.laws.overtrain import OvertrainLaw
from scalingplan.laws.parametric import ParametricLaw
from scalingplan.laws.powerlaw import PowerLaw
from scalingplan.laws.precision import PrecisionLaw

FORMS = {"parametric": ParametricLaw, "power-law": PowerLaw, "kaplan": KaplanLaw,
         "data-constrained": DataConstrainedLaw, "moe": MoELaw, "over-training": OvertrainLaw,
         "precision": PrecisionLaw}

__all__ = ["FLOPS_PER_PARAM_TOKEN", "FORMS", "DataConstrainedLaw", "KaplanLaw", "Law", "MoELaw", "OvertrainLaw",
           "ParametricLaw", "PowerLaw", "PrecisionLaw"]
