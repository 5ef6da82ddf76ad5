"""Objectives of the learned metric, by name: small loss functions and their weighted sums.

Every loss of :data:`LOSSES` maps the embedding distances ``d`` of a batch of anchors to
their candidates, and the target (edit) distances ``t`` of the same pairs, to a scalar:

- ``regression`` (:func:`squared_error`): ``mean (d - t)^2``, the embedding distance
  *is* the edit distance (in edit operations);
- ``contrastive`` (:func:`ranked_triplet`): for every anchor and every two of its
  candidates ``i`` nearer than ``j`` (``t_i < t_j``), ``max(0, d_i - d_j + margin (t_j - t_i))``:
  the farther candidate must be farther in the embedding by at least the edit-distance gap.

:data:`OBJECTIVES` names the sums the model can be trained on (``model.loss``):
``regression``, ``contrastive`` and ``both`` (the weighted sum of the two, weights
``model.loss_weights``). :func:`tf_rank_error` is the optional TF-aware auxiliary term.

Why a triplet loss with a gap-scaled margin rather than InfoNCE: the datamodule already
gives every anchor candidates at known, graded edit distances (mutants 1..k steps away,
random architectures far away), so every ordered pair of an anchor's candidates is a
triplet without new sampling, and a margin in edit operations makes a larger edit gap a
larger required separation, where InfoNCE needs a temperature and treats a 1-edit and a
3-edit mutant alike as positives. The margin bounds differences from below only: trained on
NB201 alone, the contrastive embedding's distances come out about 3.5 times the edit
distance, so they rank (what kNN neighbourhoods read) but are not in edit operations;
``both`` ties them to the scale through the regression.

References
----------
F. Schroff, D. Kalenichenko and J. Philbin, "FaceNet: a unified embedding for face
recognition and clustering", CVPR 2015 (the triplet loss).
J. Wang et al., "Learning fine-grained image similarity with deep ranking", CVPR 2014
(triplets ranked by a graded similarity).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from torch import Tensor

from cbred.registry import Registry

#: Loss functions ``f(distances, targets, **params) -> scalar`` by name.
LOSSES: Registry[Callable[..., Tensor]] = Registry("loss")

#: The terms each value of ``model.loss`` sums (each weighted by ``model.loss_weights``).
OBJECTIVES: Mapping[str, tuple[str, ...]] = {
    "regression": ("regression",),
    "contrastive": ("contrastive",),
    "both": ("regression", "contrastive"),
}


@LOSSES.register("regression")
def squared_error(distances: Tensor, targets: Tensor) -> Tensor:
    """Mean of ``(d - t)^2``, in squared target units (edit operations).

    Shapes
    ------
    distances, targets : (B, M) -> scalar
    """
    return (distances - targets).pow(2).mean()


@LOSSES.register("contrastive")
def ranked_triplet(distances: Tensor, targets: Tensor, margin: float = 1.0) -> Tensor:
    """Triplet loss over an anchor's candidates ranked by target distance, margin scaled by the gap.

    For every anchor ``b`` and candidates ``i, j`` with ``t_bi < t_bj``: the hinge
    ``max(0, d_bi - d_bj + margin * (t_bj - t_bi))``, averaged over such triplets (ties in
    ``t`` make no triplet: the edit distance does not order them).

    Shapes
    ------
    distances, targets : (B, M) -> scalar
    """
    gap = targets[:, None, :] - targets[:, :, None]  # [b, i, j] = t_bj - t_bi
    hinge = (distances[:, :, None] - distances[:, None, :] + margin * gap).clamp_min(0)
    ordered = gap > 0
    if not ordered.any():  # all candidates tied: zero, still attached to the graph
        return distances.sum() * 0.0
    return hinge[ordered].mean()


def objective_terms(loss: str, weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """The weighted terms of objective ``loss`` (a key of :data:`OBJECTIVES`).

    Terms missing from ``weights`` weigh 1.
    """
    if loss not in OBJECTIVES:
        raise ValueError(f"unknown loss {loss!r} (choices: {', '.join(OBJECTIVES)})")
    weights = dict(weights or {})
    unknown = set(weights) - set(LOSSES)
    if unknown:
        raise ValueError(f"loss_weights name unknown loss(es) {sorted(unknown)} (known: {', '.join(LOSSES)})")
    terms = {name: float(weights.get(name, 1.0)) for name in OBJECTIVES[loss]}
    if any(not w >= 0 for w in terms.values()) or not any(terms.values()):
        raise ValueError(f"loss weights must be >= 0 and not all 0, got {terms}")
    return terms


def tf_rank_error(predicted: Tensor, ranks: Tensor) -> Tensor:
    """Squared error of predicted TF percentile ranks, over the known ranks only.

    Graphs without a TF row (a mutant outside the table) have NaN ranks and no say.

    Shapes
    ------
    predicted, ranks : (N, S) -> scalar
    """
    known = ~ranks.isnan()
    if not known.any():
        return predicted.sum() * 0.0
    return (predicted[known] - ranks[known]).pow(2).mean()
