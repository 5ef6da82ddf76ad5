"""Where a search runs: the sub-space it samples, the architectures the oracle answers.

A :class:`SearchDomain` pairs a *sub-space* (``members``: the full space, the C-BRED
selection, Quantiled, a random subset) with the *universe* of architectures that may be
queried at all (the cells of the accuracy table, after the reduction's constraints), and
gives strategies what they need: uniform draws of not-yet-seen members and the
edit-distance-1 neighbours of an architecture, restricted to the sub-space or to the
universe.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import numpy as np
import pandas as pd



class SearchDomain:
    """A sub-space to search, inside the universe of queryable architectures.

    Parameters
    ----------
    space : SearchSpace
        The search space (its :meth:`~cbred.spaces.space.SearchSpace.neighbours` are the
        edit-distance-1 neighbourhoods).
    members : sequence of str
        Architecture ids of the sub-space; every one must be in ``universe``.
    universe : sequence of str, optional
        Ids the evaluator can answer (default: ``members``). Mutations allowed to leave the
        sub-space stay inside it.
    neighbours : callable, optional
        ``neighbours(space, arch) -> tuple of str``; default ``space.neighbours(arch)``.

    Raises
    ------
    ValueError
        When ``members`` is empty, has duplicates or ids outside ``universe``.
    """

    def __init__(
        self,
        *,
        space,
        members: Sequence[str],
        universe: Sequence[str] | None = None,
        neighbours: Callable[..., tuple[str, ...]] | None = None,
    ) -> None:
        self.space = space
        self.members = pd.Index(members, name="arch")
        self.universe = self.members if universe is None else pd.Index(universe, name="arch")
        self.neighbours_of = type(space).neighbours if neighbours is None else neighbours
        if len(self.members) == 0:
            raise ValueError("SearchDomain: the sub-space (members) is empty")
        if self.members.has_duplicates:
            raise ValueError(
                f"SearchDomain: members has duplicate ids, e.g. "
                f"{self.members[self.members.duplicated()][:3].tolist()}"
            )
        outside = self.members.difference(self.universe)
        if len(outside):
            raise ValueError(
                f"SearchDomain: {len(outside)} member(s) are not in the universe of queryable "
                f"architectures ({len(self.universe)}), e.g. {outside[:3].tolist()}"
            )
        self._member_array = self.members.to_numpy(dtype=object)
        self._member_set = frozenset(self.members)
        self._universe_set = self._member_set if universe is None else frozenset(self.universe)
        self._neighbour_cache: dict[str, tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self.members)

    def __contains__(self, arch: object) -> bool:
        return arch in self._member_set

    def draw_unseen(self, rng: np.random.Generator, seen: Collection[str]) -> str | None:
        """A member drawn uniformly among those not in ``seen``; None when all were seen."""
        if 2 * len(seen) < len(self.members):  # most are unseen: rejection is cheap and uniform
            while True:
                arch = self._member_array[rng.integers(len(self._member_array))]
                if arch not in seen:
                    return arch
        unseen = [arch for arch in self._member_array if arch not in seen]
        return unseen[rng.integers(len(unseen))] if unseen else None

    def neighbours(self, arch: str, *, within: str = "members") -> tuple[str, ...]:
        """Edit-distance-1 neighbours of ``arch`` inside the sub-space or the universe.

        Parameters
        ----------
        arch : str
        within : {"members", "universe"}
            Keep the neighbours in the sub-space, or in the universe of queryable
            architectures (a mutation allowed to leave the sub-space).
        """
        allowed = {"members": self._member_set, "universe": self._universe_set}.get(within)
        if allowed is None:
            raise ValueError(f"neighbours: within must be 'members' or 'universe', got {within!r}")
        found = self._neighbour_cache.get(arch)
        if found is None:
            found = self._neighbour_cache[arch] = tuple(
                n for n in self.neighbours_of(self.space, arch) if n in self._universe_set
            )
        return found if allowed is self._universe_set else tuple(n for n in found if n in allowed)

    def __repr__(self) -> str:
        return (
            f"SearchDomain({getattr(self.space, 'name', self.space)}: {len(self.members)} of "
            f"{len(self.universe)} queryable architectures)"
        )
