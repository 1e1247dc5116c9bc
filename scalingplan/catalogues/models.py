"""The catalogue of trained models (``configs/models.yaml``): sizes, tokens, architectures, sources."""

from functools import lru_cache

from scalingplan.errors import InputError, closest
from scalingplan.catalogues.paths import config_path


@lru_cache(maxsize=None)
def load_models() -> dict:
    """name -> model dict with float ``params`` and ``tokens`` (and ``architecture``, ``active_params``
    if known). ``tokens`` is None where the developer never published it (``tokens_note`` says so)."""
    from scalingplan.catalogues.yamlfile import read_yaml_cached

    doc = read_yaml_cached([config_path("models.yaml")], "models", "model catalogue")[0]
    models = {}
    for index, entry in enumerate(doc.data.get("models") or []):
        model = dict(entry)
        for key in ("params", "tokens", "active_params"):
            if key in ("tokens", "active_params") and entry.get(key) is None:
                model[key] = None
                continue
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


def training_tokens(model: dict, hint: str = "") -> float:
    """The catalogue model's training tokens, or InputError (ending in ``hint``) when they were never
    published."""
    if model["tokens"] is None:
        raise InputError(f"{model['name']}: training tokens unknown: {model.get('tokens_note', 'not published')}"
                         + (f"; {hint}" if hint else ""))
    return model["tokens"]


def counted_params(model: dict) -> float:
    """Parameters a token passes through: active_params for a mixture of experts, else params."""
    return model["active_params"] or model["params"]
