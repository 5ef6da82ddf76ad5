"""Cluster score functions ``f``: how promising a cluster's TF-statistic distribution is.

Every score has the signature ``f(ranks, labels, **params) -> Series`` and returns one
number per cluster (indexed by cluster id, higher is better):

ranks : DataFrame, shape (n_archs, n_statistics)
    Signed within-space percentile ranks (:func:`cbred.selection.ranks.signed_ranks`)
    of *every* architecture of the space being reduced.
labels : Series, shape (n_archs,)
    Cluster of each architecture (same index); ``-1`` for architectures that were not
    clustered (removed by the Q+C pre-filter). They still count as the space the
    enrichment baseline refers to.

Configs pick one with Hydra (``_target_: cbred.selection.scores.median_rank``,
``_partial_: true`` plus its parameters).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from cbred.selection.ranks import aggregate_rank


def _clustered(ranks: pd.DataFrame, labels: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    labels = pd.Series(labels, index=ranks.index) if not isinstance(labels, pd.Series) else labels
    if not labels.index.equals(ranks.index):
        raise ValueError("labels and ranks must share one index (architecture ids)")
    inside = labels >= 0
    if not inside.any():
        raise ValueError("no clustered architecture to score")
    return ranks[inside], labels[inside]


def median_rank(ranks: pd.DataFrame, labels: pd.Series) -> pd.Series:
    """Median within-space rank of each statistic in the cluster, averaged over statistics.

    With signed ranks, "higher NASWOT" and "lower NTK condition number" both raise it.
    0.5 is an average cluster, 1 a cluster of the space's best architectures.
    """
    ranks, labels = _clustered(ranks, labels)
    return ranks.groupby(labels).median().mean(axis=1).rename("score")


def enrichment(ranks: pd.DataFrame, labels: pd.Series, quantile: float = 0.1) -> pd.Series:
    """Enrichment of the cluster in the space's top ``quantile`` of each statistic.

    For each statistic, the share of the cluster's architectures that are in the top
    ``quantile`` of the whole space, divided by the share of the whole space that is;
    averaged over statistics. 1 = as often as chance, 2 = twice as often. An architecture
    is in the top when fewer than ``quantile`` of the space beat it, so ties at the
    threshold are all in (a saturated statistic, e.g. linear regions at their maximum,
    can put more than ``quantile`` of the space in its top; the base share accounts for it).
    """
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    beaten_by = len(ranks) - ranks.rank(method="max")  # architectures strictly better
    top = beaten_by < quantile * len(ranks)
    base = top.mean()  # share of the whole space, ties included; > 0 (the best is in)
    inside, labels = _clustered(top, labels)
    return (inside.groupby(labels).mean() / base).mean(axis=1).rename("score")


def dominance(ranks: pd.DataFrame, labels: pd.Series, alpha: float = 0.05) -> pd.Series:
    """Copeland score of the pairwise stochastic-dominance tournament between clusters.

    For every pair of clusters ``(A, B)``, a two-sided Mann-Whitney U test on the
    architectures' aggregate ranks; ``A`` beats ``B`` when ``P(a > b) = U / (n_A n_B) > 1/2``
    with p-value below ``alpha``. The Copeland score is wins minus losses; ties are broken
    by the mean probability of superiority over the other clusters, added as the
    fractional part (in ``[0, 1)``, it never overturns a Copeland difference).

    References
    ----------
    H. B. Mann and D. R. Whitney, "On a test of whether one of two random variables is
    stochastically larger than the other", Ann. Math. Statist., 1947.
    A. H. Copeland, "A reasonable social welfare function", seminar notes, University of
    Michigan, 1951.
    """
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    ranks, labels = _clustered(ranks, labels)
    score = aggregate_rank(ranks)
    groups = {c: score[labels == c].to_numpy() for c in np.unique(labels)}
    copeland = pd.Series(0.0, index=list(groups))
    superiority = pd.Series(0.0, index=list(groups))
    for a, b in itertools.combinations(groups, 2):
        test = mannwhitneyu(groups[a], groups[b], alternative="two-sided")
        p_ab = test.statistic / (len(groups[a]) * len(groups[b]))
        superiority[a] += p_ab
        superiority[b] += 1 - p_ab
        if test.pvalue < alpha and p_ab != 0.5:
            winner, loser = (a, b) if p_ab > 0.5 else (b, a)
            copeland[winner] += 1
            copeland[loser] -= 1
    others = max(len(groups) - 1, 1)
    tie_break = np.minimum(superiority / others, np.nextafter(1.0, 0.0))
    return (copeland + tie_break).rename("score")
