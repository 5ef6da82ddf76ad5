"""Feature maps: a computational graph as a histogram (an operation-usage distribution).

A feature map turns every graph of a :class:`~cbred.graph.GraphBatch` into a vector of
non-negative counts; the probabilistic distances (:mod:`cbred.distances.probabilistic`)
normalise the counts into a distribution. Feature maps are registered by name in
:data:`FEATURE_MAPS` and built with :func:`make_feature_map`, which rejects unknown names
listing the choices.

Each map counts over the *computational graph* (the op-on-node DAG, the projection of
the adjacency tensor onto its operation partition, see :mod:`cbred.graph`):

``op_histogram``
    Number of nodes of each vocabulary operation, ``input`` and ``output`` included.
    Every graph has exactly one of each, so their share ``2 / n_nodes`` encodes the size
    of the cell and the empty cell (input and output only) is a distribution too.
``edge_pair_histogram``
    Number of edges of each (source operation, target operation) pair, ``K x K`` bins,
    plus one ``disconnected`` bin that holds the whole mass of a graph without edges (a
    cell whose output does not depend on its input).
``wl_subtree``
    Weisfeiler-Lehman subtree labels of depth ``h``: iteration 0 labels a node by its
    operation; iteration ``t`` relabels it by its previous label and the sorted
    multisets of the previous labels of its predecessors and of its successors. The
    histogram counts the labels of all iterations ``0..h``. Labels are numbered over the
    batch at hand: columns mean nothing across calls, but the probabilistic distances do
    not depend on the column basis (absent labels contribute nothing).

References
----------
N. Shervashidze, P. Schweitzer, E. J. van Leeuwen, K. Mehlhorn, K. M. Borgwardt,
"Weisfeiler-Lehman Graph Kernels", JMLR 12, 2011.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from cbred.graph import GraphBatch
from cbred.registry import Registry

#: Feature-map classes by name.
FEATURE_MAPS: Registry[type[FeatureMap]] = Registry("feature map")


def register_feature_map(cls: type[FeatureMap]) -> type[FeatureMap]:
    """Class decorator: add a feature map to :data:`FEATURE_MAPS` under ``cls.name``."""
    return FEATURE_MAPS.register(getattr(cls, "name", None))(cls)


def make_feature_map(name: str, **params: Any) -> FeatureMap:
    """Feature map by name; ``KeyError`` listing the choices for an unknown one."""
    return FEATURE_MAPS[name](**params)


class FeatureMap(abc.ABC):
    """Graphs to non-negative count vectors."""

    name: ClassVar[str]

    @abc.abstractmethod
    def __call__(self, graphs: GraphBatch) -> sparse.csr_matrix:
        """Counts of every graph, as a sparse matrix (WL label spaces are large).

        Shapes
        ------
        graphs : N graphs -> (N, d) float64, non-negative
        """

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"


@register_feature_map
class OpHistogram(FeatureMap):
    """Number of nodes per vocabulary operation, input and output included.

    Shapes
    ------
    graphs : N graphs, vocabulary of K operations -> (N, K)
    """

    name = "op_histogram"

    def __call__(self, graphs: GraphBatch) -> sparse.csr_matrix:
        return sparse.csr_matrix(graphs.op_counts().astype(np.float64))


@register_feature_map
class EdgePairHistogram(FeatureMap):
    """Number of edges per (source op, target op) pair, plus a ``disconnected`` bin.

    Shapes
    ------
    graphs : N graphs, vocabulary of K operations -> (N, K * K + 1); column
    ``K * a + b`` counts edges from an ``a`` node to a ``b`` node, the last column is 1
    for graphs without edges.
    """

    name = "edge_pair_histogram"

    def __call__(self, graphs: GraphBatch) -> sparse.csr_matrix:
        onehot = graphs.one_hot_ops().astype(np.float64)
        pairs = np.einsum("nia,nij,njb->nab", onehot, graphs.adjacency.astype(np.float64), onehot)
        pairs = pairs.reshape(len(graphs), -1)
        disconnected = (pairs.sum(axis=1) == 0).astype(np.float64)[:, None]
        return sparse.csr_matrix(np.concatenate([pairs, disconnected], axis=1))


@register_feature_map
class WLSubtreeHistogram(FeatureMap):
    """Weisfeiler-Lehman subtree label counts of iterations ``0..depth``.

    Parameters
    ----------
    depth : int, default=2
        Number of refinement iterations ``h`` (0: the operation histogram).

    Shapes
    ------
    graphs : N graphs -> (N, d), ``d`` the number of distinct labels in the batch
    (NB201, all cells: 256 labels for depth 1, 22,846 for depth 2).

    References
    ----------
    N. Shervashidze et al., "Weisfeiler-Lehman Graph Kernels", JMLR 12, 2011.
    """

    name = "wl_subtree"

    def __init__(self, depth: int = 2) -> None:
        if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 0:
            raise ValueError(f"wl_subtree depth must be a non-negative int, got {depth!r}")
        self.depth = int(depth)

    def __call__(self, graphs: GraphBatch) -> sparse.csr_matrix:
        mask = graphs.node_mask
        labels = np.where(mask, graphs.ops, -1)
        iterations = [labels]
        for _ in range(self.depth):
            labels = _refine(labels, mask, graphs.adjacency)
            iterations.append(labels)
        # every iteration gets its own block of columns
        graph = np.broadcast_to(np.arange(len(graphs))[:, None], mask.shape)[mask]
        rows, cols, offset = [], [], 0
        for labels in iterations:
            rows.append(graph)
            cols.append(labels[mask] + offset)
            offset += int(labels.max()) + 1
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        counts = sparse.coo_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(graphs), offset)
        ).tocsr()  # duplicates are summed
        counts.sort_indices()
        return counts


def _refine(labels: np.ndarray, mask: np.ndarray, adjacency: np.ndarray) -> np.ndarray:
    """One WL iteration on padded DAGs: new label = (own, sorted preds, sorted succs)."""
    # Neighbour label tables (N, V, V): label of node j seen from node i, -1 if no edge;
    # sorting each row gives the multiset in a fixed order.
    preds = np.sort(np.where(adjacency.transpose(0, 2, 1), labels[:, None, :], -1), axis=2)
    succs = np.sort(np.where(adjacency, labels[:, None, :], -1), axis=2)
    signature = np.concatenate([labels[:, :, None], preds, succs], axis=2)
    _, new = np.unique(signature[mask], axis=0, return_inverse=True)
    refined = np.full(labels.shape, -1, dtype=np.int64)
    refined[mask] = new.reshape(-1)
    return refined
