"""The selected sub-space in formats other tools read, and a JSON manifest of the run.

Every export lists the selection in selection order (:meth:`cbred.pipeline.Reduction.ranking`):
``rank`` (1 = selected first) and ``score`` (the selection score, higher is better) follow
the id, so that the first ``n`` rows are the selection of ``n`` architectures.

* NAS-Bench-201: one row per selected cell, its official string (``arch``), ``rank``,
  ``score``, ``tf_rank`` and its NATS-Bench topology index (``nats_bench_index``: the cell's row in the benchmark's own
  order, the order of the NATS-Bench / NAS-Bench-201 tables; cbred's space enumerates cells
  in another order, so the index is read from such a table, by default the reference
  ``nb201_cifar10.csv``). File ``selected_nb201.csv``.
* NAS-Bench-101: one JSON line per selected cell, its official module hash, ``rank``,
  ``score`` and its spec as NASLib writes it: ``{"hash": ..., "rank": 1, "score": ...,
  "matrix": [[0, 1, ...], ...], "ops": ["input", "conv3x3-bn-relu", ..., "output"]}``
  (pruned matrix, row = source). File ``selected_nb101.jsonl``.
* Any other (declared) space: one row per selected cell, its id (the space's own exchange
  format: a cell string, a DARTS genotype string), ``rank``, ``score`` and ``tf_rank``. File
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
from cbred.paths import output_directory

MANIFEST = "manifest.json"


class ExportWarning(UserWarning):
    """Something an export could not write (the NATS-Bench index without an order table)."""

#: The reference table whose row order is the NATS-Bench topology order.
NATS_BENCH_ORDER = "nb201_cifar10.csv"
#: Cells of NAS-Bench-201: the rows of every table in the NATS-Bench order.
NB201_CELLS = 15_625


def nats_bench_indices(archs, order_table: str | os.PathLike | pd.DataFrame | None = None, *,
                       n_cells: int | None = None) -> pd.Series:
    """NATS-Bench topology index of NB201 cells: their row in a table in the official order.

    Parameters
    ----------
    archs : sequence of str
        Official cell strings.
    order_table : path or DataFrame, optional
        A table of all 15,625 cells in the benchmark's order, with an ``arch`` column
        (e.g. NAS-Bench-201's / NATS-Bench's accuracy or HW-NAS-Bench's table); default the
        reference ``nb201_cifar10.csv`` (:func:`cbred.paths.reference_file`).
    n_cells : int, optional
        Rows the table must have (:data:`NB201_CELLS`): a table of another length (a sample
        of the cells, another space) would give row numbers that are not NATS-Bench
        indices, and is refused.

    Returns
    -------
    Series of int
        Indexed by ``archs``.

    Raises
    ------
    FileNotFoundError
        No order table given and no reference data.
    ValueError
        The table (named in the message) lacks an ``arch`` column, has another number of
        rows than ``n_cells``, repeats a cell or misses one of ``archs``.
    """
    if order_table is None:
        from cbred.paths import reference_file

        order_table = reference_file(NATS_BENCH_ORDER)
    name = ("the NATS-Bench order table (a DataFrame)" if isinstance(order_table, pd.DataFrame)
            else f"NATS-Bench order table {order_table}")
    table = order_table if isinstance(order_table, pd.DataFrame) else _read_arch_column(order_table, name)
    if "arch" not in table.columns:
        raise ValueError(f"{name} has no 'arch' column (has {list(table.columns)[:8]}): the NATS-Bench order "
                         f"is read from a table of every NB201 cell string, e.g. {NATS_BENCH_ORDER}")
    if n_cells is not None and len(table) != n_cells:
        raise ValueError(f"{name} has {len(table):,} rows, not the {n_cells:,} cells of NB201: its row numbers "
                         f"are not NATS-Bench indices (give a table of every cell in the official order, e.g. "
                         f"{NATS_BENCH_ORDER})")
    order = pd.Series(np.arange(len(table)), index=pd.Index(table["arch"]))
    if not order.index.is_unique:
        raise ValueError(f"{name} lists some cells twice, e.g. {order.index[order.index.duplicated()][0]!r}")
    missing = pd.Index(archs).difference(order.index)
    if len(missing):
        raise ValueError(f"{len(missing)} cells are not in {name}, e.g. {missing[0]!r}: is it a table of "
                         "NB201 cells?")
    return order.reindex(archs).rename("nats_bench_index")


def _read_arch_column(path: str | os.PathLike, name: str) -> pd.DataFrame:
    """The ``arch`` column of a CSV table (all its columns when it has none, for the message)."""
    header = pd.read_csv(path, nrows=0).columns
    return pd.read_csv(path, usecols=["arch"]) if "arch" in header else pd.DataFrame(columns=header)


def _ranked(reduction) -> pd.DataFrame:
    """``rank``, ``score`` and ``tf_rank`` of the selection, in selection order (index ``arch``)."""
    ranking = reduction.ranking()
    return ranking.assign(tf_rank=reduction.tf_rank.reindex(ranking.index).to_numpy())


def _nb201_records(reduction, space, order_table) -> tuple[str, pd.DataFrame]:
    frame = _ranked(reduction)
    try:
        index = nats_bench_indices(frame.index, order_table, n_cells=NB201_CELLS).to_numpy()
    except FileNotFoundError as error:
        if order_table is not None:
            raise
        warnings.warn(f"nats_bench_index left empty: {error}", ExportWarning, stacklevel=3)
        index = pd.array([pd.NA] * len(frame), dtype="Int64")
    frame["nats_bench_index"] = index
    return "selected_nb201.csv", frame.reset_index()


def _nb101_records(reduction, space, order_table) -> tuple[str, pd.DataFrame]:
    ranking = reduction.ranking()
    rows = []
    for arch, (rank, score) in zip(ranking.index, ranking[["rank", "score"]].itertuples(index=False)):
        spec = space.spec(arch)
        rows.append({"hash": arch, "rank": int(rank), "score": float(score),
                     "matrix": np.asarray(spec.matrix, dtype=int).tolist(), "ops": list(spec.ops)})
    return "selected_nb101.jsonl", pd.DataFrame(rows, columns=["hash", "rank", "score", "matrix", "ops"])


def _id_records(reduction, space, order_table) -> tuple[str, pd.DataFrame]:
    return f"selected_{space.name}.csv", _ranked(reduction).reset_index()


#: How the selection of a benchmark space is written: ``records(reduction, space, order_table) -> (file name, rows)``;
#: any other space writes its ids (:func:`_id_records`).
EXPORTERS: dict[str, Callable] = {"nb201": _nb201_records, "nb101": _nb101_records}


def selected_records(reduction, space, *, order_table=None) -> tuple[str, pd.DataFrame]:
    """File name and rows of the selected sub-space in the space's exchange format, in
    selection order (``rank`` 1 first)."""
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

    The selection is written in selection order: ``rank`` (1 = selected first) and
    ``score`` columns, so that the first ``n`` rows are the selection of ``n``
    architectures (:meth:`cbred.pipeline.Reduction.ranking`).

    Parameters
    ----------
    reduction : Reduction
        The result of :func:`cbred.reduce` / :func:`cbred.pipeline.reduce_space`.
    space : SearchSpace
        The reduced space, an instance (NB101 specs come from it), e.g. ``NB201Space()``.
    directory : path
        Created if needed; a path to a file is refused.
    config : DictConfig or mapping, optional
        The run's config, copied into the manifest (resolved where it can be).
    order_table : path or DataFrame, optional
        NB201 only: the table of the official order (:func:`nats_bench_indices`).

    Returns
    -------
    dict
        ``{"selection": path, "manifest": path}``.

    Raises
    ------
    TypeError
        ``reduction`` is not a Reduction, or ``space`` not a SearchSpace instance.
    ValueError
        ``space`` is not the space of ``reduction``; an order table of another space.
    NotADirectoryError
        ``directory`` (or a folder above it) is a file.
    """
    _check_arguments(reduction, space, directory, order_table)
    directory = output_directory(directory, what="export_selection: directory")
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


#: What export_selection reads of a reduction (duck-typed, so that a stand-in can be exported).
REDUCTION_ATTRIBUTES = ("space", "selected", "ranking", "tf_rank", "metrics")


def _check_arguments(reduction, space, directory, order_table) -> None:
    """``TypeError`` / ``ValueError`` naming the argument of :func:`export_selection` that is wrong."""
    from cbred.spaces.space import SearchSpace

    missing = [name for name in REDUCTION_ATTRIBUTES if not hasattr(reduction, name)]
    if missing:
        raise TypeError(f"export_selection: reduction must be a Reduction (the result of cbred.reduce or "
                        f"cbred.pipeline.reduce_space), got {_describe(reduction)}")
    if not isinstance(space, SearchSpace):
        raise TypeError(f"export_selection: space must be a SearchSpace instance (the reduced space, e.g. "
                        f"cbred.spaces.nb201.NB201Space()), got {_describe(space)}")
    if space.name != reduction.space:
        raise ValueError(f"export_selection: space is {space.name!r} but the reduction is of {reduction.space!r}; "
                         "give the space that was reduced")
    if not isinstance(directory, (str, os.PathLike)):
        raise TypeError(f"export_selection: directory must be a path, got {_describe(directory)}")
    if order_table is not None and not isinstance(order_table, (str, os.PathLike, pd.DataFrame)):
        raise TypeError(f"export_selection: order_table must be a path or a DataFrame, got {_describe(order_table)}")


def _describe(value) -> str:
    """A value as an error message names it: its type, and the value itself when short."""
    text = repr(value)
    return f"{type(value).__name__} {text}" if len(text) <= 40 else type(value).__name__
