"""Benchmark tables: per-architecture metrics (accuracy, proxies, hardware cost).

A table is any CSV, parquet or JSON-lines file with one row per architecture. Loading one
for a space identifies every row's architecture, canonicalises and validates the ids, and
returns a DataFrame indexed by architecture id. Nothing is dropped silently: unknown
architectures are an error, duplicates an error unless a policy merges them (with a
warning), and architectures of the space without a row are reported.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cbred.data.space import SearchSpace

_READERS = {
    ".csv": pd.read_csv,
    ".parquet": pd.read_parquet,
    ".jsonl": lambda p: pd.read_json(p, lines=True),
    ".json": lambda p: pd.read_json(p, lines=True),
}
DUPLICATE_POLICIES = ("error", "first", "mean")


class BenchmarkTableWarning(UserWarning):
    """A benchmark table was usable but not clean (duplicates merged, rows missing)."""


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table file by its suffix (``.csv``, ``.parquet``, ``.jsonl``/``.json``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"benchmark table {path} does not exist")
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ValueError(
            f"cannot read {path}: unknown suffix {path.suffix!r} (choices: {', '.join(_READERS)})"
        )
    return reader(path)


def load_benchmark(
    source: str | Path | pd.DataFrame,
    space: SearchSpace,
    *,
    columns: Sequence[str] | None = None,
    duplicates: str = "error",
    missing_values: Sequence[float] = (),
    reindex: bool = False,
    name: str | None = None,
) -> pd.DataFrame:
    """Load a metric table for ``space``, indexed by canonical architecture id.

    Parameters
    ----------
    source : path or DataFrame
        The table, or a file :func:`read_table` can read.
    space : SearchSpace
        Identifies rows (:meth:`SearchSpace.ids_from_table`) and validates ids.
    columns : sequence of str, optional
        Metric columns to keep (default: every numeric column); a missing one is an error.
    duplicates : {"error", "first", "mean"}
        Several rows for one architecture: raise, keep the first, or average the numeric
        columns. Merging warns with the count.
    missing_values : sequence of float
        Sentinels that mean "not computed" (e.g. ``-1e8`` in NAS-Bench-Suite-Zero); they
        become NaN.
    reindex : bool
        Return one row per architecture of the space, in space order, NaN where the table
        has none (a warning gives the count).
    name : str, optional
        What error messages call the table (default: its path, or "table").

    Raises
    ------
    ValueError
        Malformed ids (naming the row), unknown policy or column, duplicates under
        ``duplicates="error"``.
    KeyError
        Architectures the space does not know, with examples.
    """
    if duplicates not in DUPLICATE_POLICIES:
        raise ValueError(f"duplicates={duplicates!r}; choices: {', '.join(DUPLICATE_POLICIES)}")
    if name is None:
        name = "table" if isinstance(source, pd.DataFrame) else str(source)
    frame = source.copy() if isinstance(source, pd.DataFrame) else read_table(source)
    if frame.empty:
        raise ValueError(f"{name} has no rows")
    ids = space.ids_from_table(frame)
    canonical = []
    for row, arch in zip(frame.index, ids):
        try:
            canonical.append(space.canonical_id(arch))
        except (ValueError, TypeError) as error:
            raise ValueError(f"{name}, row {row}: {error}") from None
    unknown = sorted({a for a in canonical if a not in space})
    if unknown:
        raise KeyError(
            f"{name}: {len(unknown)} architecture(s) not in space {space.name!r}, e.g. {unknown[:3]}"
        )
    metrics = _select_columns(frame, columns, name)
    metrics.index = pd.Index(canonical, name="arch")
    if missing_values:
        metrics = metrics.mask(metrics.isin(list(missing_values)))
    metrics = _merge_duplicates(metrics, duplicates, name)
    if reindex:
        absent = len(space) - len(metrics)
        if absent:
            examples = [a for a in space.ids[:1000] if a not in metrics.index][:3]
            warnings.warn(
                f"{name}: {absent} of {len(space)} architectures of {space.name} have no row "
                f"(NaN), e.g. {examples}",
                BenchmarkTableWarning,
                stacklevel=2,
            )
        metrics = metrics.reindex(pd.Index(space.ids, name="arch"))
    return metrics


def _select_columns(frame: pd.DataFrame, columns: Sequence[str] | None, name: str) -> pd.DataFrame:
    if columns is None:
        return frame.select_dtypes(include=[np.number]).reset_index(drop=True)
    absent = [c for c in columns if c not in frame]
    if absent:
        raise ValueError(f"{name} has no column(s) {absent} (columns: {list(frame.columns)})")
    return frame[list(columns)].reset_index(drop=True)


def _merge_duplicates(metrics: pd.DataFrame, policy: str, name: str) -> pd.DataFrame:
    duplicated = metrics.index.duplicated(keep=False)
    if not duplicated.any():
        return metrics
    n_archs = metrics.index[duplicated].nunique()
    examples = metrics.index[duplicated].unique()[:3].tolist()
    message = f"{name}: {n_archs} architecture(s) have several rows ({duplicated.sum()} rows), e.g. {examples}"
    if policy == "error":
        raise ValueError(message + "; pass duplicates='first' or 'mean' to merge them")
    warnings.warn(f"{message}; merged by {policy!r}", BenchmarkTableWarning, stacklevel=3)
    grouped = metrics.groupby(level=0, sort=False)
    return grouped.first() if policy == "first" else grouped.mean(numeric_only=True)
