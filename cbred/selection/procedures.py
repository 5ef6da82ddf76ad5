"""Selection procedures: orders of the units from which a budgeted sub-space is taken.

A procedure is a scikit-learn-style estimator. ``fit(X, y, sample_weight=, budget=)`` reads

X : ndarray
    The distance's view of the units: ``(n, d)`` coordinates (``metric="euclidean"``) or
    an ``(n, n)`` distance matrix (``metric="precomputed"``).
y : DataFrame, shape (n, n_statistics)
    Signed within-space percentile ranks of the training-free statistics (higher is better,
    :func:`cbred.selection.ranks.signed_ranks`); never an accuracy.
sample_weight : ndarray of shape (n,)
    Architectures (cells) per unit.
budget : int
    Architectures the sub-space will hold (procedures that compose with the TF quantile
    need it; the others ignore it).

and leaves ``order_`` (unit positions, most promising first), ``scores_`` (the
procedure's score of every unit, higher is better), ``labels_`` (cluster of every unit,
``-1`` where the procedure has no clusters), ``cluster_scores_`` (one row per cluster, or
empty), ``params_`` (the parameters it chose, e.g. ``n_clusters`` or ``n_neighbors``) and
``criterion_`` (the table of that choice, or empty) and ``stability_score_`` (the chosen
clustering's resampling stability, NaN without one). :func:`cbred.selection.budget.fill_budget`
turns the order into a sub-space of exactly the budget.

Procedures
    :class:`TFQuantile` (the Quantiled baseline as a procedure), :class:`ClusterUnion`
    (the best-scoring clusters of any clusterer until the budget is filled),
    :class:`NeighbourhoodScore` (every unit scored by its k-nearest-neighbour
    neighbourhood), and the compositions with the TF quantile :class:`QuantileFirst` (Q+C)
    and :class:`QuantileAfter` (C+Q).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_scalar

from cbred.caller import warn
from cbred.clustering.cluster_counts import check_cluster_counts, counts_above
from cbred.clustering.predictive import PredictiveSelection
from cbred.clustering.neighbourhoods import loo_errors, nearest_neighbours, nearest_of, neighbourhood_mean
from cbred.clustering.representation import Representation
from cbred.selection.ranks import aggregate_rank
from cbred.selection.scores import median_rank

METRICS = ("euclidean", "precomputed")


class SubspaceSelector(BaseEstimator):
    """Base class: validates the inputs of ``fit`` and holds the shared result attributes."""

    metric: str

    def fit(self, X, y, *, sample_weight=None, budget: int | None = None):
        """Order the units of ``X`` by promise (see the module docstring); returns ``self``."""
        if getattr(self, "metric", "euclidean") not in METRICS:
            raise ValueError(f"metric={self.metric!r}; choose one of {METRICS}")
        X = np.asarray(X)
        y = y if isinstance(y, pd.DataFrame) else pd.DataFrame(np.asarray(y, dtype=np.float64))
        n = len(y)
        if X.ndim != 2 or X.shape[0] != n:
            raise ValueError(f"X has shape {X.shape}; expected {n} rows, one per unit of y")
        weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if weight.shape != (n,) or (weight < 0).any():
            raise ValueError(f"sample_weight must be {n} non-negative counts, got shape {weight.shape}")
        if budget is not None:
            check_scalar(budget, "budget", numbers.Integral, min_val=1)
        self.labels_ = np.full(n, -1)
        self.cluster_scores_ = pd.DataFrame()
        self.params_: dict = {}
        self.criterion_ = pd.DataFrame()
        self.stability_score_ = np.nan
        self.embedding_ = None
        self._fit(X, y, weight, budget)
        return self

    def _fit(self, X, y: pd.DataFrame, weight: np.ndarray, budget: int | None) -> None:
        raise NotImplementedError

    def _set_order(self, scores: np.ndarray, y: pd.DataFrame, *first: np.ndarray,
                   last: np.ndarray | None = None) -> None:
        """``scores_`` and ``order_``: by ``first`` keys, then score, then own TF rank (NaN last),
        then ``last`` (default: position)."""
        self.scores_ = np.asarray(scores, dtype=np.float64)
        own = aggregate_rank(y).to_numpy()
        keys = (np.arange(len(own)) if last is None else last, -own, -self.scores_, *reversed(first))
        self.order_ = np.lexsort(keys)


class TFQuantile(SubspaceSelector):
    """The best units by aggregate TF rank: the Quantiled baseline, as a procedure."""

    def __init__(self, *, metric: str = "euclidean") -> None:
        self.metric = metric

    def _fit(self, X, y, weight, budget) -> None:
        self._set_order(aggregate_rank(y).to_numpy(), y)


class NeighbourhoodScore(SubspaceSelector):
    """Every unit scored by the mean aggregate TF rank of itself and its k nearest units.

    The premise of C-BRED at the scale of neighbourhoods: similar architectures have
    similar TF statistics, so the mean over a neighbourhood is a less noisy estimate of an
    architecture's promise than its own statistics. ``n_neighbors="auto"`` chooses k by
    leave-one-out prediction of the aggregate rank from the neighbours
    (:mod:`cbred.clustering.neighbourhoods`); no accuracy is read.

    With a TF table that covers a sample of the space (units whose ranks are NaN), the
    neighbourhoods are made of sampled units: a sampled unit is scored with its k nearest
    sampled units, an unsampled one by its k + 1 nearest sampled units, so that every score
    is a mean of k + 1 measured values; k is chosen on the sample.

    Parameters
    ----------
    n_neighbors : int or "auto", default="auto"
        Neighbours besides the unit itself.
    n_neighbors_grid : sequence of int, default=(5, 10, 20, 40, 80)
        Candidates of ``"auto"`` (those below the number of units with statistics).
    metric : {"euclidean", "precomputed"}, default="euclidean"

    Attributes
    ----------
    params_ : dict
        ``{"n_neighbors": k}``.
    criterion_ : DataFrame
        ``n_neighbors`` and ``loo_mse`` of every candidate (``"auto"`` only).
    """

    def __init__(self, *, n_neighbors: int | str = "auto", n_neighbors_grid: Sequence[int] = (5, 10, 20, 40, 80),
                 metric: str = "euclidean") -> None:
        self.n_neighbors = n_neighbors
        self.n_neighbors_grid = n_neighbors_grid
        self.metric = metric

    def _candidates(self, n: int) -> list[int]:
        if self.n_neighbors == "auto":
            grid = sorted({int(k) for k in self.n_neighbors_grid})
            if not grid or grid[0] < 1:
                raise ValueError(f"n_neighbors_grid must hold positive integers, got {list(self.n_neighbors_grid)}")
            usable = [k for k in grid if k < n]
            if not usable:
                raise ValueError(f"every n_neighbors of {grid} needs more than the {n} units to select from")
            return usable
        if isinstance(self.n_neighbors, str):
            raise ValueError(f"n_neighbors must be a positive integer or 'auto', got {self.n_neighbors!r}")
        check_scalar(self.n_neighbors, "n_neighbors", int, min_val=1, max_val=n - 1)
        return [int(self.n_neighbors)]

    def _fit(self, X, y, weight, budget) -> None:
        own = aggregate_rank(y).to_numpy()
        sampled = np.flatnonzero(~np.isnan(own))
        ks = self._candidates(len(sampled))
        sample_X = X[np.ix_(sampled, sampled)] if self.metric == "precomputed" else X[sampled]
        neighbours = nearest_neighbours(sample_X, max(ks), metric=self.metric)  # within the sample
        k = ks[0]
        if self.n_neighbors == "auto":
            errors = loo_errors(own[sampled], neighbours, ks)
            self.criterion_ = pd.DataFrame({"n_neighbors": list(errors), "loo_mse": list(errors.values())})
            k = min(errors, key=errors.get)
        self.params_ = {"n_neighbors": int(k)}
        scores = np.empty(len(own))
        scores[sampled] = neighbourhood_mean(own[sampled], neighbours, k)
        unsampled = np.flatnonzero(np.isnan(own))
        if len(unsampled):  # an architecture without statistics: the mean of its k + 1 nearest sampled ones
            nearest = nearest_of(X, unsampled, sampled, min(k + 1, len(sampled)), metric=self.metric)
            scores[unsampled] = own[nearest].mean(axis=1)
        self._set_order(scores, y)


class ClusterUnion(SubspaceSelector):
    """The best-scoring clusters, best first, until the budget is filled.

    The clusterer (cloned, never fitted in place) partitions the *distinct* points of
    ``X`` (units at distance 0 cannot be separated by any clustering of the distance; each
    counts once, as isomorphic cells do). Clusters are ranked by ``score``; clusters of
    fewer than ``min_size`` architectures come last; within a cluster, units follow their
    aggregate TF rank, so a cluster that overflows the budget gives its best units.
    With a budget at least the best cluster's size this is the seed's C-BRED (C).

    Parameters
    ----------
    clusterer : estimator
        :class:`~cbred.clustering.StabilitySelection`,
        :class:`~cbred.clustering.predictive.PredictiveSelection` or any clusterer with
        ``labels_``; its ``metric`` (or its ``estimator``'s) is set to ``metric``.
    score : callable, default=median_rank
        ``score(ranks, labels) -> Series`` (:mod:`cbred.selection.scores`).
    min_size : int, default=1
        Smallest cluster, in architectures, ranked by its score.
    min_sampled : int, default=1
        Fewest units with statistics for a cluster to be ranked by its score (a TF table
        that covers a sample of the space): a cluster is scored from its sampled members
        only, and a score from a handful of them is noise.
    metric : {"euclidean", "precomputed"}, default="euclidean"

    Attributes
    ----------
    clusterer_ : estimator
        The fitted clone.
    cluster_scores_ : DataFrame
        One row per cluster: ``score``, ``size`` (architectures), ``n_units``,
        ``n_sampled`` (units with statistics), ``tf_rank`` (their mean aggregate rank),
        ``eligible``, ``rank`` (1 = first taken).
    params_ : dict
        The clusterer's ``best_params_`` (K, eta, ...) or ``{"n_clusters": K}``.
    criterion_ : DataFrame
        Its stability table (``stability_``) or cross-validation table (``cv_results_``).
    """

    def __init__(self, *, clusterer, score: Callable = median_rank, min_size: int = 1, min_sampled: int = 1,
                 metric: str = "euclidean") -> None:
        self.clusterer = clusterer
        self.score = score
        self.min_size = min_size
        self.min_sampled = min_sampled
        self.metric = metric

    def _fit(self, X, y, weight, budget) -> None:
        check_scalar(self.min_size, "min_size", int, min_val=1)
        if self.min_size > weight.sum():  # before any clustering: no cluster could be eligible
            raise ValueError(f"min_size={self.min_size} is larger than the space ({int(weight.sum())} "
                             "architectures): no cluster could be eligible; lower selection.base.min_size")
        points, point_of_unit = Representation(np.asarray(X), self.metric, "selection input").distinct()
        own = aggregate_rank(y)
        point_score = own.groupby(point_of_unit).mean().sort_index().to_numpy()
        _check_cluster_counts(self.clusterer, len(points), len(y))
        self.clusterer_ = _with_metric(clone(self.clusterer), self.metric).fit(points.X, point_score)
        labels = np.asarray(self.clusterer_.labels_)[point_of_unit]
        self.labels_ = labels
        table = self._cluster_table(y, labels, weight)
        self.cluster_scores_ = table
        position = table["rank"].reindex(labels).to_numpy()
        self._set_order(table["score"].reindex(labels).fillna(-np.inf).to_numpy(), y, position)
        fitted = self.clusterer_
        self.params_ = dict(getattr(fitted, "best_params_", {"n_clusters": int(len(table))}))
        self.criterion_ = getattr(fitted, "stability_", getattr(fitted, "cv_results_", pd.DataFrame()))
        self.stability_score_ = float(getattr(fitted, "best_stability_", np.nan))
        embedding = getattr(getattr(fitted, "best_estimator_", fitted), "embedding_", None)
        self.embedding_ = None if embedding is None else embedding[point_of_unit]

    def _cluster_table(self, y: pd.DataFrame, labels: np.ndarray, weight: np.ndarray) -> pd.DataFrame:
        check_scalar(self.min_sampled, "min_sampled", int, min_val=1)
        by_cluster = pd.Series(labels, index=y.index)
        sampled = aggregate_rank(y).notna().to_numpy()
        clusters = pd.Index(np.unique(labels))
        table = pd.DataFrame({
            "score": self.score(y[sampled], by_cluster[sampled]).reindex(clusters),
            "size": pd.Series(weight, index=y.index).groupby(labels).sum().reindex(clusters).astype(int),
            "n_units": by_cluster.value_counts().reindex(clusters),
            "n_sampled": by_cluster[sampled].value_counts().reindex(clusters).fillna(0).astype(int),
            "tf_rank": aggregate_rank(y).groupby(labels).mean().reindex(clusters),
        })
        # a cluster without a score (no sampled member, or the clusterer's noise label -1) is taken last
        table["eligible"] = ((table["size"] >= self.min_size) & (table["n_sampled"] >= self.min_sampled)
                             & table["score"].notna() & (table.index >= 0))
        order = table.sort_values(["eligible", "score"], ascending=False, kind="stable").index
        table["rank"] = pd.Series(np.arange(1, len(order) + 1), index=order).reindex(table.index)
        table.index.name = "cluster"
        return table


class QuantileFirst(SubspaceSelector):
    """C-BRED (Q+C): keep the best ``quantile`` of the units by aggregate TF rank, then select.

    Parameters
    ----------
    selector : SubspaceSelector
        Runs (cloned) on the kept units only.
    quantile : float, default=0.5
        Fraction of the units kept, in ``(0, 1]``.
    metric : {"euclidean", "precomputed"}, default="euclidean"
    """

    def __init__(self, *, selector, quantile: float = 0.5, metric: str = "euclidean") -> None:
        self.selector = selector
        self.quantile = quantile
        self.metric = metric

    def _fit(self, X, y, weight, budget) -> None:
        check_scalar(self.quantile, "quantile", (int, float), min_val=0, max_val=1, include_boundaries="right")
        own = aggregate_rank(y).to_numpy()
        n_keep = max(2, int(np.ceil(self.quantile * np.isfinite(own).sum())))  # of the units with statistics
        kept = np.sort(np.lexsort((np.arange(len(own)), -own))[:n_keep])
        sub_X = X[np.ix_(kept, kept)] if self.metric == "precomputed" else X[kept]
        if budget is not None and weight[kept].sum() < budget:
            warn(
                f"Q+C: the best {self.quantile:g} of the units hold {int(weight[kept].sum())} architectures, "
                f"fewer than the budget ({budget}); the rest of the budget follows the aggregate TF rank"
            )
        inner = clone(self.selector).set_params(metric=self.metric)
        inner.fit(sub_X, y.iloc[kept], sample_weight=weight[kept], budget=budget)
        self.selector_ = inner
        position = np.full(len(y), len(kept))  # units the filter dropped come after, by TF rank
        position[kept[inner.order_]] = np.arange(len(kept))
        scores = np.full(len(y), -np.inf)
        scores[kept] = inner.scores_
        self._set_order(scores, y, position)
        self.labels_[kept] = inner.labels_
        self.cluster_scores_ = inner.cluster_scores_
        self.params_ = {**inner.params_, "quantile": self.quantile}
        self.criterion_ = inner.criterion_
        if inner.embedding_ is not None:
            self.embedding_ = np.full((len(y), inner.embedding_.shape[1]), np.nan)
            self.embedding_[kept] = inner.embedding_


class QuantileAfter(SubspaceSelector):
    """C-BRED (C+Q): select ``factor`` times the budget, then keep its best units by TF rank.

    Parameters
    ----------
    selector : SubspaceSelector
        Runs (cloned) on all units.
    factor : float, default=2.0
        Size of the first selection, in budgets (``>= 1``).
    metric : {"euclidean", "precomputed"}, default="euclidean"
    """

    def __init__(self, *, selector, factor: float = 2.0, metric: str = "euclidean") -> None:
        self.selector = selector
        self.factor = factor
        self.metric = metric

    def _fit(self, X, y, weight, budget) -> None:
        check_scalar(self.factor, "factor", (int, float), min_val=1)
        if budget is None:
            raise ValueError("QuantileAfter (C+Q) needs the budget")
        inner = clone(self.selector).set_params(metric=self.metric)
        inner.fit(X, y, sample_weight=weight, budget=budget)
        self.selector_ = inner
        taken = np.cumsum(weight[inner.order_]) - weight[inner.order_] < self.factor * budget
        candidates = np.zeros(len(y), dtype=bool)
        candidates[inner.order_[taken]] = True
        position = np.empty(len(y))
        position[inner.order_] = np.arange(len(y))
        # candidates first, by their own TF rank (those without statistics after, in the
        # inner order); the rest in the inner order
        self._set_order(aggregate_rank(y).to_numpy(), y, np.where(candidates, 0, position + 1), last=position)
        self.labels_ = inner.labels_
        self.cluster_scores_ = inner.cluster_scores_
        self.params_ = {**inner.params_, "factor": self.factor}
        self.criterion_ = inner.criterion_
        self.embedding_ = inner.embedding_


def _with_metric(estimator, metric: str):
    """``estimator`` (or the estimator a meta-estimator wraps) set to read ``metric`` inputs."""
    inner = getattr(estimator, "estimator", estimator)
    if "metric" in inner.get_params(deep=False):
        inner.set_params(metric=metric)
    elif metric == "precomputed":
        raise ValueError(
            f"{type(inner).__name__} has no 'metric' parameter and cannot read a distance matrix; "
            "use a cbred clusterer (MetricKMeans, MetricSpectral, MetricAgglomerative) or a Euclidean distance"
        )
    return estimator


def _check_cluster_counts(clusterer, n_points: int, n_units: int) -> None:
    """K above the number of distinct points: one clear error before any clustering.

    A multi-scale search (:class:`~cbred.clustering.PredictiveSelection`) only needs one
    feasible K: it skips the others itself.
    """
    params = clusterer.get_params(deep=False)
    inner = params.get("estimator", clusterer).get_params(deep=False)
    grids = params.get("param_grid") or {}
    grids = grids if isinstance(grids, list) else [grids]
    ks = [k for grid in grids for k in grid.get("n_clusters", [inner.get("n_clusters")])]
    ks = [k for k in ks if k is not None]  # e.g. a distance threshold instead of a K
    # a predictive selection skips the K it cannot use, as long as one is left
    if not isinstance(clusterer, PredictiveSelection) or len(counts_above(ks, n_points)) == len(ks):
        check_cluster_counts(ks, n_points, f"the number of distinct points under the distance ({n_points} of {n_units} "
                             "units)", "lower the K range (clustering.param_grid.n_clusters) or choose a finer distance",
                             name="K")
