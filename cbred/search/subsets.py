"""The sub-spaces a search compares: full, C-BRED's selection (reduced), Quantiled, random.

From a ``reduce.py`` run directory (:func:`subsets_from_run_dir`), from a reduction
computed in the same process (:func:`subsets_from_reduction`), or, without any
reduction, a random subset of a given size (:func:`random_subset`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from cbred.pipeline import quantiled

#: Names of the sub-spaces a search reports, and the name of each in a reduction.
SUBSET_NAMES = {"full": "full", "reduced": "selected", "quantiled": "quantiled", "random": "random"}


def random_subset(archs: pd.Index, size: int, *, random_state=None) -> pd.Index:
    """``size`` ids of ``archs`` drawn uniformly without replacement (in ``archs``' order)."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= len(archs):
        raise ValueError(f"random_subset: size must be an int in [1, {len(archs)}], got {size!r}")
    rng = np.random.default_rng(random_state)
    return archs[np.sort(rng.choice(len(archs), size, replace=False))]


def subset_size(size: int | float | None, *, n_full: int, n_selected: int | None) -> int:
    """The size of a baseline sub-space: ``None`` = the selection's, an int, or a fraction of the full space."""
    if size is None:
        if n_selected is None:
            raise ValueError("subset size: null means the size of the reduced sub-space, but there is no reduction")
        return n_selected
    if isinstance(size, float) and 0 < size < 1:
        return max(1, round(size * n_full))
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool) and 1 <= size <= n_full:
        return int(size)
    raise ValueError(f"subset size must be null, an int in [1, {n_full}] or a fraction in (0, 1), got {size!r}")


def subsets_from_reduction(subsets: Mapping[str, pd.Index]) -> dict[str, pd.Index]:
    """A reduction's ``subsets`` (``full``, ``selected``, ...) under the search's names."""
    missing = [name for name in SUBSET_NAMES.values() if name not in subsets]
    if missing:
        raise KeyError(f"the reduction has no sub-space {missing} (it has {sorted(subsets)})")
    return {name: pd.Index(subsets[source], name="arch") for name, source in SUBSET_NAMES.items()}


def subsets_from_run_dir(run_dir: str | Path, *, random_state=None) -> dict[str, pd.Index]:
    """The sub-spaces of a ``reduce.py`` run directory.

    ``full`` = every architecture of ``clusters.csv``, ``reduced`` = ``selected.csv``,
    ``quantiled`` = the best ``tf_rank`` as the reduction took them
    (:func:`cbred.pipeline.quantiled`: as many as selected, or with a TF table of a sample
    the selection's share of the measured architectures; ties in file order), ``random`` =
    as many as selected, drawn uniformly with ``random_state``.

    Raises
    ------
    FileNotFoundError
        Naming the missing file.
    ValueError
        When ``clusters.csv`` lacks ``arch`` or ``tf_rank``, or a selected id is not in it.
    """
    run_dir = Path(run_dir)
    files = {name: run_dir / f"{name}.csv" for name in ("clusters", "selected")}
    for name, path in files.items():
        if not path.exists():
            raise FileNotFoundError(f"reduction run directory {run_dir} has no {path.name} (is it a reduce.py run?)")
    clusters = pd.read_csv(files["clusters"])
    missing = {"arch", "tf_rank"} - set(clusters.columns)
    if missing:
        raise ValueError(f"{files['clusters']} lacks the column(s) {sorted(missing)}")
    clusters = clusters.set_index("arch")
    selected = pd.Index(pd.read_csv(files["selected"], usecols=["arch"])["arch"], name="arch")
    unknown = selected.difference(clusters.index)
    if len(unknown):
        raise ValueError(f"{files['selected']}: {len(unknown)} selected id(s) not in clusters.csv, e.g. {unknown[:3].tolist()}")
    full = pd.Index(clusters.index, name="arch")
    return {
        "full": full,
        "reduced": selected,
        "quantiled": quantiled(clusters["tf_rank"], len(selected)).rename("arch"),
        "random": random_subset(full, len(selected), random_state=random_state),
    }
