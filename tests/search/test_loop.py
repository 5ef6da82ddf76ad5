"""run_search: budgets, asynchronous workers, and resuming a killed search from its log."""

import json

import pandas as pd
import pytest

from cbred.search import LocalSearch, QueryLog, RandomSearch, RegularizedEvolution, TabularEvaluator, run_search
from tests.search.toy import one_max, toy_domain


class Killed(Exception):
    pass


class DyingEvaluator(TabularEvaluator):
    """A tabular evaluator whose process 'dies' at its ``die_at``-th query."""

    def __init__(self, *, accuracy, die_at):
        super().__init__(accuracy=accuracy)
        self.die_at = die_at

    def evaluate(self, arch):
        if self.n_queries_ + 1 == self.die_at:
            raise Killed(arch)
        return super().evaluate(arch)


STRATEGIES = [
    lambda: RegularizedEvolution(population_size=10, sample_size=3),
    lambda: LocalSearch(),
    lambda: RandomSearch(),
]


@pytest.mark.parametrize("make_strategy", STRATEGIES, ids=["rea", "local", "random"])
@pytest.mark.parametrize("n_workers", [1, 4])
def test_a_killed_search_resumes_from_its_log_with_the_same_result(tmp_path, make_strategy, n_workers):
    domain = toy_domain(9)
    accuracy = one_max(domain.space)
    key = {"subset": "full", "strategy": "x", "run": 0}
    options = dict(budget=120, random_state=7, n_workers=n_workers, key=key)
    reference = run_search(make_strategy(), domain, TabularEvaluator(accuracy=accuracy), **options)
    assert len(reference) == 120 and reference["arch"].is_unique

    path = tmp_path / "queries.jsonl"
    with QueryLog(path, key_fields=key) as log, pytest.raises(RuntimeError, match="failed"):
        run_search(make_strategy(), domain, DyingEvaluator(accuracy=accuracy, die_at=48), log=log, **options)
    with path.open("a") as handle:  # the kill also cut a line in half
        handle.write('{"subset": "full", "strategy": "x", "run": 0, "query": 48, "arch": "0')
    lines = path.read_text().splitlines()
    assert len(lines) == 48

    evaluator = TabularEvaluator(accuracy=accuracy)
    with pytest.warns(UserWarning, match="truncated"), QueryLog(path, key_fields=key) as log:
        resumed = run_search(make_strategy(), domain, evaluator, log=log, **options)
    pd.testing.assert_frame_equal(resumed, reference)
    assert evaluator.n_queries_ == 120 - 47  # the logged queries were not evaluated again
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["arch"] for r in records] == reference["arch"].tolist()
    assert [r["query"] for r in records] == list(range(1, 121))


def test_a_log_of_another_seed_is_refused(tmp_path):
    domain = toy_domain(8)
    accuracy = one_max(domain.space)
    key = {"run": 0}
    with QueryLog(tmp_path / "q.jsonl", key_fields=["run"]) as log:
        run_search(RegularizedEvolution(population_size=5, sample_size=2), domain, TabularEvaluator(accuracy=accuracy),
                   budget=20, random_state=0, log=log, key=key)
    with QueryLog(tmp_path / "q.jsonl", key_fields=["run"]) as log, pytest.raises(ValueError, match="did not ask"):
        run_search(RegularizedEvolution(population_size=5, sample_size=2), domain, TabularEvaluator(accuracy=accuracy),
                   budget=20, random_state=1, log=log, key=key)


def test_a_search_is_deterministic_for_a_seed_and_stops_when_the_sub_space_is_exhausted():
    domain = toy_domain(4, members=["0000", "0001", "0011", "0111", "1111", "1000"])
    accuracy = one_max(domain.space)
    for make_strategy in STRATEGIES:
        first = run_search(make_strategy(), domain, TabularEvaluator(accuracy=accuracy), budget=50, random_state=3)
        again = run_search(make_strategy(), domain, TabularEvaluator(accuracy=accuracy), budget=50, random_state=3)
        pd.testing.assert_frame_equal(first, again)
        assert sorted(first["arch"]) == sorted(domain.members)  # 6 queries, then nothing left to ask
        assert first["best_so_far"].is_monotonic_increasing
        assert first["best_so_far"].iloc[-1] == accuracy["1111"]
        assert first["query"].tolist() == list(range(1, 7))


def test_budget_and_workers_are_validated():
    domain = toy_domain(3)
    with pytest.raises(ValueError, match="budget"):
        run_search(RandomSearch(), domain, TabularEvaluator(accuracy=one_max(domain.space)), budget=0)
    with pytest.raises(ValueError, match="n_workers"):
        run_search(RandomSearch(), domain, TabularEvaluator(accuracy=one_max(domain.space)), budget=3, n_workers=0)
