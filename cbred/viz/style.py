"""What every cbred figure shares: a pyplot-free figure factory and one colour per cluster.

Figures are ``matplotlib.figure.Figure`` objects made without ``pyplot``, so plotting never
touches a global backend or leaks open figures; ``Figure.savefig`` renders them with Agg.
A cluster keeps its colour across the scatterplot, the histograms and the op-usage chart.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

UNCLUSTERED = "unclustered"
UNCLUSTERED_COLOR = to_rgba("0.75")
FULL_SPACE_COLOR = to_rgba("0.45")
HIGHLIGHT_EDGE = "black"
#: Groups of a selection without clusters (neighbourhood scores): the selected cells and the rest.
SELECTED_GROUP = "selected"
REST_GROUP = "not selected"


def new_figure(width: float = 6.4, height: float = 4.8) -> Figure:
    """A figure with constrained layout (room is made for outside legends and colour bars)."""
    return Figure(figsize=(width, height), layout="constrained")


def cluster_labels(labels: Iterable) -> list:
    """Sorted distinct cluster labels; missing and negative labels (noise, filtered) excluded."""
    series = pd.Series(list(labels) if not isinstance(labels, pd.Series) else labels)
    valid = series[clustered_mask(series)]
    return sorted(pd.unique(valid).tolist())


def clustered_mask(labels: pd.Series | np.ndarray) -> np.ndarray:
    """True where a cell belongs to a cluster (label present and non-negative)."""
    series = pd.Series(np.asarray(labels))
    numeric = pd.to_numeric(series, errors="coerce")
    return (series.notna() & ~(numeric < 0)).to_numpy()


def cluster_name(label, *, size: int | None = None, selected: bool = False) -> str:
    """Legend text of a cluster, e.g. ``"cluster 3 (n=812, selected)"``.

    A string label names a group that is not a cluster (e.g. ``"selected"`` for a
    neighbourhood selection) and is shown as is.
    """
    if isinstance(label, float) and label.is_integer():
        label = int(label)
    details = [f"n={size:,}"] if size is not None else []
    if selected and label != SELECTED_GROUP:
        details.append("selected")
    name = label if isinstance(label, str) else f"cluster {label}"
    return name + (f" ({', '.join(details)})" if details else "")


def cluster_colors(labels: Iterable) -> dict:
    """One RGBA colour per cluster label: tab10 up to 10 clusters, tab20 up to 20, else turbo."""
    labels = cluster_labels(labels)
    n = len(labels)
    if n <= 10:
        palette = colormaps["tab10"].colors[:n]
    elif n <= 20:
        palette = colormaps["tab20"].colors[:n]
    else:
        palette = colormaps["turbo"](np.linspace(0.05, 0.95, n))
    return {label: to_rgba(color) for label, color in zip(labels, palette)}
