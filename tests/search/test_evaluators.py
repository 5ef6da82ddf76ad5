"""Evaluators: the tabular oracle's counting, a user callable over a thread pool."""

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from cbred.search import CallableEvaluator, Evaluation, RegularizedEvolution, TabularEvaluator, run_search
from tests.search.toy import one_max, toy_domain


def test_tabular_evaluator_counts_queries_and_adds_up_simulated_training_time():
    accuracy = pd.Series([90.0, 91.5, np.nan], index=["a", "b", "c"])
    cost = pd.Series([100.0, 250.0], index=["a", "b"])
    evaluator = TabularEvaluator(accuracy=accuracy, cost=cost)
    assert evaluator.evaluate("a") == Evaluation(90.0, 100.0)
    assert evaluator.submit("b").result() == Evaluation(91.5, 250.0)
    assert evaluator.evaluate("a").accuracy == 90.0
    assert evaluator.n_queries_ == 3 and evaluator.total_cost_ == 450.0
    with pytest.raises(KeyError, match="'zzz'"):
        evaluator.evaluate("zzz")
    with pytest.raises(KeyError, match="NaN"):
        evaluator.evaluate("c")
    assert evaluator.n_queries_ == 3  # failed look-ups are not queries
    without_cost = TabularEvaluator(accuracy=accuracy)
    assert math.isnan(without_cost.evaluate("a").cost) and without_cost.total_cost_ == 0.0


def test_tabular_evaluator_counts_every_query_of_a_search():
    domain = toy_domain(7)
    evaluator = TabularEvaluator(accuracy=one_max(domain.space), cost=pd.Series(2.0, index=domain.members))
    trace = run_search(RegularizedEvolution(population_size=8, sample_size=3), domain, evaluator, budget=60,
                       random_state=0)
    assert evaluator.n_queries_ == len(trace) == 60
    assert evaluator.total_cost_ == 120.0 and (trace["cost"] == 2.0).all()


class SlowOneMax:
    """A 'training' function: sleeps a random while, records how many run at once."""

    def __init__(self, accuracy):
        self.accuracy = accuracy
        self.lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0

    def __call__(self, arch):
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(0.002 + 0.008 * (hash(arch) % 7) / 7)
        with self.lock:
            self.running -= 1
        return self.accuracy[arch]


def test_callable_evaluator_runs_asynchronously_over_a_thread_pool():
    domain = toy_domain(8)
    accuracy = one_max(domain.space)
    train = SlowOneMax(accuracy)
    with ThreadPoolExecutor(max_workers=4) as pool:
        evaluator = CallableEvaluator(function=train, executor=pool)
        trace = run_search(RegularizedEvolution(population_size=8, sample_size=3), domain, evaluator,
                           budget=60, random_state=0, n_workers=4)
    assert len(trace) == 60 and trace["arch"].is_unique and evaluator.n_queries_ == 60
    assert (trace["accuracy"].to_numpy() == accuracy[trace["arch"]].to_numpy()).all()
    assert set(trace["arch"]) <= set(domain.members)
    assert train.most_at_once > 1  # several trainings in flight at once
    assert (trace["cost"] > 0.001).all()  # the wall time of each call


def test_callable_evaluator_inline_and_its_errors():
    evaluator = CallableEvaluator(function=len)
    assert evaluator.submit("abc").result().accuracy == 3.0
    domain = toy_domain(3)

    def broken(arch):
        raise OSError("GPU on fire")

    with pytest.raises(RuntimeError, match="GPU on fire"):
        run_search(RegularizedEvolution(population_size=2, sample_size=1), domain,
                   CallableEvaluator(function=broken), budget=3)
