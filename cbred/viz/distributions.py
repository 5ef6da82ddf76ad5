"""One-dimensional distributions: histograms with kernel density estimates, and EDFs.

A TF statistic or the accuracy is compared across clusters (small multiples, one panel per
cluster over the full space's density) and between the selected sub-space and the full space.
Accuracy is compared across design spaces by empirical distribution functions, the standard
view of Radosavovic et al. (2019).

Heavy-tailed positive variables (e.g. synflow, NTK condition numbers spanning many orders of
magnitude) are drawn on a log10 axis, and rare extreme values are left out of the axis
(with a count in its label), see :func:`display_values`; the axis is chosen from all the
groups together and always shows 90 % of every group (:func:`axis_range`). ``n`` is the
number of architectures of a group in every figure.

References
----------
Radosavovic, I., Johnson, J., Xie, S., Lo, W.-Y., Dollar, P. (2019). On network design
spaces for visual recognition. ICCV.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import gaussian_kde

from cbred.viz.style import (
    FULL_SPACE_COLOR,
    SELECTED_COLOR,
    cluster_colors,
    cluster_name,
    clustered_mask,
    new_figure,
)

#: Ratio of the 99th to the 1st percentile of a positive variable above which it is drawn on
#: a log10 axis.
LOG_RATIO = 1e3
#: Values further than this many interquartile ranges beyond the quartiles are left out of
#: a histogram (Tukey's far-out fences use 3; 10 only catches gross outliers such as failed
#: computations).
FENCE = 10.0
#: Share of every group (cluster, selection) an axis always shows, whatever the fences.
COVERAGE = 0.9


def axis_range(values: pd.Series, groups: pd.Series | None = None, *, fence: float = FENCE,
               coverage: float = COVERAGE) -> tuple[float, float]:
    """The x range of a histogram: Tukey-style fences of all the values together, widened
    so that it shows at least the central ``coverage`` of every group.

    Parameters
    ----------
    values : Series
        Finite values (the variable as drawn).
    groups : Series, optional
        Group label of every value (same index); missing labels belong to no group.
    fence : float
        Values further than ``fence`` interquartile ranges beyond the quartiles of all the
        values are outside (rare gross outliers such as failed computations).
    coverage : float
        Each group keeps at least its central ``coverage`` quantile range inside.

    Returns
    -------
    (low, high) : tuple of float
    """
    low, high = float(values.min()), float(values.max())
    q1, q3 = np.quantile(values, [0.25, 0.75])
    if q3 > q1:
        low, high = max(low, q1 - fence * (q3 - q1)), min(high, q3 + fence * (q3 - q1))
    if groups is not None:
        tail = (1.0 - coverage) / 2
        for _, members in values.groupby(groups.reindex(values.index).to_numpy()):
            # inner order statistics: a group's rare outliers stay outliers
            group_low = np.quantile(members, tail, method="higher")
            group_high = np.quantile(members, 1.0 - tail, method="lower")
            low, high = min(low, float(group_low)), max(high, float(group_high))
    return low, high


def display_values(values: pd.Series, label: str, groups: pd.Series | None = None) -> tuple[pd.Series, str]:
    """The finite values of a variable as a histogram shows them, and their axis label.

    Positive values spanning more than :data:`LOG_RATIO` (99th / 1st percentile) are drawn
    as log10. Values outside :func:`axis_range` (of all ``groups`` together) are left out
    and the label says how many (e.g. jacov's rare ``-1e5`` values).
    """
    values = pd.to_numeric(values, errors="coerce").astype(float)
    values = values[np.isfinite(values)]
    if values.empty:
        return values, label
    if (values > 0).all():
        low, high = np.quantile(values, [0.01, 0.99])
        if high / low > LOG_RATIO:
            values, label = np.log10(values), f"log10 {label}"
    low, high = axis_range(values, groups)
    inside = values.between(low, high)
    if not inside.all():
        values = values[inside]
        label = f"{label}\n({(~inside).sum():,} extreme values not shown)"
    return values, label


def kde_curve(ax, values: np.ndarray, grid: np.ndarray, **style):
    """Draw the Gaussian KDE of ``values`` on ``grid`` (Scott's bandwidth).

    Nothing is drawn for fewer than two distinct values (the KDE is undefined); returns the
    ``Line2D`` or ``None``.
    """
    values = np.asarray(values, dtype=float)
    if np.unique(values).size < 2:
        return None
    (line,) = ax.plot(grid, gaussian_kde(values)(grid), **style)
    return line


def _grid(values: np.ndarray, n: int = 256) -> np.ndarray:
    low, high = float(np.min(values)), float(np.max(values))
    pad = 0.05 * (high - low) if high > low else 0.5
    return np.linspace(low - pad, high + pad, n)


def histogram_by_cluster(
    values: pd.Series,
    clusters: pd.Series,
    *,
    label: str,
    highlight=None,
    highlight_role: str = "selected",
    title: str | None = None,
    bins: int = 30,
    ncols: int = 4,
) -> Figure:
    """Histogram and KDE of one variable in every cluster, one panel per cluster.

    Every panel also draws the full space's KDE (grey, dashed) as the common reference; all
    panels share the x axis and the bins. The axis is chosen from all the clusters together
    and shows at least 90 % of every cluster (:func:`axis_range`); a panel's ``n`` is its
    cluster's number of architectures with a value, and its title says how many of them lie
    beyond the axis.

    Parameters
    ----------
    values : Series
        The variable, indexed by arch id (cells with a missing value are left out).
    clusters : Series
        Cluster label, indexed by arch id; missing or negative labels are not plotted
        per cluster but count in the full space.
    label : str
        Name of the variable (x-axis label).
    highlight : label, optional
        The selected cluster: drawn in :data:`~cbred.viz.style.SELECTED_COLOR`, its panel
        title says so and its frame is thick.
    highlight_role : str
        What the title calls it: ``"selected"``, or ``"taken first"`` when the selection is
        only part of it.
    title : str, optional
        Figure title, e.g. ``"ntk_cond, lower is better"``.
    bins : int
        Number of histogram bins over the full range.
    ncols : int
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per cluster, titled ``"cluster 3 (n=812)"`` (and a second line ``"5
        beyond the axis"`` when some are); a figure legend with the entries ``"histogram"``, ``"KDE"``
        and ``"full space KDE"``.
    """
    numeric = pd.to_numeric(values, errors="coerce").astype(float)
    finite = numeric[np.isfinite(numeric)]
    clusters = clusters.reindex(finite.index)
    grouped = clusters[clustered_mask(clusters)]
    values, label = display_values(finite, label, grouped)
    if values.empty:
        raise ValueError(f"no finite value of {label!r} to plot")
    group_sizes = grouped.value_counts()
    clusters = clusters.reindex(values.index)
    colors = cluster_colors(clusters, highlight=highlight)
    if not colors:
        raise ValueError("no clustered cell among the cells with a value")
    if highlight is not None and highlight not in colors:
        raise ValueError(f"highlighted cluster {highlight!r} is not one of {list(colors)}")
    ncols = min(ncols, len(colors))
    nrows = -(-len(colors) // ncols)
    fig = new_figure(3.0 * ncols, 2.1 * nrows + 0.6)
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
    edges = np.histogram_bin_edges(values, bins=bins)
    grid = _grid(values)
    full_density = gaussian_kde(values.to_numpy())(grid) if values.nunique() > 1 else None
    for ax, label_ in zip(axes, colors):
        members = values[(clusters == label_).to_numpy()].to_numpy()
        selected = label_ == highlight
        ax.hist(members, bins=edges, density=True, color=colors[label_], alpha=0.55,
                label="histogram")
        kde_curve(ax, members, grid, color=colors[label_], lw=1.8, label="KDE")
        if full_density is not None:
            ax.plot(grid, full_density, color=FULL_SPACE_COLOR, lw=1.2, ls="--",
                    label="full space KDE")
        name = cluster_name(label_, size=int(group_sizes[label_]), selected=selected, role=highlight_role)
        hidden = int(group_sizes[label_]) - len(members)
        if hidden:
            name = f"{name}\n{hidden:,} beyond the axis"
        ax.set_title(name, fontsize="medium", fontweight="bold" if selected else "normal")
        if selected:
            for spine in ax.spines.values():
                spine.set_linewidth(2.5)
        ax.tick_params(labelsize="small")
    for ax in axes[len(colors):]:
        ax.set_axis_off()
    for ax in axes[max(0, len(colors) - ncols):len(colors)]:  # no panel below these
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel(label)
    for ax in axes[::ncols]:
        ax.set_ylabel("density")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=3, fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def histogram_selected_vs_full(
    frame: pd.DataFrame,
    selected: pd.Index | list,
    *,
    bins: int = 30,
    color=None,
    titles: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    ncols: int = 3,
) -> Figure:
    """Histograms and KDEs of the selected sub-space against the full space, one panel per
    variable.

    Each panel's axis shows at least 90 % of the selection and of the rest of the space
    (:func:`axis_range`).

    Parameters
    ----------
    frame : DataFrame
        One column per variable (TF statistics, accuracy), indexed by arch id; the full space.
    selected : Index or list of arch ids
        The selected sub-space (ids must be in ``frame.index``).
    bins : int
        Number of bins over the full range of each variable.
    color : colour, optional
        Colour of the selection (default :data:`~cbred.viz.style.SELECTED_COLOR`).
    titles : mapping column -> str, optional
        Panel titles, e.g. ``{"ntk_cond": "ntk_cond, lower is better"}``.
    labels : mapping column -> str, optional
        X-axis names of the columns that are not their own name, e.g.
        ``{"accuracy": "test_acc"}`` (default: the column name).
    ncols : int
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per column of ``frame``, x label its ``labels`` entry or the column name
        (see :func:`display_values`); a figure legend with the entries ``"full space (n=...)"``
        and ``"selected (n=...)"`` (numbers of cells); a panel whose variable is known for
        fewer cells (a sampled TF table, a partial accuracy table) says how many it draws.
    """
    selected = pd.Index(selected)
    missing = selected.difference(frame.index)
    if len(missing):
        raise ValueError(f"{len(missing)} selected ids are not in the table, e.g. {missing[0]!r}")
    if frame.shape[1] == 0:
        raise ValueError("no variable (column) to plot")
    color = color if color is not None else SELECTED_COLOR
    titles = titles or {}
    ncols = min(ncols, frame.shape[1])
    nrows = -(-frame.shape[1] // ncols)
    fig = new_figure(3.6 * ncols, 2.8 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, column in zip(axes, frame.columns):
        in_selection = pd.Series(frame.index.isin(selected), index=frame.index)
        full, xlabel = display_values(frame[column], str((labels or {}).get(column, column)), in_selection)
        if full.empty:
            raise ValueError(f"no finite value of {column!r} to plot")
        chosen = full[full.index.isin(selected)]
        edges = np.histogram_bin_edges(full, bins=bins)
        grid = _grid(full)
        *_, full_bars = ax.hist(full, bins=edges, density=True, color=FULL_SPACE_COLOR,
                                alpha=0.35)
        *_, chosen_bars = ax.hist(chosen, bins=edges, density=True, color=color, alpha=0.5)
        kde_curve(ax, full.to_numpy(), grid, color=FULL_SPACE_COLOR, lw=1.2)
        kde_curve(ax, chosen.to_numpy(), grid, color=color, lw=1.8)
        if len(full) < len(frame) or len(chosen) < len(selected):  # e.g. statistics of a sample only
            xlabel = f"{xlabel}\n(drawn: {len(full):,} cells, {len(chosen):,} of them selected)"
        ax.set_xlabel(xlabel)
        ax.set_ylabel("density")
        if column in titles:
            ax.set_title(titles[column], fontsize="medium")
    for ax in axes[frame.shape[1]:]:
        ax.set_axis_off()
    names = [f"full space (n={len(frame):,})", f"selected (n={len(selected):,})"]
    fig.legend([full_bars, chosen_bars], names, loc="outside upper center", ncols=2,
               fontsize="small")
    return fig


#: Line style of the usual samples of an EDF plot (other names cycle through the colours).
EDF_STYLES = {
    "full": dict(color="black", lw=1.5),
    "selected": dict(color=SELECTED_COLOR, lw=2.2),
    "quantiled": dict(color="C0", lw=1.5, ls="--"),
    "random": dict(color="C2", lw=1.2, ls=":"),
}


def edf(
    samples: Mapping[str, np.ndarray | pd.Series],
    *,
    xlabel: str = "accuracy",
    title: str | None = None,
    styles: Mapping[str, dict] | None = None,
    left_quantile: float | None = 0.05,
) -> Figure:
    """Empirical distribution functions of the same variable in several (sub-)spaces.

    Parameters
    ----------
    samples : mapping name -> values
        E.g. ``{"full": ..., "selected": ..., "quantiled": ..., "random": ...}``; NaN
        values are left out. Drawn and listed in the mapping's order.
    xlabel : str
        Name of the variable.
    title : str, optional
    styles : mapping name -> line keywords, optional
        Overrides :data:`EDF_STYLES`.
    left_quantile : float or None
        The x axis starts at this quantile of all values pooled, so that a thin tail (NB201's
        cells at 10 % accuracy) does not squeeze the region where the spaces differ; the x
        label says so. The EDFs themselves use every value. None shows the full range.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with one step line per sample, legend entries ``"name (n=...)"``,
        y from 0 to 1.
    """
    if not samples:
        raise ValueError("no sample to draw an EDF of")
    styles = {**EDF_STYLES, **(styles or {})}
    fig = new_figure(6.4, 4.4)
    ax = fig.add_subplot()
    finite = {}
    for name, values in samples.items():
        values = np.asarray(values, dtype=float)
        finite[name] = values[np.isfinite(values)]
        if finite[name].size == 0:
            raise ValueError(f"sample {name!r} has no finite value")
        ax.ecdf(finite[name], label=f"{name} (n={finite[name].size:,})", **styles.get(name, {}))
    if left_quantile is not None:
        pooled = np.concatenate(list(finite.values()))
        left, right = np.quantile(pooled, left_quantile), pooled.max()
        if left > pooled.min():
            ax.set_xlim(left, right + 0.02 * (right - left))
            xlabel = f"{xlabel} (axis from the {100 * left_quantile:g}th percentile)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of architectures ≤ x")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    if title:
        ax.set_title(title)
    return fig
