"""Tables: per-architecture metrics (accuracy, TF statistics, proxies, hardware cost).

A table is any CSV, parquet or JSON-lines file with one row per architecture. Loading one
for a space identifies every row's architecture, canonicalises and validates the ids, and
returns a DataFrame indexed by architecture id. Nothing is dropped silently: unknown
architectures are an error, duplicates an error unless a policy merges them (with a
warning), and architectures of the space without a row are reported.

:func:`align_table`, :func:`load_tf_table` and :func:`load_accuracy` give the reduction
its inputs: the TF-statistic table and the accuracy column, one row per architecture of
the space (a TF table may cover only a sample of it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from cbred.caller import warn
from cbred.spaces.space import SearchSpace

_READERS = {
    ".csv": pd.read_csv,
    ".parquet": pd.read_parquet,
    ".jsonl": lambda p: pd.read_json(p, lines=True),
    ".json": lambda p: pd.read_json(p, lines=True),
}
DUPLICATE_POLICIES = ("error", "first", "mean")
#: What to do with +-inf in a metric column: raise, make it NaN (with a warning), keep it.
NONFINITE_POLICIES = ("error", "drop", "keep")
#: Errors of the readers that mean "this file is not a readable table".
_READ_ERRORS = (ValueError, OSError, pd.errors.ParserError, pd.errors.EmptyDataError, pa.ArrowException)
log = logging.getLogger(__name__)


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
    if path.is_file() and path.stat().st_size == 0:
        raise ValueError(f"table {path} is empty (0 bytes): it needs a header row and one row per architecture")
    try:
        return reader(path)
    except _READ_ERRORS as error:
        raise ValueError(f"cannot read table {path}: {type(error).__name__}: {error}") from None


def load_benchmark(
    source: str | Path | pd.DataFrame,
    space: SearchSpace,
    *,
    columns: Sequence[str] | None = None,
    duplicates: str = "error",
    missing_values: Sequence[float] = (),
    nonfinite: str = "error",
    reindex: bool = False,
    name: str | None = None,
    option_prefix: str | None = None,
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
    nonfinite : {"error", "drop", "keep"}
        +-inf in a metric column: raise naming the column and rows, make it NaN with a
        warning, or keep it.
    reindex : bool
        Return one row per architecture of the space, in space order, NaN where the table
        has none (a warning gives the count).
    name : str, optional
        What error messages call the table (default: its path, or "table").
    option_prefix : str, optional
        Config group of the options in hints (``"benchmark"``: ``benchmark.duplicates=mean``);
        default: keyword arguments (``duplicates='mean'``).

    Raises
    ------
    ValueError
        Malformed ids (naming the row), unknown policy or column, text in a metric column
        (naming column and rows), +-inf under ``nonfinite="error"``, duplicates under
        ``duplicates="error"``, an empty or unreadable file.
    KeyError
        Architectures the space does not know, with examples.
    """
    for option, value, choices in (("duplicates", duplicates, DUPLICATE_POLICIES),
                                   ("nonfinite", nonfinite, NONFINITE_POLICIES)):
        if value not in choices:
            raise ValueError(f"{option}={value!r}; choices: {', '.join(choices)}")
    if name is None:
        name = "table" if isinstance(source, pd.DataFrame) else str(source)
    frame = source.copy() if isinstance(source, pd.DataFrame) else read_table(source)
    if frame.empty:
        raise ValueError(f"{name} has no rows")
    ids = space.ids_from_table(frame)
    if ids.name is not None:
        log.info("%s: architectures identified by column %r", name, ids.name)
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
    metrics = _check_finite(metrics, nonfinite, name, _hint(option_prefix, "nonfinite", "drop"))
    metrics = _merge_duplicates(metrics, duplicates, name, option_prefix)
    if reindex:
        absent = len(space) - len(metrics)
        if absent:
            examples = [a for a in space.ids[:1000] if a not in metrics.index][:3]
            warn(
                f"{name}: {absent} of {len(space)} architectures of {space.name} have no row "
                f"(NaN), e.g. {examples}",
                BenchmarkTableWarning)
        metrics = metrics.reindex(pd.Index(space.ids, name="arch"))
    return metrics


def _select_columns(frame: pd.DataFrame, columns: Sequence[str] | None, name: str) -> pd.DataFrame:
    if columns is None:
        return frame.select_dtypes(include=[np.number]).reset_index(drop=True)
    absent = [c for c in columns if c not in frame]
    if absent:
        raise ValueError(f"{name} has no column(s) {absent} (columns: {list(frame.columns)})")
    selected = frame[list(columns)].reset_index(drop=True)
    for column in selected.columns:
        selected[column] = _numeric(selected[column], frame.index, name)
    return selected


def _numeric(values: pd.Series, rows: pd.Index, name: str) -> pd.Series:
    """``values`` as floats; text that is not a number is an error naming column and rows."""
    if pd.api.types.is_bool_dtype(values):
        raise ValueError(f"{name}, column {values.name!r}: holds booleans, expected numbers")
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        where = [f"row {rows[i]}: {values.iloc[i]!r}" for i in np.flatnonzero(bad.to_numpy())[:3]]
        raise ValueError(
            f"{name}, column {values.name!r}: {int(bad.sum())} value(s) are not numbers "
            f"({'; '.join(where)}); fix or remove them"
        )
    return numbers.astype(float)


def _hint(prefix: str | None, option: str, value: str) -> str:
    """How to set an option, in the user's syntax: Hydra (``group.option=value``) or Python."""
    return f"{prefix}.{option}={value}" if prefix else f"{option}={value!r}"


def _check_finite(metrics: pd.DataFrame, policy: str, name: str, hint: str) -> pd.DataFrame:
    """+-inf: an error naming column and rows, or NaN with a warning (``policy``)."""
    if policy == "keep" or metrics.empty:
        return metrics
    infinite = np.isinf(metrics.to_numpy(dtype=float))
    if not infinite.any():
        return metrics
    per_column = {c: int(n) for c, n in zip(metrics.columns, infinite.sum(axis=0)) if n}
    column = next(iter(per_column))
    rows = metrics.index[infinite[:, list(metrics.columns).index(column)]][:3].tolist()
    message = (
        f"{name}: {int(infinite.sum())} value(s) are +-inf, per column {per_column}; "
        f"column {column!r}, e.g. rows {rows}"
    )
    if policy == "error":
        raise ValueError(f"{message}; fix the table, or set {hint} to treat them as missing")
    warn(f"{message}; treated as missing (NaN)", BenchmarkTableWarning)
    return metrics.mask(infinite)


def _merge_duplicates(metrics: pd.DataFrame, policy: str, name: str, prefix: str | None = None) -> pd.DataFrame:
    duplicated = metrics.index.duplicated(keep=False)
    if not duplicated.any():
        return metrics
    n_archs = metrics.index[duplicated].nunique()
    examples = metrics.index[duplicated].unique()[:3].tolist()
    message = f"{name}: {n_archs} architecture(s) have several rows ({duplicated.sum()} rows), e.g. {examples}"
    if policy == "error":
        raise ValueError(
            f"{message}; set {_hint(prefix, 'duplicates', 'first')} or "
            f"{_hint(prefix, 'duplicates', 'mean')} to merge them"
        )
    warn(f"{message}; merged by {policy!r}", BenchmarkTableWarning)
    grouped = metrics.groupby(level=0, sort=False)
    return grouped.first() if policy == "first" else grouped.mean(numeric_only=True)


# -- tables aligned with a space: what the reduction reads ---------------------------------
def align_table(
    table: pd.DataFrame, space: SearchSpace, columns: Sequence[str], name: str = "TF-statistic table"
) -> pd.DataFrame:
    """``table`` as one row per architecture of ``space`` (NaN where it has none).

    Ids come from the columns the space's benchmark loader accepts
    (:meth:`~cbred.spaces.space.SearchSpace.ids_from_table`: ``arch``; NB101 also ``hash``
    or ``matrix`` + ``ops``), else from the index; they are validated and canonicalised
    by :func:`cbred.tables.load_benchmark`. Text in a column is an error naming
    it; +-inf is kept (the caller decides).
    """
    try:  # derived once (NB101 matrix + ops rows are pruned and hashed): the loader reads `arch`
        ids = space.ids_from_table(table)
        frame = table.reset_index(drop=True).assign(arch=ids.to_numpy())
    except ValueError:  # no id column: the index holds the ids
        frame = table.rename_axis("arch").reset_index()
    # rows missing from the table are reported as NaN statistics by the caller
    aligned = load_benchmark(
        frame, space, columns=list(columns), name=name, nonfinite="keep", option_prefix="tfstats"
    )
    return aligned.reindex(pd.Index(space.ids, name="arch"))


def load_tf_table(path=None, *, duplicates: str = "error", space: SearchSpace | None = None) -> pd.DataFrame:
    """The TF-statistic table: the one the project ships for ``space`` (``None``) or any table file.

    Any CSV / parquet / JSON-lines file with architecture ids (``arch`` column, NB101
    ``hash`` column, or the index) and one column per statistic works, e.g. a user's own
    statistics.

    Parameters
    ----------
    path : path, optional
        Default: ``cbred/resources/<space>_tfstats.parquet`` (NB201's without a space).
    duplicates : {"error", "first", "mean"}
        Several rows of one id (same spelling): left for :func:`align_table` to report,
        or merged here (with a warning), as ``benchmark.duplicates`` does for accuracy.
    space : SearchSpace, optional
        Identifies rows without an id column (NB101 ``matrix`` + ``ops`` rows, as
        NAS-Bench-Suite-Zero writes them) so that their duplicates can be merged.
    """
    if path is None:
        from cbred.tfstats.table import embedded_table_path, load_table

        name = "nb201" if space is None else space.name
        if not embedded_table_path(name).exists():
            raise FileNotFoundError(
                f"the project ships no TF-statistic table for space {name!r} "
                f"({embedded_table_path(name).name}): compute one with the resumable runner "
                "(python -m cbred.tfstats.runner space=... , see cbred/resources/*_tfstats.md) "
                "and give it with tfstats.path=FILE"
            )
        table = load_table(embedded_table_path(name))
    else:
        if not Path(path).exists():  # e.g. experiment=nb101 before its table was computed
            raise FileNotFoundError(
                f"TF-statistic table {path} does not exist: compute it with the resumable runner "
                "(python -m cbred.tfstats.runner; for NB101 --config-name nb101, see "
                "cbred/resources/nb101_tfstats.md) or give your own with tfstats.path=FILE"
            )
        table = read_table(path)
    if duplicates not in DUPLICATE_POLICIES:
        raise ValueError(f"tfstats.duplicates={duplicates!r}; choices: {', '.join(DUPLICATE_POLICIES)}")
    if duplicates == "error":
        return table
    id_column = next((c for c in ("arch", "hash") if c in table.columns), None)
    if id_column is None and space is not None and {"matrix", "ops"} <= set(table.columns):
        # NAS-Bench-Suite-Zero rows: the id is the hash of the pruned cell
        table = table.assign(hash=space.ids_from_table(table).to_numpy()).drop(columns=["matrix", "ops"])
        id_column = "hash"
    name = f"TF-statistic table {path or '(embedded)'}"
    if id_column is None:  # the index holds the ids
        return _merge_duplicates(table, duplicates, name, "tfstats")
    return _merge_duplicates(table.set_index(id_column), duplicates, name, "tfstats").reset_index()


def load_accuracy(path, space: SearchSpace, metric: str, **options) -> pd.Series:
    """The ``metric`` column of a benchmark table, per architecture of ``space``.

    ``options`` go to :func:`cbred.tables.load_benchmark` (``duplicates``,
    ``nonfinite``: +-inf accuracies are an error naming column and rows unless
    ``nonfinite="drop"``). Raises ``ValueError`` naming the column and the available ones
    when it is missing.
    """
    options.setdefault("option_prefix", "benchmark")
    table = load_benchmark(path, space, columns=[metric], **options)
    return table[metric].astype(float)
