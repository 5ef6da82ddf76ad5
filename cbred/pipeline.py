"""C-BRED as a composition: constraints -> units -> ranks -> distance -> procedure -> budget.

The method, with the objects of the other modules::

    units    <- isomorphism classes of the space after constraints
    ranks    <- signed within-space ranks of the TF statistics of every unit
    order    <- procedure(distance's view of the units, ranks)   # clusters or neighbourhoods
    return the first `budget` architectures of the units in that order

:func:`reduce_space` is a pure function of its inputs (a space, a TF-statistic table, a
distance, a selection procedure, a budget) and returns a :class:`Reduction` holding
everything a report or a plot needs. The accuracy table, when given, is used only by the
evaluation, after the selection; the baselines have the selection's exact size (with a TF
table of a sample, Quantiled keeps the same fraction of the measured architectures).

Units
    With ``dedup=True`` (default) isomorphic cells (same function, different encodings;
    NB201: 15,625 cells, 6,466 classes) are scored and ordered once, as one *unit*
    represented by the class member first in space order, whose TF statistics are the
    class mean. Labels and scores are then broadcast to every member; sizes, the budget,
    the selected sub-space and the evaluation count cells.

Points
    Units at distance 0 from each other (coarse feature maps: under the operation
    histogram, NB201's 6,466 classes are 208 distinct distributions) have identical rows
    in the representation. Clusterers see every distinct point once
    (:class:`~cbred.selection.procedures.ClusterUnion`); neighbourhoods keep them, since
    identical architectures are legitimately each other's nearest neighbours.

Region
    The selection lists cells the reduction worked on; for a space too large to list those
    are a sample (:class:`~cbred.spaces.sample.SpaceSample`). ``Reduction.region``
    (:mod:`cbred.selection.region`) extends it to any architecture of the space: its score
    (:meth:`Reduction.score`), membership (:meth:`Reduction.contains`) and members drawn
    from the whole space (:meth:`Reduction.sample_members`), searched by
    :class:`cbred.search.domain.SampledDomain`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import check_random_state

from cbred.caller import warn
from cbred.cache import atomic_write, json_safe
from cbred.clustering.representation import Representation, represent
from cbred.distances.base import Distance
from cbred.evaluation import BASELINES, Evaluation, evaluate
from cbred.spaces.space import SearchSpace
from cbred.tables import align_table
from cbred.selection.region import SelectedRegion
from cbred.selection import (
    Constraint,
    SubspaceSelector,
    aggregate_rank,
    apply_constraints,
    budget_cells,
    fill_budget,
    resolve_directions,
    selection_order,
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
    units : Series
        Unit (isomorphism-class representative, or the cell itself) of every architecture
        the reduction worked on (the space after constraints, without failed statistics;
        with a TF table of a sample, the unsampled architectures too; its index).
    labels : Series
        Cluster of every arch; ``-1`` where the procedure has no clusters (neighbourhood
        scores, units a Q+C pre-filter removed).
    procedure : str
        The selection procedure, e.g. ``"NeighbourhoodScore"`` or
        ``"QuantileFirst(ClusterUnion)"``.
    budget : float or int
        The budget as asked (a fraction or a number of architectures).
    selection_score : Series
        The procedure's score of every arch (its unit's), higher is better.
    order : Index
        Unit ids, most promising first: ``fill_budget(order, units, n)`` is the selection
        of any other size ``n`` (for procedures whose order does not depend on the budget).
    cluster_scores : DataFrame
        One row per cluster (``score``, ``size``, ``n_units``, ``n_sampled``, ``tf_rank``,
        ``eligible``, ``rank``: 1 = taken first); empty without clusters.
    tf : DataFrame
        The TF statistics used, per arch.
    tf_rank : Series
        Aggregate signed rank of every arch (its unit's).
    stability : DataFrame
        How the procedure chose its parameters: the stability table of a clusterer (one row
        per K, eta, ...), the cross-validation table (``loo_mse`` per K or per number of
        neighbours), or empty.
    best_params : dict
        Parameters the procedure chose (``n_clusters``, ``eta``, ``n_neighbors``, ...).
    stability_score : float
        Mean agreement of ``best_params`` (NaN without stability selection).
    representation : Representation
        The distance's view of every unit, rows in the order of ``unit_ids``.
    n_points : int
        Distinct points among the units under the distance.
    embedding : ndarray or None
        Coordinates the final k-means ran on (MDS or spectral embedding), one row per unit.
    subsets : dict of str to Index
        ``full``, ``selected``, ``quantiled`` (the best archs by ``tf_rank``, as many as
        selected; with a TF table of a sample, the same fraction of the measured archs),
        ``random`` (as many as selected, uniformly).
    evaluation : Evaluation or None
        Accuracy of the sub-spaces, when a benchmark was given.
    timings : dict of str to float
        Seconds per step.
    excluded : dict of str to int
        Archs removed by the constraints and for NaN statistics.
    region : SelectedRegion or None
        The selection as membership of any architecture of the space, listed or not
        (:mod:`cbred.selection.region`): :meth:`score`, :meth:`contains`,
        :meth:`sample_members`. None for a reduction not built by :func:`reduce_space`.
    """

    space: str
    units: pd.Series
    labels: pd.Series
    procedure: str
    budget: float | int
    selection_score: pd.Series
    order: pd.Index
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
    region: SelectedRegion | None = None

    def __repr__(self) -> str:
        """One line: space, selection size, procedure, and the mean accuracy against Quantiled."""
        params = ", ".join(f"{k}={v}" for k, v in self.best_params.items())
        text = (f"Reduction({self.space}: {len(self.selected):,} of {len(self.archs):,} architectures selected "
                f"({len(self.selected) / len(self.archs):.1%}) by {self.procedure}({params})")
        if self.evaluation is not None and {"selected", "quantiled"} <= set(self.evaluation.summary.index):
            mean = self.evaluation.summary["acc_mean"]
            text += (f"; mean {self.evaluation.metric} {mean['selected']:.2f} vs Quantiled "
                     f"{mean['quantiled']:.2f}")
        return text + ")"

    def _repr_html_(self) -> str:
        """Notebook display: the one-line summary and the verdict table (:mod:`cbred.verdict`)."""
        import html

        from cbred.verdict import verdict

        outcome = verdict(self)
        sentences = "".join(f"<p>{html.escape(text)}</p>" for text in outcome.sentences + outcome.warnings)
        return (f"<p><b>{html.escape(repr(self))}</b></p>"
                + outcome.table.to_html(float_format=lambda v: f"{v:.3f}") + sentences)

    @property
    def archs(self) -> pd.Index:
        """Architectures the reduction worked on (``subsets["full"]``)."""
        return self.subsets["full"]

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

    @property
    def selected_cluster(self) -> int:
        """The cluster taken first (``-1`` without clusters)."""
        if self.cluster_scores.empty:
            return -1
        return int(self.cluster_scores["rank"].idxmin())

    # -- the selection beyond the listed cells (a space too large to list) ----------------
    def score(self, archs: Iterable[str]) -> pd.Series:
        """The region's score of any architectures of the space (:meth:`SelectedRegion.score`).

        A listed cell keeps its ``selection_score``; any other architecture gets the score
        of its neighbourhood among the units (:mod:`cbred.selection.region`).
        """
        return self._region("score").score(archs)

    def contains(self, arch: str) -> bool:
        """Whether ``arch`` (any id of the space) is in the selected sub-space (:meth:`SelectedRegion.contains`).

        On the listed cells, after a procedure that orders the units by its score (the
        default NeighbourhoodScore), the members are the selected cells and the cells of the
        units scored exactly as the last, budget-cut one.
        """
        return self._region("contains").contains(arch)

    def contains_many(self, archs: Iterable[str]) -> np.ndarray:
        """Membership of every architecture, a boolean array (:meth:`SelectedRegion.contains_many`)."""
        return self._region("contains_many").contains_many(archs)

    def sample_members(self, n: int, *, random_state=None, method: str = "rejection",
                       max_draws: int | None = None) -> list[str]:
        """``n`` distinct members of the selected sub-space (:meth:`SelectedRegion.sample_members`)."""
        return self._region("sample_members").sample_members(n, random_state=random_state, method=method,
                                                             max_draws=max_draws)

    def _region(self, method: str) -> SelectedRegion:
        if self.region is None:
            raise ValueError(f"Reduction.{method}: this reduction has no region (it was not built by "
                             "reduce_space); rerun cbred.pipeline.reduce_space")
        return self.region

    def metrics(self) -> dict:
        """Flat metrics (the ``metrics.json`` contract keys first, then the details)."""
        metrics = {
            "n_archs": int(len(self.archs)),
            "n_clusters": self.n_clusters,
            "selected_cluster": self.selected_cluster,
            "selected_size": int(len(self.selected)),
            "stability": float(self.stability_score),
            "budget": self.budget,
            "selection/procedure": self.procedure,
            "n_units": int(len(self.unit_ids)),
            "n_points": int(self.n_points),
            "selected/score": float(_finite_mean(self.selection_score.reindex(self.selected))),
            "selected/tf_rank": float(self.tf_rank.reindex(self.selected).mean()),
            "representation": self.representation.kind,
            **{f"params/{k}": v for k, v in self.best_params.items()},
            **{f"excluded/{k}": v for k, v in self.excluded.items()},
            **{f"seconds/{k}": round(v, 3) for k, v in self.timings.items()},
        }
        if self.evaluation is not None:
            metrics.update(self.evaluation.metrics())
        return metrics

    def ranking(self) -> pd.DataFrame:
        """The selection in selection order: ``rank`` (1 = selected first) and ``score``.

        The order is the procedure's (``order``, the units most promising first, as
        :func:`~cbred.selection.budget.fill_budget` took them): the top ``n`` rows are the
        selection of ``n`` architectures. Cells of one unit share its score and keep space
        order. ``score`` is ``selection_score`` (higher is better); it does not increase
        along the rank of a procedure that orders by its score alone (NeighbourhoodScore,
        TFQuantile, ClusterUnion), while the compositions with the TF quantile order by
        other keys first (QuantileFirst: the quantile's candidates first).

        Returns
        -------
        DataFrame
            Index ``arch`` (the selected architectures, selection order), columns ``rank``
            (1..n) and ``score``.
        """
        archs = pd.Index(selection_order(self.order, self.units, self.selected), name="arch")
        return pd.DataFrame({"rank": np.arange(1, len(archs) + 1),
                             "score": self.selection_score.reindex(archs).to_numpy()}, index=archs)

    def clusters_table(self) -> pd.DataFrame:
        """One row per arch: ``cluster``, ``unit``, ``selected``, ``selection_score``, ``tf_rank``, statistics."""
        table = pd.DataFrame(
            {
                "cluster": self.labels,
                "unit": self.units,
                "selected": self.archs.isin(self.selected),
                "selection_score": self.selection_score,
                "tf_rank": self.tf_rank,
            },
            index=self.archs,
        )
        return table.join(self.tf)

    def summary(self, *, evaluation: bool = True) -> str:
        """A few lines for the terminal.

        Parameters
        ----------
        evaluation : bool, default=True
            Include the mean accuracy, best-of-N and top-1 % recall of every sub-space;
            ``reduce.py`` leaves them out because its verdict table (:mod:`cbred.verdict`)
            shows the same numbers.
        """
        params = ", ".join(f"{k}={v}" for k, v in self.best_params.items())
        lines = [
            f"{self.space}: {len(self.archs):,} architectures ({len(self.unit_ids):,} units); "
            f"{self.procedure} ({params})"
            + (f", {self.n_clusters} clusters" if self.n_clusters else ""),
            f"selected: {len(self.selected):,} architectures "
            f"({len(self.selected) / len(self.archs):.1%} of the space, budget {self.budget})",
        ]
        if evaluation and self.evaluation is not None:
            table, name = self.evaluation.summary, self.evaluation.metric
            n = self.evaluation.budgets[0]
            for column, what in (("acc_mean", f"mean {name}"), (f"best_of_{n}", f"best-of-{n}"),
                                 ("top1pct_recall", "top-1% recall")):
                values = " / ".join(f"{s} {table.at[s, column]:.3f}" for s in BASELINES if s in table.index)
                lines.append(f"{what}: {values}")
        lines.append("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in self.timings.items()))
        return "\n".join(lines)

    def write(self, directory: str | Path) -> dict[str, Path]:
        """Write ``clusters.csv``, ``selected.csv`` and ``metrics.json`` into ``directory``.

        ``clusters.csv`` lists every architecture in space order. ``selected.csv`` lists the
        selection in selection order (:meth:`ranking`): ``rank`` (1 = selected first) and
        ``score`` (the selection score) after ``arch``, then the columns of
        ``clusters.csv``; its first ``n`` rows are the selection of ``n`` architectures.
        """
        directory = Path(directory)
        clusters = self.clusters_table()
        ranking = self.ranking()
        selected = ranking.join(clusters.drop(columns=["selected", "selection_score"]))
        files = {
            "clusters": directory / "clusters.csv",
            "selected": directory / "selected.csv",
            "metrics": directory / "metrics.json",
        }
        # NaN / inf -> null: strict JSON, checked before anything is written
        text = json.dumps(json_safe(self.metrics()), indent=2, allow_nan=False)
        atomic_write(files["clusters"], lambda tmp: clusters.to_csv(tmp))
        atomic_write(files["selected"], lambda tmp: selected.to_csv(tmp))
        atomic_write(files["metrics"], lambda tmp: tmp.write_text(text + "\n"))
        return files


def _finite_mean(values: pd.Series) -> float:
    """Mean of the finite values (units a procedure left unscored carry -inf)."""
    values = values[np.isfinite(values.to_numpy(dtype=np.float64))]
    return float(values.mean()) if len(values) else float("nan")


def reduce_space(
    space: SearchSpace,
    tf_table: pd.DataFrame,
    distance: Distance,
    selection: SubspaceSelector,
    *,
    budget: float | int = 0.01,
    statistics: Sequence[str],
    directions: Mapping[str, int] | None = None,
    aggregate: Callable[[pd.DataFrame], pd.Series] | None = None,
    partial_tf: bool = False,
    uniform_sample: bool = True,
    constraints: Sequence[Constraint] = (),
    dedup: bool = True,
    representation: Mapping | None = None,
    accuracy: pd.Series | None = None,
    budgets: Sequence[int] = (10, 100),
    random_state: int | np.random.RandomState | None = 0,
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
    selection : SubspaceSelector
        The selection procedure (:mod:`cbred.selection.procedures`); cloned, never fitted
        in place, its ``metric`` set to match the representation.
    budget : float or int, default=0.01
        Size of the sub-space: a fraction of the space in ``(0, 1)`` or a number of
        architectures (:func:`cbred.selection.budget.budget_cells`); met exactly.
    statistics : sequence of str
        Columns of ``tf_table`` that score architectures.
    directions : mapping, optional
        ``+1``/``-1`` per statistic, overriding :func:`cbred.tfstats.direction`.
    aggregate : callable, optional
        ``aggregate(ranks) -> Series``: one score per unit (higher is better) from the
        signed within-space ranks of its statistics (one column per statistic). ``None``:
        the procedures see every statistic's rank and the aggregate TF rank is their mean;
        otherwise they see the rank of this score alone, and so does Quantiled. Never
        fitted on accuracy.
    partial_tf : bool, default=False
        The TF table covers a sample of the space: architectures without any statistic
        are kept, unscored; procedures score them through the sampled architectures of
        their neighbourhood or cluster, and Quantiled takes the best sampled ones. Without
        it, they are left out of the reduction with a warning.
    uniform_sample : bool, default=True
        With ``partial_tf``: the measured architectures are a uniform sample, so Quantiled
        takes the budget's share of them; ``False`` (a sample chosen by
        :class:`~cbred.sampling.ActiveSampling`), the budget's number of the best measured.
    constraints : sequence of Constraint
        Applied to the space first.
    dedup : bool
        Select among isomorphism classes (see the module docstring).
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
        Empty space after the constraints or after removing NaN statistics, a budget that
        is not a fraction or a count the space can hold, unknown statistic or direction.
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
    tf, excluded = _candidates(space, tf_all, constraints, list(statistics), partial_tf)
    tf = tf[_informative(tf, list(statistics))]  # a (nearly) constant statistic ranks nothing
    directions = {name: directions[name] for name in tf.columns}
    archs = tf.index
    n_cells = budget_cells(budget, len(archs))
    units = units_of(space, archs, dedup)
    ranks = signed_ranks(tf.groupby(units, sort=False).mean(), directions)
    if aggregate is not None:  # the procedures see the rank of the aggregate score alone
        ranks = signed_ranks(aggregate(ranks).rename("aggregate").to_frame(), {"aggregate": 1})
    unit_ids = ranks.index
    lap("statistics")

    rep = represent(distance, space.graphs(list(unit_ids)), random_state=rng, **(representation or {}))
    lap("distance")

    selector = clone(selection).set_params(metric=rep.metric)
    cells_per_unit = units.value_counts().reindex(unit_ids).to_numpy()
    selector.fit(rep.X, ranks, sample_weight=cells_per_unit, budget=n_cells)
    order = unit_ids[selector.order_]
    selected = fill_budget(order, units, n_cells)
    lap("selection")

    unit_rank = aggregate_rank(ranks)
    tf_rank = units.map(unit_rank).rename("tf_rank")
    subsets = {
        "full": archs,
        "selected": selected,
        "quantiled": quantiled(tf_rank, n_cells, uniform_sample=uniform_sample),
        "random": archs[np.sort(rng.choice(len(archs), n_cells, replace=False))],
    }
    labels = units.map(pd.Series(selector.labels_, index=unit_ids)).rename("cluster")
    reduction = Reduction(
        space=space.name,
        units=units,
        labels=labels,
        procedure=describe(selector),
        budget=budget,
        selection_score=units.map(pd.Series(selector.scores_, index=unit_ids)).rename("selection_score"),
        order=order,
        cluster_scores=selector.cluster_scores_,
        tf=tf,
        tf_rank=tf_rank,
        stability=selector.criterion_,
        best_params=dict(selector.params_),
        stability_score=float(selector.stability_score_),
        representation=rep,
        embedding=selector.embedding_,
        n_points=int(rep.point_of_row().max()) + 1,
        subsets=subsets,
        timings=timings,
        excluded=excluded,
        region=SelectedRegion.from_selection(
            space, distance, units=units, unit_scores=pd.Series(selector.scores_, index=unit_ids),
            unit_rank=unit_rank, selected=selected, params=selector.params_, dedup=dedup,
        ),
    )
    if accuracy is not None:
        scores = selector.cluster_scores_.get("score", pd.Series(dtype=float))
        reduction.evaluation = evaluate(accuracy.reindex(archs), subsets, labels, scores, budgets=budgets)
        lap("evaluation")
    return reduction


def quantiled(tf_rank: pd.Series, n_cells: int, *, uniform_sample: bool = True) -> pd.Index:
    """Quantiled: the best architectures by aggregate TF rank, the budget's share of those measured.

    With a full table that is ``n_cells`` of them; with a table of a uniform sample, the same
    fraction of the measured architectures as ``n_cells`` is of all of them (the best 1 % of
    a uniform sample estimates the best 1 % of the space); with a sample that is not uniform
    (chosen actively), ``n_cells`` of the measured ones, at most all of them.
    """
    measured = int(tf_rank.notna().sum())
    if measured == len(tf_rank) or not uniform_sample:
        n = min(n_cells, measured)
    else:
        n = max(1, round(n_cells / len(tf_rank) * measured))
    return tf_rank.sort_values(ascending=False, kind="stable").index[:n]


def describe(selector: SubspaceSelector) -> str:
    """Name of a procedure and of the procedures it wraps, e.g. ``QuantileFirst(ClusterUnion)``."""
    inner = getattr(selector, "selector", None)
    name = type(selector).__name__
    return f"{name}({describe(inner)})" if inner is not None else name


def _candidates(
    space: SearchSpace, tf_all: pd.DataFrame, constraints: Sequence[Constraint], statistics: list[str],
    partial: bool = False,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The statistics of the architectures that satisfy the constraints and have every
    statistic (+-inf as NaN), one row each; counts of the others.

    +-inf counts as NaN. With ``partial``, architectures without any statistic (not in the
    sample the TF table covers) stay in, unscored; those with some statistics but not all
    (failed computations) are left out as without ``partial``.
    """
    keep = apply_constraints(constraints, space, tf_all).to_numpy()
    if not keep.any():
        raise ValueError(
            f"no architecture of {space.name} satisfies the constraints "
            f"{[(c.column, c.min, c.max) for c in constraints]}"
        )
    values = tf_all[statistics]
    # not in the sample: no value at all (an infinite value is a failed measurement)
    absent = values.isna().all(axis=1).to_numpy()
    infinite = np.isinf(values.to_numpy(dtype=np.float64)) & keep[:, None]
    if infinite.any():
        per_statistic = {name: int(n) for name, n in zip(statistics, infinite.sum(axis=0)) if n}
        warn(
            f"{int(infinite.any(axis=1).sum())} architectures have infinite training-free statistics "
            f"{per_statistic}; they count as NaN",
            ReductionWarning)
        values = values.mask(np.isinf(values.to_numpy(dtype=np.float64)))
    missing = values.isna() & keep[:, None]
    unsampled = absent & keep if partial else np.zeros(len(keep), dtype=bool)
    nan = missing.any(axis=1).to_numpy() & ~unsampled
    if nan.any():
        per_statistic = {k: int(v) for k, v in missing[~unsampled].sum().items() if v}
        warn(
            f"{int(nan.sum())} architectures have NaN training-free statistics {per_statistic} "
            "and are excluded from the reduction",
            ReductionWarning)
    archs = pd.Index(space.ids, name="arch")[keep & ~nan]
    if archs.empty or (keep & ~nan & ~unsampled).sum() == 0:
        raise ValueError(f"no architecture of {space.name} is left with training-free statistics")
    counts = {"constraints": int((~keep).sum()), "nan_statistics": int(nan.sum())}
    if partial:
        counts["unsampled"] = int((keep & unsampled).sum())
    return values.loc[archs], counts


#: Share of the scored architectures one value may hold before a statistic counts as constant.
NEAR_CONSTANT = 0.99


def _informative(tf: pd.DataFrame, statistics: list[str], threshold: float = NEAR_CONSTANT) -> list[str]:
    """The statistics that vary over the scored architectures; the others are named in a warning.

    A statistic one value of which holds ``threshold`` of the measured architectures or more
    (e.g. linear regions saturating at the number of inputs) would enter the aggregate as a
    tie everywhere. ``ValueError`` when no statistic varies.
    """
    shares = {name: float(tf[name].dropna().value_counts(normalize=True).max()) if tf[name].notna().any() else 1.0
              for name in statistics}
    constant = {name: share for name, share in shares.items() if share >= threshold}
    if len(constant) == len(statistics):
        raise ValueError(f"every training-free statistic is (nearly) constant over the scored architectures "
                         f"(share of the most common value: {constant}); nothing ranks them")
    if constant:
        described = ", ".join(f"{name} (one value in {share:.1%})" for name, share in constant.items())
        warn(f"training-free statistic(s) {described} are (nearly) constant over the scored architectures "
             "and are left out of the score", ReductionWarning)
    return [name for name in statistics if name not in constant]


def units_of(space: SearchSpace, archs: pd.Index, dedup: bool) -> pd.Series:
    """Unit of every arch: the first member (in ``archs`` order) of its isomorphism class."""
    if not dedup:
        return pd.Series(archs, index=archs, name="unit")
    return space.representatives(archs, among=archs)
