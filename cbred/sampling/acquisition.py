"""How an unmeasured unit's predicted score and its uncertainty become one number.

Every function takes, per unmeasured unit, the ``mean`` and ``std`` of the scores of its
nearest measured units, the ``threshold`` a unit must pass to be among the best the
reduction keeps, and an ``exploration`` weight; higher is measured first.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from cbred.registry import Registry


ACQUISITIONS: Registry = Registry("acquisition")


@ACQUISITIONS.register("ucb")
def upper_confidence_bound(mean: np.ndarray, std: np.ndarray, threshold: float, exploration: float) -> np.ndarray:
    """``mean + exploration * std``: promising, or uncertain enough that it might be."""
    return mean + exploration * std


@ACQUISITIONS.register("expected_improvement")
def expected_improvement(mean: np.ndarray, std: np.ndarray, threshold: float, exploration: float) -> np.ndarray:
    """Expected excess over ``threshold`` of a normal score ``N(mean, std)``; ``exploration``
    widens the ``std``."""
    spread = np.maximum(std * max(exploration, 0.0), 1e-12)
    z = (mean - threshold) / spread
    return (mean - threshold) * norm.cdf(z) + spread * norm.pdf(z)

