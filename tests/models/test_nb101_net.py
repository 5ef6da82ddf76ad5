import numpy as np
import pandas as pd
import pytest
import torch

from cbred.spaces.nb101 import Spec
from cbred.models import build_network
from cbred.models.nb101_net import NB101Cell, NB101Network, vertex_channels
from tests.conftest import reference

CHAIN = Spec.from_raw(
    np.array([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]]),
    ["input", "conv3x3-bn-relu", "maxpool3x3", "output"],
)


@pytest.mark.data
@pytest.mark.slow
def test_parameter_counts_equal_the_benchmark_for_every_cell(nb101_sample, nb101_jsonl):
    published = pd.read_json(nb101_jsonl, lines=True).set_index("hash")["params"]
    with torch.device("meta"):
        counts = {
            h: sum(p.numel() for p in build_network(nb101_sample, h).parameters())
            for h in nb101_sample.ids
        }
    assert len(counts) == 1000
    assert pd.Series(counts).sort_index().equals(published.sort_index().astype(int))


def test_vertex_channels_split_the_output_and_give_the_remainder_first():
    # 0 -> 1, 2, 3 -> 4 (output): three vertices feed the output, 128 = 43 + 43 + 42
    matrix = np.zeros((5, 5), dtype=int)
    matrix[0, 1:4] = 1
    matrix[1:4, 4] = 1
    assert vertex_channels(64, 128, matrix) == [64, 43, 43, 42, 128]
    # 1 -> 2 -> output: vertex 1 takes the width of its successor
    chain = np.array([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
    assert vertex_channels(8, 16, chain) == [8, 16, 16, 16]


def test_cell_with_input_to_output_edge_adds_a_projection():
    spec = Spec.from_raw(np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]]), ["input", "conv1x1-bn-relu", "output"])
    cell = NB101Cell(spec, 4, 6)
    assert set(cell.projections) == {"1", "2"}
    assert cell(torch.randn(2, 4, 5, 5)).shape == (2, 6, 5, 5)


def test_forward_shapes_and_downsampling_of_odd_sizes():
    net = NB101Network(CHAIN, C=4, N=1, num_classes=5)
    assert net(torch.randn(2, 3, 7, 7)).shape == (2, 5)
    # stem 3*4*9+8, stack widths 4, 8, 16; classifier 16*5+5
    assert net.classifier.linear.in_features == 16


def test_hash_needs_the_space_that_knows_it(nb101_sample):
    arch = nb101_sample.ids[0]
    with pytest.raises(ValueError, match="a space that knows it"):
        build_network("nb101", arch)
    with pytest.raises(KeyError, match="not in this space"):
        build_network(nb101_sample, "0" * 32)
    assert isinstance(build_network(nb101_sample, arch, C=4, N=1), NB101Network)


def test_unknown_space_lists_the_choices():
    with pytest.raises(KeyError, match="darts, nb101, nb201"):
        build_network("nb301", "x")
