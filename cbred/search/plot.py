"""The anytime figure: best accuracy found against queries, one line per sub-space."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np


def plot_anytime(
    curves: Mapping[str, Mapping[str, np.ndarray]],
    path: str | Path,
    *,
    thresholds: Mapping[str, float] | None = None,
    metric: str = "accuracy",
) -> Path:
    """Save the anytime curves of many runs: median and interquartile band over runs.

    Parameters
    ----------
    curves : mapping strategy -> mapping subset -> ndarray of shape (n_runs, budget)
        Best accuracy after each query (:func:`cbred.search.analysis.anytime_curves`).
    path : path-like
        The image file (PNG).
    thresholds : mapping of str to float, optional
        Targets drawn as dashed horizontal lines (e.g. top-1 % of the full space).
    metric : str
        Label of the y axis.

    Returns
    -------
    Path
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    strategies = list(curves)
    fig, axes = plt.subplots(1, len(strategies), figsize=(5.2 * len(strategies), 4.2), squeeze=False,
                             sharey=True)
    for ax, strategy in zip(axes[0], strategies):
        for subset, matrix in curves[strategy].items():
            queries = np.arange(1, matrix.shape[1] + 1)
            q25, q50, q75 = np.percentile(matrix, [25, 50, 75], axis=0)
            (line,) = ax.plot(queries, q50, label=f"{subset} (n={len(matrix)} runs)")
            ax.fill_between(queries, q25, q75, color=line.get_color(), alpha=0.2, linewidth=0)
        for name, value in (thresholds or {}).items():
            ax.axhline(value, color="grey", linestyle="--", linewidth=0.8)
            ax.annotate(name, (1, value), xytext=(2, 2), textcoords="offset points", fontsize=8, color="grey")
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
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
