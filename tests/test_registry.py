"""The law registry: every file loads with its citation; user files; clear errors for bad files."""

import subprocess
import sys
import zipfile

import pytest

from scalingplan import InputError, available, load_law
from scalingplan.catalogues.registry import expand, law_document, main_laws

MINIMAL = "{name: my-law, form: parametric, constants: {E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28}}"


@pytest.mark.parametrize("name", available())
def test_every_registry_law_is_cited_and_documented(name):
    data = law_document(name).data
    citation = data["citation"]
    assert citation["authors"] and citation["year"] and citation["arxiv"] and citation["table"]
    assert data["notes"], "every law states its conventions"
    law = load_law(name)
    for key, entry in data["constants"].items():
        assert entry["unit"] is not None and entry["meaning"], key
        assert law.constants[key] == float(entry["value"])


def test_registry_contents():
    expected = {"kaplan2020", "chinchilla-1", "chinchilla-2", "chinchilla-3", "chinchilla-3-unrounded",
                "epoch2024", "llama3", "deepseek2024"}
    assert expected <= set(available())
    assert "chinchilla-3-unrounded" not in main_laws()


def test_aliases_and_families():
    assert load_law("kaplan").name == "kaplan2020"
    assert load_law("besiroglu2024").name == "epoch2024"
    assert load_law("KAPLAN").name == "kaplan2020"
    assert expand(["chinchilla"]) == ["chinchilla-1", "chinchilla-2", "chinchilla-3"]
    assert expand(["kaplan", "chinchilla", "chinchilla-3"]) == ["kaplan2020", "chinchilla-1", "chinchilla-2",
                                                               "chinchilla-3"]


def test_unknown_law_suggests_the_nearest():
    with pytest.raises(InputError, match="did you mean 'chinchilla-3'"):
        load_law("chinchila-3")


def test_minimal_user_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(MINIMAL)
    law = load_law(str(path))
    assert law.name == "my-law"
    assert law.allocate(5.76e23)[0] == pytest.approx(load_law("chinchilla-3").allocate(5.76e23)[0])


def test_yaml_1_1_number_strings_are_numbers(tmp_path):
    path = tmp_path / "powers.yml"
    path.write_text("name: p\nform: power-law\nquantity: tokens\nconstants: {G: 2e-1, a: 5e-1}\n")
    assert load_law(str(path)).allocate(1e20)[1] == pytest.approx(0.2 * 1e10)


@pytest.mark.parametrize("text, message", [
    ("name: x\nform: parametric\nconstants: {E: 1.69, A: 406.4, B: 410.7, alpha: 0.34}\n",
     r"bad\.yaml:3: constants: missing constant 'beta'"),
    ("name: x\nform: parametric\nconstants:\n  E: 1.69\n  A: lots\n  B: 410.7\n  alpha: 0.34\n  beta: 0.28\n",
     r"bad\.yaml:5: constants\.A: 'lots' is not a number"),
    ("name: x\nform: parametric\nconstants: {E: 1.69, A: [406.4, B: 410.7\n",
     r"bad\.yaml:\d+: YAML syntax error"),
    ("name: x\nform: paramteric\nconstants: {}\n", r"bad\.yaml:2: form: unknown form 'paramteric' \(did you mean 'parametric'\?\)"),
    ("name: x\nform: parametric\n", r"missing key 'constants'"),
    ("- just\n- a list\n", r"expected a YAML mapping"),
    ("name: x\nform: parametric\nconstants: {E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28, gamma: 1}\n",
     r"constants\.gamma: unknown constant"),
    ("name: x\nform: parametric\nconstants: {E: .nan, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28}\n",
     r"finite"),
])
def test_bad_law_files_name_file_line_and_key(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        load_law(str(path))
    assert "\n" not in str(info.value)


def test_missing_law_file(tmp_path):
    with pytest.raises(InputError, match="no such law file"):
        load_law(str(tmp_path / "absent.yaml"))


def test_wheel_ships_the_configs(tmp_path):
    """A plain (non-editable) install must find the law files: they are bundled in the wheel."""
    pytest.importorskip("hatchling")
    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(root)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("scalingplan-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for law in available():
        assert f"scalingplan/configs/laws/{law}.yaml" in names
    assert "scalingplan/configs/models.yaml" in names


@pytest.mark.parametrize("form, constants, where", [
    ("parametric", "{E: 1.69, A: -406.4, B: 410.7, alpha: 0.34, beta: 0.28}", "constants.A: must be positive"),
    ("parametric", "{E: 1.69, A: 406.4, B: 410.7, alpha: 0, beta: 0.28}", "constants.alpha: must be positive"),
    ("parametric", "{E: -1, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28}", "constants.E: must be at least 0"),
    ("power-law", "{G: 0.1, a: 1.2}", "constants.a: must be between 0 and 1"),
])
def test_impossible_constants_are_refused_at_load(cli, tmp_path, form, constants, where):
    from cli_assertions import assert_one_line_error

    path = tmp_path / "law.yaml"
    path.write_text(f"name: bad\nform: {form}\nconstants: {constants}\n")
    assert_one_line_error(cli("allocate", "--flops", "1e21", "--law", str(path)), f"{path}:3: {where}")
