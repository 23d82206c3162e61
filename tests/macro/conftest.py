"""Fixtures of the macro tests: the ACIM cell library drawn by the code under test."""

from __future__ import annotations

import pytest

from eda.acim.library import Library, load_library


@pytest.fixture(scope="session")
def acim_library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """The cell library as :func:`eda.acim.celllib.build.build_library` draws it (the stored default library
    is byte-identical to it once rebuilt), in a temporary directory."""
    from eda.acim.celllib.build import build_library

    return load_library(build_library(tmp_path_factory.mktemp("sky130_acim")))
