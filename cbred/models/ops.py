"""Small operator modules shared by the NAS-Bench networks.

One operator per class, each with ``reset_parameters()``; the benchmark networks in
the operation library (:mod:`cbred.models.library`) and the networks compose them.
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
    - output: ``(B, C_out, H / stride, W / stride)``
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2, bias=False
        )
        self.bn = nn.BatchNorm2d(out_channels, eps=1e-5, momentum=0.003)
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.bn(self.conv(x)))


class Zero(nn.Module):
    """The ``none`` operation: an all-zero tensor of the input's shape (subsampled by ``stride``).

    Multiplies by zero (rather than allocating) so that the result stays in the graph, as
    in the benchmark's implementation.

    Shapes
    ------
    - input: ``(B, C, H, W)``
    - output: ``(B, C, ceil(H / stride), ceil(W / stride))``, all zeros
    """

    def __init__(self, stride: int = 1) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        return x.mul(0.0)


class AvgPool(nn.AvgPool2d):
    """KxK average pooling, padding K // 2, padded positions excluded from the mean.

    Shapes
    ------
    - input: ``(B, C, H, W)``
    - output: ``(B, C, H / stride, W / stride)``
    """

    def __init__(self, kernel_size: int = 3, stride: int = 1) -> None:
        super().__init__(kernel_size=kernel_size, stride=stride, padding=kernel_size // 2,
                         count_include_pad=False)


class MaxPool(nn.MaxPool2d):
    """KxK max pooling, padding K // 2.

    Shapes
    ------
    - input: ``(B, C, H, W)``
    - output: ``(B, C, H / stride, W / stride)``
    """

    def __init__(self, kernel_size: int = 3, stride: int = 1) -> None:
        super().__init__(kernel_size=kernel_size, stride=stride, padding=kernel_size // 2)


class SepConv(_Reset):
    """DARTS's separable convolution: two (ReLU, depthwise KxK, pointwise 1x1, BN) blocks.

    The first block carries the stride. (Liu, Simonyan and Yang, "DARTS: Differentiable
    Architecture Search", ICLR 2019.)

    Shapes
    ------
    - input: ``(B, C_in, H, W)``
    - output: ``(B, C_out, H / stride, W / stride)``
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> None:
        super().__init__()
        padding = kernel_size // 2
        self.first = DilConv(in_channels, in_channels, kernel_size, stride, dilation=1, padding=padding)
        self.second = DilConv(in_channels, out_channels, kernel_size, 1, dilation=1, padding=padding)

    def forward(self, x: Tensor) -> Tensor:
        return self.second(self.first(x))


class DilConv(_Reset):
    """DARTS's dilated convolution: ReLU, depthwise KxK (dilation 2), pointwise 1x1, BN.

    Shapes
    ------
    - input: ``(B, C_in, H, W)``
    - output: ``(B, C_out, H / stride, W / stride)``
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 dilation: int = 2, padding: int | None = None) -> None:
        super().__init__()
        padding = dilation * (kernel_size // 2) if padding is None else padding
        self.relu = nn.ReLU(inplace=False)
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel_size, stride=stride, padding=padding,
                                   dilation=dilation, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.bn(self.pointwise(self.depthwise(self.relu(x))))


class FactorizedReduce(_Reset):
    """Halve the resolution without losing pixels: two offset stride-2 1x1 convolutions, concatenated.

    DARTS's skip connection on a reduction edge and its preprocessing after a reduction.

    Shapes
    ------
    - input: ``(B, C_in, H, W)``, ``H`` and ``W`` even
    - output: ``(B, C_out, H / 2, W / 2)``
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        if out_channels % 2:
            raise ValueError(f"FactorizedReduce: out_channels must be even, got {out_channels}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_a = nn.Conv2d(in_channels, out_channels // 2, 1, stride=2, bias=False)
        self.conv_b = nn.Conv2d(in_channels, out_channels // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_a(x), self.conv_b(x[:, :, 1:, 1:])], dim=1))


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
