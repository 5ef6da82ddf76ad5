"""Declared edge-operation cells: ids, generic isomorphism, uniform sampling, sampled spaces."""

import itertools
import math

import numpy as np
import pytest
from scipy.stats import chisquare

from cbred.spaces.edge_cell import EdgeCellSpace

TINY_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3"]


def tiny(**kwargs) -> EdgeCellSpace:
    return EdgeCellSpace(name="tiny", n_nodes=3, operations=TINY_OPS, **kwargs)


def test_ids_round_trip_through_codes_and_graphs():
    space = EdgeCellSpace(name="five", n_nodes=5, operations=["none", "skip_connect", "sep_conv_3x3"])
    assert len(space.edges) == 10 and space.size == 3 ** 10 and len(space.ids) == 59_049
    for arch in space.sample(50, random_state=0):
        assert space.format(space.parse(arch)) == arch == space.canonical_id(arch)
        assert space.id_of_tensor(space.adjacency_tensor(arch)) == arch  # id -> graph tensor -> id
        graph = space.graph(arch)
        assert space.graphs([arch])[0] == graph  # the vectorised projection equals the tensor's
    assert space.ids[1] == "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|+|none~0|none~1|none~2|skip_connect~3|"


def _fingerprint(space: EdgeCellSpace, codes, inputs: np.ndarray) -> tuple:
    """The cell's output on scalar inputs, every operation a fixed nonlinear map with f(0) = 0."""
    maps = {"none": lambda v: 0.0 * v, "skip_connect": lambda v: v,
            "nor_conv_1x1": lambda v: np.tanh(1.7 * v) + 0.3 * v ** 2, "nor_conv_3x3": lambda v: np.sin(2.3 * v) * np.exp(v / 3)}
    values = [inputs]
    for j in range(1, space.n_nodes):
        values.append(sum(maps[space.ops[c]](values[i]) for (i, t), c in zip(space.edges, codes) if t == j))
    return tuple(np.round(values[-1], 9))


def test_the_functional_canonical_form_is_exact_on_a_tiny_space_by_brute_force():
    # functional equivalence by evaluation: equal labels <=> equal outputs on generic inputs
    space = EdgeCellSpace(name="tiny", n_nodes=4, operations=TINY_OPS, drop_zero_terms=True)
    inputs = np.array([0.37, -1.21, 0.88, 2.05])
    by_label, by_value = {}, {}
    for codes in itertools.product(range(4), repeat=6):
        by_label.setdefault(space.isomorphism_class(codes), set()).add(codes)
        by_value.setdefault(_fingerprint(space, codes, inputs), set()).add(codes)
    assert sorted(map(sorted, by_label.values())) == sorted(map(sorted, by_value.values()))
    assert len(by_label) == 871


def test_the_benchmark_form_refines_the_functional_form():
    # every benchmark class lies inside one functional class; "x + #" and "x" are two of the former
    space = EdgeCellSpace(name="four", operations=TINY_OPS)
    functional = EdgeCellSpace(name="four", operations=TINY_OPS, drop_zero_terms=True)
    pairs = {(space.isomorphism_class(a), functional.isomorphism_class(a)) for a in space.ids}
    assert len({b for _, b in pairs}) == 871 < len({a for a, _ in pairs}) == len(pairs) == 1_236


def test_uniform_sampler_passes_a_chi_square_test():
    space = tiny()
    draws = space.sample(8_000, random_state=3, distinct=False)
    counts = np.array([draws.count(a) for a in space.ids])
    assert counts.sum() == 8_000 and len(space.ids) == 64
    assert chisquare(counts).pvalue > 0.001
    assert space.sample(10, random_state=3) == space.sample(10, random_state=3)
    assert len(set(space.sample(64, random_state=1))) == 64
    with pytest.raises(ValueError, match="65 distinct architectures requested, space 'tiny' has 64"):
        space.sample(65)


def test_a_space_above_the_threshold_is_sampled_not_listed():
    space = EdgeCellSpace(name="wide", n_nodes=8, operations=["none", "skip_connect", "nor_conv_3x3", "avg_pool_3x3"])
    assert not space.enumerable and space.size == 4 ** 28
    with pytest.raises(ValueError, match=r"space 'wide' has 7.21e\+16 architectures, too many to list: it is sampled"):
        space.ids
    sample = space.sample(200, random_state=0)
    assert len(set(sample)) == 200 and all(space.canonical_id(a) == a for a in sample)
    assert sample[0] in space and "|bogus~0|" not in space
    assert space.graphs(sample).ids == tuple(sample)
    # NB201 itself, told it is too large, samples the cells it would list
    nb201 = EdgeCellSpace(name="nb201", operations=["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"],
                          max_enumerable=1_000)
    assert not nb201.enumerable and set(nb201.sample(100, random_state=0)) <= set(EdgeCellSpace(
        name="nb201", operations=["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]).ids)
    assert "about 10^17" in repr(space) and math.isclose(space.size, 7.2e16, rel_tol=0.01)


def test_neighbours_are_the_support_of_one_mutation():
    space = tiny()
    arch = space.ids[37]
    found = space.neighbours(arch)
    assert len(found) == len(set(found)) == 3 * 3 and arch not in found
    rng = np.random.default_rng(0)
    assert {space.mutate(arch, 1, rng)[0] for _ in range(300)} == set(found)


def test_every_nb201_and_tnb101_cell_round_trips_through_its_adjacency_tensor():
    from cbred.spaces.nb201 import NB201Space

    for space in (NB201Space(), EdgeCellSpace(name="tnb101_micro", operations=TINY_OPS)):
        assert all(space.id_of_tensor(space.adjacency_tensor(a)) == a for a in space.ids)
    tensor = NB201Space().adjacency_tensor(NB201Space().ids[7])
    with pytest.raises(ValueError, match="is not a TINY cell"):
        tiny().id_of_tensor(tensor)
