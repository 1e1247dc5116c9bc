"""The catalogue of trained models (``configs/models.yaml``): sizes, tokens, architectures, sources."""

from functools import lru_cache

from scalingplan.errors import InputError, closest
from scalingplan.catalogues.paths import config_path


@lru_cache(maxsize=None)
def load_models() -> dict:
    """name -> model dict with float ``params`` and ``tokens`` (and ``architecture`` if known)."""
    from scalingplan.catalogues.yamlfile import read_yaml_cached

    doc = read_yaml_cached([config_path("models.yaml")], "models", "model catalogue")[0]
    models = {}
    for index, entry in enumerate(doc.data.get("models") or []):
        model = dict(entry)
        for key in ("params", "tokens"):
            model[key] = doc.number("models", index, key, value=entry.get(key))
        models[str(entry["name"])] = model
    return models


def find_model(name: str) -> dict:
    """A catalogue model by name, display name or alias (case-insensitive)."""
    wanted = name.strip().lower()
    for key, model in load_models().items():
        names = [key, str(model.get("display", key))] + [str(a) for a in model.get("aliases") or []]
        if wanted in (n.lower() for n in names):
            return model
    raise InputError(f"unknown model '{name}'{closest(name, list(load_models()))}; "
                     f"known models: {', '.join(load_models())}")
