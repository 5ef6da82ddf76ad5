import math

import pytest
import torch
from torch import nn

from cbred.tfstats import _layers
from tests.tfstats._tiny import Blocks, Pool


def test_layer_gradients_of_a_linear_sum_and_zeros_for_an_unused_layer():
    used, unused = nn.Linear(3, 2, bias=False), nn.Linear(3, 2, bias=False)
    net = nn.ModuleDict({"used": used, "unused": unused, "relu": nn.ReLU()})
    x = torch.tensor([[1.0, 2.0, 3.0]])
    weights, grads = _layers.layer_gradients(net, used(x).sum())
    assert _layers.weighted_layers(net) == [used, unused] and weights == [used.weight, unused.weight]
    # d sum(W x) / dW = one row of x per output unit
    torch.testing.assert_close(grads[0], torch.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]))
    torch.testing.assert_close(grads[1], torch.zeros(2, 3))


def test_relu_inputs_sees_the_flattened_pre_activations_and_removes_its_hooks():
    net = nn.Sequential(nn.Identity(), nn.ReLU())
    x = torch.tensor([[[[-1.0, 2.0]]], [[[3.0, -4.0]]]])  # (2, 1, 1, 2)
    seen = []
    with _layers.relu_inputs(net, seen.append):
        net(x)
    assert len(seen) == 1 and seen[0].tolist() == [[-1.0, 2.0], [3.0, -4.0]]
    net(x)
    assert len(seen) == 1  # no hook left behind


def test_require_finite_and_input_dependence_name_the_statistic():
    assert _layers.require_finite(torch.tensor(2.5), "x") == 2.5
    for bad in (float("nan"), math.inf, -math.inf):
        with pytest.raises(FloatingPointError, match="zen is not finite"):
            _layers.require_finite(bad, "zen")
    _layers.require_input_dependence(torch.tensor([[1.0, 2.0], [1.0, 2.5]]), "zen")
    _layers.require_input_dependence(torch.tensor([[1.0, 2.0]]), "zen")  # one input: nothing to compare
    with pytest.raises(FloatingPointError, match="swap: the output does not depend on the input"):
        _layers.require_input_dependence(torch.tensor([[1.0, 2.0], [1.0, 2.0]]), "swap")


def test_feature_blocks_and_classifier_input_read_the_block_layout():
    stem, cell = nn.Conv2d(1, 2, 1), nn.Identity()
    net = Blocks(stem, [cell], Pool(2))
    assert _layers.feature_blocks(net) == [stem, cell]
    x = torch.randn(3, 1, 4, 4)
    torch.testing.assert_close(_layers.classifier_input(net, x), stem(x))
    with pytest.raises(TypeError, match="Sequential has no `stem` module"):
        _layers.feature_blocks(nn.Sequential(nn.Linear(2, 2)))
    with pytest.raises(TypeError, match="Sequential has no `classifier` module"):
        _layers.classifier_input(nn.Sequential(nn.Linear(2, 2)), x)


def test_input_jacobian_of_a_linear_network_is_its_column_sums():
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor([[1.0, 2.0, 3.0, 4.0], [0.5, 0.0, -1.0, 2.0]]))
    rows, logits = _layers.input_jacobian(net, torch.randn(3, 1, 2, 2))
    assert rows.dtype == torch.float64 and logits.shape == (3, 2)
    expected = torch.tensor([1.5, 2.0, 2.0, 6.0], dtype=torch.float64).expand(3, 4)
    torch.testing.assert_close(rows, expected)
