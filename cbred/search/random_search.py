"""Random search: architectures drawn uniformly without replacement from the sub-space."""

from __future__ import annotations

from cbred.search.strategy import SearchStrategy


class RandomSearch(SearchStrategy):
    """Uniform sampling without replacement, the baseline of every NAS benchmark.

    After ``n`` results the best is the best of ``n`` distinct uniform draws, whose exact
    expectation is :func:`cbred.evaluation.expected_best_of_n`.

    References
    ----------
    J. Bergstra and Y. Bengio, "Random Search for Hyper-Parameter Optimization", JMLR 2012.
    L. Li and A. Talwalkar, "Random Search and Reproducibility for Neural Architecture
    Search", UAI 2019.
    """

    def __init__(self) -> None:
        pass

    def _propose(self) -> str | None:
        return self._draw_unseen()
