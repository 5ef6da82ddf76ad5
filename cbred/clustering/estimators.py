"""Clustering estimators for any distance between architectures.

Both estimators have one shape: a Euclidean representation of the points, then k-means
(:class:`sklearn.cluster.KMeans`) on it.

:class:`MetricKMeans`
    k-means for an arbitrary dissimilarity. With ``metric="euclidean"`` the input is an
    embedding in which the distance is Euclidean (``Distance.embed``: Hellinger, a learned
    encoder) and k-means runs on it as is. With ``metric="precomputed"`` the input is an
    ``n x n`` dissimilarity matrix ``D`` and k-means runs in its classical-MDS embedding
    (:class:`~cbred.clustering.embedding.ClassicalMDS`). Why this is k-means of ``D``: the
    k-means objective depends on the points only through their squared distances,
    ``sum_c 1/(2|c|) sum_{i,j in c} d_ij^2``, so for Euclidean ``D`` of rank ``<= d``
    k-means in the MDS coordinates *is* k-means of the original points (same objective,
    same optimum); for non-Euclidean ``D`` it is kernel k-means with the kernel
    ``-1/2 J D^2 J`` projected on its ``d`` leading positive eigen-directions.

:class:`MetricSpectral`
    Spectral clustering on an affinity built from the distance: a Gaussian kernel
    ``exp(-d^2 / (2 sigma^2))`` of scale ``sigma = eta * median positive distance`` (dense,
    or restricted to a symmetrised k-nearest-neighbour graph when ``n_neighbors`` is set),
    or the binary kNN graph. The embedding is :func:`sklearn.manifold.spectral_embedding`
    (eigenvectors of the normalised graph Laplacian, as in
    :func:`sklearn.cluster.spectral_clustering`), then k-means.

Both expose :meth:`cluster_path`, the labels for several numbers of clusters from one
representation (the expensive step is shared), which stability selection uses.

References
----------
S. Lloyd, "Least squares quantization in PCM", IEEE Trans. Inf. Theory, 1982.
D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful seeding", SODA 2007.
A. Y. Ng, M. I. Jordan and Y. Weiss, "On spectral clustering: analysis and an algorithm",
NeurIPS 2001.
U. von Luxburg, "A tutorial on spectral clustering", Statistics and Computing, 2007.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.manifold import spectral_embedding
from sklearn.metrics import pairwise_distances
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_array, check_random_state, check_scalar
from threadpoolctl import threadpool_limits

from cbred.clustering.cluster_counts import check_cluster_counts
from cbred.clustering.embedding import ClassicalMDS, check_dissimilarity

METRICS = ("euclidean", "precomputed")
#: A dense ``n x n`` affinity above this many points needs ``n_neighbors`` instead.
MAX_DENSE_POINTS = 50_000
#: Below this many distinct points k-means runs on one thread.
_THREADED_MIN_ROWS = 20_000
#: Distances sampled to estimate the median scale of a dense matrix.
_SCALE_SAMPLE = 1_000_000


#: Distinct rows of an embedding, the row of each original row, and their multiplicities.
_Distinct = tuple[np.ndarray, np.ndarray, np.ndarray]


def _distinct(embedding: np.ndarray) -> _Distinct:
    rows, inverse, counts = np.unique(embedding, axis=0, return_inverse=True, return_counts=True)
    return rows, inverse.ravel(), counts


class _KMeansOnRepresentation(ClusterMixin, BaseEstimator):
    """Shared shape: ``_represent(X, n_components)`` then k-means on the result."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = getattr(self, "metric", None) == "precomputed"
        return tags

    # -- subclasses -----------------------------------------------------------------
    def _check_params(self) -> None:
        check_scalar(self.n_clusters, "n_clusters", int, min_val=1)
        check_scalar(self.n_init, "n_init", int, min_val=1)
        if self.metric not in METRICS:
            raise ValueError(f"metric={self.metric!r}; choices: {', '.join(METRICS)}")

    def _components_for(self, n_clusters: int) -> int | None:
        """Leading columns of the representation used for ``n_clusters`` (None: all)."""
        return None

    def _represent(self, X, n_components: int | None, rng: np.random.RandomState) -> np.ndarray:
        """Coordinates k-means runs on, ``(n, d)``, at least ``n_components`` columns."""
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------
    def _check_input(self, X) -> np.ndarray:
        if self.metric == "precomputed":
            return check_dissimilarity(X)
        return check_array(X, dtype=[np.float32, np.float64], ensure_min_samples=2)

    def _check_n_clusters(self, n_clusters: Sequence[int], n_samples: int) -> list[int]:
        n_clusters = [int(k) for k in n_clusters]
        check_cluster_counts(n_clusters, n_samples, f"the number of points to cluster ({n_samples})")
        bad = [k for k in n_clusters if k < 1]
        if bad:
            raise ValueError(f"n_clusters must be >= 1, got {bad}")
        return n_clusters

    def _kmeans(self, distinct: _Distinct, n_clusters: int, random_state) -> tuple[KMeans, np.ndarray]:
        """k-means of an embedding given by its :func:`_distinct` rows; returns the fitted
        KMeans and the labels of every row of the embedding.

        Equal rows (architectures at distance 0, frequent under coarse feature maps) are
        clustered once with their multiplicity as ``sample_weight``: the same objective
        and the same k-means++ seeding distribution as on the repeated rows, in a
        fraction of the time.
        """
        rows, inverse, counts = distinct
        check_cluster_counts([n_clusters], len(rows), f"the number of distinct points ({len(rows)})",
                             "the distance does not separate more groups; lower the K range")
        kmeans = KMeans(
            n_clusters=n_clusters, n_init=self.n_init, max_iter=self.max_iter, random_state=random_state
        )
        # OpenMP start-up costs more than it saves on small inputs (8x on 200 rows)
        with threadpool_limits(1 if len(rows) < _THREADED_MIN_ROWS else None):
            kmeans.fit(rows, sample_weight=counts)
        return kmeans, kmeans.labels_[inverse]

    def fit(self, X, y=None):
        """Cluster ``X``: features ``(n, d)`` or, with ``metric="precomputed"``, ``(n, n)`` distances."""
        self._check_params()
        X = self._check_input(X)
        (k,) = self._check_n_clusters([self.n_clusters], X.shape[0])
        rng = check_random_state(self.random_state)
        embedding = self._represent(X, self._components_for(k), rng)
        kmeans, self.labels_ = self._kmeans(_distinct(embedding[:, : self._components_for(k)]), k, rng)
        self.embedding_ = embedding
        self.cluster_centers_ = kmeans.cluster_centers_
        self.inertia_ = float(kmeans.inertia_)
        return self

    def cluster_path(self, X, n_clusters: Sequence[int]) -> dict[int, np.ndarray]:
        """Labels for every number of clusters in ``n_clusters``, sharing one representation.

        Returns
        -------
        dict of int to ndarray of shape (n_samples,)
        """
        self._check_params()
        X = self._check_input(X)
        ks = self._check_n_clusters(n_clusters, X.shape[0])
        rng = check_random_state(self.random_state)
        widths = [self._components_for(k) for k in ks]
        width = None if None in widths else max(widths)
        embedding = self._represent(X, width, rng)
        distinct = {w: _distinct(embedding[:, :w]) for w in set(widths)}  # once per width, not per K
        return {k: self._kmeans(distinct[w], k, rng)[1] for k, w in zip(ks, widths)}


class MetricKMeans(_KMeansOnRepresentation):
    """k-means on a Euclidean embedding, or on the classical-MDS embedding of a distance.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters ``K``.
    metric : {"euclidean", "precomputed"}, default="euclidean"
        ``"euclidean"``: ``X`` is ``(n, d)`` coordinates in which the distance is Euclidean.
        ``"precomputed"``: ``X`` is an ``(n, n)`` dissimilarity matrix, embedded by
        classical MDS first.
    n_components : int, default=16
        Coordinates of the classical-MDS embedding (``"precomputed"`` only).
    n_init : int, default=4
        k-means++ restarts; the lowest inertia wins.
    max_iter : int, default=300
        Lloyd iterations per restart.
    random_state : int, RandomState instance or None, default=None
        Seeds the MDS eigen-solver and k-means.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    embedding_ : ndarray of shape (n_samples, n_dims)
        Coordinates k-means ran on.
    cluster_centers_ : ndarray of shape (n_clusters, n_dims)
    inertia_ : float
        Sum of squared distances to the closest centre (= the k-means objective of ``D``).

    Shapes
    ------
    ``X``: ``(n, d)`` float or ``(n, n)`` float; ``labels_``: ``(n,)`` int.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        metric: str = "euclidean",
        n_components: int = 16,
        n_init: int = 4,
        max_iter: int = 300,
        random_state=None,
    ) -> None:
        self.n_clusters = n_clusters
        self.metric = metric
        self.n_components = n_components
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def _check_params(self) -> None:
        super()._check_params()
        check_scalar(self.n_components, "n_components", int, min_val=1)

    def _represent(self, X, n_components, rng) -> np.ndarray:
        if self.metric == "euclidean":
            return X
        return ClassicalMDS(self.n_components, random_state=rng).fit_transform(X)


class MetricSpectral(_KMeansOnRepresentation):
    """Spectral clustering on a Gaussian-kernel or kNN affinity of a distance.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters ``K`` (also the number of Laplacian eigenvectors unless
        ``n_components`` is set).
    affinity : {"gaussian", "knn"}, default="gaussian"
        ``"gaussian"``: ``a_ij = exp(-d_ij^2 / (2 sigma^2))``, ``sigma = eta * s`` where ``s``
        is the median positive distance (of all pairs, or of the kNN edges when
        ``n_neighbors`` is set) so that ``eta`` means the same for every distance.
        ``"knn"``: ``a_ij = 1`` when ``j`` is among the ``n_neighbors`` nearest neighbours of
        ``i`` or vice versa (``1/2`` when only one way), as in
        :class:`sklearn.cluster.SpectralClustering`.
    eta : float, default=1.0
        Kernel scale relative to the median distance (``"gaussian"`` only).
    n_neighbors : int or None, default=None
        ``None``: dense affinity (``"gaussian"`` only; at most 50,000 points). An int: a
        sparse symmetrised kNN graph, which scales to large spaces without an ``N x N``
        matrix when ``X`` is an embedding.
    metric : {"euclidean", "precomputed"}, default="euclidean"
        Whether ``X`` is an embedding (the distance is Euclidean in it) or an ``(n, n)``
        distance matrix.
    n_components : int or None, default=None
        Laplacian eigenvectors to keep (default: ``n_clusters``).
    eigen_solver : {"arpack", "lobpcg", "amg"} or None, default=None
        Passed to :func:`sklearn.manifold.spectral_embedding`.
    n_init, max_iter : int
        k-means on the spectral embedding.
    random_state : int, RandomState instance or None, default=None
        Seeds the eigen-solver, the scale estimate of very large matrices, and k-means.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    embedding_ : ndarray of shape (n_samples, n_components)
        Spectral embedding k-means ran on.
    affinity_scale_ : float
        ``sigma`` of the Gaussian kernel (NaN for ``"knn"``).
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        affinity: str = "gaussian",
        eta: float = 1.0,
        n_neighbors: int | None = None,
        metric: str = "euclidean",
        n_components: int | None = None,
        eigen_solver: str | None = None,
        n_init: int = 4,
        max_iter: int = 300,
        random_state=None,
    ) -> None:
        self.n_clusters = n_clusters
        self.affinity = affinity
        self.eta = eta
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.n_components = n_components
        self.eigen_solver = eigen_solver
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def _check_params(self) -> None:
        super()._check_params()
        if self.affinity not in _AFFINITIES:
            raise ValueError(f"affinity={self.affinity!r}; choices: {', '.join(_AFFINITIES)}")
        check_scalar(self.eta, "eta", (int, float), min_val=0, include_boundaries="neither")
        if self.n_neighbors is not None:
            check_scalar(self.n_neighbors, "n_neighbors", int, min_val=1)
        elif self.affinity == "knn":
            raise ValueError("affinity='knn' needs n_neighbors (an int)")
        if self.n_components is not None:
            check_scalar(self.n_components, "n_components", int, min_val=1)

    def _components_for(self, n_clusters: int) -> int:
        return self.n_components or n_clusters

    def _represent(self, X, n_components, rng) -> np.ndarray:
        distances = self._distance_graph(X)
        affinity, self.affinity_scale_ = _AFFINITIES[self.affinity](distances, self.eta, rng)
        return spectral_embedding(
            affinity,
            n_components=n_components,
            eigen_solver=self.eigen_solver,
            random_state=rng,
            drop_first=False,
        )

    def _distance_graph(self, X) -> np.ndarray | sp.csr_matrix:
        """Dense ``(n, n)`` distances, or a sparse kNN graph of distances."""
        n = X.shape[0]
        if self.n_neighbors is None:
            if n > MAX_DENSE_POINTS:
                raise ValueError(
                    f"a dense affinity of {n} points needs {n * n * 8 / 2**30:.0f} GiB; "
                    f"set n_neighbors for a sparse kNN graph (at most {MAX_DENSE_POINTS} points dense)"
                )
            return X if self.metric == "precomputed" else pairwise_distances(X)
        if self.n_neighbors >= n:
            raise ValueError(f"n_neighbors={self.n_neighbors} must be smaller than the {n} points")
        neighbors = NearestNeighbors(n_neighbors=self.n_neighbors, metric=self.metric).fit(X)
        return neighbors.kneighbors_graph(mode="distance").tocsr()


def _positive_median(distances, rng) -> float:
    values = distances.data if sp.issparse(distances) else distances
    values = np.asarray(values).ravel()
    if values.size > _SCALE_SAMPLE:
        values = values[rng.randint(0, values.size, _SCALE_SAMPLE)]
    values = values[values > 0]
    if not values.size:
        raise ValueError("all distances are zero: no scale for a Gaussian affinity")
    return float(np.median(values))


def _gaussian_affinity(distances, eta: float, rng):
    sigma = eta * _positive_median(distances, rng)
    if sp.issparse(distances):
        affinity = distances.astype(np.float64)
        affinity.data = np.exp(-0.5 * (affinity.data / sigma) ** 2)
        # kNN is not symmetric: keep an edge when either end chose it.
        affinity = affinity.maximum(affinity.T)
        return affinity.tocsr(), sigma
    affinity = np.divide(distances, sigma, dtype=np.float64)  # one n x n allocation
    np.square(affinity, out=affinity)
    affinity *= -0.5
    np.exp(affinity, out=affinity)
    return affinity, sigma


def _knn_affinity(distances, eta: float, rng):
    # Only the structure of the kNN graph counts (explicit zeros, i.e. duplicates, too).
    ones = np.ones(distances.nnz)
    connectivity = sp.csr_matrix((ones, distances.indices, distances.indptr), shape=distances.shape)
    return 0.5 * (connectivity + connectivity.T), float("nan")


_AFFINITIES = {"gaussian": _gaussian_affinity, "knn": _knn_affinity}


class MetricAgglomerative(ClusterMixin, BaseEstimator):
    """Agglomerative (hierarchical) clustering of any distance, cut at ``n_clusters``.

    One dendrogram serves every number of clusters: :meth:`cluster_path` cuts the same
    tree at each K, so a multi-scale sweep (K from a few to hundreds) costs one linkage.

    Parameters
    ----------
    n_clusters : int, default=8
    linkage : {"average", "complete", "single", "ward"}, default="average"
        Merge criterion (:func:`scipy.cluster.hierarchy.linkage`); ``"ward"`` needs an
        embedding (``metric="euclidean"``).
    metric : {"euclidean", "precomputed"}, default="euclidean"
        ``X`` is ``(n, d)`` coordinates or an ``(n, n)`` distance matrix.
    random_state : ignored
        Accepted for a uniform interface with the other clusterers (the tree is deterministic).

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    linkage_matrix_ : ndarray of shape (n_samples - 1, 4)

    References
    ----------
    F. Murtagh and P. Contreras, "Algorithms for hierarchical clustering: an overview",
    WIREs Data Mining and Knowledge Discovery, 2012.
    """

    LINKAGES = ("average", "complete", "single", "ward")

    def __init__(self, n_clusters: int = 8, *, linkage: str = "average", metric: str = "euclidean",
                 random_state=None) -> None:
        self.n_clusters = n_clusters
        self.linkage = linkage
        self.metric = metric
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.metric == "precomputed"
        return tags

    def _tree(self, X) -> np.ndarray:
        from scipy.cluster.hierarchy import linkage
        from scipy.spatial.distance import squareform

        check_scalar(self.n_clusters, "n_clusters", int, min_val=1)
        if self.metric not in METRICS:
            raise ValueError(f"metric={self.metric!r}; choices: {', '.join(METRICS)}")
        if self.linkage not in self.LINKAGES:
            raise ValueError(f"linkage={self.linkage!r}; choices: {', '.join(self.LINKAGES)}")
        if self.metric == "precomputed":
            if self.linkage == "ward":
                raise ValueError("linkage='ward' needs an embedding (metric='euclidean'), not a distance matrix")
            D = check_dissimilarity(X)
            return linkage(squareform(np.asarray(D, dtype=np.float64), checks=False), method=self.linkage)
        X = check_array(X, dtype=np.float64, ensure_min_samples=2)
        return linkage(X, method=self.linkage, metric="euclidean")

    def _cut(self, tree: np.ndarray, ks: Sequence[int]) -> dict[int, np.ndarray]:
        from scipy.cluster.hierarchy import cut_tree

        n = len(tree) + 1
        check_cluster_counts(ks, n, f"the number of points to cluster ({n})")
        cuts = cut_tree(tree, n_clusters=[int(k) for k in ks])
        return {int(k): cuts[:, j].astype(np.int64) for j, k in enumerate(ks)}

    def fit(self, X, y=None):
        """Build the tree of ``X`` and cut it at ``n_clusters``."""
        self.linkage_matrix_ = self._tree(X)
        self.labels_ = self._cut(self.linkage_matrix_, [self.n_clusters])[self.n_clusters]
        return self

    def cluster_path(self, X, n_clusters: Sequence[int]) -> dict[int, np.ndarray]:
        """Labels for every K of ``n_clusters`` from one tree."""
        return self._cut(self._tree(X), list(n_clusters))
