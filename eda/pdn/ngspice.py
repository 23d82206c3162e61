"""Cross-check against ngspice: run a :class:`PdnNetlist` through ``ngspice -b`` and read the results.

Used by the test suite (marker ``ngspice``) to show that the static and transient solvers agree with an
independent SPICE engine. Results come back through an ASCII rawfile written by a ``.control`` block.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from eda.errors import DataError, UserError
from eda.pdn.netlist import PdnNetlist, write_netlist

__all__ = ["ngspice_available", "run_ngspice_op", "run_ngspice_tran", "read_ascii_raw"]


def ngspice_available() -> bool:
    """True when an ``ngspice`` executable is on PATH."""
    return shutil.which("ngspice") is not None


def read_ascii_raw(path: str | Path) -> dict[str, np.ndarray]:
    """Vectors of an ASCII SPICE rawfile: name (lower case, ``v(x)`` -> ``x``) -> values per point."""
    lines = Path(path).read_text().splitlines()
    nvars = npts = 0
    names: list[str] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("No. Variables:"):
            nvars = int(ln.split(":")[1])
        elif ln.startswith("No. Points:"):
            npts = int(ln.split(":")[1])
        elif ln.startswith("Variables:"):
            for k in range(nvars):
                parts = lines[i + 1 + k].split()
                name = parts[1].lower()
                if name.startswith("v(") and name.endswith(")"):
                    name = name[2:-1]
                names.append(name)
            i += nvars
        elif ln.startswith("Values:"):
            tokens = " ".join(lines[i + 1 :]).split()
            break
        i += 1
    else:
        raise DataError(f"no values in rawfile {path}")
    vals = np.zeros((npts, nvars))
    pos = 0
    for p in range(npts):
        pos += 1  # point index
        for k in range(nvars):
            vals[p, k] = float(tokens[pos].split(",")[0])
            pos += 1
    return {name: vals[:, k] for k, name in enumerate(names)}


def _run(net: PdnNetlist, control: str, workdir: Path, timeout: float) -> dict[str, np.ndarray]:
    if not ngspice_available():
        raise UserError("ngspice is not installed", hint="apt-get install -y ngspice")
    deck = workdir / "deck.sp"
    write_netlist(
        net,
        deck,
        analysis=".options reltol=1e-7 abstol=1e-15 vntol=1e-10 gmin=1e-15\n"
        f".control\nset filetype=ascii\n{control}\nwrite {workdir / 'out.raw'} all\n.endc",
    )
    proc = subprocess.run(
        ["ngspice", "-b", str(deck)], capture_output=True, text=True, timeout=timeout, cwd=workdir
    )
    raw = workdir / "out.raw"
    # batch mode with a .control block exits 1 ("no .print lines") even on success: trust the rawfile
    if not raw.exists():
        raise DataError(
            f"ngspice failed (exit {proc.returncode}): {proc.stderr[-2000:] or proc.stdout[-2000:]}"
        )
    return read_ascii_raw(raw)


def run_ngspice_op(net: PdnNetlist, *, timeout: float = 120.0) -> dict[str, float]:
    """DC operating point: node name -> voltage (V)."""
    with tempfile.TemporaryDirectory(prefix="eda-ngspice-") as tmp:
        vecs = _run(net, "op", Path(tmp), timeout)
    return {k: float(v[0]) for k, v in vecs.items()}


def run_ngspice_tran(
    net: PdnNetlist,
    stop: float,
    step: float,
    *,
    timeout: float = 300.0,
) -> dict[str, np.ndarray]:
    """Transient (ngspice's own trapezoidal integration, max step ``step``): ``time`` plus node voltages."""
    with tempfile.TemporaryDirectory(prefix="eda-ngspice-") as tmp:
        return _run(net, f"tran {step:.6g} {stop:.6g} 0 {step:.6g}", Path(tmp), timeout)
