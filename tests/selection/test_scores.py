import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from cbred.selection import dominance, enrichment, median_rank


@pytest.fixture
def space():
    """Ten architectures, two statistics (already signed ranks), three clusters and one unclustered."""
    ranks = pd.DataFrame(
        {"s1": np.arange(1, 11) / 10, "s2": np.array([2, 1, 4, 3, 6, 5, 8, 7, 10, 9]) / 10},
        index=[f"a{i}" for i in range(10)],
    )
    labels = pd.Series([0, 0, 0, 1, 1, 1, 2, 2, 2, -1], index=ranks.index)
    return ranks, labels


def test_median_rank(space):
    ranks, labels = space
    scores = median_rank(ranks, labels)
    # cluster 0: medians s1 0.2, s2 0.2 -> 0.2; cluster 1: 0.5, 0.5; cluster 2: 0.8, 0.8
    assert scores.to_dict() == pytest.approx({0: 0.2, 1: 0.5, 2: 0.8})


def test_enrichment_counts_the_top_of_the_whole_space(space):
    ranks, labels = space
    scores = enrichment(ranks, labels, quantile=0.2)
    # top 20 % of the space: s1 -> a8, a9; s2 -> a8, a9 (values 1.0 and 0.9);
    # the unclustered a9 counts in the base rate (0.2) but in no cluster
    assert scores.to_dict() == pytest.approx({0: 0.0, 1: 0.0, 2: (1 / 3) / 0.2})
    with pytest.raises(ValueError, match="quantile"):
        enrichment(ranks, labels, quantile=1.0)


def test_enrichment_keeps_ties_at_the_top(space):
    ranks, labels = space
    # a saturated statistic: the 4 best architectures share the maximum (average rank 0.85)
    saturated = ranks.assign(s1=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.85, 0.85, 0.85, 0.85])
    scores = enrichment(saturated, labels, quantile=0.1)
    # s1: top = a6..a9 (nobody beats them), base 0.4, cluster 2 holds 3 of its 3 -> 2.5;
    # s2: top = a8 only (value 1.0), base 0.1, cluster 2 holds 1 of 3 -> 3.33
    assert scores.to_dict() == pytest.approx({0: 0.0, 1: 0.0, 2: (2.5 + (1 / 3) / 0.1) / 2})


def test_dominance_is_a_copeland_tournament_of_mann_whitney_tests():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.uniform(0.0, 0.4, 40), rng.uniform(0.3, 0.7, 40), rng.uniform(0.6, 1.0, 40),
                             rng.uniform(0.3, 0.7, 40)])
    ranks = pd.DataFrame({"s": values})
    labels = pd.Series(np.repeat([0, 1, 2, 3], 40))
    scores = dominance(ranks, labels, alpha=0.05)
    # 2 beats everyone (+3), 0 loses to everyone (-3); 1 and 3 are alike: each beats 0, loses to 2
    assert np.floor(scores).to_dict() == {0: -3, 1: 0, 2: 3, 3: 0}
    # the tie between 1 and 3 is broken by the mean probability of superiority
    p13 = mannwhitneyu(values[40:80], values[120:], alternative="two-sided").statistic / 1600
    assert (scores[1] > scores[3]) == (p13 > 0.5)
    # alpha=1 counts every majority, even an insignificant one
    assert np.floor(dominance(ranks, labels, alpha=1.0)).to_dict()[1] == (1 if p13 > 0.5 else -1)


def test_scores_need_clustered_architectures(space):
    ranks, labels = space
    with pytest.raises(ValueError, match="no clustered"):
        median_rank(ranks, labels * 0 - 1)
    with pytest.raises(ValueError, match="share one index"):
        median_rank(ranks, labels.reset_index(drop=True))
