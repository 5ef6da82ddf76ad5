"""Many searches per strategy and sub-space: the long table of runs and the comparison of sub-spaces."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from cbred.search import QueryLog, RandomSearch, TabularEvaluator, run_search
from cbred.search.analysis import summarize_runs
from cbred.search.experiment import RUN_COLUMNS, compare_subsets, curves_of, repeat_search
from tests.search.toy import one_max, toy_domain


def test_summary_and_comparison_keys():
    rows = []
    for subset, offset in (("full", 0.0), ("reduced", 1.0)):
        for run in range(5):
            for query in range(1, 11):
                best = min(offset + query, 10.0)
                rows.append(("rea", subset, run, query, "x", best, np.nan, best))
    table = pd.DataFrame(rows, columns=["strategy", "subset", "run", "query", "arch", "accuracy", "cost", "best_so_far"])
    metrics, curves = compare_subsets(table, {"top1pct": 5.0, "top01pct": 10.0}, budget=10, checkpoints=(10, 50))
    assert metrics["full/rea/queries_to_top1pct_median"] == 5 and metrics["reduced/rea/queries_to_top1pct_median"] == 4
    assert metrics["speedup/reduced/rea/top1pct"] == pytest.approx(5 / 4)
    assert metrics["full/rea/best_at_10"] == 10.0 and "full/rea/best_at_50" not in metrics
    assert metrics["full/rea/queries_to_top01pct_reached"] == 1.0
    assert set(curves) == {"rea"} and curves["rea"]["full"].shape == (5, 10)
    summary = summarize_runs(np.ones((3, 5)), {"top1pct": 2.0})
    assert math.isinf(summary["queries_to_top1pct_median"]) and summary["queries_to_top1pct_reached"] == 0.0
    json.dumps({k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in summary.items()},
               allow_nan=False)


def test_repeat_search_seeds_run_r_with_seed_r_and_replays_a_logged_run(tmp_path):
    domain = toy_domain(5)
    accuracy = one_max(domain.space)
    evaluators = []

    def make_evaluator():
        evaluators.append(TabularEvaluator(accuracy=accuracy))
        return evaluators[-1]

    key = {"subset": "full", "strategy": "random"}
    with QueryLog(tmp_path / "log.jsonl", key_fields=[*key, "run"]) as log:
        table = repeat_search(RandomSearch(), domain, make_evaluator, n_runs=3, budget=4, seed=7, log=log, key=key,
                              progress=False)
    assert list(table.columns) == ["subset", "strategy", *RUN_COLUMNS] and len(table) == 12
    assert (table["subset"] == "full").all() and table["run"].tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert [e.n_queries_ for e in evaluators] == [4, 4, 4]  # a fresh evaluator per run
    for run in range(3):
        alone = run_search(RandomSearch(), domain, TabularEvaluator(accuracy=accuracy), budget=4, random_state=(7, run))
        assert table.loc[table["run"] == run, "arch"].tolist() == alone["arch"].tolist()
    np.testing.assert_array_equal(curves_of(table, 4), table["best_so_far"].to_numpy().reshape(3, 4))
    # the same runs again from the log: nothing evaluated, the same table
    with QueryLog(tmp_path / "log.jsonl", key_fields=[*key, "run"]) as log:
        again = repeat_search(RandomSearch(), domain, make_evaluator, n_runs=3, budget=4, seed=7, log=log, key=key,
                              progress=False)
    assert [e.n_queries_ for e in evaluators[3:]] == [0, 0, 0]
    pd.testing.assert_frame_equal(again, table)
