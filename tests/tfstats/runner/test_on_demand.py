"""The runner as a measurement: batches through the verified cache, and runner configs read by name."""

from __future__ import annotations

import pandas as pd
import pytest

from cbred.tfstats.runner import compute_table
from cbred.tfstats.runner.on_demand import OnDemand, runner_config

from .conftest import STATS


def shards(root):
    return sorted(p.name for p in root.rglob("*.parquet"))


def test_on_demand_batches_equal_one_run_and_a_second_pass_computes_nothing(space, archs, probe, tmp_path):
    measure = OnDemand(space=space, statistics=STATS, probe=probe, cache=tmp_path / "cache")
    first = pd.concat([measure(archs[:2]), measure(archs[2:])])
    written = shards(tmp_path / "cache")
    again = measure(archs)
    assert shards(tmp_path / "cache") == written  # every row came from the cache
    whole = compute_table(space, STATS, probe=probe, archs=archs, repeats=1, cache=tmp_path / "other", progress=False)
    pd.testing.assert_frame_equal(first.loc[archs], whole[STATS])
    pd.testing.assert_frame_equal(again, whole[STATS])


def test_a_runner_config_is_read_by_name_with_its_engine_options_and_overrides():
    cfg = runner_config("proxy", ["repeats=2", "device=cpu"])
    assert cfg.repeats == 2 and cfg.device == "cpu" and cfg.processes == 1  # _engine's
    assert cfg.probe.network.C == 8 and "hydra" not in cfg and "defaults" not in cfg


@pytest.mark.parametrize("name", ["nope", "_engine"])
def test_an_unknown_runner_config_names_the_choices(name):
    with pytest.raises(ValueError, match=r"tfstats\.measure\.runner=.* not a config of configs/tfstats_runner/.*proxy"):
        runner_config(name)
