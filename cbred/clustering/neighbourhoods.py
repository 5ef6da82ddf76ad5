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
from sklearn.neighbors import NearestNeighbors

from cbred.clustering.embedding import check_dissimilarity

METRICS = ("euclidean", "precomputed")
_ROWS_PER_BLOCK = 1024


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
        broken by position.
    """
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r}; choose one of {METRICS}")
    n = X.shape[0]
    if not 1 <= n_neighbors < n:
        raise ValueError(f"n_neighbors must be in [1, {n - 1}] for {n} points, got {n_neighbors}")
    if metric == "precomputed":
        D = check_dissimilarity(X)
        neighbours = np.empty((n, n_neighbors), dtype=np.int64)
        for start in range(0, n, _ROWS_PER_BLOCK):  # one block of rows at a time: no n x n index
            rows = np.arange(start, min(start + _ROWS_PER_BLOCK, n))
            block = np.array(D[rows], dtype=np.float64)
            block[np.arange(len(rows)), rows] = np.inf  # never one's own neighbour
            neighbours[rows] = np.argsort(block, axis=1, kind="stable")[:, :n_neighbors]
        return neighbours
    # kneighbors(None) excludes every query point from its own neighbours
    model = NearestNeighbors(n_neighbors=n_neighbors).fit(np.asarray(X, dtype=np.float64))
    distances, index = model.kneighbors(None)
    # sorted by distance; re-sort so that ties follow position
    order = np.lexsort((index, distances), axis=1)
    return np.take_along_axis(index, order, axis=1)


def nearest_of(X: np.ndarray, queries: np.ndarray, references: np.ndarray, n_neighbors: int, *,
               metric: str = "euclidean") -> np.ndarray:
    """Positions (in ``X``) of the ``n_neighbors`` nearest ``references`` of every query point.

    For estimates from a sample: ``references`` are the sampled points, ``queries`` the
    others (disjoint from ``references``). Ties broken by position.

    Shapes
    ------
    X : (n, d) or (n, n); queries : (q,); references : (r,) -> (q, n_neighbors)
    """
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r}; choose one of {METRICS}")
    if not 1 <= n_neighbors <= len(references):
        raise ValueError(f"n_neighbors must be in [1, {len(references)}] for {len(references)} references, "
                         f"got {n_neighbors}")
    if metric == "precomputed":
        D = check_dissimilarity(X)
        found = np.empty((len(queries), n_neighbors), dtype=np.int64)
        for start in range(0, len(queries), _ROWS_PER_BLOCK):
            rows = queries[start:start + _ROWS_PER_BLOCK]
            block = np.asarray(D[np.ix_(rows, references)], dtype=np.float64)
            found[start:start + len(rows)] = np.argsort(block, axis=1, kind="stable")[:, :n_neighbors]
        return references[found]
    model = NearestNeighbors(n_neighbors=n_neighbors).fit(np.asarray(X[references], dtype=np.float64))
    distances, index = model.kneighbors(np.asarray(X[queries], dtype=np.float64))
    order = np.lexsort((index, distances), axis=1)
    return references[np.take_along_axis(index, order, axis=1)]


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
