"""Euclidean coordinates for a dissimilarity: classical MDS with out-of-sample points.

k-means needs points in a Euclidean space. A distance that is Euclidean in a known
embedding (Hellinger, a learned encoder) provides its own (``Distance.embed``); for any
other dissimilarity matrix ``D``, classical (Torgerson) MDS gives the best rank-``d``
Euclidean approximation: the leading eigenvectors of the double-centred matrix
``B = -1/2 J D**2 J``. When ``D`` is Euclidean of rank ``<= d`` the coordinates reproduce
``D`` exactly; otherwise the negative part of the spectrum (the non-Euclidean part) is
dropped.

:meth:`ClassicalMDS.transform` places new points from their distances to the fitted
points (Gower's formula). Fitted on a random set of landmarks, it is landmark MDS: every
point of a large space gets coordinates from an ``N x L`` block of distances, never an
``N x N`` matrix.

References
----------
W. S. Torgerson, "Multidimensional scaling: I. Theory and method", Psychometrika, 1952.
J. C. Gower, "Adding a point to vector diagrams in multivariate analysis", Biometrika, 1968.
V. de Silva and J. B. Tenenbaum, "Sparse multidimensional scaling using landmark points",
Technical report, Stanford University, 2004.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import eigh
from scipy.sparse.linalg import eigsh
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state, check_scalar
from sklearn.utils.extmath import svd_flip
from sklearn.utils.validation import check_is_fitted

#: Up to this many points the eigenpairs come from LAPACK instead of ARPACK.
_DENSE_SOLVER_MAX = 500
#: Eigenvalues below this fraction of the largest one are treated as zero (rank cut).
_RELATIVE_EIGEN_TOL = 1e-6


def check_dissimilarity(D, name: str = "distance matrix") -> np.ndarray:
    """Validate a square, finite, non-negative, symmetric dissimilarity matrix.

    Returns it as a float array (float32 stays float32). Raises ``ValueError`` naming the
    problem.
    """
    D = np.asarray(D)
    if D.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be numeric, got dtype {D.dtype}")
    D = D.astype(np.float32 if D.dtype == np.float32 else np.float64, copy=False)
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(f"{name} must be square (n, n), got shape {D.shape}")
    if not np.isfinite(D).all():
        raise ValueError(f"{name} has {int((~np.isfinite(D)).sum())} non-finite entries")
    if D.size and D.min() < 0:
        raise ValueError(f"{name} has negative entries (min {D.min():.3g})")
    scale = float(D.max()) if D.size else 0.0
    # by blocks of rows: no second n x n temporary
    asymmetry = max((float(np.abs(D[i : i + 2048] - D[:, i : i + 2048].T).max())
                     for i in range(0, D.shape[0], 2048)), default=0.0)
    if scale and asymmetry > 1e-4 * scale:
        raise ValueError(f"{name} is not symmetric (max |D - D.T| = {asymmetry:.3g})")
    return D


class ClassicalMDS(TransformerMixin, BaseEstimator):
    """Classical multidimensional scaling of a precomputed dissimilarity matrix.

    Unlike :class:`sklearn.manifold.ClassicalMDS`, which computes the whole spectrum
    (``O(n^3)``), only the ``n_components`` leading eigenpairs are computed with ARPACK
    (:func:`scipy.sparse.linalg.eigsh`), and new points can be placed by :meth:`transform`.

    Parameters
    ----------
    n_components : int, default=16
        Largest number of coordinates. Fewer are kept when ``B`` has fewer positive
        eigenvalues (rank of the Euclidean part).
    random_state : int, RandomState instance or None, default=None
        Starting vector of the eigen-solver (results are deterministic for an int).

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components_)
        Coordinates of the fitted points.
    eigenvalues_ : ndarray of shape (n_components_,)
        Positive eigenvalues of ``B`` in decreasing order (squared norms of the columns of
        ``embedding_``).
    n_components_ : int
        Number of coordinates kept.

    Shapes
    ------
    fit: ``(n, n)`` dissimilarities. transform: ``(m, n)`` dissimilarities from ``m`` new
    points to the ``n`` fitted points -> ``(m, n_components_)``.
    """

    def __init__(self, n_components: int = 16, *, random_state=None) -> None:
        self.n_components = n_components
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = True
        return tags

    def fit(self, X, y=None) -> ClassicalMDS:
        """Eigen-decompose the double-centred squared dissimilarities ``X`` (n x n)."""
        check_scalar(self.n_components, "n_components", int, min_val=1)
        D = check_dissimilarity(X)
        n = D.shape[0]
        if n < 3:
            raise ValueError(f"classical MDS needs at least 3 points, got {n}")
        squared = np.square(D, dtype=D.dtype)
        self._mean_squared = squared.mean(axis=0)
        B = squared  # double centring in place: B = -1/2 J D^2 J
        B -= self._mean_squared[None, :]
        B -= B.mean(axis=1, keepdims=True)
        B *= -0.5
        k = min(self.n_components, n - 1)
        if n <= _DENSE_SOLVER_MAX:  # ARPACK is for k << n; LAPACK is instant here
            values, vectors = eigh(B, subset_by_index=[n - k, n - 1])
        else:
            v0 = check_random_state(self.random_state).uniform(-1, 1, n).astype(B.dtype)
            values, vectors = eigsh(B, k=k, which="LA", v0=v0)
        order = np.argsort(values)[::-1]
        values, vectors = values[order], vectors[:, order]
        keep = values > _RELATIVE_EIGEN_TOL * max(values[0], 0.0)
        if not keep.any():
            raise ValueError("the dissimilarity matrix has no positive Euclidean part (all zero?)")
        vectors, _ = svd_flip(np.ascontiguousarray(vectors[:, keep]), None)
        self.eigenvalues_ = values[keep]
        self._basis = vectors / np.sqrt(self.eigenvalues_)  # Gower: x = -1/2 (d^2 - mean) V / sqrt(l)
        self.embedding_ = (vectors * np.sqrt(self.eigenvalues_)).astype(np.float32)
        self.n_components_ = int(keep.sum())
        return self

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).embedding_

    def transform(self, X) -> np.ndarray:
        """Coordinates of new points given their ``(m, n)`` distances to the fitted points."""
        check_is_fitted(self, "eigenvalues_")
        D = np.asarray(X, dtype=np.float64)
        if D.ndim != 2 or D.shape[1] != len(self._mean_squared):
            raise ValueError(
                f"transform needs distances to the {len(self._mean_squared)} fitted points, "
                f"got shape {D.shape}"
            )
        return (-0.5 * (np.square(D) - self._mean_squared) @ self._basis).astype(np.float32)
