"""The DARTS space: ids, uniform sampling, graphs, isomorphism classes, mutations."""

import math
import time
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf
from scipy.stats import chisquare

from cbred.graph import CompGraph
from cbred.spaces.darts import OPERATIONS, DartsArch, DartsSpace

# DARTS-V2 (Liu et al. 2019), in the canonical spelling (a node's inputs by state)
DARTS_V2 = (
    "normal:sep_conv_3x3~0,sep_conv_3x3~1|sep_conv_3x3~0,sep_conv_3x3~1|skip_connect~0,sep_conv_3x3~1|"
    "skip_connect~0,dil_conv_3x3~2;"
    "reduce:max_pool_3x3~0,max_pool_3x3~1|max_pool_3x3~1,skip_connect~2|max_pool_3x3~0,skip_connect~2|"
    "max_pool_3x3~1,skip_connect~2"
)
CONFIG = Path(__file__).resolve().parents[2] / "configs" / "space" / "darts.yaml"


@pytest.fixture(scope="module")
def space():
    return DartsSpace()


def swap_tokens(arch: str) -> str:
    """``arch`` with the two inputs of every node written the other way round."""
    cells = []
    for cell in arch.split(";"):
        prefix, nodes = cell.split(":")
        cells.append(prefix + ":" + "|".join(",".join(node.split(",")[::-1]) for node in nodes.split("|")))
    return ";".join(cells)


def edit_distance(space, a: str, b: str) -> int:
    """Inputs ``(op, state)`` of ``a`` that ``b`` lacks, node by node (a node's pair is unordered)."""
    pa, pb = space.parse(a), space.parse(b)
    return sum(len(set(na) - set(nb)) for ca, cb in zip(pa, pb) for na, nb in zip(ca, cb))


def test_round_trip_and_canonical_order(space):
    parsed = space.parse(DARTS_V2)
    assert isinstance(parsed, DartsArch) and len(parsed.normal) == len(parsed.reduce) == 4
    assert parsed.normal[3] == ((OPERATIONS.index("skip_connect"), 0), (OPERATIONS.index("dil_conv_3x3"), 2))
    assert space.format(parsed) == DARTS_V2 == space.canonical_id(DARTS_V2)
    # the pair of a node is unordered: the canonical spelling sorts it by state
    swapped = swap_tokens(DARTS_V2)
    assert swapped != DARTS_V2 and space.canonical_id(swapped) == DARTS_V2
    assert space.parse(swapped) == parsed
    assert DARTS_V2 in space and swapped in space and "normal:" not in space
    for arch in space.sample(50, random_state=3):
        assert space.format(space.parse(arch)) == arch == space.canonical_id(arch)


def test_format_checks_the_structured_form(space):
    parsed = space.parse(DARTS_V2)
    flipped = DartsArch(tuple(node[::-1] for node in parsed.normal), parsed.reduce)
    assert space.format(flipped) == DARTS_V2
    with pytest.raises(ValueError, match=r"darts reduce cell, node 0: input state 2 out of range"):
        space.format((parsed.normal, (((1, 0), (1, 2)),) + parsed.reduce[1:]))
    with pytest.raises(ValueError, match=r"darts normal cell, node 1: 8 is not an operation code 0..7"):
        space.format((parsed.normal[:1] + (((8, 0), (1, 1)),) + parsed.normal[2:], parsed.reduce))
    with pytest.raises(ValueError, match="darts normal cell must have 4 nodes"):
        space.format((parsed.normal[:3], parsed.reduce))


@pytest.mark.parametrize(
    "arch, message",
    [
        (DARTS_V2.replace("dil_conv_3x3", "conv_3x3"),
         r"unknown operation 'conv_3x3' \(choices: none, max_pool_3x3.*dil_conv_5x5\)"),
        (DARTS_V2.replace("|skip_connect~0,dil_conv_3x3~2;", "|skip_connect~2,dil_conv_3x3~2;"),
         r"normal cell, node 3 at position \d+: both inputs read state 2"),
        (DARTS_V2.replace("sep_conv_3x3~0,sep_conv_3x3~1|", "sep_conv_3x3~0,sep_conv_3x3~3|", 1),
         r"token 'sep_conv_3x3~3' at position 22 \(normal cell, node 0\): input state 3 out of range "
         r"\(node 0 reads states 0..1"),
        (DARTS_V2.replace("|max_pool_3x3~1,skip_connect~2", "", 1),
         r"the reduce cell at position \d+ has 3 nodes, expected 4 separated by '\|'"),
        (DARTS_V2.split(";")[0], r"expected 2 cells 'normal:...;reduce:...' separated by ';', found 1"),
        (DARTS_V2.replace("normal:", "reduce:"), r"the normal cell at position 0 must start with 'normal:'"),
        (DARTS_V2.replace("sep_conv_3x3~0,sep_conv_3x3~1|", "sep_conv_3x3~0|", 1),
         r"normal cell, node 0 at position 7 has 1 inputs \['sep_conv_3x3~0'\], expected 2"),
        (DARTS_V2.replace("sep_conv_3x3~0", "sep_conv_3x3-0", 1), r"token 'sep_conv_3x3-0' .* is not 'op~state'"),
        (DARTS_V2.replace("skip_connect~2", "skip_connect~02", 1), r"input state '02' is not an index"),
    ],
)
def test_malformed_ids_name_the_culprit(space, arch, message):
    with pytest.raises(ValueError, match=message):
        space.canonical_id(arch)


def test_declaration_errors_name_the_space():
    with pytest.raises(ValueError, match=r"space 'darts': unknown operation 'conv'"):
        DartsSpace(operations=("none", "conv"))
    with pytest.raises(ValueError, match=r"space 'darts': n_nodes must be an integer >= 1"):
        DartsSpace(n_nodes=0)
    with pytest.raises(ValueError, match=r"space 'darts': every operation is zero"):
        DartsSpace(operations=("none",), sample_zero=True)
    with pytest.raises(ValueError, match=r"space 'tiny': unknown network key\(s\) \['N'\]"):
        DartsSpace(name="tiny", network={"C": 8, "N": 2})


def test_config_is_the_default_declaration(space):
    from hydra.utils import instantiate

    declared = instantiate(OmegaConf.load(CONFIG))
    assert declared.ops == space.ops and declared.n_nodes == 4 and not declared.sample_zero
    assert declared.network == {"C": 16, "layers": 8} and declared.node_vocab == space.node_vocab


def test_space_is_sampled_with_the_closed_form_size(space):
    assert not space.enumerable
    with pytest.raises(ValueError, match=r"space 'darts' has 1.08e\+18 architectures.*it is sampled"):
        space.ids
    with pytest.raises(ValueError, match="it is sampled"):
        space.graphs()
    pairs = math.comb(2, 2) * math.comb(3, 2) * math.comb(4, 2) * math.comb(5, 2)
    assert space.size == (pairs * 7 ** 8) ** 2 == 1_076_746_950_455_072_400
    assert DartsSpace(sample_zero=True).size == (pairs * 8 ** 8) ** 2
    assert DartsSpace(n_nodes=1, operations=("none", "skip_connect")).size == 1
    assert "1.08e+18 architectures" in repr(space)


def test_draws_are_uniform(space):
    rng = np.random.default_rng(0)
    parsed = [space.parse(space.draw(rng)) for _ in range(4_000)]
    # operation of one edge: uniform over the 7 operations other than none
    ops = np.bincount([p.reduce[2][1][0] for p in parsed], minlength=8)
    assert ops[0] == 0 and chisquare(ops[1:]).pvalue > 1e-3
    # input pair of node 3: uniform over the C(5, 2) = 10 pairs
    pairs = space.input_pairs[3]
    counts = np.bincount([pairs.index((p.normal[3][0][1], p.normal[3][1][1])) for p in parsed], minlength=10)
    assert len(counts) == 10 and chisquare(counts).pvalue > 1e-3
    # with sample_zero, none is drawn too
    zero = DartsSpace(sample_zero=True)
    assert any(op == 0 for p in zero.sample(200, random_state=0) for op, _ in zero.parse(p).normal[0])


def test_seeded_sample_is_deterministic_and_distinct(space):
    first = space.sample(300, random_state=7)
    assert first == space.sample(300, random_state=7) != space.sample(300, random_state=8)
    assert len(set(first)) == 300 and all(space.canonical_id(a) == a for a in first)


def test_mutate_and_neighbours(space):
    neighbours = space.neighbours(DARTS_V2)
    # per input: 6 other operations, plus k other states for node k; 2 cells x 2 inputs
    assert len(neighbours) == len(set(neighbours)) == 2 * 2 * (4 * 6 + (0 + 1 + 2 + 3)) == 120
    assert DARTS_V2 not in neighbours
    assert all(edit_distance(space, DARTS_V2, n) == 1 for n in neighbours)
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(100):
        mutant, graph = space.mutate(DARTS_V2, 1, rng)
        assert mutant in neighbours and graph == space.graph(mutant)
        seen.add(mutant)
    assert len(seen) > 40  # the step is random over the neighbourhood
    for steps in (2, 5):
        mutant, _ = space.mutate(DARTS_V2, steps, rng)
        assert mutant != DARTS_V2 and space.canonical_id(mutant) == mutant
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        space.mutate(DARTS_V2, 0, rng)
    # one sampled operation, one node: nothing to change
    tiny = DartsSpace(n_nodes=1, operations=("none", "skip_connect"))
    only = tiny.sample(1, random_state=0)[0]
    assert tiny.neighbours(only) == () and tiny.mutate(only, 1, rng) is None


def test_graph_covers_both_cells(space):
    graph = space.graph(DARTS_V2)
    assert isinstance(graph, CompGraph) and graph.vocab == space.node_vocab
    assert {"normal/sep_conv_3x3", "reduce/max_pool_3x3", "normal/concat"} <= set(space.node_vocab)
    names = graph.op_names
    assert names[0] == "input" and names[-1] == "output"
    # 2 input states and 8 edge nodes per cell plus the normal cell's concatenation; every node on a path
    assert graph.n_nodes == 1 + 2 + 8 + 1 + 2 + 8 + 1 and names.count("normal/concat") == 1
    assert names.count("normal/sep_conv_3x3") == 5 and names.count("reduce/max_pool_3x3") == 5
    concat = names.index("normal/concat")
    assert all(n.startswith("normal/") for n in names[1:concat])
    assert all(n.startswith("reduce/") for n in names[concat + 1:-1])
    # the reduction cell's input states are fed by the normal cell's concatenation alone, and
    # its five edges reading c_{k-2} or c_{k-1} by those states: which state an edge reads is seen
    fed = [names[j] for j in range(concat + 1, graph.n_nodes - 1) if graph.adjacency[concat, j]]
    assert fed == ["reduce/state0", "reduce/state1"] and not graph.adjacency[:concat, concat + 1:].any()
    states = [names.index("reduce/state0"), names.index("reduce/state1")]
    assert graph.adjacency[states].sum() == 5 and graph.adjacency[states[0]].sum() == 2
    # its tensor projects back to it
    assert space.adjacency_tensor(DARTS_V2).project(space.node_vocab) == graph


def test_zero_edges_are_absent_and_pruned():
    space = DartsSpace(n_nodes=2, sample_zero=True)
    # normal node 1 reads only node 0, whose inputs are both zero: node 1's edge is pruned
    arch = "normal:none~0,none~1|none~1,sep_conv_3x3~2;reduce:skip_connect~0,none~1|none~0,avg_pool_3x3~2"
    graph = space.graph(arch)
    assert graph.op_names == ("input", "output")  # nothing reaches the normal concatenation
    arch = "normal:none~0,max_pool_3x3~1|none~1,sep_conv_3x3~2;reduce:skip_connect~0,none~1|none~0,avg_pool_3x3~2"
    assert space.graph(arch).op_names == ("input", "normal/state1", "normal/max_pool_3x3", "normal/sep_conv_3x3",
                                          "normal/concat", "reduce/state0", "reduce/skip_connect",
                                          "reduce/avg_pool_3x3", "output")
    # reading c_{k-2} instead of c_{k-1} is another graph
    swapped = arch.replace("none~0,max_pool_3x3~1", "max_pool_3x3~0,none~1")
    assert space.graph(swapped) != space.graph(arch) and space.isomorphism_class(swapped) != space.isomorphism_class(arch)


def test_graphs_of_a_sample_are_fast(space):
    archs = space.sample(5_000, random_state=0)
    start = time.perf_counter()
    batch = space.graphs(archs)
    assert time.perf_counter() - start < 10
    assert len(batch) == 5_000 and batch.ids == tuple(archs) and batch[17] == space.graph(archs[17])


def test_isomorphism_classes(space):
    assert space.isomorphism_class(swap_tokens(DARTS_V2)) == space.isomorphism_class(DARTS_V2)
    # nodes 0 and 1 both read the cell inputs only: exchanging them relabels states 2 and 3
    a = "normal:sep_conv_3x3~0,skip_connect~1|max_pool_3x3~0,avg_pool_3x3~1|dil_conv_3x3~2,sep_conv_5x5~3"
    b = "normal:max_pool_3x3~0,avg_pool_3x3~1|sep_conv_3x3~0,skip_connect~1|sep_conv_5x5~2,dil_conv_3x3~3"
    reduce = "reduce:max_pool_3x3~0,max_pool_3x3~1|skip_connect~1,skip_connect~2|max_pool_3x3~0,skip_connect~2"
    three = DartsSpace(n_nodes=3)
    assert three.canonical_id(f"{a};{reduce}") != three.canonical_id(f"{b};{reduce}")
    assert three.isomorphism_class(f"{a};{reduce}") == three.isomorphism_class(f"{b};{reduce}")
    # the cells are not interchangeable
    swapped = f"{reduce.replace('reduce:', 'normal:')};{a.replace('normal:', 'reduce:')}"
    assert three.isomorphism_class(swapped) != three.isomorphism_class(f"{a};{reduce}")
    assert len(set(space.isomorphism_classes(space.sample(200, random_state=1)))) == 200
    # two nodes computing alike are still two tensors: reading one twice is another cell
    twins = "normal:sep_conv_3x3~0,sep_conv_3x3~1|sep_conv_3x3~0,sep_conv_3x3~1|avg_pool_3x3~1,max_pool_3x3~2|avg_pool_3x3~1,max_pool_3x3~3"
    shared = twins.replace("max_pool_3x3~3", "max_pool_3x3~2")
    r = DARTS_V2[DARTS_V2.index(";"):]
    assert space.isomorphism_class(twins + r) != space.isomorphism_class(shared + r)
