"""Small operator modules shared by the NAS-Bench networks.

One operator per class, each with ``reset_parameters()``; the benchmark networks in
:mod:`cbred.models.nb201_net` and :mod:`cbred.models.nb101_net` compose them.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def check_sizes(network: str, **sizes: int) -> None:
    """``ValueError`` naming the first size that is not a positive integer."""
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{network} network: {name} must be an integer >= 1, got {value!r}")


class _Reset(nn.Module):
    """Mixin: ``reset_parameters()`` re-initialises every sub-module that can."""

    def reset_parameters(self) -> None:
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.reset_running_stats()


class ReLUConvBN(_Reset):
    """Pre-activation convolution: ReLU, convolution without bias, batch normalisation.

    The operation ``nor_conv_kxk`` of NAS-Bench-201 and its residual blocks.

    Shapes
    ------
    - input: ``(B, C_in, H, W)``
    - output: ``(B, C_out, H / stride, W / stride)``
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> None:
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv = nn.Conv2d(
            in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2, bias=False
        )
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.bn(self.conv(self.relu(x)))


class ConvBNReLU(_Reset):
    """Post-activation convolution: convolution without bias, batch normalisation, ReLU.

    The ``conv3x3-bn-relu`` / ``conv1x1-bn-relu`` operations, stem and projections of
    NAS-Bench-101 (whose batch normalisation uses momentum 0.997 and epsilon 1e-5 in
    TensorFlow's convention, i.e. ``momentum=0.003`` here).

    Shapes
    ------
    - input: ``(B, C_in, H, W)``
    - output: ``(B, C_out, H, W)``
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False
        )
        self.bn = nn.BatchNorm2d(out_channels, eps=1e-5, momentum=0.003)
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.bn(self.conv(x)))


class Zero(nn.Module):
    """The ``none`` operation: an all-zero tensor of the input's shape.

    Multiplies by zero (rather than allocating) so that the result stays in the graph, as
    in the benchmark's implementation.

    Shapes
    ------
    - input: ``(B, C, H, W)``
    - output: ``(B, C, H, W)``, all zeros
    """

    def forward(self, x: Tensor) -> Tensor:
        return x.mul(0.0)


class AvgPool3x3(nn.AvgPool2d):
    """3x3 average pooling, stride 1, padding 1, padded positions excluded from the mean.

    Shapes
    ------
    - input: ``(B, C, H, W)``
    - output: ``(B, C, H, W)``
    """

    def __init__(self) -> None:
        super().__init__(kernel_size=3, stride=1, padding=1, count_include_pad=False)


class ResidualReduction(_Reset):
    """NAS-Bench-201's reduction block: a stride-2 residual basic block.

    Two pre-activation 3x3 convolutions (the first with stride 2) plus a shortcut of 2x2
    average pooling followed by a 1x1 convolution.

    Shapes
    ------
    - input: ``(B, C_in, H, W)``
    - output: ``(B, C_out, ceil(H / 2), ceil(W / 2))``
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(in_channels, out_channels, 3, stride=2)
        self.conv_b = ReLUConvBN(out_channels, out_channels, 3)
        self.shortcut = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, ceil_mode=True),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class Classifier(_Reset):
    """Global average pooling and a linear layer.

    Shapes
    ------
    - input: ``(B, C, H, W)``
    - output: ``(B, num_classes)``
    """

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))
