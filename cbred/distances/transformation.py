"""Graph edit distance between computational graphs (the transformation distance).

The cost of the cheapest sequence of node substitutions, node insertions/deletions and
edge insertions/deletions that turns one op-on-node DAG into the other, under the cost
model of :mod:`cbred.distances.costs`. It depends on the graphs only up to isomorphism.

Two methods:

``exact``
    :func:`exact_ged`, a binary linear program (node-map and edge-map variables, the
    formulation of Lerouge et al.) solved by HiGHS through :func:`scipy.optimize.milp`:
    about 10-20 ms per pair of NB201 or NB101 cells (<= 8 nodes), the same value as
    ``networkx.graph_edit_distance`` with the same costs (tested).
``bipartite``
    :func:`bipartite_ged`, the Riesen-Bunke approximation: a linear sum assignment of
    nodes (:func:`scipy.optimize.linear_sum_assignment`) whose costs add half the price
    of the unmatched incident edges to every node edit (and a depth/height prior), a few
    refinement steps of the integer projected fixed point method, and the exact cost of
    the edit paths these assignments induce. An upper bound of the exact distance; cost
    matrices and path costs are computed for a whole block of pairs at once, only the
    assignments run one by one. Each pair is solved from its lexicographically smaller
    graph, so the value is symmetric and does not depend on the argument order. Plain
    Riesen-Bunke (``topology_weight=0, refine=0``) is far worse on NAS cells (see
    ``benchmarks/distances.py``).

References
----------
K. Riesen and H. Bunke, "Approximate graph edit distance computation by means of
bipartite graph matching", Image and Vision Computing 27(7), 2009.
J. Lerouge, Z. Abu-Aisheh, R. Raveaux, P. Héroux, S. Adam, "New binary linear
programming formulation to compute the graph edit distance", Pattern Recognition 72,
2017.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from scipy import sparse
from scipy.optimize import LinearConstraint, linear_sum_assignment, milp

from cbred.distances.base import Distance
from cbred.distances.costs import DEFAULT_PAIR_COSTS, EditCosts
from cbred.graph import CompGraph, GraphBatch, longest_paths

#: Stands for "forbidden" in assignment cost matrices (finite, so HiGHS/LSA stay happy).
_FORBIDDEN = 1e9


def exact_ged(first: CompGraph, second: CompGraph, costs: EditCosts) -> float:
    """Exact graph edit distance of two small DAGs (binary linear program).

    Variables: ``x[u, v] = 1`` when node ``u`` of ``first`` is substituted by node ``v``
    of ``second`` (unmapped nodes are deleted or inserted) and ``y[a, b] = 1`` when edge
    ``a`` of ``first`` is kept as edge ``b`` of ``second``. The node map is injective both
    ways, and for every edge ``a`` and node ``v`` the edges ``b`` leaving (entering) ``v``
    that ``a`` may map onto are bounded by ``x[source(a), v]`` (``x[target(a), v]``), and
    the same seen from the edges of ``second``: the tight "F2" formulation, solved by
    HiGHS (:func:`scipy.optimize.milp`) in milliseconds for NAS cells.

    Parameters
    ----------
    first, second : CompGraph
        Graphs over ``costs.vocab``; edges are directed.
    costs : EditCosts

    Returns
    -------
    float

    References
    ----------
    J. Lerouge, Z. Abu-Aisheh, R. Raveaux, P. Héroux, S. Adam, "New binary linear
    programming formulation to compute the graph edit distance", Pattern Recognition 72,
    2017.
    """
    n1, n2 = first.n_nodes, second.n_nodes
    e1, e2 = first.edges(), second.edges()
    m1, m2 = len(e1), len(e2)
    # the objective counts savings against "delete everything, insert everything"
    constant = costs.node_indel * (n1 + n2) + costs.edge_indel * (m1 + m2)
    node_gain = costs.substitution[np.ix_(first.ops, second.ops)] - 2 * costs.node_indel
    objective = np.concatenate([node_gain.ravel(), np.full(m1 * m2, -2 * costs.edge_indel)])
    x = np.arange(n1 * n2).reshape(n1, n2)
    y = n1 * n2 + np.arange(m1 * m2).reshape(m1, m2)

    blocks = [  # (row of every coefficient, its variable, its value), rows within a block
        (np.repeat(np.arange(n1), n2), x.ravel(), np.ones(x.size)),  # sum_v x[u, v] <= 1
        (np.tile(np.arange(n2), n1), x.ravel(), np.ones(x.size)),  # sum_u x[u, v] <= 1
    ]
    for end in (0, 1):  # 0: sources, 1: targets
        # edge a of first, node v of second: sum_{b : end(b) = v} y[a, b] <= x[end(a), v]
        rows = np.arange(m1)[:, None] * n2 + e2[None, :, end]
        blocks.append(
            (
                np.concatenate([rows.ravel(), np.arange(m1 * n2)]),
                np.concatenate([y.ravel(), x[e1[:, end]].ravel()]),
                np.concatenate([np.ones(y.size), -np.ones(m1 * n2)]),
            )
        )
        # edge b of second, node u of first: sum_{a : end(a) = u} y[a, b] <= x[u, end(b)]
        rows = np.arange(m2)[None, :] * n1 + e1[:, None, end]
        blocks.append(
            (
                np.concatenate([rows.ravel(), np.arange(m2 * n1)]),
                np.concatenate([y.ravel(), x[:, e2[:, end]].T.ravel()]),
                np.concatenate([np.ones(y.size), -np.ones(m2 * n1)]),
            )
        )
    sizes = [n1, n2] + [m1 * n2, m2 * n1] * 2
    offsets = np.cumsum([0] + sizes[:-1])
    matrix = sparse.csr_array(
        (
            np.concatenate([b[2] for b in blocks]),
            (
                np.concatenate([b[0] + o for b, o in zip(blocks, offsets)]),
                np.concatenate([b[1] for b in blocks]),
            ),
        ),
        shape=(sum(sizes), x.size + y.size),
    )
    upper = np.concatenate([np.ones(n1 + n2), np.zeros(sum(sizes) - n1 - n2)])
    result = milp(
        objective,
        constraints=LinearConstraint(matrix, -np.inf, upper),
        # y is integral at the optimum once x is, so it may stay continuous
        integrality=np.concatenate([np.ones(x.size), np.zeros(y.size)]),
        bounds=(0, 1),
    )
    if not result.success:  # pragma: no cover - always feasible (x = y = 0)
        raise RuntimeError(f"graph edit distance program failed: {result.message}")
    return float(np.round(constant + result.fun, 9))


def bipartite_ged(
    ops: np.ndarray,
    adjacency: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    costs: EditCosts,
    *,
    topology_weight: float = 1.0,
    refine: int = 2,
) -> np.ndarray:
    """Upper bound of the graph edit distance of many pairs of padded DAGs.

    1. Riesen-Bunke assignment: node edit costs plus half the price of the incident
       edges a node edit leaves unmatched (from in- and out-degrees), plus
       ``topology_weight`` times the difference of the nodes' depth (longest path from
       the input) and height (longest path to a sink), a prior for DAGs that flow from
       one input to one output. One :func:`~scipy.optimize.linear_sum_assignment`.
    2. ``refine`` iterations of the integer projected fixed point method: assignment on
       the node costs minus the edges the current (fractional) node map keeps, then an
       exact line search on the quadratic edit cost.

    Every assignment met induces an edit path; the cheapest path cost is returned, so
    the value is never below the exact distance.

    Parameters
    ----------
    ops : array of int
        Node operations of the graphs, ``-1`` for padding.
    adjacency : array of bool
        Padded adjacency matrices (topological order).
    first, second : array of int
        The pairs: positions of the source and target graph of every pair.
    costs : EditCosts
    topology_weight : float, default=1.0
        Weight of the depth/height prior in the first assignment (0: plain Riesen-Bunke).
    refine : int, default=2
        Refinement iterations (0: the first assignment only).

    Returns
    -------
    ndarray of float64, shape (P,)

    Shapes
    ------
    ops : (G, V); adjacency : (G, V, V); first, second : (P,) -> (P,)

    References
    ----------
    K. Riesen and H. Bunke, Image and Vision Computing 27(7), 2009.
    M. Leordeanu, M. Hebert, R. Sukthankar, "An integer projected fixed point method for
    graph matching and MAP inference", NeurIPS 2009; S. Bougleux, B. Gaüzère, L. Brun,
    "Graph edit distance as a quadratic program", ICPR 2016.
    """
    ops = np.asarray(ops)
    graph_adj = np.asarray(adjacency, dtype=np.float64)
    # per graph: degrees, depth and height, edge and node counts
    in_degree, out_degree = graph_adj.sum(1), graph_adj.sum(2)
    depth, height = (a.astype(np.float64) for a in longest_paths(graph_adj > 0))
    real = ops >= 0
    edge = costs.edge_indel
    everything = costs.node_indel * real.sum(1) + edge * graph_adj.sum((1, 2))

    def cross(values: np.ndarray) -> np.ndarray:  # |values[first, u] - values[second, v]|
        return np.abs(values[first][:, :, None] - values[second][:, None, :])

    valid = real[first][:, :, None] & real[second][:, None, :]
    a1, a2 = graph_adj[first], graph_adj[second]
    a1t, a2t = a1.transpose(0, 2, 1), a2.transpose(0, 2, 1)
    sub = costs.substitution[ops.clip(0)[first][:, :, None], ops.clip(0)[second][:, None, :]]
    # substituting u by v, relative to deleting u and inserting v
    gain = sub - 2 * costs.node_indel
    base = everything[first] + everything[second]  # delete one graph, insert the other
    degree = in_degree + out_degree
    start = (
        gain
        + edge / 2 * (cross(in_degree) + cross(out_degree))
        - edge / 2 * (degree[first][:, :, None] + degree[second][:, None, :])
        + topology_weight * (cross(depth) + cross(height))
    )

    def path_cost(mapping: np.ndarray) -> np.ndarray:
        kept = np.einsum("pij,pij->p", a1, mapping @ a2 @ mapping.transpose(0, 2, 1))
        return base + np.einsum("pij,pij->p", gain, mapping) - 2 * edge * kept

    mapping = _assign(start, valid)
    best = path_cost(mapping)
    for _ in range(refine):
        # edges that the current node map would keep, seen from each (u, v) choice
        kept_gradient = a1 @ mapping @ a2t + a1t @ mapping @ a2
        target = _assign(gain - edge * kept_gradient, valid)
        best = np.minimum(best, path_cost(target))
        # exact line search of the quadratic cost from mapping towards target
        step = target - mapping
        slope = np.einsum("pij,pij->p", np.where(valid, gain - 2 * edge * kept_gradient, 0), step)
        curvature = -2 * edge * np.einsum("pij,pij->p", a1, step @ a2 @ step.transpose(0, 2, 1))
        convex = curvature > 0
        t = np.where(convex, -slope / np.where(convex, curvature, 1.0), 1.0)
        t = np.where(slope < 0, np.clip(t, 0.0, 1.0), 0.0)
        mapping = mapping + t[:, None, None] * step
    return best


def _assign(cost: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Optimal partial node maps: ``cost[p, u, v]`` to map u to v, 0 to leave u unmapped.

    Shapes
    ------
    cost, valid : (P, V, V) -> (P, V, V) 0/1 float64
    """
    n_pairs, width, _ = cost.shape
    # rectangular assignment: one "unmapped" column per row (forbidden for other rows)
    matrix = np.empty((n_pairs, width, 2 * width))
    matrix[:, :, :width] = np.where(valid, cost, _FORBIDDEN)
    matrix[:, :, width:] = np.where(np.eye(width, dtype=bool), 0.0, _FORBIDDEN)
    target = np.array([linear_sum_assignment(m)[1] for m in matrix])  # the per-pair loop
    return (target[:, :, None] == np.arange(width)).astype(np.float64)


def _method_bipartite(distance, ops, adjacency, first, second, costs) -> np.ndarray:
    return bipartite_ged(
        ops,
        adjacency,
        first,
        second,
        costs,
        topology_weight=float(distance.topology_weight),
        refine=int(distance.refine),
    )


def _method_exact(distance, ops, adjacency, first, second, costs) -> np.ndarray:
    graphs = GraphBatch(ops, adjacency, costs.vocab)
    return np.array([exact_ged(graphs[i], graphs[j], costs) for i, j in zip(first, second)])


#: Ways to compute the distance of a block of pairs, by name.
METHODS: dict[str, Callable[..., np.ndarray]] = {
    "bipartite": _method_bipartite,
    "exact": _method_exact,
}


class GraphEditDistance(Distance):
    """Graph edit distance under a heuristic cost model (isomorphism-invariant).

    Parameters
    ----------
    method : {"bipartite", "exact"}, default="bipartite"
        ``bipartite``: the Riesen-Bunke approximation, for all pairs of a space;
        ``exact``: the binary linear program, for small sets (milliseconds per pair).
    substitution : float, default=1.0
        Cost of substituting two different operations.
    pair_costs : list of [str, str, float], default=convolution kernel sizes at 0.5
        Cheaper substitutions (see :mod:`cbred.distances.costs`).
    node_indel : float, default=1.0
        Cost of inserting or deleting a node.
    edge_indel : float, default=1.0
        Cost of inserting or deleting an edge.
    topology_weight : float, default=1.0
        ``bipartite`` only: weight of the depth/height prior of the first assignment.
    refine : int, default=2
        ``bipartite`` only: refinement iterations after the first assignment.
    n_jobs : int, default=-1
        Worker processes for the blocks (the assignments run in Python).
    **engine
        Other engine options of :class:`~cbred.distances.base.Distance`.

    Notes
    -----
    Symmetric. The exact distance is a metric when the substitution costs are one; the
    bipartite approximation is an upper bound without the triangle inequality, hence
    ``triangle_inequality = False``.
    """

    name = "transformation"
    symmetric = True
    triangle_inequality = False
    is_euclidean = False

    def __init__(
        self,
        *,
        method: str = "bipartite",
        substitution: float = 1.0,
        pair_costs: Sequence[Sequence[Any]] | None = DEFAULT_PAIR_COSTS,
        node_indel: float = 1.0,
        edge_indel: float = 1.0,
        topology_weight: float = 1.0,
        refine: int = 2,
        n_jobs: int = -1,
        **engine: Any,
    ) -> None:
        super().__init__(n_jobs=n_jobs, **engine)
        self.method = method
        self.substitution = substitution
        self.pair_costs = pair_costs
        self.node_indel = node_indel
        self.edge_indel = edge_indel
        self.topology_weight = topology_weight
        self.refine = refine

    def _check_params(self) -> None:
        super()._check_params()
        if self.method not in METHODS:
            raise ValueError(
                f"GraphEditDistance: unknown method {self.method!r} "
                f"(choices: {', '.join(sorted(METHODS))})"
            )
        self.costs(("input", "output"))  # validates the cost parameters
        if not float(self.topology_weight) >= 0:
            raise ValueError(
                f"GraphEditDistance: topology_weight must be >= 0, got {self.topology_weight!r}"
            )
        if isinstance(self.refine, bool) or not isinstance(self.refine, int) or self.refine < 0:
            raise ValueError(f"GraphEditDistance: refine must be an int >= 0, got {self.refine!r}")

    def costs(self, vocab: Sequence[str]) -> EditCosts:
        """The cost model over ``vocab``."""
        return EditCosts.build(
            vocab,
            substitution=self.substitution,
            pair_costs=self.pair_costs or (),
            node_indel=self.node_indel,
            edge_indel=self.edge_indel,
        )

    def features(self, graphs: GraphBatch) -> np.ndarray:
        """``[ops | adjacency]`` of every graph: equal rows are equal graphs.

        Shapes
        ------
        graphs : N graphs of width V -> (N, V + V * V) int64
        """
        self.costs_ = self.costs(graphs.vocab)  # the cost model of these graphs, for block()
        return graphs.rows()

    def block_bytes(self, n_features: int) -> int:
        width = _width(n_features)
        # the V x 2V assignment matrix and about fourteen V x V float64 arrays per pair
        return 8 * 16 * width * width

    def block(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Edit distances of all pairs of two blocks of :meth:`features` rows.

        Shapes
        ------
        x : (a, V + V * V), y : (b, V + V * V) -> (a, b) float64
        """
        rows = np.concatenate([x.cpu().numpy(), y.cpu().numpy()])
        width = _width(rows.shape[1])
        ops = rows[:, :width]
        adjacency = rows[:, width:].reshape(-1, width, width).astype(bool)
        first = np.repeat(np.arange(len(x)), len(y))
        second = np.tile(np.arange(len(x), len(rows)), len(x))
        # solve each pair from its lexicographically smaller graph: symmetric values
        rank = np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1)
        swap = rank[first] > rank[second]
        first[swap], second[swap] = second[swap], first[swap]
        values = METHODS[self.method](self, ops, adjacency, first, second, self.costs_)
        return torch.from_numpy(values.reshape(len(x), len(y)))


def _width(n_features: int) -> int:
    # n_features = V + V^2
    return int((np.sqrt(1 + 4 * n_features) - 1) / 2)
