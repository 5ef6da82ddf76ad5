import numpy as np
import pytest

from cbred.clustering import MetricAgglomerative, MetricKMeans, PredictiveSelection
from cbred.clustering.predictive import loo_cluster_error


def test_leave_one_out_error_by_hand():
    # cluster 0: 1 and 3 predict each other (errors 4, 4); cluster 1: a single point 10,
    # predicted by the mean of the others, 2 (error 64)
    assert loo_cluster_error([0, 0, 1], [1.0, 3.0, 10.0]) == pytest.approx((4 + 4 + 64) / 3)


def test_the_scale_at_which_clusters_predict_their_score_is_chosen():
    rng = np.random.default_rng(0)
    centres = rng.uniform(0, 100, size=(8, 2))
    X = np.concatenate([c + rng.normal(0, 1, size=(40, 2)) for c in centres])
    level = np.repeat(rng.normal(0, 1, 8), 40)  # each blob has its own score level
    y = level + rng.normal(0, 0.1, len(X))
    search = PredictiveSelection(MetricAgglomerative(linkage="ward"), param_grid={"n_clusters": [2, 4, 8, 32, 160]})
    search.fit(X, y)
    assert search.best_params_ == {"n_clusters": 8} and len(np.unique(search.labels_)) == 8
    table = search.cv_results_.set_index("n_clusters")["loo_mse"]
    assert table[2] > table[8] < table[160] and search.best_score_ == table[8]


def test_it_needs_a_score_and_works_with_kmeans():
    X = np.random.default_rng(1).normal(size=(50, 2))
    with pytest.raises(ValueError, match="needs y"):
        PredictiveSelection(MetricKMeans(random_state=0), param_grid={"n_clusters": [2, 3]}).fit(X)
    fitted = PredictiveSelection(MetricKMeans(random_state=0), param_grid={"n_clusters": [2, 3]}).fit(X, X[:, 0])
    table = fitted.cv_results_.set_index("n_clusters")["loo_mse"]
    assert fitted.best_params_["n_clusters"] == table.idxmin() and len(table) == 2
    with pytest.raises(ValueError, match="at least 2 points need a finite score"):
        loo_cluster_error([0, 0, 1], [np.nan, 1.0, np.nan])


def test_infeasible_k_are_skipped_with_a_warning():
    X = np.random.default_rng(2).normal(size=(30, 2))
    search = PredictiveSelection(MetricAgglomerative(), param_grid={"n_clusters": [2, 5, 100]})
    with pytest.warns(UserWarning, match=r"n_clusters=\[100\] skipped: greater than the number of points \(30\)"):
        search.fit(X, X[:, 0])
    assert list(search.cv_results_["n_clusters"]) == [2, 5]
    with pytest.raises(ValueError, match="every K is greater than the number of points"):
        PredictiveSelection(MetricAgglomerative(), param_grid={"n_clusters": [50, 100]}).fit(X, X[:, 0])
