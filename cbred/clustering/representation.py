"""What the clusterer sees: an embedding or a distance matrix, chosen by the distance's properties.

* A Euclidean distance (``distance.is_euclidean``: Hellinger, a learned encoder) gives its
  embedding, ``(n, d)``: no ``n x n`` matrix at any size.
* Any other distance gives its ``(n, n)`` matrix up to ``max_dense`` architectures.
* Beyond, landmark MDS (:class:`~cbred.clustering.embedding.ClassicalMDS` fitted on
  ``n_landmarks`` random architectures, every architecture placed from its distances to
  them): an ``n x L`` block in chunks, never ``n x n``.

No distance is special-cased by name: only its ``is_euclidean`` flag matters.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from tqdm.auto import tqdm

from cbred.clustering.embedding import ClassicalMDS
from cbred.graph import GraphBatch


@dataclass(frozen=True)
class Representation:
    """Input of a clusterer.

    Attributes
    ----------
    X : ndarray of float32
        ``(n, d)`` coordinates (``metric="euclidean"``) or ``(n, n)`` distances
        (``metric="precomputed"``).
    metric : {"euclidean", "precomputed"}
        The ``metric`` parameter the clusterer needs for ``X``.
    kind : {"embedding", "distance matrix", "landmark MDS"}
        How ``X`` was obtained.
    """

    X: np.ndarray
    metric: str
    kind: str

    @property
    def is_embedding(self) -> bool:
        return self.metric == "euclidean"

    def __len__(self) -> int:
        return self.X.shape[0]

    def subset(self, index: np.ndarray) -> Representation:
        """The rows (and, for a matrix, columns) at positions ``index``."""
        X = self.X[np.ix_(index, index)] if self.metric == "precomputed" else self.X[index]
        return Representation(X, self.metric, self.kind)

    def distinct(self) -> tuple[Representation, np.ndarray]:
        """The distinct points, and the index of every original row among them.

        Rows at distance 0 from each other are identical (in both an embedding and a
        distance matrix) and no clustering of the distance can separate them.

        Returns
        -------
        Representation
            One row (and, for a matrix, one column) per distinct point, in order of first
            appearance.
        inverse : ndarray of int, shape (n,)
            ``distinct.X[inverse]`` restores the rows.
        """
        inverse = self.point_of_row()
        first = np.unique(inverse, return_index=True)[1]
        return self.subset(first), inverse

    def point_of_row(self) -> np.ndarray:
        """Distinct point of every row (in order of first appearance), without copying them.

        Shapes
        ------
        X : (n, d) or (n, n) -> (n,) int64
        """
        return pd.factorize(pd.Series([row.tobytes() for row in self.X]))[0]


def represent(
    distance,
    graphs: GraphBatch,
    *,
    max_dense: int = 20_000,
    n_landmarks: int = 2_000,
    n_components: int = 16,
    chunk_size: int = 50_000,
    random_state=None,
) -> Representation:
    """Embedding, dense distance matrix, or landmark-MDS coordinates of ``graphs``.

    Parameters
    ----------
    distance : Distance
        Has ``pairwise(graphs, other=None)``, ``embed(graphs)`` and ``is_euclidean``.
    graphs : GraphBatch
        The ``n`` architectures to cluster.
    max_dense : int
        Largest ``n`` for a dense ``n x n`` matrix of a non-Euclidean distance.
    n_landmarks, n_components : int
        Landmark MDS beyond ``max_dense``: number of landmarks and of coordinates.
    chunk_size : int
        Rows of the ``n x L`` distance block computed at a time.
    random_state : int, RandomState instance or None
        Choice of the landmarks and the eigen-solver's start.
    """
    for option, value, minimum in (("max_dense", max_dense, 0), ("n_landmarks", n_landmarks, 1),
                                   ("n_components", n_components, 1), ("chunk_size", chunk_size, 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
            raise ValueError(f"representation.{option} must be an integer >= {minimum}, got {value!r}")
    n = len(graphs)
    if distance.is_euclidean:
        return Representation(np.asarray(distance.embed(graphs), dtype=np.float32), "euclidean", "embedding")
    if n <= max_dense:
        return Representation(np.asarray(distance.pairwise(graphs), dtype=np.float32), "precomputed",
                              "distance matrix")
    rng = check_random_state(random_state)
    landmarks = graphs.subset(np.sort(rng.choice(n, min(n_landmarks, n), replace=False)))
    mds = ClassicalMDS(n_components, random_state=rng).fit(distance.pairwise(landmarks))
    starts = range(0, n, chunk_size)
    blocks = distance.with_engine(cache=False)  # one-off n x L chunks: no cache file each
    coordinates = [
        mds.transform(blocks.pairwise(graphs.subset(np.arange(s, min(s + chunk_size, n))), landmarks))
        for s in tqdm(starts, desc="landmark MDS", disable=len(starts) < 3)
    ]
    return Representation(np.concatenate(coordinates), "euclidean", "landmark MDS")
