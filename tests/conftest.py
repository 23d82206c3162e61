"""Shared pytest configuration: markers that skip cleanly when an optional tool is missing."""

from __future__ import annotations

import shutil

import pytest


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _pdk_missing() -> str | None:
    """Why the foundry decks cannot run here (no ``klayout`` program, no runsets), or ``None``."""
    if shutil.which("klayout") is None:
        return "the klayout program is not installed (apt-get install klayout; the Makefile installs it)"
    from eda.errors import UserError
    from eda.signoff.foundry import find_deck

    try:
        find_deck("drc")
        find_deck("lvs")
    except UserError as exc:
        return f"no SKY130 KLayout runsets: {exc.message} (set EDA_SKY130_DECKS or PDK_ROOT)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_ngspice = pytest.mark.skip(reason="ngspice is not installed (the Makefile installs it with apt-get)")
    skip_gpu = pytest.mark.skip(reason="no CUDA device")
    has_gpu = None
    pdk_missing: str | None = None
    for item in items:
        if "ngspice" in item.keywords and shutil.which("ngspice") is None:
            item.add_marker(skip_ngspice)
        if "klayout" in item.keywords and not _has_module("klayout"):
            item.add_marker(
                pytest.mark.skip(reason="klayout is not installed (a dependency of eda: pip install klayout)")
            )
        if "pdk" in item.keywords:
            if pdk_missing is None:
                pdk_missing = _pdk_missing() or ""
            if pdk_missing:
                item.add_marker(pytest.mark.skip(reason=pdk_missing))
        if "chromium" in item.keywords and not any(shutil.which(n) for n in ("chromium", "google-chrome")):
            item.add_marker(pytest.mark.skip(reason="chromium is not installed (the Makefile installs it)"))
        if "gpu" in item.keywords:
            if has_gpu is None:
                try:
                    import torch

                    has_gpu = torch.cuda.is_available()
                except ImportError:
                    has_gpu = False
            if not has_gpu:
                item.add_marker(skip_gpu)
