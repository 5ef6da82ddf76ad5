"""What every cbred figure shares: a pyplot-free figure factory and one colour per cluster.

Figures are ``matplotlib.figure.Figure`` objects made without ``pyplot``, so plotting never
touches a global backend or leaks open figures; ``Figure.savefig`` renders them with Agg.
A cluster keeps its colour across the scatterplot, the histograms and the op-usage chart, and
the selection is drawn in one fixed colour, :data:`SELECTED_COLOR`, that no other group takes
(the palettes below leave red out).
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
#: The colour of the selection (the selected group or the cluster taken first) in every figure.
SELECTED_COLOR = to_rgba("#d62728")
#: The colour of the cells a neighbourhood selection left out.
REST_COLOR = to_rgba("#4c72b0")
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


def cluster_name(label, *, size: int | None = None, selected: bool = False, role: str = "selected") -> str:
    """Legend text of a cluster, e.g. ``"cluster 3 (n=812, selected)"``.

    A string label names a group that is not a cluster (e.g. ``"selected"`` for a
    neighbourhood selection) and is shown as is. ``role`` is what a highlighted cluster is
    called: ``"selected"`` when it is the selection, ``"taken first"`` when the selection
    is only part of it (a union of clusters cut at the budget).
    """
    if isinstance(label, float) and label.is_integer():
        label = int(label)
    details = [f"n={size:,}"] if size is not None else []
    if selected and label != SELECTED_GROUP:
        details.append(role)
    name = label if isinstance(label, str) else f"cluster {label}"
    return name + (f" ({', '.join(details)})" if details else "")


def _palette(n: int) -> list:
    """``n`` distinct colours, none of them red (red is :data:`SELECTED_COLOR`)."""
    if n <= 9:
        return [c for i, c in enumerate(colormaps["tab10"].colors) if i != 3][:n]
    if n <= 18:
        return [c for i, c in enumerate(colormaps["tab20"].colors) if i not in (6, 7)][:n]
    return list(colormaps["viridis"](np.linspace(0.0, 0.9, n)))


def cluster_colors(labels: Iterable, highlight=None) -> dict:
    """One RGBA colour per cluster label; the ``highlight`` label (and the
    :data:`SELECTED_GROUP` of a neighbourhood selection) is :data:`SELECTED_COLOR`.

    The other labels take tab10 up to 9 clusters, tab20 up to 18, else viridis, red left
    out; the :data:`REST_GROUP` is :data:`REST_COLOR`.
    """
    labels = cluster_labels(labels)
    fixed = {SELECTED_GROUP: SELECTED_COLOR, REST_GROUP: REST_COLOR}
    if highlight is not None:
        fixed[highlight] = SELECTED_COLOR
    free = [label for label in labels if label not in fixed]
    colors = dict(zip(free, _palette(len(free))))
    return {label: to_rgba(fixed[label] if label in fixed else colors[label]) for label in labels}


def direction_phrase(direction: int | None) -> str:
    """``"higher is better"`` (+1), ``"lower is better"`` (-1) or ``""`` (unknown)."""
    return {1: "higher is better", -1: "lower is better"}.get(direction, "")


def variable_title(name: str, direction: int | None = None, detail: str | None = None) -> str:
    """Title of a figure of one variable: ``"ntk_cond, lower is better"``,
    ``"test_acc on nb201_cifar10, higher is better"``."""
    name = f"{name} on {detail}" if detail else name
    phrase = direction_phrase(direction)
    return f"{name}, {phrase}" if phrase else name
