"""What the clusters are: the operations they use and how stable the clustering is.

The op-usage chart is the interpretable view of a cluster (what its cells are made of); the
stability curve shows how the number of clusters K (and the kernel scale eta) was chosen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from cbred.graph import INPUT, OUTPUT
from cbred.verdict import grid_edges
from cbred.viz.style import cluster_labels, cluster_name, new_figure

FULL_SPACE = "full space"


def op_usage_table(op_counts: pd.DataFrame, clusters: pd.Series,
                   exclude: Sequence[str] = (INPUT, OUTPUT)) -> pd.DataFrame:
    """Mean number of nodes of every operation per cell, per cluster and in the full space.

    Parameters
    ----------
    op_counts : DataFrame
        Index arch id, one column per operation (counts per cell, e.g. built from
        :meth:`cbred.graph.GraphBatch.op_counts` and the space's ``node_vocab``).
    clusters : Series
        Cluster label per arch id of the (reduced) space; every id must have a row in
        ``op_counts``, which may hold more (e.g. the whole space). The "full space" row is
        the mean over every id of ``clusters``, clustered or not.
    exclude : sequence of str
        Columns left out (the input and output nodes every cell has).

    Returns
    -------
    DataFrame
        Rows ``"full space"`` then one per cluster label (sorted), columns the operations.
    """
    counts = op_counts.drop(columns=[c for c in exclude if c in op_counts.columns])
    if counts.shape[1] == 0:
        raise ValueError(f"no operation column left in op_counts after excluding {list(exclude)}")
    labels = cluster_labels(clusters)
    if not labels:
        raise ValueError("no clustered cell to summarise")
    missing = clusters.index.difference(counts.index)
    if len(missing):
        raise ValueError(f"{len(missing)} ids of the cluster table have no op counts, "
                         f"e.g. {missing[0]!r}")
    clustered = clusters[clusters.isin(labels)]
    per_cluster = counts.loc[clustered.index].groupby(clustered.to_numpy()).mean()
    full = counts.loc[clusters.index].mean().to_frame(FULL_SPACE).T
    return pd.concat([full, per_cluster.loc[labels]])


def op_usage(
    op_counts: pd.DataFrame,
    clusters: pd.Series,
    *,
    highlight=None,
    highlight_role: str = "selected",
    exclude: Sequence[str] = (INPUT, OUTPUT),
) -> Figure:
    """Stacked horizontal bars of the mean operation counts per cell, one bar per cluster.

    The top bar is the full space (the reference); a segment's length is the mean number of
    nodes of that operation per cell, so a bar's length is the mean number of operation nodes.

    Parameters
    ----------
    op_counts, clusters, exclude
        As in :func:`op_usage_table`.
    highlight : label, optional
        The selected cluster; its bar label is bold and says ``highlight_role``.
    highlight_role : str
        ``"selected"``, or ``"taken first"`` when the selection is only part of it.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with ``n_ops`` bar containers of ``n_clusters + 1`` bars each, y tick labels
        ``"full space"`` and ``"cluster 3 (n=812)"``..., a legend of the operation names.
    """
    table = op_usage_table(op_counts, clusters, exclude)
    labels = list(table.index[1:])
    if highlight is not None and highlight not in labels:
        raise ValueError(f"highlighted cluster {highlight!r} is not one of {labels}")
    sizes = clusters.value_counts()
    names = [f"{FULL_SPACE} (n={len(clusters):,})"] + [
        cluster_name(label, size=int(sizes[label]), selected=label == highlight, role=highlight_role)
        for label in labels
    ]
    fig = new_figure(7.6, 1.2 + 0.38 * len(table))
    ax = fig.add_subplot()
    positions = np.arange(len(table))[::-1]  # full space on top
    left = np.zeros(len(table))
    palette = colormaps["Set2"].colors
    for i, op in enumerate(table.columns):
        ax.barh(positions, table[op].to_numpy(), left=left, color=palette[i % len(palette)],
                edgecolor="white", linewidth=0.5, label=str(op))
        left += table[op].to_numpy()
    ax.set_yticks(positions, names, fontsize="small")
    for tick, label in zip(ax.get_yticklabels()[1:], labels):
        if label == highlight:
            tick.set_fontweight("bold")
    ax.axhline(positions[0] - 0.5, color="0.3", lw=0.8)
    ax.set_xlabel("mean number of nodes per cell")
    fig.legend(loc="outside upper center", ncols=min(len(table.columns), 5), fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    return fig


def stability_curve(
    stability: pd.DataFrame,
    *,
    k: str = "n_clusters",
    by: str = "eta",
    mean: str = "mean",
    std: str = "std",
    chosen: Mapping | None = None,
    ylabel: str = "stability (mean ARI between subsample clusterings)",
    xlabel: str = "number of clusters K",
    bounds: tuple[float | None, float | None] = (-0.5, 1.0),
) -> Figure:
    """Stability against the number of clusters K, one line per eta, with a ±1 std band.

    The band is clipped to the range of the measure (``bounds``); a choice on the edge of
    the grid (the smallest or the largest K or eta tried) is named in the title, since the
    best value may lie beyond the grid.

    Parameters
    ----------
    stability : DataFrame
        The stability table (``StabilitySelection.stability_``): one row per configuration
        with columns ``k`` and ``mean``, optionally ``by`` and ``std``. Without a ``by``
        column (k-means has no kernel scale) there is one line, "mean ± std"; rows whose
        ``by`` is NaN make a line "—".
    k, by, mean, std : str
        Column names: number of clusters, the parameter that makes the lines, the mean and
        standard deviation of the agreement.
    chosen : mapping, optional
        The selected configuration (``best_params_``, e.g. ``{"n_clusters": 5, "eta": 0.5}``),
        marked by a star; keys that are not columns are ignored.
    ylabel : str
        Name of the measure, naming the agreement (ARI, AMI) or the error.
    xlabel : str
        Name of the ``k`` parameter.
    bounds : (float or None, float or None)
        Range of the measure (ARI: -0.5 to 1; AMI: 0 to 1; an error: 0 to None); the
        bands do not leave it.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with one line per ``by`` value (legend titled ``by``), a shaded band per
        line when ``std`` is present, a star labelled "chosen" when ``chosen`` is given,
        and the title ``"chosen n_clusters=24 is on the edge of the grid (2-24)"`` when it is.
    """
    missing = [c for c in (k, mean) if c not in stability.columns]
    if missing:
        raise ValueError(f"stability table lacks column(s) {missing}; has {list(stability.columns)}")
    frame = stability.copy()
    single = by not in frame.columns
    if single:
        frame[by] = np.nan
    fig = new_figure(6.4, 4.4)
    ax = fig.add_subplot()
    for value, group in frame.groupby(by, dropna=False, sort=True):
        group = group.sort_values(k)
        name = (("mean ± std" if std in group.columns else mean) if single else "—" if pd.isna(value)
                else f"{value:g}" if isinstance(value, float) else str(value))
        (line,) = ax.plot(group[k], group[mean], marker="o", ms=4, label=name)
        if std in group.columns:
            low, high = bounds
            ax.fill_between(group[k], (group[mean] - group[std]).clip(lower=low),
                            (group[mean] + group[std]).clip(upper=high),
                            color=line.get_color(), alpha=0.18, linewidth=0)
    if chosen is not None:
        rows = np.ones(len(frame), dtype=bool)
        for column, value in chosen.items():
            if column in stability.columns:
                rows &= (frame[column] == value).to_numpy()
        if not rows.any():
            raise ValueError(f"chosen configuration {dict(chosen)} is not in the stability table")
        best = frame[rows].iloc[0]
        ax.plot(best[k], best[mean], marker="*", ms=16, color="gold", markeredgecolor="black",
                linestyle="none", zorder=5, label="chosen")
        edges = grid_edges(stability, chosen)
        if edges:
            ax.set_title("\n".join(edge.describe() for edge in edges) + "\n(the best may lie beyond the grid)",
                         fontsize="medium", color="firebrick")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(title=None if single else by, fontsize="small", loc="best")
    return fig
