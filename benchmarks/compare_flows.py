"""Same flows, two revisions: do the shipped flows report the same metrics before and after a change?

Each revision is checked out into its own git worktree (``git worktree add --detach``) and every shipped flow
(``eda/share/flows/*.yaml`` present in both; the ``irdrop-train*`` flows are left out unless named: they
train networks for tens of minutes) runs there with ``eda run`` in a fresh runs directory, the revision's
own sources first on ``PYTHONPATH`` and its own package metadata (``eda.egg-info``, so a revision's
``eda.steps`` entry points are its own). The run-level ``metrics.json`` files are flattened
(``step.metric``) and compared:

- **same**: equal numbers (relative difference <= ``--rtol``, default 1e-9) or equal strings;
- **differ**: every other metric present on both sides, except wall-clock timings (names ending in ``_s``,
  ``_ms`` or ``_seconds``), which are counted apart and not compared;
- **only before / only after**: metrics one revision does not report.

Printed: one row per flow and the differing metrics with both values. The worktrees are removed at the
end (``--keep-worktrees`` leaves them); the runs stay under ``--workdir``. Both revisions run with this
interpreter's installed dependencies. Run::

    python benchmarks/compare_flows.py BEFORE AFTER [--flows quickstart pdn-static] [--jobs 2]

Exit status 0 when every compared flow ran on both sides, 1 otherwise (the table says which failed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TRAINING_PREFIX = "irdrop-train"
TIMING_SUFFIXES = ("_s", "_ms", "_seconds")


def checkout(rev: str, root: Path) -> Path:
    """A detached worktree of ``rev`` under ``root`` with its own ``eda.egg-info`` (entry points)."""
    sha = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", rev], check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = root / sha
    if not tree.exists():
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), sha],
            check=True,
            capture_output=True,
        )
        # The revision's package metadata, found before the installed one on PYTHONPATH: a built-in
        # step registered through an entry point is then the revision's, not the installed tree's.
        subprocess.run(
            [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "egg_info"],
            cwd=tree,
            check=True,
            capture_output=True,
        )
    return tree


def flows_dir(tree: Path) -> Path:
    """Where a revision keeps its shipped flows (``eda/share/flows``; ``flows/`` before they moved into the package)."""
    packaged = tree / "eda/share/flows"
    return packaged if packaged.is_dir() else tree / "flows"


def flatten(run_metrics: dict[str, Any]) -> dict[str, Any]:
    """``{"step.metric": value}`` from a run-level ``metrics.json``."""
    flat: dict[str, Any] = {}
    for step_id, step in run_metrics.get("steps", {}).items():
        for key, value in step.get("metrics", {}).items():
            flat[f"{step_id}.{key}"] = value
        flat[f"{step_id}.violations"] = step.get("violations")
    return flat


def run_flow(tree: Path, flow: str, runs: Path) -> tuple[dict[str, Any] | None, float, str]:
    """Run ``flow`` of the worktree ``tree``; its flattened metrics (None on failure), seconds, log tail."""
    env = dict(os.environ, PYTHONPATH=str(tree), MPLBACKEND="Agg")
    eda = Path(sys.executable).with_name("eda")
    start = time.perf_counter()
    proc = subprocess.run(
        [
            str(eda),
            "run",
            str(flows_dir(tree) / f"{flow}.yaml"),
            "--runs",
            str(runs),
            "--no-progress",
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    tail = (proc.stdout + proc.stderr)[-2000:]
    metrics_files = sorted((runs / flow).glob("2*/metrics.json"))
    if proc.returncode != 0 or not metrics_files:
        return None, seconds, tail
    return flatten(json.loads(metrics_files[-1].read_text())), seconds, tail


def same(a: Any, b: Any, rtol: float) -> bool:
    """Equal strings/bools, or numbers equal within ``rtol`` (NaN equals NaN)."""
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    if not numbers:
        return a == b
    return math.isclose(a, b, rel_tol=rtol) or (math.isnan(a) and math.isnan(b))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", help="git revision before the change")
    ap.add_argument("after", nargs="?", default="HEAD", help="git revision after the change (default HEAD)")
    ap.add_argument("--flows", nargs="*", default=None, help="flow names (default: all but irdrop-train*)")
    ap.add_argument("--rtol", type=float, default=1e-9, help="relative tolerance of equal numbers")
    ap.add_argument("--jobs", type=int, default=1, help="flows run at once")
    ap.add_argument("--workdir", type=Path, default=None, help="worktrees and runs (default: a temp dir)")
    ap.add_argument("--keep-worktrees", action="store_true", help="leave the two worktrees (runs are kept)")
    args = ap.parse_args(argv)

    root = args.workdir or Path(tempfile.mkdtemp(prefix="compare-flows-"))
    root.mkdir(parents=True, exist_ok=True)
    trees = {side: checkout(rev, root) for side, rev in (("before", args.before), ("after", args.after))}
    names = [{p.stem for p in flows_dir(trees[side]).glob("*.yaml")} for side in ("before", "after")]
    flows = args.flows or sorted(n for n in names[0] & names[1] if not n.startswith(TRAINING_PREFIX))
    print(f"before {args.before} ({trees['before'].name}), after {args.after} ({trees['after'].name})")
    print(f"not in both revisions: {sorted(names[0] ^ names[1]) or 'none'}; worktrees and runs in {root}\n")

    jobs = [(flow, side) for flow in flows for side in ("before", "after")]

    def job(item: tuple[str, str]) -> tuple[dict[str, Any] | None, float, str]:
        flow, side = item
        return run_flow(trees[side], flow, root / f"runs-{side}")

    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = dict(zip(jobs, pool.map(job, jobs), strict=True))
    finally:
        if not args.keep_worktrees:
            for tree in set(trees.values()):
                subprocess.run(
                    ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False
                )

    failed = False
    details: list[str] = []
    print(
        "| flow | before (s) | after (s) | metrics compared | same | differ | only before | only after | timings |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for flow in flows:
        (mb, sb, tb), (ma, sa, ta) = results[(flow, "before")], results[(flow, "after")]
        if mb is None or ma is None:
            failed = True
            which = " and ".join(s for s, m in (("before", mb), ("after", ma)) if m is None)
            print(f"| {flow} | {sb:.0f} | {sa:.0f} | failed {which} | | | | | |")
            details.append(f"### {flow}: failed {which}\n\n```\n{(tb if mb is None else ta)[-1200:]}\n```")
            continue
        both = sorted(k for k in mb.keys() & ma.keys() if not k.endswith(TIMING_SUFFIXES))
        timings = len([k for k in mb.keys() & ma.keys() if k.endswith(TIMING_SUFFIXES)])
        differ = [k for k in both if not same(mb[k], ma[k], args.rtol)]
        only_b, only_a = sorted(mb.keys() - ma.keys()), sorted(ma.keys() - mb.keys())
        print(
            f"| {flow} | {sb:.0f} | {sa:.0f} | {len(both)} | {len(both) - len(differ)} | {len(differ)} "
            f"| {len(only_b)} | {len(only_a)} | {timings} |"
        )
        lines = [f"- `{k}`: {mb[k]!r} -> {ma[k]!r}" for k in differ]
        lines += [f"- only before: `{k}` = {mb[k]!r}" for k in only_b]
        lines += [f"- only after: `{k}` = {ma[k]!r}" for k in only_a]
        if lines:
            details.append(f"### {flow}\n\n" + "\n".join(lines))
    if details:
        print("\n" + "\n\n".join(details))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
