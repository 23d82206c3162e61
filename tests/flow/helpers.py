"""Helpers for flow-engine tests."""

from __future__ import annotations


def run_cli(*args: str) -> tuple[int, str]:
    """Run ``eda`` in-process; returns (exit code, stderr+stdout text)."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from eda.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue() + err.getvalue()
