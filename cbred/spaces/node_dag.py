"""Declared node-operation DAGs (NAS-Bench-101 style).

A cell spec is an upper-triangular adjacency matrix (row = source) and one operation per
vertex: ``input`` first, ``output`` last, interior vertices from the declared operation
set; at most ``max_vertices`` vertices and ``max_edges`` edges (counted after pruning the
vertices that are not on an input-to-output path, as NAS-Bench-101 does). Architectures
are identified by the Weisfeiler-Lehman hash of the pruned spec
(:func:`cbred.spaces.canonical.graph_hash`), which is also their isomorphism class.
NAS-Bench-101 (:mod:`cbred.spaces.nb101`) is one declaration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cbred.graph import INPUT, OUTPUT, AdjacencyTensor, CompGraph, GraphBatch, on_path_mask
from cbred.spaces.canonical import graph_hash
from cbred.spaces.operations import operations as parse_operations
from cbred.spaces.space import SearchSpace, check_nonempty, declared_count, declared_network

#: Keyword parameters of the network a declaration's ``network`` may set.
NETWORK_KEYS = ("C", "N", "stacks", "num_classes", "in_channels")


@dataclass(frozen=True)
class DAGRules:
    """What a valid cell of a node-operation DAG space is.

    Attributes
    ----------
    name : str
        The space, for error messages.
    operations : tuple of str
        Interior operations; their positions are the hash labels (input -1, output -2).
    max_vertices, max_edges : int
    """

    name: str = field(compare=False)  # a label: NB101's rules under any name are NB101's
    operations: tuple[str, ...] = ()
    max_vertices: int = 7
    max_edges: int = 9

    @cached_property
    def labels(self) -> dict[str, int]:
        """Hash label of every vertex operation."""
        return {INPUT: -1, OUTPUT: -2, **{op: i for i, op in enumerate(self.operations)}}

    @cached_property
    def node_vocab(self) -> tuple[str, ...]:
        return (INPUT,) + self.operations + (OUTPUT,)

@dataclass(frozen=True, eq=False)
class Spec:
    """A validated, pruned cell of a node-operation DAG space (NB101 by default).

    Use :func:`Spec.from_raw` to validate and prune user input; the constructor assumes
    both were done.
    """

    matrix: np.ndarray
    ops: tuple[str, ...]
    rules: DAGRules = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.rules is None:  # NAS-Bench-101's, the spec most callers mean
            from cbred.spaces.nb101 import RULES

            object.__setattr__(self, "rules", RULES)

    @classmethod
    def from_raw(cls, matrix, ops: Sequence[str], rules: DAGRules | None = None) -> Spec:
        """Validate a (possibly unpruned) spec and prune it as the benchmark does.

        Raises
        ------
        ValueError
            Naming the problem: not square or not upper triangular, too many vertices or
            edges (edges counted after pruning, as the benchmark does), unknown operation,
            input/output misplaced, no path from input to output.
        """
        if rules is None:
            from cbred.spaces.nb101 import RULES as rules
        name = rules.name
        try:
            matrix = np.asarray(matrix, dtype=float)
        except (ValueError, TypeError):  # ragged rows, text
            raise ValueError(
                f"{name} matrix must be a square 0/1 matrix (rows of equal length, numbers), got {matrix!r}"
            ) from None
        if isinstance(ops, str) or not isinstance(ops, Sequence | np.ndarray):
            raise ValueError(f"{name} ops must be a list of operation names, got {ops!r}")
        ops = list(ops)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"{name} matrix must be square, got shape {matrix.shape}")
        n = matrix.shape[0]
        if len(ops) != n:
            raise ValueError(f"{name} spec has {n} vertices but {len(ops)} operations")
        if n < 2:
            raise ValueError(f"{name} spec needs at least input and output, got {n} vertices")
        if n > rules.max_vertices:
            raise ValueError(f"{name} spec has {n} vertices, at most {rules.max_vertices} allowed")
        if not np.isin(matrix, (0, 1)).all():
            raise ValueError(f"{name} matrix entries must be 0 or 1, got {np.unique(matrix).tolist()}")
        below = np.argwhere(np.tril(matrix))
        if len(below):
            i, j = below[0]
            raise ValueError(f"{name} matrix is not strictly upper triangular: entry [{i}, {j}] is set")
        if ops[0] != INPUT:
            raise ValueError(f"{name} vertex 0 must be {INPUT!r}, got {ops[0]!r}")
        if ops[-1] != OUTPUT:
            raise ValueError(f"{name} last vertex must be {OUTPUT!r}, got {ops[-1]!r}")
        for v, op in enumerate(ops[1:-1], start=1):
            if op in (INPUT, OUTPUT):
                raise ValueError(f"{name} vertex {v} is {op!r}: input/output only at the ends")
            if op not in rules.operations:
                raise ValueError(
                    f"{name} vertex {v} has unknown operation {op!r} "
                    f"(choices: {', '.join(rules.operations)})"
                )
        matrix = matrix.astype(np.uint8)
        keep = on_path_mask(matrix)
        if not matrix[np.ix_(keep, keep)].any():
            raise ValueError(f"{name} spec has no path from input to output")
        matrix = matrix[np.ix_(keep, keep)]
        if matrix.sum() > rules.max_edges:
            raise ValueError(
                f"{name} spec has {int(matrix.sum())} edges after pruning, at most {rules.max_edges}"
            )
        return cls(matrix=matrix, ops=tuple(op for op, k in zip(ops, keep) if k), rules=rules)

    @cached_property
    def hash(self) -> str:
        """The space's module hash (:func:`cbred.spaces.canonical.graph_hash`)."""
        return graph_hash(self.matrix, [self.rules.labels[op] for op in self.ops])

    def graph(self) -> CompGraph:
        """The op-on-node DAG: the pruned spec itself."""
        return CompGraph(
            ops=np.array([self.rules.node_vocab.index(op) for op in self.ops]),
            adjacency=self.matrix,
            vocab=self.rules.node_vocab,
        )


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


class NodeDAGSpace(SearchSpace):
    """A declared space of node-operation DAGs (the whole space or a table of its cells); ids are hashes.

    Adjacency tensor: ``V`` = number of (pruned) vertices, ``K`` = the operations and
    ``output``, ``A[i, j, k] = 1`` when the edge ``i -> j`` exists and vertex ``j`` computes
    operation ``k``. Its projection is the pruned spec itself.

    Parameters
    ----------
    name : str
    operations : sequence of str
        Interior vertex operations (:mod:`cbred.spaces.operations`), in label order.
    max_vertices : int, default=7
        Input and output included (at least 2).
    max_edges : int, default=9
        At least 1 (a cell needs a path from input to output).
    network : mapping, optional
        Defaults of the network (:class:`cbred.models.nb101_net.NB101Network`): ``C``,
        ``N``, ``stacks``, ``num_classes``, ``in_channels``.
    table : DataFrame, optional
        Compact cell table (see :func:`cell_table`): index ``hash``, columns ``n_vertices``,
        ``edges`` (upper-triangle bit mask, :func:`encode_matrix`) and ``ops`` (comma-joined
        operation names); default: every cell of the declaration, enumerated on first use
        (:func:`cbred.spaces.nb101_enumeration.load_or_enumerate`, cached in ``path``).
    path : str or Path, optional
        Where the enumeration table is read from or written to.

    Raises
    ------
    ValueError
        Naming the declaration and the problem: an unknown operation, impossible vertex
        or edge counts, a table with unknown operations or duplicate hashes.
    """

    network_kind = "node_dag"

    def __init__(self, *, name: str, operations: Sequence[str], max_vertices: int = 7, max_edges: int = 9,
                 network: Mapping[str, Any] | None = None, table: pd.DataFrame | None = None,
                 path: str | Path | None = None) -> None:
        where = f"space {name!r}"
        parsed = parse_operations(operations, where=where)
        zero = [op.name for op in parsed if op.role == "zero"]
        if zero:
            raise ValueError(f"{where}: {zero} cannot be a vertex operation (a missing vertex is no vertex)")
        max_vertices = declared_count(where, "max_vertices", max_vertices, 2)
        max_edges = declared_count(where, "max_edges", max_edges, 1)
        if max_vertices > 7 and table is None:
            raise ValueError(f"{where}: max_vertices={max_vertices}: spaces of node DAGs are enumerated, "
                             "up to 7 vertices (pass a table of cells for larger ones)")
        network = declared_network(where, network, NETWORK_KEYS)
        self.name = name
        self.rules = DAGRules(name, tuple(op.name for op in parsed), max_vertices, max_edges)
        self.network = network
        self.path = path
        if table is not None:
            self._check_table(table)
            self.__dict__["table"] = table

    @property
    def node_vocab(self) -> tuple[str, ...]:
        return self.rules.node_vocab

    def declaration(self) -> dict:
        return {"kind": self.network_kind, "name": self.name, "operations": list(self.rules.operations),
                "max_vertices": self.rules.max_vertices, "max_edges": self.rules.max_edges,
                "network": dict(self.network)}

    @property
    def tensor_ops(self) -> tuple[str, ...]:
        """Third axis of the adjacency tensor: the operation of an edge's target vertex."""
        return self.rules.operations + (OUTPUT,)

    @property
    def has_cells(self) -> bool:
        """Whether the cells are at hand (a table was given or read): a hash can be decoded
        without enumerating the space."""
        return "table" in self.__dict__

    @cached_property
    def table(self) -> pd.DataFrame:
        """The compact cell table (enumerated on first use when none was given)."""
        from cbred.spaces.nb101_enumeration import load_or_enumerate

        table = load_or_enumerate(self.path, self.rules)
        self._check_table(table)
        return table

    def _check_table(self, table: pd.DataFrame) -> None:
        label = f"{self.name if hasattr(self, 'name') else 'node DAG'} cell table"
        missing = {"n_vertices", "edges", "ops"} - set(table.columns)
        if missing:
            raise ValueError(f"{label} lacks columns {sorted(missing)}")
        if table.index.has_duplicates:
            raise ValueError(f"{label} has duplicate hashes, e.g. "
                             f"{table.index[table.index.duplicated()][:3].tolist()}")
        known = set(self.rules.node_vocab)
        for text in pd.unique(table["ops"]):  # a few hundred distinct op strings
            unknown = sorted(set(str(text).split(",")) - known)
            if unknown:
                example = table.index[(table["ops"] == text).to_numpy()][0]
                raise ValueError(f"{label}: cell {example!r} has unknown operation(s) {unknown} "
                                 f"(choices: {', '.join(self.rules.node_vocab)})")

    def with_cells(self, table: pd.DataFrame) -> NodeDAGSpace:
        """The same declaration restricted to the cells of ``table``."""
        return type(self)._restricted(self, table)

    @classmethod
    def _restricted(cls, space: NodeDAGSpace, table: pd.DataFrame) -> NodeDAGSpace:
        return NodeDAGSpace(name=space.name, operations=space.rules.operations,
                            max_vertices=space.rules.max_vertices, max_edges=space.rules.max_edges,
                            network=space.network, table=table)

    def from_specs(self, specs: Sequence[Spec]) -> NodeDAGSpace:
        """The cells ``specs`` of this declaration."""
        return self.with_cells(cell_table(specs))

    def spec_from_raw(self, matrix, ops: Sequence[str]) -> Spec:
        """A user's (possibly unpruned) spec, validated by this declaration and pruned."""
        return Spec.from_raw(matrix, ops, self.rules)

    @cached_property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.table.index)

    def canonical_id(self, arch: str) -> str:
        if not isinstance(arch, str) or len(arch) != 32 or any(c not in "0123456789abcdef" for c in arch):
            raise ValueError(f"{self.name} id must be a 32-character lower-case hex hash, got {arch!r}")
        return arch

    def ids_from_table(self, frame: pd.DataFrame) -> pd.Series:
        """Ids from an ``arch`` or ``hash`` column, else from ``matrix`` + ``ops`` (pruned, hashed)."""
        for column in ("arch", "hash"):
            if column in frame:
                return frame[column]
        if {"matrix", "ops"} <= set(frame.columns):
            hashes = [self.spec_from_raw(np.asarray(m), o).hash for m, o in zip(frame["matrix"], frame["ops"])]
            return pd.Series(hashes, index=frame.index, name="hash")
        raise ValueError(
            f"table identifies no {self.name} cell: it needs an 'arch' or 'hash' column, or "
            f"'matrix' and 'ops' (columns: {list(frame.columns)})"
        )

    def spec(self, arch: str) -> Spec:
        """The pruned spec of a cell of this space."""
        try:
            n_vertices, edges, ops = self.table.loc[arch, ["n_vertices", "edges", "ops"]]
        except KeyError:
            raise KeyError(f"{self.name} cell {arch!r} is not in this space ({len(self)} cells)") from None
        return Spec(decode_matrix(int(n_vertices), int(edges)), tuple(ops.split(",")), self.rules)

    def adjacency_tensor(self, arch: str) -> AdjacencyTensor:
        spec = self.spec(arch)
        n = len(spec.ops)
        tensor = np.zeros((n, n, len(self.tensor_ops)), dtype=np.uint8)
        for j in range(1, n):
            tensor[:, j, self.tensor_ops.index(spec.ops[j])] = spec.matrix[:, j]
        return AdjacencyTensor(tensor, self.tensor_ops, labels="target")

    def graph(self, arch: str) -> CompGraph:
        return self.spec(arch).graph()

    def graphs(self, archs: Sequence[str] | None = None) -> GraphBatch:
        """Vectorised decoding of many cells (no Python loop over cells)."""
        if archs is None:
            return graphs_from_table(self.table, self.rules.node_vocab, ids=self.ids)
        archs = check_nonempty(archs, self.name)
        self.check_ids(archs)
        return graphs_from_table(self.table.loc[list(archs)], self.rules.node_vocab, ids=archs)

    def isomorphism_class(self, arch: str) -> str:
        # The module hash is itself the isomorphism class.
        return self.canonical_id(arch)

    def mutate(self, arch: str, steps: int, rng: np.random.Generator, max_tries: int = 50) -> tuple[str, CompGraph] | None:
        """``steps`` NAS-Bench-101-style mutations: flip one edge or change one interior operation.

        The cell is padded to ``max_vertices`` vertices first (new vertices are unconnected) so that
        mutations can also grow it; every step must reach a cell not visited before (so the
        mutant differs from the anchor) and keep it valid (a path from input to output, at
        at most ``max_edges`` edges). The mutant is a valid cell but
        need not be in the space when the space is a sample.

        References
        ----------
        E. Real, A. Aggarwal, Y. Huang and Q. V. Le, "Regularized evolution for image classifier
        architecture search", AAAI 2019 (the mutation operator of NAS-Bench-101's evolution).
        """
        spec = self.spec(arch)
        n = len(spec.ops)
        matrix = np.zeros((self.rules.max_vertices, self.rules.max_vertices), dtype=np.uint8)
        matrix[: n - 1, : n - 1] = spec.matrix[: n - 1, : n - 1]
        matrix[: n - 1, -1] = spec.matrix[: n - 1, -1]
        extra = [self.rules.operations[i] for i in rng.integers(len(self.rules.operations), size=self.rules.max_vertices - n)]
        ops = list(spec.ops[:-1]) + extra + [spec.ops[-1]]
        current, visited = spec, {spec.hash}
        rows, cols = np.triu_indices(self.rules.max_vertices, k=1)
        for _ in range(steps):
            for _ in range(max_tries):
                trial_matrix, trial_ops = matrix.copy(), list(ops)
                if rng.random() < 0.5:
                    e = rng.integers(len(rows))
                    trial_matrix[rows[e], cols[e]] ^= 1
                else:
                    vertex = int(rng.integers(1, self.rules.max_vertices - 1))
                    choices = [op for op in self.rules.operations if op != trial_ops[vertex]]
                    if not choices:  # one operation: only edges change
                        continue
                    trial_ops[vertex] = choices[int(rng.integers(len(choices)))]
                try:
                    trial = Spec.from_raw(trial_matrix, trial_ops, self.rules)
                except ValueError:  # no path or too many edges: not a cell
                    continue
                if trial.hash not in visited:  # every step reaches a new cell
                    matrix, ops, current = trial_matrix, trial_ops, trial
                    visited.add(trial.hash)
                    break
            else:
                return None
        return current.hash, current.graph()



    def neighbours(self, arch: str) -> tuple[str, ...]:
        """Cells one edge flip or one interior-operation change away from ``arch``.

        Pruned as the benchmark prunes; invalid cells (no input-output path, too many
        edges) left out. The neighbours are hashes, which may lie outside the space when it
        is a table of a sample.

        References
        ----------
        C. Ying et al., "NAS-Bench-101: Towards Reproducible Neural Architecture Search",
        ICML 2019 (the edge and operation mutations, the pruning and the module hash).
        """
        spec = self.spec(arch)
        n = len(spec.ops)
        candidates = []
        for i, j in zip(*np.triu_indices(n, k=1)):
            matrix = spec.matrix.copy()
            matrix[i, j] ^= 1
            candidates.append((matrix, spec.ops))
        for vertex in range(1, n - 1):
            for op in self.rules.operations:
                if op != spec.ops[vertex]:
                    candidates.append((spec.matrix, spec.ops[:vertex] + (op,) + spec.ops[vertex + 1:]))
        found: dict[str, None] = {}
        for matrix, ops in candidates:
            try:
                mutant = Spec.from_raw(matrix, ops, self.rules).hash
            except ValueError:  # no input-output path or too many edges: not a cell
                continue
            if mutant != arch:
                found[mutant] = None
        return tuple(found)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name}: {len(self):,} cells)" if "table" in self.__dict__ else (
            f"{type(self).__name__}({self.name}: up to {self.rules.max_vertices} vertices, "
            f"{self.rules.max_edges} edges, {len(self.rules.operations)} operations)")


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


def graphs_from_table(table: pd.DataFrame, vocab: Sequence[str], ids: Sequence[str] | None = None) -> GraphBatch:
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
    code = {op: i for i, op in enumerate(vocab)}
    ops_text = pd.Categorical(table["ops"])
    padded = np.full((len(ops_text.categories), width), -1, dtype=np.int64)
    for c, text in enumerate(ops_text.categories):  # a few hundred distinct op strings
        names = text.split(",")
        padded[c, : len(names)] = [code[o] for o in names]
    ops = padded[ops_text.codes]
    return GraphBatch(ops=ops, adjacency=adjacency, vocab=tuple(vocab), ids=ids)
