import math

import numpy as np
import pytest
from scipy import sparse
from scipy.spatial.distance import cdist, jensenshannon

from cbred.distances import Hellinger, JensenShannon, SymmetricKL
from cbred.distances.features import FEATURE_MAPS, FeatureMap
from cbred.distances.probabilistic import check_distributions

from .conftest import batch, chain

FEATURES = [
    ("op_histogram", None),
    ("edge_pair_histogram", None),
    ("wl_subtree", {"depth": 2}),
]


def chain_vs_longer_chain():
    # op histograms of input->conv->output and input->pool->conv->output
    p = np.array([1, 1, 0, 1]) / 3
    q = np.array([1, 1, 1, 1]) / 4
    return p, q


def test_known_values_on_tiny_graphs(tiny):
    p, q = chain_vs_longer_chain()
    pair = tiny.subset([0, 1])
    hellinger = Hellinger(cache=False).pairwise(pair)[0, 1]
    assert hellinger == pytest.approx(math.sqrt(1 - math.sqrt(3) / 2), abs=1e-7)
    m = (p + q) / 2
    kl_pm = 3 * (1 / 3) * math.log2((1 / 3) / m[0])
    kl_qm = 3 * (1 / 4) * math.log2((1 / 4) / m[0]) + (1 / 4) * math.log2((1 / 4) / m[2])
    js = JensenShannon(cache=False).pairwise(pair)[0, 1]
    assert js == pytest.approx(math.sqrt((kl_pm + kl_qm) / 2), abs=1e-7)
    eps = 1e-3
    jeffreys = 3 * (1 / 12) * math.log((1 / 3 + eps) / (1 / 4 + eps)) + 0.25 * math.log(
        (0.25 + eps) / eps
    )
    assert SymmetricKL(epsilon=eps, cache=False).pairwise(pair)[0, 1] == pytest.approx(
        jeffreys, rel=1e-6
    )


@pytest.mark.parametrize("feature, params", FEATURES)
def test_match_scipy(nb201_sample, feature, params):
    kwargs = dict(feature=feature, feature_params=params, cache=False)
    hellinger = Hellinger(**kwargs)
    p = hellinger.distributions(nb201_sample).toarray()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    expected = cdist(np.sqrt(p), np.sqrt(p)) / math.sqrt(2)
    np.testing.assert_allclose(hellinger.pairwise(nb201_sample), expected, atol=1e-6)
    js = JensenShannon(**kwargs).pairwise(nb201_sample)
    np.testing.assert_allclose(js, cdist(p, p, jensenshannon, base=2), atol=1e-6)
    shifted = p + 1e-4
    jeffreys = ((shifted[:, None] - shifted) * (np.log(shifted[:, None]) - np.log(shifted))).sum(-1)
    np.testing.assert_allclose(
        SymmetricKL(**kwargs).pairwise(nb201_sample), jeffreys, rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("cls", [Hellinger, JensenShannon, SymmetricKL])
@pytest.mark.parametrize("feature, params", FEATURES)
def test_metric_properties(nb201_sample, cls, feature, params):
    d = cls(feature=feature, feature_params=params, cache=False).pairwise(nb201_sample)
    assert d.dtype == np.float32 and d.shape == (len(nb201_sample),) * 2
    assert np.array_equal(d, d.T) and cls.symmetric
    assert np.all(np.diag(d) == 0) and np.all(d >= 0)
    assert d.max() > 0.1  # not a degenerate all-zero matrix
    # triangle inequality d(i, k) <= d(i, j) + d(j, k) over all triples
    violation = (d[:, None, :] - d[:, :, None] - d[None, :, :]).max()
    if cls.triangle_inequality:
        assert violation <= 1e-6
    else:
        assert cls is SymmetricKL


def test_sym_kl_breaks_the_triangle_inequality():
    # conv only, pool only, and both: the detour through "both" is shorter
    graphs = batch(
        chain("input", "conv", "output"),
        chain("input", "pool", "output"),
        chain("input", "conv", "pool", "output"),
    )
    d = SymmetricKL(cache=False).pairwise(graphs)
    assert d[0, 1] > d[0, 2] + d[2, 1] + 1  # so its flag must say False
    assert SymmetricKL.triangle_inequality is False


@pytest.mark.parametrize("feature, params", FEATURES)
def test_hellinger_embedding_reproduces_the_distance(nb201_sample, feature, params):
    d = Hellinger(feature=feature, feature_params=params, cache=False)
    embedding = d.embed(nb201_sample)
    assert embedding.dtype == np.float32 and embedding.shape[0] == len(nb201_sample)
    np.testing.assert_allclose(cdist(embedding, embedding), d.pairwise(nb201_sample), atol=1e-5)


@pytest.mark.parametrize("cls", [JensenShannon, SymmetricKL])
def test_non_euclidean_distances_have_no_embedding(tiny, cls):
    with pytest.raises(TypeError, match="not a Euclidean distance.*hellinger"):
        cls().embed(tiny)


def test_nan_in_a_distribution_names_the_graph():
    counts = sparse.csr_matrix(np.array([[1.0, 2.0], [np.nan, 1.0]]))
    with pytest.raises(ValueError, match="'b' has NaN"):
        check_distributions(counts, ids=("a", "b"))
    with pytest.raises(ValueError, match="position 0 has a negative"):
        check_distributions(sparse.csr_matrix(np.array([[-1.0, 2.0]])))
    with pytest.raises(ValueError, match="'a' has an empty histogram"):
        check_distributions(sparse.csr_matrix(np.zeros((1, 3))), ids=("a",))


def test_a_feature_map_producing_nan_is_rejected(tiny, monkeypatch):
    class Broken(FeatureMap):
        name = "broken"

        def __call__(self, graphs):
            counts = graphs.op_counts().astype(float)
            counts[2, 0] = np.nan
            return sparse.csr_matrix(counts)

    monkeypatch.setitem(FEATURE_MAPS, "broken", Broken)
    with pytest.raises(ValueError, match="'g2' has NaN in its distribution"):
        Hellinger(feature="broken", cache=False).pairwise(tiny)


def test_unknown_feature_map_and_bad_parameters(tiny):
    with pytest.raises(KeyError, match="unknown feature map 'wl'.*wl_subtree"):
        JensenShannon(feature="wl").pairwise(tiny)
    with pytest.raises(ValueError, match="epsilon must be positive"):
        SymmetricKL(epsilon=0).pairwise(tiny)
    with pytest.raises(ValueError, match="base must be > 1"):
        JensenShannon(base=1).pairwise(tiny)
    with pytest.raises(ValueError, match="depth"):
        Hellinger(feature="wl_subtree", feature_params={"depth": -2}).pairwise(tiny)


@pytest.mark.parametrize("cls", [Hellinger, SymmetricKL])
@pytest.mark.parametrize("feature, params", FEATURES)
def test_dense_and_sparse_block_paths_agree(nb201_sample, cls, feature, params, monkeypatch):
    distance = cls(feature=feature, feature_params=params, cache=False)
    monkeypatch.setattr(cls, "DENSE_BINS", 10**9)
    dense = distance.pairwise(nb201_sample)
    monkeypatch.setattr(cls, "DENSE_BINS", 0)
    np.testing.assert_allclose(distance.pairwise(nb201_sample), dense, rtol=1e-6, atol=1e-6)


def test_an_embedding_larger_than_free_memory_is_refused_naming_its_size(nb201_sample, monkeypatch):
    monkeypatch.setattr("cbred.distances.probabilistic._available_memory", lambda: 1000.0)
    with pytest.raises(MemoryError, match=rf"Hellinger\(feature='wl_subtree'\) has [\d,]+ bins for {len(nb201_sample)} graphs.*GiB"):
        Hellinger(feature="wl_subtree", cache=False).embed(nb201_sample)
