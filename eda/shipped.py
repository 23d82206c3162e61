"""Files shipped with the package: flows, designs (sign-off limits), the default cell library and the
KLayout technology files.

They live under ``eda/share/`` inside the package (package data), so they are found the same way in a
source checkout, an editable install and a wheel installed anywhere: :func:`importlib.resources.files` on
the ``eda`` package. Users' own flows, designs and libraries are given by path as before.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from eda.errors import DataError, FlowError, SpecError

__all__ = [
    "SHARE_KINDS",
    "share_dir",
    "flows_dir",
    "designs_dir",
    "cells_dir",
    "default_library_dir",
    "resolve_library",
    "klayout_files",
    "shipped_flows",
    "find_flow",
]

#: the kinds of shipped files: ``eda/share/<kind>/``
SHARE_KINDS: tuple[str, ...] = ("flows", "designs", "cells", "klayout")
#: the default ACIM cell library's directory name under ``cells``
DEFAULT_LIBRARY = "sky130_acim"


def _package_root() -> Path:
    """The ``eda`` package directory on the file system (a zip import has none: said so)."""
    root = files("eda")
    if not isinstance(root, Path):
        raise DataError(
            f"the eda package is imported from '{root}', not a directory",
            hint="install the wheel normally (pip install eda-*.whl) rather than zipped",
        )
    return root


def share_dir(kind: str) -> Path:
    """``eda/share/<kind>`` of the installed package; :class:`DataError` when it is missing."""
    if kind not in SHARE_KINDS:
        raise ValueError(f"unknown shipped kind '{kind}' (one of {SHARE_KINDS})")
    package = _package_root()
    inside = package / "share" / kind
    if inside.is_dir():
        return inside
    raise DataError(
        f"the shipped '{kind}' directory is missing from the eda package at {package}",
        hint="reinstall the package (pip install --force-reinstall eda-*.whl)",
    )


def flows_dir() -> Path:
    """The directory of the shipped flows (``eda flows`` lists them)."""
    return share_dir("flows")


def designs_dir() -> Path:
    """The directory of the shipped designs (sign-off limits the shipped flows refer to)."""
    return share_dir("designs")


def cells_dir() -> Path:
    """The directory holding the shipped cell libraries."""
    return share_dir("cells")


def default_library_dir() -> Path:
    """The default ACIM cell library (``sky130_acim``)."""
    return cells_dir() / DEFAULT_LIBRARY


def resolve_library(library: str | None, flow_dir: Path) -> Path | None:
    """A library directory given in a flow: relative to the flow file or the working directory, else a
    shipped library by name (``sky130_acim``, or ``cells/sky130_acim`` as older flows write it)."""
    if library is None:
        return None
    path = Path(library)
    candidates = (
        [path] if path.is_absolute() else [flow_dir / path, Path.cwd() / path, cells_dir() / path.name]
    )
    for candidate in candidates:
        if (candidate / "library.yaml").is_file():
            return candidate
    raise SpecError(f"cell library '{library}' not found", hint=f"looked in {[str(c) for c in candidates]}")


def klayout_files(tech: str = "sky130") -> tuple[Path, Path]:
    """The shipped KLayout layer-properties and technology files ``(<tech>.lyp, <tech>.lyt)`` of the
    default technology (written from ``eda/tech/<tech>.yaml`` by :mod:`eda.tech.klayout`)."""
    directory = share_dir("klayout")
    return directory / f"{tech}.lyp", directory / f"{tech}.lyt"


def shipped_flows() -> list[Path]:
    """Every shipped flow file, sorted by name."""
    return sorted(flows_dir().glob("*.yaml"))


def find_flow(name: str | Path) -> Path:
    """A flow file given on the command line: an existing path as it is; otherwise a shipped flow named by
    its stem (``quickstart``, ``quickstart.yaml`` or ``flows/quickstart.yaml``, as the docs write it).

    Raises :class:`FlowError` naming the shipped flows when neither exists.
    """
    path = Path(name)
    if path.exists():
        return path
    stem = path.name.removesuffix(".yaml").removesuffix(".yml")
    if path.parent in (Path("."), Path("flows")):
        candidate = flows_dir() / f"{stem}.yaml"
        if candidate.is_file():
            return candidate
    names = ", ".join(p.stem for p in shipped_flows())
    raise FlowError(
        f"flow file '{path}' not found", hint=f"give a path, or one of the shipped flows: {names}"
    )
