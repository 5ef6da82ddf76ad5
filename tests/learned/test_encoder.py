"""The graph encoder: shapes, parameters, invariance to node order, direction awareness."""

import itertools

import networkx as nx
import numpy as np
import pytest
import torch

from cbred.spaces.nb101 import NODE_VOCAB as NB101_VOCAB
from cbred.learned.featurizer import GraphFeaturizer
from cbred.graph import CompGraph, GraphBatch
from cbred.learned.encoder import DirectedGINConv, GraphEncoder


def nb101_graph(ops, edges) -> CompGraph:
    adjacency = np.zeros((len(ops), len(ops)), dtype=np.uint8)
    for i, j in edges:
        adjacency[i, j] = 1
    return CompGraph(ops=[NB101_VOCAB.index(o) for o in ops], adjacency=adjacency, vocab=NB101_VOCAB)


CONV3, CONV1, POOL = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
#: two parallel branches (conv3 -> pool and conv1) and a skip: several topological orders
BRANCHES = nb101_graph(
    ["input", CONV3, CONV1, POOL, "output"], [(0, 1), (0, 2), (1, 3), (2, 4), (3, 4), (0, 4)]
)


def encoder(featurizer: GraphFeaturizer, **kwargs) -> GraphEncoder:
    torch.manual_seed(0)
    return GraphEncoder(featurizer.num_features, **kwargs).eval()


def embed(model: GraphEncoder, featurizer: GraphFeaturizer, graphs: list[CompGraph]) -> torch.Tensor:
    batch = featurizer(GraphBatch.from_graphs(graphs))
    with torch.no_grad():
        return model(batch.x, batch.edge_index, batch.batch, batch.num_graphs)


def topological_relabelings(graph: CompGraph):
    """The same DAG with its nodes in every other topological order."""
    identity = list(range(graph.n_nodes))
    for order in nx.all_topological_sorts(graph.to_networkx()):
        if list(order) != identity:
            order = np.asarray(order)
            yield CompGraph(graph.ops[order], graph.adjacency[np.ix_(order, order)], graph.vocab)


def test_shapes_and_config_round_trip():
    featurizer = GraphFeaturizer(NB101_VOCAB)
    model = encoder(featurizer, hidden_channels=16, out_channels=8, num_layers=3)
    out = embed(model, featurizer, [BRANCHES, nb101_graph(["input", "output"], [(0, 1)])])
    assert out.shape == (2, 8) and torch.isfinite(out).all()
    assert GraphEncoder(**model.config()).config() == model.config()
    conv = DirectedGINConv(5, 7)
    assert conv(torch.randn(4, 5), torch.tensor([[0, 1, 2], [1, 2, 3]])).shape == (4, 7)


def test_reset_parameters_reinitialises_every_layer():
    featurizer = GraphFeaturizer(NB101_VOCAB)
    model = encoder(featurizer, hidden_channels=16, out_channels=8)
    before = [p.detach().clone() for p in model.parameters()]
    model.reset_parameters()
    changed = [not torch.equal(a, b) for a, b in zip(before, model.parameters())]
    weights = [p.ndim > 1 for p in model.parameters()]
    assert all(c for c, w in zip(changed, weights) if w)


@pytest.mark.parametrize("bad", [{"in_channels": 0}, {"num_layers": -1}, {"dropout": 1.0}])
def test_bad_parameters_are_rejected(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        GraphEncoder(**{"in_channels": 4, **bad})


def test_any_node_permutation_of_a_batch_gives_the_same_embeddings():
    featurizer = GraphFeaturizer(NB101_VOCAB)
    model = encoder(featurizer)
    batch = featurizer(GraphBatch.from_graphs([BRANCHES, nb101_graph(["input", CONV1, "output"], [(0, 1), (1, 2)])]))
    permutation = torch.from_numpy(np.random.default_rng(0).permutation(batch.num_nodes))
    inverse = torch.empty_like(permutation)
    inverse[permutation] = torch.arange(len(permutation))
    with torch.no_grad():
        reference = model(batch.x, batch.edge_index, batch.batch, 2)
        permuted = model(batch.x[permutation], inverse[batch.edge_index], batch.batch[permutation], 2)
    torch.testing.assert_close(permuted, reference, atol=1e-5, rtol=1e-5)


def test_isomorphic_graphs_embed_identically():
    featurizer = GraphFeaturizer(NB101_VOCAB)
    model = encoder(featurizer)
    twins = list(topological_relabelings(BRANCHES))
    assert len(twins) >= 2 and all(t != BRANCHES for t in twins)  # really other node orders
    out = embed(model, featurizer, [BRANCHES, *twins])
    torch.testing.assert_close(out[1:], out[:1].expand_as(out[1:]), atol=1e-5, rtol=1e-5)


def test_real_nb101_cells_in_other_vertex_orders_embed_identically(nb101_sample):
    featurizer = GraphFeaturizer(NB101_VOCAB)
    model = encoder(featurizer)
    graphs = nb101_sample.graphs(nb101_sample.ids[:200])
    pairs = [(g, twin) for g in graphs for twin in itertools.islice(topological_relabelings(g), 1)]
    assert len(pairs) > 50
    out = embed(model, featurizer, [g for pair in pairs for g in pair]).reshape(len(pairs), 2, -1)
    torch.testing.assert_close(out[:, 1], out[:, 0], atol=1e-4, rtol=1e-5)


def test_direction_matters():
    # a layer tells predecessors from successors: reversing the edges changes its output
    torch.manual_seed(0)
    conv, x = DirectedGINConv(3, 4), torch.randn(3, 3)
    edges = torch.tensor([[0, 1], [1, 2]])
    assert not torch.allclose(conv(x, edges), conv(x, edges.flip(0)))
    # conv then pool is another network than pool then conv
    featurizer = GraphFeaturizer(NB101_VOCAB)
    model = encoder(featurizer)
    first = nb101_graph(["input", CONV3, POOL, "output"], [(0, 1), (1, 2), (2, 3)])
    second = nb101_graph(["input", POOL, CONV3, "output"], [(0, 1), (1, 2), (2, 3)])
    out = embed(model, featurizer, [first, second])
    assert (out[0] - out[1]).norm() > 1e-3
