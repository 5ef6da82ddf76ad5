"""Metric learning of graph edit distances: the LightningModule, its loss and its metrics.

The encoder ``e`` (:class:`~cbred.learned.encoder.GraphEncoder`) is trained so that the
Euclidean distance ``d(a, b) = ||e(a) - e(b)||_2`` approximates, and so orders, the target
distance ``t(a, b)`` (the graph edit distance) over pairs of an anchor ``a`` with its
candidates ``c``: mutants of the anchor (1 to k edits away) contrasted with random
architectures (far away). The default loss (``loss="regression"``) is the plain squared
error (:func:`~cbred.learned.losses.squared_error`)

``loss = mean over pairs of (d(a, c) - t(a, c))^2``

in squared edit operations, so that ``distance=learned`` reads in edit operations.
``loss="contrastive"`` trains on the order of the candidates instead, ``"both"`` on a
weighted sum (:mod:`cbred.learned.losses`). With ``tf_weight > 0`` a linear head predicts
every TF statistic's within-space percentile rank from the embedding
(:func:`~cbred.learned.losses.tf_rank_error`): an auxiliary term that makes embedding
neighbours alike in TF statistics; accuracy is never an input.

Why the plain squared error: it is the quantity the fidelity measures (agreement of the
embedding distances with the edit distances), it has no weights, radius or temperature to
tune, and the mix of near (mutant) and far (random) pairs gives every scale of the edit
distance its share of the gradient. Absolute, not relative, errors: most pairs of a space
are far apart (NB201: 5 to 16 edits), and their order is what the rank correlation with
the edit distance and the clusters depend on.

Fidelity (:func:`fidelity`): on held-out queries against a held-out pool, the Spearman
correlation between the embedding and the target distances of all query-pool pairs, and
the recall of the ``k`` nearest neighbours (:func:`neighbour_recall`).

References
----------
Y. Bai et al., "SimGNN: a neural network approach to fast graph similarity computation",
WSDM 2019 (regression of graph edit distances by a GNN).
R. Hadsell, S. Chopra and Y. LeCun, "Dimensionality reduction by learning an invariant
mapping", CVPR 2006 (contrastive learning from pairs of near and far examples).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
from scipy.stats import spearmanr
from torch import Tensor, nn

from cbred.learned.datamodule import FidelityBatch, FidelitySet, PairBatch
from cbred.distances.base import Distance
from cbred.learned.encoder import GraphEncoder
from cbred.learned.losses import LOSSES, objective_terms, squared_error, tf_rank_error


# -- losses -----------------------------------------------------------------------------
def embedding_distances(anchors: Tensor, candidates: Tensor) -> Tensor:
    """Euclidean distances, with a zero (not NaN) gradient between equal embeddings.

    Shapes
    ------
    anchors : (B, d), candidates : (B, M, d) -> (B, M)
    """
    squared = (anchors[:, None, :] - candidates).pow(2).sum(dim=-1)
    return squared.clamp_min(1e-12).sqrt()


# -- fidelity ---------------------------------------------------------------------------
def neighbour_recall(predicted: np.ndarray, reference: np.ndarray, k: int = 10) -> float:
    """Recall of the ``k`` nearest neighbours under ``reference`` among those under ``predicted``.

    For every query (row): the true neighbours are the pool members at most as far as
    its ``k``-th nearest under ``reference`` (ties included, as edit distances tie a lot);
    the predicted ones are its ``k`` nearest under ``predicted``, ties at the boundary
    broken at random (in expectation, so the value does not depend on the pool order).
    Recall = expected number of predicted neighbours that are true ones, over ``k``;
    averaged over the queries.

    Parameters
    ----------
    predicted, reference : arrays of shape (q, p)
        Distances from ``q`` queries to a pool of ``p`` graphs.
    k : int
        Neighbours (at most ``p``).

    Returns
    -------
    float in [0, 1]
    """
    predicted = np.asarray(predicted, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if predicted.shape != reference.shape or predicted.ndim != 2:
        raise ValueError(f"distance matrices of shapes {predicted.shape} and {reference.shape} differ")
    k = min(int(k), predicted.shape[1])
    if k < 1:
        raise ValueError(f"k must be >= 1 and the pool non-empty, got k={k}, shape {predicted.shape}")
    recalls = []
    for pred, ref in zip(predicted, reference):
        true = ref <= np.partition(ref, k - 1)[k - 1]
        boundary = np.partition(pred, k - 1)[k - 1]
        inside, tied = pred < boundary, pred == boundary
        left = k - inside.sum()  # places left for the tied candidates
        hits = (inside & true).sum() + left * (tied & true).sum() / tied.sum()
        recalls.append(hits / k)
    return float(np.mean(recalls))


def fidelity(predicted: np.ndarray, reference: np.ndarray, k: int = 10) -> dict[str, float]:
    """How well ``predicted`` distances agree with ``reference`` ones (same shape).

    Returns
    -------
    dict
        ``spearman`` (rank correlation over all entries), ``recall@k``
        (:func:`neighbour_recall`), ``pearson``.
    """
    predicted = np.asarray(predicted, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    flat_p, flat_r = predicted.ravel(), reference.ravel()
    constant = np.ptp(flat_p) == 0 or np.ptp(flat_r) == 0
    return {
        "spearman": 0.0 if constant else float(spearmanr(flat_p, flat_r)[0]),
        f"recall@{k}": neighbour_recall(predicted, reference, k),
        "pearson": 0.0 if constant else float(np.corrcoef(flat_p, flat_r)[0, 1]),
    }


def fidelity_table(distances: Mapping[str, Distance | np.ndarray], fidelity_set: FidelitySet, k: int = 10) -> pd.DataFrame:
    """Fidelity of several distances on one held-out set, one row per distance.

    Parameters
    ----------
    distances : mapping of str to Distance or ndarray
        E.g. the learned distance and the probabilistic ones; an array is the ``(q, p)``
        matrix of a distance between the set's queries and pool, computed already.
    fidelity_set : FidelitySet
        Queries, pool and the reference (edit) distances between them.
    k : int
        Neighbours of the recall.

    Returns
    -------
    DataFrame
        Index ``distance``; columns ``spearman``, ``recall@k``, ``pearson``.
    """
    rows = {
        name: fidelity(distance if isinstance(distance, np.ndarray)  # computed already
                       else distance.pairwise(fidelity_set.queries, fidelity_set.pool), fidelity_set.distances, k)
        for name, distance in distances.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("distance")


# -- the LightningModule ----------------------------------------------------------------
class MetricLearner(pl.LightningModule):
    """Trains a graph encoder whose Euclidean distances approximate a target distance.

    Parameters
    ----------
    encoder : GraphEncoder
        The network (injected; its :meth:`~GraphEncoder.config` goes into the checkpoint).
    space : str
        Name of the search space the graphs come from (checked by ``distance=learned``).
    vocab : sequence of str
        Node operation vocabulary (checked by ``distance=learned``).
    max_depth : int
        Depth clipping of the node features (:class:`~cbred.learned.featurizer.GraphFeaturizer`).
    lr : float, default=3e-3
        AdamW learning rate, annealed to 0 along a cosine over the epochs.
    weight_decay : float, default=1e-4
    k : int, default=10
        Neighbours of the recall metric.
    loss : {"regression", "contrastive", "both"}, default="regression"
        The objective (:data:`~cbred.learned.losses.OBJECTIVES`).
    loss_weights : mapping of str to float, optional
        Weight of each term of the objective (default 1 each), e.g. ``{"regression": 1,
        "contrastive": 0.5}`` for ``loss="both"``.
    margin : float, default=1.0
        Margin of the contrastive loss per edit operation of gap.
    tf_weight : float, default=0.0
        Weight of the TF-rank term; 0: no TF head (the model is the plain metric learner).
    tf_statistics : sequence of str, default=()
        The TF statistics whose ranks the head predicts (the datamodule's
        ``tf_statistics``, same order); required when ``tf_weight > 0``.
    target_power : float, default=1.0
        The objective (and ``val/loss``) reads targets ``t ** target_power``: 1, edit
        operations; 0.5, their square root, which a Euclidean embedding fits with less
        distortion (the square root of an edit distance is closer to Euclidean). The
        fidelity is unchanged by it (ranks and neighbours of ``t`` and ``t ** p`` agree);
        embedding distances read in ``edit operations ** target_power``.

    Notes
    -----
    Logged: ``train/loss`` (the objective of the training pairs), ``train/<term>`` for every
    term (and ``train/tf`` with the TF head); ``val/spearman``,
    ``val/recall@k``, ``val/pearson``, ``val/loss`` (the squared error over all
    query-pool pairs of the held-out set), and the same under ``test/``. With held-out
    sets of several spaces (:class:`~cbred.learned.joint.JointPairDataModule`) the plain
    names hold their mean weighted by queries, ``val/<space>/spearman`` etc. each space's. The
    checkpoint's ``hyper_parameters`` hold only plain values (``space``, ``vocab``,
    ``max_depth``, ``encoder_config``, ...), so ``torch.load(weights_only=True)`` reads it.
    """

    def __init__(
        self,
        encoder: GraphEncoder,
        *,
        space: str,
        vocab: tuple[str, ...] | list[str],
        max_depth: int,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        k: int = 10,
        loss: str = "regression",
        loss_weights: Mapping[str, float] | None = None,
        margin: float = 1.0,
        tf_weight: float = 0.0,
        tf_statistics: tuple[str, ...] | list[str] = (),
        target_power: float = 1.0,
    ) -> None:
        super().__init__()
        if not float(target_power) > 0:
            raise ValueError(f"MetricLearner: target_power must be positive, got {target_power!r}")
        if not float(lr) > 0:
            raise ValueError(f"MetricLearner: lr must be positive, got {lr!r}")
        if float(weight_decay) < 0:
            raise ValueError(f"MetricLearner: weight_decay must be >= 0, got {weight_decay!r}")
        if not float(margin) >= 0 or not float(tf_weight) >= 0:
            raise ValueError(f"MetricLearner: margin and tf_weight must be >= 0, got {margin!r}, {tf_weight!r}")
        if tf_weight > 0 and not tf_statistics:
            raise ValueError("MetricLearner: tf_weight > 0 needs tf_statistics (datamodule.tf_statistics)")
        self.terms_ = objective_terms(loss, loss_weights)
        self.save_hyperparameters(ignore=["encoder"])
        self.hparams["vocab"] = list(vocab)
        self.hparams["loss_weights"] = dict(self.terms_)
        self.hparams["tf_statistics"] = list(tf_statistics)
        self.hparams["encoder_config"] = encoder.config()
        self.encoder = encoder
        # the head exists only when trained, so that the plain learner's state_dict (and
        # every checkpoint written before it) is unchanged; ranks lie in (0, 1]
        self.tf_head = (
            nn.Sequential(nn.Linear(encoder.out_channels, len(tf_statistics)), nn.Sigmoid())
            if tf_weight > 0 else None
        )
        self.loss_params_ = {"contrastive": {"margin": float(margin)}}

    def objective(self, distances: Tensor, targets: Tensor) -> dict[str, Tensor]:
        """Every (unweighted) term of the objective on anchor-candidate distances.

        Shapes
        ------
        distances, targets : (B, M) -> dict of scalars
        """
        return {
            name: LOSSES[name](distances, targets, **self.loss_params_.get(name, {}))
            for name in self.terms_
        }

    def forward(self, batch) -> Tensor:
        """Embeddings of the graphs of a PyG batch, shape ``(num_graphs, d)``."""
        return self.encoder(batch.x, batch.edge_index, batch.batch, batch.num_graphs)

    def training_step(self, batch: PairBatch, batch_idx: int) -> Tensor:
        z = self(batch.graphs)
        terms = self.objective(
            embedding_distances(z[batch.anchors], z[batch.candidates]), batch.targets.pow(self.hparams.target_power)
        )
        loss = sum(self.terms_[name] * value for name, value in terms.items())
        if self.tf_head is not None:
            if batch.tf_ranks is None:
                raise ValueError("MetricLearner: tf_weight > 0 but the batch has no TF ranks "
                                 "(set datamodule.tf_statistics)")
            terms["tf"] = tf_rank_error(self.tf_head(z), batch.tf_ranks)
            loss = loss + self.hparams.tf_weight * terms["tf"]
        size = len(batch.anchors)
        self.log("train/loss", loss, prog_bar=True, on_step=False, on_epoch=True, batch_size=size)
        if len(terms) > 1:
            self.log_dict({f"train/{k}": v for k, v in terms.items()}, on_step=False, on_epoch=True, batch_size=size)
        return loss

    def _fidelity(self, batch: FidelityBatch, stage: str) -> dict[str, float]:
        z = self(batch.graphs)
        predicted = torch.cdist(z[: batch.n_queries], z[batch.n_queries :])
        metrics = fidelity(predicted.cpu().numpy(), batch.targets.cpu().numpy(), self.hparams.k)
        metrics["loss"] = float(squared_error(predicted, batch.targets.pow(self.hparams.target_power)))
        self.log_dict(
            {f"{stage}/{k}": v for k, v in metrics.items()},
            prog_bar=stage == "val", batch_size=batch.n_queries,
        )
        if batch.name is not None:  # one set of several spaces': also under its space's name
            self.log_dict({f"{stage}/{batch.name}/{k}": v for k, v in metrics.items()}, batch_size=batch.n_queries)
        return metrics

    def validation_step(self, batch: FidelityBatch, batch_idx: int) -> None:
        self._fidelity(batch, "val")

    def test_step(self, batch: FidelityBatch, batch_idx: int) -> None:
        self._fidelity(batch, "test")

    def configure_optimizers(self) -> dict[str, Any]:
        optimizer = torch.optim.AdamW(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
        epochs = self.trainer.max_epochs if self.trainer.max_epochs and self.trainer.max_epochs > 0 else 100
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
        return {"optimizer": optimizer, "lr_scheduler": scheduler}
