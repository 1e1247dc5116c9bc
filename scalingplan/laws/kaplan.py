"""Kaplan et al. 2020, "Scaling Laws for Neural Language Models" (arXiv:2001.08361).

Parameters are non-embedding (Kaplan §2.1); budgets on the compute-efficient frontier are C_min in
PF-days (Table 6), which this form takes as the user's budget C (FLOPs) divided by one PF-day.
"""

from scalingplan.constants import PF_DAY
from scalingplan.laws.base import Law, tokens_for


class KaplanLaw(Law):
    """Kaplan's equations 1.1–1.6 and the compute-efficient frontier of Table 6."""

    form = "kaplan"
    constant_names = (
        "N_opt_coef", "N_opt_exp", "B_opt_coef", "B_opt_exp", "S_opt_coef", "S_opt_exp",
        "alpha_N", "N_c", "alpha_D", "D_c",
        "alpha_N_ND", "alpha_D_ND", "N_c_ND", "D_c_ND",
        "alpha_N_NS", "N_c_NS", "alpha_S", "S_c",
        "alpha_C_min", "C_c_min", "B_star", "alpha_B",
    )
    predicts_loss = True
    params_kind = "non-embedding"

    def __init__(self, name, constants, meta=None):
        super().__init__(name, constants, meta)
        self.c = self.constants

    def formula_lines(self):
        return [
            "Frontier (Table 6): N_opt = N_opt_coef·C_min^N_opt_exp, C_min = C / 8.64e19 (PF-days); D = C/(6N)",
            "L(N, D) = [(N_c_ND/N)^(alpha_N_ND/alpha_D_ND) + D_c_ND/D]^alpha_D_ND   (eq. 1.5, used for loss)",
            "L(N) = (N_c/N)^alpha_N, L(D) = (D_c/D)^alpha_D, L(C_min) = (C_c_min/C_min)^alpha_C_min",
            "L(N, S) = (N_c_NS/N)^alpha_N_NS + (S_c/S)^alpha_S, B_crit(L) = B_star/L^(1/alpha_B)",
        ]

    def plan_extras(self, flops):
        return {"batch_tokens": self.frontier_batch(flops), "steps": self.frontier_steps(flops)}

    def allocation_notes(self, row):
        from scalingplan.output.render import sci

        if "batch_tokens" not in row:  # a plan off the frontier (e.g. a set tokens per parameter)
            return [f"{self.name}: non-embedding parameters."]

        return [f"{self.name}: non-embedding parameters; Table 6 frontier batch "
                f"{sci(row['batch_tokens'])} tokens for {row['steps']:,.0f} steps."]

    # --- the frontier (Table 6) -------------------------------------------------------------
    def allocate(self, flops):
        """N_opt = 1.3e9·C_min^0.73 (Table 6, C_min in PF-days); D = C/(6N) spends the budget."""
        params = self.c["N_opt_coef"] * (flops / PF_DAY) ** self.c["N_opt_exp"]
        return params, tokens_for(flops, params)

    def params_budget(self, params):
        return PF_DAY * (params / self.c["N_opt_coef"]) ** (1.0 / self.c["N_opt_exp"])

    def frontier_batch(self, flops):
        """Batch size in tokens on the frontier: B = 2.0e6·C_min^0.24 (Table 6)."""
        return self.c["B_opt_coef"] * (flops / PF_DAY) ** self.c["B_opt_exp"]

    def frontier_steps(self, flops):
        """Optimisation steps on the frontier: S_min = 5.4e3·C_min^0.03 (Table 6)."""
        return self.c["S_opt_coef"] * (flops / PF_DAY) ** self.c["S_opt_exp"]

    # --- losses (§1.2) ---------------------------------------------------------------------
    def loss(self, params, tokens):
        """L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D (eq. 1.5, Table 2 constants)."""
        c = self.c
        return ((c["N_c_ND"] / params) ** (c["alpha_N_ND"] / c["alpha_D_ND"])
                + c["D_c_ND"] / tokens) ** c["alpha_D_ND"]

    def loss_params(self, params):
        """L(N) = (N_c/N)^α_N, converged, data unlimited (eq. 1.1)."""
        return (self.c["N_c"] / params) ** self.c["alpha_N"]

    def loss_tokens(self, tokens):
        """L(D) = (D_c/D)^α_D, large model, early stopping (eq. 1.2)."""
        return (self.c["D_c"] / tokens) ** self.c["alpha_D"]

    def loss_steps(self, params, steps):
        """L(N, S_min) = (N_c/N)^α_N + (S_c/S_min)^α_S (eq. 1.6, Table 3 constants)."""
        c = self.c
        return (c["N_c_NS"] / params) ** c["alpha_N_NS"] + (c["S_c"] / steps) ** c["alpha_S"]

    def loss_compute(self, flops):
        """L(C_min) = (C_c^min/C_min)^α_C^min with C_min in PF-days (eq. 1.3)."""
        return (self.c["C_c_min"] / (flops / PF_DAY)) ** self.c["alpha_C_min"]

    def critical_batch(self, loss):
        """B_crit(L) = B_*/L^(1/α_B) in tokens (eq. 1.4)."""
        return self.c["B_star"] / loss ** (1.0 / self.c["alpha_B"])
