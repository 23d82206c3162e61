"""KLayout .lyp/.lyt written from the technology file: KLayout reads them, every layer of a generated GDS
gets its tech.yaml name, and LEF layer names map to the GDS layers of tech.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from eda.shipped import default_library_dir, klayout_files
from eda.tech.tech import default_tech_path, load_tech

pytestmark = pytest.mark.klayout


def _layer_names(gds: Path, lyp: Path) -> dict[tuple[int, int], str]:
    """(layer, datatype) -> name of every layer KLayout shows for ``gds`` with ``lyp`` loaded (layers the
    file does not list are added unnamed)."""
    import klayout.lay as lay

    view = lay.LayoutView()
    view.load_layout(str(gds), True)
    view.load_layer_props(str(lyp), True)
    found: dict[tuple[int, int], str] = {}
    it = view.begin_layers()
    while not it.at_end():
        node = it.current()
        found[(node.source_layer, node.source_datatype)] = node.name
        it.next()
    return found


def test_shipped_files_are_current(tmp_path):
    """The shipped files are what the writer makes from eda/tech/sky130.yaml today (regenerate with
    `python -c "from eda.tech.klayout import write_klayout_tech as w; w(None, 'eda/share/klayout')"`)."""
    from eda.tech.klayout import write_klayout_tech

    lyp, lyt = write_klayout_tech(default_tech_path(), tmp_path, "sky130")
    shipped_lyp, shipped_lyt = klayout_files()
    assert lyp.read_text() == shipped_lyp.read_text()
    assert lyt.read_text() == shipped_lyt.read_text()


def test_every_layer_of_the_library_gds_is_named():
    import klayout.db as db

    tech = load_tech(default_library_dir() / "tech.yaml")
    for gds in sorted(default_library_dir().glob("*.gds")):
        names = _layer_names(gds, klayout_files()[0])
        layout = db.Layout()
        layout.read(str(gds))
        for info in layout.layer_infos():
            key = (info.layer, info.datatype)
            assert names.get(key), f"{gds.name}: layer {key} has no name from the .lyp"
            base = names[key].removesuffix(".label")
            assert tech.layers[base].gds == key or tech.layers[base].label == key


def test_technology_loads_and_maps_lef_layers(tmp_path):
    """KLayout parses the .lyt; reading a LEF through it puts met1 pins on SKY130 68/20 (the SkyWater
    GDS layer table), not on the reader's own numbering."""
    import klayout.db as db

    _, lyt = klayout_files()
    technology = db.Technology.technology_from_xml(lyt.read_text())
    assert technology.name == "sky130" and technology.dbu == pytest.approx(0.001)
    assert technology.layer_properties_file == "sky130.lyp"
    lef = tmp_path / "m.lef"
    lef.write_text(
        "VERSION 5.8 ;\nUNITS\n  DATABASE MICRONS 1000 ;\nEND UNITS\nMACRO m\n  CLASS BLOCK ;\n"
        "  SIZE 10 BY 5 ;\n  PIN A\n    DIRECTION INPUT ;\n    PORT\n      LAYER met1 ;\n"
        "        RECT 0 1 0.3 1.3 ;\n    END\n  END A\n  OBS\n    LAYER met2 ;\n      RECT 1 1 9 4 ;\n"
        "  END\nEND m\nEND LIBRARY\n"
    )
    layout = db.Layout()
    layout.read(str(lef), technology.load_layout_options)
    pins = [i for i in layout.layer_infos() if i.name == "met1.pin"]
    assert [(i.layer, i.datatype) for i in pins] == [(68, 20)]
    shapes = list(layout.top_cell().shapes(layout.layer(pins[0])).each())
    assert len(shapes) == 1 and shapes[0].box == db.Box(0, 1000, 300, 1300)


def test_render_with_the_shipped_and_a_missing_lyp(tmp_path):
    from eda.errors import UserError
    from eda.signoff.render import render_png

    png = render_png(default_library_dir() / "bitcell8t.gds", tmp_path / "b.png", width=200, height=200)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(UserError, match="layer-properties"):
        render_png(
            default_library_dir() / "bitcell8t.gds", tmp_path / "c.png", layer_properties=tmp_path / "x.lyp"
        )


def test_klayout_program_opens_a_macro_with_the_technology(tmp_path):
    """The klayout program (the Debian package the Makefile installs) loads a generated macro with
    ``-nn sky130.lyt``: the technology is active and every layer shows its tech.yaml name."""
    import os
    import shutil
    import subprocess

    if shutil.which("klayout") is None:
        pytest.skip("the klayout program is not installed (the Makefile installs it)")
    from eda.acim.generator import generate
    from eda.acim.spec import ACIMSpec

    macro = generate(ACIMSpec(rows=16, cols=16, local_array_size=4, adc_bits=4), None, tmp_path, views=False)
    script = tmp_path / "layers.py"
    script.write_text(
        "import pya\nview = pya.Application.instance().main_window().current_view()\n"
        "it = view.begin_layers()\nwhile not it.at_end():\n    n = it.current()\n"
        "    print('LAYER', n.source_layer, n.source_datatype, n.name or '-')\n    it.next()\n"
        "print('TECH', view.active_cellview().technology)\n"
    )
    done = subprocess.run(
        ["klayout", "-z", "-nn", str(klayout_files()[1]), str(macro.files["gds"]), "-r", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    lines = done.stdout.splitlines()
    assert "TECH sky130" in lines, done.stdout[-2000:] + done.stderr[-2000:]
    shown = {
        (int(w[1]), int(w[2])): w[3] for w in (line.split() for line in lines if line.startswith("LAYER"))
    }
    tech = load_tech()
    assert shown and all(name != "-" for name in shown.values()), shown
    for (layer, datatype), name in shown.items():
        base = tech.layers[name.removesuffix(".label")]
        assert (layer, datatype) in (base.gds, base.label)
