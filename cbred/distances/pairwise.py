"""The pairwise engine: full float32 distance matrices in memory-bounded blocks, cached.

:func:`pairwise_distances` is what :meth:`cbred.distances.base.Distance.pairwise` runs:

1. checks the input (non-empty, one vocabulary);
2. looks the matrix up in the disk cache, keyed by the distance's
   :meth:`~cbred.distances.base.Distance.cache_config`, the vocabulary, a digest of the
   ids and arrays of the graphs and the code version; the entry is verified against its
   sidecar (:func:`cbred.cache.load_array`: key inputs, shape, checksum), and an unusable
   one is reported, deleted and recomputed;
3. computes the representation of every graph once (:meth:`Distance.features`) and
   keeps only the distinct rows (equal rows are at distance 0; NB201's 15,625 cells have
   210 distinct operation histograms, for example);
4. cuts the distinct rows into square blocks whose working memory stays under
   ``memory_mb`` and runs :meth:`Distance.block` on each, on the torch device (only the
   upper triangle for a symmetric distance of a set with itself), optionally in worker
   processes;
5. expands the distinct-row matrix back to all graphs and writes it to the cache
   atomically.

:func:`pair_distances` is the same engine for a list of pairs instead of a matrix (the
training targets of the learned metric): one cache, one process pool, resumable by chunks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from tqdm.auto import tqdm

from cbred.cache import config_key, load_array, save_array, source_digest
from cbred.device import resolve_device
from cbred.graph import GraphBatch
from cbred.paths import cache_dir

if TYPE_CHECKING:
    from cbred.distances.base import Distance

log = logging.getLogger(__name__)

#: Progress bars appear (with ``progress=None``) from this many blocks on.
PROGRESS_MIN_BLOCKS = 8
#: Below this many pairs, worker processes cost more than they save.
PARALLEL_MIN_PAIRS = 200_000


def check_batches(graphs: GraphBatch, other: GraphBatch | None = None) -> None:
    """Reject empty input and graphs of different spaces, naming the culprit."""
    for label, batch in (("graphs", graphs), ("other", other)):
        if batch is None and label == "other":
            continue
        if not isinstance(batch, GraphBatch):
            raise TypeError(f"{label} must be a GraphBatch, got {type(batch).__name__}")
        if len(batch) == 0:
            raise ValueError(f"{label} is empty: need at least one graph")
    if other is not None and other.vocab != graphs.vocab:
        raise ValueError(
            "graphs from different spaces in one call: vocabularies "
            f"{graphs.vocab} and {other.vocab}"
        )


def concat_batches(first: GraphBatch, second: GraphBatch) -> GraphBatch:
    """One batch of the graphs of two batches of one space (padded to the wider one)."""
    check_batches(first, second)
    width = max(first.ops.shape[1], second.ops.shape[1])

    def pad(batch: GraphBatch) -> tuple[np.ndarray, np.ndarray]:
        extra = width - batch.ops.shape[1]
        ops = np.pad(batch.ops, ((0, 0), (0, extra)), constant_values=-1)
        return ops, np.pad(batch.adjacency, ((0, 0), (0, extra), (0, extra)))

    (ops_a, adj_a), (ops_b, adj_b) = pad(first), pad(second)
    ids = None
    if first.ids is not None and second.ids is not None:
        ids = first.ids + second.ids
    return GraphBatch(
        np.concatenate([ops_a, ops_b]), np.concatenate([adj_a, adj_b]), first.vocab, ids
    )


def batch_digest(batch: GraphBatch) -> str:
    """Hash of a batch's ids and arrays: the identity of its graphs in a cache key."""
    digest = hashlib.sha256()
    digest.update(json.dumps(batch.ids).encode())
    digest.update(np.ascontiguousarray(batch.ops).tobytes())
    digest.update(np.ascontiguousarray(batch.adjacency).tobytes())
    return digest.hexdigest()


def cache_key(
    distance: Distance, graphs: GraphBatch, other: GraphBatch | None, config: dict | None = None
) -> dict:
    """Inputs of the cached matrix of ``distance`` between ``graphs`` and ``other``.

    The distance's configuration, the vocabulary, digests of the graphs and the code
    version of :mod:`cbred.distances` and :mod:`cbred.graph` (an edited feature map or
    cost model makes a new entry). ``config``: ``distance.cache_config()`` when the
    caller has it (it may hash a file).
    """
    return {
        "distance": distance.cache_config() if config is None else config,
        "vocab": list(graphs.vocab),
        "graphs": batch_digest(graphs),
        "other": None if other is None else batch_digest(other),
        "code": source_digest("cbred.distances", "cbred.graph"),
    }


def cache_path(
    distance: Distance, graphs: GraphBatch, other: GraphBatch | None, config: dict | None = None
) -> Path:
    """File of the cached matrix of ``distance`` between ``graphs`` and ``other``."""
    return _matrix_path(distance, cache_key(distance, graphs, other, config))


def _matrix_path(distance: Distance, key: dict) -> Path:
    return cache_dir() / "distances" / f"{distance.name}-{config_key(key)}.npy"


def pairwise_distances(
    distance: Distance,
    graphs: GraphBatch,
    other: GraphBatch | None = None,
    *,
    memory_mb: float = 1024.0,
    device: str | torch.device = "auto",
    cache: bool = True,
    progress: bool | None = None,
    n_jobs: int = 1,
) -> np.ndarray:
    """Float32 matrix of ``distance`` between ``graphs`` and ``other`` (default: ``graphs``).

    Parameters
    ----------
    distance : Distance
    graphs, other : GraphBatch
        ``n`` and ``m`` graphs of one space.
    memory_mb : float
        Bound on the working memory of one block (see :meth:`Distance.block_bytes`).
    device : str or torch.device
        ``"auto"``: CUDA when present, else CPU.
    cache : bool
        Read and write the disk cache.
    progress : bool or None
        Progress bar over blocks (``None``: when there are many blocks).
    n_jobs : int
        Worker processes (CPU only; ``-1``: all cores).

    Returns
    -------
    ndarray of float32, shape (n, m)
    """
    check_batches(graphs, other)
    key = cache_key(distance, graphs, other) if cache else None
    path = _matrix_path(distance, key) if cache else None
    shape = (len(graphs), len(graphs) if other is None else len(other))
    if path is not None:
        cached = load_array(path, key, shape)  # None: a miss, or a reported bad entry
        if cached is not None:
            log.info("loading %s distances from %s", distance.name, path)
            return cached

    union = graphs if other is None else concat_batches(graphs, other)
    features = np.asarray(distance.features(union))
    if features.ndim == 1:
        features = features[:, None]
    if features.shape[0] != len(union):
        raise ValueError(
            f"{type(distance).__name__}.features returned {features.shape[0]} rows "
            f"for {len(union)} graphs"
        )
    x = features[: len(graphs)]
    y = None if other is None else features[len(graphs) :]
    result = matrix_from_features(
        distance,
        x,
        y,
        memory_mb=memory_mb,
        device=resolve_device(device),
        progress=progress,
        n_jobs=n_jobs,
    )
    if path is not None:
        save_array(result, path, key)
        log.info("cached %s distances in %s", distance.name, path)
    return result


def matrix_from_features(
    distance: Distance,
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    memory_mb: float = 1024.0,
    device: torch.device | None = None,
    progress: bool | None = None,
    n_jobs: int = 1,
) -> np.ndarray:
    """Distances between feature rows (steps 3-5 of the module docstring, without cache).

    Shapes
    ------
    x : (n, F), y : (m, F) or None -> (n, m) float32 (n x n when y is None)
    """
    device = device if device is not None else resolve_device("auto")
    same = y is None
    ux, inv_x = _distinct_rows(x)
    uy, inv_y = (ux, inv_x) if same else _distinct_rows(y)
    mirror = same and distance.symmetric

    side = _block_side(distance.block_bytes(ux.shape[1]), memory_mb)
    tasks = list(_blocks(len(ux), len(uy), side, upper_only=mirror))
    show = progress if progress is not None else len(tasks) >= PROGRESS_MIN_BLOCKS
    workers = _worker_count(n_jobs, device, len(ux) * len(uy) // (2 if mirror else 1))

    distinct = np.empty((len(ux), len(uy)), dtype=np.float32)
    bar = tqdm(total=len(tasks), desc=f"{distance.name} distances", unit="block", disable=not show)
    for (rows, cols), block in zip(tasks, _run_blocks(distance, ux, uy, tasks, device, workers)):
        distinct[rows, cols] = block
        if mirror and rows != cols:
            distinct[cols, rows] = block.T
        bar.update()
    bar.close()
    if same:
        np.fill_diagonal(distinct, 0.0)
    if _is_identity(inv_x) and _is_identity(inv_y):  # all rows distinct and sorted
        return distinct
    return _expand(distinct, inv_x, inv_y)


def _distinct_rows(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    distinct, inverse = np.unique(features, axis=0, return_inverse=True)
    return np.ascontiguousarray(distinct), inverse.reshape(-1)


def _is_identity(index: np.ndarray) -> bool:
    return bool(np.array_equal(index, np.arange(len(index))))


def _expand(distinct: np.ndarray, inv_x: np.ndarray, inv_y: np.ndarray) -> np.ndarray:
    # torch's index_select is multi-threaded; numpy's take is not.
    table = torch.from_numpy(distinct)
    rows = torch.index_select(table, 0, torch.from_numpy(inv_x.astype(np.int64)))
    return torch.index_select(rows, 1, torch.from_numpy(inv_y.astype(np.int64))).numpy()


def _block_side(pair_bytes: int, memory_mb: float) -> int:
    """Side of a square block whose working memory stays under ``memory_mb``."""
    return max(1, math.isqrt(int(memory_mb * 2**20) // max(int(pair_bytes), 1)))


def _blocks(n: int, m: int, side: int, upper_only: bool) -> Iterator[tuple[slice, slice]]:
    for i in range(0, n, side):
        for j in range(i if upper_only else 0, m, side):
            yield slice(i, min(i + side, n)), slice(j, min(j + side, m))


def _cores(n_jobs: int) -> int:
    """Worker processes ``n_jobs`` asks for (``-1``: every core)."""
    return (os.cpu_count() or 1) if n_jobs == -1 else max(1, n_jobs)


def _worker_count(n_jobs: int, device: torch.device, n_pairs: int) -> int:
    if device.type != "cpu" or n_pairs < PARALLEL_MIN_PAIRS:
        return 1
    return _cores(n_jobs)


def _run_blocks(
    distance: Distance,
    ux: np.ndarray,
    uy: np.ndarray,
    tasks: list[tuple[slice, slice]],
    device: torch.device,
    workers: int,
) -> Iterator[np.ndarray]:
    """Blocks in task order, in this process or in ``workers`` spawned processes."""
    if workers == 1:
        x, y = torch.from_numpy(ux).to(device), torch.from_numpy(uy).to(device)
        for rows, cols in tasks:
            yield _to_numpy(distance.block(x[rows], y[cols]))
        return
    with process_pool(workers) as pool:
        jobs = (pool.submit(_block_job, distance, ux[rows], uy[cols]) for rows, cols in tasks)
        # keep at most 2 * workers blocks in flight so that memory stays bounded
        pending = [next(jobs) for _ in range(min(len(tasks), 2 * workers))]
        for _ in tasks:
            future = pending.pop(0)
            following = next(jobs, None)
            if following is not None:
                pending.append(following)
            yield future.result()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` processes for distance computations, one torch thread each.

    Started by fork where there is one (as torch's DataLoader workers are: no importable
    ``__main__`` needed), by spawn elsewhere.
    """
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(workers, mp_context=get_context(method), initializer=_one_thread)


def _one_thread() -> None:
    torch.set_num_threads(1)  # the processes already use the cores


def _block_job(distance: Distance, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _to_numpy(distance.block(torch.from_numpy(x), torch.from_numpy(y)))


def _to_numpy(block: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(block, torch.Tensor):
        block = block.detach().cpu().numpy()
    return np.asarray(block, dtype=np.float32)


# -- distances of given pairs (training targets of the learned metric) -------------------
def pair_distances(
    distance: Distance,
    graphs: GraphBatch,
    pairs: np.ndarray,
    *,
    n_jobs: int = 1,
    chunk_size: int = 256,
    cache: bool = True,
    progress: bool = True,
    desc: str = "pair distances",
) -> np.ndarray:
    """``distance`` between ``graphs[i]`` and ``graphs[j]`` for every pair ``(i, j)``.

    Resumable: with ``cache=True`` every finished chunk of pairs is written to
    ``cache_dir()/pair_distances/<key>/`` at once, a rerun after an interruption computes
    only the missing chunks, and the complete result is kept as one file keyed by the
    distance's parameters, the graphs, the pairs and the code version. Every file is
    verified against its sidecar (:func:`cbred.cache.load_array`); an unusable one is
    reported, deleted and recomputed.

    Parameters
    ----------
    distance : Distance
        Any distance (its :meth:`~cbred.distances.base.Distance.block` is called on one
        graph against the graphs it is paired with).
    graphs : GraphBatch
    pairs : array of int, shape (P, 2)
        Positions into ``graphs``.
    n_jobs : int, default=1
        Worker processes (``-1``: all cores).
    chunk_size : int, default=256
        Pairs per task and per cache file.
    cache, progress : bool
    desc : str
        Label of the progress bar.

    Returns
    -------
    ndarray of float64, shape (P,)
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if len(pairs) and (pairs.min() < 0 or pairs.max() >= len(graphs)):
        raise ValueError(f"pair positions must be in 0..{len(graphs) - 1}")
    from cbred.distances.base import check_n_jobs  # base imports this engine

    check_n_jobs(n_jobs, "pair_distances")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
    key = {
        "distance": distance.cache_config(),
        "graphs": batch_digest(graphs),
        "pairs": hashlib.sha256(pairs.tobytes()).hexdigest(),
        "chunk_size": chunk_size,
        "code": source_digest("cbred.distances", "cbred.graph"),
    }
    folder = cache_dir() / "pair_distances" / f"{distance.name}-{config_key(key)}"
    complete = folder.with_suffix(".npy")
    starts = range(0, len(pairs), chunk_size)
    if cache:  # verified entries only: a bad one is reported, deleted and recomputed
        cached = load_array(complete, key, (len(pairs),))
        if cached is not None:
            return cached
    features = np.asarray(distance.features(graphs))
    results: dict[int, np.ndarray] = {}
    if cache:  # chunks an interrupted run finished
        for chunk in range(len(starts)):
            size = min(chunk_size, len(pairs) - starts[chunk])
            part = load_array(folder / f"{chunk:06d}.npy", {**key, "chunk": chunk}, (size,))
            if part is not None:
                results[chunk] = part
    done = sum(len(v) for v in results.values())
    bar = tqdm(total=len(pairs), initial=done, desc=desc, unit="pair", disable=not progress)
    chunks = {c: pairs[starts[c] : starts[c] + chunk_size] for c in range(len(starts)) if c not in results}
    tasks = {c: (features[chunk[:, 0]], features[chunk[:, 1]]) for c, chunk in chunks.items()}
    for chunk, values in _run_pair_tasks(distance, tasks, _workers(n_jobs, len(tasks))):
        results[chunk] = values
        if cache:
            save_array(values, folder / f"{chunk:06d}.npy", {**key, "chunk": chunk})
        bar.update(len(values))
    bar.close()
    out = np.concatenate([results[c] for c in range(len(starts))]) if len(pairs) else np.zeros(0)
    if cache:
        save_array(out, complete, key)
        shutil.rmtree(folder, ignore_errors=True)
    return out


def _workers(n_jobs: int, n_tasks: int) -> int:
    return max(1, min(_cores(n_jobs), n_tasks))


def _run_pair_tasks(distance: Distance, tasks: Mapping[int, tuple], workers: int):
    """``(chunk, values)`` for every task, in completion order."""
    if workers == 1:
        for chunk, (first, second) in tasks.items():
            yield chunk, _pair_values(distance, first, second)
        return
    with process_pool(workers) as pool:
        futures = {
            pool.submit(_pair_values, distance, first, second): chunk
            for chunk, (first, second) in tasks.items()
        }
        for future in as_completed(futures):
            yield futures[future], future.result()


def _pair_values(distance: Distance, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Distances of row pairs, one :meth:`Distance.block` per distinct first row."""
    keys, inverse = np.unique(first, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    out = np.empty(len(first), dtype=np.float64)
    for k in range(len(keys)):
        chosen = np.flatnonzero(inverse == k)
        block = distance.block(torch.from_numpy(keys[k : k + 1]), torch.from_numpy(second[chosen]))
        out[chosen] = np.asarray(torch.as_tensor(block).detach().cpu(), dtype=np.float64).ravel()
    return out
