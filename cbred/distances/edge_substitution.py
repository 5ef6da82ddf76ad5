"""Per-edge substitution distance of NAS-Bench-201 cells (a fixed-topology shortcut).

Every NB201 cell has the same six edges; a cell is the tuple of their operations
(:attr:`cbred.spaces.nb201.NB201Space.codes`). The distance of two cells is the sum, over
the six edges, of the cost of changing the operation of that edge::

    d(a, b) = sum_e C[a_e, b_e]

with ``C`` over :data:`cbred.spaces.nb201.OPS`: 0 for equal operations, ``indel`` between
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

from cbred.spaces.nb201 import EDGES, NODE_VOCAB, OPS, NB201Space
from cbred.distances.base import Distance
from cbred.distances.costs import DEFAULT_PAIR_COSTS, check_cost, substitution_matrix
from cbred.graph import GraphBatch


class EdgeSubstitutionDistance(Distance):
    """Sum over the six NB201 edges of the cost of changing that edge's operation.

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
    Symmetric; a metric when the ``5 x 5`` cost matrix is one (the default is), see
    :attr:`triangle_inequality`. Needs graphs of NB201 cells with their ids (cell
    strings), as :meth:`NB201Space.graphs` makes them.
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

    def edge_costs(self) -> np.ndarray:
        """``C``: cost of changing an edge's operation, shape ``(5, 5)`` over :data:`OPS`."""
        costs = substitution_matrix(OPS, self.substitution, self.pair_costs or ())
        none = OPS.index("none")
        costs[none, :] = costs[:, none] = check_cost("indel", self.indel)
        costs[none, none] = 0.0
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
        """Operation codes of the six edges, from the cell strings in ``graphs.ids``.

        Shapes
        ------
        graphs : N NB201 graphs -> (N, 6) int64
        """
        if graphs.vocab != NODE_VOCAB:
            raise ValueError(
                f"{self.name} works on NB201 cells only; got graphs with vocabulary {graphs.vocab}"
            )
        if graphs.ids is None:
            raise ValueError(
                f"{self.name} reads the NB201 cell strings from graphs.ids, which is None "
                "(build the batch with NB201Space.graphs(ids))"
            )
        return NB201Space().codes_of(graphs.ids).astype(np.int64)

    def block_bytes(self, n_features: int) -> int:
        return 16  # the float32 product and its copy

    def block(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``onehot(x) @ blockdiag(C) @ onehot(y).T``.

        Shapes
        ------
        x : (a, 6), y : (b, 6) -> (a, b) float32
        """
        costs = torch.as_tensor(self.edge_costs(), dtype=torch.float32, device=x.device)
        n_ops = len(OPS)
        left = (costs[x.long()]).reshape(len(x), len(EDGES) * n_ops)  # row e: C[x_e, :]
        right = torch.nn.functional.one_hot(y.long(), n_ops).reshape(len(y), -1).float()
        return left @ right.T
