"""A stable layout of the ecosystem network: computed once, extended as stores come and go.

Recomputing a force layout every frame would make the picture jump and costs far more than a
simulated day, so :class:`NetworkLayout` runs the spring layout once (fixed seed) and then
only places entrants: each new store goes on its platform's ring of stores, in the direction
of its supplier, so it lands next to the stores of its category.
"""

from __future__ import annotations

import math
import zlib

import networkx as nx
import numpy as np

__all__ = ["NetworkLayout"]


class NetworkLayout:
    """Node positions for a graph whose node set changes slowly.

    Args:
        seed: Seed of the one spring layout, so the same model always looks the same.

    Attributes:
        pos: Node -> (x, y) of every node seen and still present.
        full_layouts: How many times the spring layout ran (1 after the first update).
        bounds: (xmin, xmax, ymin, ymax): a fixed frame around the first layout.
    """

    def __init__(self, seed: int = 7) -> None:
        self.seed = seed
        self.pos: dict[str, tuple[float, float]] = {}
        self.full_layouts = 0
        self.bounds: tuple[float, float, float, float] = (-1.0, 1.0, -1.0, 1.0)
        self.centre: tuple[float, float] = (0.0, 0.0)
        self.ring = 1.0  # radius of the outer ring of nodes without links

    def update(self, graph: nx.Graph) -> dict[str, tuple[float, float]]:
        """Positions for every node of ``graph``; only new nodes are placed.

        Args:
            graph: The current network (node attribute ``kind`` is used to find platforms).

        Returns:
            Node -> (x, y) for exactly the nodes of ``graph``.
        """
        if not self.pos:
            self._full(graph)
        else:
            gone = self.pos.keys() - graph.nodes
            for node in gone:
                del self.pos[node]
            for node in graph.nodes:
                if node not in self.pos:
                    self.pos[node] = self._place(graph, node)
        return {node: self.pos[node] for node in graph.nodes}

    def _full(self, graph: nx.Graph) -> None:
        """The one spring layout of the connected nodes; isolated nodes on a ring around it.

        Left to the spring layout, nodes without edges (a service provider nobody has hired
        yet) drift far out and shrink the picture of everything else.
        """
        self.full_layouts += 1
        linked = [n for n in graph.nodes if graph.degree(n) > 0]
        pos: dict[str, tuple[float, float]] = {}
        if linked:
            sub = graph.subgraph(linked).to_undirected(as_view=True)
            # k a little above 1/sqrt(n) spreads the store rings so node sizes stay readable.
            k = 1.6 / math.sqrt(len(linked))
            pos = {n: (float(x), float(y))
                   for n, (x, y) in nx.spring_layout(sub, k=k, iterations=60,
                                                     seed=self.seed).items()}  # fmt: skip
        xy = np.array(list(pos.values())) if pos else np.zeros((1, 2))
        self.centre = (float(xy[:, 0].mean()), float(xy[:, 1].mean()))
        spread = float(np.max(np.hypot(xy[:, 0] - self.centre[0], xy[:, 1] - self.centre[1])))
        self.ring = 1.12 * spread if spread > 0 else 1.0
        isolated = sorted((n for n in graph.nodes if n not in pos),
                          key=lambda n: (graph.nodes[n].get("kind", ""), n))  # fmt: skip
        for i, node in enumerate(isolated):
            pos[node] = self._on_ring(2 * math.pi * i / len(isolated))
        self.pos = pos
        # Fixed frame (with room for entrants) so the view never rescales between frames.
        margin = 0.08 * self.ring
        cx, cy = self.centre
        r = self.ring + margin
        self.bounds = (cx - r, cx + r, cy - r, cy + r)

    def _on_ring(self, angle: float) -> tuple[float, float]:
        """A point on the ring that holds nodes without links."""
        cx, cy = self.centre
        return (cx + self.ring * math.cos(angle), cy + self.ring * math.sin(angle))

    def _place(self, graph: nx.Graph, node: str) -> tuple[float, float]:
        """Position of an entrant: on its platform's ring of stores, towards its supplier."""
        neighbours = set(graph.predecessors(node)) | set(graph.successors(node))
        placed = [n for n in neighbours if n in self.pos]
        platforms = [n for n in placed if graph.nodes[n].get("kind") == "platform"]
        # A deterministic jitter from the node's name: the same run always looks the same.
        jitter = np.random.default_rng(zlib.crc32(node.encode()) ^ self.seed)
        if not placed:  # a new firm without links yet: on the outer ring
            return self._on_ring(jitter.uniform(0.0, 2 * math.pi))
        if not platforms:  # e.g. a store not listed anywhere: next to what it is linked to
            centre = np.mean([self.pos[n] for n in placed], axis=0)
            dx, dy = jitter.normal(0.0, 0.03 * self.ring, 2)
            return (float(centre[0] + dx), float(centre[1] + dy))
        hub = platforms[0]
        hx, hy = self.pos[hub]
        kind = graph.nodes[node].get("kind")
        ring = [
            math.dist(self.pos[m], (hx, hy))
            for m in graph.predecessors(hub)
            if m in self.pos and m != node and graph.nodes[m].get("kind") == kind
        ]
        radius = float(np.median(ring)) if ring else 0.3 * self.ring
        others = [n for n in placed if n != hub and graph.nodes[n].get("kind") == "manufacturer"]
        if others:
            ox, oy = self.pos[others[0]]
            angle = math.atan2(oy - hy, ox - hx)
        else:
            angle = jitter.uniform(0.0, 2 * math.pi)
        angle += jitter.normal(0.0, 0.15)
        radius *= 1.0 + jitter.normal(0.0, 0.08)
        return (hx + radius * math.cos(angle), hy + radius * math.sin(angle))
