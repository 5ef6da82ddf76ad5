import pytest
import torch
from torch import nn

from cbred.tfstats import cost
from cbred.tfstats.images import ImageBatch


def test_params_and_flops_of_a_known_network():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.Flatten(), nn.Linear(4 * 8 * 8, 10))
    batch = ImageBatch(torch.randn(2, 3, 8, 8), torch.zeros(2, dtype=torch.long))
    assert cost.params(net, batch) == (108 + 2560 + 10) / 1e6
    # multiply-adds of one image: conv 8*8*4*3*9, linear 256*10
    assert cost.flops(net, batch) == pytest.approx((8 * 8 * 4 * 27 + 256 * 10) / 1e6)
