"""PDN SPICE netlists: the :class:`PdnNetlist` data structure, a vectorised reader and a writer.

Supported elements: ``R`` (Ω), ``V`` (V, pads), ``I`` (A; DC, ``PWL(...)`` and ``PULSE(...)``), ``C`` (F)
and ``L`` (H); SI suffixes ``f p n u m k meg g t`` (and ``mil``); ``*`` comment lines, ``;``/``$``
inline comments, ``+`` continuation lines; directives ``.op``, ``.tran``, ``.end`` (others are kept
as text and ignored); gzip input detected by content. Node ``0`` (or ``gnd``) is ground, stored as
index ``-1``.

Parsing is vectorised: the file is read once as bytes, line kinds come from a numpy view of the first
byte of every line, each element kind is tokenised with one ``bytes.split`` over its lines and node names
are interned by hashing fixed-width byte keys (collisions verified). Only lines that do not fit the
fast path (extra tokens, waveforms, errors) go through a per-line parser, which is also what produces
the ``file:line`` diagnostics.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import numpy as np

from eda.errors import DataError, NetlistError
from eda.pdn.maps import read_bytes
from eda.pdn.nodenames import decode_node_names

__all__ = [
    "PdnNetlist",
    "Waveforms",
    "read_netlist",
    "parse_netlist",
    "write_netlist",
    "parse_value",
    "save_npz",
    "load_npz",
]

_SI = {
    "t": 1e12,
    "g": 1e9,
    "meg": 1e6,
    "k": 1e3,
    "mil": 25.4e-6,
    "m": 1e-3,
    "u": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
}
_VALUE_RE = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(meg|mil|[tgkmunpf])?[a-z]*$")
_GROUND = {b"0", b"gnd", b"GND", b"gnd!", b"GND!"}
_EMPTY_I = np.zeros(0, dtype=np.int64)
_EMPTY_F = np.zeros(0, dtype=np.float64)
_MAX_WARNINGS = 5  # duplicate names reported one by one (the rest are counted)


def parse_value(token: str | bytes) -> float:
    """A SPICE number with optional SI suffix (``4.7k``, ``10meg``, ``2.5mA``) as a float.

    Raises ``ValueError`` when the token is not a number.
    """
    text = token.decode() if isinstance(token, bytes) else token
    m = _VALUE_RE.match(text.strip().lower())
    if not m:
        raise ValueError(f"not a number: {text!r}")
    return float(m.group(1)) * _SI.get(m.group(2) or "", 1.0)


def _values(tokens: list[bytes]) -> np.ndarray:
    """Vectorised float conversion; suffixed values go through :func:`parse_value` per unique token."""
    if not tokens:
        return np.zeros(0)
    try:
        return np.array(tokens, dtype=np.float64)  # C-level parse, no intermediate bytes array
    except ValueError:
        uniq, inv = np.unique(np.array(tokens), return_inverse=True)
        return np.array([parse_value(u) for u in uniq], dtype=np.float64)[inv]


@dataclass
class Waveforms:
    """Time dependence of the current sources (one entry per ``I`` element).

    Attributes:
        kind: 0 DC, 1 PWL, 2 PULSE.
        pwl_ptr: CSR row pointer into ``pwl_t``/``pwl_v`` (length n+1; empty rows for non-PWL sources).
        pwl_t: PWL breakpoints (s), increasing within a source.
        pwl_v: PWL values (A).
        pulse: ``(n, 7)`` PULSE parameters ``v1 v2 td tr tf pw per`` (s, A); NaN rows for non-PULSE.
    """

    kind: np.ndarray
    pwl_ptr: np.ndarray
    pwl_t: np.ndarray
    pwl_v: np.ndarray
    pulse: np.ndarray

    @classmethod
    def dc(cls, n: int) -> Waveforms:
        return cls(
            np.zeros(n, np.int8),
            np.zeros(n + 1, np.int64),
            _EMPTY_F.copy(),
            _EMPTY_F.copy(),
            np.full((n, 7), np.nan),
        )

    @property
    def is_static(self) -> bool:
        return not bool(np.any(self.kind))


@dataclass
class PdnNetlist:
    """A power delivery network as arrays (node indices, ``-1`` is ground).

    Node attributes: ``names`` (bytes array), ``x_um``/``y_um`` (µm, NaN when the name has no coordinates),
    ``layer`` (metal index, -1 unknown). Elements are parallel arrays per kind: ``r_a, r_b, r_ohm``;
    ``v_pos, v_neg, v_volt`` (pads); ``i_a, i_b, i_amp`` (DC value in A flowing from ``i_a`` through the
    source into ``i_b``, so ``I x 0 1m`` draws 1 mA from node x) with ``waves``; ``c_a, c_b, c_f``;
    ``l_a, l_b, l_h``. ``*_line`` arrays hold 1-based source lines (0 for generated elements).
    """

    names: np.ndarray
    x_um: np.ndarray
    y_um: np.ndarray
    layer: np.ndarray
    r_a: np.ndarray
    r_b: np.ndarray
    r_ohm: np.ndarray
    v_pos: np.ndarray = field(default_factory=lambda: _EMPTY_I.copy())
    v_neg: np.ndarray = field(default_factory=lambda: _EMPTY_I.copy())
    v_volt: np.ndarray = field(default_factory=lambda: _EMPTY_F.copy())
    i_a: np.ndarray = field(default_factory=lambda: _EMPTY_I.copy())
    i_b: np.ndarray = field(default_factory=lambda: _EMPTY_I.copy())
    i_amp: np.ndarray = field(default_factory=lambda: _EMPTY_F.copy())
    waves: Waveforms | None = None
    c_a: np.ndarray = field(default_factory=lambda: _EMPTY_I.copy())
    c_b: np.ndarray = field(default_factory=lambda: _EMPTY_I.copy())
    c_f: np.ndarray = field(default_factory=lambda: _EMPTY_F.copy())
    l_a: np.ndarray = field(default_factory=lambda: _EMPTY_I.copy())
    l_b: np.ndarray = field(default_factory=lambda: _EMPTY_I.copy())
    l_h: np.ndarray = field(default_factory=lambda: _EMPTY_F.copy())
    r_line: np.ndarray = field(default_factory=lambda: _EMPTY_I.copy())
    v_line: np.ndarray = field(default_factory=lambda: _EMPTY_I.copy())
    i_line: np.ndarray = field(default_factory=lambda: _EMPTY_I.copy())
    c_line: np.ndarray = field(default_factory=lambda: _EMPTY_I.copy())
    l_line: np.ndarray = field(default_factory=lambda: _EMPTY_I.copy())
    tran: tuple[float, float] | None = None
    source: str = "<memory>"
    #: suspicious but legal things the reader saw (duplicate element names); logged by the checks
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.waves is None:
            self.waves = Waveforms.dc(len(self.i_a))
        for kind in ("r", "v", "i", "c", "l"):
            n = len(getattr(self, {"r": "r_a", "v": "v_pos", "i": "i_a", "c": "c_a", "l": "l_a"}[kind]))
            if len(getattr(self, f"{kind}_line")) != n:
                setattr(self, f"{kind}_line", np.zeros(n, dtype=np.int64))

    @property
    def n_nodes(self) -> int:
        return len(self.names)

    def node_name(self, i: int) -> str:
        """Name of node ``i`` (``0`` for ground)."""
        return "0" if i < 0 else self.names[i].decode()

    def where(self, kind: str, k: int) -> str:
        """``file:line`` of element ``k`` of ``kind`` (``r``, ``v``, ``i``, ``c``, ``l``)."""
        line = int(getattr(self, f"{kind}_line")[k])
        return f"{self.source}:{line}" if line else f"{self.source} ({kind.upper()} element #{k})"

    def describe_node(self, i: int) -> str:
        """``name (x, y) µm on m<layer>`` for messages."""
        text = self.node_name(i)
        if i >= 0 and np.isfinite(self.x_um[i]):
            text += f" at ({self.x_um[i]:.3f}, {self.y_um[i]:.3f}) µm"
        if i >= 0 and self.layer[i] >= 0:
            text += f" on m{int(self.layer[i])}"
        return text

    @property
    def supply_v(self) -> float:
        """Nominal supply: the largest pad voltage (V)."""
        return float(np.max(self.v_volt)) if len(self.v_volt) else 0.0

    def summary(self) -> dict[str, int]:
        return {
            "nodes": self.n_nodes,
            "resistors": len(self.r_a),
            "pads": len(self.v_pos),
            "current_sources": len(self.i_a),
            "capacitors": len(self.c_a),
            "inductors": len(self.l_a),
        }


# ---------------------------------------------------------------------------------------------- reading


def read_netlist(path: str | Path, *, dbu_per_um: float = 2000.0) -> PdnNetlist:
    """Read a PDN SPICE netlist (gzip or plain). Raises :class:`NetlistError` with ``file:line``."""
    p = Path(path)
    return parse_netlist(read_bytes(p), source=str(p), dbu_per_um=dbu_per_um)


def _line_starts(data: bytes) -> np.ndarray:
    buf = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    return np.concatenate([[0], nl + 1]), buf


class _Lines:
    """The file as a list of byte lines plus per-line first-character kinds."""

    def __init__(self, data: bytes, source: str) -> None:
        self.source = source
        if b"\r" in data:
            data = data.replace(b"\r", b"")
        self.lines = data.split(b"\n")
        starts, buf = _line_starts(data)
        self.data, self.starts = data, starts
        self.modified = False  # True once any line was rewritten (then blocks are re-joined from lines)
        first = np.zeros(len(starts), dtype=np.uint8)
        ok = starts < len(buf)
        first[ok] = buf[starts[ok]]
        # lower-case ASCII letters to upper
        first = np.where((first >= 97) & (first <= 122), first - 32, first)
        self.first = first
        self._fix_leading_space()
        self._fix_inline_comments(data)
        self._join_continuations()
        self._cut_at_end()

    def _fix_leading_space(self) -> None:
        for i in np.flatnonzero((self.first == 32) | (self.first == 9)):
            self.modified = True
            s = self.lines[i].lstrip()
            self.lines[i] = s
            c = s[:1].upper()
            self.first[i] = c[0] if c else 0

    def _fix_inline_comments(self, data: bytes) -> None:
        if b";" not in data and b"$" not in data:
            return
        self.modified = True
        for i, ln in enumerate(self.lines):
            if self.first[i] == 42:  # comment line
                continue
            for mark in (b";", b" $", b"\t$"):
                j = ln.find(mark)
                if j >= 0:
                    ln = ln[:j]
            self.lines[i] = ln

    def _join_continuations(self) -> None:
        cont = np.flatnonzero(self.first == 43)  # '+'
        if len(cont) == 0:
            return
        self.modified = True
        owner = -1
        for i in cont:
            j = i - 1
            while j >= 0 and self.first[j] in (0, 42, 43):
                j -= 1
            if j < 0:
                raise NetlistError(
                    "continuation line '+' with no element before it",
                    where=f"{self.source}:{i + 1}",
                    hint="remove the '+' or join the lines",
                )
            owner = j
            self.lines[owner] = self.lines[owner] + b" " + self.lines[i][1:]
            self.lines[i] = b""
            self.first[i] = 0

    def _cut_at_end(self) -> None:
        dots = np.flatnonzero(self.first == 46)
        for i in dots:
            if self.lines[i].split()[0].lower() == b".end":
                self.first[i + 1 :] = 0
                break

    def block(self, idx: np.ndarray) -> bytes:
        """The selected lines joined by newlines (a slice of the file when they are contiguous)."""
        if len(idx) and not self.modified and int(idx[-1]) - int(idx[0]) + 1 == len(idx):
            end = int(self.starts[idx[-1] + 1]) if idx[-1] + 1 < len(self.starts) else len(self.data)
            return self.data[int(self.starts[idx[0]]) : end]
        return b"\n".join(self.select(idx))

    def select(self, idx: np.ndarray) -> list[bytes]:
        if len(idx) == 0:
            return []
        if len(idx) == 1:
            return [self.lines[int(idx[0])]]
        return list(itemgetter(*idx.tolist())(self.lines))


def _two_terminal(
    lines: _Lines, idx: np.ndarray, kind: str, what: str
) -> tuple[list[bytes], list[bytes], np.ndarray, list[bytes]]:
    """Nodes, values and element names of ``X a b value`` elements; per-line diagnosis when the fast
    path fails."""
    tokens = lines.block(idx).split()
    if len(tokens) == 4 * len(idx):
        try:
            return tokens[1::4], tokens[2::4], _values(tokens[3::4]), tokens[0::4]
        except ValueError:
            pass
    block = lines.select(idx)
    a, b, vals, names = [], [], [], []
    for i, ln in zip(idx.tolist(), block, strict=True):
        parts = ln.split()
        where = f"{lines.source}:{i + 1}"
        if len(parts) < 4:
            raise NetlistError(
                f"{kind} element '{parts[0].decode(errors='replace')}' has {len(parts)} fields",
                where=where,
                hint=f"expected '{kind}<name> <node+> <node-> <{what}>'",
            )
        try:
            val = parse_value(parts[3].split(b"=")[-1])
        except ValueError:
            raise NetlistError(
                f"{kind} element '{parts[0].decode(errors='replace')}': "
                f"'{parts[3].decode(errors='replace')}' is not a number",
                where=where,
                hint=f"expected '{kind}<name> <node+> <node-> <{what}>'",
            ) from None
        extra = [p for p in parts[4:] if b"=" not in p]
        if extra:
            raise NetlistError(
                f"unexpected field '{extra[0].decode(errors='replace')}' after the value",
                where=where,
                hint=f"expected '{kind}<name> <node+> <node-> <{what}>'",
            )
        a.append(parts[1])
        b.append(parts[2])
        vals.append(val)
        names.append(parts[0])
    return a, b, np.array(vals, dtype=np.float64), names


_WAVE_RE = re.compile(rb"(pwl|pulse)\s*\(([^)]*)\)?", re.IGNORECASE)


def _sources(
    lines: _Lines, idx: np.ndarray, kind: str
) -> tuple[list[bytes], list[bytes], np.ndarray, list, list[bytes]]:
    """``V``/``I`` elements: DC fast path, PWL/PULSE/``DC x`` parsed per line (last: element names)."""
    tokens = lines.block(idx).split()
    waves: list = [None] * len(idx)
    if len(tokens) == 4 * len(idx):
        try:
            return tokens[1::4], tokens[2::4], _values(tokens[3::4]), waves, tokens[0::4]
        except ValueError:
            pass
    block = lines.select(idx)
    a, b, vals, names = [], [], [], []
    hint = f"expected '{kind}<name> <node+> <node-> [DC] <value>' or PWL(t1 v1 ...) or PULSE(v1 v2 td tr tf pw per)"
    for k, (i, ln) in enumerate(zip(idx.tolist(), block, strict=True)):
        where = f"{lines.source}:{i + 1}"
        parts = ln.split()
        if len(parts) < 4:
            raise NetlistError(
                f"{kind} source '{parts[0].decode(errors='replace')}' has {len(parts)} fields",
                where=where,
                hint=hint,
            )
        a.append(parts[1])
        b.append(parts[2])
        names.append(parts[0])
        rest = b" ".join(parts[3:])
        m = _WAVE_RE.search(rest)
        dc = 0.0
        try:
            head = rest[: m.start()].split() if m else rest.split()
            if head and head[0].lower() == b"dc":
                head = head[1:]
            if head:
                dc = parse_value(head[0])
            if m:
                if m.group(0)[-1:] != b")":
                    raise NetlistError("waveform has no closing ')'", where=where, hint=hint)
                nums = [parse_value(t) for t in m.group(2).replace(b",", b" ").split()]
                if m.group(1).lower() == b"pwl":
                    if len(nums) < 2 or len(nums) % 2:
                        raise NetlistError(
                            f"PWL needs time/value pairs, got {len(nums)} numbers", where=where, hint=hint
                        )
                    t = np.array(nums[0::2])
                    if np.any(np.diff(t) < 0):
                        raise NetlistError("PWL times must not decrease", where=where, hint=hint)
                    waves[k] = ("pwl", t, np.array(nums[1::2]))
                    if not head:
                        dc = nums[1]
                else:
                    if len(nums) < 2:
                        raise NetlistError("PULSE needs at least v1 v2", where=where, hint=hint)
                    # missing trailing fields: td = tr = tf = 0, pw = per = infinity (a single step)
                    p = (nums + [0.0, 0.0, 0.0, 0.0, 0.0, np.inf, np.inf][len(nums) :])[:7]
                    waves[k] = ("pulse", np.array(p))
                    if not head:
                        dc = nums[0]
            elif not head:
                raise ValueError("no value")
        except ValueError as exc:
            raise NetlistError(
                f"{kind} source '{parts[0].decode(errors='replace')}': {exc}", where=where, hint=hint
            ) from None
        vals.append(dc)
    return a, b, np.array(vals, dtype=np.float64), waves, names


def _build_waveforms(waves: list) -> Waveforms:
    n = len(waves)
    w = Waveforms.dc(n)
    counts = np.zeros(n, np.int64)
    ts, vs = [], []
    for k, item in enumerate(waves):
        if item is None:
            continue
        if item[0] == "pwl":
            w.kind[k] = 1
            counts[k] = len(item[1])
            ts.append(item[1])
            vs.append(item[2])
        else:
            w.kind[k] = 2
            w.pulse[k] = item[1]
    w.pwl_ptr = np.concatenate([[0], np.cumsum(counts)])
    if ts:
        w.pwl_t = np.concatenate(ts)
        w.pwl_v = np.concatenate(vs)
    return w


def _intern(tokens: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Unique names in first-occurrence order and the index of every token (ground -> -1)."""
    if not tokens:
        return np.zeros(0, dtype="S1"), _EMPTY_I.copy()
    longest = max(map(len, tokens))
    w8 = max(8, (longest + 7) // 8 * 8)
    arr = np.array(tokens, dtype=f"S{w8}")  # zero-padded fixed width: 8-byte words for hashing
    h = _hash_words(arr)
    _, first, inv = np.unique(h, return_index=True, return_inverse=True)  # stable (radix) sort of uint64
    inv = inv.ravel()
    if not np.array_equal(arr[first][inv], arr):  # hash collision: exact (slower) path
        _, first, inv = np.unique(arr, return_index=True, return_inverse=True)
        inv = inv.ravel()
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    names = arr[first[order]]
    idx = rank[inv.ravel()].astype(np.int64)
    ground = np.isin(names, np.array(sorted(_GROUND)).astype(names.dtype))
    if np.any(ground):
        keep = ~ground
        remap = np.full(len(names), -1, np.int64)
        remap[keep] = np.arange(int(keep.sum()))
        idx = remap[idx]
        names = names[keep]
    return names, idx  # fixed width S<8k>; NumPy strips the zero padding on access


def _hash_words(arr: np.ndarray) -> np.ndarray:
    """A 64-bit hash per fixed-width byte string (``S<8k>``), mixing its 8-byte words."""
    words = arr.view(np.uint64).reshape(len(arr), -1)
    h = np.zeros(len(arr), np.uint64)
    with np.errstate(over="ignore"):
        for j in range(words.shape[1]):
            h = (h * np.uint64(0x9E3779B97F4A7C15)) ^ words[:, j]
            h ^= h >> np.uint64(29)
    return h


def duplicate_names(names: list[bytes]) -> list[tuple[int, int]]:
    """Pairs ``(first, later)`` of indices of equal element names, ignoring case as SPICE does.

    Hash-sorted, so it costs a sort of one integer per element; equal hashes are verified exactly.
    """
    if len(names) < 2:
        return []
    width = max(8, (max(map(len, names)) + 7) // 8 * 8)
    arr = np.array(names, dtype=f"S{width}")
    folded = (arr.view(np.uint64) | np.uint64(0x2020202020202020)).view(arr.dtype)  # ASCII letters to lower
    h = _hash_words(folded)
    ordered = np.sort(h)
    if not np.any(ordered[1:] == ordered[:-1]):
        return []
    order = np.argsort(h, kind="stable")
    same = np.flatnonzero(h[order][1:] == h[order][:-1])
    pairs = [(int(order[i]), int(order[i + 1])) for i in same]
    return [(i, j) for i, j in pairs if names[i].lower() == names[j].lower()]


def _check_ascii(lines: _Lines, data: bytes) -> None:
    """Node and element names are ASCII (UTF-8 is fine in comments): a clear error with the line."""
    if data.isascii():
        return
    for i, ln in enumerate(lines.lines):
        if lines.first[i] not in (0, 42) and not ln.isascii():
            bad = next(ch for ch in ln if ch >= 128)
            raise NetlistError(
                f"non-ASCII byte 0x{bad:02x} in '{ln.decode(errors='replace')[:60]}'",
                where=f"{lines.source}:{i + 1}",
                hint="SPICE node and element names are ASCII: rename them (UTF-8 is fine in "
                "'*' comment lines)",
            )


def _duplicate_warnings(element_names: list[bytes], element_lines: np.ndarray, source: str) -> list[str]:
    """One warning per duplicated element name (the first few), naming both lines."""
    pairs = duplicate_names(element_names)
    out = [
        f"{source}:{element_lines[j]}: duplicate element name '{element_names[j].decode(errors='replace')}' "
        f"(first on line {element_lines[i]}); SPICE simulators reject or merge duplicates: rename one"
        for i, j in pairs[:_MAX_WARNINGS]
    ]
    if len(pairs) > _MAX_WARNINGS:
        out.append(f"{source}: {len(pairs) - _MAX_WARNINGS} more duplicate element names")
    return out


def parse_netlist(data: bytes | str, *, source: str = "<memory>", dbu_per_um: float = 2000.0) -> PdnNetlist:
    """Parse netlist text (bytes or str). See the module docstring for the accepted syntax.

    Besides syntax errors, refuses binary data, non-ASCII names and more nodes than the ``pdn_nodes``
    limit (:mod:`eda.limits`); duplicate element names are kept in ``warnings``.
    """
    from eda.limits import check_limit
    from eda.pdn.maps import check_not_binary

    if isinstance(data, str):
        data = data.encode()
    try:
        check_not_binary(data, source, "a SPICE netlist")
    except DataError as exc:
        raise NetlistError(exc.message, where=exc.where, hint=exc.hint) from None
    lines = _Lines(data, source)
    _check_ascii(lines, data)
    first = lines.first
    kinds = {c: np.flatnonzero(first == ord(c)) for c in "RVICL"}
    known = np.isin(first, np.frombuffer(b"RVICL*.", dtype=np.uint8)) | (first == 0)
    bad = np.flatnonzero(~known)
    if len(bad):
        i = int(bad[0])
        token = lines.lines[i].split()[0].decode(errors="replace")
        token = token if len(token) <= 60 else f"{token[:60]}..."  # a map given as a netlist: one huge token
        raise NetlistError(
            f"unsupported element '{token}'",
            where=f"{source}:{i + 1}",
            hint="a PDN netlist holds R, V, I, C and L elements, comments and .op/.tran/.end",
        )
    tran = None
    for i in np.flatnonzero(first == 46):
        parts = lines.lines[int(i)].split()
        if parts[0].lower() == b".tran" and len(parts) >= 3:
            try:
                tran = (parse_value(parts[1]), parse_value(parts[2]))
            except ValueError:
                raise NetlistError(
                    "'.tran' needs a step and a stop time",
                    where=f"{source}:{i + 1}",
                    hint="write '.tran 10p 5n'",
                ) from None
    ra, rb, rv, rn = _two_terminal(lines, kinds["R"], "R", "ohms")
    ca, cb, cv, cn = _two_terminal(lines, kinds["C"], "C", "farads")
    la, lb, lv, ln = _two_terminal(lines, kinds["L"], "L", "henries")
    va, vb, vv, _, vn = _sources(lines, kinds["V"], "V")
    ia, ib, iv, iw, i_names = _sources(lines, kinds["I"], "I")
    groups = [ra, rb, va, vb, ia, ib, ca, cb, la, lb]
    names, idx = _intern([t for g in groups for t in g])
    check_limit("pdn_nodes", len(names), what="this PDN netlist", where=source)
    warnings = _duplicate_warnings(
        rn + cn + ln + vn + i_names, np.concatenate([kinds[k] for k in "RCLVI"]) + 1, source
    )
    splits = np.cumsum([len(g) for g in groups])[:-1]
    parts = np.split(idx, splits)
    x, y, layer = decode_node_names(names, dbu_per_um=dbu_per_um)
    net = PdnNetlist(
        names=names,
        x_um=x,
        y_um=y,
        layer=layer,
        r_a=parts[0],
        r_b=parts[1],
        r_ohm=rv,
        v_pos=parts[2],
        v_neg=parts[3],
        v_volt=vv,
        i_a=parts[4],
        i_b=parts[5],
        i_amp=iv,
        waves=_build_waveforms(iw),
        c_a=parts[6],
        c_b=parts[7],
        c_f=cv,
        l_a=parts[8],
        l_b=parts[9],
        l_h=lv,
        r_line=kinds["R"] + 1,
        v_line=kinds["V"] + 1,
        i_line=kinds["I"] + 1,
        c_line=kinds["C"] + 1,
        l_line=kinds["L"] + 1,
        tran=tran,
        source=source,
        warnings=warnings,
    )
    return net


# ---------------------------------------------------------------------------------------------- writing


def _fmt(values: np.ndarray) -> list[str]:
    return [f"{v:.6g}" for v in values.tolist()]


def _wave_text(w: Waveforms, k: int) -> str:
    if w.kind[k] == 1:
        s, e = int(w.pwl_ptr[k]), int(w.pwl_ptr[k + 1])
        pairs = " ".join(
            f"{t:.6g} {v:.6g}" for t, v in zip(w.pwl_t[s:e].tolist(), w.pwl_v[s:e].tolist(), strict=True)
        )
        return f"PWL({pairs})"
    p = w.pulse[k]
    return "PULSE(" + " ".join(f"{v:.6g}" for v in p.tolist()) + ")"


def write_netlist(
    net: PdnNetlist,
    path: str | Path,
    *,
    title: str = "PDN netlist written by eda.pdn",
    analysis: str | None = None,
    comments: Sequence[str] = (),
) -> Path:
    """Write ``net`` as SPICE (gzip when ``path`` ends with ``.gz``); ``analysis`` e.g. ``".op"``.

    The first line is a ``*`` comment (SPICE treats line 1 as a title), followed by one ``*`` line per
    entry of ``comments``. Element names are ``R<k>``, ``V<k>``, ``I<k>``, ``C<k>``, ``L<k>``; values use 6
    significant digits. This is the one PDN SPICE writer of the toolkit (generated grids, extracted macro
    grids, ngspice decks).
    """
    import gzip

    names = np.concatenate([net.names.astype(str), np.array(["0"])])
    out: list[str] = [f"* {title}", *(f"* {line}" for line in comments)]

    def block(prefix: str, a: np.ndarray, b: np.ndarray, vals: np.ndarray) -> None:
        if len(a) == 0:
            return
        na, nb = names[a], names[b]  # index -1 -> "0"
        vs = _fmt(vals)
        # one f-string per line measured ~5x faster than chained numpy string ufuncs
        out.append(
            "\n".join(
                f"{prefix}{k} {p} {q} {v}"
                for k, (p, q, v) in enumerate(zip(na.tolist(), nb.tolist(), vs, strict=True))
            )
        )

    block("R", net.r_a, net.r_b, net.r_ohm)
    block("C", net.c_a, net.c_b, net.c_f)
    block("L", net.l_a, net.l_b, net.l_h)
    block("V", net.v_pos, net.v_neg, net.v_volt)
    w = net.waves
    if w is not None and not w.is_static:
        na, nb = names[net.i_a].tolist(), names[net.i_b].tolist()
        vs = _fmt(net.i_amp)
        out.append(
            "\n".join(
                f"I{k} {na[k]} {nb[k]} {vs[k]}"
                if w.kind[k] == 0
                else f"I{k} {na[k]} {nb[k]} DC {vs[k]} {_wave_text(w, k)}"
                for k in range(len(na))
            )
        )
    else:
        block("I", net.i_a, net.i_b, net.i_amp)
    if analysis:
        out.append(analysis)
    elif net.tran is not None:
        out.append(f".tran {net.tran[0]:.6g} {net.tran[1]:.6g}")
    else:
        out.append(".op")
    out.append(".end\n")
    text = "\n".join(out).encode()
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(gzip.compress(text, compresslevel=4, mtime=0) if p.suffix == ".gz" else text)
    return p


# ---------------------------------------------------------------------------------------------- binary cache


def save_npz(net: PdnNetlist, path: str | Path) -> Path:
    """Save ``net`` as a NumPy ``.npz`` archive (fast reload of large generated grids)."""
    w = net.waves or Waveforms.dc(len(net.i_a))
    arrays = {k: v for k, v in net.__dict__.items() if isinstance(v, np.ndarray)}
    arrays.update({f"waves_{k}": v for k, v in w.__dict__.items()})
    arrays["tran"] = np.array(net.tran if net.tran is not None else [np.nan, np.nan])
    arrays["source"] = np.array(net.source)
    p = Path(path)
    np.savez(p, **arrays)
    return p if p.suffix == ".npz" else p.with_name(p.name + ".npz")


def load_npz(path: str | Path) -> PdnNetlist:
    """Load a netlist written by :func:`save_npz`."""
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    waves = Waveforms(**{k[6:]: data.pop(k) for k in list(data) if k.startswith("waves_")})
    tran = data.pop("tran")
    source = str(data.pop("source"))
    return PdnNetlist(
        **data,
        waves=waves,
        tran=None if np.isnan(tran[0]) else (float(tran[0]), float(tran[1])),
        source=source,
    )
