"""Macro views for digital flows (LibreLane/OpenROAD, Yosys): a Liberty timing/power view and a Verilog
black box, written next to the GDS and LEF by :func:`eda.acim.generator.generate`.

Both are made from the macro's abstract (pins, directions, area: the same data the LEF is written from)
and its SPICE netlist, so their pins are the LEF's pins and the ``.subckt`` ports:

* **pin capacitance**: the gate area (W·L of every MOSFET gate the pin reaches through the cell
  hierarchy, the SAR logic's standard cells included) times the library's gate capacitance per area
  (``ModelTech.gate_cap_fF_per_um2``). Pins that reach no transistor gate (the bit lines reach drains)
  carry no ``capacitance`` and say so in a comment.
* **timing**, from the analytic throughput model (:func:`eda.acim.models.evaluate`) at ``clock_MHz``:
  ``CLK`` (comparator) and ``CLKSAR`` (SAR logic) are clocks with ``min_period`` the clock period the
  model was evaluated at (it must settle: ``clock_ok`` and ``settling_ok``); the charge-phase inputs
  (``WLN``, ``XN``, ``ENN``) have a setup constraint to ``CLK`` of word-line drive plus charge and share
  settling, the share inputs (``SHN``, ``CSH``) of share settling; ``DOUT`` has a ``rising_edge`` arc from
  ``CLKSAR`` when the library's characterisation gives the SAR register's clock-to-output delay.
* **power**: internal energy per ``CLK`` rising edge = model energy per compute cycle / clock periods per
  compute cycle. ``cell_leakage_power`` is the sum over the macro's leaf cells (counted through the SPICE
  hierarchy) of each cell's standby leakage from the characterisation (``leakage.<role>_nW``, simulated at
  DC in the macro's standby: :data:`eda.acim.characterize_benches.STANDBY_LEVELS`), plus one SAR logic
  block per ADC (the characterised block's leakage scaled by this macro's SAR transistor count over the
  characterised one's); cells without a leakage figure (the column switches, which have no VDD) add
  nothing. A characterisation without a ``leakage`` section writes no leakage (tools take 0).

Units in the Liberty file: ns, V, mA, fF, pJ (internal power), µm² (area).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eda.errors import SpecError

__all__ = [
    "MacroTiming",
    "pin_gate_areas_um2",
    "macro_timing",
    "characterization_data",
    "leaf_cell_counts",
    "macro_leakage_nW",
    "liberty_text",
    "verilog_text",
    "write_liberty",
    "write_verilog",
    "write_macro_views",
    "DEFAULT_CLOCK_MHZ",
]

#: the clock the Liberty view is written for unless one is given (the exploration grid's lowest)
DEFAULT_CLOCK_MHZ = 100.0

#: pins whose rising input starts the charge phase (word line, input bit, compute enable) or the share
CHARGE_PINS = re.compile(r"^(WLN|XN|ENN)\d+$")
SHARE_PINS = re.compile(r"^(SHN\d+|CSH)$")
CLOCK_PINS = ("CLK", "CLKSAR")


@dataclass(frozen=True)
class MacroTiming:
    """Timing and power figures of one macro at one clock (ns, pJ)."""

    clock_MHz: float
    period_ns: float
    charge_setup_ns: float
    share_setup_ns: float
    dout_delay_ns: float | None
    energy_per_clock_pJ: float
    compute_cycle_ns: float
    clocks_per_compute: int


def pin_gate_areas_um2(spice_text: str, top: str) -> tuple[dict[str, float], set[str]]:
    """MOSFET gate area (µm²) each port of subcircuit ``top`` drives, through the whole hierarchy, and the
    ports that also reach an instance of a subcircuit the text does not define (an abstract block)."""
    from eda.acim.extract import parse_subckts
    from eda.acim.spice_convention import MOS_DEVICES
    from eda.pdn.netlist import parse_value

    subckts = parse_subckts(spice_text)
    if top not in subckts:
        raise SpecError(
            f"the netlist defines no subcircuit '{top}'", hint="give the macro's own SPICE netlist"
        )

    @cache
    def reach(name: str, net: str) -> tuple[float, bool]:
        area, abstract = 0.0, False
        for line in subckts[name][1]:
            words = line.split()
            kind = words[0][0].upper()
            if kind == "M" and len(words) >= 6 and words[2] == net:
                params = {k.lower(): v for k, _, v in (w.partition("=") for w in words[6:]) if v}
                area += parse_value(params["w"]) * parse_value(params["l"]) * 1e12
            elif kind == "X":
                nets = [w for w in words[1:] if "=" not in w]
                child, nets = nets[-1], nets[:-1]
                if net not in nets:
                    continue
                if MOS_DEVICES.match(child) and len(nets) == 4:  # open_pdks convention: w, l in µm
                    if nets[1] == net:
                        params = {k.lower(): v for k, _, v in (w.partition("=") for w in words[1:]) if v}
                        area += parse_value(params["w"]) * parse_value(params["l"])
                    continue
                if child not in subckts:
                    abstract = True
                    continue
                ports = subckts[child][0]
                for position, value in enumerate(nets):
                    if value == net and position < len(ports):
                        a, b = reach(child, ports[position])
                        area, abstract = area + a, abstract or b
        return area, abstract

    areas: dict[str, float] = {}
    touches_abstract: set[str] = set()
    for port in subckts[top][0]:
        areas[port], abstract = reach(top, port)
        if abstract:
            touches_abstract.add(port)
    return areas, touches_abstract


def characterization_data(library: Any = None, corner: str = "tt") -> dict[str, Any]:
    """The characterisation YAML the models read for ``library`` at ``corner`` (the library's own, else the
    default library's, as :func:`eda.acim.models.area.library_tech` picks it); empty when there is none."""
    import yaml

    from eda.acim.characterize import characterization_file
    from eda.acim.library import Library, default_library_dir, load_library

    lib = library if isinstance(library, Library) else load_library(library)
    for directory in (lib.path, default_library_dir()):
        path = characterization_file(directory, corner)
        if path.is_file():
            return yaml.safe_load(path.read_text()) or {}
    return {}


def leaf_cell_counts(spice_text: str, top: str) -> dict[str, int]:
    """Instances of every subcircuit under ``top``, counted through the hierarchy (name -> count)."""
    from collections import Counter

    from eda.acim.extract import parse_subckts

    subckts = parse_subckts(spice_text)
    counts: Counter[str] = Counter()

    def walk(name: str, times: int) -> None:
        for line in subckts[name][1]:
            if line[:1].upper() != "X":
                continue
            child = [w for w in line.split()[1:] if "=" not in w][-1]
            counts[child] += times
            if child in subckts:
                walk(child, times)

    walk(top, 1)
    return dict(counts)


def _sar_devices(groups: int, cols_per_adc: int, adc_bits: int) -> int:
    """Transistors of the standard-cell SAR logic of one ADC group."""
    from eda.acim.celllib.sar import sar_instances
    from eda.acim.celllib.stdcells import load_cell
    from eda.acim.dacplan import dac_plan

    return sum(load_cell(i.cell).devices for i in sar_instances(dac_plan(groups, cols_per_adc, adc_bits), 1))


def macro_leakage_nW(
    spec: dict[str, Any], spice_text: str, top: str, characterization: dict[str, Any], library: Any = None
) -> float | None:
    """Standby leakage power (nW) of the macro (see the module docstring), or ``None`` when the
    characterisation has no ``leakage`` section."""
    from eda.acim.library import Library, load_library
    from eda.acim.spec import ACIMSpec

    leakage, sar = characterization.get("leakage"), characterization.get("sar") or {}
    if not isinstance(leakage, dict):
        return None
    lib = library if isinstance(library, Library) else load_library(library)
    counts = leaf_cell_counts(spice_text, top)
    total = 0.0
    for key, value in leakage.items():
        role = key.removesuffix("_nW")
        if role != "sar" and role in lib.roles:
            total += counts.get(lib.role(role).name, 0) * float(value)
    if "sar_nW" in leakage and all(k in sar for k in ("caps_per_column", "cols_per_adc", "adc_bits")):
        macro = ACIMSpec(**spec)
        ratio = _sar_devices(
            macro.local_arrays_per_column, macro.cols_per_adc, macro.adc_bits
        ) / _sar_devices(int(sar["caps_per_column"]), int(sar["cols_per_adc"]), int(sar["adc_bits"]))
        total += macro.adcs * float(leakage["sar_nW"]) * ratio
    return total


def macro_timing(spec: dict[str, Any], clock_MHz: float, library: Any = None) -> MacroTiming:
    """Model timing and energy of the macro ``spec`` (ACIMSpec fields) at ``clock_MHz``.

    Raises :class:`SpecError` when the model says the macro does not settle at that clock."""
    from eda.acim.models import DesignPoints, evaluate
    from eda.acim.models.area import library_tech

    points = DesignPoints.from_specs([spec], clock_MHz)
    m = {k: float(v[0]) for k, v in evaluate(points, library=library).items()}
    for flag in ("clock_ok", "settling_ok"):
        if flag in m and not m[flag]:
            raise SpecError(
                f"the macro does not settle at {clock_MHz:g} MHz ({flag} is false in the model)",
                hint="write the views at a lower clock (clock_MHz)",
            )
    clocks = round(m["clock_cycles_per_compute"])
    ops_per_compute = m["throughput_tops"] * 1e12 * m["cycle_time_ns"] * 1e-9
    energy_compute_pJ = m["energy_per_op_fJ"] * ops_per_compute * 1e-3
    clk_to_q_ps = getattr(library_tech(library), "sar_clk_to_q_ps", None)
    dout = float(clk_to_q_ps) * 1e-3 if clk_to_q_ps is not None and clk_to_q_ps == clk_to_q_ps else None
    return MacroTiming(
        clock_MHz=clock_MHz,
        period_ns=1e3 / clock_MHz,
        charge_setup_ns=m["t_wordline_ns"] + m["settle_charge_ns"] + m["settle_share_ns"],
        share_setup_ns=m["settle_share_ns"],
        dout_delay_ns=dout,
        energy_per_clock_pJ=energy_compute_pJ / max(clocks, 1),
        compute_cycle_ns=m["cycle_time_ns"],
        clocks_per_compute=clocks,
    )


def _scalar(name: str, value: float) -> str:
    return f'{name} (scalar) {{ values ("{value:.6g}"); }}'


def liberty_text(
    abstract: dict[str, Any],
    spice_text: str,
    timing: MacroTiming,
    gate_cap_fF_per_um2: float,
    vdd_V: float,
    *,
    leakage_nW: float | None = None,
) -> str:
    """The Liberty library of one macro (see the module docstring for where each figure comes from)."""
    name = abstract["name"]
    areas, abstract_ports = pin_gate_areas_um2(spice_text, name)
    caps_fF = {pin: area * gate_cap_fF_per_um2 for pin, area in areas.items()}
    power, ground = list(abstract.get("power", ["VDD"])), list(abstract.get("ground", ["VSS"]))
    pg = set(power) | set(ground)
    corner = f"tt_025C_{vdd_V:.2f}".replace(".", "v")
    out = [
        f"/* {name}: ACIM macro, spec {abstract.get('spec')}; written by eda from the macro's abstract,",
        f"   its SPICE netlist, the analytic models at {timing.clock_MHz:g} MHz and the library's characterisation."
        + ("" if leakage_nW is not None else " No leakage characterised.")
        + " */",
        f"library ({name}) {{",
        "  delay_model : table_lookup;",
        '  time_unit : "1ns";',
        '  voltage_unit : "1V";',
        '  current_unit : "1mA";',
        '  pulling_resistance_unit : "1kohm";',
        '  leakage_power_unit : "1nW";',
        "  capacitive_load_unit (1, ff);",
        "  nom_process : 1;",
        "  nom_temperature : 25;",
        f"  nom_voltage : {vdd_V:g};",
        *(f"  voltage_map ({p}, {vdd_V:g});" for p in power),
        *(f"  voltage_map ({g}, 0);" for g in ground),
        f"  operating_conditions ({corner}) {{",
        "    process : 1;",
        "    temperature : 25;",
        f"    voltage : {vdd_V:g};",
        "  }",
        f"  default_operating_conditions : {corner};",
        f"  cell ({name}) {{",
        f"    area : {float(abstract['area_um2']):.4f};",
        "    is_macro_cell : true;",
        "    dont_touch : true;",
        "    dont_use : true;",
        "    interface_timing : true;",
    ]
    if leakage_nW is not None:
        out.append(f"    cell_leakage_power : {leakage_nW:.6g};")
    out += [f"    pg_pin ({p}) {{ voltage_name : {p}; pg_type : primary_power; }}" for p in power]
    out += [f"    pg_pin ({g}) {{ voltage_name : {g}; pg_type : primary_ground; }}" for g in ground]
    related = f"related_power_pin : {power[0]}; related_ground_pin : {ground[0]};"
    for pin in abstract["pins"]:
        pin_name = pin["name"]
        if pin_name in pg:
            continue
        direction = pin["direction"]
        body = [f"      direction : {direction};", f"      {related}"]
        cap_fF = caps_fF.get(pin_name, 0.0)
        if direction in ("input", "inout") and cap_fF > 0:
            body.append(f"      capacitance : {cap_fF:.4f};")
        elif direction in ("input", "inout"):
            why = "an abstract block" if pin_name in abstract_ports else "no transistor gate"
            body.append(
                f"      /* no capacitance: the pin reaches {why} in the netlist (bit lines reach "
                "drains; the SAR logic is abstract) */"
            )
        if pin_name in CLOCK_PINS:
            body += ["      clock : true;", f"      min_period : {timing.period_ns:.6g};"]
            if pin_name == "CLK":
                body += [
                    "      internal_power () {",
                    f"        {_scalar('rise_power', timing.energy_per_clock_pJ)}",
                    f"        {_scalar('fall_power', 0.0)}",
                    "      }",
                ]
        elif CHARGE_PINS.match(pin_name) or SHARE_PINS.match(pin_name):
            setup = timing.charge_setup_ns if CHARGE_PINS.match(pin_name) else timing.share_setup_ns
            body += [
                "      timing () {",
                '        related_pin : "CLK";',
                "        timing_type : setup_rising;",
                f"        {_scalar('rise_constraint', setup)}",
                f"        {_scalar('fall_constraint', setup)}",
                "      }",
            ]
        elif direction == "output" and timing.dout_delay_ns is not None:
            body += [
                "      timing () {",
                '        related_pin : "CLKSAR";',
                "        timing_type : rising_edge;",
                f"        {_scalar('cell_rise', timing.dout_delay_ns)}",
                f"        {_scalar('cell_fall', timing.dout_delay_ns)}",
                "      }",
            ]
        out += [f"    pin ({pin_name}) {{", *body, "    }"]
    out += ["  }", "}", ""]
    return "\n".join(out)


def verilog_text(abstract: dict[str, Any]) -> str:
    """A Verilog black box of the macro: every LEF pin as a scalar port, power pins under
    ``USE_POWER_PINS`` (the LibreLane/OpenLane convention)."""
    name = abstract["name"]
    pg = set(abstract.get("power", [])) | set(abstract.get("ground", []))
    ports = [
        f"`ifdef USE_POWER_PINS\n    inout {p['name']},\n`endif" for p in abstract["pins"] if p["name"] in pg
    ]
    for pin in abstract["pins"]:
        kind = {"input": "input", "output": "output"}.get(pin["direction"], "inout")
        if pin["name"] not in pg:
            ports.append(f"    {kind} {pin['name']},")
    last = max(i for i, p in enumerate(ports) if not p.startswith("`ifdef"))
    ports[last] = ports[last].rstrip(",")
    return "\n".join(
        [
            f"// {name}: ACIM macro black box (layout: {name}.gds / {name}.lef), written by eda",
            "(* blackbox *)",
            f"module {name} (",
            *ports,
            ");",
            "endmodule",
            "",
        ]
    )


def write_liberty(
    abstract: dict[str, Any],
    spice: str | Path,
    path: str | Path,
    *,
    clock_MHz: float = 100.0,
    library: Any = None,
) -> Path:
    """Write ``<macro>.lib`` for ``abstract`` (:func:`eda.acim.abstract.abstract_dict`) and its SPICE file."""
    from eda.acim.models.area import library_tech

    tech = library_tech(library)
    timing = macro_timing(abstract["spec"], clock_MHz, library)
    characterization = characterization_data(library, tech.corner)
    spice_text = Path(spice).read_text()
    text = liberty_text(
        abstract,
        spice_text,
        timing,
        float(tech.gate_cap_fF_per_um2),
        float(tech.vdd_V),
        leakage_nW=macro_leakage_nW(
            abstract["spec"], spice_text, abstract["name"], characterization, library
        ),
    )
    path = Path(path)
    path.write_text(text)
    return path


def write_verilog(abstract: dict[str, Any], path: str | Path) -> Path:
    """Write the Verilog black box ``<macro>.v``."""
    path = Path(path)
    path.write_text(verilog_text(abstract))
    return path


def write_macro_views(
    abstract: dict[str, Any],
    spice: str | Path | None,
    out_dir: str | Path,
    *,
    tech_file: str | Path | None = None,
    library: Any = None,
    clock_MHz: float = DEFAULT_CLOCK_MHZ,
) -> dict[str, Path]:
    """Write the views of one macro into ``out_dir``: ``<name>.v`` always; ``<name>.lib`` when the SPICE
    netlist is given and the model settles at ``clock_MHz`` (otherwise a warning says why); the KLayout
    ``<tech>.lyp``/``<tech>.lyt`` of ``tech_file`` when the klayout module is installed. Returns
    ``{"verilog": ..., "liberty": ..., "lyp": ..., "lyt": ...}`` for the files written."""
    import importlib.util

    out = Path(out_dir)
    name = abstract["name"]
    files = {"verilog": write_verilog(abstract, out / f"{name}.v")}
    if spice is not None:
        try:
            files["liberty"] = write_liberty(
                abstract, spice, out / f"{name}.lib", clock_MHz=clock_MHz, library=library
            )
        except SpecError as exc:
            logging.getLogger(__name__).warning("no Liberty view for %s: %s", name, exc.message)
    if importlib.util.find_spec("klayout") is not None:
        from eda.tech.klayout import write_klayout_tech

        files["lyp"], files["lyt"] = write_klayout_tech(tech_file, out)
    return files
