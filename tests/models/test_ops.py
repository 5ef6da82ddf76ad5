"""The operator modules the benchmark networks are built from."""

import pytest
import torch

from cbred.models.ops import AvgPool, Classifier, ConvBNReLU, ResidualReduction, Zero, check_sizes


def test_check_sizes_names_the_first_bad_size():
    check_sizes("nb201", C=16, N=5)
    for bad in (0, 2.0, True):
        with pytest.raises(ValueError, match=f"nb201 network: N must be an integer >= 1, got {bad!r}"):
            check_sizes("nb201", C=16, N=bad, stages=0)


def test_average_pooling_leaves_padding_out_of_the_mean():
    x = torch.arange(9.0).view(1, 1, 3, 3)
    out = AvgPool(3)(x)
    assert out.shape == x.shape
    assert out[0, 0, 0, 0] == 2.0  # mean of 0, 1, 3, 4: the corner's 4 real neighbours, not 9 with zeros
    assert out[0, 0, 1, 1] == 4.0 and out[0, 0, 0, 1] == 2.5  # mean of 0, 1, 2, 3, 4, 5


def test_zero_keeps_the_shape_and_the_graph():
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    out = Zero()(x)
    assert out.shape == x.shape and not out.any() and out.requires_grad
    out.sum().backward()
    assert torch.equal(x.grad, torch.zeros_like(x))


def test_residual_reduction_halves_odd_sizes_upwards():
    assert ResidualReduction(3, 8)(torch.randn(2, 3, 5, 7)).shape == (2, 8, 3, 4)


def test_classifier_is_a_linear_map_of_the_channel_means():
    classifier = Classifier(2, 1)
    with torch.no_grad():
        classifier.linear.weight.copy_(torch.tensor([[1.0, 10.0]]))
        classifier.linear.bias.fill_(0.5)
    x = torch.stack([torch.full((3, 3), 2.0), torch.arange(9.0).view(3, 3)])[None]  # channel means 2 and 4
    assert classifier(x).tolist() == [[0.5 + 2.0 + 40.0]]


def test_reset_parameters_also_resets_the_batch_norm_statistics():
    op = ConvBNReLU(2, 3, 3)
    op(torch.randn(4, 2, 5, 5) + 3.0)  # training mode: the running mean moves
    assert op.bn.running_mean.abs().sum() > 0 and op.bn.num_batches_tracked == 1
    op.reset_parameters()
    assert torch.equal(op.bn.running_mean, torch.zeros(3)) and op.bn.num_batches_tracked == 0
    assert torch.equal(op.bn.running_var, torch.ones(3))
