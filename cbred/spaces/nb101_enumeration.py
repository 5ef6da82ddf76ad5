"""Enumeration of a declared node-DAG space: the whole NAS-Bench-101 space (423,624 unique cells).

Every function takes the declaration's :class:`~cbred.spaces.node_dag.DAGRules` (default:
NAS-Bench-101's), so any declared node-operation space of up to 7 vertices is enumerated
the same way.

Brute force would hash all ~510 million labelled matrices. Instead, for every vertex
count ``n = 2..7``:

1. all upper-triangular matrices are generated as bit masks and filtered, vectorised, to
   *full* DAGs (every vertex on an input-to-output path) with at most 9 edges;
2. every matrix is mapped to the smallest code among its relabellings by the ``(n-2)!``
   permutations of the interior vertices (input and output are fixed by their labels):
   equal codes = isomorphic unlabelled graphs. One representative per class is kept, with
   its automorphism group (the permutations that leave it unchanged);
3. for each representative, the ``3^(n-2)`` interior labellings are reduced to one per
   orbit of the automorphism group (two labellings of the same graph give isomorphic
   cells exactly when an automorphism maps one onto the other);
4. each surviving cell is hashed with the benchmark's module hash, in parallel.

Every cell of the space is isomorphic to exactly one output row, so the row count is the
number of isomorphism classes; hashing is then a check that the benchmark's hash
separates them (no collision) and provides the ids.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from cbred.cache import write_parquet
from cbred.cache import config_key
from cbred.graph import INPUT, OUTPUT
from cbred.paths import cache_dir
from cbred.spaces.canonical import refine
from cbred.spaces.nb101 import MAX_EDGES, RULES
from cbred.spaces.node_dag import DAGRules

#: Number of unique cells of NAS-Bench-101 (Ying et al., 2019).
N_CELLS = 423_624
DEFAULT_FILE = "nb101_cells.parquet"


def full_dags(n: int, max_edges: int = MAX_EDGES) -> tuple[np.ndarray, np.ndarray]:
    """Bit masks and matrices of all full DAGs with ``n`` vertices and ``<= max_edges`` edges.

    Returns
    -------
    masks : array of int64, shape (M,)
        Upper-triangle bit masks (:func:`cbred.spaces.nb101.encode_matrix` convention).
    matrices : array of bool, shape (M, n, n)
    """
    rows, cols = np.triu_indices(n, k=1)
    masks = np.arange(2 ** len(rows), dtype=np.int64)
    bits = ((masks[:, None] >> np.arange(len(rows))[None, :]) & 1).astype(bool)
    keep = bits.sum(axis=1) <= max_edges
    masks, bits = masks[keep], bits[keep]
    matrices = np.zeros((len(masks), n, n), dtype=bool)
    matrices[:, rows, cols] = bits
    # Full DAG: every vertex but the output has a successor, every vertex but the input a
    # predecessor; in a DAG this puts every vertex on an input-to-output path.
    full = matrices[:, :-1, :].any(axis=2).all(axis=1) & matrices[:, :, 1:].any(axis=1).all(axis=1)
    return masks[full], matrices[full]


def _interior_permutations(n: int) -> np.ndarray:
    """All vertex permutations that fix input (0) and output (n-1), shape ((n-2)!, n)."""
    inner = list(itertools.permutations(range(1, n - 1)))
    return np.array([(0, *p, n - 1) for p in inner], dtype=np.int64).reshape(-1, n)


def _codes_under(matrices: np.ndarray, perms: np.ndarray) -> np.ndarray:
    """``codes[m, p]`` = bit code of matrix ``m`` relabelled by permutation ``p``."""
    n = matrices.shape[1]
    weights = (np.int64(1) << np.arange(n * n, dtype=np.int64)).reshape(n, n)
    codes = np.empty((len(matrices), len(perms)), dtype=np.int64)
    for k, p in enumerate(perms):
        permuted = matrices[:, p][:, :, p]
        codes[:, k] = (permuted * weights).sum(axis=(1, 2))
    return codes


def unlabelled_classes(n: int, max_edges: int = MAX_EDGES) -> list[tuple[int, np.ndarray]]:
    """One representative per isomorphism class of full DAGs with ``n`` vertices.

    Returns
    -------
    list of (mask, automorphisms)
        ``automorphisms`` is an ``(A, n)`` array of the interior permutations that map the
        representative onto itself (identity included).
    """
    masks, matrices = full_dags(n, max_edges)
    perms = _interior_permutations(n)
    codes = _codes_under(matrices, perms)
    canonical = codes.min(axis=1)
    _, first = np.unique(canonical, return_index=True)
    # identity is perms[0], so codes[:, 0] is the matrix's own code
    return [(int(masks[i]), perms[codes[i] == codes[i, 0]]) for i in np.sort(first)]


def labelling_orbits(n: int, automorphisms: np.ndarray, n_ops: int = len(RULES.operations)) -> np.ndarray:
    """One interior labelling per orbit under ``automorphisms``: shape (L, n-2), op codes."""
    k = n - 2
    labellings = np.array(list(itertools.product(range(n_ops), repeat=k)), dtype=np.int64)
    if k == 0:
        return labellings.reshape(1, 0)
    place = n_ops ** np.arange(k)[::-1]
    own = labellings @ place
    # automorphism p moves the label of vertex p[v] to vertex v
    images = np.stack([labellings[:, p[1:-1] - 1] @ place for p in automorphisms], axis=1)
    return labellings[own == images.min(axis=1)]


def _hash_class(task: tuple[int, int, np.ndarray, DAGRules]) -> list[tuple[str, int, int, str]]:
    n, mask, automorphisms, rules = task
    from cbred.spaces.nb101 import decode_matrix

    matrix = decode_matrix(n, mask)
    in_degree = matrix.sum(axis=0).tolist()
    out_degree = matrix.sum(axis=1).tolist()
    preds = [np.flatnonzero(matrix[:, v]).tolist() for v in range(n)]
    succs = [np.flatnonzero(matrix[v, :]).tolist() for v in range(n)]
    rows = []
    for labelling in labelling_orbits(n, automorphisms, len(rules.operations)).tolist():
        ops = (INPUT, *(rules.operations[c] for c in labelling), OUTPUT)
        labels = [rules.labels[o] for o in ops]
        rows.append((refine(n, in_degree, out_degree, preds, succs, labels), n, mask, ",".join(ops)))
    return rows


def enumerate_space(processes: int | None = None, progress: bool = True, rules: DAGRules = RULES) -> pd.DataFrame:
    """All unique cells of a declaration (default NB101) as a compact table (index ``hash``;
    ``n_vertices``, ``edges``, ``ops``), sorted by hash.

    Raises
    ------
    RuntimeError
        If two non-isomorphic cells share a hash (the benchmark's hash would not separate
        the space; it does, so this guards the implementation).
    """
    tasks = [
        (n, mask, autos, rules)
        for n in range(2, rules.max_vertices + 1)
        for mask, autos in unlabelled_classes(n, rules.max_edges)
    ]
    processes = processes or os.cpu_count() or 1
    rows: list[tuple[str, int, int, str]] = []
    chunk = max(1, len(tasks) // (processes * 64))
    bar = tqdm(total=len(tasks), desc=f"{rules.name} cells", unit="graph", disable=not progress)
    with ProcessPoolExecutor(processes) as pool:
        for result in pool.map(_hash_class, tasks, chunksize=chunk):
            rows.extend(result)
            bar.update()
    bar.close()
    table = pd.DataFrame(rows, columns=["hash", "n_vertices", "edges", "ops"]).set_index("hash")
    if table.index.has_duplicates:
        dup = table.index[table.index.duplicated()][:3].tolist()
        raise RuntimeError(f"hash collision between non-isomorphic {rules.name} cells: {dup}")
    table = table.astype({"n_vertices": np.int8, "edges": np.int32}).sort_index()
    return table


def default_path(rules: DAGRules = RULES) -> Path:
    """NB101's table is ``nb101_cells.parquet``; another declaration's is named by its rules."""
    if rules == RULES:
        return cache_dir() / DEFAULT_FILE
    key = config_key({"operations": list(rules.operations), "max_vertices": rules.max_vertices,
                      "max_edges": rules.max_edges})
    return cache_dir() / f"{rules.name}_cells_{key}.parquet"


def load_or_enumerate(path: str | os.PathLike | None = None, rules: DAGRules = RULES) -> pd.DataFrame:
    """Read the enumeration table of ``rules``, writing it first (atomically) when absent."""
    path = Path(path) if path else default_path(rules)
    if not path.exists():
        print(f"cbred: enumerating {rules.name} into {path} (NB101: about a minute, once)")
        write_parquet(enumerate_space(rules=rules), path)
    return pd.read_parquet(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cbred.spaces.nb101")
    sub = parser.add_subparsers(dest="command", required=True)
    enum = sub.add_parser("enumerate", help="write every unique NB101 cell to a parquet table")
    enum.add_argument("--out", type=Path, default=None, help=f"default: {default_path()}")
    enum.add_argument("--processes", type=int, default=None, help="default: all cores")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    table = enumerate_space(args.processes)
    out = write_parquet(table, args.out or default_path())
    elapsed = time.perf_counter() - start
    print(f"{len(table):,} unique NB101 cells written to {out} in {elapsed:.1f} s")
    return 0 if len(table) == N_CELLS else 1


def burnside_count(n: int) -> int:
    """Number of labelled classes with ``n`` vertices by Burnside's lemma: an independent
    count of what :func:`labelling_orbits` enumerates."""
    total = 0
    for _mask, autos in unlabelled_classes(n):
        # Burnside: orbits = mean over the group of labellings fixed by each element
        fixed = 0
        for p in autos:
            cycles, seen = 0, set()
            for v in range(1, n - 1):
                if v not in seen:
                    cycles += 1
                    w = v
                    while w not in seen:
                        seen.add(w)
                        w = int(p[w])
            fixed += len(RULES.operations) ** cycles
        total += fixed // len(autos)
    return total


__all__ = [
    "N_CELLS",
    "burnside_count",
    "enumerate_space",
    "full_dags",
    "labelling_orbits",
    "load_or_enumerate",
    "unlabelled_classes",
]
