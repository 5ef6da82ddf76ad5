import numpy as np
import pytest
from sklearn.metrics import pairwise_distances

from cbred.clustering.neighbourhoods import (
    loo_errors,
    nearest_columns,
    nearest_neighbours,
    nearest_of,
    neighbourhood_mean,
)


def test_nearest_neighbours_by_hand_with_ties_broken_by_position():
    X = np.array([[0.0], [1.0], [2.0], [4.0]])
    expected = [[1, 2], [0, 2], [1, 0], [2, 1]]  # point 1: 0 and 2 tie at 1, 0 first
    np.testing.assert_array_equal(nearest_neighbours(X, 2), expected)
    np.testing.assert_array_equal(nearest_neighbours(pairwise_distances(X), 2, metric="precomputed"), expected)


def test_embedding_and_matrix_agree_and_never_include_the_point_itself():
    X = np.random.default_rng(0).normal(size=(300, 4))
    by_embedding = nearest_neighbours(X, 7)
    by_matrix = nearest_neighbours(pairwise_distances(X).astype(np.float32), 7, metric="precomputed")
    np.testing.assert_array_equal(by_embedding, by_matrix)
    assert not (by_embedding == np.arange(300)[:, None]).any()


def test_neighbourhood_mean_and_leave_one_out_by_hand():
    values = np.array([0.0, 1.0, 2.0, 4.0])
    neighbours = np.array([[1, 2], [0, 2], [1, 0], [2, 1]])
    np.testing.assert_allclose(neighbourhood_mean(values, neighbours, 1), [0.5, 0.5, 1.5, 3.0])
    np.testing.assert_allclose(neighbourhood_mean(values, neighbours, 2, include_self=False), [1.5, 1.0, 0.5, 1.5])
    # k=1 predictions 1, 0, 1, 2 -> squared errors 1, 1, 1, 4
    assert loo_errors(values, neighbours, [1, 2]) == pytest.approx({1: 7 / 4, 2: (2.25 + 0 + 2.25 + 6.25) / 4})


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_neighbors must be in \\[1, 2\\] for 3 points"):
        nearest_neighbours(np.zeros((3, 2)), 3)
    with pytest.raises(ValueError, match="metric='cosine'"):
        nearest_neighbours(np.zeros((3, 2)), 1, metric="cosine")
    with pytest.raises(ValueError, match="not symmetric"):
        nearest_neighbours(np.array([[0, 1, 2], [3, 0, 1], [2, 1, 0.0]]), 1, metric="precomputed")


def test_ties_on_a_grid_follow_position_for_coordinates_and_matrix_alike():
    X = np.array([[i, j] for i in range(12) for j in range(12)], dtype=float)
    X = np.concatenate([X, X[:20]])  # duplicates: distance-0 ties too
    by_embedding = nearest_neighbours(X, 3)
    np.testing.assert_array_equal(by_embedding, nearest_neighbours(pairwise_distances(X), 3, metric="precomputed"))
    # point 13 (1, 1): its duplicate 157 first, then the four points at distance 1, lowest positions first
    assert by_embedding[13].tolist() == [157, 1, 12]
    queries, references = np.arange(144, 164), np.arange(0, 144)
    np.testing.assert_array_equal(nearest_of(X, queries, references, 2),
                                  nearest_of(pairwise_distances(X), queries, references, 2, metric="precomputed"))
    assert nearest_of(X, np.array([157]), references, 3).tolist() == [[13, 1, 12]]


def test_nearest_columns_of_a_block_are_nearest_of_in_one_matrix():
    X = np.array([[i, j] for i in range(6) for j in range(6)], dtype=float)
    queries, references = np.arange(0, 36, 5), np.setdiff1d(np.arange(36), np.arange(0, 36, 5))
    D = pairwise_distances(X)
    block = D[np.ix_(queries, references)].astype(np.float32)
    np.testing.assert_array_equal(references[nearest_columns(block, 4)],
                                  nearest_of(D, queries, references, 4, metric="precomputed"))
    with pytest.raises(ValueError, match="n_neighbors must be in \\[1, 28\\] for 28 references"):
        nearest_columns(block, 29)
    with pytest.raises(ValueError, match="block"):
        nearest_columns(np.zeros(3), 1)
