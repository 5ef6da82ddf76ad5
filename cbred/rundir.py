"""The files of a ``reduce.py`` run directory, and the check that they are the ones it wrote.

``reduce.py`` records the size and SHA-256 of ``clusters.csv`` and ``selected.csv`` in
``manifest.json`` (:func:`record_checksums`). A reader of the directory (``search.py`` with
``search.reduction_dir``) verifies them (:func:`verify_run_dir`) before anything else is
loaded: a file cut mid-row, emptied, replaced or edited is an error naming it, not a
smaller sub-space searched in silence. :func:`read_run_csv` reads one of them and refuses
what no run writes (an empty, binary, header-only or unterminated file), for directories
without a manifest too.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cbred.cache import atomic_write
from cbred.caller import warn
from cbred.export import MANIFEST
#: The files a reader of a run directory uses, whose checksums the manifest records.
CHECKED_FILES = ("clusters.csv", "selected.csv")
#: Bytes read at a time while hashing.
_CHUNK = 1 << 20


class RunDirWarning(UserWarning):
    """A run directory whose files cannot be verified (no manifest, or no checksums in it)."""


def file_digest(path: str | os.PathLike) -> dict:
    """``{"size": bytes, "sha256": hex digest}`` of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return {"size": Path(path).stat().st_size, "sha256": digest.hexdigest()}


def record_checksums(directory: str | os.PathLike, names: Sequence[str] = CHECKED_FILES) -> dict:
    """Add the size and SHA-256 of ``names`` (files of ``directory``) to its manifest.

    Returns
    -------
    dict
        The checksums recorded, by file name (``manifest["checksums"]``).

    Raises
    ------
    FileNotFoundError
        The directory has no manifest or lacks one of ``names``.
    """
    path = Path(directory) / MANIFEST
    manifest = json.loads(path.read_text())
    manifest["checksums"] = {name: file_digest(Path(directory) / name) for name in names}
    text = json.dumps(manifest, indent=2, allow_nan=False)
    atomic_write(path, lambda tmp: tmp.write_text(text + "\n"))
    return manifest["checksums"]


def verify_run_dir(directory: str | os.PathLike, *, option: str = "search.reduction_dir",
                   names: Sequence[str] = CHECKED_FILES) -> Path:
    """Check that ``directory`` is a ``reduce.py`` run directory whose files are intact.

    Every file of ``names`` must exist, read as a table (:func:`read_run_csv`) and, where
    the manifest records checksums, have the recorded size and SHA-256. A directory
    without a manifest (or a manifest without checksums) is read with a
    :class:`RunDirWarning`.

    Parameters
    ----------
    directory : path
    option : str
        The option that named the directory (in messages).
    names : sequence of str
        Its files to verify.

    Returns
    -------
    Path
        ``directory``.

    Raises
    ------
    FileNotFoundError
        The directory or one of its files does not exist.
    NotADirectoryError
        ``directory`` is a file.
    ValueError
        A file that differs from what the manifest records, or that no run writes; an
        unreadable manifest. The message names the file.
    """
    directory = Path(directory)
    if not directory.exists():
        raise FileNotFoundError(f"{option}={directory} does not exist (give the output directory of a reduce.py run)")
    if not directory.is_dir():
        raise NotADirectoryError(f"{option}={directory} is a file, not a reduce.py run directory")
    for name in names:
        if not (directory / name).is_file():
            raise FileNotFoundError(f"{option}={directory} has no {name} (is it a reduce.py run directory?)")
    recorded = _recorded_checksums(directory)
    for name in names:
        if name in recorded:  # the bytes reduce.py wrote: a table it wrote
            _check_digest(directory / name, recorded[name])
        else:
            read_run_csv(directory / name)
    return directory


def read_run_csv(path: str | os.PathLike, columns: Sequence[str] = ("arch",)) -> pd.DataFrame:
    """A CSV file of a run directory, refused (naming it) unless it is a table a run writes.

    Parameters
    ----------
    path : path
    columns : sequence of str
        Columns it must have; the first holds the architecture ids, never empty.

    Raises
    ------
    ValueError
        An empty, binary or unparsable file, one cut mid-row (a run ends every file with a
        newline), one with a header but no rows, without ``columns`` or with an empty id.
    """
    path = Path(path)
    data = path.read_bytes()
    if not data.strip():
        raise ValueError(f"{path} is empty ({len(data)} bytes): rerun reduce.py to write it")
    if b"\0" in data:
        raise ValueError(f"{path} is binary, not a CSV table: rerun reduce.py to write it")
    if not data.endswith(b"\n"):
        raise ValueError(f"{path} does not end with a newline: it was cut mid-row; rerun reduce.py to write it")
    try:
        frame = pd.read_csv(path)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"{path} cannot be read as a CSV table ({type(error).__name__}: "
                         f"{' '.join(str(error).split())})") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{path} lacks the column(s) {missing} (columns: {list(frame.columns)})")
    if frame.empty:
        raise ValueError(f"{path} has a header but no rows: a run selects at least one architecture")
    blank = frame.index[frame[columns[0]].isna()]
    if len(blank):
        raise ValueError(f"{path}, row {blank[0]}: no architecture id in column {columns[0]!r}")
    return frame


def _recorded_checksums(directory: Path) -> dict:
    """The checksums ``manifest.json`` records, by file name; ``{}`` (with a warning) when none."""
    path = directory / MANIFEST
    if not path.is_file():
        warn(f"{directory} has no {MANIFEST}: its files cannot be verified (reduce.py writes one)", RunDirWarning)
        return {}
    try:
        manifest = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}); rerun reduce.py to write it") from None
    recorded = manifest.get("checksums") if isinstance(manifest, dict) else None
    if not isinstance(recorded, dict):
        warn(f"{path} records no checksums (a run of an older cbred): its files cannot be verified", RunDirWarning)
        return {}
    return recorded


def _check_digest(path: Path, recorded: dict) -> None:
    """``ValueError`` naming ``path`` when its size or SHA-256 differs from ``recorded``."""
    actual = file_digest(path)
    size = recorded.get("size")
    if actual["size"] != size:
        shown = f"{size:,}" if isinstance(size, int) else repr(size)
        raise ValueError(f"{path} has {actual['size']:,} bytes, but {MANIFEST} records {shown}: "
                         "the file was cut or changed after reduce.py wrote it; rerun reduce.py")
    if actual["sha256"] != recorded.get("sha256"):
        raise ValueError(f"{path} does not match the SHA-256 {MANIFEST} records: the file was changed after "
                         "reduce.py wrote it; rerun reduce.py")
