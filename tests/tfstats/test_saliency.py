import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cbred.tfstats import saliency
from tests.tfstats._tiny import mlp, random_batch


def test_snip_and_grad_norm_match_backward():
    net, batch = mlp(), random_batch(5)
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
    batch = random_batch(2)
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
