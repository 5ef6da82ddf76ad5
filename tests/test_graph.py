import networkx as nx
import numpy as np
import pytest

from cbred.graph import AdjacencyTensor, CompGraph, GraphBatch, longest_paths, on_path_mask, prune
from tests.distances.conftest import graph

VOCAB = ("input", "a", "b", "output")


def chain(*ops):
    n = len(ops)
    adjacency = np.eye(n, k=1, dtype=np.uint8)
    return CompGraph(ops=[VOCAB.index(o) for o in ops], adjacency=adjacency, vocab=VOCAB)


def test_compgraph_validates_input():
    with pytest.raises(ValueError, match="upper triangular"):
        CompGraph(ops=[0, 3], adjacency=[[0, 0], [1, 0]], vocab=VOCAB)
    with pytest.raises(ValueError, match="out of range"):
        CompGraph(ops=[0, 9], adjacency=[[0, 1], [0, 0]], vocab=VOCAB)
    with pytest.raises(ValueError, match="lacks 'output'"):
        CompGraph(ops=[0], adjacency=[[0]], vocab=("input", "a"))
    with pytest.raises(ValueError, match="does not match"):
        CompGraph(ops=[0, 1, 3], adjacency=np.zeros((2, 2)), vocab=VOCAB)


def test_conversions_keep_ops_and_edges():
    g = chain("input", "a", "b", "output")
    nxg = g.to_networkx()
    assert [nxg.nodes[i]["op"] for i in nxg] == ["input", "a", "b", "output"]
    assert sorted(nxg.edges) == [(0, 1), (1, 2), (2, 3)]
    assert g.op_counts().tolist() == [1, 1, 1, 1]


def test_prune_drops_nodes_off_the_input_output_path():
    # 0 -> 1 -> 3, and 2 is a dead end fed by the input
    adjacency = np.zeros((4, 4), dtype=np.uint8)
    adjacency[0, 1] = adjacency[1, 3] = adjacency[0, 2] = 1
    g = prune(np.array([0, 1, 2, 3]), adjacency, VOCAB)
    assert g.op_names == ("input", "a", "output")
    assert g.edges().tolist() == [[0, 1], [1, 2]]


def test_on_path_mask_without_path_keeps_only_ends():
    adjacency = np.zeros((1, 3, 3), dtype=bool)
    adjacency[0, 0, 1] = True
    assert on_path_mask(adjacency).tolist() == [[True, False, True]]


def test_edge_labelled_projection_is_the_line_graph():
    # cell 0 -a-> 1 -b-> 2, plus 0 -b-> 2
    tensor = np.zeros((3, 3, 2), dtype=np.uint8)
    tensor[0, 1, 0] = tensor[1, 2, 1] = tensor[0, 2, 1] = 1
    g = AdjacencyTensor(tensor, ("a", "b"), labels="edge").project(VOCAB)
    assert g.op_names == ("input", "a", "b", "b", "output")
    expected = nx.DiGraph([(0, 1), (1, 2), (2, 4), (0, 3), (3, 4)])
    assert nx.is_isomorphic(g.to_networkx(), expected)


def test_target_labelled_projection_is_the_node_dag():
    tensor = np.zeros((3, 3, 3), dtype=np.uint8)
    tensor[0, 1, 1] = 1  # vertex 1 computes b
    tensor[1, 2, 2] = tensor[0, 2, 2] = 1  # vertex 2 is the output
    g = AdjacencyTensor(tensor, ("a", "b", "output"), labels="target").project(VOCAB)
    assert g.op_names == ("input", "b", "output")
    assert g.edges().tolist() == [[0, 1], [0, 2], [1, 2]]


def test_tensor_rejects_bad_shapes_and_labels():
    with pytest.raises(ValueError, match="shape"):
        AdjacencyTensor(np.zeros((2, 3, 1)), ("a",), labels="edge")
    with pytest.raises(ValueError, match="labels must be one of"):
        AdjacencyTensor(np.zeros((2, 2, 1)), ("a",), labels="vertex")


def test_graph_batch_round_trip_and_compaction():
    graphs = [chain("input", "output"), chain("input", "a", "b", "output")]
    batch = GraphBatch.from_graphs(graphs, ids=["x", "y"])
    assert batch.ops.shape == (2, 4) and batch.n_nodes.tolist() == [2, 4]
    assert batch[0] == graphs[0] and batch[1] == graphs[1]
    assert batch.op_counts().tolist() == [[1, 0, 0, 1], [1, 1, 1, 1]]
    assert batch.subset([1]).ids == ("y",)
    assert len(batch.subset([])) == 0
    other = CompGraph(ops=[0, 1], adjacency=[[0, 1], [0, 0]], vocab=("input", "output"))
    with pytest.raises(ValueError, match="different spaces"):
        GraphBatch.from_graphs([graphs[0], other])
    with pytest.raises(ValueError, match="no graphs"):
        GraphBatch.from_graphs([])


def test_longest_paths_of_a_padded_batch():
    skip = graph(["input", "conv", "pool", "output"], [(0, 1), (1, 2), (2, 3), (0, 3)])
    empty = graph(["input", "output"], [(0, 1)])
    depth, height = longest_paths(GraphBatch.from_graphs([skip, empty]).adjacency)
    assert depth.tolist() == [[0, 1, 2, 3], [0, 1, 0, 0]]
    assert height.tolist() == [[3, 2, 1, 0], [1, 0, 0, 0]]
