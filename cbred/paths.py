"""Where cbred finds reference data and keeps its caches.

Both locations can be overridden by environment variables, so that tests and CI can
point them at temporary directories:

``CBRED_DATA``
    Directory of the public reference data (default: ``../shared/data`` next to the
    project root).
``CBRED_CACHE``
    Directory of cbred's own caches (default: ``~/.cache/cbred``).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESOURCES = Path(__file__).resolve().parent / "resources"


def reference_data_dir() -> Path:
    """Directory of the read-only reference benchmark data (may not exist)."""
    env = os.environ.get("CBRED_DATA")
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"


def reference_file(name: str) -> Path:
    """Path of one reference data file; raises ``FileNotFoundError`` naming it if absent."""
    path = reference_data_dir() / name
    if not path.exists():
        raise FileNotFoundError(
            f"reference data file {name!r} not found in {path.parent} "
            "(set CBRED_DATA to the directory that holds it)"
        )
    return path


def cache_dir() -> Path:
    """Directory of cbred's caches, created on first use."""
    env = os.environ.get("CBRED_CACHE")
    path = Path(env) if env else Path.home() / ".cache" / "cbred"
    path.mkdir(parents=True, exist_ok=True)
    return path


def output_directory(path: str | os.PathLike, *, what: str = "output directory") -> Path:
    """``path`` as a directory to write into, created (with its parents) if needed.

    Checked once, before anything is drawn or written, so that an impossible path is one
    error naming it rather than a failure per file.

    Parameters
    ----------
    path : path-like
    what : str
        What the path is, for the message (e.g. ``"export_selection: directory"``).

    Raises
    ------
    NotADirectoryError
        ``path``, or a folder above it, is a file.
    PermissionError, FileNotFoundError, OSError
        The directory cannot be created there (the message names ``path``).
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{what} {path} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a folder above it is a file
        blocker = next((parent for parent in path.parents if parent.exists() and not parent.is_dir()), path)
        raise NotADirectoryError(f"{what} {path} cannot be created: {blocker} is a file, not a directory") from None
    except OSError as error:  # read-only or virtual file systems, permissions
        raise type(error)(f"{what} {path} cannot be created: {error.strerror or error}") from None
    return path


def register_config_resolvers() -> None:
    """``${reference_file:NAME}`` (reference data), ``${resource_file:NAME}`` and
    ``${space_config:NAME}`` (the declaration ``configs/space/NAME.yaml``) in Hydra configs."""
    from omegaconf import OmegaConf

    OmegaConf.register_new_resolver("reference_file", lambda name: str(reference_file(name)), replace=True)
    # ``${resource_file:NAME}``: a file the project generated and ships (cbred/resources)
    OmegaConf.register_new_resolver("resource_file", lambda name: str(RESOURCES / name), replace=True)
    # one declaration per space, shared by reduce.py and the TF runner
    OmegaConf.register_new_resolver(
        "space_config", lambda name: OmegaConf.load(PROJECT_ROOT / "configs" / "space" / f"{name}.yaml"), replace=True)
