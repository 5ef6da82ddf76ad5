"""Domains: uniform draws of unseen members, neighbours inside the sub-space or universe; listed
(SearchDomain) or known by membership (SampledDomain, a reduction's region)."""

import numpy as np
import pytest

from cbred.search import (
    CallableEvaluator,
    LocalSearch,
    RandomSearch,
    RegularizedEvolution,
    SampledDomain,
    SearchDomain,
    run_search,
)
from cbred.search.standin import train
from tests.sampled_nb201 import sample_reduction
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


class OpenBits(BitStrings):
    """Bit strings drawn uniformly, as a space too large to list is (ids are listed for the tests only)."""

    def draw(self, rng):
        return "".join(rng.choice(["0", "1"], size=self.n_bits))

    def neighbours(self, arch):
        return flip_one_bit(self, arch)

    def canonical_id(self, arch):
        if not isinstance(arch, str) or len(arch) != self.n_bits or set(arch) - {"0", "1"}:
            raise ValueError(f"not a {self.n_bits}-bit string: {arch!r}")
        return arch


def mostly_ones(archs):
    return np.array([arch.count("1") >= 3 for arch in archs])


def test_sampled_domain_draws_unseen_members_uniformly_and_stops_when_all_were_seen():
    space = OpenBits(4)
    domain = SampledDomain(space=space, contains=mostly_ones, batch_size=8, max_draws=500)
    members = {a for a in space.ids if a.count("1") >= 3}  # 5 of 16
    rng = np.random.default_rng(0)
    counts = {}
    for _ in range(2000):
        arch = domain.draw_unseen(rng, {"1111"})
        counts[arch] = counts.get(arch, 0) + 1
    assert set(counts) == members - {"1111"}
    assert max(counts.values()) - min(counts.values()) < 150  # ~500 each
    assert domain.draw_unseen(rng, members - {"0111"}) == "0111"
    assert domain.draw_unseen(rng, members) is None
    empty = SampledDomain(space=space, contains=lambda archs: np.zeros(len(archs), bool), max_draws=500)
    with pytest.raises(RuntimeError, match="no member of the region among 500 uniform draws"):
        empty.draw_unseen(rng, ())


def test_sampled_domain_neighbours_membership_and_no_length():
    calls = []
    domain = SampledDomain(space=OpenBits(4), contains=lambda archs: calls.append(len(archs)) or mostly_ones(archs))
    assert set(domain.neighbours("0111", within="members")) == {"1111"}
    assert set(domain.neighbours("0111", within="universe")) == {"1111", "0011", "0101", "0110"}
    assert domain.neighbours("0111") == domain.neighbours("0111") and sum(calls) == 4  # remembered
    assert "1101" in domain and "0001" not in domain and "2222" not in domain and 7 not in domain
    with pytest.raises(TypeError):
        len(domain)
    with pytest.raises(ValueError, match="within"):
        domain.neighbours("0111", within="space")
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        SampledDomain(space=OpenBits(4), batch_size=0)
    whole = SampledDomain(space=OpenBits(4))  # no predicate: the whole space
    assert "0000" in whole and len(whole.neighbours("0000")) == 4 and repr(whole).startswith("SampledDomain(space")


@pytest.fixture(scope="module")
def region_domain():
    """The region of a reduction of 300 cells sampled from a 729-cell space treated as too large to list."""
    reduction = sample_reduction(300, seed=0)
    return reduction, SampledDomain(space=reduction.region.space, contains=reduction.contains_many)


@pytest.mark.parametrize("strategy", [RandomSearch(), RegularizedEvolution(population_size=5, sample_size=2),
                                      LocalSearch()], ids=["random", "rea", "local"])
def test_strategies_search_inside_a_region_with_a_training_function(region_domain, strategy):
    reduction, domain = region_domain
    trace = run_search(strategy, domain, CallableEvaluator(function=train), budget=12, random_state=0)
    assert len(trace) == 12 and trace["arch"].is_unique
    assert reduction.contains_many(trace["arch"]).all()  # every query is a member of the region
    assert not set(trace["arch"]) <= set(reduction.archs)  # ... not only the listed ones
    again = run_search(strategy, domain, CallableEvaluator(function=train), budget=12, random_state=0)
    assert again["arch"].tolist() == trace["arch"].tolist()
