"""Active sampling: measure where the reduction will look.

The reduction keeps the units whose neighbourhoods score best (the mean score of a unit and
its nearest units), so a measurement is worth most inside a neighbourhood that might be
among the best and is not yet measured. After a uniform seed sample, every unmeasured unit
is predicted from its nearest measured units (mean and spread of their scores); every unit's
neighbourhood score is the mean of its members' measured or predicted scores, with the mean
spread as its uncertainty; each batch measures the unmeasured members of the neighbourhoods
with the highest acquisition, best first. No accuracy is read.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cbred.clustering.neighbourhoods import nearest_neighbours, nearest_of
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
        Size of a neighbourhood besides its unit (as the selection's ``n_neighbors``), and
        the number of measured units an unmeasured one is predicted from.
    acquisition : str, default="ucb"
        A name in :data:`cbred.sampling.ACQUISITIONS`.
    exploration : float, default=1.0
        Weight of the spread in the acquisition (0: greedy on the predicted score).

    Attributes
    ----------
    See :class:`TFSampler`.
    """

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
            self._members = None  # a new fit: the neighbourhood graph of this X is built on first use
            return np.sort(rng.choice(rest, min(seed_size - len(measured), len(rest)), replace=False))
        by_position = np.full(X.shape[0], np.nan)
        by_position[scores.index.to_numpy(dtype=int)] = scores.to_numpy(dtype=np.float64)
        references = measured[np.isfinite(by_position[measured])]  # a failed measurement predicts nothing
        k = min(self.n_neighbors, len(references))
        values = by_position[nearest_of(X, rest, references, k, metric=metric)]
        predicted, spread = by_position.copy(), np.zeros(X.shape[0])
        predicted[rest], spread[rest] = values.mean(axis=1), values.std(axis=1)
        predicted[np.isnan(predicted)] = np.nanmin(predicted)  # failed: as the worst
        members = self._neighbourhoods(X, metric)
        score, uncertainty = predicted[members].mean(axis=1), spread[members].mean(axis=1)
        # the cut a neighbourhood must pass to be among the best share of the space the budget measures
        threshold = float(np.quantile(score, 1 - self.n_budget_ / X.shape[0]))
        gain = acquire(score, uncertainty, threshold, self.exploration)
        order = np.lexsort((np.arange(len(gain)), -gain))  # ties: the earlier position first
        candidates = pd.unique(members[order].ravel())
        return candidates[~np.isin(candidates, measured)][:size]

    def _neighbourhoods(self, X, metric: str) -> np.ndarray:
        """Every unit and its ``n_neighbors`` nearest units, computed once per fit."""
        if self._members is None:
            graph = nearest_neighbours(X, min(self.n_neighbors, X.shape[0] - 1), metric=metric)
            self._members = np.column_stack([np.arange(X.shape[0]), graph])
        return self._members
