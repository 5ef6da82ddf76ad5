"""Each statistic against an independent computation on a tiny network."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cbred.tfstats.images import ImageBatch
from cbred.models import build_network
from cbred.tfstats import STATISTICS, cost, naswot, saliency, tenas

CELL = "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"


def mlp(seed=0, hidden=6):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 3))


def batch_of(n=5, seed=0, shape=(1, 2, 2)):
    g = torch.Generator().manual_seed(seed)
    return ImageBatch(torch.randn((n, *shape), generator=g), torch.randint(3, (n,), generator=g))


def test_params_and_flops_of_a_known_network():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.Flatten(), nn.Linear(4 * 8 * 8, 10))
    batch = ImageBatch(torch.randn(2, 3, 8, 8), torch.zeros(2, dtype=torch.long))
    assert cost.params(net, batch) == (108 + 2560 + 10) / 1e6
    # multiply-adds of one image: conv 8*8*4*3*9, linear 256*10
    assert cost.flops(net, batch) == pytest.approx((8 * 8 * 4 * 27 + 256 * 10) / 1e6)


def test_naswot_v2_is_the_log_det_of_the_hamming_kernel():
    net, batch = mlp(hidden=64), batch_of(6)
    hidden = net[1](batch.inputs.flatten(1))  # the only ReLU's input
    codes = (hidden > 0).double().numpy()
    kernel = codes @ codes.T + (1 - codes) @ (1 - codes).T
    assert naswot.naswot_v2(net, batch) == pytest.approx(np.linalg.slogdet(kernel)[1])


def test_naswot_v1_scores_decorrelated_jacobians():
    net, batch = mlp(), batch_of(5)
    jac = np.stack(
        [torch.autograd.functional.jacobian(lambda x: net(x[None]).sum(), x).flatten().numpy() for x in batch.inputs]
    )
    eig = np.linalg.eigvalsh(np.corrcoef(jac))
    expected = -np.sum(np.log(eig + 1e-5) + 1 / (eig + 1e-5))
    assert naswot.naswot_v1(net, batch) == pytest.approx(expected, rel=1e-6)
    assert naswot.naswot_v1(net, batch) <= -len(batch) + 1e-9  # the maximum is -batch size


def test_snip_and_grad_norm_match_backward():
    net, batch = mlp(), batch_of(5)
    loss = F.cross_entropy(net(batch.inputs), batch.targets)
    loss.backward()
    layers = [net[1], net[3]]
    expected_snip = sum((m.weight * m.weight.grad).abs().sum().item() for m in layers)
    expected_norm = sum(m.weight.grad.norm().item() for m in layers)
    assert saliency.snip(mlp(), batch) == pytest.approx(expected_snip, rel=1e-6)
    assert saliency.grad_norm(mlp(), batch) == pytest.approx(expected_norm, rel=1e-6)


def test_synflow_of_a_linear_network_and_without_overflow():
    # two bias-free layers with positive weights: every path has two weights, flow = 2 R
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 6, bias=False), nn.Linear(6, 3, bias=False))
    batch = batch_of(2)
    w1, w2 = net[1].weight.detach().abs().double(), net[2].weight.detach().abs().double()
    total = (w2 @ w1 @ torch.ones(4, dtype=torch.float64)).sum().item()
    assert saliency.synflow(net, batch) == pytest.approx(math.log(2 * total), rel=1e-9)
    assert net[1].weight.dtype == torch.float32  # the network it was given is unchanged
    # weights of 1e200: R ~ 1e400 overflows float64, the log-space flow does not
    net.double()
    with torch.no_grad():
        for layer in (net[1], net[2]):
            layer.weight.fill_(1e200)
    expected = math.log(2 * 4 * 6 * 3) + 400 * math.log(10)
    assert saliency.synflow(net, batch) == pytest.approx(expected, rel=1e-9)


def test_ntk_condition_number_of_a_linear_model():
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 1, bias=False))
    batch = batch_of(3)
    x = batch.inputs.flatten(1).double()
    eig = torch.linalg.eigvalsh(x @ x.T)  # J = X for f(x) = w . x
    assert tenas.ntk_cond(net, batch) == pytest.approx((eig[-1] / eig[0]).item(), rel=1e-5)


def test_linear_regions_counts_the_intervals_visited():
    # ReLU(x - b) with breakpoints 0, 1, 2 splits the line into 4 regions
    net = nn.Sequential(nn.Flatten(), nn.Linear(1, 3), nn.ReLU())
    with torch.no_grad():
        net[1].weight.fill_(1.0)
        net[1].bias.copy_(torch.tensor([0.0, -1.0, -2.0]))
    points = torch.tensor([-1.0, -0.5, 0.5, 1.5, 1.7, 3.0]).view(6, 1, 1, 1)
    batch = ImageBatch(points, torch.zeros(6, dtype=torch.long))
    assert tenas.linear_regions(net, batch) == 4
    with pytest.raises(ValueError, match="no nn.ReLU"):
        tenas.linear_regions(nn.Sequential(nn.Flatten(), nn.Linear(1, 2)), batch)


class NaNNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 3)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.linear(x.flatten(1))) * float("nan")


@pytest.mark.parametrize("name", ["naswot_v1", "synflow", "snip", "grad_norm", "ntk_cond"])
def test_a_network_that_produces_nan_raises_floating_point_error(name):
    with pytest.raises(FloatingPointError, match=name):
        STATISTICS[name](NaNNetwork(), batch_of(4))


@pytest.mark.slow
def test_every_statistic_runs_on_a_tiny_nb201_network():
    torch.manual_seed(0)
    net = build_network("nb201", CELL, C=2, N=1)
    batch = ImageBatch(torch.randn(4, 3, 8, 8), torch.tensor([0, 1, 2, 3]))
    values = {name: STATISTICS[name](build_network("nb201", CELL, C=2, N=1), batch) for name in STATISTICS}
    assert all(math.isfinite(v) for v in values.values())
    assert values["params"] == sum(p.numel() for p in net.parameters()) / 1e6
    assert 1 <= values["linear_regions"] <= 4


#: An NB201 cell whose every input-output path passes a ``none`` edge (its convolution
#: reaches nothing): the output is the classifier's bias for every input.
DEGENERATE = "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|"
#: Statistics that do not read how the output depends on the input (defined on DEGENERATE:
#: weight sizes and norms, loss gradients that reach the classifier's bias, and the
#: activation codes of the ReLUs the input does reach).
INPUT_FREE = {"params", "flops", "l2_norm", "snip", "grad_norm", "naswot_v2"}


@pytest.mark.slow
def test_degenerate_cells_give_nan_and_the_reason_through_the_runner(nb201_space):
    from cbred.tfstats.images import GaussianImages
    from cbred.tfstats.runner import Probe, evaluate, make_plan

    probe = Probe({"C": 2, "N": 1}, GaussianImages(resolution=8), batch_size=4)
    names = [n for n in STATISTICS.names() if n != "linear_regions"]
    plan = make_plan(nb201_space, names, probe, repeats=1)
    rows = {r["statistic"]: r for r in evaluate(plan, DEGENERATE, names, torch.device("cpu"))}
    for name in set(names) - INPUT_FREE:
        assert math.isnan(rows[name]["mean"]) and rows[name]["error"], name
        assert "repeat 0" in rows[name]["error"], name
    for name in INPUT_FREE:
        assert math.isfinite(rows[name]["mean"]) and rows[name]["error"] is None, name


def test_every_statistic_runs_on_a_tiny_nb101_network():
    from cbred.spaces.nb101 import Spec

    spec = Spec.from_raw(
        np.array([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]),
        ["input", "conv3x3-bn-relu", "maxpool3x3", "output"],
    )
    batch = ImageBatch(torch.randn(4, 3, 8, 8), torch.tensor([0, 1, 0, 1]))
    for name in STATISTICS:
        torch.manual_seed(0)
        value = STATISTICS[name](build_network("nb101", spec, C=4, N=1), batch)
        assert math.isfinite(value), name
