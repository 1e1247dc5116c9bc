"""The library as strict as the command line: immutable laws, checked clones, InputError for every
wrong type or value, and law caches that see what is on disk now."""

import math
import os

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


# --- wrong types and values through the Python API ----------------------------------------------
LAW_FILE = """name: {name}
form: parametric
constants: {{E: 1.69, A: {A}, B: 410.7, alpha: 0.34, beta: 0.28}}
"""


@pytest.mark.parametrize("laws", [[None], [123], [b"chinchilla-3"], 123, [1.5], [""], ["\0"], {"a": 1}])
def test_allocate_refuses_laws_of_the_wrong_type(laws):
    with pytest.raises(InputError):
        scalingplan.allocate(1e21, laws)


@pytest.mark.parametrize("call", [
    lambda: scalingplan.load_law(None),
    lambda: scalingplan.load_law(123),
    lambda: scalingplan.compare(None),
    lambda: scalingplan.compare("1e21"),
    lambda: scalingplan.allocate(10 ** 400),
    lambda: scalingplan.allocate(-1e21),
    lambda: load_law("chinchilla-3").training_flops(-7e9, 1e12),
    lambda: load_law("chinchilla-3").training_flops(7e9, math.nan),
    lambda: load_law("muennighoff2023").data_floor(-5),
    lambda: load_law("kumar2024").training_flops(7e9, 1e12, (8, 8, -8)),
    lambda: load_law("krajewski2024").model_extras(-1, 1e12),
    lambda: load_law("krajewski2024").at_budget(0),
    lambda: load_law("chinchilla-3").allocate(None),
    lambda: load_law("kaplan2020").loss(None, 1e12),
    lambda: load_law("kumar2024").training_flops(7e9, None),
    lambda: scalingplan.allocate([1e21]),
    lambda: scalingplan.assess((7e9,), 1e12),
    lambda: scalingplan.load_laws(__import__("numpy").array([1.0, 2.0])),
])
def test_wrong_values_raise_input_error(call):
    with pytest.raises(InputError):
        call()


def test_a_path_object_names_a_law_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(LAW_FILE.format(name="mine", A=406.4))
    (plan,) = scalingplan.allocate(1e21, [path])
    assert plan.law == "mine"
    with pytest.raises(InputError, match="no such law file"):
        scalingplan.allocate(1e21, [tmp_path / "missing.yaml"])


@pytest.mark.parametrize("constants, what", [
    ("{E: 1.5, a: 141, b: 190, eta: 1e100, epsilon: 0.85, k: 2.08, gamma: 0.756}", "over-training"),
    ("{E: 1.69, A: 1e-100, B: 1e100, alpha: 0.34, beta: 0.28}", "parametric"),
])
def test_constants_beyond_double_precision_are_refused_at_load(tmp_path, constants, what):
    """eta 1e100 makes A = a·6^(−eta) zero (Gadre et al.'s eq. 4 restated); A 1e-100 with B 1e100 puts
    the optimum's G at 3.5e-323 (N 3.8e-313, D inf): both are refused, naming the file."""
    path = tmp_path / "extreme.yaml"
    path.write_text(f"name: extreme\nform: {what}\nconstants: {constants}\n")
    with pytest.raises(InputError, match="extreme.yaml:3: constants"):
        scalingplan.allocate(1e21, [str(path)])


def test_non_finite_answers_are_refused():
    """A law whose allocation overflows answers InputError, not (0, inf)."""
    from scalingplan.laws import ParametricLaw

    law = ParametricLaw("edge", {"E": 1.0, "A": 1e-90, "B": 1e90, "alpha": 0.34, "beta": 0.28})
    assert law.G == pytest.approx((0.34e-90 / 0.28e90) ** (1 / 0.62))  # 1e-290: still a normal double
    assert math.isfinite(law.allocate(1e21)[1])
    with pytest.raises(InputError, match="out of the range"):
        law.allocate(1e-90)  # N = G·(C/6)^0.45 underflows to 0, D = C/(6N) divides by zero
    import numpy as np

    with np.errstate(all="ignore"), pytest.raises(InputError, match="not a finite number"):
        law.allocate(np.array([1e21, 1e-90]))  # numpy gives D = inf instead of raising


# --- law caches keyed on content -------------------------------------------------------------------
def test_an_edit_in_place_of_the_same_size_is_seen(tmp_path):
    path = tmp_path / "law.yaml"
    path.write_text(LAW_FILE.format(name="edited", A=406.4))
    before = os.stat(path)
    assert load_law(str(path)).constants["A"] == 406.4
    with open(path, "r+") as handle:  # same size, and the old modification time put back
        handle.write(LAW_FILE.format(name="edited", A=506.4))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_size == before.st_size
    assert load_law(str(path)).constants["A"] == 506.4


def test_a_relative_path_follows_the_working_directory(tmp_path, monkeypatch):
    for folder, A in (("one", 406.4), ("two", 506.4)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "law.yaml").write_text(LAW_FILE.format(name="relative", A=A))
    monkeypatch.chdir(tmp_path / "one")
    assert load_law("./law.yaml").constants["A"] == 406.4
    monkeypatch.chdir(tmp_path / "two")
    assert load_law("./law.yaml").constants["A"] == 506.4


def test_a_retargeted_symlink_is_seen(tmp_path):
    for name, A in (("a.yaml", 406.4), ("b.yaml", 506.4)):
        (tmp_path / name).write_text(LAW_FILE.format(name="linked", A=A))
    link = tmp_path / "law.yaml"
    link.symlink_to(tmp_path / "a.yaml")
    assert load_law(str(link)).constants["A"] == 406.4
    link.unlink()
    link.symlink_to(tmp_path / "b.yaml")
    assert load_law(str(link)).constants["A"] == 506.4


def test_a_symlink_loop_is_an_input_error(tmp_path):
    (tmp_path / "x.yaml").symlink_to(tmp_path / "y.yaml")
    (tmp_path / "y.yaml").symlink_to(tmp_path / "x.yaml")
    with pytest.raises(InputError, match="x.yaml"):
        load_law(str(tmp_path / "x.yaml"))


@pytest.mark.parametrize("constants", [
    {"E": 1.69, "A": -406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28},
    {"E": 1.69, "A": 10 ** 400, "B": 410.7, "alpha": 0.34, "beta": 0.28},
    {"E": 1.69, "A": "406.4", "B": 410.7, "alpha": 0.34, "beta": 0.28},
    {"E": 1.69, "B": 410.7, "alpha": 0.34, "beta": 0.28},
    [1.69, 406.4, 410.7, 0.34, 0.28],
])
def test_a_law_built_in_python_with_bad_constants_is_an_input_error(constants):
    from scalingplan.laws import ParametricLaw

    with pytest.raises(InputError):
        ParametricLaw("mine", constants)
