"""Stability selection of clustering parameters (the number of clusters K, the scale eta).

A clustering that reflects structure in the data comes back when the data are perturbed;
one fitted to noise does not. The protocol (Ben-Hur, Elisseeff & Guyon, 2002):

1. Draw ``R = n_resamples`` subsamples of ``m = round(subsample * n)`` points (at most
   ``max_samples``) without replacement. The same subsamples serve every configuration
   (common random numbers: differences between configurations are not resampling noise).
2. Cluster every subsample with every configuration of ``param_grid``.
3. For every pair of subsamples, compare their two labelings on the points both contain
   with a chance-corrected index, the adjusted Rand index (Hubert & Arabie, 1985) or the
   adjusted mutual information (Vinh, Epps & Bailey, 2010): 0 for independent labelings,
   1 for identical partitions, so that different K are comparable without the random-
   labeling normalisation of Lange et al. (2004).
4. A configuration's stability is the mean over the ``R (R - 1) / 2`` pairs (the table
   also gives std and min). The most stable configuration wins; with ``tolerance > 0``
   the largest K among the configurations within ``tolerance`` of the best wins (a finer
   partition that is as stable is a better reduction). The estimator is then refitted on
   all points with the chosen parameters.

von Luxburg (2010) reviews the approach and its limits: stability is necessary, not
sufficient (a K that splits a symmetric cluster arbitrarily is unstable, but a too-small
K can be perfectly stable), hence the tolerance and a K range chosen by the user.

References
----------
A. Ben-Hur, A. Elisseeff and I. Guyon, "A stability based method for discovering structure
in clustered data", Pacific Symposium on Biocomputing, 2002.
T. Lange, V. Roth, M. L. Braun and J. M. Buhmann, "Stability-based validation of clustering
solutions", Neural Computation, 2004.
U. von Luxburg, "Clustering stability: an overview", Foundations and Trends in Machine
Learning, 2010.
L. Hubert and P. Arabie, "Comparing partitions", Journal of Classification, 1985.
N. X. Vinh, J. Epps and J. Bailey, "Information theoretic measures for clusterings
comparison", JMLR, 2010.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score
from sklearn.model_selection import ParameterGrid
from sklearn.utils import check_random_state, check_scalar, get_tags
from tqdm.auto import tqdm

from cbred.clustering.cluster_counts import check_cluster_counts

#: Agreement indices between two labelings of the same points.
AGREEMENT = {"ari": adjusted_rand_score, "ami": adjusted_mutual_info_score}


def cluster_path(estimator, X, n_clusters: Sequence[int]) -> dict[int, np.ndarray]:
    """Labels of ``estimator`` on ``X`` for each number of clusters.

    Uses the estimator's own ``cluster_path`` when it has one (sharing its expensive
    step), otherwise clones and fits it once per K.
    """
    if hasattr(estimator, "cluster_path"):
        return estimator.cluster_path(X, n_clusters)
    return {k: clone(estimator).set_params(n_clusters=k).fit(X).labels_ for k in n_clusters}


class StabilitySelection(ClusterMixin, BaseEstimator):
    """Choose clustering parameters by resampling stability, then cluster all points.

    Parameters
    ----------
    estimator : clustering estimator
        Has ``n_clusters`` and ``random_state`` parameters and ``labels_`` after ``fit``
        (:class:`~cbred.clustering.MetricKMeans`, :class:`~cbred.clustering.MetricSpectral`,
        or any scikit-learn clusterer). A pairwise estimator (``metric="precomputed"``)
        gets the sub-matrix of each subsample.
    param_grid : mapping of str to sequence, default=None
        Candidate values; ``n_clusters`` (default ``[estimator.n_clusters]``) and any other
        parameter of the estimator, e.g. ``eta``. All combinations are tried.
    n_resamples : int, default=10
        Number of subsamples ``R`` (``R (R - 1) / 2`` comparisons per configuration).
    subsample : float, default=0.8
        Fraction of the points in each subsample, in ``(0, 1]``.
    max_samples : int or None, default=None
        Upper bound on the subsample size (large spaces).
    agreement : {"ari", "ami"}, default="ari"
        Agreement index on shared points.
    tolerance : float, default=0.0
        Choose the largest ``n_clusters`` among configurations whose mean stability is
        within ``tolerance`` of the best one.
    random_state : int, RandomState instance or None, default=None
        Draws the subsamples and the seeds of the fits on them.
    progress : bool or None, default=None
        Progress bar (``None``: when there are more than a few fits).

    Attributes
    ----------
    stability_ : DataFrame
        One row per configuration: the parameters, then ``mean``, ``std``, ``min`` of the
        agreement over pairs of subsamples and ``n_pairs``.
    best_params_ : dict
    best_stability_ : float
        Mean agreement of ``best_params_``.
    best_estimator_ : estimator
        Refitted on all points with ``best_params_``.
    labels_ : ndarray of shape (n_samples,)
    """

    def __init__(
        self,
        estimator,
        *,
        param_grid: Mapping[str, Sequence] | None = None,
        n_resamples: int = 10,
        subsample: float = 0.8,
        max_samples: int | None = None,
        agreement: str = "ari",
        tolerance: float = 0.0,
        random_state=None,
        progress: bool | None = None,
    ) -> None:
        self.estimator = estimator
        self.param_grid = param_grid
        self.n_resamples = n_resamples
        self.subsample = subsample
        self.max_samples = max_samples
        self.agreement = agreement
        self.tolerance = tolerance
        self.random_state = random_state
        self.progress = progress

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = get_tags(self.estimator).input_tags.pairwise
        return tags

    def _check_params(self) -> tuple[list[int], list[dict]]:
        check_scalar(self.n_resamples, "n_resamples", int, min_val=2)
        check_scalar(self.subsample, "subsample", (int, float), min_val=0, max_val=1,
                     include_boundaries="right")
        check_scalar(self.tolerance, "tolerance", (int, float), min_val=0)
        if self.max_samples is not None:
            check_scalar(self.max_samples, "max_samples", int, min_val=2)
        if self.agreement not in AGREEMENT:
            raise ValueError(f"agreement={self.agreement!r}; choices: {', '.join(AGREEMENT)}")
        grid = {name: list(values) for name, values in (self.param_grid or {}).items()}
        valid = self.estimator.get_params(deep=False)
        unknown = sorted(set(grid) - set(valid))
        if unknown:
            raise ValueError(
                f"param_grid names {unknown} are not parameters of "
                f"{type(self.estimator).__name__} (choices: {', '.join(sorted(valid))})"
            )
        empty = [name for name, values in grid.items() if not values]
        if empty:
            raise ValueError(f"param_grid has no candidate values for {empty}")
        ks = grid.pop("n_clusters", [valid["n_clusters"]])
        return [int(k) for k in ks], list(ParameterGrid(grid))

    def fit(self, X, y=None) -> StabilitySelection:
        """Score every configuration on subsamples of ``X``, then refit the best on ``X``."""
        ks, others = self._check_params()
        n = X.shape[0]
        rng = check_random_state(self.random_state)
        size = max(2, round(self.subsample * n))
        if self.max_samples is not None:
            size = min(size, self.max_samples)
        samples = [np.sort(rng.choice(n, size, replace=False)) for _ in range(self.n_resamples)]
        seeds = rng.randint(np.iinfo(np.int32).max, size=self.n_resamples)
        check_cluster_counts(ks, size, f"the subsample size ({size} of {n} points)",
                             "raise subsample or lower the K range")
        pairwise = get_tags(self.estimator).input_tags.pairwise
        # labels[c][r][k]: configuration c, subsample r, K = k. One subsample (one
        # sub-matrix) is in memory at a time.
        labels = [[] for _ in others]
        n_fits = len(others) * self.n_resamples
        quiet = not self.progress if self.progress is not None else n_fits * len(ks) < 50
        with tqdm(total=n_fits, desc="stability", disable=quiet) as bar:
            for sample, seed in zip(samples, seeds):
                subset = X[np.ix_(sample, sample)] if pairwise else X[sample]
                for params, paths in zip(others, labels):
                    estimator = clone(self.estimator).set_params(**params, random_state=int(seed))
                    paths.append(cluster_path(estimator, subset, ks))
                    bar.update()
        shared = [  # positions of the common points in both subsamples of every pair
            np.intersect1d(samples[r], samples[s], assume_unique=True, return_indices=True)[1:]
            for r, s in itertools.combinations(range(self.n_resamples), 2)
        ]
        rows = []
        for params, paths in zip(others, labels):
            for k in ks:
                scores = self._agreements(shared, [path[k] for path in paths])
                rows.append({"n_clusters": k, **params, "mean": scores.mean(), "std": scores.std(),
                             "min": scores.min(), "n_pairs": len(scores)})
        self.stability_ = pd.DataFrame(rows)
        best = self._choose(self.stability_)
        names = ["n_clusters", *others[0].keys()]
        self.best_params_ = {name: _plain(self.stability_.at[best, name]) for name in names}
        self.best_stability_ = float(self.stability_.at[best, "mean"])
        self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_).fit(X)
        self.labels_ = self.best_estimator_.labels_
        return self

    def _agreements(self, shared: list[tuple[np.ndarray, np.ndarray]], labels: list[np.ndarray]) -> np.ndarray:
        """Agreement of every pair of labelings on the points both subsamples contain."""
        score = AGREEMENT[self.agreement]
        pairs = itertools.combinations(range(len(labels)), 2)
        return np.array([score(labels[r][in_r], labels[s][in_s]) for (r, s), (in_r, in_s) in zip(pairs, shared)])

    def _choose(self, table: pd.DataFrame) -> int:
        close = table[table["mean"] >= table["mean"].max() - self.tolerance - 1e-12]
        return close.sort_values(["n_clusters", "mean"], ascending=False, kind="stable").index[0]


def _plain(value):
    """numpy scalar -> Python scalar (so that params print and serialise plainly)."""
    return value.item() if isinstance(value, np.generic) else value
