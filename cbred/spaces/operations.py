"""The operation library of declared spaces: names, what they compute, their parameters.

A declared space lists its operations by name; :func:`operation` parses a name into an
:class:`Operation` (its family, kernel size and its role in a computational graph). The
grammar is shared by every space, so that one network library
(:mod:`cbred.models.library`) and one canonical form (:mod:`cbred.spaces.canonical`) serve
them all:

=====================  ====================================================  ==========
name                   what it computes                                       role
=====================  ====================================================  ==========
``none``               zero (the absence of an edge)                          zero
``skip_connect``       identity (factorised reduction when it has a stride)   identity
``nor_conv_KxK``       ReLU, KxK convolution, batch norm (NB201)              operation
``convKxK-bn-relu``    KxK convolution, batch norm, ReLU (NB101)              operation
``sep_conv_KxK``       two ReLU-depthwise-pointwise-BN blocks (DARTS)         operation
``dil_conv_KxK``       ReLU, dilated depthwise KxK, pointwise, BN (DARTS)     operation
``avg_pool_KxK``       KxK average pooling, padding excluded                  operation
``max_pool_KxK``       KxK max pooling (also spelled ``maxpoolKxK``)          operation
=====================  ====================================================  ==========

``K`` is an odd kernel size (1, 3, 5, 7).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from cbred.graph import INPUT, OUTPUT

#: How an operation enters a canonical form: ``zero`` contributes nothing, ``identity``
#: passes its input through, ``operation`` is a function of its own.
Role = Literal["zero", "identity", "operation"]


@dataclass(frozen=True)
class Operation:
    """One operation of the library.

    Attributes
    ----------
    name : str
        As declared, e.g. ``"nor_conv_3x3"``.
    family : str
        Key of the network library (:data:`cbred.models.library.MODULES`), e.g. ``"relu_conv_bn"``.
    role : {"zero", "identity", "operation"}
    kernel : int or None
        Kernel size of convolutions and poolings.
    """

    name: str
    family: str
    role: Role
    kernel: int | None = None


#: (pattern, family, role): the grammar of operation names, tried in order.
_GRAMMAR: tuple[tuple[str, str, Role], ...] = (
    (r"none", "zero", "zero"),
    (r"skip_connect", "identity", "identity"),
    (r"nor_conv_(\d+)x\1", "relu_conv_bn", "operation"),
    (r"conv(\d+)x\1-bn-relu", "conv_bn_relu", "operation"),
    (r"sep_conv_(\d+)x\1", "sep_conv", "operation"),
    (r"dil_conv_(\d+)x\1", "dil_conv", "operation"),
    (r"avg_pool_(\d+)x\1", "avg_pool", "operation"),
    (r"max_pool_(\d+)x\1", "max_pool", "operation"),
    (r"maxpool(\d+)x\1", "max_pool", "operation"),
)

#: Spellings a declaration may use, for error messages.
KNOWN = ("none", "skip_connect", "nor_conv_KxK", "convKxK-bn-relu", "sep_conv_KxK", "dil_conv_KxK",
         "avg_pool_KxK", "max_pool_KxK", "maxpoolKxK")


def operation(name: str) -> Operation:
    """Parse an operation name of the library.

    Raises
    ------
    ValueError
        Naming the operation when it is not in the library (with the known spellings) or
        has an even or out-of-range kernel; ``input`` and ``output`` are graph nodes, not
        operations.
    """
    if not isinstance(name, str):
        raise ValueError(f"operation names are strings, got {name!r}")
    if name in (INPUT, OUTPUT):
        raise ValueError(f"{name!r} is a graph node, not an operation to declare")
    for pattern, family, role in _GRAMMAR:
        match = re.fullmatch(pattern, name)
        if match is None:
            continue
        kernel = int(match.group(1)) if match.groups() else None
        if kernel is not None and (kernel % 2 == 0 or not 1 <= kernel <= 7):
            raise ValueError(f"operation {name!r}: kernel size {kernel} must be odd, 1 to 7")
        return Operation(name=name, family=family, role=role, kernel=kernel)
    raise ValueError(f"unknown operation {name!r}; the library knows {', '.join(KNOWN)} (K odd, 1 to 7)")


def operations(names, *, where: str) -> tuple[Operation, ...]:
    """Parse a declared operation set: a non-empty list of distinct library names.

    ``where`` names the declaration in error messages (e.g. ``"space 'tnb101_micro'"``).
    """
    if isinstance(names, str) or not hasattr(names, "__iter__"):
        raise ValueError(f"{where}: operations must be a list of names, got {names!r}")
    names = list(names)
    if not names:
        raise ValueError(f"{where}: the operation set is empty")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"{where}: operations listed twice: {duplicated}")
    parsed = []
    for name in names:
        try:
            parsed.append(operation(name))
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
    return tuple(parsed)


def edge_operations(names, *, where: str) -> tuple[Operation, ...]:
    """:func:`operations` of edges, at least one of which is not zero (else no cell computes anything)."""
    parsed = operations(names, where=where)
    if all(op.role == "zero" for op in parsed):
        raise ValueError(f"{where}: every operation is zero ({[op.name for op in parsed]}): no cell has "
                         "a path from input to output")
    return parsed
