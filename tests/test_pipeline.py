import json
import math

import numpy as np
import pandas as pd
import pytest

from cbred.clustering import MetricKMeans, MetricSpectral, StabilitySelection
from cbred.distances.probabilistic import Hellinger, JensenShannon
from cbred.pipeline import ReductionWarning, reduce_space
from cbred.tables import align_table
from cbred.selection import ClusterUnion, Constraint, NeighbourhoodScore, QuantileFirst, dominance
from tests.small_nb201 import SmallNB201

STATISTICS = ["ntk_cond", "naswot_v1"]


@pytest.fixture(scope="module")
def space():
    return SmallNB201()


@pytest.fixture(scope="module")
def tf_table(space):
    """Synthetic statistics: more 3x3 convolutions look better (never an accuracy)."""
    rng = np.random.default_rng(0)
    convs = (space.codes == 3).sum(axis=1)
    return pd.DataFrame(
        {"ntk_cond": np.exp(-convs + rng.normal(0, 0.5, len(convs))),
         "naswot_v1": convs + rng.normal(0, 0.5, len(convs)),
         "params": 0.1 * convs},
        index=pd.Index(space.ids, name="arch"),
    )


def _clusterer(estimator=None, ks=(2, 3, 4)):
    return StabilitySelection(
        estimator or MetricKMeans(random_state=0), param_grid={"n_clusters": list(ks)}, n_resamples=4, random_state=0
    )


def _reduce(space, tf_table, **kwargs):
    options = dict(
        distance=Hellinger(cache=False), selection=ClusterUnion(clusterer=_clusterer()), statistics=STATISTICS,
        budget=0.1,
    )
    options.update(kwargs)
    return reduce_space(space, tf_table, options.pop("distance"), options.pop("selection"), **options)


def test_reduction_is_consistent(space, tf_table):
    result = _reduce(space, tf_table)
    classes = space.isomorphism_classes()
    assert result.archs.equals(pd.Index(space.ids, name="arch"))
    assert result.units.nunique() == classes.nunique() == len(result.unit_ids)
    assert (result.labels >= 0).all() and result.labels.index.equals(result.archs)
    # isomorphic cells share their cluster and their score
    assert result.labels.groupby(classes).nunique().max() == 1
    assert result.selection_score.groupby(classes).nunique().max() == 1
    # the budget is met exactly: 10 % of 729
    assert len(result.selected) == 73
    scores = result.cluster_scores
    first = result.selected_cluster
    assert scores["size"].sum() == len(space) and scores.loc[first, "rank"] == 1
    assert scores.loc[first, "score"] == scores["score"].max()
    # the union of clusters takes whole clusters in rank order; the last one is cut
    taken = result.labels[result.selected].map(scores["rank"])
    assert taken.min() == 1 and set(taken) == set(range(1, taken.max() + 1))  # consecutive, best first
    full = scores.index[scores["rank"] < taken.max()]
    assert result.labels.isin(full).sum() == (result.labels[result.selected].isin(full)).sum()
    assert result.best_params["n_clusters"] == result.n_clusters == result.labels.nunique()
    assert set(result.stability["n_clusters"]) == {2, 3, 4}
    assert result.representation.kind == "embedding" and result.n_points < len(result.unit_ids)
    assert result.embedding.shape[0] == len(result.unit_ids)
    # baselines of the same size
    sizes = {name: len(ids) for name, ids in result.subsets.items()}
    assert sizes == {"full": 729, "selected": 73, "quantiled": 73, "random": 73}
    best = result.tf_rank.sort_values(ascending=False, kind="stable").index[:73]
    assert result.subsets["quantiled"].equals(best)
    metrics = result.metrics()
    assert {"n_archs", "n_clusters", "selected_cluster", "selected_size", "stability", "budget",
            "selection/procedure"} <= set(metrics)
    assert metrics["n_archs"] == 729 and metrics["selected_size"] == 73
    assert metrics["budget"] == 0.1 and metrics["selection/procedure"] == "ClusterUnion"


def test_the_clusterer_given_is_left_unfitted(space, tf_table):
    selection = ClusterUnion(clusterer=_clusterer())
    _reduce(space, tf_table, selection=selection)
    assert not hasattr(selection.clusterer, "labels_") and not hasattr(selection, "order_")


def test_same_seed_same_reduction(space, tf_table):
    a, b = _reduce(space, tf_table), _reduce(space, tf_table)
    pd.testing.assert_series_equal(a.labels, b.labels)
    pd.testing.assert_frame_equal(a.stability, b.stability)
    assert a.selected.equals(b.selected) and a.subsets["random"].equals(b.subsets["random"])


def test_qc_selects_only_among_the_best_quantile(space, tf_table):
    selection = QuantileFirst(selector=ClusterUnion(clusterer=_clusterer(), score=dominance), quantile=0.3)
    result = _reduce(space, tf_table, selection=selection, budget=40)
    n_units = result.units.nunique()
    clustered = result.labels >= 0
    assert result.units[clustered].nunique() == math.ceil(0.3 * n_units)
    # the representation covers every unit
    assert len(result.representation) == len(result.unit_ids) == n_units
    # everything clustered ranks above everything that was not
    assert result.tf_rank[clustered].min() >= result.tf_rank[~clustered].max()
    assert result.selected.isin(result.archs[clustered]).all()
    assert result.metrics()["selection/procedure"] == "QuantileFirst(ClusterUnion)"


def test_non_euclidean_distance_spectral_and_no_dedup(space, tf_table):
    estimator = MetricSpectral(random_state=0)
    clusterer = StabilitySelection(estimator, param_grid={"n_clusters": [2, 3], "eta": [0.5, 1.0]},
                                   n_resamples=3, random_state=0)
    result = _reduce(space, tf_table, distance=JensenShannon(cache=False), dedup=False,
                     selection=ClusterUnion(clusterer=clusterer))
    assert result.representation.kind == "distance matrix"
    assert result.representation.X.shape == (729, 729) and len(result.unit_ids) == 729
    assert set(result.best_params) == {"n_clusters", "eta"} and len(result.stability) == 4


def test_neighbourhood_selection_on_a_distance_matrix(space, tf_table):
    result = _reduce(space, tf_table, distance=JensenShannon(cache=False), selection=NeighbourhoodScore(), budget=50)
    assert len(result.selected) == 50 and result.n_clusters == 0 and result.selected_cluster == -1
    assert (result.labels == -1).all()
    assert result.best_params["n_neighbors"] in (5, 10, 20, 40, 80)
    assert list(result.stability.columns) == ["n_neighbors", "loo_mse"]
    # the selection is the best units by neighbourhood score
    chosen = result.selection_score[result.selected]
    assert chosen.min() >= result.selection_score.drop(result.selected).max()


def test_constraints_nan_statistics_and_their_errors(space, tf_table):
    table = tf_table.copy()
    table.iloc[:7, 0] = np.nan
    with pytest.warns(ReductionWarning, match="7 architectures have NaN training-free statistics \\{'ntk_cond': 7\\}"):
        result = _reduce(space, table, constraints=[Constraint("params", max=0.4)])
    assert result.excluded["constraints"] == int((tf_table["params"] > 0.4).sum())
    assert len(result.archs) == int((table["params"] <= 0.4).sum()) - int(table["ntk_cond"].iloc[:7].isna().sum())
    assert result.tf.loc[result.archs, "ntk_cond"].notna().all()
    with pytest.raises(ValueError, match="no architecture of nb201 satisfies the constraints"):
        _reduce(space, tf_table, constraints=[Constraint("params", max=-1)])
    with pytest.raises(ValueError, match="greater than the number of distinct points"):
        _reduce(space, tf_table, selection=ClusterUnion(clusterer=_clusterer(ks=(2, 100))))
    with pytest.raises(ValueError, match="no column\\(s\\) \\['snip'\\]"):
        _reduce(space, tf_table, statistics=["snip"])
    with pytest.raises(ValueError, match="selection.budget=800 architectures, but the space has only 729"):
        _reduce(space, tf_table, budget=800)


def test_evaluation_outputs_and_files(space, tf_table, tmp_path):
    rng = np.random.default_rng(3)
    accuracy = pd.Series(80 + 2 * (space.codes == 3).sum(axis=1) + rng.normal(0, 1, len(space)),
                         index=pd.Index(space.ids, name="arch"), name="test_acc")
    result = _reduce(space, tf_table, accuracy=accuracy, budgets=(10, 100))
    summary = result.evaluation.summary
    assert summary.at["full", "acc_mean"] == pytest.approx(accuracy.mean())
    assert summary.at["selected", "acc_mean"] == pytest.approx(accuracy[result.selected].mean())
    assert {f"cluster_{c}" for c in result.cluster_scores.index} <= set(summary.index)
    assert "evaluation" in result.timings and "mean test_acc: full" in result.summary()
    files = result.write(tmp_path)
    clusters = pd.read_csv(files["clusters"], index_col="arch")
    assert len(clusters) == 729
    assert {"cluster", "unit", "selected", "selection_score", "tf_rank", *STATISTICS} <= set(clusters)
    selected = pd.read_csv(files["selected"], index_col="arch")
    assert selected.index.sort_values().equals(result.selected.sort_values())
    # selection order: rank 1 first, the units in the procedure's order
    assert selected["rank"].tolist() == list(range(1, len(result.selected) + 1))
    assert selected.index.equals(result.ranking().index)
    first_position = {unit: i for i, unit in enumerate(result.order)}
    positions = result.units.reindex(selected.index).map(first_position).to_numpy()
    assert (np.diff(positions) >= 0).all()
    assert "evaluation" in result.timings and "mean test_acc" not in result.summary(evaluation=False)
    metrics = json.loads(files["metrics"].read_text())
    assert metrics["selected/acc_mean"] == pytest.approx(summary.at["selected", "acc_mean"])
    assert metrics["params/n_clusters"] == result.n_clusters


def test_the_selection_reads_no_accuracy(space, tf_table):
    rng = np.random.default_rng(5)
    accuracy = pd.Series(rng.normal(90, 2, len(space)), index=pd.Index(space.ids, name="arch"), name="acc")
    shuffled = pd.Series(rng.permutation(accuracy.to_numpy()), index=accuracy.index, name="acc")
    for selection in (NeighbourhoodScore(), ClusterUnion(clusterer=_clusterer())):
        a = _reduce(space, tf_table, selection=selection, accuracy=accuracy)
        b = _reduce(space, tf_table, selection=selection, accuracy=shuffled)
        assert a.selected.equals(b.selected) and a.order.equals(b.order)
        assert a.evaluation.summary.at["selected", "acc_mean"] != b.evaluation.summary.at["selected", "acc_mean"]


def test_align_table_accepts_an_index_or_an_arch_column(space, tf_table):
    by_column = align_table(tf_table.reset_index(), space, STATISTICS)
    pd.testing.assert_frame_equal(align_table(tf_table, space, STATISTICS), by_column)
    partial = align_table(tf_table.iloc[:10], space, STATISTICS)
    assert len(partial) == 729 and partial[STATISTICS[0]].notna().sum() == 10


def test_a_plain_clusterer_without_stability_selection(space, tf_table, tmp_path):
    result = _reduce(space, tf_table, selection=ClusterUnion(clusterer=MetricKMeans(3, random_state=0)))
    assert result.best_params == {"n_clusters": 3} and result.stability.empty
    assert math.isnan(result.stability_score)
    metrics = json.loads(result.write(tmp_path)["metrics"].read_text())  # strict JSON: NaN -> null
    assert metrics["stability"] is None and metrics["n_clusters"] == 3


def test_an_aggregate_replaces_the_mean_rank_for_procedures_and_quantiled(space, tf_table):
    only_ntk = _reduce(space, tf_table, selection=NeighbourhoodScore(), aggregate=lambda ranks: ranks["ntk_cond"])
    by_ntk = only_ntk.tf.groupby(only_ntk.units).transform("mean")["ntk_cond"]
    best = by_ntk.sort_values(kind="stable").index[:73]  # lower ntk_cond is better
    assert set(only_ntk.subsets["quantiled"]) == set(best)
    mean = _reduce(space, tf_table, selection=NeighbourhoodScore())
    assert not only_ntk.selected.equals(mean.selected)


def test_a_tf_table_of_a_sample_keeps_and_scores_the_unsampled_architectures(space, tf_table):
    sample = tf_table.sample(frac=0.3, random_state=0)  # rows of 30 % of the cells only
    with pytest.warns(ReductionWarning, match="NaN training-free statistics"):
        strict = _reduce(space, sample, selection=NeighbourhoodScore(), budget=20)
    assert len(strict.archs) == len(sample)
    result = _reduce(space, sample, selection=NeighbourhoodScore(), budget=20, partial_tf=True)
    assert len(result.archs) == 729 and result.excluded["unsampled"] == 729 - len(sample)
    assert result.selection_score.notna().all() and len(result.selected) == 20
    # Quantiled: the best measured cells (an isomorphic cell of a sampled one is measured through its class)
    measured = result.units.isin(result.units[result.archs.isin(sample.index)])
    assert result.subsets["quantiled"].isin(result.archs[measured]).all() and not measured.all()
    # the same fraction of the measured cells as the selection is of the space
    assert len(result.subsets["quantiled"]) == round(20 / 729 * measured.sum())
    clusters = _reduce(space, sample, partial_tf=True, selection=ClusterUnion(clusterer=_clusterer(), min_sampled=2))
    assert (clusters.cluster_scores["n_sampled"] <= clusters.cluster_scores["n_units"]).all()
    assert len(clusters.selected) == 73


def test_a_missing_tf_table_says_what_it_is_and_how_to_make_it(tmp_path):
    from cbred.tables import load_tf_table

    with pytest.raises(FileNotFoundError, match="TF-statistic table .*absent.parquet does not exist.*cbred.tfstats.runner"):
        load_tf_table(tmp_path / "absent.parquet")


def test_infinite_statistics_are_failures_not_unsampled(space, tf_table):
    table = tf_table.sample(frac=0.3, random_state=0)
    table.iloc[:5, :] = -np.inf
    with pytest.warns(ReductionWarning, match="5 architectures have infinite training-free statistics"):
        result = _reduce(space, table, selection=NeighbourhoodScore(), budget=20, partial_tf=True)
    assert not result.archs.isin(table.index[:5]).any()
    assert result.excluded["unsampled"] == 729 - len(table) and result.excluded["nan_statistics"] == 5


def test_a_constant_statistic_is_named_and_left_out_of_the_score():
    from cbred.pipeline import ReductionWarning, _informative

    tf = pd.DataFrame({"a": np.arange(200.0), "flat": np.full(200, 1000.0), "nearly": np.r_[np.zeros(198), 1.0, 2.0]})
    with pytest.warns(ReductionWarning, match=r"flat \(one value in 100.0%\), nearly \(one value in 99.0%\) are "
                                              r"\(nearly\) constant .* left out of the score"):
        assert _informative(tf, ["a", "flat", "nearly"]) == ["a"]
    with pytest.raises(ValueError, match="every training-free statistic is \\(nearly\\) constant"):
        _informative(tf, ["flat"])
