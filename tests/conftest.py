import os
import tempfile

# Tests never write the registry cache under the real home directory, nor read the user's config.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="scalingplan-test-cache-")
os.environ["SCALINGPLAN_CONFIG"] = os.path.join(tempfile.mkdtemp(prefix="scalingplan-test-config-"), "none.toml")

# Deterministic CLI output: no colour, no terminal detection, a fixed width.
os.environ.setdefault("_TYPER_FORCE_DISABLE_TERMINAL", "1")
os.environ.setdefault("TERMINAL_WIDTH", "200")
os.environ.setdefault("COLUMNS", "200")
os.environ["NO_COLOR"] = "1"

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

# Timing limits per example would make property tests flaky on a busy 2-core CI machine.
settings.register_profile("scalingplan", deadline=None)
settings.load_profile("scalingplan")


@pytest.fixture(scope="session")
def cli():
    """Run the full `scalingplan` app in-process: cli("allocate", "--flops", "1e21")."""
    from scalingplan.cli.app import build_app

    app = build_app()
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    return invoke
