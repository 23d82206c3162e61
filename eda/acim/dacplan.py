"""Which compute capacitor serves which DAC bit, and the met4 lines that drive their top plates.

The SAR ADC of a group of ``cols_per_adc`` (K) columns reuses the group's ``G = rows / L`` compute
capacitors per column as its binary-weighted capacitive DAC: bit ``b`` needs ``2**b`` unit capacitors
whose top plates the SAR drives through the DAC line ``DB<b>``; every other capacitor (the DAC's
termination and the capacitors that only take part in the MAC) has its top plate on ``VSS``.

The top plate of a MIM capacitor is contacted from met4 through via3 on the plate, so a capacitor can
only be tied to a met4 line that passes over it. Over a column there are four met4 tracks
(:data:`eda.acim.celllib.grid.M4_TRACKS`); the capacitor is narrow (1.0-1.12 µm, its bottom plate keeps
1.2 µm from the next column's, rule capm.2b), so only the two middle tracks lie over it. A column can
therefore serve at most :data:`MAX_NETS` different nets: the capacitors of each net form one contiguous
run of local arrays from the bottom, the lines run from the periphery up to the top of their run, and the
third net's line jogs once from the outer to a middle track where the second net's line has ended.

:func:`dac_plan` packs the bits into the K columns (a bit of at least G capacitors takes whole columns,
smaller bits share columns, first fit by decreasing size) and raises :class:`~eda.errors.SpecError`
when they do not fit.
"""

from __future__ import annotations

from dataclasses import dataclass

from eda.errors import SpecError

__all__ = ["ColumnPlan", "DacPlan", "dac_plan", "MAX_NETS", "VSS_NET"]

#: different top-plate nets one column can serve (see the module docstring)
MAX_NETS = 4
VSS_NET = "VSS"


@dataclass(frozen=True)
class ColumnPlan:
    """The top-plate nets of one column of an ADC group, as runs from the bottom local array up.

    Attributes:
        runs: ``(net, count)`` in order from local array 0; counts sum to G.
        tracks: met4 track index (0..3) of each net's line from the periphery up to its jog.
        after: track of each net's line from its jog up (equal to ``tracks`` when it does not jog).
    """

    runs: tuple[tuple[str, int], ...]
    tracks: tuple[int, ...]
    after: tuple[int, ...]

    def net(self, group: int) -> str:
        """Top-plate net of the capacitor of local array ``group``."""
        start = 0
        for net, count in self.runs:
            if start <= group < start + count:
                return net
            start += count
        raise IndexError(group)

    def track(self, group: int) -> int:
        """met4 track (1 or 2) over the capacitor of local array ``group`` carrying its net."""
        start = 0
        for i, (_, count) in enumerate(self.runs):
            if start <= group < start + count:
                return self.after[i]
            start += count
        raise IndexError(group)

    def extent(self, index: int) -> tuple[int, int]:
        """Local arrays ``[first, last]`` of the ``index``-th run."""
        start = sum(count for _, count in self.runs[:index])
        return start, start + self.runs[index][1] - 1


@dataclass(frozen=True)
class DacPlan:
    """Top-plate nets of every capacitor of an ADC group (the same for every group of the macro)."""

    groups: int  # G, capacitors per column
    cols_per_adc: int
    adc_bits: int
    columns: tuple[ColumnPlan, ...]

    def net(self, group: int, column: int) -> str:
        """Net of the capacitor of local array ``group`` in column ``column`` of the ADC group."""
        return self.columns[column].net(group)

    def lines(self) -> list[tuple[int, int, int]]:
        """The DAC lines of the group: ``(column, bit, met4 track)`` of every run that is not VSS, in
        column then run order (the SAR logic drives one line per entry)."""
        return [
            (j, int(net[2:]), track)
            for j, column in enumerate(self.columns)
            for (net, _), track in zip(column.runs, column.tracks, strict=True)
            if net != VSS_NET
        ]

    def bit_caps(self) -> dict[str, int]:
        """Capacitors per net over the whole ADC group (``DB<b>`` -> 2**b, ``VSS`` -> the rest)."""
        out: dict[str, int] = {}
        for col in self.columns:
            for net, count in col.runs:
                out[net] = out.get(net, 0) + count
        return out


#: (tracks below the jogs, tracks above) of the lines of a column serving 1..4 nets, in run order
_TRACKS: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {
    1: ((1,), (1,)),
    2: ((1, 2), (1, 2)),
    3: ((1, 2, 3), (1, 2, 2)),
    4: ((1, 2, 3, 0), (1, 2, 2, 1)),
}


def _pack(groups: int, cols: int, bits: int) -> list[list[tuple[str, int]]]:
    columns: list[list[tuple[str, int]]] = [[] for _ in range(cols)]
    free = [groups] * cols
    for b in range(bits - 1, -1, -1):
        need = 2**b
        if need >= groups:
            for _ in range(need // groups):
                j = next((j for j in range(cols) if free[j] == groups), None)
                if j is None:
                    return []
                columns[j].append((f"DB{b}", groups))
                free[j] = 0
            continue
        for j in range(cols):  # first fit: room for the caps and for one more net
            nets = len(columns[j]) + 1 + (1 if free[j] - need > 0 else 0)
            if free[j] >= need and nets <= MAX_NETS:
                columns[j].append((f"DB{b}", need))
                free[j] -= need
                break
        else:
            return []
    for j in range(cols):
        if free[j]:
            columns[j].append((VSS_NET, free[j]))
    return columns


def dac_plan(groups: int, cols_per_adc: int, adc_bits: int) -> DacPlan:
    """Assign every capacitor of a group of ``cols_per_adc`` columns × ``groups`` local arrays to a net.

    Raises :class:`SpecError` (with what would fit) when the DAC rule ``2**adc_bits <= groups *
    cols_per_adc`` fails or the bits need more than :data:`MAX_NETS` nets in some column.
    """
    if 2**adc_bits > groups * cols_per_adc:
        raise SpecError(
            f"a {adc_bits}-bit SAR DAC needs {2**adc_bits} unit capacitors but an ADC group has "
            f"{groups} x {cols_per_adc}",
            hint="fewer adc_bits, a smaller local array or more cols_per_adc",
        )
    packed = _pack(groups, cols_per_adc, adc_bits)
    if not packed:
        best = next((b for b in range(adc_bits - 1, 0, -1) if _pack(groups, cols_per_adc, b)), 0)
        raise SpecError(
            f"the {adc_bits}-bit DAC does not fit the capacitor wiring of {cols_per_adc} column(s) per ADC: "
            f"a column's capacitors can be tied to at most {MAX_NETS} DAC/VSS lines (only two met4 tracks "
            "pass over a MIM capacitor)",
            hint=f"use cols_per_adc >= {2 * cols_per_adc} or adc_bits <= {best}",
        )
    columns = []
    for runs in packed:
        before, after = _TRACKS[len(runs)]
        columns.append(ColumnPlan(tuple(runs), before, after))
    return DacPlan(groups, cols_per_adc, adc_bits, tuple(columns))
