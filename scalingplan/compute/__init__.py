"""Compute: counting FLOPs and parameters, accelerators, budgets."""
