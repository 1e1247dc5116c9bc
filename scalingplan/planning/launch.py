"""A plan that launches as printed: a global batch of whole micro-batches on every data-parallel rank,
a fixed model size on a cluster for a deadline, and the plan written as a training framework's
launch arguments.

- Batch: the global batch (sequences) is rounded to the nearest multiple of dp x micro-batch (at least
  one), so every data-parallel rank runs the same whole number of micro-batches; that number is the
  gradient-accumulation steps (pipeline micro-batches when pp > 1). Steps = ceil(tokens / batch); a
  predicted step time scales with the batch, so the days stay those of the tokens.
- Fixed size (the planner's fixed-size path): a cluster of ``count`` chips for a time T spends
  C = count x peak x MFU x T model FLOPs; a model of N parameters then trains on D = C / (6N) tokens
  (C = 6ND, Kaplan et al. 2020 §2.1), and each law gives its loss L(N, D).
- Emitters: Megatron-LM flags (megatron/training/arguments.py) and a torchtitan TOML job file
  (torchtitan/config/job_config.py, with the shape as a llama3 flavor's TransformerModelArgs). The
  names used are checked in the tests against the frameworks' own definitions.
"""

from __future__ import annotations

import math

from scalingplan.errors import InputError

EMIT = ("megatron", "torchtitan")


def whole_micro_batches(batch_sequences: float, dp: int, micro_batch: int) -> dict:
    """The global batch rounded to dp x micro_batch sequences per step: {batch_sequences,
    accumulation_steps, batch_rounded_from}."""
    per_pass = int(dp) * int(micro_batch)
    accumulation = max(1, round(float(batch_sequences) / per_pass))
    return {"batch_sequences": float(accumulation * per_pass), "accumulation_steps": accumulation,
            "batch_rounded_from": float(batch_sequences)}


def launchable(row: dict, seq_len: int) -> None:
    """On a row planned on a cluster with a layout: round its batch to whole micro-batches on every
    data-parallel rank and recompute batch_tokens and steps (in place)."""
    layout = (row.get("memory") or {}).get("layout")
    if not layout:
        return
    row.update(whole_micro_batches(row["batch_sequences"], layout["dp"], layout.get("micro_batch", 1)))
    row["batch_tokens"] = row["batch_sequences"] * seq_len
    row["steps"] = float(math.ceil(float(row["tokens"]) / row["batch_tokens"]))
    predicted = row.get("throughput")
    if predicted:  # a step of the rounded batch does that much more (or less) of the same work
        ratio = row["batch_sequences"] / row["batch_rounded_from"]
        row["throughput"] = dict(predicted, step_seconds=predicted["step_seconds"] * ratio,
                                 breakdown={k: v * ratio for k, v in (predicted.get("breakdown") or {}).items()})


# --- launch arguments -------------------------------------------------------------------------------
def launch_values(row: dict, shape: dict, seq_len: int, vocab: int) -> dict:
    """What a launcher needs from a planned row and its proposed shape: shape, layout, batch,
    micro-batch, learning rate, steps."""
    layout = (row.get("memory") or {}).get("layout") or {"dp": 1, "tp": 1, "pp": 1, "micro_batch": 1}
    micro = int(layout.get("micro_batch", 1))
    batch = int(row["batch_sequences"])
    return {"layers": shape["layers"], "d_model": shape["d_model"], "heads": shape["heads"],
            "kv_heads": shape["kv_heads"], "head_dim": shape["head_dim"], "ffw_size": shape["ffw_size"],
            "vocab": vocab, "seq_len": seq_len, "tp": int(layout["tp"]), "pp": int(layout["pp"]),
            "dp": int(layout["dp"]), "micro_batch": micro, "global_batch": batch,
            "learning_rate": float(row["learning_rate"]), "steps": int(row["steps"]),
            "warmup": min(2000, max(1, int(row["steps"]) // 100))}


def megatron_flags(v: dict) -> list:
    """Megatron-LM pretrain_gpt.py flags for the plan (a Llama-style model: SwiGLU, RMSNorm, RoPE,
    untied embeddings, no linear biases, bf16)."""
    flags = [("--num-layers", v["layers"]), ("--hidden-size", v["d_model"]), ("--ffn-hidden-size", v["ffw_size"]),
             ("--num-attention-heads", v["heads"]), ("--kv-channels", v["head_dim"])]
    if v["kv_heads"] != v["heads"]:
        flags += [("--group-query-attention", None), ("--num-query-groups", v["kv_heads"])]
    flags += [("--seq-length", v["seq_len"]), ("--max-position-embeddings", v["seq_len"]),
              ("--swiglu", None), ("--normalization", "RMSNorm"), ("--position-embedding-type", "rope"),
              ("--untie-embeddings-and-output-weights", None), ("--disable-bias-linear", None), ("--bf16", None),
              ("--tensor-model-parallel-size", v["tp"]), ("--pipeline-model-parallel-size", v["pp"])]
    if v["tp"] > 1:
        flags.append(("--sequence-parallel", None))
    flags += [("--use-distributed-optimizer", None), ("--micro-batch-size", v["micro_batch"]),
              ("--global-batch-size", v["global_batch"]), ("--lr", f"{v['learning_rate']:.3g}"),
              ("--min-lr", f"{v['learning_rate'] / 10:.3g}"), ("--lr-decay-style", "cosine"),
              ("--lr-warmup-iters", v["warmup"]), ("--train-iters", v["steps"])]
    return [name if value is None else f"{name} {value}" for name, value in flags]


def torchtitan_toml(v: dict) -> str:
    """A torchtitan TOML job file for the plan; the shape as the llama3 TransformerModelArgs of a
    flavor to register (torchtitan takes the shape from a named flavor, not from the job file)."""
    lines = [
        "# Shape: register a llama3 flavor with these TransformerModelArgs and name it below.",
        f"# model_args.dim = {v['d_model']}", f"# model_args.n_layers = {v['layers']}",
        f"# model_args.n_heads = {v['heads']}", f"# model_args.n_kv_heads = {v['kv_heads']}",
        f"# model_args.vocab_size = {v['vocab']}", "# model_args.multiple_of = 256",
        f"# model_args.max_seq_len = {v['seq_len']}",
        "",
        "[model]", 'name = "llama3"', f'flavor = "scalingplan-{v["layers"]}x{v["d_model"]}"',
        "", "[optimizer]", 'name = "AdamW"', f"lr = {v['learning_rate']:.3g}",
        "", "[lr_scheduler]", f"warmup_steps = {v['warmup']}", 'decay_type = "cosine"', "min_lr_factor = 0.1",
        "", "[training]", f"local_batch_size = {v['micro_batch']}", f"global_batch_size = {v['global_batch']}",
        f"seq_len = {v['seq_len']}", f"steps = {v['steps']}", 'dtype = "bfloat16"',
        "", "[parallelism]", f"data_parallel_shard_degree = {v['dp']}", f"tensor_parallel_degree = {v['tp']}",
        f"pipeline_parallel_degree = {v['pp']}",
    ]
    if v["pp"] > 1:
        lines.append(f"pipeline_parallel_microbatch_size = {v['micro_batch']}")
    lines += ["", "[activation_checkpoint]", 'mode = "selective"']
    return "\n".join(lines)


def emit_plan(framework: str, row: dict, seq_len: int) -> str:
    """The plan of one allocation row as ``framework``'s launch arguments; the shape is the best
    proposal of ``compute.shapes.propose`` for its parameters (its default conventions)."""
    from scalingplan.compute.shapes import propose

    if framework not in EMIT:
        raise InputError(f"unknown framework '{framework}' (choose from {', '.join(EMIT)})", "emit")
    if "learning_rate" not in row:
        raise InputError("needs a training recipe: give a budget, --params or --loss", "emit")
    found = propose(float(row["params"]), top=1) or propose(float(row["params"]), top=1, tolerance=0.1)
    if not found:
        raise InputError(f"no shape within 10% of {float(row['params']):.3g} parameters to launch", "emit")
    values = launch_values(row, found[0], seq_len, 32000)
    if framework == "megatron":
        return " \\\n  ".join(["torchrun pretrain_gpt.py"] + megatron_flags(values))
    return torchtitan_toml(values)
