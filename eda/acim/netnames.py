"""Macro-level net names of every cell port (one naming scheme shared by the netlist, pins and LVS).

Indices: ``r`` bitcell row, ``c`` column, ``g`` local-array group (``r // L``), ``a`` ADC index
(``c // cols_per_adc``), ``b`` DAC/SAR bit, ``j`` column inside an ADC group.
"""

from __future__ import annotations

import re

from eda.errors import SpecError

__all__ = ["PORT_NETS", "port_template", "row_template"]

#: port name -> net name template (``str.format`` fields r, c, g, a)
PORT_NETS: dict[str, str] = {
    "BL": "BL{c}",
    "BLB": "BLB{c}",
    "LRBL": "LRBL{g}_{c}",
    "CBL": "CBL{c}",
    "CTOP": "CTOP{g}_{c}",
    "WL": "WL{r}",
    "RWL": "RWL{r}",
    "WLN": "WLN{r}",
    "XN": "XN{r}",
    "PCHB": "PCHB{g}",
    "EN": "EN{g}",
    "SH": "SH{g}",
    "RST": "RST{g}",
    "PCHN": "PCHN{g}",
    "ENN": "ENN{g}",
    "SHN": "SHN{g}",
    "RSTN": "RSTN{g}",
    "CRST": "CRST",
    "CSH": "CSH",
    "ADCIN": "ADCIN{a}",
    "OUTP": "OUTP{a}",
    "OUTN": "OUTN{a}",
    "VREF": "VREF",
    "CLK": "CLK",
    "VDD": "VDD",
    "VSS": "VSS",
    "VPB": "VDD",
    "VNB": "VSS",
    "TOP": "{top}",
}

_DB = re.compile(r"^DB(\d+)$")
_DB_J = re.compile(r"^DB(\d+)_(\d+)$")
_DOUT = re.compile(r"^DOUT(\d+)$")


def port_template(port: str, role: str, cols_per_adc: int) -> str:
    """Net-name template of ``port`` of a cell playing ``role``."""
    if role == "sar" and port == "CLK":
        return "CLKSAR"
    if port in PORT_NETS:
        return PORT_NETS[port]
    if m := _DB.match(port):
        return f"DB{m.group(1)}_{{c}}"
    if m := _DB_J.match(port):
        return f"DB{m.group(1)}_{{a{cols_per_adc}_{m.group(2)}}}"
    if m := _DOUT.match(port):
        return f"DOUT{m.group(1)}_{{a}}"
    raise SpecError(
        f"cell port '{port}' (role {role}) has no macro net", hint=f"known ports: {sorted(PORT_NETS)}"
    )


def row_template(ports: tuple[str, ...] | list[str], role: str, cols_per_adc: int) -> str:
    """Space-separated net template of all ``ports`` of a cell, in port order."""
    out = []
    for port in ports:
        t = port_template(port, role, cols_per_adc)
        # DB<b>_<j> of a SAR group: column index a*k + j, resolved with the field ``c0`` (first column)
        t = re.sub(r"\{a\d+_(\d+)\}", lambda m: "{c" + m.group(1) + "}", t)
        out.append(t)
    return " ".join(out)
