"""All the figures of one reduction, written as PNG files beside ``metrics.json``.

A figure that fails (an optional layout package missing, a degenerate variable) is skipped
with a :class:`FigureWarning`; the others are still written.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cbred.cache import atomic_write
from cbred.paths import output_directory
from cbred.viz.clusters import op_usage, stability_curve
from cbred.viz.distributions import edf, histogram_by_cluster, histogram_selected_vs_full
from cbred.viz.embedding import MAX_POINTS, get_layout, layout_2d, subsample
from cbred.viz.scatter import scatter_categorical, scatter_numeric
from cbred.viz.style import cluster_colors, cluster_name, variable_title

CLUSTER = "cluster"
ACCURACY = "accuracy"

#: The figures a sweep report shows for every run (file stems, in display order).
KEY_FIGURES = ("scatter_clusters", "edf_accuracy", "op_usage", "stability")


class FigureWarning(UserWarning):
    """A figure that could not be drawn; the run and the other figures go on."""


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Write ``fig`` as a PNG atomically; returns the path."""
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("_")


def space_layout(
    ids: pd.Index,
    *,
    coords: pd.DataFrame | None = None,
    distance: np.ndarray | None = None,
    embedding: np.ndarray | None = None,
    method: str | None = None,
    max_points: int = MAX_POINTS,
    random_state: int = 0,
) -> tuple[pd.DataFrame, str, str]:
    """2-D coordinates of (a seeded subsample of) the architectures ``ids``.

    Exactly one of: ``coords``, a 2-D layout already made (DataFrame indexed by arch id, two
    columns; ``ids`` selects and orders its rows); ``distance``, an ``(n, n)`` matrix whose
    rows are ``ids``; ``embedding``, an ``(n, d)`` array whose rows are ``ids``.

    Returns
    -------
    coords : DataFrame
        Index arch id (at most ``max_points`` rows), columns ``x`` and ``y``.
    axis : str
        Name of the axes (``"MDS"``, ``"t-SNE"``, ``"PC"``...).
    caption : str
        How the layout was made and how many of the points (``ids``) it shows.
    """
    given = {name: value for name, value in
             (("coords", coords), ("distance", distance), ("embedding", embedding))
             if value is not None}
    if len(given) != 1:
        raise ValueError(f"give exactly one of coords, distance, embedding; got {sorted(given)}")
    ((kind, data),) = given.items()
    ids = pd.Index(ids)
    if kind == "coords":
        missing = ids.difference(data.index)
        if len(missing):
            raise ValueError(f"{len(missing)} ids have no coordinates, e.g. {missing[0]!r}")
        data, method, axis, how = data.loc[ids].to_numpy(), None, "dim", "given layout"
    else:
        data = np.asarray(data)
        if len(data) != len(ids):
            raise ValueError(f"the {kind} has {len(data)} rows for {len(ids)} ids")
        method = method or ("mds" if kind == "distance" else "pca")
        layout = get_layout(method)
        axis, how = layout.axis, f"{method.upper()} of the {kind}"
    keep = subsample(len(ids), max_points, random_state)
    if kind == "distance":
        values = layout_2d(data[np.ix_(keep, keep)], method, input="distance", random_state=random_state)
    elif kind == "embedding":
        values = layout_2d(data[keep], method, input="features", random_state=random_state)
    else:
        values = data[keep]
    shown = (f"{len(keep):,} of {len(ids):,} points shown (random subsample, seed "
             f"{random_state})" if len(keep) < len(ids) else f"all {len(ids):,} points")
    return pd.DataFrame(values, index=ids[keep], columns=["x", "y"]), axis, f"{how}; {shown}"


def save_reduction_figures(
    outdir: str | os.PathLike,
    *,
    clusters: pd.DataFrame,
    selected_cluster,
    selected: Sequence | None = None,
    stability: pd.DataFrame | None = None,
    chosen: Mapping | None = None,
    op_counts: pd.DataFrame | None = None,
    coords: pd.DataFrame | None = None,
    distance: np.ndarray | None = None,
    embedding: np.ndarray | None = None,
    layout_ids: Sequence | None = None,
    layout: str | None = None,
    accuracy: pd.Series | None = None,
    baselines: Mapping[str, pd.Series] | None = None,
    statistics: Sequence[str] | None = None,
    directions: Mapping[str, int] | None = None,
    accuracy_name: str | None = None,
    layout_weights: Sequence[float] | None = None,
    agreement: str = "ari",
    max_points: int = MAX_POINTS,
    random_state: int = 0,
    dpi: int = 120,
) -> dict[str, Path]:
    """Write every figure of a reduction as ``outdir/<name>.png``.

    Every input is optional except the cluster table; a figure whose inputs are absent is
    skipped, one that fails is skipped with a :class:`FigureWarning`. The selection is
    drawn in :data:`~cbred.viz.style.SELECTED_COLOR` in every figure, and ``n`` counts
    architectures in every legend and title.

    Parameters
    ----------
    outdir : path
        Directory of the PNG files (created); a path where no directory can be made is a
        ``NotADirectoryError`` / ``OSError`` naming it, raised before any figure is drawn.
    clusters : DataFrame
        The cluster table (``clusters.csv``): index arch id, column ``"cluster"`` (label;
        missing or negative = not clustered, e.g. cells filtered out by the Q+C variant) and
        the TF statistics as numeric columns.
    selected_cluster : label
        The highlighted cluster (a value of ``clusters["cluster"]``): the selected one, or
        the first one a union of clusters took.
    selected : sequence of arch ids, optional
        The selected sub-space (default: the cells of ``selected_cluster``).
    stability : DataFrame, optional
        The stability table (``StabilitySelection.stability_``): columns ``n_clusters``,
        ``mean`` and optionally ``eta``, ``std``; empty or None: no stability curve.
    chosen : mapping, optional
        The configuration stability selection chose (``best_params_``, e.g.
        ``{"n_clusters": 5, "eta": 0.5}``), starred on the stability curve.
    op_counts : DataFrame, optional
        Index arch id, one column per operation (counts per cell), e.g.
        ``pd.DataFrame(graphs.op_counts(), index=graphs.ids, columns=graphs.vocab)``.
    coords, distance, embedding : optional
        At most one: a 2-D layout (DataFrame indexed by arch id, two columns); an ``(m, m)``
        distance matrix; an ``(m, d)`` embedding, e.g. ``Representation.X``. None of them:
        no scatterplot.
    layout_ids : sequence of arch ids, optional
        The architectures the ``m`` rows of ``distance`` / ``embedding`` are (e.g. the
        clustered isomorphism-class representatives); default ``clusters.index``. Each
        must be in ``clusters.index``; they are coloured by their cluster.
    layout : {"mds", "tsne", "umap", "pca"}, optional
        Layout method (default: ``"mds"`` for a distance, ``"pca"`` for an embedding).
    accuracy : Series, optional
        Accuracy per arch id (the benchmark; only for evaluation plots).
    baselines : mapping name -> Series, optional
        Accuracy of the baseline sub-spaces, e.g. ``{"quantiled": ..., "random": ...}``
        (values per arch id), drawn on the EDF after ``full`` and ``selected``.
    statistics : sequence of str, optional
        TF-statistic columns to plot (default: every numeric column but ``"cluster"``).
    directions : mapping str -> {+1, -1}, optional
        Whether higher (+1) or lower (-1) is better, per statistic; said in the titles.
    accuracy_name : str, optional
        What the accuracy is, e.g. ``"test_acc on nb201_cifar10"`` (default ``accuracy``).
    layout_weights : sequence of float, optional
        Number of architectures every row of ``distance`` / ``embedding`` stands for (e.g.
        the size of its isomorphism class): the marker areas of the cluster scatterplot.
    agreement : {"ari", "ami"}
        The agreement measure of the stability table (its axis label and range).
    max_points : int
        Largest number of points of a scatterplot (a seeded random subsample beyond).
    random_state : int
        Seed of the subsample and of stochastic layouts.
    dpi : int
        Resolution of the PNG files.

    Returns
    -------
    dict name -> Path
        Names: ``scatter_clusters``, ``scatter_<statistic>``, ``scatter_accuracy``,
        ``hist_<variable>_by_cluster``, ``hist_selected_vs_full``, ``edf_accuracy``,
        ``op_usage``, ``stability`` (those whose inputs were given).
    """
    if CLUSTER not in clusters.columns:
        raise ValueError(f"the cluster table lacks a {CLUSTER!r} column; has {list(clusters.columns)}")
    labels = clusters[CLUSTER]
    colors = cluster_colors(labels, highlight=selected_cluster)
    if selected_cluster not in colors:
        raise ValueError(f"selected cluster {selected_cluster!r} is not one of {list(colors)}")
    if statistics is None:
        statistics = [c for c in clusters.select_dtypes("number").columns if c != CLUSTER]
    unknown = [s for s in statistics if s not in clusters.columns]
    if unknown:
        raise ValueError(f"statistics {unknown} are not columns of the cluster table")
    variables = clusters[list(statistics)].copy()
    titles = {name: variable_title(str(name), (directions or {}).get(name)) for name in statistics}
    names = {name: str(name) for name in statistics}
    if accuracy is not None:
        variables[ACCURACY] = accuracy.reindex(clusters.index)
        titles[ACCURACY] = variable_title(accuracy_name or ACCURACY, 1)
        names[ACCURACY] = str(accuracy.name or accuracy_name or ACCURACY)  # axis labels name the metric
    if selected is None:
        selected = clusters.index[(labels == selected_cluster).to_numpy()]
    selected = pd.Index(selected)
    sizes = labels.value_counts()
    members = clusters.index[(labels == selected_cluster).to_numpy()]
    role = "selected" if members.sort_values().equals(selected.sort_values()) else "taken first"
    # one error naming an impossible directory, not one warning per figure
    outdir = output_directory(outdir, what="figure directory")
    figures: dict[str, Path] = {}

    def emit(name: str, draw) -> None:
        """Draw and write one figure (one in memory at a time); a failure warns."""
        try:
            figures[name] = save_figure(draw(), outdir / f"{_file_stem(name)}.png", dpi)
        except Exception as error:  # noqa: BLE001  (a figure never costs the run)
            warnings.warn(f"figure {name!r} skipped: {type(error).__name__}: {error}", FigureWarning, stacklevel=3)

    if any(x is not None for x in (coords, distance, embedding)):
        ids = clusters.index if layout_ids is None else pd.Index(layout_ids)
        unknown = ids.difference(clusters.index)
        if len(unknown):
            raise ValueError(f"{len(unknown)} layout ids are not in the cluster table, "
                             f"e.g. {unknown[0]!r}")
        weights = pd.Series(1.0 if layout_weights is None else np.asarray(layout_weights, dtype=float), index=ids)
        try:
            xy, axis, caption = space_layout(
                ids, coords=coords, distance=distance, embedding=embedding,
                method=layout, max_points=max_points, random_state=random_state)
        except Exception as error:  # noqa: BLE001
            warnings.warn(f"scatterplots skipped: layout {layout or 'default'!r} failed: "
                          f"{type(error).__name__}: {error}", FigureWarning, stacklevel=2)
        else:
            outline = xy.index.isin(selected)
            outline_label = cluster_name("selected", size=len(selected))
            emit("scatter_clusters", lambda: scatter_categorical(
                xy.to_numpy(), labels.loc[xy.index], highlight=selected_cluster, highlight_role=role, axis=axis,
                weights=weights.loc[xy.index].to_numpy(), sizes=sizes,
                title="groups of the reduction", caption=caption))
            for name in variables.columns:
                emit(f"scatter_{name}", lambda name=name: scatter_numeric(
                    xy.to_numpy(), variables.loc[xy.index, name], label=names[name], axis=axis,
                    title=titles[name], caption=caption, outline=outline, outline_label=outline_label))

    for name in variables.columns:
        emit(f"hist_{name}_by_cluster", lambda name=name: histogram_by_cluster(
            variables[name], labels, label=names[name], highlight=selected_cluster, highlight_role=role,
            title=titles[name]))
    if variables.shape[1]:
        emit("hist_selected_vs_full", lambda: histogram_selected_vs_full(
            variables, selected, color=colors[selected_cluster], titles=titles, labels=names))

    if accuracy is not None:
        full = variables[ACCURACY]
        samples = {"full": full, "selected": full.loc[selected], **(baselines or {})}
        emit("edf_accuracy", lambda: edf(samples, xlabel=accuracy_name or ACCURACY,
                                         title=f"EDF of {titles[ACCURACY]}"))
    if op_counts is not None:
        emit("op_usage", lambda: op_usage(op_counts, labels, highlight=selected_cluster, highlight_role=role))
    if stability is not None and not stability.empty:
        name, draw = _criterion_figure(stability, chosen, agreement)
        emit(name, draw)
    return figures


#: Parameter columns of a cross-validation table and their axis names.
_LOO_PARAMETERS = {"n_neighbors": "neighbours k (besides the architecture itself)", "n_clusters": "number of clusters K"}


#: Range of the agreement measures of a stability table.
_AGREEMENT_BOUNDS = {"ari": (-0.5, 1.0), "ami": (0.0, 1.0)}


def _criterion_figure(table: pd.DataFrame, chosen: Mapping | None, agreement: str = "ari"):
    """Name and drawing of how a procedure chose its parameter: stability, or leave-one-out error."""
    if "loo_mse" not in table.columns:
        measure = agreement.upper()
        return "stability", lambda: stability_curve(
            table, chosen=chosen, bounds=_AGREEMENT_BOUNDS.get(agreement, (None, None)),
            ylabel=f"stability (mean {measure} between subsample clusterings)")
    k = next(column for column in _LOO_PARAMETERS if column in table.columns)
    return "loo_criterion", lambda: stability_curve(
        table, k=k, mean="loo_mse", chosen=chosen, xlabel=_LOO_PARAMETERS[k], bounds=(0.0, None),
        ylabel="leave-one-out MSE of the TF rank\n(lower is better)")
