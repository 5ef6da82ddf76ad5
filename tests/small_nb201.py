"""A 729-cell NB201 space for fast pipeline tests."""

from functools import cached_property

import numpy as np

from cbred.spaces.nb201 import NB201Space, all_codes


class SmallNB201(NB201Space):
    """NB201 cells built from none / skip / conv 3x3 only: 3^6 = 729 cells, 6 x faster tests."""

    @cached_property
    def codes(self):
        codes = all_codes()
        return codes[np.isin(codes, [0, 1, 3]).all(axis=1)]


def small_reduction():
    """A neighbourhood reduction (50 cells, Hellinger) of the 729 cells, with synthetic statistics
    and accuracy that reward convolutions: ``(space, reduction, accuracy)``."""
    import pandas as pd

    from cbred.distances import Hellinger
    from cbred.pipeline import reduce_space
    from cbred.selection import NeighbourhoodScore

    space = SmallNB201()
    rng = np.random.default_rng(0)
    convs = (space.codes == 3).sum(axis=1)
    tf = pd.DataFrame({"ntk_cond": np.exp(-convs + rng.normal(0, 0.5, len(convs))),
                       "naswot_v1": convs + rng.normal(0, 0.5, len(convs))},
                      index=pd.Index(space.ids, name="arch"))
    accuracy = pd.Series(80 + convs + rng.normal(0, 1, len(convs)), index=tf.index, name="test_acc")
    reduction = reduce_space(space, tf, Hellinger(cache=False), NeighbourhoodScore(), budget=50,
                             statistics=["ntk_cond", "naswot_v1"], accuracy=accuracy)
    return space, reduction, accuracy
