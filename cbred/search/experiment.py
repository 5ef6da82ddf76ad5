"""Many searches per strategy and sub-space, and the comparison of the sub-spaces.

:func:`repeat_search` runs one strategy ``n_runs`` times on one sub-space (run ``r``
seeded with ``(seed, r)``: every strategy and sub-space sees the same seeds);
:func:`compare_subsets` turns the long table of all runs into the metrics that decide
whether a reduction speeds search up: queries to the full space's top 1 % / 0.1 % with
bootstrap intervals, best accuracy at fixed budgets, and the speed-up of every sub-space
over the full space.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from cbred.search.analysis import CHECKPOINTS, anytime_curves, bootstrap_speedup, queries_to_reach, summarize_runs
from cbred.search.domain import Domain
from cbred.search.loop import run_search
from cbred.search.query_log import QueryLog
from cbred.search.strategy import SearchStrategy

#: Columns of the long table of :func:`repeat_search` (plus the caller's key columns).
RUN_COLUMNS = ("run", "query", "arch", "accuracy", "cost", "best_so_far")


def repeat_search(
    strategy: SearchStrategy,
    domain: Domain,
    make_evaluator: Callable[[], Any],
    *,
    n_runs: int,
    budget: int,
    seed: int = 0,
    n_workers: int = 1,
    log: QueryLog | None = None,
    key: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """``n_runs`` independent searches of ``budget`` queries, as one long table.

    Parameters
    ----------
    strategy : SearchStrategy
        Restarted for every run.
    domain : Domain
    make_evaluator : callable
        Returns a fresh evaluator per run (so that its query count is the run's).
    n_runs, budget : int
    seed : int
        Run ``r`` uses ``random_state=(seed, r)``.
    n_workers : int
    log : QueryLog, optional
        Key fields ``(*key, "run")``; logged runs are replayed, not re-evaluated.
    key : mapping, optional
        Columns added to every row and to the log's key (e.g. subset and strategy).
    progress : bool
        A progress bar over runs.

    Returns
    -------
    DataFrame
        ``*key`` columns, then ``run``, ``query``, ``arch``, ``accuracy``, ``cost``,
        ``best_so_far``.
    """
    key = dict(key or {})
    label = "/".join(str(v) for v in key.values()) or type(strategy).__name__
    traces = []
    for run in tqdm(range(n_runs), desc=label, unit="run", disable=not progress, leave=False):
        trace = run_search(
            strategy, domain, make_evaluator(), budget=budget, random_state=(seed, run),
            n_workers=n_workers, log=log, key={**key, "run": run},
        )
        traces.append(trace.assign(run=run))
    table = pd.concat(traces, ignore_index=True)
    for name, value in reversed(list(key.items())):
        table.insert(0, name, value)
    return table[[*key, *RUN_COLUMNS]]


def curves_of(table: pd.DataFrame, budget: int) -> np.ndarray:
    """Anytime curves ``(n_runs, budget)`` of the runs of one strategy and sub-space."""
    return anytime_curves([group["best_so_far"].to_numpy() for _, group in table.groupby("run", sort=True)], budget)


def compare_subsets(
    table: pd.DataFrame,
    thresholds: Mapping[str, float],
    *,
    budget: int,
    baseline: str = "full",
    checkpoints: Sequence[int] = CHECKPOINTS,
    n_boot: int = 2000,
    random_state: int = 0,
) -> tuple[dict[str, float], dict[str, dict[str, np.ndarray]]]:
    """Metrics of every (sub-space, strategy) and speed-ups over the ``baseline`` sub-space.

    Parameters
    ----------
    table : DataFrame
        Columns ``subset``, ``strategy`` and :data:`RUN_COLUMNS`.
    thresholds : mapping of str to float
        Target accuracy by name (:func:`~cbred.search.analysis.target_thresholds`).
    budget : int
    baseline : str
        The sub-space speed-ups are measured against.

    Returns
    -------
    metrics : dict
        ``<subset>/<strategy>/<metric>`` for the metrics of
        :func:`~cbred.search.analysis.summarize_runs`, and, for every other sub-space with
        runs of the same strategy in ``baseline``, ``speedup/<subset>/<strategy>/<target>``
        (median queries in ``baseline`` / in the sub-space) with ``_low`` / ``_high``.
    curves : dict
        strategy -> subset -> anytime curves, for :func:`~cbred.search.plot.plot_anytime`.
    """
    metrics: dict[str, float] = {}
    curves: dict[str, dict[str, np.ndarray]] = {}
    for (subset, strategy), group in table.groupby(["subset", "strategy"], sort=False):
        matrix = curves.setdefault(strategy, {})[subset] = curves_of(group, budget)
        summary = summarize_runs(matrix, thresholds, checkpoints=checkpoints, n_boot=n_boot, random_state=random_state)
        metrics.update({f"{subset}/{strategy}/{name}": value for name, value in summary.items()})
    for strategy, by_subset in curves.items():
        if baseline not in by_subset:
            continue
        for subset, matrix in by_subset.items():
            if subset == baseline:
                continue
            for name, threshold in thresholds.items():
                ratio, low, high = bootstrap_speedup(
                    queries_to_reach(by_subset[baseline], threshold), queries_to_reach(matrix, threshold),
                    n_boot=n_boot, random_state=random_state,
                )
                prefix = f"speedup/{subset}/{strategy}/{name}"
                metrics.update({prefix: ratio, f"{prefix}_low": low, f"{prefix}_high": high})
    return metrics, curves
