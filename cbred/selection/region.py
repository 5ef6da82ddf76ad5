"""The selected sub-space as a region of the whole space: membership of any architecture.

A reduction lists the cells it works on and selects among them. For a space too large to
list (DARTS-like), those cells are a sample (:class:`~cbred.spaces.sample.SpaceSample`)
and the listed selection is a handful of sampled cells; the sub-space it stands for holds
every architecture that looks like them. :class:`SelectedRegion` is that sub-space: it
scores any architecture of the space from the reduction's units, and an architecture is
a member when its score reaches the selection's. It cannot be listed, but it can be
tested (:meth:`SelectedRegion.contains`), sampled (:meth:`SelectedRegion.sample_members`)
and searched (:class:`cbred.search.domain.SampledDomain`).

Score of an architecture ``x``
    * ``x`` computes the function of a unit (``x`` is a listed cell, or an unlisted
      encoding of a listed function; units are isomorphism classes under ``dedup``): that
      unit's selection score, so that the listed cells keep the score the reduction gave
      them.
    * The reduction listed ``x``'s class only among the cells it left out (constraints,
      failed statistics): NaN, never a member (an isomorphic cell has the same parameters
      and fails the same way).
    * Otherwise the mean of the *reference values* of its ``n_neighbors`` nearest
      *reference units* under the reduction's distance, ties broken by unit order as the
      procedures break them. After a neighbourhood procedure (its chosen parameters hold
      ``n_neighbors``, k): the units with statistics, their aggregate TF rank, ``k + 1``
      of them, which is the score :class:`~cbred.selection.NeighbourhoodScore` gives a
      unit without statistics (``partial_tf``), a mean of ``k + 1`` ranks as every listed
      score is. After any other procedure: the scored units, their selection score, the
      nearest one; ``x`` joins the cluster (or the quantile) of the unit it is closest to.

    Not the mean *selection score* of the k nearest units: those are means already, and
    their mean shrinks towards the middle. On NB201 treated as non-enumerable (default
    reduction of 2,000, 3,000 or 4,000 sampled cells, three samples each, against the
    149 cells the same reduction selects in the listed NB201) that region held 24 to 65
    cells, recall 0.11 to 0.32; the rule above 75 to 137 cells, precision 0.67 to 0.80,
    recall 0.40 to 0.65 (the acceptance test in ``tests/selection/test_region.py``).

Membership
    ``contains(x)`` iff ``score(x) >= threshold``, the lowest selection score among the
    selected units. On the listed cells, after a procedure that orders the units by its
    score (NeighbourhoodScore, TFQuantile; QuantileFirst of either while the budget fits
    in the kept quantile)::

        {score > threshold}  <=  selected  <=  {score >= threshold}

    and the members that are not selected are the cells of units scored exactly
    ``threshold``: the rest of the last, budget-cut unit and the units tied with it.
    Procedures whose order is not their score alone (ClusterUnion's ineligible clusters,
    QuantileAfter) keep the right-hand inclusion only.

Approximations
    A procedure that saw landmark-MDS coordinates (a non-Euclidean distance beyond
    ``representation.max_dense`` units) had neighbours in those coordinates; the region
    measures the distance itself. Constraints are not checked outside the reduction (they
    read the architecture's statistics); only isomorphic copies of left-out cells are out.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property

import numpy as np
import pandas as pd

from cbred.clustering.neighbourhoods import nearest_columns
from cbred.spaces.sample import SpaceSample
from cbred.spaces.space import SearchSpace

#: Distances held at a time when scoring (architectures x reference units of one block).
BLOCK_ENTRIES = 4_000_000
#: Walkers of a mutation walk, whose proposals are scored together.
WALKERS = 16
#: Candidates scored together by rejection sampling.
DRAW_BATCH = 512


class SelectedRegion:
    """The sub-space a reduction selected, as membership of any architecture of the space.

    Built by :func:`cbred.pipeline.reduce_space` (:meth:`from_selection`) and kept on the
    :class:`~cbred.pipeline.Reduction`; see the module docstring for the score and the
    membership rule.

    Parameters
    ----------
    space : SearchSpace
        The whole space (not the sample a reduction listed): validates ids, builds graphs,
        draws and mutates architectures.
    distance : Distance
        The reduction's distance (``pairwise``; blocks are computed without a cache file).
    unit_scores : Series
        Selection score of every unit of the reduction, indexed by unit id.
    selected_units : sequence of str
        Units of the selected cells (the last, budget-cut one included).
    references : Series
        Value of every reference unit (finite), indexed by unit id in the order ties are
        broken in.
    n_neighbors : int
        Reference units averaged for an architecture outside the reduction's units.
    excluded : iterable of str, default=()
        Cells the reduction listed and left out (constraints, failed statistics).
    by_class : bool, default=True
        Units stand for isomorphism classes (the reduction's ``dedup``); else for single
        cells.

    Attributes
    ----------
    threshold : float
        The lowest selection score among the selected units.

    Raises
    ------
    ValueError
        No unit or reference, a selected unit or a reference that is not a unit, a
        non-finite reference value, ``n_neighbors`` outside ``[1, len(references)]``.
    """

    def __init__(self, *, space: SearchSpace, distance, unit_scores: pd.Series, selected_units: Sequence[str],
                 references: pd.Series, n_neighbors: int, excluded: Iterable[str] = (), by_class: bool = True) -> None:
        selected_units = pd.Index(selected_units)
        if len(unit_scores) == 0 or len(selected_units) == 0 or len(references) == 0:
            raise ValueError(f"region of {space.name}: needs units ({len(unit_scores)}), selected units "
                             f"({len(selected_units)}) and reference units ({len(references)})")
        for name, ids in (("selected unit", selected_units), ("reference unit", references.index)):
            strangers = ids.difference(unit_scores.index)
            if len(strangers):
                raise ValueError(f"region of {space.name}: {len(strangers)} {name}(s) are not units of the "
                                 f"reduction, e.g. {strangers[:3].tolist()}")
        values = references.to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            bad = references.index[~np.isfinite(values)][:3].tolist()
            raise ValueError(f"region of {space.name}: reference values must be finite, e.g. units {bad}")
        if (isinstance(n_neighbors, bool) or not isinstance(n_neighbors, numbers.Integral)
                or not 1 <= n_neighbors <= len(references)):
            raise ValueError(f"region of {space.name}: n_neighbors must be an integer in [1, {len(references)}] "
                             f"(the reference units), got {n_neighbors!r}")
        self.space = space
        self.distance = distance
        self.unit_scores = unit_scores.astype(np.float64)
        self.selected_units = selected_units
        self.references = references.astype(np.float64)
        self.n_neighbors = int(n_neighbors)
        self.excluded = tuple(excluded)
        self.by_class = by_class
        self.threshold = float(self.unit_scores.loc[selected_units].min())

    @classmethod
    def from_selection(cls, space: SearchSpace, distance, *, units: pd.Series, unit_scores: pd.Series,
                       unit_rank: pd.Series, selected: pd.Index, params: Mapping, dedup: bool) -> SelectedRegion:
        """The region of one reduction (what :func:`~cbred.pipeline.reduce_space` holds).

        Parameters
        ----------
        space : SearchSpace
            The space the reduction listed: the whole space, or a
            :class:`~cbred.spaces.sample.SpaceSample` of it (the region is the parent's).
        distance : Distance
        units : Series
            Unit of every cell the reduction worked on (index: the cells).
        unit_scores, unit_rank : Series
            Selection score and aggregate TF rank (NaN without statistics) of every unit.
        selected : Index
            The selected cells.
        params : mapping
            The procedure's chosen parameters; ``n_neighbors`` makes the region's score a
            neighbourhood score (module docstring).
        dedup : bool
            Units are isomorphism classes.
        """
        k = params.get("n_neighbors")
        # a neighbourhood score extends as a neighbourhood mean of TF ranks, any other score as the nearest unit's
        references = unit_rank if k is not None else unit_scores
        references = references[np.isfinite(references.to_numpy(dtype=np.float64))]
        return cls(
            space=space.parent if isinstance(space, SpaceSample) else space,
            distance=distance,
            unit_scores=unit_scores,
            selected_units=units.loc[selected].unique(),
            references=references,
            n_neighbors=1 if k is None else min(int(k) + 1, len(references)),
            excluded=pd.Index(space.ids).difference(units.index, sort=False),
            by_class=dedup,
        )

    # -- scores ----------------------------------------------------------------------
    def score(self, archs: Iterable[str]) -> pd.Series:
        """The region's score of every architecture (module docstring), higher is better.

        Parameters
        ----------
        archs : iterable of str
            Ids of the space, listed by the reduction or not; canonicalised.

        Returns
        -------
        Series of float
            Indexed by the canonical ids, in the given order; NaN for the classes the
            reduction left out.

        Raises
        ------
        ValueError
            No id, or an id the space rejects (naming it and its position).
        KeyError
            Ids outside an enumerable space.
        """
        ids = self._canonical(archs)
        keys = self._keys(ids)
        known = self._known_scores
        values = np.array([known.get(key, np.nan) for key in keys], dtype=np.float64)
        unknown = np.array([key not in known for key in keys])
        if unknown.any():
            values[unknown] = self._neighbourhood([a for a, out in zip(ids, unknown) if out])
        return pd.Series(values, index=pd.Index(ids, name="arch"), name="score")

    def neighbourhood_score(self, archs: Iterable[str]) -> np.ndarray:
        """The mean reference value of the ``n_neighbors`` nearest reference units of every arch.

        The score of an architecture outside the reduction's units, computed for any
        (a reference unit's own value is among its nearest, at distance 0).

        Shapes
        ------
        archs : (n,) -> (n,)
        """
        return self._neighbourhood(self._canonical(archs))

    def contains(self, arch: str) -> bool:
        """Whether ``arch`` is a member: its score reaches :attr:`threshold`."""
        if not isinstance(arch, str):
            raise TypeError(f"contains: arch must be an id (str), got {type(arch).__name__}; "
                            "for many ids use contains_many")
        return bool(self.contains_many([arch])[0])

    def contains_many(self, archs: Iterable[str]) -> np.ndarray:
        """Membership of every architecture, a boolean array in the given order."""
        with np.errstate(invalid="ignore"):  # NaN (a left-out class) is never a member
            return self.score(archs).to_numpy() >= self.threshold

    # -- members ---------------------------------------------------------------------
    def sample_members(self, n: int, *, random_state=None, method: str = "rejection",
                       max_draws: int | None = None) -> list[str]:
        """``n`` distinct members, seeded by ``random_state``.

        Parameters
        ----------
        n : int
            Members to draw, at least 1.
        random_state : int, sequence of int or Generator, optional
        method : {"rejection", "mutation"}
            ``"rejection"``: uniform draws of the space (``space.draw``), members kept, in
            the order drawn: uniform over the region. ``"mutation"``: :data:`WALKERS`
            walkers start at selected units; each step proposes one mutation of every
            walker (``space.mutate(arch, 1)``), a member is taken and the walker moves
            there, anything else is refused and the walker stays. With a symmetric mutation
            (EdgeCellSpace's: one edge, another operation, uniformly) the walk's stationary
            distribution is uniform over the parts of the region connected to a selected
            unit by mutations, but the members come in the order the walkers reach them,
            near the selected units first, and parts of the region that no mutation path
            inside it connects to a selected unit are never reached. It needs far fewer
            draws when the region is a tiny share of the space.
        max_draws : int, optional
            Candidates (draws or mutations) scored before giving up; default
            ``max(10_000, 1_000 * n)``.

        Returns
        -------
        list of str
            Canonical ids, every one with ``contains(arch)``.

        Raises
        ------
        ValueError
            ``n`` or ``max_draws`` not a positive integer, an unknown ``method``.
        RuntimeError
            Fewer than ``n`` members after ``max_draws`` candidates (the region is too
            small a share of the space for rejection, or the walk is confined).
        """
        for name, value in (("n", n), ("max_draws", 1 if max_draws is None else max_draws)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"sample_members: {name} must be an integer >= 1, got {value!r}")
        samplers: dict[str, Callable] = {"rejection": self._rejection, "mutation": self._walk}
        if method not in samplers:
            raise ValueError(f"sample_members: method={method!r}; choose one of {', '.join(samplers)}")
        budget = max(10_000, 1_000 * int(n)) if max_draws is None else int(max_draws)
        return samplers[method](int(n), np.random.default_rng(random_state), budget)

    def _rejection(self, n: int, rng: np.random.Generator, max_draws: int) -> list[str]:
        found: dict[str, None] = {}
        drawn = 0
        while len(found) < n:
            if drawn >= max_draws:
                raise self._gave_up(len(found), n, drawn, "uniform draws", "raise max_draws or use method='mutation'")
            candidates = [self.space.draw(rng) for _ in range(min(DRAW_BATCH, max_draws - drawn))]
            drawn += len(candidates)
            fresh = [c for c in dict.fromkeys(candidates) if c not in found]
            for arch in np.asarray(fresh, dtype=object)[self.contains_many(fresh)] if fresh else ():
                found[arch] = None
                if len(found) == n:
                    break
        return list(found)

    def _walk(self, n: int, rng: np.random.Generator, max_draws: int) -> list[str]:
        starts = list(self.selected_units)
        walkers = [starts[i] for i in rng.integers(len(starts), size=WALKERS)]
        found: dict[str, None] = {}
        proposed = 0
        while len(found) < n:
            if proposed >= max_draws:
                raise self._gave_up(len(found), n, proposed, "mutations", "raise max_draws or use method='rejection'")
            mutants = [self.space.mutate(arch, 1, rng) for arch in walkers]
            # a space that found no mutant (None) proposes the walker itself: refused, the walker stays
            proposals = [arch if mutant is None else mutant[0] for arch, mutant in zip(walkers, mutants)]
            proposed += len(proposals)
            moved = self.contains_many(proposals) & np.array([p != a for p, a in zip(proposals, walkers)])
            for walker in np.flatnonzero(moved):
                walkers[walker] = proposals[walker]
                found.setdefault(proposals[walker], None)
                if len(found) == n:
                    break
        return list(found)

    def _gave_up(self, found: int, n: int, tried: int, what: str, hint: str) -> RuntimeError:
        return RuntimeError(f"sample_members: {found} of {n} members of the region of {self.space.name} after "
                            f"{tried:,} {what}; {hint}")

    # -- internals -------------------------------------------------------------------
    def _canonical(self, archs: Iterable[str]) -> list[str]:
        """Canonical ids; ``ValueError`` naming the first one the space rejects."""
        if isinstance(archs, str):
            raise TypeError(f"archs must be a sequence of ids, got the string {archs!r} (for one id: contains)")
        ids = []
        for position, arch in enumerate(archs):
            try:
                ids.append(self.space.canonical_id(arch))
            except (TypeError, ValueError) as error:
                raise ValueError(f"region of {self.space.name}: architecture {position} ({arch!r}) is not an id "
                                 f"of the space: {error}") from None
        if not ids:
            raise ValueError(f"region of {self.space.name}: no architecture given")
        if self.space.enumerable:
            outside = [a for a in ids if a not in self.space]
            if outside:
                raise KeyError(f"region of {self.space.name}: {len(outside)} architecture(s) not in the space, "
                               f"e.g. {outside[:3]}")
        return ids

    def _keys(self, ids: Sequence[str]) -> list[str]:
        """What identifies a unit: the isomorphism class, or the id itself without ``dedup``."""
        return [self.space.isomorphism_class(a) for a in ids] if self.by_class else list(ids)

    @cached_property
    def _known_scores(self) -> dict[str, float]:
        """Score of every key the reduction listed: its unit's, NaN for left-out ones."""
        known = dict.fromkeys(self._keys(self.excluded), np.nan)
        # a class with a unit keeps the unit's score, even if some of its cells were left out
        known.update(zip(self._keys(list(self.unit_scores.index)), self.unit_scores.to_numpy()))
        return known

    @cached_property
    def _reference_graphs(self):
        return self.space.graphs(list(self.references.index))

    @cached_property
    def _blocks(self):
        # one-off blocks of queries: no cache file each, no progress bar per block
        return self.distance.with_engine(cache=False, progress=False)

    def _neighbourhood(self, ids: list[str]) -> np.ndarray:
        values = self.references.to_numpy()
        scores = np.empty(len(ids))
        rows = max(1, BLOCK_ENTRIES // len(values))  # bounded memory: (rows, references) at a time
        for start in range(0, len(ids), rows):
            chunk = ids[start:start + rows]
            block = self._blocks.pairwise(self.space.graphs(chunk), self._reference_graphs)
            scores[start:start + len(chunk)] = values[nearest_columns(block, self.n_neighbors)].mean(axis=1)
        return scores

    def __repr__(self) -> str:
        return (f"SelectedRegion({self.space.name}: score >= {self.threshold:.4g}, {len(self.unit_scores):,} units, "
                f"{len(self.selected_units):,} selected, mean of {self.n_neighbors} of {len(self.references):,} "
                "reference units)")
