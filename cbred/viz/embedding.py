"""Two-dimensional layouts of a search space for scatterplots.

A layout is computed from an ``(n, n)`` distance matrix or from an ``(n, d)`` embedding, by
any method (classical MDS, t-SNE, UMAP, PCA). Classical MDS is the default: deterministic,
and only the top two eigenpairs of one matrix (cbred's ARPACK-based
:class:`~cbred.clustering.embedding.ClassicalMDS`); of an embedding it is its PCA. Large
spaces are first subsampled, deterministically for a seed, to at most :data:`MAX_POINTS`
points: t-SNE is quadratic in the number of points, and a scatterplot of more points is
unreadable anyway.
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
    """A 2-D layout method of either input: a distance matrix or an embedding.

    ``from_distance(matrix, random_state)`` and ``from_features(features, random_state)``
    both return ``(n, 2)`` coordinates; ``input`` is the method's natural input (used when
    the caller does not say what its data is); ``axis`` names the plot axes (``"MDS 1"``...).
    """

    from_distance: Callable[[np.ndarray, int], np.ndarray]
    from_features: Callable[[np.ndarray, int], np.ndarray]
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


def _perplexity(n: int) -> float:
    """t-SNE's usual perplexity (30), kept below the number of points."""
    return float(min(30.0, max(1.0, (n - 1) / 3)))


def _tsne(distance: np.ndarray, random_state: int) -> np.ndarray:
    """t-SNE on a precomputed distance (random init: PCA init needs features).

    References
    ----------
    van der Maaten, L., Hinton, G. (2008). Visualizing data using t-SNE. JMLR 9.
    """
    tsne = TSNE(n_components=2, metric="precomputed", init="random",
                perplexity=_perplexity(len(distance)), random_state=random_state)
    return tsne.fit_transform(distance)


def _tsne_features(features: np.ndarray, random_state: int) -> np.ndarray:
    """t-SNE on the Euclidean distances of an embedding (PCA init)."""
    tsne = TSNE(n_components=2, init="pca", perplexity=_perplexity(len(features)),
                random_state=random_state)
    return tsne.fit_transform(features)


def _import_umap():
    try:
        import umap
    except ImportError as err:
        raise ImportError(
            "layout 'umap' needs the optional package umap-learn (pip install umap-learn); "
            "use 'mds' or 'tsne' otherwise"
        ) from err
    return umap


def _umap(distance: np.ndarray, random_state: int) -> np.ndarray:
    """UMAP on a precomputed distance (optional dependency ``umap-learn``).

    References
    ----------
    McInnes, L., Healy, J., Melville, J. (2018). UMAP: Uniform manifold approximation and
    projection for dimension reduction. arXiv:1802.03426.
    """
    return _import_umap().UMAP(metric="precomputed", random_state=random_state).fit_transform(distance)


def _umap_features(features: np.ndarray, random_state: int) -> np.ndarray:
    """UMAP on the Euclidean distances of an embedding."""
    return _import_umap().UMAP(metric="euclidean", random_state=random_state).fit_transform(features)


def _pca(features: np.ndarray, random_state: int) -> np.ndarray:
    """First two principal components of an embedding.

    Classical MDS of the embedding's Euclidean distances gives the same coordinates (up to
    signs), so this is also the ``"mds"`` layout of an embedding, without the n x n matrix.
    """
    n_components = min(2, *features.shape)
    coords = PCA(n_components=n_components, svd_solver="full").fit_transform(features)
    return np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))


LAYOUTS: dict[str, Layout] = {
    "mds": Layout(_classical_mds, _pca, "distance", "MDS"),
    "tsne": Layout(_tsne, _tsne_features, "distance", "t-SNE"),
    "umap": Layout(_umap, _umap_features, "distance", "UMAP"),
    # principal coordinates of a distance matrix are its PCA (exactly so for a Euclidean one)
    "pca": Layout(_classical_mds, _pca, "features", "PC"),
}
#: What the data of :func:`layout_2d` can be.
INPUTS = ("distance", "features")


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


def layout_2d(
    data: np.ndarray, method: str = "mds", *, input: str | None = None, random_state: int = 0
) -> np.ndarray:
    """Two-dimensional coordinates of the points described by ``data``.

    Every method takes either input: a distance matrix (MDS, t-SNE and UMAP on the
    precomputed distances; ``"pca"``: its principal coordinates) or an embedding (MDS and
    PCA coincide; t-SNE and UMAP on its Euclidean distances).

    Parameters
    ----------
    data : ndarray
        An ``(n, n)`` distance matrix or an ``(n, d)`` embedding.
    method : {"mds", "tsne", "umap", "pca"}
        Layout method (:data:`LAYOUTS`).
    input : {"distance", "features"}, optional
        What ``data`` is; default: the method's natural input (a distance for ``"mds"``,
        ``"tsne"``, ``"umap"``, features for ``"pca"``).
    random_state : int
        Seed of the stochastic methods (t-SNE, UMAP).

    Returns
    -------
    ndarray of shape (n, 2)
    """
    layout = get_layout(method)
    input = input or layout.input
    if input not in INPUTS:
        raise ValueError(f"input={input!r}; choose one of {list(INPUTS)}")
    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"layout {method!r} needs a 2-D array, got shape {data.shape}")
    if not np.isfinite(data).all():
        raise ValueError(f"layout {method!r}: the input holds {(~np.isfinite(data)).sum()} "
                         "non-finite values")
    if input == "distance":
        data = check_dissimilarity(data)
    if len(data) < 3:
        raise ValueError(f"layout {method!r} needs at least 3 points, got {len(data)}")
    fit = layout.from_distance if input == "distance" else layout.from_features
    return fit(data, random_state)
