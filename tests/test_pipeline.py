import json
import math
from functools import cached_property

import numpy as np
import pandas as pd
import pytest

from cbred.clustering import MetricKMeans, MetricSpectral, StabilitySelection
from cbred.data.nb201 import NB201Space, all_codes
from cbred.distances.probabilistic import Hellinger, JensenShannon
from cbred.pipeline import ReductionWarning, align_table, reduce_space
from cbred.selection import ClusterSelection, Constraint, dominance, median_rank

STATISTICS = ["ntk_cond", "naswot_v1"]


class SmallNB201(NB201Space):
    """NB201 cells built from none / skip / conv 3x3 only: 3^6 = 729 cells, 6 x faster tests."""

    @cached_property
    def codes(self):
        codes = all_codes()
        return codes[np.isin(codes, [0, 1, 3]).all(axis=1)]


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
        distance=Hellinger(cache=False), clusterer=_clusterer(), selection=ClusterSelection(median_rank, min_size=20),
        statistics=STATISTICS,
    )
    options.update(kwargs)
    return reduce_space(space, tf_table, options.pop("distance"), options.pop("clusterer"), options.pop("selection"),
                        **options)


def test_reduction_is_consistent(space, tf_table):
    result = _reduce(space, tf_table)
    classes = space.isomorphism_classes()
    assert result.archs.equals(pd.Index(space.ids, name="arch"))
    assert result.units.nunique() == classes.nunique() == len(result.clustered_units)
    assert (result.labels >= 0).all() and result.labels.index.equals(result.archs)
    # isomorphic cells share their cluster
    assert result.labels.groupby(classes).nunique().max() == 1
    assert result.selected.equals(result.archs[result.labels == result.selected_cluster])
    scores = result.cluster_scores
    assert scores["size"].sum() == len(space) and scores.loc[result.selected_cluster, "rank"] == 1
    assert scores.loc[result.selected_cluster, "score"] == scores.loc[scores["eligible"], "score"].max()
    assert result.best_params["n_clusters"] == result.n_clusters == result.labels.nunique()
    assert set(result.stability["n_clusters"]) == {2, 3, 4}
    assert result.representation.kind == "embedding" and result.n_points < len(result.clustered_units)
    assert result.embedding.shape[0] == len(result.clustered_units)
    # baselines of the same size
    sizes = {name: len(ids) for name, ids in result.subsets.items()}
    assert sizes == {"full": 729, "selected": len(result.selected), "quantiled": len(result.selected),
                     "random": len(result.selected)}
    best = result.tf_rank.sort_values(ascending=False, kind="stable").index[: len(result.selected)]
    assert result.subsets["quantiled"].equals(best)
    metrics = result.metrics()
    assert {"n_archs", "n_clusters", "selected_cluster", "selected_size", "stability"} <= set(metrics)
    assert metrics["n_archs"] == 729 and metrics["selected_size"] == len(result.selected)


def test_same_seed_same_reduction(space, tf_table):
    a, b = _reduce(space, tf_table), _reduce(space, tf_table)
    pd.testing.assert_series_equal(a.labels, b.labels)
    pd.testing.assert_frame_equal(a.stability, b.stability)
    assert a.subsets["random"].equals(b.subsets["random"])


def test_qc_clusters_only_the_best_quantile(space, tf_table):
    result = _reduce(space, tf_table, selection=ClusterSelection(dominance, variant="QC", quantile=0.3, min_size=5))
    n_units = result.units.nunique()
    assert len(result.clustered_units) == math.ceil(0.3 * n_units)
    # the representation covers every unit, the final embedding the clustered ones
    assert len(result.representation) == len(result.unit_ids) == n_units
    assert result.embedding.shape[0] == len(result.clustered_units)
    clustered = result.labels >= 0
    # everything clustered ranks above everything that was not
    assert result.tf_rank[clustered].min() >= result.tf_rank[~clustered].max()
    assert result.selected.isin(result.archs[clustered]).all()


def test_non_euclidean_distance_spectral_and_no_dedup(space, tf_table):
    estimator = MetricSpectral(random_state=0)
    result = _reduce(space, tf_table, distance=JensenShannon(cache=False), dedup=False,
                     clusterer=StabilitySelection(estimator, param_grid={"n_clusters": [2, 3], "eta": [0.5, 1.0]},
                                                  n_resamples=3, random_state=0))
    assert result.representation.kind == "distance matrix"
    assert result.representation.X.shape == (729, 729) and len(result.clustered_units) == 729
    assert set(result.best_params) == {"n_clusters", "eta"} and len(result.stability) == 4


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
    with pytest.raises(ValueError, match="K=\\[5000\\] greater than the number of isomorphism classes"):
        _reduce(space, tf_table, clusterer=_clusterer(ks=(2, 5000)))
    with pytest.raises(ValueError, match="greater than the number of distinct points under the distance"):
        _reduce(space, tf_table, clusterer=_clusterer(ks=(2, 100)))
    with pytest.raises(ValueError, match="no column\\(s\\) \\['snip'\\]"):
        _reduce(space, tf_table, statistics=["snip"])


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
    assert len(clusters) == 729 and {"cluster", "unit", "selected", "tf_rank", *STATISTICS} <= set(clusters)
    selected = pd.read_csv(files["selected"], index_col="arch")
    assert selected.index.equals(result.selected)
    metrics = json.loads(files["metrics"].read_text())
    assert metrics["selected/acc_mean"] == pytest.approx(summary.at["selected", "acc_mean"])
    assert metrics["params/n_clusters"] == result.n_clusters


def test_align_table_accepts_an_index_or_an_arch_column(space, tf_table):
    by_column = align_table(tf_table.reset_index(), space, STATISTICS)
    pd.testing.assert_frame_equal(align_table(tf_table, space, STATISTICS), by_column)
    partial = align_table(tf_table.iloc[:10], space, STATISTICS)
    assert len(partial) == 729 and partial[STATISTICS[0]].notna().sum() == 10


def test_a_plain_clusterer_without_stability_selection(space, tf_table, tmp_path):
    result = _reduce(space, tf_table, clusterer=MetricKMeans(3, random_state=0))
    assert result.best_params == {"n_clusters": 3} and result.stability.empty
    assert math.isnan(result.stability_score)
    metrics = json.loads(result.write(tmp_path)["metrics"].read_text())  # strict JSON: NaN -> null
    assert metrics["stability"] is None and metrics["n_clusters"] == 3
