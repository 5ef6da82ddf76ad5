"""Statistics revealed from a finished table: how a TF budget is studied without spending it."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


class TableOracle:
    """``oracle(archs)``: the rows of ``table`` for ``archs``, as if they had just been measured.

    Parameters
    ----------
    table : DataFrame
        Statistics indexed by architecture id (a full table: NB201's embedded one, the NB101
        sample's).
    columns : sequence of str, optional
        The statistics revealed (default: every column).

    Attributes
    ----------
    n_revealed_ : int
        Architectures revealed so far.
    """

    def __init__(self, table: pd.DataFrame, columns: Sequence[str] | None = None) -> None:
        self.table = table
        self.columns = columns
        self.n_revealed_ = 0

    def __call__(self, archs: Sequence[str]) -> pd.DataFrame:
        archs = list(archs)
        missing = pd.Index(archs).difference(self.table.index)
        if len(missing):
            raise KeyError(f"the oracle table has no row for {len(missing)} requested architecture(s), "
                           f"e.g. {list(missing[:3])}")
        self.n_revealed_ += len(archs)
        rows = self.table.loc[archs]
        return rows if self.columns is None else rows[list(self.columns)]
