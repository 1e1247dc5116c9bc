"""The model catalogue (configs/models.yaml): every modern model's parameter count recomputed from its
shape and compared with the count its developers published."""

import json

import pytest

from scalingplan.catalogues.models import load_models
from scalingplan.compute.counting import NORM_WEIGHTS, make_architecture

# name -> (published total, published active or None, relative tolerance, source of the published count).
# 0.5% unless the source prints fewer digits than that (then half a unit of the last printed digit).
PUBLISHED = {
    "llama-3-8b": (8_030_261_248, None, 0.005,
                   "Hugging Face model API safetensors total of meta-llama/Llama-3.1-8B (same shape as Llama 3 8B)"),
    "llama-3-70b": (70_553_706_496, None, 0.005,
                    "Hugging Face model API safetensors total of meta-llama/Llama-3.1-70B (same shape as Llama 3 70B); "
                    "the Llama 3 70B model card: 70.6B"),
    "llama-3.1-405b": (405e9, None, 0.005, "Llama Team 2024 (arXiv:2407.21783) §1 and Table 3: 405B"),
    "mistral-7b": (7.24e9, None, 0.005, "huggingface.co/mistralai/Mistral-7B-v0.1: 7.24B parameters"),
    "mixtral-8x7b": (46.7e9, 12.9e9, 0.005, "Mistral AI, 'Mixtral of experts' (2023): 46.7B total, 12.9B per token"),
    "mixtral-8x22b": (141e9, 39e9, 0.005, "Mistral AI, 'Cheaper, Better, Faster, Stronger' (2024): 141B, 39B active"),
    "qwen2.5-7b": (7.61e9, None, 0.005, "Qwen2.5-7B model card / Qwen Team 2024 (arXiv:2412.15115): 7.61B"),
    "qwen2.5-72b": (72.7e9, None, 0.005, "Qwen2.5-72B model card / Qwen Team 2024 (arXiv:2412.15115): 72.7B"),
    "gemma-2-9b": (917_504_000 + 8_324_201_984, None, 0.005, "Gemma Team 2024 (arXiv:2408.00118), Table 1"),
    "gemma-2-27b": (1_179_648_000 + 26_047_480_320, None, 0.005, "Gemma Team 2024 (arXiv:2408.00118), Table 1"),
    "olmo-2-7b": (7_298_617_344, None, 0.005, "Hugging Face model API safetensors total of allenai/OLMo-2-1124-7B"),
    "olmo-2-13b": (13_716_198_400, None, 0.005, "Hugging Face model API safetensors total of allenai/OLMo-2-1124-13B"),
    # DeepSeek-AI 2024 (arXiv:2401.02954) Table 2 prints only "7B" and "67B": the shapes give 6.91B and
    # 67.43B, 1.3% and 0.6% from the printed figures and within half a unit of their last digit.
    "deepseek-llm-7b": (7e9, None, 0.5 / 7, "DeepSeek-AI 2024 (arXiv:2401.02954), Table 2: 7B"),
    "deepseek-llm-67b": (67e9, None, 0.5 / 67, "DeepSeek-AI 2024 (arXiv:2401.02954), Table 2: 67B"),
    "deepseek-v3": (671e9, None, 0.005, "DeepSeek-AI 2024 (arXiv:2412.19437), abstract: 671B total, 37B activated"),
    "falcon-180b": (179_522_565_120, None, 0.005,
                    "Hugging Face model API safetensors total of tiiuae/falcon-180B; Almazrouei et al. 2023: 180B"),
}


def arch_of(name):
    return make_architecture(**load_models()[name]["architecture"])


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameters_from_shape_match_the_published_count(name):
    total, active, tolerance, source = PUBLISHED[name]
    arch = arch_of(name)
    assert arch.params_total == pytest.approx(total, rel=tolerance), source
    if active is not None:
        assert arch.params_active == pytest.approx(active, rel=0.005), source
    elif not arch.is_moe:
        assert arch.params_active == arch.params_total


def test_deepseek_v3_activated_parameters():
    # DeepSeek-AI 2024 (arXiv:2412.19437), abstract: "37B activated for each token", two digits. Counted:
    # 37.55B with both vocab x d_model matrices, 36.63B without the input embedding (a lookup, no
    # FLOPs); the published figure lies between the two readings.
    arch = arch_of("deepseek-v3")
    assert arch.params_active - arch.vocab * arch.d_model < 37e9 < arch.params_active
    assert arch.params_active == pytest.approx(37e9, rel=0.015)


@pytest.mark.parametrize("name, embedding, non_embedding", [
    ("gemma-2-9b", 917_504_000, 8_324_201_984),      # Gemma Team 2024, Table 1
    ("gemma-2-27b", 1_179_648_000, 26_047_480_320),  # Gemma Team 2024, Table 1
])
def test_gemma_2_table_1_exactly(name, embedding, non_embedding):
    # Tied embeddings (one 256000 x d_model matrix), head_dim 256 on the 9B (16 x 256 = 4096 > 3584),
    # four RMSNorms per layer: the counts are exact.
    arch = arch_of(name)
    assert arch.params_embedding == embedding and arch.params_nonembedding == non_embedding


@pytest.mark.parametrize("name, total", [
    ("llama-3-8b", 8_030_261_248), ("llama-3-70b", 70_553_706_496), ("llama-3.1-405b", 405_853_388_800),
    ("olmo-2-7b", 7_298_617_344), ("olmo-2-13b", 13_716_198_400), ("falcon-180b", 179_522_565_120),
])
def test_released_checkpoints_exactly(name, total):
    # Hugging Face model API, field safetensors.total, of the released checkpoints (Llama 3.1 8B/70B
    # have the Llama 3 shapes). Exact: norms are RMSNorm gains (LayerNorm gain + bias for Falcon).
    assert arch_of(name).params_total == total


@pytest.mark.parametrize("name, non_embedding", [("qwen2.5-7b", 6.53e9), ("qwen2.5-72b", 70.0e9)])
def test_qwen_non_embedding(name, non_embedding):
    # Qwen2.5 model cards: non-embedding 6.53B and 70.0B; both vocab x d_model matrices are embedding.
    assert arch_of(name).params_nonembedding == pytest.approx(non_embedding, rel=0.005)


def tensors(a) -> dict:
    """Every weight tensor of the model, named as in its released checkpoint, with its size."""
    d, h, kv, hd, v = a.d_model, a.heads, a.n_kv_heads, a.kv_size, a.v_dim
    norm = NORM_WEIGHTS[a.norm]
    mats = 2 if a.mlp == "gelu" else 3
    out = {"embed_tokens": a.vocab * d, "norm": norm * d}
    if a.embeddings == "untied":
        out["lm_head"] = a.vocab * d
    for i in range(a.layers):
        p = f"layers.{i}."
        if a.kv_lora_rank:
            qk = hd + a.rope_head_dim
            if a.q_lora_rank:
                out[p + "q_a_proj"] = d * a.q_lora_rank
                out[p + "q_a_layernorm"] = norm * a.q_lora_rank
                out[p + "q_b_proj"] = a.q_lora_rank * h * qk
            else:
                out[p + "q_proj"] = d * h * qk
            out[p + "kv_a_proj_with_mqa"] = d * (a.kv_lora_rank + a.rope_head_dim)
            out[p + "kv_a_layernorm"] = norm * a.kv_lora_rank
            out[p + "kv_b_proj"] = a.kv_lora_rank * h * (hd + v)
        else:
            for proj, width in (("q_proj", h * hd), ("k_proj", kv * hd), ("v_proj", kv * v)):
                out[p + proj] = d * width + (width if a.qkv_bias else 0)
            if a.qk_norm:
                out[p + "q_norm"] = norm * h * hd
                out[p + "k_norm"] = norm * kv * hd
        out[p + "o_proj"] = h * v * d
        for j in range(a.norms_per_layer):
            out[p + f"norm.{j}"] = norm * d
        if a.experts and i >= a.dense_layers:
            width = a.expert_ffw_size or a.ffw_size
            out[p + "router"] = d * a.experts + (a.experts if a.router_bias else 0)
            for e in range(a.experts):
                out[p + f"experts.{e}"] = mats * d * width
            for e in range(a.shared_experts):
                out[p + f"shared_experts.{e}"] = mats * d * width
        else:
            out[p + "mlp"] = mats * d * a.ffw_size
    return out


@pytest.mark.parametrize("name", sorted(n for n, m in load_models().items() if m.get("architecture")))
def test_counts_match_a_tensor_by_tensor_listing(name):
    arch = arch_of(name)
    listed = tensors(arch)
    assert arch.params_total == sum(listed.values())
    lm = {"embed_tokens", "lm_head"}
    assert arch.params_embedding == sum(v for k, v in listed.items() if k in lm)


def test_deepseek_v3_latent_attention_and_experts():
    # config.json of deepseek-ai/DeepSeek-V3: per layer MLA = q_a 7168x1536, q_b 1536x(128x192),
    # kv_a 7168x(512+64), kv_b 512x(128x256), o 16384x7168, plus the two latent RMSNorms (1536 + 512):
    # 187,107,328 weights, against 587,202,560 for full multi-head attention with the same
    # 128 heads (Q and K 192 wide, V 128).
    arch = arch_of("deepseek-v3")
    qkv, out = arch.attention_projections()
    assert qkv + out + arch.attention_extras() == 187_107_328
    mha = 7168 * 128 * (192 + 192 + 128) + 128 * 128 * 7168
    assert mha == 587_202_560
    # 58 MoE layers of 256 routed + 1 shared SwiGLU experts (3 x 7168 x 2048 each) and a router with a
    # bias per expert; 3 dense layers of width 18432.
    expert = 3 * 7168 * 2048
    assert arch.ffw_weights(active=False) == 3 * 3 * 7168 * 18432 + 58 * 257 * expert
    assert arch.ffw_weights(active=True) == 3 * 3 * 7168 * 18432 + 58 * 9 * expert
    assert arch.moe_layers * (arch.router_weights + arch.experts) == 58 * (256 * 7168 + 256)


def test_every_model_cites_its_shape_and_tokens():
    for name, model in load_models().items():
        assert model.get("source"), name
        if model.get("architecture"):
            assert model.get("shape_source"), name
        assert model["tokens"] is not None or model.get("tokens_note"), name
        assert name == name.lower() and " " not in name and "_" not in name


def test_catalogue_params_agree_with_the_shapes():
    for name in PUBLISHED:
        model, arch = load_models()[name], arch_of(name)
        tolerance = PUBLISHED[name][2]
        assert arch.params_total == pytest.approx(model["params"], rel=max(tolerance, 0.005)), name
        if model.get("active_params") and PUBLISHED[name][1]:
            assert arch.params_active == pytest.approx(model["active_params"], rel=0.005), name


def test_assess_every_model_with_tokens(cli):
    names = [n for n, m in load_models().items() if m["tokens"] is not None]
    result = cli("assess", *names, "--json")
    assert result.exit_code == 0, result.output
    assessed = {m["name"]: m for m in json.loads(result.stdout)["models"]}
    assert len(assessed) == len(names)
    v3 = next(m for label, m in assessed.items() if label.startswith("DeepSeek-V3"))
    assert v3["params"] == 37e9 and "671B total" in v3["name"]  # by active parameters, total shown
    assert v3["flops"] == pytest.approx(6 * 37e9 * 14.8e12, rel=1e-12)


def test_models_without_published_tokens_say_so(cli):
    result = cli("assess", "mixtral-8x7b")
    assert result.exit_code == 2 and "training tokens unknown" in result.stderr
    out = json.loads(cli("flops", "--model", "mixtral-8x7b", "--tokens", "1e12", "--json").stdout)
    assert out["params"] == 12.9e9  # 6ND by active parameters
    assert out["parameters"]["total"] == pytest.approx(46.7e9, rel=0.005)


def write_plan(tmp_path, model: str):
    path = tmp_path / "plan.yaml"
    path.write_text(f"budget: {{flops: 1e25}}\nmodel: {model}\nlaw: chinchilla-1\nlimits: {{max_budget_use: 1.0}}\n")
    return path


def test_plan_files_take_modern_shapes(tmp_path):
    from scalingplan.checks.plans import load_plan

    shape = ("{layers: 32, d_model: 4096, heads: 32, kv_heads: 8, head_dim: 128, ffw_size: 14336, vocab: 32000, "
             "seq_len: 4096, mlp: swiglu, embeddings: untied, norm: rmsnorm, experts: 8, active_experts: 2}")
    plan = load_plan(write_plan(tmp_path, f"{{architecture: {shape}, tokens: 1e12, flops_method: 6nd}}"))
    # Mixtral 8x7B's shape: 6ND uses the 12.9B active parameters.
    assert plan.params == pytest.approx(12.9e9, rel=0.005)
    assert plan.flops == pytest.approx(6 * plan.params * 1e12, rel=1e-12)
    named = load_plan(write_plan(tmp_path, "{name: deepseek-v3}"))
    assert named.params == 37e9 and named.tokens == 14.8e12


@pytest.mark.parametrize("model, fragments", [
    ("{architecture: {layers: 2, d_model: 64, heads: 4, kv_heads: 3, vocab: 100, seq_len: 64}, tokens: 1e9}",
     ["model.architecture", "kv_heads", "3 must divide heads 4"]),
    ("{architecture: {layers: 2, d_model: 64, heads: 4, mlp: relu, vocab: 100, seq_len: 64}, tokens: 1e9}",
     ["model.architecture", "mlp"]),
    ("{name: mistral-7b}", ["model.name", "training tokens unknown"]),
])
def test_plan_file_shape_errors(tmp_path, model, fragments):
    from scalingplan.checks.plans import load_plan
    from scalingplan.errors import InputError

    with pytest.raises(InputError) as info:
        load_plan(write_plan(tmp_path, model))
    assert "\n" not in str(info.value)
    for fragment in fragments:
        assert fragment in str(info.value)
