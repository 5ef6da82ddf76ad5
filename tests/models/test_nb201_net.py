import pandas as pd
import pytest
import torch

from cbred.spaces.nb201 import format_cell
from cbred.models import build_network
from cbred.models.cell_network import CellNetwork, EdgeCell
from cbred.spaces.nb201 import EDGES, OPS, NB201Space
from tests.conftest import reference

CELL = "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"


def n_params(network: torch.nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())


@pytest.mark.data
@pytest.mark.slow
def test_parameter_counts_equal_the_benchmark():
    table = pd.read_csv(reference("nb201_zc_proxies_cifar10.csv")).sample(500, random_state=0)
    with torch.device("meta"):  # counts need shapes, not values
        counts = [n_params(build_network("nb201", arch)) for arch in table["arch"]]
    assert (pd.Series(counts).to_numpy() / 1e6).round(6).tolist() == table["params"].round(6).tolist()


def test_forward_shapes_for_proxy_configurations():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 16, 16)
    assert build_network("nb201", CELL, C=4, N=1)(x).shape == (2, 10)
    assert build_network("nb201", CELL, C=2, N=2, num_classes=7, stages=1)(x).shape == (2, 7)
    thin = build_network("nb201", CELL, C=2, N=1, stages=1, in_channels=1)
    assert thin(torch.randn(5, 1, 3, 3)).shape == (5, 10)


def test_width_and_depth_change_the_parameter_count_as_the_layout_says():
    # stem 3*C*9 + 2C; conv3x3 C*C*9 + 2C; one cell with a single conv3x3 edge, one stage
    cell = format_cell([3, 0, 0, 0, 0, 0])
    for C in (2, 5):
        net = CellNetwork(NB201Space(), cell, C=C, N=1, stages=1, num_classes=3)
        expected = (27 * C + 2 * C) + (9 * C * C + 2 * C) + 2 * C + (C * 3 + 3)
        assert n_params(net) == expected


def test_cell_computes_the_sum_over_incoming_edges():
    # node1 = x, node2 = node1 = x, node3 = x + node2 = 2x
    cell = EdgeCell(EDGES, [OPS[c] for c in [1, 0, 1, 1, 0, 1]], channels=3)
    x = torch.randn(2, 3, 4, 4)
    assert torch.allclose(cell(x), 2 * x)
    zero = EdgeCell(EDGES, [OPS[c] for c in [1, 1, 1, 0, 0, 0]], channels=3)  # nothing reaches the output
    assert zero(x).abs().sum() == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [({"C": 0}, "C must be"), ({"N": 1.5}, "N must be"), ({"stages": 0}, "stages must be")],
)
def test_bad_configuration_names_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_network("nb201", CELL, **kwargs)


def test_bad_cell_string_is_rejected():
    with pytest.raises(ValueError, match="unknown operation"):
        build_network("nb201", CELL.replace("avg_pool_3x3", "max_pool_3x3"))


def test_unknown_reduction_block_lists_the_choices():
    with pytest.raises(KeyError, match="unknown reduction block 'maxout' \\(choices: pool, residual\\)"):
        build_network("nb201", CELL, reduction="maxout")
