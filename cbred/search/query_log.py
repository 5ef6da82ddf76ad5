"""A JSON-lines log of search queries, the record a search resumes from.

One line per result, appended and flushed as it arrives, e.g.::

    {"subset": "full", "strategy": "rea", "run": 0, "query": 1, "arch": "...", "accuracy": 91.2, "cost": null}

Lines are grouped by their key fields (the run they belong to). A search killed while
writing leaves a truncated last line: it is dropped with a warning (and cut from the
file before anything is appended), so a resumed search re-runs that query.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cbred.cache import json_safe


class QueryLog:
    """Append-only JSON-lines log of queries, grouped by key fields.

    Parameters
    ----------
    path : path-like
        The log file (created on the first append; an existing one is read).
    key_fields : sequence of str, default=()
        Fields that identify a run (e.g. ``("subset", "strategy", "run")``).

    Raises
    ------
    ValueError
        When a line other than the last is not a JSON object with the key fields.
    """

    def __init__(self, path: str | os.PathLike, *, key_fields: Sequence[str] = ()) -> None:
        self.path = Path(path)
        self.key_fields = tuple(key_fields)
        self._groups: dict[tuple, list[dict]] | None = None
        self._handle = None

    def _load(self) -> dict[tuple, list[dict]]:
        if self._groups is not None:
            return self._groups
        groups: dict[tuple, list[dict]] = {}
        if self.path.exists():
            with self.path.open("rb") as handle:
                lines = handle.read().split(b"\n")
            good_bytes = 0
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    good_bytes += len(line) + 1
                    continue
                try:
                    record = json.loads(line)
                    if not isinstance(record, dict) or any(f not in record for f in self.key_fields):
                        raise ValueError(f"not an object with the fields {self.key_fields}")
                except ValueError as error:
                    if number == len(lines):  # the last line, cut by a kill
                        warnings.warn(f"{self.path}: dropping a truncated last line ({error})", stacklevel=3)
                        with self.path.open("r+b") as handle:
                            handle.truncate(good_bytes)
                        break
                    raise ValueError(f"{self.path}, line {number}: not a query record ({error})") from None
                groups.setdefault(self._key_of(record), []).append(record)
                good_bytes += len(line) + 1
        self._groups = groups
        return groups

    def _key_of(self, record: Mapping[str, Any]) -> tuple:
        return tuple(record[field] for field in self.key_fields)

    def records(self, key: Mapping[str, Any] | None = None) -> list[dict]:
        """Logged records of one run (key fields -> values), in the order they were written.

        Only what was in the file when the log was first read: records appended since
        are not returned.
        """
        key = dict(key or {})
        if set(key) != set(self.key_fields):
            raise ValueError(f"QueryLog.records: key must give exactly {self.key_fields}, got {sorted(key)}")
        return list(self._load().get(self._key_of(key), []))

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record as a line and flush it (NaN becomes null: strict JSON)."""
        self._load()
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(json.dumps(json_safe(dict(record)), allow_nan=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> QueryLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"QueryLog({str(self.path)!r}, key_fields={self.key_fields})"
