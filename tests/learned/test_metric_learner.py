"""Losses, fidelity metrics and a short real training run of the metric learner."""

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

from cbred.learned.datamodule import GraphPairDataModule
from cbred.learned.featurizer import GraphFeaturizer
from cbred.distances import GraphEditDistance
from cbred.learned.encoder import GraphEncoder
from cbred.learned.metric_learner import (
    MetricLearner,
    embedding_distances,
    fidelity,
    neighbour_recall,
    squared_error,
)


def test_embedding_distances_have_a_finite_gradient_at_zero():
    anchors = torch.zeros(2, 3, requires_grad=True)
    candidates = torch.tensor([[[0.0, 0, 0], [3, 4, 0]], [[1, 0, 0], [0, 0, 0]]])
    distances = embedding_distances(anchors, candidates)
    torch.testing.assert_close(distances, torch.tensor([[1e-6, 5.0], [1.0, 1e-6]]))
    distances.sum().backward()
    assert torch.isfinite(anchors.grad).all()


def test_squared_error_is_the_plain_mean_of_squares():
    targets = torch.tensor([[0.0, 3.0]])
    assert squared_error(targets, targets).item() == 0.0
    assert squared_error(torch.tensor([[1.0, 7.0]]), targets).item() == pytest.approx((1 + 16) / 2)


def test_neighbour_recall_with_ties():
    reference = np.array([[1.0, 2, 2, 5, 6]])
    assert neighbour_recall(-reference, reference, k=2) == 0.0  # farthest first
    assert neighbour_recall(reference, reference, k=2) == 1.0
    # the 2nd nearest ties (2, 2): either is a true neighbour
    assert neighbour_recall(np.array([[0.0, 3, 1, 4, 5]]), reference, k=2) == 1.0
    # a constant prediction picks 2 of 5 at random: 3 true ones -> expected 2 * 3/5 hits
    assert neighbour_recall(np.zeros((1, 5)), reference, k=2) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="shapes"):
        neighbour_recall(np.zeros((2, 5)), reference)


def test_fidelity_is_rank_based():
    rng = np.random.default_rng(0)
    reference = rng.random((4, 30))
    perfect = fidelity(np.exp(reference), reference, k=5)
    assert perfect["spearman"] == pytest.approx(1.0) and perfect["recall@5"] == 1.0
    assert perfect["pearson"] < 1.0
    noisy = fidelity(reference + rng.normal(0, 0.3, reference.shape), reference, k=5)
    assert 0.2 < noisy["spearman"] < 0.9
    assert fidelity(np.zeros((4, 30)), reference)["spearman"] == 0.0


def test_bad_loss_parameters():
    encoder = GraphEncoder(4)
    with pytest.raises(ValueError, match="lr must be positive"):
        MetricLearner(encoder, space="s", vocab=["input", "output"], max_depth=1, lr=0)
    with pytest.raises(ValueError, match="weight_decay"):
        MetricLearner(encoder, space="s", vocab=["input", "output"], max_depth=1, weight_decay=-1)


@pytest.mark.slow
def test_target_power_fits_the_embedding_to_a_power_of_the_targets():
    encoder = GraphEncoder(in_channels=3, hidden_channels=4, out_channels=2, num_layers=1)
    model = MetricLearner(encoder, space="s", vocab=["input", "output"], max_depth=1, target_power=0.5)
    targets = torch.tensor([[1.0, 4.0, 9.0]])
    assert model.objective(targets.sqrt(), targets.pow(model.hparams.target_power))["regression"].item() == 0.0
    with pytest.raises(ValueError, match="target_power"):
        MetricLearner(encoder, space="s", vocab=["input", "output"], max_depth=1, target_power=0)


@pytest.mark.slow  # exact edit distances of 3,700 pairs and 100 epochs: the full suite's, not the fast loop's
def test_short_training_lowers_the_loss_and_raises_fidelity(nb201_space, tmp_path):
    """Real data, real targets (exact edit distances of about 3,700 pairs), real training.

    An untrained encoder already ranks NB201 pairs fairly well (sums of random node
    features grow with the graph); training must do better on held-out architectures.
    """
    pl.seed_everything(0)
    torch.set_num_threads(1)
    featurizer = GraphFeaturizer(nb201_space.node_vocab)
    datamodule = GraphPairDataModule(
        nb201_space, GraphEditDistance(method="exact", cache=False), featurizer,
        n_anchors=500, n_mutations=3, n_random=3, val_fidelity=(12, 60), test_fidelity=(2, 12),
        batch_size=25, n_jobs=-1, progress=False,
    )
    model = MetricLearner(
        GraphEncoder(featurizer.num_features, hidden_channels=32, out_channels=16, num_layers=3),
        space=nb201_space.name, vocab=featurizer.vocab, max_depth=featurizer.max_depth, lr=5e-3,
    )
    losses: dict[int, list[float]] = {}

    class Losses(pl.Callback):
        def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
            losses.setdefault(trainer.current_epoch, []).append(float(outputs["loss"]))

    trainer = pl.Trainer(
        max_epochs=100, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, default_root_dir=tmp_path, callbacks=[Losses()],
    )
    before = trainer.validate(model, datamodule=datamodule, verbose=False)[0]
    trainer.fit(model, datamodule=datamodule)
    after = trainer.validate(model, datamodule=datamodule, verbose=False)[0]
    assert np.mean(losses[max(losses)]) < 0.2 * np.mean(losses[0])
    assert after["val/loss"] < 0.1 * before["val/loss"]  # distances in edit units
    assert after["val/spearman"] > before["val/spearman"] + 0.03 and after["val/spearman"] > 0.9
    assert after["val/pearson"] > before["val/pearson"] + 0.03
