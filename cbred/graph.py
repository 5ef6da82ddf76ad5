"""Computational graphs: one representation for every search space.

Two objects describe an architecture:

:class:`AdjacencyTensor`
    The third-order adjacency tensor ``A`` in ``{0,1}^{V x V x K}`` of a cell: ``V`` cell
    vertices, ``K`` operations. Where the operation lives is part of the tensor:

    * ``labels="edge"`` (NAS-Bench-201): ``A[i, j, k] = 1`` when the edge from vertex ``i``
      to vertex ``j`` carries operation ``k``. ``none`` is not an operation: it is the
      absence of an edge.
    * ``labels="target"`` (NAS-Bench-101): ``A[i, j, k] = 1`` when there is an edge from
      vertex ``i`` to vertex ``j`` and vertex ``j`` computes operation ``k`` (every edge is
      labelled by the operation that consumes it; ``output`` is an operation, ``input`` is
      not because nothing flows into it).

:class:`CompGraph`
    The projection of the tensor onto its operation (kernel) partition: an op-on-node DAG
    whose nodes are operation instances, plus one ``input`` and one ``output`` node. Nodes
    are topologically ordered (``adjacency`` is strictly upper triangular), the input is
    node 0 and the output the last node. Nodes that are not on an input-to-output path are
    pruned, so equal computations give equal graphs more often.

:class:`GraphBatch`
    Many graphs of one space as padded arrays, for vectorised feature maps and distances.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:  # heavy imports only where they are used
    import networkx as nx

INPUT = "input"
OUTPUT = "output"


def _check_vocab(vocab: Sequence[str]) -> tuple[str, ...]:
    vocab = tuple(vocab)
    if len(set(vocab)) != len(vocab):
        raise ValueError(f"operation vocabulary has duplicates: {vocab}")
    for required in (INPUT, OUTPUT):
        if required not in vocab:
            raise ValueError(f"operation vocabulary {vocab} lacks {required!r}")
    return vocab


@dataclass(frozen=True, eq=False)
class CompGraph:
    """Op-on-node DAG of one architecture.

    Parameters
    ----------
    ops : array of int, shape (n,)
        Operation of every node, as an index into ``vocab``.
    adjacency : array of {0, 1}, shape (n, n)
        ``adjacency[i, j] = 1`` for an edge from node ``i`` to node ``j``; strictly upper
        triangular (nodes in topological order).
    vocab : tuple of str
        Node operation vocabulary of the space (contains ``"input"`` and ``"output"``).
    """

    ops: np.ndarray
    adjacency: np.ndarray
    vocab: tuple[str, ...]

    def __post_init__(self) -> None:
        ops = np.asarray(self.ops, dtype=np.int64)
        adjacency = np.asarray(self.adjacency, dtype=np.uint8)
        vocab = _check_vocab(self.vocab)
        n = ops.shape[0]
        if ops.ndim != 1 or adjacency.shape != (n, n):
            raise ValueError(
                f"adjacency of shape {adjacency.shape} does not match {n} node operations"
            )
        if n and (ops.min() < 0 or ops.max() >= len(vocab)):
            raise ValueError(f"operation index out of range 0..{len(vocab) - 1}: {ops.tolist()}")
        if np.any(np.tril(adjacency)):
            raise ValueError("adjacency must be strictly upper triangular (topological order)")
        if np.any(adjacency > 1):
            raise ValueError("adjacency entries must be 0 or 1")
        object.__setattr__(self, "ops", ops)
        object.__setattr__(self, "adjacency", adjacency)
        object.__setattr__(self, "vocab", vocab)
        ops.setflags(write=False)
        adjacency.setflags(write=False)

    @property
    def n_nodes(self) -> int:
        return int(self.ops.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.adjacency.sum())

    @property
    def op_names(self) -> tuple[str, ...]:
        return tuple(self.vocab[i] for i in self.ops)

    def edges(self) -> np.ndarray:
        """Edges as an ``(E, 2)`` array of (source, target) node indices."""
        return np.argwhere(self.adjacency)

    def op_counts(self) -> np.ndarray:
        """Number of nodes of each vocabulary operation, shape ``(len(vocab),)``."""
        return np.bincount(self.ops, minlength=len(self.vocab))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompGraph):
            return NotImplemented
        return (
            self.vocab == other.vocab
            and np.array_equal(self.ops, other.ops)
            and np.array_equal(self.adjacency, other.adjacency)
        )

    def __hash__(self) -> int:
        return hash((self.vocab, self.ops.tobytes(), self.adjacency.tobytes()))

    def __repr__(self) -> str:
        edges = ", ".join(f"{i}->{j}" for i, j in self.edges())
        return f"CompGraph(ops={list(self.op_names)}, edges=[{edges}])"

    def to_networkx(self) -> nx.DiGraph:
        """``networkx.DiGraph`` with node attribute ``op`` (operation name)."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from((i, {"op": name}) for i, name in enumerate(self.op_names))
        graph.add_edges_from(map(tuple, self.edges().tolist()))
        return graph


@dataclass(frozen=True, eq=False)
class AdjacencyTensor:
    """Third-order adjacency tensor ``A`` in ``{0,1}^{V x V x K}`` of a cell.

    Parameters
    ----------
    tensor : array of {0, 1}, shape (V, V, K)
        See the module docstring for the meaning of an entry under each ``labels``.
    ops : tuple of str
        Names of the ``K`` operations (third axis).
    labels : {"edge", "target"}
        Whether an operation lives on the edge itself or on the edge's target vertex.
    """

    tensor: np.ndarray
    ops: tuple[str, ...]
    labels: Literal["edge", "target"]

    def __post_init__(self) -> None:
        tensor = np.asarray(self.tensor, dtype=np.uint8)
        if tensor.ndim != 3 or tensor.shape[0] != tensor.shape[1]:
            raise ValueError(f"adjacency tensor must have shape (V, V, K), got {tensor.shape}")
        if tensor.shape[2] != len(self.ops):
            raise ValueError(f"tensor has {tensor.shape[2]} operation slices, ops has {len(self.ops)}")
        if self.labels not in _PROJECTIONS:
            raise ValueError(f"labels must be one of {sorted(_PROJECTIONS)}, got {self.labels!r}")
        object.__setattr__(self, "tensor", tensor)
        object.__setattr__(self, "ops", tuple(self.ops))

    def project(self, vocab: Sequence[str]) -> CompGraph:
        """Projection onto the operation partition: the op-on-node DAG (pruned)."""
        return _PROJECTIONS[self.labels](self, _check_vocab(vocab))


def _project_edge_labelled(a: AdjacencyTensor, vocab: tuple[str, ...]) -> CompGraph:
    # Every labelled edge (i, j, k) becomes a node; node (i, j, k) feeds node (j, l, k').
    # Edges leaving vertex 0 are fed by the input node; edges entering the last vertex
    # feed the output node.
    n_vertices = a.tensor.shape[0]
    instances = sorted(map(tuple, np.argwhere(a.tensor)), key=lambda e: (e[1], e[0], e[2]))
    ops = [vocab.index(INPUT)] + [vocab.index(a.ops[k]) for _, _, k in instances]
    ops.append(vocab.index(OUTPUT))
    n = len(ops)
    adjacency = np.zeros((n, n), dtype=np.uint8)
    for p, (i, j, _) in enumerate(instances, start=1):
        if i == 0:
            adjacency[0, p] = 1
        if j == n_vertices - 1:
            adjacency[p, n - 1] = 1
        for q, (i2, _, _) in enumerate(instances, start=1):
            if i2 == j:
                adjacency[p, q] = 1
    return prune(np.asarray(ops), adjacency, vocab)


def _project_target_labelled(a: AdjacencyTensor, vocab: tuple[str, ...]) -> CompGraph:
    # Vertex j computes the (unique) operation labelling its incoming edges; vertex 0 is
    # the input.
    n_vertices = a.tensor.shape[0]
    ops = [vocab.index(INPUT)]
    for j in range(1, n_vertices):
        labels = np.flatnonzero(a.tensor[:, j, :].any(axis=0))
        if len(labels) != 1:
            raise ValueError(f"vertex {j} has incoming edges labelled {labels.tolist()}, need one")
        ops.append(vocab.index(a.ops[labels[0]]))
    return prune(np.asarray(ops), a.tensor.any(axis=2).astype(np.uint8), vocab)


_PROJECTIONS = {"edge": _project_edge_labelled, "target": _project_target_labelled}


def on_path_mask(adjacency: np.ndarray) -> np.ndarray:
    """Nodes on a path from the first to the last node, for a batch of DAGs.

    Parameters
    ----------
    adjacency : array of bool, shape (..., n, n)
        Strictly upper-triangular adjacency matrices (topological order).

    Returns
    -------
    array of bool, shape (..., n)
        When no path exists, only the first and the last node are kept.
    """
    adjacency = np.asarray(adjacency, dtype=bool)
    n = adjacency.shape[-1]
    forward = np.zeros(adjacency.shape[:-1], dtype=bool)
    backward = np.zeros_like(forward)
    forward[..., 0] = True
    backward[..., n - 1] = True
    for j in range(1, n):  # one sweep in topological order suffices for a DAG
        forward[..., j] = np.any(forward[..., :j] & adjacency[..., :j, j], axis=-1)
    for i in range(n - 2, -1, -1):
        backward[..., i] = np.any(backward[..., i + 1 :] & adjacency[..., i, i + 1 :], axis=-1)
    keep = forward & backward
    keep[..., 0] = True
    keep[..., n - 1] = True
    return keep


def prune(ops: np.ndarray, adjacency: np.ndarray, vocab: Sequence[str]) -> CompGraph:
    """Drop the nodes of a DAG that are not on an input-to-output path."""
    keep = on_path_mask(adjacency)
    sub = adjacency[np.ix_(keep, keep)]
    return CompGraph(ops=np.asarray(ops)[keep], adjacency=sub, vocab=tuple(vocab))


@dataclass(frozen=True, eq=False)
class GraphBatch:
    """Graphs of one space as padded arrays.

    Parameters
    ----------
    ops : array of int, shape (N, V)
        Node operations as vocabulary indices, ``-1`` for padding. Real nodes come first,
        in topological order: node 0 is the input, node ``n_nodes - 1`` the output.
    adjacency : array of bool, shape (N, V, V)
        Padded adjacency matrices (padding rows and columns are zero).
    vocab : tuple of str
        Node operation vocabulary shared by all graphs.
    ids : tuple of str, optional
        Architecture id of every graph.
    """

    ops: np.ndarray
    adjacency: np.ndarray
    vocab: tuple[str, ...]
    ids: tuple[str, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        ops = np.asarray(self.ops, dtype=np.int64)
        adjacency = np.asarray(self.adjacency, dtype=bool)
        if ops.ndim != 2 or adjacency.shape != ops.shape + (ops.shape[1],):
            raise ValueError(f"ops {ops.shape} and adjacency {adjacency.shape} do not match")
        if self.ids is not None and len(self.ids) != len(ops):
            raise ValueError(f"{len(self.ids)} ids for {len(ops)} graphs")
        object.__setattr__(self, "ops", ops)
        object.__setattr__(self, "adjacency", adjacency)
        object.__setattr__(self, "vocab", _check_vocab(self.vocab))
        if self.ids is not None:
            object.__setattr__(self, "ids", tuple(self.ids))

    @classmethod
    def from_graphs(
        cls, graphs: Sequence[CompGraph], ids: Sequence[str] | None = None
    ) -> GraphBatch:
        """Pad a list of graphs that share one vocabulary."""
        if not graphs:
            raise ValueError("cannot build a GraphBatch from no graphs")
        vocab = graphs[0].vocab
        for g in graphs:
            if g.vocab != vocab:
                raise ValueError(f"graphs from different spaces: vocabularies {vocab} and {g.vocab}")
        width = max(g.n_nodes for g in graphs)
        ops = np.full((len(graphs), width), -1, dtype=np.int64)
        adjacency = np.zeros((len(graphs), width, width), dtype=bool)
        for b, g in enumerate(graphs):
            ops[b, : g.n_nodes] = g.ops
            adjacency[b, : g.n_nodes, : g.n_nodes] = g.adjacency
        return cls(ops=ops, adjacency=adjacency, vocab=vocab, ids=ids)

    @classmethod
    def compact(
        cls, ops: np.ndarray, adjacency: np.ndarray, keep: np.ndarray, vocab, ids=None
    ) -> GraphBatch:
        """Batch from fixed-slot arrays with a node mask: kept nodes are moved to the front.

        Relative node order is kept (a stable sort), so topological order survives.
        """
        order = np.argsort(~keep, axis=1, kind="stable")
        ops = np.where(keep, ops, -1)
        adjacency = adjacency & keep[:, :, None] & keep[:, None, :]
        ops = np.take_along_axis(ops, order, axis=1)
        adjacency = np.take_along_axis(adjacency, order[:, :, None], axis=1)
        adjacency = np.take_along_axis(adjacency, order[:, None, :], axis=2)
        width = int(keep.sum(axis=1).max())
        return cls(ops=ops[:, :width], adjacency=adjacency[:, :width, :width], vocab=vocab, ids=ids)

    def __len__(self) -> int:
        return self.ops.shape[0]

    @property
    def node_mask(self) -> np.ndarray:
        """``(N, V)`` bool, True for real nodes."""
        return self.ops >= 0

    @property
    def n_nodes(self) -> np.ndarray:
        return self.node_mask.sum(axis=1)

    def __getitem__(self, index: int) -> CompGraph:
        n = int(self.n_nodes[index])
        return CompGraph(
            ops=self.ops[index, :n], adjacency=self.adjacency[index, :n, :n], vocab=self.vocab
        )

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def subset(self, index: Sequence[int] | np.ndarray) -> GraphBatch:
        """Batch of the graphs at ``index`` (positions)."""
        index = np.asarray(index, dtype=np.int64)
        ids = None if self.ids is None else tuple(self.ids[i] for i in index)
        return GraphBatch(self.ops[index], self.adjacency[index], self.vocab, ids)

    def rows(self) -> np.ndarray:
        """``(N, V + V * V)`` int64 rows ``[ops | adjacency]``: equal rows are equal graphs
        (with the same node order)."""
        flat = self.adjacency.reshape(len(self), -1).astype(np.int64)
        return np.concatenate([self.ops.astype(np.int64), flat], axis=1)

    def one_hot_ops(self) -> np.ndarray:
        """``(N, V, len(vocab))`` boolean one-hot node operations (all-false rows for padding)."""
        return self.ops[:, :, None] == np.arange(len(self.vocab))[None, None, :]

    def op_counts(self) -> np.ndarray:
        """``(N, len(vocab))`` number of nodes per operation."""
        return self.one_hot_ops().sum(axis=1)


def longest_paths(adjacency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Depth (longest path from a source) and height (longest path to a sink) of every node.

    Parameters
    ----------
    adjacency : array of bool, shape (..., V, V)
        Strictly upper-triangular adjacency matrices (nodes in topological order).

    Returns
    -------
    depth, height : arrays of int64, shape (..., V)
        Both depend on the graph only, not on the order of its nodes.
    """
    adjacency = np.asarray(adjacency, dtype=bool)
    width = adjacency.shape[-1]
    depth = np.zeros(adjacency.shape[:-1], dtype=np.int64)
    height = np.zeros_like(depth)
    for j in range(1, width):  # one sweep in topological order suffices for a DAG
        depth[..., j] = np.where(adjacency[..., :j, j], depth[..., :j] + 1, 0).max(axis=-1)
    for i in range(width - 2, -1, -1):
        height[..., i] = np.where(adjacency[..., i, i + 1 :], height[..., i + 1 :] + 1, 0).max(axis=-1)
    return depth, height
