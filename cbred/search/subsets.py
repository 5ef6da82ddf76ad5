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
from cbred.rundir import read_run_csv
from cbred.selection.budget import budget_cells

#: Names of the sub-spaces a search reports, and the name of each in a reduction.
SUBSET_NAMES = {"full": "full", "reduced": "selected", "quantiled": "quantiled", "random": "random"}


def _actively_sampled(run_dir: Path) -> bool:
    """Whether the run measured its TF statistics by active sampling (its ``config.yaml``):
    then Quantiled takes as many of the best measured cells as were selected, not their share."""
    from omegaconf import OmegaConf

    from cbred.sampling.from_config import samples_uniformly

    path = run_dir / "config.yaml"
    return path.exists() and not samples_uniformly(OmegaConf.load(path))


def random_subset(archs: pd.Index, size: int, *, random_state=None) -> pd.Index:
    """``size`` ids of ``archs`` drawn uniformly without replacement (in ``archs``' order)."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= len(archs):
        raise ValueError(f"random_subset: size must be an int in [1, {len(archs)}], got {size!r}")
    rng = np.random.default_rng(random_state)
    return archs[np.sort(rng.choice(len(archs), size, replace=False))]


def subset_size(size: int | float | None, *, n_full: int, n_selected: int | None,
                option: str = "search.subset_size") -> int:
    """The size of a baseline sub-space: ``None`` = the selection's, else a budget of the
    full space (:func:`cbred.selection.budget.budget_cells`: a fraction in (0, 1) or a
    number of architectures; ``option`` names it in messages)."""
    if size is None:
        if n_selected is None:
            raise ValueError(f"{option}=null means the size of the reduced sub-space, but there is no reduction "
                             "(give a size, e.g. 0.01 or 150)")
        return n_selected
    return budget_cells(size, n_full, option=option)


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

    The files' integrity (against ``manifest.json``) is :func:`cbred.rundir.verify_run_dir`'s
    business, called before anything is loaded.

    Raises
    ------
    FileNotFoundError
        Naming the missing directory or file.
    ValueError
        When a file is not a table a run writes (:func:`cbred.rundir.read_run_csv`),
        ``clusters.csv`` lacks ``arch`` or ``tf_rank``, or a selected id is not in it.
    """
    run_dir = Path(run_dir)
    files = {name: run_dir / f"{name}.csv" for name in ("clusters", "selected")}
    for name, path in files.items():
        if not path.exists():
            raise FileNotFoundError(f"reduction run directory {run_dir} has no {path.name} (is it a reduce.py run?)")
    clusters = read_run_csv(files["clusters"], columns=("arch", "tf_rank")).set_index("arch")
    selected = pd.Index(read_run_csv(files["selected"])["arch"], name="arch")
    unknown = selected.difference(clusters.index)
    if len(unknown):
        raise ValueError(f"{files['selected']}: {len(unknown)} selected id(s) not in clusters.csv, e.g. {unknown[:3].tolist()}")
    full = pd.Index(clusters.index, name="arch")
    return {
        "full": full,
        "reduced": selected,
        "quantiled": quantiled(clusters["tf_rank"], len(selected),
                               uniform_sample=not _actively_sampled(run_dir)).rename("arch"),
        "random": random_subset(full, len(selected), random_state=random_state),
    }
