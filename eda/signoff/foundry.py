"""Running a foundry's KLayout Ruby runset (DRC or LVS) with the ``klayout`` program.

The SKY130 sign-off decks (``sky130A_mr.drc``, ``sky130.lvs``) are KLayout Ruby DSL scripts: they run in
the ``klayout`` program in batch mode (``klayout -b -r RUNSET -rd key=value ...``, Debian package
``klayout``), not in the ``klayout`` Python module from PyPI, which has no Ruby interpreter. This module

* finds the program (``PATH``) and the decks (an explicit path; ``$PDK_ROOT/sky130A/libs.tech/klayout``;
  ``$EDA_SKY130_DECKS``, by default ``../shared/pdk/sky130`` beside the checkout);
* runs a runset with ``QT_QPA_PLATFORM=offscreen`` and absolute paths (the decks resolve relative paths
  against the layout's directory), keeping klayout's log next to the reports;
* turns the results into the project's own report types (:class:`~eda.signoff.drc.DrcReport`,
  :class:`~eda.signoff.lvs.LvsReport`) through :mod:`eda.signoff.foundry_results`, so the CLI output, JSON
  and exit codes are the same whichever deck ran.

A missing program or deck, and a runset that fails (crash, Ruby error, unreadable layout) raise
:class:`~eda.errors.UserError` subclasses (exit code 2) naming what to install or fix, with the tail of
klayout's log.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from eda.errors import DataError, UserError
from eda.signoff.drc import DrcReport
from eda.signoff.lvs import LvsReport

__all__ = [
    "Check",
    "DECK_FILES",
    "PDK_DECKS",
    "KLAYOUT_INSTALL_HINT",
    "ToolMissingError",
    "FoundryRunError",
    "klayout_program",
    "shared_decks_dir",
    "pdk_deck",
    "find_deck",
    "run_runset",
    "run_foundry_drc",
    "run_foundry_lvs",
]

#: which sign-off check a runset implements
Check = Literal["drc", "lvs"]

#: file name of each SKY130 runset (in ``$EDA_SKY130_DECKS`` and in a directory given as ``deck``)
DECK_FILES: dict[str, str] = {"drc": "sky130A_mr.drc", "lvs": "sky130.lvs"}
#: where an installed PDK (open_pdks / volare) keeps each runset, relative to ``$PDK_ROOT``
PDK_DECKS: dict[str, str] = {
    "drc": "sky130A/libs.tech/klayout/drc/sky130A_mr.drc",
    "lvs": "sky130A/libs.tech/klayout/lvs/sky130.lvs",
}

KLAYOUT_INSTALL_HINT = (
    "install the KLayout program: `apt-get install klayout` (Debian/Ubuntu package; "
    "`make test` does it when run as root) or a build from klayout.de, and put it on PATH. "
    "The `klayout` module from PyPI has no Ruby interpreter and cannot run the decks"
)

#: options of the SKY130 LVS runset as the shared decks' README runs it (device parameters in microns,
#: named nets in the extracted netlist, no pruning of the netlists before the comparison)
LVS_OPTIONS: dict[str, str] = {
    "run_mode": "deep",
    "spice_net_names": "true",
    "spice_comments": "false",
    "scale": "false",
    "verbose": "false",
    "schematic_simplify": "false",
    "net_only": "false",
    "top_lvl_pins": "false",
    "combine": "false",
    "purge": "false",
    "purge_nets": "false",
}
_MATCH, _NO_MATCH = "Netlists match", "Netlists don't match"
_LOG_TAIL_LINES = 25


class ToolMissingError(UserError):
    """The ``klayout`` program is not installed (exit code 2)."""


class FoundryRunError(UserError):
    """A runset did not finish (klayout crashed, a Ruby error in the deck, an unreadable input): exit 2."""


def klayout_program() -> Path:
    """The ``klayout`` executable on ``PATH``; raises :class:`ToolMissingError` saying how to install it."""
    found = shutil.which("klayout")
    if found is None:
        raise ToolMissingError(
            "the `klayout` program is not on PATH; the foundry decks need it", hint=KLAYOUT_INSTALL_HINT
        )
    return Path(found)


def shared_decks_dir() -> Path | None:
    """The directory of shared SKY130 decks, or ``None`` when there is none.

    Order (as :func:`eda.data.data_dir` finds ``EDA_DATA``): the ``EDA_SKY130_DECKS`` environment variable;
    ``../shared/pdk/sky130`` next to the checkout; ``../shared/pdk/sky130`` relative to the current directory.
    """
    from eda.data import repo_root

    env = os.environ.get("EDA_SKY130_DECKS")
    if env:
        path = Path(env).expanduser()
        return path.resolve() if path.is_dir() else None
    for base in (repo_root(), Path.cwd()):
        candidate = base.parent / "shared" / "pdk" / "sky130"
        if candidate.is_dir():
            return candidate.resolve()
    return None


def pdk_deck(check: Check) -> Path | None:
    """The ``check`` runset of an installed PDK (``$PDK_ROOT/sky130A/libs.tech/klayout/...``), if present."""
    root = os.environ.get("PDK_ROOT")
    if not root:
        return None
    path = Path(root).expanduser() / PDK_DECKS[check]
    return path.resolve() if path.is_file() else None


def _candidates(check: Check) -> list[str]:
    root = os.environ.get("PDK_ROOT")
    pdk = (
        str(Path(root).expanduser() / PDK_DECKS[check])
        if root
        else f"$PDK_ROOT/{PDK_DECKS[check]} (PDK_ROOT unset)"
    )
    env = os.environ.get("EDA_SKY130_DECKS")
    if env:
        shared = str(Path(env).expanduser() / DECK_FILES[check])
    else:
        from eda.data import repo_root

        shared = (
            f"{repo_root().parent / 'shared' / 'pdk' / 'sky130' / DECK_FILES[check]} (EDA_SKY130_DECKS unset)"
        )
    return [pdk, shared]


def find_deck(check: Check, path: str | Path | None = None) -> Path:
    """The runset for ``check``: ``path`` (a runset file, or a directory holding ``DECK_FILES[check]``);
    else the installed PDK's (:func:`pdk_deck`); else the shared decks' (:func:`shared_decks_dir`).

    Raises :class:`~eda.errors.DataError` (exit code 2) saying where it looked and how to provide one.
    """
    if path is not None:
        given = Path(path).expanduser()
        runset = given / DECK_FILES[check] if given.is_dir() else given
        if not runset.is_file():
            raise DataError(
                f"KLayout {check.upper()} runset not found: {runset}",
                hint=f"give the path of a runset file (the SKY130 one is named {DECK_FILES[check]}), "
                "or `own` for the project's deck, or `foundry` to look it up",
            )
        return runset.resolve()
    found = pdk_deck(check)
    if found is not None:
        return found
    shared = shared_decks_dir()
    if shared is not None and (shared / DECK_FILES[check]).is_file():
        return (shared / DECK_FILES[check]).resolve()
    looked = "; ".join(_candidates(check))
    raise DataError(
        f"no SKY130 {check.upper()} runset found (looked in: {looked})",
        hint="set PDK_ROOT to an installed SKY130 PDK (open_pdks/volare), or EDA_SKY130_DECKS to a "
        f"directory holding {DECK_FILES[check]}, or pass the runset's path as the deck",
    )


def _log_tail(log: Path, lines: int = _LOG_TAIL_LINES) -> str:
    text = log.read_text(errors="replace").splitlines() if log.is_file() else []
    return "\n    ".join(text[-lines:]) if text else "(klayout wrote no output)"


def run_runset(
    runset: Path, options: dict[str, str], log: Path, *, timeout_s: float | None = None
) -> tuple[int, str]:
    """Run ``klayout -b -r RUNSET -rd key=value ...`` (headless); stdout and stderr go to ``log``.

    Returns ``(exit status, log text)``. Raises :class:`ToolMissingError` without the program and
    :class:`FoundryRunError` when it cannot be started or runs longer than ``timeout_s`` seconds.
    """
    command = [str(klayout_program()), "-b", "-r", str(runset)]
    for key, value in options.items():
        command += ["-rd", f"{key}={value}"]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        with log.open("w") as sink:
            done = subprocess.run(
                command,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
                timeout=timeout_s,
                check=False,
                stdin=subprocess.DEVNULL,
            )
    except subprocess.TimeoutExpired:
        raise FoundryRunError(
            f"klayout ran longer than {timeout_s} s on {runset.name}",
            where=str(log),
            hint=f"last lines of its log:\n    {_log_tail(log)}",
        ) from None
    except OSError as exc:
        raise FoundryRunError(
            f"cannot start klayout: {exc.strerror or exc}", where=command[0], hint=KLAYOUT_INSTALL_HINT
        ) from None
    return done.returncode, log.read_text(errors="replace")


def _engine_failed(runset: Path, log: Path, status: int, what: str = "") -> FoundryRunError:
    detail = f"exit status {status}" + (f"; {what}" if what else "")
    return FoundryRunError(
        f"klayout did not finish the runset {runset.name} ({detail})",
        where=str(log),
        hint=f"last lines of klayout's log:\n    {_log_tail(log)}",
    )


def _threads(threads: int | None) -> int:
    if threads:
        return max(1, threads)
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _check_layout(gds: Path) -> Path:
    """``gds`` as an absolute path; a missing, non-GDS or truncated file is a :class:`~eda.errors.DataError`
    (exit 2) before klayout starts."""
    from eda.signoff.gdsfile import check_gds

    return check_gds(gds).resolve()


@contextmanager
def _out_dir(out_dir: str | Path | None) -> Iterator[Path]:
    if out_dir is not None:
        path = Path(out_dir)
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="eda-foundry-") as tmp:
        yield Path(tmp)


def run_foundry_drc(
    gds: str | Path,
    deck: str | Path | None = None,
    *,
    out_dir: str | Path | None = None,
    stem: str = "drc",
    top: str | None = None,
    threads: int | None = None,
    max_markers: int = 200,
    timeout_s: float | None = None,
) -> DrcReport:
    """Check ``gds`` with a KLayout DRC runset (FEOL, BEOL and off-grid rules enabled).

    ``deck`` is a runset path (default: :func:`find_deck`). Writes ``<stem>.lyrdb`` (the marker database)
    and ``<stem>.log`` (klayout's output) into ``out_dir`` (default: a temporary directory, removed after).
    The report lists at most ``max_markers`` markers (boxes in µm, top-cell coordinates); ``counts`` holds
    every rule of the runset.
    """
    from eda.signoff.foundry_results import drc_report

    start = time.perf_counter()
    layout = _check_layout(Path(gds))
    runset = find_deck("drc", deck)
    with _out_dir(out_dir) as out:
        rdb, log = (out / f"{stem}.lyrdb").resolve(), (out / f"{stem}.log").resolve()
        rdb.unlink(missing_ok=True)
        options = {
            "input": str(layout),
            "report": str(rdb),
            "feol": "true",
            "beol": "true",
            "offgrid": "true",
            "thr": str(_threads(threads)),
        }
        if top:
            options["top_cell"] = top
        status, _ = run_runset(runset, options, log, timeout_s=timeout_s)
        if status != 0 or not rdb.is_file():
            raise _engine_failed(runset, log, status, "it wrote no marker database" if status == 0 else "")
        return drc_report(
            rdb, gds=str(gds), runset=runset, max_markers=max_markers, seconds=time.perf_counter() - start
        )


def run_foundry_lvs(
    gds: str | Path,
    netlist: str | Path,
    deck: str | Path | None = None,
    *,
    out_dir: str | Path | None = None,
    stem: str = "lvs",
    top: str | None = None,
    threads: int | None = None,
    timeout_s: float | None = None,
) -> LvsReport:
    """Compare ``gds`` with the SPICE/CDL ``netlist`` using a KLayout LVS runset.

    ``deck`` is a runset path (default: :func:`find_deck`). Match is decided from klayout's exit status
    and its log (``Netlists match`` / ``Netlists don't match``); mismatching circuits, nets, pins and
    devices are read by name from the LVS database. Writes ``<stem>.lvsdb`` (the cross-reference for
    KLayout's netlist browser), ``<stem>.extracted.cir`` (the extracted netlist) and ``<stem>.log`` into
    ``out_dir`` (default: a temporary directory, removed after).
    """
    from eda.signoff.foundry_results import lvs_report

    start = time.perf_counter()
    layout = _check_layout(Path(gds))
    schematic = Path(netlist)
    if not schematic.is_file():
        raise DataError(f"netlist file not found: {schematic}")
    runset = find_deck("lvs", deck)
    with _out_dir(out_dir) as out:
        lvsdb, log = (out / f"{stem}.lvsdb").resolve(), (out / f"{stem}.log").resolve()
        extracted = (out / f"{stem}.extracted.cir").resolve()
        for stale in (lvsdb, extracted):
            stale.unlink(missing_ok=True)
        options = {
            "input": str(layout),
            "schematic": str(schematic.resolve()),
            "report": str(lvsdb),
            "target_netlist": str(extracted),
            "thr": str(_threads(threads)),
            **LVS_OPTIONS,
        }
        if top:
            options["top_cell"] = top
        status, text = run_runset(runset, options, log, timeout_s=timeout_s)
        if status == 0 and _MATCH in text and _NO_MATCH not in text:
            match = True
        elif status != 0 and _NO_MATCH in text:
            match = False
        else:
            raise _engine_failed(runset, log, status, "no LVS verdict in its log")
        if not lvsdb.is_file():
            raise _engine_failed(runset, log, status, "it wrote no LVS database")
        return lvs_report(
            lvsdb,
            gds=str(gds),
            netlist=str(netlist),
            runset=runset,
            match=match,
            seconds=time.perf_counter() - start,
        )
