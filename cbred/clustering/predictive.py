"""Choosing the number of clusters by how well a cluster predicts its members' score.

Resampling stability (:class:`~cbred.clustering.StabilitySelection`) rewards partitions that
come back under perturbation, and a coarse partition always does: on NAS-Bench-201 it picks
K = 2 for the edit and learned distances. C-BRED clusters to *score* groups by their
training-free statistics, so the criterion here asks the question that matters to it: if a
point's score were unknown, how well would the mean of its cluster-mates predict it? The
leave-one-out squared error of that prediction is large for coarse partitions (clusters mix
unlike architectures) and for very fine ones (a mean of one or two noisy scores; a point
alone in its cluster is predicted by the mean of all other points). Its minimum is the
scale at which clusters are homogeneous in score, whatever the K.

References
----------
T. Hastie, R. Tibshirani and J. Friedman, "The Elements of Statistical Learning", 2nd ed.,
Springer, 2009, section 7.10 (cross-validation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.model_selection import ParameterGrid

from cbred.caller import warn
from cbred.clustering.cluster_counts import counts_above
from cbred.clustering.stability import _plain, cluster_path


def loo_cluster_error(labels: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of predicting every ``y[i]`` by the mean of its cluster-mates.

    A point alone in its cluster is predicted by the mean of all the other points; points
    whose ``y`` is NaN are neither predicted nor predictors.
    """
    labels = np.asarray(labels)
    y = np.asarray(y, dtype=np.float64)
    known = np.isfinite(y)  # points without a score (outside a sample) are clustered, not predicted
    if known.sum() < 2:
        raise ValueError(f"at least 2 points need a finite score to predict one from others, got {int(known.sum())}")
    labels, y = labels[known], y[known]
    _, inverse = np.unique(labels, return_inverse=True)
    sums = np.bincount(inverse, weights=y)
    counts = np.bincount(inverse)
    mates = counts[inverse] - 1
    alone = (y.sum() - y) / max(len(y) - 1, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        prediction = np.where(mates > 0, (sums[inverse] - y) / np.maximum(mates, 1), alone)
    return float(np.mean((prediction - y) ** 2))


class PredictiveSelection(ClusterMixin, BaseEstimator):
    """Choose clustering parameters by leave-one-out prediction of a score, then cluster.

    Parameters
    ----------
    estimator : clustering estimator
        Has ``n_clusters`` (and ``random_state``); its ``cluster_path`` is used when it
        has one (one representation or tree for every K).
    param_grid : mapping of str to sequence
        Candidate values; ``n_clusters`` and any other parameter (e.g. ``eta``).

    Attributes
    ----------
    cv_results_ : DataFrame
        One row per configuration: its parameters and ``loo_mse``.
    best_params_ : dict
    best_score_ : float
        The least leave-one-out error.
    best_estimator_ : estimator
        Refitted with ``best_params_`` on all points.
    labels_ : ndarray of shape (n_samples,)
    """

    def __init__(self, estimator, *, param_grid: Mapping[str, Sequence] | None = None) -> None:
        self.estimator = estimator
        self.param_grid = param_grid

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = getattr(self.estimator, "metric", None) == "precomputed"
        return tags

    def fit(self, X, y=None):
        """Choose the parameters for which cluster-mates best predict ``y``, then fit."""
        if y is None:
            raise ValueError("PredictiveSelection needs y, the score each cluster should predict")
        y = np.asarray(y, dtype=np.float64)
        if len(y) != len(X):
            raise ValueError(f"y has {len(y)} values for {len(X)} points")
        grid = dict(self.param_grid or {})
        ks = [int(k) for k in grid.pop("n_clusters", [self.estimator.get_params()["n_clusters"]])]
        skipped = counts_above(ks, len(X))
        feasible = [k for k in ks if k not in skipped]
        if not feasible:
            raise ValueError(f"n_clusters={ks}: every K is greater than the number of points ({len(X)})")
        if skipped:
            warn(f"n_clusters={skipped} skipped: greater than the number of points ({len(X)})")
        ks = feasible
        rows = []
        for other in ParameterGrid(grid):
            estimator = clone(self.estimator).set_params(**other)
            for k, labels in cluster_path(estimator, X, ks).items():
                rows.append({**other, "n_clusters": k, "loo_mse": loo_cluster_error(labels, y)})
        self.cv_results_ = pd.DataFrame(rows)
        best = self.cv_results_.loc[self.cv_results_["loo_mse"].idxmin()]
        self.best_params_ = {key: _plain(best[key]) for key in self.cv_results_.columns if key != "loo_mse"}
        self.best_params_["n_clusters"] = int(self.best_params_["n_clusters"])
        self.best_score_ = float(best["loo_mse"])
        self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_).fit(X)
        self.labels_ = self.best_estimator_.labels_
        return self
