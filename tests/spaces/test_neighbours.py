"""Edit-distance-1 neighbourhoods: the support of the spaces' own mutation operators."""

import numpy as np
import pytest

from cbred.spaces.nb201 import parse


def test_nb201_neighbours_change_one_edge_and_are_the_mutation_support(nb201_space):
    arch = nb201_space.ids[4321]
    found = nb201_space.neighbours(arch)
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
        found = set(nb101_sample.neighbours(arch))
        assert found and arch not in found
        for _ in range(30):
            mutant = nb101_sample.mutate(arch, 1, rng)
            if mutant is not None:
                assert mutant[0] in found


def test_a_space_without_a_mutation_operator_says_so():
    from cbred.spaces.space import SearchSpace

    class Listed(SearchSpace):
        name, node_vocab, ids = "listed", ("input", "output"), ("a", "b")
        canonical_id = adjacency_tensor = isomorphism_class = staticmethod(lambda arch: arch)

    with pytest.raises(NotImplementedError, match="space 'listed' has no neighbourhood"):
        Listed().neighbours("a")
