"""The end-of-run verdict: the table, the plain sentences, the warnings about the run."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cbred.evaluation import Evaluation
from cbred.verdict import Verdict, grid_edges, losses, trivial_splits, verdict, verdict_table


def _reduction(selected_mean=93.0, quantiled_mean=92.0, stability=None, best_params=None, excluded=None,
               evaluated=True, labels=None, n_clusters=0):
    archs = pd.Index([f"a{i}" for i in range(100)], name="arch")
    subsets = {"full": archs, "selected": archs[:10], "quantiled": archs[10:20], "random": archs[50:60]}
    summary = pd.DataFrame({
        "acc_mean": [88.0, selected_mean, quantiled_mean, 89.0],
        "best_of_5": [93.0, 93.9, 94.1, 92.9], "best_of_10": [94.0, 94.3, 94.3, 94.0],
        "top1pct_recall": [1.0, 0.1, 0.05, 0.0],
    }, index=pd.Index(["full", "selected", "quantiled", "random"], name="subset"))
    evaluation = Evaluation(summary, pd.DataFrame(), float("nan"), metric="test_acc", budgets=(5, 10))
    labels = labels if labels is not None else pd.Series(-1, index=archs)
    return SimpleNamespace(
        subsets=subsets, archs=archs, selected=subsets["selected"], evaluation=evaluation if evaluated else None,
        stability=stability if stability is not None else pd.DataFrame(), best_params=best_params or {},
        n_clusters=n_clusters, labels=labels, selected_cluster=0 if n_clusters else -1,
        excluded=excluded or {"constraints": 0, "nan_statistics": 0})


def test_table_holds_the_four_subspaces_and_the_measures():
    table = verdict_table(_reduction())
    assert list(table.index) == ["full", "selected", "quantiled", "random"]
    assert list(table.columns) == ["size", "mean", "best-of-5", "best-of-10", "top-1% recall"]
    assert table["size"].tolist() == [100, 10, 10, 10]
    assert table.at["selected", "mean"] == 93.0


def test_a_baseline_that_beats_the_selection_is_said_in_words():
    outcome = verdict(_reduction(selected_mean=91.5))
    assert outcome.sentences == [
        "Quantiled beats the selection on mean (92.00 vs 91.50) and best-of-5 (94.10 vs 93.90)."]
    text = str(outcome)
    assert "mean test_acc" in text.splitlines()[0] and "Quantiled beats" in text


def test_full_space_is_not_judged_on_recall_and_a_clean_win_says_so():
    table = verdict_table(_reduction())
    table.loc["quantiled", "best-of-5"] = 93.0
    assert losses(table) == ["The selection matches or beats Quantiled, random and the full space on every measure."]


def test_edge_of_grid_and_no_benchmark():
    loo = pd.DataFrame({"n_neighbors": [5, 10, 20, 40, 80], "loo_mse": [5, 4, 3, 2, 1]})
    outcome = verdict(_reduction(stability=loo, best_params={"n_neighbors": 80}, evaluated=False))
    assert list(outcome.table.columns) == ["size"]
    assert any("n_neighbors=80 is the largest value of its grid (5-80)" in w for w in outcome.warnings)
    assert any("No accuracy table" in s for s in outcome.sentences)
    assert grid_edges(loo, {"n_neighbors": 20}) == []
    assert grid_edges(pd.DataFrame({"eta": [0.5, 1.0]}), {"eta": 1.0}) == []  # two values: not judged


def test_trivial_split_by_one_operation():
    rng = np.random.default_rng(0)
    archs = pd.Index([f"a{i}" for i in range(100)])
    ops = pd.DataFrame({"conv": rng.integers(0, 3, 100), "pool": rng.integers(1, 3, 100)}, index=archs)
    without_conv = archs[(ops["conv"] == 0).to_numpy()]
    assert trivial_splits(without_conv, ops) == ["the cells without conv (Jaccard 1.00)"]
    assert trivial_splits(archs[:10], ops) == []
    reduction = _reduction()
    reduction.selected = reduction.subsets["selected"] = pd.Index(without_conv)
    outcome = verdict(reduction, op_counts=ops)
    assert any("the selection is a trivial split: almost exactly the cells without conv" in w
               for w in outcome.warnings)


def test_constraints_are_reported_against_the_whole_space():
    reduction = _reduction(excluded={"constraints": 60, "nan_statistics": 0})
    outcome = verdict(reduction, constraint_removals={"edgegpu_latency <= 4": 60})
    (note,) = outcome.warnings
    assert "removed 60 of the 160 architectures of the space (37.5%)" in note
    assert "edgegpu_latency <= 4 removes 60 (37.5%)" in note
    assert "10.00% of the constrained space and 6.25% of the whole space" in note
    assert isinstance(outcome, Verdict)


def test_partial_accuracy_coverage_and_fractional_accuracies_are_shown():
    from cbred.verdict import _render

    summary = pd.DataFrame(
        {"acc_mean": [0.9012345, 0.93456], "size": [4236.0, 4236.0], "n_evaluated": [200.0, 4236.0]},
        index=["selected", "quantiled"],
    )
    reduction = SimpleNamespace(subsets={"full": range(5000), "selected": range(4236), "quantiled": range(4236),
                                         "random": range(4236)},
                                evaluation=SimpleNamespace(summary=summary, budgets=()))
    table = verdict_table(reduction)
    assert table.loc["selected", "evaluated"] == 200 and table.columns[:2].tolist() == ["size", "evaluated"]
    text = _render(table.dropna(how="all", subset=["mean"]), "val_acc_108")
    assert "0.9012" in text and "0.9346" in text and "200" in text


def test_a_loss_smaller_than_the_shown_decimals_is_written_with_the_digits_that_show_it():
    table = pd.DataFrame(
        {"size": [100, 10, 10, 10], "evaluated": [100, 5, 10, 10], "mean": [0.91, 0.93, 0.92, 0.91],
         "best-of-100": [0.94, 0.947812, 0.947831, 0.94]},
        index=["full", "selected", "quantiled", "random"],
    )
    (sentence,) = losses(table)
    assert sentence == "Quantiled beats the selection on best-of-100 (0.94783 vs 0.94781)."  # never on `evaluated`


def test_a_selection_that_is_quantiled_is_said_so():
    reduction = _reduction()
    assert not [w for w in verdict(reduction).warnings if "the same cells" in w]
    reduction.subsets["quantiled"] = reduction.archs[1:11]  # 9 of the 10 selected cells: 90 %, said nothing
    assert not [w for w in verdict(reduction).warnings if "the same cells" in w]
    reduction.subsets["quantiled"] = reduction.archs[:10]
    notes = [w for w in verdict(reduction).warnings if "the same cells" in w]
    assert notes == ["the selection is 100% the same cells as Quantiled (10 of 10): a comparison with it says "
                     "little (e.g. variant=cq at a large budget keeps the best cells by TF rank, which is Quantiled)"]


def test_a_best_of_n_of_fewer_than_n_evaluated_cells_is_not_compared():
    reduction = _reduction()
    reduction.evaluation.summary["n_evaluated"] = [100.0, 4.0, 10.0, 7.0]  # a sparse accuracy table
    outcome = verdict(reduction)
    assert outcome.table["best-of-5"].isna().tolist() == [False, True, False, False]
    assert outcome.table["best-of-10"].isna().tolist() == [False, True, False, True]
    assert not any("best-of" in sentence for sentence in outcome.sentences)  # no comparison made of them
    assert [w for w in outcome.warnings if "best-of" in w] == [
        "best-of-5 is left out for the selection: fewer than 5 cells with accuracy (4), so its best is the best "
        "of all of them, not of 5",
        "best-of-10 is left out for the selection and random: fewer than 10 cells with accuracy (4, 7), so their "
        "best is the best of all of them, not of 10",
    ]
