"""Computational graphs as one PyG batch: the input of the graph encoder.

:class:`GraphFeaturizer` turns a :class:`~cbred.graph.GraphBatch` into one PyG
:class:`~torch_geometric.data.Batch` without a Python loop over graphs (all 423,624 NB101
cells at once), the input of :class:`~cbred.learned.encoder.GraphEncoder`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch_geometric.data import Batch

from cbred.graph import GraphBatch, longest_paths


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
        Node operation vocabulary of the space.
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

    @property
    def num_features(self) -> int:
        return len(self.vocab) + 2 * (self.max_depth + 1)

    def __call__(self, graphs: GraphBatch) -> Batch:
        if graphs.vocab != self.vocab:
            raise ValueError(
                f"graphs have the operation vocabulary {graphs.vocab}, the featurizer "
                f"{self.vocab}: graphs of another space"
            )
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
                one_hot(torch.from_numpy(graphs.ops[mask]), len(self.vocab)),
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
