"""NAS-Bench-201: the 15,625-cell topology search space.

A cell has four vertices (0 = input, 3 = output); each of the six edges ``i -> j``
(``i < j``) carries one of five operations. The official string lists, for vertex
``j = 1, 2, 3``, the incoming edges ``op~i`` in order of ``i``::

    |nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|

Internally a cell is a tuple of six operation codes in the order of :data:`EDGES`.

References
----------
X. Dong and Y. Yang, "NAS-Bench-201: Extending the Scope of Reproducible Neural
Architecture Search", ICLR 2020.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from cbred.spaces.space import SearchSpace, check_nonempty
from cbred.graph import INPUT, OUTPUT, AdjacencyTensor, CompGraph, GraphBatch

#: Edge operations, in code order.
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: The six cell edges (source vertex, target vertex), in the order of the official string.
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
N_VERTICES = 4
#: Operations that are real edges (``none`` is the absence of one): the tensor's third axis.
TENSOR_OPS = OPS[1:]
#: Node vocabulary of NB201 computational graphs.
NODE_VOCAB = (INPUT,) + TENSOR_OPS + (OUTPUT,)

_OP_CODE = {op: code for code, op in enumerate(OPS)}


def parse(arch: str) -> tuple[int, ...]:
    """Operation codes of an official NB201 cell string, in the order of :data:`EDGES`.

    Raises
    ------
    ValueError
        Naming the offending token and its character position when the string is malformed
        (wrong node count, unknown operation, bad input index, stray characters).
    """
    if not isinstance(arch, str):
        raise TypeError(f"NB201 cell must be a string, got {type(arch).__name__}")
    groups = arch.split("+")
    if len(groups) != N_VERTICES - 1:
        raise ValueError(
            f"NB201 cell {arch!r}: expected {N_VERTICES - 1} nodes separated by '+', "
            f"found {len(groups)}"
        )
    codes = []
    offset = 0
    for node, group in enumerate(groups, start=1):
        if len(group) < 2 or group[0] != "|" or group[-1] != "|":
            bad = offset if not group.startswith("|") else offset + len(group) - 1
            raise ValueError(
                f"NB201 cell {arch!r}: node {node} group {group!r} must be enclosed in '|' "
                f"(stray character at position {bad})"
            )
        tokens = group[1:-1].split("|")
        if len(tokens) != node:
            raise ValueError(
                f"NB201 cell {arch!r}: node {node} at position {offset} has {len(tokens)} "
                f"inputs {tokens}, expected {node}"
            )
        position = offset + 1
        for source, token in enumerate(tokens):
            op, sep, index = token.partition("~")
            if not sep:
                raise ValueError(
                    f"NB201 cell {arch!r}: token {token!r} at position {position} is not 'op~input'"
                )
            if op not in _OP_CODE:
                raise ValueError(
                    f"NB201 cell {arch!r}: unknown operation {op!r} in token {token!r} at "
                    f"position {position} (choices: {', '.join(OPS)})"
                )
            if index != str(source):
                raise ValueError(
                    f"NB201 cell {arch!r}: token {token!r} at position {position} has input "
                    f"index {index!r}, expected {source} (node {node}, input {source})"
                )
            codes.append(_OP_CODE[op])
            position += len(token) + 1
        offset += len(group) + 1
    # The string lists inputs per target node: (0,1) (0,2) (1,2) (0,3) (1,3) (2,3) = EDGES.
    return tuple(codes)


def format_cell(codes: Sequence[int]) -> str:
    """Official string of a cell given its six operation codes (inverse of :func:`parse`)."""
    ops = [OPS[c] for c in check_codes(codes)]
    groups, k = [], 0
    for node in range(1, N_VERTICES):
        groups.append("|" + "|".join(f"{ops[k + i]}~{i}" for i in range(node)) + "|")
        k += node
    return "+".join(groups)


def check_codes(codes: Sequence[int]) -> tuple[int, ...]:
    """The six operation codes of a cell as ints; ``ValueError`` naming a bad one.

    A code is an int in ``0..4`` (:data:`OPS`); negative codes are not indices from the
    end (``-1`` is a mistake, not ``avg_pool_3x3``).
    """
    if isinstance(codes, str) or not isinstance(codes, Sequence | np.ndarray):
        raise TypeError(
            f"NB201 cell must be a cell string or a sequence of {len(EDGES)} operation codes, got {codes!r}"
        )
    if len(codes) != len(EDGES):
        raise ValueError(f"an NB201 cell has {len(EDGES)} edges, got {len(codes)} codes")
    for position, code in enumerate(codes):
        integral = isinstance(code, (int, np.integer)) and not isinstance(code, (bool, np.bool_))
        if not integral or not 0 <= code < len(OPS):
            raise ValueError(
                f"NB201 code {code!r} at edge {position} is not an operation code "
                f"0..{len(OPS) - 1} ({', '.join(f'{i}={op}' for i, op in enumerate(OPS))})"
            )
    return tuple(int(c) for c in codes)


def all_codes() -> np.ndarray:
    """Codes of all 15,625 cells, shape ``(15625, 6)``, in lexicographic code order."""
    return np.array(list(itertools.product(range(len(OPS)), repeat=len(EDGES))), dtype=np.int8)


def isomorphism_class(arch: str | Sequence[int], drop_zero_terms: bool = False) -> str:
    """Canonical expression of a cell: equal expressions compute the same function.

    The cell is read as an expression over the input ``0``: ``none`` is the zero ``#``,
    ``skip_connect`` the identity, any other operation ``op`` applied to a value ``v`` is
    ``(v)@op``, and a vertex is the sum of its incoming terms, in sorted (unordered) form.

    Parameters
    ----------
    arch : str or sequence of int
        Cell string or codes.
    drop_zero_terms : bool, default=False
        ``False`` gives the benchmark's own definition, the one behind the published 6,466
        classes: zero terms stay terms (``x + #`` differs from ``x``); a skip connection
        from an intermediate vertex contributes that vertex's whole sum as *one* term
        (sums are not flattened); an operation applied to the bare zero ``#`` is ``#``,
        while one applied to a sum of zeros such as ``#+#`` stays a term.
        ``True`` gives the stricter functional form: sums are flattened, zero terms
        dropped, any operation of zero is zero; the zero cell is ``#``.
    """
    codes = parse(arch) if isinstance(arch, str) else check_codes(arch)
    contribute = _flat_term if drop_zero_terms else _benchmark_term
    values: list[list[str]] = [["0"]]
    k = 0
    for node in range(1, N_VERTICES):
        terms: list[str] = []
        for source in range(node):
            terms += contribute(OPS[codes[k]], values[source])
            k += 1
        values.append(sorted(terms))
    return "+".join(values[-1]) or "#"


def _benchmark_term(op: str, value: list[str]) -> list[str]:
    # One term per incoming edge; the source's sum is kept as a block.
    source = "+".join(value)
    if op == "none" or (source == "#" and op != "skip_connect"):
        return ["#"]
    return [source if op == "skip_connect" else f"({source})@{op}"]


def _flat_term(op: str, value: list[str]) -> list[str]:
    # Terms of the source are spliced in (sums are associative); zero is the empty sum.
    if op == "none" or not value:
        return []
    return list(value) if op == "skip_connect" else [f"({'+'.join(value)})@{op}"]


class NB201Space(SearchSpace):
    """All 15,625 NAS-Bench-201 cells; ids are the official cell strings.

    Adjacency tensor: ``V = 4`` cell vertices, ``K = 4`` operations (:data:`TENSOR_OPS`),
    ``A[i, j, k] = 1`` when edge ``i -> j`` carries operation ``k``; ``none`` edges are
    all-zero fibres. Its projection has one node per non-``none`` edge.
    """

    name = "nb201"
    node_vocab = NODE_VOCAB

    def __init__(self, drop_zero_terms: bool = False) -> None:
        self.drop_zero_terms = drop_zero_terms

    @cached_property
    def codes(self) -> np.ndarray:
        """``(15625, 6)`` operation codes, row ``i`` is cell ``ids[i]``."""
        return all_codes()

    @cached_property
    def ids(self) -> tuple[str, ...]:
        return tuple(format_cell(c) for c in self.codes.tolist())

    def canonical_id(self, arch: str) -> str:
        return format_cell(parse(arch))

    def codes_of(self, archs: Sequence[str]) -> np.ndarray:
        """``(N, 6)`` codes of the given cell strings."""
        return np.array([parse(a) for a in archs], dtype=np.int8).reshape(-1, len(EDGES))

    def adjacency_tensor(self, arch: str) -> AdjacencyTensor:
        tensor = np.zeros((N_VERTICES, N_VERTICES, len(TENSOR_OPS)), dtype=np.uint8)
        for (i, j), code in zip(EDGES, parse(arch)):
            if OPS[code] != "none":
                tensor[i, j, TENSOR_OPS.index(OPS[code])] = 1
        return AdjacencyTensor(tensor, TENSOR_OPS, labels="edge")

    def graphs(self, archs: Sequence[str] | None = None) -> GraphBatch:
        """Vectorised projection of many cells (all 15,625 in a few milliseconds)."""
        if archs is None:
            archs, codes = self.ids, self.codes.astype(np.int64)
        else:
            archs = check_nonempty(archs, self.name)
            codes = self.codes_of(archs).astype(np.int64)
        return graphs_from_codes(codes, ids=archs)

    def isomorphism_class(self, arch: str) -> str:
        return isomorphism_class(arch, drop_zero_terms=self.drop_zero_terms)

    def mutate(self, arch: str, steps: int, rng: np.random.Generator) -> tuple[str, CompGraph]:
        """Change the operation of ``steps`` distinct edges of an NB201 cell."""
        codes = list(parse(arch))
        for edge in rng.choice(len(EDGES), size=min(steps, len(EDGES)), replace=False):
            codes[edge] = (codes[edge] + int(rng.integers(1, len(OPS)))) % len(OPS)
        mutant = format_cell(codes)
        return mutant, self.graph(mutant)


def _slot_template() -> np.ndarray:
    # Slots: 0 = input, 1..6 = the six edges of EDGES, 7 = output. Edge slots are in
    # topological order because EDGES is sorted by target vertex.
    n = len(EDGES) + 2
    template = np.zeros((n, n), dtype=bool)
    for p, (i, j) in enumerate(EDGES, start=1):
        template[0, p] = i == 0
        template[p, n - 1] = j == N_VERTICES - 1
        for q, (i2, _) in enumerate(EDGES, start=1):
            template[p, q] = i2 == j
    return template


_TEMPLATE = _slot_template()


def graphs_from_codes(codes: np.ndarray, ids: Sequence[str] | None = None) -> GraphBatch:
    """Computational graphs of cells given as an ``(N, 6)`` code array, without Python loops.

    Equal, node for node, to ``AdjacencyTensor.project`` of each cell (tested).
    """
    from cbred.graph import on_path_mask

    codes = np.asarray(codes, dtype=np.int64)
    n = len(codes)
    # none edges are absent; the op of a present edge slot is its node-vocabulary index
    present = codes != _OP_CODE["none"]
    edge_ops = np.array([NODE_VOCAB.index(op) if op != "none" else -1 for op in OPS])[codes]
    ops = np.concatenate(
        [
            np.full((n, 1), NODE_VOCAB.index(INPUT)),
            edge_ops,
            np.full((n, 1), NODE_VOCAB.index(OUTPUT)),
        ],
        axis=1,
    )
    slot_present = np.concatenate([np.ones((n, 1), bool), present, np.ones((n, 1), bool)], axis=1)
    adjacency = _TEMPLATE[None] & slot_present[:, :, None] & slot_present[:, None, :]
    keep = on_path_mask(adjacency)
    return GraphBatch.compact(ops, adjacency, keep, NODE_VOCAB, ids=ids)
