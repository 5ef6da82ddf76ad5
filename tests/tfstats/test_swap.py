import pytest
import torch
from torch import nn

from cbred.tfstats.images import ImageBatch
from cbred.tfstats import swap
from tests.tfstats._tiny import batch_of, mlp, permuted


def test_swap_counts_distinct_unit_patterns():
    net = nn.Sequential(nn.Flatten(), nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor([[1.0], [2.0], [-1.0], [1.0]]))
        net[1].bias.copy_(torch.tensor([0.0, 0.0, 0.0, -5.0]))
    x = torch.tensor([1.0, -1.0, 2.0]).view(3, 1, 1, 1)
    # units 1 and 2 are active on inputs {0, 2}, unit 3 on {1}, unit 4 on none: 3 patterns
    assert swap.swap(net, ImageBatch(x, torch.zeros(3, dtype=torch.long))) == 3


def test_swap_matches_a_set_of_tuples_and_ignores_the_batch_order():
    net, batch = mlp(hidden=64), batch_of(9)
    codes = (net[1](batch.inputs.flatten(1)) > 0).T.tolist()
    assert swap.swap(net, batch) == len({tuple(c) for c in codes})
    assert swap.swap(net, permuted(batch)) == swap.swap(net, batch)


def test_swap_needs_a_relu():
    with pytest.raises(ValueError, match="no nn.ReLU"):
        swap.swap(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), batch_of(3))
