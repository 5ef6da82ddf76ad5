"""One featurizer for several spaces: every declared vocabulary round-trips."""

import numpy as np
import pytest
import torch

from cbred.learned.featurizer import GraphFeaturizer, space_vocab, union_vocab
from cbred.spaces.builtin import BUILTIN_SPACES

SPACES = list(BUILTIN_SPACES)
UNION = GraphFeaturizer.for_spaces(SPACES)


@pytest.fixture
def graphs_of(request):
    """A few graphs of a declared space (NB101's from the test sample: drawing enumerates the space)."""

    def graphs(name: str, n: int = 4):
        if name == "nb101":
            sample = request.getfixturevalue("nb101_sample")
            return sample.graphs(list(sample.ids[:n]))
        space = BUILTIN_SPACES[name]()
        rng = np.random.default_rng(0)
        return space.graphs([space.draw(rng) for _ in range(n)])

    return graphs


def _names(graphs) -> list[tuple[str, ...]]:
    """Operation names of every graph's real nodes, from the graph batch itself."""
    return [tuple(graphs.vocab[op] for op in row[mask]) for row, mask in zip(graphs.ops, graphs.node_mask)]


def test_union_vocab_keeps_the_first_vocabulary_in_place():
    assert union_vocab(("input", "a", "output"), ("input", "b", "a", "output")) == ("input", "a", "output", "b")
    assert UNION.vocab[: len(space_vocab(SPACES[0]))] == space_vocab(SPACES[0])
    assert set(UNION.vocab) == {op for name in SPACES for op in space_vocab(name)}


@pytest.mark.parametrize("name", SPACES)
def test_every_declared_vocabulary_round_trips(name, graphs_of):
    graphs = graphs_of(name)
    for featurizer in (GraphFeaturizer(space_vocab(name)), UNION):
        batch = featurizer(graphs)
        assert batch.num_graphs == len(graphs) and batch.x.shape[1] == featurizer.num_features
        assert featurizer.decode(batch) == _names(graphs)


@pytest.mark.parametrize("name", SPACES)
def test_the_union_adds_only_zero_columns_to_a_spaces_own_features(name, graphs_of):
    graphs = graphs_of(name)
    own, union = GraphFeaturizer(space_vocab(name))(graphs), UNION(graphs)
    columns = [UNION.vocab.index(op) for op in space_vocab(name)]
    width = len(UNION.vocab)
    torch.testing.assert_close(union.x[:, columns], own.x[:, : len(columns)])
    assert union.x[:, [c for c in range(width) if c not in columns]].sum() == 0
    torch.testing.assert_close(union.x[:, width:], own.x[:, len(columns):])
    assert torch.equal(union.edge_index, own.edge_index)


def test_a_spaces_featurizer_still_rejects_another_space(graphs_of):
    with pytest.raises(ValueError, match="another space"):
        GraphFeaturizer(space_vocab("nb201"))(graphs_of("nb101"))
    assert not GraphFeaturizer(space_vocab("nb201")).reads(space_vocab("nb101"))
    assert all(UNION.reads(space_vocab(name)) for name in SPACES)
