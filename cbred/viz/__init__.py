"""Figures of search spaces and reductions (matplotlib, no pyplot state).

Every plot function takes arrays or DataFrames and returns a ``matplotlib.figure.Figure``;
:func:`save_reduction_figures` writes all the figures of one reduction as PNG files.
"""

from cbred.viz.clusters import op_usage, op_usage_table, stability_curve
from cbred.viz.distributions import edf, histogram_by_cluster, histogram_selected_vs_full
from cbred.viz.embedding import LAYOUTS, MAX_POINTS, layout_2d, subsample
from cbred.viz.figures import KEY_FIGURES, save_figure, save_reduction_figures, space_layout
from cbred.viz.scatter import scatter_categorical, scatter_numeric

__all__ = [
    "KEY_FIGURES",
    "LAYOUTS",
    "MAX_POINTS",
    "edf",
    "histogram_by_cluster",
    "histogram_selected_vs_full",
    "layout_2d",
    "op_usage",
    "op_usage_table",
    "save_figure",
    "save_reduction_figures",
    "scatter_categorical",
    "scatter_numeric",
    "space_layout",
    "stability_curve",
    "subsample",
]
