"""Command-line options, each defined once, and the bundles that several commands share.

A bundle is a group of options that always travel together (output format, hardware, a runs file).
``with_options`` adds a bundle's options to a command's signature and hands the command one value
built from them, so every command that takes the bundle spells, checks and documents it the same way.
"""

import functools
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Callable, List, Optional

import typer

from scalingplan.errors import InputError

# --- single options, shared by name ----------------------------------------------------------------
Laws = Annotated[Optional[List[str]], typer.Option(
    "--law", "-l", help="Law name, alias, family (e.g. chinchilla) or path to a law file; repeatable "
                        "or comma-separated. Default: the main registry laws.")]
Flops = Annotated[Optional[str], typer.Option("--flops", help="Training budget in FLOPs, e.g. 5.8e23.")]
PfDays = Annotated[Optional[str], typer.Option("--pf-days", help="Training budget in PF-days (8.64e19 FLOPs each).")]
Model = Annotated[Optional[str], typer.Option("--model", "-m", help="A catalogue model (see 'scalingplan models').")]
ModelConfig = Annotated[Optional[str], typer.Option(
    "--config", help="A Hugging Face config.json, or a model folder holding one (Llama, Mistral, Mixtral, "
                     "Qwen2, Gemma 2, OLMo 2, DeepSeek-V2/V3, Falcon, GPT-NeoX, GPT-2).")]
def shape_option(flag: str, text: str):
    """An architecture flag (--layers, --d-model, ...), listed under its own heading in --help."""
    return Annotated[Optional[str], typer.Option(flag, help=text, rich_help_panel="Architecture")]


def architecture_of(model: Optional[dict], given: dict):
    """The catalogue model's architecture with any shape the user gave on top, or None. A model
    described by flags alone takes what they leave out from ``counting.COMMAND_DEFAULTS``."""
    from scalingplan.compute.counting import COMMAND_DEFAULTS

    shapes = dict((model or {}).get("architecture") or {})
    given = {k: v for k, v in given.items() if v is not None}
    if model is None and given:
        given = {**COMMAND_DEFAULTS, **given}
    if given.keys() & {"kv_size", "head_dim"}:  # the same size under two names: the user's wins
        shapes.pop("kv_size", None)
        shapes.pop("head_dim", None)
    shapes.update(given)
    if not shapes:
        return None
    from scalingplan.compute.counting import make_architecture

    return make_architecture(**shapes)


def described_architecture(model: Optional[dict], given: dict, config=None):
    """The model a command was given: a --config file's (with --seq-len at most), else
    ``architecture_of`` the catalogue model and the shape flags."""
    if config is None:
        return architecture_of(model, given)
    if model is not None or any(v is not None for k, v in given.items() if k != "seq_len"):
        raise InputError("--config describes the whole model: give it without --model or shape flags (except --seq-len)")
    return config_architecture(config, given.get("seq_len"))


PricePerHour = Annotated[Optional[str], typer.Option(
    "--price-per-hour", help="Price of one accelerator-hour, in your currency: adds a cost.")]


@dataclass(frozen=True)
class Bundle:
    """Options that travel together: ``parameters`` are added to a command, and ``build`` turns their
    values into the one keyword argument ``name`` that the command receives."""

    name: str
    parameters: tuple
    build: Callable


def keyword_option(name: str, annotation, default=None) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def panel_option(name: str, flag: str, text: str, panel: str, default=None, annotation=Optional[str]):
    """One option of a bundle, shown under the bundle's heading (``panel``) in --help."""
    return keyword_option(name, Annotated[annotation, typer.Option(flag, help=text, rich_help_panel=panel)], default)


def with_options(*bundles: Bundle):
    """Add each bundle's options to the decorated command; it receives ``bundle.name=build(...)``."""

    def decorate(command):
        signature = inspect.signature(command)
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()
               if p.name not in {b.name for b in bundles}]
        added = [p for bundle in bundles for p in bundle.parameters]

        @functools.wraps(command)
        def wrapper(**kwargs):
            for bundle in bundles:
                values = {p.name: kwargs.pop(p.name, p.default) for p in bundle.parameters}
                kwargs[bundle.name] = bundle.build(**values)
            return command(**kwargs)

        wrapper.__signature__ = signature.replace(parameters=own + added)
        wrapper.__annotations__ = {**command.__annotations__, **{p.name: p.annotation for p in added}}
        del wrapper.__wrapped__  # Typer must read the new signature, not the command's own
        return wrapper

    return decorate


ARCHITECTURE_FLAGS = (
    ("layers", "--layers", "Number of transformer layers."),
    ("d_model", "--d-model", "Residual stream width."),
    ("heads", "--heads", "Attention (query) heads; d_attn = heads × head-dim."),
    ("kv_size", "--kv-size", "Query/key size per head (same as --head-dim)."),
    ("head_dim", "--head-dim", "Size per head. Default: d-model / heads."),
    ("kv_heads", "--kv-heads", "Key/value heads: fewer than --heads is grouped-query attention, 1 multi-query. "
                               "Default: --heads."),
    ("ffw_size", "--ffw-size", "Feed-forward width. Default: 4 × d-model (GELU), 8/3 × d-model up to a multiple "
                               "of 256 (gated)."),
    ("mlp", "--mlp", "gelu (2 matrices), swiglu or geglu (3 matrices). Default: swiglu."),
    ("embeddings", "--embeddings", "tied (one vocab × d-model matrix) or untied (two). Default: untied."),
    ("norm", "--norm", "Norms to count: none, rmsnorm or layernorm. Default: rmsnorm."),
    ("experts", "--experts", "Routed experts per MoE layer (mixture of experts)."),
    ("active_experts", "--active-experts", "Routed experts each token uses (top-k)."),
    ("shared_experts", "--shared-experts", "Experts every token uses besides the routed ones."),
    ("expert_ffw_size", "--expert-ffw-size", "Width of each expert. Default: --ffw-size."),
    ("dense_layers", "--dense-layers", "Leading layers with a dense MLP instead of experts."),
    ("vocab", "--vocab", "Vocabulary size. Default: 32000."),
)
@functools.cache
def architecture_options() -> Bundle:
    """The architecture flags as one bundle, the same in every command that describes a model; the
    command receives ``architecture={name: value or None}``. Built on first use: commands that take
    no architecture do not pay for it at start-up."""
    return Bundle("architecture", tuple(keyword_option(name, shape_option(flag, text))
                                        for name, flag, text in ARCHITECTURE_FLAGS), lambda **given: given)


def config_architecture(path, seq_len=None):
    """The architecture a --config file describes (scalingplan.compute.hf_config)."""
    from scalingplan.compute.hf_config import load_architecture

    return load_architecture(path, seq_len)[0]


def model_params(params=None, model=None, config=None):
    """A fixed model size from --params, --model (a catalogue model) or --config (a config.json), at
    most one of them: as given, or the model's parameter count (active for a mixture of experts)."""
    given = [flag for flag, value in (("--params", params), ("--model", model), ("--config", config)) if value]
    if len(given) > 1:
        raise InputError(f"give one of --params, --model and --config; got {' and '.join(given)}")
    if model:
        from scalingplan.catalogues.models import counted_params, find_model

        return repr(float(counted_params(find_model(model))))
    if config:
        return repr(float(config_architecture(config).params_active))
    return params


# --- shape conventions (shape --like, sweep --config) ------------------------------------------------
def shape_settings(mlp="swiglu", kv_heads=None, head_dim="128", vocab="32000", embeddings="untied", norm="rmsnorm",
                   seq_len="4096", experts=None, active_experts=None) -> dict:
    """Validated keyword arguments for ``shapes.propose`` (through ``make_architecture``'s checks)."""
    from scalingplan.compute.counting import make_architecture
    from scalingplan.numbers import parse_number, parse_whole

    probe = make_architecture(layers=1, d_model=int(parse_number(head_dim, "--head-dim")), head_dim=head_dim,
                              vocab=vocab, seq_len=seq_len, mlp=mlp, embeddings=embeddings, norm=norm,
                              experts=experts, active_experts=active_experts)
    kv = None if kv_heads is None else parse_whole(kv_heads, "kv_heads")
    return dict(mlp=probe.mlp, kv_heads=None if kv is None else int(kv), head_dim=probe.head_dim, vocab=probe.vocab,
                embeddings=probe.embeddings, norm=probe.norm, seq_len=probe.seq_len, experts=probe.experts,
                active_experts=probe.active_experts)


def like_settings(path: str) -> dict:
    """The conventions of a config.json's model for ``shape_settings``: MLP, vocabulary, embeddings,
    norms, key/value heads, experts, and its head size where the search allows it (64 or 128)."""
    from scalingplan.compute.shapes import HEAD_DIMS

    arch = config_architecture(path)
    return dict(mlp=arch.mlp, kv_heads=str(arch.n_kv_heads) if arch.n_kv_heads != arch.heads else None,
                head_dim=str(arch.head_dim if arch.head_dim in HEAD_DIMS else 128), vocab=str(arch.vocab),
                embeddings=arch.embeddings, norm=arch.norm,
                experts=str(arch.experts) if arch.experts else None,
                active_experts=str(arch.active_experts) if arch.experts else None)


# --- output ----------------------------------------------------------------------------------------
def choose_format(fmt: Optional[str] = None, json_: bool = False) -> str:
    """The output format from --format and --json (which must agree); the user default otherwise."""
    from scalingplan.cli.settings import setting
    from scalingplan.output.render import FORMATS

    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise InputError(f"--format: unknown format '{fmt}'; choose one of {', '.join(FORMATS)}")
        if json_ and fmt != "json":
            raise InputError(f"--json and --format {fmt} disagree; give one of them")
        return fmt
    return "json" if json_ else setting("format", "table")


def output_bundle(formats_help: str = "table, json, csv or markdown", build=choose_format) -> Bundle:
    return Bundle("fmt", (
        keyword_option("fmt", Annotated[Optional[str], typer.Option(
            "--format", "-f", help=f"Output format: {formats_help} (default: table, or your config's).",
            show_default=False)]),
        keyword_option("json_", Annotated[bool, typer.Option("--json", help="Short for --format json.")], False),
    ), build)


OUTPUT = output_bundle()

# --- hardware --------------------------------------------------------------------------------------
Gpu = Annotated[Optional[str], typer.Option(
    "--gpu", help="Accelerator, e.g. h100 (see 'scalingplan hardware').", rich_help_panel="Hardware")]
Count = Annotated[Optional[str], typer.Option("--count", help="Number of accelerators.", rich_help_panel="Hardware")]
Days = Annotated[Optional[str], typer.Option(
    "--days", help="Wall-clock days of training, with --count.", rich_help_panel="Hardware")]
GpuHours = Annotated[Optional[str], typer.Option(
    "--gpu-hours", help="Accelerator-hours (instead of --count and --days).", rich_help_panel="Hardware")]
Mfu = Annotated[Optional[str], typer.Option(
    "--mfu", help="Model FLOPs utilization in (0, 1]. Default 0.3, Epoch AI's assumption for LLM training "
                  "(see 'scalingplan hardware'); a cluster without a budget (--gpu --count alone) takes the "
                  "MFU predicted for its fastest layout.", rich_help_panel="Hardware")]
HARDWARE = Bundle("hardware", (keyword_option("gpu", Gpu), keyword_option("count", Count), keyword_option("days", Days),
                               keyword_option("gpu_hours", GpuHours), keyword_option("mfu", Mfu)),
                  lambda **given: hardware_given(**given))
"""The accelerator options; the command receives the ones given, as ``hardware={...}``."""


def hardware_given(**given) -> dict:
    """The hardware options given, completed from the user's default gpu and mfu."""
    from scalingplan.cli.settings import setting

    given = {key: value for key, value in given.items() if value is not None}
    if given and "gpu" not in given and setting("gpu"):
        given["gpu"] = setting("gpu")
    if "gpu" in given and "mfu" not in given and setting("mfu") is not None:
        given["mfu"] = setting("mfu")
    return given


def configured_first_law() -> str | None:
    """The first of the user's configured laws (``laws = [...]`` in the config file), or None."""
    from scalingplan.cli.settings import setting

    configured = setting("laws") or []
    return str(configured[0]) if configured else None


def chosen_laws(laws) -> list | None:
    """Law arguments with comma lists split (``--law a,b`` = ``--law a --law b``); the user's default
    laws, or None for the registry's main laws, when none are given."""
    from scalingplan.cli.settings import setting

    names = [part.strip() for arg in laws or () for part in str(arg).split(",") if part.strip()]
    return names or configured_laws() or None


def configured_laws() -> list:
    """The config file's default laws, each checked as a --law is (naming the file when one is not)."""
    from scalingplan.catalogues.registry import expand
    from scalingplan.cli.settings import config_path, setting

    names = setting("laws") or []
    if names:
        try:
            expand(names)
        except InputError as exc:
            raise InputError(f"{config_path()}: laws: {exc.render(prefix=False)}") from None
    return names

# --- a range of budgets ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BudgetRange:
    """``--from``/``--to`` (and ``--points``) as given; ``given`` names the flags the user set."""

    low: float
    high: float
    points: int | None
    given: tuple

    @property
    def budgets(self) -> list:
        """``points`` budgets evenly spaced in log from ``low`` to ``high``."""
        from scalingplan.planning.allocation import log_budgets

        return log_budgets(self.low, self.high, self.points)


def budget_range(low: str, high: str, points: int | None = None, what: str = "") -> Bundle:
    """``--from`` and ``--to`` in FLOPs (and ``--points`` when ``points`` has a default), with these
    defaults; the command receives a ``BudgetRange`` as ``budget_range``."""

    def build(range_from=None, range_to=None, range_points=None):
        from scalingplan.numbers import parse_positive

        given = tuple(flag for flag, value in (("--from", range_from), ("--to", range_to),
                                               ("--points", range_points)) if value is not None)
        lo, hi = parse_positive(range_from or low, "from"), parse_positive(range_to or high, "to")
        if hi < lo:
            raise InputError(f"must be at least {{0}} ({lo:g}), got {hi:g}", "to", ("from",))
        return BudgetRange(lo, hi, None if points is None else (points if range_points is None else range_points),
                           given)

    where = f" {what}" if what else ""
    options = [
        keyword_option("range_from", Annotated[Optional[str], typer.Option(
            "--from", help=f"Smallest budget{where}, FLOPs (default {low}).", show_default=False)]),
        keyword_option("range_to", Annotated[Optional[str], typer.Option(
            "--to", help=f"Largest budget{where}, FLOPs (default {high}).", show_default=False)]),
    ]
    if points is not None:
        options.append(keyword_option("range_points", Annotated[Optional[int], typer.Option(
            "--points", help=f"Budgets{where}, log-spaced (default {points}).", show_default=False)]))
    return Bundle("budget_range", tuple(options), build)


# --- a CSV of training runs ---------------------------------------------------------------------------
def _positive(value, what):
    from scalingplan.numbers import parse_positive

    return None if value is None else parse_positive(value, what)


def load_runs(runs_file, params_col=None, tokens_col=None, flops_col=None, loss_col=None,
              drop_highest_loss=0, max_loss=None, min_flops=None, max_flops=None):
    """Read the runs CSV, then apply the exclusions the options ask for."""
    from scalingplan.fitting.runs import exclude, read_runs

    runs = read_runs(runs_file, params_col, tokens_col, flops_col, loss_col)
    return exclude(runs, drop_highest_loss, _positive(max_loss, "--max-loss"),
                   _positive(min_flops, "--min-flops"), _positive(max_flops, "--max-flops"))


RUNS = Bundle("runs", (
    inspect.Parameter("runs_file", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[Path, typer.Argument(
        help="CSV of runs: parameters, tokens (or training FLOPs) and final loss.", show_default=False)]),
    panel_option("params_col", "--params-col", "Column of parameter counts (default: params or N).", "Runs file"),
    panel_option("tokens_col", "--tokens-col", "Column of training tokens (default: tokens or D).", "Runs file"),
    panel_option("flops_col", "--flops-col", "Column of training FLOPs, used as D = C/(6N) (default: flops or C).", "Runs file"),
    panel_option("loss_col", "--loss-col", "Column of final losses (default: loss or L).", "Runs file"),
    panel_option("drop_highest_loss", "--drop-highest-loss", "Leave out this many highest-loss runs.", "Runs file", 0, int),
    panel_option("max_loss", "--max-loss", "Leave out runs with a loss above this.", "Runs file"),
    panel_option("min_flops", "--min-flops", "Leave out runs with fewer training FLOPs.", "Runs file"),
    panel_option("max_flops", "--max-flops", "Leave out runs with more training FLOPs.", "Runs file"),
), load_runs)
"""A runs CSV and its column and exclusion options; the command receives the runs, read and filtered."""

Starts = Annotated[int, typer.Option(
    "--starts", help="Approach 3 starting points, spread evenly through the paper's 4,500-point grid "
                     "(0: all of them); fewer is faster and may miss the best minimum.")]
GroupTol = Annotated[float, typer.Option("--group-tol", help="IsoFLOP group width in decades of FLOPs (approach 2).")]


# --- run settings of the laws that model them (MoE granularity, training precision) -----------------
def law_settings(granularity=None, experts=None, precision=None, post_train_bits=None) -> dict:
    """The run settings given, as numbers (precision as its text): {granularity, experts, precision,
    post_bits}. The laws check the values (``Configurable.clone``)."""
    from scalingplan.numbers import parse_number

    settings = {key: parse_number(value, flag) for key, value, flag in (
        ("granularity", granularity, "--granularity"), ("experts", experts, "--experts"),
        ("post_bits", post_train_bits, "--post-train-bits")) if value is not None}
    if precision is not None:
        settings["precision"] = precision
    return settings


def _setting_option(name, flag, text):
    return panel_option(name, flag, text, "Law settings")


LAW_SETTINGS = Bundle("settings", (
    _setting_option("granularity", "--granularity",
                    "MoE granularity G (experts 1/G the feed-forward size, G active; krajewski2024). "
                    "Default: allocate chooses it; assess uses 1."),
    _setting_option("experts", "--experts", "MoE expansion rate E (total experts ÷ G). Default 64, as fitted."),
    _setting_option("precision", "--precision",
                    "Training precision for kumar2024: bf16, fp8, int4, bits (6), or parts such as "
                    "w4a8kv8. Default: allocate chooses it; assess uses 16 bits."),
    _setting_option("post_train_bits", "--post-train-bits",
                    "Bits of the weights after post-training quantisation (kumar2024's δ_PTQ)."),
), law_settings)
"""Settings of the laws that model them; laws that take a given setting join the default laws."""


# --- the recipe and the cluster (allocate) ---------------------------------------------------------
def _recipe_option(name, flag, text, default=None, annotation=Optional[str]):
    return panel_option(name, flag, text, "Recipe", default, annotation)


RECIPE = Bundle("recipe", (
    _recipe_option("hparams", "--hparams", "Batch-size and learning-rate rule: deepseek (DeepSeek LLM eq. 1) "
                                           "or steplaw (Li et al. 2025).", "deepseek", str),
    _recipe_option("seq_len", "--seq-len", "Sequence length in tokens (default 4096)."),
    _recipe_option("recompute", "--recompute", "With --gpu --count: none, selective or full (full: 8ND hardware "
                                               "FLOPs, --mfu read as hardware FLOPs utilisation).", "selective", str),
    _recipe_option("micro_batch", "--micro-batch", "With --gpu --count: sequences per micro-batch per GPU.", "1", str),
    keyword_option("price_per_hour", PricePerHour),
    _recipe_option("pue", "--pue", "Power usage effectiveness (default 1.58, Uptime Institute 2023 average)."),
    _recipe_option("grid_intensity", "--grid-intensity", "kg CO2e per kWh (default 0.436, Ember's 2022 world average)."),
), lambda **given: given)
"""The recipe options of `allocate`; the command receives them as ``recipe={...}``."""


def budget_and_recipe(flops, pf_days, hardware: dict, recipe: dict, fixed_size: bool = False) -> tuple:
    """(budget, ``planner.Recipe``) from allocate's flags: --gpu with --days or --gpu-hours is a budget
    (with --count also the cluster); --gpu --count alone name only the cluster. With full
    recomputation a hardware budget buys 6/8 of its FLOPs as model FLOPs (the utilisation is then
    hardware FLOPs utilisation). A ``fixed_size`` (--params) on a cluster's time budget without --mfu
    buys its tokens at the predicted MFU (the cluster's ``gpu_seconds``; the budget's FLOPs are then
    the default MFU's, the planner's starting point)."""
    from scalingplan.compute import memory as mem
    from scalingplan.compute.budget import model_flops_budget, resolve_budget
    from scalingplan.numbers import parse_whole
    from scalingplan.planning.planner import Recipe
    from scalingplan.planning.recipe import check_rule, make_cluster

    gpu, count, mfu = hardware.get("gpu"), hardware.get("count"), hardware.get("mfu")
    days, gpu_hours = hardware.get("days"), hardware.get("gpu_hours")
    recompute = recipe["recompute"]
    extra = {key: recipe[key] for key in ("micro_batch", "price_per_hour", "pue", "grid_intensity")}
    is_budget = days is not None or gpu_hours is not None
    cluster = None
    if gpu is not None and count is not None:
        cluster = make_cluster(gpu, count, mfu, recompute.lower(), **extra,
                               predict=days is None and gpu_hours is None)
    elif gpu is None and count is not None:
        raise InputError("--count needs --gpu to name the accelerator")
    elif recompute.lower() not in mem.RECOMPUTE:
        raise InputError(f"must be one of {', '.join(mem.RECOMPUTE)}, got {recompute!r}", "recompute")
    unused = [f"--{k.replace('_', '-')}" for k, v in extra.items() if v is not None and k != "micro_batch"]
    if cluster is None and unused:
        raise InputError(f"{', '.join(unused)} need the cluster: give --gpu and --count")
    if is_budget:
        budget = resolve_budget(flops, pf_days, gpu, count, days, gpu_hours, mfu)
        if fixed_size and cluster is not None and mfu is None:
            from dataclasses import replace

            cluster = replace(cluster, predict=True, gpu_seconds=budget["hardware"]["gpu_hours"] * 3600.0)
    else:
        if gpu is not None and count is None:
            raise InputError(f"--gpu {gpu}: give --count (the cluster), with --days or --gpu-hours for a budget")
        if mfu is not None and gpu is None:
            raise InputError("--mfu needs --gpu and --count")
        budget = resolve_budget(flops, pf_days)
    budget = model_flops_budget(budget, recompute.lower())
    seq_len = mem.DEFAULT_SEQ_LEN if recipe["seq_len"] is None else parse_whole(recipe["seq_len"], "--seq-len")
    return budget, Recipe(check_rule(recipe["hparams"]), seq_len, None, cluster)


def deadline_budget(budget: dict, hardware: dict, rows: list, default_law: str | None) -> dict:
    """The budget of a fixed size on a cluster until a deadline at the predicted MFU: the hardware
    budget at the recommended row's MFU (each row buys its tokens at its own)."""
    from scalingplan.compute.budget import resolve_budget
    from scalingplan.planning.recommend import recommend

    recommended, _ = recommend(rows, default_law)
    row = next((r for r in rows if recommended and r["law"] == recommended["law"]), None)
    if row is None or row.get("utilisation_source") != "predicted":
        return budget
    found = resolve_budget(None, None, hardware.get("gpu"), hardware.get("count"), hardware.get("days"),
                           hardware.get("gpu_hours"), row["mfu"])
    text = found["description"] + f" (predicted for {row['law']}'s layout)"
    return dict(found, description=text, hardware=dict(found["hardware"], description=text))


def device(gpu, mfu) -> dict:
    """{gpu, peak_flops, mfu} of ``--gpu`` and ``--mfu`` for costing runs one chip at a time (empty
    without --gpu), from the one cluster builder ``recipe.make_cluster``."""
    if gpu is None:
        if mfu is not None:
            raise InputError("--mfu needs --gpu")
        return {}
    from scalingplan.planning.recipe import make_cluster

    cluster = make_cluster(gpu, 1, mfu, predict=False)
    return {"gpu": cluster.gpu["name"], "peak_flops": cluster.gpu["peak_flops"], "mfu": cluster.utilisation}
