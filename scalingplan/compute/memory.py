"""Training memory per accelerator, and the parallel layouts that fit.

Model states follow ZeRO (Rajbhandari et al. 2019, arXiv:1910.02054, §3 and §5): mixed-precision
Adam keeps 2Ψ bytes of fp16/bf16 weights, 2Ψ of gradients and KΨ of optimizer states (K = 12: fp32
master weights, momentum and variance), Ψ the parameters a GPU holds. Stage 1 shards the optimizer
states over the N_d data-parallel ranks, stage 2 the gradients as well, stage 3 the weights too:

    baseline (2 + 2 + K)Ψ;  stage 1: 4Ψ + KΨ/N_d;  stage 2: 2Ψ + (2 + K)Ψ/N_d;  stage 3: (2 + 2 + K)Ψ/N_d

Tensor and pipeline parallelism split the weights first: Ψ = parameters / (tp x pp) per GPU.

Activations follow Korthikanti et al. 2022 (arXiv:2205.05198), Table 2, bytes per transformer layer
with 2-byte activations (s sequence length, b micro-batch, h d_model, a heads, t tensor-parallel size):

    tensor parallel              sbh(10 + 24/t + 5as/(ht))     (t = 1: no parallelism, sbh(34 + 5as/h))
    + sequence parallel          (sbh/t)(34 + 5as/h)
    + selective recomputation    sbh(10 + 24/t), and with sequence parallelism 34sbh/t
    full recomputation           2sbh, the input of each layer only

Sequence parallelism is assumed whenever t > 1 (the paper's recommended setting); the layer input it
keeps under full recomputation then sits in the sequence-parallel region, sharded t ways (2sbh/t).
Under the 1F1B pipeline schedule the first stage holds L/p layers for p micro-batches in flight, so
its activations are those of L layers (the paper's eq. 5); the embedding and output-layer terms are
left out. These formulas describe a standard multi-head attention block with a 4h MLP and dropout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scalingplan.errors import InputError

RECOMPUTE = ("none", "selective", "full")
ZERO_STAGES = (0, 1, 2, 3)
#: Bytes per parameter for mixed-precision Adam (ZeRO §3.1): fp16/bf16 weights and gradients, and
#: K = 12 bytes of optimizer state (fp32 master weights, momentum, variance).
WEIGHT_BYTES, GRADIENT_BYTES, OPTIMIZER_BYTES = 2, 2, 12
#: Default shape when only a parameter count is known: d_model = 128 x layers and 128-wide heads,
#: the shape of GPT-3 175B (12288 = 128 x 96; Brown et al. 2020, Table 2.1) and of Llama 2 7B
#: (4096 = 128 x 32; Touvron et al. 2023, Table 1), with N = 12 layers d_model^2 (Kaplan 2020 §2.1),
#: layers rounded to a multiple of 8 from 8 up (so 8-way tensor parallelism divides the heads).
ASPECT, HEAD_DIM = 128, 128
#: Global batch for `memory` when none is given: 4M tokens (Llama 2, Touvron et al. 2023, §2.2).
DEFAULT_BATCH_TOKENS = 4 * 2 ** 20
DEFAULT_SEQ_LEN = 4096
#: Vocabulary when a shape is assumed from a parameter count: 32,000 (Llama 2's tokenizer; Touvron et
#: al. 2023, §2.1).
DEFAULT_VOCAB = 32000


@dataclass(frozen=True)
class Shape:
    """What the activation formulas need; ``assumed`` when derived from a parameter count alone."""

    layers: int
    d_model: int
    heads: int
    seq_len: int
    assumed: bool = False

    def describe(self) -> str:
        how = "assumed from the parameter count" if self.assumed else "given"
        return (f"{self.layers} layers, d_model {self.d_model}, {self.heads} heads, "
                f"sequence {self.seq_len} ({how})")


class ScalarMath:
    """The few numpy functions the formulas use, for plain floats (numpy stays unimported on the
    command line's quick paths); ``rint`` rounds half to even like numpy's."""

    rint = staticmethod(lambda x: float(round(x)))
    ceil = staticmethod(lambda x: float(math.ceil(x)))
    maximum = staticmethod(max)
    where = staticmethod(lambda condition, a, b: a if condition else b)
    asarray = staticmethod(lambda x, dtype=float: float(x))


def math_for(*values):
    """ScalarMath when every value is a plain number, numpy otherwise."""
    if all(isinstance(v, (int, float)) for v in values):
        return ScalarMath
    import numpy

    return numpy


def default_layers(params):
    """Layers of the default shape: N = 12 L (128 L)^2, rounded (to a multiple of 8 from 8 up), at
    least 1 (floats or arrays)."""
    xp = math_for(params)
    exact = (xp.asarray(params, dtype=float) / (12.0 * ASPECT ** 2)) ** (1 / 3)
    return xp.maximum(1.0, xp.where(exact < 8, xp.rint(exact), 8 * xp.rint(exact / 8)))


def default_shape(params: float, seq_len: int = DEFAULT_SEQ_LEN) -> Shape:
    """The default shape for ``params`` (see ASPECT): 7e9 -> 32 layers, d_model 4096, 32 heads."""
    layers = int(default_layers(params))
    d_model = ASPECT * layers
    return Shape(layers, d_model, d_model // HEAD_DIM, int(seq_len), assumed=True)


def shape_of(architecture, seq_len=None) -> Shape:
    """The Shape of an architecture (a counting.Architecture or a mapping with layers, d_model, heads
    or kv_size, seq_len); ``seq_len`` overrides the architecture's."""
    def get(key):
        if isinstance(architecture, dict):
            return architecture.get(key)
        return getattr(architecture, key, None)

    layers, d_model, heads, kv_size = get("layers"), get("d_model"), get("heads"), get("kv_size")
    if heads is None and kv_size:
        heads = int(d_model) // int(kv_size)
    seq_len = seq_len if seq_len is not None else get("seq_len")
    if None in (layers, d_model, heads, seq_len):
        raise InputError("the architecture needs layers, d_model, heads and seq_len for its activations")
    return Shape(int(layers), int(d_model), int(heads), int(seq_len))


@dataclass(frozen=True)
class Layout:
    """How ``dp x tp x pp`` GPUs split a run, with ZeRO stage, recomputation and micro-batch."""

    dp: int
    tp: int = 1
    pp: int = 1
    zero: int = 0
    recompute: str = "none"
    micro_batch: int = 1

    @property
    def gpus(self) -> int:
        return self.dp * self.tp * self.pp


def check_layout(layout: Layout, shape: Shape | None = None) -> Layout:
    """InputError when a layout cannot run: non-positive sizes, unknown stage or recomputation."""
    for name in ("dp", "tp", "pp", "micro_batch"):
        value = getattr(layout, name)
        if not isinstance(value, int) or value < 1:
            raise InputError(f"must be a positive whole number, got {value!r}", name)
    if layout.zero not in ZERO_STAGES:
        raise InputError(f"must be 0, 1, 2 or 3, got {layout.zero!r}", "zero")
    if layout.recompute not in RECOMPUTE:
        raise InputError(f"must be one of {', '.join(RECOMPUTE)}, got {layout.recompute!r}", "recompute")
    if shape is not None and layout.pp > shape.layers:
        raise InputError(f"{layout.pp} stages are more than the model's {shape.layers} layers", "pp")
    return layout


def model_states(params, dp=1, zero=0, tp=1, pp=1, optimizer_bytes=OPTIMIZER_BYTES) -> dict:
    """Bytes per GPU of weights, gradients and optimizer states (ZeRO §5; floats or arrays)."""
    psi = params / (tp * pp)
    return {
        "weights": WEIGHT_BYTES * psi / (dp if zero >= 3 else 1),
        "gradients": GRADIENT_BYTES * psi / (dp if zero >= 2 else 1),
        "optimizer": optimizer_bytes * psi / (dp if zero >= 1 else 1),
    }


def layer_activations(seq_len, micro_batch, d_model, heads, tp=1, recompute="none", sequence_parallel=True):
    """Bytes of activations one transformer layer keeps for the backward pass (Korthikanti Table 2)."""
    sbh = float(seq_len) * micro_batch * d_model
    attention = 5.0 * heads * seq_len / d_model  # the 5as/h scores, softmax and dropout term
    if recompute == "full":
        return 2.0 * sbh / (tp if sequence_parallel else 1)
    kept = 0.0 if recompute == "selective" else attention
    if sequence_parallel:
        return sbh / tp * (34.0 + kept)
    return sbh * (10.0 + 24.0 / tp + kept / tp)


def in_flight(layout: Layout, micro_batches) -> int:
    """Micro-batches whose activations the first pipeline stage holds under 1F1B: min(pp, m)."""
    return max(1, min(layout.pp, int(micro_batches)))


def activations(shape: Shape, layout: Layout, micro_batches) -> float:
    """Activation bytes on the first pipeline stage: ceil(L/pp) layers x micro-batches in flight."""
    per_layer = layer_activations(shape.seq_len, layout.micro_batch, shape.d_model, shape.heads,
                                  layout.tp, layout.recompute)
    return math.ceil(shape.layers / layout.pp) * per_layer * in_flight(layout, micro_batches)


def micro_batches(batch_sequences, layout: Layout) -> int:
    """Micro-batches per pipeline per step: global batch / (dp x micro-batch), rounded down."""
    return int(batch_sequences // (layout.dp * layout.micro_batch))


def per_gpu(params: float, shape: Shape, layout: Layout, batch_sequences, optimizer_bytes=OPTIMIZER_BYTES) -> dict:
    """weights, gradients, optimizer, activations and total bytes on the busiest GPU."""
    memory = model_states(params, layout.dp, layout.zero, layout.tp, layout.pp, optimizer_bytes)
    memory["activations"] = activations(shape, layout, micro_batches(batch_sequences, layout))
    memory["total"] = sum(memory.values())
    return memory


def hardware_flops_factor(recompute: str) -> float:
    """Hardware FLOPs per model FLOP: 8ND / 6ND = 4/3 with full recomputation (one extra forward
    pass; Korthikanti et al. 2022; Chowdhery et al. 2022, App. B), 1 otherwise (selective
    recomputation adds a few per cent, 2.7% for GPT-3 in Korthikanti et al., left out)."""
    return 4.0 / 3.0 if recompute == "full" else 1.0
