"""Data files and catalogues: the law registry, the model catalogue, safe YAML reading."""
