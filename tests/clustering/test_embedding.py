import numpy as np
import pytest
from sklearn.metrics import pairwise_distances

from cbred.clustering.embedding import ClassicalMDS, check_dissimilarity


def _points(n, dim=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, dim))


@pytest.mark.parametrize("n", [40, 700])  # LAPACK path and ARPACK path
def test_mds_reproduces_euclidean_distances_and_cuts_the_rank(n):
    X = _points(n)
    D = pairwise_distances(X).astype(np.float32)
    mds = ClassicalMDS(n_components=8, random_state=0).fit(D)
    assert mds.n_components_ == 3  # rank of the Euclidean part, not n_components
    assert mds.embedding_.shape == (n, 3)
    np.testing.assert_allclose(pairwise_distances(mds.embedding_), D, atol=2e-3)
    # eigenvalues are the squared norms of the (centred) coordinates
    np.testing.assert_allclose((mds.embedding_.astype(float) ** 2).sum(0), mds.eigenvalues_, rtol=1e-3)
    # Gower's formula places the fitted points where they are
    np.testing.assert_allclose(mds.transform(D[:25]), mds.embedding_[:25], atol=2e-3)


def test_landmark_mds_places_new_points_exactly_for_euclidean_distances():
    X = _points(500, dim=4, seed=1)
    landmarks = X[:60]
    mds = ClassicalMDS(n_components=10, random_state=0).fit(pairwise_distances(landmarks))
    coords = mds.transform(pairwise_distances(X, landmarks))
    np.testing.assert_allclose(pairwise_distances(coords), pairwise_distances(X), atol=1e-3)


def test_non_euclidean_distances_keep_only_the_positive_spectrum():
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(5), size=80)
    # symmetrised KL: not Euclidean, the double-centred matrix has negative eigenvalues
    kl = (p[:, None, :] * np.log(p[:, None, :] / p[None, :, :])).sum(-1)
    D = kl + kl.T
    mds = ClassicalMDS(n_components=79, random_state=0).fit(D)
    assert np.isfinite(mds.embedding_).all()
    assert (mds.eigenvalues_ > 0).all() and mds.n_components_ < 79


def test_mds_is_deterministic_for_a_seed():
    D = pairwise_distances(_points(700, dim=6, seed=3))
    a = ClassicalMDS(4, random_state=7).fit_transform(D)
    b = ClassicalMDS(4, random_state=7).fit_transform(D)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "matrix, message",
    [
        (np.zeros((3, 4)), "square"),
        (np.array([[0, -1, 1], [-1, 0, 1], [1, 1, 0]]), "negative"),
        (np.array([[0, 1, 1], [2, 0, 1], [1, 1, 0]]), "not symmetric"),
        (np.array([[0, np.nan, 1], [np.nan, 0, 1], [1, 1, 0]]), "non-finite"),
        (np.array([["a"]]), "numeric"),
    ],
)
def test_bad_dissimilarities_are_named(matrix, message):
    with pytest.raises(ValueError, match=message):
        check_dissimilarity(matrix)


def test_transform_checks_the_number_of_fitted_points():
    mds = ClassicalMDS(2).fit(pairwise_distances(_points(10)))
    with pytest.raises(ValueError, match="10 fitted points"):
        mds.transform(np.zeros((3, 9)))
