import math

import pytest
import torch
from torch import nn

from cbred.tfstats import zen
from tests.tfstats._tiny import Blocks, Pool, batch_of


def test_zen_of_a_linear_network_is_log_of_the_perturbation_response():
    # features = w * x (one 1x1 convolution, no batch norm): the response to alpha * e is
    # |w| * alpha * mean_b sum |e_b|, w ~ N(0, 1) drawn by Zen's re-initialisation
    net = Blocks(nn.Identity(), [nn.Conv2d(1, 1, 1, bias=False)], Pool(1))
    batch = batch_of(4, shape=(1, 3, 3))
    torch.manual_seed(5)
    value = zen.zen(net, batch)
    torch.manual_seed(5)
    w = torch.randn(1).item()  # the conv weight is the first tensor re-initialised
    torch.randn(3)  # the classifier's weight (3 x 1)
    torch.randn_like(batch.inputs)  # x
    e = torch.randn_like(batch.inputs)
    expected = math.log(abs(w) * zen.ZEN_ALPHA * e.abs().flatten(1).sum(1).mean().item())
    assert value == pytest.approx(expected, rel=1e-5)


def test_zen_adds_the_log_scale_of_batch_norm_and_leaves_the_network_unchanged():
    # with a batch norm after the convolution, the features are w-free (normalised) and the
    # score gains log sigma: equal for any weight the network came with
    net = Blocks(nn.Identity(), [nn.Conv2d(1, 2, 1, bias=False), nn.BatchNorm2d(2)], Pool(2))
    before = [p.clone() for p in net.parameters()]
    batch = batch_of(6, shape=(1, 3, 3))
    torch.manual_seed(1)
    a = zen.zen(net, batch)
    with torch.no_grad():
        net.cells[0].weight.mul_(100)
    torch.manual_seed(1)
    assert zen.zen(net, batch) == pytest.approx(a, rel=1e-9)
    assert math.isfinite(a)
    assert torch.equal(net.cells[1].weight, before[1])


def test_a_batch_norm_fed_zeros_is_skipped():
    class Dead(nn.Module):  # a second branch that carries nothing, through its own batch norm
        def __init__(self):
            super().__init__()
            self.conv, self.norm, self.dead = nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2), nn.BatchNorm2d(2)

        def forward(self, x):
            return self.norm(self.conv(x)) + self.dead(torch.zeros_like(self.conv(x)))

    batch = batch_of(6, shape=(1, 3, 3))
    torch.manual_seed(2)
    with_dead = zen.zen(Blocks(nn.Identity(), [Dead()], Pool(2)), batch)
    torch.manual_seed(2)
    alive = Blocks(nn.Identity(), [nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2))], Pool(2))
    assert math.isfinite(with_dead)
    assert with_dead == pytest.approx(zen.zen(alive, batch), rel=1e-9)
