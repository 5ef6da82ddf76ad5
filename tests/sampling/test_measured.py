"""A sampler's budget through a space and a distance: what it reveals and what the reduction makes of it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbred.distances.edge_substitution import EdgeSubstitutionDistance
from cbred.sampling import ActiveSampling, TableOracle, UniformSampling, sample_statistics
from tests.sampled_nb201 import STATISTICS, WORTH, reduce_small, small_space, tf_table


def sampled(sampler, seed=0):
    space, table = small_space(), tf_table()
    oracle = TableOracle(table)
    measured, fitted = sample_statistics(space, EdgeSubstitutionDistance(cache=False), sampler, oracle,
                                         statistics=STATISTICS, random_state=seed)
    return space, measured, fitted, oracle


def test_only_the_budget_is_revealed_one_representative_per_class():
    space, measured, fitted, oracle = sampled(UniformSampling(budget=40, random_state=0))
    assert oracle.n_revealed_ == 40 == len(measured) == len(fitted.measured_)
    assert measured.index.name == "arch" and list(measured.columns) == STATISTICS
    units = space.representatives(list(space.ids), among=list(space.ids))
    assert set(measured.index) <= set(units)  # class representatives, as the reduction's units
    pd.testing.assert_frame_equal(measured, tf_table().loc[measured.index, STATISTICS])


def share_of_the_best_measured(sampler, seed) -> float:
    """Share of the measured classes among the best tenth of the space by (known) worth."""
    space, measured, _, _ = sampled(sampler, seed)
    codes = pd.DataFrame(space.codes, index=list(space.ids))
    worth = pd.Series(WORTH[np.arange(6), codes.to_numpy()].sum(axis=1), index=codes.index)
    return float((worth >= worth.quantile(0.9)).reindex(measured.index).mean())


def test_on_a_known_space_an_active_budget_measures_more_of_the_best_cells_than_a_uniform_one():
    # 38 of the 127 classes: a seed of 10 uniform ones, then batches of 4 chosen actively
    seeds = (0, 1, 2)
    active = np.mean([share_of_the_best_measured(ActiveSampling(budget=0.3, random_state=s), s) for s in seeds])
    uniform = np.mean([share_of_the_best_measured(UniformSampling(budget=0.3, random_state=s), s) for s in seeds])
    assert active > uniform + 0.1


def test_with_an_active_sample_quantiled_takes_the_budget_of_the_best_measured_cells():
    space, measured, _, _ = sampled(ActiveSampling(budget=0.2, random_state=0))
    actively = reduce_small(space, measured, partial_tf=True, uniform_sample=False)
    uniformly = reduce_small(space, measured, partial_tf=True)
    n_cells = len(actively.selected)
    assert len(actively.subsets["quantiled"]) == n_cells
    assert len(uniformly.subsets["quantiled"]) < n_cells  # the budget's share of the sample
    assert set(actively.subsets["quantiled"]) <= set(actively.tf_rank.dropna().index)
    pd.testing.assert_index_equal(actively.selected, uniformly.selected)  # Quantiled's size only


def test_the_oracle_names_what_it_cannot_reveal():
    with pytest.raises(KeyError, match=r"no row for 1 requested architecture.*'nope'"):
        TableOracle(tf_table())(["nope"])
