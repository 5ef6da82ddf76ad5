"""Uniform sampling: the baseline every smarter use of the budget is measured against."""

from __future__ import annotations

import numpy as np

from cbred.sampling.base import TFSampler


class UniformSampling(TFSampler):
    """Units drawn uniformly without replacement, seeded (see :class:`TFSampler`).

    One permutation of the units is drawn when fitting starts and measured in batches,
    so that a budget in seconds stops at a prefix of the same draw.
    """

    def __init__(self, *, budget: float | int, seconds: float | None = None, batch_size: int | None = None,
                 random_state=0) -> None:
        super().__init__(budget=budget, seconds=seconds, batch_size=batch_size, random_state=random_state)

    def _next_batch(self, X, metric, measured, scores, size, rng) -> np.ndarray:
        if not len(measured):
            self._permutation = rng.permutation(X.shape[0])
        return self._permutation[len(measured):len(measured) + size]  # measured so far: the prefix
