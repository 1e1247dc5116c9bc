"""Power-law allocation rules: one quantity is G·C^a, the other spends the rest of C = 6ND."""

from scalingplan.constants import FLOPS_PER_PARAM_TOKEN
from scalingplan.laws.base import Law, tokens_for


class PowerLaw(Law):
    """N_opt = G·C^a (``quantity: params``) or D_opt = G·C^a (``quantity: tokens``), C in FLOPs.

    Hoffmann et al. 2022 Table 2 gives such exponents; Llama 3 (§3.2.1) and DeepSeek LLM (§3) state
    their laws for tokens. These laws predict no loss.
    """

    form = "power-law"
    constant_names = ("G", "a")

    def __init__(self, name, constants, meta=None, quantity: str = "params"):
        super().__init__(name, constants, meta)
        if quantity not in ("params", "tokens"):
            raise ValueError(f"quantity: must be 'params' or 'tokens', got {quantity!r}")
        self.quantity = quantity
        self.G, self.a = self.constants["G"], self.constants["a"]

    @classmethod
    def from_document(cls, name, values, meta):
        """Reads ``quantity`` (params or tokens) beside the constants."""
        return cls(name, values, meta, quantity=str(meta.get("quantity", "params")))

    def check_constants(self):
        """G > 0 and 0 < a < 1 (an exponent of 1 or more leaves no compute for the other quantity)."""
        if not self.constants["G"] > 0:
            raise ValueError(f"constants.G: must be positive, got {self.constants['G']:g}")
        if not 0 < self.constants["a"] < 1:
            raise ValueError(f"constants.a: must be between 0 and 1, got {self.constants['a']:g}")

    def formula_lines(self):
        if self.quantity == "params":
            text = f"N_opt = G·C^a = {self.G:g}·C^{self.a:g}, D = C/(6·N_opt)"
        else:
            text = f"D_opt = G·C^a = {self.G:g}·C^{self.a:g}, N = C/(6·D_opt)"
        return [text + "   (C in FLOPs; predicts no loss)"]

    def allocate(self, flops):
        optimum = self.G * flops**self.a
        if self.quantity == "params":
            return optimum, tokens_for(flops, optimum)
        return tokens_for(flops, optimum), optimum

    def params_budget(self, params):
        if self.quantity == "params":
            return (params / self.G) ** (1.0 / self.a)
        # N = C / (6·G·C^a)  =>  C^(1−a) = 6·G·N
        return (FLOPS_PER_PARAM_TOKEN * self.G * params) ** (1.0 / (1.0 - self.a))
