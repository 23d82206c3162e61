"""Own DRC deck: every rule added for the foundry's checks flags a small layout that breaks it, by name.

Each case draws a few rectangles (µm) that are clean except for one rule and asserts that the own deck
(:func:`eda.signoff.drc.run_drc` on the bundled SKY130 ``tech.yaml``) reports exactly that rule. Where one
geometry cannot break a rule alone the case says which rule comes with it and why.
"""

from __future__ import annotations

from pathlib import Path

import gdstk
import pytest

from eda.tech import load_tech

pytestmark = pytest.mark.klayout

TECH = load_tech()

Rect = tuple[str, float, float, float, float]


def _box(layer: str, x: float, y: float, w: float, h: float) -> Rect:
    """A ``w`` × ``h`` rectangle on ``layer`` centred on ``(x, y)``."""
    return (layer, x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def _around(layer: str, cut: Rect, left: float, bottom: float, right: float, top: float) -> Rect:
    """``layer`` around the cut ``cut`` by the given margins (µm)."""
    _, x0, y0, x1, y1 = cut
    return (layer, x0 - left, y0 - bottom, x1 + right, y1 + top)


def _cut_stack(
    cut: str,
    size: float,
    below: str,
    above: str,
    low: tuple[float, ...],
    high: tuple[float, ...],
    pad: float = 0.0,
) -> list[Rect]:
    """A cut at the origin with its lower and upper metal (margins left, bottom, right, top)."""
    c = _box(cut, 0, 0, size, size)
    shapes = [c, _around(below, c, *low), _around(above, c, *high)]
    if pad:
        shapes.append(_box(above, pad / 2 - 0.2, pad / 2 - 0.2, pad, pad))
    return shapes


def _mcon_stack(m1: tuple[float, ...]) -> list[Rect]:
    c = _box("mcon", 0, 0, 0.17, 0.17)
    return [c, _around("li1", c, 0.0, 0.12, 0.0, 0.12), _around("met1", c, *m1)]


def _poly_contact(
    x: float,
    y: float,
    poly: tuple[float, ...] = (0.05, 0.08, 0.05, 0.08),
    npc: tuple[float, ...] | None = (0.1, 0.1, 0.1, 0.1),
) -> list[Rect]:
    """A poly pad + licon + li1 pad (+ npc) centred on ``(x, y)``."""
    c = _box("licon", x, y, 0.17, 0.17)
    shapes = [c, _around("poly", c, *poly), _around("li1", c, 0.0, 0.08, 0.0, 0.08)]
    if npc:
        shapes.append(_around("npc", c, *npc))
    return shapes


def _diff_contact(x: float, y: float) -> list[Rect]:
    """A 0.5 µm diffusion square with a licon and li1 pad centred on ``(x, y)``."""
    c = _box("licon", x, y, 0.17, 0.17)
    return [_box("diff", x, y, 0.5, 0.5), c, _around("li1", c, 0.08, 0.0, 0.08, 0.0)]


def _mim(x: float, y: float, w: float = 1.0, h: float = 1.0, m3: float = 0.14) -> list[Rect]:
    """A capm top plate ``w`` × ``h`` with its lower left corner at ``(x, y)`` on a met3 plate."""
    return [("capm", x, y, x + w, y + h), ("met3", x - m3, y - m3, x + w + m3, y + h + m3)]


def _via3_on(x: float, y: float) -> list[Rect]:
    """via3 at ``(x, y)`` with a met4 pad (the met3 under it is the caller's)."""
    return [_box("via3", x, y, 0.2, 0.2), _box("met4", x, y, 0.6, 0.6)]


def _wide(layer: str, space: float, width: float) -> list[Rect]:
    """A 4 µm wide plate and a ``width`` wire ``space`` from it."""
    return [(layer, 0, 0, 4, 4), (layer, 4 + space, 0, 4 + space + width, 4)]


def _ring(layer: str, size: float, hole: float) -> list[Rect]:
    """A square ring of outer ``size`` around a square hole of ``hole`` (µm)."""
    a, b = (size - hole) / 2, (size + hole) / 2
    return [(layer, 0, 0, size, a), (layer, 0, b, size, size), (layer, 0, a, a, b), (layer, b, a, size, b)]


#: case name -> (shapes, flagged rule names)
CASES: dict[str, tuple[list[Rect | gdstk.Polygon], set[str]]] = {
    # two adjacent edges with less than the rule's enclosure
    "m1.5": (_mcon_stack((0.03, 0.03, 0.2, 0.2)), {"m1.5"}),
    "via.5a": (_cut_stack("via", 0.15, "met1", "met2", (0.055, 0.055, 0.2, 0.2), (0.085,) * 4), {"via.5a"}),
    "m2.5": (_cut_stack("via", 0.15, "met1", "met2", (0.085,) * 4, (0.055, 0.055, 0.2, 0.2)), {"m2.5"}),
    "via2.5": (_cut_stack("via2", 0.2, "met2", "met3", (0.04, 0.04, 0.2, 0.2), (0.2,) * 4), {"via2.5"}),
    "via3.5": (_cut_stack("via3", 0.2, "met3", "met4", (0.06, 0.06, 0.3, 0.3), (0.2,) * 4), {"via3.5"}),
    "li.5": (
        [
            _box("diff", 0, 0, 0.6, 0.6),
            _box("licon", 0, 0, 0.17, 0.17),
            ("li1", -0.085 - 0.02, -0.085 - 0.02, 0.085 + 0.12, 0.085 + 0.12),
        ],
        {"li.5"},
    ),
    "licon.8a": (_poly_contact(0, 0, poly=(0.05, 0.05, 0.1, 0.1)), {"licon.8a"}),
    "licon.5c": (
        [
            ("diff", -0.125, -0.125, 0.3, 0.3),
            _box("licon", 0, 0, 0.17, 0.17),
            ("li1", -0.165, -0.085, 0.165, 0.085),
        ],
        {"licon.5c"},
    ),
    "licon.7": (
        [
            ("tap", -0.125, -0.125, 0.3, 0.3),
            _box("licon", 0, 0, 0.17, 0.17),
            ("li1", -0.165, -0.085, 0.165, 0.085),
        ],
        {"licon.7"},
    ),
    # the foundry deck's enclosure rules also ask for the cut to be covered at all
    "m1.4 (no met1)": ([_box("mcon", 0, 0, 0.17, 0.17), _box("li1", 0, 0, 0.17, 0.41)], {"m1.4"}),
    "via.4a_a": (
        _cut_stack("via", 0.15, "met1", "met2", (0.085,) * 4, (0.085,) * 4)[:1]
        + [_box("met2", 0, 0, 0.32, 0.32)],
        {"via.4a_a"},
    ),
    "m2.4_a": ([_box("via", 0, 0, 0.15, 0.15), _box("met1", 0, 0, 0.32, 0.32)], {"m2.4_a"}),
    "via2.4_a": ([_box("via2", 0, 0, 0.2, 0.2), _box("met3", 0, 0, 0.6, 0.6)], {"via2.4_a"}),
    "m3.4_a": ([_box("via2", 0, 0, 0.2, 0.2), _box("met2", 0, 0, 0.37, 0.37)], {"m3.4_a"}),
    "via3.4_a": ([_box("via3", 0, 0, 0.2, 0.2), _box("met4", 0, 0, 0.6, 0.6)], {"via3.4_a"}),
    "m4.3_a": ([_box("via3", 0, 0, 0.2, 0.2), _box("met3", 0, 0, 0.6, 0.6)], {"m4.3_a"}),
    "via4.4_a": ([_box("via4", 0, 0, 0.8, 0.8), _box("met5", 0, 0, 2.0, 2.0)], {"via4.4_a"}),
    "m5.3_a": ([_box("via4", 0, 0, 0.8, 0.8), _box("met4", 0, 0, 1.2, 1.2)], {"m5.3_a"}),
    # npc and the poly contacts
    "npc.1": ([("npc", 0, 0, 0.2, 1.0)], {"npc.1"}),
    "npc.2": ([("npc", 0, 0, 0.4, 0.4), ("npc", 0.6, 0, 1.0, 0.4)], {"npc.2"}),
    "licon.15 enclosure": (_poly_contact(0, 0, npc=(0.05, 0.1, 0.1, 0.1)), {"licon.15"}),
    "licon.15 no npc": (_poly_contact(0, 0, npc=None), {"licon.15"}),
    "licon.13": (_diff_contact(0, 0) + [("npc", 0.135, -0.3, 0.5, 0.3)], {"licon.13"}),
    "licon.13_a": (_diff_contact(0, 0) + [("npc", -0.2, -0.2, 0.2, 0.2)], {"licon.13_a"}),
    "licon.9": (_poly_contact(0, 0) + [("psdm", 0.15, -0.5, 0.7, 0.5)], {"licon.9"}),
    "licon.9 overlap": (_poly_contact(0, 0) + [("psdm", 0.0, -0.5, 0.5, 0.5)], {"licon.9"}),
    "licon.14": (
        [("diff", -0.5, -0.3, 0.0, 0.3)]
        + _poly_contact(0.24, 0, poly=(0.08, 0.05, 0.08, 0.05), npc=(0.1, 0.1, 0.1, 0.1))[:3]
        + [("npc", 0.055, -0.185, 0.425, 0.185)],
        {"licon.14"},
    ),
    "licon.17": (
        [
            ("tap", 0, 0, 1.0, 1.0),
            ("poly", 0.5, -0.2, 1.3, 1.2),
            _box("licon", 0.5, 0.5, 0.17, 0.17),
            ("li1", 0.415, 0.335, 0.585, 0.665),
        ],
        {"licon.17"},
    ),
    "poly.4": ([("diff", 0, 0, 1.0, 0.5), ("poly", 0, 0.55, 1.0, 0.7)], {"poly.4"}),
    "difftap.1 (tap)": ([("tap", 0, 0, 0.12, 1.0)], {"difftap.1"}),
    "difftap.3 (tap to diff)": ([("tap", 0, 0, 0.5, 0.5), ("diff", 0.7, 0, 1.2, 0.5)], {"difftap.3"}),
    "nsdm_psdm_overlap": (
        [("diff", 0, 0, 0.5, 0.5), ("nsdm", -0.2, -0.2, 0.7, 0.7), ("psdm", -0.2, -0.2, 0.7, 0.7)],
        {"nsdm_psdm_overlap"},
    ),
    # MIM capacitor
    "capm.1": (_mim(0, 0, w=0.8, h=2.0), {"capm.1"}),
    "capm.2a": (
        [("capm", 0, 0, 1, 1), ("capm", 1.5, 0, 2.5, 1), ("met3", -0.14, -0.14, 2.64, 1.14)],
        {"capm.2a"},
    ),
    "capm.2b": (_mim(0, 0) + _mim(2.28, 0), {"capm.2b"}),
    "capm.2b_a": (_mim(0, 0) + [("met3", 2.14, -0.14, 2.44, 1.14)], {"capm.2b_a"}),
    "capm.3": (_mim(0, 0, m3=0.10), {"capm.3"}),
    "capm.4": (_mim(0, 0, w=1.5, h=1.5) + _via3_on(0.2, 0.75), {"capm.4"}),
    "capm.5": ([("capm", 0, 0, 1, 1), ("met3", -0.14, -0.14, 1.60, 1.14)] + _via3_on(1.18, 0.5), {"capm.5"}),
    # a met3 wire within 0.5 of a capm is within 1.2 of its bottom plate too (capm.11 implies capm.2b_a)
    "capm.11": (_mim(0, 0) + [("met3", 1.44, -0.14, 1.74, 1.14)], {"capm.11", "capm.2b_a"}),
    # wide metal spacing and holes
    "m1.3ab": (_wide("met1", 0.2, 0.3), {"m1.3ab"}),
    "m2.3ab": (_wide("met2", 0.2, 0.3), {"m2.3ab"}),
    "m3.3cd": (_wide("met3", 0.35, 0.3), {"m3.3cd"}),
    "m4.5ab": (_wide("met4", 0.35, 0.3), {"m4.5ab"}),
    "m1.7": (_ring("met1", 1.0, 0.3), {"m1.7"}),
    "m2.7": (_ring("met2", 1.0, 0.3), {"m2.7"}),
    "m3.7": (_ring("met3", 1.6, 0.4), {"m3.7"}),
    "m4.7": (_ring("met4", 1.6, 0.4), {"m4.7"}),
    # manufacturing grid
    "m1_OFFGRID": ([("met1", 0.002, 0, 0.5, 0.5)], {"m1_OFFGRID"}),
    "poly_OFFGRID": ([("poly", 0, 0, 0.5, 0.503)], {"poly_OFFGRID"}),
    "nwell_OFFGRID": ([("nwell", 0.001, 0, 1.0, 1.0)], {"nwell_OFFGRID"}),
    # corners sharper than 45 (met1) / 90 (diff) degrees; the tip of an acute corner is narrower than any
    # minimum width, so the width rule comes with it (the foundry deck flags both as well)
    "m1_angle": (
        [gdstk.Polygon([(0, 0), (2, 0), (2, 0.5), (0.6, 0.5)], layer=68, datatype=20)],
        {"m1_angle", "m1.1"},
    ),
    "diff_angle": (
        [gdstk.Polygon([(0, 0), (2, 0), (2, 0.5), (0.2, 0.5)], layer=65, datatype=20)],
        {"diff_angle", "difftap.1"},
    ),
}


def _write(shapes: list[Rect | gdstk.Polygon], path: Path) -> Path:
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    cell = lib.new_cell("T")
    for shape in shapes:
        if isinstance(shape, gdstk.Polygon):
            cell.add(shape)
            continue
        layer, x0, y0, x1, y1 = shape
        lay, dt = TECH.gds(layer)
        cell.add(gdstk.rectangle((x0, y0), (x1, y1), layer=lay, datatype=dt))
    lib.write_gds(path)
    return path


def _flagged(path: Path) -> set[str]:
    from eda.signoff.drc import run_drc

    report = run_drc(path, TECH)
    return {rule for rule, count in report.counts.items() if count}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_rule_is_flagged_by_name(case: str, tmp_path: Path) -> None:
    shapes, expected = CASES[case]
    assert _flagged(_write(shapes, tmp_path / "t.gds")) == expected
