import networkx as nx
import numpy as np
import pandas as pd
import pytest

from cbred.spaces.nb101 import NB101Space, Spec, decode_matrix, encode_matrix

OPS = ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]
CHAIN = np.eye(4, k=1, dtype=int)


@pytest.mark.parametrize(
    "matrix, ops, message",
    [
        (np.tril(np.ones((4, 4)), -1), OPS, "not strictly upper triangular: entry \\[1, 0\\]"),
        (np.eye(8, k=1), ["input"] + ["conv3x3-bn-relu"] * 6 + ["output"], "8 vertices, at most 7"),
        (CHAIN, ["input", "conv5x5", "maxpool3x3", "output"], "vertex 1 has unknown operation 'conv5x5'"),
        (CHAIN, ["conv3x3-bn-relu", "input", "maxpool3x3", "output"], "vertex 0 must be 'input'"),
        (CHAIN, ["input", "output", "maxpool3x3", "output"], "vertex 1 is 'output'"),
        (np.zeros((4, 4)), OPS, "no path from input to output"),
        (np.triu(np.ones((7, 7)), 1), ["input"] + ["conv1x1-bn-relu"] * 5 + ["output"], "21 edges after pruning, at most 9"),
        (np.zeros((3, 4)), OPS, "must be square"),
    ],
)
def test_validation_names_the_problem(matrix, ops, message):
    with pytest.raises(ValueError, match=message):
        Spec.from_raw(matrix, ops)


def test_pruning_removes_vertices_off_the_path():
    # vertex 2 has no successor: it is pruned with its edge
    matrix = np.zeros((4, 4), dtype=int)
    matrix[0, 1] = matrix[1, 3] = matrix[0, 2] = 1
    spec = Spec.from_raw(matrix, OPS)
    assert spec.ops == ("input", "conv3x3-bn-relu", "output")
    assert spec.matrix.tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]


def test_hash_is_isomorphism_invariant():
    # swap the two interior vertices of a diamond: same cell, same hash
    matrix = np.array([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]])
    a = Spec.from_raw(matrix, ["input", "conv3x3-bn-relu", "maxpool3x3", "output"])
    b = Spec.from_raw(matrix, ["input", "maxpool3x3", "conv3x3-bn-relu", "output"])
    c = Spec.from_raw(matrix, ["input", "maxpool3x3", "maxpool3x3", "output"])
    assert a.hash == b.hash != c.hash


def test_matrix_encoding_round_trips():
    rng = np.random.default_rng(0)
    for n in range(2, 8):
        m = np.triu(rng.integers(0, 2, (n, n)), 1).astype(np.uint8)
        assert np.array_equal(decode_matrix(n, encode_matrix(m)), m)


@pytest.mark.data
def test_official_hashes_of_1000_cells(nb101_jsonl):
    table = pd.read_json(nb101_jsonl, lines=True)
    hashes = [Spec.from_raw(np.array(m), o).hash for m, o in zip(table["matrix"], table["ops"])]
    assert hashes == table["hash"].tolist()


@pytest.mark.data
def test_unpruned_specs_hash_after_pruning(nb101_zc_jsonl):
    table = pd.read_json(nb101_zc_jsonl, lines=True)
    specs = [Spec.from_raw(np.array(m), o) for m, o in zip(table["matrix"], table["ops"])]
    assert len(specs) == 500
    # the file holds several unpruned variants of the same cells
    assert len({s.hash for s in specs}) == 292
    assert any(len(s.ops) < 7 for s in specs)


@pytest.mark.data
def test_space_from_jsonl(nb101_sample, nb101_jsonl):
    assert len(nb101_sample) == 1000
    first = pd.read_json(nb101_jsonl, lines=True).iloc[0]
    g = nb101_sample.graph(first["hash"])
    assert list(g.op_names) == first["ops"] and g.adjacency.tolist() == first["matrix"]
    a = nb101_sample.adjacency_tensor(first["hash"])
    assert a.labels == "target" and a.project(nb101_sample.node_vocab) == g
    batch = nb101_sample.graphs()
    assert len(batch) == 1000 and batch[0] == nb101_sample.graph(batch.ids[0])
    with pytest.raises(KeyError, match="not in space"):
        nb101_sample.check_ids(["0" * 32])
    with pytest.raises(ValueError, match="32-character"):
        nb101_sample.canonical_id("abc")


@pytest.mark.slow
@pytest.mark.data
def test_enumeration_finds_every_cell(nb101_enumeration, nb101_jsonl):
    table = nb101_enumeration
    assert len(table) == 423_624 and table.index.is_unique
    published = pd.read_json(nb101_jsonl, lines=True).set_index("hash")
    assert published.index.isin(table.index).all()
    space = NB101Space(table)
    batch = space.graphs(list(published.index[:100]))
    match = lambda x, y: x["op"] == y["op"]  # noqa: E731
    for g, h in zip(batch, batch.ids):
        ref = Spec.from_raw(np.array(published.loc[h, "matrix"]), published.loc[h, "ops"]).graph()
        assert nx.is_isomorphic(g.to_networkx(), ref.to_networkx(), node_match=match)


def test_ragged_matrices_and_unknown_operations_are_named_at_once():
    import pandas as pd

    from cbred.spaces.nb101 import NB101Space, Spec

    with pytest.raises(ValueError, match="square 0/1 matrix \\(rows of equal length"):
        Spec.from_raw([[0, 1, 0], [0, 0], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"])
    table = pd.DataFrame({"n_vertices": [3], "edges": [7], "ops": ["input,conv5x5,output"]},
                         index=pd.Index(["a" * 32], name="hash"))
    with pytest.raises(ValueError, match="cell 'a{32}' has unknown operation\\(s\\) \\['conv5x5'\\]"):
        NB101Space(table)  # not later, in graphs()
    with pytest.raises(ValueError, match="no architecture given"):
        NB101Space.from_specs([Spec.from_raw([[0, 1], [0, 0]], ["input", "output"])]).graphs([])


def test_nb101_mutation_gives_valid_other_cells(nb101_sample):
    rng = np.random.default_rng(0)
    for arch in nb101_sample.ids[:20]:
        mutant, mutant_graph = nb101_sample.mutate(arch, 2, rng)
        assert mutant != arch and len(mutant) == 32
        assert mutant_graph.n_nodes <= 7 and mutant_graph.n_edges <= 9


def test_the_enumeration_command_runs_without_the_runpy_warning():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", "cbred.spaces.nb101", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "enumerate" in done.stdout, done.stderr[-500:]
