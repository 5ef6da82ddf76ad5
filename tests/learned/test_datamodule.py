"""Anchors, mutants and edit-distance targets for Lightning."""

import numpy as np
import pytest
import torch

from cbred.spaces.nb101 import NB101Space
from cbred.distances import GraphEditDistance
from cbred.learned.datamodule import GraphPairDataModule
from cbred.learned.featurizer import GraphFeaturizer
from tests.distances.conftest import VOCAB


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
    batches = list(datamodule.train_dataloader())
    assert sorted(len(batch.anchors) for batch in batches) == [2, 5, 5]  # 12 anchors in batches of 5
    batch = next(batch for batch in batches if len(batch.anchors) == 5)
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
