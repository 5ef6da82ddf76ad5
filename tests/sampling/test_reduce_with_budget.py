"""``python reduce.py tfstats.sampling=... tfstats.budget=...``: a run that measures what it reads."""

from __future__ import annotations

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from cbred.paths import PROJECT_ROOT
from reduce import run

CONFIGS = str(PROJECT_ROOT / "configs")


def _compose(tmp_path, *overrides):
    with initialize_config_dir(config_dir=CONFIGS, version_base="1.3"):
        return compose("reduce", overrides=[f"output_dir={tmp_path}", "logger=none", "plots.enabled=false",
                                            *overrides])


@pytest.mark.slow
def test_an_active_budget_run_writes_what_it_measured_and_that_table_reproduces_the_selection(tf_path, tmp_path):
    cfg = _compose(tmp_path / "budget", f"tfstats.path={tf_path}", "tfstats.measure.runner=null",
                   "tfstats.sampling=active", "tfstats.budget=300", "tfstats.samplers.active.batch_size=50")
    run(cfg)
    measured = pd.read_parquet(tmp_path / "budget" / "tf_measured.parquet")
    rounds = pd.read_csv(tmp_path / "budget" / "tf_sampling.csv")
    assert len(measured) == 300 and measured.index.is_unique
    assert rounds["n_measured"].tolist() == [75, 125, 175, 225, 275, 300]  # a quarter, then batches
    selected = pd.read_csv(tmp_path / "budget" / "selected.csv")["arch"]
    again = _compose(tmp_path / "again", f"tfstats.path={tmp_path / 'budget' / 'tf_measured.parquet'}",
                     "tfstats.partial=true")
    run(again)
    pd.testing.assert_series_equal(pd.read_csv(tmp_path / "again" / "selected.csv")["arch"], selected)


@pytest.mark.parametrize("overrides, message", [
    (["tfstats.sampling=clever", "tfstats.budget=10"], r"tfstats\.sampling='clever' is not a sampler.*uniform, active"),
    (["tfstats.sampling=active"], r"tfstats\.sampling=active needs tfstats\.budget"),
    (["tfstats.sampling=uniform", "tfstats.budget=1.0"], r"tfstats\.budget=1\.0: a budget >= 1 counts"),
])
def test_a_bad_budget_is_refused_before_anything_is_measured(tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        run(_compose(tmp_path, "tfstats.measure.runner=null", *overrides))
