"""Build hook: the default cell library goes into the wheel as package data.

Everything else is configured in pyproject.toml. ``cells/`` is still kept at the top of the source checkout
(its tools and tests write there); ``build_py`` copies it to ``eda/share/cells`` of a non-editable build so
that :mod:`eda.shipped` finds it in an installed wheel. Once ``cells/`` lives under ``eda/share/`` this
copies nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

#: top-level checkout directories shipped as ``eda/share/<name>`` (pyproject.toml cannot map them)
TOP_LEVEL_SHARE = ("cells",)


class BuildPyWithShare(build_py):
    """``build_py`` that also copies :data:`TOP_LEVEL_SHARE` into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them in place (eda.shipped.share_dir)
            return
        root = Path(__file__).resolve().parent
        for name in TOP_LEVEL_SHARE:
            source = root / name
            if source.is_dir() and not (root / "eda" / "share" / name).exists():
                shutil.copytree(source, Path(self.build_lib) / "eda" / "share" / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithShare})
