"""The TF-aware term reads TF statistics only: accuracy cannot reach it."""

import inspect

import numpy as np
import pandas as pd
import pytest
import torch

import cbred.tables
from cbred.distances import GraphEditDistance
from cbred.learned.datamodule import AnchorCandidates, GraphPairDataModule
from cbred.learned.encoder import GraphEncoder
from cbred.learned.featurizer import GraphFeaturizer
from cbred.learned.losses import tf_rank_error
from cbred.learned.metric_learner import MetricLearner
from cbred.selection.ranks import signed_ranks

STATISTICS = ("synflow", "naswot_v1")


@pytest.fixture
def tf_file(tmp_path):
    """Two TF statistics of every NB201 cell, and a shuffled accuracy column beside them."""
    table = cbred.tables.load_tf_table()[list(STATISTICS)].rename_axis("arch").reset_index()
    plain = tmp_path / "tf.csv"
    table.to_csv(plain, index=False)
    rng = np.random.default_rng(0)
    with_accuracy = tmp_path / "tf_with_accuracy.csv"
    table.assign(test_accuracy=rng.permutation(len(table)) / len(table)).to_csv(with_accuracy, index=False)
    pd.DataFrame({"arch": table["arch"], "accuracy": rng.random(len(table))}).to_csv(
        tmp_path / "accuracy.csv", index=False
    )
    return plain, with_accuracy


def _datamodule(space, tf_table) -> GraphPairDataModule:
    return GraphPairDataModule(
        space, GraphEditDistance(method="exact", cache=False), GraphFeaturizer(space.node_vocab),
        tf_statistics=STATISTICS, tf_table=str(tf_table), n_jobs=1, progress=False,
    )


def test_the_datamodule_takes_no_accuracy():
    parameters = set(inspect.signature(GraphPairDataModule).parameters)
    assert not {name for name in parameters if "acc" in name or "benchmark" in name}


def test_tf_ranks_ignore_accuracy_wherever_it_is(nb201_space, tf_file, monkeypatch):
    plain, with_accuracy = tf_file
    ranks = _datamodule(nb201_space, plain).tf_ranks()

    def no_accuracy(*args, **kwargs):
        raise AssertionError("accuracy was read")

    monkeypatch.setattr(cbred.tables, "load_accuracy", no_accuracy)
    shuffled = _datamodule(nb201_space, with_accuracy).tf_ranks()
    pd.testing.assert_frame_equal(ranks, shuffled)
    assert list(ranks.columns) == list(STATISTICS) and ranks.index.equals(pd.Index(nb201_space.ids, name="arch"))
    table = pd.read_csv(plain, index_col="arch").reindex(ranks.index)
    pd.testing.assert_frame_equal(ranks, signed_ranks(table, {"synflow": 1, "naswot_v1": 1}), check_names=False)
    assert ranks.min().min() > 0 and ranks.max().max() == 1


def test_batches_carry_the_ranks_of_their_graphs(nb201_space, tf_file):
    ids = list(nb201_space.ids[:5])
    graphs = nb201_space.graphs(ids)
    ranks = _datamodule(nb201_space, tf_file[0]).tf_ranks().reindex(ids).to_numpy(np.float32).copy()
    ranks[4] = np.nan  # a graph the TF table does not hold
    dataset = AnchorCandidates(
        graphs, [0, 1], [[2, 3], [3, 4]], [[1.0, 2.0], [2.0, 3.0]], GraphFeaturizer(nb201_space.node_vocab), ranks
    )
    batch = dataset.collate([1])
    used = torch.cat([batch.anchors, batch.candidates.ravel()]).unique()
    assert batch.tf_ranks.shape == (3, 2)
    torch.testing.assert_close(batch.tf_ranks, torch.from_numpy(ranks[[1, 3, 4]]), equal_nan=True)
    assert len(used) == 3
    assert dataset.collate([0]).tf_ranks is not None
    assert AnchorCandidates(graphs, [0], [[1]], [[1.0]], GraphFeaturizer(nb201_space.node_vocab)).collate(
        [0]
    ).tf_ranks is None  # the regression path: no TF ranks


def test_tf_rank_error_skips_unknown_ranks():
    predicted = torch.tensor([[0.5, 0.2], [0.9, 0.1]])
    ranks = torch.tensor([[0.5, float("nan")], [0.8, 0.3]])
    assert tf_rank_error(predicted, ranks).item() == pytest.approx((0.01 + 0.04) / 3)
    assert tf_rank_error(predicted, torch.full((2, 2), float("nan"))).item() == 0.0


def test_the_tf_head_learns_the_ranks_and_is_off_by_default(nb201_space, tf_file):
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        ids = list(nb201_space.sample(12, random_state=0))
        featurizer = GraphFeaturizer(nb201_space.node_vocab)
        batch = featurizer(nb201_space.graphs(ids))
        ranks = torch.from_numpy(_datamodule(nb201_space, tf_file[0]).tf_ranks().reindex(ids).to_numpy(np.float32))
        encoder = GraphEncoder(featurizer.num_features, hidden_channels=16, out_channels=8, num_layers=2)
        with pytest.raises(ValueError, match="tf_statistics"):
            MetricLearner(encoder, space="nb201", vocab=featurizer.vocab, max_depth=7, tf_weight=1.0)
        model = MetricLearner(
            encoder, space="nb201", vocab=featurizer.vocab, max_depth=7, tf_weight=1.0, tf_statistics=STATISTICS
        )
        assert model.hparams.tf_statistics == list(STATISTICS)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for _ in range(100):
            value = tf_rank_error(model.tf_head(model(batch)), ranks)
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            losses.append(value.item())
        assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    finally:
        torch.set_num_threads(threads)
