"""Budget checks for CI: plan files and their limits."""
