"""Held-out architectures of the learned metric: splits that never cut a group of twins.

:func:`split_architectures` splits the space into ``train`` / ``val`` / ``test`` by groups
that are never cut: an isomorphism class and every architecture with the same graph belong
to one split, so a held-out architecture is never seen in training, not even as an
isomorphic or identically-projected twin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from cbred.spaces.space import SearchSpace
from cbred.graph import GraphBatch

#: Names of the splits, in order.
SPLITS = ("train", "val", "test")


def split_architectures(
    space: SearchSpace, *, val: float = 0.05, test: float = 0.05, random_state: int = 0
) -> pd.Series:
    """Split of every architecture of ``space`` into ``train``, ``val`` and ``test``.

    Architectures are grouped by the connected components of "same isomorphism class" and
    "same computational graph" (NB201 cells that differ only in pruned edges share a graph
    without sharing the benchmark's class); whole groups are drawn for ``val`` and ``test``
    until each holds its fraction of the architectures.

    Parameters
    ----------
    space : SearchSpace
    val, test : float
        Fractions of the architectures held out for validation and test.
    random_state : int

    Returns
    -------
    Series of str
        Split of every architecture, indexed by id (index name ``arch``).

    Raises
    ------
    ValueError
        For fractions outside ``[0, 1)`` or summing to 1 or more.
    """
    for name, value in (("val", val), ("test", test)):
        if not 0.0 <= float(value) < 1.0:
            raise ValueError(f"holdout fraction {name}={value!r} must be in [0, 1)")
    if val + test >= 1.0:
        raise ValueError(f"holdout fractions val={val} + test={test} leave no training split")
    ids = pd.Index(space.ids, name="arch")
    graphs = space.graphs()
    classes, _ = pd.factorize(space.isomorphism_classes().to_numpy())
    rows, _ = pd.factorize(_row_keys(graphs))
    n_classes = int(classes.max()) + 1
    n_nodes = n_classes + int(rows.max()) + 1
    links = sparse.coo_matrix(
        (np.ones(len(ids)), (classes, n_classes + rows)), shape=(n_nodes, n_nodes)
    )
    _, component = connected_components(links, directed=False)
    group = component[classes]
    rng = np.random.default_rng(random_state)
    order = rng.permutation(int(group.max()) + 1)
    size = np.bincount(group)[order]
    # groups in random order; the first ones up to val * n go to val, the next to test
    before = np.cumsum(size) - size
    label = np.full(len(order), "train", dtype=object)
    label[before < val * len(ids)] = "val"
    label[(before >= val * len(ids)) & (before < (val + test) * len(ids))] = "test"
    split_of_group = np.empty(len(order), dtype=object)
    split_of_group[order] = label
    return pd.Series(split_of_group[group], index=ids, name="split")


def _row_keys(graphs: GraphBatch) -> np.ndarray:
    """One hashable key per graph: equal keys are equal graphs (same node order)."""
    rows = np.ascontiguousarray(graphs.rows())
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
