"""Declared node-operation DAGs: a tiny space enumerated and checked by brute force."""

import itertools

import networkx as nx
import numpy as np
import pytest

from cbred.spaces.node_dag import NodeDAGSpace, Spec


@pytest.fixture(scope="module")
def tiny():
    return NodeDAGSpace(name="tiny_dag", operations=["conv3x3-bn-relu", "max_pool_3x3"], max_vertices=4, max_edges=4)


def _brute_force_classes(space: NodeDAGSpace) -> list:
    """Every valid labelled spec of the declaration, grouped by exact (networkx) isomorphism."""
    graphs = []
    for n in range(2, space.rules.max_vertices + 1):
        rows, cols = np.triu_indices(n, k=1)
        for bits in itertools.product((0, 1), repeat=len(rows)):
            matrix = np.zeros((n, n), dtype=int)
            matrix[rows, cols] = bits
            for labels in itertools.product(space.rules.operations, repeat=n - 2):
                try:
                    spec = space.spec_from_raw(matrix, ["input", *labels, "output"])
                except ValueError:
                    continue
                graph = nx.DiGraph()
                graph.add_nodes_from((v, {"op": op}) for v, op in enumerate(spec.ops))
                graph.add_edges_from(map(tuple, np.argwhere(spec.matrix).tolist()))
                graphs.append(graph)
    classes: list = []
    for graph in graphs:
        for members in classes:
            if nx.is_isomorphic(members[0], graph, node_match=lambda a, b: a["op"] == b["op"]):
                break
        else:
            classes.append([graph])
    return classes


def test_hashes_partition_a_tiny_space_as_brute_force_isomorphism_does(tiny):
    classes = _brute_force_classes(tiny)
    assert len(tiny.ids) == len(classes) == 24
    assert len(set(tiny.ids)) == len(tiny.ids)  # one hash per class, no collision
    for arch in tiny.ids:
        spec = tiny.spec(arch)
        assert Spec.from_raw(spec.matrix, spec.ops, tiny.rules).hash == arch  # id -> spec -> id
        assert tiny.graph(arch).op_names == spec.ops


def test_the_tiny_space_samples_mutates_and_refuses_foreign_cells(tiny):
    sample = tiny.sample(10, random_state=0)
    assert len(set(sample)) == 10 and set(sample) <= set(tiny.ids)
    rng = np.random.default_rng(0)
    mutant = tiny.mutate(tiny.ids[5], 1, rng)
    assert mutant is None or mutant[0] != tiny.ids[5]
    assert all(n in tiny for n in tiny.neighbours(tiny.ids[5]))
    with pytest.raises(ValueError, match=r"tiny_dag vertex 1 has unknown operation 'conv1x1-bn-relu' \(choices: conv3x3-bn-relu, max_pool_3x3\)"):
        tiny.spec_from_raw([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv1x1-bn-relu", "output"])
    with pytest.raises(ValueError, match="tiny_dag spec has 5 vertices, at most 4 allowed"):
        tiny.spec_from_raw(np.triu(np.ones((5, 5), int), 1), ["input"] + ["max_pool_3x3"] * 3 + ["output"])
