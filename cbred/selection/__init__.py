"""Scoring training-free statistics and choosing the sub-space of a budget.

:mod:`~cbred.selection.ranks` orients and ranks the statistics within the space,
:mod:`~cbred.selection.scores` holds the cluster score functions,
:mod:`~cbred.selection.procedures` the selection procedures (clusters, neighbourhoods, and
their compositions with the TF quantile), :mod:`~cbred.selection.budget` the budget and
how an order of units fills it, :mod:`~cbred.selection.constraints` the bounds applied to
the space beforehand.
"""

from cbred.selection.budget import budget_cells, fill_budget, selection_order
from cbred.selection.constraints import Constraint, apply_constraints, constraints_from_config
from cbred.selection.procedures import (
    ClusterUnion,
    NeighbourhoodScore,
    QuantileAfter,
    QuantileFirst,
    SubspaceSelector,
    TFQuantile,
)
from cbred.selection.ranks import aggregate_rank, resolve_directions, signed_ranks
from cbred.selection.scores import dominance, enrichment, median_rank

__all__ = [
    "ClusterUnion",
    "Constraint",
    "NeighbourhoodScore",
    "QuantileAfter",
    "QuantileFirst",
    "SubspaceSelector",
    "TFQuantile",
    "aggregate_rank",
    "apply_constraints",
    "budget_cells",
    "constraints_from_config",
    "dominance",
    "enrichment",
    "fill_budget",
    "median_rank",
    "resolve_directions",
    "selection_order",
    "signed_ranks",
]
