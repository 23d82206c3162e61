"""Run ngspice on the project's netlists with real SKY130 device models at a corner, supply and temperature.

A :class:`Deck` collects netlist lines (subcircuits as the library and the generator write them, or
netlists extracted by the foundry LVS deck) and stimulus; :meth:`Deck.text` maps every device onto the
simulator's models (:mod:`eda.acim.devicemodels`: only the model bins the deck uses) and adds the operating
conditions (``.temp``, a ``vdd`` parameter). :func:`simulate` runs ``ngspice -b`` in a temporary directory
and returns the ``wrdata`` tables it wrote and the ``.meas`` results it printed.

Errors are :class:`~eda.errors.UserError` subclasses (exit code 2): no ngspice
(:class:`NgspiceMissingError`, says how to install it), no models
(:class:`~eda.acim.devicemodels.ModelsMissingError`), a deck ngspice rejects or that does not converge
(:class:`SimulationError`, with the tail of ngspice's output).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from eda.acim.devicemodels import DeviceModels, find_models
from eda.errors import UserError

__all__ = [
    "Conditions",
    "Deck",
    "NgspiceMissingError",
    "SimulationError",
    "SimResult",
    "simulate",
    "ngspice_available",
    "require_simulator",
    "NGSPICE_HINT",
]

NGSPICE_HINT = "install ngspice: `apt-get install -y ngspice` (what `make test` does when run as root)"
_MEAS_RE = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*=\s*([-+0-9.eE]+)", re.IGNORECASE | re.MULTILINE)


class NgspiceMissingError(UserError):
    """The ``ngspice`` program is not installed (exit code 2)."""


class SimulationError(UserError):
    """ngspice rejected a deck or did not finish it (exit code 2)."""


def ngspice_available() -> bool:
    """True when an ``ngspice`` executable is on PATH."""
    return shutil.which("ngspice") is not None


@dataclass(frozen=True)
class Conditions:
    """Operating conditions: process ``corner``, supply ``vdd_V`` (V), ``temperature_C`` (°C)."""

    corner: str = "tt"
    vdd_V: float = 1.8
    temperature_C: float = 27.0

    @property
    def temperature_K(self) -> float:
        """Temperature in kelvin."""
        return self.temperature_C + 273.15

    def label(self) -> str:
        """``tt_1.80V_27C``."""
        return f"{self.corner}_{self.vdd_V:.2f}V_{self.temperature_C:g}C"


@dataclass
class Deck:
    """A simulation deck: netlist ``lines`` (devices in the project's naming) and a ``.control`` block."""

    title: str
    conditions: Conditions = field(default_factory=Conditions)
    lines: list[str] = field(default_factory=list)
    control: list[str] = field(default_factory=list)
    options: str = ".options method=gear reltol=1e-3 abstol=1e-13 vntol=1e-6"

    def add(self, *lines: str) -> Deck:
        """Append netlist lines (a multi-line string is split)."""
        for line in lines:
            self.lines.extend(line.splitlines())
        return self

    def text(self, models: DeviceModels | None = None) -> str:
        """The deck as ngspice reads it, with the model cards of the devices it uses."""
        models = models or find_models(self.conditions.corner)
        body, used = [], set()
        for line in self.lines:
            mapped, device = models.device_line(line)
            body.append(mapped)
            if device is not None:
                used.add(device)
        c = self.conditions
        head = [f"* {self.title}", f".temp {c.temperature_C:g}", f".param vdd={c.vdd_V:g}", self.options]
        return (
            "\n".join(
                [
                    *head,
                    models.model_cards(used).rstrip(),
                    *body,
                    ".control",
                    *self.control,
                    "quit",
                    ".endc",
                    ".end",
                ]
            )
            + "\n"
        )


@dataclass
class SimResult:
    """What one ngspice run produced: ``tables`` (file name -> array) and ``measures`` (name -> value)."""

    tables: dict[str, np.ndarray]
    measures: dict[str, float]
    log: str

    def table(self, name: str) -> np.ndarray:
        """The ``wrdata`` table ``name``: column 0 the sweep/time, then one column per vector (the decks
        ``set wr_singlescale``)."""
        return self.tables[name]


def require_simulator(corner: str = "tt") -> DeviceModels:
    """Check up front that ngspice and the SkyWater models of ``corner`` are installed (before minutes of
    layout work); returns the models. Raises :class:`NgspiceMissingError` or
    :class:`~eda.acim.devicemodels.ModelsMissingError` (both exit code 2, with the install command)."""
    models = find_models(corner)
    if not ngspice_available():
        raise NgspiceMissingError(
            "the `ngspice` program is not on PATH; the circuit simulations need it", hint=NGSPICE_HINT
        )
    return models


def simulate(
    deck: Deck,
    *,
    outputs: tuple[str, ...] = (),
    models: DeviceModels | None = None,
    timeout_s: float = 600.0,
    keep: str | Path | None = None,
) -> SimResult:
    """Run ``deck`` in batch mode; ``outputs`` are the ``wrdata`` file names its control block writes.

    ``keep`` (a directory) receives a copy of the deck and the log. Raises :class:`NgspiceMissingError`,
    :class:`SimulationError` (a failed run, a missing output, or a ``.meas`` that failed).
    """
    program = shutil.which("ngspice")
    if program is None:
        raise NgspiceMissingError(
            "the `ngspice` program is not on PATH; the circuit simulations need it", hint=NGSPICE_HINT
        )
    text = deck.text(models)
    with tempfile.TemporaryDirectory(prefix="eda-ngspice-") as tmp:
        path = Path(tmp) / "deck.cir"
        path.write_text(text)
        try:
            proc = subprocess.run(
                [program, "-b", str(path)],
                capture_output=True,
                text=True,
                cwd=tmp,
                timeout=timeout_s,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise SimulationError(
                f"ngspice ran longer than {timeout_s:g} s on '{deck.title}'",
                hint="shorten the transient or simulate fewer vectors",
            ) from None
        log = proc.stdout + proc.stderr
        if keep is not None:
            keep_dir = Path(keep)
            keep_dir.mkdir(parents=True, exist_ok=True)
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", deck.title)[:60]
            (keep_dir / f"{stem}.cir").write_text(text)
            (keep_dir / f"{stem}.log").write_text(log)
        tables = {}
        for name in outputs:
            out = Path(tmp) / name
            if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
                raise SimulationError(
                    f"ngspice did not finish '{deck.title}' (exit {proc.returncode}, no {name})",
                    hint="last lines of its output:\n    " + "\n    ".join(log.splitlines()[-15:]),
                )
            tables[name] = np.loadtxt(out, ndmin=2)
    if "failed" in log.lower() and re.search(r"meas\w*.*failed|failed.*meas", log, re.IGNORECASE):
        raise SimulationError(
            f"a measurement of '{deck.title}' failed",
            hint="last lines of its output:\n    " + "\n    ".join(log.splitlines()[-15:]),
        )
    measures = {m.group(1).lower(): float(m.group(2)) for m in _MEAS_RE.finditer(proc.stdout)}
    return SimResult(tables, measures, log)
