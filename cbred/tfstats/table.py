"""The tables of statistics: their layout, their metadata, the embedded NB201 table.

A table is a DataFrame indexed by architecture id (index name ``arch``) with one column
per statistic (the mean over repeats), ``<name>_std`` (standard deviation over repeats)
and ``<name>_error`` (why a cell failed; its value is then NaN). The configuration that
made it (space, probes, input source, repeats, seed, library versions) is stored as JSON
in the parquet schema metadata under :data:`METADATA_KEY`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cbred.cache import atomic_write
from cbred.paths import RESOURCES

#: The embedded table: every NB201 cell at the default proxy configuration.
TABLE_PATH = RESOURCES / "nb201_tfstats.parquet"


def embedded_table_path(space_name: str) -> Path:
    """Where the project ships the TF table of a space: ``cbred/resources/<space>_tfstats.parquet``."""
    return RESOURCES / f"{space_name}_tfstats.parquet"
#: Schema-metadata key of the configuration JSON.
METADATA_KEY = b"cbred.tfstats"


def load_table(path: str | Path | None = None) -> pd.DataFrame:
    """A table of statistics (default: the embedded NB201 table, :data:`TABLE_PATH`).

    The configuration that made it is in ``frame.attrs["tfstats"]`` (see
    :func:`table_metadata`).

    Raises
    ------
    ValueError
        When the table disagrees with its metadata (:func:`check_table`), naming the column.
    """
    path = Path(path) if path is not None else TABLE_PATH
    if not path.exists():
        raise FileNotFoundError(
            f"table of training-free statistics {path} does not exist "
            "(regenerate it with `python -m cbred.tfstats.runner`, see its --help)"
        )
    with open(path, "rb") as handle:  # one handle: table and metadata of one file version
        frame = pd.read_parquet(handle)
        frame.attrs["tfstats"] = table_metadata(handle)
    check_table(frame, frame.attrs["tfstats"], origin=str(path))
    return frame


def check_table(frame: pd.DataFrame, metadata: dict[str, Any], origin: str = "table") -> None:
    """Check that ``frame`` holds what ``metadata`` says, naming the first culprit column.

    For every statistic of ``metadata["statistics"]``: the columns ``<name>``,
    ``<name>_std`` and ``<name>_error`` exist; a value is NaN exactly where an error is
    recorded; and the spread agrees with the recorded ``repeats``: with one repeat the
    standard deviation is NaN (or 0 for a deterministic statistic), with several it is
    known wherever the value is. Tables without metadata are not checked.

    Raises
    ------
    ValueError
    """
    for name, entry in (metadata.get("statistics") or {}).items():
        for column in (name, f"{name}_std", f"{name}_error"):
            if column not in frame.columns:
                raise ValueError(f"{origin}: its metadata lists statistic {name!r} but column {column!r} is missing")
        value, spread = frame[name], frame[f"{name}_std"]
        mismatch = value.isna() != frame[f"{name}_error"].notna()
        if mismatch.any():
            raise ValueError(
                f"{origin}: column {name!r} is NaN without a reason in {name + '_error'!r} (or has a value "
                f"and a reason), e.g. at {mismatch[mismatch].index[0]!r}"
            )
        repeats = entry.get("repeats")
        if repeats == 1 and not (spread.isna() | (spread == 0)).all():
            raise ValueError(f"{origin}: column {name + '_std'!r} has spreads but the metadata records 1 repeat of {name!r}")
        if isinstance(repeats, int) and repeats > 1 and (value.notna() & spread.isna()).any():
            raise ValueError(
                f"{origin}: column {name + '_std'!r} lacks the spread of {repeats} repeats where {name!r} has a value"
            )


def table_metadata(path: str | Path | BinaryIO | None = None) -> dict[str, Any]:
    """The configuration recorded in a table file (empty dict when there is none)."""
    source = path if hasattr(path, "read") else Path(path) if path is not None else TABLE_PATH
    metadata = pq.read_schema(source).metadata or {}
    return json.loads(metadata[METADATA_KEY]) if METADATA_KEY in metadata else {}


def write_table(frame: pd.DataFrame, path: str | Path, metadata: dict[str, Any]) -> Path:
    """Write ``frame`` with ``metadata`` (JSON) in the parquet schema, atomically."""
    table = pa.Table.from_pandas(frame)
    merged = dict(table.schema.metadata or {})
    merged[METADATA_KEY] = json.dumps(metadata, sort_keys=True, default=str).encode()
    table = table.replace_schema_metadata(merged)
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp))
