"""The operation grammar every declaration shares."""

import pytest

from cbred.spaces.operations import operation, operations


@pytest.mark.parametrize(
    "name, family, role, kernel",
    [("none", "zero", "zero", None), ("skip_connect", "identity", "identity", None),
     ("nor_conv_5x5", "relu_conv_bn", "operation", 5), ("conv1x1-bn-relu", "conv_bn_relu", "operation", 1),
     ("sep_conv_7x7", "sep_conv", "operation", 7), ("dil_conv_3x3", "dil_conv", "operation", 3),
     ("avg_pool_3x3", "avg_pool", "operation", 3), ("maxpool3x3", "max_pool", "operation", 3),
     ("max_pool_5x5", "max_pool", "operation", 5)],
)
def test_names_parse_into_family_role_and_kernel(name, family, role, kernel):
    op = operation(name)
    assert (op.name, op.family, op.role, op.kernel) == (name, family, role, kernel)


@pytest.mark.parametrize(
    "name, match",
    [("conv_3x3", "unknown operation 'conv_3x3'; the library knows none, skip_connect, nor_conv_KxK"),
     ("nor_conv_3x5", "unknown operation 'nor_conv_3x5'"), ("sep_conv_9x9", "kernel size 9 must be odd, 1 to 7"),
     ("input", "'input' is a graph node, not an operation"), (3, "operation names are strings, got 3")],
)
def test_bad_names_are_refused_with_the_known_spellings(name, match):
    with pytest.raises(ValueError, match=match):
        operation(name)


def test_an_operation_set_is_a_list_of_distinct_names():
    assert [op.name for op in operations(["none", "skip_connect"], where="space 's'")] == ["none", "skip_connect"]
    with pytest.raises(ValueError, match="space 's': operations must be a list of names, got 'none'"):
        operations("none", where="space 's'")
