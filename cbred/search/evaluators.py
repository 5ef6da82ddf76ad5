"""Evaluators: what answers a strategy's query with an accuracy.

Every evaluator has ``submit(arch) -> Future`` whose result is an :class:`Evaluation`;
the search loop waits on the futures through ``add_done_callback``, the protocol of
:class:`concurrent.futures.Future`, so any executor that returns such futures works
(:class:`~concurrent.futures.ThreadPoolExecutor`, :class:`~concurrent.futures.ProcessPoolExecutor`,
joblib/loky's ``get_reusable_executor()``, ``dask.distributed.Client.get_executor()``,
mpi4py's ``MPIPoolExecutor``, ...; :mod:`cbred.search.cluster` makes a Dask cluster's from a config).

* :class:`TabularEvaluator`: a benchmark table is the oracle; answers at once, counts the
  queries and adds up the simulated training time where the table has one.
* :class:`CallableEvaluator`: a user function (e.g. train a network and return its
  accuracy), run inline or over an executor's workers; its wall time is the cost.
"""

from __future__ import annotations

import math
import pkgutil
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Evaluation:
    """The answer to one query: accuracy and cost (seconds of training; NaN if unknown)."""

    accuracy: float
    cost: float = math.nan


def call_now(function: Callable[..., Any], *args: Any) -> Future:
    """A future that already holds ``function(*args)``, or the exception it raised."""
    future: Future = Future()
    try:
        future.set_result(function(*args))
    except Exception as error:  # delivered through the future, as an executor would
        future.set_exception(error)
    return future


class TabularEvaluator:
    """A benchmark table as the accuracy oracle.

    Parameters
    ----------
    accuracy : Series of float
        Accuracy by architecture id.
    cost : Series of float, optional
        Simulated training time by architecture id (e.g. NB101's ``train_time_s``); the
        cost of a query is NaN without it.

    Attributes
    ----------
    n_queries_ : int
        Queries answered so far.
    total_cost_ : float
        Sum of the costs of those queries (0 without a cost table).
    """

    def __init__(self, *, accuracy: pd.Series, cost: pd.Series | None = None) -> None:
        self.accuracy = accuracy
        self.cost = cost
        self.n_queries_ = 0
        self.total_cost_ = 0.0

    def evaluate(self, arch: str) -> Evaluation:
        """Look up ``arch``; ``KeyError`` naming it when the table has no accuracy for it."""
        try:
            accuracy = float(self.accuracy.at[arch])
        except KeyError:
            raise KeyError(
                f"TabularEvaluator: no accuracy for {arch!r} (the table has "
                f"{len(self.accuracy)} architectures)"
            ) from None
        if math.isnan(accuracy):
            raise KeyError(f"TabularEvaluator: the accuracy of {arch!r} is NaN in the table")
        cost = math.nan if self.cost is None else float(self.cost.get(arch, math.nan))
        self.n_queries_ += 1
        if not math.isnan(cost):
            self.total_cost_ += cost
        return Evaluation(accuracy, cost)

    def submit(self, arch: str) -> Future:
        """:meth:`evaluate` as an already completed future."""
        return call_now(self.evaluate, arch)

    def __repr__(self) -> str:
        return f"TabularEvaluator({len(self.accuracy)} architectures, cost={'yes' if self.cost is not None else 'no'})"


def timed_call(function: Callable[[str], float], arch: str) -> Evaluation:
    """``function(arch)`` as an :class:`Evaluation` whose cost is its wall time (picklable)."""
    start = time.perf_counter()
    accuracy = float(function(arch))
    return Evaluation(accuracy, time.perf_counter() - start)


class CallableEvaluator:
    """A user-supplied function as the oracle, optionally over parallel workers.

    Parameters
    ----------
    function : callable
        ``function(arch: str) -> float``, the accuracy of one architecture (train it,
        query a surrogate, ...). With a process pool it must be picklable.
    executor : concurrent.futures-style executor, optional
        Anything with ``submit(fn, *args)`` returning a future with ``add_done_callback``
        and ``result``; None evaluates in the calling thread.

    Attributes
    ----------
    n_queries_ : int
        Queries submitted so far.
    """

    def __init__(self, *, function: Callable[[str], float], executor: Any = None) -> None:
        self.function = function
        self.executor = executor
        self.n_queries_ = 0

    def submit(self, arch: str) -> Future:
        if not callable(self.function):
            raise TypeError(f"CallableEvaluator: function must be callable, got {type(self.function).__name__}")
        self.n_queries_ += 1
        if self.executor is None:
            return call_now(timed_call, self.function, arch)
        return self.executor.submit(timed_call, self.function, arch)

    def __repr__(self) -> str:
        return f"CallableEvaluator({getattr(self.function, '__name__', self.function)!r}, executor={type(self.executor).__name__})"


def load_function(spec: str) -> Callable[[str], float]:
    """The function a dotted path ``"package.module:function"`` names (``search.evaluator``).

    Resolved by :func:`pkgutil.resolve_name`; ``function`` may be an attribute path
    (``module:Class.method``).

    Raises
    ------
    ValueError
        ``spec`` is not ``module:function``, its module cannot be imported, it has no such
        attribute, or the attribute is not callable (each naming ``spec``).
    """
    module_name, colon, attribute = str(spec).partition(":")
    if not colon or not module_name or not attribute:
        raise ValueError(f"evaluator {spec!r}: expected 'package.module:function', e.g. cbred.search.standin:train")
    try:
        found = pkgutil.resolve_name(str(spec))
    except (ImportError, AttributeError, ValueError) as error:
        raise ValueError(f"evaluator {spec!r}: {error}") from None
    if not callable(found):
        raise ValueError(f"evaluator {spec!r}: {attribute!r} is a {type(found).__name__}, not a function")
    return found
