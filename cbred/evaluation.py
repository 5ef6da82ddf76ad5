"""Accuracy-based quality of a reduction: only with a benchmark table; the method never sees it.

For every sub-space (the selected cluster, every cluster, and baselines of the same run:
the full space, TF-quantile filtering of the same size, a random subset of the same size):
its size, the mean / std / quantiles of accuracy, the recall of the full space's top
architectures, the best-of-N random-search distribution, and EDF curves; across clusters,
Kendall's tau between cluster scores and cluster mean accuracy.

Best-of-N
---------
Random search with budget ``N`` on a finite sub-space of ``M`` architectures draws ``N``
distinct architectures uniformly (without replacement) and keeps the best. With the
accuracies sorted, ``v_(1) <= ... <= v_(M)``, the best of the sample is at most ``v_(i)``
exactly when all ``N`` draws come from the ``i`` lowest, so

    P(best <= v_(i)) = C(i, N) / C(M, N),      P(best = v_(i)) = C(i-1, N-1) / C(M, N),

and ``E[best] = sum_i v_(i) C(i-1, N-1) / C(M, N)`` (ties do not matter: equal values
share their probability mass). A budget ``N >= M`` evaluates everything: the best is
``v_(M)``. This is exact, unlike a simulation, and unlike the with-replacement formula
``(i/M)^N`` it does not overstate small sub-spaces.

References
----------
H. A. David and H. N. Nagaraja, "Order Statistics", 3rd ed., Wiley, 2003 (order statistics
of samples drawn without replacement from a finite population).
I. Radosavovic et al., "On Network Design Spaces for Visual Recognition", ICCV 2019 (EDFs
to compare design spaces).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import gammaln
from scipy.stats import kendalltau

from cbred.caller import warn

#: Sub-spaces whose rows enter ``metrics()`` (the per-cluster rows stay in the table).
BASELINES = ("full", "selected", "quantiled", "random")


def best_of_n_cdf(values: Sequence[float], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Distribution of the best of ``n`` draws without replacement from ``values``.

    Returns
    -------
    support : ndarray of shape (M,)
        The values, sorted ascending.
    cdf : ndarray of shape (M,)
        ``P(best <= support[i])`` counted by rank: ``C(i + 1, n) / C(M, n)``.
    """
    support = np.sort(np.asarray(values, dtype=np.float64))
    m = len(support)
    if m == 0:
        raise ValueError("best-of-N of an empty set")
    if n < 1:
        raise ValueError(f"budget n must be >= 1, got {n}")
    n = min(n, m)
    i = np.arange(1, m + 1)
    log_cdf = np.full(m, -np.inf)
    ok = i >= n
    log_cdf[ok] = _log_comb(i[ok], n) - _log_comb(m, n)
    return support, np.exp(log_cdf)


def best_of_n_pmf(values: Sequence[float], n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(support, P(best = support[i]))`` of the best of ``n`` draws (see :func:`best_of_n_cdf`)."""
    support, cdf = best_of_n_cdf(values, n)
    return support, np.diff(cdf, prepend=0.0)


def expected_best_of_n(values: Sequence[float], n: int) -> float:
    """Exact expected best of ``n`` distinct architectures drawn uniformly from ``values``."""
    support, pmf = best_of_n_pmf(values, n)
    return float(support @ pmf)


def _log_comb(n, k):
    return gammaln(np.asarray(n) + 1) - gammaln(k + 1) - gammaln(np.asarray(n) - k + 1)


def best_of_n_summary(values: Sequence[float], n: int) -> dict[str, float]:
    """Mean, std, 5 % / 50 % / 95 % quantiles of the best of ``n``."""
    support, cdf = best_of_n_cdf(values, n)
    pmf = np.diff(cdf, prepend=0.0)
    mean = float(support @ pmf)
    var = max(float(np.square(support - mean) @ pmf), 0.0)
    quantile = {q: float(support[np.searchsorted(cdf, q - 1e-12)]) for q in (0.05, 0.5, 0.95)}
    return {
        f"best_of_{n}": mean,
        f"best_of_{n}_std": math.sqrt(var),
        f"best_of_{n}_q05": quantile[0.05],
        f"best_of_{n}_q50": quantile[0.5],
        f"best_of_{n}_q95": quantile[0.95],
    }


def top_set(accuracy: pd.Series, fraction: float) -> pd.Index:
    """The space's top ``fraction`` by accuracy: at least ``ceil(fraction * M)`` ids (ties kept)."""
    if not 0 < fraction <= 1:
        raise ValueError(f"top fraction must be in (0, 1], got {fraction}")
    k = math.ceil(fraction * len(accuracy))
    threshold = accuracy.nlargest(k).iloc[-1]
    return accuracy.index[accuracy >= threshold]


def edf(values: Sequence[float], grid: Sequence[float]) -> np.ndarray:
    """Empirical distribution function ``F(x) = share of values <= x`` on ``grid``."""
    values = np.sort(np.asarray(values, dtype=np.float64))
    return np.searchsorted(values, np.asarray(grid), side="right") / max(len(values), 1)


def summarize(
    accuracy: pd.Series,
    tops: Mapping[str, pd.Index],
    budgets: Sequence[int] = (10, 100),
    quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95),
) -> dict[str, float]:
    """Accuracy statistics of one sub-space.

    Parameters
    ----------
    accuracy : Series
        Accuracy of the sub-space's architectures (no NaN).
    tops : mapping of name to Index
        Top sets of the full space (e.g. ``{"top1pct": ..., "top5pct": ...}``); gives
        ``<name>_recall``, the share of each top set inside the sub-space.
    budgets : sequence of int
        Random-search budgets ``N`` of the best-of-N statistics.
    """
    row = {
        "size": float(len(accuracy)),
        "acc_mean": float(accuracy.mean()),
        "acc_std": float(accuracy.std()),
        "acc_max": float(accuracy.max()),
        **{f"acc_q{round(100 * q):02d}": float(accuracy.quantile(q)) for q in quantiles},
    }
    for name, top in tops.items():
        row[f"{name}_recall"] = float(accuracy.index.isin(top).sum() / len(top))
    for n in budgets:
        row.update(best_of_n_summary(accuracy.to_numpy(), int(n)))
    return row


@dataclass
class Evaluation:
    """Accuracy of the sub-spaces of one reduction.

    Attributes
    ----------
    summary : DataFrame
        One row per sub-space (``full``, ``selected``, ``quantiled``, ``random``,
        ``cluster_<id>``), columns from :func:`summarize`.
    edf : DataFrame
        EDF of accuracy on a grid of accuracies (index) for the baselines (columns).
    cluster_rank_tau : float
        Kendall's tau-b between cluster scores and cluster mean accuracy (NaN with fewer
        than two clusters).
    metric : str
        Name of the accuracy column.
    """

    summary: pd.DataFrame
    edf: pd.DataFrame
    cluster_rank_tau: float
    metric: str = "accuracy"
    budgets: tuple[int, ...] = field(default=(10, 100))

    def metrics(self) -> dict[str, float]:
        """Flat ``"<subset>/<statistic>"`` dict of the baselines plus ``cluster_rank_tau``."""
        flat = {
            f"{subset}/{column}": float(value)
            for subset in BASELINES
            if subset in self.summary.index
            for column, value in self.summary.loc[subset].items()
        }
        flat["cluster_rank_tau"] = float(self.cluster_rank_tau)
        return flat


def check_budgets(budgets: Sequence[int], option: str = "budgets") -> tuple[int, ...]:
    """Best-of-N budgets as positive ints; ``ValueError`` naming the option and the value.

    Call it before any work: a budget such as ``10.5`` would otherwise fail only after the
    reduction (``best_of_10.5`` is no metric).

    Parameters
    ----------
    budgets : sequence of int
    option : str
        What the message calls the option (a config key).
    """
    if isinstance(budgets, (str, bytes)) or not isinstance(budgets, Sequence | np.ndarray):
        raise ValueError(f"{option} must be a list of positive integers, got {budgets!r}")
    if len(budgets) == 0:
        raise ValueError(f"{option} is empty: give at least one best-of-N budget, e.g. {option}=[10,100]")
    for budget in budgets:
        integral = isinstance(budget, (int, np.integer)) and not isinstance(budget, (bool, np.bool_))
        if not integral or budget < 1:
            raise ValueError(
                f"{option}: {budget!r} is not a positive integer (best-of-N budgets count "
                f"architectures), got {list(budgets)!r}"
            )
    return tuple(int(b) for b in budgets)


def evaluate(
    accuracy: pd.Series,
    subsets: Mapping[str, pd.Index],
    labels: pd.Series,
    cluster_scores: pd.Series,
    *,
    budgets: Sequence[int] = (10, 100),
    top_fractions: Sequence[float] = (0.01, 0.05),
    edf_points: int = 200,
) -> Evaluation:
    """Evaluate the sub-spaces of a reduction against an accuracy table.

    Parameters
    ----------
    accuracy : Series
        Accuracy of every architecture of the (constrained) space, indexed by id; NaN
        rows are dropped with a warning.
    subsets : mapping of name to Index
        Named sub-spaces (``full``, ``selected``, ``quantiled``, ``random``, ...).
    labels : Series
        Cluster of every architecture (``-1``: not clustered); every cluster becomes a
        ``cluster_<id>`` row.
    cluster_scores : Series
        Score of every cluster (for Kendall's tau with the clusters' mean accuracy).
    budgets : sequence of int
        Best-of-N budgets (default 10 and 100).
    top_fractions : sequence of float
        Top sets for recall (default 1 % and 5 %, named ``top1pct`` and ``top5pct``).
    edf_points : int
        Grid size of the EDF curves.

    Raises
    ------
    ValueError
        For a budget that is not a positive integer (:func:`check_budgets`), or no
        accuracy at all.
    """
    budgets = check_budgets(budgets)
    missing = accuracy.isna()
    if missing.any():
        warn(
            f"{int(missing.sum())} architectures have no accuracy and are left out of the evaluation")
        accuracy = accuracy[~missing]
    if accuracy.empty:
        raise ValueError("no architecture of the space has an accuracy value")
    tops = {f"top{_percent(f)}pct": top_set(accuracy, f) for f in top_fractions}
    clustered = labels[labels >= 0]
    named = dict(subsets) | {
        f"cluster_{c}": clustered.index[clustered == c] for c in np.unique(clustered)
    }
    rows = {}
    for name, ids in named.items():
        values = accuracy.reindex(ids).dropna()
        if values.empty:
            if name in BASELINES:
                raise ValueError(
                    f"the accuracy table covers none of the {len(ids)} architectures of the {name!r} "
                    "sub-space: nothing to evaluate (give a table that covers the space being reduced)"
                )
            warn(f"sub-space {name!r} has no architecture with accuracy")
            continue
        # size: the sub-space; n_evaluated: its architectures the accuracy table covers
        rows[name] = {**summarize(values, tops, budgets), "size": float(len(ids)), "n_evaluated": float(len(values))}
    summary = pd.DataFrame.from_dict(rows, orient="index")
    summary.index.name = "subset"

    grid = np.linspace(accuracy.min(), accuracy.max(), edf_points)
    curves = pd.DataFrame(
        {name: edf(accuracy.reindex(ids).dropna(), grid) for name, ids in subsets.items()},
        index=pd.Index(grid, name="accuracy"),
    )
    means = accuracy.reindex(clustered.index).groupby(clustered.to_numpy()).mean()
    tau = _kendall(cluster_scores.reindex(means.index), means)
    return Evaluation(summary, curves, tau, metric=str(accuracy.name), budgets=tuple(budgets))


def _percent(fraction: float) -> str:
    return f"{100 * fraction:g}".replace(".", "_")


def _kendall(a: pd.Series, b: pd.Series) -> float:
    ok = a.notna() & b.notna()
    if ok.sum() < 2:
        return float("nan")
    return float(kendalltau(a[ok], b[ok]).statistic)
