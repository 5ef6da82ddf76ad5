"""Graphs as one PyG batch."""

import pytest
import torch

from cbred.graph import GraphBatch
from cbred.learned.featurizer import GraphFeaturizer
from tests.distances.conftest import VOCAB, graph

#: input -> conv -> pool -> output with a skip input -> output, and a two-node cell
SKIP = graph(["input", "conv", "pool", "output"], [(0, 1), (1, 2), (2, 3), (0, 3)])
EMPTY = graph(["input", "output"], [(0, 1)])


def test_featurizer_builds_one_pyg_batch():
    featurizer = GraphFeaturizer(VOCAB, max_depth=2)
    batch = featurizer(GraphBatch.from_graphs([SKIP, EMPTY]))
    assert featurizer.num_features == 4 + 2 * 3
    assert batch.x.shape == (6, 10) and batch.num_graphs == 2
    assert batch.batch.tolist() == [0, 0, 0, 0, 1, 1]
    assert sorted(map(tuple, batch.edge_index.T.tolist())) == [(0, 1), (0, 3), (1, 2), (2, 3), (4, 5)]
    # one-hot op, depth and height (clipped at 2): three ones per node
    assert torch.equal(batch.x.sum(dim=1), torch.full((6,), 3.0))
    assert batch.x[3, 4:7].tolist() == [0, 0, 1]  # output: depth 3 clipped to 2


def test_featurizer_rejects_graphs_of_another_space():
    with pytest.raises(ValueError, match="another space"):
        GraphFeaturizer(("input", "x", "output"))(GraphBatch.from_graphs([SKIP]))
    with pytest.raises(ValueError, match="max_depth"):
        GraphFeaturizer(VOCAB, max_depth=-1)
