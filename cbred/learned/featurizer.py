"""Computational graphs as one PyG batch: the input of the graph encoder.

:class:`GraphFeaturizer` turns a :class:`~cbred.graph.GraphBatch` into one PyG
:class:`~torch_geometric.data.Batch` without a Python loop over graphs (all 423,624 NB101
cells at once), the input of :class:`~cbred.learned.encoder.GraphEncoder`.

The featurizer's vocabulary may be the union of several spaces' vocabularies
(:func:`union_vocab`, :meth:`GraphFeaturizer.for_spaces`): graphs of any of them are
featurized into the same one-hot columns, so one encoder reads them all. An operation name
shared by two spaces (NB201 and TransNAS-Bench micro ``nor_conv_3x3``) shares its column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch_geometric.data import Batch

from cbred.graph import GraphBatch, longest_paths


def union_vocab(*vocabs: Iterable[str]) -> tuple[str, ...]:
    """Operations of several vocabularies, each once, in order of first appearance.

    The first vocabulary keeps its positions, so a featurizer of ``union_vocab(own,
    *others)`` gives a space's graphs the same operation columns as its own featurizer
    followed by columns that stay zero for it.
    """
    return tuple(dict.fromkeys(op for vocab in vocabs for op in vocab))


def space_vocab(name: str) -> tuple[str, ...]:
    """Node operation vocabulary of a declared space (:data:`~cbred.spaces.builtin.BUILTIN_SPACES`)."""
    from cbred.spaces.builtin import BUILTIN_SPACES  # the spaces import torch-free modules only

    return tuple(BUILTIN_SPACES[name]().node_vocab)


@dataclass(frozen=True)
class GraphFeaturizer:
    """Node features of computational graphs, as one PyG batch.

    Every node gets the one-hot of its operation, of its depth (longest path from the input)
    and of its height (longest path to the output), both clipped at ``max_depth``: where a
    node sits in the flow of the cell, which message passing alone sees only within its
    number of layers. All features are invariant to the order of the nodes.

    Parameters
    ----------
    vocab : tuple of str
        Node operation vocabulary: the space's, or a union of several spaces'
        (:func:`union_vocab`); the graphs' own vocabulary must be part of it.
    max_depth : int, default=7
        Depths and heights above are clipped (NB201 and NB101 paths have at most 6 edges).

    Shapes
    ------
    ``N`` graphs with ``n`` nodes and ``E`` edges in all -> ``Batch`` with ``x`` (n,
    num_features) float32, ``edge_index`` (2, E) int64, ``batch`` (n,), ``ptr`` (N + 1,).
    """

    vocab: tuple[str, ...]
    max_depth: int = 7

    def __post_init__(self) -> None:
        object.__setattr__(self, "vocab", tuple(self.vocab))
        if isinstance(self.max_depth, bool) or not isinstance(self.max_depth, int) or self.max_depth < 0:
            raise ValueError(f"GraphFeaturizer: max_depth must be an int >= 0, got {self.max_depth!r}")

    @classmethod
    def for_spaces(cls, names: Sequence[str], max_depth: int = 7) -> GraphFeaturizer:
        """A featurizer of the union vocabulary of declared spaces (e.g. ``["nb201", "nb101"]``)."""
        return cls(union_vocab(*(space_vocab(name) for name in names)), max_depth=max_depth)

    @property
    def num_features(self) -> int:
        return len(self.vocab) + 2 * (self.max_depth + 1)

    def reads(self, vocab: Sequence[str]) -> bool:
        """Whether graphs of operation vocabulary ``vocab`` can be featurized."""
        return set(vocab) <= set(self.vocab)

    def _columns(self, vocab: tuple[str, ...]) -> np.ndarray:
        """Column of every operation of ``vocab`` in the one-hot, shape (len(vocab),)."""
        if vocab == self.vocab:
            return np.arange(len(vocab))
        if not self.reads(vocab):
            raise ValueError(
                f"graphs have the operation vocabulary {vocab}, the featurizer {self.vocab}: "
                f"graphs of another space (operations {sorted(set(vocab) - set(self.vocab))} unknown)"
            )
        return np.array([self.vocab.index(op) for op in vocab], dtype=np.int64)

    def decode(self, batch: Batch) -> list[tuple[str, ...]]:
        """Operation names of the nodes of every graph of a featurized batch (the inverse of the op one-hot).

        Shapes
        ------
        ``Batch`` of ``N`` graphs -> ``N`` tuples of their nodes' operations, in node order.
        """
        ops = batch.x[:, : len(self.vocab)].argmax(dim=1).tolist()
        ptr = batch.ptr.tolist()
        return [tuple(self.vocab[op] for op in ops[start:stop]) for start, stop in zip(ptr[:-1], ptr[1:])]

    def __call__(self, graphs: GraphBatch) -> Batch:
        columns = self._columns(graphs.vocab)
        mask = graphs.node_mask
        counts = mask.sum(axis=1)
        ptr = np.concatenate([[0], np.cumsum(counts)])
        depth, height = longest_paths(graphs.adjacency)
        # real nodes come first in every row, so row-major order numbers them graph by graph
        graph, source, target = np.nonzero(graphs.adjacency)
        edge_index = np.stack([ptr[graph] + source, ptr[graph] + target])
        one_hot = torch.nn.functional.one_hot
        positions = self.max_depth + 1
        x = torch.cat(
            [
                one_hot(torch.from_numpy(columns[graphs.ops[mask]]), len(self.vocab)),
                one_hot(torch.from_numpy(depth[mask].clip(max=self.max_depth)), positions),
                one_hot(torch.from_numpy(height[mask].clip(max=self.max_depth)), positions),
            ],
            dim=1,
        ).float()
        return Batch(
            x=x,
            edge_index=torch.from_numpy(edge_index).long(),
            batch=torch.repeat_interleave(torch.arange(len(graphs)), torch.from_numpy(counts)),
            ptr=torch.from_numpy(ptr).long(),
        )
