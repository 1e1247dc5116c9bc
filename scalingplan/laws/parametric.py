"""Hoffmann et al. 2022 Approach 3: L(N, D) = E + A/N^α + B/D^β (arXiv:2203.15556, eq. 2)."""

import math
import sys

from scalingplan.constants import FLOPS_PER_PARAM_TOKEN
from scalingplan.laws.base import Law, tokens_for


def parametric_loss(params, tokens, E, A, B, alpha, beta):
    """L̂(N, D) = E + A/N^α + B/D^β (Hoffmann et al. 2022, eq. 2)."""
    return E + A / params**alpha + B / tokens**beta


def allocation_coefficients(A, B, alpha, beta):
    """(G, a, b) of the closed-form optimum under C = 6ND (Hoffmann et al. 2022 §3.3, eq. 4).

    N_opt = G·(C/6)^a, D_opt = G⁻¹·(C/6)^b, G = (αA/(βB))^(1/(α+β)), a = β/(α+β), b = α/(α+β).
    """
    G = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
    return G, beta / (alpha + beta), alpha / (alpha + beta)


class ParametricLaw(Law):
    """L = E + A/N^α + B/D^β with its closed-form compute-optimal frontier."""

    form = "parametric"
    constant_names = ("E", "A", "B", "alpha", "beta")
    predicts_loss = True

    def __init__(self, name, constants, meta=None):
        super().__init__(name, constants, meta)
        try:
            self.parametric = self.parametric_constants()
            self.E, self.A, self.B, self.alpha, self.beta = (self.parametric[k] for k in ("E", "A", "B", "alpha", "beta"))
            self.G, self.a, self.b = allocation_coefficients(self.A, self.B, self.alpha, self.beta)
        except (OverflowError, ZeroDivisionError):
            self.G = math.nan
        derived = {"A": self.parametric["A"], "B": self.parametric["B"], "G": self.G}
        for key, value in derived.items():
            if not (math.isfinite(value) and sys.float_info.min <= value <= 1 / sys.float_info.min):
                raise ValueError(f"constants: they give {key} = {value:g} (E + A/N^alpha + B/D^beta, optimum "
                                 "N = G·(C/6)^a), beyond double precision: no allocation can be computed")

    def parametric_constants(self) -> dict:
        """E, A, B, alpha, beta of eq. 2; forms that restate the same law in other constants derive them."""
        return {k: self.constants[k] for k in ("E", "A", "B", "alpha", "beta")}

    def check_constants(self):
        """A, B, α, β positive; E (the irreducible loss) non-negative."""
        for key in ("A", "B", "alpha", "beta"):
            if not self.constants[key] > 0:
                raise ValueError(f"constants.{key}: must be positive, got {self.constants[key]:g}")
        if not self.constants["E"] >= 0:
            raise ValueError(f"constants.E: must be at least 0, got {self.constants['E']:g}")

    def formula_lines(self):
        return [
            "L(N, D) = E + A/N^alpha + B/D^beta   (nats/token)",
            f"N_opt = G·(C/6)^a, D_opt = (C/6)/N_opt with G = (alpha·A/(beta·B))^(1/(alpha+beta)) = "
            f"{self.G:.5g}, a = beta/(alpha+beta) = {self.a:.4f}, b = {self.b:.4f}",
        ]

    def derived(self):
        return {"G": self.G, "a": self.a, "b": self.b}

    def loss(self, params, tokens):
        return parametric_loss(params, tokens, **self.parametric)

    def allocate(self, flops):
        params = self.G * (flops / FLOPS_PER_PARAM_TOKEN) ** self.a
        return params, tokens_for(flops, params)

    def params_budget(self, params):
        return FLOPS_PER_PARAM_TOKEN * (params / self.G) ** (1.0 / self.a)

    def frontier_coefficients(self):
        """(K, γ) with L_opt(C) = E + K·(C/6)^(−γ), γ = αβ/(α+β) (substituting eq. 4 into eq. 2)."""
        gamma = self.alpha * self.beta / (self.alpha + self.beta)
        K = self.A * self.G ** -self.alpha + self.B * self.G ** self.beta
        return K, gamma

    def loss_budget(self, target_loss):
        """C = 6·(K/(L − E))^(1/γ); inf when the target is at or below E."""
        excess = target_loss - self.E
        if excess <= 0:
            return float("inf")
        K, gamma = self.frontier_coefficients()
        return FLOPS_PER_PARAM_TOKEN * (K / excess) ** (1.0 / gamma)

    def floor_loss(self):
        return self.E
