"""Circuit-level check of the QR models with ngspice: one ADC group's charge-redistribution MAC.

:func:`group_deck` writes a SPICE deck of one ADC group (``cols_per_adc`` columns of H/L local nodes) with
the parasitics of :func:`eda.acim.model_area.column_geometry` (from the floorplan and the tech constants):

* local node i: compute capacitor (drawn value, times 1+δ_i for Monte-Carlo mismatch, δ ~ N(0, σ_δ) with
  the Pelgrom σ of the model) plus its parasitic C_node;
* charge phase: a voltage-controlled switch of R_port (the 8T read port) ties the node to VDD when its
  product a_i = 1, to ground otherwise; with ``noise=True`` a ``trnoise`` source in series carries the
  resistor's thermal noise (white, one-sided PSD 4kTR: rms sqrt(2kTR/Δt) at sample step Δt ≪ RC);
  the column line is held at ground by the reset switch (R_sw, with its own noise source);
* share phase: share switches (R_sw) join every node to its segment of the distributed column line
  (R_line, C_line split into H/L π-segments); the lines of the group join at the comparator input node
  (C_g). The share switches are noiseless: charge is conserved while they are on, so their noise cannot
  change the shared charge that the SAR converts (the model's separate conversion-sampling kT/C_T term
  is therefore not part of this comparison, nor are charge injection and comparator noise: the switches
  are ideal ngspice ``SW`` elements and the comparator is not in the deck).

Each deck holds ``trials`` independent copies (own products, own mismatch draw, own noise), so one
ngspice run gives the statistics. :func:`run_check` simulates a deterministic deck (nominal caps, no
noise, the model's clocked phase durations) for output voltage, settling time and supply energy, and a
Monte-Carlo deck for the analog SNR, and returns model and simulation side by side.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eda.acim.model_area import library_tech
from eda.acim.model_tech import ModelTech
from eda.acim.models import DesignPoints, evaluate
from eda.errors import UserError

__all__ = ["GroupCircuit", "group_circuit", "group_deck", "simulate", "run_check", "injection_check",
           "ngspice_available"]


def ngspice_available() -> bool:
    """True when an ``ngspice`` executable is on PATH."""
    return shutil.which("ngspice") is not None


@dataclass(frozen=True)
class GroupCircuit:
    """Element values of one ADC group (SI units)."""

    columns: int
    nodes_per_column: int
    unit_cap_F: float
    node_cap_F: float
    line_cap_F: float
    line_res_ohm: float
    group_cap_F: float
    read_port_ohm: float
    switch_ohm: float
    vdd: float
    sigma_mismatch: float
    tau_charge_s: float
    tau_share_s: float
    temperature_K: float

    @property
    def nodes(self) -> int:
        """Local nodes in the group (N_g)."""
        return self.columns * self.nodes_per_column

    @property
    def c_eff_F(self) -> float:
        return self.unit_cap_F + self.node_cap_F

    @property
    def c_total_F(self) -> float:
        """C_T = G·(N·C_eff + C_line) + C_g."""
        return self.columns * (self.nodes_per_column * self.c_eff_F + self.line_cap_F) + self.group_cap_F

    def ideal_output(self, count: np.ndarray) -> np.ndarray:
        """The model's output voltage for K active nodes (nominal capacitors)."""
        return self.vdd * np.asarray(count, dtype=float) * self.c_eff_F / self.c_total_F


def group_circuit(spec: dict[str, Any], clock_MHz: float, tech: ModelTech | None = None,
                  library: Any = None) -> GroupCircuit:
    """Element values of the group of ``spec`` from the same geometry the models use."""
    tech = tech or library_tech(library)
    from eda.acim.model_area import column_geometry
    from eda.acim.model_throughput import time_constants

    points = DesignPoints.from_specs([spec], clock_MHz)
    geo = column_geometry(points, tech, library=library)
    tau = time_constants(points, tech, geo)
    cap = float(geo["unit_cap_drawn_fF"][0])
    sigma = tech.cap_matching_pct_um * 1e-2 / math.sqrt(cap / tech.cap_density_fF_per_um2)
    return GroupCircuit(
        columns=int(spec["cols_per_adc"]), nodes_per_column=int(points.caps_per_column[0]),
        unit_cap_F=cap * 1e-15, node_cap_F=float(geo["local_node_cap_fF"][0]) * 1e-15,
        line_cap_F=float(geo["line_cap_fF"][0]) * 1e-15, line_res_ohm=float(geo["line_res_ohm"][0]),
        group_cap_F=float(geo["group_wire_cap_fF"][0]) * 1e-15, read_port_ohm=tech.read_port_ron_ohm,
        switch_ohm=tech.switch_ron_ohm, vdd=tech.vdd_V, sigma_mismatch=sigma,
        tau_charge_s=float(tau["tau_charge_s"][0]), tau_share_s=float(tau["tau_share_s"][0]),
        temperature_K=tech.temperature_K)


def group_deck(circuit: GroupCircuit, products: np.ndarray, caps_F: np.ndarray, *, t_charge: float,
               t_share: float, noise: bool, noise_step: float, seed: int, output: str) -> str:
    """SPICE text simulating ``len(products)`` independent trials of the group.

    Args:
        products: (trials × N_g) 0/1 binary products a_i.
        caps_F: (trials × N_g) compute capacitances (nominal or Monte-Carlo draws), farad.
        t_charge, t_share: phase durations (s); the charge phase starts at t = 0.
        noise: add thermal noise of the read-port resistors in the charge phase.
        noise_step: ``trnoise`` sample step (s).
        output: file ngspice writes the group-node voltages (and the supply current) to.
    """
    c = circuit
    edge = min(t_charge, t_share) * 1e-3
    k_b = 1.380649e-23
    noise_rms = math.sqrt(2 * k_b * c.temperature_K * c.read_port_ohm / noise_step)
    seg_r = c.line_res_ohm / c.nodes_per_column
    seg_c = c.line_cap_F / c.nodes_per_column
    lines = ["* QR ACIM group: charge phase then charge sharing", f".param vdd={c.vdd}",
             "VDD vdd 0 DC {vdd}",
             f"VC1 c1 0 PWL(0 0 {edge:.4e} 1 {t_charge - edge:.4e} 1 {t_charge:.4e} 0)",
             f"VC2 c2 0 PWL(0 0 {t_charge:.4e} 0 {t_charge + edge:.4e} 1 {t_charge + t_share:.4e} 1)",
             f".model sport sw vt=0.5 vh=0 ron={c.read_port_ohm} roff=1e15",
             f".model sshare sw vt=0.5 vh=0 ron={c.switch_ohm} roff=1e15"]
    for m, (row, caps) in enumerate(zip(products, caps_F, strict=True)):
        lines.append(f"Cg{m} g{m} 0 {c.group_cap_F:.5e}")
        for col in range(c.columns):
            base = f"{m}_{col}"
            for i in range(c.nodes_per_column):
                line_node = f"l{base}_{i}"
                nxt = f"l{base}_{i - 1}" if i else f"g{m}"
                lines.append(f"RL{base}_{i} {line_node} {nxt} {seg_r:.5e}")
                lines.append(f"CL{base}_{i} {line_node} 0 {seg_c:.5e}")
            reset = "0"
            if noise:
                reset_rms = math.sqrt(2 * k_b * c.temperature_K * c.switch_ohm / noise_step)
                lines.append(f"VNR{base} 0 r{base} DC 0 TRNOISE({reset_rms:.4e} {noise_step:.3e} 0 0)")
                reset = f"r{base}"
            lines.append(f"SR{base} l{base}_0 {reset} c1 0 sshare")
            for i in range(c.nodes_per_column):
                k = col * c.nodes_per_column + i
                node = f"t{base}_{i}"
                src = "vdd" if row[k] else "0"
                lines.append(f"C{base}_{i} {node} 0 {caps[k]:.6e}")
                lines.append(f"CP{base}_{i} {node} 0 {c.node_cap_F:.5e}")
                if noise:
                    lines.append(f"VN{base}_{i} {src} n{base}_{i} DC 0 TRNOISE({noise_rms:.4e} {noise_step:.3e} 0 0)")
                    src = f"n{base}_{i}"
                lines.append(f"SP{base}_{i} {node} {src} c1 0 sport")
                lines.append(f"SS{base}_{i} {node} l{base}_{i} c2 0 sshare")
    t_stop = t_charge + t_share
    step = noise_step if noise else min(c.tau_charge_s, c.tau_share_s) / 10
    vectors = " ".join(f"v(g{m})" for m in range(len(products)))
    lines += [f".options method=gear reltol=1e-5 abstol=1e-15 seed={seed}",
              ".control", f"set rndseed={seed}", f"tran {step:.4e} {t_stop:.4e} 0 {step:.4e} uic",
              f"wrdata {output} i(vdd) {vectors}", "quit", ".endc", ".end"]
    return "\n".join(lines) + "\n"


def simulate(deck: str, output_name: str = "out.txt", timeout_s: float = 300.0) -> np.ndarray:
    """Run ngspice in batch mode on ``deck``; returns the ``wrdata`` table (time, then value columns)."""
    if not ngspice_available():
        raise UserError("ngspice is not installed", hint="apt-get install -y ngspice")
    with tempfile.TemporaryDirectory(prefix="eda-ngspice-") as tmp:
        path = Path(tmp) / "deck.cir"
        path.write_text(deck.replace(output_name, str(Path(tmp) / output_name)))
        proc = subprocess.run(["ngspice", "-b", str(path)], capture_output=True, text=True, timeout=timeout_s,
                              cwd=tmp)
        out = Path(tmp) / output_name
        if proc.returncode != 0 or not out.exists():
            raise UserError(f"ngspice failed (exit {proc.returncode}): {proc.stdout[-800:]} {proc.stderr[-800:]}")
        table = np.loadtxt(out, ndmin=2)
    time = table[:, 0:1]
    return np.concatenate([time, table[:, 1::2]], axis=1)


def _settle_time(t: np.ndarray, v: np.ndarray, t0: float, tol: float) -> float:
    """First time after ``t0`` from which |v − v_end| stays below ``tol``."""
    after = t >= t0
    err = np.abs(v[after] - v[-1])
    outside = np.flatnonzero(err >= tol)
    if outside.size == 0:
        return 0.0
    last = outside[-1]
    return float(t[after][min(last + 1, len(err) - 1)] - t0)


def run_check(spec: dict[str, Any], *, clock_MHz: float = 500.0, trials: int = 200, seed: int = 1,
              tech: ModelTech | None = None, library: Any = None) -> dict[str, Any]:
    """Model vs ngspice for one spec: output voltage, share settling, supply energy and analog SNR.

    Returns a dict with per-trial voltages (``v_model``, ``v_sim``), ``settle_model_s``/``settle_sim_s``
    (share-phase settling to half an LSB, per trial), ``energy_model_J``/``energy_sim_J`` (charge phase,
    per trial), ``snr_model_db``/``snr_sim_db`` (one bit-plane, thermal + mismatch) and their inputs.
    """
    from eda.acim.model_snr import PRODUCT_PROBABILITY, mismatch_variance
    from eda.acim.model_throughput import settling_time

    tech = tech or library_tech(library)
    circuit = group_circuit(spec, clock_MHz, tech, library)
    metrics = evaluate(DesignPoints.from_specs([spec], clock_MHz), tech, library=library)
    rng = np.random.default_rng(seed)
    n = circuit.nodes
    bits = int(spec["adc_bits"])
    full_scale = circuit.ideal_output(n)
    lsb = float(full_scale) / 2**bits

    # deterministic deck: the model's clocked phases, nominal capacitors
    det_trials = 8
    products = (rng.random((det_trials, n)) < PRODUCT_PROBABILITY).astype(int)
    products[0, :] = 1  # full scale: the worst settling case
    nominal = np.full((det_trials, n), circuit.unit_cap_F)
    t_charge = float(metrics["t_charge_ns"][0]) * 1e-9
    t_share = float(metrics["t_share_ns"][0]) * 1e-9
    table = simulate(group_deck(circuit, products, nominal, t_charge=t_charge, t_share=t_share, noise=False,
                                noise_step=0.0 + 1e-12, seed=seed, output="det.txt"), "det.txt")
    t, current, v = table[:, 0], table[:, 1], table[:, 2:]
    count = products.sum(axis=1)
    v_model = circuit.ideal_output(count)
    charge = t <= t_charge
    energy_sim = -circuit.vdd * np.trapezoid(current[charge], t[charge])
    energy_model = float(count.sum()) * circuit.c_eff_F * circuit.vdd**2
    settle_sim = np.array([_settle_time(t, v[:, m], t_charge, lsb / 2) for m in range(det_trials)])
    settle_model = settling_time(np.full(det_trials, circuit.tau_share_s), np.full(det_trials, bits),
                                 np.maximum(v_model, lsb) / full_scale)

    # Monte-Carlo deck: mismatch draws and read-port thermal noise, long phases
    mc_products = (rng.random((trials, n)) < PRODUCT_PROBABILITY).astype(int)
    caps = circuit.unit_cap_F * (1 + circuit.sigma_mismatch * rng.standard_normal((trials, n)))
    step = circuit.tau_charge_s / 10
    table = simulate(group_deck(circuit, mc_products, caps, t_charge=14 * circuit.tau_charge_s,
                                t_share=14 * circuit.tau_share_s, noise=True, noise_step=step, seed=seed,
                                output="mc.txt"), "mc.txt")
    v_mc = table[-1, 2:]
    mc_count = mc_products.sum(axis=1)
    ideal = circuit.ideal_output(mc_count)
    signal = float(np.var(ideal))
    noise_sim = float(np.mean((v_mc - ideal) ** 2))
    kt_c = 1.380649e-23 * circuit.temperature_K / circuit.c_total_F
    mm = mismatch_variance(mc_count, n, circuit.c_eff_F, circuit.c_total_F, circuit.sigma_mismatch,
                           circuit.unit_cap_F, circuit.vdd)
    noise_model = float(np.mean(kt_c + mm))
    return {
        "spec": spec, "clock_MHz": clock_MHz, "circuit": circuit, "counts": count,
        "v_model": v_model, "v_sim": v[-1], "full_scale_V": float(full_scale), "lsb_V": lsb,
        "settle_model_s": settle_model, "settle_sim_s": settle_sim,
        "energy_model_J": energy_model * 1.0, "energy_sim_J": float(energy_sim),
        "snr_model_db": 10 * math.log10(signal / noise_model), "snr_sim_db": 10 * math.log10(signal / noise_sim),
        "noise_model_V2": noise_model, "noise_sim_V2": noise_sim, "trials": trials,
    }


def injection_check(*, trials: int = 200, node_cap_fF: float = 6.0, edge_ps: float = 20.0, seed: int = 1,
                    tech: ModelTech | None = None) -> dict[str, float]:
    """Charge injection of a compute/reset switch turning off, simulated with a level-1 NMOS per trial.

    Each trial: an NMOS switch (the tech's W·L, Vth = ``vth_V`` + δ, δ ~ N(0, A_VT/√(WL)), t_ox from the
    gate capacitance, KP 270 µA/V²) holds a ``node_cap_fF`` node at ground; its gate falls from VDD in
    ``edge_ps``. Returns the simulated mean and standard deviation of the node's final voltage and the
    model's: mean −½·C_g·(VDD − Vth)/C (half the channel charge) and σ = ½·C_g·σ_Vth/C, which is the
    fast-edge limit and therefore an upper bound of the random part.
    """
    tech = tech or library_tech(None)
    rng = np.random.default_rng(seed)
    area_m2 = tech.switch_gate_area_um2 * 1e-12
    length = 0.15e-6
    width = area_m2 / length
    sigma_vth = tech.avt_mV_um * 1e-3 * 1e-6 / math.sqrt(area_m2)
    tox = 3.45e-11 / (tech.gate_cap_fF_per_um2 * 1e-3)
    delta = sigma_vth * rng.standard_normal(trials)
    cap = node_cap_fF * 1e-15
    lines = ["* charge injection of an NMOS switch",
             f"VG g 0 PWL(0 {tech.vdd_V} 100p {tech.vdd_V} {100 + edge_ps}p 0)"]
    for m in range(trials):
        lines += [f".model n{m} nmos level=1 vto={tech.vth_V + delta[m]:.6f} kp=270u tox={tox:.4e} lambda=0",
                  f"M{m} t{m} g 0 0 n{m} W={width:.4e} L={length:.4e}", f"C{m} t{m} 0 {cap:.4e}"]
    vectors = " ".join(f"v(t{m})" for m in range(trials))
    lines += [".options method=gear", ".ic " + " ".join(f"v(t{m})=0" for m in range(trials)), ".control",
              f"tran 0.5p {200 + 10 * edge_ps:.0f}p uic", f"wrdata inj.txt {vectors}", "quit", ".endc", ".end"]
    final = simulate("\n".join(lines) + "\n", "inj.txt")[-1, 1:]
    gate_cap = tech.gate_cap_fF_per_um2 * tech.switch_gate_area_um2 * 1e-15
    return {"mean_sim_V": float(final.mean()), "std_sim_V": float(final.std()),
            "mean_model_V": -0.5 * gate_cap * (tech.vdd_V - tech.vth_V) / cap,
            "std_model_V": 0.5 * gate_cap * sigma_vth / cap,
            "vth_correlation": float(np.corrcoef(final, delta)[0, 1])}
