"""Shared pytest configuration: markers that skip cleanly when an optional tool is missing."""

from __future__ import annotations

import shutil

import pytest


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_ngspice = pytest.mark.skip(reason="ngspice is not installed (the Makefile installs it with apt-get)")
    skip_gpu = pytest.mark.skip(reason="no CUDA device")
    has_gpu = None
    for item in items:
        if "ngspice" in item.keywords and shutil.which("ngspice") is None:
            item.add_marker(skip_ngspice)
        if "klayout" in item.keywords and not _has_module("klayout"):
            item.add_marker(pytest.mark.skip(reason="klayout is not installed (pip install 'eda[signoff]')"))
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
