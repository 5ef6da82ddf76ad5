"""Per-edge substitution distance of edge-operation cells (a fixed-topology shortcut).

Every cell of a declared edge-operation space (NAS-Bench-201, TransNAS-Bench-101 micro,
:class:`~cbred.spaces.edge_cell.EdgeCellSpace`) has the same edges; a cell is the tuple of
their operations, read from its cell string. The distance of two cells is the sum, over
the edges, of the cost of changing the operation of that edge::

    d(a, b) = sum_e C[a_e, b_e]

with ``C`` over ``none`` and the graphs' operations: 0 for equal operations, ``indel`` between
``none`` (no edge) and an operation, ``substitution`` between two operations, cheaper
pairs from ``pair_costs`` (the cost model of :mod:`cbred.distances.costs`).

It is *not* isomorphism-invariant, nor even invariant to the computational graph: it
compares edge slots, so two cells that compute the same function with their operations
on other edges (or that differ only on edges the graph prunes) can be far apart. Use
:class:`cbred.distances.transformation.GraphEditDistance` for the graph version. It is
cheap: one matrix product, ``d = onehot(a) C_blocks onehot(b)^T``, all 15,625 cells in
seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from cbred.distances.base import Distance
from cbred.distances.costs import DEFAULT_PAIR_COSTS, check_cost, substitution_matrix
from cbred.graph import INPUT, OUTPUT, GraphBatch


#: NAS-Bench-201's edge operations, ``none`` first (the costs a fresh distance checks).
NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


def _edge_ops(vocab: Sequence[str]) -> tuple[str, ...]:
    """``none`` and the operations of a graph vocabulary (input and output left out)."""
    return ("none",) + tuple(op for op in vocab if op not in (INPUT, OUTPUT))


class EdgeSubstitutionDistance(Distance):
    """Sum over the cell edges of the cost of changing that edge's operation.

    Parameters
    ----------
    substitution : float, default=1.0
        Cost of replacing one operation by another.
    pair_costs : list of [str, str, float], default=convolution kernel sizes at 0.5
        Cheaper substitutions (see :mod:`cbred.distances.costs`).
    indel : float, default=1.0
        Cost of replacing ``none`` by an operation or an operation by ``none``.
    **engine
        Engine options of :class:`~cbred.distances.base.Distance`.

    Notes
    -----
    Symmetric; a metric when the cost matrix is one (the default is), see
    :attr:`triangle_inequality`. Needs graphs of edge-operation cells with their ids (cell
    strings), as :meth:`EdgeCellSpace.graphs` makes them.
    """

    name = "transformation_edge"
    symmetric = True
    triangle_inequality = True  # for metric edge costs; checked by _check_params
    is_euclidean = False

    def __init__(
        self,
        *,
        substitution: float = 1.0,
        pair_costs: Sequence[Sequence[Any]] | None = DEFAULT_PAIR_COSTS,
        indel: float = 1.0,
        **engine: Any,
    ) -> None:
        super().__init__(**engine)
        self.substitution = substitution
        self.pair_costs = pair_costs
        self.indel = indel

    def edge_costs(self, ops: Sequence[str] = NB201_OPS) -> np.ndarray:
        """``C``: cost of changing an edge's operation, over ``ops`` (``none`` first)."""
        costs = substitution_matrix(tuple(ops), self.substitution, self.pair_costs or ())
        costs[0, :] = costs[:, 0] = check_cost("indel", self.indel)
        costs[0, 0] = 0.0
        return costs

    def _check_params(self) -> None:
        super()._check_params()
        costs = self.edge_costs()
        # the per-edge sum is a metric iff the edge costs are (the class states it is)
        detour = (costs[:, :, None] + costs[None, :, :]).min(axis=1)  # min_b C[a,b] + C[b,c]
        if np.any(costs > detour + 1e-12):
            raise ValueError(
                "EdgeSubstitutionDistance: the edge costs break the triangle inequality "
                f"(C[a, c] > C[a, b] + C[b, c] for some operations):\n{costs}"
            )

    def features(self, graphs: GraphBatch) -> np.ndarray:
        """Every cell as ``[C[a_e, :] for every edge e | onehot(a_e) for every edge e]``.

        ``a_e`` is the operation of edge ``e`` (``0`` = ``none``, then the graphs' operations
        in vocabulary order), read from the cell strings in ``graphs.ids``; carrying the
        cost rows makes :meth:`block` one product, whatever the space's operations.

        Shapes
        ------
        graphs : N cells of E edges, K operations with ``none`` -> (N, 2 E K) float32
        """
        if graphs.ids is None:
            raise ValueError(
                f"{self.name} reads the cell strings from graphs.ids, which is None "
                "(build the batch with space.graphs(ids))"
            )
        ops = _edge_ops(graphs.vocab)
        code = {op: k for k, op in enumerate(ops)}
        try:
            rows = [[code[token.partition("~")[0]] for token in arch.replace("+", "|").split("|") if token]
                    for arch in graphs.ids]
            codes = np.array(rows, dtype=np.int64)
        except (KeyError, ValueError, AttributeError):
            raise ValueError(
                f"{self.name} works on edge-operation cells (cell strings 'op~i'); got ids such as "
                f"{list(graphs.ids[:2])} with vocabulary {graphs.vocab}; choose a distance for graphs of any "
                "space: distance=hellinger, or distance=learned distance.checkpoint=PATH (DARTS: experiment=darts)"
            ) from None
        if codes.ndim != 2:
            raise ValueError(f"{self.name}: the cells have different numbers of edges")
        costs = self.edge_costs(ops).astype(np.float32)
        one_hot = np.eye(len(ops), dtype=np.float32)[codes]
        return np.concatenate([costs[codes].reshape(len(codes), -1), one_hot.reshape(len(codes), -1)], axis=1)

    def block_bytes(self, n_features: int) -> int:
        return 16  # the float32 product and its copy

    def block(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``[cost rows of x] @ [one-hot of y].T``: the sum over edges of ``C[x_e, y_e]``.

        Shapes
        ------
        x : (a, 2 E K), y : (b, 2 E K) -> (a, b) float32
        """
        half = x.shape[1] // 2
        return x[:, :half].float() @ y[:, half:].float().T
