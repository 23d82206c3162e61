"""Benchmark: time, peak memory and density of generating an ACIM macro (GDS + SPICE netlist) per size.

Each macro runs in a fresh process (peak RSS is per process). Next to it, in the same process, a raw gdstk
write of the same number of cell references (one ``gdstk.Reference`` per placed instance, no netlist) gives
a lower bound for a generator that places instances one by one. Density: macro area per bit (µm² and F²,
F = 130 nm, the whole macro boundary: array, periphery, ADCs, SAR logic, drivers, tap columns and ring)
next to the bitcell's own area.

    .venv/bin/python benchmarks/acim_generate.py [--sizes 64 256 512 1024] [--local-array-size 4]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


F_UM = 0.130  # feature size F of SKY130 (µm)


def _generate(size: int, local: int, queue: mp.Queue) -> None:
    from eda.acim.generator import generate
    from eda.acim.spec import ACIMSpec

    spec = ACIMSpec(rows=size, cols=size, local_array_size=local, adc_bits=5, cols_per_adc=4)
    with tempfile.TemporaryDirectory() as tmp:
        before = _rss_mib()
        t0 = time.perf_counter()
        macro = generate(spec, out_dir=tmp)
        seconds = time.perf_counter() - t0
        gds_mb = macro.files["gds"].stat().st_size / 1e6
        net_mb = macro.files["netlist"].stat().st_size / 1e6
    fp = macro.floorplan
    queue.put(
        {
            "seconds": seconds,
            "peak_mib": _rss_mib(),
            "delta_mib": _rss_mib() - before,
            "instances": len(macro.netlist),
            "gds_mb": gds_mb,
            "netlist_mb": net_mb,
            "area_mm2": fp.area_um2 / 1e6,
            "um2_per_bit": fp.area_um2 / spec.bitcells,
            "bitcell_um2": fp.pitch * fp.bit_h,
        }
    )


def _raw(instances: int, queue: mp.Queue) -> None:
    import gdstk

    with tempfile.TemporaryDirectory() as tmp:
        before = _rss_mib()
        t0 = time.perf_counter()
        lib = gdstk.Library()
        leaf = gdstk.Cell("leaf")
        leaf.add(gdstk.rectangle((0, 0), (1, 1)))
        top = gdstk.Cell("top")
        for i in range(instances):
            top.add(gdstk.Reference(leaf, (float(i % 1024) * 20.0, float(i // 1024) * 10.0)))
        lib.add(leaf, top)
        lib.write_gds(Path(tmp) / "raw.gds")
        seconds = time.perf_counter() - t0
    queue.put({"seconds": seconds, "peak_mib": _rss_mib(), "delta_mib": _rss_mib() - before})


def _run(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 512, 1024])
    parser.add_argument(
        "--local-array-size",
        type=int,
        nargs="+",
        default=[4, 8],
        help="local array sizes to run (all with 5-bit ADCs, 4 columns per ADC)",
    )
    args = parser.parse_args()
    targets = {256: 2.0, 1024: 15.0}
    print(
        f"{'macro':>13} {'instances':>10} {'gen s':>7} {'gen MiB':>8} {'raw s':>7} {'gen/raw':>8} {'GDS MB':>7} "
        f"{'SPICE MB':>8} {'area mm2':>9} {'um2/bit':>8} {'F2/bit':>7} {'bitcell um2':>11} {'time':>8}"
    )
    for size in args.sizes:
        for local in args.local_array_size:
            gen = _run(_generate, size, local)
            raw = _run(_raw, gen["instances"])
            target = targets.get(size)
            verdict = (
                "" if target is None else ("ok" if gen["seconds"] <= target else "MISS") + f" {target:g}s"
            )
            f2 = gen["um2_per_bit"] / F_UM**2
            print(
                f"{size:>5}x{size:<4}L{local:<2} {gen['instances']:>10} {gen['seconds']:>7.2f} {gen['peak_mib']:>8.0f} "
                f"{raw['seconds']:>7.2f} {gen['seconds'] / raw['seconds']:>8.2f} {gen['gds_mb']:>7.2f} "
                f"{gen['netlist_mb']:>8.1f} {gen['area_mm2']:>9.3f} {gen['um2_per_bit']:>8.2f} {f2:>7.0f} "
                f"{gen['bitcell_um2']:>11.2f} {verdict:>8}"
            )


if __name__ == "__main__":
    main()
