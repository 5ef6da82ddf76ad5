"""Clustering of architectures under any distance, with stability selection of K and eta.

:class:`MetricKMeans` and :class:`MetricSpectral` are scikit-learn clusterers that take an
embedding (``metric="euclidean"``) or a distance matrix (``metric="precomputed"``);
:class:`MetricAgglomerative` cuts one dendrogram at any K;
:class:`StabilitySelection` chooses their parameters by resampling stability,
:class:`PredictiveSelection` by how well clusters predict their members' TF score;
:mod:`~cbred.clustering.neighbourhoods` builds k-nearest-neighbour graphs;
:class:`ClassicalMDS` gives Euclidean coordinates (and landmark coordinates) to any
distance; :func:`represent` picks what a clusterer sees (an embedding, a matrix, landmark
coordinates) from the distance's properties.
"""

from cbred.clustering.embedding import ClassicalMDS
from cbred.clustering.estimators import MetricAgglomerative, MetricKMeans, MetricSpectral
from cbred.clustering.predictive import PredictiveSelection
from cbred.clustering.representation import Representation, represent
from cbred.clustering.stability import StabilitySelection, cluster_path

__all__ = [
    "ClassicalMDS",
    "MetricAgglomerative",
    "MetricKMeans",
    "MetricSpectral",
    "PredictiveSelection",
    "Representation",
    "StabilitySelection",
    "cluster_path",
    "represent",
]
