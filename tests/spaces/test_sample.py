"""A sample of a space is a space: listed, drawn from, and answered by the space it came from."""

import numpy as np
import pytest

from cbred.spaces.darts import DartsSpace
from cbred.spaces.edge_cell import EdgeCellSpace
from cbred.spaces.sample import SpaceSample

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def test_a_sample_of_a_sampled_space_lists_draws_and_delegates():
    darts = DartsSpace()
    sample = SpaceSample.drawn(darts, 40, random_state=0)
    assert len(sample) == sample.size == 40 and sample.enumerable and sample.name == "darts"
    assert list(sample.ids) == darts.sample(40, random_state=0)
    drawn = sample.sample(10, random_state=1)
    assert len(set(drawn)) == 10 and set(drawn) <= set(sample.ids)
    assert sample.graph(sample.ids[0]) == darts.graph(sample.ids[0])
    assert sample.network_kind == "darts" and sample.node_vocab == darts.node_vocab
    with pytest.raises(ValueError, match="41 distinct architectures requested, space 'darts' has 40"):
        sample.sample(41)
    with pytest.raises(ValueError, match="lists 1 cell\\(s\\) twice"):
        SpaceSample(darts, [sample.ids[0], sample.ids[0]])


def test_a_tiny_sampled_space_refuses_more_distinct_cells_than_it_has():
    tiny = DartsSpace(n_nodes=1, operations=["none", "skip_connect"])
    assert tiny.size == 1 and not tiny.enumerable
    with pytest.raises(ValueError, match="2 distinct architectures requested, space 'darts' has 1"):
        tiny.sample(2)


def test_sizes_of_a_sample_of_an_edge_cell_space_add_up_in_the_space_it_came_from():
    from cbred.tfstats.network_cost import benchmark_costs, network_costs

    wide = EdgeCellSpace(name="wide", n_nodes=4, operations=OPS, network={"C": 4, "N": 1, "stages": 2}, max_enumerable=100)
    sample = SpaceSample.drawn(wide, 6, random_state=0)
    np.testing.assert_allclose(benchmark_costs(sample).to_numpy(), network_costs(sample).to_numpy(), rtol=1e-9)


def test_a_space_of_one_operation_has_no_mutation():
    space = EdgeCellSpace(name="one", n_nodes=3, operations=["nor_conv_3x3"])
    assert space.mutate(space.ids[0], 1, np.random.default_rng(0)) is None and space.neighbours(space.ids[0]) == ()
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        space.mutate(space.ids[0], 0, np.random.default_rng(0))
