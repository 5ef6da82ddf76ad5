"""The figures of a :class:`~cbred.pipeline.Reduction`: its fields mapped onto
:func:`~cbred.viz.figures.save_reduction_figures`' plain inputs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from cbred.spaces.space import SearchSpace
from cbred.selection import resolve_directions
from cbred.viz.embedding import MAX_POINTS
from cbred.viz.figures import save_reduction_figures
from cbred.viz.style import REST_GROUP, SELECTED_GROUP


def save_figures_of(
    reduction,
    space: SearchSpace,
    outdir: str | os.PathLike,
    *,
    accuracy: pd.Series | None = None,
    accuracy_name: str | None = None,
    directions: Mapping[str, int] | None = None,
    agreement: str = "ari",
    layout: str | None = None,
    max_points: int = MAX_POINTS,
    random_state: int = 0,
) -> dict[str, Path]:
    """Write every figure of ``reduction`` into ``outdir`` (see ``save_reduction_figures``).

    The scatterplots lay out the distance's own view of the clustered units (its
    embedding, or its matrix, by MDS / t-SNE / UMAP / PCA), a unit's marker area growing
    with its number of architectures; the histograms, EDF and operation usage cover every
    architecture of the reduction. A figure that fails is skipped with a warning.

    Parameters
    ----------
    reduction : Reduction
        The result of :func:`cbred.pipeline.reduce_space`.
    space : SearchSpace
        The reduced space (for the operation counts of the computational graphs).
    accuracy : Series, optional
        Benchmark accuracy per arch; adds the accuracy scatter, histograms and EDF.
    accuracy_name : str, optional
        What the accuracy is, for titles (default: the Series' name).
    directions : mapping str -> {+1, -1}, optional
        Directions of the statistics that differ from :func:`cbred.tfstats.direction`
        (``tfstats.directions``); the titles say which way is better.
    agreement : {"ari", "ami"}
        The stability selection's agreement measure (the stability plot's axis).
    layout : {"mds", "tsne", "umap", "pca"}, optional
        Dimensionality reduction (default: MDS for a matrix, PCA for an embedding); every
        method takes either.
    """
    clusters = reduction.clusters_table()
    highlight = reduction.selected_cluster
    if reduction.n_clusters == 0:  # neighbourhood scores: show the selection against the rest
        clusters["cluster"] = np.where(clusters["selected"], SELECTED_GROUP, REST_GROUP)
        highlight = SELECTED_GROUP
    statistics = list(reduction.tf.columns)
    directions = resolve_directions(statistics, directions)
    graphs = space.graphs(list(reduction.archs))
    op_counts = pd.DataFrame(graphs.op_counts(), index=pd.Index(graphs.ids), columns=graphs.vocab)
    representation = reduction.representation
    view = "embedding" if representation.is_embedding else "distance"
    baselines = None
    if accuracy is not None:
        baselines = {name: accuracy.reindex(reduction.subsets[name]) for name in ("quantiled", "random")}
    return save_reduction_figures(
        outdir,
        clusters=clusters,
        selected_cluster=highlight,
        selected=reduction.selected,
        stability=reduction.stability,
        chosen=reduction.best_params,
        op_counts=op_counts,
        layout_ids=reduction.unit_ids,
        layout=layout,
        accuracy=accuracy,
        baselines=baselines,
        statistics=statistics,
        directions=directions,
        accuracy_name=accuracy_name or (None if accuracy is None else str(accuracy.name)),
        layout_weights=reduction.units.value_counts().reindex(reduction.unit_ids).to_numpy(),
        agreement=agreement,
        max_points=max_points,
        random_state=random_state,
        **{view: representation.X},
    )
