"""SearchDomain: uniform draws of unseen members, neighbours inside the sub-space or universe."""

import numpy as np
import pytest

from cbred.search import SearchDomain
from tests.search.toy import BitStrings, flip_one_bit, toy_domain


def test_draw_unseen_is_uniform_and_stops_when_everything_was_seen():
    domain = toy_domain(3)
    rng = np.random.default_rng(0)
    counts = {}
    for _ in range(4000):
        arch = domain.draw_unseen(rng, {"000", "111"})
        counts[arch] = counts.get(arch, 0) + 1
    assert set(counts) == set(domain.members) - {"000", "111"}
    assert max(counts.values()) - min(counts.values()) < 200  # ~667 each
    seen = set(domain.members) - {"010"}
    assert domain.draw_unseen(rng, seen) == "010"
    assert domain.draw_unseen(rng, set(domain.members)) is None


def test_neighbours_within_the_sub_space_or_the_universe():
    members = ["0000", "0001", "0011", "1111"]
    domain = toy_domain(4, members=members)
    assert set(domain.neighbours("0001", within="members")) == {"0000", "0011"}
    assert set(domain.neighbours("0001", within="universe")) == set(flip_one_bit(None, "0001"))
    with pytest.raises(ValueError, match="within"):
        domain.neighbours("0001", within="space")


def test_domain_validates_its_members():
    space = BitStrings(2)
    with pytest.raises(ValueError, match="empty"):
        SearchDomain(space=space, members=[], neighbours=flip_one_bit)
    with pytest.raises(ValueError, match="duplicate"):
        SearchDomain(space=space, members=["00", "00"], neighbours=flip_one_bit)
    with pytest.raises(ValueError, match="not in the universe"):
        SearchDomain(space=space, members=["00", "11"], universe=["00", "01"], neighbours=flip_one_bit)
