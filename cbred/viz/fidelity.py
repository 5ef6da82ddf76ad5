"""How well a learned distance reproduces the edit distance: one figure of the held-out pairs."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from scipy.stats import spearmanr


def fidelity_figure(predicted: np.ndarray, reference: np.ndarray, *, title: str,
                    predicted_label: str = "embedding distance",
                    reference_label: str = "graph edit distance (exact)") -> Figure:
    """Predicted against reference distance of held-out pairs: the spread of the predicted
    distances at every reference distance (boxes, whiskers at the 5th and 95th percentiles),
    the identity line, and the Spearman correlation in the title.

    Shapes
    ------
    predicted, reference : (q, p) or (n,), the same pairs
    """
    predicted, reference = np.ravel(predicted).astype(np.float64), np.ravel(reference).astype(np.float64)
    if predicted.shape != reference.shape:
        raise ValueError(f"predicted and reference distances differ in shape: {predicted.shape} vs {reference.shape}")
    levels = np.unique(reference)
    fig = Figure(figsize=(6.4, 4.6))
    ax = fig.subplots()
    groups = [predicted[reference == level] for level in levels]
    spacing = float(np.diff(levels).min()) if len(levels) > 1 else 1.0
    ax.boxplot(groups, positions=levels, widths=0.7 * spacing, whis=(5, 95), showfliers=False, manage_ticks=False)
    ax.plot([0, levels.max()], [0, levels.max()], color="tab:red", lw=1, ls="--", label="identity (y = x)")
    rho = spearmanr(predicted, reference).statistic
    ax.set_xlabel(f"{reference_label}\n({len(predicted):,} pairs at {len(levels)} distinct distances)", fontsize=9)
    ax.set_ylabel(predicted_label)
    ax.set_title(f"{title}\nheld-out pairs: Spearman {rho:.3f}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
