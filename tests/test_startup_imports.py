"""`allocate --json` with a warm parse cache imports neither PyYAML nor rich (nor numpy, scipy or
OpenSSL's hashlib): the start-up budget of benchmarks/bench_startup.py."""

import json
import os
import subprocess
import sys

HEAVY = ("yaml", "rich", "numpy", "scipy", "matplotlib", "hashlib", "_hashlib")


def test_allocate_json_imports_nothing_heavy(tmp_path):
    code = ("import sys; sys.argv = ['scalingplan', 'allocate', '--flops', '5.8e23', '--json']\n"
            "from scalingplan.cli.app import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)  # fills the cache
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert json.loads(result.stdout)["allocations"]
    assert result.stderr.strip().splitlines()[-1] == "[]"
