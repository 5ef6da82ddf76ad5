"""The ask/tell bookkeeping every strategy shares: parameters and calls it rejects."""

import pytest

from cbred.search import RandomSearch, RegularizedEvolution, SearchStrategy
from tests.search.toy import toy_domain


def test_strategies_reject_bad_parameters_and_calls():
    domain = toy_domain(4)
    with pytest.raises(ValueError, match="sample_size"):
        RegularizedEvolution(population_size=3, sample_size=5).start(domain)
    with pytest.raises(ValueError, match="population_size"):
        RegularizedEvolution(population_size=0).start(domain)
    with pytest.raises(RuntimeError, match="start"):
        RandomSearch().ask()
    strategy = RandomSearch().start(domain, random_state=0)
    arch = strategy.ask()
    with pytest.raises(KeyError, match="never asked"):
        strategy.tell("0000" if arch != "0000" else "1111", 1.0)
    with pytest.raises(ValueError, match="accuracy"):
        strategy.tell(arch, float("nan"))
    strategy.tell(arch, 1.0)
    with pytest.raises(KeyError, match="already told"):
        strategy.tell(arch, 1.0)


class _Stubborn(SearchStrategy):
    """Always proposes the first member: a buggy strategy."""

    def _propose(self):
        return self.domain_.members[0]


def test_a_strategy_that_proposes_an_architecture_twice_is_stopped():
    strategy = _Stubborn().start(toy_domain(3), random_state=0)
    assert strategy.ask() == "000" and strategy.pending_ == {"000"}
    with pytest.raises(RuntimeError, match="_Stubborn proposed '000' twice"):
        strategy.ask()  # still pending
    strategy.tell("000", 0.5)
    assert strategy.history_ == {"000": 0.5} and not strategy.pending_
    with pytest.raises(RuntimeError, match="twice"):
        strategy.ask()  # already evaluated
    with pytest.raises(TypeError, match="domain must be a SearchDomain or a SampledDomain, got list"):
        _Stubborn().start(["000"])
    with pytest.raises(ValueError, match="RegularizedEvolution: population_size must be an int >= 1, got True"):
        RegularizedEvolution(population_size=True).start(toy_domain(3))
