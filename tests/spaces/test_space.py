"""What every search space inherits from SearchSpace: id checks, graphs, isomorphism classes."""

import numpy as np
import pandas as pd
import pytest

from cbred.graph import AdjacencyTensor
from cbred.spaces.space import SearchSpace


class ToySpace(SearchSpace):
    """One edge carrying one operation; ``conv2`` computes the same function as ``conv``."""

    name = "toy"
    node_vocab = ("input", "conv", "pool", "output")

    @property
    def ids(self):
        return ("conv", "pool", "conv2")

    def canonical_id(self, arch):
        return arch.lower()

    def adjacency_tensor(self, arch):
        tensor = np.zeros((2, 2, 2), dtype=np.uint8)
        tensor[0, 1, 0 if arch.startswith("conv") else 1] = 1
        return AdjacencyTensor(tensor, ("conv", "pool"), "edge")

    def isomorphism_class(self, arch):
        return arch.rstrip("2")


def test_ids_are_checked_in_their_canonical_spelling():
    space = ToySpace()
    assert len(space) == 3 and "pool" in space and "relu" not in space and repr(space) == "ToySpace(3 architectures)"
    assert space.check_ids(["CONV", "pool"]) == ["conv", "pool"]
    with pytest.raises(KeyError, match=r"1 architecture\(s\) not in space 'toy' \(3 architectures\), e.g. \['relu'\]"):
        space.check_ids(["conv", "Relu"])
    assert space.ids_from_table(pd.DataFrame({"arch": ["pool"]})).tolist() == ["pool"]
    with pytest.raises(ValueError, match=r"no 'arch' column to identify toy architectures \(columns: \['id'\]\)"):
        space.ids_from_table(pd.DataFrame({"id": ["pool"]}))


def test_graphs_of_a_selection_and_of_none():
    space = ToySpace()
    graphs = space.graphs(["pool", "conv"])
    assert graphs.ids == ("pool", "conv")
    np.testing.assert_array_equal(graphs.op_counts(), [[1, 0, 1, 1], [1, 1, 0, 1]])  # input, conv, pool, output
    assert len(space.graphs()) == 3
    with pytest.raises(ValueError, match="no architecture given: graphs of an empty selection of toy"):
        space.graphs([])


def test_representatives_come_first_in_the_pool_and_mutation_is_optional():
    space = ToySpace()
    classes = space.isomorphism_classes()
    assert classes.tolist() == ["conv", "pool", "conv"] and classes.name == "isomorph_class"
    assert space.representatives(["conv2", "pool"]).tolist() == ["conv", "pool"]
    assert space.representatives(["conv", "conv2"], among=["conv2", "conv"]).tolist() == ["conv2", "conv2"]
    with pytest.raises(NotImplementedError, match="space 'toy' has no mutation operator"):
        space.mutate("conv", 1, np.random.default_rng(0))


def test_representatives_are_the_first_class_member_of_the_pool(nb201_space):
    classes = nb201_space.isomorphism_classes()
    big = classes.value_counts().index[0]
    members = list(classes.index[classes == big])  # in space order
    reps = nb201_space.representatives(members)
    assert (reps == members[0]).all() and reps.index.tolist() == members
    later = nb201_space.representatives(members[2:], among=members[2:])
    assert (later == members[2]).all()
