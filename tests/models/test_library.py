"""The module of every operation family, with strides and channel changes."""

import pytest
import torch

from cbred.models.library import MODULES, build_operation
from cbred.spaces.operations import _GRAMMAR

NAMES = ["none", "skip_connect", "nor_conv_3x3", "conv1x1-bn-relu", "sep_conv_5x5", "dil_conv_3x3",
         "avg_pool_3x3", "max_pool_3x3"]


def test_every_family_of_the_grammar_has_a_module():
    assert sorted({family for _, family, _ in _GRAMMAR}) == sorted(MODULES)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("stride", [1, 2])
def test_every_operation_keeps_channels_and_applies_its_stride(name, stride):
    x = torch.randn(2, 6, 8, 8)
    assert build_operation(name, 6, stride=stride)(x).shape == (2, 6, 8 // stride, 8 // stride)


def test_zero_is_zero_identity_is_identity_and_channel_changes_are_checked():
    x = torch.randn(1, 4, 6, 6)
    assert build_operation("none", 4)(x).abs().sum() == 0
    assert torch.equal(build_operation("skip_connect", 4)(x), x)
    assert build_operation("sep_conv_3x3", 4, 8)(x).shape == (1, 8, 6, 6)
    with pytest.raises(ValueError, match="operation 'avg_pool_3x3' keeps its channels: 4 in, 8 out requested"):
        build_operation("avg_pool_3x3", 4, 8)
