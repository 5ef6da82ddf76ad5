"""NAS-Bench-201: the 15,625-cell topology search space.

A cell has four vertices (0 = input, 3 = output); each of the six edges ``i -> j``
(``i < j``) carries one of five operations. The official string lists, for vertex
``j = 1, 2, 3``, the incoming edges ``op~i`` in order of ``i``::

    |nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|

Internally a cell is a tuple of six operation codes in the order of :data:`EDGES`.
The space is a declaration (:class:`~cbred.spaces.edge_cell.EdgeCellSpace`: 4 nodes, the
five operations below, the benchmark's network); ``configs/space/nb201.yaml`` is the same
declaration as a config.

References
----------
X. Dong and Y. Yang, "NAS-Bench-201: Extending the Scope of Reproducible Neural
Architecture Search", ICLR 2020.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cbred.graph import INPUT, OUTPUT, GraphBatch
from cbred.spaces.edge_cell import EdgeCellSpace

#: Edge operations, in code order.
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
N_VERTICES = 4
#: The benchmark's network: C=16 channels, N=5 cells per stage, 3 stages, residual reductions.
NETWORK = {"C": 16, "N": 5, "stages": 3, "reduction": "residual"}
#: Operations that are real edges (``none`` is the absence of one): the tensor's third axis.
TENSOR_OPS = OPS[1:]
#: Node vocabulary of NB201 computational graphs.
NODE_VOCAB = (INPUT,) + TENSOR_OPS + (OUTPUT,)


class NB201Space(EdgeCellSpace):
    """All 15,625 NAS-Bench-201 cells; ids are the official cell strings.

    Parameters
    ----------
    drop_zero_terms : bool, default=False
        ``False``: the benchmark's isomorphism classes (6,466); ``True``: the functional
        form (4,930). See :func:`cbred.spaces.canonical.expression_label`.
    """

    def __init__(self, drop_zero_terms: bool = False) -> None:
        super().__init__(name="nb201", n_nodes=N_VERTICES, operations=OPS, network=NETWORK,
                         drop_zero_terms=drop_zero_terms)


_NB201 = NB201Space()
_FUNCTIONAL = NB201Space(drop_zero_terms=True)
#: The six cell edges (source vertex, target vertex), in the order of the official string.
EDGES = _NB201.edges


def parse(arch: str) -> tuple[int, ...]:
    """Operation codes of an official NB201 cell string (:meth:`EdgeCellSpace.parse`)."""
    return _NB201.parse(arch)


def format_cell(codes: Sequence[int]) -> str:
    """Official string of a cell given its six operation codes (inverse of :func:`parse`)."""
    return _NB201.format(codes)


def check_codes(codes: Sequence[int]) -> tuple[int, ...]:
    """The six operation codes of a cell as ints; ``ValueError`` naming a bad one."""
    return _NB201.check_codes(codes)


def all_codes() -> np.ndarray:
    """Codes of all 15,625 cells, shape ``(15625, 6)``, in lexicographic code order."""
    return _NB201.codes.copy()


def isomorphism_class(arch: str | Sequence[int], drop_zero_terms: bool = False) -> str:
    """Canonical expression of a cell: equal expressions compute the same function.

    ``drop_zero_terms=False`` is the benchmark's definition (6,466 classes), ``True`` the
    functional form (4,930); see :func:`cbred.spaces.canonical.expression_label`.
    """
    return (_FUNCTIONAL if drop_zero_terms else _NB201).isomorphism_class(arch)


def graphs_from_codes(codes: np.ndarray, ids: Sequence[str] | None = None) -> GraphBatch:
    """Computational graphs of cells given as an ``(N, 6)`` code array, without Python loops."""
    return _NB201.graphs_from_codes(codes, ids=ids)
