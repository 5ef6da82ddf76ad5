"""A sample of a space as a space of its own: the cells a reduction works on.

A sampled space (DARTS-like, too large to list) has no ``ids``; a reduction, a TF table
or a distance matrix works on the cells drawn from it. :class:`SpaceSample` lists those
cells and answers everything else (graphs, isomorphism, mutations, the network) from
the space it was drawn from, so that every step downstream runs unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from cbred.graph import AdjacencyTensor, CompGraph, GraphBatch
from cbred.spaces.space import SearchSpace, check_nonempty


class SpaceSample(SearchSpace):
    """The cells ``archs`` of ``space``, listed.

    Parameters
    ----------
    space : SearchSpace
        Where the cells come from (sampled or enumerable).
    archs : sequence of str
        Cell ids; canonicalised by ``space``, duplicates refused.

    Attributes
    ----------
    parent : SearchSpace
        ``space``.
    """

    def __init__(self, space: SearchSpace, archs: Sequence[str]) -> None:
        archs = [space.canonical_id(a) for a in check_nonempty(archs, space.name)]
        if len(set(archs)) != len(archs):
            seen: set[str] = set()
            twice = [a for a in archs if a in seen or seen.add(a)]
            raise ValueError(f"sample of {space.name!r} lists {len(twice)} cell(s) twice, e.g. {twice[:3]}")
        self.parent = space
        self._archs = tuple(archs)

    @classmethod
    def drawn(cls, space: SearchSpace, n: int, *, random_state=None) -> SpaceSample:
        """``n`` distinct cells of ``space`` drawn uniformly (:meth:`SearchSpace.sample`)."""
        return cls(space, space.sample(n, random_state=random_state))

    # the declaration is the parent's
    @property
    def name(self) -> str:
        return self.parent.name

    @property
    def node_vocab(self) -> tuple[str, ...]:
        return self.parent.node_vocab

    @property
    def network_kind(self) -> str:
        return self.parent.network_kind

    @property
    def network(self) -> dict:
        return self.parent.network

    @property
    def ids(self) -> tuple[str, ...]:
        return self._archs

    def declaration(self) -> dict:
        return self.parent.declaration()

    @cached_property
    def _id_set(self) -> frozenset[str]:
        return frozenset(self._archs)

    def canonical_id(self, arch: str) -> str:
        return self.parent.canonical_id(arch)


    def adjacency_tensor(self, arch: str) -> AdjacencyTensor:
        return self.parent.adjacency_tensor(arch)

    def graph(self, arch: str) -> CompGraph:
        return self.parent.graph(arch)

    def graphs(self, archs: Sequence[str] | None = None) -> GraphBatch:
        return self.parent.graphs(self.ids if archs is None else archs)

    def isomorphism_class(self, arch: str) -> str:
        return self.parent.isomorphism_class(arch)

    def mutate(self, arch: str, steps: int, rng: np.random.Generator):
        return self.parent.mutate(arch, steps, rng)

    def neighbours(self, arch: str) -> tuple[str, ...]:
        return self.parent.neighbours(arch)

    def __getattr__(self, attribute: str):
        # what a network builder or a distance reads of the declaration (parse, ops, edges, spec ...)
        if attribute.startswith("_") or attribute == "parent":
            raise AttributeError(attribute)
        return getattr(self.parent, attribute)

    def __repr__(self) -> str:
        return f"SpaceSample({len(self):,} cells of {self.parent!r})"
