"""Declared cells whose edges carry operations (NAS-Bench-201 style).

A cell has ``n_nodes`` vertices (0 = input, the last = output); every edge ``i -> j``
(``i < j``) carries one operation of the declared set. An id lists, for vertex
``j = 1 .. n_nodes - 1``, its incoming edges ``op~i`` in order of ``i`` (NB201's official
cell-string form)::

    |nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|

Internally a cell is a tuple of operation codes (positions in the declared operation
list) in the order of :attr:`EdgeCellSpace.edges`. Ids, graphs, isomorphism classes
(:func:`cbred.spaces.canonical.expression_label`), mutations, uniform samples and the
network (``network``: :class:`cbred.models.cell_network.CellNetwork`) all derive from the
declaration. NAS-Bench-201 (:mod:`cbred.spaces.nb201`) and TransNAS-Bench-101 micro
(``configs/space/tnb101_micro.yaml``) are two declarations.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from cbred.graph import INPUT, OUTPUT, AdjacencyTensor, CompGraph, GraphBatch, on_path_mask
from cbred.spaces.canonical import expression_label
from cbred.spaces.operations import edge_operations
from cbred.spaces.space import SearchSpace, check_nonempty, declared_count, declared_network

#: Spaces with more cells than this are sampled, not listed (see :attr:`SearchSpace.enumerable`).
MAX_ENUMERABLE = 2_000_000
#: Keyword parameters of the cell network a declaration's ``network`` may set.
NETWORK_KEYS = ("C", "N", "stages", "reduction", "num_classes", "in_channels")


class EdgeCellSpace(SearchSpace):
    """A declared space of edge-operation cells; ids are cell strings.

    Adjacency tensor: ``V = n_nodes`` cell vertices, ``K`` = the non-zero operations,
    ``A[i, j, k] = 1`` when edge ``i -> j`` carries operation ``k``; zero (``none``) edges
    are all-zero fibres. Its projection has one node per non-zero edge.

    Parameters
    ----------
    name : str
        Short name (configs, caches, checkpoints).
    n_nodes : int, default=4
        Cell vertices, input and output included (at least 2).
    operations : sequence of str
        Edge operations (:mod:`cbred.spaces.operations`), in code order.
    network : mapping, optional
        Defaults of the network around the cell (:class:`cbred.models.cell_network.CellNetwork`):
        ``C`` (first-stage channels), ``N`` (cells per stage), ``stages``, ``reduction``
        (``residual`` | ``pool``), ``num_classes``, ``in_channels``.
    drop_zero_terms : bool, default=False
        Isomorphism classes by NAS-Bench-201's convention (``False``) or the functional
        form (``True``); see :func:`cbred.spaces.canonical.expression_label`.
    max_enumerable : int, default=MAX_ENUMERABLE
        Larger spaces are sampled: no ``ids``, but :meth:`sample`.

    Raises
    ------
    ValueError
        Naming the declaration and the problem: an unknown operation, fewer than two
        nodes, no operation that makes a path (every cell would be empty), an unknown
        network key.
    """

    network_kind = "edge_cell"

    def __init__(
        self,
        *,
        name: str,
        n_nodes: int = 4,
        operations: Sequence[str],
        network: Mapping[str, Any] | None = None,
        drop_zero_terms: bool = False,
        max_enumerable: int = MAX_ENUMERABLE,
    ) -> None:
        where = f"space {name!r}"
        n_nodes = declared_count(where, "n_nodes", n_nodes, 2, " (input and output)")
        parsed = edge_operations(operations, where=where)
        network = declared_network(where, network, NETWORK_KEYS)
        self.name = name
        self.n_nodes = n_nodes
        self.operations = parsed
        self.network = network
        self.drop_zero_terms = drop_zero_terms
        self.max_enumerable = max_enumerable

    # -- the declaration -------------------------------------------------------------
    def declaration(self) -> dict:
        return {"kind": self.network_kind, "name": self.name, "n_nodes": self.n_nodes, "operations": list(self.ops),
                "network": dict(self.network), "drop_zero_terms": bool(self.drop_zero_terms)}

    @property
    def label(self) -> str:
        """The space's name as messages write it (``NB201``)."""
        return self.name.upper()

    @cached_property
    def ops(self) -> tuple[str, ...]:
        """Operation names, in code order."""
        return tuple(op.name for op in self.operations)

    @cached_property
    def edges(self) -> tuple[tuple[int, int], ...]:
        """Cell edges ``(source, target)`` in the order of the cell string (by target, then source)."""
        return tuple((i, j) for j in range(1, self.n_nodes) for i in range(j))

    @cached_property
    def tensor_ops(self) -> tuple[str, ...]:
        """Operations that are real edges: the tensor's third axis."""
        return tuple(op.name for op in self.operations if op.role != "zero")

    @cached_property
    def node_vocab(self) -> tuple[str, ...]:
        return (INPUT,) + self.tensor_ops + (OUTPUT,)

    @property
    def size(self) -> int:
        return len(self.ops) ** len(self.edges)

    @property
    def enumerable(self) -> bool:
        return self.size <= self.max_enumerable

    # -- ids -------------------------------------------------------------------------
    def parse(self, arch: str) -> tuple[int, ...]:
        """Operation codes of a cell string, in the order of :attr:`edges`.

        Raises
        ------
        ValueError
            Naming the offending token and its character position when the string is
            malformed (wrong node count, unknown operation, bad input index, stray characters).
        """
        label = f"{self.label} cell {arch!r}"
        if not isinstance(arch, str):
            raise TypeError(f"{self.label} cell must be a string, got {type(arch).__name__}")
        groups = arch.split("+")
        if len(groups) != self.n_nodes - 1:
            raise ValueError(f"{label}: expected {self.n_nodes - 1} nodes separated by '+', found {len(groups)}")
        codes = []
        offset = 0
        for node, group in enumerate(groups, start=1):
            if len(group) < 2 or group[0] != "|" or group[-1] != "|":
                bad = offset if not group.startswith("|") else offset + len(group) - 1
                raise ValueError(f"{label}: node {node} group {group!r} must be enclosed in '|' "
                                 f"(stray character at position {bad})")
            tokens = group[1:-1].split("|")
            if len(tokens) != node:
                raise ValueError(f"{label}: node {node} at position {offset} has {len(tokens)} "
                                 f"inputs {tokens}, expected {node}")
            position = offset + 1
            for source, token in enumerate(tokens):
                op, sep, index = token.partition("~")
                if not sep:
                    raise ValueError(f"{label}: token {token!r} at position {position} is not 'op~input'")
                if op not in self._op_code:
                    raise ValueError(f"{label}: unknown operation {op!r} in token {token!r} at "
                                     f"position {position} (choices: {', '.join(self.ops)})")
                if index != str(source):
                    raise ValueError(f"{label}: token {token!r} at position {position} has input index "
                                     f"{index!r}, expected {source} (node {node}, input {source})")
                codes.append(self._op_code[op])
                position += len(token) + 1
            offset += len(group) + 1
        return tuple(codes)

    def format(self, codes: Sequence[int]) -> str:
        """Cell string of operation codes (inverse of :meth:`parse`)."""
        ops = [self.ops[c] for c in self.check_codes(codes)]
        groups, k = [], 0
        for node in range(1, self.n_nodes):
            groups.append("|" + "|".join(f"{ops[k + i]}~{i}" for i in range(node)) + "|")
            k += node
        return "+".join(groups)

    def check_codes(self, codes: Sequence[int]) -> tuple[int, ...]:
        """The operation codes of a cell as ints; ``ValueError`` naming a bad one.

        Negative codes are not indices from the end (``-1`` is a mistake).
        """
        if isinstance(codes, str) or not isinstance(codes, Sequence | np.ndarray):
            raise TypeError(f"{self.label} cell must be a cell string or a sequence of {len(self.edges)} "
                            f"operation codes, got {codes!r}")
        if len(codes) != len(self.edges):
            raise ValueError(f"a {self.label} cell has {len(self.edges)} edges, got {len(codes)} codes")
        for position, code in enumerate(codes):
            integral = isinstance(code, (int, np.integer)) and not isinstance(code, (bool, np.bool_))
            if not integral or not 0 <= code < len(self.ops):
                raise ValueError(
                    f"{self.label} code {code!r} at edge {position} is not an operation code 0..{len(self.ops) - 1} "
                    f"({', '.join(f'{i}={op}' for i, op in enumerate(self.ops))})"
                )
        return tuple(int(c) for c in codes)

    @cached_property
    def _op_code(self) -> dict[str, int]:
        return {op: code for code, op in enumerate(self.ops)}

    @cached_property
    def codes(self) -> np.ndarray:
        """Codes of every cell, shape ``(size, n_edges)``, in lexicographic code order."""
        self._require_enumerable()
        return np.array(list(itertools.product(range(len(self.ops)), repeat=len(self.edges))),
                        dtype=np.int8).reshape(-1, len(self.edges))

    @cached_property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.format(c) for c in self.codes.tolist())

    def canonical_id(self, arch: str) -> str:
        return self.format(self.parse(arch))

    def __contains__(self, arch: object) -> bool:
        try:
            self.parse(arch)
        except (TypeError, ValueError):
            return False
        return True

    def codes_of(self, archs: Sequence[str]) -> np.ndarray:
        """``(N, n_edges)`` codes of the given cell strings."""
        return np.array([self.parse(a) for a in archs], dtype=np.int8).reshape(-1, len(self.edges))

    # -- graphs ----------------------------------------------------------------------
    def adjacency_tensor(self, arch: str) -> AdjacencyTensor:
        tensor = np.zeros((self.n_nodes, self.n_nodes, len(self.tensor_ops)), dtype=np.uint8)
        for (i, j), code in zip(self.edges, self.parse(arch)):
            if self.operations[code].role != "zero":
                tensor[i, j, self.tensor_ops.index(self.ops[code])] = 1
        return AdjacencyTensor(tensor, self.tensor_ops, labels="edge")

    def id_of_tensor(self, tensor: AdjacencyTensor) -> str:
        """The cell string of an adjacency tensor (inverse of :meth:`adjacency_tensor`).

        Raises
        ------
        ValueError
            When the tensor is not one of this space's cells (shape, operations, an edge
            with two operations or one outside the cell's edges).
        """
        if tensor.labels != "edge" or tuple(tensor.ops) != self.tensor_ops or tensor.tensor.shape[0] != self.n_nodes:
            raise ValueError(f"adjacency tensor ({tensor.labels}, {tensor.tensor.shape}, {tensor.ops}) is not a "
                             f"{self.label} cell ({self.n_nodes} vertices, operations {self.tensor_ops})")
        zero = next((code for code, op in enumerate(self.operations) if op.role == "zero"), None)
        codes = []
        for i, j in self.edges:
            present = np.flatnonzero(tensor.tensor[i, j])
            if len(present) > 1 or (not len(present) and zero is None):
                raise ValueError(f"edge {i}->{j} carries {len(present)} operations; a {self.label} cell has one")
            codes.append(self._op_code[self.tensor_ops[present[0]]] if len(present) else zero)
        if tensor.tensor.sum() != sum(code != zero for code in codes):
            raise ValueError(f"adjacency tensor has edges outside the {self.label} cell's {len(self.edges)} edges")
        return self.format(codes)

    def graphs(self, archs: Sequence[str] | None = None) -> GraphBatch:
        """Vectorised projection of many cells (no Python loop over cells)."""
        if archs is None:
            archs, codes = self.ids, self.codes.astype(np.int64)
        else:
            archs = check_nonempty(archs, self.name)
            codes = self.codes_of(archs).astype(np.int64)
        return self.graphs_from_codes(codes, ids=archs)

    @cached_property
    def _slot_template(self) -> np.ndarray:
        # Slots: 0 = input, 1..E = the edges, E + 1 = output; edge slots are in topological
        # order because the edges are sorted by target vertex.
        n = len(self.edges) + 2
        template = np.zeros((n, n), dtype=bool)
        for p, (i, j) in enumerate(self.edges, start=1):
            template[0, p] = i == 0
            template[p, n - 1] = j == self.n_nodes - 1
            for q, (i2, _) in enumerate(self.edges, start=1):
                template[p, q] = i2 == j
        return template

    def graphs_from_codes(self, codes: np.ndarray, ids: Sequence[str] | None = None) -> GraphBatch:
        """Computational graphs of cells given as an ``(N, n_edges)`` code array, without Python loops.

        Equal, node for node, to ``AdjacencyTensor.project`` of each cell (tested).
        """
        codes = np.asarray(codes, dtype=np.int64)
        n = len(codes)
        vocab = self.node_vocab
        present_op = np.array([op.role != "zero" for op in self.operations])
        present = present_op[codes]
        edge_ops = np.array([vocab.index(op.name) if op.role != "zero" else -1 for op in self.operations])[codes]
        ops = np.concatenate(
            [np.full((n, 1), vocab.index(INPUT)), edge_ops, np.full((n, 1), vocab.index(OUTPUT))], axis=1
        )
        slot_present = np.concatenate([np.ones((n, 1), bool), present, np.ones((n, 1), bool)], axis=1)
        adjacency = self._slot_template[None] & slot_present[:, :, None] & slot_present[:, None, :]
        keep = on_path_mask(adjacency)
        return GraphBatch.compact(ops, adjacency, keep, vocab, ids=ids)

    # -- isomorphism -----------------------------------------------------------------
    def isomorphism_class(self, arch: str | Sequence[int]) -> str:
        codes = self.parse(arch) if isinstance(arch, str) else self.check_codes(arch)
        edges = [(i, j, self.operations[c]) for (i, j), c in zip(self.edges, codes)]
        return expression_label(self.n_nodes, edges, drop_zero_terms=self.drop_zero_terms)

    # -- sampling and mutation -------------------------------------------------------
    def draw(self, rng: np.random.Generator) -> str:
        """One cell drawn uniformly: every edge's operation uniform and independent."""
        return self.format(rng.integers(len(self.ops), size=len(self.edges)).tolist())

    def mutate(self, arch: str, steps: int, rng: np.random.Generator) -> tuple[str, CompGraph] | None:
        """Change the operation of ``steps`` distinct edges (None when there is one operation)."""
        steps = declared_count(f"{self.label} mutation", "steps", steps, 1)
        if len(self.ops) < 2:
            return None
        codes = list(self.parse(arch))
        for edge in rng.choice(len(self.edges), size=min(steps, len(self.edges)), replace=False):
            codes[edge] = (codes[edge] + int(rng.integers(1, len(self.ops)))) % len(self.ops)
        mutant = self.format(codes)
        return mutant, self.graph(mutant)

    def neighbours(self, arch: str) -> tuple[str, ...]:
        """The cells that differ from ``arch`` in the operation of one edge."""
        codes = list(self.parse(arch))
        return tuple(
            self.format(codes[:edge] + [other] + codes[edge + 1:])
            for edge, code in enumerate(codes) for other in range(len(self.ops)) if other != code
        )

    def __repr__(self) -> str:
        size = f"{self.size:,}" if self.enumerable else f"about 10^{math.log10(self.size):.0f}"
        return (f"EdgeCellSpace({self.name}: {self.n_nodes} nodes, {len(self.ops)} operations, "
                f"{size} cells)")
