"""Assertions shared by the CLI tests."""


def assert_one_line_error(result, *fragments):
    """Exit code 2, exactly one line on stderr containing every fragment, and no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def write_runs_csv(path, params, tokens, loss):
    """A runs file for `fit` with the common column names, at full precision."""
    rows = "".join(f"{n:.17g},{d:.17g},{l:.17g}\n" for n, d, l in zip(params, tokens, loss))
    path.write_text("params,tokens,loss\n" + rows)
    return path
