"""PDN solver benchmark: parse time, static solve time and peak memory per backend next to
``scipy.sparse.linalg.spsolve`` in the same run, and transient cost per step.

Generated BeGAN-style grids (``eda.pdn.generate``, bump pads every 100 µm, five layers) from 1e4 to 2e6
nodes. For every size the netlist is written as SPICE and parsed (timed); each backend then runs in its
own subprocess so its peak memory (``ru_maxrss`` increase over the loaded netlist) is measured cleanly,
with a time limit: a backend that exceeds it is reported as ``skipped (>Ns)``. Peak memory is the
increase of the process's resident memory during the solve (sampled every 20 ms), so it includes the
C allocations of SuperLU/CHOLMOD.

Usage::

    python benchmarks/pdn_solve.py                      # full table (1e4 .. 2e6)
    python benchmarks/pdn_solve.py --sizes 1e4,1e5      # quick
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BACKENDS = ["auto", "cholmod", "splu", "amg", "cg", "spsolve"]


class PeakRss:
    """Peak resident memory of this process while the block runs (sampled every 20 ms from /proc).

    Counts C allocations (SuperLU, CHOLMOD) that ``tracemalloc`` would miss; reports the increase over
    the RSS at entry, in MB.
    """

    def __enter__(self) -> PeakRss:
        import threading

        self._page = os.sysconf("SC_PAGE_SIZE") / 1e6
        self.base = self._rss()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _rss(self) -> float:
        try:
            return int(Path("/proc/self/statm").read_text().split()[1]) * self._page
        except OSError:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def mb(self) -> float:
        return max(self.peak - self.base, 0.0)


def child_static(npz: str, backend: str) -> dict:
    from eda.pdn.netlist import load_npz
    from eda.pdn.static import solve_static

    net = load_npz(npz)
    with PeakRss() as mem:
        t0 = time.perf_counter()
        res = solve_static(net, backend=backend)
        wall = time.perf_counter() - t0
    return {
        "solve_s": wall,
        "peak_mb": mem.mb,
        "worst_mv": res.worst_drop * 1e3,
        "backend": res.info.backend,
        "iterations": res.info.iterations,
        "residual": res.info.residual,
    }


def child_transient(nodes: int, steps: int) -> dict:
    from eda.pdn.generate import generate_pdn, spec_for_nodes
    from eda.pdn.transient import TransientStepper

    net = generate_pdn(
        spec_for_nodes(nodes, seed=11, waveform="pwl", package_r_ohm=0.02, package_l_h=20e-12, cycles=1)
    ).netlist
    with PeakRss() as mem:
        t0 = time.perf_counter()
        st = TransientStepper(net, 10e-12, method="trap")
        v, il, ic = st.initial_state()
        setup = time.perf_counter() - t0
        t1 = time.perf_counter()
        for k in range(1, steps + 1):
            v, il, ic = st.step(k * 10e-12, v, il, ic)
        per_step = (time.perf_counter() - t1) / steps
    return {
        "nodes": net.n_nodes,
        "setup_s": setup,
        "step_s": per_step,
        "peak_mb": mem.mb,
        "backend": st.factor.backend,
        "core": st.factor.core_size,
    }


def run_child(args: list[str], timeout: float) -> dict | None:
    cmd = [sys.executable, __file__, "--child", *args]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as exc:
        return {"error": exc.stderr.strip().splitlines()[-1] if exc.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def fmt_size(n: float) -> str:
    return f"{n:.0e}".replace("e+0", "e")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e4,1e5,1e6,2e6", help="node counts, comma separated")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds per backend run")
    ap.add_argument("--transient", default="1e5,1e6", help="sizes for the transient step cost ('' to skip)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind = a.child[0]
        out = (
            child_static(a.child[1], a.child[2])
            if kind == "static"
            else child_transient(int(a.child[1]), int(a.child[2]))
        )
        print(json.dumps(out))
        return

    from eda.pdn.generate import generate_pdn, spec_for_nodes
    from eda.pdn.linsolve import has_cholmod
    from eda.pdn.netlist import read_netlist, save_npz, write_netlist

    backends = [b for b in a.backends.split(",") if b and (b != "cholmod" or has_cholmod())]
    sizes = [int(float(s)) for s in a.sizes.split(",") if s]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# PDN static solve benchmark  (machine: {os.cpu_count()} cores, load average {load}; cholmod "
        f"{'available' if has_cholmod() else 'not installed'}; time limit {a.timeout:.0f} s per run)"
    )
    print()
    print("| nodes | resistors | file MB | parse s | backend | solve s | peak MB | vs spsolve | worst mV |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="pdn-bench-") as tmp:
        for n in sizes:
            net = generate_pdn(spec_for_nodes(n, seed=1)).netlist
            sp_path = Path(tmp) / f"grid{n}.sp"
            write_netlist(net, sp_path)
            del net
            t0 = time.perf_counter()
            parsed = read_netlist(sp_path)
            parse_s = time.perf_counter() - t0
            mb = sp_path.stat().st_size / 1e6
            npz = save_npz(parsed, Path(tmp) / f"grid{n}.npz")
            nn, nr = parsed.n_nodes, len(parsed.r_a)
            del parsed
            sp_path.unlink()
            results: dict[str, dict | None] = {}
            for be in backends:
                results[be] = run_child(["static", str(npz), be], a.timeout)
            ref = results.get("spsolve")
            ref_s = ref.get("solve_s") if ref and "solve_s" in ref else None
            for be in backends:
                r = results[be]
                name = be if not r or "backend" not in r or r["backend"] == be else f"{be} ({r['backend']})"
                if r is None:
                    print(
                        f"| {nn} | {nr} | {mb:.1f} | {parse_s:.2f} | {name} | skipped (>{a.timeout:.0f}s) | | | |"
                    )
                    continue
                if "error" in r:
                    print(
                        f"| {nn} | {nr} | {mb:.1f} | {parse_s:.2f} | {name} | error: {r['error'][:60]} | | | |"
                    )
                    continue
                speed = (
                    f"{ref_s / r['solve_s']:.1f}x"
                    if ref_s
                    else ("n/a" if be == "spsolve" else "spsolve skipped")
                )
                if be == "spsolve":
                    speed = "1.0x"
                print(
                    f"| {nn} | {nr} | {mb:.1f} | {parse_s:.2f} | {name} | {r['solve_s']:.2f} | "
                    f"{r['peak_mb']:.0f} | {speed} | {r['worst_mv']:.4f} |",
                    flush=True,
                )
            Path(npz).unlink()
    if a.transient:
        print()
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"# Transient (trapezoidal, h = 10 ps, package R-L, decaps, PWL activity), mean of {a.steps} steps"
            f" (load average {load})"
        )
        print()
        print("| nodes | backend | core unknowns | setup s (factor + DC op) | s / step | peak MB |")
        print("|---|---|---|---|---|---|")
        for s in a.transient.split(","):
            r = run_child(["transient", str(int(float(s))), str(a.steps)], a.timeout * 2)
            if r is None:
                print(f"| {fmt_size(float(s))} | skipped (>{2 * a.timeout:.0f}s) | | | | |")
            elif "error" in r:
                print(f"| {fmt_size(float(s))} | error: {r['error'][:60]} | | | | |")
            else:
                print(
                    f"| {r['nodes']} | {r['backend']} | {r['core']} | {r['setup_s']:.2f} | {r['step_s']:.3f} | "
                    f"{r['peak_mb']:.0f} |",
                    flush=True,
                )
    np.set_printoptions()


if __name__ == "__main__":
    main()
