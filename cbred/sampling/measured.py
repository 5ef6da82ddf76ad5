"""A space, a distance and a sampler in; the TF table the budget buys out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import check_random_state

from cbred.clustering.representation import represent
from cbred.pipeline import units_of
from cbred.sampling.base import TFSampler
from cbred.selection.ranks import aggregate_rank, resolve_directions, signed_ranks
from cbred.spaces.space import SearchSpace


def sample_statistics(
    space: SearchSpace,
    distance,
    sampler: TFSampler,
    measure: Callable[[list[str]], pd.DataFrame],
    *,
    statistics: Sequence[str],
    directions: Mapping[str, int] | None = None,
    aggregate: Callable[[pd.DataFrame], pd.Series] | None = None,
    dedup: bool = True,
    representation: Mapping | None = None,
    random_state=0,
) -> tuple[pd.DataFrame, TFSampler]:
    """Measure the units ``sampler`` chooses (a clone is fitted) and return their statistics.

    The units are those :func:`cbred.pipeline.reduce_space` scores: one representative per
    isomorphism class (``dedup``), placed by ``distance`` as the reduction places them
    (``representation``). A unit's score is what the reduction ranks it by: the aggregate of
    its statistics' signed ranks among the measured units.

    Parameters
    ----------
    measure : callable
        ``measure(archs) -> DataFrame`` of statistics indexed by those ids (the runner,
        :class:`cbred.tfstats.runner.OnDemand`, or a :class:`~cbred.sampling.TableOracle`).
    statistics, directions, aggregate
        As :func:`cbred.pipeline.reduce_space` takes them.

    Returns
    -------
    table : DataFrame
        The measured units' statistics, indexed by ``arch``, in measurement order: a TF
        table for ``reduce_space(..., partial_tf=True)``.
    sampler : TFSampler
        The fitted clone (``rounds_``, ``measured_``).
    """
    statistics = list(statistics)
    directions = resolve_directions(statistics, directions)
    archs = pd.Index(space.ids, name="arch")
    units = units_of(space, archs, dedup)
    unit_ids = pd.Index(pd.unique(units.to_numpy()), name="arch")
    rep = represent(distance, space.graphs(list(unit_ids)), random_state=check_random_state(random_state),
                    **(representation or {}))

    def measure_units(positions: np.ndarray) -> pd.DataFrame:
        rows = measure(list(unit_ids[positions]))
        absent = [name for name in statistics if name not in rows.columns]
        if absent:
            raise ValueError(f"the measurement returned no column {absent} (it has {list(rows.columns)[:10]})")
        return rows.reindex(unit_ids[positions])[statistics].set_axis(positions)

    def score(table: pd.DataFrame) -> pd.Series:
        finite = table.mask(np.isinf(table.to_numpy(dtype=np.float64)))  # a failed measurement ranks nowhere
        ranks = signed_ranks(finite, directions)
        return (aggregate(ranks) if aggregate is not None else aggregate_rank(ranks)).where(finite.notna().all(axis=1))

    fitted = clone(sampler).fit(rep.X, measure_units, score, metric=rep.metric)
    table = fitted.statistics_.set_axis(unit_ids[fitted.measured_]).rename_axis("arch")
    return table, fitted
