"""Atomic files and config-keyed caches.

Every cache cbred writes is keyed by a hash of the configuration that made it and is
written atomically (temporary file in the same directory, then ``os.replace``), so that a
killed job never leaves a half-written file behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it: once, at import
    os.umask(mask)
    return mask


_UMASK = _umask()


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
