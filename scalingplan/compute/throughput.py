"""Step time of one training step from first principles, and the fastest layout that fits.

Pure functions over plain numbers (no I/O, no numpy). A step of a layout (tensor tp, pipeline pp,
data dp, context cp, expert ep parallelism; ZeRO stage; recomputation; micro-batch b; interleave v)
is the time of the slowest pipeline stage:

    step = m × t_mb + bubble + exposed communication + optimizer,   m = global batch ÷ (dp × b)

- **compute**: every GEMM of forward (2 FLOPs per weight per token), backward (twice the forward)
  and recomputation (``full``: one more forward; ``selective``: the attention core again, which
  FlashAttention does anyway, Korthikanti et al. 2022 §4.2). GEMMs run at the chip's sustained fraction
  of peak, lowered for a small matrix by the factor d / (d + ``GEMM_HALF_DIM``) of its smallest side d
  (narrow tensor-parallel shards, few tokens per expert); ``Wires.gemm_efficiency`` is the chip's. FlashAttention (Dao 2022; Dao 2023) skips
  the masked half of causal attention, recomputes the scores in its backward (2.5 forward's FLOPs)
  and runs at ``ATTENTION_EFFICIENCY``; eager attention (``attention="eager"``) runs the score GEMMs
  with head_dim-wide inner products and moves the s² scores through HBM.
- **memory-bound work** (norms, residual adds, dropout, activation functions, the cross-entropy,
  Adam's update; under ZeRO-3 each micro-batch's gradient cast and division before its
  reduce-scatter) moves bytes through HBM at ``HBM_EFFICIENCY`` of its bandwidth.
- **communication**, time α + bytes ÷ (bandwidth × ``LINK_EFFICIENCY``) per ring step, over NVLink
  inside a node and over the network between nodes: tensor parallelism's two all-reduces per layer
  and pass (reduce-scatter + all-gather with sequence parallelism), exposed in the forward pass and
  hidden behind the weight-gradient GEMMs in the backward pass (Megatron-LM overlaps them,
  Korthikanti et al. 2022 §6.2); pipeline sends of one micro-batch's activations (÷ tp: the
  scatter/gather of Narayanan et al. 2021 §4.1); data-parallel gradient reduction (all-reduce, or
  reduce-scatter + all-gather under ZeRO-1/2) after the last micro-batch, overlapped with its
  backward pass when ``overlap_grad_reduce`` (PyTorch DDP and FSDP, Megatron-Core's
  --overlap-grad-reduce; Megatron-LM 2021–22 did not, Korthikanti et al. 2022 §6.3); ZeRO-3 gathers the
  weights for every micro-batch's forward and backward pass and reduce-scatters its gradients,
  prefetched behind compute; context parallelism passes K and V around a ring behind the attention
  compute (Liu et al. 2023, ring attention); expert parallelism's all-to-all dispatch and combine.
- **bubble**: (pp − 1) ÷ v micro-batch times (1F1B, and interleaved with v chunks per GPU;
  Narayanan et al. 2021 §2.2).

Utilisation as PaLM App. B defines it: model FLOPs 6N + 6·L·s·H·(d_qk + d_v) per token (N the
weights a token multiplies, the output projection included; attention without a causal discount),
MFU = model FLOPs ÷ (step × GPUs × peak); HFU counts recomputation too (as the Megatron papers do).
"""

from __future__ import annotations

from dataclasses import dataclass

from scalingplan.errors import InputError

# --- calibrated constants: one value for every configuration ----------------------------------------
# The fraction of peak large GEMMs sustain is the chip's (configs/hardware.yaml gemm_efficiency).
#: Smallest GEMM side at which the efficiency halves: tiles of 128 × 128 (or 256 × 128) leave the
#: tensor cores idle on a narrow matrix (wave and tile quantisation, same guide §4-5).
GEMM_HALF_DIM = 48.0
#: FlashAttention's speed relative to the chip's large GEMMs: FlashAttention-2 reaches 50-73% of the
#: A100's peak forward and less backward (Dao 2023, arXiv:2307.08691, §4.1).
ATTENTION_EFFICIENCY = 0.55
#: Fraction of the HBM bandwidth elementwise kernels stream (STREAM-like copies reach 80-90%).
HBM_EFFICIENCY = 0.80
#: NCCL bus bandwidth ÷ the link's nominal one-way bandwidth: about 230 of 300 GB/s for an all-reduce
#: in an A100 node, about 21 of 25 GB/s per HDR NIC (NVIDIA nccl-tests results).
LINK_EFFICIENCY = 0.80
#: Share of a communication hidden behind compute that still costs time: NCCL kernels take SMs and
#: HBM bandwidth from the compute they overlap. Fitted once (docs/throughput.md).
OVERLAP_COST = 0.15
#: Latency per ring step: NVLink about 5 µs, the network about 10 µs (NCCL's LL128/Simple protocols).
NVLINK_LATENCY, NETWORK_LATENCY = 5e-6, 1e-5

#: Bytes per element of activations and weights in 16-bit training.
ACTIVATION_BYTES = 2
#: Elements of the residual stream moved per token per layer in the forward pass: two norms (read,
#: write: 4h), two bias-dropout-residual adds (read 2h, write h, a half-size mask: 7h).
RESIDUAL_PASSES = 11.0
#: Score elements moved per element by eager attention's forward: scale-mask-softmax (read, write)
#: and dropout (read, write, mask).
EAGER_SCORE_PASSES = 4.5
#: Bytes Adam moves per parameter: reads fp32 master, m, v and the gradient, writes master, m, v and
#: the 16-bit weights (Rajbhandari et al. 2019, §3.1 states).
ADAM_BYTES = 26.0
#: FlashAttention's backward does 2.5 × its forward FLOPs (five GEMMs to two; Dao 2022, App. B).
FLASH_BACKWARD = 2.5
#: Share of the causal score matrix FlashAttention computes (the masked half is skipped).
CAUSAL_FRACTION = 0.5

PRECISIONS = ("bf16", "fp16", "fp8")
ATTENTIONS = ("flash", "eager")
RECOMPUTE = ("none", "selective", "full")


@dataclass(frozen=True)
class Wires:
    """What the step time needs of a cluster: per-GPU peak, HBM, links, node size, memory."""

    name: str
    peak_flops: float
    gemm_efficiency: float
    hbm_bandwidth: float
    link_bandwidth: float
    gpus_per_node: int
    network_bandwidth: float
    memory_bytes: float


@dataclass(frozen=True)
class Layout:
    """How tp × pp × dp × cp GPUs split a run (ep splits the experts inside dp × cp)."""

    tp: int = 1
    pp: int = 1
    dp: int = 1
    cp: int = 1
    ep: int = 1
    zero: int = 0
    recompute: str = "none"
    sequence_parallel: bool = True
    interleave: int = 1
    micro_batch: int = 1

    @property
    def gpus(self) -> int:
        return self.tp * self.pp * self.dp * self.cp

    def as_dict(self) -> dict:
        return {"tp": self.tp, "pp": self.pp, "dp": self.dp, "cp": self.cp, "ep": self.ep, "zero": self.zero,
                "recompute": self.recompute, "micro_batch": self.micro_batch, "interleave": self.interleave,
                "sequence_parallel": bool(self.sequence_parallel and self.tp > 1)}


def gemm_efficiency(smallest_side: float, sustained: float = 1.0) -> float:
    """Fraction of peak a GEMM whose smallest side is ``smallest_side`` runs at, on a chip whose large
    GEMMs sustain ``sustained`` of its peak."""
    return sustained * smallest_side / (smallest_side + GEMM_HALF_DIM)


def _gemm(m: float, n: float, k: float, wires) -> float:
    """Seconds of one m × k by k × n GEMM."""
    return 2.0 * m * n * k / (wires.peak_flops * gemm_efficiency(min(m, n, k), wires.gemm_efficiency))


def _ring(bytes_: float, ranks: int, bandwidth: float, latency: float, passes: float = 1.0) -> float:
    """Seconds of ``passes`` reduce-scatters or all-gathers of a ``bytes_`` buffer over a ring of
    ``ranks`` (an all-reduce is two passes): (r − 1) steps of bytes ÷ r each."""
    if ranks <= 1:
        return 0.0
    return passes * ((ranks - 1) / ranks * bytes_ / (bandwidth * LINK_EFFICIENCY) + (ranks - 1) * latency)


def _hidden(comm: float, window: float) -> float:
    """Seconds a communication of ``comm`` seconds costs when overlapped with ``window`` seconds of compute."""
    return max(0.0, comm - window) + OVERLAP_COST * min(comm, window)


def _link(wires: Wires, span: int) -> tuple:
    """(bandwidth, latency) of a group whose members lie within ``span`` consecutive GPUs."""
    if span <= wires.gpus_per_node:
        return wires.link_bandwidth, NVLINK_LATENCY
    return wires.network_bandwidth, NETWORK_LATENCY


def zero3_gradient_bytes(grad_bytes: float) -> float:
    """HBM bytes per weight that ZeRO-3 moves each micro-batch before reduce-scattering the unsharded
    gradient: a cast of the 16-bit gradient to the reduction precision (read 2, write ``grad_bytes``)
    when they differ, and the division by the data-parallel size (read and write). PyTorch FSDP's
    post-backward hook does both on every micro-batch (torch.distributed.fsdp, ``_reduce_grad``:
    ``reduce_dtype`` cast, ``gradient_predivide_factor``); DeepSpeed ZeRO-3 likewise averages
    each micro-batch's partitioned gradients."""
    cast = 2.0 + grad_bytes if grad_bytes != ACTIVATION_BYTES else 0.0
    return cast + 2.0 * grad_bytes


def model_flops_per_token(arch) -> float:
    """PaLM App. B: 6 × (weights a token multiplies, the output projection included) + 6·L·s·H·(d_qk + d_v)."""
    weights = arch.matrix_params(active=True) + float(arch.vocab) * arch.d_model
    return 6.0 * weights + 6.0 * arch.layers * arch.seq_len * arch.heads * (arch.qk_dim + arch.v_dim)


def recompute_flops_per_token(arch, recompute: str, attention: str = "flash") -> float:
    """FLOPs recomputation adds per token: a forward of every layer (full), the attention core under
    eager attention (selective), nothing otherwise."""
    core = 2.0 * arch.layers * arch.seq_len * arch.heads * (arch.qk_dim + arch.v_dim)
    if recompute == "full":
        return 2.0 * arch.matrix_params(active=True) + core
    return core if recompute == "selective" and attention == "eager" else 0.0


def micro_batches(global_batch: float, layout: Layout) -> int:
    """Micro-batches per pipeline per step."""
    return int(global_batch // (layout.dp * layout.micro_batch))


def _layer_parts(arch, wires: Wires, layout: Layout, attention: str, moe: bool) -> dict:
    """Seconds of one layer for one micro-batch on one GPU: gemm, attention, memory (forward each),
    tp (forward collectives), cp and ep communication (forward)."""
    t, c = layout.tp, layout.cp
    s, h = arch.seq_len, arch.d_model
    tokens = layout.micro_batch * s / c
    sp = layout.sequence_parallel and t > 1
    qkv, out = arch.attention_projections()
    gemm = _gemm(tokens, qkv / h / t, h, wires) + _gemm(tokens, h, out / h / t, wires)
    matrices = arch.mlp_weights(1) // h  # d_model × width matrices per MLP
    if moe:
        width = arch.expert_ffw_size or arch.ffw_size
        per_expert = tokens * arch.active_experts * layout.ep / arch.experts
        routed = arch.experts / layout.ep  # experts this GPU holds
        gemm += routed * ((matrices - 1) * _gemm(per_expert, width / t, h, wires) + _gemm(per_expert, h, width / t, wires))
        if arch.shared_experts:
            gemm += arch.shared_experts * ((matrices - 1) * _gemm(tokens, width / t, h, wires)
                                           + _gemm(tokens, h, width / t, wires))
        ffw_elements = (arch.active_experts + arch.shared_experts) * width
    else:
        gemm += (matrices - 1) * _gemm(tokens, arch.ffw_size / t, h, wires) + _gemm(tokens, h, arch.ffw_size / t, wires)
        ffw_elements = arch.ffw_size
    heads = arch.heads / t
    core = 2.0 * tokens * s * heads * (arch.qk_dim + arch.v_dim)  # QKᵀ and AV, unmasked
    elements = RESIDUAL_PASSES * tokens * h / (t if sp else 1) + (matrices * tokens * ffw_elements / t)
    stream = wires.hbm_bandwidth * HBM_EFFICIENCY
    if attention == "flash":
        attn = core * CAUSAL_FRACTION / (wires.peak_flops * wires.gemm_efficiency * ATTENTION_EFFICIENCY)
    else:
        scores = layout.micro_batch * heads * (s / c) * s
        attn = (_gemm(s / c, s, arch.qk_dim, wires) + _gemm(s / c, arch.v_dim, s, wires)) * layout.micro_batch * heads
        attn += EAGER_SCORE_PASSES * scores * ACTIVATION_BYTES / stream  # the s² scores through HBM
    memory = elements * ACTIVATION_BYTES / stream
    bandwidth, latency = _link(wires, t)
    activation = tokens * h * ACTIVATION_BYTES
    tp = _ring(activation, t, bandwidth, latency, 4.0)  # two all-reduces, or two reduce-scatters + all-gathers
    cp_comm = 0.0
    if c > 1:
        kv = layout.micro_batch * s * arch.n_kv_heads / t * (arch.qk_dim + arch.v_dim) * ACTIVATION_BYTES
        cp_bw, cp_latency = _link(wires, t * c)
        cp_comm = _ring(kv, c, cp_bw, cp_latency)
    ep_comm = 0.0
    if moe and layout.ep > 1:
        ep_bw, ep_latency = _link(wires, t * layout.ep)
        routed_bytes = tokens * arch.active_experts * h * ACTIVATION_BYTES / t
        ep_comm = 2.0 * _ring(routed_bytes, layout.ep, ep_bw, ep_latency)
    return {"gemm": gemm, "attention": attn, "memory": memory, "tp": tp, "cp": cp_comm, "ep": ep_comm}


def check_layout(arch, wires: Wires, layout: Layout, global_batch: float) -> None:
    """InputError when the layout cannot run this model on these GPUs."""
    for name in ("tp", "pp", "dp", "cp", "ep", "interleave", "micro_batch"):
        value = getattr(layout, name)
        if not isinstance(value, int) or value < 1:
            raise InputError(f"must be a positive whole number, got {value!r}", name)
    if layout.zero not in (0, 1, 2, 3):
        raise InputError(f"must be 0, 1, 2 or 3, got {layout.zero!r}", "zero")
    if layout.recompute not in RECOMPUTE:
        raise InputError(f"must be one of {', '.join(RECOMPUTE)}, got {layout.recompute!r}", "recompute")
    if arch.heads % layout.tp or arch.n_kv_heads % layout.tp and layout.tp % arch.n_kv_heads:
        raise InputError(f"{layout.tp} does not divide the model's {arch.heads} heads", "tp")
    if layout.tp > wires.gpus_per_node:
        raise InputError(f"{layout.tp} reaches beyond one node of {wires.gpus_per_node} GPUs "
                         f"(tensor parallelism needs NVLink)", "tp")
    if layout.pp * layout.interleave > arch.layers:
        raise InputError(f"{layout.pp} stages × {layout.interleave} chunks are more than the model's "
                         f"{arch.layers} layers", "pp")
    if arch.seq_len % layout.cp:
        raise InputError(f"{layout.cp} does not divide the sequence length {arch.seq_len}", "cp")
    if layout.ep > 1 and (not arch.is_moe or arch.experts % layout.ep or (layout.dp * layout.cp) % layout.ep):
        raise InputError(f"{layout.ep} must divide the experts ({arch.experts}) and dp × cp "
                         f"({layout.dp * layout.cp})", "ep")
    if micro_batches(global_batch, layout) < 1:
        raise InputError(f"the global batch of {global_batch:g} sequences is smaller than dp × micro-batch "
                         f"= {layout.dp * layout.micro_batch}", "global_batch")
    if layout.interleave > 1 and layout.pp == 1:
        raise InputError("an interleaved schedule needs pipeline parallelism (pp > 1)", "interleave")


def step_time(arch, wires: Wires, layout: Layout, global_batch: float, attention: str = "flash",
              grad_bytes: float = 2.0, overlap_grad_reduce: bool = True) -> dict:
    """The predicted step of ``layout`` for ``arch`` (a counting.Architecture) on ``wires``.

    ``wires.peak_flops`` is the peak at the precision trained in; ``grad_bytes`` is 2 (bf16 gradients) or 4 (fp32). Returns step_seconds, tokens_per_second, mfu, hfu,
    model_tflops_per_gpu, hardware_tflops_per_gpu, micro_batches and breakdown (seconds: compute,
    memory_bound, tp_comm, pp_comm, dp_comm, zero_comm, cp_comm, ep_comm, bubble, optimizer).
    """
    t, p, v, c = layout.tp, layout.pp, layout.interleave, layout.cp
    m = max(1, micro_batches(global_batch, layout))
    moe_layers = arch.moe_layers
    dense_layers = arch.layers - moe_layers
    parts = [(_layer_parts(arch, wires, layout, attention, False), dense_layers)]
    if moe_layers:
        parts.append((_layer_parts(arch, wires, layout, attention, True), moe_layers))
    backward_attention = FLASH_BACKWARD if attention == "flash" else 2.0
    fwd = {"compute": 0.0, "memory": 0.0, "tp": 0.0, "cp": 0.0, "ep": 0.0}
    bwd = dict(fwd)
    extra = dict(fwd)  # recomputation
    wgrad = tp_backward = 0.0  # the weight-gradient GEMMs, and the backward collectives they hide
    for part, count in parts:
        share = count / p
        fwd["compute"] += share * (part["gemm"] + part["attention"])
        bwd["compute"] += share * (2.0 * part["gemm"] + backward_attention * part["attention"])
        fwd["memory"] += share * part["memory"]
        bwd["memory"] += share * 2.0 * part["memory"]
        fwd["tp"] += share * part["tp"]
        tp_backward += share * part["tp"]
        wgrad += share * part["gemm"]
        fwd["cp"] += share * part["cp"]
        bwd["cp"] += share * 2.0 * part["cp"]
        fwd["ep"] += share * part["ep"]
        bwd["ep"] += share * part["ep"]
        if layout.recompute == "full":
            for key, value in (("compute", part["gemm"] + part["attention"]), ("memory", part["memory"]),
                               ("tp", part["tp"]), ("cp", part["cp"]), ("ep", part["ep"])):
                extra[key] += share * value
        elif layout.recompute == "selective" and attention == "eager":
            extra["compute"] += share * part["attention"]
    # the output layer and the loss, on the last stage
    tokens = layout.micro_batch * arch.seq_len / c
    logits = _gemm(tokens, arch.vocab / t, arch.d_model, wires)
    loss = 3.0 * tokens * arch.vocab / t * 4.0 / (wires.hbm_bandwidth * HBM_EFFICIENCY)  # fp32 logits
    work = fwd["compute"] + bwd["compute"] + extra["compute"] + 3.0 * logits
    memory = fwd["memory"] + bwd["memory"] + extra["memory"] + loss
    params_gpu = _params_per_gpu(arch, layout)[0]
    if layout.zero == 3:  # every micro-batch's whole 16-bit gradient is prepared for its reduce-scatter
        memory += params_gpu * zero3_gradient_bytes(grad_bytes) / (wires.hbm_bandwidth * HBM_EFFICIENCY)
    # Exposed communication per micro-batch. Tensor-parallel forward collectives and expert all-to-alls
    # wait on their results; the backward collectives hide behind the weight-gradient GEMMs; context-
    # parallel K/V passes and ZeRO-3 gathers behind the rest of the micro-batch's work.
    tp_exposed = fwd["tp"] + extra["tp"] + _hidden(tp_backward, wgrad)
    ep_exposed = fwd["ep"] + bwd["ep"] + extra["ep"]
    cp_raw = fwd["cp"] + bwd["cp"] + extra["cp"]
    replicas = layout.dp * c
    dp_bw, dp_latency = _link(wires, layout.gpus)
    zero_raw = 0.0
    if layout.zero == 3:
        gather = _ring(params_gpu * ACTIVATION_BYTES, replicas, dp_bw, dp_latency)
        scatter = _ring(params_gpu * grad_bytes, replicas, dp_bw, dp_latency)
        zero_raw = 2.0 * gather + scatter + (gather if layout.recompute == "full" else 0.0)
    rest = work + memory - min(wgrad, tp_backward)  # what the tensor-parallel backward leaves free
    pooled = _hidden(cp_raw + zero_raw, rest)
    cp_exposed = pooled * cp_raw / (cp_raw + zero_raw) if cp_raw else 0.0
    zero_exposed = pooled - cp_exposed
    t_mb = work + memory + tp_exposed + ep_exposed + pooled
    # pipeline: sends between stages and the bubble
    pp_comm = bubble = 0.0
    if p > 1:
        bandwidth, latency = _link(wires, t * c * p)
        activation = tokens * arch.d_model * ACTIVATION_BYTES / t
        send = activation / (bandwidth * LINK_EFFICIENCY) + latency
        pp_comm = 2.0 * (v * m + p - 1) * send
        bubble = (p - 1) / v * t_mb
    # data parallelism over dp × cp ranks (context-parallel ranks hold the same weights): the gradient
    # reduction after the last micro-batch, hidden behind what is left of its backward pass
    dp_comm = 0.0
    zero_comm = m * zero_exposed
    if layout.zero == 3:
        zero_comm += gather / max(1.0, arch.layers / p)  # the first layer's gather cannot be prefetched
    else:
        reduce = _ring(params_gpu * grad_bytes, replicas, dp_bw, dp_latency, 2.0)
        last_backward = bwd["compute"] + extra["compute"]
        window = min(last_backward, max(0.0, rest - cp_raw))
        dp_comm = _hidden(reduce, window) if overlap_grad_reduce else reduce
    optimizer_params = params_gpu / (replicas if layout.zero >= 1 else 1)
    optimizer = optimizer_params * (ADAM_BYTES + grad_bytes) / (wires.hbm_bandwidth * HBM_EFFICIENCY)
    breakdown = {
        "compute": m * work,
        "memory_bound": m * memory,
        "tp_comm": m * tp_exposed,
        "pp_comm": pp_comm,
        "dp_comm": dp_comm,
        "zero_comm": zero_comm,
        "cp_comm": m * cp_exposed,
        "ep_comm": m * ep_exposed,
        "bubble": bubble,
        "optimizer": optimizer,
    }
    step = sum(breakdown.values())
    tokens_step = float(global_batch) * arch.seq_len
    gpus = layout.gpus
    model = model_flops_per_token(arch) * tokens_step
    hardware = model + recompute_flops_per_token(arch, layout.recompute, attention) * tokens_step
    return {
        "step_seconds": step,
        "tokens_per_second": tokens_step / step,
        "mfu": model / (step * gpus * wires.peak_flops),
        "hfu": hardware / (step * gpus * wires.peak_flops),
        "model_tflops_per_gpu": model / step / gpus / 1e12,
        "hardware_tflops_per_gpu": hardware / step / gpus / 1e12,
        "micro_batches": m,
        "breakdown": breakdown,
    }


# --- memory of a layout ------------------------------------------------------------------------------
#: Gradient buckets a data-parallel reduction keeps in flight: two of 25M elements (PyTorch DDP's
#: default bucket_cap_mb = 25).
BUCKET_ELEMENTS = 2 * 25e6


def _params_per_gpu(arch, layout: Layout, params: float | None = None) -> tuple:
    """(weights this GPU holds before ZeRO sharding, weights of one layer on it); a given ``params``
    count is split evenly over tp × pp instead."""
    if params is not None:
        return params / (layout.tp * layout.pp), params / arch.layers / layout.tp
    experts = 0.0
    if arch.is_moe:
        experts = float(arch.moe_layers) * arch.experts * arch.mlp_weights(arch.expert_ffw_size or arch.ffw_size)
    shared = arch.matrix_params(active=False) - experts
    per_gpu = (shared / layout.pp + float(arch.vocab) * arch.d_model + experts / (layout.pp * layout.ep)) / layout.tp
    return per_gpu, (shared + experts / layout.ep) / arch.layers / layout.tp


def layer_activation_bytes(arch, layout: Layout, attention: str = "flash") -> float:
    """Bytes one layer keeps for its backward pass, per micro-batch on one GPU. Korthikanti et al. 2022
    §4 (34 sbh + 5 as²b for GPT) generalised term by term: attention 2h input + Q, K, V and the
    projection input (grouped-query K and V narrower) + h mask; MLP 2h input + 2 bytes × each
    d_model × ffw hidden tensor (two for GELU, three for SwiGLU; the active experts' for a mixture)
    + h mask; norms 4h. Without sequence parallelism 10h of it (norm inputs, masks, block inputs)
    sits whole on every tensor-parallel rank. Eager attention adds 5·heads·s per token (scores,
    softmax, dropout), FlashAttention nothing (it recomputes the scores). Selective recomputation
    drops the scores; full keeps the 2h layer input."""
    h, t = arch.d_model, layout.tp
    tokens = layout.micro_batch * arch.seq_len / layout.cp
    sp = layout.sequence_parallel and t > 1
    if layout.recompute == "full":
        return 2.0 * tokens * h / (t if sp else 1)
    matrices = arch.mlp_weights(1) // h
    width = arch.ffw_size
    if arch.is_moe and arch.moe_layers == arch.layers:
        width = (arch.active_experts + arch.shared_experts) * (arch.expert_ffw_size or arch.ffw_size)
    attn = 2.0 * (arch.heads * arch.qk_dim + arch.n_kv_heads * (arch.qk_dim + arch.v_dim) + arch.heads * arch.v_dim)
    mlp = 2.0 * matrices * width
    replicated = 10.0 * h  # two norm inputs 4h, the attention and MLP inputs 4h, two dropout masks 2h
    sharded = attn + mlp
    per_token = (replicated + sharded) / t if sp else replicated + sharded / t
    if attention == "eager" and layout.recompute == "none":
        per_token += 5.0 * arch.heads * arch.seq_len / t
    return tokens * per_token


def memory_per_gpu(arch, layout: Layout, global_batch: float, attention: str = "flash", grad_bytes: float = 2.0,
                   optimizer_bytes: float = 12.0, params: float | None = None) -> dict:
    """Bytes on the busiest GPU: weights, gradients, optimizer (ZeRO over dp × cp), activations of
    the first pipeline stage (its L/pp layers for min(pp, m) micro-batches under 1F1B, × (1 +
    (pp − 1)/(pp·v)) interleaved; Korthikanti et al. 2022 §4.2.3), the output layer's logits and
    loss buffers (bf16 logits and fp32 softmax per token, ÷ tp), communication buffers (gradient
    buckets; two gathered layers under ZeRO-3), and total. ``params`` overrides the architecture's
    parameter count (split evenly over tp × pp)."""
    params, layer = _params_per_gpu(arch, layout, params)
    shards = layout.dp * layout.cp
    weights = 2.0 * params / (shards if layout.zero >= 3 else 1)
    gradients = grad_bytes * params / (shards if layout.zero >= 2 else 1)
    optimizer = optimizer_bytes * params / (shards if layout.zero >= 1 else 1)
    m = max(1, micro_batches(global_batch, layout))
    layers = -(-arch.layers // layout.pp)
    in_flight = min(layout.pp, m) * (1.0 + (layout.pp - 1) / (layout.pp * layout.interleave)
                                     if layout.interleave > 1 else 1.0)
    activations = layers * layer_activation_bytes(arch, layout, attention) * in_flight
    tokens = layout.micro_batch * arch.seq_len / layout.cp
    logits = tokens * arch.vocab / layout.tp * (2.0 + 4.0)
    buffers = BUCKET_ELEMENTS * grad_bytes + (2.0 * 2.0 * layer if layout.zero >= 3 else 0.0)
    out = {"weights": weights, "gradients": gradients, "optimizer": optimizer, "activations": activations,
           "logits": logits, "buffers": buffers}
    out["total"] = sum(out.values())
    return out


# --- the search -----------------------------------------------------------------------------------------
#: Largest micro-batch, interleave and context-parallel size the search tries (powers of two).
SEARCH_MICRO_BATCH = (1, 2, 4, 8)
SEARCH_INTERLEAVE = (1, 2, 4)
#: Context parallelism is tried only for sequences of at least this many tokens per rank.
MIN_CONTEXT_SHARD = 4096


def _divisors(n: int) -> list:
    small = [d for d in range(1, int(n ** 0.5) + 1) if n % d == 0]
    return small + [n // d for d in reversed(small) if d * d != n]


def _powers(limit: int) -> list:
    out, value = [], 1
    while value <= limit:
        out.append(value)
        value *= 2
    return out


def architecture(shape, vocab: int | None = None):
    """A counting.Architecture for a memory.Shape (GPT block: 4h GELU MLP, multi-head attention),
    with ``vocab`` (default memory.DEFAULT_VOCAB) for the output layer."""
    from scalingplan.compute.counting import make_architecture
    from scalingplan.compute.memory import DEFAULT_VOCAB

    return make_architecture(layers=shape.layers, d_model=shape.d_model, heads=shape.heads,
                             vocab=vocab or DEFAULT_VOCAB, seq_len=shape.seq_len)


def fewest_gpus(arch, wires: Wires, global_batch: float, fixed: dict | None = None, attention: str = "flash",
                grad_bytes: float = 2.0, params: float | None = None, optimizer_bytes: float = 12.0,
                largest: int = 2 ** 20) -> tuple:
    """The fewest GPUs, a power of two, with a layout that fits, and its fastest layout (``search``'s
    entry); (None, None) beyond ``largest``. The global batch grows to one sequence per GPU if needed."""
    count = 1
    while count <= largest:
        found = search(arch, wires, count, max(global_batch, count), fixed, attention, grad_bytes, limit=1,
                       params=params, optimizer_bytes=optimizer_bytes)
        if found:
            return count, found[0]
        count *= 2
    return None, None


def predict(arch, wires: Wires, layout: Layout, global_batch: float, attention: str = "flash",
            grad_bytes: float = 2.0, overlap_grad_reduce: bool = True) -> dict:
    """step_time of a checked layout, with its memory per GPU and whether it fits."""
    check_layout(arch, wires, layout, global_batch)
    result = step_time(arch, wires, layout, global_batch, attention, grad_bytes, overlap_grad_reduce)
    memory = memory_per_gpu(arch, layout, global_batch, attention, grad_bytes)
    result["layout"] = layout.as_dict()
    result["memory"] = {"per_gpu": memory, "fits": memory["total"] <= wires.memory_bytes}
    return result


def search(arch, wires: Wires, count: int, global_batch: float, fixed: dict | None = None,
           attention: str = "flash", grad_bytes: float = 2.0, overlap_grad_reduce: bool = True,
           limit: int = 5, params: float | None = None, optimizer_bytes: float = 12.0) -> list:
    """The fastest layouts of ``count`` GPUs that fit, fastest first (at most ``limit``).

    ``fixed`` pins any of tp, pp, dp, cp, ep, zero, recompute, sequence_parallel, interleave,
    micro_batch; the rest are searched: tp up to a node and dividing the heads, cp over powers of
    two that leave at least MIN_CONTEXT_SHARD tokens per rank, pp over the divisors of what is left
    (at most the layers), micro-batches and interleaving over SEARCH_*, ep over the divisors of the
    experts, recomputation and the ZeRO stage: the fastest that fits. Each entry is ``predict``'s answer.
    ``params`` and ``optimizer_bytes`` go to ``memory_per_gpu``.
    """
    memory = {"params": params, "optimizer_bytes": optimizer_bytes}
    fixed = {k: v for k, v in (fixed or {}).items() if v is not None}
    pick = lambda key, options: [fixed[key]] if key in fixed else options  # noqa: E731
    found = []
    tps = pick("tp", [t for t in _powers(wires.gpus_per_node) if arch.heads % t == 0 and count % t == 0])
    cps = pick("cp", [c for c in _powers(count) if arch.seq_len % c == 0 and
                      (c == 1 or arch.seq_len // c >= MIN_CONTEXT_SHARD)])
    eps = pick("ep", [e for e in _divisors(arch.experts) if e <= count] if arch.is_moe else [1])
    for tp in tps:
        for cp in cps:
            if count % (tp * cp):
                continue
            rest = count // (tp * cp)
            for pp in pick("pp", [p for p in _divisors(rest) if p <= arch.layers]):
                if rest % pp:
                    continue
                dp = rest // pp
                if "dp" in fixed and fixed["dp"] != dp:
                    continue
                for ep in eps:
                    if (dp * cp) % ep:
                        continue
                    for micro in pick("micro_batch", list(SEARCH_MICRO_BATCH)):
                        if dp * micro > global_batch:
                            continue
                        for v in pick("interleave", [i for i in SEARCH_INTERLEAVE if i == 1 or
                                                     (pp > 1 and pp * i <= arch.layers)]):
                            choice = _fastest_fit(arch, wires, global_batch, fixed, attention, grad_bytes,
                                                  overlap_grad_reduce, memory, tp=tp, pp=pp, dp=dp, cp=cp, ep=ep,
                                                  micro_batch=micro, interleave=v)
                            if choice is not None:
                                found.append(choice)
    found.sort(key=lambda r: (r["step_seconds"], r["layout"]["tp"] * r["layout"]["pp"], r["layout"]["zero"]))
    return found[:limit]


def _fastest_fit(arch, wires, global_batch, fixed, attention, grad_bytes, overlap, memory_options, **geometry):
    """The fastest recomputation and ZeRO stage that fit this geometry, or None."""
    best = None
    sp = fixed.get("sequence_parallel", geometry["tp"] > 1)
    for recompute in ([fixed["recompute"]] if "recompute" in fixed else list(RECOMPUTE)):
        for zero in ([fixed["zero"]] if "zero" in fixed else [0, 1, 2, 3]):
            layout = Layout(zero=zero, recompute=recompute, sequence_parallel=sp, **geometry)
            memory = memory_per_gpu(arch, layout, global_batch, attention, grad_bytes, **memory_options)
            if memory["total"] > wires.memory_bytes:
                continue
            result = step_time(arch, wires, layout, global_batch, attention, grad_bytes, overlap)
            if best is None or result["step_seconds"] < best["step_seconds"]:
                result["layout"] = layout.as_dict()
                result["memory"] = {"per_gpu": memory, "fits": True}
                best = result
    return best
