"""Random search: the exact best-of-n expectation, without replacement."""

import numpy as np
import pandas as pd

from cbred.evaluation import expected_best_of_n
from cbred.search import RandomSearch
from tests.search.toy import drive, toy_domain


def test_random_search_matches_the_exact_best_of_n_expectation():
    domain = toy_domain(5)  # 32 strings
    rng = np.random.default_rng(0)
    accuracy = pd.Series(rng.normal(size=32).round(2), index=domain.members)  # ties included
    n, n_runs = 4, 3000
    bests = np.empty(n_runs)
    strategy = RandomSearch()
    for run in range(n_runs):
        strategy.start(domain, random_state=run)
        asked = drive(strategy, accuracy, n)
        assert len(set(asked)) == n  # without replacement
        bests[run] = accuracy[asked].max()
    expected = expected_best_of_n(accuracy.to_numpy(), n)
    assert abs(bests.mean() - expected) < 4 * bests.std() / np.sqrt(n_runs)
    # a budget of the whole sub-space evaluates every architecture once, then stops
    strategy.start(domain, random_state=0)
    everything = drive(strategy, accuracy, 40)
    assert sorted(everything) == sorted(domain.members) and strategy.ask() is None
