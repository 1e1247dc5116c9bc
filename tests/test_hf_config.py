"""config.json in: each family's public config counted against its published totals
(tests/data/configs/README.md names every file's source and every total's source)."""

import json
from pathlib import Path

import pytest

from scalingplan.compute.hf_config import FAMILIES, architecture_from_config, load_architecture, read_config
from scalingplan.errors import InputError
from cli_assertions import assert_one_line_error

CONFIGS = Path(__file__).parent / "data" / "configs"


def counts(name):
    arch, _ = load_architecture(CONFIGS / f"{name}.json")
    return arch


def test_llama_3_8b_exactly():
    # The Hub's safetensors total of meta-llama/Meta-Llama-3-8B.
    assert counts("llama-3-8b").params_total == 8_030_261_248


def test_mixtral_8x7b_exactly():
    # Total and active counts of mistralai/Mixtral-8x7B-v0.1 (46.7B; 12.9B active, two of eight experts).
    arch = counts("mixtral-8x7b")
    assert arch.params_total == 46_702_792_704
    assert arch.params_active == 12_879_925_248


@pytest.mark.parametrize("name, total, non_embedding, tolerance", [
    ("mistral-7b", 7.24e9, None, 0.005),
    ("qwen2.5-0.5b", 0.49e9, 0.36e9, 0.02),        # Qwen2.5 report Table 1, two digits
    ("qwen2-7b-instruct", 7.62e9, None, 0.005),
    ("gemma-2-2b-it", None, 2_024_517_888, 0.0),   # Gemma 2 report Table 2, exact
    ("olmo-2-1124-7b", 7.30e9, None, 0.005),
    ("falcon-7b-instruct", 7e9, None, 0.02),       # "7B"
    ("pythia-1b", 1_011_781_632, 805_736_448, 0.0),  # Pythia paper Table 1, exact
    ("gpt2", 124e6, None, 0.005),
])
def test_dense_families_within_published_totals(name, total, non_embedding, tolerance):
    arch = counts(name)
    if total is not None:
        assert arch.params_total == pytest.approx(total, rel=tolerance, abs=0)
    if non_embedding is not None:
        assert arch.params_nonembedding == pytest.approx(non_embedding, rel=tolerance, abs=0)


@pytest.mark.parametrize("name, total, active", [
    ("deepseek-v2", 236e9, 21e9),   # arXiv:2405.04434 §1
    ("deepseek-v3", 671e9, 37e9),   # arXiv:2412.19437 §1, main model without the MTP module
])
def test_deepseek_within_published_totals(name, total, active):
    arch = counts(name)
    assert arch.params_total == pytest.approx(total, rel=0.005)
    assert arch.params_active == pytest.approx(active, rel=0.02)


def test_gpt2_by_hand():
    """GPT-2 small by hand: 12 layers of (QKV 768x2304 + 2304, proj 768^2 + 768, MLP 2x768x3072 + 3072 +
    768, two LayerNorms 4x768), tied 50,257 x 768 embedding, 1,024 x 768 positions, final LayerNorm."""
    layer = 768 * 2304 + 2304 + 768 * 768 + 768 + 2 * 768 * 3072 + 3072 + 768 + 4 * 768
    assert counts("gpt2").params_total == 12 * layer + 50257 * 768 + 1024 * 768 + 2 * 768


def test_every_family_has_a_sample_config():
    types = {json.loads(p.read_text())["model_type"] for p in CONFIGS.glob("*.json")}
    assert set(FAMILIES) <= types


def test_unknown_count_keys_refused_by_name():
    doc = read_config(CONFIGS / "llama-3-8b.json")
    with pytest.raises(InputError, match="num_experts_shared, qk_layernorm"):
        architecture_from_config(dict(doc, qk_layernorm=True, num_experts_shared=2))


def test_unknown_model_type_refused():
    with pytest.raises(InputError, match="model_type 'bert'"):
        architecture_from_config({"model_type": "bert", "hidden_size": 768})


def test_folder_and_bad_files(tmp_path):
    (tmp_path / "config.json").write_text((CONFIGS / "gpt2.json").read_text())
    assert load_architecture(tmp_path)[0].params_total == counts("gpt2").params_total
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="no JSON object"):
        read_config(tmp_path / "bad.json")
    with pytest.raises(InputError, match="cannot read"):
        read_config(tmp_path / "missing.json")


def test_flops_config_prints_the_exact_counts(cli):
    out = cli("flops", "--config", CONFIGS / "mixtral-8x7b.json").stdout
    assert "46,702,792,704 total" in out and "12,879,925,248 active" in out
    payload = json.loads(cli("flops", "--config", CONFIGS / "llama-3-8b.json", "--json").stdout)
    assert payload["parameters"]["total"] == 8_030_261_248


def test_flops_config_with_tokens_counts_compute(cli):
    payload = json.loads(cli("flops", "--config", CONFIGS / "llama-3-8b.json", "--tokens", "15e12", "--json").stdout)
    assert payload["flops"] == pytest.approx(6 * 8_030_261_248 * 15e12)


def test_config_refusal_is_one_line(main_cli, tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text(json.dumps({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
                               "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 10,
                               "mystery_width": 3}))
    assert_one_line_error(main_cli("flops", "--config", bad), "mystery_width")


def test_config_describes_the_model_in_every_command(cli):
    llama, mixtral = CONFIGS / "llama-3-8b.json", CONFIGS / "mixtral-8x7b.json"
    memory = json.loads(cli("memory", "--gpu", "h100", "--count", "8", "--config", llama, "--json").stdout)
    assert memory["model"]["params"] == 8_030_261_248
    assert memory["model"]["shape"]["layers"] == 32 and memory["model"]["shape"]["seq_len"] == 8192
    assessed = json.loads(cli("assess", "--config", mixtral, "--tokens", "8e12", "--json").stdout)["models"][0]
    assert assessed["params"] == 12_879_925_248 and assessed["tokens"] == 8e12  # by active parameters
    planned = json.loads(cli("allocate", "--config", llama, "--json").stdout)
    assert {row["params"] for row in planned["allocations"]} == {8_030_261_248}
    swept = json.loads(cli("sweep", "--from", "1e21", "--to", "1e21", "--budgets", "1", "--per-budget", "3",
                           "--config", llama, "--json").stdout)
    for run in swept["runs"]:  # the family's vocabulary and grouped-query heads
        assert run["kv_heads"] == 8 and run["head_dim"] == 128


def test_catalogue_model_in_allocate_and_assess(cli):
    assessed = json.loads(cli("assess", "--model", "gopher", "--json").stdout)["models"][0]
    assert assessed["params"] == 280e9 and assessed["tokens"] == 300e9  # Rae et al. 2021 Table 1
    planned = json.loads(cli("allocate", "--model", "gopher", "--json").stdout)
    assert {row["params"] for row in planned["allocations"]} == {280e9}


def test_one_model_description_at_a_time(main_cli):
    assert_one_line_error(main_cli("allocate", "--params", "7e9", "--model", "gopher"), "--params and --model")
    assert_one_line_error(main_cli("assess", "--config", CONFIGS / "gpt2.json"), "--tokens")


def test_throughput_takes_a_config(cli):
    """Mixtral's config.json predicts the same step as its shape given by flags."""
    common = ["--gpu", "h100", "--count", "64", "--tp", "8", "--pp", "1", "--json"]
    by_config = json.loads(cli("throughput", "--config", CONFIGS / "mixtral-8x7b.json", *common).stdout)
    by_flags = json.loads(cli("throughput", "--layers", "32", "--d-model", "4096", "--heads", "32", "--kv-heads", "8",
                              "--ffw-size", "14336", "--mlp", "swiglu", "--embeddings", "untied", "--norm", "rmsnorm",
                              "--experts", "8", "--active-experts", "2", "--vocab", "32000", "--seq-len", "32768",
                              *common).stdout)
    assert by_config["seq_len"] == 32768
    assert by_config["step_seconds"] == pytest.approx(by_flags["step_seconds"], rel=1e-12)


def test_keys_that_leave_the_count_alone_are_read_past():
    # DeepSeek-V3's released files carry an fp8 quantization_config; the logical count is unchanged.
    doc = read_config(CONFIGS / "deepseek-v3.json")
    fp8 = {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8", "weight_block_size": [128, 128]}
    assert architecture_from_config(dict(doc, quantization_config=fp8)).params_total == counts("deepseek-v3").params_total
