"""Local search: first-improvement hill climbing over edit-distance-1 neighbours."""

from __future__ import annotations

from cbred.search.strategy import SearchStrategy


class LocalSearch(SearchStrategy):
    """Hill climbing with random restarts inside the sub-space.

    From a uniformly drawn start, the neighbours of the current architecture (edit
    distance 1, inside the sub-space) are evaluated in random order; the first one more
    accurate than the current architecture becomes current and its neighbourhood is
    explored next. A neighbour already evaluated is compared without a new query. When
    every neighbour has been seen without improvement (a local optimum), the search
    restarts from a new uniform draw.

    References
    ----------
    C. White, S. Nolen and Y. Savani, "Exploring the Loss Landscape in Neural
    Architecture Search", UAI 2021 (local search on NAS benchmarks).
    """

    def __init__(self) -> None:
        pass

    def _reset(self) -> None:
        self.current_: tuple[str, float] | None = None
        self._queue: list[str] = []

    def _propose(self) -> str | None:
        while self.current_ is not None:
            if not self._queue:  # local optimum: restart
                self.current_ = None
                break
            arch = self._queue.pop()
            if arch in self.pending_:
                continue
            known = self.history_.get(arch)
            if known is None:
                return arch
            if known > self.current_[1]:
                self._move_to(arch, known)
        return self._draw_unseen()

    def _observe(self, arch: str, accuracy: float) -> None:
        if self.current_ is None or accuracy > self.current_[1]:
            self._move_to(arch, accuracy)

    def _move_to(self, arch: str, accuracy: float) -> None:
        self.current_ = (arch, accuracy)
        neighbours = list(self.domain_.neighbours(arch, within="members"))
        self.rng_.shuffle(neighbours)
        self._queue = neighbours
