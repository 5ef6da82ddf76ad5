import pytest
import torch

from cbred.models import build_network
from cbred.models.darts_net import DartsCell, DartsNetwork
from cbred.spaces.darts import DartsSpace

# DARTS-V2 (Liu et al. 2019)
DARTS_V2 = (
    "normal:sep_conv_3x3~0,sep_conv_3x3~1|sep_conv_3x3~0,sep_conv_3x3~1|sep_conv_3x3~1,skip_connect~0|"
    "skip_connect~0,dil_conv_3x3~2;"
    "reduce:max_pool_3x3~0,max_pool_3x3~1|skip_connect~2,max_pool_3x3~1|max_pool_3x3~0,skip_connect~2|"
    "skip_connect~2,max_pool_3x3~1"
)
SPACE = DartsSpace()


def n_params(network: torch.nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())


def test_darts_v2_has_the_published_parameter_count():
    # DARTS reports 3.3M (its count leaves the auxiliary head out); this network has none
    with torch.device("meta"):  # counts need shapes, not values
        count = n_params(DartsNetwork(SPACE, DARTS_V2, C=36, layers=20))
    assert 3.0e6 <= count <= 3.5e6
    assert count == 3_349_342


@pytest.mark.parametrize("size", [16, 32])
def test_forward_shapes(size):
    torch.manual_seed(0)
    net = build_network(SPACE, DARTS_V2, C=8, layers=5)
    assert isinstance(net, DartsNetwork) and net.arch == SPACE.canonical_id(DARTS_V2)
    assert net(torch.randn(2, 3, size, size)).shape == (2, 10)


def test_sampled_cells_and_proxy_configurations_run():
    torch.manual_seed(0)
    zero = DartsSpace(sample_zero=True)
    for arch in zero.sample(3, random_state=0):
        net = build_network(zero, arch, C=4, layers=3, num_classes=7, in_channels=1)
        assert net(torch.randn(2, 1, 16, 16)).shape == (2, 7)
    tiny = DartsSpace(n_nodes=1)
    arch = tiny.sample(1, random_state=0)[0]
    assert build_network(tiny, arch, C=2, layers=1)(torch.randn(1, 3, 8, 8)).shape == (1, 10)


def test_network_layout():
    net = DartsNetwork(SPACE, DARTS_V2, C=4, layers=6)
    # reductions at layers // 3 and 2 * layers // 3, each doubling the channels
    assert [cell.reduction for cell in net.cells] == [False, False, True, False, True, False]
    assert net.classifier.linear.in_features == 4 * 4 * 4  # 4 nodes of 4C channels
    # after a reduction, the older input is reduced too
    assert type(net.cells[3].preprocess0).__name__ == "FactorizedReduce"
    assert type(net.cells[2].preprocess0).__name__ == "ReLUConvBN"


def test_cell_sums_two_edges_and_concatenates_the_nodes():
    # node 0 = s0 + s1, node 1 = node 0 + s1; preprocessing replaced by the identity
    cell = DartsCell([("skip_connect", 0), ("skip_connect", 1), ("skip_connect", 2), ("skip_connect", 1)],
                     3, 3, 3, reduction=False, reduction_prev=False)
    cell.preprocess0 = cell.preprocess1 = torch.nn.Identity()
    s0, s1 = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    assert torch.allclose(cell(s0, s1), torch.cat([s0 + s1, s0 + 2 * s1], dim=1))


@pytest.mark.parametrize(
    "kwargs, match",
    [({"C": 0}, "C must be"), ({"layers": 1.5}, "layers must be"), ({"num_classes": 0}, "num_classes must be"),
     ({"in_channels": -1}, "in_channels must be")],
)
def test_bad_configuration_names_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DartsNetwork(SPACE, DARTS_V2, **kwargs)


def test_bad_id_is_rejected():
    with pytest.raises(ValueError, match="unknown operation 'nor_conv_3x3'"):
        build_network(SPACE, DARTS_V2.replace("dil_conv_3x3", "nor_conv_3x3"))
