"""Muennighoff et al. 2023, "Scaling Data-Constrained Language Models" (arXiv:2305.16264, §3.1).

Repeated tokens and excess parameters are worth less than fresh ones:
L(N, D, U_D) = E + A/N′^α + B/D′^β with the effective data D′ (eq. 5) and effective parameters N′
(eq. 6). Conventions follow the authors' released code (huggingface/datablations, README "Parametric
Fit", ``scaling_law``): D counts every training token, first epoch included, so R_D = D/U_D − 1;
U_D = min(U, D) (their ``optimal_allocation``); U_N = min(N, N_opt(U_D)) with N_opt(D) = G·(G·D)^(β/α)
(their ``D_to_N``) and G = (αA/(βB))^(1/(α+β)) computed from this law's own constants.
Without a unique-token limit the law is its parametric base L = E + A/N^α + B/D^β.
"""

from scalingplan.laws.parametric import ParametricLaw, parametric_loss


def effective_count(count, unique, decay):
    """U + U·R*·(1 − e^(−R/R*)) with R = max(count/U − 1, 0) repetitions (eqs. 5 and 6)."""
    import numpy as np

    repetitions = np.maximum(count / unique - 1.0, 0.0)
    return unique + unique * decay * (1.0 - np.exp(-repetitions / decay))


class DataConstrainedLaw(ParametricLaw):
    """The parametric law with Muennighoff et al.'s decay of repeated data and excess parameters."""

    form = "data-constrained"
    constant_names = ("E", "A", "B", "alpha", "beta", "R_N_star", "R_D_star")
    models_repetition = True

    def check_constants(self):
        super().check_constants()
        for key in ("R_N_star", "R_D_star"):
            if not self.constants[key] > 0:
                raise ValueError(f"constants.{key}: must be positive, got {self.constants[key]:g}")

    def formula_lines(self):
        return [
            "L(N, D, U) = E + A/N'^alpha + B/D'^beta; D' = U_D + U_D·R_D_star·(1 − e^(−R_D/R_D_star)), "
            "R_D = D/U_D − 1, U_D = min(U, D); N' likewise with U_N = min(N, G·(G·U_D)^(beta/alpha))",
            f"Without --unique-tokens: E + A/N^alpha + B/D^beta, N_opt = G·(C/6)^a, G = {self.G:.5g}, "
            f"a = {self.a:.4f}",
        ]

    def base_loss(self, params, tokens):
        """The parametric base E + A/N^α + B/D^β (single-epoch fit)."""
        c = self.constants
        return parametric_loss(params, tokens, c["E"], c["A"], c["B"], c["alpha"], c["beta"])

    def unique_params(self, unique_tokens):
        """U_N for U_D unique tokens: the compute-optimal size G·(G·U_D)^(β/α) (``D_to_N``)."""
        return self.G * (self.G * unique_tokens) ** (self.beta / self.alpha)

    def effective_tokens(self, tokens, unique_tokens):
        """D′ for D training tokens drawn from U unique ones (U_D = min(U, D))."""
        import numpy as np

        return effective_count(tokens, np.minimum(unique_tokens, tokens), self.constants["R_D_star"])

    def effective_params(self, params, tokens, unique_tokens):
        """N′ with U_N = min(N, N_opt(U_D)), U_D = min(U, D)."""
        import numpy as np

        unique_params = np.minimum(params, self.unique_params(np.minimum(unique_tokens, tokens)))
        return effective_count(params, unique_params, self.constants["R_N_star"])

    def loss(self, params, tokens, unique_tokens=None):
        """L(N, D) of the base law, or L(N′, D′) when only ``unique_tokens`` distinct tokens exist."""
        if unique_tokens is None:
            return self.base_loss(params, tokens)
        return self.base_loss(self.effective_params(params, tokens, unique_tokens),
                              self.effective_tokens(tokens, unique_tokens))

    def loss_with_data(self, params, tokens, unique_tokens=None):
        return self.unchecked("loss")(params, tokens, unique_tokens)

    def data_floor(self, unique_tokens=None):
        """The loss no budget goes below with U unique tokens: N′ → U_N(1 + R_N*), D′ → U(1 + R_D*)."""
        if unique_tokens is None:
            return self.floor_loss()
        c = self.constants
        return self.base_loss(self.unique_params(unique_tokens) * (1.0 + c["R_N_star"]),
                              unique_tokens * (1.0 + c["R_D_star"]))
