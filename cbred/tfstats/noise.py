"""How much of a statistic's variation is the architecture and how much the seed.

A statistic is an expectation over initialisations and input batches; a table of ``r``
repeats holds, per architecture, the mean and the standard deviation over repeats
(:mod:`cbred.tfstats.table`). Its signal-to-noise ratio is

    SNR = Var_a(mean_a) / mean_a(std_a ** 2)

(between-architecture variance of the means over the mean within-architecture variance
of one evaluation). Importable without torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def signal_to_noise(table: pd.DataFrame, statistics: Sequence[str] | None = None) -> pd.Series:
    """SNR of each statistic of ``table`` (columns ``<name>`` and ``<name>_std``).

    Rows whose mean or std is NaN (failed cells, one repeat) are left out; an
    architecture's isomorphic copies (same values) count once. A statistic with no
    within-architecture variance (deterministic) gets ``inf``; one without two repeats
    anywhere, NaN.

    Raises
    ------
    KeyError
        A requested statistic without its ``<name>`` or ``<name>_std`` column, named.
    """
    names = list(statistics) if statistics is not None else [
        c for c in table.columns if f"{c}_std" in table.columns
    ]
    out = {}
    for name in names:
        for column in (name, f"{name}_std"):
            if column not in table.columns:
                raise KeyError(f"signal_to_noise: table has no column {column!r}")
        rows = table[[name, f"{name}_std"]].dropna().drop_duplicates()
        if len(rows) < 2:
            out[name] = np.nan
            continue
        between = float(rows[name].var(ddof=1))
        within = float((rows[f"{name}_std"] ** 2).mean())
        out[name] = np.inf if within == 0 else between / within
    return pd.Series(out, name="snr", dtype=float)
