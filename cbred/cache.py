"""Atomic files and config-keyed, verified caches.

Every cache cbred writes is keyed by a hash of the configuration that made it and is
written atomically (temporary file in the same directory, then ``os.replace``), so that a
killed job never leaves a half-written file behind.

Every cache entry also describes itself, so that a reader can trust it: an array entry
(``.npy``) has a JSON sidecar (same name, ``.json``), a table entry (parquet) a header in
its schema metadata, each with the key's inputs (configuration and code version, see
:func:`source_digest`), the format version :data:`CACHE_FORMAT`, the shape and a SHA-256
checksum of the content. :func:`load_array` and :func:`read_verified_parquet` return
``None`` for an entry that is unreadable, truncated, altered (permuted rows, other
values), of another shape, format or key; the entry is then reported once
(:class:`CacheWarning`, naming the file), deleted, and the caller recomputes it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import math
import os
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

#: Version of the layout of cache entries and their headers; bumping it retires them all.
CACHE_FORMAT = 2
#: Schema-metadata key of the header of a verified parquet entry.
HEADER_KEY = b"cbred.cache"


class CacheWarning(UserWarning):
    """A cache entry was unusable (unreadable, altered, stale) and is recomputed."""


def config_key(config: Mapping[str, Any], length: int = 16) -> str:
    """Stable hex digest of a JSON-serialisable configuration (key order does not matter)."""
    text = json.dumps(config, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot put {type(value).__name__} into a cache key")


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and move the result onto ``path`` in one rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    # created with mode 0666 and the process umask applied by the kernel: the usual file
    # mode, without reading (or changing) the umask
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a DataFrame to parquet atomically."""
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp))


def read_parquet(path: str | os.PathLike) -> pd.DataFrame:
    """Read a parquet file that a writer may be replacing (:func:`atomic_write`).

    Through one open handle: pyarrow opens a *path* twice (footer, then pages), and a
    rename in between mixes two versions of the file.
    """
    with open(path, "rb") as handle:
        return pd.read_parquet(handle)


def write_npy(array: np.ndarray, path: str | os.PathLike) -> Path:
    """Write an array to ``.npy`` atomically."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.save(handle, array)

    return atomic_write(path, write)


# -- verified entries ----------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def source_digest(*modules: str) -> str:
    """SHA-256 (16 hex digits) of the source files of ``modules`` (packages: every ``.py``).

    The code version of a cache entry: an edit of the code that computes it (a feature
    map, a cost model, a statistic) gives new keys, so stale entries are never read.
    """
    digest = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ValueError(f"source_digest: no module named {name!r}")
        origin = Path(spec.origin)
        files = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
        for file in files:
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def array_checksum(array: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and bytes."""
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.data)
    return digest.hexdigest()


def sidecar_path(path: str | os.PathLike) -> Path:
    """The JSON sidecar of an array entry: same name, ``.json``."""
    return Path(path).with_suffix(".json")


def _plain(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists, numpy scalars numbers)."""
    return json.loads(json.dumps(value, sort_keys=True, default=_json_default))


def save_array(array: np.ndarray, path: str | os.PathLike, key: Mapping[str, Any]) -> Path:
    """Write an array entry and its sidecar (key inputs, format, shape, dtype, checksum)."""
    array = np.asarray(array)
    write_npy(array, path)
    header = {
        "format": CACHE_FORMAT,
        "key": _plain(dict(key)),
        "shape": list(array.shape),
        "dtype": array.dtype.str,
        "sha256": array_checksum(array),
    }
    atomic_write(sidecar_path(path), lambda tmp: tmp.write_text(json.dumps(header, sort_keys=True)))
    return Path(path)


def load_array(
    path: str | os.PathLike, key: Mapping[str, Any], shape: Sequence[int] | None = None
) -> np.ndarray | None:
    """The array of a verified entry, or ``None`` (a miss, or an unusable entry).

    A missing file is a plain miss. An entry that fails a check (no or unreadable
    sidecar, other format or key inputs, unreadable or truncated array, shape other than
    the sidecar's or than ``shape``, checksum mismatch) is reported once with a
    :class:`CacheWarning` naming the file and deleted, so that the caller recomputes it.
    """
    path = Path(path)
    if not path.exists():
        return None
    array, problem = _checked_array(path, _plain(dict(key)), shape)
    if problem is None:
        return array
    discard(path, problem, sidecar_path(path))
    return None


def _checked_array(path: Path, key: Any, shape: Sequence[int] | None) -> tuple[np.ndarray | None, str | None]:
    try:
        header = json.loads(sidecar_path(path).read_text())
    except FileNotFoundError:
        return None, f"has no sidecar {sidecar_path(path).name} (written by an older cbred, or interrupted)"
    except (OSError, ValueError) as error:
        return None, f"has an unreadable sidecar ({error})"
    if not isinstance(header, dict) or header.get("format") != CACHE_FORMAT:
        return None, f"has format {header.get('format') if isinstance(header, dict) else None!r}, expected {CACHE_FORMAT}"
    if header.get("key") != key:
        return None, "was made from other inputs than its key's (configuration or code version)"
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        return None, f"is unreadable ({type(error).__name__}: {error})"
    if list(array.shape) != header.get("shape"):
        return None, f"has shape {array.shape}, its sidecar says {tuple(header.get('shape') or ())}"
    if shape is not None and tuple(array.shape) != tuple(shape):
        return None, f"has shape {array.shape}, expected {tuple(shape)}"
    if array_checksum(array) != header.get("sha256"):
        return None, "does not match its checksum (altered after it was written)"
    return array, None


def discard(path: Path, problem: str, *companions: Path) -> None:
    """Report an unusable cache entry once (naming it) and delete it and its companions."""
    warnings.warn(f"cache entry {path} {problem}; it is deleted and recomputed", CacheWarning, stacklevel=3)
    for file in (path, *companions):
        Path(file).unlink(missing_ok=True)


def frame_checksum(frame: pd.DataFrame) -> str:
    """SHA-256 of a DataFrame's columns, dtypes and values (index excluded)."""
    digest = hashlib.sha256(json.dumps([list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def write_verified_parquet(frame: pd.DataFrame, path: str | os.PathLike, key: Mapping[str, Any]) -> Path:
    """Write a table entry with its header (key inputs, format, rows, checksum) in the schema."""
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    # the checksum of what a reader gets back (parquet may change dtypes, e.g. None -> NaN)
    header = {
        "format": CACHE_FORMAT,
        "key": _plain(dict(key)),
        "rows": len(frame),
        "sha256": frame_checksum(table.to_pandas()),
    }
    metadata = {**(table.schema.metadata or {}), HEADER_KEY: json.dumps(header, sort_keys=True).encode()}
    table = table.replace_schema_metadata(metadata)
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def read_verified_parquet(path: str | os.PathLike) -> tuple[pd.DataFrame, dict] | None:
    """Table and header key of a verified entry, or ``None`` after reporting and deleting it.

    Raises ``FileNotFoundError`` when the file is gone (a writer replaced it meanwhile).
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:  # one handle: data and header of one file version
            parquet = pq.ParquetFile(handle)
            header = json.loads((parquet.schema_arrow.metadata or {}).get(HEADER_KEY, b"null"))
            frame = parquet.read().to_pandas()
    except FileNotFoundError:
        raise
    except (OSError, ValueError, pa.ArrowException) as error:
        discard(path, f"is unreadable ({type(error).__name__}: {error})")
        return None
    problem = None
    if not isinstance(header, dict) or header.get("format") != CACHE_FORMAT:
        problem = "has no cbred header of format %d (written by an older cbred?)" % CACHE_FORMAT
    elif header.get("rows") != len(frame):
        problem = f"has {len(frame)} rows, its header says {header.get('rows')}"
    elif frame_checksum(frame) != header.get("sha256"):
        problem = "does not match its checksum (altered after it was written)"
    if problem is not None:
        discard(path, problem)
        return None
    return frame, header["key"]


def json_safe(value):
    """``value`` as strict JSON can hold it: non-finite floats become null, numpy scalars
    Python ones, mappings and sequences recursively, anything else its string."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
