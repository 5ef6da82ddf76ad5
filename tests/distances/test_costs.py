"""The edit-cost model of the transformation distances."""

import numpy as np
import pytest

from cbred.distances.costs import EditCosts, check_cost, substitution_matrix
from cbred.spaces.nb201 import NODE_VOCAB

from .conftest import VOCAB


def test_default_costs_on_nb201_make_the_kernel_sizes_of_a_convolution_cheap():
    costs = EditCosts.build(NODE_VOCAB)
    conv1, conv3, pool = (NODE_VOCAB.index(op) for op in ("nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"))
    assert costs.substitution[conv1, conv3] == costs.substitution[conv3, conv1] == 0.5
    assert costs.substitution[conv1, pool] == 1.0 and np.all(np.diag(costs.substitution) == 0)
    assert costs.substitution.sum() == 6 * 5 - 2 * 0.5  # every off-diagonal pair costs 1 but one
    assert (costs.node_indel, costs.edge_indel) == (1.0, 1.0)


def test_pair_costs_of_another_space_are_skipped_and_a_typo_is_refused():
    matrix = substitution_matrix(VOCAB, 2.0, [("conv", "pool", 0.25), ("conv1x1-bn-relu", "conv3x3-bn-relu", 0.5)])
    np.testing.assert_array_equal(matrix, [[0, 2, 2, 2], [2, 0, 0.25, 2], [2, 0.25, 0, 2], [2, 2, 2, 0]])
    with pytest.raises(ValueError, match=r"names unknown operation\(s\) \['nor_conv_5x5'\]"):
        substitution_matrix(VOCAB, 1.0, [("nor_conv_5x5", "conv", 0.5)])
    with pytest.raises(ValueError, match="pair cost of 'conv' and 'pool' must be a finite non-negative"):
        substitution_matrix(VOCAB, 1.0, [("conv", "pool", -0.5)])


def test_costs_must_be_finite_non_negative_numbers():
    assert check_cost("edge_indel", "0.5") == 0.5 and check_cost("edge_indel", 0) == 0.0
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="edge_indel must be a finite non-negative number"):
            check_cost("edge_indel", bad)
    with pytest.raises(ValueError, match="node_indel must be a number, got 'cheap'"):
        EditCosts.build(VOCAB, node_indel="cheap")


def test_networkx_costs_read_the_op_of_each_node():
    kwargs = EditCosts.build(VOCAB, pair_costs=[("conv", "pool", 0.25)], node_indel=3.0, edge_indel=2.0).networkx_kwargs()
    assert kwargs["node_subst_cost"]({"op": "conv"}, {"op": "pool"}) == 0.25
    assert kwargs["node_subst_cost"]({"op": "input"}, {"op": "pool"}) == 1.0
    assert kwargs["node_del_cost"]({"op": "conv"}) == kwargs["node_ins_cost"]({"op": "pool"}) == 3.0
    assert kwargs["edge_del_cost"]({}) == kwargs["edge_ins_cost"]({}) == 2.0 and kwargs["edge_subst_cost"]({}, {}) == 0.0
