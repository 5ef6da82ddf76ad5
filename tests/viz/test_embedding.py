import sys

import numpy as np
import pytest
from sklearn.manifold import ClassicalMDS
from sklearn.metrics import pairwise_distances
from threadpoolctl import threadpool_limits

from cbred.viz.embedding import LAYOUTS, layout_2d, subsample


def _points(n=40, d=5, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def test_subsample_is_seeded_sorted_and_bounded():
    a = subsample(1000, 50, random_state=1)
    assert len(a) == 50 and len(set(a)) == 50
    assert np.all(np.diff(a) > 0)
    np.testing.assert_array_equal(a, subsample(1000, 50, random_state=1))
    assert not np.array_equal(a, subsample(1000, 50, random_state=2))
    np.testing.assert_array_equal(subsample(30, 50), np.arange(30))
    with pytest.raises(ValueError, match="max_points"):
        subsample(10, 0)


def test_classical_mds_equals_sklearn_and_is_seed_free():
    distance = pairwise_distances(_points())
    expected = ClassicalMDS(n_components=2, metric="precomputed").fit_transform(distance)
    np.testing.assert_allclose(layout_2d(distance, "mds"), expected, atol=1e-4)
    np.testing.assert_allclose(layout_2d(distance, "mds", random_state=5), expected, atol=1e-4)


def test_classical_mds_recovers_a_planar_configuration():
    planar = _points(d=2)
    distance = pairwise_distances(planar).astype(np.float32)  # float32 rounding is symmetrised
    coords = layout_2d(distance, "mds")
    np.testing.assert_allclose(pairwise_distances(coords), pairwise_distances(planar), atol=1e-4)


def test_tsne_keeps_two_blobs_apart():
    blobs = np.vstack([_points(n=15, seed=1), _points(n=15, seed=2) + 20.0])
    # one OpenMP thread: on a busy shared CPU, Barnes-Hut's thread pool can stall for a minute
    with threadpool_limits(limits=1, user_api="openmp"):
        coords = layout_2d(pairwise_distances(blobs), "tsne", random_state=0)
    assert coords.shape == (30, 2)
    within = max(pairwise_distances(coords[:15]).max(), pairwise_distances(coords[15:]).max())
    assert pairwise_distances(coords[:15], coords[15:]).min() > within


def test_pca_of_features_is_mds_of_their_distances():
    features = _points(n=30)
    pca = layout_2d(features, "pca")
    np.testing.assert_allclose(np.abs(pca), np.abs(layout_2d(pairwise_distances(features))),
                               atol=1e-4)


def test_bad_inputs_name_the_culprit():
    distance = pairwise_distances(_points(n=5))
    with pytest.raises(ValueError, match=r"unknown layout 'isomap'.*mds"):
        layout_2d(distance, "isomap")
    with pytest.raises(ValueError, match="square"):
        layout_2d(distance[:4], "mds")
    asymmetric = distance.copy()
    asymmetric[0, 1] += 1.0
    with pytest.raises(ValueError, match="symmetric"):
        layout_2d(asymmetric, "mds")
    with pytest.raises(ValueError, match="negative"):
        layout_2d(-distance, "tsne")
    distance[1, 2] = distance[2, 1] = np.nan
    with pytest.raises(ValueError, match="2 non-finite"):
        layout_2d(distance, "mds")


@pytest.mark.slow
def test_umap_is_optional(monkeypatch):
    assert "umap" in LAYOUTS
    monkeypatch.setitem(sys.modules, "umap", None)  # as if umap-learn were not installed
    with pytest.raises(ImportError, match="umap-learn"):
        layout_2d(pairwise_distances(_points(n=10)), "umap")


@pytest.mark.slow
@pytest.mark.parametrize("given", ["distance", "features"])
def test_umap_layout_of_either_input(given):
    pytest.importorskip("umap")
    features = _points(n=20)
    data = pairwise_distances(features) if given == "distance" else features
    assert layout_2d(data, "umap", input=given).shape == (20, 2)


def test_mds_of_collinear_points_has_a_zero_second_axis():
    line = np.linspace(0.0, 1.0, 10)[:, None]
    coords = layout_2d(pairwise_distances(line), "mds")
    np.testing.assert_allclose(coords[:, 1], 0.0)
    np.testing.assert_allclose(np.abs(coords[:, 0] - coords[0, 0]), line[:, 0], atol=1e-5)
