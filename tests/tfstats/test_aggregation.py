import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from cbred.paths import PROJECT_ROOT
from cbred.tfstats import aggregation as agg

RANKS = pd.DataFrame(
    {"a": [1.0, 0.5, 0.25, np.nan], "b": [0.25, 0.5, 1.0, 0.5], "c": [0.5, 0.5, 0.5, 1.0]},
    index=["x", "y", "z", "w"],
)


def test_mean_median_and_log_rank_by_hand():
    assert agg.mean_rank(RANKS).tolist() == pytest.approx([1.75 / 3, 0.5, 1.75 / 3, 0.75])
    assert agg.median_rank(RANKS).tolist() == pytest.approx([0.5, 0.5, 0.5, 0.75])
    # AZ-NAS: sum of log ranks (here divided by the statistics present)
    expected = [math.log(1 * 0.25 * 0.5) / 3, math.log(0.125) / 3, math.log(0.125) / 3, math.log(0.5) / 2]
    assert agg.log_rank(RANKS).tolist() == pytest.approx(expected)


def test_log_rank_punishes_one_poor_statistic_more_than_the_mean():
    ranks = pd.DataFrame({"a": [1.0, 0.5], "b": [0.1, 0.5]}, index=["spiky", "even"])
    assert agg.mean_rank(ranks)["spiky"] == pytest.approx(0.55)
    assert agg.mean_rank(ranks)["spiky"] > agg.mean_rank(ranks)["even"]
    assert agg.log_rank(ranks)["spiky"] == pytest.approx(math.log(0.1) / 2)
    assert agg.log_rank(ranks)["even"] == pytest.approx(math.log(0.5))
    assert agg.log_rank(ranks)["spiky"] < agg.log_rank(ranks)["even"]


def test_weighted_and_noise_weighted_rank():
    w = agg.weighted_rank(RANKS, {"a": 2.0, "b": 1.0, "c": 0.0})
    assert w.tolist() == pytest.approx([(2 + 0.25) / 3, 0.5, (0.5 + 1) / 3, 0.5])  # w: a missing
    # reliability snr / (1 + snr): 3 -> 0.75, 1 -> 0.5, inf (deterministic) -> 1
    n = agg.noise_weighted_rank(RANKS, {"a": 3.0, "b": 1.0, "c": np.inf})
    expected = agg.weighted_rank(RANKS, {"a": 0.75, "b": 0.5, "c": 1.0})
    assert n.tolist() == pytest.approx(expected.tolist())
    with pytest.raises(ValueError, match=r"no weight for statistic\(s\) \['c'\]"):
        agg.weighted_rank(RANKS, {"a": 1.0, "b": 1.0})
    with pytest.raises(ValueError, match="weight of 'b' must be finite"):
        agg.weighted_rank(RANKS, {"a": 1.0, "b": -1.0, "c": 1.0})
    with pytest.raises(ValueError, match="no signal-to-noise figure for statistic 'b'"):
        agg.noise_weighted_rank(RANKS, {"a": 1.0, "c": 1.0})


@pytest.mark.parametrize("fn", [agg.mean_rank, agg.median_rank, agg.log_rank])
def test_aggregates_refuse_accuracy_and_values_that_are_not_ranks(fn):
    with pytest.raises(ValueError, match=r"accuracy column\(s\) \['test_acc'\]"):
        fn(RANKS.assign(test_acc=[0.9, 0.8, 0.7, 0.6]))
    with pytest.raises(ValueError, match="column 'b' is not"):
        fn(RANKS.assign(b=[0.0, 0.5, 1.0, 0.5]))


def test_aggregation_imports_without_torch():
    code = "import sys, cbred.tfstats.aggregation, cbred.tfstats.noise; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("preset", ["seed", "seed_synflow_params", "aznas", "noise_weighted", "default"])
def test_presets_compose_and_their_aggregate_scores_ranks(preset):
    with initialize_config_dir(str(PROJECT_ROOT / "configs"), version_base="1.3"):
        cfg = compose("reduce", overrides=[f"tfstats={preset}"])
    names = list(cfg.tfstats.statistics)
    if preset == "seed":
        assert names == ["ntk_cond", "linear_regions", "naswot_v1", "naswot_v2"]
    if cfg.tfstats.aggregate is None:
        return
    fn = instantiate(cfg.tfstats.aggregate)
    ranks = pd.DataFrame({n: [1.0, 0.5] for n in names}, index=["good", "bad"])
    scores = fn(ranks)
    assert scores["good"] > scores["bad"]
