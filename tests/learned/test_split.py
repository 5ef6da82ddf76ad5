"""Held-out splits that never cut a group of twins."""

import numpy as np
import pandas as pd
import pytest

from cbred.learned.split import split_architectures


def test_split_keeps_isomorphism_classes_and_graphs_together(nb201_space):
    split = split_architectures(nb201_space, val=0.1, test=0.05, random_state=1)
    assert split.index.equals(pd.Index(nb201_space.ids, name="arch"))
    share = split.value_counts(normalize=True)
    assert share["val"] == pytest.approx(0.1, abs=0.01) and share["test"] == pytest.approx(0.05, abs=0.01)
    classes = nb201_space.isomorphism_classes()
    assert split.groupby(classes.to_numpy()).nunique().max() == 1
    graphs = nb201_space.graphs()
    rows = [row.tobytes() for row in np.concatenate([graphs.ops, graphs.adjacency.reshape(len(graphs), -1)], 1)]
    assert split.groupby(rows).nunique().max() == 1
    assert split.equals(split_architectures(nb201_space, val=0.1, test=0.05, random_state=1))


@pytest.mark.parametrize("val, test", [(0.6, 0.4), (-0.1, 0.1), (1.0, 0.0)])
def test_split_rejects_bad_fractions(nb201_space, val, test):
    with pytest.raises(ValueError, match="holdout"):
        split_architectures(nb201_space, val=val, test=test)
