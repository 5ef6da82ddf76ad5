"""TransNAS-Bench-101 micro: its committed TF table and a reduction end to end (no accuracy ships)."""

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

import cbred
from cbred.api import CONFIG_DIR
from cbred.pipeline import ReductionWarning
from cbred.spaces.nb201 import NB201Space
from cbred.tfstats.table import embedded_table_path, load_table

DEFAULT_STATISTICS = OmegaConf.load(CONFIG_DIR / "tfstats" / "default.yaml").statistics
SEED_STATISTICS = OmegaConf.load(CONFIG_DIR / "tfstats" / "seed.yaml").statistics


@pytest.fixture(scope="module")
def table():
    return load_table(embedded_table_path("tnb101_micro"))


def test_the_committed_table_covers_every_cell_with_the_seed_and_default_statistics(table):
    assert table.attrs["tfstats"]["space"] == "tnb101_micro" == cbred.compose("tnb101_micro").space.name
    assert len(table) == 4_096 and table.attrs["tfstats"]["n_isomorphism_classes"] == 1_236
    assert set(SEED_STATISTICS) | set(DEFAULT_STATISTICS) <= set(table.columns)
    assert table.attrs["tfstats"]["statistics"]["naswot_v2"]["repeats"] == 3
    # 169 cells have no input-output path; 208 more are the identity (az_trainability undefined)
    assert table["naswot_v2"].isna().sum() == 169 and table["az_trainability"].isna().sum() == 377


def test_declared_networks_measure_what_nb201s_measured_on_the_same_cells(table):
    # every TNB101 cell is an NB201 cell (no avg_pool) with the same class representative:
    # the declared space's networks, seeds and probes reproduce NB201's table
    nb201 = load_table()
    for name in ("ntk_cond", "linear_regions", "naswot_v2", "meco", "az_expressivity", "synflow", "params", "flops"):
        ours, theirs = table[name], nb201.loc[table.index, name]
        assert ours.isna().equals(theirs.isna()), name
        np.testing.assert_allclose(ours.dropna(), theirs.dropna(), rtol=1e-9, atol=1e-9, err_msg=name)
    tnb101 = cbred.load_inputs(cbred.compose("tnb101_micro"))[0]
    assert tnb101.representatives().equals(NB201Space().representatives(tnb101.ids))


@pytest.mark.slow
def test_a_reduction_end_to_end_against_a_partial_accuracy_table(tmp_path):
    space = cbred.load_inputs(cbred.compose("tnb101_micro"))[0]
    rng = np.random.default_rng(0)
    cells = rng.choice(np.array(space.ids), 1_500, replace=False)
    codes = space.codes_of(cells)
    path = tmp_path / "scores.csv"  # a stand-in score, not an accuracy: no accuracy of this space is read
    pd.DataFrame({"arch": cells, "score": 50 + 3 * (codes == 3).sum(1) + rng.normal(0, 1, len(cells))}).to_csv(path, index=False)
    with pytest.warns(ReductionWarning):
        reduction = cbred.reduce("tnb101_micro", overrides=[f"benchmark.path={path}", "benchmark.metric=score"])
    assert len(reduction.archs) == 3_719 and len(reduction.selected) == 37
    metrics = reduction.metrics()
    assert metrics["full/n_evaluated"] == 1_385 and 0 < metrics["selected/n_evaluated"] < 37
