"""Scatterplots of a search space laid out in two dimensions (see :mod:`cbred.viz.embedding`).

Colour is either numerical (a TF statistic or accuracy, with a colour bar, the selection
outlined) or categorical (the cluster of every cell, with a legend and the selected cluster
highlighted). A point may stand for several architectures (an isomorphism class, or classes
the distance cannot tell apart): its marker area grows with their number, and legends count
architectures, not points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cbred.viz.style import (
    HIGHLIGHT_EDGE,
    SELECTED_COLOR,
    UNCLUSTERED,
    UNCLUSTERED_COLOR,
    cluster_colors,
    cluster_name,
    clustered_mask,
    new_figure,
)


def _check_coords(coords: np.ndarray, n: int | None = None, what: str = "colour") -> np.ndarray:
    coords = np.asarray(coords, dtype=float)
    if coords.ndim != 2 or coords.shape[1] != 2:
        raise ValueError(f"coords must have shape (n, 2), got {coords.shape}")
    if n is not None and n != len(coords):
        raise ValueError(f"{len(coords)} points but {n} {what} values")
    return coords


def _marker_size(n: int) -> float:
    """Point area shrinking with the number of points (dense spaces stay readable)."""
    return float(np.clip(12000.0 / max(n, 1), 5.0, 40.0))


def merge_coincident(coords: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None,
                     decimals: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points at the same place with the same label merged into one, their weights summed.

    Returns ``(coords, labels, weights)`` of the distinct points (``weights`` default to one
    architecture per point), so that a pile of identical points is one marker whose area
    says how many architectures it holds.
    """
    coords = np.asarray(coords, dtype=float)
    weights = np.ones(len(coords)) if weights is None else np.asarray(weights, dtype=float)
    if len(weights) != len(coords):
        raise ValueError(f"{len(coords)} points but {len(weights)} weights")
    frame = pd.DataFrame({"x": np.round(coords[:, 0], decimals), "y": np.round(coords[:, 1], decimals),
                          "label": pd.Series(np.asarray(labels, dtype=object)).fillna("nan").to_numpy(),
                          "weight": weights, "first": np.arange(len(coords))})
    merged = frame.groupby(["label", "x", "y"], sort=False).agg(weight=("weight", "sum"), first=("first", "min"))
    first = merged["first"].to_numpy()
    return coords[first], np.asarray(labels, dtype=object)[first], merged["weight"].to_numpy()


def _areas(base: float, weights: np.ndarray) -> np.ndarray:
    """Marker areas: ``base`` for one architecture, growing with the square root of the count."""
    return base * np.sqrt(np.maximum(weights, 1.0))


def _decorate(fig: Figure, ax, *, axis: str, title: str | None, caption: str | None) -> None:
    ax.set_xlabel(f"{axis} 1")
    ax.set_ylabel(f"{axis} 2")
    if title:
        ax.set_title(title)
    if caption:
        fig.supxlabel(caption, fontsize="small", color="0.3")


def scatter_numeric(
    coords: np.ndarray,
    values: np.ndarray | pd.Series,
    *,
    label: str,
    axis: str = "MDS",
    title: str | None = None,
    caption: str | None = None,
    cmap: str = "viridis",
    robust: float = 98.0,
    outline: np.ndarray | None = None,
    outline_label: str = "selected",
) -> Figure:
    """Scatterplot coloured by a numerical value, with a colour bar.

    Parameters
    ----------
    coords : array of shape (n, 2)
        Layout of the points.
    values : array of shape (n,)
        Value of every point; missing (NaN) values are drawn as small grey points.
    label : str
        Name of the value (colour bar label).
    axis : str
        Name of the layout axes, e.g. ``"MDS"`` gives ``"MDS 1"`` / ``"MDS 2"``.
    title, caption : str, optional
        Title above the axes; caption under them (say here when the points are a subsample).
    cmap : str
        Matplotlib colour map.
    robust : float
        The colour scale spans the ``100 - robust`` to ``robust`` percentiles, so that a few
        outliers (NB201 cells at 10 % accuracy) do not wash out the colours; the colour bar
        shows arrows when values lie beyond. 100 spans the full range.
    outline : array of bool of shape (n,), optional
        Points to outline in :data:`~cbred.viz.style.SELECTED_COLOR` (the selection), drawn
        on top and listed in the legend as ``outline_label``.
    outline_label : str
        Legend entry of the outlined points, e.g. ``"selected (n=153)"``.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with a ``PathCollection`` of the finite values (plus one for the missing
        values if any, one for the outlined points if any) and a colour bar.
    """
    values = np.asarray(values, dtype=float)
    coords = _check_coords(coords, len(values))
    fig = new_figure(6.4, 5.0)
    ax = fig.add_subplot()
    size = _marker_size(len(coords))
    finite = np.isfinite(values)
    if not finite.any():
        raise ValueError(f"no finite value of {label!r} to colour by")
    if not finite.all():
        ax.scatter(*coords[~finite].T, s=size / 2, color=UNCLUSTERED_COLOR, label="no value",
                   linewidths=0)
    # draw the highest values last so the best cells are visible on top
    order = np.flatnonzero(finite)[np.argsort(values[finite], kind="stable")]
    low, high = np.percentile(values[finite], [100 - robust, robust])
    below, above = low > values[order[0]], high < values[order[-1]]
    extend = "both" if below and above else "min" if below else "max" if above else "neither"
    points = ax.scatter(*coords[order].T, c=values[order], s=size, cmap=cmap, linewidths=0,
                        vmin=low, vmax=high)
    fig.colorbar(points, ax=ax, label=label, extend=extend)
    if outline is not None:
        outline = np.asarray(outline, dtype=bool)
        if outline.shape != (len(coords),):
            raise ValueError(f"outline has shape {outline.shape} for {len(coords)} points")
        if outline.any():
            ax.scatter(*coords[outline].T, s=size * 2.5, facecolors="none", edgecolors=SELECTED_COLOR,
                       linewidths=1.2, zorder=4, label=outline_label)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize="small")
    _decorate(fig, ax, axis=axis, title=title, caption=caption)
    return fig


def scatter_categorical(
    coords: np.ndarray,
    clusters: np.ndarray | pd.Series,
    *,
    highlight=None,
    highlight_role: str = "selected",
    weights: np.ndarray | None = None,
    sizes: dict | pd.Series | None = None,
    axis: str = "MDS",
    title: str | None = None,
    caption: str | None = None,
) -> Figure:
    """Scatterplot coloured by cluster, with a legend; the ``highlight`` cluster stands out.

    Points at the same place with the same label are merged (:func:`merge_coincident`);
    a marker's area grows with the square root of the architectures it stands for.

    Parameters
    ----------
    coords : array of shape (n, 2)
        Layout of the points.
    clusters : array of shape (n,)
        Cluster label of every point; missing or negative labels are "unclustered" (grey).
    highlight : label, optional
        The selected cluster: drawn last in :data:`~cbred.viz.style.SELECTED_COLOR`, with
        a black edge, while the other clusters are faded.
    highlight_role : str
        What the legend calls it: ``"selected"``, or ``"taken first"`` when the selection
        is only part of it.
    weights : array of shape (n,), optional
        Number of architectures every point stands for (e.g. the size of its isomorphism
        class); default one.
    sizes : mapping label -> int, optional
        True size of every cluster in architectures (the points may be a subsample); the
        legend's ``n``. Default: the sum of ``weights`` per label.
    axis, title, caption : str
        As in :func:`scatter_numeric`.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with one ``PathCollection`` per cluster (plus one for unclustered points)
        and a legend outside the axes whose entries read ``"cluster 3 (n=812)"``, ``n``
        counting architectures.
    """
    coords = _check_coords(coords, len(np.asarray(clusters)), "cluster")
    coords, merged_labels, weights = merge_coincident(coords, np.asarray(clusters), weights)
    labels = pd.Series(merged_labels)
    if sizes is None:
        sizes = pd.Series(weights).groupby(labels.to_numpy()).sum()
    sizes = pd.Series(sizes) if not isinstance(sizes, pd.Series) else sizes
    colors = cluster_colors(labels, highlight=highlight)
    if highlight is not None and highlight not in colors:
        raise ValueError(f"highlighted cluster {highlight!r} is not one of {list(colors)}")
    fig = new_figure(7.4, 5.0)
    ax = fig.add_subplot()
    size = _marker_size(int(len(coords)))
    faded = 0.45 if highlight is not None else 0.85
    handles = {}
    others = [label for label in colors if label != highlight]
    for label in others + ([highlight] if highlight is not None else []):
        mask = (labels == label).to_numpy()
        selected = label == highlight
        handles[label] = ax.scatter(
            *coords[mask].T,
            s=_areas(size * 2.5 if selected else size, weights[mask]),
            color=colors[label],
            alpha=1.0 if selected else faded,
            edgecolors=HIGHLIGHT_EDGE if selected else "none",
            linewidths=0.6 if selected else 0,
            zorder=3 if selected else 2,
            label=cluster_name(label, size=int(sizes.get(label, weights[mask].sum())), selected=selected,
                               role=highlight_role),
        )
    unclustered = ~clustered_mask(labels)
    if unclustered.any():
        handles[UNCLUSTERED] = ax.scatter(
            *coords[unclustered].T, s=_areas(size / 2, weights[unclustered]), color=UNCLUSTERED_COLOR,
            linewidths=0, zorder=1, label=f"{UNCLUSTERED} (n={int(weights[unclustered].sum()):,})",
        )
    # legend in label order (the selected cluster is drawn last but listed in its place)
    ordered = [handles[label] for label in [*colors, UNCLUSTERED] if label in handles]
    legend = ax.legend(
        handles=ordered,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize="small",
        ncols=2 if len(colors) > 16 else 1,
        title="n = architectures" + ("\nmarker area ~ sqrt(architectures at the point)"
                                     if np.any(weights != 1) else ""),
    )
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)
        if hasattr(handle, "set_sizes"):  # legend markers of one size, whatever the weights
            handle.set_sizes([30.0])
    _decorate(fig, ax, axis=axis, title=title, caption=caption)
    return fig
