"""The interface every search space implements.

A space knows its architecture ids (strings: NB201's official cell string, NB101's
official module hash), validates and canonicalises user-given ids, and builds, for each
architecture, its adjacency tensor, its computational graph and its isomorphism class.
Torch networks are built by :mod:`cbred.models` from the same ids.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from typing import ClassVar

import numpy as np
import pandas as pd

from cbred.graph import AdjacencyTensor, CompGraph, GraphBatch


def check_nonempty(archs: Sequence[str], space: str) -> tuple[str, ...]:
    """``archs`` as a tuple; ``ValueError`` when there is none (nothing to build graphs of)."""
    archs = tuple(archs)
    if not archs:
        raise ValueError(f"no architecture given: graphs of an empty selection of {space} (pass at least one id)")
    return archs


def declared_count(where: str, key: str, value, least: int, meaning: str = "") -> int:
    """A count of a declaration (``n_nodes``, ``max_edges``, ...); ``ValueError`` naming it otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{where}: {key} must be an integer >= {least}{meaning}, got {value!r}")
    return int(value)


def declared_network(where: str, network, allowed: Sequence[str]) -> dict:
    """The ``network`` defaults of a declaration; ``ValueError`` naming unknown keys."""
    network = dict(network or {})
    unknown = sorted(set(network) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown network key(s) {unknown} (choices: {', '.join(allowed)})")
    return network


class SearchSpace(abc.ABC):
    """A NAS search space whose architectures are identified by strings.

    An *enumerable* space lists its ids; a *sampled* one (too large to list, e.g. DARTS)
    has no ``ids`` but draws architectures uniformly (:meth:`sample`) and validates and
    canonicalises user ids (:meth:`canonical_id`). Every step downstream works on the cells
    it is given (:class:`~cbred.spaces.sample.SpaceSample` makes a sample a space).
    """

    #: Short name used in configs, caches and checkpoints.
    name: str
    #: Node operation vocabulary of the computational graphs (with input and output).
    node_vocab: tuple[str, ...]
    #: Key of the space's network builder in :data:`cbred.models.NETWORKS`.
    network_kind: ClassVar[str]
    #: Defaults of the network around the cell (keyword arguments of its builder).
    network: dict = {}

    # -- ids -------------------------------------------------------------------------
    @property
    @abc.abstractmethod
    def ids(self) -> tuple[str, ...]:
        """All architecture ids of the space, in a fixed order."""

    @abc.abstractmethod
    def canonical_id(self, arch: str) -> str:
        """Validate ``arch`` and return its canonical spelling; ``ValueError`` if malformed."""

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def size(self) -> int:
        """Number of architectures (encodings) of the space, listed or not."""
        return len(self.ids)

    @property
    def enumerable(self) -> bool:
        """Whether :attr:`ids` can be listed; otherwise the space is sampled."""
        return True

    def declaration(self) -> dict:
        """What defines the space's architectures and networks, as JSON (part of cache keys,
        so that a changed declaration never reads another's cached statistics or sizes)."""
        return {"name": self.name, "network": dict(self.network)}

    def _require_enumerable(self) -> None:
        if not self.enumerable:
            raise ValueError(
                f"space {self.name!r} has {self.size:.3g} architectures, too many to list: it is sampled "
                "(space.sample(n, random_state=seed); the TF runner measures a sample with sample=N)"
            )

    def draw(self, rng: np.random.Generator) -> str:
        """One architecture drawn uniformly (an enumerable space draws among its ids)."""
        return self.ids[int(rng.integers(len(self)))]

    def sample(self, n: int, *, random_state=None, distinct: bool = True) -> list[str]:
        """``n`` architectures drawn uniformly, seeded by ``random_state``.

        ``distinct``: no id twice (draws repeat until ``n`` distinct ids are found); else
        ``n`` independent draws.

        Raises
        ------
        ValueError
            ``n`` not a positive integer, or more distinct ids than an enumerable space has.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"sample: n must be an integer >= 1, got {n!r}")
        if distinct and n > self.size:
            raise ValueError(f"sample: {n} distinct architectures requested, space {self.name!r} has {self.size}")
        rng = np.random.default_rng(random_state)
        if not distinct:
            return [self.draw(rng) for _ in range(n)]
        found: dict[str, None] = {}
        while len(found) < n:
            found.setdefault(self.draw(rng), None)
        return list(found)

    def __contains__(self, arch: object) -> bool:
        return arch in self._id_set

    @property
    def _id_set(self) -> frozenset[str]:
        cached = self.__dict__.get("_ids_frozen")
        if cached is None:
            cached = self.__dict__["_ids_frozen"] = frozenset(self.ids)
        return cached

    def check_ids(self, archs: Iterable[str]) -> list[str]:
        """Canonical ids of ``archs``; raises ``KeyError`` with examples for unknown ones."""
        canonical = [self.canonical_id(a) for a in archs]
        unknown = [a for a in canonical if a not in self]
        if unknown:
            raise KeyError(
                f"{len(unknown)} architecture(s) not in space {self.name!r} "
                f"({len(self)} architectures), e.g. {unknown[:3]}"
            )
        return canonical

    def ids_from_table(self, frame: pd.DataFrame) -> pd.Series:
        """Architecture id of every row of a benchmark table (column ``arch`` by default).

        Spaces whose tables identify architectures otherwise override this.
        """
        if "arch" not in frame:
            raise ValueError(
                f"table has no 'arch' column to identify {self.name} architectures "
                f"(columns: {list(frame.columns)})"
            )
        return frame["arch"]

    # -- graphs ----------------------------------------------------------------------
    @abc.abstractmethod
    def adjacency_tensor(self, arch: str) -> AdjacencyTensor:
        """Third-order adjacency tensor of ``arch`` (see :mod:`cbred.graph`)."""

    def graph(self, arch: str) -> CompGraph:
        """Computational graph (op-on-node DAG) of ``arch``."""
        return self.adjacency_tensor(arch).project(self.node_vocab)

    def graphs(self, archs: Sequence[str] | None = None) -> GraphBatch:
        """Computational graphs of ``archs`` (default: the whole space) as a batch."""
        archs = self.ids if archs is None else check_nonempty(archs, self.name)
        return GraphBatch.from_graphs([self.graph(a) for a in archs], ids=archs)

    # -- isomorphism -----------------------------------------------------------------
    @abc.abstractmethod
    def isomorphism_class(self, arch: str) -> str:
        """Canonical form shared by exactly the architectures that compute the same function."""

    def isomorphism_classes(self, archs: Sequence[str] | None = None) -> pd.Series:
        """Isomorphism class of each architecture, indexed by architecture id."""
        archs = self.ids if archs is None else tuple(archs)
        return pd.Series(
            [self.isomorphism_class(a) for a in archs],
            index=pd.Index(archs, name="arch"),
            name="isomorph_class",
        )

    def representatives(self, archs: Sequence[str] | None = None, *,
                        among: Sequence[str] | None = None) -> pd.Series:
        """The representative of each arch's isomorphism class, indexed by arch.

        The class member that comes first in ``among`` (default: the space, in its order);
        ``among`` must hold a member of every class of ``archs`` (e.g. ``archs`` itself).
        """
        archs = self.ids if archs is None else tuple(archs)
        pool = self.ids if among is None else tuple(among)
        first = self.isomorphism_classes(pool).reset_index().drop_duplicates("isomorph_class")
        first = first.set_index("isomorph_class")["arch"]
        classes = self.isomorphism_classes(archs)
        return pd.Series(first.reindex(classes.to_numpy()).to_numpy(), index=classes.index, name="unit")

    # -- mutation --------------------------------------------------------------------
    def mutate(self, arch: str, steps: int, rng) -> tuple[str, CompGraph] | None:
        """A mutant of ``arch`` ``steps`` edits away and its graph, or None when none was found.

        The space's own mutation operator (regularized evolution, the learned metric's
        training pairs); a space without one says so.
        """
        raise NotImplementedError(f"space {self.name!r} has no mutation operator")

    def neighbours(self, arch: str) -> tuple[str, ...]:
        """The architectures one edit of the mutation operator away from ``arch`` (distinct, not ``arch``)."""
        raise NotImplementedError(f"space {self.name!r} has no neighbourhood")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} architectures)"
