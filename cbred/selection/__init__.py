"""Scoring clusters by their training-free statistics and choosing the sub-space.

:mod:`~cbred.selection.ranks` orients and ranks the statistics within the space,
:mod:`~cbred.selection.scores` holds the cluster score functions,
:mod:`~cbred.selection.selector` the variants (C, Q+C) and the choice of the best cluster,
:mod:`~cbred.selection.constraints` the bounds applied to the space beforehand.
"""

from cbred.selection.constraints import Constraint, apply_constraints, constraints_from_config
from cbred.selection.ranks import aggregate_rank, resolve_directions, signed_ranks
from cbred.selection.scores import dominance, enrichment, median_rank
from cbred.selection.selector import VARIANTS, ClusterSelection

__all__ = [
    "VARIANTS",
    "ClusterSelection",
    "Constraint",
    "aggregate_rank",
    "apply_constraints",
    "constraints_from_config",
    "dominance",
    "enrichment",
    "median_rank",
    "resolve_directions",
    "signed_ranks",
]
