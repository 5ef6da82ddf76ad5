"""Regularized evolution (REA): ageing, tournament, initial population, restricted mutations."""

import numpy as np
import pandas as pd
import pytest

from cbred.search import RandomSearch, RegularizedEvolution, SearchDomain, TabularEvaluator, run_search
from tests.search.toy import BitStrings, drive, flip_one_bit, one_max, toy_domain


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
    drive(strategy, accuracy, 10)  # the initial population
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
    first = drive(strategy, one_max(domain.space), 20)
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


def test_rea_first_queries_are_random_searchs_draws_as_the_anytime_figure_says():
    domain = toy_domain(8)
    accuracy = one_max(domain.space)
    rea = RegularizedEvolution(population_size=12, sample_size=3)
    assert rea.shared_random_draws == 12 and RandomSearch().shared_random_draws == 0
    rea_asked = drive(rea.start(domain, random_state=(0, 4)), accuracy, 40)
    random_asked = drive(RandomSearch().start(domain, random_state=(0, 4)), accuracy, 40)
    assert rea_asked[:12] == random_asked[:12] and rea_asked[12:] != random_asked[12:]
