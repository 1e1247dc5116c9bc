"""`scalingplan fit`: fit a scaling law to the user's own training runs (scipy-free; numpy only)."""

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive
from scalingplan.output.fits import constant_table, fit_tables
from scalingplan.output.render import sci
from scalingplan.cli.common import emit, progress_bar, warn
from scalingplan.cli.options import OUTPUT, RUNS, GroupTol, Starts, with_options

METHODS = ("approach3", "approach2")

@with_options(OUTPUT, RUNS)
def fit(
    method: Annotated[str, typer.Option("--method", help="approach3 (parametric loss) or approach2 (IsoFLOP parabolas).")] = "approach3",
    form: Annotated[str, typer.Option("--form", help="Loss form for approach3: chinchilla (E + A/N^alpha + B/D^beta), kaplan (Kaplan eq. 1.5) or gadre (Gadre et al. eq. 4).")] = "chinchilla",
    group_tol: GroupTol = 0.1,
    starts: Starts = 0,
    bootstrap: Annotated[int, typer.Option("--bootstrap", "-b", help="Resample the runs this many times for intervals (0: none; at most 10,000).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Processes for the bootstrap (default, and at most: the CPU count).")] = 0,
    ci: Annotated[float, typer.Option("--ci", help="Bootstrap interval in percent (95: 2.5th to 97.5th percentiles).")] = 95.0,
    budget: Annotated[Optional[List[str]], typer.Option("--budget", help="Budget in FLOPs to allocate (repeatable); default 1e20, 1e22, 5.76e23, 1e25.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the fitted law as a law file (use it with --law FILE).")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Name of the law in the written file (default: fit-<csv name>).")] = None,
    runs=None,
    fmt: str = "table",
):
    """Fit a scaling law to your own training runs, with optional bootstrap intervals.

    Example: scalingplan fit runs.csv --budget 5.76e23 -o mylaw.yaml
    (add --bootstrap 200 for confidence intervals; Chinchilla's digitised runs: --params-col "Model Size"
    --flops-col "Training FLOP" --drop-highest-loss 5).
    """
    from scalingplan.fitting import report
    from scalingplan.fitting.approach2 import check_tolerance
    from scalingplan.fitting.bootstrap import MAX_RESAMPLES, max_jobs
    from scalingplan.fitting.bootstrap import bootstrap as run_bootstrap

    if output is not None:
        from scalingplan.catalogues.yamlfile import check_writable

        check_writable(output)
    method = method.lower()
    if method not in METHODS:
        raise InputError(f"--method: unknown method '{method}'; choose approach3 or approach2")
    from scalingplan.fitting.forms import FORMS

    form = form.lower()
    if form not in FORMS:
        raise InputError(f"--form: unknown form '{form}'; choose {', '.join(FORMS)}")
    if method == "approach2" and form != "chinchilla":
        raise InputError("--form applies to approach3 only (approach2 fits N_opt = G·C^a)")
    if not 0 <= bootstrap <= MAX_RESAMPLES:
        raise InputError(f"--bootstrap: must be 0 to {MAX_RESAMPLES:,}, got {bootstrap}")
    if not 0 <= seed < 2**63:
        raise InputError(f"--seed: must be 0 to 2^63 - 1, got {seed}")
    if jobs < 0:
        raise InputError(f"--jobs: must be 0 (all CPUs) or more, got {jobs}")
    if not 0 < ci < 100:
        raise InputError(f"--ci: must be between 0 and 100, got {ci:g}")
    check_tolerance(group_tol)
    budgets = [parse_positive(b, "--budget") for b in budget] if budget else list(report.DEFAULT_BUDGETS)
    data = runs
    if method == "approach3":
        from scalingplan.fitting.approach3 import fit_approach3, thinned_grid

        with progress_bar("fitting (starts converged)", True) as progress:
            result = fit_approach3(data, starts=thinned_grid(starts, FORMS[form].grid()), progress=progress,
                                   form=FORMS[form])
    else:
        from scalingplan.fitting.approach2 import fit_approach2

        result = fit_approach2(data, group_tol)
    boot = None
    if bootstrap:
        workers = min(jobs, max_jobs()) if jobs > 0 else max_jobs()
        with progress_bar("bootstrap (resamples)", True) as progress:
            boot = run_bootstrap(result, bootstrap, seed, workers, budgets, ci / 100, progress)
    payload = report.fit_summary(result, budgets, boot)
    for message in payload["warnings"]:
        warn(message)
    far = payload["extrapolation"]
    if far:
        warn("extrapolating far beyond the runs' FLOPs "
             f"({sci(float(data.flops.min()))} to {sci(float(data.flops.max()))}): "
             + ", ".join(f"{sci(row['flops'])} is {abs(row['decades']):.1f} decades "
                         f"{'above' if row['decades'] > 0 else 'below'}" for row in far))
    if output is not None:
        law_name = name or f"fit-{Path(data.source['file']).stem}"
        _write_yaml(output, report.law_file(result, law_name, boot))
        payload["law_file"] = str(output)
    emit(fmt, payload, fit_tables(payload, boot), constant_table(payload, boot))


def _write_yaml(path: Path, data: dict) -> None:
    import yaml

    from scalingplan.catalogues.yamlfile import write_text

    write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
