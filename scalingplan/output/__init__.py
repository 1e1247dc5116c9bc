"""Output: tables, JSON, CSV, markdown and plots."""
