"""The registry of statistics: its contract, and checks that run every registered statistic."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from cbred.models import build_network
from cbred.tfstats import STATISTICS, UnknownNameError, direction
from cbred.tfstats.images import ImageBatch
from cbred.tfstats.registry import Statistic
from tests.tfstats._tiny import random_batch

CELL = "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"

CONTRACT = {
    "ntk_cond": -1,
    "linear_regions": 1,
    "naswot_v1": 1,
    "naswot_v2": 1,
    "synflow": 1,
    "snip": 1,
    "grad_norm": 1,
    "params": 1,
    "flops": 1,
    "zico": 1,
    "meco": 1,
    "swap": 1,
    "az_expressivity": 1,
    "az_progressivity": 1,
    "az_trainability": 1,
    "epe_nas": 1,
    "zen": 1,
    "fisher": 1,
    "grasp": 1,
    "plain": 1,
    "l2_norm": 1,
}


def test_registered_statistics_and_directions_are_the_contract():
    assert set(STATISTICS.names()) == set(CONTRACT)
    assert {name: direction(name) for name in STATISTICS} == CONTRACT
    assert all(isinstance(STATISTICS[n], Statistic) and callable(STATISTICS[n].fn) for n in CONTRACT)
    assert not STATISTICS["params"].stochastic and not STATISTICS["flops"].invariant
    assert STATISTICS["naswot_v2"].stochastic and STATISTICS["naswot_v2"].invariant
    # l2_norm depends on the seed and counts weights that never reach the output
    assert STATISTICS["l2_norm"].stochastic and not STATISTICS["l2_norm"].invariant


def test_unknown_name_lists_the_choices():
    with pytest.raises(UnknownNameError, match=r"unknown statistic 'nwot' \(choices: az_expressivity, az_progressivity"):
        STATISTICS["nwot"]
    with pytest.raises(KeyError, match="ntk_cond"):
        direction("jacov")


class NaNNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 3)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.linear(x.flatten(1))) * float("nan")


@pytest.mark.parametrize("name", ["naswot_v1", "synflow", "snip", "grad_norm", "ntk_cond"])
def test_a_network_that_produces_nan_raises_floating_point_error(name):
    with pytest.raises(FloatingPointError, match=name):
        STATISTICS[name](NaNNetwork(), random_batch(4))


@pytest.mark.slow
def test_every_statistic_runs_on_a_tiny_nb201_network():
    torch.manual_seed(0)
    net = build_network("nb201", CELL, C=2, N=1)
    batch = ImageBatch(torch.randn(4, 3, 8, 8), torch.tensor([0, 1, 2, 3]))
    values = {name: STATISTICS[name](build_network("nb201", CELL, C=2, N=1), batch) for name in STATISTICS}
    assert all(math.isfinite(v) for v in values.values())
    assert values["params"] == sum(p.numel() for p in net.parameters()) / 1e6
    assert 1 <= values["linear_regions"] <= 4


#: An NB201 cell whose every input-output path passes a ``none`` edge (its convolution
#: reaches nothing): the output is the classifier's bias for every input.
DEGENERATE = "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|"
#: Statistics that do not read how the output depends on the input (defined on DEGENERATE:
#: weight sizes and norms, loss gradients that reach the classifier's bias, and the
#: activation codes of the ReLUs the input does reach).
INPUT_FREE = {"params", "flops", "l2_norm", "snip", "grad_norm", "naswot_v2"}


@pytest.mark.slow
def test_degenerate_cells_give_nan_and_the_reason_through_the_runner(nb201_space):
    from cbred.tfstats.images import GaussianImages
    from cbred.tfstats.runner import Probe, evaluate, make_plan

    probe = Probe({"C": 2, "N": 1}, GaussianImages(resolution=8), batch_size=4)
    names = [n for n in STATISTICS.names() if n != "linear_regions"]
    plan = make_plan(nb201_space, names, probe, repeats=1)
    rows = {r["statistic"]: r for r in evaluate(plan, DEGENERATE, names, torch.device("cpu"))}
    for name in set(names) - INPUT_FREE:
        assert math.isnan(rows[name]["mean"]) and rows[name]["error"], name
        assert "repeat 0" in rows[name]["error"], name
    for name in INPUT_FREE:
        assert math.isfinite(rows[name]["mean"]) and rows[name]["error"] is None, name


def test_every_statistic_runs_on_a_tiny_nb101_network():
    from cbred.spaces.nb101 import Spec

    spec = Spec.from_raw(
        np.array([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]),
        ["input", "conv3x3-bn-relu", "maxpool3x3", "output"],
    )
    batch = ImageBatch(torch.randn(4, 3, 8, 8), torch.tensor([0, 1, 0, 1]))
    for name in STATISTICS:
        torch.manual_seed(0)
        value = STATISTICS[name](build_network("nb101", spec, C=4, N=1), batch)
        assert math.isfinite(value), name
