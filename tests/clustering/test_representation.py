import numpy as np
import pytest
from sklearn.metrics import pairwise_distances

from cbred.clustering.representation import Representation, represent
from cbred.spaces.nb201 import NB201Space


class CountsDistance:
    """Euclidean distance between operation counts (a test double of cbred.distances)."""

    def __init__(self, is_euclidean: bool) -> None:
        self.is_euclidean = is_euclidean
        self.calls = []

    def embed(self, graphs):
        return graphs.op_counts().astype(np.float32)

    def with_engine(self, **options):
        self.engine_options = options
        return self

    def pairwise(self, graphs, other=None):
        self.calls.append((len(graphs), None if other is None else len(other)))
        other = graphs if other is None else other
        return pairwise_distances(graphs.op_counts(), other.op_counts()).astype(np.float32)


@pytest.fixture(scope="module")
def graphs():
    space = NB201Space()
    return space.graphs(list(space.ids[::25]))  # 625 cells


def test_euclidean_distances_give_their_embedding(graphs):
    rep = represent(CountsDistance(True), graphs)
    assert rep.kind == "embedding" and rep.metric == "euclidean" and rep.X.shape == (625, 6)


def test_other_distances_give_the_matrix_then_landmarks_beyond_max_dense(graphs):
    distance = CountsDistance(False)
    dense = represent(distance, graphs)
    assert dense.kind == "distance matrix" and dense.metric == "precomputed" and dense.X.shape == (625, 625)

    distance.calls.clear()
    landmark = represent(distance, graphs, max_dense=100, n_landmarks=80, chunk_size=200, random_state=0)
    assert landmark.kind == "landmark MDS" and landmark.metric == "euclidean"
    # never an n x n matrix: the landmarks' matrix, then n x L blocks
    assert distance.calls == [(80, None), (200, 80), (200, 80), (200, 80), (25, 80)]
    assert distance.engine_options == {"cache": False}  # one-off blocks write no cache files
    # the distance is Euclidean (of op counts), so landmark MDS reproduces it
    np.testing.assert_allclose(pairwise_distances(landmark.X), dense.X, atol=1e-3)


def test_distinct_collapses_points_at_distance_zero(graphs):
    for rep in (represent(CountsDistance(True), graphs), represent(CountsDistance(False), graphs)):
        points, inverse = rep.distinct()
        n_distinct = len(np.unique(graphs.op_counts(), axis=0))
        assert len(points) == n_distinct < len(rep)
        rows = points.X[inverse][:, inverse] if rep.metric == "precomputed" else points.X[inverse]
        np.testing.assert_array_equal(rows, rep.X)
    single = Representation(np.eye(3, dtype=np.float32), "euclidean", "embedding").distinct()[1]
    np.testing.assert_array_equal(single, [0, 1, 2])
