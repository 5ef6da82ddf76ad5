"""The runner's shared evaluation gives the values of the separate one (the previous evaluation)."""

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from cbred.paths import PROJECT_ROOT, reference_data_dir
from cbred.tfstats.images import GaussianImages, NpzImages
from cbred.tfstats.runner import Probe, evaluate, make_plan
from cbred.tfstats.table import TABLE_PATH

#: The default aggregate's statistics (configs/tfstats/default.yaml)
DEFAULT = yaml.safe_load((PROJECT_ROOT / "configs" / "tfstats" / "default.yaml").read_text())["statistics"]
#: The shared path computes ntk_cond's batched Jacobian with functorch's vmap, which may round
#: differently from autograd's own batching; every other statistic is the same to the bit.
TOLERANCE = {"ntk_cond": 1e-6}
#: The thin probe of TE-NAS's linear regions (configs/tfstats_runner/proxy.yaml)
THIN = Probe(network={"C": 2, "N": 1, "stages": 1, "in_channels": 1},
             inputs=GaussianImages(channels=1, resolution=3), batch_size=200)
CELLS = [
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
    "|avg_pool_3x3~0|+|nor_conv_3x3~0|none~1|+|nor_conv_1x1~0|skip_connect~1|avg_pool_3x3~2|",
    "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|",  # the identity: az_trainability fails
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",  # no path: most statistics fail
]


def rows(plan, arch, shared):
    return {r["statistic"]: r for r in evaluate(plan, arch, DEFAULT, "cpu", shared=shared)}


def assert_same(new, old):
    for name in DEFAULT:
        assert new[name]["error"] == old[name]["error"], name
        assert new[name]["repeats"] == old[name]["repeats"], name
        if math.isnan(old[name]["mean"]):
            assert math.isnan(new[name]["mean"]), name
            continue
        tolerance = TOLERANCE.get(name, 0.0)
        for key in ("mean", "std"):
            assert new[name][key] == pytest.approx(old[name][key], rel=tolerance, abs=0.0), (name, key)


@pytest.mark.parametrize("arch", CELLS)
def test_the_shared_evaluation_gives_the_values_of_the_separate_one(space, arch):
    probe = Probe(network={"C": 4, "N": 1}, inputs=GaussianImages(resolution=8), batch_size=8)
    plan = make_plan(space, DEFAULT, probe, {"linear_regions": THIN}, repeats=2, seed=0)
    assert_same(rows(plan, arch, shared=True), rows(plan, arch, shared=False))


@pytest.mark.slow
def test_the_shared_evaluation_reproduces_the_embedded_table(space):
    """Two classes of cbred/resources/nb201_tfstats.parquet, with its set-up (3 repeats).

    To rounding: the table was computed one thread per process, the test may use several.
    """
    data = reference_data_dir() / "cifar10_sample.npz"
    if not data.exists():
        pytest.skip("cifar10_sample.npz is not in the reference data")
    probe = Probe(network={"C": 8, "N": 1}, inputs=NpzImages(data, resolution=16), batch_size=16)
    thin = Probe(network=THIN.network, inputs=THIN.inputs, batch_size=1000)
    names = [n for n in DEFAULT if n != "flops"]  # the table's flops are the benchmark network's
    plan = make_plan(space, names, probe, {"linear_regions": thin}, repeats=3, seed=0)
    table = pd.read_parquet(TABLE_PATH)
    for arch in space.representatives(CELLS[:2]):  # the table holds its class's first member's values
        for row in evaluate(plan, arch, names, "cpu", shared=True):
            expected = table.loc[arch, row["statistic"]]
            assert row["mean"] == pytest.approx(expected, rel=TOLERANCE.get(row["statistic"], 1e-9)), row["statistic"]
