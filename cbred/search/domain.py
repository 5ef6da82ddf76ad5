"""Where a search runs: the sub-space it samples, the architectures the oracle answers.

Every domain gives strategies what they need (:class:`Domain`): uniform draws of
not-yet-seen members and the edit-distance-1 neighbours of an architecture, restricted to
the sub-space or to the universe of architectures that may be queried at all.

* :class:`SearchDomain`: a listed sub-space (``members``: the full space, the C-BRED
  selection, Quantiled, a random subset) inside a listed universe (the cells of the
  accuracy table, after the reduction's constraints).
* :class:`SampledDomain`: a sub-space known by membership, not by a list (the whole of a
  space too large to list, or a reduction's region,
  :class:`~cbred.selection.region.SelectedRegion`), inside the whole space: any valid
  architecture can be queried when the oracle is a training function.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Collection, Iterable, Sequence

import numpy as np
import pandas as pd


class Domain(abc.ABC):
    """What a search strategy reads of the sub-space it searches."""

    @abc.abstractmethod
    def __contains__(self, arch: object) -> bool:
        """Whether ``arch`` is a member of the sub-space."""

    @abc.abstractmethod
    def draw_unseen(self, rng: np.random.Generator, seen: Collection[str]) -> str | None:
        """A member drawn uniformly among those not in ``seen``; None when none is left."""

    @abc.abstractmethod
    def neighbours(self, arch: str, *, within: str = "members") -> tuple[str, ...]:
        """Edit-distance-1 neighbours of ``arch`` in the sub-space (``"members"``) or the universe."""


def _check_within(within: str) -> None:
    if within not in ("members", "universe"):
        raise ValueError(f"neighbours: within must be 'members' or 'universe', got {within!r}")


class SearchDomain(Domain):
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
        _check_within(within)
        allowed = {"members": self._member_set, "universe": self._universe_set}[within]
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


class SampledDomain(Domain):
    """A sub-space known by membership, not by a list, inside a whole space.

    Members are drawn by rejection: uniform draws of the space (``space.draw``) until one
    is a member and unseen, so that draws are uniform over the sub-space. The universe is
    the whole space (every id it accepts). Membership is a pure function of the
    architecture and is remembered, so the neighbours of an architecture and the draws
    are the same for every run of a seed.

    The sub-space has no length (``len`` raises ``TypeError``): no strategy needs one,
    and it cannot be counted without listing it.

    Parameters
    ----------
    space : SearchSpace
        The whole space: ``draw(rng)``, ``neighbours(arch)``, ``canonical_id``, ``name``.
    contains : callable, optional
        ``contains(archs) -> array of bool`` for a list of ids
        (:meth:`~cbred.selection.region.SelectedRegion.contains_many`,
        :meth:`~cbred.pipeline.Reduction.contains_many`); None: every architecture of the
        space is a member.
    name : str, optional
        What the sub-space is called in messages (default: ``"region"``, or ``"space"``
        without ``contains``).
    batch_size : int, default=256
        Candidates drawn and tested together.
    max_draws : int, default=100_000
        Candidates drawn for one member before giving up.

    Raises
    ------
    ValueError
        ``batch_size`` or ``max_draws`` not a positive integer.
    """

    def __init__(self, *, space, contains: Callable[[list[str]], np.ndarray] | None = None,
                 name: str | None = None, batch_size: int = 256, max_draws: int = 100_000) -> None:
        for option, value in (("batch_size", batch_size), ("max_draws", max_draws)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"SampledDomain: {option} must be an integer >= 1, got {value!r}")
        self.space = space
        self.contains = contains
        self.name = name or ("space" if contains is None else "region")
        self.batch_size = int(batch_size)
        self.max_draws = int(max_draws)
        self._membership: dict[str, bool] = {}
        self._neighbour_cache: dict[str, tuple[str, ...]] = {}

    def members_of(self, archs: Iterable[str]) -> np.ndarray:
        """Membership of every id (remembered), a boolean array in the given order."""
        archs = list(archs)
        if self.contains is None:
            return np.ones(len(archs), dtype=bool)
        new = [a for a in dict.fromkeys(archs) if a not in self._membership]
        if new:
            self._membership.update(zip(new, (bool(m) for m in self.contains(new))))
        return np.array([self._membership[a] for a in archs], dtype=bool)

    def __contains__(self, arch: object) -> bool:
        if not isinstance(arch, str):
            return False
        try:
            arch = self.space.canonical_id(arch)
        except (TypeError, ValueError):  # not an id of the space
            return False
        return bool(self.members_of([arch])[0])

    def draw_unseen(self, rng: np.random.Generator, seen: Collection[str]) -> str | None:
        """A member drawn uniformly among those not in ``seen``.

        Draws ``batch_size`` architectures of the space at a time, the first unseen member
        wins. None when ``max_draws`` draws found members but every one was seen (a small
        sub-space searched to exhaustion).

        Raises
        ------
        RuntimeError
            When ``max_draws`` draws found no member at all.
        """
        drawn = found = 0
        while drawn < self.max_draws:
            batch = [self.space.draw(rng) for _ in range(min(self.batch_size, self.max_draws - drawn))]
            drawn += len(batch)
            inside = self.members_of(batch)
            found += int(inside.sum())
            for arch in np.asarray(batch, dtype=object)[inside]:
                if arch not in seen:
                    return arch
        if found == 0:
            raise RuntimeError(f"SampledDomain: no member of the {self.name} among {drawn:,} uniform draws of "
                               f"{self.space.name}; it is too small a share of the space for rejection sampling "
                               "(raise max_draws)")
        return None

    def neighbours(self, arch: str, *, within: str = "members") -> tuple[str, ...]:
        """Edit-distance-1 neighbours of ``arch`` (``space.neighbours``) in the sub-space or the whole space."""
        _check_within(within)
        found = self._neighbour_cache.get(arch)
        if found is None:
            found = self._neighbour_cache[arch] = tuple(self.space.neighbours(arch))
        if within == "universe" or not found:
            return found
        return tuple(np.asarray(found, dtype=object)[self.members_of(found)])

    def __repr__(self) -> str:
        return (f"SampledDomain({self.name} of {getattr(self.space, 'name', self.space)}, "
                f"by {self.max_draws:,} draws at most)")
