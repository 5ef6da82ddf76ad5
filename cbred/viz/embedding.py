"""Two-dimensional layouts of a search space for scatterplots.

A layout is computed either from an ``(n, n)`` distance matrix (classical MDS, t-SNE, UMAP)
or from an ``(n, d)`` embedding (PCA). Classical MDS is the default: deterministic, and only
the top two eigenpairs of one matrix (cbred's ARPACK-based
:class:`~cbred.clustering.embedding.ClassicalMDS`: 1.6 s for 2,000 points on two busy
cores, where scikit-learn's dense ``ClassicalMDS`` took 6.7 s). Large spaces are first
subsampled, deterministically for a seed, to at most :data:`MAX_POINTS` points: t-SNE is
quadratic in the number of points, and a scatterplot of more points is unreadable anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

from cbred.clustering.embedding import ClassicalMDS, check_dissimilarity

#: Largest number of points a scatterplot shows (MDS layout of 2,000 points: 1-2 s).
MAX_POINTS = 2000


@dataclass(frozen=True)
class Layout:
    """A 2-D layout method: ``fit(data, random_state) -> (n, 2)``.

    ``input`` says what ``data`` is: ``"distance"`` (square, symmetric, non-negative) or
    ``"features"`` (one row per point); ``axis`` names the plot axes (``"MDS 1"``...).
    """

    fit: Callable[[np.ndarray, int], np.ndarray]
    input: str
    axis: str


def _classical_mds(distance: np.ndarray, random_state: int) -> np.ndarray:
    """Torgerson's classical scaling (principal coordinates) of a distance matrix.

    cbred's :class:`~cbred.clustering.embedding.ClassicalMDS` (the top two eigenpairs by
    ARPACK, eigenvector signs fixed: deterministic); a distance of rank one gets a zero
    second coordinate.

    References
    ----------
    Torgerson, W. S. (1952). Multidimensional scaling: I. Theory and method. Psychometrika.
    """
    coords = ClassicalMDS(n_components=2, random_state=random_state).fit_transform(distance)
    return np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))


def _tsne(distance: np.ndarray, random_state: int) -> np.ndarray:
    """t-SNE on a precomputed distance (random init: PCA init needs features).

    References
    ----------
    van der Maaten, L., Hinton, G. (2008). Visualizing data using t-SNE. JMLR 9.
    """
    # perplexity must stay below the number of points; 30 is the usual value
    perplexity = float(min(30.0, max(1.0, (len(distance) - 1) / 3)))
    tsne = TSNE(
        n_components=2,
        metric="precomputed",
        init="random",
        perplexity=perplexity,
        random_state=random_state,
    )
    return tsne.fit_transform(distance)


def _umap(distance: np.ndarray, random_state: int) -> np.ndarray:
    """UMAP on a precomputed distance (optional dependency ``umap-learn``).

    References
    ----------
    McInnes, L., Healy, J., Melville, J. (2018). UMAP: Uniform manifold approximation and
    projection for dimension reduction. arXiv:1802.03426.
    """
    try:
        import umap
    except ImportError as err:
        raise ImportError(
            "layout 'umap' needs the optional package umap-learn (pip install umap-learn); "
            "use 'mds' or 'tsne' otherwise"
        ) from err
    return umap.UMAP(metric="precomputed", random_state=random_state).fit_transform(distance)


def _pca(features: np.ndarray, random_state: int) -> np.ndarray:
    """First two principal components of an embedding."""
    return PCA(n_components=2, svd_solver="full").fit_transform(features)


LAYOUTS: dict[str, Layout] = {
    "mds": Layout(_classical_mds, "distance", "MDS"),
    "tsne": Layout(_tsne, "distance", "t-SNE"),
    "umap": Layout(_umap, "distance", "UMAP"),
    "pca": Layout(_pca, "features", "PC"),
}


def get_layout(method: str) -> Layout:
    """The layout registered as ``method``; unknown names raise listing the choices."""
    if method not in LAYOUTS:
        raise ValueError(f"unknown layout {method!r}; choose one of {sorted(LAYOUTS)}")
    return LAYOUTS[method]


def subsample(n: int, max_points: int = MAX_POINTS, random_state: int = 0) -> np.ndarray:
    """Sorted indices of at most ``max_points`` of ``n`` points, drawn without replacement.

    All indices when ``n <= max_points``; the same seed always gives the same subset.
    """
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    if n <= max_points:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=max_points, replace=False))


def layout_2d(data: np.ndarray, method: str = "mds", *, random_state: int = 0) -> np.ndarray:
    """Two-dimensional coordinates of the points described by ``data``.

    Parameters
    ----------
    data : ndarray
        An ``(n, n)`` distance matrix for ``"mds"``, ``"tsne"``, ``"umap"``; an ``(n, d)``
        embedding for ``"pca"``.
    method : {"mds", "tsne", "umap", "pca"}
        Layout method (:data:`LAYOUTS`).
    random_state : int
        Seed of the stochastic methods (t-SNE, UMAP).

    Returns
    -------
    ndarray of shape (n, 2)
    """
    layout = get_layout(method)
    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"layout {method!r} needs a 2-D array, got shape {data.shape}")
    if not np.isfinite(data).all():
        raise ValueError(f"layout {method!r}: the input holds {(~np.isfinite(data)).sum()} "
                         "non-finite values")
    if layout.input == "distance":
        data = check_dissimilarity(data)
    if len(data) < 3:
        raise ValueError(f"layout {method!r} needs at least 3 points, got {len(data)}")
    return layout.fit(data, random_state)
