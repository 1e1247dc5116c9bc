"""Scaling-law forms: pure math over floats or numpy arrays.

Every form answers the same questions (see ``Law``); the registry builds them from cited data files.
"""

from scalingplan.laws.base import FLOPS_PER_PARAM_TOKEN, Law
from scalingplan.laws.datalimited import DataConstrainedLaw
from scalingplan.laws.kaplan import KaplanLaw
from scalingplan.laws.kaplan_nd import KaplanNDLaw
from scalingplan.laws.parametric import ParametricLaw
from scalingplan.laws.powerlaw import PowerLaw

FORMS = {"parametric": ParametricLaw, "power-law": PowerLaw, "kaplan": KaplanLaw,
         "data-constrained": DataConstrainedLaw, "kaplan-nd": KaplanNDLaw}

__all__ = ["FLOPS_PER_PARAM_TOKEN", "FORMS", "DataConstrainedLaw", "KaplanLaw", "KaplanNDLaw", "Law", "ParametricLaw", "PowerLaw"]
