"""Which deck a DRC or LVS check runs, and running it into the report files.

Two decks check the same layout: the project's own Python deck (:mod:`eda.signoff.drc`,
:mod:`eda.signoff.lvs`: fast, rules from ``tech.yaml``) and a foundry KLayout runset
(:mod:`eda.signoff.foundry`: the sign-off authority). The choice, ``deck``, is the same on the command line
(``--deck``) and on the ``signoff.drc`` / ``signoff.lvs`` steps:

* ``"own"`` — the project's deck;
* ``"foundry"`` — the SKY130 runset found by :func:`eda.signoff.foundry.find_deck` (``$PDK_ROOT``, then
  ``$EDA_SKY130_DECKS`` or ``../shared/pdk/sky130``); none found is an error (exit code 2);
* a path — that runset file (relative paths against ``base``);
* not given — the runset of an installed PDK under ``$PDK_ROOT`` when there is one, else the project's
  deck. The shared decks are never picked by default, and neither is a runset when an option only the
  own deck understands (``--tech``, ``--flat``, ``--subckt``, a cell library) was given.
"""

from __future__ import annotations

from pathlib import Path

from eda.errors import UserError
from eda.signoff.drc import DrcReport
from eda.signoff.foundry import Check, find_deck, pdk_deck
from eda.signoff.lvs import LvsReport
from eda.tech import Tech

__all__ = ["OWN", "FOUNDRY", "choose_runset", "deck_label", "drc_with_deck", "lvs_with_deck"]

OWN = "own"
FOUNDRY = "foundry"


def choose_runset(
    check: Check, deck: str | Path | None, *, base: Path | None = None, own_options: list[str] | None = None
) -> Path | None:
    """The runset ``check`` runs for the choice ``deck``, or ``None`` for the project's own deck.

    ``own_options`` names the options given that only the own deck understands: they make the default the
    own deck, and with ``foundry`` or a runset path they are a :class:`~eda.errors.UserError` (exit 2).
    """
    own_options = own_options or []
    if deck is None:
        return None if own_options else pdk_deck(check)
    if str(deck) == OWN:
        return None
    if own_options:
        raise UserError(
            f"{', '.join(own_options)} only appl{'ies' if len(own_options) == 1 else 'y'} to the "
            f"project's own deck, but the deck is '{deck}'",
            where="deck",
            hint=f"drop {', '.join(own_options)}, or choose the own deck (deck: {OWN})",
        )
    if str(deck) == FOUNDRY:
        return find_deck(check)
    path = Path(deck).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    return find_deck(check, path)


def deck_label(runset: Path | None) -> str:
    """A short name of the deck that ran, for metrics: ``own`` or the runset's file name."""
    return OWN if runset is None else runset.name


def drc_with_deck(
    gds: Path,
    runset: Path | None,
    out_dir: Path,
    stem: str,
    *,
    tech: Tech | str | Path | None = None,
    top: str | None = None,
    deep: bool = True,
) -> DrcReport:
    """DRC of ``gds`` with the own deck (``runset`` None; rules from ``tech``) or ``runset``.

    Writes ``<stem>.json``, ``<stem>.txt`` and the marker database ``<stem>.lyrdb`` (with a runset also
    klayout's log ``<stem>.log``) into ``out_dir``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    if runset is None:
        from eda.signoff.drc import run_drc

        report = run_drc(gds, tech, top=top, deep=deep, rdb_path=out_dir / f"{stem}.lyrdb")
    else:
        from eda.signoff.foundry import run_foundry_drc

        report = run_foundry_drc(gds, runset, out_dir=out_dir, stem=stem, top=top)
    report.write(out_dir, stem)
    return report


def lvs_with_deck(
    gds: Path,
    netlist: Path,
    runset: Path | None,
    out_dir: Path,
    stem: str,
    *,
    tech: Tech | str | Path | None = None,
    subckt: str | None = None,
) -> LvsReport:
    """LVS of ``gds`` against ``netlist`` with the own deck (``runset`` None) or ``runset``.

    Writes ``<stem>.json`` and ``<stem>.txt`` into ``out_dir``; with a runset also the LVS database
    ``<stem>.lvsdb``, the extracted netlist ``<stem>.extracted.cir`` and klayout's log ``<stem>.log``.
    """
    if runset is None:
        from eda.signoff.lvs import run_lvs

        report = run_lvs(gds, netlist, tech, subckt=subckt)
    else:
        from eda.signoff.foundry import run_foundry_lvs

        report = run_foundry_lvs(gds, netlist, runset, out_dir=out_dir, stem=stem)
    report.write(out_dir, stem)
    return report
