"""Kaplan et al. 2020 eq. 1.5 as a law of its own: L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D.

The form a user fits to their runs (``fit --form kaplan``); the registry's ``kaplan`` form keeps the
paper's full set of equations and its Table 6 frontier.
"""

from scalingplan.laws.base import FLOPS_PER_PARAM_TOKEN, Law, tokens_for


class KaplanNDLaw(Law):
    """L(N, D) of Kaplan eq. 1.5, with its compute-optimal frontier under C = 6ND.

    With p = α_N/α_D, minimising (N_c/N)^p + 6·D_c·N/C over N gives
    N_opt = (p·N_c^p·C/(6·D_c))^(1/(p+1)), so N_opt ∝ C^a with a = 1/(p+1) = α_D/(α_N + α_D).
    """

    form = "kaplan-nd"
    constant_names = ("N_c", "D_c", "alpha_N", "alpha_D")
    predicts_loss = True

    def __init__(self, name, constants, meta=None):
        super().__init__(name, constants, meta)  # checks every constant is positive
        c = self.constants
        self.p = c["alpha_N"] / c["alpha_D"]
        self.a = 1.0 / (self.p + 1.0)
        self.b = 1.0 - self.a

    def formula_lines(self) -> list:
        return ["L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D   (Kaplan et al. 2020 eq. 1.5)",
                f"N_opt = (p·N_c^p·C/(6·D_c))^(1/(p+1)), p = alpha_N/alpha_D = {self.p:.4g}; "
                f"a = {self.a:.4g}, b = {self.b:.4g}"]

    def derived(self) -> dict:
        return {"a": self.a, "b": self.b}

    def loss(self, params, tokens):
        c = self.constants
        return ((c["N_c"] / params) ** self.p + c["D_c"] / tokens) ** c["alpha_D"]

    def allocate(self, flops):
        c = self.constants
        params = (self.p * c["N_c"] ** self.p * flops / (FLOPS_PER_PARAM_TOKEN * c["D_c"])) ** self.a
        return params, tokens_for(flops, params)

    def params_budget(self, params):
        c = self.constants
        return FLOPS_PER_PARAM_TOKEN * c["D_c"] * params ** (self.p + 1.0) / (self.p * c["N_c"] ** self.p)
