import time

import numpy as np
import pandas as pd
import pytest

from cbred.spaces.nb201 import (
    EDGES,
    NB201Space,
    all_codes,
    format_cell,
    graphs_from_codes,
    isomorphism_class,
    parse,
)

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


def test_space_has_all_cells_and_round_trips(nb201_space):
    ids = nb201_space.ids
    assert len(ids) == 15_625 == len(set(ids))
    assert all(format_cell(parse(a)) == a for a in ids)
    assert all_codes().shape == (15_625, len(EDGES))


@pytest.mark.parametrize(
    "arch, message",
    [
        ("|nor_conv_3x3~0|+|none~0|none~1|", "expected 3 nodes"),
        ("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown operation 'conv'.*position 1"),
        ("|none~0|+|none~1|none~1|+|none~0|none~1|none~2|", "'none~1' at position 10 has input index '1', expected 0"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|x", "stray character at position"),
        ("|none~0|+|none~0|+|none~0|none~1|none~2|", "node 2 .* has 1 inputs"),
        ("|none0|+|none~0|none~1|+|none~0|none~1|none~2|", "'none0' at position 1 is not 'op~input'"),
    ],
)
def test_malformed_strings_name_the_culprit(arch, message):
    with pytest.raises(ValueError, match=message):
        parse(arch)


def test_isomorphism_examples():
    # vertex 2 = x + 0 feeds the output through a skip: the benchmark keeps the block
    # "#+0" as one term, so this cell differs from the plain identity cell; the functional
    # form reduces both to the input x
    with_zero = "|none~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|"
    plain = "|skip_connect~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|"
    assert isomorphism_class(with_zero) == "#+#+#+0"
    assert isomorphism_class(plain) == "#+#+0"
    assert isomorphism_class(plain, drop_zero_terms=True) == "0"
    assert isomorphism_class(with_zero, drop_zero_terms=True) == "0"
    # an operation of the bare zero is zero, of a sum of zeros it stays a term
    assert isomorphism_class("|none~0|+|none~0|none~1|+|none~0|avg_pool_3x3~1|none~2|") == "#+#+#"
    assert isomorphism_class("|none~0|+|none~0|none~1|+|none~0|none~1|avg_pool_3x3~2|") == "#+#+(#+#)@avg_pool_3x3"


@pytest.mark.data
def test_isomorphism_partition_equals_the_benchmark(nb201_csv, nb201_space):
    table = pd.read_csv(nb201_csv)
    mine = nb201_space.isomorphism_classes(table["arch"])
    assert mine.nunique() == 6_466
    # same groups, cell for cell: the joint partition has no more blocks than either
    joint = pd.Series(list(zip(mine.to_numpy(), table["isomorph_class"]))).nunique()
    assert joint == 6_466 == table["isomorph_class"].nunique()
    # and in fact the canonical strings coincide
    assert (mine.to_numpy() == table["isomorph_class"].to_numpy()).all()


def test_functional_isomorphism_is_coarser(nb201_space):
    strict = NB201Space(drop_zero_terms=True).isomorphism_classes()
    bench = nb201_space.isomorphism_classes()
    assert strict.nunique() == 4_930
    # every benchmark class lies inside one functional class
    assert pd.DataFrame({"s": strict, "b": bench}).groupby("b")["s"].nunique().max() == 1


def test_vectorised_graphs_equal_tensor_projection(nb201_space):
    start = time.perf_counter()
    batch = nb201_space.graphs()
    elapsed = time.perf_counter() - start
    assert len(batch) == 15_625 and elapsed < 2.0
    for i in np.random.default_rng(0).choice(len(batch), 400, replace=False):
        assert batch[i] == nb201_space.graph(batch.ids[i])


def test_graph_of_a_known_cell(nb201_space):
    g = nb201_space.graph(ARCH)
    # 6 edges, none absent: input + 6 op nodes + output
    assert g.n_nodes == 8
    assert g.op_names.count("nor_conv_3x3") == 3 and g.op_names.count("skip_connect") == 2
    # a cell whose output sees only zeros collapses to input and output
    dead = nb201_space.graph("|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|none~2|")
    assert dead.n_nodes == 2 and dead.n_edges == 0
    # a conv fed only by a dead vertex is pruned
    g = nb201_space.graph("|none~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|none~1|skip_connect~2|")
    assert g.op_names == ("input", "skip_connect", "skip_connect", "output")


def test_adjacency_tensor_convention(nb201_space):
    a = nb201_space.adjacency_tensor(ARCH)
    assert a.tensor.shape == (4, 4, 4) and a.labels == "edge"
    assert a.tensor.sum() == 6
    assert a.tensor[2, 3, a.ops.index("skip_connect")] == 1
    assert a.tensor[1, 2, a.ops.index("avg_pool_3x3")] == 1


def test_subset_graphs_and_unknown_ids(nb201_space):
    batch = nb201_space.graphs([ARCH])
    assert batch.ids == (ARCH,) and batch[0] == nb201_space.graph(ARCH)
    assert graphs_from_codes(np.array([parse(ARCH)]))[0] == batch[0]
    with pytest.raises(ValueError, match="unknown operation"):
        nb201_space.check_ids(["|x~0|+|none~0|none~1|+|none~0|none~1|none~2|"])


@pytest.mark.parametrize("codes", [[0, 0, 0, 0, 0, -1], [0, 0, 0, 0, 0, 5], [0, 0, 0, 0, 0, 1.5], [0, 0, 0, 0, 0, True]])
def test_format_cell_rejects_codes_outside_the_operations(codes):
    from cbred.spaces.nb201 import format_cell

    with pytest.raises(ValueError, match=f"NB201 code {codes[-1]!r} at edge 5 is not an operation code 0..4"):
        format_cell(codes)


def test_empty_selections_and_missing_cells_are_named(nb201_space):
    with pytest.raises(ValueError, match="no architecture given"):
        nb201_space.graphs([])
    with pytest.raises(TypeError, match="NB201 cell must be a cell string .* got None"):
        nb201_space.isomorphism_class(None)


def test_nb201_mutation_changes_exactly_the_given_number_of_edges(nb201_space):
    rng = np.random.default_rng(0)
    for steps in (1, 2, 3):
        arch = nb201_space.ids[int(rng.integers(len(nb201_space)))]
        mutant, mutant_graph = nb201_space.mutate(arch, steps, rng)
        assert sum(a != b for a, b in zip(parse(arch), parse(mutant))) == steps
        assert mutant_graph == nb201_space.graph(mutant)
