"""Strategies: REA's ageing and tournament, random search's exact expectation, local search."""

import numpy as np
import pandas as pd
import pytest

from cbred.evaluation import expected_best_of_n
from cbred.search import LocalSearch, RandomSearch, RegularizedEvolution, SearchDomain, TabularEvaluator, run_search
from tests.search.toy import BitStrings, flip_one_bit, one_max, toy_domain


def _drive(strategy, accuracy, n):
    """Ask/tell ``n`` times synchronously; the asked architectures in order."""
    asked = []
    for _ in range(n):
        arch = strategy.ask()
        if arch is None:
            break
        asked.append(arch)
        strategy.tell(arch, accuracy[arch])
    return asked


def test_rea_finds_the_known_optimum_within_a_bound_of_queries():
    domain = toy_domain(10)  # 1,024 strings, optimum '1111111111'
    accuracy = one_max(domain.space)
    queries = []
    for seed in range(20):
        trace = run_search(RegularizedEvolution(population_size=20, sample_size=5), domain,
                           TabularEvaluator(accuracy=accuracy), budget=400, random_state=seed)
        hits = np.flatnonzero(trace["arch"].to_numpy() == "1" * 10)
        assert len(hits) == 1, f"seed {seed}: optimum not found in 400 queries"
        queries.append(hits[0] + 1)
    # random search needs (1024 + 1) / 2 = 512.5 queries on average to draw it
    assert max(queries) <= 400 and np.median(queries) < 200


def test_rea_ages_out_the_oldest_member_not_the_worst():
    domain = toy_domain(6)
    strategy = RegularizedEvolution(population_size=4, sample_size=2).start(domain, random_state=0)
    told = []
    for i in range(7):
        arch = strategy.ask()
        accuracy = 100.0 if i == 0 else float(i)  # the first member is by far the best
        strategy.tell(arch, accuracy)
        told.append((arch, accuracy))
    assert list(strategy.population_) == told[-4:]
    assert told[0] not in strategy.population_  # the best, but the oldest: gone


def test_rea_tournament_picks_the_best_of_the_sample_as_parent():
    domain = toy_domain(8)
    accuracy = one_max(domain.space)
    strategy = RegularizedEvolution(population_size=10, sample_size=10).start(domain, random_state=1)
    _drive(strategy, accuracy, 10)  # the initial population
    for _ in range(30):
        best = max(strategy.population_, key=lambda member: member[1])[0]
        child = strategy.ask()
        # the sample is the whole population: the child is a one-bit mutant of its best member
        # (or a random draw when every neighbour of the best was already seen)
        unseen = [n for n in flip_one_bit(domain.space, best) if n not in strategy.history_ and n != child]
        assert child in flip_one_bit(domain.space, best) or not unseen
        strategy.tell(child, accuracy[child])


def test_rea_initial_population_is_uniform_from_the_sub_space():
    domain = toy_domain(8, members=BitStrings(8).ids[:40])
    strategy = RegularizedEvolution(population_size=20, sample_size=3).start(domain, random_state=3)
    first = _drive(strategy, one_max(domain.space), 20)
    assert len(set(first)) == 20 and set(first) <= set(domain.members)


@pytest.mark.parametrize("restrict", [True, False])
def test_restricted_mutations_never_leave_the_subset(nb201_space, restrict):
    universe = pd.Index(nb201_space.ids, name="arch")
    members = universe[np.random.default_rng(0).choice(len(universe), 400, replace=False)]
    domain = SearchDomain(space=nb201_space, members=members, universe=universe)
    accuracy = pd.Series(np.random.default_rng(1).random(len(universe)), index=universe)
    asked = set()
    for seed in range(5):
        trace = run_search(RegularizedEvolution(population_size=10, sample_size=3, restrict_mutations=restrict),
                           domain, TabularEvaluator(accuracy=accuracy), budget=200, random_state=seed)
        asked |= set(trace["arch"])
    outside = asked - set(members)
    if restrict:
        assert not outside
    else:
        assert len(outside) > 100  # almost every NB201 mutant of a 2.6 % sub-space lies outside it


def test_random_search_matches_the_exact_best_of_n_expectation():
    domain = toy_domain(5)  # 32 strings
    rng = np.random.default_rng(0)
    accuracy = pd.Series(rng.normal(size=32).round(2), index=domain.members)  # ties included
    n, n_runs = 4, 3000
    bests = np.empty(n_runs)
    strategy = RandomSearch()
    for run in range(n_runs):
        strategy.start(domain, random_state=run)
        asked = _drive(strategy, accuracy, n)
        assert len(set(asked)) == n  # without replacement
        bests[run] = accuracy[asked].max()
    expected = expected_best_of_n(accuracy.to_numpy(), n)
    assert abs(bests.mean() - expected) < 4 * bests.std() / np.sqrt(n_runs)
    # a budget of the whole sub-space evaluates every architecture once, then stops
    strategy.start(domain, random_state=0)
    everything = _drive(strategy, accuracy, 40)
    assert sorted(everything) == sorted(domain.members) and strategy.ask() is None


def test_local_search_climbs_to_the_optimum_and_restarts_at_local_optima():
    domain = toy_domain(8)
    accuracy = one_max(domain.space)
    strategy = LocalSearch().start(domain, random_state=0)
    asked = _drive(strategy, accuracy, 8 * 9)  # a start plus at most 8 neighbours per bit set
    assert "1" * 8 in asked
    # a plateau of equal accuracies: every start is a local optimum, the search restarts
    flat = pd.Series(1.0, index=domain.members)
    strategy = LocalSearch().start(domain, random_state=0)
    asked = _drive(strategy, flat, 300)
    assert len(asked) == 256 and len(set(asked)) == 256 and strategy.ask() is None


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
