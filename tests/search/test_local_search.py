"""Local search: hill climbing with restarts at local optima."""

import pandas as pd

from cbred.search import LocalSearch
from tests.search.toy import drive, one_max, toy_domain


def test_local_search_climbs_to_the_optimum_and_restarts_at_local_optima():
    domain = toy_domain(8)
    accuracy = one_max(domain.space)
    strategy = LocalSearch().start(domain, random_state=0)
    asked = drive(strategy, accuracy, 8 * 9)  # a start plus at most 8 neighbours per bit set
    assert "1" * 8 in asked
    # a plateau of equal accuracies: every start is a local optimum, the search restarts
    flat = pd.Series(1.0, index=domain.members)
    strategy = LocalSearch().start(domain, random_state=0)
    asked = drive(strategy, flat, 300)
    assert len(asked) == 256 and len(set(asked)) == 256 and strategy.ask() is None
