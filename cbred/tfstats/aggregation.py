"""One score per architecture from the ranks of its statistics, never fitted on accuracy.

Every aggregator is a plain function ``aggregate(ranks, ...) -> Series`` of the signed
within-space percentile ranks (:func:`cbred.selection.ranks.signed_ranks`: one column per
statistic, one row per architecture or unit, values in ``(0, 1]``, higher is better), to
be passed as ``reduce_space(..., aggregate=...)`` or configured as
``tfstats.aggregate: {_target_: cbred.tfstats.aggregation.<name>, _partial_: true}``.
Their only parameters are fixed in advance (weights from a signal-to-noise table, see
:func:`cbred.tfstats.noise.signal_to_noise`), so nothing here can be fitted on accuracy;
a column that looks like an accuracy is refused (:data:`ACCURACY_COLUMNS`).

A statistic missing for an architecture (NaN) is left out of its score: every aggregate
is over the statistics the architecture has. Importable without torch.

References
----------
J. Lee and B. Ham, "AZ-NAS: Assembling Zero-Cost Proxies for Network Architecture
Search", CVPR 2024 (non-linear ranking aggregation, :func:`log_rank`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

#: Column names an aggregator refuses: the method never reads accuracy.
ACCURACY_COLUMNS = frozenset({"accuracy", "acc", "test_acc", "val_acc", "valid_acc", "train_acc", "val_accuracy"})


def _checked(ranks: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(ranks, pd.DataFrame):
        raise TypeError(f"ranks must be a DataFrame of percentile ranks, got {type(ranks).__name__}")
    leaked = sorted(str(c) for c in ranks.columns if str(c).lower() in ACCURACY_COLUMNS)
    if leaked:
        raise ValueError(f"ranks hold accuracy column(s) {leaked}: aggregates of TF statistics never read accuracy")
    values = ranks.to_numpy(dtype=float)
    bad = ~np.isnan(values) & ((values <= 0) | (values > 1))
    if bad.any():
        column = ranks.columns[np.nonzero(bad.any(axis=0))[0][0]]
        raise ValueError(f"ranks must be percentile ranks in (0, 1]; column {column!r} is not")
    return ranks


def mean_rank(ranks: pd.DataFrame) -> pd.Series:
    """Mean percentile rank over the statistics (the pipeline's default)."""
    return _checked(ranks).mean(axis=1).rename("mean_rank")


def median_rank(ranks: pd.DataFrame) -> pd.Series:
    """Median percentile rank over the statistics (robust to one statistic gone astray)."""
    return _checked(ranks).median(axis=1).rename("median_rank")


def log_rank(ranks: pd.DataFrame) -> pd.Series:
    """AZ-NAS's non-linear aggregation: ``sum_m log(rank_m / n)``, as a mean over statistics.

    ``rank_m / n`` is the percentile rank; the logarithm punishes an architecture that is
    poor on any one statistic far more than the mean rank does. Divided by the number of
    statistics the architecture has (the same order as AZ-NAS's sum when none is missing).
    """
    return np.log(_checked(ranks)).mean(axis=1).rename("log_rank")


def weighted_rank(ranks: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Weighted mean percentile rank, ``weights`` fixed per statistic (e.g. reliabilities).

    Raises
    ------
    ValueError
        A statistic of ``ranks`` without a weight, or a negative or non-finite weight,
        naming it; all weights zero.
    """
    ranks = _checked(ranks)
    missing = [c for c in ranks.columns if c not in weights]
    if missing:
        raise ValueError(f"weighted_rank: no weight for statistic(s) {missing} (weights for {sorted(weights)})")
    w = pd.Series({c: float(weights[c]) for c in ranks.columns})
    bad = w[~np.isfinite(w) | (w < 0)]
    if len(bad):
        raise ValueError(f"weighted_rank: weight of {bad.index[0]!r} must be finite and >= 0, got {bad.iloc[0]}")
    present = ranks.notna().to_numpy()
    total = present @ w.to_numpy()
    if not (total > 0).any():
        raise ValueError("weighted_rank: every weight is zero")
    score = ranks.fillna(0.0).to_numpy() @ w.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(np.where(total > 0, score / total, np.nan), index=ranks.index, name="weighted_rank")


def noise_weighted_rank(ranks: pd.DataFrame, snr: Mapping[str, float]) -> pd.Series:
    """Mean rank weighted by each statistic's reliability ``snr / (1 + snr)``.

    ``snr`` is the between-architecture over within-architecture variance of each
    statistic (:func:`cbred.tfstats.noise.signal_to_noise`), so the weight is the share of
    a single evaluation's variance that is signal: pure noise weighs 0, a deterministic
    statistic 1 (``snr`` infinite).
    """
    weights = {}
    for name in ranks.columns:
        if name not in snr:
            raise ValueError(f"noise_weighted_rank: no signal-to-noise figure for statistic {name!r}")
        value = float(snr[name])
        weights[name] = 1.0 if value == np.inf else value / (1.0 + value) if value >= 0 else np.nan
    return weighted_rank(ranks, weights).rename("noise_weighted_rank")
