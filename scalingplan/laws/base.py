"""The interface every law form implements, and the numeric helpers they share.

A form is one module: its class reads its own law file (``from_document``), checks its constants
(``check_constants``), states its formula (``formula_lines``), adds its own keys and notes to an
allocation (``plan_extras``, ``allocation_notes``) and says what its parameter count counts
(``params_kind``). Nothing outside the class needs to know which form a law is.
"""

import math

from scalingplan.constants import FLOPS_PER_PARAM_TOKEN

PARAMS_KINDS = {
    "total": "all parameters, embeddings included",
    "non-embedding": "non-embedding parameters",
}


class Law:
    """A compute-optimal allocation rule, optionally with a loss prediction.

    Subclasses set ``form`` and ``constant_names`` and implement ``allocate`` and ``params_budget``;
    laws that predict loss implement ``loss`` and set ``predicts_loss``. Inputs may be floats or
    numpy arrays.
    """

    form = ""
    constant_names: tuple = ()
    predicts_loss = False
    models_repetition = False
    """Whether ``loss`` takes ``unique_tokens`` and discounts repeated data."""
    params_kind = "total"
    """What the law's parameter count counts (a key of ``PARAMS_KINDS`` or a stated convention)."""
    extra_columns: tuple = ()
    """(header, key, kind) of the extra allocation keys worth a table column."""

    def __init__(self, name: str, constants: dict, meta: dict | None = None):
        self.name = name
        self.constants = {key: float(constants[key]) for key in self.constant_names}
        self.meta = meta or {}
        if self.meta.get("params_kind"):
            self.params_kind = str(self.meta["params_kind"])
        self.check_constants()

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
    def allocate(self, flops):
        """Compute-optimal (params, tokens) for a training budget in FLOPs, with 6·N·D = C."""
        raise NotImplementedError

    def params_budget(self, params):
        """The budget in FLOPs for which ``params`` is the compute-optimal size (inverse of allocate)."""
        raise NotImplementedError

    def plan_extras(self, flops) -> dict:
        """Extra keys for the compute-optimal allocation of ``flops`` (none by default)."""
        return {}

    def model_extras(self, params, tokens) -> dict:
        """Extra keys for a given model and its data, e.g. a predicted downstream error (none by default)."""
        return {}

    def training_flops(self, params, tokens):
        """Training compute of ``params`` on ``tokens`` under the law's cost model: 6·N·D by default."""
        return FLOPS_PER_PARAM_TOKEN * params * tokens

    def at_budget(self, flops) -> "Law":
        """This law with its run settings (granularity, precision, ...) fixed at their optimum for
        ``flops``; the law itself when it has none."""
        return self

    def allocation_notes(self, row: dict) -> list:
        """Footnotes a reader needs beside this law's allocation ``row``."""
        return []

    # --- losses --------------------------------------------------------------------------------------
    def loss(self, params, tokens):
        """Predicted final loss of a model of ``params`` trained on ``tokens`` (laws with a loss)."""
        raise NotImplementedError(f"law '{self.name}' does not predict loss")

    def loss_with_data(self, params, tokens, unique_tokens=None):
        """Loss when only ``unique_tokens`` distinct tokens exist; forms that do not model
        repetition treat every token as fresh."""
        return self.loss(params, tokens)

    def data_floor(self, unique_tokens=None) -> float:
        """The loss no budget goes below with ``unique_tokens`` distinct tokens (or unlimited)."""
        return self.floor_loss()

    def optimal_loss(self, flops):
        """Loss at the compute-optimal allocation for ``flops``."""
        return self.loss(*self.allocate(flops))

    def loss_budget(self, target_loss: float) -> float:
        """Smallest budget whose optimal loss reaches ``target_loss``; inf if it never does.

        Generic inverse by bisection on log C (optimal loss is non-increasing in C); forms with a
        closed form override it.
        """
        lo, hi = 1.0, 1e60
        if self.optimal_loss(hi) > target_loss:
            return math.inf
        if self.optimal_loss(lo) <= target_loss:
            return lo
        for _ in range(200):
            mid = math.sqrt(lo * hi)
            if self.optimal_loss(mid) <= target_loss:
                hi = mid
            else:
                lo = mid
            if hi / lo - 1 < 1e-13:
                break
        return hi

    def floor_loss(self) -> float:
        """The loss no budget goes below (irreducible term), or 0 if the form has none."""
        return 0.0


def tokens_for(flops, params):
    """Tokens that spend ``flops`` on a model of ``params``: D = C / (6N)."""
    return flops / (FLOPS_PER_PARAM_TOKEN * params)
