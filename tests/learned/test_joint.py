"""One encoder for several spaces: joint batches, held-out sets kept apart, per-space metrics."""

import numpy as np
import pytest


from cbred.distances import GraphEditDistance
from cbred.learned.datamodule import EXCLUDED, GraphPairDataModule, SpaceBatchSampler
from cbred.learned.featurizer import GraphFeaturizer, union_vocab
from cbred.learned.joint import JointPairDataModule, graph_keys
from cbred.spaces.edge_cell import EdgeCellSpace

# the narrow space's cells are the wide space's cells without nor_conv_1x1 (as TNB101-micro in NB201)
WIDE = EdgeCellSpace(name="wide", n_nodes=4, operations=["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3"])
NARROW = EdgeCellSpace(name="narrow", n_nodes=4, operations=["none", "skip_connect", "nor_conv_3x3"])
FEATURIZER = GraphFeaturizer(union_vocab(WIDE.node_vocab, NARROW.node_vocab))
SETTINGS = dict(
    n_anchors=16, n_mutations=2, max_mutation_steps=2, n_random=2, val_fidelity=(3, 10), test_fidelity=(3, 10),
    batch_size=5, n_jobs=1, progress=False, holdout={"val": 0.15, "test": 0.15}, seed=3,
)


def module(space, **params) -> GraphPairDataModule:
    return GraphPairDataModule(space, GraphEditDistance(method="exact", cache=False), FEATURIZER,
                               **{**SETTINGS, **params})


@pytest.fixture(scope="module")
def joint():
    datamodule = JointPairDataModule({"wide": module(WIDE), "narrow": module(NARROW)})
    datamodule.setup("fit")
    return datamodule


def test_batches_hold_one_space_cover_every_item_once_and_reshuffle_every_epoch():
    sampler = SpaceBatchSampler([5, 12], batch_size=4, seed=0)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert len(sampler) == len(first) == 2 + 3
    for epoch in (first, second):
        assert sorted(i for batch in epoch for i in batch) == list(range(17))
        assert all(max(batch) < 5 or min(batch) >= 5 for batch in epoch)  # never both spaces
    assert first != second
    resumed = SpaceBatchSampler([5, 12], batch_size=4, seed=0)
    resumed.set_epoch(1)  # a run resumed at epoch 1 sees the uninterrupted run's epoch 1
    assert list(resumed) == second


def _graphs_by_name(graphs) -> set:
    """Every graph as (operation names, edges) of its real nodes: equal across vocabularies."""
    found = set()
    for ops, adjacency, mask in zip(graphs.ops, graphs.adjacency, graphs.node_mask):
        names = tuple(graphs.vocab[op] for op in ops[mask])
        found.add((names, tuple(map(tuple, np.argwhere(adjacency[mask][:, mask])))))
    return found


def test_no_space_trains_on_a_graph_or_class_another_holds_out(joint):
    wide, narrow = joint.modules["wide"], joint.modules["narrow"]
    assert joint.excluded_["wide"] > 0 and joint.excluded_["narrow"] > 0
    for own, other in ((wide, narrow), (narrow, wide)):
        held_out = list(other.split_.index[other.split_.isin(["val", "test"])])
        trained = list(own.train_set_.graphs.ids)
        assert trained and not _graphs_by_name(own.space.graphs(trained)) & _graphs_by_name(other.space.graphs(held_out))
        assert not set(own.space.isomorphism_classes(trained)) & set(other.space.isomorphism_classes(held_out))
        assert (own.split_ == EXCLUDED).sum() == joint.excluded_[own.space.name]
    # a wide cell whose nor_conv_1x1 sits on a pruned edge has a narrow cell's graph, not its class
    pruned = "|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|nor_conv_1x1~2|"
    twin = "|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|"
    assert _graphs_by_name(WIDE.graphs([pruned])) == _graphs_by_name(NARROW.graphs([twin]))
    assert WIDE.isomorphism_class(pruned) != NARROW.isomorphism_class(twin)


def test_graph_keys_are_equal_exactly_for_equal_graphs_across_vocabularies():
    wide_keys, narrow_keys = graph_keys([WIDE.graphs(), NARROW.graphs()])
    graphs = [next(iter(_graphs_by_name(space.graphs([arch])))) for space in (WIDE, NARROW) for arch in space.ids]
    keys = wide_keys.tolist() + narrow_keys.tolist()
    key_of = {}
    for key, graph in zip(keys, graphs):
        assert key_of.setdefault(graph, key) == key  # equal graphs: equal keys
    assert len(set(keys)) == len(key_of)  # other graphs: other keys
    assert set(narrow_keys.tolist()) < set(wide_keys.tolist())  # every narrow graph is a wide one


def test_each_space_keeps_the_held_out_sets_it_has_alone(joint):
    alone = module(NARROW)
    alone.setup("fit")
    for split in ("val_set_", "test_set_"):
        mine, theirs = getattr(alone, split), getattr(joint.modules["narrow"], split)
        assert mine.queries.ids == theirs.queries.ids and mine.pool.ids == theirs.pool.ids
        np.testing.assert_array_equal(mine.distances, theirs.distances)
    assert joint.test_sets()["narrow"] is joint.modules["narrow"].test_set_


def test_loaders_give_one_space_per_training_batch_and_a_named_set_per_space(joint):
    sizes = [len(part) for part in joint.train_set_.parts.values()]
    loader = joint.train_dataloader()
    batches = list(loader)
    assert len(batches) == sum(-(-size // 5) for size in sizes)
    assert sum(len(batch.anchors) for batch in batches) == sum(sizes) == 2 * 16
    assert all(max(items) < sizes[0] or min(items) >= sizes[0] for items in loader.batch_sampler)
    assert joint.train_set_.n_pairs == 2 * 16 * (2 + 2)  # anchors x (mutants + random) per space
    tests = list(joint.test_dataloader())
    assert [batch.name for batch in tests] == ["wide", "narrow"]
    assert all(batch.targets.shape == (3, 10) for batch in tests)


def test_a_batch_mixing_spaces_is_refused(joint):
    size = len(joint.train_set_.parts["wide"])
    with pytest.raises(ValueError, match=r"mixes the pairs of spaces \['narrow', 'wide'\]"):
        joint.train_set_.collate([0, size])


def test_modules_that_disagree_are_named():
    with pytest.raises(ValueError, match="space 'narrow' has another batch_size"):
        JointPairDataModule({"wide": module(WIDE), "narrow": module(NARROW, batch_size=7)}).setup()
    with pytest.raises(ValueError, match="the module of 'other' holds space 'narrow'"):
        JointPairDataModule({"wide": module(WIDE), "other": module(NARROW)}).setup()
    with pytest.raises(ValueError, match="at least two spaces"):
        JointPairDataModule({"wide": module(WIDE)}).setup()


def test_a_module_set_up_alone_cannot_join(joint):
    ready = module(NARROW)
    ready.setup("fit")
    with pytest.raises(ValueError, match="module of 'narrow' is set up already"):
        JointPairDataModule({"wide": module(WIDE), "narrow": ready}).setup()
    with pytest.raises(RuntimeError, match="call it before setup"):
        ready.exclude([])
