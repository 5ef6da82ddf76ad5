"""The torch module of every operation of the library (:mod:`cbred.spaces.operations`).

:func:`build_operation` turns a declared operation name into its module; one builder per
operation family in :data:`MODULES`, each ``builder(op, in_channels, out_channels, stride)``.
Every declared space's network (:mod:`cbred.models.cell_network`,
:mod:`cbred.models.nb101_net`, :mod:`cbred.models.darts_net`) builds its operations here,
so the TF statistics run on the networks the declaration describes.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from cbred.models.ops import (
    AvgPool,
    ConvBNReLU,
    DilConv,
    FactorizedReduce,
    MaxPool,
    ReLUConvBN,
    SepConv,
    Zero,
)
from cbred.registry import Registry
from cbred.spaces.operations import Operation, operation

Builder = Callable[[Operation, int, int, int], nn.Module]

#: Module builder of every operation family: ``builder(op, in_channels, out_channels, stride)``.
MODULES: Registry[Builder] = Registry("operation family")


def _same_channels(op: Operation, in_channels: int, out_channels: int) -> None:
    if in_channels != out_channels:
        raise ValueError(f"operation {op.name!r} keeps its channels: {in_channels} in, {out_channels} out requested")


@MODULES.register("zero")
def _zero(op: Operation, in_channels: int, out_channels: int, stride: int) -> nn.Module:
    _same_channels(op, in_channels, out_channels)
    return Zero(stride)


@MODULES.register("identity")
def _identity(op: Operation, in_channels: int, out_channels: int, stride: int) -> nn.Module:
    if stride == 1:
        _same_channels(op, in_channels, out_channels)
        return nn.Identity()
    return FactorizedReduce(in_channels, out_channels)


@MODULES.register("relu_conv_bn")
def _relu_conv_bn(op: Operation, in_channels: int, out_channels: int, stride: int) -> nn.Module:
    return ReLUConvBN(in_channels, out_channels, op.kernel, stride=stride)


@MODULES.register("conv_bn_relu")
def _conv_bn_relu(op: Operation, in_channels: int, out_channels: int, stride: int) -> nn.Module:
    return ConvBNReLU(in_channels, out_channels, op.kernel, stride=stride)


@MODULES.register("sep_conv")
def _sep_conv(op: Operation, in_channels: int, out_channels: int, stride: int) -> nn.Module:
    return SepConv(in_channels, out_channels, op.kernel, stride=stride)


@MODULES.register("dil_conv")
def _dil_conv(op: Operation, in_channels: int, out_channels: int, stride: int) -> nn.Module:
    return DilConv(in_channels, out_channels, op.kernel, stride=stride)


@MODULES.register("avg_pool")
def _avg_pool(op: Operation, in_channels: int, out_channels: int, stride: int) -> nn.Module:
    _same_channels(op, in_channels, out_channels)
    return AvgPool(op.kernel, stride=stride)


@MODULES.register("max_pool")
def _max_pool(op: Operation, in_channels: int, out_channels: int, stride: int) -> nn.Module:
    _same_channels(op, in_channels, out_channels)
    return MaxPool(op.kernel, stride=stride)


def build_operation(name: str | Operation, in_channels: int, out_channels: int | None = None,
                    stride: int = 1) -> nn.Module:
    """The module of operation ``name`` (``out_channels`` defaults to ``in_channels``).

    Raises
    ------
    ValueError
        For a name outside the library, or channel counts the operation cannot change.
    """
    op = name if isinstance(name, Operation) else operation(name)
    out_channels = in_channels if out_channels is None else out_channels
    return MODULES[op.family](op, in_channels, out_channels, stride)
