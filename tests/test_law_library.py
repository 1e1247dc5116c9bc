"""The library as strict as the command line: immutable laws, checked clones, InputError for every
wrong type or value, and law caches that see what is on disk now."""

import math

import pytest

import scalingplan
from scalingplan.errors import InputError
from scalingplan.catalogues.registry import available, load_law


# --- immutable laws and clone --------------------------------------------------------------------
def test_constants_are_read_only_and_later_loads_are_untouched():
    law = load_law("chinchilla-3")
    with pytest.raises(TypeError):
        law.constants["alpha"] = 0.1
    with pytest.raises(AttributeError):
        law.alpha = 0.1
    with pytest.raises(AttributeError):
        law.name = "other"
    with pytest.raises(TypeError):
        law.meta["notes"] = ()
    assert load_law("chinchilla-3").constants["alpha"] == 0.34  # Hoffmann et al. 2022, App. D.2


@pytest.mark.parametrize("name", available())
def test_every_registry_law_is_immutable(name):
    law = load_law(name)
    with pytest.raises(TypeError):
        law.constants[next(iter(law.constants))] = 1.0
    with pytest.raises(AttributeError):
        law.params_kind = "total"


@pytest.mark.parametrize("name, settings, field", [
    ("krajewski2024", {"granularity": 0.5}, "granularity"),
    ("krajewski2024", {"granularity": math.nan}, "granularity"),
    ("krajewski2024", {"granularity": "8"}, "granularity"),
    ("krajewski2024", {"experts": 0}, "experts"),
    ("krajewski2024", {"experts": -64}, "experts"),
    ("kumar2024", {"precision": 0}, "precision"),
    ("kumar2024", {"precision": (8, 8)}, "precision"),
    ("kumar2024", {"precision": (8, 8, -1)}, "precision"),
    ("kumar2024", {"precision": (8, 8, math.inf)}, "precision"),
    ("kumar2024", {"precision": "fp99"}, "precision"),
    ("kumar2024", {"precision": 64}, "precision"),
    ("kumar2024", {"post_bits": 0}, "post_train_bits"),
])
def test_clone_refuses_impossible_settings(name, settings, field):
    with pytest.raises(InputError) as caught:
        load_law(name).clone(**settings)
    assert caught.value.field == field


def test_clone_checks_and_leaves_the_original_alone():
    law = load_law("krajewski2024")
    fine = law.clone(granularity=8)
    assert fine.granularity == 8.0 and law.granularity is None
    with pytest.raises(AttributeError):
        fine.granularity = 0.5
    with pytest.raises(InputError, match="no setting"):
        law.clone(precision=8)
    kumar = load_law("kumar2024").clone(precision="fp8", post_bits=4)
    assert kumar.precision == (8.0, 8.0, 8.0) and kumar.post_bits == 4.0


def test_the_cli_reports_the_laws_own_check(cli):
    result = cli("allocate", "--flops", "1e21", "--law", "krajewski2024", "--granularity", "0.5")
    assert result.exit_code == 2 and "--granularity" in result.output and "at least 1" in result.output
