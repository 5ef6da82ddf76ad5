"""Edit-distance-1 neighbourhoods of architectures, one function per search space.

A neighbour differs from its architecture by one edit of the space's own mutation
operator (:meth:`cbred.spaces.space.SearchSpace.mutate`, one step): on NAS-Bench-201 the operation
of one edge (6 edges x 4 other operations = 24 neighbours, exactly the support of the
operator, each equally likely); on NAS-Bench-101 one edge flipped or one interior
operation changed, pruned as the benchmark prunes, invalid cells (no input-output path,
more than 9 edges) left out. Strategies that restrict mutations to a sub-space pick among
the neighbours that lie in it (:class:`~cbred.search.domain.SearchDomain`).

Every function has the signature ``neighbours(space, arch) -> tuple[str, ...]`` (distinct
ids, never ``arch`` itself) and is registered under the space's ``name`` in
:data:`NEIGHBOURS`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cbred.registry import Registry

#: Edit-distance-1 neighbourhood function of each search space, by space name.
NEIGHBOURS: Registry[Callable[..., tuple[str, ...]]] = Registry("neighbourhood")


@NEIGHBOURS.register("nb201")
def neighbours_nb201(space, arch: str) -> tuple[str, ...]:
    """The 24 NB201 cells that differ from ``arch`` in the operation of one edge."""
    from cbred.spaces.nb201 import OPS, format_cell, parse

    codes = list(parse(arch))
    found = []
    for edge, code in enumerate(codes):
        for other in range(len(OPS)):
            if other != code:
                found.append(format_cell(codes[:edge] + [other] + codes[edge + 1:]))
    return tuple(found)


@NEIGHBOURS.register("nb101")
def neighbours_nb101(space, arch: str) -> tuple[str, ...]:
    """NB101 cells one edge flip or one interior-operation change away from ``arch``.

    ``space`` must know the spec of ``arch`` (:meth:`~cbred.spaces.nb101.NB101Space.spec`);
    the neighbours are module hashes, which may lie outside ``space`` when it is a sample.

    References
    ----------
    C. Ying et al., "NAS-Bench-101: Towards Reproducible Neural Architecture Search",
    ICML 2019 (the edge and operation mutations, the pruning and the module hash).
    """
    from cbred.spaces.nb101 import INTERIOR_OPS, Spec

    spec = space.spec(arch)
    n = len(spec.ops)
    candidates = []
    for i, j in zip(*np.triu_indices(n, k=1)):
        matrix = spec.matrix.copy()
        matrix[i, j] ^= 1
        candidates.append((matrix, spec.ops))
    for vertex in range(1, n - 1):
        for op in INTERIOR_OPS:
            if op != spec.ops[vertex]:
                ops = spec.ops[:vertex] + (op,) + spec.ops[vertex + 1:]
                candidates.append((spec.matrix, ops))
    found: dict[str, None] = {}
    for matrix, ops in candidates:
        try:
            mutant = Spec.from_raw(matrix, ops).hash
        except ValueError:  # no input-output path or too many edges: not a cell
            continue
        if mutant != arch:
            found[mutant] = None
    return tuple(found)
