"""A 729-cell NB201-like space that can be treated as too large to list, for region and search tests.

The cells of NB201 whose edges carry none / skip / conv 3x3 (the ids are NB201 cell
strings), declared twice: listed (:func:`small_space`) and sampled (``listed=False``: no
``ids``, cells drawn uniformly), with synthetic TF statistics that reward convolutions on
some edges more than on others (never an accuracy).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbred.distances.edge_substitution import EdgeSubstitutionDistance
from cbred.pipeline import Reduction, reduce_space
from cbred.selection import NeighbourhoodScore
from cbred.spaces.edge_cell import EdgeCellSpace
from cbred.spaces.sample import SpaceSample

OPS = ("none", "skip_connect", "nor_conv_3x3")
STATISTICS = ["naswot_v1", "ntk_cond"]
#: Worth of none / skip / conv on each of the six edges.
WORTH = np.array([[0, 0.3, 1.0], [0, 0.2, 0.8], [0, 0.1, 0.6], [0, 0.4, 1.3], [0, 0.0, 0.9], [0, 0.5, 0.7]])


def small_space(listed: bool = True) -> EdgeCellSpace:
    """The 729 cells, listed or treated as too many to list."""
    return EdgeCellSpace(name="nb201_small", operations=OPS, **({} if listed else {"max_enumerable": 100}))


def tf_table(noise: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """Synthetic statistics of all 729 cells: the worth of their operations plus noise."""
    space = small_space()
    worth = WORTH[np.arange(6), space.codes].sum(axis=1)
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"naswot_v1": worth + rng.normal(0, noise, len(worth)),
         "ntk_cond": np.exp(-worth + rng.normal(0, noise, len(worth)))},
        index=pd.Index(space.ids, name="arch"),
    )


def reduce_small(space, table: pd.DataFrame, selection=None, **options) -> Reduction:
    """A neighbourhood reduction (5 % budget, edge-substitution distance) of ``space``."""
    options = {"budget": 0.05, "statistics": STATISTICS, **options}
    return reduce_space(space, table, EdgeSubstitutionDistance(cache=False), selection or NeighbourhoodScore(),
                        **options)


def sample_reduction(n: int = 300, seed: int = 0, **options) -> Reduction:
    """The reduction of ``n`` cells drawn from the space treated as too large to list."""
    sample = SpaceSample.drawn(small_space(listed=False), n, random_state=seed)
    return reduce_small(sample, tf_table().loc[list(sample.ids)], **options)
