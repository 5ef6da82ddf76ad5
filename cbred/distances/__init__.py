"""Distances between computational graphs (step 2 of C-BRED).

Every distance is a :class:`Distance` (``pairwise`` -> float32 matrix through the
chunked, cached engine of :mod:`cbred.distances.pairwise`; ``embed`` for the Euclidean
ones). Built-in distances, by name (:func:`make_distance`) and config
(``configs/distance/<name>.yaml``):

``hellinger``, ``jensen_shannon``, ``sym_kl``
    Probabilistic distances between operation-usage distributions
    (:mod:`cbred.distances.probabilistic`, feature maps in :mod:`cbred.distances.features`).
``transformation``
    Graph edit distance, isomorphism-invariant (:mod:`cbred.distances.transformation`).
``transformation_edge``
    NB201 per-edge substitution distance on cell codes (:mod:`cbred.distances.edge_substitution`).
"""

from cbred.distances.base import Distance, distance_names, make_distance
from cbred.distances.edge_substitution import EdgeSubstitutionDistance
from cbred.distances.features import FEATURE_MAPS, FeatureMap, make_feature_map
from cbred.distances.probabilistic import (
    Hellinger,
    JensenShannon,
    ProbabilisticDistance,
    SymmetricKL,
)
from cbred.distances.transformation import GraphEditDistance, bipartite_ged, exact_ged

__all__ = [
    "FEATURE_MAPS",
    "Distance",
    "EdgeSubstitutionDistance",
    "FeatureMap",
    "GraphEditDistance",
    "Hellinger",
    "JensenShannon",
    "ProbabilisticDistance",
    "SymmetricKL",
    "bipartite_ged",
    "distance_names",
    "exact_ged",
    "make_distance",
    "make_feature_map",
]
