import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, pairwise_distances

from cbred.clustering import MetricKMeans, MetricSpectral, StabilitySelection


@pytest.fixture(scope="module")
def square():
    """Four equal blobs on the corners of a square: K=4 is stable; K=2, 3, 5 split arbitrarily."""
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [0, 10], [10, 0], [10, 10]])
    y = np.repeat(np.arange(4), 60)
    return centres[y] + rng.normal(scale=1.0, size=(240, 2)), y


def test_the_most_stable_k_is_the_true_one(square):
    X, y = square
    selector = StabilitySelection(
        MetricKMeans(random_state=0), param_grid={"n_clusters": [2, 3, 4, 5, 6]}, random_state=0
    ).fit(X)
    table = selector.stability_.set_index("n_clusters")
    assert selector.best_params_ == {"n_clusters": 4}
    assert table.loc[4, "mean"] == pytest.approx(1.0)
    assert table.loc[4, "mean"] > table.drop(4)["mean"].max() + 0.05
    assert (table["n_pairs"] == 45).all()
    assert list(selector.stability_.columns) == ["n_clusters", "mean", "std", "min", "n_pairs"]
    assert adjusted_rand_score(selector.labels_, y) == 1.0
    assert selector.best_stability_ == pytest.approx(1.0)


def test_stability_is_the_mean_ari_on_shared_points(square):
    X, _ = square
    selector = StabilitySelection(
        MetricKMeans(random_state=0), param_grid={"n_clusters": [3]}, n_resamples=3, random_state=5
    ).fit(X)
    # redo the protocol by hand with the same random stream
    rng = np.random.RandomState(5)
    samples = [np.sort(rng.choice(240, 192, replace=False)) for _ in range(3)]
    seeds = rng.randint(np.iinfo(np.int32).max, size=3)
    labels = [MetricKMeans(3, random_state=int(s)).cluster_path(X[i], [3])[3] for i, s in zip(samples, seeds)]
    scores = []
    for a, b in [(0, 1), (0, 2), (1, 2)]:
        shared = np.intersect1d(samples[a], samples[b])
        scores.append(adjusted_rand_score(labels[a][np.searchsorted(samples[a], shared)],
                                          labels[b][np.searchsorted(samples[b], shared)]))
    assert selector.stability_.loc[0, "mean"] == pytest.approx(np.mean(scores))
    assert selector.stability_.loc[0, "min"] == pytest.approx(np.min(scores))


def test_eta_grid_precomputed_input_and_reproducibility(square):
    X, y = square
    D = pairwise_distances(X)

    def select():
        return StabilitySelection(
            MetricSpectral(metric="precomputed", random_state=0),
            param_grid={"n_clusters": [3, 4], "eta": [0.5, 1.0]},
            n_resamples=4,
            agreement="ami",
            random_state=1,
        ).fit(D)

    first, second = select(), select()
    pd.testing.assert_frame_equal(first.stability_, second.stability_)
    np.testing.assert_array_equal(first.labels_, second.labels_)
    assert len(first.stability_) == 4 and set(first.stability_["eta"]) == {0.5, 1.0}
    assert first.best_params_["n_clusters"] == 4
    assert adjusted_rand_score(first.labels_, y) == 1.0


def test_tolerance_prefers_the_finer_partition(square):
    X, _ = square
    grid = {"n_clusters": [2, 3, 4]}
    tight = StabilitySelection(MetricKMeans(random_state=0), param_grid=grid, random_state=0).fit(X)
    table = tight.stability_.set_index("n_clusters")["mean"]
    # a tolerance that admits every K makes the largest K win
    loose = StabilitySelection(
        MetricKMeans(random_state=0), param_grid=grid, tolerance=float(table.max() - table.min()) + 0.01,
        random_state=0,
    ).fit(X)
    assert loose.best_params_["n_clusters"] == 4


def test_any_sklearn_clusterer_works_without_a_path(square):
    X, y = square
    selector = StabilitySelection(
        KMeans(n_init=2, random_state=0), param_grid={"n_clusters": [3, 4]}, n_resamples=3, random_state=0
    ).fit(X)
    assert selector.best_params_ == {"n_clusters": 4}
    assert adjusted_rand_score(selector.fit_predict(X), y) == 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"param_grid": {"gamma": [1]}}, "not parameters of MetricKMeans"),
        ({"param_grid": {"n_clusters": []}}, "no candidate values"),
        ({"param_grid": {"n_clusters": [300]}}, "greater than the subsample size \\(192 of 240 points\\)"),
        ({"param_grid": {"n_clusters": [100]}, "subsample": 0.3}, "greater than the subsample size"),
        ({"agreement": "nmi"}, "agreement='nmi'; choices: ari, ami"),
        ({"n_resamples": 1}, "n_resamples"),
        ({"subsample": 1.5}, "subsample"),
    ],
)
def test_bad_parameters_are_named(square, kwargs, message):
    X, _ = square
    with pytest.raises(ValueError, match=message):
        StabilitySelection(MetricKMeans(), **kwargs).fit(X)
