import numpy as np
import pytest

from cbred.spaces.nb201 import OPS, format_cell
from cbred.distances import EdgeSubstitutionDistance, GraphEditDistance

from .conftest import batch, chain


def cells(*codes):
    return [format_cell(c) for c in codes]


def test_known_values(nb201_space):
    ids = cells((3, 0, 0, 0, 0, 0), (2, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0), (1, 1, 1, 1, 1, 1))
    d = EdgeSubstitutionDistance(cache=False).pairwise(nb201_space.graphs(ids))
    assert d[0, 1] == 0.5  # nor_conv_3x3 -> nor_conv_1x1 on one edge
    assert d[0, 2] == 1.0  # remove the operation of one edge
    assert d[2, 3] == 6.0  # add an operation on every edge
    assert d[0, 3] == 6.0  # substitute one edge, add five


def test_equals_the_sum_of_edge_costs(nb201_space, nb201_sample):
    distance = EdgeSubstitutionDistance(substitution=0.75, indel=0.5, cache=False)
    d = distance.pairwise(nb201_sample)
    codes = nb201_space.codes_of(nb201_sample.ids)
    costs = distance.edge_costs()
    expected = costs[codes[:, None, :], codes[None, :, :]].sum(-1)
    np.testing.assert_allclose(d, expected, rtol=1e-6)
    assert costs[OPS.index("nor_conv_1x1"), OPS.index("nor_conv_3x3")] == 0.5
    assert costs[OPS.index("none"), OPS.index("skip_connect")] == 0.5
    assert np.array_equal(d, d.T) and np.all(np.diag(d) == 0)
    violation = (d[:, None, :] - d[:, :, None] - d[None, :, :]).max()
    assert violation <= 1e-6 and EdgeSubstitutionDistance.triangle_inequality


def test_is_not_isomorphism_invariant(nb201_space):
    # input -> conv -> skip -> output through vertex 1, or through vertex 2
    a, b = cells((3, 0, 0, 0, 1, 0), (0, 3, 0, 0, 0, 1))
    graphs = nb201_space.graphs([a, b])
    assert graphs[0] == graphs[1]  # one computational graph
    assert EdgeSubstitutionDistance(cache=False).pairwise(graphs)[0, 1] == 4.0
    assert GraphEditDistance(method="exact", cache=False).pairwise(graphs)[0, 1] == 0.0


def test_bad_input(nb201_space, nb101_sample):
    distance = EdgeSubstitutionDistance(cache=False)
    with pytest.raises(ValueError, match="works on edge-operation cells"):
        distance.pairwise(nb101_sample.graphs(nb101_sample.ids[:3]))
    unnamed = nb201_space.graphs(nb201_space.ids[:3])
    unnamed = type(unnamed)(unnamed.ops, unnamed.adjacency, unnamed.vocab, ids=None)
    with pytest.raises(ValueError, match="graphs.ids, which is None"):
        distance.pairwise(unnamed)
    with pytest.raises(ValueError, match="triangle inequality"):
        EdgeSubstitutionDistance(substitution=3.0, indel=1.0).pairwise(unnamed)
    with pytest.raises(ValueError, match="works on edge-operation cells"):
        distance.pairwise(batch(chain("input", "conv", "output")))
