"""What every network of a declared space offers, whatever its kind."""

import pytest
import torch

from cbred.models import build_network
from cbred.spaces.builtin import BUILTIN_SPACES

SMALL = {"nb201": {"C": 2, "N": 1}, "tnb101_micro": {"C": 2, "N": 1}, "darts": {"C": 4, "layers": 3}}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_reset_parameters_reinitialises(name):
    space = BUILTIN_SPACES[name]()
    net = build_network(space, space.sample(1, random_state=0)[0], **SMALL[name])
    before = [p.clone() for p in net.parameters()]
    torch.manual_seed(1)
    net.reset_parameters()
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))
