"""Within-space ranks of training-free statistics, oriented so that higher is better.

Statistics live on different scales (a log-determinant, a condition number, a count) and
point in different directions (higher NASWOT is better, a lower NTK condition number is
better). Every score of :mod:`cbred.selection.scores` therefore reads *signed percentile
ranks*: the rank of ``sign * value`` among all architectures of the space, divided by
their number, in ``(0, 1]`` (ties get their average rank); 1 is the best architecture of
the space by that statistic. Their mean over statistics is the *aggregate rank*, the
single TF score used by the Q+C pre-filter and the Quantiled baseline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

DIRECTIONS = (1, -1)


def resolve_directions(
    statistics: Sequence[str], overrides: Mapping[str, int] | None = None
) -> dict[str, int]:
    """Direction (+1: higher is better, -1: lower is better) of every statistic.

    ``overrides`` (from config) wins; otherwise :func:`cbred.tfstats.direction` knows the
    statistics cbred computes. A statistic of a user's own table that neither knows is an
    error that says how to declare it.
    """
    overrides = dict(overrides or {})
    if not statistics:
        raise ValueError("no statistics to score clusters with (tfstats.statistics is empty)")
    if len(set(statistics)) != len(statistics):
        raise ValueError(f"statistics listed twice: {list(statistics)}")
    directions = {}
    for name in statistics:
        if name in overrides:
            sign = overrides[name]
        else:
            try:
                from cbred.tfstats import direction  # torch comes with it: only when needed

                sign = direction(name)
            except (ImportError, KeyError) as error:
                raise ValueError(
                    f"no direction known for statistic {name!r} ({error}); declare it in the "
                    f"config, e.g. +tfstats.directions.{name}=1 (higher is better) or -1"
                ) from None
        if sign not in DIRECTIONS:
            raise ValueError(f"direction of {name!r} must be +1 or -1, got {sign!r}")
        directions[name] = int(sign)
    return directions


def signed_ranks(table: pd.DataFrame, directions: Mapping[str, int]) -> pd.DataFrame:
    """Percentile rank of each statistic within ``table``, higher = better.

    Parameters
    ----------
    table : DataFrame
        One row per architecture (of the space being reduced), one column per statistic.
    directions : mapping of str to {+1, -1}

    Returns
    -------
    DataFrame
        Same index, one column per statistic of ``directions``, values in ``(0, 1]``.
    """
    return pd.DataFrame(
        {name: (sign * table[name]).rank(pct=True, method="average") for name, sign in directions.items()},
        index=table.index,
    )


def aggregate_rank(ranks: pd.DataFrame) -> pd.Series:
    """Mean signed percentile rank over statistics: the single TF score of an architecture."""
    return ranks.mean(axis=1).rename("tf_rank")
