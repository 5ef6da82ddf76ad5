"""The anytime figure: best accuracy found against queries, one line per sub-space.

:func:`anytime_figure` draws it (a ``matplotlib.figure.Figure``, no pyplot state);
:func:`plot_anytime` writes it as a PNG.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def anytime_figure(
    curves: Mapping[str, Mapping[str, np.ndarray]],
    *,
    thresholds: Mapping[str, float] | None = None,
    metric: str = "accuracy",
    shared_draws: Mapping[str, int] | None = None,
) -> Figure:
    """The anytime curves of many runs: median and interquartile band over runs.

    Parameters
    ----------
    curves : mapping strategy -> mapping subset -> ndarray of shape (n_runs, budget)
        Best accuracy after each query (:func:`cbred.search.analysis.anytime_curves`).
    thresholds : mapping of str to float, optional
        Targets drawn as dashed horizontal lines (e.g. top-1 % of the full space).
    metric : str
        Name of the accuracy, in the y axis label.
    shared_draws : mapping of str to int, optional
        Per strategy, how many first queries are random search's own draws (the same seed
        and stream: REA's initial population,
        :attr:`~cbred.search.strategy.SearchStrategy.shared_random_draws`). Its panel
        shades them and says so, since its curves match random search's there by
        construction.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per strategy, side by side, sharing the y axis.
    """
    strategies = list(curves)
    fig = Figure(figsize=(5.2 * len(strategies), 4.2))
    axes = fig.subplots(1, len(strategies), squeeze=False, sharey=True)
    for ax, strategy in zip(axes[0], strategies):
        for subset, matrix in curves[strategy].items():
            queries = np.arange(1, matrix.shape[1] + 1)
            q25, q50, q75 = np.percentile(matrix, [25, 50, 75], axis=0)
            (line,) = ax.plot(queries, q50, label=f"{subset} (n={len(matrix)} runs)")
            ax.fill_between(queries, q25, q75, color=line.get_color(), alpha=0.2, linewidth=0)
        for name, value in (thresholds or {}).items():
            ax.axhline(value, color="grey", linestyle="--", linewidth=0.8)
            ax.annotate(name, (1, value), xytext=(2, 2), textcoords="offset points", fontsize=8, color="grey")
        budget = max(matrix.shape[1] for matrix in curves[strategy].values())
        _mark_shared_draws(ax, min((shared_draws or {}).get(strategy, 0), budget))
        ax.set_xscale("log")
        ax.set_xlabel("queries (architectures evaluated)")
        ax.set_title(strategy)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    axes[0][0].set_ylabel(f"best {metric} so far (median, IQR band)")
    low = min(np.percentile(m, 25, axis=0)[min(9, m.shape[1] - 1)] for c in curves.values() for m in c.values())
    high = max(m.max() for c in curves.values() for m in c.values())
    axes[0][0].set_ylim(low - 0.05 * (high - low + 1e-9), high + 0.05 * (high - low + 1e-9))
    fig.tight_layout()
    return fig


def plot_anytime(
    curves: Mapping[str, Mapping[str, np.ndarray]],
    path: str | Path,
    *,
    thresholds: Mapping[str, float] | None = None,
    metric: str = "accuracy",
    shared_draws: Mapping[str, int] | None = None,
) -> Path:
    """Save :func:`anytime_figure` of ``curves`` as a PNG at ``path`` (120 dpi); returns ``path``."""
    path = Path(path)
    anytime_figure(curves, thresholds=thresholds, metric=metric, shared_draws=shared_draws).savefig(path, dpi=120)
    return path


def _mark_shared_draws(ax, n_queries: int) -> None:
    """Shade the first ``n_queries`` of a panel and say that they are random search's draws."""
    if n_queries <= 1:  # one shared first draw is not worth a note
        return
    ax.axvspan(1, n_queries, color="grey", alpha=0.08, linewidth=0)
    ax.axvline(n_queries, color="grey", linestyle=":", linewidth=0.8)
    ax.annotate(f"queries 1-{n_queries}: the same uniform draws\nas random search (same seed)",
                (n_queries, 0.98), xycoords=("data", "axes fraction"), xytext=(-4, 0), textcoords="offset points",
                ha="right", va="top", fontsize=7, color="dimgrey")
