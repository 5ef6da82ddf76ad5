import pytest
import torch
from torch import nn

from cbred.tfstats import tenas
from cbred.tfstats.images import ImageBatch
from tests.tfstats._tiny import random_batch


def test_ntk_condition_number_of_a_linear_model():
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 1, bias=False))
    batch = random_batch(3)
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
