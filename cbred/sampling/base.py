"""The budgeted measuring loop that every sampler shares."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from cbred.selection.budget import budget_cells

#: ``measure(positions) -> DataFrame`` indexed by those positions, one column per statistic.
Measure = Callable[[np.ndarray], pd.DataFrame]
#: ``score(statistics) -> Series``: one value per measured unit, higher is better.
Score = Callable[[pd.DataFrame], pd.Series]


class TFSampler(BaseEstimator):
    """Measure units batch after batch until the budget is spent.

    Subclasses choose each batch (:meth:`_next_batch`); the loop, the budget and the
    record are here. Scores are recomputed over every measured unit after each batch,
    because percentile ranks are relative to what has been measured.

    Parameters
    ----------
    budget : float or int
        Units to measure: a fraction of them in ``(0, 1)`` or a number ``>= 1``
        (:func:`cbred.selection.budget.budget_cells`, option ``tfstats.budget``).
    seconds : float, optional
        Stop once this much time has gone into ``measure`` (checked between batches, so
        the last batch may overrun it).
    batch_size : int, optional
        Units per batch; default a tenth of the budget.
    random_state : int, RandomState instance or None, default=0

    Attributes
    ----------
    measured_ : ndarray of int
        Positions of the measured units, in the order they were measured.
    statistics_ : DataFrame
        Their statistics, indexed by position.
    scores_ : Series
        Their scores after the last batch.
    rounds_ : DataFrame
        One row per batch: ``round``, ``n_measured``, ``seconds`` (cumulative, in
        ``measure``), ``best_score``.
    n_budget_ : int
        The budget in units.
    """

    #: Whether the measured units are a uniform sample of the space (Quantiled then takes the
    #: budget's share of them; otherwise the budget's number of the best measured).
    uniform: bool = True

    def __init__(self, *, budget: float | int, seconds: float | None = None, batch_size: int | None = None,
                 random_state=0) -> None:
        self.budget = budget
        self.seconds = seconds
        self.batch_size = batch_size
        self.random_state = random_state

    def fit(self, X: np.ndarray, measure: Measure, score: Score, *, metric: str = "euclidean") -> TFSampler:
        """Spend the budget on the units of ``X``.

        Shapes
        ------
        X : (n, d) coordinates (``metric="euclidean"``) or (n, n) distances
        (``metric="precomputed"``), one row per unit.
        """
        n = X.shape[0]
        self.n_budget_ = budget_cells(self.budget, n, option="tfstats.budget")
        if self.seconds is not None and not (isinstance(self.seconds, (int, float)) and self.seconds > 0):
            raise ValueError(f"tfstats.budget_seconds must be a positive number of seconds, got {self.seconds!r}")
        batch = self.batch_size if self.batch_size is not None else max(1, math.ceil(self.n_budget_ / 10))
        if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        rng = check_random_state(self.random_state)
        measured: list[int] = []
        tables: list[pd.DataFrame] = []
        scores = pd.Series(dtype=np.float64)
        spent, rounds = 0.0, []
        while len(measured) < self.n_budget_ and (self.seconds is None or spent < self.seconds):
            size = min(int(batch), self.n_budget_ - len(measured))
            chosen = np.asarray(self._next_batch(X, metric, np.asarray(measured, dtype=int), scores, size, rng),
                                dtype=int)
            start = time.perf_counter()
            rows = measure(chosen)
            spent += time.perf_counter() - start
            tables.append(_checked(rows, chosen))
            measured.extend(chosen.tolist())
            scores = score(pd.concat(tables)).reindex(measured)
            rounds.append({"round": len(rounds), "n_measured": len(measured), "seconds": spent,
                           "best_score": float(scores.max())})
        self.measured_ = np.asarray(measured, dtype=int)
        self.statistics_ = pd.concat(tables) if tables else pd.DataFrame()
        self.scores_ = scores
        self.rounds_ = pd.DataFrame(rounds, columns=["round", "n_measured", "seconds", "best_score"])
        return self

    def _next_batch(self, X, metric: str, measured: np.ndarray, scores: pd.Series, size: int,
                    rng: np.random.RandomState) -> np.ndarray:
        """Positions of the next units to measure (never measured ones; at most ``size``)."""
        raise NotImplementedError


def unmeasured(n: int, measured: np.ndarray) -> np.ndarray:
    """Positions ``0..n-1`` not in ``measured``, ascending."""
    mask = np.ones(n, dtype=bool)
    mask[measured] = False
    return np.flatnonzero(mask)


def _checked(rows, chosen: np.ndarray) -> pd.DataFrame:
    """The rows ``measure`` returned, checked to be those asked for."""
    if not isinstance(rows, pd.DataFrame):
        raise TypeError(f"measure must return a DataFrame of statistics, got {type(rows).__name__}")
    if len(rows) != len(chosen) or set(rows.index) != set(chosen.tolist()):
        missing = sorted(set(chosen.tolist()) - set(rows.index))[:5]
        raise ValueError(f"measure returned {len(rows)} rows for {len(chosen)} requested units "
                         f"(missing e.g. {missing})")
    return rows.loc[chosen]
