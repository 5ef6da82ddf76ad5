"""C-BRED as a composition: constraints -> units -> ranks -> (Q) -> clustering -> scores -> selection.

Algorithm 1 of the method, with the objects of the other modules::

    K, eta   <- stability selection of the clusterer on the graphs under the distance
    clusters <- clusterer(graphs, distance, K, eta)
    return argmax_c f(TF statistics of c)            # among clusters of >= min_size cells

:func:`reduce_space` is a pure function of its inputs (a space, a TF-statistic table, a
distance, a clusterer, a selection rule) and returns a :class:`Reduction` holding
everything a report or a plot needs. The accuracy table, when given, is used only by the
evaluation, after the selection.

Units
    With ``dedup=True`` (default) isomorphic cells (same function, different encodings;
    NB201: 15,625 cells, 6,466 classes) are clustered and ranked once, as one *unit*
    represented by the class member first in space order, whose TF statistics are the
    class mean. Labels are then broadcast to every member; sizes, the selected sub-space
    and the evaluation count cells.

Points
    Units at distance 0 from each other (coarse feature maps: under the operation
    histogram, NB201's 6,466 classes are 208 distinct distributions) have identical rows
    in the representation and no clustering of the distance can separate them. The
    clusterer sees every distinct point once, so that a group of indistinguishable cells
    counts as one point, as isomorphic cells do (it neither dominates the k-means
    objective nor the graph degrees of spectral clustering), and stability selection
    resamples points of the metric space.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from cbred.cache import atomic_write
from cbred.clustering.representation import Representation, represent
from cbred.data.benchmark import load_benchmark, read_table
from cbred.data.space import SearchSpace
from cbred.evaluation import BASELINES, Evaluation, evaluate
from cbred.selection import (
    ClusterSelection,
    Constraint,
    aggregate_rank,
    apply_constraints,
    resolve_directions,
    signed_ranks,
)


class ReductionWarning(UserWarning):
    """Architectures left out of a reduction (NaN statistics, no accuracy)."""


@dataclass
class Reduction:
    """Result of one C-BRED run.

    Attributes
    ----------
    space : str
        Name of the space.
    archs : Index
        Architectures the reduction worked on (the space after constraints, without NaN
        statistics).
    units : Series
        Unit (isomorphism-class representative, or the cell itself) of every arch.
    labels : Series
        Cluster of every arch; ``-1`` for archs the Q+C pre-filter removed.
    selected_cluster : int
    cluster_scores : DataFrame
        One row per cluster: ``score``, ``size`` (cells), ``n_units``, ``tf_rank`` (mean
        aggregate rank), ``eligible``, ``rank`` (1 = best).
    tf : DataFrame
        The TF statistics used, per arch.
    tf_rank : Series
        Aggregate signed rank of every arch (its unit's).
    stability : DataFrame
        The stability table (one row per K, eta, ...: ``mean``, ``std``, ``min``, ``n_pairs``);
        empty when the clusterer is not a stability selector.
    best_params : dict
        Parameters of the final clustering (``n_clusters``, ``eta``, ...).
    stability_score : float
        Mean agreement of ``best_params`` (NaN without stability selection).
    representation : Representation
        The distance's view of every unit, rows in the order of ``unit_ids``: an embedding
        or a distance matrix (for MDS / t-SNE / PCA plots).
    n_points : int
        Distinct points among them under the distance (what the clusterer saw).
    embedding : ndarray or None
        Coordinates the final k-means ran on (MDS or spectral embedding), one row per
        clustered unit.
    subsets : dict of str to Index
        ``full`` (= ``archs``), ``selected``, ``quantiled`` (the best archs by ``tf_rank``,
        as many as selected), ``random`` (as many, uniformly).
    evaluation : Evaluation or None
        Accuracy of the sub-spaces, when a benchmark was given.
    timings : dict of str to float
        Seconds per step.
    excluded : dict of str to int
        Archs removed by the constraints and for NaN statistics.
    """

    space: str
    archs: pd.Index
    units: pd.Series
    labels: pd.Series
    selected_cluster: int
    cluster_scores: pd.DataFrame
    tf: pd.DataFrame
    tf_rank: pd.Series
    stability: pd.DataFrame
    best_params: dict
    stability_score: float
    representation: Representation
    n_points: int
    embedding: np.ndarray | None
    subsets: dict[str, pd.Index]
    evaluation: Evaluation | None = None
    timings: dict[str, float] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def clustered_units(self) -> pd.Index:
        """Units that were clustered (all of them but for Q+C)."""
        return pd.Index(self.units[(self.labels >= 0).to_numpy()].unique(), name="unit")

    @property
    def selected(self) -> pd.Index:
        """The selected architectures."""
        return self.subsets["selected"]

    @property
    def unit_ids(self) -> pd.Index:
        """Units in the order of the rows of ``representation.X``."""
        return pd.Index(self.units.unique(), name="unit")

    @property
    def n_clusters(self) -> int:
        return int(len(self.cluster_scores))

    def metrics(self) -> dict:
        """Flat metrics (the ``metrics.json`` contract keys first, then the details)."""
        metrics = {
            "n_archs": int(len(self.archs)),
            "n_clusters": self.n_clusters,
            "selected_cluster": int(self.selected_cluster),
            "selected_size": int(len(self.selected)),
            "stability": float(self.stability_score),
            "n_units": int(len(self.unit_ids)),
            "n_clustered_units": int(len(self.clustered_units)),
            "n_points": int(self.n_points),
            "selected/score": float(self.cluster_scores.at[self.selected_cluster, "score"]),
            "selected/tf_rank": float(self.tf_rank.reindex(self.selected).mean()),
            "representation": self.representation.kind,
            **{f"params/{k}": v for k, v in self.best_params.items()},
            **{f"excluded/{k}": v for k, v in self.excluded.items()},
            **{f"seconds/{k}": round(v, 3) for k, v in self.timings.items()},
        }
        if self.evaluation is not None:
            metrics.update(self.evaluation.metrics())
        return metrics

    def clusters_table(self) -> pd.DataFrame:
        """One row per arch: ``cluster``, ``unit``, ``selected``, ``tf_rank`` and the statistics."""
        table = pd.DataFrame(
            {
                "cluster": self.labels,
                "unit": self.units,
                "selected": self.archs.isin(self.selected),
                "tf_rank": self.tf_rank,
            },
            index=self.archs,
        )
        return table.join(self.tf)

    def summary(self) -> str:
        """A few lines for the terminal."""
        params = ", ".join(f"{k}={v}" for k, v in self.best_params.items())
        lines = [
            f"{self.space}: {len(self.archs):,} architectures ({len(self.unit_ids):,} units), "
            f"{self.n_clusters} clusters ({params}, stability {self.stability_score:.3f})",
            f"selected cluster {self.selected_cluster}: {len(self.selected):,} architectures "
            f"({len(self.selected) / len(self.archs):.1%} of the space), "
            f"score {self.cluster_scores.at[self.selected_cluster, 'score']:.3f}",
        ]
        if self.evaluation is not None:
            table, name = self.evaluation.summary, self.evaluation.metric
            n = self.evaluation.budgets[0]
            for column, what in (("acc_mean", f"mean {name}"), (f"best_of_{n}", f"best-of-{n}")):
                values = " / ".join(f"{s} {table.at[s, column]:.2f}" for s in BASELINES if s in table.index)
                lines.append(f"{what}: {values}")
            lines.append(f"Kendall tau(cluster score, cluster mean {name}): {self.evaluation.cluster_rank_tau:.2f}")
        lines.append("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in self.timings.items()))
        return "\n".join(lines)

    def write(self, directory: str | Path) -> dict[str, Path]:
        """Write ``clusters.csv``, ``selected.csv`` and ``metrics.json`` into ``directory``."""
        directory = Path(directory)
        clusters = self.clusters_table()
        files = {
            "clusters": directory / "clusters.csv",
            "selected": directory / "selected.csv",
            "metrics": directory / "metrics.json",
        }
        atomic_write(files["clusters"], lambda tmp: clusters.to_csv(tmp))
        atomic_write(files["selected"], lambda tmp: clusters[clusters["selected"]].drop(columns="selected").to_csv(tmp))
        metrics = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in self.metrics().items()}
        text = json.dumps(metrics, indent=2, default=_json_value)  # NaN -> null: strict JSON
        atomic_write(files["metrics"], lambda tmp: tmp.write_text(text + "\n"))
        return files


def _json_value(value):
    return value.item() if isinstance(value, np.generic) else str(value)


def align_table(
    table: pd.DataFrame, space: SearchSpace, columns: Sequence[str], name: str = "TF-statistic table"
) -> pd.DataFrame:
    """``table`` as one row per architecture of ``space`` (NaN where it has none).

    Accepts ids as an ``arch`` column or as the index; ids are validated and canonicalised
    by :func:`cbred.data.benchmark.load_benchmark`.
    """
    frame = table if "arch" in table.columns else table.rename_axis("arch").reset_index()
    # rows missing from the table are reported as NaN statistics by the caller
    return load_benchmark(frame, space, columns=list(columns), name=name).reindex(pd.Index(space.ids, name="arch"))


def reduce_space(
    space: SearchSpace,
    tf_table: pd.DataFrame,
    distance,
    clusterer,
    selection: ClusterSelection,
    *,
    statistics: Sequence[str],
    directions: Mapping[str, int] | None = None,
    constraints: Sequence[Constraint] = (),
    dedup: bool = True,
    representation: Mapping | None = None,
    accuracy: pd.Series | None = None,
    budgets: Sequence[int] = (10, 100),
    random_state=0,
) -> Reduction:
    """Run C-BRED on ``space``.

    Parameters
    ----------
    space : SearchSpace
    tf_table : DataFrame
        TF statistics per architecture (ids as index or ``arch`` column); must hold
        ``statistics`` and the columns of table-less constraints.
    distance : Distance
        ``pairwise`` / ``embed`` / ``is_euclidean`` (:mod:`cbred.distances`).
    clusterer : estimator
        :class:`~cbred.clustering.StabilitySelection` (or any clusterer with ``labels_``);
        its ``metric`` (or its estimator's) is set to match the representation.
    selection : ClusterSelection
        Variant, score function, minimum cluster size.
    statistics : sequence of str
        Columns of ``tf_table`` that score clusters.
    directions : mapping, optional
        ``+1``/``-1`` per statistic, overriding :func:`cbred.tfstats.direction`.
    constraints : sequence of Constraint
        Applied to the space first.
    dedup : bool
        Cluster one unit per isomorphism class (see the module docstring).
    representation : mapping, optional
        Keyword arguments of :func:`cbred.clustering.representation.represent`.
    accuracy : Series, optional
        Accuracy per architecture; turns the evaluation on (never used before it).
    budgets : sequence of int
        Best-of-N budgets of the evaluation.
    random_state : int, RandomState instance or None
        Landmarks and the random baseline.

    Raises
    ------
    ValueError
        Empty space after the constraints or after removing NaN statistics, K greater than
        the number of units, unknown statistic or direction.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[step] = now - clock
        clock = now

    rng = check_random_state(random_state)
    directions = resolve_directions(list(statistics), directions)
    needed = list(statistics) + [c.column for c in constraints if c.table is None and c.column not in statistics]
    tf_all = align_table(tf_table, space, needed)
    archs, excluded = _candidates(space, tf_all, constraints, list(statistics))
    tf = tf_all.loc[archs, list(statistics)]
    units = _units(space, archs, dedup)
    ranks = signed_ranks(tf.groupby(units, sort=False).mean(), directions)
    unit_rank = aggregate_rank(ranks)
    lap("statistics")

    clustered = selection.prefilter(unit_rank).to_numpy()
    to_cluster = unit_rank.index[clustered]
    _check_cluster_counts(clusterer, len(to_cluster), "isomorphism classes" if dedup else "architectures")
    # all units, then the Q+C subset: one distance matrix per space (and per cache entry)
    rep = represent(distance, space.graphs(list(unit_rank.index)), random_state=rng, **(representation or {}))
    lap("distance")

    points, point_of_unit = rep.subset(np.flatnonzero(clustered)).distinct()
    _check_cluster_counts(clusterer, len(points), "distinct points under the distance")
    _set_metric(clusterer, rep.metric)
    clusterer.fit(points.X)
    lap("clustering")

    unit_labels = pd.Series(-1, index=unit_rank.index, name="cluster")
    unit_labels[to_cluster] = clusterer.labels_[point_of_unit]
    labels = units.map(unit_labels).rename("cluster")
    cluster_scores = _score_clusters(selection, ranks, unit_labels, labels, unit_rank)
    chosen = selection.choose(cluster_scores["score"], cluster_scores["size"])
    lap("selection")

    tf_rank = units.map(unit_rank).rename("tf_rank")
    selected = archs[(labels == chosen).to_numpy()]
    subsets = {
        "full": archs,
        "selected": selected,
        "quantiled": tf_rank.sort_values(ascending=False, kind="stable").index[: len(selected)],
        "random": archs[np.sort(rng.choice(len(archs), len(selected), replace=False))],
    }
    reduction = Reduction(
        space=space.name,
        archs=archs,
        units=units,
        labels=labels,
        selected_cluster=chosen,
        cluster_scores=cluster_scores,
        tf=tf,
        tf_rank=tf_rank,
        stability=getattr(clusterer, "stability_", pd.DataFrame()),
        best_params=dict(getattr(clusterer, "best_params_", {"n_clusters": len(cluster_scores)})),
        stability_score=float(getattr(clusterer, "best_stability_", float("nan"))),
        representation=rep,
        embedding=_unit_embedding(clusterer, point_of_unit),
        n_points=len(points),
        subsets=subsets,
        timings=timings,
        excluded=excluded,
    )
    if accuracy is not None:
        reduction.evaluation = evaluate(
            accuracy.reindex(archs), subsets, labels, cluster_scores["score"], budgets=budgets
        )
        lap("evaluation")
    return reduction


def _candidates(
    space: SearchSpace, tf_all: pd.DataFrame, constraints: Sequence[Constraint], statistics: list[str]
) -> tuple[pd.Index, dict[str, int]]:
    """Architectures that satisfy the constraints and have every statistic; counts of the others."""
    keep = apply_constraints(constraints, space, tf_all).to_numpy()
    if not keep.any():
        raise ValueError(
            f"no architecture of {space.name} satisfies the constraints "
            f"{[(c.column, c.min, c.max) for c in constraints]}"
        )
    missing = tf_all[statistics].isna() & keep[:, None]
    nan = missing.any(axis=1).to_numpy()
    if nan.any():
        per_statistic = {k: int(v) for k, v in missing.sum().items() if v}
        warnings.warn(
            f"{int(nan.sum())} architectures have NaN training-free statistics {per_statistic} "
            "and are excluded from the reduction",
            ReductionWarning,
            stacklevel=3,
        )
    archs = pd.Index(space.ids, name="arch")[keep & ~nan]
    if archs.empty:
        raise ValueError(f"no architecture of {space.name} is left after removing NaN statistics")
    return archs, {"constraints": int((~keep).sum()), "nan_statistics": int(nan.sum())}


def _score_clusters(
    selection: ClusterSelection, ranks: pd.DataFrame, unit_labels: pd.Series, labels: pd.Series,
    unit_rank: pd.Series,
) -> pd.DataFrame:
    """One row per cluster: score, size in cells, units, mean TF rank, eligibility, rank."""
    scores = selection.score(ranks, unit_labels)
    table = pd.DataFrame(
        {
            "score": scores,
            "size": labels[labels >= 0].value_counts().reindex(scores.index).fillna(0).astype(int),
            "n_units": unit_labels[unit_labels >= 0].value_counts().reindex(scores.index),
            "tf_rank": unit_rank.groupby(unit_labels).mean().reindex(scores.index),
        }
    )
    table["eligible"] = selection.eligible(table["size"])
    table["rank"] = table["score"].rank(ascending=False, method="min").astype(int)
    table.index.name = "cluster"
    return table


def _units(space: SearchSpace, archs: pd.Index, dedup: bool) -> pd.Series:
    """Unit of every arch: the first member (in ``archs`` order) of its isomorphism class."""
    if not dedup:
        return pd.Series(archs, index=archs, name="unit")
    classes = space.isomorphism_classes(list(archs))
    first = pd.Series(archs, index=archs).groupby(classes.to_numpy(), sort=False).transform("first")
    return first.rename("unit")


def _unit_embedding(clusterer, point_of_unit: np.ndarray) -> np.ndarray | None:
    fitted = getattr(clusterer, "best_estimator_", clusterer)
    embedding = getattr(fitted, "embedding_", None)
    return None if embedding is None else embedding[point_of_unit]


def _estimator(clusterer):
    return getattr(clusterer, "estimator", clusterer)


def _set_metric(clusterer, metric: str) -> None:
    estimator = _estimator(clusterer)
    if "metric" in estimator.get_params(deep=False):
        estimator.set_params(metric=metric)


def _check_cluster_counts(clusterer, n: int, what: str) -> None:
    """K greater than the number of things to cluster: one clear error, before any work."""
    grid = getattr(clusterer, "param_grid", None) or {}
    ks = list(grid.get("n_clusters", [_estimator(clusterer).get_params().get("n_clusters", 1)]))
    too_many = [int(k) for k in ks if int(k) > n]
    if too_many:
        raise ValueError(
            f"K={too_many} greater than the number of {what} to cluster ({n}); "
            "lower the K range (clustering.param_grid.n_clusters) or relax the constraints"
        )


def load_tf_table(path=None) -> pd.DataFrame:
    """The TF-statistic table: the embedded NB201 one (``None``) or any table file.

    Any CSV / parquet / JSON-lines file with architecture ids (``arch`` column or index)
    and one column per statistic works, e.g. a user's own statistics.
    """
    if path is None:
        from cbred.tfstats import load_table

        return load_table()
    return read_table(path)


def load_accuracy(path, space: SearchSpace, metric: str, **options) -> pd.Series:
    """The ``metric`` column of a benchmark table, per architecture of ``space``.

    Raises ``ValueError`` naming the column and the available ones when it is missing.
    """
    table = load_benchmark(path, space, columns=[metric], **options)
    return table[metric].astype(float)
