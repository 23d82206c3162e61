"""A two-layer track router for small standard-cell blocks: met2 vertical, met3 horizontal.

Nodes lie on a regular grid (x pitch :data:`PITCH_X`, the 0.46 µm site of ``sky130_fd_sc_hd``; y pitch
:data:`PITCH_Y`, two met1 tracks). A net is a set of terminals (grid nodes on a layer, reached by
geometry the caller drew: pin contacts, escapes); :meth:`TrackRouter.route` joins them one at a time to
the growing tree with A* (the nearest unconnected terminal first), met2 moving only in y, met3 only in x,
via2 between them at a node. Legality is geometric, not by track ownership: every shape already placed
(by the caller or by earlier nets) is kept with its net in a bucket index, and a node or segment is usable
by a net when its shape, grown by the layer's spacing, touches no shape of another net. The shapes are
the SKY130 rule values of :class:`eda.layout.sky130.R` (via2 pads with the 0.085 µm end enclosure on
met2, 0.34 µm met3 wires); a met3 piece never ends at the node it started from (its area would be below
``m3.6``).

Written here rather than taken from a library: the maintained detailed routers (OpenROAD's TritonRoute,
Magic's router) are C++ programs outside the Python dependency set, and the block needs only this grid
model; the foundry DRC and LVS decks check the result (``eda signoff drc/lvs --deck foundry``).
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from eda.errors import SpecError
from eda.layout.sky130 import R

__all__ = ["TrackRouter", "Shape", "PITCH_X", "PITCH_Y", "M2", "M3"]

PITCH_X = 0.46
PITCH_Y = 0.68
M2, M3, M4 = "met2", "met3", "met4"
#: half sizes (x, y) of a via2 pad on met2; half size of a met3 node in y (a wire's half width) and in x
#: (a via3 pad: 0.09 beyond the cut along the wire, via3.5); half sizes of a met4 node (via3 pad) and wire
M2_PAD = ((R.via2 + 2 * R.m2_via2) / 2, (R.via2 + 2 * R.m2_via2_adj) / 2)
M3_HALF = 0.17
M3_END = R.via3 / 2 + R.m3_via3_adj
M2_HALF = R.m2_w / 2
M4_PAD = R.via3 / 2 + R.m4_via3
M4_HALF = R.m4_w / 2
SPACING = {M2: R.m2_s, M3: R.m3_s, M4: R.m4_s}
#: the cut between two routing layers and its size and spacing (µm)
CUTS = {frozenset((M2, M3)): ("via2", R.via2, R.via2_s), frozenset((M3, M4)): ("via3", R.via3, R.via3_s)}
#: extra cost (µm of wire) of passing next to another net's terminal, and routing passes before giving up
NEAR_TERMINAL_COST = 2.0
#: cost (µm of wire) of crossing another net's routed wire in the search for nets to rip up; rip-ups per net
RIP_COST = 20.0
MAX_RIPUPS = 6
ATTEMPTS = 8
RIPUP_PASSES = 2
_BUCKET = 2.0
_EPS = 1e-6

Box = tuple[float, float, float, float]
Node = tuple[int, int, str]


@dataclass(frozen=True)
class Shape:
    """A rectangle (µm) on a layer, owned by a net."""

    layer: str
    box: Box
    net: str
    fixed: bool = True  # drawn by the caller (pins, escapes); False: a routed wire that may be ripped up


@dataclass
class TrackRouter:
    """Route nets on the grid ``x0 + i * PITCH_X`` (i < nx), ``y0 + m * PITCH_Y`` (m < ny)."""

    x0: float
    y0: float
    nx: int
    ny: int
    shapes: list[Shape] = field(default_factory=list)
    _index: dict[tuple[str, int, int], list[Shape]] = field(default_factory=lambda: defaultdict(list))
    #: grid cells (i, m) next to a terminal -> its net: crossing them costs extra for other nets
    _near: dict[tuple[int, int], str] = field(default_factory=dict)

    # -- geometry ---------------------------------------------------------------------------------
    def x(self, i: int) -> float:
        """x (µm) of column ``i``."""
        return round(self.x0 + i * PITCH_X, 4)

    def y(self, m: int) -> float:
        """y (µm) of row ``m``."""
        return round(self.y0 + m * PITCH_Y, 4)

    def column(self, x: float) -> int:
        """The grid column nearest to ``x``."""
        return round((x - self.x0) / PITCH_X)

    def add(self, layer: str, box: Box, net: str, *, fixed: bool = True) -> None:
        """Register a shape drawn by the caller (or, ``fixed=False``, by routing) as an obstacle."""
        shape = Shape(layer, tuple(round(v, 4) for v in box), net, fixed)  # type: ignore[arg-type]
        self.shapes.append(shape)
        for key in self._buckets(layer, shape.box):
            self._index[key].append(shape)

    def _buckets(self, layer: str, box: Box) -> list[tuple[str, int, int]]:
        bx0, by0 = int(box[0] // _BUCKET), int(box[1] // _BUCKET)
        bx1, by1 = int(box[2] // _BUCKET), int(box[3] // _BUCKET)
        return [(layer, bx, by) for bx in range(bx0, bx1 + 1) for by in range(by0, by1 + 1)]

    def clear(self, layer: str, box: Box, net: str, spacing: float | None = None) -> bool:
        """Whether ``box`` on ``layer`` keeps the layer's spacing to every other shape.

        A shape of the same net may overlap or touch ``box`` (they merge); closer than the spacing without
        touching, it is a violation like any other (a DRC deck does not know nets).
        """
        return not self._conflicts(layer, box, net, spacing)

    def _conflicts(self, layer: str, box: Box, net: str, spacing: float | None = None) -> list[Shape]:
        s = SPACING.get(layer, 0.14) if spacing is None else spacing
        grown = (box[0] - s, box[1] - s, box[2] + s, box[3] + s)
        out: list[Shape] = []
        for key in self._buckets(layer, grown):
            for shape in self._index.get(key, ()):
                b = shape.box
                if not (
                    grown[0] < b[2] - _EPS
                    and b[0] < grown[2] - _EPS
                    and grown[1] < b[3] - _EPS
                    and b[1] < grown[3] - _EPS
                ):
                    continue
                if shape.net == net and (
                    box[0] <= b[2] + _EPS
                    and b[0] <= box[2] + _EPS
                    and box[1] <= b[3] + _EPS
                    and b[1] <= box[3] + _EPS
                ):
                    continue
                out.append(shape)
        return out

    def _blockers(self, layer: str, box: Box, net: str, spacing: float | None = None) -> set[str] | None:
        """Routed nets in the way of ``box`` (empty: clear), or None when a fixed shape is."""
        conflicts = self._conflicts(layer, box, net, spacing)
        if any(c.fixed for c in conflicts):
            return None
        return {c.net for c in conflicts}

    def _remove(self, nets: set[str]) -> None:
        """Rip up the routed wires of ``nets``."""
        self.shapes = [s for s in self.shapes if s.fixed or s.net not in nets]
        self._index = defaultdict(list)
        for shape in self.shapes:
            for key in self._buckets(shape.layer, shape.box):
                self._index[key].append(shape)

    def nets_at(self, layer: str, x: float, y: float) -> set[str]:
        """Nets of the shapes on ``layer`` that contain the point ``(x, y)``."""
        key = (layer, int(x // _BUCKET), int(y // _BUCKET))
        return {
            s.net for s in self._index.get(key, ()) if s.box[0] <= x <= s.box[2] and s.box[1] <= y <= s.box[3]
        }

    def node_box(self, node: Node) -> Box:
        """The largest shape a node may carry: a via2 pad on met2, a wire end on met3."""
        i, m, layer = node
        x, y = self.x(i), self.y(m)
        if layer == M2:
            return (x - M2_PAD[0], y - M2_PAD[1], x + M2_PAD[0], y + M2_PAD[1])
        if layer == M4:
            return (x - M4_PAD, y - M4_PAD, x + M4_PAD, y + M4_PAD)
        return (x - M3_END, y - M3_HALF, x + M3_END, y + M3_HALF)

    def edge_box(self, a: Node, b: Node) -> Box:
        """The wire between two neighbouring nodes on one layer."""
        (i0, m0, layer), (i1, m1, _) = sorted((a, b))
        if layer in (M2, M4):
            x, half = self.x(i0), M2_HALF if layer == M2 else M4_HALF
            return (x - half, self.y(m0), x + half, self.y(m1))
        y = self.y(m0)
        return (self.x(i0), y - M3_HALF, self.x(i1), y + M3_HALF)

    # -- search -----------------------------------------------------------------------------------
    def _penalty(
        self, layer: str, box: Box, net: str, soft: bool, spacing: float | None = None
    ) -> float | None:
        """Extra cost of a shape: 0 when clear, :data:`RIP_COST` when only routed wires are in the way and
        ``soft``; None when it cannot be drawn."""
        if not soft:
            return 0.0 if self.clear(layer, box, net, spacing) else None
        blockers = self._blockers(layer, box, net, spacing)
        if blockers is None:
            return None
        return RIP_COST if blockers else 0.0

    def _node_penalty(
        self, node: Node, net: str, cache: dict[Node, float | None], soft: bool
    ) -> float | None:
        if node not in cache:
            i, m, _ = node
            inside = 0 <= i < self.nx and 0 <= m < self.ny
            cache[node] = self._penalty(node[2], self.node_box(node), net, soft) if inside else None
        return cache[node]

    def _neighbours(self, node: Node) -> list[tuple[Node, float, bool]]:
        i, m, layer = node
        if layer in (M2, M4):
            steps = [((i, m - 1, layer), PITCH_Y), ((i, m + 1, layer), PITCH_Y)]
            return [(n, c, False) for n, c in steps] + [((i, m, M3), 1.0, True)]
        steps = [((i - 1, m, M3), PITCH_X), ((i + 1, m, M3), PITCH_X)]
        return [(n, c, False) for n, c in steps] + [((i, m, M2), 1.0, True), ((i, m, M4), 1.0, True)]

    def _search(
        self, net: str, sources: set[Node], target: Node, cache: dict[Node, float | None], soft: bool = False
    ) -> list[Node] | None:
        """Shortest legal path from the tree ``sources`` to ``target`` (A*, Manhattan in µm); ``soft``: it may
        cross routed wires of other nets at :data:`RIP_COST` each (to find the nets to rip up)."""
        ti, tm, _ = target
        tx, ty = self.x(ti), self.y(tm)

        def h(n: Node) -> float:
            return abs(self.x(n[0]) - tx) + abs(self.y(n[1]) - ty)

        # a state is a node and whether it was entered through a via (a piece of zero length on that layer
        # may not leave through another via: its area would be below the layer's minimum)
        State = tuple[Node, bool]  # noqa: N806
        tie = itertools.count()
        best: dict[State, float] = {}
        parent: dict[State, State | None] = {}
        heap: list[tuple[float, int, State]] = []
        for s in sources:
            best[(s, False)], parent[(s, False)] = 0.0, None
            heapq.heappush(heap, (h(s), next(tie), (s, False)))
        done: set[State] = set()
        while heap:
            _, _, state = heapq.heappop(heap)
            if state in done:
                continue
            done.add(state)
            node, entered_by_via = state
            if node == target:
                path = [state]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])  # type: ignore[arg-type]
                return [n for n, _ in path[::-1]]
            for nxt, cost, is_via in self._neighbours(node):
                if (nxt, is_via) in done:
                    continue
                if is_via and entered_by_via:
                    continue
                extra = self._node_penalty(nxt, net, cache, soft)
                if extra is None:
                    continue
                if is_via:  # cuts do not merge: another cut (of any net) too close
                    cut, _, space = CUTS[frozenset((node[2], nxt[2]))]
                    more = self._penalty(cut, self._cut(nxt[0], nxt[1], cut), "#cut", soft, space)
                    if more is None or (not soft and more):
                        continue
                else:
                    more = self._penalty(node[2], self.edge_box(node, nxt), net, soft)
                    if more is None:
                        continue
                g = best[state] + cost + extra + more
                owner = self._near.get((nxt[0], nxt[1]))
                if owner is not None and owner != net:
                    g += NEAR_TERMINAL_COST
                key = (nxt, is_via)
                if g < best.get(key, float("inf")) - _EPS:
                    best[key], parent[key] = g, state
                    heapq.heappush(heap, (g + h(nxt), next(tie), key))
        return None

    def route(self, net: str, terminals: list[list[Node]]) -> list[Shape]:
        """Join ``terminals`` (each a list of equivalent nodes: any one reaches the pin) with wires of ``net``.

        Returns the shapes drawn (also registered as obstacles). Raises :class:`~eda.errors.SpecError`
        when a terminal cannot be reached (nothing of the net is left drawn then).
        """
        drawn, _ = self._connect(net, terminals, soft=False)
        return drawn

    def _connect(self, net: str, terminals: list[list[Node]], soft: bool) -> tuple[list[Shape], set[str]]:
        """Route ``net`` (``soft``: only find the routed nets its cheapest connection crosses, draw nothing)."""
        if len(terminals) < 2:
            return [], set()
        tree: set[Node] = set(terminals[0])
        pending = [list(t) for t in terminals[1:]]
        drawn: list[Shape] = []
        victims: set[str] = set()
        while pending:
            # nearest pending terminal to the tree (Manhattan), then A* to one of its nodes
            def distance(t: list[Node]) -> float:
                return min(
                    abs(self.x(a[0]) - self.x(b[0])) + abs(self.y(a[1]) - self.y(b[1]))
                    for a in t
                    for b in tree
                )

            pending.sort(key=distance)
            term = pending.pop(0)
            path = None
            for target in sorted(term, key=lambda n: min(abs(n[0] - b[0]) + abs(n[1] - b[1]) for b in tree)):
                path = self._search(net, tree, target, {}, soft)
                if path is not None:
                    break
            if path is None:
                if not soft:
                    self._remove({net})
                at = term[0]
                raise SpecError(
                    f"the SAR block router found no path for net {net} to ({self.x(at[0])}, {self.y(at[1])}) µm",
                    hint="the block is too dense for its logic: more cols_per_adc, or fewer adc_bits",
                )
            for a, b in zip(path, path[1:], strict=False):
                if soft:
                    boxes = [(b[2], self.node_box(b), net, None)]
                    if a[2] == b[2]:
                        boxes.append((a[2], self.edge_box(a, b), net, None))
                    else:
                        cut, _, space = CUTS[frozenset((a[2], b[2]))]
                        boxes.append((cut, self._cut(b[0], b[1], cut), "#cut", space))
                    for layer, box, owner, space in boxes:
                        victims |= self._blockers(layer, box, owner, space) or set()
                elif a[2] != b[2]:
                    drawn += self._via(a[0], a[1], a[2], b[2], net)
                else:
                    drawn.append(self._wire(a[2], self.edge_box(a, b), net))
            tree.update(path)
            tree.update(term)
        victims.discard(net)
        return drawn, victims

    def route_all(self, nets: dict[str, list[list[Node]]]) -> list[Shape]:
        """Route every net, in passes, ripping up and rerouting in the last ones where a net is blocked.

        A pass routes the nets in order (largest first, then by name). With rip-up, a net that finds no path looks for
        its cheapest path across other nets' wires (:data:`RIP_COST` per crossing); those nets are ripped
        up and queued again and the blocked net goes first (each net at most :data:`MAX_RIPUPS` times).
        Passes start from scratch with the nets the last one could not route first; the first passes route
        without rip-up (fast), the last :data:`RIPUP_PASSES` of the :data:`ATTEMPTS` with it. Raises
        :class:`~eda.errors.SpecError` naming the nets no pass could route.
        """
        self._near = {}
        for net, terms in nets.items():
            for term in terms:
                for i, m, _ in term:
                    for di, dm in ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)):
                        self._near.setdefault((i + di, m + dm), net)
        order = sorted(nets, key=lambda n: (-len(nets[n]), n))
        failed: list[str] = []
        for attempt in range(ATTEMPTS):
            self._remove(set(nets))
            failed = self._pass(nets, list(order), ripup=attempt >= ATTEMPTS - RIPUP_PASSES)
            if not failed:
                self._bridge_notches()
                return [s for s in self.shapes if not s.fixed]
            order = [*failed, *(n for n in order if n not in failed)]
        raise SpecError(
            f"the SAR block router could not route {', '.join(sorted(failed))} in {ATTEMPTS} passes",
            hint="the block is too dense for its logic: more cols_per_adc, or fewer adc_bits",
        )

    def _bridge_notches(self) -> None:
        """Fill the gaps narrower than the spacing between two shapes of one net on one routing layer that
        face each other (a path that turns back beside itself: the search checks a node against what is
        drawn, not against the rest of its own path). The filler lies between two shapes that other nets
        already keep their spacing from."""
        by_net: dict[tuple[str, str], list[Box]] = defaultdict(list)
        for shape in self.shapes:
            if shape.layer in SPACING:
                by_net[(shape.layer, shape.net)].append(shape.box)
        for (layer, net), boxes in by_net.items():
            space = SPACING[layer]
            for n, a in enumerate(boxes):
                for b in boxes[n + 1 :]:
                    gap_x = max(a[0], b[0]) - min(a[2], b[2])
                    gap_y = max(a[1], b[1]) - min(a[3], b[3])
                    if 0 < gap_x < space - _EPS and gap_y < 0:  # side by side in x, overlapping in y
                        y0, y1 = max(a[1], b[1]), min(a[3], b[3])
                        self.add(layer, (min(a[2], b[2]), y0, max(a[0], b[0]), y1), net, fixed=False)
                    elif 0 < gap_y < space - _EPS and gap_x < 0:
                        x0, x1 = max(a[0], b[0]), min(a[2], b[2])
                        self.add(layer, (x0, min(a[3], b[3]), x1, max(a[1], b[1])), net, fixed=False)

    def _pass(self, nets: dict[str, list[list[Node]]], queue: list[str], ripup: bool) -> list[str]:
        """One routing pass (``ripup``: with rip-up and reroute); the nets it could not route."""
        routed: set[str] = set()
        failed: list[str] = []
        rips: dict[str, int] = defaultdict(int)
        while queue:
            net = queue.pop(0)
            try:
                self.route(net, nets[net])
                routed.add(net)
                continue
            except SpecError:
                pass
            victims: set[str] = set()
            if ripup and rips[net] < MAX_RIPUPS:
                rips[net] += 1
                try:
                    victims = self._connect(net, nets[net], soft=True)[1] & routed
                except SpecError:
                    victims = set()
            if not victims:
                failed.append(net)
                continue
            self._remove(victims)
            routed -= victims
            queue = [net, *queue, *sorted(victims)]
        return failed

    def _wire(self, layer: str, box: Box, net: str) -> Shape:
        if layer == M3:  # extend met3 ends to cover the via pads
            box = (box[0] - M3_END, box[1], box[2] + M3_END, box[3])
        elif layer == M4:
            box = (box[0], box[1] - M4_PAD, box[2], box[3] + M4_PAD)
        self.add(layer, box, net, fixed=False)
        return self.shapes[-1]

    def _cut(self, i: int, m: int, cut: str = "via2") -> Box:
        x, y = self.x(i), self.y(m)
        half = (R.via2 if cut == "via2" else R.via3) / 2
        return (x - half, y - half, x + half, y + half)

    def _via(self, i: int, m: int, lower: str, upper: str, net: str) -> list[Shape]:
        cut = CUTS[frozenset((lower, upper))][0]
        out = []
        for layer, box in (
            (cut, self._cut(i, m, cut)),
            (lower, self.node_box((i, m, lower))),
            (upper, self.node_box((i, m, upper))),
        ):
            self.add(layer, box, net, fixed=False)
            out.append(self.shapes[-1])
        return out
