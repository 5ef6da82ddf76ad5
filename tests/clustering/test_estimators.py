import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs, make_circles
from sklearn.metrics import adjusted_rand_score, pairwise_distances

from cbred.clustering import MetricKMeans, MetricSpectral
from cbred.clustering import estimators


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(300, centers=4, n_features=5, cluster_std=0.5, random_state=0)
    return X, pairwise_distances(X).astype(np.float32), y


def _kmeans_objective(D, labels):
    """k-means objective from distances only: sum_c 1/(2|c|) sum_{i,j in c} d_ij^2."""
    D2 = np.asarray(D, dtype=float) ** 2
    return sum(D2[np.ix_(labels == c, labels == c)].sum() / (2 * (labels == c).sum()) for c in np.unique(labels))


def test_kmeans_on_mds_of_a_euclidean_matrix_is_kmeans_of_the_points(blobs):
    X, D, y = blobs
    on_points = MetricKMeans(4, random_state=0).fit(X)
    on_matrix = MetricKMeans(4, metric="precomputed", random_state=0).fit(D)
    assert adjusted_rand_score(on_points.labels_, y) == 1.0
    assert adjusted_rand_score(on_matrix.labels_, on_points.labels_) == 1.0
    # the construction: the inertia in MDS coordinates is the k-means objective of D
    assert on_matrix.inertia_ == pytest.approx(_kmeans_objective(D, on_matrix.labels_), rel=1e-3)
    assert on_points.inertia_ == pytest.approx(_kmeans_objective(D, on_points.labels_), rel=1e-3)
    assert on_matrix.embedding_.shape == (300, 5)


def test_kmeans_clusters_equal_rows_once_with_their_multiplicity():
    X, _ = make_blobs(60, centers=3, n_features=2, random_state=1)
    repeated = np.repeat(X, 5, axis=0)
    model = MetricKMeans(3, random_state=0).fit(repeated)
    assert (model.labels_.reshape(60, 5) == model.labels_[::5, None]).all()
    reference = KMeans(3, n_init=4, random_state=0).fit(repeated)
    assert model.inertia_ == pytest.approx(reference.inertia_, rel=1e-6)
    with pytest.raises(ValueError, match="distinct points \\(60\\)"):
        MetricKMeans(61).fit(repeated)


@pytest.mark.filterwarnings("ignore:Graph is not fully connected")  # kNN graphs of two rings
def test_spectral_separates_circles_that_kmeans_cannot():
    X, y = make_circles(300, factor=0.3, noise=0.03, random_state=0)
    D = pairwise_distances(X)
    assert adjusted_rand_score(MetricKMeans(2, random_state=0).fit(X).labels_, y) < 0.1
    for model, data in [
        (MetricSpectral(2, eta=0.1, random_state=0), X),
        (MetricSpectral(2, eta=0.1, metric="precomputed", random_state=0), D),
        (MetricSpectral(2, affinity="knn", n_neighbors=10, random_state=0), X),
        (MetricSpectral(2, n_neighbors=10, random_state=0), X),
    ]:
        assert adjusted_rand_score(model.fit(data).labels_, y) == 1.0, model
    assert MetricSpectral(2, eta=0.1, random_state=0).fit(X).affinity_scale_ == pytest.approx(
        0.1 * np.median(D[D > 0]), rel=1e-6
    )


def test_cluster_path_gives_every_k_from_one_representation(blobs):
    X, D, _ = blobs
    for model, data in [(MetricKMeans(random_state=0), X), (MetricSpectral(random_state=0), X),
                        (MetricKMeans(metric="precomputed", random_state=0), D)]:
        path = model.cluster_path(data, [2, 4, 6])
        assert sorted(path) == [2, 4, 6]
        assert [len(np.unique(path[k])) for k in (2, 4, 6)] == [2, 4, 6]


def test_same_seed_same_labels_and_sklearn_protocol(blobs):
    X, _, _ = blobs
    for model in (MetricKMeans(5, random_state=3), MetricSpectral(5, random_state=3)):
        a = clone(model).fit(X).labels_
        b = clone(model).fit_predict(X)
        np.testing.assert_array_equal(a, b)
        assert clone(model).get_params() == model.get_params()


@pytest.mark.parametrize(
    "model, message",
    [
        (MetricKMeans(400), "greater than the number of points to cluster \\(300\\)"),
        (MetricKMeans(3, metric="cosine"), "metric='cosine'; choices: euclidean, precomputed"),
        (MetricSpectral(3, affinity="rbf"), "affinity='rbf'; choices: gaussian, knn"),
        (MetricSpectral(3, affinity="knn"), "needs n_neighbors"),
        (MetricSpectral(3, eta=0.0), "eta"),
        (MetricSpectral(3, n_neighbors=300), "n_neighbors=300 must be smaller"),
        (MetricKMeans(0), "n_clusters"),
    ],
)
def test_bad_parameters_are_named(blobs, model, message):
    X, _, _ = blobs
    with pytest.raises(ValueError, match=message):
        model.fit(X)


@pytest.mark.filterwarnings("ignore:Graph is not fully connected")  # kNN graph of four blobs
def test_dense_affinity_refuses_huge_inputs(blobs, monkeypatch):
    X, _, _ = blobs
    monkeypatch.setattr(estimators, "MAX_DENSE_POINTS", 100)
    with pytest.raises(ValueError, match="set n_neighbors"):
        MetricSpectral(3).fit(X)
    assert len(np.unique(MetricSpectral(4, n_neighbors=15, random_state=0).fit(X).labels_)) == 4


def test_agglomerative_cuts_one_tree_at_exact_k_for_a_matrix_or_an_embedding():
    from sklearn.cluster import AgglomerativeClustering

    from cbred.clustering import MetricAgglomerative

    X = np.random.default_rng(0).normal(size=(200, 3))
    D = pairwise_distances(X)
    path = MetricAgglomerative(metric="precomputed").cluster_path(D, [2, 7, 50])
    assert {k: len(np.unique(labels)) for k, labels in path.items()} == {2: 2, 7: 7, 50: 50}
    embedding = MetricAgglomerative(7).fit(X).labels_
    assert adjusted_rand_score(path[7], embedding) == 1.0
    reference = AgglomerativeClustering(7, metric="precomputed", linkage="average").fit(D).labels_
    assert adjusted_rand_score(path[7], reference) == 1.0
    with pytest.raises(ValueError, match="linkage='ward' needs an embedding"):
        MetricAgglomerative(linkage="ward", metric="precomputed").fit(D)
    with pytest.raises(ValueError, match="n_clusters=\\[300\\] greater than the number of points"):
        MetricAgglomerative(300).fit(X)
