"""Choosing the sub-space: the variant (C or Q+C), the score, the minimum cluster size.

C-BRED (C)
    clusters the whole space, scores every cluster, returns the best one.
C-BRED (Q+C)
    first keeps the best ``quantile`` of the space by the aggregate TF rank
    (:func:`cbred.selection.ranks.aggregate_rank`), then clusters what is left.

A cluster is eligible when it holds at least ``min_size`` architectures (cells of the
space, isomorphic duplicates included): a tiny cluster can score high by chance and is a
useless search space.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

#: Variant names accepted in configs (``QC`` is C-BRED (Q+C)).
VARIANTS = {"C": False, "QC": True, "Q+C": True}

ScoreFunction = Callable[[pd.DataFrame, pd.Series], pd.Series]


@dataclass(frozen=True)
class ClusterSelection:
    """How C-BRED turns clusters into a sub-space.

    Parameters
    ----------
    score : callable
        ``score(ranks, labels) -> Series`` (see :mod:`cbred.selection.scores`).
    variant : {"C", "QC", "Q+C"}, default="C"
    quantile : float, default=0.5
        Fraction of the space kept by the Q+C pre-filter (ignored by C).
    min_size : int, default=1
        Smallest eligible cluster, in architectures.
    """

    score: ScoreFunction
    variant: str = "C"
    quantile: float = 0.5
    min_size: int = 1

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant={self.variant!r}; choices: {', '.join(VARIANTS)}")
        if not 0 < self.quantile <= 1:
            raise ValueError(f"quantile must be in (0, 1], got {self.quantile}")
        if int(self.min_size) != self.min_size or self.min_size < 1:
            raise ValueError(f"min_size must be a positive integer, got {self.min_size}")

    @property
    def prefilters(self) -> bool:
        return VARIANTS[self.variant]

    def prefilter(self, tf_rank: pd.Series) -> pd.Series:
        """Boolean mask of the architectures to cluster (all of them for C).

        Q+C keeps exactly ``ceil(quantile * n)`` architectures with the highest aggregate
        rank (ties broken by order).
        """
        if not self.prefilters:
            return pd.Series(True, index=tf_rank.index)
        n_keep = math.ceil(self.quantile * len(tf_rank))
        return tf_rank.rank(ascending=False, method="first") <= n_keep

    def eligible(self, sizes: pd.Series) -> pd.Series:
        """True for the clusters of at least ``min_size`` architectures (``sizes`` in cells)."""
        return sizes >= self.min_size

    def choose(self, scores: pd.Series, sizes: pd.Series) -> int:
        """Id of the best-scoring cluster among those with at least ``min_size`` architectures."""
        sizes = sizes.reindex(scores.index).fillna(0)
        eligible = scores[self.eligible(sizes)]
        if eligible.empty:
            raise ValueError(
                f"no cluster has at least min_size={self.min_size} architectures (largest: "
                f"{int(sizes.max())}); lower selection.min_size or the number of clusters"
            )
        return int(eligible.idxmax())
