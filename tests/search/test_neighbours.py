"""Edit-distance-1 neighbourhoods: the support of the spaces' own mutation operators."""

import numpy as np
import pytest

from cbred.spaces.nb201 import parse
from cbred.search import NEIGHBOURS


def test_nb201_neighbours_change_one_edge_and_are_the_mutation_support(nb201_space):
    arch = nb201_space.ids[4321]
    found = NEIGHBOURS["nb201"](nb201_space, arch)
    assert len(found) == len(set(found)) == 24 and arch not in found
    codes = np.array(parse(arch))
    assert all((np.array(parse(n)) != codes).sum() == 1 for n in found)
    rng = np.random.default_rng(0)
    mutants = {nb201_space.mutate(arch, 1, rng)[0] for _ in range(400)}
    assert mutants == set(found)


@pytest.mark.data
def test_nb101_neighbours_contain_every_one_step_mutation(nb101_sample):
    rng = np.random.default_rng(0)
    for arch in nb101_sample.ids[:15]:
        found = set(NEIGHBOURS["nb101"](nb101_sample, arch))
        assert found and arch not in found
        for _ in range(30):
            mutant = nb101_sample.mutate(arch, 1, rng)
            if mutant is not None:
                assert mutant[0] in found


def test_unknown_space_names_the_choices():
    with pytest.raises(KeyError, match="nb201"):
        NEIGHBOURS["nb301"]
