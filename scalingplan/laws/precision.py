"""Kumar et al. 2024, "Scaling Laws for Precision" (arXiv:2411.04330).

L(N, D) = A·N_eff^(−α) + B·D^(−β) + E + δ_PTQ with N_eff = N·Π_x(1 − e^(n_x − P_x/γ_x)) over the
training precisions of weights, activations and KV cache (§4, eq. 9 family; the offsets n_x of
Appendix K sit inside the exponential, so each factor vanishes at P_x = n_x·γ_x bits), N the
non-embedding parameters, and the post-training quantisation term
δ_PTQ = C_T·(D^γ_D / N^γ_N)·e^(−P_post/γ_post) (§3). Training cost is C = (6/16)·N·D·P (§4.3):
6ND at 16 bits. Constants from Appendix K.
"""

import math
import re

from scalingplan.laws.base import Law
from scalingplan.laws.parametric import allocation_coefficients
from scalingplan.laws.search import budget_for_size, each, grid_minimise
from scalingplan.laws.settings import Configurable

NAMED_FORMATS = {"fp32": 32, "tf32": 19, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "fp6": 6,
                 "fp4": 4, "int4": 4, "int3": 3, "int2": 2}
LOWEST_BITS, HIGHEST_BITS = 1.0, 32.0


def parse_precision(text: str) -> tuple:
    """(P_w, P_a, P_kv) in bits from 'bf16', 'int4', '8', or 'w4a8kv8' (missing parts are 16).

    Raises ValueError naming the accepted spellings.
    """
    name = text.strip().lower()
    if name in NAMED_FORMATS:
        return (float(NAMED_FORMATS[name]),) * 3
    try:
        bits = float(name)
    except ValueError:
        match = re.fullmatch(r"(?:w(\d+(?:\.\d+)?))?(?:a(\d+(?:\.\d+)?))?(?:kv(\d+(?:\.\d+)?))?", name)
        if not name or not match:
            raise ValueError(f"unknown precision '{text}'; give bits (8), a format "
                             f"({', '.join(NAMED_FORMATS)}) or parts like w8a8kv8") from None
        return tuple(float(part) if part else 16.0 for part in match.groups())
    return (bits,) * 3


class PrecisionLaw(Configurable, Law):
    """Chinchilla-form loss with effective parameters lowered by low-precision training."""

    form = "precision"
    params_kind = "non-embedding"
    constant_names = ("A", "alpha", "B", "beta", "E", "gamma_w", "gamma_a", "gamma_kv", "n_w", "n_a", "n_kv",
                      "C_T", "gamma_D", "gamma_N", "gamma_post")
    PARTS = ("w", "a", "kv")
    predicts_loss = True
    settings = ("precision", "post_bits")
    precision = None  # (P_w, P_a, P_kv) bits, or None: the compute-optimal training precision
    post_bits = None  # bits after post-training quantisation, or None: no quantisation
    extra_columns = (("Bits", "precision_bits", "plain"), ("Effective N", "effective_params", "count"),
                     ("δ_PTQ", "delta_ptq", "plain"))

    def check_setting(self, name, value):
        """precision: (P_w, P_a, P_kv) bits, each positive and at most 32 (or one number for all
        three, or a name such as 'fp8'); post_bits: positive bits."""
        from scalingplan.errors import InputError
        from scalingplan.laws.settings import setting_number

        if name == "post_bits":
            return setting_number(value, "post_train_bits")
        if isinstance(value, str):
            try:
                value = parse_precision(value)
            except ValueError as exc:
                raise InputError(str(exc), name) from None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = (value,) * 3
        if not isinstance(value, (tuple, list)) or len(value) != 3:
            raise InputError(f"expected bits for weights, activations and KV cache (3 numbers), got {value!r}"[:200],
                             name)
        bits = tuple(setting_number(part, name) for part in value)
        if max(bits) > HIGHEST_BITS:
            raise InputError(f"bits must be at most {HIGHEST_BITS:g}, got {value!r}", name)
        for part, bit, lowest in zip(("weights", "activations", "KV cache"), bits, self.lowest_bits()):
            if bit <= lowest:
                raise InputError(f"{part} at {bit:g} bits leave no effective parameters under this law "
                                 f"(its factor 1 − e^(n − P/gamma) is 0 at {lowest:.3g} bits); give more bits", name)
        return bits

    def check_constants(self):
        for key, value in self.constants.items():
            if value <= 0 and key not in ("E", "n_w", "n_a", "n_kv"):
                raise ValueError(f"constants.{key}: must be positive, got {value:g}")
        for part, lowest in zip(self.PARTS, self.lowest_bits()):
            if not lowest < HIGHEST_BITS:
                raise ValueError(f"constants.n_{part}: leaves no effective parameters below {HIGHEST_BITS:g} bits "
                                 f"(n_{part}·gamma_{part} = {lowest:g})")

    def lowest_bits(self) -> tuple:
        """(weights, activations, KV cache): the bits n_x·γ_x at which a factor of N_eff reaches 0."""
        c = self.constants
        return tuple(c[f"n_{part}"] * c[f"gamma_{part}"] for part in self.PARTS)

    def formula_lines(self) -> list:
        return [
            "L = A·N_eff^(−alpha) + B·D^(−beta) + E + δ_PTQ, N_eff = N·Π(1 − e^(n_x − P_x/gamma_x)), "
            "x = weights, activations, KV cache; N non-embedding",
            "δ_PTQ = C_T·(D^gamma_D / N^gamma_N)·e^(−P_post/gamma_post) (with --post-train-bits)",
            "Cost C = (6/16)·N·D·P (P = the wider of weight and activation bits); allocate also picks "
            f"P when --precision is not given (compute-optimal P = {self.optimal_bits():.3g} bits)",
        ]

    def derived(self):
        return {"optimal_bits": self.optimal_bits()}

    # --- the law ------------------------------------------------------------------------------
    def capacity(self, bits_w, bits_a, bits_kv):
        """N_eff / N = Π_x(1 − e^(n_x − P_x/γ_x)) (App. K's reading: the offset inside the exponential)."""
        import numpy as np

        c = self.constants
        out = 1.0
        for part, bits in zip(self.PARTS, (bits_w, bits_a, bits_kv)):
            out = out * (1 - np.exp(c[f"n_{part}"] - bits / c[f"gamma_{part}"]))
        return out

    def delta_ptq(self, params, tokens, post_bits=None):
        """δ_PTQ = C_T·(D^γ_D/N^γ_N)·e^(−P_post/γ_post); 0 without post-training quantisation."""
        import numpy as np

        post = self.post_bits if post_bits is None else post_bits
        if post is None:
            return 0.0 * np.asarray(params, dtype=float)
        c = self.constants
        return c["C_T"] * tokens ** c["gamma_D"] / params ** c["gamma_N"] * np.exp(-post / c["gamma_post"])

    def loss(self, params, tokens, precision=None):
        """L at the law's precision (16 bits everywhere when it optimises precision)."""
        bits = self.precision or (16.0, 16.0, 16.0) if precision is None else precision
        c = self.constants
        effective = params * self.capacity(*bits)
        return (c["A"] * effective ** -c["alpha"] + c["B"] * tokens ** -c["beta"] + c["E"]
                + self.delta_ptq(params, tokens))

    @staticmethod
    def cost_bits(precision) -> float:
        """The P of the cost model: the wider operand of the weight-activation matmuls."""
        import numpy as np

        return np.maximum(precision[0], precision[1])

    def training_flops(self, params, tokens, precision=None):
        """C = (6/16)·N·D·P (§4.3); 16 bits unless a precision is set or given."""
        bits = self.precision or (16.0, 16.0, 16.0) if precision is None else precision
        return 6.0 / 16.0 * params * tokens * self.cost_bits(bits)

    # --- optima -------------------------------------------------------------------------------
    def optimal_bits(self) -> float:
        """Training precision P (all three parts) of least loss without δ_PTQ. At fixed P the
        optimum is Chinchilla's with A·capacity^(−α) and N·D = 16C/(6P), whose reducible loss is
        ∝ (capacity(P)/P)^(−αβ/(α+β)); so P maximises capacity(P)/P at every budget (§4.3)."""
        (bits,), _ = grid_minimise(lambda p: -self.capacity(p, p, p) / p, [self.bits_range()])
        return bits

    def bits_range(self) -> tuple:
        """The training precisions searched: from where every factor of N_eff is positive to 32 bits."""
        return max(LOWEST_BITS, max(self.lowest_bits()) + 1e-9), HIGHEST_BITS

    def _optimum(self, flops: float):
        """(N, D, P, L) of least loss at one budget; P searched too when no precision is set."""
        import numpy as np

        scale = math.log(flops / 6.0) / 2.0
        fixed = self.precision

        def loss(log_n, bits):
            params = np.exp(log_n)
            precision = fixed or (bits, bits, bits)
            tokens = flops / self.training_flops(params, 1.0, precision)
            return self.loss(params, tokens, precision)

        bits_range = (16.0, 16.0) if fixed else self.bits_range()
        (log_n, bits), best = grid_minimise(loss, [(scale - 10.0, scale + 10.0), bits_range])
        precision = fixed or (bits, bits, bits)
        params = math.exp(log_n)
        return params, flops / self.training_flops(params, 1.0, precision), float(self.cost_bits(precision)), best

    def optimum(self, flops):
        """(N, D, P, L) for each budget (float or array)."""
        return each(self._optimum, flops)

    def allocate(self, flops):
        if self.precision is not None and self.post_bits is None:
            return self.closed_form(flops)
        params, tokens, _, _ = self.optimum(flops)
        return params, tokens

    def closed_form(self, flops):
        """At a fixed precision without δ_PTQ: the Chinchilla optimum in (N_eff, D) with
        N·D = 16C/(6P), i.e. A → A·capacity^(−α) in Hoffmann et al.'s eq. 4."""
        c = self.constants
        A = c["A"] * self.capacity(*self.precision) ** -c["alpha"]
        G, a, _ = allocation_coefficients(A, c["B"], c["alpha"], c["beta"])
        product = flops / self.training_flops(1.0, 1.0)
        params = G * product ** a
        return params, product / params

    def frontier_loss(self, flops):
        if self.precision is not None and self.post_bits is None:
            return self.loss(*self.closed_form(flops))
        return self.optimum(flops)[3]

    def at_budget(self, flops):
        return self if self.precision else self.clone(precision=(self.optimum(flops)[2],) * 3)

    def plan_extras(self, flops) -> dict:
        return self.at_budget(flops).model_extras(*self.allocate(flops))

    def model_extras(self, params, tokens) -> dict:
        bits = self.precision or (16.0, 16.0, 16.0)
        return {"precision_bits": float(self.cost_bits(bits)), "effective_params": params * self.capacity(*bits),
                "delta_ptq": self.delta_ptq(params, tokens)}

    def params_budget(self, params):
        return each(lambda n: budget_for_size(lambda c: self.allocate(c)[0], n), params)

    def floor_loss(self):
        return self.constants["E"]
