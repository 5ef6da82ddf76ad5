"""What many search runs say: anytime curves, queries to a target, bootstrap intervals.

A run that never reaches a target within its budget is *censored*: its number of queries
is ``inf``, it stays in every median and resample (a median is ``inf`` when at least half
of the runs are censored), and the share of runs that reached the target is reported next
to it. Intervals are percentile bootstrap intervals over runs, widened outward (the lower
bound rounds down, the upper up) so that censored values need no interpolation.

References
----------
B. Efron and R. J. Tibshirani, "An Introduction to the Bootstrap", Chapman & Hall, 1993.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cbred.evaluation import top_set

#: Targets of the figures that decide a reduction: name -> top fraction of the full space.
TARGETS = {"top1pct": 0.01, "top01pct": 0.001}
#: Query counts at which the best accuracy found is reported.
CHECKPOINTS = (10, 50, 100, 300)


def anytime_curves(best_so_far: Sequence[Sequence[float]], budget: int) -> np.ndarray:
    """Best accuracy after each query, one row per run, ``(n_runs, budget)``.

    A run that stopped early (its sub-space exhausted) keeps its final best until
    ``budget``; raises ``ValueError`` for an empty run.
    """
    curves = np.empty((len(best_so_far), budget), dtype=np.float64)
    for row, values in enumerate(best_so_far):
        values = np.asarray(values, dtype=np.float64)[:budget]
        if len(values) == 0:
            raise ValueError(f"anytime_curves: run {row} has no query")
        curves[row, : len(values)] = values
        curves[row, len(values):] = values[-1]
    return curves


def target_thresholds(accuracy: pd.Series, targets: Mapping[str, float] = TARGETS) -> dict[str, float]:
    """Accuracy a run must reach for each target: the lowest of the space's top fraction."""
    accuracy = accuracy.dropna()
    return {name: float(accuracy.loc[top_set(accuracy, fraction)].min()) for name, fraction in targets.items()}


def queries_to_reach(curves: np.ndarray, threshold: float) -> np.ndarray:
    """Queries each run needed to reach ``threshold`` (1-based; ``inf`` if it never did)."""
    reached = np.asarray(curves) >= threshold
    return np.where(reached.any(axis=1), reached.argmax(axis=1) + 1.0, np.inf)


def _interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    alpha = (1.0 - level) / 2.0
    return (float(np.quantile(samples, alpha, method="lower")),
            float(np.quantile(samples, 1.0 - alpha, method="higher")))


def bootstrap_median(
    values: Sequence[float], *, n_boot: int = 2000, level: float = 0.95, random_state=0
) -> tuple[float, float, float]:
    """Median of ``values`` (``inf`` allowed) and its percentile bootstrap interval."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("bootstrap_median: no values")
    rng = np.random.default_rng(random_state)
    medians = np.median(values[rng.integers(len(values), size=(n_boot, len(values)))], axis=1)
    return (float(np.median(values)), *_interval(medians, level))


def bootstrap_speedup(
    baseline: Sequence[float], candidate: Sequence[float], *, n_boot: int = 2000, level: float = 0.95,
    random_state=0,
) -> tuple[float, float, float]:
    """Ratio of medians ``median(baseline) / median(candidate)`` and its bootstrap interval.

    Both samples are resampled independently. The ratio is NaN when both medians are
    ``inf`` (neither reaches the target); the interval is NaN when any resample is.
    """
    baseline = np.asarray(baseline, dtype=np.float64)
    candidate = np.asarray(candidate, dtype=np.float64)
    if baseline.size == 0 or candidate.size == 0:
        raise ValueError("bootstrap_speedup: no values")
    rng = np.random.default_rng(random_state)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.median(baseline) / np.median(candidate)
        boot = (np.median(baseline[rng.integers(len(baseline), size=(n_boot, len(baseline)))], axis=1)
                / np.median(candidate[rng.integers(len(candidate), size=(n_boot, len(candidate)))], axis=1))
    low, high = (np.nan, np.nan) if np.isnan(boot).any() else _interval(boot, level)
    return float(ratio), low, high


def summarize_runs(
    curves: np.ndarray,
    thresholds: Mapping[str, float],
    *,
    checkpoints: Sequence[int] = CHECKPOINTS,
    n_boot: int = 2000,
    random_state=0,
) -> dict[str, float]:
    """Metrics of many runs of one strategy on one sub-space.

    Returns
    -------
    dict
        ``queries_to_<target>_median`` with ``_low`` / ``_high`` (95 % bootstrap interval)
        and ``_reached`` (share of runs that reached it), for every target;
        ``best_at_<n>`` (mean over runs) and ``best_at_<n>_median`` for every checkpoint
        within the budget; ``best_final`` and ``n_runs``.
    """
    metrics: dict[str, float] = {"n_runs": int(len(curves))}
    for name, threshold in thresholds.items():
        queries = queries_to_reach(curves, threshold)
        median, low, high = bootstrap_median(queries, n_boot=n_boot, random_state=random_state)
        metrics[f"queries_to_{name}_median"] = median
        metrics[f"queries_to_{name}_low"] = low
        metrics[f"queries_to_{name}_high"] = high
        metrics[f"queries_to_{name}_reached"] = float(np.isfinite(queries).mean())
    for n in checkpoints:
        if n <= curves.shape[1]:
            metrics[f"best_at_{n}"] = float(curves[:, n - 1].mean())
            metrics[f"best_at_{n}_median"] = float(np.median(curves[:, n - 1]))
    metrics["best_final"] = float(curves[:, -1].mean())
    return metrics
