"""The selected sub-space in formats other tools read, and a JSON manifest of the run.

* NAS-Bench-201: one row per selected cell, its official string (``arch``) and its
  NATS-Bench topology index (``nats_bench_index``: the cell's row in the benchmark's own
  order, the order of the NATS-Bench / NAS-Bench-201 tables; cbred's space enumerates cells
  in another order, so the index is read from such a table, by default the reference
  ``nb201_cifar10.csv``). File ``selected_nb201.csv``.
* NAS-Bench-101: one JSON line per selected cell, its official module hash and its spec as
  NASLib writes it: ``{"hash": ..., "matrix": [[0, 1, ...], ...], "ops": ["input",
  "conv3x3-bn-relu", ..., "output"]}`` (pruned matrix, row = source). File
  ``selected_nb101.jsonl``.
* Any other (declared) space: one row per selected cell, its id (the space's own exchange
  format: a cell string, a DARTS genotype string), ``tf_rank`` and ``selection_score``. File
  ``selected_<space>.csv``.
* ``manifest.json``: the space, the procedure and its parameters, the budget, the sizes,
  the metrics, the files and the config of the run.

Usage::

    from cbred.export import export_selection
    export_selection(reduction, space, "outputs/my_run", config=cfg)
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from cbred.cache import json_safe, atomic_write

MANIFEST = "manifest.json"


class ExportWarning(UserWarning):
    """Something an export could not write (the NATS-Bench index without an order table)."""

#: The reference table whose row order is the NATS-Bench topology order.
NATS_BENCH_ORDER = "nb201_cifar10.csv"


def nats_bench_indices(archs, order_table: str | os.PathLike | pd.DataFrame | None = None) -> pd.Series:
    """NATS-Bench topology index of NB201 cells: their row in a table in the official order.

    Parameters
    ----------
    archs : sequence of str
        Official cell strings.
    order_table : path or DataFrame, optional
        A table of all 15,625 cells in the benchmark's order, with an ``arch`` column
        (e.g. NAS-Bench-201's / NATS-Bench's accuracy or HW-NAS-Bench's table); default the
        reference ``nb201_cifar10.csv`` (:func:`cbred.paths.reference_file`).

    Returns
    -------
    Series of int
        Indexed by ``archs``.

    Raises
    ------
    FileNotFoundError
        No order table given and no reference data.
    ValueError
        The table lacks an ``arch`` column, repeats a cell or misses one of ``archs``.
    """
    if order_table is None:
        from cbred.paths import reference_file

        order_table = reference_file(NATS_BENCH_ORDER)
    table = order_table if isinstance(order_table, pd.DataFrame) else pd.read_csv(order_table, usecols=["arch"])
    if "arch" not in table.columns:
        raise ValueError(f"the NATS-Bench order table has no 'arch' column; has {list(table.columns)}")
    order = pd.Series(np.arange(len(table)), index=pd.Index(table["arch"]))
    if not order.index.is_unique:
        raise ValueError("the NATS-Bench order table lists some cells twice")
    missing = pd.Index(archs).difference(order.index)
    if len(missing):
        raise ValueError(f"{len(missing)} cells are not in the NATS-Bench order table, e.g. {missing[0]!r}")
    return order.reindex(archs).rename("nats_bench_index")


def _nb201_records(reduction, space, order_table) -> tuple[str, pd.DataFrame]:
    selected = pd.Index(reduction.selected, name="arch")
    try:
        index = nats_bench_indices(selected, order_table).to_numpy()
    except FileNotFoundError as error:
        if order_table is not None:
            raise
        warnings.warn(f"nats_bench_index left empty: {error}", ExportWarning, stacklevel=3)
        index = pd.array([pd.NA] * len(selected), dtype="Int64")
    frame = pd.DataFrame({"nats_bench_index": index}, index=selected)
    frame["tf_rank"] = reduction.tf_rank.reindex(selected).to_numpy()
    frame["selection_score"] = reduction.selection_score.reindex(selected).to_numpy()
    return "selected_nb201.csv", frame.reset_index()


def _nb101_records(reduction, space, order_table) -> tuple[str, pd.DataFrame]:
    rows = []
    for arch in reduction.selected:
        spec = space.spec(arch)
        rows.append({"hash": arch, "matrix": np.asarray(spec.matrix, dtype=int).tolist(), "ops": list(spec.ops)})
    return "selected_nb101.jsonl", pd.DataFrame(rows, columns=["hash", "matrix", "ops"])


def _id_records(reduction, space, order_table) -> tuple[str, pd.DataFrame]:
    selected = pd.Index(reduction.selected, name="arch")
    frame = pd.DataFrame({"tf_rank": reduction.tf_rank.reindex(selected).to_numpy(),
                          "selection_score": reduction.selection_score.reindex(selected).to_numpy()}, index=selected)
    return f"selected_{space.name}.csv", frame.reset_index()


#: How the selection of a benchmark space is written: ``records(reduction, space, order_table) -> (file name, rows)``;
#: any other space writes its ids (:func:`_id_records`).
EXPORTERS: dict[str, Callable] = {"nb201": _nb201_records, "nb101": _nb101_records}


def selected_records(reduction, space, *, order_table=None) -> tuple[str, pd.DataFrame]:
    """File name and rows of the selected sub-space in the space's exchange format."""
    return EXPORTERS.get(space.name, _id_records)(reduction, space, order_table)


def manifest(reduction, files: Mapping[str, str], config=None) -> dict:
    """The JSON manifest of a run: what was reduced, how, to what, and where it was written."""
    from cbred import __version__

    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if OmegaConf.is_config(config):
        try:
            config = OmegaConf.to_container(config, resolve=True)
        except (OmegaConfBaseException, ValueError):  # ${hydra:...} outside a Hydra app
            config = OmegaConf.to_container(config, resolve=False)
    return json_safe({
        "cbred_version": __version__,
        "space": reduction.space,
        "procedure": reduction.procedure,
        "params": reduction.best_params,
        "budget": reduction.budget,
        "n_archs": len(reduction.archs),
        "n_selected": len(reduction.selected),
        "excluded": reduction.excluded,
        "files": dict(files),
        "metrics": reduction.metrics(),
        "config": config,
    })


def export_selection(reduction, space, directory: str | os.PathLike, *, config=None,
                     order_table=None) -> dict[str, Path]:
    """Write the selected sub-space (see the module docstring) and ``manifest.json``.

    Parameters
    ----------
    reduction : Reduction
    space : SearchSpace
        The reduced space (NB101 specs come from it).
    directory : path
        Created if needed.
    config : DictConfig or mapping, optional
        The run's config, copied into the manifest (resolved where it can be).
    order_table : path or DataFrame, optional
        NB201 only: the table of the official order (:func:`nats_bench_indices`).

    Returns
    -------
    dict
        ``{"selection": path, "manifest": path}``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    name, records = selected_records(reduction, space, order_table=order_table)
    selection = directory / name
    if name.endswith(".jsonl"):
        atomic_write(selection, lambda tmp: records.to_json(tmp, orient="records", lines=True))
    else:
        atomic_write(selection, lambda tmp: records.to_csv(tmp, index=False))
    text = json.dumps(manifest(reduction, {"selection": name}, config), indent=2, allow_nan=False)
    path = directory / MANIFEST
    atomic_write(path, lambda tmp: tmp.write_text(text + "\n"))
    return {"selection": selection, "manifest": path}
