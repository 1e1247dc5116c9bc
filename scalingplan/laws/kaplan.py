"""Kaplan et al. 2020, "Scaling Laws for Neural Language Models" (arXiv:2001.08361).

Parameters are non-embedding (Kaplan §2.1). The compute-efficient frontier (Table 6) is stated in
C_min, the compute a run would need at a batch far below the critical one (§1.3, eq. 5.5). A run
trained at the critical batch B_crit takes 2·S_min steps and 2·E_min tokens (§5.1), so it spends
C = 2·C_min (§6.3, "If we train at the critical batch size (i.e. C = 2C_min)"). This form reads the
user's budget C that way, as Hoffmann et al. 2022 do in their App. D.4 head-to-head with Kaplan.
"""

from scalingplan.constants import PF_DAY
from scalingplan.laws.base import Law, tokens_for

BUDGET_PER_C_MIN = 2.0
"""Training compute at the critical batch per unit of C_min: C = 2·C_min (Kaplan §5.1, §6.3)."""


def c_min_pf_days(flops):
    """C_min in PF-days for a budget C in FLOPs trained at the critical batch: C / 2 / 8.64e19."""
    return flops / (BUDGET_PER_C_MIN * PF_DAY)


class KaplanLaw(Law):
    """Kaplan's equations 1.1–1.6 and the compute-efficient frontier of Table 6."""

    form = "kaplan"
    params_kind = "non-embedding"
    constant_names = (
        "N_opt_coef", "N_opt_exp", "B_opt_coef", "B_opt_exp", "S_opt_coef", "S_opt_exp",
        "alpha_N", "N_c", "alpha_D", "D_c",
        "alpha_N_ND", "alpha_D_ND", "N_c_ND", "D_c_ND",
        "alpha_N_NS", "N_c_NS", "alpha_S", "S_c",
        "alpha_C_min", "C_c_min", "B_star", "alpha_B",
    )
    predicts_loss = True
    frontier_minimises_loss = False  # Table 6's N_opt ∝ C^0.73 is fitted apart from eq. 1.5 (C^0.575)
    checked_methods = Law.checked_methods + ("frontier_batch", "frontier_steps", "loss_params",
                                             "loss_tokens", "loss_steps", "loss_compute",
                                             "critical_batch")

    def __init__(self, name, constants, meta=None):
        super().__init__(name, constants, meta)
        self.c = self.constants

    # --- the frontier (Table 6, budget C = 2·C_min) ------------------------------------------
    def allocate(self, flops):
        """N_opt = 1.3e9·C_min^0.73 (Table 6, C_min = C/2 in PF-days); D = C/(6N) spends the budget."""
        params = self.c["N_opt_coef"] * c_min_pf_days(flops) ** self.c["N_opt_exp"]
        return params, tokens_for(flops, params)

    def params_budget(self, params):
        """C = 2·C_min with C_min = (N/1.3e9)^(1/0.73) PF-days (inverse of ``allocate``)."""
        return BUDGET_PER_C_MIN * PF_DAY * (params / self.c["N_opt_coef"]) ** (1.0 / self.c["N_opt_exp"])

    def frontier_batch(self, flops):
        """Critical batch in tokens on the frontier: B = 2.0e6·C_min^0.24 (Table 6)."""
        return self.c["B_opt_coef"] * c_min_pf_days(flops) ** self.c["B_opt_exp"]

    def frontier_steps(self, flops):
        """Steps at the critical batch: 2·S_min with S_min = 5.4e3·C_min^0.03 (Table 6; eq. 5.4 at B = B_crit)."""
        return BUDGET_PER_C_MIN * self.c["S_opt_coef"] * c_min_pf_days(flops) ** self.c["S_opt_exp"]

    def plan_extras(self, flops):
        """Table 6's batch and steps on the frontier, and B_crit (eq. 1.4) at the frontier loss."""
        return {"frontier_batch_tokens": self.frontier_batch(flops), "frontier_steps": self.frontier_steps(flops),
                "critical_batch_tokens": self.critical_batch(self.frontier_loss(flops))}

    def allocation_notes(self, row):
        from scalingplan.numbers import sci

        if "frontier_batch_tokens" not in row:  # not a frontier plan (e.g. inference-aware)
            return []
        return [f"{self.name}: Table 6 critical batch {sci(row['frontier_batch_tokens'])} tokens for "
                f"{row['frontier_steps']:,.0f} steps (2·S_min at B_crit, Kaplan §5.1); budget read as C = 2·C_min."]

    def formula_lines(self):
        return [
            "Budget: C = 2·C_min, the compute of training at the critical batch (§5.1, §6.3; see the notes)",
            "Frontier (Table 6): N_opt = N_opt_coef·C_min^N_opt_exp, C_min = C/2 / 8.64e19 PF-days; D = C/(6N); "
            "batch B_crit = B_opt_coef·C_min^B_opt_exp for 2·S_min = 2·S_opt_coef·C_min^S_opt_exp steps",
            "Frontier loss: L(C_min) = (C_c_min/C_min)^alpha_C_min (eq. 1.3; footnote 3: the C_min trend is "
            "the one to predict with)",
            "Given N and D (assess): L(N, D) = [(N_c_ND/N)^(alpha_N_ND/alpha_D_ND) + D_c_ND/D]^alpha_D_ND (eq. 1.5)",
            "Also: L(N) = (N_c/N)^alpha_N, L(D) = (D_c/D)^alpha_D, L(N, S) = (N_c_NS/N)^alpha_N_NS + "
            "(S_c/S)^alpha_S, B_crit(L) = B_star/L^(1/alpha_B)",
        ]

    def frontier_loss(self, flops):
        """L(C_min) of eq. 1.3 at C_min = C/2: the trend Kaplan's footnote 3 says to predict with."""
        return self.loss_compute(flops)

    def loss_budget(self, target_loss):
        """C = 2·C_c^min·L^(−1/α_C^min) PF-days, the inverse of eq. 1.3 (no irreducible loss)."""
        return BUDGET_PER_C_MIN * PF_DAY * self.c["C_c_min"] * target_loss ** (-1.0 / self.c["alpha_C_min"])

    # --- losses (§1.2) ---------------------------------------------------------------------
    def loss(self, params, tokens):
        """L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D (eq. 1.5, Table 2): a given model and data."""
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
        """L(C_min) = (C_c^min/C_min)^α_C^min (eq. 1.3), C_min = C/2 in PF-days."""
        return (self.c["C_c_min"] / c_min_pf_days(flops)) ** self.c["alpha_C_min"]

    def critical_batch(self, loss):
        """B_crit(L) = B_*/L^(1/α_B) in tokens (eq. 1.4)."""
        return self.c["B_star"] / loss ** (1.0 / self.c["alpha_B"])
