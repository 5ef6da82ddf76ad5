import numpy as np
import pytest
import torch
from torch import nn

from cbred.tfstats import meco
from tests.tfstats._tiny import batch_of


def test_meco_sums_the_smallest_eigenvalue_of_each_feature_map():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    batch = batch_of(4, shape=(2, 4, 4), classes=2)
    conv = net[0](batch.inputs).detach().numpy()[0].reshape(3, -1)  # first input, (C, HW)
    relu = np.maximum(conv, 0)
    expected = sum(np.linalg.eigvalsh(np.nan_to_num(np.corrcoef(m)))[0] for m in (conv, relu))
    assert meco.meco(net, batch) == pytest.approx(expected, abs=1e-6)


def test_meco_counts_a_constant_channel_as_uncorrelated():
    # one channel is constant: its correlations are undefined, counted as 0 (MeCo's code)
    net = nn.Sequential(nn.Conv2d(1, 2, 1, bias=True), nn.Flatten(), nn.Linear(2 * 4, 2))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[[[1.0]]], [[[0.0]]]]))
    batch = batch_of(3, shape=(1, 2, 2), classes=2)
    # corr = [[1, 0], [0, 0]]: eigenvalues 0 and 1
    assert meco.meco(net, batch) == pytest.approx(0.0, abs=1e-12)
