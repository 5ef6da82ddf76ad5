"""Training data of the learned metric: features, split, mutations, targets, data module."""

import numpy as np
import pandas as pd
import pytest
import torch

from cbred.data.nb101 import NB101Space
from cbred.data.nb201 import EDGES, NB201Space, parse
from cbred.data.pairs import (
    MUTATIONS,
    GraphFeaturizer,
    GraphPairDataModule,
    longest_paths,
    mutate_nb101,
    mutate_nb201,
    pair_distances,
    split_architectures,
)
from cbred.distances import GraphEditDistance, Hellinger, exact_ged
from cbred.graph import GraphBatch
from cbred.paths import cache_dir
from tests.distances.conftest import VOCAB, graph

#: input -> conv -> pool -> output with a skip input -> output, and a two-node cell
SKIP = graph(["input", "conv", "pool", "output"], [(0, 1), (1, 2), (2, 3), (0, 3)])
EMPTY = graph(["input", "output"], [(0, 1)])


def test_longest_paths_of_a_padded_batch():
    batch = GraphBatch.from_graphs([SKIP, EMPTY])
    depth, height = longest_paths(batch.adjacency)
    assert depth.tolist() == [[0, 1, 2, 3], [0, 1, 0, 0]]
    assert height.tolist() == [[3, 2, 1, 0], [1, 0, 0, 0]]


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


def test_split_keeps_isomorphism_classes_and_graphs_together(nb201_space):
    split = split_architectures(nb201_space, val=0.1, test=0.05, random_state=1)
    assert split.index.equals(pd.Index(nb201_space.ids, name="arch"))
    share = split.value_counts(normalize=True)
    assert share["val"] == pytest.approx(0.1, abs=0.01) and share["test"] == pytest.approx(0.05, abs=0.01)
    classes = nb201_space.isomorphism_classes()
    assert split.groupby(classes.to_numpy()).nunique().max() == 1
    graphs = nb201_space.graphs()
    rows = [row.tobytes() for row in np.concatenate([graphs.ops, graphs.adjacency.reshape(len(graphs), -1)], 1)]
    assert split.groupby(rows).nunique().max() == 1
    assert split.equals(split_architectures(nb201_space, val=0.1, test=0.05, random_state=1))


@pytest.mark.parametrize("val, test", [(0.6, 0.4), (-0.1, 0.1), (1.0, 0.0)])
def test_split_rejects_bad_fractions(nb201_space, val, test):
    with pytest.raises(ValueError, match="holdout"):
        split_architectures(nb201_space, val=val, test=test)


def test_nb201_mutation_changes_exactly_the_given_number_of_edges(nb201_space):
    rng = np.random.default_rng(0)
    for steps in (1, 2, 3):
        arch = nb201_space.ids[int(rng.integers(len(nb201_space)))]
        mutant, mutant_graph = mutate_nb201(nb201_space, arch, steps, rng)
        assert sum(a != b for a, b in zip(parse(arch), parse(mutant))) == steps
        assert mutant_graph == nb201_space.graph(mutant)
    assert MUTATIONS["nb201"] is mutate_nb201
    with pytest.raises(KeyError, match="choices: nb101, nb201"):
        MUTATIONS["nb301"]


def test_nb101_mutation_gives_valid_other_cells(nb101_sample):
    rng = np.random.default_rng(0)
    for arch in nb101_sample.ids[:20]:
        mutant, mutant_graph = mutate_nb101(nb101_sample, arch, 2, rng)
        assert mutant != arch and len(mutant) == 32
        assert mutant_graph.n_nodes <= 7 and mutant_graph.n_edges <= 9


def test_pair_distances_are_the_exact_edit_distances(nb201_space):
    graphs = nb201_space.graphs(nb201_space.ids[::1500])
    pairs = np.array([[0, 1], [1, 2], [3, 3], [4, 9], [0, 5], [2, 7]])
    distance = GraphEditDistance(method="exact")
    costs = distance.costs(graphs.vocab)
    expected = [exact_ged(graphs[i], graphs[j], costs) for i, j in pairs]
    values = pair_distances(distance, graphs, pairs, n_jobs=2, chunk_size=2, cache=False, progress=False)
    np.testing.assert_allclose(values, expected)
    assert values[2] == 0.0


def test_pair_distances_resume_from_the_finished_chunks(nb201_space, monkeypatch):
    import cbred.data.pairs as module

    graphs = nb201_space.graphs(nb201_space.ids[:40])
    pairs = np.stack([np.arange(0, 20), np.arange(20, 40)], axis=1)
    distance = Hellinger(feature="edge_pair_histogram")
    run = dict(chunk_size=8, progress=False)
    full = pair_distances(distance, graphs, pairs, cache=False, **run)
    original = module._run_pair_tasks

    def interrupted(distance, tasks, workers):  # killed after the first of 3 chunks
        for n, item in enumerate(original(distance, tasks, workers)):
            if n == 1:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(module, "_run_pair_tasks", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pair_distances(distance, graphs, pairs, **run)
    computed = []

    def counting(distance, tasks, workers):
        computed.extend(tasks)
        yield from original(distance, tasks, workers)

    monkeypatch.setattr(module, "_run_pair_tasks", counting)
    resumed = pair_distances(distance, graphs, pairs, **run)
    assert sorted(computed) == [1, 2]  # the finished chunk was read, not recomputed
    np.testing.assert_allclose(resumed, full)
    final = next((cache_dir() / "pair_distances").glob("hellinger-*.npy"))
    assert not final.with_suffix("").exists()
    computed.clear()
    np.testing.assert_array_equal(pair_distances(distance, graphs, pairs, **run), resumed)  # cached
    assert computed == []


def test_a_bad_cached_target_file_is_reported_and_recomputed(nb201_space):
    from cbred.cache import CacheWarning

    graphs = nb201_space.graphs(nb201_space.ids[:10])
    pairs = np.stack([np.arange(0, 5), np.arange(5, 10)], axis=1)
    distance = Hellinger(feature="op_histogram")
    expected = pair_distances(distance, graphs, pairs, progress=False)
    final = [p for p in (cache_dir() / "pair_distances").glob("hellinger-*.npy")
             if np.array_equal(np.load(p), expected)][0]
    np.save(final, expected + 1.0)  # well formed, wrong
    with pytest.warns(CacheWarning, match=final.name):
        np.testing.assert_array_equal(pair_distances(distance, graphs, pairs, progress=False), expected)


def test_pair_distances_reject_bad_positions(nb201_space):
    graphs = nb201_space.graphs(nb201_space.ids[:3])
    with pytest.raises(ValueError, match="pair positions"):
        pair_distances(Hellinger(), graphs, np.array([[0, 3]]), cache=False)


def small_datamodule(space, **params) -> GraphPairDataModule:
    settings = dict(
        n_anchors=12, n_mutations=2, max_mutation_steps=2, n_random=2, val_fidelity=(3, 12),
        test_fidelity=(3, 12), batch_size=5, n_jobs=1, progress=False,
        holdout={"val": 0.1, "test": 0.1},
    )
    return GraphPairDataModule(
        space, GraphEditDistance(method="exact", cache=False), GraphFeaturizer(space.node_vocab),
        **{**settings, **params},
    )


@pytest.mark.slow
def test_datamodule_batches_and_held_out_architectures(nb201_space):
    datamodule = small_datamodule(nb201_space)
    datamodule.setup("fit")
    train = datamodule.train_set_
    assert len(train) == 12 and train.targets.shape == (12, 4)
    assert (train.targets >= 0).all() and train.targets.max() > 1
    held_out = set(datamodule.split_.index[datamodule.split_ != "train"])
    assert not held_out & set(train.graphs.ids)
    assert not held_out & set(datamodule.val_set_.queries.ids + datamodule.val_set_.pool.ids) - set(
        datamodule.split_.index[datamodule.split_ == "val"]
    )
    batch = next(iter(datamodule.train_dataloader()))
    assert batch.anchors.shape == (5,) and batch.candidates.shape == (5, 4)
    assert batch.graphs.num_graphs == len(torch.unique(torch.cat([batch.anchors, batch.candidates.ravel()])))
    val = next(iter(datamodule.val_dataloader()))
    assert val.n_queries == 3 and val.targets.shape == (3, 12) and val.graphs.num_graphs == 15


@pytest.mark.slow
def test_nb101_sample_trains_on_mutants_outside_the_sample(nb101_sample):
    datamodule = small_datamodule(nb101_sample)
    datamodule.setup("fit")
    ids = set(datamodule.train_set_.graphs.ids)
    outside = ids - set(nb101_sample.ids)
    assert outside  # valid NB101 cells that the 1,000-cell sample does not hold
    held_out = datamodule.split_.index[datamodule.split_ != "train"]
    assert not ids & set(held_out)  # NB101 ids are isomorphism classes
    assert np.isfinite(datamodule.train_set_.targets).all()


def test_empty_training_split_is_one_clear_error(nb101_sample):
    tiny = NB101Space(nb101_sample.table.iloc[:4])
    with pytest.raises(ValueError, match="train split of space 'nb101' is empty"):
        small_datamodule(tiny, holdout={"val": 0.45, "test": 0.45}).setup("fit")


def test_datamodule_rejects_a_featurizer_of_another_space(nb201_space):
    datamodule = GraphPairDataModule(
        nb201_space, GraphEditDistance(method="exact"), GraphFeaturizer(VOCAB)
    )
    with pytest.raises(ValueError, match="not the vocabulary of space 'nb201'"):
        datamodule.setup("fit")
