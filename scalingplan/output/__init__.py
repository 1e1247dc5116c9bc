"""Output: tables, JSON, CSV, markdown and plots."""

SCHEMA_VERSION = 2
"""Version of the --json schemas (``output/schemas.py``), carried by every JSON answer; defined here so
that writing an answer does not build the schemas."""
