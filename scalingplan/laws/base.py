"""The interface every law form implements, and the numeric helpers they share.

A form is one module: its class reads its own law file (``from_document``), checks its constants
(``check_constants``), states its formula (``formula_lines``), adds its own keys and notes to an
allocation (``plan_extras``, ``allocation_notes``) and says what its parameter count counts
(``params_kind``). Nothing outside the class needs to know which form a law is.
"""

import functools
import math
from collections.abc import Mapping
from types import MappingProxyType

from scalingplan.constants import FLOPS_PER_PARAM_TOKEN
from scalingplan.errors import InputError
from scalingplan.numbers import check_positive

PARAMS_KINDS = {
    "total": "all parameters, embeddings included",
    "non-embedding": "non-embedding parameters",
    "M/6": "M/6, DeepSeek's non-embedding FLOPs per token ÷ 6",
}


INFINITE_ALLOWED = ("loss_budget",)
"""Checked methods whose answer may be infinite by design (a loss no budget reaches)."""


def _finite(result) -> bool:
    """Whether every number in a result (a number, an array, or a tuple or mapping of them) is finite;
    other values (laws, text, None) pass."""
    if isinstance(result, (tuple, list)):
        return all(_finite(item) for item in result)
    if isinstance(result, Mapping):
        return all(_finite(item) for item in result.values())
    if isinstance(result, bool) or result is None or isinstance(result, str):
        return True
    if isinstance(result, (int, float)):
        return math.isfinite(result)
    if hasattr(result, "dtype") and result.dtype.kind in "fc":
        import numpy as np

        return bool(np.isfinite(result).all())
    if isinstance(result, complex):
        return False
    return True


def checked(method):
    """Reject non-positive or non-finite numeric arguments with InputError (None passes where it is
    the parameter's default: an optional argument).

    Overflow of a finite but huge input becomes an InputError too, never an OverflowError.
    """
    names = method.__code__.co_varnames[1:method.__code__.co_argcount]
    optional = set(names[len(names) - len(method.__defaults__ or ()):])  # None passes only where it is the default

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if any(isinstance(value, (list, tuple)) for value in (*args, *kwargs.values())):
            import numpy as np  # a list of numbers is read as an array

            args = tuple(np.asarray(v) if isinstance(v, (list, tuple)) else v for v in args)
            kwargs = {k: np.asarray(v) if isinstance(v, (list, tuple)) else v for k, v in kwargs.items()}
        for name, value in list(zip(names, args)) + list(kwargs.items()):
            if value is not None or name not in optional:
                check_positive(value, f"{self.name}.{method.__name__}: {name}")
        try:
            result = method(self, *args, **kwargs)
        except (OverflowError, ZeroDivisionError):
            raise InputError(f"{self.name}.{method.__name__}: {args or kwargs} is out of the range "
                             f"this law can compute") from None
        if method.__name__ not in INFINITE_ALLOWED and not _finite(result):
            raise InputError(f"{self.name}.{method.__name__}: the answer for {args or kwargs} is not a finite "
                             f"number; this law's constants put it beyond double precision"[:300])
        return result

    wrapper.checked = True
    return wrapper


class FrozenAfterInit(type):
    """Metaclass of laws: once an instance's ``__init__`` (its subclass's, whole) has run, the
    instance refuses to have attributes set or deleted; ``Configurable.clone`` makes changed copies."""

    def __call__(cls, *args, **kwargs):
        try:
            law = super().__call__(*args, **kwargs)
        except InputError:
            raise
        except ValueError as exc:  # check_constants' messages ("constants.A: must be positive, ...")
            raise InputError(str(exc)) from None
        object.__setattr__(law, "_frozen", True)
        return law


def _frozen_copy(value):
    """A read-only view of a law file's metadata: mappings as MappingProxyType, lists as tuples."""
    if isinstance(value, dict):
        return MappingProxyType({key: _frozen_copy(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_frozen_copy(item) for item in value)
    return value


class Law(metaclass=FrozenAfterInit):
    """A compute-optimal allocation rule, optionally with a loss prediction.

    Subclasses set ``form`` and ``constant_names`` and implement ``allocate`` and ``params_budget``;
    laws that predict loss implement ``loss`` and set ``predicts_loss``. Inputs may be floats or
    numpy arrays; the public methods named in ``checked_methods`` reject zero, negative, NaN and
    infinite inputs with InputError.

    ``validity`` holds the budgets and model sizes the fit was made on (a law file's ``validity``):
    ``{"flops": (lo, hi), "params": (lo, hi), "source": str}``, a bound None when not stated.
    """

    form = ""
    constant_names: tuple = ()
    predicts_loss = False
    models_repetition = False
    """Whether ``loss`` takes ``unique_tokens`` and discounts repeated data."""
    params_kind = "total"
    """What the law's parameter count counts (a key of ``PARAMS_KINDS`` or a stated convention)."""
    frontier_minimises_loss = True
    """Whether ``allocate``'s plan is the least ``loss`` (L(N, D)) at its compute: true where the plan
    is derived from the loss; false where the frontier is a separate fit (Kaplan's Table 6 against eq.
    1.5), and the planner then searches L(N, D) for the optimum a model is compared with."""
    extra_columns: tuple = ()
    """(header, key, kind) of the extra allocation keys worth a table column."""
    checked_methods = ("allocate", "params_budget", "loss", "loss_with_data", "frontier_loss",
                       "loss_budget", "extrapolation_decades", "plan_extras", "model_extras",
                       "training_flops", "at_budget", "data_floor")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls.checked_methods:
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "checked", False):
                setattr(cls, name, checked(method))

    def __init__(self, name: str, constants: dict, meta: dict | None = None):
        if not isinstance(constants, Mapping):
            raise InputError(f"constants of law '{name}': expected a mapping of names to numbers, "
                             f"got {type(constants).__name__}")
        missing = [key for key in self.constant_names if key not in constants]
        if missing:
            raise InputError(f"law '{name}' needs the constants {', '.join(missing)}")
        for key in self.constant_names:
            value = constants[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
                    float(value) if abs(value) < 1e308 else math.inf):
                raise InputError(f"constants.{key} of law '{name}': expected a finite number, got {value!r}"[:200])
        self.name = str(name)
        self.constants = MappingProxyType({key: float(constants[key]) for key in self.constant_names})
        self.meta = _frozen_copy(dict(meta or {}))
        if self.meta.get("params_kind"):
            self.params_kind = str(self.meta["params_kind"])
        self.validity = self.meta.get("validity") or MappingProxyType({})
        self.check_constants()

    def __setattr__(self, name, value):
        if self.__dict__.get("_frozen"):
            raise AttributeError(f"law '{self.name}' is immutable; use clone(...) for a changed copy")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if self.__dict__.get("_frozen"):
            raise AttributeError(f"law '{self.name}' is immutable")
        object.__delattr__(self, name)

    def unchecked(self, name: str):
        """The bound method ``name`` without its input checks, for optimisers that scan grids whose
        edges hold non-physical points (non-positive tokens) and rely on NaN there."""
        method = getattr(type(self), name)
        return getattr(method, "__wrapped__", method).__get__(self)

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v:g}" for k, v in self.constants.items())
        return f"{type(self).__name__}({self.name!r}, {values})"

    # --- reading and describing a law file -----------------------------------------------------
    @classmethod
    def from_document(cls, name: str, values: dict, meta: dict) -> "Law":
        """The law for a file's checked ``values`` and its other keys ``meta``; forms that read
        more keys than their constants override this (ValueError for a bad one)."""
        return cls(name, values, meta)

    def check_constants(self) -> None:
        """ValueError naming the first constant that makes the law meaningless (default: every
        constant positive)."""
        for key, value in self.constants.items():
            if not value > 0:
                raise ValueError(f"constants.{key}: must be positive, got {value:g}")

    def formula_lines(self) -> list:
        """The law's equations as text, with derived quantities filled in."""
        return []

    def derived(self) -> dict:
        """Quantities derived from the constants, shown beside them (e.g. the allocation exponents)."""
        return {}

    def params_label(self) -> str:
        """The law's name, marked when its parameters are not the total count."""
        return self.name if self.params_kind == "total" else f"{self.name} ({self.params_kind} N)"

    # --- allocations -------------------------------------------------------------------------------
    @checked
    def allocate(self, flops):
        """Compute-optimal (params, tokens) for a training budget in FLOPs, with 6·N·D = C."""
        raise NotImplementedError

    @checked
    def params_budget(self, params):
        """The budget in FLOPs for which ``params`` is the compute-optimal size (inverse of allocate)."""
        raise NotImplementedError

    @checked
    def plan_extras(self, flops) -> dict:
        """Extra keys for the compute-optimal allocation of ``flops`` (none by default)."""
        return {}

    @checked
    def model_extras(self, params, tokens) -> dict:
        """Extra keys for a given model and its data, e.g. a predicted downstream error (none by default)."""
        return {}

    @checked
    def training_flops(self, params, tokens):
        """Training compute of ``params`` on ``tokens`` under the law's cost model: 6·N·D by default."""
        return FLOPS_PER_PARAM_TOKEN * params * tokens

    @checked
    def at_budget(self, flops) -> "Law":
        """This law with its run settings (granularity, precision, ...) fixed at their optimum for
        ``flops``; the law itself when it has none."""
        return self

    def allocation_notes(self, row: dict) -> list:
        """Footnotes a reader needs beside this law's allocation ``row``."""
        return []

    # --- losses --------------------------------------------------------------------------------------
    @checked
    def loss(self, params, tokens):
        """Predicted final loss of a model of ``params`` trained on ``tokens`` (laws with a loss)."""
        raise NotImplementedError(f"law '{self.name}' does not predict loss")

    @checked
    def loss_with_data(self, params, tokens, unique_tokens=None):
        """Loss when only ``unique_tokens`` distinct tokens exist; forms that do not model
        repetition treat every token as fresh."""
        return self.unchecked("loss")(params, tokens)

    @checked
    def data_floor(self, unique_tokens=None) -> float:
        """The loss no budget goes below with ``unique_tokens`` distinct tokens (or unlimited)."""
        return self.floor_loss()

    @checked
    def frontier_loss(self, flops):
        """Predicted loss along the compute-optimal frontier: L(N_opt, D_opt) for a budget in FLOPs."""
        return self.loss(*self.allocate(flops))

    def optimal_loss(self, flops):
        """Same as ``frontier_loss`` (older name)."""
        return self.frontier_loss(flops)

    @checked
    def extrapolation_decades(self, flops):
        """Decades of budget outside ``validity["flops"]``: 0 inside, log10(lo/C) below, log10(C/hi) above.

        None when the law states no range of budgets; a bound given as None is open on that side.
        """
        if "flops" not in self.validity:
            return None
        lo, hi = self.validity["flops"]
        if hasattr(flops, "shape"):
            import numpy as np

            below = np.log10(lo / flops) if lo else np.zeros_like(flops, dtype=float)
            above = np.log10(flops / hi) if hi else np.zeros_like(flops, dtype=float)
            return np.maximum(np.maximum(below, above), 0.0)
        below = math.log10(lo / flops) if lo else 0.0
        above = math.log10(flops / hi) if hi else 0.0
        return max(below, above, 0.0)

    @checked
    def loss_budget(self, target_loss: float) -> float:
        """Smallest budget whose optimal loss reaches ``target_loss``; inf if it never does.

        Generic inverse by bisection on log C (optimal loss is non-increasing in C); forms with a
        closed form override it.
        """
        from scalingplan.solve import bisect

        if self.frontier_loss(1e60) > target_loss:
            return math.inf
        if self.frontier_loss(1.0) <= target_loss:
            return 1.0
        return bisect(lambda c: self.frontier_loss(c) <= target_loss, 1.0, 1e60)[1]

    def floor_loss(self) -> float:
        """The loss no budget goes below (irreducible term), or 0 if the form has none."""
        return 0.0


def tokens_for(flops, params):
    """Tokens that spend ``flops`` on a model of ``params``: D = C / (6N)."""
    return flops / (FLOPS_PER_PARAM_TOKEN * params)
