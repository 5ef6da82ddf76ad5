"""NAS-Bench-101: cells of at most 7 vertices and 9 edges, three interior operations.

A cell spec is an upper-triangular adjacency matrix (row = source) and one operation per
vertex: ``input`` first, ``output`` last, interior vertices from :data:`INTERIOR_OPS`.
Architectures are identified by the benchmark's module hash, an isomorphism-invariant
fingerprint of the pruned spec.

Run ``python -m cbred.spaces.nb101 enumerate --out PATH`` to write the whole space
(423,624 cells) as a table; see :mod:`cbred.spaces.nb101_enumeration`.

References
----------
C. Ying et al., "NAS-Bench-101: Towards Reproducible Neural Architecture Search",
ICML 2019.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from cbred.spaces.space import SearchSpace, check_nonempty
from cbred.graph import INPUT, OUTPUT, AdjacencyTensor, CompGraph, GraphBatch, on_path_mask

INTERIOR_OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
MAX_VERTICES = 7
MAX_EDGES = 9
#: Node vocabulary of NB101 computational graphs.
NODE_VOCAB = (INPUT,) + INTERIOR_OPS + (OUTPUT,)
#: Third axis of the adjacency tensor: the operation of an edge's target vertex.
TENSOR_OPS = INTERIOR_OPS + (OUTPUT,)
#: Integer labels of the benchmark's hash: input -1, output -2, interior ops 0, 1, 2.
HASH_LABEL = {INPUT: -1, OUTPUT: -2, **{op: i for i, op in enumerate(INTERIOR_OPS)}}


@dataclass(frozen=True, eq=False)
class Spec:
    """A validated, pruned NB101 cell.

    Use :func:`Spec.from_raw` to validate and prune user input; the constructor assumes
    both were done.
    """

    matrix: np.ndarray
    ops: tuple[str, ...]

    @classmethod
    def from_raw(cls, matrix, ops: Sequence[str]) -> Spec:
        """Validate a (possibly unpruned) spec and prune it as the benchmark does.

        Raises
        ------
        ValueError
            Naming the problem: not square or not upper triangular, too many vertices or
            edges (edges counted after pruning, as the benchmark does), unknown operation,
            input/output misplaced, no path from input to output.
        """
        try:
            matrix = np.asarray(matrix, dtype=float)
        except (ValueError, TypeError):  # ragged rows, text
            raise ValueError(
                f"NB101 matrix must be a square 0/1 matrix (rows of equal length, numbers), got {matrix!r}"
            ) from None
        if isinstance(ops, str) or not isinstance(ops, Sequence | np.ndarray):
            raise ValueError(f"NB101 ops must be a list of operation names, got {ops!r}")
        ops = list(ops)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"NB101 matrix must be square, got shape {matrix.shape}")
        n = matrix.shape[0]
        if len(ops) != n:
            raise ValueError(f"NB101 spec has {n} vertices but {len(ops)} operations")
        if n < 2:
            raise ValueError(f"NB101 spec needs at least input and output, got {n} vertices")
        if n > MAX_VERTICES:
            raise ValueError(f"NB101 spec has {n} vertices, at most {MAX_VERTICES} allowed")
        if not np.isin(matrix, (0, 1)).all():
            raise ValueError(f"NB101 matrix entries must be 0 or 1, got {np.unique(matrix).tolist()}")
        below = np.argwhere(np.tril(matrix))
        if len(below):
            i, j = below[0]
            raise ValueError(f"NB101 matrix is not strictly upper triangular: entry [{i}, {j}] is set")
        if ops[0] != INPUT:
            raise ValueError(f"NB101 vertex 0 must be {INPUT!r}, got {ops[0]!r}")
        if ops[-1] != OUTPUT:
            raise ValueError(f"NB101 last vertex must be {OUTPUT!r}, got {ops[-1]!r}")
        for v, op in enumerate(ops[1:-1], start=1):
            if op in (INPUT, OUTPUT):
                raise ValueError(f"NB101 vertex {v} is {op!r}: input/output only at the ends")
            if op not in INTERIOR_OPS:
                raise ValueError(
                    f"NB101 vertex {v} has unknown operation {op!r} "
                    f"(choices: {', '.join(INTERIOR_OPS)})"
                )
        matrix = matrix.astype(np.uint8)
        keep = on_path_mask(matrix)
        if not matrix[np.ix_(keep, keep)].any():
            raise ValueError("NB101 spec has no path from input to output")
        matrix = matrix[np.ix_(keep, keep)]
        if matrix.sum() > MAX_EDGES:
            raise ValueError(
                f"NB101 spec has {int(matrix.sum())} edges after pruning, at most {MAX_EDGES}"
            )
        return cls(matrix=matrix, ops=tuple(op for op, k in zip(ops, keep) if k))

    @cached_property
    def hash(self) -> str:
        """The benchmark's module hash (see :func:`module_hash`)."""
        return module_hash(self.matrix, [HASH_LABEL[op] for op in self.ops])

    def graph(self) -> CompGraph:
        """The op-on-node DAG: the pruned spec itself."""
        return CompGraph(
            ops=np.array([NODE_VOCAB.index(op) for op in self.ops]),
            adjacency=self.matrix,
            vocab=NODE_VOCAB,
        )


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def module_hash(matrix: np.ndarray, labels: Sequence[int]) -> str:
    """NAS-Bench-101's isomorphism-invariant hash of a pruned spec.

    Weisfeiler-Lehman-style refinement with MD5: every vertex starts from
    ``md5(str((out_degree, in_degree, label)))``, then ``n`` times takes
    ``md5(sorted in-neighbour hashes + '|' + sorted out-neighbour hashes + '|' + own)``;
    the fingerprint is ``md5(str(sorted vertex hashes))``. Reproduces the benchmark's
    ``hash_module`` digest for digest (tested on 1,000 published hashes).

    Parameters
    ----------
    matrix : array, shape (n, n)
        Pruned upper-triangular adjacency.
    labels : sequence of int
        :data:`HASH_LABEL` of every vertex.
    """
    matrix = np.asarray(matrix)
    n = matrix.shape[0]
    in_degree = matrix.sum(axis=0).tolist()
    out_degree = matrix.sum(axis=1).tolist()
    preds = [np.flatnonzero(matrix[:, v]).tolist() for v in range(n)]
    succs = [np.flatnonzero(matrix[v, :]).tolist() for v in range(n)]
    return _refine(n, in_degree, out_degree, preds, succs, labels)


def _refine(n, in_degree, out_degree, preds, succs, labels) -> str:
    hashes = [_md5(str((out_degree[v], in_degree[v], labels[v]))) for v in range(n)]
    for _ in range(n):
        hashes = [
            _md5(
                "".join(sorted(hashes[w] for w in preds[v]))
                + "|"
                + "".join(sorted(hashes[w] for w in succs[v]))
                + "|"
                + hashes[v]
            )
            for v in range(n)
        ]
    return _md5(str(sorted(hashes)))


def decode_matrix(n_vertices: int, edge_bits: int) -> np.ndarray:
    """Adjacency from the enumeration table's encoding: bit ``k`` is the k-th upper-triangular
    entry in row-major order."""
    rows, cols = np.triu_indices(n_vertices, k=1)
    matrix = np.zeros((n_vertices, n_vertices), dtype=np.uint8)
    bits = (edge_bits >> np.arange(len(rows))) & 1
    matrix[rows, cols] = bits
    return matrix


def encode_matrix(matrix: np.ndarray) -> int:
    """Inverse of :func:`decode_matrix`."""
    rows, cols = np.triu_indices(matrix.shape[0], k=1)
    return int((np.asarray(matrix)[rows, cols].astype(np.int64) << np.arange(len(rows))).sum())


class NB101Space(SearchSpace):
    """A set of NB101 cells (the whole space or a sample); ids are module hashes.

    Adjacency tensor: ``V`` = number of (pruned) vertices, ``K = 4`` operations
    (:data:`TENSOR_OPS`), ``A[i, j, k] = 1`` when the edge ``i -> j`` exists and vertex ``j``
    computes operation ``k``. Its projection is the pruned spec itself.

    Parameters
    ----------
    table : DataFrame
        Compact cell table (see :func:`cell_table`): index ``hash``, columns ``n_vertices``,
        ``edges`` (upper-triangle bit mask, :func:`encode_matrix`) and ``ops`` (comma-joined
        operation names). Build one with :meth:`from_specs`, :meth:`from_jsonl` or
        :meth:`enumerated` (the whole space).
    """

    name = "nb101"
    node_vocab = NODE_VOCAB

    def __init__(self, table: pd.DataFrame) -> None:
        missing = {"n_vertices", "edges", "ops"} - set(table.columns)
        if missing:
            raise ValueError(f"NB101 cell table lacks columns {sorted(missing)}")
        if table.index.has_duplicates:
            raise ValueError(
                f"NB101 cell table has duplicate hashes, e.g. "
                f"{table.index[table.index.duplicated()][:3].tolist()}"
            )
        known = set(NODE_VOCAB)
        for text in pd.unique(table["ops"]):  # a few hundred distinct op strings
            unknown = sorted(set(str(text).split(",")) - known)
            if unknown:
                example = table.index[(table["ops"] == text).to_numpy()][0]
                raise ValueError(
                    f"NB101 cell table: cell {example!r} has unknown operation(s) {unknown} "
                    f"(choices: {', '.join(NODE_VOCAB)})"
                )
        self.table = table

    @classmethod
    def from_specs(cls, specs: Sequence[Spec]) -> NB101Space:
        return cls(cell_table(specs))

    @classmethod
    def from_jsonl(cls, path: str | Path) -> NB101Space:
        """Cells of a JSON-lines file with ``matrix`` and ``ops`` (unpruned specs are pruned).

        When the file has a ``hash`` column, every hash is checked against the spec.
        """
        frame = pd.read_json(path, lines=True)
        specs = [Spec.from_raw(np.asarray(m), o) for m, o in zip(frame["matrix"], frame["ops"])]
        if "hash" in frame:
            for spec, given in zip(specs, frame["hash"]):
                if spec.hash != given:
                    raise ValueError(f"{path}: cell {given!r} hashes to {spec.hash!r}")
        unique = {s.hash: s for s in specs}
        return cls.from_specs(list(unique.values()))

    @classmethod
    def enumerated(cls, path: str | Path | None = None) -> NB101Space:
        """The whole space (423,624 cells), from the enumeration table.

        The table is read from ``path`` (default: the cache directory) and written by
        :func:`cbred.spaces.nb101_enumeration.enumerate_space` first if it is absent.
        """
        from cbred.spaces.nb101_enumeration import load_or_enumerate

        return cls(load_or_enumerate(path))

    @cached_property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.table.index)

    def canonical_id(self, arch: str) -> str:
        if not isinstance(arch, str) or len(arch) != 32 or any(
            c not in "0123456789abcdef" for c in arch
        ):
            raise ValueError(f"NB101 id must be a 32-character lower-case hex hash, got {arch!r}")
        return arch

    def ids_from_table(self, frame: pd.DataFrame) -> pd.Series:
        """Ids from an ``arch`` or ``hash`` column, else from ``matrix`` + ``ops`` (pruned, hashed)."""
        for column in ("arch", "hash"):
            if column in frame:
                return frame[column]
        if {"matrix", "ops"} <= set(frame.columns):
            hashes = [
                Spec.from_raw(np.asarray(m), o).hash for m, o in zip(frame["matrix"], frame["ops"])
            ]
            return pd.Series(hashes, index=frame.index, name="hash")
        raise ValueError(
            "table identifies no NB101 cell: it needs an 'arch' or 'hash' column, or "
            f"'matrix' and 'ops' (columns: {list(frame.columns)})"
        )

    def spec(self, arch: str) -> Spec:
        """The pruned spec of a cell of this space."""
        try:
            n_vertices, edges, ops = self.table.loc[arch, ["n_vertices", "edges", "ops"]]
        except KeyError:
            raise KeyError(f"NB101 cell {arch!r} is not in this space ({len(self)} cells)") from None
        return Spec(decode_matrix(int(n_vertices), int(edges)), tuple(ops.split(",")))

    def adjacency_tensor(self, arch: str) -> AdjacencyTensor:
        spec = self.spec(arch)
        n = len(spec.ops)
        tensor = np.zeros((n, n, len(TENSOR_OPS)), dtype=np.uint8)
        for j in range(1, n):
            tensor[:, j, TENSOR_OPS.index(spec.ops[j])] = spec.matrix[:, j]
        return AdjacencyTensor(tensor, TENSOR_OPS, labels="target")

    def graph(self, arch: str) -> CompGraph:
        return self.spec(arch).graph()

    def graphs(self, archs: Sequence[str] | None = None) -> GraphBatch:
        """Vectorised decoding of many cells (no Python loop over cells)."""
        if archs is None:
            return graphs_from_table(self.table, ids=self.ids)
        archs = check_nonempty(archs, self.name)
        self.check_ids(archs)
        return graphs_from_table(self.table.loc[list(archs)], ids=archs)

    def isomorphism_class(self, arch: str) -> str:
        # The module hash is itself the isomorphism class.
        return self.canonical_id(arch)

    def mutate(self, arch: str, steps: int, rng: np.random.Generator, max_tries: int = 50) -> tuple[str, CompGraph] | None:
        """``steps`` NAS-Bench-101 mutations: flip one edge or change one interior operation.

        The cell is padded to 7 vertices first (new vertices are unconnected) so that
        mutations can also grow it; every step must reach a cell not visited before (so the
        mutant differs from the anchor) and keep it valid (a path from input to output, at
        most 9 edges). The mutant is a valid NB101 cell but
        need not be in the space when the space is a sample.

        References
        ----------
        E. Real, A. Aggarwal, Y. Huang and Q. V. Le, "Regularized evolution for image classifier
        architecture search", AAAI 2019 (the mutation operator of NAS-Bench-101's evolution).
        """
        spec = self.spec(arch)
        n = len(spec.ops)
        matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
        matrix[: n - 1, : n - 1] = spec.matrix[: n - 1, : n - 1]
        matrix[: n - 1, -1] = spec.matrix[: n - 1, -1]
        extra = [INTERIOR_OPS[i] for i in rng.integers(len(INTERIOR_OPS), size=MAX_VERTICES - n)]
        ops = list(spec.ops[:-1]) + extra + [spec.ops[-1]]
        current, visited = spec, {spec.hash}
        rows, cols = np.triu_indices(MAX_VERTICES, k=1)
        for _ in range(steps):
            for _ in range(max_tries):
                trial_matrix, trial_ops = matrix.copy(), list(ops)
                if rng.random() < 0.5:
                    e = rng.integers(len(rows))
                    trial_matrix[rows[e], cols[e]] ^= 1
                else:
                    vertex = int(rng.integers(1, MAX_VERTICES - 1))
                    choices = [op for op in INTERIOR_OPS if op != trial_ops[vertex]]
                    trial_ops[vertex] = choices[int(rng.integers(len(choices)))]
                try:
                    trial = Spec.from_raw(trial_matrix, trial_ops)
                except ValueError:  # no path or too many edges: not a cell
                    continue
                if trial.hash not in visited:  # every step reaches a new cell
                    matrix, ops, current = trial_matrix, trial_ops, trial
                    visited.add(trial.hash)
                    break
            else:
                return None
        return current.hash, current.graph()


def cell_table(specs: Sequence[Spec]) -> pd.DataFrame:
    """Compact table of specs: index ``hash``; ``n_vertices``, ``edges``, ``ops``."""
    return pd.DataFrame(
        {
            "n_vertices": np.array([len(s.ops) for s in specs], dtype=np.int8),
            "edges": np.array([encode_matrix(s.matrix) for s in specs], dtype=np.int32),
            "ops": [",".join(s.ops) for s in specs],
        },
        index=pd.Index([s.hash for s in specs], name="hash"),
    )


def graphs_from_table(table: pd.DataFrame, ids: Sequence[str] | None = None) -> GraphBatch:
    """Decode a compact cell table into a padded :class:`GraphBatch` without per-cell loops."""
    n_vertices = table["n_vertices"].to_numpy().astype(np.int64)
    edges = table["edges"].to_numpy().astype(np.int64)
    width = int(n_vertices.max())
    adjacency = np.zeros((len(table), width, width), dtype=bool)
    for n in np.unique(n_vertices):  # bit k addresses the k-th entry of an n x n triangle
        sel = np.flatnonzero(n_vertices == n)
        rows, cols = np.triu_indices(n, k=1)
        bits = ((edges[sel, None] >> np.arange(len(rows))[None, :]) & 1).astype(bool)
        adjacency[sel[:, None], rows[None, :], cols[None, :]] = bits
    code = {op: i for i, op in enumerate(NODE_VOCAB)}
    ops_text = pd.Categorical(table["ops"])
    padded = np.full((len(ops_text.categories), width), -1, dtype=np.int64)
    for c, text in enumerate(ops_text.categories):  # a few hundred distinct op strings
        names = text.split(",")
        padded[c, : len(names)] = [code[o] for o in names]
    ops = padded[ops_text.codes]
    return GraphBatch(ops=ops, adjacency=adjacency, vocab=NODE_VOCAB, ids=ids)


if __name__ == "__main__":
    from cbred.spaces.nb101_enumeration import main

    sys.exit(main())
