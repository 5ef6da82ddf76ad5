"""Active sampling: measure where the reduction will look.

The reduction scores an unmeasured unit by the mean score of its nearest measured units, so
a measurement is worth most where that mean might put a unit among the best and is still
uncertain. After a uniform seed sample, each batch measures the unmeasured units with the
highest acquisition (:data:`~cbred.sampling.ACQUISITIONS`) of the mean and spread of their
nearest measured units' scores. No accuracy is read.

Measuring the whole neighbourhoods of the most promising units instead (every unit scored
by the predicted mean over itself and its neighbours) did worse on NB201 CIFAR-10 at 2 % and
10 % of the classes measured (``benchmarks/tf_budget.py``), and was left out.
"""

from __future__ import annotations

import math

import numpy as np

from cbred.clustering.neighbourhoods import nearest_of
from cbred.sampling.acquisition import ACQUISITIONS
from cbred.sampling.base import TFSampler, unmeasured


class ActiveSampling(TFSampler):
    """A uniform seed, then the most promising and least certain units, batch after batch.

    Parameters
    ----------
    budget, seconds, batch_size, random_state
        See :class:`TFSampler`.
    initial : float, default=0.25
        Share of the budget drawn uniformly first (at least ``n_neighbors + 1`` units).
    n_neighbors : int, default=10
        Measured units an unmeasured one is predicted from.
    acquisition : str, default="ucb"
        A name in :data:`cbred.sampling.ACQUISITIONS`.
    exploration : float, default=1.0
        Weight of the spread in the acquisition (0: greedy on the predicted score).

    Attributes
    ----------
    See :class:`TFSampler`.
    """

    uniform = False  # measured where the neighbourhoods are best

    def __init__(self, *, budget: float | int, seconds: float | None = None, batch_size: int | None = None,
                 initial: float = 0.25, n_neighbors: int = 10, acquisition: str = "ucb", exploration: float = 1.0,
                 random_state=0) -> None:
        super().__init__(budget=budget, seconds=seconds, batch_size=batch_size, random_state=random_state)
        self.initial = initial
        self.n_neighbors = n_neighbors
        self.acquisition = acquisition
        self.exploration = exploration

    def _next_batch(self, X, metric, measured, scores, size, rng) -> np.ndarray:
        if not 0 < self.initial <= 1:
            raise ValueError(f"initial must be a share of the budget in (0, 1], got {self.initial!r}")
        acquire = ACQUISITIONS[self.acquisition]
        rest = unmeasured(X.shape[0], measured)
        seed_size = min(self.n_budget_, max(self.n_neighbors + 1, math.ceil(self.initial * self.n_budget_)))
        if len(measured) < seed_size:  # the seed sample, in one batch
            return np.sort(rng.choice(rest, min(seed_size - len(measured), len(rest)), replace=False))
        by_position = np.full(X.shape[0], np.nan)
        by_position[scores.index.to_numpy(dtype=int)] = scores.to_numpy(dtype=np.float64)
        references = measured[np.isfinite(by_position[measured])]  # a failed measurement predicts nothing
        k = min(self.n_neighbors, len(references))
        values = by_position[nearest_of(X, rest, references, k, metric=metric)]
        # the cut a unit must pass to be among the best share of the space the budget measures
        threshold = float(np.quantile(by_position[references], 1 - self.n_budget_ / X.shape[0]))
        gain = acquire(values.mean(axis=1), values.std(axis=1), threshold, self.exploration)
        return rest[np.lexsort((rest, -gain))[:size]]  # ties: the earlier position first
