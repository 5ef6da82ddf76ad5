import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau

from cbred.evaluation import (
    best_of_n_cdf,
    best_of_n_pmf,
    best_of_n_summary,
    edf,
    evaluate,
    expected_best_of_n,
    top_set,
)

VALUES = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0])  # ties included


@pytest.mark.parametrize("n", range(1, 10))
def test_exact_best_of_n_equals_the_enumerated_expectation(n):
    subsets = list(itertools.combinations(VALUES, n))
    enumerated = np.mean([max(s) for s in subsets])
    assert expected_best_of_n(VALUES, n) == pytest.approx(enumerated, rel=1e-12)
    # and the whole distribution
    support, pmf = best_of_n_pmf(VALUES, n)
    for value in np.unique(VALUES):
        share = np.mean([max(s) == value for s in subsets])
        assert pmf[support == value].sum() == pytest.approx(share, abs=1e-12)


def test_best_of_n_edge_cases_and_a_simulation_on_a_larger_set():
    assert expected_best_of_n(VALUES, 1) == pytest.approx(VALUES.mean())
    assert expected_best_of_n(VALUES, 50) == 9.0  # budget beyond the set: everything is evaluated
    support, cdf = best_of_n_cdf(VALUES, 3)
    assert cdf[-1] == pytest.approx(1.0) and (np.diff(cdf) >= 0).all() and cdf[1] == 0.0
    rng = np.random.default_rng(0)
    values = rng.normal(90, 3, 500)
    draws = [values[rng.choice(500, 10, replace=False)].max() for _ in range(20000)]
    assert expected_best_of_n(values, 10) == pytest.approx(np.mean(draws), abs=0.03)
    # without replacement differs from the with-replacement formula on a small set
    with_replacement = sum(v * ((i + 1) ** 3 - i**3) / 9**3 for i, v in enumerate(np.sort(VALUES)))
    assert expected_best_of_n(VALUES, 3) > with_replacement
    with pytest.raises(ValueError, match="empty"):
        expected_best_of_n([], 3)


def test_best_of_n_summary_quantiles():
    summary = best_of_n_summary(VALUES, 2)
    support, pmf = best_of_n_pmf(VALUES, 2)
    assert summary["best_of_2"] == pytest.approx(support @ pmf)
    assert summary["best_of_2_std"] == pytest.approx(math.sqrt(((support - summary["best_of_2"]) ** 2) @ pmf))
    # P(best <= 5) = C(7, 2) / C(9, 2) = 21 / 36 >= 0.5, P(best <= 4) = C(5,2)/36 < 0.5
    assert summary["best_of_2_q50"] == 5.0
    assert summary["best_of_2_q95"] == 9.0


def test_top_set_edf():
    acc = pd.Series([1.0, 5.0, 3.0, 5.0, 2.0], index=list("abcde"))
    assert sorted(top_set(acc, 0.2)) == ["b", "d"]  # ceil(0.2 * 5) = 1, its tie kept
    assert sorted(top_set(acc, 0.6)) == ["b", "c", "d"]
    np.testing.assert_allclose(edf([1, 2, 2, 4], [0, 1, 2, 3, 4]), [0, 0.25, 0.75, 0.75, 1.0])


def test_evaluate_subsets_clusters_and_tau():
    rng = np.random.default_rng(1)
    ids = pd.Index([f"a{i}" for i in range(300)], name="arch")
    labels = pd.Series(np.repeat([0, 1, 2], 100), index=ids)
    accuracy = pd.Series(rng.normal(0, 1, 300) + labels.to_numpy() * 2.0, index=ids, name="test_acc")
    accuracy.iloc[5] = np.nan
    scores = pd.Series({0: 0.1, 1: 0.7, 2: 0.5})
    subsets = {"full": ids, "selected": ids[labels == 2], "quantiled": accuracy.nlargest(100).index,
               "random": ids[rng.choice(300, 100, replace=False)]}
    with pytest.warns(UserWarning, match="1 architectures have no accuracy"):
        result = evaluate(accuracy, subsets, labels, scores, budgets=(10,), edf_points=50)
    summary = result.summary
    assert list(summary.index) == ["full", "selected", "quantiled", "random", "cluster_0", "cluster_1", "cluster_2"]
    assert summary.at["full", "size"] == 300 and summary.at["full", "n_evaluated"] == 299  # one has no accuracy
    assert summary.at["selected", "size"] == summary.at["selected", "n_evaluated"] == 100
    assert summary.at["selected", "acc_mean"] == pytest.approx(accuracy[labels == 2].mean())
    top1 = top_set(accuracy.dropna(), 0.01)
    assert summary.at["selected", "top1pct_recall"] == pytest.approx(subsets["selected"].isin(top1).sum() / len(top1))
    assert summary.at["full", "top5pct_recall"] == 1.0
    assert summary.at["cluster_1", "best_of_10"] == pytest.approx(
        expected_best_of_n(accuracy[labels == 1].dropna(), 10)
    )
    means = accuracy.groupby(labels).mean()
    assert result.cluster_rank_tau == pytest.approx(kendalltau(scores, means).statistic)
    assert result.edf.shape == (50, 4) and (result.edf.iloc[-1] == 1.0).all()
    metrics = result.metrics()
    for key in ("full/acc_mean", "selected/acc_mean", "selected/acc_std", "full/best_of_10", "selected/best_of_10",
                "quantiled/best_of_10", "random/best_of_10", "selected/top1pct_recall", "cluster_rank_tau"):
        assert key in metrics
    assert not any(key.startswith("cluster_0") for key in metrics)


@pytest.mark.parametrize("budgets", [[10.5], [0], [], [True], "10"])
def test_budgets_are_checked_before_any_work(budgets):
    from cbred.evaluation import check_budgets, evaluate

    with pytest.raises(ValueError, match="budgets"):
        check_budgets(budgets)
    accuracy = pd.Series([1.0, 2.0], index=["a", "b"])
    with pytest.raises(ValueError, match="budgets"):
        evaluate(accuracy, {"full": accuracy.index}, pd.Series([0, 0], index=["a", "b"]),
                 pd.Series([1.0]), budgets=budgets)
    assert check_budgets([10, 100]) == (10, 100)


def test_a_table_that_covers_none_of_the_selection_is_an_error():
    accuracy = pd.Series([90.0, 91.0, np.nan, np.nan], index=list("abcd"))
    subsets = {"full": pd.Index(list("abcd")), "selected": pd.Index(["c", "d"])}
    with pytest.raises(ValueError, match="covers none of the 2 architectures of the 'selected' sub-space"):
        evaluate(accuracy, subsets, pd.Series(-1, index=list("abcd")), pd.Series(dtype=float))
