"""Scaling-law forms: pure math over floats or numpy arrays.

Every form answers the same questions (see ``Law``); the registry builds them from cited data files.
A new form is one module with one ``Law`` subclass, registered here (or by ``register_form`` from
anywhere, e.g. a notebook or a test).
"""

from scalingplan.laws.base import Law
from scalingplan.laws.datalimited import DataConstrainedLaw
from scalingplan.laws.kaplan import KaplanLaw
from scalingplan.laws.moe import MoELaw
from scalingplan.laws.overtrain import OvertrainLaw
from scalingplan.laws.parametric import ParametricLaw
from scalingplan.laws.powerlaw import PowerLaw
from scalingplan.laws.precision import PrecisionLaw

FORMS: dict = {}
"""form name (the ``form`` key of a law file) -> Law subclass."""


def register_form(cls):
    """Make a ``Law`` subclass available to law files by its ``form`` name; returns the class."""
    if not cls.form:
        raise ValueError(f"{cls.__name__} has no form name")
    FORMS[cls.form] = cls
    return cls


for _form in (ParametricLaw, PowerLaw, KaplanLaw, DataConstrainedLaw, MoELaw, OvertrainLaw, PrecisionLaw):
    register_form(_form)

__all__ = ["FORMS", "DataConstrainedLaw", "KaplanLaw", "Law", "MoELaw", "OvertrainLaw", "ParametricLaw",
           "PowerLaw", "PrecisionLaw", "register_form"]
