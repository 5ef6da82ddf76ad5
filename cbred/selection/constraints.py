"""Constraints on the space, applied before the reduction (maximum params, FLOPs, latency).

A constraint bounds one column of a table: of the TF-statistic table (``params``,
``flops``) or of any other per-architecture table given by path (e.g. HW-NAS-Bench latency
in ``nb201_hw_cifar10.csv``), read with :func:`cbred.tables.load_benchmark`.
Architectures whose value is missing fail the constraint (a warning gives their count).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cbred.caller import warn
from cbred.tables import load_benchmark
from cbred.spaces.space import SearchSpace


class ConstraintWarning(UserWarning):
    """A constraint that removes no architecture (a bound in the wrong unit, say)."""


@dataclass(frozen=True)
class Constraint:
    """``min <= table[column] <= max`` for an architecture to stay in the space.

    Parameters
    ----------
    column : str
        Column to bound.
    max, min : float or None
        Bounds (inclusive); at least one.
    table : path or None
        Table holding ``column`` (CSV/parquet/JSON lines with an ``arch`` column); ``None``:
        the TF-statistic table of the run.
    missing_values : sequence of float
        Sentinels of the table that mean "not measured" (e.g. ``-1``), treated as missing.
    """

    column: str
    max: float | None = None
    min: float | None = None
    table: str | Path | None = None
    missing_values: Sequence[float] = field(default=())

    def __post_init__(self) -> None:
        for bound in ("max", "min"):
            value = getattr(self, bound)
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                                      or math.isnan(value)):
                raise ValueError(f"constraints.{self.column}.{bound}={value!r} is not a number "
                                 f"(e.g. +constraints.{self.column}.{bound}=0.5)")
        if self.max is None and self.min is None:
            raise ValueError(f"constraint on {self.column!r} needs max or min")
        if self.max is not None and self.min is not None and self.min > self.max:
            raise ValueError(f"constraint on {self.column!r}: min {self.min} > max {self.max}")

    def values(self, space: SearchSpace, tf_table: pd.DataFrame) -> pd.Series:
        """The constrained column for every architecture of ``space`` (NaN if missing)."""
        if self.table is None:
            if self.column not in tf_table:
                raise ValueError(
                    f"constraint column {self.column!r} is not in the TF-statistic table "
                    f"(columns: {list(tf_table.columns)}); give the table that holds it"
                )
            values = tf_table[self.column]
            if self.missing_values:
                values = values.mask(values.isin(list(self.missing_values)))
        else:  # load_benchmark turns the sentinels into NaN
            values = load_benchmark(
                self.table, space, columns=[self.column], missing_values=self.missing_values
            )[self.column]
        return values.reindex(pd.Index(space.ids, name="arch")).astype(float)

    def mask(self, space: SearchSpace, tf_table: pd.DataFrame) -> pd.Series:
        """Boolean Series over the space's ids: True where the constraint holds."""
        values = self.values(space, tf_table)
        missing = values.isna()
        if missing.any():
            warn(
                f"constraint on {self.column!r}: {int(missing.sum())} architectures have no value "
                "and are excluded")
        keep = ~missing
        if self.max is not None:
            keep &= values <= self.max
        if self.min is not None:
            keep &= values >= self.min
        if len(values) and keep[~missing].all():
            warn(
                f"constraint on {self.column!r} (min={self.min}, max={self.max}) removes no architecture: "
                f"{self.column} spans {values.min():.6g} to {values.max():.6g}",
                ConstraintWarning)
        return keep


def constraints_from_config(config: Mapping[str, Mapping] | None) -> list[Constraint]:
    """Constraints from a mapping ``name -> {max, min, table, column}``.

    ``column`` defaults to the name, so ``constraints.params.max=1.0`` bounds ``params``.
    """
    return [
        Constraint(**{"column": name, **dict(spec)}) for name, spec in (config or {}).items()
    ]


def apply_constraints(
    constraints: Sequence[Constraint], space: SearchSpace, tf_table: pd.DataFrame
) -> pd.Series:
    """True for the architectures of ``space`` that satisfy every constraint."""
    keep = pd.Series(np.ones(len(space), dtype=bool), index=pd.Index(space.ids, name="arch"))
    for constraint in constraints:
        keep &= constraint.mask(space, tf_table)
    return keep
