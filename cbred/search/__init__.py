"""Search inside a (reduced) space: strategies, evaluators, the loop and its analysis.

Strategies propose architectures through one ask/tell interface
(:class:`~cbred.search.strategy.SearchStrategy`): :class:`RandomSearch`,
:class:`RegularizedEvolution` (REA) and :class:`LocalSearch`, each over a
:class:`SearchDomain` (a sub-space inside the architectures the oracle answers).
Evaluators answer queries: :class:`TabularEvaluator` (a benchmark table, with query count
and simulated training time) and :class:`CallableEvaluator` (a user function, inline or
over any concurrent.futures-style executor). :func:`run_search` drives one search and
resumes it from its :class:`QueryLog`; :mod:`cbred.search.analysis` turns many runs into
anytime curves, queries-to-target medians and bootstrap intervals.
"""

from cbred.search.domain import SearchDomain
from cbred.search.evaluators import CallableEvaluator, Evaluation, TabularEvaluator
from cbred.search.evolution import RegularizedEvolution
from cbred.search.local_search import LocalSearch
from cbred.search.loop import run_search
from cbred.search.query_log import QueryLog
from cbred.search.random_search import RandomSearch
from cbred.search.strategy import SearchStrategy

__all__ = [
    "CallableEvaluator",
    "Evaluation",
    "LocalSearch",
    "QueryLog",
    "RandomSearch",
    "RegularizedEvolution",
    "SearchDomain",
    "SearchStrategy",
    "TabularEvaluator",
    "run_search",
]
