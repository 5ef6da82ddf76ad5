"""The search loop: a strategy, an evaluator, a budget of queries, an optional log.

:func:`run_search` keeps ``n_workers`` queries in flight: it asks the strategy for
``n_workers`` architectures, submits them, and each time a result comes back (in
whatever order the evaluator finishes them) tells the strategy, logs it and asks for one
more, until ``budget`` results or until the strategy has nothing left to propose. The
sequence of asks and tells is therefore fixed by the order of the results alone, which
makes a search *resumable*: given the log of a killed search, the same strategy and seed
replay the logged results without evaluating them (every logged architecture must be one
the strategy asked for) and continue where the search stopped. With results in
submission order (a tabular evaluator, or one worker) a search is deterministic for a
given seed, and a resumed search equals an uninterrupted one.
"""

from __future__ import annotations

import math
import queue
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from cbred.search.domain import Domain
from cbred.search.evaluators import Evaluation
from cbred.search.query_log import QueryLog
from cbred.search.strategy import SearchStrategy, check_positive_int

#: Columns of the table :func:`run_search` returns.
TRACE_COLUMNS = ("query", "arch", "accuracy", "cost", "best_so_far")


def run_search(
    strategy: SearchStrategy,
    domain: Domain,
    evaluator,
    *,
    budget: int,
    random_state: Any = None,
    n_workers: int = 1,
    log: QueryLog | None = None,
    key: Mapping[str, Any] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run one search of ``budget`` queries on ``domain``, resuming from ``log``.

    Parameters
    ----------
    strategy : SearchStrategy
        Started here on ``domain`` with ``random_state``.
    domain : Domain
    evaluator : object
        ``submit(arch) -> Future`` of an :class:`~cbred.search.evaluators.Evaluation` (or of
        a float accuracy): :class:`~cbred.search.evaluators.TabularEvaluator`,
        :class:`~cbred.search.evaluators.CallableEvaluator`.
    budget : int
        Maximum number of queries (results).
    random_state : int, sequence of int or Generator, optional
    n_workers : int, default=1
        Queries in flight at once (asynchronous evaluation).
    log : QueryLog, optional
        Results already in it under ``key`` are replayed; new ones are appended.
    key : mapping, optional
        The key fields of this run in ``log`` (e.g. subset, strategy, run).
    progress : bool, default=False
        A progress bar over queries.

    Returns
    -------
    DataFrame
        One row per result in the order they came back: ``query`` (1-based), ``arch``,
        ``accuracy``, ``cost`` (NaN if unknown), ``best_so_far``.

    Raises
    ------
    ValueError
        When a logged architecture is not one the strategy asked for (a log of another
        seed, strategy or sub-space).
    """
    check_positive_int("run_search", "budget", budget)
    check_positive_int("run_search", "n_workers", n_workers)
    key = dict(key or {})
    strategy.start(domain, random_state=random_state)
    logged = log.records(key) if log is not None else []
    if len(logged) > budget:
        raise ValueError(f"{log}: {len(logged)} queries logged for {key}, more than the budget {budget}")

    rows: list[tuple[int, str, float, float]] = []
    waiting: list[str] = []  # asked, not yet submitted
    in_flight: dict[str, Any] = {}
    n_asked = 0

    def top_up() -> None:
        nonlocal n_asked
        while len(waiting) + len(in_flight) < n_workers and n_asked < budget:
            arch = strategy.ask()
            if arch is None:
                return
            n_asked += 1
            waiting.append(arch)

    def record(arch: str, evaluation: Evaluation) -> None:
        strategy.tell(arch, evaluation.accuracy)
        rows.append((len(rows) + 1, arch, evaluation.accuracy, evaluation.cost))

    top_up()
    for number, entry in enumerate(logged, start=1):
        arch = entry["arch"]
        if arch not in waiting:
            raise ValueError(
                f"{log}: query {number} of {key} is {arch!r}, which the strategy did not ask "
                f"(asked: {waiting[:3]}): the log comes from another seed, strategy or sub-space"
            )
        waiting.remove(arch)
        cost = entry.get("cost")
        record(arch, Evaluation(float(entry["accuracy"]), math.nan if cost is None else float(cost)))
        top_up()

    results: queue.SimpleQueue = queue.SimpleQueue()
    bar = tqdm(total=budget, initial=len(rows), desc="search", unit="query", disable=not progress, leave=False)

    def submit_waiting() -> None:
        while waiting:
            arch = waiting.pop(0)
            in_flight[arch] = future = evaluator.submit(arch)
            future.add_done_callback(lambda done, arch=arch: results.put((arch, done)))

    submit_waiting()
    try:
        while in_flight:
            arch, future = results.get()
            del in_flight[arch]
            try:
                outcome = future.result()
            except Exception as error:
                raise RuntimeError(f"evaluation of {arch!r} failed: {error}") from error
            evaluation = outcome if isinstance(outcome, Evaluation) else Evaluation(float(outcome))
            record(arch, evaluation)
            if log is not None:
                query, _, accuracy, cost = rows[-1]
                log.append({**key, "query": query, "arch": arch, "accuracy": accuracy, "cost": cost})
            bar.update()
            top_up()
            submit_waiting()
    finally:
        bar.close()
        for future in in_flight.values():
            future.cancel()

    trace = pd.DataFrame(rows, columns=list(TRACE_COLUMNS[:-1]))
    trace["best_so_far"] = np.maximum.accumulate(trace["accuracy"].to_numpy()) if len(trace) else []
    return trace
