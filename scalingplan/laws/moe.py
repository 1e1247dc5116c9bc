"""Krajewski et al. 2024, "Scaling Laws for Fine-Grained Mixture of Experts" (arXiv:2402.07871).

L(N, D, G) = c + (g/G^γ + a)·N^(−α) + b·D^(−β) (eq. 9, Table 1), with N the total non-embedding
parameters, D tokens and G the granularity (experts of 1/G the feed-forward size, G of them active).
Training FLOPs follow the paper's model (eqs. 10–11, App. E): per token and block
12·d²·c_f + d·E·G·c_r, with d = depth_ratio·n_blocks and N = d²·(8E + 4)·n_blocks for expansion
rate E. The optimum over (N, G) has no closed form; ``allocate`` searches it numerically.
"""

import math

from scalingplan.laws.base import Law
from scalingplan.laws.search import budget_for_size, each, grid_minimise
from scalingplan.laws.settings import Configurable


class MoELaw(Configurable, Law):
    """Fine-grained MoE: loss in total non-embedding parameters, tokens and granularity."""

    form = "moe"
    params_kind = "non-embedding"
    constant_names = ("a", "alpha", "b", "beta", "g", "gamma", "c", "experts", "c_f", "c_r", "depth_ratio")
    predicts_loss = True
    extra_columns = (("Active params", "active_params", "count"), ("Granularity", "granularity", "plain"))
    settings = ("granularity", "experts")
    granularity = None  # G of the experts, or None: allocate chooses it (loss of a given model: G = 1)
    experts = None  # expansion rate E, or None: the fitted constant (64)

    def check_setting(self, name, value):
        """G at least 1 (experts no larger than the dense feed-forward); E positive."""
        from scalingplan.laws.settings import setting_number

        if name == "granularity":
            return setting_number(value, name, 1.0, True, " (experts no larger than the dense feed-forward)")
        return setting_number(value, name)

    def check_constants(self):
        c = self.constants
        for key in ("a", "alpha", "b", "beta", "experts", "c_f", "depth_ratio"):
            if c[key] <= 0:
                raise ValueError(f"constants.{key}: must be positive, got {c[key]:g}")
        for key in ("g", "gamma", "c", "c_r"):
            if c[key] < 0:
                raise ValueError(f"constants.{key}: must be at least 0, got {c[key]:g}")

    def formula_lines(self) -> list:
        return [
            "L(N, D, G) = c + (g/G^gamma + a)·N^(−alpha) + b·D^(−beta)   (eq. 9; N total non-embedding)",
            "FLOPs = D·n_blocks·(12·d²·c_f + d·E·G·c_r), d = depth_ratio·n_blocks, N = d²·(8E + 4)·n_blocks "
            f"(eqs. 10-11, E = experts = {self.constants['experts']:g})",
            "allocate: the (N, G) of least loss at the budget, searched on a log grid; D spends the rest",
        ]

    # --- architecture and cost (eqs. 10-11) ----------------------------------------------------
    @property
    def E(self):
        """The expansion rate in use: the --experts setting, else the fitted constant."""
        return self.experts or self.constants["experts"]

    def width(self, params):
        """d_model from N = d³·(8E + 4)/depth_ratio (d = depth_ratio·n_blocks)."""
        E = self.E
        return (self.constants["depth_ratio"] * params / (8.0 * E + 4.0)) ** (1.0 / 3.0)

    def active_params(self, params):
        """Parameters one token uses: attention plus one feed-forward's worth, 12·d²·n_blocks."""
        return 12.0 * params / (8.0 * self.E + 4.0)

    def flops_per_token(self, params, granularity):
        """n_blocks·(12·d²·c_f + d·E·G·c_r) (eq. 11; the router's cost grows with E·G)."""
        c = self.constants
        d = self.width(params)
        return d / c["depth_ratio"] * (12.0 * d * d * c["c_f"] + d * self.E * granularity * c["c_r"])

    def training_flops(self, params, tokens):
        """Training FLOPs of N parameters on D tokens at the law's granularity (eqs. 10–11)."""
        return tokens * self.flops_per_token(params, self.granularity or 1.0)

    # --- loss (eq. 9) ---------------------------------------------------------------------------
    def loss(self, params, tokens, granularity=None):
        """L(N, D, G); G is the law's granularity setting, else 1 (experts as large as the dense
        feed-forward)."""
        c = self.constants
        if granularity is None:
            granularity = self.granularity or 1.0
        return (c["c"] + (c["g"] / granularity ** c["gamma"] + c["a"]) * params ** -c["alpha"]
                + c["b"] * tokens ** -c["beta"])

    def loss_on_budget(self, flops, params, granularity):
        """L at N and G when the tokens spend ``flops`` (inf where nothing is left)."""
        return self.loss(params, flops / self.flops_per_token(params, granularity), granularity)

    def _optimum(self, flops: float):
        """(N, D, G, L) of least loss at one budget: grid search over log N and log G (G >= 1),
        or over log N alone when the granularity is set."""
        import numpy as np

        scale = math.log(flops / 6.0) / 2.0
        g_range = (math.log(self.granularity),) * 2 if self.granularity else (0.0, math.log(1e5))
        (log_n, log_g), loss = grid_minimise(
            lambda n, g: self.loss_on_budget(flops, np.exp(n), np.exp(g)),
            [(scale - 10.0, scale + 10.0), g_range])
        params, gran = math.exp(log_n), math.exp(log_g)
        return params, flops / self.flops_per_token(params, gran), gran, loss

    def optimum(self, flops):
        """(N, D, G, L) of least loss for each budget (float or array)."""
        return each(self._optimum, flops)

    def allocate(self, flops):
        params, tokens, _, _ = self.optimum(flops)
        return params, tokens

    def frontier_loss(self, flops):
        return self.optimum(flops)[3]

    def at_budget(self, flops):
        return self if self.granularity else self.clone(granularity=self.optimum(flops)[2])

    def plan_extras(self, flops) -> dict:
        params, _, gran, _ = self.optimum(flops)
        return {"granularity": gran, "active_params": self.active_params(params)}

    def model_extras(self, params, tokens) -> dict:
        return {"granularity": self.granularity or 1.0, "active_params": self.active_params(params)}

    def params_budget(self, params):
        """The budget whose optimal N is ``params`` (bisection on log C)."""
        return each(lambda n: budget_for_size(lambda c: self._optimum(c)[0], n), params)

    def floor_loss(self):
        return self.constants["c"]
