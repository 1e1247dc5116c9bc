"""Gadre et al. 2024, "Language models scale reliably with over-training and on downstream tasks"
(arXiv:2403.08540).

Eq. 4: L(C, M) = E + (a·M^η + b·M^(−η))·C^(−η) with C = 6ND and token multiplier M = D/N. It is
the parametric law E + A/N^α + B/D^β with α = β = 2η, A = a·6^(−η), B = b·6^(−η) (substitute
N = (C/(6M))^½, D = (CM/6)^½), so the Chinchilla closed form gives its optimum, M* = (b/a)^(1/(2η))
(eq. 10). Eq. 5: the 17-task average top-1 error Err(L) = ε − k·exp(−γ·L).
"""

from scalingplan.constants import FLOPS_PER_PARAM_TOKEN
from scalingplan.laws.parametric import ParametricLaw


class OvertrainLaw(ParametricLaw):
    """Loss in compute and token multiplier, with downstream top-1 error beside loss."""

    form = "over-training"
    params_kind = "total"
    constant_names = ("E", "a", "b", "eta", "epsilon", "k", "gamma")
    extra_columns = (("Top-1 err", "top1_error", "plain"),)

    def parametric_constants(self):
        """Eq. 4 as E + A/N^α + B/D^β: α = β = 2η, A = a·6^(−η), B = b·6^(−η)."""
        c = self.constants
        return {"E": c["E"], "A": c["a"] * FLOPS_PER_PARAM_TOKEN ** -c["eta"],
                "B": c["b"] * FLOPS_PER_PARAM_TOKEN ** -c["eta"], "alpha": 2 * c["eta"], "beta": 2 * c["eta"]}

    def check_constants(self):
        c = self.constants
        for key in ("a", "b", "eta", "k", "gamma"):
            if c[key] <= 0:
                raise ValueError(f"constants.{key}: must be positive, got {c[key]:g}")

    def formula_lines(self) -> list:
        c = self.constants
        return [
            "L(C, M) = E + (a·M^eta + b·M^(−eta))·C^(−eta), C = 6ND, M = D/N   (eq. 4; C4 validation loss)",
            f"M* = (b/a)^(1/(2·eta)) = {self.optimal_multiplier():.4g} tokens per parameter (eq. 10)",
            f"Top-1 error (17-task average) = epsilon − k·exp(−gamma·L) = {c['epsilon']:g} − "
            f"{c['k']:g}·exp(−{c['gamma']:g}·L)   (eq. 5)",
        ]

    def derived(self):
        """The equivalent parametric law's constants and the compute-optimal multiplier."""
        return {"M_star": self.optimal_multiplier(), "A": self.A, "B": self.B, "alpha = beta": self.alpha}

    def loss(self, params, tokens):
        return self.loss_cm(FLOPS_PER_PARAM_TOKEN * params * tokens, tokens / params)

    def loss_cm(self, flops, multiplier):
        """Eq. 4 as printed: L(C, M)."""
        c = self.constants
        return c["E"] + (c["a"] * multiplier ** c["eta"] + c["b"] * multiplier ** -c["eta"]) * flops ** -c["eta"]

    def optimal_multiplier(self):
        """M* = (b/a)^(1/(2η)) (eq. 10), the same at every budget."""
        c = self.constants
        return (c["b"] / c["a"]) ** (1.0 / (2.0 * c["eta"]))

    def top1_error(self, loss):
        """Err(L) = ε − k·exp(−γ·L) (eq. 5): average top-1 error over the 17 downstream tasks."""
        import numpy as np

        c = self.constants
        return c["epsilon"] - c["k"] * np.exp(-c["gamma"] * loss)

    def plan_extras(self, flops) -> dict:
        return self.model_extras(*self.allocate(flops))

    def model_extras(self, params, tokens) -> dict:
        return {"top1_error": self.top1_error(self.loss(params, tokens))}
