"""Selection procedures on synthetic spaces: sizes, determinism, compositions, a planted region."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import pairwise_distances

from cbred.clustering import MetricAgglomerative, MetricKMeans, PredictiveSelection, StabilitySelection
from cbred.selection import (
    ClusterUnion,
    NeighbourhoodScore,
    QuantileAfter,
    QuantileFirst,
    TFQuantile,
    fill_budget,
    signed_ranks,
)


@pytest.fixture(scope="module")
def planted():
    """3,000 points in the unit square; 67 of them (a disc) are better, but noise hides them cell by cell."""
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(3000, 2))
    inside = np.linalg.norm(X - [0.7, 0.3], axis=1) < 0.08
    stats = pd.DataFrame({f"s{j}": inside + rng.normal(0, 1.0, len(X)) for j in range(2)})
    return X, signed_ranks(stats, {"s0": 1, "s1": 1}), inside


def _agglomerative():
    return PredictiveSelection(MetricAgglomerative(linkage="ward"), param_grid={"n_clusters": [10, 20, 50, 100, 200]})


def _procedures():
    stability = StabilitySelection(MetricKMeans(random_state=0), param_grid={"n_clusters": [3, 5]}, n_resamples=3,
                                   random_state=0)
    return {
        "quantile": TFQuantile(),
        "neighbourhood": NeighbourhoodScore(),
        "clusters": ClusterUnion(clusterer=_agglomerative()),
        "stability clusters": ClusterUnion(clusterer=stability),
        "Q+C": QuantileFirst(selector=NeighbourhoodScore(), quantile=0.3),
        "C+Q": QuantileAfter(selector=ClusterUnion(clusterer=_agglomerative()), factor=3),
    }


def test_neighbourhoods_recover_a_planted_region_that_per_cell_noise_hides(planted):
    X, ranks, inside = planted
    n = int(inside.sum())
    share = {name: inside[procedure.fit(X, ranks, budget=n).order_[:n]].mean()
             for name, procedure in {"quantile": TFQuantile(), "neighbourhood": NeighbourhoodScore(),
                                     "clusters": ClusterUnion(clusterer=_agglomerative())}.items()}
    assert share["quantile"] < 0.3  # the best cells one by one are mostly noise
    assert share["neighbourhood"] > 0.8 and share["clusters"] > 0.6


@pytest.mark.parametrize("name", list(_procedures()))
def test_every_procedure_orders_every_unit_once_and_fills_the_budget(planted, name):
    X, ranks, _ = planted
    weight = np.random.default_rng(1).integers(1, 4, len(X))  # cells per unit
    procedure = _procedures()[name].fit(X, ranks, sample_weight=weight, budget=120)
    assert sorted(procedure.order_) == list(range(len(X)))
    assert procedure.scores_.shape == procedure.labels_.shape == (len(X),)
    units = pd.Series(np.repeat(np.arange(len(X)), weight))
    for n in (1, 120, 999):
        taken = fill_budget(pd.Index(procedure.order_), units, n)
        assert len(taken) == n
        # whole units in the procedure's order, the last one possibly cut
        first = pd.Index(procedure.order_)[: units.iloc[taken].nunique()]
        assert set(units.iloc[taken]) == set(first)


@pytest.mark.parametrize("name", list(_procedures()))
def test_every_procedure_is_deterministic_and_leaves_its_parts_unfitted(planted, name):
    X, ranks, _ = planted
    template = _procedures()[name]
    first = template.fit(X, ranks, budget=60).order_.copy()
    again = _procedures()[name].fit(X, ranks, budget=60).order_
    np.testing.assert_array_equal(first, again)
    wrapped = getattr(template, "selector", None)
    assert wrapped is None or not hasattr(wrapped, "order_")  # a composition fits a clone
    clusterer = getattr(wrapped or template, "clusterer", None)
    assert clusterer is None or not hasattr(clusterer, "labels_")


def test_neighbourhood_score_is_the_mean_over_the_unit_and_its_k_nearest():
    # four points on a line; ranks by hand: the mean of a point and its nearest neighbour
    X = np.array([[0.0], [1.0], [3.0], [7.0]])
    ranks = pd.DataFrame({"s": [0.25, 1.0, 0.5, 0.75]})
    procedure = NeighbourhoodScore(n_neighbors=1).fit(X, ranks)
    np.testing.assert_allclose(procedure.scores_, [0.625, 0.625, 0.75, 0.625])
    # ties in score go to the better unit by its own rank: 1, then 3 (0.75), then 0
    assert list(procedure.order_) == [2, 1, 3, 0]
    same = NeighbourhoodScore(n_neighbors=1, metric="precomputed").fit(pairwise_distances(X), ranks)
    np.testing.assert_array_equal(same.order_, procedure.order_)


def test_auto_k_is_the_least_leave_one_out_error(planted):
    X, ranks, _ = planted
    procedure = NeighbourhoodScore(n_neighbors_grid=[2, 30, 400]).fit(X, ranks)
    table = procedure.criterion_.set_index("n_neighbors")["loo_mse"]
    assert procedure.params_["n_neighbors"] == table.idxmin() == 30
    assert table[2] > table[30] < table[400]


def test_cluster_union_takes_clusters_in_score_order(planted):
    X, ranks, inside = planted
    procedure = ClusterUnion(clusterer=MetricKMeans(6, random_state=0), min_size=400).fit(X, ranks)
    table = procedure.cluster_scores_
    in_order = pd.Series(procedure.labels_[procedure.order_]).drop_duplicates().tolist()
    assert in_order == table.sort_values("rank").index.tolist()
    eligible = table[table["eligible"]]
    assert (eligible["size"] >= 400).all() and table.loc[in_order[0], "score"] == eligible["score"].max()
    assert table["size"].sum() == len(X)


def test_compositions_with_the_quantile(planted):
    X, ranks, _ = planted
    own = ranks.mean(axis=1).to_numpy()
    first = QuantileFirst(selector=NeighbourhoodScore(), quantile=0.2).fit(X, ranks)
    kept = np.sort(np.argsort(-own, kind="stable")[:600])
    assert set(first.order_[:600]) == set(kept)  # Q+C: the kept fifth first
    assert (first.labels_ == -1).all()  # neighbourhoods have no clusters
    clustered = QuantileFirst(selector=ClusterUnion(clusterer=MetricKMeans(5, random_state=0)), quantile=0.2)
    clustered.fit(X, ranks)
    inner = ClusterUnion(clusterer=MetricKMeans(5, random_state=0)).fit(X[kept], ranks.iloc[kept])
    np.testing.assert_array_equal(clustered.labels_[kept], inner.labels_)
    assert (np.delete(clustered.labels_, kept) == -1).all()
    after = QuantileAfter(selector=NeighbourhoodScore(), factor=2).fit(X, ranks, budget=50)
    inner = NeighbourhoodScore().fit(X, ranks)
    assert set(after.order_[:100]) == set(inner.order_[:100])  # C+Q: the inner 2 x budget ...
    assert np.all(np.diff(own[after.order_[:100]]) <= 0)  # ... re-ranked by own TF rank
    with pytest.warns(UserWarning, match="Q\\+C: the best 0.2 of the units hold 600 architectures, fewer than the budget"):
        QuantileFirst(selector=NeighbourhoodScore(), quantile=0.2).fit(X, ranks, budget=700)
    with pytest.raises(ValueError, match="needs the budget"):
        QuantileAfter(selector=NeighbourhoodScore()).fit(X, ranks)


def test_bad_inputs(planted):
    X, ranks, _ = planted
    with pytest.raises(ValueError, match=r"X has shape \(10, 2\); expected 3000 rows"):
        NeighbourhoodScore().fit(X[:10], ranks)
    with pytest.raises(ValueError, match="sample_weight must be 3000 non-negative counts"):
        TFQuantile().fit(X, ranks, sample_weight=-np.ones(len(X)))
    with pytest.raises(TypeError, match="budget must be an instance of"):
        TFQuantile().fit(X, ranks, budget=1.7)
    with pytest.raises(ValueError, match="KMeans has no 'metric' parameter and cannot read a distance matrix"):
        from sklearn.cluster import KMeans

        ClusterUnion(clusterer=KMeans(3), metric="precomputed").fit(pairwise_distances(X[:50]), ranks.iloc[:50])
    with pytest.raises(ValueError, match="n_neighbors must be a positive integer or 'auto'"):
        NeighbourhoodScore(n_neighbors="many").fit(X, ranks)
    with pytest.raises(ValueError, match="needs more than the 4 units"):
        NeighbourhoodScore(n_neighbors_grid=[5, 10]).fit(X[:4], ranks.iloc[:4])
    with pytest.raises(ValueError, match="metric='cosine'"):
        TFQuantile(metric="cosine").fit(X, ranks)
    with pytest.raises(ValueError, match="min_size=4000 is larger than the space \\(3000 architectures\\)"):
        ClusterUnion(clusterer=MetricKMeans(5000), min_size=4000).fit(X, ranks)
    with pytest.raises(ValueError, match="K=\\[5000\\] greater than the number of distinct points"):
        ClusterUnion(clusterer=MetricKMeans(5000)).fit(X, ranks)


def _sampled(ranks: pd.DataFrame, fraction: float, seed: int = 2) -> pd.DataFrame:
    """The ranks of a uniform sample of the units, NaN elsewhere (a TF table of a sample)."""
    rng = np.random.default_rng(seed)
    unsampled = rng.random(len(ranks)) > fraction
    return ranks.mask(pd.Series(unsampled, index=ranks.index), axis=0)


def test_a_planted_region_is_found_from_a_ten_percent_sample():
    # a larger region than `planted` (229 of 3,000 points): a 10 % sample holds about 23 of them
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(3000, 2))
    inside = np.linalg.norm(X - [0.7, 0.3], axis=1) < 0.15
    ranks = signed_ranks(pd.DataFrame({f"s{j}": inside + rng.normal(0, 1.0, len(X)) for j in range(2)}),
                         {"s0": 1, "s1": 1})
    sample = _sampled(ranks, 0.1, seed=0)
    n = int(inside.sum())
    neighbourhood = NeighbourhoodScore(n_neighbors_grid=[5, 10, 20]).fit(X, sample)
    assert inside[neighbourhood.order_[:n]].mean() > 0.65
    assert np.isfinite(neighbourhood.scores_).all()  # every unit is scored, sampled or not
    clusters = ClusterUnion(clusterer=MetricKMeans(40, random_state=0), min_sampled=3).fit(X, sample)
    assert inside[clusters.order_[:n]].mean() > 0.45
    # the best sampled cells one by one find little of it
    assert inside[TFQuantile().fit(X, sample).order_[:n]].mean() < 0.2


def test_clusters_with_too_few_sampled_members_are_not_eligible(planted):
    X, ranks, _ = planted
    sample = _sampled(ranks, 0.05)
    procedure = ClusterUnion(clusterer=MetricKMeans(60, random_state=0), min_sampled=4).fit(X, sample)
    table = procedure.cluster_scores_
    thin = table["n_sampled"] < 4
    assert thin.any() and (~table.loc[thin, "eligible"]).all() and table.loc[~thin, "eligible"].all()
    assert table.loc[thin, "rank"].min() > table.loc[~thin, "rank"].max()  # taken last
    assert table["n_sampled"].sum() == int(sample.notna().all(axis=1).sum())


def test_c_plus_q_with_a_sample_keeps_the_inner_order_for_unsampled_candidates(planted):
    X, ranks, _ = planted
    sample = _sampled(ranks, 0.3)
    inner = NeighbourhoodScore(n_neighbors=5).fit(X, sample)
    after = QuantileAfter(selector=NeighbourhoodScore(n_neighbors=5), factor=2).fit(X, sample, budget=50)
    head = after.order_[:100]
    measured = sample.notna().all(axis=1).to_numpy()
    unsampled = [u for u in head if not measured[u]]
    assert unsampled == [u for u in inner.order_[:100] if not measured[u]]
    assert measured[head[: len(head) - len(unsampled)]].all()  # the measured candidates come first


def test_clusters_without_a_score_are_not_eligible(planted):
    from sklearn.cluster import DBSCAN

    X, ranks, _ = planted
    procedure = ClusterUnion(clusterer=DBSCAN(eps=0.02, min_samples=5)).fit(X, ranks)
    table = procedure.cluster_scores_
    assert -1 in table.index and not table.at[-1, "eligible"]
    assert table.at[-1, "rank"] == table["rank"].max() or (~table["eligible"]).sum() > 1
