"""Foundry sign-off: the SKY130 KLayout runsets through ``eda signoff drc|lvs --deck`` and the steps.

Tests marked ``pdk`` run the ``klayout`` program on the shared decks (about 2-3 s per run); the lookup and
error paths around them run everywhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import gdstk
import pytest

from eda.cli import main
from eda.signoff.foundry import DECK_FILES, PDK_DECKS, shared_decks_dir

CELL = "sky130_fd_sc_hd__clkinv_1"


@pytest.fixture(scope="module")
def reference() -> Path:
    decks = shared_decks_dir()
    if decks is None or not (decks / "reference" / f"{CELL}.gds").is_file():
        pytest.skip("the shared SKY130 reference cell is absent (../shared/pdk/sky130/reference)")
    return decks / "reference"


@pytest.fixture
def no_pdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PDK_ROOT", raising=False)


def _bad_met1(path: Path) -> Path:
    """A 0.10 um wide met1 wire in the top cell (m1.1: 0.14) and, in a sub-cell placed at (5, 5), two met1
    squares 0.10 um apart (m1.2: 0.14)."""
    lib = gdstk.Library()
    sub = lib.new_cell("SUBX")
    sub.add(
        gdstk.rectangle((0, 0), (0.5, 0.5), layer=68, datatype=20),
        gdstk.rectangle((0.6, 0), (1.1, 0.5), layer=68, datatype=20),
    )
    top = lib.new_cell("TOPX")
    top.add(gdstk.rectangle((0, 0), (2, 0.1), layer=68, datatype=20), gdstk.Reference(sub, (5, 5)))
    lib.write_gds(path)
    return path


def _edited_netlist(reference: Path, out: Path, edit) -> Path:
    text = (reference / f"{CELL}.cdl").read_text()
    changed = edit(text)
    assert changed != text
    out.write_text(changed)
    return out


@pytest.mark.pdk
def test_reference_cell_is_drc_clean(reference: Path, tmp_path: Path, no_pdk: None) -> None:
    assert (
        main(["signoff", "drc", str(reference / f"{CELL}.gds"), "--deck", "foundry", "--out", str(tmp_path)])
        == 0
    )
    report = json.loads((tmp_path / f"{CELL}.drc.json").read_text())
    assert report["clean"] and report["total"] == 0 and report["top"] == CELL
    assert Path(report["deck"]).name == "sky130A_mr.drc" and report["tech"] == "sky130A_mr.drc"
    assert len(report["counts"]) > 200 and report["counts"]["m1.2"] == 0  # every rule of the runset
    assert (tmp_path / f"{CELL}.drc.lyrdb").is_file() and (tmp_path / f"{CELL}.drc.log").is_file()


@pytest.mark.pdk
def test_known_violations_are_named_and_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_pdk: None
) -> None:
    gds = _bad_met1(tmp_path / "bad.gds")
    assert main(["signoff", "drc", str(gds), "--deck", "foundry", "--out", str(tmp_path / "r")]) == 1
    assert "m1.1: 1" in capsys.readouterr().out
    report = json.loads((tmp_path / "r" / "bad.drc.json").read_text())
    assert report["total"] == 2 and report["counts"]["m1.1"] == 1 and report["counts"]["m1.2"] == 1
    by_rule = {v["rule"]: v for v in report["violations"]}
    wide = by_rule["m1.1"]
    assert wide["box_um"] == pytest.approx([0.0, 0.0, 2.0, 0.1]) and wide["value_um"] == pytest.approx(0.10)
    assert wide["cell"] == "TOPX" and wide["layer"] == "m1" and "0.14" in wide["description"]
    gap = by_rule["m1.2"]
    assert gap["cell"] == "SUBX" and gap["value_um"] == pytest.approx(0.10)
    assert gap["box_um"] == pytest.approx([5.5, 5.0, 5.6, 5.5])  # in top-cell coordinates


@pytest.mark.pdk
def test_reference_cell_lvs_matches(reference: Path, tmp_path: Path) -> None:
    from eda.signoff.foundry import run_foundry_lvs

    report = run_foundry_lvs(reference / f"{CELL}.gds", reference / f"{CELL}.cdl", out_dir=tmp_path)
    assert report.match and report.mismatches == []
    expected = {"sky130_fd_pr__nfet_01v8": 1, "sky130_fd_pr__pfet_01v8_hvt": 1}
    assert report.devices_layout_by_class == report.devices_schematic_by_class == expected
    assert report.nets_layout == report.nets_schematic == 6
    extracted = (tmp_path / "lvs.extracted.cir").read_text()
    assert "sky130_fd_pr__pfet_01v8_hvt L=0.15 W=1.68" in extracted  # the two m=2 fingers merged
    assert (tmp_path / "lvs.lvsdb").read_text().startswith("#%lvsdb-klayout")


@pytest.mark.pdk
def test_removed_transistor_is_named(reference: Path, tmp_path: Path, no_pdk: None) -> None:
    netlist = _edited_netlist(
        reference, tmp_path / "no_nfet.cdl", lambda t: re.sub(r"^MMIN0 .*\n\+.*\n", "", t, flags=re.M)
    )
    code = main(
        [
            "signoff",
            "lvs",
            str(reference / f"{CELL}.gds"),
            str(netlist),
            "--deck",
            "foundry",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 1
    report = json.loads((tmp_path / f"{CELL}.lvs.json").read_text())
    assert not report["match"] and report["devices_layout"] == 2 and report["devices_schematic"] == 1
    assert report["devices_schematic_by_class"] == {"sky130_fd_pr__pfet_01v8_hvt": 1}
    assert (
        report["mismatches"][1] == f"device layout=sky130_fd_pr__nfet_01v8:$2 (L=0.15, W=0.42) schematic=- "
        f"(in {CELL})"
    )
    for name in ("lvsdb", "extracted.cir", "log", "txt"):
        assert (tmp_path / f"{CELL}.lvs.{name}").is_file(), name


@pytest.mark.pdk
def test_changed_width_is_named(reference: Path, tmp_path: Path) -> None:
    from eda.signoff.foundry import run_foundry_lvs

    netlist = _edited_netlist(reference, tmp_path / "wide.cdl", lambda t: t.replace("w=0.42u", "w=0.50u"))
    report = run_foundry_lvs(reference / f"{CELL}.gds", netlist)
    assert not report.match
    devices = [m for m in report.mismatches if m.startswith("device")]
    assert sorted(devices) == [
        f"device layout=- schematic=sky130_fd_pr__nfet_01v8:MIN0 (L=0.15, W=0.5) (in {CELL})",
        f"device layout=sky130_fd_pr__nfet_01v8:$2 (L=0.15, W=0.42) schematic=- (in {CELL})",
    ]


@pytest.mark.pdk
def test_broken_runset_is_a_user_error_with_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runset = tmp_path / "broken.drc"
    runset.write_text('source($input)\nreport("broken", $report)\nraise "rule table 7 is missing"\n')
    gds = _bad_met1(tmp_path / "bad.gds")
    assert main(["signoff", "drc", str(gds), "--deck", str(runset), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "klayout did not finish the runset broken.drc (exit status 1)" in err
    assert "rule table 7 is missing" in err and "Traceback" not in err


@pytest.mark.pdk
def test_step_runs_the_foundry_decks_in_a_flow(reference: Path, tmp_path: Path) -> None:
    from eda.flow.runner import run_flow
    from eda.flow.schema import load_flow

    flow = tmp_path / "foundry.yaml"
    flow.write_text(f"""\
name: foundry
executor: serial
steps:
  - id: drc
    use: signoff.drc
    with: {{deck: foundry}}
    inputs: {{gds: {reference / f"{CELL}.gds"}}}
  - id: lvs
    use: signoff.lvs
    with: {{deck: foundry}}
    inputs: {{gds: {reference / f"{CELL}.gds"}, netlist: {reference / f"{CELL}.cdl"}}}
""")
    result = run_flow(load_flow(flow), runs_dir=tmp_path / "runs", progress=False)
    assert result.status == "ok" and result.exit_code == 0
    drc, lvs = result.steps
    assert (
        drc.metrics["signoff__drc__deck"] == "sky130A_mr.drc" and drc.metrics["signoff__drc__violations"] == 0
    )
    assert lvs.metrics["signoff__lvs__deck"] == "sky130.lvs" and lvs.metrics["signoff__lvs__match"] == 1
    assert lvs.metrics["signoff__lvs__devices"] == 2
    assert set(lvs.outputs) == {"report", "text", "lvsdb", "extracted", "log"}
    assert (lvs.directory / "lvs.extracted.cir").is_file() and (drc.directory / "drc.lyrdb").is_file()


def test_missing_klayout_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runset = tmp_path / "any.drc"
    runset.write_text("# a runset\n")
    gds = _bad_met1(tmp_path / "bad.gds")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["signoff", "drc", str(gds), "--deck", str(runset), "--out", str(tmp_path)]) == 2
    assert main(["signoff", "lvs", str(gds), str(runset), "--deck", str(runset), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("the `klayout` program is not on PATH") == 2 and "apt-get install klayout" in err
    assert "Traceback" not in err


def test_missing_deck_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], no_pdk: None
) -> None:
    gds = _bad_met1(tmp_path / "bad.gds")
    empty = tmp_path / "decks"
    empty.mkdir()
    monkeypatch.setenv("EDA_SKY130_DECKS", str(empty))
    assert main(["signoff", "drc", str(gds), "--deck", "foundry"]) == 2
    err = capsys.readouterr().err
    assert "no SKY130 DRC runset found" in err and str(empty / "sky130A_mr.drc") in err
    assert "PDK_ROOT unset" in err and "set PDK_ROOT" in err
    assert main(["signoff", "lvs", str(gds), str(gds), "--deck", str(tmp_path / "nope.lvs")]) == 2
    assert f"KLayout LVS runset not found: {tmp_path / 'nope.lvs'}" in capsys.readouterr().err


def test_own_deck_options_with_a_runset_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gds = _bad_met1(tmp_path / "bad.gds")
    assert main(["signoff", "drc", str(gds), "--deck", "foundry", "--flat"]) == 2
    assert "--flat only applies to the project's own deck" in capsys.readouterr().err


def test_default_deck_is_the_pdk_one_only_under_pdk_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eda.signoff.deck import choose_runset

    monkeypatch.delenv("PDK_ROOT", raising=False)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / DECK_FILES["drc"]).write_text("# drc\n")
    monkeypatch.setenv("EDA_SKY130_DECKS", str(shared))
    assert choose_runset("drc", None) is None  # shared decks only on request
    assert choose_runset("drc", "foundry") == (shared / DECK_FILES["drc"]).resolve()
    pdk = tmp_path / "pdk"
    installed = pdk / PDK_DECKS["drc"]
    installed.parent.mkdir(parents=True)
    installed.write_text("# pdk drc\n")
    monkeypatch.setenv("PDK_ROOT", str(pdk))
    assert choose_runset("drc", None) == installed.resolve()
    assert choose_runset("drc", "foundry") == installed.resolve()
    assert choose_runset("drc", None, own_options=["--tech"]) is None
    assert choose_runset("drc", "own") is None
    assert choose_runset("lvs", None) is None  # this PDK has no LVS runset
    (shared / "mine.drc").write_text("# a user's runset\n")
    assert choose_runset("drc", "mine.drc", base=shared) == (shared / "mine.drc").resolve()  # flow-relative


def test_cli_default_without_pdk_root_is_the_own_deck(tmp_path: Path, no_pdk: None) -> None:
    gds = _bad_met1(tmp_path / "bad.gds")
    assert main(["signoff", "drc", str(gds), "--out", str(tmp_path)]) == 1
    report = json.loads((tmp_path / "bad.drc.json").read_text())
    assert report["deck"] == "own" and report["counts"]["m1.1"] == 1
