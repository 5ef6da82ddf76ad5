"""What the command lines do with a mistake in their input: one line, exit code 2, no debris.

The entry points (``reduce.py``, ``train.py``, ``search.py``) are pure ``run(cfg)``
functions under a thin ``@hydra.main``; :func:`run_cli` sits between the two::

    @hydra.main(version_base="1.3", config_path="configs", config_name="reduce")
    def main(cfg: DictConfig) -> None:
        run_cli(run, cfg)

A user-input error (:data:`USER_ERRORS`: a bad option value, a malformed table, a missing
file; cbred raises them with a message that names the culprit) becomes

- one line on stderr, ``error: <message>``, instead of Hydra's traceback;
- exit status 2 (as ``argparse`` for a bad command line);
- no partial result: the result files (:data:`RESULT_FILES`) this run wrote into its
  output directory before failing are removed, so that a directory that holds a
  ``metrics.json`` always holds a finished run.

Set ``HYDRA_FULL_ERROR=1`` (Hydra's own switch) to get the traceback instead.
Anything else (a bug) keeps its traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

#: Exceptions that cbred raises for bad user input (messages name the culprit).
USER_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    KeyError,
    TypeError,
    FileNotFoundError,
    NotADirectoryError,
    IsADirectoryError,
    PermissionError,
    OmegaConfBaseException,
)
#: Files of a finished run; removed when the run fails.
RESULT_FILES = ("metrics.json", "clusters.csv", "selected.csv", "config.yaml", "manifest.json",
                "selected_nb201.csv", "selected_nb101.jsonl", "search.csv", "anytime.png", "fidelity.csv", "fidelity.png", "tf_measured.parquet", "tf_sampling.csv")
#: Exit status of a run stopped by bad input.
USAGE_ERROR = 2

T = TypeVar("T")


def error_line(error: BaseException) -> str:
    """The one line the user sees: ``error: <message>`` (a KeyError's message unquoted)."""
    message = error.args[0] if isinstance(error, KeyError) and error.args else error
    text = " ".join(str(message).split())  # one line, whatever the message
    return f"error: {text or type(error).__name__}"


def result_files_state(directory: str | os.PathLike | None, names: Iterable[str] = RESULT_FILES) -> dict[str, tuple]:
    """``(mtime_ns, size, inode)`` of each result file present in ``directory``: what a failed
    run must leave as it was."""
    state = {}
    for name in names if directory is not None else ():
        try:
            info = (Path(directory) / name).stat()
        except (FileNotFoundError, NotADirectoryError):
            continue
        state[name] = (info.st_mtime_ns, info.st_size, info.st_ino)
    return state


def remove_partial_results(directory: str | os.PathLike, before: dict[str, tuple],
                           names: Iterable[str] = RESULT_FILES) -> list[Path]:
    """Delete the result files in ``directory`` that are new or changed since ``before``
    (:func:`result_files_state` taken when the run started).

    Files of an earlier, finished run in the same directory that this run did not touch are
    left alone, however recently they were written.
    """
    now = result_files_state(directory, names)
    removed = []
    for name, state in now.items():
        if before.get(name) != state:
            path = Path(directory) / name
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def run_cli(run: Callable[[DictConfig], T], cfg: DictConfig, *, output_key: str | None = "output_dir") -> T:
    """``run(cfg)``, with user-input errors reported as one line and exit status 2.

    Parameters
    ----------
    run : callable
        The entry point's pure ``run(cfg)``.
    cfg : DictConfig
        The composed config.
    output_key : str or None
        Key of ``cfg`` holding the run directory (partial results there are removed);
        ``None``: the entry point writes no result files before it is done.

    Raises
    ------
    SystemExit
        With status :data:`USAGE_ERROR` after a user-input error (other exceptions pass
        through unchanged, as do all with ``HYDRA_FULL_ERROR=1``).
    """
    output_dir = None if output_key is None else _output_dir(cfg, output_key)
    before = result_files_state(output_dir)
    try:
        return run(cfg)
    except USER_ERRORS as error:
        if output_dir is not None:
            remove_partial_results(output_dir, before)
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        print(error_line(error), file=sys.stderr)
        raise SystemExit(USAGE_ERROR) from None


def _output_dir(cfg: DictConfig, key: str) -> Any:
    try:
        return cfg.get(key)
    except OmegaConfBaseException:  # e.g. ${hydra:...} outside a Hydra app
        return None
