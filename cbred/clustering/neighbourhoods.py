"""k-nearest-neighbour graphs of architectures and the smoothing of a score over them.

A soft alternative to hard clusters: every architecture gets a neighbourhood, itself and
its ``k`` nearest architectures under the distance, and a score of the neighbourhood (the
mean of a per-architecture value over it, a kNN regression). The neighbourhood size ``k``
is chosen by leave-one-out cross-validation of that regression: for every architecture,
predict its value from its ``k`` neighbours alone and keep the ``k`` with the least mean
squared error. If the value is a smooth function of the architecture plus independent
noise (a training-free statistic measured once), the leave-one-out error is the smoother's
error plus the noise variance, so its minimum is the ``k`` that best recovers the smooth
part: too small a ``k`` keeps the noise, too large a ``k`` averages unlike architectures.

Ties in distance (many on discrete distances) are broken by position, so results are
deterministic for a given order of the architectures.

References
----------
T. Hastie, R. Tibshirani and J. Friedman, "The Elements of Statistical Learning", 2nd ed.,
Springer, 2009, sections 2.3.2 (nearest-neighbour methods) and 7.10 (cross-validation).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cbred.clustering.embedding import check_dissimilarity

METRICS = ("euclidean", "precomputed")
#: Distances held at a time (queries x references of one block).
_BLOCK_ENTRIES = 4_000_000
#: Squared Euclidean distances are rounded to this many decimals (matrix-product noise).
_DECIMALS = 9


def nearest_neighbours(X: np.ndarray, n_neighbors: int, *, metric: str = "euclidean") -> np.ndarray:
    """Positions of the ``n_neighbors`` nearest other points of every point.

    Parameters
    ----------
    X : ndarray
        ``(n, d)`` coordinates (``metric="euclidean"``) or an ``(n, n)`` dissimilarity
        matrix (``metric="precomputed"``).
    n_neighbors : int
        ``1 <= n_neighbors < n``.
    metric : {"euclidean", "precomputed"}

    Returns
    -------
    ndarray of int, shape (n, n_neighbors)
        Row ``i``: the neighbours of point ``i`` nearest first, never ``i`` itself; ties
        broken by position (the same neighbours for coordinates and for their matrix).
    """
    n = X.shape[0]
    if not 1 <= n_neighbors < n:
        raise ValueError(f"n_neighbors must be in [1, {n - 1}] for {n} points, got {n_neighbors}")
    every = np.arange(n)
    return _nearest(X, every, every, n_neighbors, metric, exclude_self=True)


def nearest_of(X: np.ndarray, queries: np.ndarray, references: np.ndarray, n_neighbors: int, *,
               metric: str = "euclidean") -> np.ndarray:
    """Positions (in ``X``) of the ``n_neighbors`` nearest ``references`` of every query point.

    For estimates from a sample: ``references`` are the sampled points, ``queries`` the
    others (disjoint from ``references``). Ties broken by position.

    Shapes
    ------
    X : (n, d) or (n, n); queries : (q,); references : (r,) -> (q, n_neighbors)
    """
    if not 1 <= n_neighbors <= len(references):
        raise ValueError(f"n_neighbors must be in [1, {len(references)}] for {len(references)} references, "
                         f"got {n_neighbors}")
    return _nearest(X, np.asarray(queries), np.asarray(references), n_neighbors, metric, exclude_self=False)


def nearest_columns(distances: np.ndarray, n_neighbors: int) -> np.ndarray:
    """Columns of the ``n_neighbors`` smallest entries of every row of a block of distances.

    For points that are not among the references (architectures outside a reduction, against
    its units): the same neighbours, ties broken by column, as :func:`nearest_of` finds for
    points inside one matrix.

    Shapes
    ------
    distances : (q, r) -> (q, n_neighbors), nearest first
    """
    distances = np.asarray(distances, dtype=np.float64)
    if distances.ndim != 2:
        raise ValueError(f"distances must be a (queries, references) block, got shape {distances.shape}")
    if not 1 <= n_neighbors <= distances.shape[1]:
        raise ValueError(f"n_neighbors must be in [1, {distances.shape[1]}] for {distances.shape[1]} references, "
                         f"got {n_neighbors}")
    return _k_smallest(distances, n_neighbors)


def _nearest(X, queries: np.ndarray, references: np.ndarray, k: int, metric: str, *,
             exclude_self: bool) -> np.ndarray:
    """The ``k`` nearest references of every query, by (distance, position), block by block."""
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r}; choose one of {METRICS}")
    if metric == "precomputed":
        D = check_dissimilarity(X)
    else:
        X = np.asarray(X, dtype=np.float64)
        ref = X[references]
        ref_norms = np.einsum("ij,ij->i", ref, ref)
    found = np.empty((len(queries), k), dtype=np.int64)
    rows_per_block = max(1, _BLOCK_ENTRIES // max(len(references), 1))
    for start in range(0, len(queries), rows_per_block):
        rows = queries[start:start + rows_per_block]
        if metric == "precomputed":
            block = np.asarray(D[np.ix_(rows, references)], dtype=np.float64)
        else:  # squared distances by one matrix product; ulp noise rounded away so that ties stay ties
            q = X[rows]
            block = np.einsum("ij,ij->i", q, q)[:, None] + ref_norms[None, :] - 2.0 * (q @ ref.T)
            block = np.round(np.maximum(block, 0.0), _DECIMALS)
        if exclude_self:  # queries and references are the same points
            block[np.arange(len(rows)), rows] = np.inf
        found[start:start + len(rows)] = _k_smallest(block, k)
    return references[found]


def _k_smallest(block: np.ndarray, k: int) -> np.ndarray:
    """Columns of the ``k`` smallest entries of every row, by (value, column).

    ``argpartition`` alone would pick arbitrary members of a tie at the ``k``-th value:
    every entry below it is taken, then the lowest columns among those equal to it.
    """
    kth = np.partition(block, k - 1, axis=1)[:, k - 1 : k]
    below = block < kth
    tied = block == kth
    room = k - below.sum(axis=1, keepdims=True)
    keep = below | (tied & (np.cumsum(tied, axis=1) <= room))
    rows, cols = np.nonzero(keep)  # k per row, columns ascending
    cols = cols.reshape(len(block), k)
    values = np.take_along_axis(block, cols, axis=1)
    order = np.lexsort((cols, values), axis=1)
    return np.take_along_axis(cols, order, axis=1)


def neighbourhood_mean(values: np.ndarray, neighbours: np.ndarray, k: int, *, include_self: bool = True) -> np.ndarray:
    """Mean of ``values`` over every point's first ``k`` neighbours (and itself).

    Shapes
    ------
    values : (n,), neighbours : (n, >= k) -> (n,)
    """
    values = np.asarray(values, dtype=np.float64)
    total = values[neighbours[:, :k]].sum(axis=1)
    if include_self:
        return (total + values) / (k + 1)
    return total / k


def loo_errors(values: np.ndarray, neighbours: np.ndarray, ks: Sequence[int]) -> dict[int, float]:
    """Leave-one-out mean squared error of predicting each value from its ``k`` neighbours.

    Parameters
    ----------
    values : ndarray of shape (n,)
    neighbours : ndarray of shape (n, >= max(ks))
        From :func:`nearest_neighbours` (never the point itself).
    ks : sequence of int
        Candidate neighbourhood sizes.
    """
    values = np.asarray(values, dtype=np.float64)
    cumulative = np.cumsum(values[neighbours[:, : max(ks)]], axis=1)
    return {int(k): float(np.mean((cumulative[:, k - 1] / k - values) ** 2)) for k in ks}
