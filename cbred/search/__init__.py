"""Search inside a (reduced) space: strategies, evaluators, the loop and its analysis.

Strategies propose architectures through one ask/tell interface
(:class:`~cbred.search.strategy.SearchStrategy`): :class:`RandomSearch`,
:class:`RegularizedEvolution` (REA) and :class:`LocalSearch`, each over a
:class:`SearchDomain` (a listed sub-space inside the architectures the oracle answers) or
a :class:`SampledDomain` (a sub-space known by membership, e.g. a reduction's region of a
space too large to list, inside the whole space).
Evaluators answer queries: :class:`TabularEvaluator` (a benchmark table, with query count
and simulated training time) and :class:`CallableEvaluator` (a user function, inline or
over any concurrent.futures-style executor; :mod:`cbred.search.standin` is a stand-in
training function for demos and tests). :func:`run_search` drives one search and
resumes it from its :class:`QueryLog`; :mod:`cbred.search.analysis` turns many runs into
anytime curves, queries-to-target medians and bootstrap intervals.
"""

from cbred.search.domain import Domain, SampledDomain, SearchDomain
from cbred.search.evaluators import CallableEvaluator, Evaluation, TabularEvaluator
from cbred.search.evolution import RegularizedEvolution
from cbred.search.local_search import LocalSearch
from cbred.search.loop import run_search
from cbred.search.query_log import QueryLog
from cbred.search.random_search import RandomSearch
from cbred.search.strategy import SearchStrategy

__all__ = [
    "CallableEvaluator",
    "Domain",
    "Evaluation",
    "LocalSearch",
    "QueryLog",
    "RandomSearch",
    "RegularizedEvolution",
    "SampledDomain",
    "SearchDomain",
    "SearchStrategy",
    "TabularEvaluator",
    "run_search",
]
