"""Technology file loading: SKY130 layer numbers, rule values, and clear errors for bad files."""

from __future__ import annotations

import pytest

from eda.errors import SpecError
from eda.tech import load_tech


def test_sky130_layers_and_rules() -> None:
    tech = load_tech()
    assert tech.gds("met1") == (68, 20) and tech.gds("via") == (68, 44) and tech.gds("poly") == (66, 20)
    assert tech.label("met2") == (69, 5)
    assert tech.value("m1.2") == pytest.approx(0.14)
    assert tech.value("m3.1") == pytest.approx(0.30)
    assert tech.value("licon.1") == pytest.approx(0.17)
    assert tech.prop("met1", "sheet_res_ohm_sq") == pytest.approx(0.125)
    kinds = {r.kind for r in tech.rules}
    assert {"width", "space", "enclosure", "area", "size"} <= kinds
    # every rule references a drawn or derived layer
    for rule in tech.rules:
        assert rule.layer in tech.layers or rule.layer in tech.derived


def test_library_tech_carries_capacitor_density() -> None:
    from eda.acim.library import default_library_dir

    tech = load_tech(default_library_dir() / "tech.yaml")
    assert tech.data["capacitor"]["density_fF_per_um2"] > 0


def test_bad_tech_files(tmp_path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text(
        "layers: {met1: {gds: [68, 20]}}\nrules: [{name: x, kind: spacing, layer: met1, value: 1}]\n"
    )
    with pytest.raises(SpecError, match="unknown kind"):
        load_tech(bad)
    bad.write_text(
        "layers: {met1: {gds: [68, 20]}}\nrules: [{name: x, kind: space, layer: met9, value: 1}]\n"
    )
    with pytest.raises(SpecError, match="unknown layer 'met9'"):
        load_tech(bad)
    with pytest.raises(SpecError, match="no layer"):
        load_tech().gds("met9")
