import numpy as np
import pytest

from cbred.distances.features import (
    FEATURE_MAPS,
    FeatureMap,
    OpHistogram,
    make_feature_map,
    register_feature_map,
)

from .conftest import VOCAB


def test_op_histogram_counts_nodes_with_input_and_output(tiny):
    counts = OpHistogram()(tiny).toarray()
    assert counts.tolist() == [[1, 1, 0, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 0, 0, 1]]


def test_edge_pair_histogram_counts_op_pairs_and_disconnected_graphs(tiny):
    counts = make_feature_map("edge_pair_histogram")(tiny).toarray()
    k = len(VOCAB)
    assert counts.shape == (4, k * k + 1)

    def pair(a, b):
        return k * VOCAB.index(a) + VOCAB.index(b)

    expected_chain = np.zeros(k * k + 1)
    expected_chain[[pair("input", "conv"), pair("conv", "output")]] = 1
    np.testing.assert_array_equal(counts[0], expected_chain)
    assert counts[2, pair("input", "conv")] == counts[2, pair("pool", "output")] == 1
    assert counts[2].sum() == 4
    # the empty cell has no edge: its whole mass is on the last ("disconnected") bin
    assert counts[3].tolist() == [0] * (k * k) + [1]
    assert counts[:3, -1].tolist() == [0, 0, 0]


def test_wl_depth_zero_is_the_op_histogram(tiny):
    wl = make_feature_map("wl_subtree", depth=0)(tiny).toarray()
    np.testing.assert_array_equal(wl, OpHistogram()(tiny).toarray())


def test_wl_depth_one_labels_nodes_by_their_neighbourhood(tiny):
    wl = make_feature_map("wl_subtree", depth=1)(tiny).toarray()
    refined = wl[:, len(VOCAB):]  # iteration-1 labels
    # every node gets exactly one iteration-1 label
    assert refined.sum(axis=1).tolist() == [3, 4, 4, 2]
    # chain input -> conv -> output vs the diamond: only "conv, preds {input}, succs
    # {output}" is shared; input and output have other neighbourhoods in the diamond
    assert (refined[0] > 0).sum() == 3
    shared = (refined[0] > 0) & (refined[2] > 0)
    assert shared.sum() == 1
    # a permuted copy of a graph has the same histogram
    perm = make_feature_map("wl_subtree", depth=2)(tiny.subset([2, 2])).toarray()
    assert np.array_equal(perm[0], perm[1])


def test_unknown_feature_map_lists_the_choices():
    with pytest.raises(KeyError, match="edge_pair_histogram, op_histogram, wl_subtree"):
        make_feature_map("ops")


@pytest.mark.parametrize("depth", [-1, 1.5, True])
def test_wl_depth_is_validated(depth):
    with pytest.raises(ValueError, match="depth"):
        make_feature_map("wl_subtree", depth=depth)


def test_registry_rejects_duplicates():
    class Again(FeatureMap):
        name = "op_histogram"

        def __call__(self, graphs):
            raise NotImplementedError

    with pytest.raises(ValueError, match="already registered"):
        register_feature_map(Again)
    assert FEATURE_MAPS["op_histogram"] is OpHistogram
