"""Anytime curves, queries to a target with censoring, bootstrap intervals, speed-ups."""

import math

import numpy as np
import pandas as pd
import pytest

from cbred.search.analysis import (
    anytime_curves,
    bootstrap_median,
    bootstrap_speedup,
    queries_to_reach,
    target_thresholds,
)


def test_curves_carry_the_last_best_of_an_exhausted_run():
    curves = anytime_curves([[1, 3, 3, 5], [2, 4]], budget=4)
    np.testing.assert_array_equal(curves, [[1, 3, 3, 5], [2, 4, 4, 4]])
    with pytest.raises(ValueError, match="run 1"):
        anytime_curves([[1.0], []], budget=2)


def test_queries_to_reach_counts_from_one_and_censors():
    curves = np.array([[1, 5, 9, 9], [9, 9, 9, 9], [1, 2, 3, 4]], dtype=float)
    np.testing.assert_array_equal(queries_to_reach(curves, 9), [3, 1, np.inf])


def test_bootstrap_median_keeps_censored_runs():
    median, low, high = bootstrap_median([1, 2, 3, np.inf, np.inf], n_boot=500)
    assert median == 3 and low <= 3 <= high and math.isinf(high)
    mostly_censored = bootstrap_median([1, np.inf, np.inf], n_boot=100)
    assert math.isinf(mostly_censored[0])
    assert bootstrap_median([4.0] * 10) == (4.0, 4.0, 4.0)


def test_speedup_is_a_ratio_of_medians_with_an_interval():
    rng = np.random.default_rng(0)
    full = rng.integers(80, 120, 200).astype(float)
    reduced = rng.integers(18, 22, 200).astype(float)
    ratio, low, high = bootstrap_speedup(full, reduced)
    assert ratio == pytest.approx(np.median(full) / np.median(reduced))
    assert 4 < low <= ratio <= high < 6.5
    assert math.isnan(bootstrap_speedup([np.inf] * 5, [np.inf] * 5)[0])


def test_targets_are_the_lowest_accuracy_of_the_top_fraction():
    accuracy = pd.Series(np.arange(1000, dtype=float))
    assert target_thresholds(accuracy) == {"top1pct": 990.0, "top01pct": 999.0}
