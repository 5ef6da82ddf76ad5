"""The budgeted loop, the uniform baseline and active sampling on problems with a known answer."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from cbred.sampling import ACQUISITIONS, ActiveSampling, UniformSampling

#: 400 units on a line; the best ones sit around x = 0.8 (a known optimum).
X = np.linspace(0, 1, 400)[:, None].astype(np.float32)
WORTH = -np.abs(X[:, 0] - 0.8)


def measure(positions: np.ndarray) -> pd.DataFrame:
    """A statistic equal to the worth, with a little deterministic noise."""
    noise = np.sin(positions * 12.9898) * 0.01
    return pd.DataFrame({"stat": WORTH[positions] + noise}, index=positions)


def score(table: pd.DataFrame) -> pd.Series:
    return table["stat"].rank(pct=True)


def near_optimum(positions: np.ndarray) -> float:
    """Share of the measured units within 0.05 of the optimum."""
    return float(np.mean(np.abs(X[positions, 0] - 0.8) <= 0.05))


@pytest.mark.parametrize("sampler", [UniformSampling, ActiveSampling])
def test_a_sampler_measures_the_budget_once_each_and_the_same_units_for_a_seed(sampler):
    first = sampler(budget=40, random_state=3).fit(X, measure, score)
    again = sampler(budget=40, random_state=3).fit(X, measure, score)
    other = sampler(budget=40, random_state=4).fit(X, measure, score)
    assert len(first.measured_) == 40 == len(set(first.measured_.tolist()))
    np.testing.assert_array_equal(first.measured_, again.measured_)
    assert set(first.measured_) != set(other.measured_)
    assert list(first.statistics_.index) == list(first.measured_)
    assert first.rounds_["n_measured"].iloc[-1] == 40 and first.rounds_["n_measured"].is_monotonic_increasing


def test_a_fractional_budget_counts_units_and_one_point_zero_is_refused_naming_the_option():
    assert len(UniformSampling(budget=0.05).fit(X, measure, score).measured_) == 20
    with pytest.raises(ValueError, match=r"tfstats\.budget=1\.0.*write 1 for one cell, or a fraction below 1"):
        UniformSampling(budget=1.0).fit(X, measure, score)


def test_active_sampling_spends_its_budget_near_the_optimum_uniform_sampling_does_not():
    uniform = UniformSampling(budget=60, random_state=0).fit(X, measure, score)
    active = ActiveSampling(budget=60, n_neighbors=5, random_state=0).fit(X, measure, score)
    # 10 % of the line lies within 0.05 of the optimum: uniform gets about that share
    assert near_optimum(uniform.measured_) < 0.2
    assert near_optimum(active.measured_) > 0.5
    # the uniform seed is a quarter of the budget, then batches of a tenth
    assert active.rounds_["n_measured"].tolist()[:2] == [15, 21]


def test_without_exploration_active_sampling_is_greedy_and_with_it_looks_further():
    greedy = ActiveSampling(budget=60, n_neighbors=5, exploration=0.0, random_state=0).fit(X, measure, score)
    curious = ActiveSampling(budget=60, n_neighbors=5, exploration=5.0, random_state=0).fit(X, measure, score)
    spread = lambda s: float(np.std(X[s.measured_[15:], 0]))  # noqa: E731  (after the shared seed)
    assert spread(curious) > spread(greedy)


def test_a_budget_in_seconds_stops_between_batches():
    def slow(positions):
        time.sleep(0.05)
        return measure(positions)

    fitted = UniformSampling(budget=100, seconds=0.12, batch_size=5).fit(X, slow, score)
    assert len(fitted.measured_) == 15  # three batches: 0.05, 0.10, 0.15 s >= 0.12
    assert fitted.rounds_["seconds"].iloc[-1] >= 0.12


@pytest.mark.parametrize("bad, message", [
    (lambda p: measure(p).iloc[:-1], r"measure returned 3 rows for 4 requested units"),
    (lambda p: measure(p)["stat"], r"measure must return a DataFrame of statistics, got Series"),
])
def test_a_measurement_that_is_not_the_rows_asked_for_is_refused(bad, message):
    with pytest.raises((ValueError, TypeError), match=message):
        UniformSampling(budget=8, batch_size=4).fit(X, bad, score)


def test_expected_improvement_ranks_a_sure_gain_above_a_sure_loss_and_an_uncertain_unit_between():
    gain = ACQUISITIONS["expected_improvement"](np.array([1.0, 0.0, 0.0]), np.array([0.01, 0.01, 1.0]), 0.5, 1.0)
    assert gain[0] > gain[2] > gain[1]
    with pytest.raises(KeyError, match="acquisition"):
        ACQUISITIONS["thompson"]
